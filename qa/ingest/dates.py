"""Dates in news text, anchored to the article: "on Tuesday", "last month", "in December", "Nov. 5".

News writes dates relative to the day it is published. Resolving them at index time (per paragraph,
stored in the index) lets `--since/--until` and questions like "what happened in August?" match the
day an event happened, and lets a "when did ...?" answer say "Tuesday (2024-11-05)".

Conventions (those of wire copy):
- a weekday in a past-tense clause is the most recent such day on or before publication ("told
  reporters on Tuesday" in a Thursday article is two days earlier; "on Thursday" is the day itself);
  in a future clause ("will meet on Tuesday") the next such day on or after it;
- a month without a year is the most recent such month (past) or the next one (future) — "In
  December, Trump denied" in November 2024 is December 2023;
- a month and day without a year take the year that puts them closest to publication.

Tense is read from the words before the mention in its sentence (will, is due to, plans to, next...).
Hand-written rules rather than dateparser: measured on the sample article's 23 paragraphs
(`dateparser.search.search_dates` with RELATIVE_BASE = the publication date, PREFER_DATES_FROM past),
it took 6.6 ms a paragraph against 0.6 ms here, read the verbs "may" and "march" as months (4 false
dates), returned points ("In December" = 2023-12-07) rather than spans, and missed "this year".
tests/test_dates.py holds the cases these rules must get right.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..errors import QAError

DAY, WEEK, MONTH, YEAR = "day", "week", "month", "year"

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = (r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December"
          r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?")
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}  # Monday = 0
_WEEKDAY = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10}
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_DAYNUM = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"

# In priority order: an earlier pattern's match wins over a later one overlapping it.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("iso", re.compile(r"\b(?P<year>\d{4})-(?P<m>\d{2})-(?P<day>\d{2})\b")),
    ("month_day", re.compile(rf"\b{_MONTH}\s+{_DAYNUM}\b(?!:)(?:,?\s+{_YEAR}\b)?")),
    ("day_month", re.compile(rf"\b{_DAYNUM}\s+{_MONTH}(?:,?\s+{_YEAR}\b)?")),
    ("month_year", re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b")),
    ("month", re.compile(
        rf"(?i:\b(?P<rel>in|since|until|till|by|during|from|through|before|after|last|this|next|early|late|mid-?|"
        rf"end of|start of|beginning of)\s+(?:early\s+|late\s+|mid-?)?){_MONTH}(?!\s+\d)\b")),
    ("weekday", re.compile(rf"(?:\b(?P<rel>(?i:last|this|next|on|since|until|by|from|late|early))\s+)?{_WEEKDAY}\b")),
    # not "the people of today", "the cars of tomorrow": now and the future, no day
    ("relative_day", re.compile(r"(?i)\b(?P<word>yesterday|(?<!of )(?:today|tomorrow)|last night|tonight)\b(?!['’]s)")),
    ("relative_span", re.compile(
        r"(?i)\b(?P<rel>last|this|next|past|earlier this|later this|the past)\s+(?P<unit>week|month|year)\b")),
    ("ago", re.compile(r"(?i)\b(?P<n>\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
                       r"(?P<unit>day|week|month|year)s?\s+ago\b")),
    ("year", re.compile(rf"(?i:\b(?:in|since|until|till|by|during|from|through|before|after|between|and|early|late|"
                        rf"mid-?|of|to)\s+){_YEAR}\b(?![-–]\d|\s*(?:%|percent|people|per))")),
]

# "SEOUL, Nov 7 (Reuters) –": the day of the report, which the article's date already says; not an event.
_DATELINE_RE = re.compile(r"^[A-Z][A-Z .'’-]+,\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s+\d{4})?\s+\(")
_FUTURE_RE = re.compile(
    r"(?i)\b(?:will|shall|'ll|next|upcoming|(?:is|are|was|were)\s+(?:due|expected|scheduled|set|slated|going)\s+to"
    r"|plans?\s+to|planning\s+to|intends?\s+to|is\s+to|are\s+to)\b"
)
_SENTENCE_START_RE = re.compile(r"[.!?][\"'”’)]*\s+")


@dataclass(frozen=True)
class DateMention:
    """A date expression found in a paragraph and the span of days it means."""

    text: str  # as written, e.g. "on Tuesday"
    start: int  # character offsets in the paragraph
    end: int
    first: str  # ISO date of the span's first day
    last: str  # ISO date of its last day
    granularity: str  # day | week | month | year

    @property
    def label(self) -> str:
        """How an answer states it: 2024-11-05, 2024-08, 2023, or 2024-10-28/2024-11-03 for a week."""
        if self.granularity == DAY:
            return self.first
        if self.granularity == MONTH:
            return self.first[:7]
        if self.granularity == YEAR:
            return self.first[:4]
        return f"{self.first}/{self.last}"

    @property
    def phrase(self) -> str:
        """The words that name the date, without a leading preposition: "Tuesday", "last month"."""
        return re.sub(r"(?i)^(?:on|in|since|until|till|by|during|from|through|before|after|between|and|of|to)\s+",
                      "", self.text)

    def as_json(self) -> dict:
        return {"text": self.text, "date": self.label, "first": self.first, "last": self.last,
                "granularity": self.granularity}


def _month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _valid_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _is_future(text: str, start: int) -> bool:
    """Whether the clause before a mention (same sentence) speaks of the future."""
    before = text[max(0, start - 160) : start]
    cut = list(_SENTENCE_START_RE.finditer(before))
    if cut:
        before = before[cut[-1].end() :]
    return bool(_FUTURE_RE.search(before))


def _resolve(kind: str, m: re.Match, anchor: date, future: bool) -> tuple[date, date, str] | None:
    """The span of days a matched expression means, seen from `anchor` (the publication date)."""
    g = m.groupdict()
    if kind == "iso":
        d = _valid_day(int(g["year"]), int(g["m"]), int(g["day"]))
        return (d, d, DAY) if d else None
    if kind in ("month_day", "day_month"):
        month, day = _MONTHS[g["month"].lower().rstrip(".")], int(g["day"])
        if g.get("year"):
            d = _valid_day(int(g["year"]), month, day)
            return (d, d, DAY) if d else None
        options = [d for y in (anchor.year - 1, anchor.year, anchor.year + 1) if (d := _valid_day(y, month, day))]
        if not options:
            return None
        d = min(options, key=lambda d: (abs((d - anchor).days), d > anchor))
        return d, d, DAY
    if kind == "month_year":
        first, last = _month_span(int(g["year"]), _MONTHS[g["month"].lower().rstrip(".")])
        return first, last, MONTH
    if kind == "month":
        month = _MONTHS[g["month"].lower().rstrip(".")]
        rel = (g.get("rel") or "").lower()
        if rel == "this":
            year = anchor.year
        elif rel == "last":
            year = anchor.year if month < anchor.month else anchor.year - 1
        elif rel == "next" or future:
            year = anchor.year if month >= anchor.month else anchor.year + 1
            if rel == "next" and month == anchor.month:
                year += 1
        else:
            year = anchor.year if month <= anchor.month else anchor.year - 1
        first, last = _month_span(year, month)
        return first, last, MONTH
    if kind == "weekday":
        weekday = _WEEKDAYS[g["weekday"].lower()]
        rel = (g.get("rel") or "").lower()
        back = (anchor.weekday() - weekday) % 7
        ahead = (weekday - anchor.weekday()) % 7
        if rel == "last":
            d = anchor - timedelta(days=back or 7)
        elif rel == "next":
            d = anchor + timedelta(days=ahead or 7)
        elif future:
            d = anchor + timedelta(days=ahead)
        else:
            d = anchor - timedelta(days=back)
        return d, d, DAY
    if kind == "relative_day":
        word = g["word"].lower()
        offset = {"yesterday": -1, "last night": -1, "today": 0, "tonight": 0, "tomorrow": 1}[word]
        d = anchor + timedelta(days=offset)
        return d, d, DAY
    if kind == "relative_span":
        rel, unit = g["rel"].lower(), g["unit"].lower()
        if rel in ("past", "the past"):
            days = {"week": 7, "month": 30, "year": 365}[unit]
            return anchor - timedelta(days=days), anchor, {"week": WEEK, "month": MONTH, "year": YEAR}[unit]
        step = {"last": -1, "next": 1}.get(rel, 0)
        if unit == "week":
            monday = anchor - timedelta(days=anchor.weekday()) + timedelta(weeks=step)
            return monday, monday + timedelta(days=6), WEEK
        if unit == "month":
            first, last = _month_span(*_shift_month(anchor.year, anchor.month, step))
            return first, last, MONTH
        year = anchor.year + step
        return date(year, 1, 1), date(year, 12, 31), YEAR
    if kind == "ago":
        n = int(g["n"]) if g["n"].isdigit() else _NUMBERS[g["n"].lower()]
        unit = g["unit"].lower()
        if unit == "day":
            d = anchor - timedelta(days=n)
            return d, d, DAY
        if unit == "week":
            d = anchor - timedelta(weeks=n)
            return d - timedelta(days=3), d + timedelta(days=3), WEEK
        if unit == "month":
            first, last = _month_span(*_shift_month(anchor.year, anchor.month, -n))
            return first, last, MONTH
        return date(anchor.year - n, 1, 1), date(anchor.year - n, 12, 31), YEAR
    if kind == "year":
        year = int(g["year"])
        return date(year, 1, 1), date(year, 12, 31), YEAR
    return None


def _matches(text: str) -> list[tuple[str, re.Match]]:
    """Non-overlapping matches of the patterns, higher-priority patterns first, in text order."""
    taken: list[tuple[int, int]] = []
    found = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((kind, m))
    return sorted(found, key=lambda item: item[1].start())


def find_dates(text: str, published: str | None) -> list[DateMention]:
    """Date expressions in `text` resolved against the publication date (ISO). Without a publication
    date only self-contained ones (2024-11-05, Nov. 5, 2024, August 2024, in 2018) are resolved."""
    # A publication date that is not a real day (never stored: documents.calendar_date checks it) anchors nothing.
    anchor = date.fromisoformat(published) if published and calendar_date(published) == published else None
    mentions = []
    dateline = _DATELINE_RE.match(text)
    for kind, m in _matches(text):
        if dateline and m.end() <= dateline.end():
            continue
        if anchor is None and not (kind in ("iso", "month_year", "year") or m.groupdict().get("year")):
            continue
        span = _resolve(kind, m, anchor or date(2000, 1, 1), _is_future(text, m.start()))
        if span is None:
            continue
        first, last, granularity = span
        mentions.append(DateMention(m.group(0), m.start(), m.end(), first.isoformat(), last.isoformat(),
                                    granularity))
    return mentions


# --- dates asked about ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DateQuery:
    """A date a question asks about, possibly open ("in August": any year; "on Tuesday": any week).
    `sql` is a condition on a row of the `paragraph_dates` table (aliased d), with its arguments."""

    text: str
    sql: str
    args: tuple


def question_dates(question: str) -> list[DateQuery]:
    """Dates named in a question. Relative ones ("last week") have no anchor in a question and are
    ignored; a month or weekday without a year matches that month or weekday in any year."""
    queries = []
    for kind, m in _matches(question):
        g = m.groupdict()
        if kind == "iso" or (kind in ("month_day", "day_month", "month_year", "year") and g.get("year")):
            span = _resolve(kind, m, date(2000, 1, 1), False)
            if span:
                queries.append(DateQuery(m.group(0), "d.first <= ? AND d.last >= ?",
                                         (span[1].isoformat(), span[0].isoformat())))
        elif kind in ("month_day", "day_month"):
            month_day = f"{_MONTHS[g['month'].lower().rstrip('.')]:02d}-{int(g['day']):02d}"
            queries.append(DateQuery(m.group(0), "d.granularity = 'day' AND strftime('%m-%d', d.first) = ?",
                                     (month_day,)))
        elif kind == "month":
            month = f"{_MONTHS[g['month'].lower().rstrip('.')]:02d}"
            queries.append(DateQuery(m.group(0), "d.granularity IN ('day', 'week', 'month') AND "
                                     "(strftime('%m', d.first) = ? OR strftime('%m', d.last) = ?)", (month, month)))
        elif kind == "weekday":
            sqlite_weekday = str((_WEEKDAYS[g["weekday"].lower()] + 1) % 7)  # SQLite: Sunday = 0
            queries.append(DateQuery(m.group(0), "d.granularity = 'day' AND strftime('%w', d.first) = ?",
                                     (sqlite_weekday,)))
    return queries


_WHEN_RE = re.compile(r"(?i)^\s*(?:and\s+|so\s+)?(?:when|what\s+(?:day|date|month|year|time)|on\s+what\s+(?:day|date)"
                      r"|how\s+long\s+ago)\b")


def asks_when(question: str) -> bool:
    """A "when did ...?" question: the answer should state the date."""
    return bool(_WHEN_RE.match(question))


# --- dates given by users and files --------------------------------------------------------------

_ISO_DAY_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_ISO_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_ISO_YEAR_RE = re.compile(r"^\s*(\d{4})\s*$")


def calendar_date(value: object) -> str | None:
    """`value` as an ISO day (YYYY-MM-DD) when it names a real calendar day, else None. Text with an
    ISO date at its start ("2024-11-07T10:04:00Z") counts; 2024-02-30 and 2024-13-45 do not. Other
    written dates ("7 November 2024", "Nov. 7, 2024") are read when they give a day, month and year:
    a missing part is never filled in from today."""
    if not isinstance(value, str) or not value.strip():
        return None
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})(?![\d])", value)
    if m:
        day = _valid_day(*map(int, m.groups()))
        return day.isoformat() if day else None
    span = _parse_written(value)
    return span[0].isoformat() if span and span[0] == span[1] else None


def _parse_written(value: str) -> tuple[date, date] | None:
    """The span a written date names (a day, a month or a year), or None. dateutil reads the text
    twice, with the start and the end of a year as defaults, so a part it was not given shows."""
    if len(value) > 100 or not re.search(r"\d{4}", value):
        return None
    try:
        from datetime import datetime

        from dateutil import parser as dateparser  # installed with trafilatura

        first = dateparser.parse(value, default=datetime(1, 1, 1)).date()
        last = dateparser.parse(value, default=datetime(1, 12, 31)).date()
    except (ValueError, OverflowError, TypeError, ImportError):
        return None
    if first.year < 1000 or first.year != last.year:
        return None
    return first, last


class DateError(QAError):
    """A date a user gave is not a real calendar date (the message says which and what to write)."""


def date_bound(value: str, *, end: bool) -> str:
    """A --since (end=False) or --until (end=True) bound as an ISO day: a year or a month means its
    first day for --since and its last for --until (`2024` = 2024-01-01 .. 2024-12-31). Raises
    DateError for anything that is not a real date."""
    text = value.strip() if isinstance(value, str) else ""
    span: tuple[date, date] | None = None
    if m := _ISO_DAY_RE.match(text):
        day = _valid_day(*map(int, m.groups()))
        span = (day, day) if day else None
        if span is None:
            raise DateError(f"{value!r} is not a real calendar date; use YYYY-MM-DD, YYYY-MM or YYYY")
    elif m := _ISO_MONTH_RE.match(text):
        year, month = map(int, m.groups())
        if not 1 <= month <= 12:
            raise DateError(f"{value!r} is not a real month; use YYYY-MM-DD, YYYY-MM or YYYY")
        span = _month_span(year, month)
    elif m := _ISO_YEAR_RE.match(text):
        year = int(m.group(1))
        span = (date(year, 1, 1), date(year, 12, 31)) if year >= 1 else None
    elif text:
        span = _parse_written(text)
    if span is None:
        raise DateError(f"{value!r} is not a date; use YYYY-MM-DD, YYYY-MM or YYYY")
    return (span[1] if end else span[0]).isoformat()


def date_range(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """Both bounds of a filter, checked: each a real date, and `since` not after `until`."""
    first = date_bound(since, end=False) if since is not None else None
    last = date_bound(until, end=True) if until is not None else None
    if first and last and first > last:
        raise DateError(f"the range is reversed: since {first} is after until {last}; nothing can match")
    return first, last
