"""What the docs promise about outlets, counts, JSON and messages, each checked on the shipped examples."""

from __future__ import annotations

import json
import shutil
from dataclasses import fields

import pytest

from qa.config import Settings
from qa.ingest.documents import parse_text
from qa.ingest.loaders import _meta_from_filename, load_file

from .conftest import REPO, validate_json

NEWS = REPO / "examples" / "news"


@pytest.fixture(scope="module")
def news_index(tmp_path_factory, embedder):
    """The sample article and the example news articles, indexed once."""
    from qa.api import QA

    path = tmp_path_factory.mktemp("news") / "index"
    with QA(path, create=True) as bot:
        bot.index([REPO / "examples" / "articles", NEWS])
    return path


@pytest.mark.parametrize(("stem", "outlet", "date"), [
    ("harbour-herald-2024-11-08-missiles", "Harbour Herald", "2024-11-08"),
    ("reuters-2024-11-07-trump-kim", "Reuters", "2024-11-07"),
    ("ap-2024-01-02", "AP", "2024-01-02"),
    ("new_york_times-2024-01-02-budget", "New York Times", "2024-01-02"),
    ("notes", None, None),
    ("2024-01-02-notes", None, None),
])
def test_outlet_and_date_from_file_names(stem, outlet, date):
    assert _meta_from_filename(stem) == (outlet, date)


def test_outlet_and_date_line_under_the_headline_is_metadata():
    article = load_file(NEWS / "harbour-herald-2024-11-08-missiles.txt", "hh").articles[0]
    assert (article.source, article.date) == ("Harbour Herald", "2024-11-08")
    assert article.paragraphs[0].text.startswith("SEOUL, Nov 7 (Reuters)")  # ¶1 is the story, not the line
    plain = parse_text("Harbour news\n\nHarbour Herald, 8 November 2024\n\nThe ferry ran late on Friday.",
                       article_id="x")
    assert (plain.source, plain.date, len(plain.paragraphs)) == ("Harbour Herald", "2024-11-08", 1)
    dateline = parse_text("Talks\n\nSEOUL, 8 November 2024\n\nThe talks began.", article_id="y")
    assert dateline.source is None  # a place in capitals is a dateline, not an outlet


def test_the_original_wire_copy_leads_its_cluster(news_index):
    from qa.api import QA

    with QA(news_index) as bot:
        top = bot.search("North Korea fired two short-range ballistic missiles into the sea", k=3).passages
    copy = next(p for p in top if p.also_in)
    assert (copy.source, copy.date) == ("Reuters", "2024-11-07")  # the Harbour Herald ran it a day later
    assert [(c.source, c.date) for c in copy.also_in] == [("Harbour Herald", "2024-11-08")]


def test_index_and_list_count_the_same_paragraphs(cli, tmp_path):
    index = tmp_path / "index"
    report = json.loads(cli("index", REPO / "examples" / "articles", "--index", index, "--json").stdout)
    listed = json.loads(cli("list", "--index", index, "--json").stdout)["articles"]
    assert report["paragraphs_embedded"] == listed[0]["paragraphs"] == 23  # not the heading or boilerplate


def test_ask_and_search_json_share_the_speaker_object(cli, sample_index):
    search = json.loads(cli("search", "What did Klingner say?", "--index", sample_index, "--json").stdout)
    ask = json.loads(cli("ask", "What did Klingner say?", "--index", sample_index, "--json").stdout)
    assert ask["speaker"] == search["speaker"]
    assert set(ask["speaker"]) == {"asked_about", "topic", "speakers"} and "speakers" not in set(ask) - {"speaker"}


def test_answer_to_json_is_the_cli_json(cli, sample_bot, sample_index):
    question = "When did the South Korean presidential official speak to reporters?"
    printed = cli("ask", question, "--index", sample_index, "--json").stdout.strip()
    assert sample_bot.ask(question).to_json() == printed
    assert validate_json(json.loads(printed))["citations"][0]["paragraph"] == 19
    assert sample_bot.search(question).to_json() == cli("search", question, "--index", sample_index,
                                                        "--json").stdout.strip()


def test_schema_rejects_what_it_should(sample_bot):
    payload = sample_bot.ask("What did Klingner say?").as_json()
    payload["citations"][0]["paragraph"] = "22"
    with pytest.raises(AssertionError, match="docs/schema.json"):
        validate_json(payload)


def test_every_setting_is_in_the_help(cli):
    help_text = cli("--help").output
    for f in fields(Settings):
        assert f"QA_{f.name.upper()}" in help_text
    assert "QA_LLM_THREADS" in cli("ask", "--help").output


def test_the_examples_folder_is_self_describing(tmp_path):
    """Every example article loads with an outlet and a date (what the news docs show)."""
    shutil.copytree(NEWS, tmp_path / "news")
    for path in sorted((tmp_path / "news").glob("*.txt")):
        article = load_file(path, path.stem).articles[0]
        assert article.source and article.date, path.name
