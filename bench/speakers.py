"""Who-said-what benchmark on PolNeAR: speaker-aware retrieval and speaker attribution quality.

Builds a temporary index of the split's articles through the library (one qa Article per PolNeAR
article; PolNeAR paragraph `pid` becomes paragraph number pid + 1, over-long paragraphs split into
parts as the file loader does, any part counting as the paragraph). Then, for every `who_said`
question searched within its own article:

- R@1: the top passage is a gold paragraph;
- full recall: every gold paragraph is within the top |gold| + 2;

for BM25 (FTS5 over the question's content terms), dense (FAISS), fused (reciprocal rank fusion of
the two, the library's hybrid search) and speaker-aware (Retriever.search, which puts the speaker's
attributed paragraphs first). A last row is a ceiling, not a method: the same speaker candidates
(the paragraphs attributed to or naming the speaker) with the gold ones put first, then the hybrid
results, i.e. what a perfect ranker of those candidates would score.

`--audit FILE` (bench/speaker_audit_dev.tsv) tallies the speaker-aware R@1 misses by the verdicts a
reader gave them (see that file's header), and R@1 as that reader judges it.

Attribution quality against `attributions_{split}.jsonl`, per (paragraph, source) pair:
- recall: of the human attributions whose source is named (has a capitalised word, not a pronoun),
  the share whose gold paragraph has one of our speakers sharing a capitalised word with that source;
- precision: of our (paragraph, speaker) pairs, the share where the human annotation attributes
  something in that paragraph to a source sharing a content word with our speaker's names and
  descriptors, or (for our pronoun-resolved statements) to a pronoun.

    .venv/bin/python bench/speakers.py                 # dev split
    .venv/bin/python bench/speakers.py --split train   # the split to tune rules on
    .venv/bin/python bench/speakers.py --split train --embed-cache /tmp/polnear.npz   # fast re-runs

`--embed-cache` memoises the encoder's vectors by text in a file outside the repo: re-runs after an
attribution or ranking change re-embed nothing and give the same numbers as without it.

The data stays in ../shared/bench-data (outside the repo); exits 0 when it is absent. Not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np

import _common  # noqa: E402,F401 - first: puts the repository on sys.path

from qa import QA  # noqa: E402
from qa.ingest.attribution import attribute  # noqa: E402
from qa.ingest.embeddings import Embedder  # noqa: E402
from qa.ingest.documents import MAX_PARAGRAPH_CHARS, Article, Paragraph, _split_long  # noqa: E402
from qa.search.ranking import fts_query, fuse, query_terms  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared/bench-data/polnear"
PRONOUNS = {"he", "she", "they", "it", "we", "i", "you", "him", "her", "them", "his", "their", "its"}
STOP = {"the", "a", "an", "of", "and", "in", "on", "at", "for", "to", "from", "with", "mr", "mrs", "ms", "dr", "s"}


def load_articles(path: Path) -> list[Article]:
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        paragraphs = []
        for para in record["paragraphs"]:
            text = para["text"].strip()
            if not text:
                continue
            chunks = _split_long(text) if len(text) > MAX_PARAGRAPH_CHARS else [text]
            parts = range(1, len(chunks) + 1) if len(chunks) > 1 else [0]
            paragraphs += [Paragraph(para["pid"] + 1, chunk, part=part) for part, chunk in zip(parts, chunks)]
        articles.append(Article(id=record["article_id"], title=record["title"], paragraphs=tuple(paragraphs),
                                source=record.get("publisher"), date=record.get("date")))
    return articles


class CachedEmbedder:
    """The library's embedder with its vectors memoised by text (saved to `path` by `save`); documents
    (the int8 encoder when there is one) and queries are kept apart, as the library encodes them."""

    def __init__(self, path: Path):
        self.inner = Embedder()
        self.name, self.dimension, self.backend = self.inner.name, self.inner.dimension, self.inner.backend
        self.path = path
        self.cache: dict[str, np.ndarray] = {}  # "d:" or "q:" + text
        self.added = 0
        if path.exists():
            data = np.load(path, allow_pickle=False)
            if str(data["model"]) == self.name:
                self.cache = dict(zip(data["texts"].tolist(), data["vectors"]))

    def _cached(self, kind: str, texts, encode, progress=None) -> np.ndarray:
        keys = [kind + t for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if missing:
            self.cache.update(zip(missing, encode([k[len(kind):] for k in missing])))
            self.added += len(missing)
        if progress:
            progress(len(texts))
        if not keys:
            return np.zeros((0, self.dimension), dtype="float32")
        return np.stack([self.cache[k] for k in keys]).astype("float32")

    def encode(self, texts, progress=None) -> np.ndarray:
        return self._cached("q:", texts, self.inner.encode, progress)

    def encode_documents(self, texts, progress=None) -> np.ndarray:
        return self._cached("d:", texts, self.inner.encode_documents, progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def save(self) -> None:
        if self.added:
            texts = list(self.cache)
            np.savez(self.path, model=self.name, texts=np.array(texts),
                     vectors=np.stack([self.cache[t] for t in texts]))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W_]+", text.lower()) if w not in STOP}


def _capitalised(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\b[A-Z][\w'’-]*", text)} - STOP - PRONOUNS


def attribution_scores(articles: list[Article], gold_path: Path) -> dict:
    gold: dict[tuple[str, int], list[str]] = {}
    kept = {article.id for article in articles}
    for line in gold_path.read_text(encoding="utf-8").splitlines():
        a = json.loads(line)
        if a["article_id"] not in kept:
            continue
        for pid in a["gold_paragraph_ids"]:
            gold.setdefault((a["article_id"], pid + 1), []).append(a.get("source") or "")
    ours: dict[tuple[str, int], list[tuple[set[str], set[str], bool]]] = {}
    for article in articles:
        result = attribute(article)
        by_name = {s.name: s for s in result.speakers}
        for st in result.statements:
            sp = by_name[st.speaker]
            names = " ".join((sp.name, *sp.aliases))
            described = _words(" ".join((names, *sp.descriptors)))
            key = (article.id, article.paragraphs[st.position].number)
            entry = (_capitalised(names) | {w for w in _words(names) if w[:1].isupper()}, described,
                     st.reference == "pronoun")
            if entry not in ours.setdefault(key, []):
                ours[key].append(entry)
    # recall over named human sources
    named = [(key, src) for key, sources in gold.items() for src in sources if _capitalised(src)]
    hit = sum(1 for key, src in named if any(_capitalised(src) & (caps | described)
                                              for caps, described, _ in ours.get(key, [])))
    pairs = [(key, o) for key, found in ours.items() for o in found]
    correct = 0
    for key, (caps, described, pronoun) in pairs:
        sources = gold.get(key, [])
        if any(_words(src) & described for src in sources) or (
                pronoun and any(_words(src) <= PRONOUNS and _words(src) for src in sources)):
            correct += 1
    return {"precision": correct / max(len(pairs), 1), "recall": hit / max(len(named), 1),
            "pairs": len(pairs), "named_gold": len(named)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the polnear folder")
    parser.add_argument("--split", default="dev", choices=["dev", "train"])
    parser.add_argument("--full-names", action="store_true", help="ask question_full instead of question")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--articles", type=int, default=None, help="only the first N articles (and their questions)")
    parser.add_argument("--misses", action="store_true", help="print the speaker-aware misses")
    parser.add_argument("--audit", type=Path, default=None,
                        help="tally the R@1 misses by the verdicts in this file (bench/speaker_audit_dev.tsv)")
    parser.add_argument("--embed-cache", type=Path, default=None,
                        help="memoise the encoder's vectors in this .npz file (outside the repo)")
    parser.add_argument("--index", default=None,
                        help="build the index here, e.g. milvus:/tmp/polnear.db, or `milvus` for a Milvus Lite "
                             "file in a temporary folder (default: a temporary local index)")
    args = parser.parse_args()
    articles_file = args.data / f"articles_{args.split}.jsonl"
    if not articles_file.exists():
        print(f"PolNeAR data not found at {args.data}; skipping (see ../shared/bench-data/README.md)")
        return 0
    articles = load_articles(articles_file)
    questions = [json.loads(line) for line in
                 (args.data / f"who_said_{args.split}.jsonl").read_text(encoding="utf-8").splitlines()]
    if args.articles:
        articles = articles[: args.articles]
        kept = {a.id for a in articles}
        questions = [q for q in questions if q["article_id"] in kept]
    questions = questions[: args.limit] if args.limit else questions

    started = time.perf_counter()
    scores = attribution_scores(articles, args.data / f"attributions_{args.split}.jsonl")
    attribution_time = time.perf_counter() - started

    methods = ("BM25", "dense", "fused", "speaker-aware", CEILING)
    r1 = dict.fromkeys(methods, 0)
    full = dict.fromkeys(methods, 0)
    misses, r1_misses = [], []
    with tempfile.TemporaryDirectory() as tmp, QA(
            f"milvus:{tmp}/bench.db" if args.index == "milvus" else args.index or Path(tmp) / "index",
            create=True) as bot:
        if args.embed_cache:
            bot._embedder = CachedEmbedder(args.embed_cache)
        started = time.perf_counter()
        bot.add_articles(articles)
        index_time = time.perf_counter() - started
        store, retriever = bot.store, bot.retriever
        for q in questions:
            text = q["question_full"] if args.full_names else q["question"]
            gold = {pid + 1 for pid in q["gold_paragraph_ids"]}
            depth = len(gold) + 2
            allowed = store.filtered_ids([q["article_id"]], None, None)
            terms = query_terms(text)
            vector = bot.embedder.encode_query(text)
            lexical = [pid for pid, _ in store.lexical_search(fts_query(terms), 100, allowed)]
            dense = [pid for pid, _ in store.dense_search(vector, 100, allowed)]
            rankings = {"BM25": lexical, "dense": dense, "fused": [pid for pid, _ in fuse([dense, lexical])]}
            result = retriever.search(text, depth, article=q["article_id"])
            rankings["speaker-aware"] = [p.id for p in result.passages]
            rankings[CEILING] = ceiling_ranking(bot, text, q["article_id"], gold, allowed)
            numbers = {pid: p.paragraph for pid, p in store.passages({i for r in rankings.values() for i in r}).items()}
            for method in methods:
                found = []
                for pid in rankings[method]:  # parts of one paragraph count once
                    if numbers[pid] not in found:
                        found.append(numbers[pid])
                found = found[:depth]
                r1[method] += bool(found) and found[0] in gold
                ok = gold <= set(found)
                full[method] += ok
                if method == "speaker-aware" and not (found and found[0] in gold):
                    r1_misses.append(q["qid"])
                if method == "speaker-aware" and not (ok and found and found[0] in gold):
                    misses.append((q["qid"], text, sorted(gold), found,
                                   [s.name for s in result.speaker.speakers] if result.speaker else None))
        if args.embed_cache:
            bot.embedder.save()
    n = len(questions)
    print(f"PolNeAR {args.split}: {len(articles)} articles, {n} who-said questions "
          f"({'full names' if args.full_names else 'names as asked'}); index built in {index_time:.0f}s")
    print()
    print("| method | R@1 | full recall (all gold in top |gold|+2) |")
    print("|---|---|---|")
    for method in methods:
        print(f"| {method} | {r1[method] / n:.3f} | {full[method] / n:.3f} |")
    print()
    print(f"Attribution (named sources, paragraph level): precision {scores['precision']:.3f} "
          f"({scores['pairs']} speaker-paragraph pairs), recall {scores['recall']:.3f} "
          f"({scores['named_gold']} human attributions); {attribution_time:.1f}s for {len(articles)} articles")
    if args.audit:
        print()
        print(audit_report(args.audit, r1_misses, r1["speaker-aware"], n))
    if args.misses:
        for miss in misses:
            print(*miss, sep=" | ")
    return 0


CEILING = "ceiling: the speaker's candidates, gold first"


def speaker_candidates(bot: QA, question: str, article_id: str, allowed: set[int] | None):
    """What Retriever.search ranks for a who-said question within one article: the hybrid results, and
    (None when the question names no speaker) the speaker candidates' features and passages."""
    store, retriever = bot.store, bot.retriever
    terms = query_terms(question)
    fused, _ = retriever.hybrid(question, terms, store.term_document_frequency(terms),
                                bot.embedder.encode_query(question), retriever.candidates, allowed)
    match = retriever.speakers.match(question, [article_id])
    if match is None:
        return fused, None
    _, features, passages = retriever.speakers.candidates(match, fused, allowed)
    return fused, (features, passages)


def ceiling_ranking(bot: QA, question: str, article_id: str, gold: set[int], allowed: set[int]) -> list[int]:
    """Passage ids as a perfect ranker of the speaker candidates would order them: the gold candidates,
    the other candidates, then the hybrid results (the hybrid results alone when the question names
    no speaker)."""
    fused, found = speaker_candidates(bot, question, article_id, allowed)
    candidates: list[int] = []
    if found is not None:
        features, passages = found
        candidates = sorted(features, key=lambda pid: passages[pid].paragraph not in gold)  # stable
    taken = set(candidates)
    return [*candidates, *(pid for pid, _ in fused if pid not in taken)]


def audit_report(path: Path, r1_misses: list[str], hits: int, n: int) -> str:
    """The R@1 misses tallied by a reader's verdicts (A: the name is no source, B: our top paragraph is
    the source's statement the gold leaves out, C: neither is a statement, D: a real miss)."""
    verdicts = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and not line.startswith("qid\t"):
            qid, verdict = line.split("\t")[:2]
            verdicts[qid] = verdict
    counts = {v: 0 for v in "ABCD"}
    unread = 0
    for qid in r1_misses:
        if qid in verdicts:
            counts[verdicts[qid]] += 1
        else:
            unread += 1
    lines = [f"Audit ({path.name}): {len(r1_misses)} R@1 misses: " +
             ", ".join(f"{v} {c}" for v, c in counts.items()) + f", not audited {unread}"]
    sources = n - counts["A"]
    lines.append(f"R@1 as the reader judges it, over the {sources} questions that name a source: "
                 f"{(hits + counts['B']) / max(sources, 1):.3f} (misses not audited count as misses)")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
