"""Loading articles: paragraph numbering, boilerplate, formats, decoding."""

from __future__ import annotations

import json

import pytest

from qa.ingest.documents import BOILERPLATE, BULLET, HEADING, MAX_PARAGRAPH_CHARS, parse_text, split_sentences
from qa.ingest.loaders import decode_bytes, find_files, load_file
from qa.errors import LoadError

from .conftest import SAMPLE


def sample_article():
    return load_file(SAMPLE, SAMPLE.stem).articles[0]


def test_sample_paragraphs_numbered_as_a_reader_counts():
    article = sample_article()
    by_number = {p.number: p for p in article.paragraphs}
    assert [by_number[n].kind for n in (1, 2, 3)] == [BULLET] * 3
    assert by_number[4].text.startswith("SEOUL, Nov 7 (Reuters)")
    assert by_number[18].kind == HEADING and by_number[18].text == "UPSIDES FOR NORTH KOREA?"
    assert by_number[22].text.startswith("Kim could see an upside")
    assert by_number[23].text.endswith("he said.")
    assert "Klingner said" in by_number[24].text
    assert [by_number[n].kind for n in (25, 26, 27)] == [BOILERPLATE] * 3
    assert max(by_number) == 27


def test_sample_metadata_from_filename_dateline_and_credits():
    article = sample_article()
    assert article.source == "Reuters"
    assert article.date == "2024-11-07"
    assert article.byline == "Josh Smith"
    assert article.title.startswith("Kim Jong Un boasts expanded missile arsenal")
    assert not any(p.searchable for p in article.paragraphs if "Sign up" in p.text or "opens new tab" in p.text)


def test_blank_line_blocks_headline_and_byline():
    text = "Markets rally on rate hopes\n\nBy Jane Doe\n\nShares rose on Monday.\nTraders cheered.\n\n" \
           "Analysts were cautious.\n\n- one point\n- another point\n"
    article = parse_text(text, article_id="x")
    assert article.title == "Markets rally on rate hopes"
    assert article.byline == "Jane Doe"
    assert [(p.number, p.text) for p in article.paragraphs] == [
        (1, "Shares rose on Monday. Traders cheered."),
        (2, "Analysts were cautious."),
        (3, "- one point"),
        (4, "- another point"),
    ]


def test_over_long_paragraph_split_at_sentences_keeps_its_number():
    sentence = "The council met again on Tuesday to discuss the budget for next year. "
    text = "Headline\n\nShort one.\n\n" + sentence * 40
    article = parse_text(text, article_id="long")
    parts = [p for p in article.paragraphs if p.number == 2]
    assert len(parts) > 1
    assert all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in parts)
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert all(p.text.endswith("year.") for p in parts)


def test_sentence_splitter_keeps_abbreviations_and_quotes():
    text = ("“We would’ve had a nuclear war,” Trump told Fox News. The U.S. president-elect spoke. "
            "Mr. Kim did not reply.")
    assert split_sentences(text) == [
        "“We would’ve had a nuclear war,” Trump told Fox News.",
        "The U.S. president-elect spoke.",
        "Mr. Kim did not reply.",
    ]


def test_markdown_heading_is_title(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("# Election night\n\nVoters queued for hours.\n\n## Results\n\nThe count was slow.\n")
    article = load_file(path, "note").articles[0]
    assert article.title == "Election night"
    assert [(p.number, p.kind) for p in article.paragraphs] == [(1, "body"), (2, HEADING), (3, "body")]


def test_html_article_extracted_with_metadata(tmp_path):
    body = "".join(f"<p>Paragraph {i} of the story says something about the harbour project and its cost.</p>"
                   for i in range(1, 5))
    html = (
        "<html><head><title>Harbour plan approved | Coast News</title>"
        '<meta name="author" content="Ana Ruiz"><meta property="og:site_name" content="Coast News">'
        '<meta property="article:published_time" content="2024-03-02T09:00:00Z"></head>'
        "<body><nav>Home | Sports | Weather</nav><script>alert('x')</script>"
        f"<article><h1>Harbour plan approved</h1>{body}</article><footer>© Coast News</footer></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(html)
    article = load_file(path, "page").articles[0]
    assert article.title == "Harbour plan approved"
    assert article.byline == "Ana Ruiz"
    assert article.source == "Coast News"
    assert article.date == "2024-03-02"
    texts = [p.text for p in article.paragraphs]
    assert texts[0].startswith("Paragraph 1 ") and len(texts) == 4
    assert not any("alert" in t or "Home |" in t for t in texts)


def test_jsonl_records_ids_and_bad_lines(tmp_path):
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "title": "First", "text": "One.\n\nTwo.", "date": "2024-05-01", "source": "AP"}),
        "{broken json",
        json.dumps({"title": "No text"}),
        json.dumps({"title": ["not", "a", "string"], "text": "Body here."}),
        json.dumps(["not an object"]),
    ]
    path.write_text("\n".join(lines))
    loaded = load_file(path, "feed")
    first, second = loaded.articles
    assert (first.id, first.title, first.date, first.source) == ("a1", "First", "2024-05-01", "AP")
    assert [p.text for p in first.paragraphs] == ["One.", "Two."]
    assert second.id == "feed:4"
    joined = "\n".join(loaded.warnings)
    assert "feed.jsonl:2: not valid JSON" in joined
    assert 'feed.jsonl:3: missing or empty "text"' in joined
    assert "feed.jsonl:4: field 'title' is not a string" in joined
    assert "feed.jsonl:5: expected a JSON object" in joined


@pytest.mark.parametrize(
    "data, expect_text, expect_warning",
    [
        ("Café on the corner.".encode("latin-1"), "Café on the corner.", "not valid UTF-8"),
        ("\ufeffCafé".encode("utf-16"), "Café", None),
        ("plain ✓".encode("utf-8"), "plain ✓", None),
    ],
)
def test_decoding(data, expect_text, expect_warning):
    text, warning = decode_bytes(data, "f.txt")
    assert text.lstrip("\ufeff") == expect_text
    assert (warning is None) if expect_warning is None else expect_warning in warning


def test_binary_is_refused():
    with pytest.raises(LoadError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "image.txt")


def test_empty_file_yields_no_article(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("")
    loaded = load_file(path, "empty")
    assert loaded.articles == [] and "empty file" in loaded.warnings[0]


def test_find_files_recurses_ignores_others_and_survives_symlink_loops(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("x")
    (tmp_path / "a" / "b" / "two.md").write_text("x")
    (tmp_path / "a" / "b" / "skip.pdf").write_text("x")
    (tmp_path / "a" / "b" / "loop").symlink_to(tmp_path / "a")
    files, warnings = find_files([tmp_path / "a", tmp_path / "missing"])
    assert sorted(f.article_id for f in files) == ["b/two", "one"]
    assert any("missing: no such file or folder" in w for w in warnings)
