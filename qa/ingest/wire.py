"""Wire copies: the same Reuters/AP paragraph carried by several outlets, found at index time.

Copies are rarely byte-identical: outlets change punctuation and quote marks, swap a word, cut a
clause. Paragraphs are compared as sets of word 3-shingles of their normalised text; two paragraphs
of different articles are copies when their Jaccard similarity is at least 0.5, or when the shorter
one is at least 80% contained in the longer (an outlet that trimmed the wire text). Candidates come
from MinHash LSH (16 bands of 2 rows), so a new paragraph is compared only with the few that share
a band, not with the whole index. The bands are stored beside the paragraphs (table `wire_bands`).

Lexical rather than embedding neighbours: it needs no vectors (the bench runs it over 2,225 BBC
articles in seconds) and a cosine of 0.97 does not tell a copy from a rewrite of the same news;
bench/duplicates.py measures both.

Stable hashes (crc32, blake2b) keep signatures identical across processes, as stored bands require.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SHINGLE = 3  # words per shingle
MIN_SHINGLES = 8  # shorter paragraphs ("He declined to comment.") are common phrases, not copies
JACCARD = 0.5
CONTAINMENT = 0.8
BANDS, ROWS = 16, 2
MAX_CANDIDATES = 64  # clusters compared per new paragraph (the index keeps one member per cluster)
_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(20241107)  # fixed: stored bands must be reproducible
_A = _rng.integers(1, _PRIME, size=BANDS * ROWS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, size=BANDS * ROWS, dtype=np.uint64)
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Fingerprint:
    shingles: frozenset[int]
    bands: tuple[int, ...]  # empty when the paragraph is too short to count as a copy


def normalise(text: str) -> list[str]:
    """Lowercased words without accents or punctuation: what survives an outlet's copy-editing."""
    if not text.isascii():  # (most news text is ASCII: no accents to strip, and this loop is slow)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _WORD_RE.findall(text.lower().replace("’", "'").replace("'", ""))


@lru_cache(maxsize=1024)  # one file's paragraphs and their candidates; ~10 kB each
def fingerprint(text: str) -> Fingerprint:
    """The paragraph's shingles and LSH bands (cached: indexing computes them before writing, where one
    article's failure costs that article alone, and the writer asks again)."""
    words = normalise(text)
    shingles = frozenset(
        zlib.crc32(" ".join(words[i : i + SHINGLE]).encode()) for i in range(max(1, len(words) - SHINGLE + 1))
    )
    if len(shingles) < MIN_SHINGLES:
        return Fingerprint(shingles, ())
    values = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    minhash = ((np.outer(_A, values) + _B[:, None]) % _PRIME).min(axis=1)
    rows = minhash.reshape(BANDS, ROWS)
    bands = tuple(
        int.from_bytes(hashlib.blake2b(bytes([b]) + rows[b].tobytes(), digest_size=8).digest(), "big") >> 1
        for b in range(BANDS)
    )
    return Fingerprint(shingles, bands)


def similarity(a: Fingerprint, b: Fingerprint) -> tuple[float, float]:
    """(Jaccard, containment of the smaller in the larger)."""
    if not a.shingles or not b.shingles:
        return 0.0, 0.0
    common = len(a.shingles & b.shingles)
    return common / len(a.shingles | b.shingles), common / min(len(a.shingles), len(b.shingles))


def is_copy(a: Fingerprint, b: Fingerprint) -> bool:
    if not a.bands or not b.bands:
        return False
    jaccard, containment = similarity(a, b)
    return jaccard >= JACCARD or containment >= CONTAINMENT


def best_copy(fp: Fingerprint, candidates: Iterable[tuple[object, Fingerprint]]) -> object | None:
    """The key of the candidate `fp` is most similar to, among those that are copies of it; None if none is."""
    best, best_score = None, 0.0
    for key, other in candidates:
        if is_copy(fp, other):
            score = sum(similarity(fp, other))
            if score > best_score:
                best, best_score = key, score
    return best


class CopyFinder:
    """In memory, for a corpus that is not an index (bench/duplicates.py): the same rules as the index.

    `add(key, group, text)` returns the key of the earlier paragraph it copies (from another group,
    i.e. another article), or None."""

    def __init__(self) -> None:
        self._by_band: dict[int, list[object]] = {}
        self._prints: dict[object, tuple[object, Fingerprint]] = {}

    def __contains__(self, key: object) -> bool:
        """Whether the paragraph added under `key` was long enough to be fingerprinted."""
        return key in self._prints

    def add(self, key: object, group: object, text: str) -> object | None:
        fp = fingerprint(text)
        if not fp.bands:
            return None
        seen: set = set()
        candidates = []
        for band in fp.bands:
            for other in self._by_band.get(band, ()):
                if other not in seen and self._prints[other][0] != group:
                    seen.add(other)
                    candidates.append((other, self._prints[other][1]))
        match = best_copy(fp, candidates)
        self._prints[key] = (group, fp)
        for band in fp.bands:
            self._by_band.setdefault(band, []).append(key)
        return match
