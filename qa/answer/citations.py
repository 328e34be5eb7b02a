"""Citations: the Answer and Citation types, marker numbering, and their JSON form.

Citation numbers follow the order in which the answer first uses a passage, so [1] is always the
first source a reader meets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..store import Passage

MARKER_RE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class Citation:
    n: int
    passage: Passage
    quote: str

    def as_json(self) -> dict:
        p = self.passage
        return {
            "n": self.n,
            "passage_id": p.id,
            "article_id": p.article_id,
            "title": p.title,
            "paragraph": p.paragraph,
            "source": p.source,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class Answer:
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


def number_citations(pieces: list[tuple[str, Passage | None]]) -> tuple[str, list[Citation]]:
    """Join answer sentences, each followed by the marker of its passage, numbering passages by
    first use. A sentence with no passage gets no marker."""
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    parts = []
    for sentence, passage in pieces:
        if passage is None:
            parts.append(sentence)
            continue
        if passage.id not in numbers:
            numbers[passage.id] = len(numbers) + 1
            citations.append(Citation(numbers[passage.id], passage, passage.text))
        parts.append(f"{sentence} [{numbers[passage.id]}]")
    return " ".join(parts), citations
