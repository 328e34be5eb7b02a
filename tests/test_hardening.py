"""Named regressions for inputs a careless or hostile user gives: impossible dates, wrongly typed
`--questions` fields, malformed URLs, duplicate article ids, year/month date bounds, a broken pipe,
a misspelt backend, an article's own "[1]", a question whose answer sits under the article's headline.
Each was once a traceback, a silently lost article or a wrong result."""

from __future__ import annotations

import json

import pytest

from qa.ingest.dates import DateError, calendar_date, date_bound, date_range
from qa.index.store import Store

from .conftest import SAMPLE
from .procs import QAProcess

SAMPLE_ID = "reuters-2024-11-07-trump-kim"


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def stored(index) -> dict[str, tuple]:
    with Store.open(index) as store:
        return {a.id: (a.title, a.date, a.source) for a in store.articles()}


# --- impossible dates ----------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_models")  # input handling: no model judgement needed
def test_impossible_dates_in_articles_are_warnings_and_every_file_is_indexed(cli, tmp_path):
    folder, index = tmp_path / "in", tmp_path / "index"
    write(folder / "good.txt", "Harbour news\n\nThe harbour reopened on Friday after the storm.\n")
    write(folder / "bad.txt", "Bridge news\n\nPublished: 2024-02-30\n\nThe bridge was repaired after the flood.\n")
    write(folder / "reuters-2024-13-45-talks.txt", "Talks\n\nThe talks resumed on Tuesday in Geneva.\n")
    write(folder / "feed.jsonl", json.dumps({"id": "j1", "text": "The mayor spoke on Sunday.", "date": "2024-02-30"}))
    out = cli("index", folder, "--index", index)
    assert out.exit_code == 0, out.output
    assert "Traceback" not in out.output
    for name in ("bad.txt: '2024-02-30'", "reuters-2024-13-45-talks.txt: '2024-13-45'",
                 "feed.jsonl: article 'j1': '2024-02-30'"):
        assert f"{name} is not a real calendar date; indexed without a publication date" in out.output
    # Indexed with a warning is not skipped.
    assert "skipped:" not in out.output and "0 skipped" in out.output and "warning:" in out.output
    articles = stored(index)
    assert set(articles) == {"good", "bad", "reuters-2024-13-45-talks", "j1"}
    assert all(date is None for _, date, _ in articles.values())
    assert articles["reuters-2024-13-45-talks"][2] == "Reuters"  # the rest of the name still counts
    assert cli("check", "--index", index).exit_code == 0


def test_impossible_dateline_date_is_not_used(tmp_path):
    from qa.ingest.loaders import load_file

    path = write(tmp_path / "x.txt", "Talks\n\nSEOUL, Feb 30, 2024 (Reuters) - Talks resumed on Tuesday.\n")
    loaded = load_file(path, "x")
    assert loaded.articles[0].date is None and loaded.articles[0].source == "Reuters"
    assert any("'Feb 30, 2024' is not a real calendar date" in w for w in loaded.warnings)


def test_index_date_option_must_be_a_real_day(cli, tmp_path):
    path = write(tmp_path / "good.txt", "Harbour news\n\nThe harbour reopened on Friday.\n")
    for value in ("2024-13-45", "2024-02-30", "2024", "soon"):
        out = cli("index", path, "--date", value, "--index", tmp_path / "index")
        assert out.exit_code == 2 and "Traceback" not in out.output, out.output
        assert "is not a real calendar day; use YYYY-MM-DD" in out.output
    out = cli("index", path, "--date", "2024-02-29", "--index", tmp_path / "index", "--json")
    assert out.exit_code == 0 and stored(tmp_path / "index")["good"][1] == "2024-02-29"


def test_python_api_date_default_is_checked(tmp_path, embedder):
    from qa.api import QA

    with QA(tmp_path / "index", create=True) as bot, pytest.raises(DateError, match="not a real calendar date"):
        bot.index([SAMPLE], date="2024-13-45")


# --- date bounds ---------------------------------------------------------------------------------


def test_a_year_or_month_bound_means_its_first_or_last_day():
    assert date_bound("2024", end=False) == "2024-01-01" and date_bound("2024", end=True) == "2024-12-31"
    assert date_bound("2024-02", end=False) == "2024-02-01" and date_bound("2024-02", end=True) == "2024-02-29"
    assert date_bound("2023-02", end=True) == "2023-02-28"
    assert date_bound("Nov 2024", end=True) == "2024-11-30"
    assert date_bound("7 November 2024", end=False) == "2024-11-07"
    for bad in ("2024-13-45", "2024-02-30", "2024-13", "bad", "", "0000"):
        with pytest.raises(DateError):
            date_bound(bad, end=False)
    with pytest.raises(DateError, match="reversed"):
        date_range("2025", "2024")
    assert calendar_date("2024-02-30") is None and calendar_date("2024-11-07T10:04:00Z") == "2024-11-07"
    assert calendar_date("Nov 2024") is None  # a publication date needs its day: none is made up


def test_since_and_until_a_year(cli, sample_index):
    def ids(*args):
        out = cli("search", "What did Klingner say?", "--index", sample_index, "--json", *args)
        assert out.exit_code == 0, out.output
        return [p["id"] for p in json.loads(out.output)["passages"]]

    assert ids("--since", "2024") == ids("--since", "2024-01-01") != []
    assert ids("--until", "2024") == ids("--until", "2024-12-31") != []
    assert ids("--since", "2024-11") == ids("--since", "2024-11-01") != []


def test_impossible_or_reversed_bounds_are_refused(cli, sample_index):
    out = cli("search", "Klingner", "--since", "2024-13-45", "--index", sample_index)
    assert out.exit_code == 2 and "'2024-13-45' is not a real calendar date" in out.output
    out = cli("ask", "Klingner", "--until", "2024-02-30", "--index", sample_index)
    assert out.exit_code == 2 and "'2024-02-30' is not a real calendar date" in out.output
    out = cli("search", "Klingner", "--since", "2025", "--until", "2024", "--index", sample_index)
    assert out.exit_code == 2 and "reversed: --since 2025-01-01 is after --until 2024-12-31" in out.output


# --- --questions ---------------------------------------------------------------------------------


def test_questions_with_wrong_types_give_an_error_line_each_and_never_stop(cli, sample_index, tmp_path):
    good = {"q": "What did Klingner say?"}
    bad = [{"k": "abc"}, {"k": 2.5}, {"k": [1]}, {"k": 0}, {"k": True}, {"article": 7}, {"article": ["x"]},
           {"since": "bad"}, {"since": 2024}, {"until": "2024-13-45"}, {"since": "2025", "until": "2024"}]
    lines = []
    for fields in bad:
        lines += [json.dumps({**good, **fields}), json.dumps(good)]
    lines += [json.dumps({**good, "until": "2024", "k": None}), json.dumps({"q": 7}), "{not json"]
    path = write(tmp_path / "q.jsonl", "\n".join(lines))
    for command in ("search", "ask"):
        out = cli(command, "--questions", path, "--index", sample_index)
        assert out.exit_code == 0 and "Traceback" not in out.output, out.output
        results = [json.loads(line) for line in out.stdout.splitlines()]
        assert len(results) == len(lines)  # output never stops early
        errors = [r for r in results if "error" in r]
        assert len(errors) == len(bad) + 2
        assert all(f"q.jsonl:{2 * i + 1}:" in errors[i]["error"] for i in range(len(bad)))
        assert 'must be a whole number from 1 to 100, not "abc"' in errors[0]["error"]
        assert "'bad' is not a date" in errors[7]["error"]
        until_2024 = results[2 * len(bad)]  # "k": null is the default k
        assert "error" not in until_2024  # "until": "2024" is the year's last day, not a string to compare


def test_a_question_line_is_split_only_at_newlines(cli, sample_index, tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("What did Klingner\u2028say?\nWhat did Pardo\x85say?\n", encoding="utf-8")
    out = cli("search", "--questions", path, "--index", sample_index)
    assert out.exit_code == 0 and len(out.stdout.splitlines()) == 2
    # A lone "\r" is inside a line (reading as text would split there), and Windows line ends work.
    path.write_bytes(b"What did Klingner\rsay?\r\nWhat did Pardo say?\r\n")
    out = cli("search", "--questions", path, "--index", sample_index)
    assert out.exit_code == 0 and len(out.stdout.splitlines()) == 2, out.stdout
    assert [json.loads(line)["query"] for line in out.stdout.splitlines()][1] == "What did Pardo say?"


@pytest.mark.usefixtures("fake_models")  # input handling: no model judgement needed
def test_file_names_that_are_not_utf8_are_indexed_under_readable_ids(cli, tmp_path):
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    for raw in (b"caf\xe9.txt", b"\xff\xfe.txt"):
        with open(os.path.join(os.fsencode(folder), raw), "w", encoding="utf-8") as fh:
            fh.write("Harbour news\n\nThe harbour reopened on Friday after the storm.\n")
    index = tmp_path / "index"
    out = cli("index", folder, "--index", index)
    assert out.exit_code == 0, out.output
    assert set(stored(index)) == {"caf\\xe9", "\\xff\\xfe"}
    again = cli("index", folder, "--index", index, "--json")
    assert json.loads(again.stdout)["unchanged"] == 2
    assert cli("check", "--index", index).exit_code == 0


# --- URLs ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_models")  # input handling: no model judgement needed
def test_malformed_urls_are_reported_and_the_good_file_is_indexed(cli, tmp_path):
    good = write(tmp_path / "good.txt", "Harbour news\n\nThe harbour reopened on Friday after the storm.\n")
    out = cli("index", "https://[::1", "http://127.0.0.1:abc/x", good, "--index", tmp_path / "index")
    assert out.exit_code == 0 and "Traceback" not in out.output, out.output
    assert "https://[::1: not a valid URL" in out.output and "http://127.0.0.1:abc/x: not a valid URL" in out.output
    assert set(stored(tmp_path / "index")) == {"good"}
    out = cli("index", "http://[", "--index", tmp_path / "index")
    assert out.exit_code == 1 and "not a valid URL" in out.output


# --- article identity ----------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_models")  # input handling: no model judgement needed
def test_duplicate_ids_in_one_jsonl_file_are_kept_apart(cli, tmp_path):
    feed = write(tmp_path / "feed.jsonl", json.dumps({"id": "a", "title": "First", "text": "The ferry sank."}) + "\n"
                 + json.dumps({"id": "a", "title": "Second", "text": "The tram was late."}) + "\n")
    index = tmp_path / "index"
    out = cli("index", feed, "--index", index)
    assert out.exit_code == 0
    assert "feed.jsonl:2: the id 'a' was already given at line 1; this record is indexed as 'a-2'" in out.output
    assert {k: v[0] for k, v in stored(index).items()} == {"a": "First", "a-2": "Second"}
    again = cli("index", feed, "--index", index, "--json")
    assert json.loads(again.stdout)["unchanged"] == 1
    assert {k: v[0] for k, v in stored(index).items()} == {"a": "First", "a-2": "Second"}


@pytest.mark.usefixtures("fake_models")  # input handling: no model judgement needed
@pytest.mark.parametrize("together", [True, False])
def test_a_jsonl_id_equal_to_another_files_id_is_kept_apart(cli, tmp_path, together):
    md = write(tmp_path / "in" / "a.md", "# Markdown A\n\nThe harbour reopened on Friday.\n")
    feed = write(tmp_path / "feed.jsonl", json.dumps({"id": "a", "title": "JSONL A", "text": "The tram was late."}))
    index = tmp_path / "index"
    runs = [[md, feed]] if together else [[md], [feed]]
    output = "".join(cli("index", *paths, "--index", index).output for paths in runs)
    assert "belongs to an article from another file; this one is indexed as" in output
    titles = sorted(v[0] for v in stored(index).values())
    assert titles == ["JSONL A", "Markdown A"]
    before = stored(index)
    out = cli("index", md, feed, "--index", index, "--json")  # a second run re-adds nothing under a new id
    assert json.loads(out.stdout)["unchanged"] == 2 and stored(index) == before


# --- output and exit codes -----------------------------------------------------------------------


@pytest.mark.usefixtures("fake_models")  # input handling: no model judgement needed
def test_list_piped_keeps_each_article_on_one_line(cli, tmp_path):
    name = "a-rather-long-article-file-name-that-a-table-would-wrap-across-lines"
    write(tmp_path / "in" / f"{name}.txt", "A headline that is long enough to need wrapping in a table\n\n"
          "The harbour reopened on Friday after the storm.\n")
    cli("index", tmp_path / "in", "--index", tmp_path / "index")
    out = cli("list", "--index", tmp_path / "index")
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "title", "source", "date", "¶"]
    assert lines[1].split("\t")[0] == name and len(lines) == 2


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["search", "Klingner", "-k", "20"],
                                  ["search", "Klingner", "-k", "20", "--json"]])
def test_a_broken_pipe_is_quiet_and_exits_0(sample_index, tmp_path, args):
    run = QAProcess([*args, "--index", sample_index], tmp_path, {"QA_CONFIG": str(tmp_path / "none.toml"),
                                                                  "QA_LLM": "none"}, closed_stdout=True)
    assert run.wait() == 0, run.stderr
    assert run.stderr == ""


def test_an_unknown_llm_backend_is_a_usage_error(cli, sample_index):
    out = cli("ask", "What did Klingner say?", "--llm", "bogus", "--index", sample_index)
    assert out.exit_code == 2 and "unknown LLM backend 'bogus'; use auto, local, openai or none" in out.output


def test_an_articles_own_markers_are_shown_in_parentheses(cli, tmp_path):
    write(tmp_path / "in" / "notes.txt", "Harbour notes\n\nThe harbour expansion will cost 40 million dollars [1], "
          "officials said [2].\n")
    index = tmp_path / "index"
    cli("index", tmp_path / "in", "--index", index)
    search = cli("search", "harbour expansion cost", "--index", index)
    assert "dollars (1), officials said (2)." in search.stdout and "[1]," not in search.stdout
    answer = cli("ask", "How much will the harbour expansion cost?", "--index", index)
    sources = answer.stdout.split("Sources:")[1]
    assert "dollars (1)" in sources and "[2]" not in sources


# --- evidence ------------------------------------------------------------------------------------

ACME = """Acme shares climb after profit beat

Acme Corp reported a rise in quarterly profit on Tuesday, helped by strong demand for its industrial robots.

Chief executive John Smith said the company would open two new factories next year.

Acme also raised its full-year forecast and announced a share buyback of $500 million.

Analysts at several banks raised their price targets for Acme after the results.
"""


def test_the_chief_executive_question_is_answered_from_the_paragraph_under_its_headline(cli, tmp_path):
    write(tmp_path / "in" / "acme.txt", ACME)
    index = tmp_path / "index"
    cli("index", tmp_path / "in", SAMPLE, "--index", index)
    top = json.loads(cli("search", "chief executive", "--index", index, "--json").stdout)["passages"][0]
    assert (top["article_id"], top["paragraph"]) == ("acme", 2)
    answer = json.loads(cli("ask", "Who is the chief executive of Acme?", "--index", index, "--json").stdout)
    assert not answer["abstained"], answer["answer"]
    assert "John Smith" in answer["answer"] and answer["citations"][0]["paragraph"] == 2
    missing = json.loads(cli("ask", "What is the population of Acme?", "--index", index, "--json").stdout)
    assert missing["abstained"]
    assert '"population"' in missing["answer"] and '"acme"' not in missing["answer"]


@pytest.mark.usefixtures("fake_models")  # input handling: no model judgement needed
def test_a_renamed_jsonl_id_does_not_take_a_later_records_id(cli, tmp_path):
    md = write(tmp_path / "in" / "a.md", "# Markdown A\n\nThe harbour reopened on Friday.\n")
    records = [{"id": i, "title": f"JSONL {i}", "text": "The tram was late."} for i in ("a", "a-2")]
    feed = write(tmp_path / "feed.jsonl", "\n".join(map(json.dumps, records)))
    index = tmp_path / "index"
    cli("index", md, "--index", index)
    out = cli("index", feed, "--index", index)
    assert "indexed as 'a-3'" in out.output
    assert {k: v[0] for k, v in stored(index).items()} == {"a": "Markdown A", "a-3": "JSONL a", "a-2": "JSONL a-2"}
