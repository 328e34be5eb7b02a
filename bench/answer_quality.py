"""Answer quality: does the answer contain the reference answer and cite the gold paragraph?
Extractive (--llm none) and the local LLM side by side, on the same questions and the same index.

Two sets:
- squad: SQuAD v1.1 dev, its first 24 articles indexed together (one qa Article per SQuAD article, as
  bench/retrieval.py does); a fixed sample of 150 questions (random.Random(19)); --limit N takes the first N
  of that sample (a development subset); --held-out takes 150 other questions of the same articles
  instead, for choosing a threshold without looking at the sample.
- news: the questions in bench/data/news_questions.jsonl (written for this benchmark: question, reference
  answers, gold paragraph numbers or "article" for questions about the article itself) over the BBC News
  files they come from plus the first 20 files of each BBC topic as distractors (outlet "BBC News", no
  date: the dataset gives none) and the sample Reuters article (examples/articles).

Per answerer: answered, reference contained (of answered; lowercased, punctuation and articles ignored),
reference in the answer's first sentence (what a reader who stops there gets), gold paragraph cited (of answered; for "article" questions any paragraph of the article), abstained,
median words per answer (citation markers not counted), median seconds, and for the LLM the median
prompt tokens prefilled beyond the cached prompt start and how often verification fell back to the
extractive answer. Then every question the extractive answer got right and the LLM's did not.

    .venv/bin/python bench/answer_quality.py --set squad --limit 40           # development subset
    .venv/bin/python bench/answer_quality.py --set all --out /tmp/aq.jsonl    # the full run

The data stays in ../shared/bench-data (outside the repo); exits 0 when it is absent. Not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
import _common  # noqa: E402,F401 - first: puts the repository on sys.path

from qa import QA  # noqa: E402
from qa.answer.citations import MARKER_RE  # noqa: E402
from qa.answer.verification import _spelled_units  # noqa: E402
from qa.ingest.documents import Article  # noqa: E402
from qa.ingest.loaders import load_file  # noqa: E402
from retrieval import squad_article  # noqa: E402  (bench/ is on the path when run as a script)

DATA = next((d for d in (ROOT.parent / "shared/bench-data", ROOT.parents[1] / "shared/bench-data") if d.is_dir()),
            ROOT.parent / "shared/bench-data")  # beside the checkout (or beside a worktree's parent)
SQUAD = DATA / "squad/squad-v1.1-dev-first24.json"
BBC = DATA / "bbc_news"
NEWS_QUESTIONS = ROOT / "bench/data/news_questions.jsonl"
SAMPLE = ROOT / "examples/articles"
SQUAD_SAMPLE = 150


def load_squad(path: Path, held_out: bool = False) -> tuple[list[Article], list[dict]]:
    """The 24 articles and the fixed sample of questions; `held_out`: 150 other questions of the same
    articles (random.Random(7) among those outside the sample), for choosing thresholds without looking
    at the sample."""
    docs = json.loads(path.read_text(encoding="utf-8"))["data"]
    questions = [{"id": qa["id"], "question": qa["question"], "article": doc["title"], "gold": [number],
                  "answers": sorted({a["text"] for a in qa["answers"]}), "kind": "squad"}
                 for doc in docs for number, para in enumerate(doc["paragraphs"], start=1) for qa in para["qas"]]
    articles = [squad_article(doc) for doc in docs]
    sample = random.Random(19).sample(questions, SQUAD_SAMPLE)
    if held_out:
        taken = {q["id"] for q in sample}
        return articles, random.Random(7).sample([q for q in questions if q["id"] not in taken], SQUAD_SAMPLE)
    return articles, sample


def bbc_id(name: str) -> str:
    return name.replace("/", "-")


def load_news() -> tuple[list[Article], list[dict]]:
    questions = [json.loads(line) for line in NEWS_QUESTIONS.read_text().splitlines() if line.strip()]
    names = sorted({q["article"] for q in questions if "/" in q["article"]}
                   | {f"{topic}/{n:03d}" for topic in ("business", "entertainment", "politics", "sport", "tech")
                      for n in range(1, 21)})
    articles = []
    for name in names:
        for article in load_file(BBC / f"{name}.txt", bbc_id(name)).articles:
            articles.append(replace(article, source="BBC News"))
    for q in questions:
        q["article"] = bbc_id(q["article"]) if "/" in q["article"] else q["article"]
    return articles, questions


def normalise(text: str) -> str:
    """Lowercase, no punctuation or articles; "$9.3bn" and "$9.3 billion" alike."""
    text = re.sub(r"[^\w]+", " ", _spelled_units(text).lower().replace("’", "'"))
    return " " + " ".join(w for w in text.split() if w not in ("a", "an", "the")) + " "


def score(q: dict, answer, seconds: float, backend) -> dict:
    text = MARKER_RE.sub("", answer.text)
    cited = [(c.passage.article_id, c.passage.paragraph) for c in answer.citations]
    if q["gold"] == "article":
        gold_cited = any(aid == q["article"] for aid, _ in cited)
    else:
        gold_cited = any((q["article"], n) in cited for n in q["gold"])
    timings = getattr(backend, "last_timings", {}) if backend is not None else {}
    return {
        "id": q["id"], "question": q["question"], "answers": q["answers"], "kind": q["kind"],
        "text": answer.text, "backend": answer.backend, "abstained": answer.abstained,
        "contains": any(normalise(a) in normalise(text) for a in q["answers"]) and not answer.abstained,
        "gold_cited": gold_cited and not answer.abstained, "cited": cited,
        "words": len(text.split()), "seconds": round(seconds, 2),
        "prompt_tokens": timings.get("prompt_n") if "draft" in answer.extra else None,
        "fallback": (answer.extra.get("fallback") or {}).get("reason"),
        "draft": answer.extra.get("draft"),
        "removed": [c.get("reason") for c in answer.extra.get("verification", []) if c["action"] == "removed"],
    }


def lead_contains(row: dict) -> bool:
    """The answer's first sentence (up to its first citation marker) holds the reference: what a reader
    who stops there gets (read from the row's text, so earlier --out files score too)."""
    marker = MARKER_RE.search(row["text"])
    lead = row["text"][: marker.start()] if marker else row["text"]
    return not row["abstained"] and any(normalise(a) in normalise(lead) for a in row["answers"])


def summary(rows: list[dict]) -> list[str]:
    answered = [r for r in rows if not r["abstained"]]
    n = max(len(answered), 1)
    prompts = [r["prompt_tokens"] for r in rows if r["prompt_tokens"] is not None]
    leads = sum(lead_contains(r) for r in answered)
    return [
        f"{len(answered)}/{len(rows)}",
        f"{sum(r['contains'] for r in answered) / n:.3f} ({sum(r['contains'] for r in answered)})",
        f"{leads / n:.3f} ({leads})",
        f"{sum(r['gold_cited'] for r in answered) / n:.3f} ({sum(r['gold_cited'] for r in answered)})",
        str(sum(r["abstained"] for r in rows)),
        f"{statistics.median([r['words'] for r in answered]) if answered else 0:.0f}",
        f"{statistics.median([r['seconds'] for r in rows]):.1f}",
        f"{statistics.median(prompts):.0f}" if prompts else "-",
        str(sum(r["fallback"] is not None for r in rows)),
    ]


def run_set(name: str, articles: list[Article], questions: list[dict], answerers: list[str], out) -> dict:
    results: dict[str, list[dict]] = {a: [] for a in answerers}
    with tempfile.TemporaryDirectory(prefix="qa-aq-") as tmp:
        with QA(Path(tmp) / "index", create=True, llm="none") as bot:
            bot.add_articles(articles)
            if name == "news":
                bot.index([SAMPLE])
        bots = {a: QA(Path(tmp) / "index", llm=a) for a in answerers}
        try:
            for a, bot in bots.items():
                if a != "none":
                    bot.preload_llm()
                    bot.backend.wait_warm()
            for i, q in enumerate(questions, 1):
                for a, bot in bots.items():
                    started = time.perf_counter()
                    answer = bot.ask(q["question"])
                    row = score(q, answer, time.perf_counter() - started, bot.backend)
                    row.update(set=name, answerer=a)
                    results[a].append(row)
                    if out:
                        out.write(json.dumps(row, ensure_ascii=False) + "\n")
                        out.flush()
                print(f"[{name} {i}/{len(questions)}] " + " ".join(
                    f"{a}:{'C' if results[a][-1]['contains'] else '-'}{'G' if results[a][-1]['gold_cited'] else '-'}"
                    for a in answerers), file=sys.stderr, flush=True)
        finally:
            for bot in bots.values():
                bot.close()
    return results


def report(name: str, results: dict[str, list[dict]]) -> None:
    print(f"\n{name}: {len(next(iter(results.values())))} questions")
    print("| answerer | answered | reference contained (of answered) | in the first sentence | gold cited (of answered) "
          "| abstained | median words | median s | median prompt tokens | fell back to extractive |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for a, rows in results.items():
        print(f"| {'extractive' if a == 'none' else a} | " + " | ".join(summary(rows)) + " |")
    if "none" in results and len(results) > 1:
        for a, rows in results.items():
            if a == "none":
                continue
            worse = [(e, r) for e, r in zip(results["none"], rows) if e["contains"] and not r["contains"]]
            better = sum(r["contains"] and not e["contains"] for e, r in zip(results["none"], rows))
            print(f"\n{a} wrong, extractive right: {len(worse)}; the reverse: {better}")
            for _, r in worse:
                print(f"- {r['id']}: {r['question']} (reference: {' / '.join(r['answers'])}) -> "
                      f"{r['text'][:200]!r}" + (f" [fallback: {r['fallback']}]" if r["fallback"] else "")
                      + (f" [removed: {', '.join(set(map(str, r['removed'])))}]" if r["removed"] else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["squad", "news", "all"], default="all")
    parser.add_argument("--llm", default="none,local", help="answerers, comma-separated (none = extractive)")
    parser.add_argument("--limit", type=int, help="only the first N questions of each set")
    parser.add_argument("--held-out", action="store_true",
                        help="SQuAD: 150 questions of the same articles outside the sample instead of the sample")
    parser.add_argument("--out", type=Path, help="write one JSON line per question and answerer here")
    parser.add_argument("--summarize", type=Path, nargs="+",
                        help="report from --out files of earlier (possibly partial) runs instead of running")
    args = parser.parse_args()
    if args.summarize:
        rows = [json.loads(line) for path in args.summarize for line in path.read_text().splitlines() if line]
        for name, label in (("squad", "SQuAD"), ("news", "news (BBC + sample)")):
            done = {}
            for r in rows:
                if r["set"] == name:
                    done.setdefault(r["answerer"], {})[r["id"]] = r
            if not done:
                continue
            common = set.intersection(*(set(d) for d in done.values()))  # questions every answerer finished
            order = [i for i in next(iter(done.values())) if i in common]
            report(label, {a: [d[i] for i in order] for a, d in done.items()})
        return 0
    answerers = [a.strip() for a in args.llm.split(",") if a.strip()]
    out = args.out.open("w", encoding="utf-8") if args.out else None
    if args.set in ("squad", "all"):
        if not SQUAD.is_file():
            print(f"no benchmark data at {SQUAD}; nothing to measure")
        else:
            articles, questions = load_squad(SQUAD, held_out=args.held_out)
            report("SQuAD held-out" if args.held_out else "SQuAD", run_set("squad", articles, questions[: args.limit], answerers, out))
    if args.set in ("news", "all"):
        if not BBC.is_dir():
            print(f"no benchmark data at {BBC}; nothing to measure")
        else:
            articles, questions = load_news()
            report("news (BBC + sample)", run_set("news", articles, questions[: args.limit], answerers, out))
    if out:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
