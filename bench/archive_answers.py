"""Answers on the whole BBC archive: are they right, cited to the article that says so, and do they say
"the articles don't say" when the archive does not hold the answer?

The questions (bench/archive_answers_questions.json) were written from reading bench-data/bbc_news: who said
what on a topic, facts (who/what/how much/how many/when/where), why/how, lists whose answer spans articles,
and questions about the archive's own subjects that it does not answer. Every question goes to `QA.ask` over
one index of all 2,225 articles, with no article filter, and is scored automatically:
- answerable: right = every expected phrase group present in the answer text (citation markers removed;
  lowercase, punctuation and articles ignored, "$9.3bn" and "$9.3 billion" alike) and a cited paragraph
  from a gold article; partly = some group present (or all, but no gold article cited); wrong = none;
  wrongly abstained = `answer.abstained` on an answerable question.
- list: an item counts when one of its variants is in the answer text and a cited gold article names it;
  right = at least `min_items` items, partly = at least one.
- unanswerable: abstained correctly when `answer.abstained`; anything else is an answer the archive does
  not support.

    .venv/bin/python bench/archive_answers.py --index /tmp/bbc-index --llm none --split tune
    .venv/bin/python bench/archive_answers.py --index /tmp/bbc-index --llm none,local --dump /tmp/aa.jsonl
    .venv/bin/python bench/archive_answers.py --summarize /tmp/aa.jsonl     # an earlier --dump, scored again

Splits: tune (develop on it), test (measure only) and holdout (questions written later from articles no tune or
test question has as gold; measure only, never tune on it). `--split all` is tune + test, as it was before the
holdout questions were added, so earlier "all" figures stay comparable; the holdout is its own row.

    .venv/bin/python bench/archive_answers.py --index /tmp/bbc-index --llm none --split holdout

Questions are asked taking each kind in turn, so a run stopped early (the local LLM on a busy machine) has
measured every kind; `--resume` continues a stopped run's --dump.

The index is built from `--data` when the folder is missing (a few minutes on 2 cores). `--dump` writes one
JSON line per question and answerer as it goes: the answer, each cited sentence with its article and
paragraph, and for an LLM every sentence it kept with the source sentence it rests on (the cited
paragraph's sentence sharing most words), for a hand read of false claims. The data stays in
../shared/bench-data (outside the repo); exits 0 when it is absent. Not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answer_quality import DATA, normalise  # noqa: E402  (bench/ is on the path)

from qa import QA  # noqa: E402
from qa.answer.citations import MARKER_RE  # noqa: E402
from qa.ingest.documents import split_sentences  # noqa: E402

QUESTIONS = Path(__file__).with_name("archive_answers_questions.json")
BBC = DATA / "bbc_news"
KINDS = ("who-said", "fact", "why-how", "list", "unanswerable")
SPLITS = ("tune", "test", "holdout")
ALL = ("tune", "test")  # "all": the halves the set began with; the holdout is reported on its own


def in_split(split: str, wanted: str) -> bool:
    """Is a question of `split` selected by `--split wanted` ("all" = tune + test, not the holdout)?"""
    return split in ALL if wanted == "all" else split == wanted


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["questions"]


def interleaved(questions: list[dict]) -> list[dict]:
    """Questions taken in turn from each kind, so a run stopped early has measured every kind and both halves."""
    by_kind = [[q for q in questions if q["kind"] == kind] for kind in KINDS]
    out = []
    for i in range(max((len(b) for b in by_kind), default=0)):
        out.extend(b[i] for b in by_kind if i < len(b))
    return out


def article_id(name: str) -> str:
    """"business/012.txt" -> "business/012": the indexer names a file by its path under the folder, sans suffix."""
    return name[: -len(Path(name).suffix)] if Path(name).suffix else name


def contains(text: str, variants: list[str]) -> bool:
    norm = normalise(text)
    return any(normalise(v) in norm for v in variants)


def cited_articles(answer) -> set[str]:
    """Articles the answer cites, with the word-for-word copies a citation stands for (`also_in`)."""
    out = set()
    for c in answer.citations:
        out.add(c.passage.article_id)
        out.update(p.article_id for p in c.passage.also_in)
    return out


def article_text(data: Path, aid: str, cache: dict[str, str]) -> str:
    if aid not in cache:
        path = data / f"{aid}.txt"
        try:
            cache[aid] = path.read_bytes().decode("utf-8", errors="replace") if path.is_file() else ""
        except OSError:
            cache[aid] = ""
    return cache[aid]


def score(q: dict, answer, data: Path, texts: dict[str, str]) -> dict:
    """verdict: right | partly | wrong | abstained (answerable) or abstained | answered (unanswerable)."""
    return score_text(q, answer.text, answer.abstained, cited_articles(answer), data, texts)


def score_text(q: dict, answer_text: str, abstained: bool, cited: set[str], data: Path, texts: dict[str, str]) -> dict:
    """`score` from an answer's text, abstention and cited articles (what a --dump line keeps)."""
    text = MARKER_RE.sub("", answer_text)
    if q["kind"] == "unanswerable":
        return {"verdict": "abstained" if abstained else "answered", "hits": 0, "of": 0}
    if abstained:
        return {"verdict": "abstained", "hits": 0, "of": len(q["expected"])}
    gold = {article_id(name) for name in q["gold"]}
    cited_gold = cited & gold
    if q["kind"] == "list":
        in_text = [g for g in q["expected"] if contains(text, g)]
        hits = [g for g in in_text
                if any(contains(article_text(data, a, texts), g) for a in cited_gold)]
        need = q["min_items"]
        verdict = "right" if len(hits) >= need else "partly" if hits or in_text else "wrong"
        return {"verdict": verdict, "hits": len(hits), "of": len(q["expected"]), "need": need,
                "items_in_text": len(in_text)}
    hits = sum(contains(text, g) for g in q["expected"])
    if hits == len(q["expected"]) and cited_gold:
        verdict = "right"
    elif hits:
        verdict = "partly"
    else:
        verdict = "wrong"
    return {"verdict": verdict, "hits": hits, "of": len(q["expected"]), "gold_cited": bool(cited_gold)}


def rescore(rows: list[dict], questions: list[dict], data: Path) -> int:
    """Score --dump lines again against the current question file (after an expected phrase or a gold
    paragraph was corrected); returns how many verdicts changed."""
    by_id = {q["id"]: q for q in questions}
    texts: dict[str, str] = {}
    changed = 0
    for row in rows:
        q = by_id.get(row["id"])
        if q is None or q["question"] != row["question"]:
            continue
        cited = set(row.get("cited_articles") or
                    (c["article"] for s in row["cited_sentences"] for c in s["cites"]))
        scored = score_text(q, row["answer"], row["abstained"], cited, data, texts)
        changed += scored["verdict"] != row["verdict"]
        row.update(scored, split=q["split"], kind=q["kind"], expected=q["expected"], gold=q["gold"])
    return changed


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) > 2}


def source_sentence(sentence: str, paragraphs: list[str]) -> tuple[str, float]:
    """The sentence of the cited paragraph(s) sharing the largest share of `sentence`'s words."""
    words = _words(MARKER_RE.sub("", sentence))
    best, share = "", 0.0
    for para in paragraphs:
        for candidate in split_sentences(para):
            s = len(words & _words(candidate)) / max(len(words), 1)
            if s > share:
                best, share = candidate, s
    return best, round(share, 2)


def dump_row(q: dict, answerer: str, answer, scored: dict, seconds: float) -> dict:
    by_n = {c.n: c for c in answer.citations}
    cited = []
    for sentence in split_sentences(answer.text):
        numbers = [int(n) for m in MARKER_RE.finditer(sentence) for n in m.group(1).split(",")]
        cited.append({"sentence": sentence, "cites": [
            {"n": n, "article": by_n[n].passage.article_id, "paragraph": by_n[n].passage.paragraph}
            for n in numbers if n in by_n]})
    row = {
        "id": q["id"], "kind": q["kind"], "category": q["category"], "split": q["split"],
        "question": q["question"], "answerer": answerer, "backend": answer.backend,
        "seconds": round(seconds, 2), **scored, "abstained": answer.abstained, "answer": answer.text,
        "cited_sentences": cited, "cited_articles": sorted(cited_articles(answer)),
        "gold": q["gold"], "expected": q["expected"],
    }
    if q["kind"] == "unanswerable":
        row["note"] = q.get("note")
    extra = answer.extra or {}
    if "draft" in extra:
        row["draft"] = extra["draft"]
    for key in ("choices", "chosen", "followed_by", "also_quoted"):  # what the local model chose among, and chose
        if key in extra:
            row[key] = extra[key]
    if extra.get("fallback"):
        row["fallback"] = extra["fallback"].get("reason")
    checks = extra.get("verification") or []
    if checks and not extra.get("fallback"):
        kept = []
        for check in checks:
            if check.get("action") == "removed":
                continue
            paragraphs = [by_n[n].passage.text for n in check.get("citations", []) if n in by_n]
            source, share = source_sentence(check["sentence"], paragraphs)
            kept.append({"sentence": check["sentence"], "action": check["action"], "support": check.get("support"),
                         "cites": [(by_n[n].passage.article_id, by_n[n].passage.paragraph)
                                   for n in check.get("citations", []) if n in by_n],
                         "source_sentence": source, "word_share": share})
        row["kept"] = kept
        row["removed"] = [c["sentence"] for c in checks if c.get("action") == "removed"]
    return row


def lead_right(row: dict) -> bool:
    """The answer's first quoted sentence (after the lines saying which time was asked about) holds every
    expected phrase: what a reader who stops there gets. Fact, why/how and who-said questions."""
    if row["verdict"] == "abstained" or row["kind"] in ("list", "unanswerable") or not row.get("answer"):
        return False
    lines = [ln for ln in row["answer"].split("\n")
             if ln.strip() and not ln.startswith(("Time asked about:", "No dated article"))]
    text = " ".join(lines)
    marker = MARKER_RE.search(text)
    lead = text[: marker.start()] if marker else text
    return all(contains(lead, g) for g in row["expected"])


def rate(n: int, of: int) -> str:
    return f"{n}/{of} ({n / of:.2f})" if of else "-"


def table(rows: list[dict]) -> list[str]:
    """One line per answerer and split: right/partly/wrong of answerable, abstained of unanswerable."""
    lines = ["| answerer | split | right | partly | wrong | wrongly abstained | unanswerable abstained | "
             "first sentence right (fact, why/how, who-said) | median s | total s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    answerers = list(dict.fromkeys(r["answerer"] for r in rows))
    for a in answerers:
        for split in ("tune", "test", "all", "holdout"):
            sel = [r for r in rows if r["answerer"] == a and in_split(r["split"], split)]
            if not sel or (split == "all" and len({r["split"] for r in sel}) < 2):
                continue
            ans = [r for r in sel if r["kind"] != "unanswerable"]
            una = [r for r in sel if r["kind"] == "unanswerable"]
            count = lambda v: sum(r["verdict"] == v for r in ans)  # noqa: E731
            seconds = [r["seconds"] for r in sel]
            lines.append(
                f"| {'extractive' if a == 'none' else a} | {split} | {rate(count('right'), len(ans))} | "
                f"{rate(count('partly'), len(ans))} | {rate(count('wrong'), len(ans))} | "
                f"{rate(count('abstained'), len(ans))} | "
                f"{rate(sum(r['verdict'] == 'abstained' for r in una), len(una))} | "
                f"{rate(sum(lead_right(r) for r in ans), sum(r['kind'] != 'list' for r in ans))} | "
                f"{statistics.median(seconds):.1f} | {sum(seconds):.0f} |")
    return lines


def kind_table(rows: list[dict]) -> list[str]:
    lines = ["| answerer | kind | questions | right (answerable) / abstained (unanswerable) | partly | wrong | "
             "wrongly abstained |", "|---|---|---|---|---|---|---|"]
    for a in dict.fromkeys(r["answerer"] for r in rows):
        for kind in KINDS:
            sel = [r for r in rows if r["answerer"] == a and r["kind"] == kind]
            if not sel:
                continue
            if kind == "unanswerable":
                lines.append(f"| {'extractive' if a == 'none' else a} | {kind} | {len(sel)} | "
                             f"{rate(sum(r['verdict'] == 'abstained' for r in sel), len(sel))} | - | - | - |")
                continue
            c = {v: sum(r["verdict"] == v for r in sel) for v in ("right", "partly", "wrong", "abstained")}
            lines.append(f"| {'extractive' if a == 'none' else a} | {kind} | {len(sel)} | {rate(c['right'], len(sel))} | "
                         f"{c['partly']} | {c['wrong']} | {c['abstained']} |")
    return lines


def report(rows: list[dict], show: bool) -> None:
    if show:
        for r in rows:
            mark = {"right": "ok   ", "partly": "PART ", "wrong": "WRONG", "abstained": "ABST ",
                    "answered": "ANSW "}[r["verdict"]]
            if r["kind"] == "unanswerable":
                mark = "ok   " if r["verdict"] == "abstained" else "FALSE"
            print(f"{mark} [{r['answerer']}] {r['id']} {r['question']}\n      -> {r['answer'][:300]!r}")
        print()
    print("\n".join(table(rows)))
    groups = [("", rows)]
    holdout = [r for r in rows if r["split"] == "holdout"]
    if holdout and len(holdout) < len(rows):
        groups = [("tune + test", [r for r in rows if r["split"] != "holdout"]), ("holdout", holdout)]
    for name, sel in groups:
        print()
        if name:
            print(f"By kind, {name}:")
        print("\n".join(kind_table(sel)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, help="index of the whole BBC set (built from --data when missing)")
    parser.add_argument("--data", type=Path, default=BBC, help="the bbc_news folder")
    parser.add_argument("--llm", default="none", help="answerers, comma-separated: none (extractive), local, openai, auto")
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all",
                        help="all = tune + test (the holdout is asked only with --split holdout)")
    parser.add_argument("--kind", choices=KINDS, action="append", help="only these kinds (repeatable)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="the question file")
    parser.add_argument("--show", action="store_true", help="print every question's verdict and answer")
    parser.add_argument("--dump", type=Path, help="write one JSON line per question and answerer here")
    parser.add_argument("--resume", action="store_true",
                        help="append to --dump, skipping the questions it already answers for each answerer")
    parser.add_argument("--summarize", type=Path, nargs="+",
                        help="print the tables from earlier --dump files, scored against the current question file")
    args = parser.parse_args()
    if args.summarize:
        rows = [json.loads(line) for path in args.summarize for line in path.read_text().splitlines() if line]
        changed = rescore(rows, load_questions(args.questions), args.data)
        print(f"{len(rows)} answers from {', '.join(map(str, args.summarize))}, scored against {args.questions} "
              f"({changed} verdicts differ from the run's)")
        rows = [r for r in rows if in_split(r["split"], args.split) and (not args.kind or r["kind"] in args.kind)]
        report(rows, args.show)
        return 0
    if not args.data.is_dir():
        print(f"BBC News articles not found at {args.data}; skipping (see ../shared/bench-data/README.md)")
        return 0
    if args.index is None:
        parser.error("--index is required (a folder; built from --data when missing)")
    questions = [q for q in load_questions(args.questions)
                 if in_split(q["split"], args.split) and (not args.kind or q["kind"] in args.kind)]
    answerers = [a.strip() for a in args.llm.split(",") if a.strip()]
    if not args.index.exists():
        started = time.perf_counter()
        with QA(args.index, create=True, llm="none") as bot:
            bot.index([args.data])
        print(f"indexed {args.data} into {args.index} in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    rows: list[dict] = []
    done: set[tuple[str, str]] = set()
    if args.resume and args.dump and args.dump.exists():
        rows = [json.loads(line) for line in args.dump.read_text(encoding="utf-8").splitlines() if line.strip()]
        done = {(r["answerer"], r["id"]) for r in rows}
        rows = [r for r in rows if r["id"] in {q["id"] for q in questions} and r["answerer"] in answerers]
    out = args.dump.open("a" if args.resume else "w", encoding="utf-8") if args.dump else None
    texts: dict[str, str] = {}
    bots = {a: QA(args.index, llm=a) for a in answerers}
    try:
        for a, bot in bots.items():
            if a != "none":
                bot.preload_llm()
                if hasattr(bot.backend, "wait_warm"):
                    bot.backend.wait_warm()
        for i, q in enumerate(interleaved(questions), 1):
            for a, bot in bots.items():
                if (a, q["id"]) in done:
                    continue
                backend = bot.backend if a != "none" else None
                if backend is not None and hasattr(backend, "last_timings"):
                    backend.last_timings = {}
                started = time.perf_counter()
                answer = bot.ask(q["question"])
                seconds = time.perf_counter() - started
                row = dump_row(q, a, answer, score(q, answer, args.data, texts), seconds)
                timings = getattr(backend, "last_timings", None) or {}
                if timings.get("prompt_n") is not None:  # llama.cpp's counts: tokens prefilled beyond the cache
                    row["prefilled"], row["prefill_ms"] = timings["prompt_n"], round(timings.get("prompt_ms", 0))
                rows.append(row)
                if out:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                    out.flush()
            print(f"[{i}/{len(questions)}] {q['id']} " + " ".join(
                f"{r['answerer']}:{r['verdict']}" for r in rows if r["id"] == q["id"]), file=sys.stderr, flush=True)
    finally:
        for bot in bots.values():
            bot.close()
        if out:
            out.close()
    print(f"{len(questions)} questions ({args.split}), index {args.index}")
    report(rows, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
