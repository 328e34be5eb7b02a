"""Hybrid retrieval: FAISS dense search and FTS5 BM25, fused by reciprocal rank, with filters.

Also measures how well the best passages actually support the question (cosine and rare-term
coverage), which is what the answerers use to abstain instead of guessing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from .embeddings import Embedder
from .errors import QAError
from .store import Passage, Store

# Words that carry no topic in a question; the "say" family is covered by speaker handling.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can could did didn't do does doesn't doing don't down during each few
    for from further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours ourselves
    out over own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who whom
    whose why will with would you your yours yourself yourselves tell told say says said saying think
    thinks thought happen happened happens according anything something whats there's""".split()
)
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
RRF_K = 60


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


def fts_query(terms: list[str]) -> str:
    """An FTS5 expression matching any term; each term is quoted so user text cannot inject syntax."""
    return " OR ".join('"%s"' % t.replace('"', "") for t in terms)


@dataclass(frozen=True)
class Evidence:
    cosine: float  # dense similarity of question and passage
    coverage: float  # share of the question's rarity-weighted content terms found in the passage
    missing: tuple[str, ...] = ()  # question terms this passage lacks

    @property
    def support(self) -> float:
        return max(self.cosine, 0.0) * 0.5 + self.coverage * 0.5


@dataclass(frozen=True)
class SearchResult:
    query: str
    passages: list[Passage]
    evidence: dict[int, Evidence] = field(default_factory=dict)
    terms: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {"query": self.query, "passages": [p.as_json(i) for i, p in enumerate(self.passages, 1)]}

    @property
    def best_support(self) -> float:
        return max((e.support for e in self.evidence.values()), default=0.0)


class Retriever:
    """Finds the passages most relevant to a question in one index."""

    def __init__(self, store: Store, embedder: Embedder, candidates: int = 50):
        self.store = store
        self.embedder = embedder
        self.candidates = candidates

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
    ) -> SearchResult:
        question = question.strip()
        if not question:
            raise QAError("the question is empty")
        if k < 1:
            raise QAError("k must be at least 1")
        allowed = self.store.filtered_ids(self.resolve_articles(article), since, until)
        terms = query_terms(question)
        query_vector = self.embedder.encode_query(question)
        depth = max(self.candidates, k)
        dense = self.store.dense_search(query_vector, depth, allowed)
        lexical = self.store.lexical_search(fts_query(terms), depth, allowed)
        fused = fuse([[pid for pid, _ in dense], [pid for pid, _ in lexical]])
        top_ids = [pid for pid, _ in fused[:k]]
        found = self.store.passages(top_ids)
        passages = [replace(found[pid], score=score) for pid, score in fused[:k] if pid in found]
        return SearchResult(
            query=question,
            passages=passages,
            evidence=self.evidence(terms, query_vector, passages, allowed),
            terms=tuple(terms),
        )

    def evidence(
        self, terms: list[str], query_vector: np.ndarray, passages: list[Passage], allowed: set[int] | None = None
    ) -> dict[int, Evidence]:
        """Cosine and rarity-weighted term coverage for each passage."""
        if not passages:
            return {}
        cosines = self._cosines(query_vector, [p.id for p in passages])
        weights = self._term_weights(terms)
        present = self._terms_present(terms, [p.id for p in passages])
        total = sum(weights.values()) or 1.0
        result = {}
        for p in passages:
            have = present.get(p.id, set())
            coverage = sum(w for t, w in weights.items() if t in have) / total if terms else 0.0
            result[p.id] = Evidence(cosines.get(p.id, 0.0), coverage, tuple(t for t in terms if t not in have))
        return result

    def _cosines(self, query_vector: np.ndarray, ids: list[int]) -> dict[int, float]:
        index = self.store.vectors
        out = {}
        for pid in ids:
            try:
                out[pid] = float(np.dot(index.reconstruct(int(pid)), query_vector))
            except RuntimeError:  # not in this index (a concurrent writer removed it)
                out[pid] = 0.0
        return out

    def _term_weights(self, terms: list[str]) -> dict[str, float]:
        """Inverse document frequency, so a missing rare word ("population") outweighs a common one."""
        if not terms:
            return {}
        n = max(self.store.count_paragraphs(), 1)
        df = self.store.term_document_frequency(terms)
        return {t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5)) for t in terms}

    def _terms_present(self, terms: list[str], ids: list[int]) -> dict[int, set[str]]:
        present: dict[int, set[str]] = {}
        marks = ",".join("?" * len(ids))
        for term in terms:
            try:
                rows = self.store.db.execute(
                    f"SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH ? AND rowid IN ({marks})",
                    [f'"{term}"', *ids],
                )
            except Exception:  # noqa: BLE001 - an FTS5 syntax edge case means "not found"
                continue
            for (pid,) in rows:
                present.setdefault(pid, set()).add(term)
        return present


def fuse(rankings: list[list[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: robust to the two scorers' incomparable scales."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
