"""What the hybrid search (qa.search.retriever) and the speaker-aware one (qa.search.speaker_search) rank and
measure alike: a question's content words, the FTS5 query they make, reciprocal rank fusion, the
result they return, and the evidence (cosine, rarity-weighted term coverage) that decides whether
to abstain. Below both, so neither needs the other's module for them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from ..index.records import Passage, StatementRecord
from .speakers import SpeakerMatch
from ..index.store_contract import StoreReader

# Words that carry no topic in a question; the "say" family is covered by speaker handling.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can could did didn't do does doesn't doing don't down during each few
    for from further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours ourselves
    out over own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who whom
    whose why will with would you your yours yourself yourselves tell told say says said saying think
    thinks thought happen happened happens according anything something whats there's many much
    everyone everybody everything anyone anybody someone somebody nobody nothing""".split()
) | frozenset("article articles story stories passage passages excerpt excerpts".split())  # the archive itself, not a topic
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# Reciprocal rank fusion of (dense, lexical). MiniLM alone is clearly weaker than BM25 on news-like
# text, so its ranks count half, and k=10 lets the top ranks dominate. On SQuAD (bench/retrieval.py)
# this lifts fused R@1 from 0.734 (equal weights, k=60) to 0.768, R@5 to 0.946 (best of the three), MRR 0.846.
RRF_K = 10
FUSION_WEIGHTS = (0.5, 1.0)

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
    time: dict | None = None  # the time the question names, read by qa.search.timeframe (docs/news.md)
    # The paragraphs before and after the best passages that were not retrieved themselves (Retriever.
    # with_context): read only next to them, where a lede's answer follows ("A novel set in Paraguay has
    # won ..." then "Lily Tuck's The News From Paraguay is ...") or a count's noun precedes.
    context: tuple[Passage, ...] = ()

    def as_json(self) -> dict:
        """The result as a dict, the way `qa search --json` writes it (see docs/json.md)."""
        out = {"query": self.query, "passages": [p.as_json(i) for i, p in enumerate(self.passages, 1)]}
        if self.speaker is not None:
            out["speaker"] = self.speaker.as_json()
        if self.time is not None:
            out["time"] = self.time
        return out

    def to_json(self) -> str:
        """The JSON text `qa search --json` prints for this result."""
        from ..jsonout import json_text

        return json_text(self.as_json())

    @property
    def best_support(self) -> float:
        """The best passage's support (cosine and term coverage): below ABSTAIN_BELOW, qa abstains."""
        return max((e.support for e in self.evidence.values()), default=0.0)


class SupportMeasures:
    """How well passages of one store support a question (the retriever is one; the speaker search
    measures through it)."""

    def __init__(self, store: StoreReader):
        self.store = store

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
