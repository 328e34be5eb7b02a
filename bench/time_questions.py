"""Time in questions on a dated archive: PolNeAR's 2016 campaign articles with their publication dates.

Each question of bench/time_questions.json names a time ("this week", "yesterday", "on Monday", "last
month", "recently", "in August 2016") and is asked as of a day of the archive. Scored per split:
- right: the answer holds one of the expected phrases (a "none_in_range" question is right when the
  answer abstains and cites nothing: the index has no article in the asked days);
- gold: an answer cites a gold article;
- in range: of the answers citing anything, the share whose first (and whose every) cited article was
  published inside the asked days (recency questions: the recent span).

    nice -n 5 .venv/bin/python bench/time_questions.py --index /tmp/polnear-dated-index --llm none

The index is built from ../shared/bench-data/polnear (train + dev, 924 articles) when the folder does not
exist. Code without `as_of` (an older qa) is asked the same questions without it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))  # after PYTHONPATH: a run may point it at another checkout

from qa import QA  # noqa: E402

DEFAULT_DATA = next((p / "shared/bench-data/polnear" for p in HERE.parents if (p / "shared/bench-data/polnear").exists()),
                    HERE.parent.parent / "shared/bench-data/polnear")


def build(index: Path, data: Path) -> None:
    sys.path.insert(0, str(HERE))
    from speakers import load_articles

    articles = load_articles(data / "articles_train.jsonl") + load_articles(data / "articles_dev.jsonl")
    with QA(index, create=True) as bot:
        for start in range(0, len(articles), 100):
            bot.add_articles(articles[start:start + 100])


def ask(bot: QA, question: dict, k: int):
    try:
        return bot.ask(question["q"], k, as_of=question["as_of"])
    except TypeError:  # qa before as_of: the question as it is
        return bot.ask(question["q"], k)


def score(question: dict, answer) -> dict:
    text = answer.text.lower()
    dates = [c.passage.date for c in answer.citations]
    articles = [c.passage.article_id for c in answer.citations]
    first, last = question["range"]
    if question["kind"] == "none_in_range":
        right = answer.abstained and not answer.citations
    else:
        right = not answer.abstained and any(e.lower() in text for e in question["expect"])
    inside = [bool(d) and first <= d <= last for d in dates]
    return {"id": question["id"], "split": question["split"], "kind": question["kind"], "right": right,
            "abstained": answer.abstained, "gold": any(a in question["gold"] for a in articles),
            "cited": bool(dates), "first_in_range": bool(inside) and inside[0], "all_in_range": bool(inside) and all(inside),
            "dates": dates, "answer": answer.text}


def table(rows: list[dict]) -> str:
    lines = ["| split | questions | right | cites gold | answered with citations | first cited in range | all cited in range |",
             "|---|---|---|---|---|---|---|"]
    for split in ("tune", "test", "all"):
        part = [r for r in rows if split == "all" or r["split"] == split]
        cited = [r for r in part if r["cited"]]
        answerable = [r for r in part if r["kind"] != "none_in_range"]

        def share(xs, key):
            return f"{sum(r[key] for r in xs)}/{len(xs)}"

        lines.append(f"| {split} | {len(part)} | {share(part, 'right')} | {share(answerable, 'gold')} | {len(cited)} "
                     f"| {share(cited, 'first_in_range')} | {share(cited, 'all_in_range')} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="the dated PolNeAR index (built when missing)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the polnear folder")
    parser.add_argument("--questions", type=Path, default=HERE / "time_questions.json")
    parser.add_argument("--llm", default="none", help="none (extractive) or local")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--split", choices=("tune", "test", "all"), default="all", help="only these questions")
    parser.add_argument("--out", type=Path, default=None, help="write every answer and its scores here (JSON)")
    args = parser.parse_args()
    if not args.index.exists():
        if not (args.data / "articles_train.jsonl").exists():
            print(f"PolNeAR data not found at {args.data}; skipping (see ../shared/bench-data/README.md)")
            return 0
        build(args.index, args.data)
    questions = json.loads(args.questions.read_text(encoding="utf-8"))["questions"]
    questions = [q for q in questions if args.split in ("all", q["split"])]
    rows = []
    started = time.perf_counter()
    with QA(args.index, llm=args.llm) as bot:
        for question in questions:
            rows.append(score(question, ask(bot, question, args.k)))
    elapsed = time.perf_counter() - started
    print(table(rows))
    by_kind = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r["right"])
    print("right by kind: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_kind.items()))
    print(f"{len(rows)} questions in {elapsed:.0f} s")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
