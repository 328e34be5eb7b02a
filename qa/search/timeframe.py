"""Time in a question: "this week", "last month", "recently", "on Tuesday", seen from an "as of" day.

A question's relative expressions have no anchor in the question itself: the anchor is the day it
is asked about (`as_of`, today unless given). `question_timeframe` turns the expression into a span
of days: a *strict* span ("this week", "last month", "in the past 10 days") limits the evidence to
articles published in it (or paragraphs mentioning a day in it, as --since/--until do); a *recency*
word ("recently", "latest", "new", "now", "current") ranks the newest evidence first and flags an
answer older than the recent window, without excluding anything. Articles published after `as_of`
are never evidence for a question with a time in it; undated articles never count as recent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..ingest.dates import DateError, _matches, _month_span, _resolve, _shift_month, calendar_date, date_bound

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "few": 3, "couple of": 2}
# Days a recency word looks back: an answer from before this window states its date.
RECENT_DAYS = 30

_STRICT = re.compile(
    r"(?i)\b(?:"
    r"(?P<so_far>so far this year|this year so far|year to date)"
    r"|(?P<day>today|yesterday|tonight|last night)(?!['’]s)"
    r"|(?P<rel>this|last|past|the past|previous|the previous)\s+(?P<unit>week|month|year)"
    r"|(?:in|over|during|within)\s+the\s+(?:past|last)\s+(?P<n>\d{1,3}|a|an|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|few|couple of)\s+(?P<nunit>day|week|month)s?"
    r"|(?<!super )(?<!black )(?<!cyber )(?<!good )(?:(?P<wrel>last|this|on|past)\s+)?(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r")\b")
# Removed from the question (they carry no topic); the other recency words stay, being part of its sense.
_RECENTLY = re.compile(r"(?i)\b(?:recently|lately|in recent (?:days|weeks|months)|of late)\b")
_RECENCY = re.compile(r"\b(?:latest|newest|most recent(?:ly)?|new|now|current(?:ly)?|still|these days)\b"
                      r"|\b(?:Latest|Newest|Most recent|Now|Currently|Current)\b")
_PREPOSITION = re.compile(r"(?i)\b(?:on|during|in|from|over|within|for)\s*$")


@dataclass(frozen=True)
class TimeFrame:
    """The span of days a question's time expression means, seen from `as_of` (ISO days)."""

    phrase: str  # as written: "this week", "recently"
    first: str
    last: str
    as_of: str
    strict: bool  # True: only evidence from the span; False: newest evidence first (recency)
    relative: bool = True  # False: a date the question names outright ("in August 2016")

    @property
    def label(self) -> str:
        """How an answer states it: "this week (2025-04-28 to 2025-05-04)", "yesterday (2025-05-03)"."""
        span = self.first if self.first == self.last else f"{self.first} to {self.last}"
        return f"{self.phrase} ({span})" if self.strict else f"{self.phrase} (newest first; recent: {span})"

    def as_json(self) -> dict:
        return {"phrase": self.phrase, "label": self.label, "first": self.first, "last": self.last, "as_of": self.as_of,
                "filter": self.strict, "recency": not self.strict, "relative": self.relative}


def parse_as_of(value: str | date | None) -> date:
    """The "as of" day of a question: YYYY-MM-DD (or any written day), default today. A month or year
    is not a day; anything that is not a real day raises DateError with what to write."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return date.today()
    if isinstance(value, date):
        return value
    iso = calendar_date(value) if isinstance(value, str) else None
    if iso is None:
        try:
            date_bound(value, end=True)
        except (DateError, AttributeError):
            raise DateError(f"as-of {value!r} is not a real calendar day; use YYYY-MM-DD") from None
        raise DateError(f"as-of {value!r} names a month or a year, not a day; use YYYY-MM-DD")
    return date.fromisoformat(iso)


def _span(m: re.Match, as_of: date) -> tuple[date, date]:
    g = m.groupdict()
    if g["so_far"]:
        return date(as_of.year, 1, 1), as_of
    if g["day"]:
        d = as_of - timedelta(days=1) if g["day"].lower() in ("yesterday", "last night") else as_of
        return d, d
    if g["unit"]:
        rel, unit = g["rel"].lower(), g["unit"].lower()
        if rel in ("past", "the past"):  # a window ending today: "the past week"
            days = {"week": 7, "month": 30, "year": 365}[unit]
            return as_of - timedelta(days=days - 1), as_of
        step = 0 if rel == "this" else -1
        if unit == "week":
            monday = as_of - timedelta(days=as_of.weekday()) + timedelta(weeks=step)
            return monday, monday + timedelta(days=6)
        if unit == "month":
            return _month_span(*_shift_month(as_of.year, as_of.month, step))
        return date(as_of.year + step, 1, 1), date(as_of.year + step, 12, 31)
    if g["n"]:
        n = int(g["n"]) if g["n"].isdigit() else _NUMBERS[g["n"].lower()]
        days = n * {"day": 1, "week": 7, "month": 30}[g["nunit"].lower()]
        return as_of - timedelta(days=max(days, 1) - 1), as_of
    weekday = _WEEKDAYS.index(g["weekday"].lower())
    back = (as_of.weekday() - weekday) % 7
    if (g["wrel"] or "").lower() in ("last", "past"):
        back = back or 7
    d = as_of - timedelta(days=back)
    return d, d


def question_timeframe(question: str, as_of: date) -> tuple[TimeFrame | None, str]:
    """The time a question asks about, anchored at `as_of`, and the question without the expression
    (what is searched). A date with its year ("in March 2016", "on Nov. 5, 2024") is a span too; a
    month or day without one ("in August") matches any year, as qa.ingest.dates ranks it. None: no time."""
    m = _STRICT.search(question)
    if m:
        first, last = _span(m, as_of)
        phrase = re.sub(r"(?i)^(?:on|past)\s+(?=[a-z]+day$)", "", m.group(0).strip())
        start = m.start()
        before = question[:start]
        if (p := _PREPOSITION.search(before)) and not m.group(0).lower().startswith(("in ", "over ", "during ",
                                                                                         "within ")):
            start = p.start()
        # A weekday stays in what is searched: qa.ingest.dates ranks the paragraphs that mention that day.
        rest = question if m.group("weekday") else _tidy(question[:start] + question[m.end():])
        return TimeFrame(phrase, first.isoformat(), last.isoformat(), as_of.isoformat(), True), rest
    absolute = _absolute(question)
    if absolute is not None:  # "in August 2016": its words stay in what is searched, for qa.ingest.dates' ranking
        phrase, first, last = absolute
        return TimeFrame(phrase, first.isoformat(), last.isoformat(), as_of.isoformat(), True, False), question
    m = _RECENTLY.search(question) or _RECENCY.search(question)
    if m:
        rest = _tidy(question[:m.start()] + question[m.end():]) if m.re is _RECENTLY else question
        first = as_of - timedelta(days=RECENT_DAYS - 1)
        return TimeFrame(m.group(0).lower(), first.isoformat(), as_of.isoformat(), as_of.isoformat(), False), rest
    return None, question


def _absolute(question: str) -> tuple[str, date, date] | None:
    """The first date with its year that a question names: its words and its span of days."""
    for kind, m in _matches(question):
        if kind == "iso" or (kind in ("month_day", "day_month", "month_year", "year") and m.groupdict().get("year")):
            span = _resolve(kind, m, date(2000, 1, 1), False)
            if span:
                phrase = re.sub(r"(?i)^(?:in|on|during|since|until|by|from|of)\s+", "", m.group(0))
                return phrase, span[0], span[1]
    return None


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
    return re.sub(r"\b(?:about|on|in|from|during)\s*([?.!]?)$", r"\1", text).replace(" ?", "?").strip() or text


# --- the index seen from a time frame --------------------------------------------------------------


# Each asks the store one question (the local store: one SQL query on the articles table), never
# reading every article's row.

def published_after(store, day: str) -> bool:
    """Whether any indexed article is dated after `day` (then an as-of bound has work to do)."""
    return store.published_after(day)


def has_articles(store) -> bool:
    """Whether the index holds any article."""
    return store.has_articles()


def known_by(store, as_of: str) -> set[int]:
    """Searchable paragraphs of articles published on or before `as_of`, or undated."""
    known = store.articles_known_by(as_of)
    return (store.filtered_ids(known, None, None) or set()) if known else set()


def newest_date(store, as_of: str | None = None) -> str | None:
    """The newest publication date in the index (up to `as_of`), or None when no article is dated."""
    return store.newest_date(as_of)


def publication_dates(store, ids: list[int]) -> dict[int, str | None]:
    """Each paragraph's article date (None when undated)."""
    return {pid: p.date or None for pid, p in store.passages(ids).items()}




@dataclass(frozen=True)
class TimeScope:
    """How a question is searched once its time is read: the question without the time words, the
    date bounds (the frame's within the user's --since/--until), the paragraphs known by `as_of`, and
    whether the frame holds no article at all (`empty`, with the newest article's date)."""

    frame: TimeFrame | None
    query: str
    since: str | None
    until: str | None
    within: set[int] | None
    empty: bool = False
    newest: str | None = None
    undated: bool = False  # no dated article is in the span: searched among undated articles only

    @property
    def recent(self) -> bool:
        return self.frame is not None and not self.frame.strict


def time_scope(store, question: str, as_of: date | None, since: str | None, until: str | None) -> TimeScope:
    """Read the time in `question` from `as_of` (None: the --until day when one is given, else today;
    either way without bounding the index by it)."""
    day = as_of or (date.fromisoformat(until) if until else date.today())
    frame, query = question_timeframe(question, day)
    iso = day.isoformat()
    # Given, the as-of day bounds the index; read from --until, --until's own rule stands (it keeps later
    # articles' paragraphs that mention a day up to it).
    bound = as_of is not None or (frame is not None and until is None)
    within = known_by(store, iso) if bound and published_after(store, iso) else None
    undated_archive = frame is not None and newest_date(store) is None and has_articles(store)
    if frame is not None and not frame.strict and undated_archive:
        # "the new powers", "the current mayor" in an archive kept without dates: no date can rank its
        # articles, so the question is asked as written, with no time read into it.
        return TimeScope(None, question, since, until, within)
    if frame is None or not frame.strict:
        return TimeScope(frame, query, since, until, within)
    if undated_archive:
        # No article of the index is dated (an archive kept without dates): the time cannot choose among
        # them, so all are searched (a date named in the question still ranks the paragraphs that mention
        # it) and the answer says they are undated, rather than answering from a few or from none.
        return TimeScope(frame, query, since, until, within, undated=True)
    first = max(filter(None, (since, frame.first)))
    last = min(filter(None, (until, frame.last, iso if frame.relative else None)))
    # As --since/--until select: articles published in the span, and paragraphs of others that mention a
    # day of it ("on Tuesday" in Thursday's report of what was said on Tuesday).
    found = store.filtered_ids(None, first, last) if first <= last else set()
    empty = not (found if within is None else found & within)
    return TimeScope(frame, query, first, last, within, empty, newest_date(store, iso) if empty else None)


def undated_last(result):
    """A recency question's passages with undated articles' after every dated one: an article with no
    date is never taken for a recent one."""
    from dataclasses import replace

    dated = [p for p in result.passages if p.date]
    return replace(result, passages=dated + [p for p in result.passages if not p.date])
