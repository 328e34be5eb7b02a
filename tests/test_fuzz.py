"""Fuzzing with hypothesis: the loaders and the question parsers on arbitrary bytes and text.

Loaders may refuse input only with LoadError (a QAError) and otherwise give numbered, non-empty,
clean paragraphs. Question parsing never raises, and the FTS5 expression built from any question
is valid FTS5 syntax, checked against a real in-memory FTS5 table with qa's tokenizer.
"""

from __future__ import annotations

import sqlite3
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.ingest.documents import MAX_BLOCK_CHARS, MAX_PARAGRAPH_CHARS, SEARCHABLE, parse_text, strip_control
from qa.ingest.loaders import decode_bytes, load_file
from qa.errors import LoadError
from qa.search.ranking import fts_query, query_terms
from qa.search.speakers import SpeakerQuestion, parse_speaker_question

FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SLOW = settings(FAST, max_examples=30)  # trafilatura parses each HTML example

# Text that looks like articles: words, punctuation, quotes, bullets, blank lines, escapes, odd Unicode.
PIECES = st.sampled_from(["\n", "\n\n", "\r\n", " ", "\t", ".", "!", "?", "“", "”", "\"", "'", "- ", "* ", "1. ",
                          "# ", "Sign up here.", "By Jane Doe", "SEOUL, Nov 7 (Reuters) - ", "said", "U.S.", "Mr.",
                          "\x1b[31m", "\x1b]0;t\x07", "\x9b2J", "\x00", "\ufeff", "é", "中文", "🙂", "[3]", "SYSTEM:"])
ARTICLE_TEXT = st.lists(st.one_of(PIECES, st.text(max_size=40)), max_size=60).map("".join)


def check_article(article) -> None:
    numbers = [p.number for p in article.paragraphs]
    assert numbers == sorted(numbers) and all(n >= 1 for n in numbers)
    assert isinstance(article.title, str) and article.title == article.title.strip()
    for p in article.paragraphs:
        assert isinstance(p.text, str) and p.text.strip() and p.text == p.text.strip()
        assert strip_control(p.text) == p.text  # no terminal escapes or control characters survive
        assert len(p.text) <= MAX_BLOCK_CHARS
        if p.kind in SEARCHABLE:
            assert len(p.text) <= MAX_PARAGRAPH_CHARS or p.part == 0 and len(p.text) <= MAX_PARAGRAPH_CHARS
            assert any(c.isalnum() for c in p.text)


@FAST
@given(st.binary(max_size=3000))
def test_decode_bytes_returns_text_or_load_error(data):
    try:
        text, warning = decode_bytes(data, "f.txt")
    except LoadError as exc:
        assert "f.txt" in str(exc)
        return
    assert isinstance(text, str) and (warning is None or "f.txt" in warning)


@FAST
@given(ARTICLE_TEXT, st.booleans())
def test_parse_text_gives_clean_numbered_paragraphs(text, markdown):
    check_article(parse_text(text, article_id="x", markdown=markdown))


@FAST
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_parse_text_on_any_unicode(text):
    check_article(parse_text(text, article_id="x"))


def load_any(tmp_path, suffix: str, data: bytes) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        loaded = load_file(path, "fuzz")
    except LoadError as exc:
        assert str(path) in str(exc)
        return
    assert all(isinstance(w, str) and w for w in loaded.warnings)
    for article in loaded.articles:
        check_article(article)
        assert any(p.kind in SEARCHABLE for p in article.paragraphs)
    if not loaded.articles:
        assert loaded.warnings  # nothing indexed is always explained


@FAST
@given(st.sampled_from([".txt", ".md", ".jsonl"]), st.one_of(st.binary(max_size=2000), ARTICLE_TEXT.map(str.encode)))
def test_load_file_raises_only_load_error(tmp_path, suffix, data):
    load_any(tmp_path, suffix, data)


JSON_LINES = st.lists(st.one_of(
    st.builds(lambda t, x, i: '{"id": %s, "title": %s, "text": %s}' % (i, t, x),
              st.sampled_from(['"T"', "null", "1", "[]", '{"a": 1}', '"\\u001b[2J"']),
              st.sampled_from(['"Body text."', '""', "null", "42", '["One.", "Two."]', '[1, {"x": 2}]',
                               '"\\u0000"', '"* * *"']),
              st.sampled_from(['"a1"', "null", "7", '""', "[1]", '"a1"'])),
    st.text(max_size=30)), max_size=8).map("\n".join)


@FAST
@given(JSON_LINES)
def test_jsonl_with_any_fields(tmp_path, text):
    load_any(tmp_path, ".jsonl", text.encode("utf-8", "surrogatepass"))


@SLOW
@given(st.one_of(st.binary(max_size=1500), st.lists(st.sampled_from(
    ["<p>", "</p>", "<div>", "<script>x()</script>", "<style>p{}</style>", "<title>T</title>", "<<", ">>", "&amp;",
     "&#0;", "<!--", "-->", "<meta charset='utf-16'>", "The harbour reopened on Friday after the storm. ",
     "<article>", "</html>", "\x00", "é"]), max_size=40).map(lambda parts: "".join(parts).encode())))
def test_html_loader_raises_only_load_error(tmp_path, data):
    load_any(tmp_path, ".html", data)


# --- questions -----------------------------------------------------------------------------------

NAMES = st.sampled_from(["Klingner", "Bruce Klingner", "the former CIA analyst", "he", "Pardo's", "O'Brien", "",
                         "what", "did", "a" * 300, "“Trump”", "[1]", '"', "AND", "OR", "NOT", "NEAR(", "*", "^"])
QUESTIONS = st.one_of(
    st.text(max_size=200),
    st.builds(lambda a, who, verb, topic: f"{a} {who} {verb} {topic}?",
              st.sampled_from(["What did", "what has", "Did", "According to", "What was said by", "and what did",
                               "Quotes from", "Everything"]),
              NAMES, st.sampled_from(["say", "said", "think", "warn", "tell reporters", "'s comments", ","]),
              st.one_of(st.text(max_size=40), st.sampled_from(["about the treaty", "on Russia", ""]))),
)


@pytest.fixture(scope="module")
def fts():
    """A real FTS5 table with qa's tokenizer, holding a little text to match against."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61')")
    db.executemany("INSERT INTO t (text) VALUES (?)", [("Klingner said Kim could see an upside",),
                                                        ("The treaty with Russia was signed",)])
    yield db
    db.close()


@FAST
@given(QUESTIONS)
def test_question_parsing_never_raises_and_fts_syntax_is_valid(fts, question):
    asked = parse_speaker_question(question)
    assert asked is None or (isinstance(asked, SpeakerQuestion) and asked.phrase.strip())
    terms = query_terms(question)
    assert all(isinstance(t, str) and t for t in terms) and len(terms) == len(set(terms))
    match = fts_query(terms)
    if terms:
        fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall()  # raises on bad syntax


@FAST
@given(st.lists(st.text(max_size=20), max_size=6))
def test_fts_query_of_any_terms_is_valid_syntax(fts, terms):
    match = fts_query(terms)
    if match:
        fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall()


def test_long_questions_are_parsed_quickly():
    for question in ("what did " + "has " * 5000, "according to " + "x " * 10000, "what " * 8000 + "said"):
        started = time.monotonic()
        parse_speaker_question(question)
        query_terms(question)
        assert time.monotonic() - started < 0.5
