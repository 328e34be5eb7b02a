"""Who said what about what, across an archive: "What did <full name> say about <topic>?" on PolNeAR.

All articles of a split are indexed together and every question is searched with no article filter,
as a journalist asks an archive. Questions come from PolNeAR's human attributions: for each named
source of `who_said_{split}.jsonl` that is person-like (its full name, `question_full`) and each of that source's
attributed statements, the topic is the statement's two longest content words (4+ letters, not the
source's own name, first occurrence breaking ties; `--words rarest`: its two rarest in the split, which
favours keyword search); gold = the paragraphs of that statement (a hit is
the gold article and paragraph, any part). A question whose words several statements give (the same
quote in two outlets, a speaker repeating a phrase) is asked once, and each of those statements' paragraphs
is a right answer.

Rows: BM25 (SQLite FTS5 over every paragraph, the question's content terms), hybrid (the library's
fusion of dense and BM25, no speaker handling) and qa (`Retriever.search`, speaker-aware).

    .venv/bin/python bench/archive_speakers.py                        # dev split
    .venv/bin/python bench/archive_speakers.py --split train --embed-cache /tmp/polnear-train.npz

The data stays in ../shared/bench-data (outside the repo); exits 0 when it is absent. Not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import _common  # noqa: E402,F401 - first: puts the repository on sys.path

from speakers import CachedEmbedder, load_articles  # noqa: E402

from qa import QA  # noqa: E402
from qa.search.ranking import STOPWORDS, fts_query, query_terms  # noqa: E402

# ../shared/bench-data beside the repo (or beside the folder of a git worktree of it)
DEFAULT_DATA = next((p / "shared/bench-data/polnear" for p in Path(__file__).resolve().parents[1:4]
                     if (p / "shared/bench-data/polnear").exists()),
                    Path(__file__).resolve().parents[1].parent / "shared/bench-data/polnear")
DEPTHS = (1, 5, 10)
_WORD = re.compile(r"[A-Za-z][a-z]+(?:-[a-z]+)*")


def topic_words(content: str, name: str, count: int = 2, frequency: dict[str, int] | None = None) -> list[str]:
    """The statement's `count` longest content words (lowercase, 4+ letters, not part of the name), or with
    `frequency` (paragraphs holding each word) its rarest ones; first occurrence breaks ties."""
    own = {w.lower() for w in re.findall(r"[\w'’-]+", name)}
    seen: dict[str, int] = {}
    for i, word in enumerate(_WORD.findall(content)):
        w = word.lower()
        if len(w) >= 4 and w not in STOPWORDS and w not in own and w not in seen:
            seen[w] = i
    if frequency is not None:
        return sorted(seen, key=lambda w: (frequency.get(w, 0), seen[w]))[:count]
    return sorted(seen, key=lambda w: (-len(w), seen[w]))[:count]


def word_frequency(articles) -> dict[str, int]:
    """How many paragraphs of the split hold each lowercase word."""
    out: dict[str, int] = {}
    for article in articles:
        for paragraph in article.paragraphs:
            for w in {w.lower() for w in _WORD.findall(paragraph.text)}:
                out[w] = out.get(w, 0) + 1
    return out


def build_questions(data: Path, split: str, frequency: dict[str, int] | None = None) -> list[dict]:
    attributions = {}
    for line in (data / f"attributions_{split}.jsonl").read_text(encoding="utf-8").splitlines():
        a = json.loads(line)
        attributions[a["id"]] = a
    questions: dict[str, dict] = {}
    for line in (data / f"who_said_{split}.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if not q["person_like"]:
            continue  # "What did Britain say?": capitalisation picked a few names that are no source
        name = re.sub(r"^What did (.*) say\?$", r"\1", q["question_full"])
        for aid in q["attribution_ids"]:
            a = attributions.get(aid)
            if a is None or not a["gold_paragraph_ids"]:
                continue
            words = topic_words(a["content"], name, frequency=frequency)
            if len(words) < 2:
                continue
            text = f"What did {name} say about {' '.join(words)}?"
            question = questions.setdefault(text, {"article_id": q["article_id"], "name": name, "question": text,
                                                   "gold": set()})
            question["gold"] |= {(q["article_id"], pid + 1) for pid in a["gold_paragraph_ids"]}
    return list(questions.values())


def first_hit(found: list[tuple[str, int]], gold: set[tuple[str, int]]) -> int | None:
    """The rank (0-based) of the first gold paragraph among distinct (article, paragraph) results."""
    distinct: list[tuple[str, int]] = []
    for key in found:
        if key not in distinct:
            distinct.append(key)
    for rank, (aid, number) in enumerate(distinct):
        if (aid, number) in gold:
            return rank
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the polnear folder")
    parser.add_argument("--split", default="dev", choices=["dev", "train"])
    parser.add_argument("--words", default="longest", choices=["longest", "rarest"],
                        help="the topic: the statement's two longest words, or its two rarest in the split")
    parser.add_argument("--limit", type=int, default=None, help="only every Nth question so that at most this many")
    parser.add_argument("--misses", action="store_true", help="print qa's R@1 misses")
    parser.add_argument("--embed-cache", type=Path, default=None,
                        help="memoise the encoder's vectors in this .npz file (outside the repo)")
    args = parser.parse_args()
    if not (args.data / f"articles_{args.split}.jsonl").exists():
        print(f"PolNeAR data not found at {args.data}; skipping (see ../shared/bench-data/README.md)")
        return 0
    articles = load_articles(args.data / f"articles_{args.split}.jsonl")
    questions = build_questions(args.data, args.split,
                                word_frequency(articles) if args.words == "rarest" else None)
    if args.limit and len(questions) > args.limit:
        step = len(questions) / args.limit
        questions = [questions[int(i * step)] for i in range(args.limit)]

    methods = ("BM25", "hybrid", "qa")
    hits = {m: dict.fromkeys(DEPTHS, 0) for m in methods}
    misses = []
    with tempfile.TemporaryDirectory() as tmp, QA(Path(tmp) / "index", create=True) as bot:
        if args.embed_cache:
            bot._embedder = CachedEmbedder(args.embed_cache)
        started = time.perf_counter()
        bot.add_articles(articles)
        index_time = time.perf_counter() - started
        store, retriever = bot.store, bot.retriever
        depth = max(DEPTHS)
        search_time = 0.0
        for q in questions:
            terms = query_terms(q["question"])
            lexical = [pid for pid, _ in store.lexical_search(fts_query(terms), depth * 3, None)]
            fused, _ = retriever.hybrid(q["question"], terms, store.term_document_frequency(terms), None,
                                        retriever.candidates, None)
            started = time.perf_counter()
            result = retriever.search(q["question"], depth)
            search_time += time.perf_counter() - started
            rankings = {"BM25": lexical, "hybrid": [pid for pid, _ in fused][: depth * 3],
                        "qa": [p.id for p in result.passages]}
            passages = store.passages({pid for r in rankings.values() for pid in r})
            for method, ranking in rankings.items():
                found = [(passages[pid].article_id, passages[pid].paragraph) for pid in ranking if pid in passages]
                rank = first_hit(found, q["gold"])
                for k in DEPTHS:
                    hits[method][k] += rank is not None and rank < k
                if method == "qa" and rank != 0:
                    misses.append((q["question"], q["article_id"], sorted(q["gold"]), found[:3], rank))
        if args.embed_cache:
            bot.embedder.save()
    n = len(questions)
    print(f"PolNeAR {args.split}: {len(articles)} articles indexed together, {n} questions "
          f"\"What did <full name> say about <two {args.words} words>?\", no article filter; index built in {index_time:.0f}s, "
          f"qa search {1000 * search_time / max(n, 1):.0f} ms a question")
    print()
    print("| search | " + " | ".join(f"R@{k}" for k in DEPTHS) + " |")
    print("|---|" + "---|" * len(DEPTHS))
    for method in methods:
        print(f"| {method} | " + " | ".join(f"{hits[method][k] / max(n, 1):.3f}" for k in DEPTHS) + " |")
    if args.misses:
        print()
        for miss in misses:
            print(*miss, sep=" | ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
