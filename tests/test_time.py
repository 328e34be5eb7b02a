"""Time in questions: relative expressions read from an as-of day, the span bounding the evidence,
recency, "nothing in range", and timelines of a speaker's statements with wire copies on one line.

The index tests use small articles made here (real model, SQLite and FAISS), dated around a new year.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from qa.api import QA
from qa.ingest.dates import DateError
from qa.ingest.documents import Article, Paragraph
from qa.search.timeframe import parse_as_of, question_timeframe

from .conftest import validate_json


def span(question: str, as_of: str) -> tuple[str, str, bool] | None:
    frame, _ = question_timeframe(question, date.fromisoformat(as_of))
    return None if frame is None else (frame.first, frame.last, frame.strict)


@pytest.mark.parametrize("question, as_of, expected", [
    ("What happened today?", "2026-01-02", ("2026-01-02", "2026-01-02", True)),
    ("What did she say yesterday?", "2026-01-01", ("2025-12-31", "2025-12-31", True)),  # across a new year
    ("What did she say yesterday?", "2024-03-01", ("2024-02-29", "2024-02-29", True)),  # leap day
    ("What did he say this week?", "2026-01-02", ("2025-12-29", "2026-01-04", True)),  # a week over a new year
    ("What did he say last week?", "2026-01-02", ("2025-12-22", "2025-12-28", True)),
    ("What did he say last week?", "2026-01-05", ("2025-12-29", "2026-01-04", True)),  # Monday: the week before
    ("What did he say this week?", "2025-05-04", ("2025-04-28", "2025-05-04", True)),  # Sunday ends the week
    ("What was announced this month?", "2025-02-28", ("2025-02-01", "2025-02-28", True)),
    ("What was announced last month?", "2025-03-01", ("2025-02-01", "2025-02-28", True)),
    ("What was announced last month?", "2024-03-31", ("2024-02-01", "2024-02-29", True)),
    ("What was announced last month?", "2026-01-15", ("2025-12-01", "2025-12-31", True)),  # into the last year
    ("What changed this year?", "2025-07-04", ("2025-01-01", "2025-12-31", True)),
    ("What changed last year?", "2025-07-04", ("2024-01-01", "2024-12-31", True)),
    ("What has the council decided so far this year?", "2025-07-04", ("2025-01-01", "2025-07-04", True)),
    ("What did she say in the past 10 days?", "2026-01-03", ("2025-12-25", "2026-01-03", True)),
    ("What did she say over the last two weeks?", "2025-03-10", ("2025-02-25", "2025-03-10", True)),
    ("What did she say the past week?", "2026-01-02", ("2025-12-27", "2026-01-02", True)),
    ("What did the mayor say on Monday?", "2026-01-02", ("2025-12-29", "2025-12-29", True)),  # Friday as of
    ("What did the mayor say on Friday?", "2026-01-02", ("2026-01-02", "2026-01-02", True)),  # the day itself
    ("What did the mayor say last Friday?", "2026-01-02", ("2025-12-26", "2025-12-26", True)),
    ("What did the mayor say on Thursday?", "2026-01-01", ("2026-01-01", "2026-01-01", True)),
    ("What did the mayor say on Saturday?", "2026-01-01", ("2025-12-27", "2025-12-27", True)),
    ("Which state recently banned ultra-processed foods?", "2025-05-01", ("2025-04-02", "2025-05-01", False)),
    ("What is the latest on the ferry fares?", "2025-05-01", ("2025-04-02", "2025-05-01", False)),
    ("What is the new ferry fare?", "2025-05-01", ("2025-04-02", "2025-05-01", False)),
    ("Who is the current mayor?", "2025-05-01", ("2025-04-02", "2025-05-01", False)),
    ("Where does the council stand now?", "2025-05-01", ("2025-04-02", "2025-05-01", False)),
    ("What happened on Super Tuesday?", "2025-05-01", None),  # a name, not a weekday
    ("What did New York decide?", "2025-05-01", None),  # "New" in a name asks for nothing recent
    ("What did the mayor say in March 2016?", "2025-05-01", ("2016-03-01", "2016-03-31", True)),  # outright
    ("What happened on Nov. 5, 2024?", "2025-05-01", ("2024-11-05", "2024-11-05", True)),
    ("What did the mayor say in March?", "2025-05-01", None),  # any March: qa.ingest.dates ranks it
])
def test_relative_expressions(question, as_of, expected):
    assert span(question, as_of) == expected


def test_the_time_words_are_not_searched():
    frame, query = question_timeframe("What did Ames say about ferry fares this week?", date(2026, 1, 2))
    assert query == "What did Ames say about ferry fares?"
    assert frame.label == "this week (2025-12-29 to 2026-01-04)"
    assert question_timeframe("Which state recently banned sugar?", date(2026, 1, 2))[1] == "Which state banned sugar?"


@pytest.mark.parametrize("value, message", [
    ("2025-02-30", "not a real calendar day"),
    ("2025-05", "names a month or a year, not a day"),
    ("next week", "not a real calendar day"),
])
def test_as_of_must_be_a_day(value, message):
    with pytest.raises(DateError, match=message):
        parse_as_of(value)
    assert parse_as_of("2025-05-01") == date(2025, 5, 1)
    assert parse_as_of(None) == date.today()


# --- on an index ------------------------------------------------------------------------------------

WIRE = ('"We will freeze ferry fares for every island route until the new pier opens," Governor Ames told '
        'reporters at the harbour, the Island Press Agency reported.')


def article(aid: str, source: str, day: str | None, *paragraphs: str) -> Article:
    return Article(id=aid, title=f"Ferry fares: {aid}", source=source, date=day,
                   paragraphs=tuple(Paragraph(i, text) for i, text in enumerate(paragraphs, 1)))


ARTICLES = [
    article("gazette-june", "Coast Gazette", "2025-06-10",
            '"Ferry fares must rise by ten percent to pay for the new boats," Governor Ames said on Tuesday.',
            "The island council will vote on the fare rise in July."),
    article("gazette-december", "Coast Gazette", "2025-12-30",
            '"Ferry fares will fall by five percent in the spring," Governor Ames said at a press conference.',
            "Councillors welcomed the cut to ferry fares."),
    article("wire-1", "Island Press Agency", "2025-12-31", WIRE, "The pier is due to open in 2027."),
    article("wire-2", "Harbour Herald", "2026-01-01", WIRE, "Harbour Herald readers said fares were too high."),
    article("wire-3", "Bay Times", "2026-01-01", WIRE, "Bay Times asked the ferry operator for comment."),
    article("after-as-of", "Coast Gazette", "2026-01-05",
            '"Ferry fares will double for tourists," Governor Ames said on Monday.'),
    article("undated-leaflet", "Ferry Users Group", None,
            '"Ferry fares are the lowest in the region," Governor Ames said in a leaflet.'),
]


@pytest.fixture(scope="module")
def time_index(tmp_path_factory, embedder):
    path = tmp_path_factory.mktemp("time") / "index"
    with QA(path, create=True) as bot:
        bot.add_articles(ARTICLES)
    return path


@pytest.fixture
def bot(time_index):
    with QA(time_index) as qa:
        yield qa


def cited_dates(answer) -> list[str | None]:
    return [c.passage.date for c in answer.citations]


def test_this_week_answers_from_the_week_only(bot):
    answer = bot.ask("What did Governor Ames say about ferry fares this week?", as_of="2026-01-02")
    assert not answer.abstained
    assert "this week (2025-12-29 to 2026-01-04)" in answer.text
    assert cited_dates(answer) and all("2025-12-29" <= d <= "2026-01-02" for d in cited_dates(answer))
    payload = validate_json(answer.as_json())
    assert payload["time"]["first"] == "2025-12-29" and payload["time"]["filter"] is True
    assert payload["question"] == "What did Governor Ames say about ferry fares this week?"


def test_nothing_in_range_names_the_newest_article(bot):
    answer = bot.ask("What did Governor Ames say about ferry fares last month?", as_of="2026-04-10")
    assert answer.abstained and not answer.citations
    assert "no article from last month (2026-03-01 to 2026-03-31), nor one mentioning a day of it" in answer.text
    assert "2026-01-05" in answer.text  # the newest article, not an answer from it
    assert validate_json(answer.as_json())["time"]["articles_in_range"] == 0
    found = bot.search("ferry fares last month", as_of="2026-04-10")
    assert found.passages == [] and found.as_json()["time"]["newest"] == "2026-01-05"


def test_articles_after_the_as_of_day_are_left_out(bot):
    found = bot.search("What did Governor Ames say about ferry fares for tourists this month?", k=10,
                       as_of="2026-01-02")
    assert found.passages and all(p.article_id != "after-as-of" for p in found.passages)
    later = bot.search("What did Governor Ames say about ferry fares for tourists this month?", k=10,
                       as_of="2026-01-31")
    assert "after-as-of" in [p.article_id for p in later.passages]


def test_recently_prefers_the_newest_evidence(bot):
    plain = bot.search("What did Governor Ames say about ferry fares?", k=7, as_of="2026-01-02")
    recent = bot.search("What did Governor Ames say about ferry fares recently?", k=7, as_of="2026-01-02")
    top = recent.passages[0]  # the wire story (shown as its first copy), carried again on 2026-01-01
    assert top.article_id == "wire-1" and {c.date for c in top.also_in} == {"2026-01-01"}
    assert plain.passages[0].article_id != "wire-1"
    dates = [p.date for p in recent.passages]
    assert None in dates and all(d is None for d in dates[dates.index(None):])  # undated: never taken for recent
    assert "after-as-of" not in [p.article_id for p in recent.passages]
    first = [p.article_id for p in recent.passages]
    assert first.index("gazette-december") < first.index("gazette-june")


def test_an_older_answer_for_recently_says_its_date(bot):
    answer = bot.ask("What did Governor Ames say about ferry fares recently?", as_of="2026-06-30")
    assert not answer.abstained
    assert "The newest evidence found is from 2026-01-05, older than the recent span (2026-06-01 to 2026-06-30)" \
        in answer.text


def test_timeline_in_date_order_with_wire_copies_collapsed(bot):
    answer = bot.timeline("What did Governor Ames say about ferry fares?", as_of="2026-01-02")
    lines = answer.text.splitlines()
    entries = answer.extra["timeline"]["entries"]
    assert [e["date"] for e in entries] == ["2025-06-10", "2025-12-30", "2025-12-31", None]
    wire = entries[2]
    assert wire["copies"] == 3 and wire["outlets"] == ["Island Press Agency", "Harbour Herald", "Bay Times"]
    assert "2025-12-31 · Island Press Agency, carried by 3 outlets: " in answer.text
    assert lines[-1].startswith("undated · Ferry Users Group: ")  # undated: last, and said so
    assert "after-as-of" not in [e["article_id"] for e in entries]
    assert [c.n for c in answer.citations] == [1, 2, 3, 4]
    validate_json(answer.as_json())


def test_timeline_pages(bot):
    first = bot.timeline("What did Governor Ames say about ferry fares?", as_of="2026-01-31", limit=2)
    second = bot.timeline("What did Governor Ames say about ferry fares?", as_of="2026-01-31", limit=2, page=2)
    assert first.extra["timeline"]["total"] == 5 and first.extra["timeline"]["pages"] == 3
    assert "page 2 shows more" in first.text
    assert [e["n"] for e in second.extra["timeline"]["entries"]] == [3, 4]
    assert [e["date"] for e in first.extra["timeline"]["entries"] + second.extra["timeline"]["entries"]] == \
        ["2025-06-10", "2025-12-30", "2025-12-31", "2026-01-05"]


def test_change_question_cites_first_and_latest(bot):
    answer = bot.ask("How has Governor Ames's position on ferry fares changed?", as_of="2026-01-02")
    assert cited_dates(answer) == ["2025-06-10", "2025-12-31"]
    assert answer.text.startswith("First, on 2025-06-10 (Coast Gazette): ")
    assert "Latest, on 2025-12-31 (Island Press Agency, carried by 3 outlets)" in answer.text


def test_cli_as_of_and_all(cli, time_index):
    result = cli("ask", "What did Governor Ames say about ferry fares?", "--all", "--as-of", "2026-01-02",
                 "--json", "--index", time_index)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["timeline"]["total"] == 4 and payload["timeline"]["as_of"] == "2026-01-02"
    bad = cli("ask", "What did Ames say this week?", "--as-of", "2026-02-30", "--index", time_index)
    assert bad.exit_code == 2 and "not a real calendar day" in bad.output


def test_questions_file_as_of_fields(cli, time_index, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(r) for r in [
        {"q": "What did Governor Ames say about ferry fares this week?", "as_of": "2026-01-02"},
        {"q": "What did Governor Ames say about ferry fares?", "as_of": "2026-01-02", "all": True},
        {"q": "What did Governor Ames say this week?", "as_of": "2026-13-01"},
    ]) + "\n")
    result = cli("ask", "--questions", questions, "--index", time_index)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["time"]["first"] == "2025-12-29"
    assert lines[1]["timeline"]["total"] == 4
    assert "not a real calendar day" in lines[2]["error"]


def test_a_date_named_outright_bounds_the_answer(bot):
    answer = bot.ask("What did Governor Ames say about ferry fares in June 2025?", as_of="2026-01-31")
    assert cited_dates(answer) and set(cited_dates(answer)) == {"2025-06-10"}
    assert answer.text.startswith("Time asked about: June 2025 (2025-06-01 to 2025-06-30).")
    nothing = bot.ask("What did Governor Ames say about ferry fares in 2019?")
    assert nothing.abstained and "no article from 2019 (2019-01-01 to 2019-12-31), nor one mentioning" in nothing.text


def test_http_as_of_and_all(time_index, tmp_path):
    from tests.test_serve import TOKEN, Server, http

    server = Server(["--index", str(time_index)], tmp_path, {"QA_SERVE_TOKEN": TOKEN})
    try:
        question = "What did Governor Ames say about ferry fares this week?"
        status, body, _ = http("POST", f"{server.url}/ask",
                               json.dumps({"question": question, "as_of": "2026-01-02"}).encode())
        assert status == 200, body
        assert validate_json(json.loads(body))["time"]["first"] == "2025-12-29"
        status, body, _ = http("POST", f"{server.url}/ask", json.dumps(
            {"question": "What did Governor Ames say about ferry fares?", "as_of": "2026-01-02", "all": True,
             "page": 1}).encode())
        assert status == 200 and json.loads(body)["timeline"]["total"] == 4
        status, body, _ = http("GET", f"{server.url}/search?q=ferry+fares+last+month&as_of=2026-04-10")
        assert status == 200 and json.loads(body)["time"]["newest"] == "2026-01-05"
        status, body, _ = http("POST", f"{server.url}/ask", json.dumps({"question": question,
                                                                         "as_of": "2026-02-30"}).encode())
        assert status == 400 and "not a real calendar day" in body
    finally:
        server.stop()


def test_mcp_as_of_and_all(time_index, tmp_path):
    pytest.importorskip("mcp")
    from tests.test_mcp import session

    async def work(client):
        week = await client.call_tool("ask", {"question": "What did Governor Ames say about ferry fares this week?",
                                              "as_of": "2026-01-02"})
        listing = await client.call_tool("ask", {"question": "What did Governor Ames say about ferry fares?",
                                                 "as_of": "2026-01-02", "all": True})
        return week, listing

    week, listing = session(time_index, tmp_path, work)
    assert not week.is_error and week.structured_content["time"]["last"] == "2026-01-04"
    assert "this week (2025-12-29 to 2026-01-04)" in week.content[0].text
    assert [e["date"] for e in listing.structured_content["timeline"]["entries"]] == \
        ["2025-06-10", "2025-12-30", "2025-12-31", None]


def test_chat_as_of(cli, time_index):
    result = cli("chat", "--index", time_index, input="/as-of 2026-01-02\n"
                 "What did Governor Ames say about ferry fares this week?\n/as-of 2026-02-30\n/as-of\n/quit\n")
    assert "as of 2026-01-02" in result.output
    assert "this week (2025-12-29 to 2026-01-04)" in result.output
    assert "not a real calendar day" in result.output
    assert result.output.rstrip().endswith("as of 2026-01-02")  # a bad day changed nothing


def test_coverage_by_outlet(bot):
    answer = bot.ask("How did outlets report the ferry fares?", as_of="2026-01-02")
    payload = validate_json(answer.as_json())["coverage"]
    outlets = [o["outlet"] for o in payload["outlets"]]
    assert len(outlets) == len(set(outlets)) >= 2  # one line per outlet
    assert "after-as-of" not in [o["article_id"] for o in payload["outlets"]]
    wire = next(o for o in payload["outlets"] if o["article_id"] == "wire-1")
    assert wire["carried_by"] == ["Harbour Herald", "Bay Times"]
    assert "Harbour Herald" not in outlets or any(o["article_id"] == "wire-2" for o in payload["outlets"])
    lines = answer.text.splitlines()
    assert any(line.startswith("Island Press Agency, 2025-12-31 (the same wire paragraph: Harbour Herald, "
                               "2026-01-01; Bay Times, 2026-01-01): ") for line in lines)


def test_coverage_names_differing_figures(tmp_path, embedder):
    from .conftest import REPO

    with QA(tmp_path / "index", create=True) as news:
        news.index([REPO / "examples" / "news"])
        answer = news.ask("How did the media cover the missiles this week?", as_of="2024-11-08")
    assert "The figures differ (Yonhap: 300 km; Reuters: 360 km)." in answer.text.splitlines()
    reuters = next(o for o in answer.extra["coverage"]["outlets"] if o["outlet"] == "Reuters")
    assert reuters["carried_by"] == ["Harbour Herald"] and reuters["figures"] == {"km": ["360"]}


def test_cli_search_names_the_span(cli, time_index):
    empty = cli("search", "ferry fares last month", "--as-of", "2026-04-10", "--index", time_index)
    assert empty.exit_code == 0
    assert empty.output.splitlines() == [
        "Time asked about: last month (2026-03-01 to 2026-03-31), as of 2026-04-10.",
        "The index holds no article from last month (2026-03-01 to 2026-03-31), nor one mentioning a day of it; "
        "the newest article is from 2026-01-05."]
    week = cli("search", "ferry fares this week", "--as-of", "2026-01-02", "--index", time_index)
    assert week.output.startswith("Time asked about: this week (2025-12-29 to 2026-01-04), as of 2026-01-02.\n1. ")


def test_an_archive_without_dates_answers_from_undated_articles_and_says_so(tmp_path, embedder):
    with QA(tmp_path / "index", create=True) as bot:
        bot.add_articles([article("leaflet", "Ferry Users Group", None,
                                  '"Ferry fares rose by ten percent," Governor Ames told the harbour meeting.')])
        for question in ("What did Governor Ames say about ferry fares in 2024?",
                         "What did Governor Ames say about ferry fares on Tuesday?"):
            answer = bot.ask(question, as_of="2026-01-02")
            assert not answer.abstained and cited_dates(answer) == [None]
            assert "No dated article is from " in answer.text and "undated articles" in answer.text
            assert validate_json(answer.as_json())["time"]["undated_only"] is True
        # a recency word ("new", "current") has nothing to rank by in an undated archive: asked as written
        answer = bot.ask("What did Governor Ames say about the new ferry fares?", as_of="2026-01-02")
        assert not answer.abstained and "Time asked about" not in answer.text
        assert "time" not in validate_json(answer.as_json())


def test_the_stores_date_queries_agree_with_its_articles(bot):
    """A time question asks the store for its date bounds in SQL (one query each, the articles table's
    date index); each answer is what reading every article's date gives (the store base's way, which
    the Milvus store keeps), on each side of every date in the index."""
    from qa.index.store_base import StoreBase

    store = bot.store
    days = sorted({a.date for a in ARTICLES if a.date})
    probes = days + ["2025-01-01", "2025-06-11", "2025-12-31T", "2026-12-31"]
    assert store.has_articles() is StoreBase.has_articles(store) is True
    assert store.newest_date() == StoreBase.newest_date(store) == "2026-01-05"
    for day in probes:
        assert store.newest_date(day) == StoreBase.newest_date(store, day), day
        assert store.published_after(day) == StoreBase.published_after(store, day), day
        assert sorted(store.articles_known_by(day)) == sorted(StoreBase.articles_known_by(store, day)), day
    assert "undated-leaflet" in store.articles_known_by("2000-01-01")
    plan = " ".join(str(r) for r in store.db.execute("EXPLAIN QUERY PLAN SELECT max(date) FROM articles "
                                                       "WHERE date > '' AND date <= ?", ("2025-12-31",)))
    assert "articles_date" in plan, plan  # the index, not a scan of every row
