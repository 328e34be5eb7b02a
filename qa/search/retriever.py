"""Hybrid retrieval: FAISS dense search and FTS5 BM25, fused by reciprocal rank, with filters.

Also measures how well the best passages actually support the question (cosine and rare-term
coverage, qa.search.ranking), which is what the answerers use to abstain instead of guessing. Questions about
what someone said are ranked by qa.search.speaker_search, from this module's hybrid ranking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from itertools import zip_longest
from typing import TypeVar

import numpy as np

from ..ingest.dates import question_dates
from ..ingest.embeddings import Embedder, cores
from ..errors import QAError
from .ranking import FUSION_WEIGHTS, SearchResult, SupportMeasures, fts_query, fuse, query_terms
from ..index.records import Passage
from .speaker_search import SpeakerSearch
from ..index.store_contract import StoreReader

# Postings BM25 may score per query: ~20 ms of FTS5 work on this machine (bench/scale.py).
LEXICAL_POSTINGS_BUDGET = 20_000
# A third ranking joins the fusion when the question names a date ("what happened in August?"): the
# paragraphs whose resolved dates (qa.ingest.dates) match it, weighted as much as BM25.
DATE_WEIGHT = 1.0
# "Recently", "latest": the candidates ranked newest first join the fusion with this weight
# (bench/time_questions.py).
RECENCY_WEIGHT = 1.0
T = TypeVar("T")


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


PER_ARTICLE_DEPTH = 5  # a search keeping a few passages per article reads this many times k of the ranking


PER_ARTICLE_FROM = 10  # the ranking's first passages, kept whatever their article; the cap counts them


def at_most_per_article(passages: list[Passage], n: int, exempt: set[int] | None = None) -> list[Passage]:
    """The passages in order, at most `n` of each article beyond the `exempt` ones (kept, and counted):
    the ranking spread over more articles, its best passages kept (a question's evidence often lies in
    several paragraphs of one article)."""
    exempt = exempt or set()
    seen: dict[str, int] = {}
    kept = []
    for p in passages:
        seen[p.article_id] = seen.get(p.article_id, 0) + 1
        if p.id in exempt or seen[p.article_id] <= n:
            kept.append(p)
    return kept


def merged(first: SearchResult, second: SearchResult, k: int, per_article: int) -> SearchResult:
    """`first` with the passages of a second search of the same question taken in turn (first's best,
    second's best, ...), at most `per_article` of one article besides first's PER_ARTICLE_FROM best, k in all; each passage's support is the
    better of the two searches' measures of it."""
    seen: set[int] = set()
    passages: list[Passage] = []
    for pair in zip_longest(first.passages, second.passages):
        for p in pair:
            if p is not None and p.id not in seen:
                seen.add(p.id)
                passages.append(p)
    best = {p.id for p in first.passages[:PER_ARTICLE_FROM]}
    passages = at_most_per_article(passages, per_article, best)[:k]
    evidence = dict(second.evidence)
    for pid, e in first.evidence.items():
        if pid not in evidence or e.support >= evidence[pid].support:
            evidence[pid] = e
    return replace(first, passages=passages, evidence={p.id: evidence[p.id] for p in passages if p.id in evidence})


CONTEXT_PASSAGES = 3  # passages whose neighbouring paragraphs an answer may read (Retriever.with_context)


class Retriever(SupportMeasures):
    """Finds the passages most relevant to a question in one index (and measures their support)."""

    def __init__(self, store: StoreReader, embedder: Embedder, candidates: int = 50):
        super().__init__(store)
        self.embedder = embedder
        self.candidates = candidates
        self._worker = None
        self.speakers = SpeakerSearch(self, embedder)

    def _parallel(self, work: Callable[[], T]) -> Callable[[], T]:
        """Start `work` on a background thread (when there is a second core); returns a function that
        waits for its result (and raises its exception)."""
        if cores() < 2:
            result = work()
            return lambda: result
        if self._worker is None:
            from concurrent.futures import ThreadPoolExecutor

            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-vectors")
        import contextvars

        # in this thread's context: a request's stop point (qa.ingest.embeddings.stop_point) goes along
        return self._worker.submit(contextvars.copy_context().run, work).result

    def resolve_articles(self, article: str | list[str] | None) -> list[str] | None:
        """The ids `article` names (an id or part of a title); a list is taken as ids already chosen
        (the web page's outlet filter: every article of one outlet)."""
        if isinstance(article, list):
            return article
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
        within: set[int] | None = None,
        prefer_recent: bool = False,
        per_article: int | None = None,
    ) -> SearchResult:
        """Top-k passages; `query_vector` may pass the question's embedding when already computed
        (e.g. questions encoded in one batch). `within`: only these paragraph ids (a question's time
        frame, qa.search.timeframe); `prefer_recent`: the newest articles rank higher; `per_article`: at most
        this many passages of one article, the ranking read deeper to fill k (a question whose answer
        spans articles). Reads one committed state of the index, even while another process is indexing."""
        question = question.strip()
        if not question:
            raise QAError("the question is empty")
        if k < 1:
            raise QAError("k must be at least 1")
        with self.store.snapshot():
            return self._search(question, k, article, since, until, query_vector, within, prefer_recent, per_article)

    def _search(self, question: str, k: int, article: str | None, since: str | None, until: str | None,
                query_vector: np.ndarray | None, within: set[int] | None = None,
                prefer_recent: bool = False, per_article: int | None = None) -> SearchResult:
        article_ids = self.resolve_articles(article)
        allowed = self.store.filtered_ids(article_ids, since, until)
        if within is not None:
            allowed = within if allowed is None else allowed & within
        terms = query_terms(question)
        frequency = self.store.term_document_frequency(terms)
        depth = max(self.candidates, k * PER_ARTICLE_DEPTH if per_article else k)
        fused, query_vector = self.hybrid(question, terms, frequency, query_vector, depth, allowed)
        if prefer_recent:
            fused = self._newest_first(fused)
        match = self.speakers.match(question, article_ids)
        if match is not None and match.question.mode == "boost":
            fused = self.speakers.boost(match, fused, allowed)
        elif match is not None:
            found = self.speakers.search(question, k, match, terms, query_vector, fused, allowed)
            if found is not None:
                return replace(found, passages=self.collapse_copies(found.passages, k, allowed))
        # Wire copies collapse into one passage, so look past the top k for enough distinct ones.
        top = fused if per_article else fused[: k * 3 + 10]
        found = self.store.passages([pid for pid, _ in top])
        passages = [replace(found[pid], score=score) for pid, score in top if pid in found]
        if per_article:
            passages = at_most_per_article(passages, per_article, {p.id for p in passages[:PER_ARTICLE_FROM]})
        passages = self.collapse_copies(passages, k, allowed)
        return SearchResult(
            query=question,
            passages=passages,
            evidence=self.evidence(terms, query_vector, passages, allowed, frequency),
            terms=tuple(terms),
        )

    def with_context(self, result: SearchResult, best: int = CONTEXT_PASSAGES) -> SearchResult:
        """`result` with the paragraphs just before and after its `best` best-supported passages, and their
        articles' first paragraphs (those not retrieved themselves), as `context`: for an answer that a
        lede's next paragraph gives, or that the article's lede states when no retrieved sentence does."""
        if not result.passages or not result.evidence:
            return result
        have = {p.id for p in result.passages}
        top = sorted((p for p in result.passages if p.id in result.evidence),
                     key=lambda p: -result.evidence[p.id].support)[:best]
        extra: dict[int, Passage] = {}
        with self.store.snapshot():
            articles = {aid: self.store.article_passages(aid) for aid in {p.article_id for p in top}}
        for p in top:
            paragraphs = articles[p.article_id]
            at = next((k for k, q in enumerate(paragraphs) if q.id == p.id), None)
            if at is None:
                continue
            for q in paragraphs[max(0, at - 1): at + 2]:
                if q.id not in have:
                    extra[q.id] = q
            for q in paragraphs:  # the lede, which often holds the figure the story is about
                if q.paragraph != paragraphs[0].paragraph:
                    break
                if q.id not in have:
                    extra[q.id] = q
        return replace(result, context=tuple(extra.values()))

    def with_articles(self, result: SearchResult) -> SearchResult:
        """`result` with every other paragraph of its passages' articles as `context`, for a "why?" whose
        retrieved paragraphs restate what happened while the article gives the reason further on."""
        if not result.passages:
            return result
        have = {p.id for p in (*result.passages, *result.context)}
        with self.store.snapshot():
            articles = [self.store.article_passages(aid) for aid in dict.fromkeys(p.article_id for p in result.passages)]
        extra = {q.id: q for paragraphs in articles for q in paragraphs if q.id not in have}
        return replace(result, context=(*result.context, *extra.values()))

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

    def _newest_first(self, fused: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """`fused` fused again with the candidates ranked by their articles' dates, newest first
        (undated last), at RECENCY_WEIGHT: "recently", "latest" (qa.search.timeframe)."""
        from .timeframe import publication_dates

        dates = publication_dates(self.store, [pid for pid, _ in fused])
        order = {pid: r for r, (pid, _) in enumerate(fused)}
        # ISO days sort as text; two stable sorts: newest first within the dated, the undated last.
        recent = sorted(order, key=lambda pid: dates.get(pid) or "", reverse=True)
        recent.sort(key=lambda pid: dates.get(pid) is None)
        return fuse([[pid for pid, _ in fused], recent], weights=(1.0, RECENCY_WEIGHT))

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
