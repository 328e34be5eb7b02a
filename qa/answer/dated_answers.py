"""Answers read for a time (qa.search.timeframe): the span named in the answer, said plainly when the index
holds no article from it, and an answer older than a recency question's span saying its date."""

from __future__ import annotations

from dataclasses import replace

from .citations import Answer
from ..search.timeframe import TimeScope


def nothing_in_range(question: str, scope: TimeScope) -> Answer:
    """The answer when no article was published in the asked span: say so, name the newest article's
    date, and answer nothing from older ones."""
    frame = scope.frame
    newest = (f"the newest article in the index (as of {frame.as_of}) is from {scope.newest}" if scope.newest
              else f"no dated article in the index is from before {frame.as_of}")
    text = f"The index holds no article from {frame.label}, nor one mentioning a day of it; {newest}."
    return Answer(question, text, True, "none", [], [], extra={"time": {**frame.as_json(), "articles_in_range": 0,
                                                                        "newest": scope.newest}})


def dated_answer(answer: Answer, question: str, scope: TimeScope) -> Answer:
    """`answer` with the time it was read for: a first line naming the span ("this week (2025-04-28 to
    2025-05-04)"), and, for a recency question, a plain statement when the cited articles are older
    than the recent window or undated."""
    frame = scope.frame
    if frame is None:
        return replace(answer, question=question)
    info = frame.as_json()
    lines = [f"Time asked about: {frame.label}" + (f", as of {frame.as_of}." if frame.relative else ".")]
    if scope.undated:
        lines.append(f"No dated article is from {frame.label}; this answer comes from undated articles, which "
                     f"may be from any time.")
        info["undated_only"] = True
    elif not answer.abstained and answer.citations:
        dates = sorted({c.passage.date for c in answer.citations if c.passage.date})
        undated = any(not c.passage.date for c in answer.citations)
        if frame.strict:
            outside = [d for d in dates if not frame.first <= d <= frame.last]
        else:
            outside = [d for d in dates if d < frame.first]
        if not frame.strict and dates and dates[-1] < frame.first:
            lines.append(f"The newest evidence found is from {dates[-1]}, older than the recent span "
                         f"({frame.first} to {frame.last}).")
        elif not frame.strict and not dates and undated:
            lines.append("The evidence found is from undated articles: it may not be recent.")
        elif undated:
            lines.append("Some of the evidence is from undated articles.")
        info["evidence_dates"] = dates
        info["outside"] = outside
    text = "\n".join(lines) + "\n" + answer.text
    return replace(answer, question=question, text=text, extra={**answer.extra, "time": info})
