"""Retrieval recall of list questions on the whole BBC archive: of the articles that answer a question
asking for a list (its gold articles in bench/archive_answers_questions.json), how many reach the passages
the answerers read.

    .venv/bin/python bench/list_recall.py --index INDEX [--split tune|test|all]

"before" reads the question's own top 10 passages (how list questions were searched until 2026-12-06);
"after" reads what `QA.ask` reads for a list question now: 40 passages, at most 2 of one article, of the
question and of its core ("actors died dead death dies"), narrowed to those stating the predicate. Also
the median seconds of the search. Exits 0 when the bench data is absent. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive_answers import article_id, load_questions  # noqa: E402

from qa import QA  # noqa: E402
from qa.answer.answerability import LIST_PASSAGES, LIST_PER_ARTICLE  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--split", default="tune", choices=("tune", "test", "all"))
    args = parser.parse_args()
    if not Path(args.index).exists():
        print(f"no index at {args.index}; nothing measured")
        return 0
    questions = [q for q in load_questions() if q["kind"] == "list" and args.split in ("all", q["split"])]
    print("| question | gold articles | before (top 10) | after (list search) | after, s |")
    print("|---|---|---|---|---|")
    totals = [0, 0, 0]
    seconds = []
    with QA(args.index, llm="none") as bot:
        bot.search("warm up", 5)
        for q in questions:
            gold = {article_id(name) for name in q["gold"]}
            before = {p.article_id for p in bot.search(q["question"], 10).passages} & gold
            start = time.perf_counter()
            result = bot.list_search(q["question"], LIST_PASSAGES)
            seconds.append(time.perf_counter() - start)
            after = {p.article_id for p in result.passages} & gold
            totals = [totals[0] + len(gold), totals[1] + len(before), totals[2] + len(after)]
            print(f"| {q['id']} | {len(gold)} | {len(before)} | {len(after)} | {seconds[-1]:.2f} |")
    print(f"| all ({len(questions)}) | {totals[0]} | {totals[1]} ({totals[1] / totals[0]:.2f}) | "
          f"{totals[2]} ({totals[2] / totals[0]:.2f}) | median {statistics.median(seconds):.2f} |")
    print(f"passages per list question: {LIST_PASSAGES}, at most {LIST_PER_ARTICLE} of one article")
    return 0


if __name__ == "__main__":
    sys.exit(main())
