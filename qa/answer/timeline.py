"""Timelines: every statement the index credits to a speaker on a topic, in date order.

`qa ask "What did X say about Y?" --all` lists them one line each (date, outlet, citation), a wire
paragraph carried by several outlets on one line ("AP, carried by 4 outlets"), a page at a time.
"How has X's position on Y changed?" is answered from the same list: its first and latest statements.
Undated statements come last, marked as such: they are never placed in time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from .citations import Answer, Citation, neutralise_markers
from ..index.records import Passage, WireCopy
from ..search.speakers import parse_speaker_question

_CHANGE_RE = re.compile(
    r"(?i)^\s*(?:how|in what way)\s+(?:has|have|did)\s+(?P<who>.+?)(?:['’]s?)?\s+"
    r"(?:position|positions|view|views|stance|tone|line|rhetoric|thinking|statements|message)\s+"
    r"(?:on|about|of|toward|towards|regarding)\s+(?P<topic>.+?)\s+(?:changed|evolved|shifted|developed)"
    r"(?:\s+over\s+time)?\s*[?.!]*\s*$")
_CHANGE_ALT_RE = re.compile(
    r"(?i)^\s*(?:has|did)\s+(?P<who>.+?)\s+change\s+(?:his|her|their|its)\s+"
    r"(?:position|view|views|stance|tone|mind)\s+(?:on|about)\s+(?P<topic>.+?)\s*[?.!]*\s*$")


@dataclass(frozen=True)
class TimelineRequest:
    speaker: str
    topic: str
    change: bool  # "how has X's position changed?": answered from the first and latest statements


def change_question(question: str) -> TimelineRequest | None:
    """ "How has X's position on Y changed?" (and "Has X changed his view on Y?"), else None."""
    m = _CHANGE_RE.match(question) or _CHANGE_ALT_RE.match(question)
    if not m:
        return None
    return TimelineRequest(m.group("who").strip(), m.group("topic").strip(), True)


def timeline_request(question: str) -> TimelineRequest | None:
    """Who and what a timeline question asks about: "What did X say about Y?", "X on Y", or a change
    question; None when it names no speaker."""
    change = change_question(question)
    if change:
        return change
    asked = parse_speaker_question(question)
    if asked is None:
        return None
    return TimelineRequest(asked.phrase, asked.topic or "", False)


@dataclass(frozen=True)
class Entry:
    """One line of a timeline: a statement (its passage, the earliest copy) and the outlets that carried it."""

    passage: Passage
    statement: str
    outlets: tuple[str, ...]  # every outlet carrying this paragraph, the first one's first
    copies: int  # articles carrying it

    @property
    def outlet(self) -> str:
        """ "AP", "AP, carried by 4 outlets", or "AP, in 2 articles" (copies in one outlet's articles)."""
        first = self.passage.source or "unknown outlet"
        if len(self.outlets) > 1:
            return f"{first}, carried by {len(self.outlets)} outlets"
        return first if self.copies < 2 else f"{first}, in {self.copies} articles"

    def as_json(self, n: int) -> dict:
        p = self.passage
        return {"n": n, "date": p.date, "undated": p.date is None, "outlet": p.source, "outlets": list(self.outlets),
                "copies": self.copies, "article_id": p.article_id, "paragraph": p.paragraph, "passage_id": p.id,
                "citation": p.citation, "statement": self.statement}


def _statement_text(passage: Passage, statements: list) -> str:
    said = [s.text.strip() for s in statements if s.text and s.text.strip()]
    text = neutralise_markers(" … ".join(said) if said else passage.text)
    return text if len(text) <= 300 else text[:297].rstrip() + "…"


def collect(bot, request: TimelineRequest, *, within: set[int] | None, since: str | None,
            until: str | None) -> list[Entry]:
    """Every statement of the speaker on the topic (all of them without a topic), wire copies as one
    entry, in date order, undated last."""
    from ..search.retriever import query_terms

    found = bot.who_said(request.speaker)
    quoted: dict[int, tuple[Passage, list]] = {}
    for match in found.matches:
        for passage in match.passages:
            if within is not None and passage.id not in within:
                continue
            if passage.date and ((since and passage.date < since) or (until and passage.date > until)):
                continue
            if not passage.date and (since or until):
                continue  # an undated article is never placed inside a span of days
            quoted.setdefault(passage.id, (passage, []))[1].extend(match.statements.get(passage.id, []))
    terms = query_terms(request.topic) if request.topic else []
    if terms and quoted:
        present = bot.store.terms_present(terms, list(quoted))
        quoted = {pid: v for pid, v in quoted.items() if present.get(pid)}
    groups: dict[object, list[tuple[Passage, list]]] = {}
    for pid, (passage, statements) in quoted.items():
        key = ("cluster", passage.cluster) if passage.cluster is not None else ("paragraph", pid)
        groups.setdefault(key, []).append((passage, statements))
    entries = []
    for members in groups.values():
        members.sort(key=lambda m: (m[0].date is None, m[0].date or "", m[0].article_id))
        lead, statements = members[0]
        outlets = tuple(dict.fromkeys(m[0].source or "unknown outlet" for m in members))
        copies = tuple(WireCopy(p.id, p.article_id, p.title, p.source, p.date, p.paragraph, p.part, p.url)
                       for p, _ in members[1:])
        entries.append(Entry(replace(lead, also_in=copies), _statement_text(lead, statements), outlets,
                             len({m[0].article_id for m in members})))
    entries.sort(key=lambda e: (e.passage.date is None, e.passage.date or "", e.passage.article_id,
                                e.passage.paragraph))
    return entries


def timeline_answer(question: str, request: TimelineRequest, entries: list[Entry], *, page: int, limit: int,
                    as_of: date | None, frame_label: str | None = None) -> Answer:
    """The timeline as an answer: one cited line per statement, `limit` a page; or, for a change
    question, its first and latest dated statements."""
    about = f"{request.speaker} on {request.topic}" if request.topic else request.speaker
    info: dict = {"speaker": request.speaker, "topic": request.topic or None, "total": len(entries),
                  "page": page, "limit": limit, "pages": max(1, -(-len(entries) // limit))}
    if as_of is not None:
        info["as_of"] = as_of.isoformat()
    when = f" from {frame_label}" if frame_label else ""
    if not entries:
        text = f"The index credits no statement to {about}{when}."
        return Answer(question, text, True, "timeline", [], [], extra={"timeline": {**info, "entries": []}})
    if request.change:
        dated = [e for e in entries if e.passage.date]
        chosen = [dated[0], dated[-1]] if len(dated) > 1 else dated or entries[:1]
        citations = [Citation(i, e.passage, e.passage.text) for i, e in enumerate(chosen, 1)]
        first = chosen[0]
        lines = [f"First, on {first.passage.date or 'an undated day'} ({first.outlet}): {first.statement} [1]"]
        if len(chosen) > 1:
            last = chosen[-1]
            lines.append(f"Latest, on {last.passage.date} ({last.outlet}): {last.statement} [2]")
            between = len(entries) - 2
            lines.append(f"{len(entries)} statements by {about}{when} in all ({between} between these); "
                         f"`--all` lists every one.")
        else:
            lines.append(f"Only one dated statement by {about}{when} is indexed: no change can be read.")
        info["entries"] = [e.as_json(i) for i, e in enumerate(chosen, 1)]
        return Answer(question, "\n".join(lines), False, "timeline", citations, [e.passage for e in chosen],
                      extra={"timeline": info})
    start = (page - 1) * limit
    shown = entries[start:start + limit]
    if not shown:
        text = f"Page {page} is past the end: {len(entries)} statements by {about}{when}, {info['pages']} page(s)."
        return Answer(question, text, True, "timeline", [], [], extra={"timeline": {**info, "entries": []}})
    lines = [f"{len(entries)} statement(s) by {about}{when}, oldest first"
             + (f" (page {page} of {info['pages']}):" if info["pages"] > 1 else ":")]
    citations = []
    for n, e in enumerate(shown, start + 1):
        day = e.passage.date or "undated"
        lines.append(f"{day} · {e.outlet}: {e.statement} [{n}]")
        citations.append(Citation(n, e.passage, e.passage.text))
    if start + limit < len(entries):
        lines.append(f"Statements {start + 1}-{start + len(shown)} of {len(entries)}; page {page + 1} shows more.")
    info["entries"] = [e.as_json(n) for n, e in enumerate(shown, start + 1)]
    return Answer(question, "\n".join(lines), False, "timeline", citations, [e.passage for e in shown],
                  extra={"timeline": info})
