"""Hybrid retrieval: FAISS dense search and FTS5 BM25, fused by reciprocal rank, with filters.

Also measures how well the best passages actually support the question (cosine and rare-term
coverage), which is what the answerers use to abstain instead of guessing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np

from .dates import question_dates
from .documents import split_sentences
from .embeddings import Embedder, cores
from .errors import QAError
from .speakers import (SpeakerMatch, ambiguous_names, mentions, name_forms, parse_speaker_question, resolve_speakers,
                       speaker_features, speaker_score, split_names, stance)
from .records import Passage, StatementRecord
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
)
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
# "How did X react to Y?": the paragraphs attributed to or naming X, in hybrid order, join the fusion as a
# third ranking with half BM25's weight: a lift, never a filter.
SPEAKER_BOOST = 0.5
# A paragraph this close to a who-said question's topic (cosine of MiniLM vectors) touches the topic even
# without one of its words ("war" for "Iraq").
TOPIC_COSINE = 0.5
# "What did X say about T?": the candidates touching T rank by a weighted sum of the share of T's words they
# hold (rarity-weighted), the learned chance they hold X's statement (`speaker_score` as a probability),
# being attributed to X by the rules, 1 / (1 + rank) by relevance to T alone and to the whole question, and
# the share of T's words inside X's statements or sentences naming X.
# Grid-searched on PolNeAR dev (bench/archive_speakers.py); checked on train.
TOPIC_WEIGHTS = (1.0, 0.4, 0.1, 0.1, 0.2, 0.5)
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
        match = self.match_speaker(question, article_ids)
        if match is not None and match.question.mode == "boost":
            fused = self._boost_speaker(match, fused, allowed)
        elif match is not None:
            if len(match.parts) > 1:
                found = self._speakers_search(question, k, match, terms, query_vector, fused, allowed)
            else:
                found = self._speaker_search(question, k, match, terms, query_vector, fused, allowed)
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

    # --- who said what --------------------------------------------------------------------------

    def match_speaker(self, question: str, article_ids: list[str] | None = None) -> SpeakerMatch | None:
        """For "what did X say?" questions, the indexed speakers X names ("X and Y": both); None for other
        questions."""
        asked = parse_speaker_question(question)
        if asked is None:
            return None
        everyone = self.store.speakers(article_ids)
        speakers = resolve_speakers(asked.phrase, everyone)
        phrases = split_names(asked.phrase)
        # "Klingner and Pardo" is two people when each part names someone; "Marks and Spencer" stays one
        if asked.mode == "names":
            if not all(resolve_speakers(phrase, everyone) for phrase in phrases):
                return None
            asked = replace(asked, mode="said")
        if len(phrases) > 1 and all(resolve_speakers(phrase, everyone) for phrase in phrases):
            parts = []
            for phrase in phrases:
                found = resolve_speakers(phrase, everyone)
                forms = name_forms(phrase, found)
                if found or forms:
                    parts.append(SpeakerMatch(replace(asked, phrase=phrase), found, tuple(forms),
                                              ambiguous_names(found)))
            if not parts:
                return None
            return SpeakerMatch(asked, tuple(dict.fromkeys(s for m in parts for s in m.speakers)),
                                tuple(dict.fromkeys(f for m in parts for f in m.forms)),
                                tuple(n for m in parts for n in m.ambiguous), parts=tuple(parts))
        forms = name_forms(asked.phrase, speakers)
        if not speakers and not forms:
            return None
        return SpeakerMatch(asked, speakers, tuple(forms), ambiguous_names(speakers))

    def _boost_speaker(self, match: SpeakerMatch, fused: list[tuple[int, float]], allowed: set[int] | None
                       ) -> list[tuple[int, float]]:
        """The hybrid ranking with the speaker's paragraphs (attributed or naming them) lifted, for questions
        that name someone without asking only for their words ("How did the Tories react to ...?")."""
        pool = {pid for s in match.speakers for pid in s.paragraph_ids} | set(self._name_mentions(match.forms, allowed))
        if allowed is not None:
            pool &= allowed
        if not pool:
            return fused
        ranked = [pid for pid, _ in fused if pid in pool]
        if not ranked:
            return fused
        scores = dict(fused)
        for rank, pid in enumerate(ranked):
            scores[pid] += SPEAKER_BOOST / (RRF_K + rank + 1)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    def _name_mentions(self, forms: tuple[str, ...], allowed: set[int] | None) -> dict[int, str]:
        """Paragraphs naming the speaker, by how: "voiced" (the name is the subject of a verb of saying
        or stance, "Christie attacked ..."), "subject" (of another verb) or "mention"."""
        if not forms:
            return {}
        match = " OR ".join('"%s"' % f.replace('"', "") for f in forms)
        ids = [pid for pid, _ in self.store.lexical_search(match, 1000, allowed)]
        found = self.store.passages(ids)
        out = {}
        for pid in ids:
            if pid in found:
                mentioned, acts = mentions(found[pid].text, list(forms))
                if acts:
                    out[pid] = "voiced" if stance(found[pid].text, list(forms)) else "subject"
                elif mentioned:
                    out[pid] = "mention"
        return out

    def speaker_candidates(self, match: SpeakerMatch, fused: list[tuple[int, float]], allowed: set[int] | None
                           ) -> tuple[set[int], dict[int, dict[str, float]], dict[int, Passage]]:
        """The paragraphs attributed to the speaker (`own`), the `speaker_features` of those and of
        every paragraph naming them, in hybrid-rank order, and those passages."""
        own = {pid for s in match.speakers for pid in s.paragraph_ids}
        if allowed is not None:
            own &= allowed
        named = self._name_mentions(match.forms, allowed)
        names = {s.name for s in match.speakers}
        pool = own | set(named)
        statements = self.store.statements(pool)
        # A paragraph credited to the speaker only through a title before the name ("Clinton spokesman Nick
        # Merrill says that ...") mostly introduces them with a paraphrase: it ranks by its score with the
        # paragraphs naming them, not in the block of their own statements.
        own = {pid for pid in own if any(s.speaker in names and s.reference != "titled name"
                                         for s in statements.get(pid, []))}
        texts = self.store.passages(pool)
        forms = list(match.forms)
        by_name = {(texts[pid].article_id, texts[pid].paragraph) for pid in pool if pid in texts and any(
            s.speaker in names and s.reference in ("name", "short name") for s in statements.get(pid, []))}
        fused_rank = {pid: r for r, (pid, _) in enumerate(fused)}
        out = {}
        for pid in sorted(pool, key=lambda pid: fused_rank.get(pid, len(fused_rank))):
            if pid not in texts:
                continue
            p, found = texts[pid], statements.get(pid, [])
            out[pid] = speaker_features(
                p.text, forms, {s.reference for s in found if s.speaker in names}, named.get(pid),
                any(s.speaker not in names for s in found), after_own=(p.article_id, p.paragraph - 1) in by_name,
                first=p.paragraph == 1, hybrid_rank=fused_rank.get(pid))
        return own, out, texts

    def _speakers_search(self, question: str, k: int, match: SpeakerMatch, terms: list[str],
                         query_vector: np.ndarray, fused: list[tuple[int, float]], allowed: set[int] | None
                         ) -> SearchResult | None:
        """"What did X and Y say?": each person's own results, taken in turn (X's first, Y's first, X's
        second, ...), so that neither crowds the other out."""
        results = [r for part in match.parts
                   if (r := self._speaker_search(question, k, part, terms, query_vector, fused, allowed)) is not None]
        if not results:
            return None
        merged: dict[int, Passage] = {}
        for turn in range(max(len(r.passages) for r in results)):
            for r in results:
                if turn < len(r.passages):
                    merged.setdefault(r.passages[turn].id, r.passages[turn])
        statements: dict[int, list[StatementRecord]] = {}
        for r in results:
            for pid, found in r.statements.items():
                statements.setdefault(pid, []).extend(s for s in found if s not in statements.get(pid, []))
        evidence = {pid: e for r in results for pid, e in r.evidence.items()}
        return SearchResult(query=question, passages=list(merged.values()), evidence=evidence, terms=tuple(terms),
                            speaker=replace(match, on_topic=any(r.speaker.on_topic for r in results if r.speaker)),
                            statements=statements)

    def _speaker_search(self, question: str, k: int, match: SpeakerMatch, terms: list[str],
                        query_vector: np.ndarray, fused: list[tuple[int, float]], allowed: set[int] | None
                        ) -> SearchResult | None:
        """The speaker's paragraphs by learned score (`speaker_score`), ties by hybrid rank; of the top k,
        the ones attributed to the speaker stay together, in article order (or by the question's topic
        when it has one), where the first of them ranks; then the usual hybrid results.
        Attributed passages score 1 + their hybrid score, named ones 0.5 + it. None when the speaker
        is neither quoted nor named anywhere in scope."""
        own, scored, texts = self.speaker_candidates(match, fused, allowed)
        if not scored:
            return None
        topic_terms = query_terms(match.question.topic) if match.question.topic else []
        if topic_terms:
            return self._speaker_topic_search(question, k, match, terms, topic_terms, query_vector, fused, allowed,
                                              own, scored, texts)
        candidates = sorted(scored, key=lambda pid: -speaker_score(scored[pid]))  # stable: hybrid rank breaks ties
        chosen = {pid: texts[pid] for pid in candidates[:k] if pid in texts}
        attributed = sorted((p for pid, p in chosen.items() if pid in own),
                            key=lambda p: (p.date or "", p.article_id, p.paragraph, p.part))
        topic_terms = query_terms(match.question.topic) if match.question.topic else []
        if topic_terms and len(attributed) > 1:
            ids = {p.id for p in attributed}
            topic_vector = self.embedder.encode_query(match.question.topic)
            dense = self.store.dense_search(topic_vector, len(ids), ids)
            lexical = self.store.lexical_search(fts_query(topic_terms), len(ids), ids)
            ranking = fuse([[pid for pid, _ in dense], [pid for pid, _ in lexical]])
            topic_rank = {pid: r for r, (pid, _) in enumerate(ranking)}
            attributed.sort(key=lambda p: topic_rank.get(p.id, len(topic_rank)))  # stable: article order breaks ties
        fused_score = dict(fused)
        named_only = [replace(chosen[pid], score=0.5 + fused_score.get(pid, 0.0))
                      for pid in candidates[:k] if pid in chosen and pid not in own]
        block = next((i for i, pid in enumerate(candidates[:k]) if pid in own), len(named_only))
        passages = [*named_only[:block], *(replace(p, score=1.0 + fused_score.get(p.id, 0.0)) for p in attributed),
                    *named_only[block:]]
        if len(passages) < k:
            taken = own | set(scored)
            rest = [(pid, score) for pid, score in fused if pid not in taken][: k - len(passages)]
            more = self.store.passages([pid for pid, _ in rest])
            passages += [replace(more[pid], score=score) for pid, score in rest if pid in more]
        return SearchResult(
            query=question,
            passages=passages,
            evidence=self.evidence(terms, query_vector, passages, allowed),
            terms=tuple(terms),
            speaker=match,
            statements=self.store.statements([p.id for p in passages if p.id in own], [s.id for s in match.speakers]),
        )

    def _speaker_topic_search(self, question: str, k: int, match: SpeakerMatch, terms: list[str],
                              topic_terms: list[str], query_vector: np.ndarray, fused: list[tuple[int, float]],
                              allowed: set[int] | None, own: set[int], scored: dict[int, dict[str, float]],
                              texts: dict[int, Passage]) -> SearchResult:
        """"What did X say about T?": of the paragraphs attributed to or naming X, first X's statements that
        touch T, then the others touching T, then X's other statements, each group by its relevance to T
        (dense and BM25 on T alone, fused); then the usual hybrid results. When none of X's statements
        touches T the result says so (`on_topic` False) and leads with the hybrid results among the
        paragraphs naming X."""
        pool = list(scored)
        topic_rank, coverage, touching = self._topic_ranking(match.question.topic, topic_terms, pool)
        chance = {pid: 1.0 / (1.0 + math.exp(-speaker_score(scored[pid]))) for pid in pool}
        # A statement credited through a title ("Conservative family spokeswoman Theresa May said ...") is
        # left out of `own` (it mostly introduces the speaker), but on a topic it is the speaker's word on it.
        credited = {pid for s in match.speakers for pid in s.paragraph_ids}
        statement = {pid for pid in pool if pid in own or pid in credited or chance[pid] > 0.5}
        fused_rank = {pid: r for r, (pid, _) in enumerate(fused)}
        on_topic = bool(statement & touching)

        def group(pid: int) -> int:
            if pid in touching:
                return 0 if pid in statement else 1
            return 2 if pid in statement else 3

        near = self._topic_near_speaker(topic_terms, [pid for pid in pool if pid in touching], own, match, texts)

        def relevance(pid: int) -> float:
            w_cover, w_chance, w_own, w_topic, w_hybrid, w_near = TOPIC_WEIGHTS
            return (w_cover * coverage.get(pid, 0.0) + w_chance * chance[pid] + w_own * (pid in own)
                    + w_topic / (1 + topic_rank.get(pid, len(pool))) + w_hybrid / (1 + fused_rank.get(pid, len(fused)))
                    + w_near * near.get(pid, 0.0))

        if on_topic:  # what touches the topic, best first; then the speaker's other statements
            ordered = [*sorted((pid for pid in pool if pid in touching), key=lambda pid: -relevance(pid)),
                       *sorted((pid for pid in pool if pid not in touching),
                               key=lambda pid: (group(pid), -chance[pid], fused_rank.get(pid, len(fused))))]
        else:  # what names the speaker by relevance to the topic (no word of it: by meaning), statements first
            ordered = sorted(pool, key=lambda pid: (group(pid) % 2, topic_rank.get(pid, len(pool))))
        ordered = [pid for pid in ordered if group(pid) < 3]  # mere mentions off the topic: hybrid order decides
        chosen = ordered[: k * 3 + 10]  # room for wire copies that collapse
        taken = set(chosen)
        rest = [pid for pid, _ in fused if pid not in taken][: max(k * 3 + 10 - len(chosen), k)]
        found = {**texts, **self.store.passages([pid for pid in rest if pid not in texts])}
        fused_score = dict(fused)
        passages = [replace(found[pid], score=(2.0 - group(pid) * 0.5) + fused_score.get(pid, 0.0))
                    for pid in chosen if pid in found]
        tail = [replace(found[pid], score=fused_score.get(pid, 0.0)) for pid in rest if pid in found]
        # The last fifth of the k goes to the best hybrid results the speaker's candidates left out (a statement
        # the attribution missed): before, PolNeAR dev's archive R@10 fell below BM25's.
        reserve = min(len(tail), k // 5) if len(passages) > k - k // 5 else 0
        passages = [*passages[: k - reserve], *tail[:reserve], *passages[k - reserve :], *tail[reserve:]]
        shown = passages[: k * 3 + 10]
        return SearchResult(
            query=question,
            passages=shown,
            evidence=self.evidence(terms, query_vector, shown, allowed),
            terms=tuple(terms),
            speaker=replace(match, on_topic=on_topic),
            statements=self.store.statements([p.id for p in shown if p.id in own],
                                             [s.id for s in match.speakers]),
        )

    def _topic_near_speaker(self, topic_terms: list[str], ids: list[int], own: set[int], match: SpeakerMatch,
                            texts: dict[int, Passage]) -> dict[int, float]:
        """The share of the topic's words (by word prefix: the index stems with Porter) inside the speaker's
        statements in the paragraph or in a sentence naming them: "Mr Clarke says he does not intend to use
        the house arrest powers" is about house arrest; a paragraph whose other sentence is, less so."""
        if not topic_terms or not ids:
            return {}
        statements = self.store.statements([pid for pid in ids if pid in own], [s.id for s in match.speakers])
        stems = [re.compile(rf"\b{re.escape(t[: max(4, len(t) - 2)])}", re.IGNORECASE) for t in topic_terms]
        forms = [re.compile(rf"(?<![\w-]){re.escape(f)}(?![\w-])") for f in match.forms]
        out = {}
        for pid in ids:
            spans = [st.text for st in statements.get(pid, [])]
            spans += [s for s in split_sentences(texts[pid].text) if any(f.search(s) for f in forms)]
            out[pid] = sum(1 for stem in stems if any(stem.search(span) for span in spans)) / len(stems)
        return out

    def _topic_ranking(self, topic: str, topic_terms: list[str], pool: list[int]
                       ) -> tuple[dict[int, int], dict[int, float], set[int]]:
        """The pool's paragraphs by relevance to the topic (dense and BM25 on the topic alone, fused), how
        much of the topic's words each holds (rarer words weigh more), and those that touch the topic:
        hold one of its words, or are close to it in meaning."""
        if not pool:
            return {}, {}, set()
        vector = self.embedder.encode_query(topic)
        cosines = self._cosines(vector, pool)
        dense = sorted(pool, key=lambda pid: -cosines.get(pid, 0.0))
        lexical: list[tuple[int, float]] = []
        match = fts_query(topic_terms)
        for start in range(0, len(pool), 900):
            chunk = pool[start : start + 900]
            try:
                lexical += self.store.db.execute(
                    "SELECT rowid, -bm25(paragraphs_fts) FROM paragraphs_fts WHERE paragraphs_fts MATCH ? "
                    f"AND rowid IN ({','.join('?' * len(chunk))})", [match, *chunk]).fetchall()
            except Exception:  # noqa: BLE001 - a query FTS5 cannot parse finds nothing lexically
                break
        lexical.sort(key=lambda row: -row[1])
        ranking = [pid for pid, _ in fuse([dense, [pid for pid, _ in lexical]])]
        present = self._terms_present(topic_terms, [pid for pid, _ in lexical])
        weights = self._term_weights(topic_terms, self.store.term_document_frequency(topic_terms)) if present else {}
        total = sum(weights.values()) or 1.0
        coverage = {pid: sum(weights.get(t, 0.0) for t in found) / total for pid, found in present.items()}
        touching = {pid for pid, _ in lexical} | {pid for pid in pool if cosines.get(pid, 0.0) >= TOPIC_COSINE}
        return {pid: r for r, pid in enumerate(ranking)}, coverage, touching

    def evidence(
        self, terms: list[str], query_vector: np.ndarray, passages: list[Passage], allowed: set[int] | None = None,
        frequency: dict[str, int] | None = None,
    ) -> dict[int, Evidence]:
        """Cosine and rarity-weighted term coverage for each passage (`frequency`: the terms' document
        frequencies, when already counted)."""
        if not passages:
            return {}
        cosines = self._cosines(query_vector, [p.id for p in passages])
        if frequency is None:
            frequency = self.store.term_document_frequency(terms) if terms else {}
        weights = self._term_weights(terms, frequency)
        present = self._terms_present(terms, [p.id for p in passages])
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

    def _cosines(self, query_vector: np.ndarray, ids: list[int]) -> dict[int, float]:
        index = self.store.vectors
        out = {}
        for pid in ids:
            try:
                out[pid] = float(np.dot(index.reconstruct(int(pid)), query_vector))
            except RuntimeError:  # not in this index (a concurrent writer removed it)
                out[pid] = 0.0
        return out

    def _term_weights(self, terms: list[str], df: dict[str, int]) -> dict[str, float]:
        """Inverse document frequency, so a missing rare word ("population") outweighs a common one."""
        if not terms:
            return {}
        n = max(self.store.vectors.ntotal, 1)  # searchable paragraphs, as FTS5 counts them
        return {t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5)) for t in terms}

    def _terms_present(self, terms: list[str], ids: list[int]) -> dict[int, set[str]]:
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
