"""Coverage by outlet: "How did outlets report Z?" answered one outlet a line.

Each outlet's most relevant paragraph on Z (the best-ranked one of the search), its sentence that holds
most of Z's words, cited; the outlets that carried the same wire paragraph are named on its line; and
where the outlets' figures for the same thing ("300 km", "360 km") or the speakers they credit differ,
a last line says so. Articles are read only: nothing in them is followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .citations import Answer, Citation, neutralise_markers
from ..ingest.documents import split_sentences
from ..index.records import Passage

_COVERAGE_RE = re.compile(
    r"(?i)^\s*(?:how|what)\s+(?:did|do|does|have|has)\s+(?:the\s+|different\s+|other\s+|various\s+)?"
    r"(?:outlets|news\s+outlets|media(?:\s+outlets)?|newspapers|papers|the\s+press|press|publications|"
    r"news\s+organi[sz]ations|news\s+sites|reporters|sources)\s+"
    r"(?:report(?:ed)?(?:\s+on)?|cover(?:ed)?|describe[d]?|say\s+about|said\s+about|frame[d]?|write\s+about)\s+"
    r"(?P<topic>.+?)\s*[?.!]*\s*$")
_COVERAGE_ALT_RE = re.compile(
    r"(?i)^\s*how\s+(?:was|were|is|are)\s+(?P<topic>.+?)\s+(?:reported|covered)\s+"
    r"(?:by|in|across)\s+(?:the\s+|different\s+)?(?:outlets|media|newspapers|press|news\s+outlets)\s*[?.!]*\s*$")
# A figure and the word after it: "360 km", "22 emails", "46 percent".
_FIGURE_RE = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*(%|percent|[a-z]+)", re.IGNORECASE)
_STOP_UNITS = frozenset("a an and the of to in on at for by or as is was were from with that this".split())


def coverage_topic(question: str) -> str | None:
    """The Z of "How did outlets report Z?" (also "How was Z covered by the media?"), else None."""
    m = _COVERAGE_RE.match(question) or _COVERAGE_ALT_RE.match(question)
    return m.group("topic").strip() if m else None


@dataclass(frozen=True)
class OutletReport:
    outlet: str
    passage: Passage
    sentence: str
    figures: dict[str, set[str]]  # unit word -> figures given with it

    def as_json(self, n: int) -> dict:
        p = self.passage
        return {"n": n, "outlet": self.outlet, "date": p.date, "article_id": p.article_id, "paragraph": p.paragraph,
                "citation": p.citation, "sentence": self.sentence, "speakers": list(p.speakers),
                "carried_by": [c.source for c in p.also_in if c.source],
                "figures": {unit: sorted(values) for unit, values in sorted(self.figures.items())}}


def _best_sentence(passage: Passage, terms: list[str]) -> str:
    sentences = split_sentences(passage.text) or [passage.text]
    lowered = [s.lower() for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (sum(t in lowered[i] for t in terms), -i))
    return neutralise_markers(sentences[best].strip())


def _figures(text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for number, unit in _FIGURE_RE.findall(text):
        unit = unit.lower()
        if unit in _STOP_UNITS or (len(number) == 4 and number.startswith(("19", "20"))):
            continue  # a year, or a number with no unit
        out.setdefault("percent" if unit == "%" else unit, set()).add(number.replace(",", ""))
    return out


def topic_order(passages: list[Passage], terms: list[str], support: dict[int, float]) -> list[Passage]:
    """The order each outlet's line is chosen in: the passages holding most of the topic's words as written
    ("missiles", not only "missile arsenal") first, then those best supporting the topic (cosine and words),
    then by rank: two paragraphs whose cosines differ in the third decimal are not told apart by them."""
    as_written = [re.compile(rf"\b{re.escape(t)}\b", re.IGNORECASE) for t in terms]
    return sorted(passages, key=lambda p: (-sum(bool(w.search(p.text)) for w in as_written), -support.get(p.id, 0.0)))


def outlet_reports(passages: list[Passage], terms: list[str], present: dict[int, set[str]]) -> list[OutletReport]:
    """Each outlet's best-ranked passage holding any of the topic's words, in rank order; an outlet
    whose copy of a wire paragraph is carried on another's line gets no line of its own."""
    reports: list[OutletReport] = []
    seen: set[str] = set()
    for p in passages:
        outlet = p.source or "unknown outlet"
        if outlet in seen or (terms and not present.get(p.id)):
            continue
        seen.add(outlet)
        seen.update(c.source for c in p.also_in if c.source)
        reports.append(OutletReport(outlet, p, _best_sentence(p, terms), _figures(p.text)))
    return reports


def differences(reports: list[OutletReport]) -> list[str]:
    """Where the outlets disagree: the same unit given different figures, or different speakers credited."""
    lines = []
    units = sorted({u for r in reports for u in r.figures})
    for unit in units:
        given = [(r.outlet, r.figures[unit]) for r in reports if unit in r.figures]
        values = {v for _, vs in given for v in vs}
        if len(given) > 1 and len(values) > 1:
            parts = "; ".join(f"{outlet}: {', '.join(sorted(vs))} {unit}" for outlet, vs in given)
            lines.append(f"The figures differ ({parts}).")
    credited = [(r.outlet, r.passage.speakers) for r in reports if r.passage.speakers]
    if len(credited) > 1 and len({tuple(s) for _, s in credited}) > 1:
        parts = "; ".join(f"{outlet}: {', '.join(s)}" for outlet, s in credited)
        lines.append(f"They credit different sources ({parts}).")
    return lines


def coverage_answer(question: str, topic: str, passages: list[Passage], terms: list[str],
                    present: dict[int, set[str]], time_label: str | None = None) -> Answer:
    """The answer: one cited line per outlet, then the differences."""
    reports = outlet_reports(passages, terms, present)
    info: dict = {"topic": topic, "outlets": []}
    if not reports:
        when = f" from {time_label}" if time_label else ""
        return Answer(question, f"No indexed article{when} reports on {topic}.", True, "coverage", [], [],
                      extra={"coverage": info})
    lines = [f"{len(reports)} outlet(s) on {topic}:"]
    citations = []
    for n, r in enumerate(reports, 1):
        carried = [f"{c.source}, {c.date or 'undated'}" for c in r.passage.also_in if c.source]
        also = f" (the same wire paragraph: {'; '.join(carried)})" if carried else ""
        lines.append(f"{r.outlet}, {r.passage.date or 'undated'}{also}: {r.sentence} [{n}]")
        citations.append(Citation(n, r.passage, r.passage.text))
    lines.extend(differences(reports))
    info["outlets"] = [r.as_json(n) for n, r in enumerate(reports, 1)]
    info["differences"] = lines[len(reports) + 1:]
    return Answer(question, "\n".join(lines), False, "coverage", citations, [r.passage for r in reports],
                  extra={"coverage": info})
