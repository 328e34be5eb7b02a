"""Retrieval benchmark on SQuAD v1.1 dev (first 24 articles): does search find the gold paragraph?

Indexes the 1,048 paragraphs of the 24 articles (one qa Article per SQuAD article, paragraphs in
order; paragraphs over 1,000 characters split into parts as the file loader does) into a temporary
index, then for each of the 5,696 questions finds the rank of the gold paragraph (any of its parts)
in the top 10 of three searches: dense only (Store.dense_search), lexical only (Store.lexical_search,
FTS5 BM25 over the question's content terms) and fused (Retriever.search, the library's search).
Prints R@1, R@3, R@5, MRR@10 and queries/s per method. Questions are embedded in one batch; that
time is counted in the dense and fused queries/s.

With a Milvus index (`--index milvus`), also ranks with Milvus's own hybrid search (one
`hybrid_search` request over the dense field and the BM25 sparse field, fused on the server by
RRFRanker or WeightedRanker) to compare with qa's fusion in Python on the same index.

With --abstention, calibrates the extractive answerer's abstention: for ~500 sampled questions it
compares `SearchResult.best_support` searching the question's own article (answerable) versus another
article (not answerable), and prints both distributions, the accuracy of the current ABSTAIN_BELOW
and the threshold that maximises balanced accuracy.

    .venv/bin/python bench/retrieval.py                  # all questions (a few minutes on 2 cores)
    .venv/bin/python bench/retrieval.py --limit 500 --abstention

The data stays in ../shared/bench-data (outside the repo); exits 0 when it is absent. Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

from _common import percentiles  # noqa: E402 - first: puts the repository on sys.path

from qa import QA  # noqa: E402
from qa.answer.evidence import ABSTAIN_BELOW  # noqa: E402
from qa.ingest.documents import MAX_PARAGRAPH_CHARS, Article, Paragraph, _split_long  # noqa: E402
from qa.search.ranking import fts_query, query_terms  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared/bench-data/squad/squad-v1.1-dev-first24.json"
DEPTH = 10  # ranks beyond this count as misses


def squad_article(doc: dict) -> Article:
    """One SQuAD document as an article: its contexts are the paragraphs (numbered from 1; a long one
    split into parts as the loaders split long paragraphs)."""
    paragraphs = []
    for number, para in enumerate(doc["paragraphs"], start=1):
        text = para["context"].strip()
        chunks = _split_long(text) if len(text) > MAX_PARAGRAPH_CHARS else [text]
        parts = range(1, len(chunks) + 1) if len(chunks) > 1 else [0]
        paragraphs += [Paragraph(number, chunk, part=part) for part, chunk in zip(parts, chunks)]
    return Article(id=doc["title"], title=doc["title"].replace("_", " "), paragraphs=tuple(paragraphs))


def load_squad(path: Path) -> tuple[list[Article], list[tuple[str, str, int]]]:
    """Articles, and (question, article id, gold paragraph number) for every question."""
    docs = json.loads(path.read_text(encoding="utf-8"))["data"]
    questions = [(qa["question"], doc["title"], number) for doc in docs
                 for number, para in enumerate(doc["paragraphs"], start=1) for qa in para["qas"]]
    return [squad_article(doc) for doc in docs], questions


def rank_of(gold: tuple[str, int], found: list[tuple[str, int]]) -> int | None:
    return next((i for i, key in enumerate(found[:DEPTH], start=1) if key == gold), None)


def metrics(ranks: list[int | None]) -> list[float]:
    n = len(ranks)
    recall = [sum(r is not None and r <= k for r in ranks) / n for k in (1, 3, 5)]
    return [*recall, sum(1 / r for r in ranks if r) / n]


def paired(ranks: list[int | None], base: list[int | None], depth: int) -> str:
    """Questions whose gold paragraph is within `depth` for one method and not the other, with the
    two-sided sign test's p (is the difference more than chance on these questions?)."""
    won = sum(bool(r and r <= depth) and not (b and b <= depth) for r, b in zip(ranks, base))
    lost = sum(bool(b and b <= depth) and not (r and r <= depth) for r, b in zip(ranks, base))
    tail = sum(math.comb(won + lost, i) for i in range(min(won, lost) + 1)) / 2 ** (won + lost)
    return f"R@{depth} +{won} -{lost} questions (sign test p = {min(1.0, 2 * tail):.3f})"


def balanced_accuracy(own: list[float], other: list[float], threshold: float) -> tuple[float, float, float]:
    """(answered own-article questions, abstained other-article ones, their mean) at `threshold`."""
    answered = sum(s >= threshold for s in own) / len(own)
    abstained = sum(s < threshold for s in other) / len(other)
    return answered, abstained, (answered + abstained) / 2


def calibrate(bot: QA, questions, vectors, sample: int) -> None:
    rng = random.Random(1)
    ids = sorted({aid for _, aid, _ in questions})
    own, other = [], []
    for i in rng.sample(range(len(questions)), min(sample, len(questions))):
        question, aid, _ = questions[i]
        wrong = rng.choice([a for a in ids if a != aid])
        own.append(bot.retriever.search(question, 5, article=aid, query_vector=vectors[i]).best_support)
        other.append(bot.retriever.search(question, 5, article=wrong, query_vector=vectors[i]).best_support)
    print(f"\nAbstention calibration: best_support of top 5, {len(own)} questions, own vs another article")
    print("| search in | p5 | p10 | p25 | p50 | p75 | p90 | p95 |\n|---|---|---|---|---|---|---|---|")
    for name, values in (("own article", own), ("other article", other)):
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in percentiles(values)) + " |")
    scored = {t: balanced_accuracy(own, other, t)[2] for t in sorted(set(own + other))}
    top = max(scored.values())
    tied = [t for t, acc in scored.items() if acc == top]  # every threshold in [tied[0], tied[-1]] ties
    best = (tied[0] + tied[-1]) / 2
    print("\n| threshold | answers own | abstains other | balanced accuracy |\n|---|---|---|---|")
    for label, t in ((f"current ABSTAIN_BELOW = {ABSTAIN_BELOW}", ABSTAIN_BELOW),
                     (f"best = {best:.3f} (ties {tied[0]:.3f}-{tied[-1]:.3f})", best)):
        print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in balanced_accuracy(own, other, t)) + " |")


def server_rankers(store, vectors, key, depth: int) -> dict:
    """Searches ranked by Milvus itself: `hybrid_search` with a dense and a BM25 request of `depth`
    candidates each (as many as qa fuses), the question's terms stemmed as qa stems them for BM25.
    Left out: the visibility rule (a row counts when its token is its article's; in this fresh
    benchmark index every row is visible) and qa's phrase check for a term FTS5 splits in several
    words ("u.s"), which few questions have."""
    from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

    from qa.index.milvus_client import stem

    def search(ranker):
        def run(i: int, question: str) -> list[tuple[str, int]]:
            # every term, as qa's lexical_terms keeps on a corpus this small
            words = list(dict.fromkeys(t for p in stem(query_terms(question)) for t in p))
            reqs = [AnnSearchRequest([vectors[i].tolist()], "dense", {"metric_type": "IP"}, depth,
                                     filter="searchable == true")]
            if words:  # a question with no content word gets the dense ranking alone, as in qa
                reqs.append(AnnSearchRequest([" ".join(words)], "sparse", {"metric_type": "BM25"}, depth,
                                             filter="searchable == true"))
            hits = store.client.hybrid_search(store._name("paragraphs"), reqs, ranker, limit=DEPTH)[0]
            return [key[int(h["id"])] for h in hits]
        return run

    return {"Milvus RRFRanker(60)": search(RRFRanker(60)),
            "Milvus RRFRanker(10)": search(RRFRanker(10)),
            "Milvus WeightedRanker(0.5, 1)": search(WeightedRanker(0.5, 1.0, norm_score=True))}


def _address(index: str | None, tmp: str) -> str:
    """Where the benchmark index goes: a temporary local folder, or a Milvus one (`milvus`: Milvus Lite in tmp)."""
    if index == "milvus":
        return f"milvus:{tmp}/bench.db"
    return index or tmp


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="the SQuAD JSON file")
    parser.add_argument("--limit", type=int, help="use only N questions (a fixed-seed sample)")
    parser.add_argument("--abstention", action="store_true", help="also calibrate the abstention threshold")
    parser.add_argument("--sample", type=int, default=500, help="questions for --abstention")
    parser.add_argument("--index", help="build the index here, e.g. milvus:/tmp/squad.db (default: a temporary "
                                        "folder; a Milvus Lite file is made inside it with --index milvus)")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"no benchmark data at {args.data}; nothing to measure")
        return 0

    articles, questions = load_squad(args.data)
    if args.limit:
        questions = random.Random(0).sample(questions, min(args.limit, len(questions)))
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp, \
            QA(_address(args.index, tmp), create=True) as bot:
        start = time.perf_counter()
        bot.add_articles(articles)
        index_s = time.perf_counter() - start
        store, retriever = bot.store, bot.retriever
        key = {p.id: (p.article_id, p.paragraph) for a in articles for p in store.article_passages(a.id)}
        gold = [(aid, number) for _, aid, number in questions]

        start = time.perf_counter()
        vectors = bot.embedder.encode([q for q, _, _ in questions])
        encode_s = time.perf_counter() - start
        searches = {
            "dense": lambda i, q: [key[pid] for pid, _ in store.dense_search(vectors[i], DEPTH)],
            "lexical": lambda i, q: [key[pid] for pid, _ in store.lexical_search(fts_query(query_terms(q)), DEPTH)],
            "fused": lambda i, q: [(p.article_id, p.paragraph)
                                   for p in retriever.search(q, DEPTH, query_vector=vectors[i]).passages],
        }
        if args.index and args.index.startswith("milvus"):
            searches |= server_rankers(store, vectors, key, retriever.candidates)
        rows, found = [], {}
        for name, search in searches.items():
            start = time.perf_counter()
            ranks = found[name] = [rank_of(gold[i], search(i, q)) for i, (q, _, _) in enumerate(questions)]
            seconds = time.perf_counter() - start + (encode_s if name != "lexical" else 0.0)
            rows.append((name, *metrics(ranks), len(questions) / seconds))

        n_paragraphs = len({key[pid] for pid in key})
        print(f"SQuAD v1.1 dev, first {len(articles)} articles: {n_paragraphs:,} paragraphs "
              f"({len(key):,} passages) indexed in {index_s:.1f}s; {len(questions):,} questions embedded "
              f"in {encode_s:.1f}s ({len(questions) / encode_s:.0f}/s)")
        print("\n| method | R@1 | R@3 | R@5 | MRR@10 | queries/s |\n|---|---|---|---|---|---|")
        for name, r1, r3, r5, mrr, qps in rows:
            print(f"| {name} | {r1:.3f} | {r3:.3f} | {r5:.3f} | {mrr:.3f} | {qps:.0f} |")
        for name in [n for n in found if n.startswith("Milvus")]:
            print(f"{name} against fused: " + "; ".join(paired(found[name], found["fused"], d) for d in (1, 5)))
        if args.abstention:
            calibrate(bot, questions, vectors, args.sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
