"""Citations: the Answer and Citation types, marker numbering, and their JSON form (the check of an
LLM's sentences against what they cite is verification.py).

Citation numbers follow the order in which the answer first uses a passage, so [1] is always the
first source a reader meets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..index.records import Passage

MARKER_RE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class Citation:
    """Citation [n] of an answer: the passage it points to (article and paragraph) and the quoted
    paragraph text shown under "Sources:"."""

    n: int
    passage: Passage
    quote: str

    def as_json(self) -> dict:
        """The citation as in `qa ask --json` (see docs/json.md)."""
        p = self.passage
        return {
            "n": self.n,
            "passage_id": p.id,
            "article_id": p.article_id,
            "title": p.title,
            "paragraph": p.paragraph,
            "source": p.source,
            "date": p.date,
            "url": p.url,
            "citation": p.citation,
            "quote": self.quote,
            "also_in": [c.as_json() for c in p.also_in],
        }


@dataclass(frozen=True)
class Answer:
    """What `QA.ask` returns: the answer text, each sentence ending in citation markers [n], the
    citations those markers number, and every passage retrieved for the question.

    `abstained` is true when the articles don't answer (the text then says so); `backend` is who
    wrote it (extractive, local, openai); `warning` says what degraded (e.g. an LLM failure);
    `notice` is a note for the reader of a terminal; `extra` holds the JSON-only fields (the asked
    speaker, the LLM's verification). `to_json()` is the text `qa ask --json` prints."""

    question: str
    text: str
    abstained: bool
    backend: str
    citations: list[Citation]
    passages: list[Passage]
    warning: str | None = None
    notice: str | None = None  # e.g. "no LLM configured"
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        """The answer as a dict, the way `qa ask --json` writes it (see docs/json.md)."""
        out = {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "backend": self.backend,
            "citations": [c.as_json() for c in self.citations],
            "passages": [p.as_json(i) for i, p in enumerate(self.passages, 1)],
        }
        if self.warning:
            out["warning"] = self.warning
        out.update(self.extra)
        return out

    def to_json(self) -> str:
        """The JSON text `qa ask --json` prints for this answer."""
        from ..jsonout import json_text

        return json_text(self.as_json())


def neutralise_markers(text: str) -> str:
    """Article text may hold "[3]" of its own (footnotes, or planted): shown as "(3)", so the only
    bracketed numbers in an answer are qa's citations."""
    return MARKER_RE.sub(lambda m: f"({m.group(1)})", text)


def number_citations(pieces: list[tuple[str, Passage | None]]) -> tuple[str, list[Citation]]:
    """Join answer sentences, each followed by the marker of its passage, numbering passages by
    first use. A sentence with no passage gets no marker.

    When the sentences come from more than one article, they are grouped by article, one line each,
    led by its outlet and date ("Reuters, 2024-11-07: ..."), so the reader sees who reported what, when."""
    articles = list(dict.fromkeys(p.article_id for _, p in pieces if p is not None))
    if len(articles) > 1:
        groups = {a: [piece for piece in pieces if piece[1] is not None and piece[1].article_id == a] for a in articles}
        ordered = [piece for a in articles for piece in groups[a]] + [piece for piece in pieces if piece[1] is None]
        parts, citations = _numbered(ordered)
        lines, at = [], 0
        for a in articles:
            count = len(groups[a])
            lines.append(f"{outlet_and_date(groups[a][0][1])}: " + " ".join(parts[at : at + count]))
            at += count
        return "\n".join(lines + parts[at:]), citations
    parts, citations = _numbered(pieces)
    return " ".join(parts), citations


def outlet_and_date(p: Passage) -> str:
    """`Reuters, 2024-11-07`, plus the other outlets that carried the same wire paragraph."""
    label = f"{p.source or p.title}, {p.date or 'undated'}"
    if p.also_in:
        label += " (also " + "; ".join(f"{c.source or c.title}, {c.date or 'undated'}" for c in p.also_in) + ")"
    return label


def _numbered(pieces: list[tuple[str, Passage | None]]) -> tuple[list[str], list[Citation]]:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    parts = []
    for sentence, passage in pieces:
        sentence = neutralise_markers(sentence)
        if passage is None:
            parts.append(sentence)
            continue
        if passage.id not in numbers:
            numbers[passage.id] = len(numbers) + 1
            citations.append(Citation(numbers[passage.id], passage, passage.text))
        parts.append(f"{sentence} [{numbers[passage.id]}]")
    return parts, citations
