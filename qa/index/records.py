"""The values the stores hand out (passages, wire copies, speakers, statements, article summaries):
their own module, so the modules that only read them (answers, rendering, speakers) need no store."""

from __future__ import annotations

from dataclasses import dataclass

from ..ingest.dates import DateMention

TITLE_IN_CITATION = 60  # characters of the headline a citation line shows


def citation_text(source: str | None, title: str, date: str | None, paragraph: int, part: int = 0) -> str:
    """`Reuters · "Headline ..." · 2024-11-07 · ¶22`: outlet, headline, date, paragraph, as every
    citation is written (terminal and JSON)."""
    if len(title) > TITLE_IN_CITATION:
        cut = title.rfind(" ", 0, TITLE_IN_CITATION)
        title = title[: cut if cut > TITLE_IN_CITATION // 2 else TITLE_IN_CITATION].rstrip(" ,;:-") + " ..."
    para = f"¶{paragraph}" + (f" (part {part})" if part else "")
    bits = [source] if source else []
    bits += [f'"{title}"', date or "undated", para]
    return " · ".join(bits)


@dataclass(frozen=True)
class WireCopy:
    """Another article carrying the same (possibly lightly edited) paragraph: a wire copy."""

    id: int
    article_id: str
    title: str
    source: str | None
    date: str | None
    paragraph: int
    part: int = 0
    url: str | None = None

    @property
    def citation(self) -> str:
        return citation_text(self.source, self.title, self.date, self.paragraph, self.part)

    def as_json(self) -> dict:
        return {"id": self.id, "article_id": self.article_id, "source": self.source, "title": self.title,
                "date": self.date, "paragraph": self.paragraph, "url": self.url, "citation": self.citation}


@dataclass(frozen=True)
class Passage:
    """One retrievable paragraph (or part of an over-long one) with its article's metadata: what
    `QA.search` returns and answers cite. `paragraph` is the number a reader counts, `citation` the
    line the terminal prints, `also_in` the other outlets' copies of a wire paragraph."""

    id: int
    article_id: str
    title: str
    source: str | None
    date: str | None
    paragraph: int
    part: int
    kind: str
    text: str
    url: str | None = None
    speakers: tuple[str, ...] = ()
    score: float = 0.0
    byline: str | None = None
    cluster: int | None = None  # shared by wire copies of this paragraph (qa.ingest.wire)
    dates: tuple[DateMention, ...] = ()  # dates it mentions, resolved against the publication date
    also_in: tuple[WireCopy, ...] = ()  # other outlets' copies, set when search results collapse them

    @property
    def citation(self) -> str:
        """`Reuters · "Headline ..." · 2024-11-07 · ¶22`: outlet, headline, date, paragraph."""
        return citation_text(self.source, self.title, self.date, self.paragraph, self.part)

    def as_json(self, rank: int) -> dict:
        """The passage as in `qa search --json`, at `rank` (see docs/json.md)."""
        return {
            "rank": rank,
            "id": self.id,
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "byline": self.byline,
            "url": self.url,
            "paragraph": self.paragraph,
            "citation": self.citation,
            "text": self.text,
            "speakers": list(self.speakers),
            "dates": [d.as_json() for d in self.dates],
            "also_in": [c.as_json() for c in self.also_in],
            "score": round(float(self.score), 6),
        }


@dataclass(frozen=True)
class SpeakerRecord:
    """A speaker of one indexed article, with the paragraphs (row ids, article order) of their statements."""

    id: int
    article_id: str
    name: str
    aliases: tuple[str, ...]
    descriptors: tuple[str, ...]
    kind: str
    paragraph_ids: tuple[int, ...]
    paragraphs: tuple[int, ...]  # paragraph numbers, as a reader counts


@dataclass(frozen=True)
class StatementRecord:
    paragraph_id: int
    speaker: str
    cue: str
    text: str
    reference: str


@dataclass(frozen=True)
class ArticleSummary:
    id: str
    title: str
    source: str | None
    date: str | None
    origin: str | None
    paragraphs: int  # searchable paragraphs (and parts of long ones): what `qa index` reports as embedded
    byline: str | None = None
    url: str | None = None
