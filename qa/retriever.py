"""Hybrid retrieval: FAISS dense search and FTS5 BM25, fused by reciprocal rank, with filters.

Also measures how well the best passages actually support the question (cosine and rare-term
coverage), which is what the answerers use to abstain instead of guessing. Questions about what someone
said are ranked by qa.speaker_search, from this module's hybrid ranking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np

from .dates import question_dates
from .embeddings import Embedder, cores
from .errors import QAError
from .records import Passage, StatementRecord
from .speakers import SpeakerMatch
from .store import Store

# Words that carry no topic in a question; the "say" family is covered by speaker handling.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can could did didn't do does doesn't doing don't down during each few
    for from further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours ourselves
    out over own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who whom
    whose why will with would you your yours yourself yourselves tell told say says said saying think
    thinks thought happen happened happens according anything something whats there's many much""".split()
) | frozenset("article articles story stories passage passages excerpt excerpts".split())  # the archive itself, not a topic
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# Reciprocal rank fusion of (dense, lexical). MiniLM alone is clearly weaker than BM25 on news-like
# text, so its ranks count half, and k=10 lets the top ranks dominate. On SQuAD (bench/retrieval.py)
# this lifts fused R@1 from 0.734 (equal weights, k=60) to 0.768, R@5 to 0.946 (best of the three), MRR 0.846.
RRF_K = 10
FUSION_WEIGHTS = (0.5, 1.0)
# Postings BM25 may score per query: ~20 ms of FTS5 work on this machine (bench/scale.py).
LEXICAL_POSTINGS_BUDGET = 20_000
# A third ranking joins the fusion when the question names a date ("what happened in August?"): the
# paragraphs whose resolved dates (qa.dates) match it, weighted as much as BM25.
DATE_WEIGHT = 1.0
T = TypeVar("T")


def query_terms(question: str) -> list[str]:
    """Content words of a question, lowercased, in order, without duplicates."""
    seen: dict[str, None] = {}
    for word in _WORD_RE.findall(question.lower()):
        word = word.replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        if word not in STOPWORDS and len(word) > 1 or word.isdigit():
            seen.setdefault(word, None)
    return list(seen)


def title_terms(terms: list[str], title: str | None) -> set[str]:
    """The question terms an article's headline contains (a word equal to the term, or sharing its stem:
    its first letters but the last two, at least four), for evidence coverage."""
    if not title or not terms:
        return set()
    words = [w.replace("’", "'").removesuffix("'s") for w in _WORD_RE.findall(title.lower())]
    return {t for t in terms
            if any(w == t or (len(t) >= 5 and w.startswith(t[: max(4, len(t) - 2)])) for w in words)}


def lexical_terms(terms: list[str], frequency: dict[str, int], budget: int = LEXICAL_POSTINGS_BUDGET) -> list[str]:
    """The question's terms for BM25, rarest first, as long as their postings fit in `budget`.

    FTS5 scores every paragraph matching any term (~1 µs each), so on a million paragraphs a common
    word would cost tens of milliseconds while adding little: its IDF is low. The rarest term is
    always kept. Small corpora (total postings under the budget) keep every term."""
    kept, total = [], 0
    for term in sorted(terms, key=lambda t: frequency.get(t, 0)):
        if kept and total + frequency.get(term, 0) > budget:
            break
        kept.append(term)
        total += frequency.get(term, 0)
    return kept


def fts_query(terms: list[str]) -> str:
    """An FTS5 expression matching any term; each term is quoted so user text cannot inject syntax
    (quotes and NUL, which ends an SQLite string, are dropped)."""
    quoted = (t.replace('"', "").replace("\x00", "") for t in terms)
    return " OR ".join(f'"{t}"' for t in quoted if t.strip())


@dataclass(frozen=True)
class Evidence:
    cosine: float  # dense similarity of question and passage
    coverage: float  # share of the question's rarity-weighted content terms found in the passage
    missing: tuple[str, ...] = ()  # question terms this passage lacks
    unheard: tuple[str, ...] = ()  # ... of which (6+ letters) no indexed paragraph has any

    @property
    def support(self) -> float:
        return max(self.cosine, 0.0) * 0.5 + self.coverage * 0.5


@dataclass(frozen=True)
class SearchResult:
    """What `QA.search` returns: the passages for a question, best first (wire copies collapsed),
    with the evidence used to decide whether to abstain and, for "what did X say?" questions, the
    speaker asked about and their statements. `to_json()` is the text `qa search --json` prints."""

    query: str
    passages: list[Passage]
    evidence: dict[int, Evidence] = field(default_factory=dict)
    terms: tuple[str, ...] = ()
    speaker: SpeakerMatch | None = None  # set when the question asks what someone said
    statements: dict[int, list[StatementRecord]] = field(default_factory=dict)  # that speaker's, by passage id

    def as_json(self) -> dict:
        """The result as a dict, the way `qa search --json` writes it (see docs/json.md)."""
        out = {"query": self.query, "passages": [p.as_json(i) for i, p in enumerate(self.passages, 1)]}
        if self.speaker is not None:
            out["speaker"] = self.speaker.as_json()
        return out

    def to_json(self) -> str:
        """The JSON text `qa search --json` prints for this result."""
        from .jsonout import json_text

        return json_text(self.as_json())

    @property
    def best_support(self) -> float:
        """The best passage's support (cosine and term coverage): below ABSTAIN_BELOW, qa abstains."""
        return max((e.support for e in self.evidence.values()), default=0.0)


class Retriever:
    """Finds the passages most relevant to a question in one index."""

    def __init__(self, store: Store, embedder: Embedder, candidates: int = 50):
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self._worker = None
        # Imported here: qa.speaker_search builds on this module's fusion and results.
        from .speaker_search import SpeakerSearch

        self.speakers = SpeakerSearch(self)

    def _parallel(self, work: Callable[[], T]) -> Callable[[], T]:
        """Start `work` on a background thread (when there is a second core); returns a function that
        waits for its result (and raises its exception)."""
        if cores() < 2:
            result = work()
            return lambda: result
        if self._worker is None:
            from concurrent.futures import ThreadPoolExecutor

            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-vectors")
        return self._worker.submit(work).result

    def resolve_articles(self, article: str | None) -> list[str] | None:
        if not article:
            return None
        ids = self.store.find_articles(article)
        if not ids:
            raise QAError(f"no indexed article matches {article!r}; see `qa list` for ids and titles")
        return ids

    def search(
        self,
        question: str,
        k: int = 5,
        *,
        article: str | None = None,
        since: str | None = None,
        until: str | None = None,
        query_vector: np.ndarray | None = None,
    ) -> SearchResult:
        """Top-k passages; `query_vector` may pass the question's embedding when already computed
        (e.g. questions encoded in one batch). Reads one committed state of the index, even while
        another process is indexing."""
        question = question.strip()
        if not question:
            raise QAError("the question is empty")
        if k < 1:
            raise QAError("k must be at least 1")
        with self.store.snapshot():
            return self._search(question, k, article, since, until, query_vector)

    def _search(self, question: str, k: int, article: str | None, since: str | None, until: str | None,
                query_vector: np.ndarray | None) -> SearchResult:
        article_ids = self.resolve_articles(article)
        allowed = self.store.filtered_ids(article_ids, since, until)
        terms = query_terms(question)
        frequency = self.store.term_document_frequency(terms)
        fused, query_vector = self.hybrid(question, terms, frequency, query_vector, max(self.candidates, k), allowed)
        match = self.speakers.match(question, article_ids)
        if match is not None and match.question.mode == "boost":
            fused = self.speakers.boost(match, fused, allowed)
        elif match is not None:
            found = self.speakers.search(question, k, match, terms, query_vector, fused, allowed)
            if found is not None:
                return replace(found, passages=self.collapse_copies(found.passages, k, allowed))
        # Wire copies collapse into one passage, so look past the top k for enough distinct ones.
        top = fused[: k * 3 + 10]
        found = self.store.passages([pid for pid, _ in top])
        passages = [replace(found[pid], score=score) for pid, score in top if pid in found]
        passages = self.collapse_copies(passages, k, allowed)
        return SearchResult(
            query=question,
            passages=passages,
            evidence=self.evidence(terms, query_vector, passages, allowed, frequency),
            terms=tuple(terms),
        )

    def hybrid(self, question: str, terms: list[str], frequency: dict[str, int], query_vector: np.ndarray | None,
               depth: int, allowed: set[int] | None) -> tuple[list[tuple[int, float]], np.ndarray]:
        """The fused dense + lexical (+ dates the question names) ranking, best first, and the
        question's embedding (computed here when not given)."""

        def vector_side() -> tuple[np.ndarray, list[tuple[int, float]]]:
            vector = self.embedder.encode_query(question) if query_vector is None else query_vector
            return vector, self.store.dense_search(vector, depth, allowed)

        # The question's embedding and the FAISS search run on another core while SQLite does BM25:
        # both release the GIL, and on 50k paragraphs each side takes about half the time.
        pending = self._parallel(vector_side)
        lexical = self.store.lexical_search(fts_query(lexical_terms(terms, frequency)), depth, allowed)
        vector, dense = pending()
        rankings = [[pid for pid, _ in dense], [pid for pid, _ in lexical]]
        fused = fuse(rankings)
        dated = self._dated_ranking(question, fused, allowed)
        if dated is not None:
            fused = fuse([*rankings, dated[0]], weights=(*FUSION_WEIGHTS, dated[1]))
        return fused, vector

    # --- dates and wire copies ---------------------------------------------------------------------

    def _dated_ranking(self, question: str, fused: list[tuple[int, float]], allowed: set[int] | None
                       ) -> tuple[list[int], float] | None:
        """The paragraphs whose resolved dates match a date the question names (fused order first),
        with the ranking's weight. ("When ...?" questions get no such ranking: favouring every
        candidate that mentions some date cost 0.008 R@1 on SQuAD.)"""
        queries = question_dates(question)
        ids = self.store.dated_ids(queries, allowed) if queries else []
        if not ids:
            return None
        order = {pid: r for r, (pid, _) in enumerate(fused)}
        return sorted(ids, key=lambda pid: order.get(pid, len(order))), DATE_WEIGHT

    def collapse_copies(self, passages: list[Passage], k: int, allowed: set[int] | None = None) -> list[Passage]:
        """One passage per wire-copy cluster (at the best copy's rank, the earliest copy shown), carrying every other outlet's copy in
        `also_in` (within the filters); at most k."""
        kept: list[Passage] = []
        clusters: set[int] = set()
        for p in passages:
            if p.cluster is not None:
                if p.cluster in clusters:
                    continue
                clusters.add(p.cluster)
            kept.append(p)
            if len(kept) == k:
                break
        copies = self.store.wire_copies(clusters)
        # The original copy leads its cluster: an article published earlier than the best-ranked
        # copy's takes its place (rank and score kept); a copy of the same day or article does not.
        earliest = {}
        for cluster, members in copies.items():
            dated = [c for c in members if c.date and (allowed is None or c.id in allowed)]
            if dated:
                earliest[cluster] = min(dated, key=lambda c: (c.date, c.id))
        leads = {p.id: earliest[p.cluster].id for p in kept if p.cluster in earliest
                 and p.date and earliest[p.cluster].date < p.date and earliest[p.cluster].article_id != p.article_id}
        originals = self.store.passages(leads.values()) if leads else {}
        out = []
        for p in kept:
            if p.cluster is not None:
                if p.id in leads and leads[p.id] in originals:
                    p = replace(originals[leads[p.id]], score=p.score)
                p = replace(p, also_in=tuple(c for c in copies.get(p.cluster, ())
                                             if c.id != p.id and (allowed is None or c.id in allowed)))
            out.append(p)
        return out

    def evidence(
        self, terms: list[str], query_vector: np.ndarray, passages: list[Passage], allowed: set[int] | None = None,
        frequency: dict[str, int] | None = None,
    ) -> dict[int, Evidence]:
        """Cosine and rarity-weighted term coverage for each passage (`frequency`: the terms' document
        frequencies, when already counted)."""
        if not passages:
            return {}
        cosines = self.cosines(query_vector, [p.id for p in passages])
        if frequency is None:
            frequency = self.store.term_document_frequency(terms) if terms else {}
        weights = self.term_weights(terms, frequency)
        present = self.terms_present(terms, [p.id for p in passages])
        total = sum(weights.values()) or 1.0
        result = {}
        for p in passages:
            # A paragraph is read under its headline: "Chief executive John Smith said ..." in an article
            # headed "Acme shares climb" answers "Who is the chief executive of Acme?".
            have = present.get(p.id, set()) | title_terms(terms, p.title)
            coverage = sum(w for t, w in weights.items() if t in have) / total if terms else 0.0
            missing = tuple(t for t in terms if t not in have)
            # Short words are often irregular forms ("rise" for "rose") that stemming misses.
            unheard = tuple(t for t in missing if frequency.get(t, 0) == 0 and len(t) >= 6)
            result[p.id] = Evidence(cosines.get(p.id, 0.0), coverage, missing, unheard)
        return result

    def cosines(self, query_vector: np.ndarray, ids: list[int]) -> dict[int, float]:
        """Each paragraph's cosine with the query, from its stored vector (0 for one no longer indexed)."""
        index = self.store.vectors
        out = {}
        for pid in ids:
            try:
                out[pid] = float(np.dot(index.reconstruct(int(pid)), query_vector))
            except RuntimeError:  # not in this index (a concurrent writer removed it)
                out[pid] = 0.0
        return out

    def term_weights(self, terms: list[str], df: dict[str, int]) -> dict[str, float]:
        """Inverse document frequency, so a missing rare word ("population") outweighs a common one."""
        if not terms:
            return {}
        n = max(self.store.vectors.ntotal, 1)  # searchable paragraphs, as FTS5 counts them
        return {t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5)) for t in terms}

    def terms_present(self, terms: list[str], ids: list[int]) -> dict[int, set[str]]:
        """Which of the terms each paragraph holds, as FTS5 matches them (stemmed)."""
        return self.store.terms_present(terms, ids)


def fuse(rankings: list[list[int]], k: int = RRF_K, weights: tuple[float, ...] = FUSION_WEIGHTS
         ) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of rankings given as (dense, lexical): robust to the two
    scorers' incomparable scales."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, pid in enumerate(ranking):
            scores[pid] = scores.get(pid, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
