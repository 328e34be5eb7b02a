"""What `QA` returns about the index itself (its health, its articles, who is quoted, what someone
said), each with the JSON that `qa ... --json`, `qa chat`, `qa serve` and `qa mcp` print for it, so
every front end writes one shape from one place (docs/json.md).

Search results and answers carry their own JSON (`SearchResult`, `Answer`); these are the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..jsonout import json_text
from .records import ArticleSummary, Passage, SpeakerRecord, StatementRecord


@dataclass(frozen=True)
class IndexHealth:
    """`qa check`: what is wrong with the index (nothing when healthy) and how much it holds."""

    index: str
    problems: tuple[str, ...]
    articles: int
    paragraphs: int
    generation: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return {"index": self.index, "ok": self.ok, "problems": list(self.problems), "articles": self.articles,
                "paragraphs": self.paragraphs, "generation": self.generation}

    def to_json(self) -> str:
        """The line `qa check --json` prints (ASCII: non-ASCII characters escaped, as it always was)."""
        return json.dumps(self.as_json())


@dataclass(frozen=True)
class ArticleListing:
    """The indexed articles, oldest first: `qa list`, the chat's /articles, the MCP list_articles tool."""

    articles: tuple[ArticleSummary, ...]

    def as_json(self) -> dict:
        return {"articles": [vars(a) for a in self.articles]}

    def to_json(self) -> str:
        return json_text(self.as_json())


def _speaker_json(s: SpeakerRecord) -> dict:
    return {"article_id": s.article_id, "name": s.name, "kind": s.kind, "aliases": list(s.aliases),
            "descriptors": list(s.descriptors), "paragraphs": list(s.paragraphs)}


@dataclass(frozen=True)
class SpeakerListing:
    """Who is quoted where: `qa speakers`, the chat's /speakers, the MCP list_speakers tool."""

    speakers: tuple[SpeakerRecord, ...]

    def as_json(self, *, counts: bool = True) -> dict:
        """`qa speakers --json`; without `counts`, the chat's /speakers (no "count" field)."""
        if not counts:
            return {"speakers": [_speaker_json(s) for s in self.speakers]}
        return {"speakers": [{**_speaker_json(s), "count": len(s.paragraphs)} for s in self.speakers]}

    def brief_json(self) -> dict:
        """Names and paragraph numbers only, for choosing a who-said question (the MCP tool)."""
        return {"speakers": [{"name": s.name, "article_id": s.article_id, "kind": s.kind,
                              "paragraphs": list(s.paragraphs)} for s in self.speakers]}

    def to_json(self) -> str:
        return json_text(self.as_json())


@dataclass(frozen=True)
class Quotes:
    """One speaker of one article, with every paragraph quoting them and the statements in each."""

    speaker: SpeakerRecord
    passages: tuple[Passage, ...]  # article order
    statements: dict[int, list[StatementRecord]]  # by paragraph row id

    def as_json(self) -> dict:
        s = self.speaker
        return {
            "name": s.name, "article_id": s.article_id, "kind": s.kind,
            "aliases": list(s.aliases), "descriptors": list(s.descriptors),
            "paragraphs": [{
                "paragraph": p.paragraph, "citation": p.citation, "title": p.title, "source": p.source,
                "date": p.date, "text": p.text,
                "statements": [{"text": t.text, "cue": t.cue} for t in self.statements.get(p.id, [])],
            } for p in self.passages],
        }


@dataclass(frozen=True)
class WhoSaid:
    """Everything a person is quoted as saying: each matching speaker of each article (`QA.who_said`)."""

    speaker: str
    matches: tuple[Quotes, ...]

    def as_json(self) -> dict:
        return {"speaker": self.speaker, "matches": [m.as_json() for m in self.matches]}

    def to_json(self) -> str:
        return json_text(self.as_json())
