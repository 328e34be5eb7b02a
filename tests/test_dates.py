"""Relative dates resolved against the publication date, and dates named in questions."""

from __future__ import annotations

import pytest

from qa.ingest.dates import asks_when, find_dates, question_dates
from qa.ingest.loaders import load_file

from .conftest import SAMPLE

THURSDAY = "2024-11-07"  # the sample article's publication date


def resolved(text: str, published: str | None = THURSDAY) -> list[tuple[str, str]]:
    return [(d.text, d.label) for d in find_dates(text, published)]


def test_sample_article_dates():
    article = load_file(SAMPLE, SAMPLE.stem).articles[0]
    by_number = {p.number: resolved(p.text, article.date) for p in article.paragraphs}
    assert by_number[19] == [("on Tuesday", "2024-11-05")]  # "told reporters on Tuesday": two days before
    assert by_number[20] == [("In December", "2023-12")]  # past tense, November article: last December
    assert by_number[23] == [("In August", "2024-08"), ("in 2018", "2018")]
    assert by_number[6] == [("last month", "2024-10")]
    assert by_number[10] == [("this year", "2024")]
    assert by_number[5] == [("in 2018", "2018"), ("and 2019", "2019")]
    assert by_number[4] == []  # the dateline's "Nov 7" is the day of the report, not an event


@pytest.mark.parametrize("text, expected", [
    ("Officials will meet on Tuesday.", [("on Tuesday", "2024-11-12")]),  # future: the next Tuesday
    ("The talks are due to resume in March.", [("in March", "2025-03")]),
    ("He spoke on Thursday.", [("on Thursday", "2024-11-07")]),  # the publication day itself
    ("Last Thursday, he resigned.", [("Last Thursday", "2024-10-31")]),
    ("Trump takes office on Jan. 20.", [("Jan. 20", "2025-01-20")]),  # the nearer year
    ("The vote was held on Nov. 5.", [("Nov. 5", "2024-11-05")]),
    ("It rained yesterday and last week.", [("yesterday", "2024-11-06"), ("last week", "2024-10-28/2024-11-03")]),
    ("Sales fell in August 2023, two weeks ago.", [("August 2023", "2023-08"), ("two weeks ago", "2024-10-21/2024-10-27")]),
    ("It happened on 5 November 2024.", [("5 November 2024", "2024-11-05")]),
    ("Some 2,018 people voted; 2019 was bad.", []),  # numbers, not dates
    ("May I ask whether he may come?", []),  # the modal verb, not the month
    ("It speaks to the people of today and the cars of tomorrow.", []),  # now and the future, no day
    ("The team of today arrived today.", [("today", "2024-11-07")]),
    ("The damage of last night was worse than the storm of yesterday.", [("last night", "2024-11-06"),
                                                                           ("yesterday", "2024-11-06")]),
])
def test_relative_and_explicit_dates(text, expected):
    assert resolved(text) == expected


def test_without_a_publication_date_only_self_contained_dates_resolve():
    assert resolved("On Tuesday, as in August 2024 and in 2018, he spoke.", None) == [
        ("August 2024", "2024-08"), ("in 2018", "2018")]


def test_question_dates_and_when_questions():
    assert [q.text for q in question_dates("What happened in August?")] == ["in August"]
    assert [q.text for q in question_dates("what happened on Tuesday?")] == ["on Tuesday"]
    assert question_dates("What did Klingner say?") == []
    assert asks_when("When did the South Korean presidential official speak to reporters?")
    assert asks_when("On what day did they meet?") and not asks_when("What did he say when asked?")
