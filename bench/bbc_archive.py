"""Hand-written archive questions on the BBC politics articles: who said what about what, name variants,
"how did X react", and questions naming no one (bench/bbc_archive_questions.json: questions and gold
paragraphs by file name and number, no article text).

All 417 articles of bench-data/bbc_news/politics are indexed together (into `--index`, reused when it
exists: `qa index` skips unchanged files and re-derives speakers when the attribution rules changed), and
every question is searched with no article filter. A question scores when a gold paragraph is first (R@1),
or among the first 5. Rows: BM25 (SQLite FTS5 over every paragraph, the question's content terms) and qa
(`QA.search`).

    .venv/bin/python bench/bbc_archive.py --index /tmp/bbc-politics-index
    .venv/bin/python bench/bbc_archive.py --index /tmp/bbc-politics-index --show   # each question's top 3

The data stays in ../shared/bench-data (outside the repo); exits 0 when it is absent. Not a test
(tests/test_bbc_archive.py runs the same questions when the data and an index are there).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import _common  # noqa: E402,F401 - first: puts the repository on sys.path

from qa import QA  # noqa: E402
from qa.search.ranking import fts_query, query_terms  # noqa: E402

QUESTIONS = Path(__file__).with_name("bbc_archive_questions.json")
DEFAULT_DATA = next((p / "shared/bench-data/bbc_news/politics" for p in Path(__file__).resolve().parents[1:4]
                     if (p / "shared/bench-data/bbc_news/politics").exists()),
                    Path(__file__).resolve().parents[1].parent / "shared/bench-data/bbc_news/politics")


def load_questions() -> list[dict]:
    return json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]


def gold_keys(question: dict) -> set[tuple[str, int]]:
    """(article id, paragraph number) pairs; the indexer names a file's article by its stem."""
    return {(Path(name).stem, number) for name, numbers in question["gold"].items() for number in numbers}


def ranked(bot: QA, question: str, k: int = 5) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(qa's, BM25's) distinct (article, paragraph) results, best first."""
    result = bot.search(question, k)
    qa_keys = list(dict.fromkeys((p.article_id, p.paragraph) for p in result.passages))
    lexical = bot.store.lexical_search(fts_query(query_terms(question)), k * 3)
    passages = bot.store.passages([pid for pid, _ in lexical])
    bm25 = list(dict.fromkeys((passages[pid].article_id, passages[pid].paragraph) for pid, _ in lexical
                              if pid in passages))
    return qa_keys[:k], bm25[:k]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the bbc_news/politics folder")
    parser.add_argument("--index", type=Path, required=True, help="index folder (built here when missing)")
    parser.add_argument("--show", action="store_true", help="print each question's top 3")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"BBC politics articles not found at {args.data}; skipping (see ../shared/bench-data/README.md)")
        return 0
    questions = load_questions()
    with QA(args.index, create=True) as bot:
        started = time.perf_counter()
        bot.index([args.data])
        index_time = time.perf_counter() - started
        total_articles = len(bot.articles())
        kinds: dict[str, list[int]] = {}
        totals = {"qa": [0, 0], "BM25": [0, 0]}
        for q in questions:
            gold = gold_keys(q)
            qa_keys, bm25 = ranked(bot, q["question"])
            for method, found in (("qa", qa_keys), ("BM25", bm25)):
                totals[method][0] += bool(found) and found[0] in gold
                totals[method][1] += bool(gold & set(found))
            tally = kinds.setdefault(q["kind"], [0, 0])
            tally[0] += bool(qa_keys) and qa_keys[0] in gold
            tally[1] += 1
            if args.show or not (qa_keys and qa_keys[0] in gold):
                mark = "ok  " if qa_keys and qa_keys[0] in gold else "MISS"
                print(f"{mark} {q['question']} -> " + ", ".join(f"{a} ¶{n}" for a, n in qa_keys[:3]))
    n = len(questions)
    print()
    print(f"BBC politics: {total_articles} articles indexed together ({index_time:.0f}s to bring the index "
          f"up to date), {n} hand-written questions, no article filter")
    print()
    print("| search | gold first | gold in top 5 |")
    print("|---|---|---|")
    for method in ("BM25", "qa"):
        first, five = totals[method]
        print(f"| {method} | {first}/{n} ({first / n:.3f}) | {five}/{n} ({five / n:.3f}) |")
    print()
    print("| kind | qa: gold first |")
    print("|---|---|")
    for kind, (first, count) in kinds.items():
        print(f"| {kind} | {first}/{count} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
