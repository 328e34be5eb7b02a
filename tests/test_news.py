"""News-native behaviour: metadata from pages, datelines and flags; URLs; wire copies; dated answers.

Pages are written here and served from a local HTTP server on loopback; nothing leaves the machine.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qa.api import QA
from qa.ingest.documents import ArticleDefaults, parse_text
from qa.errors import FetchError, OldIndexError
from qa.ingest.fetch import fetch
from qa.index.store import Store
from qa.ingest.wire import fingerprint, is_copy

from .conftest import SAMPLE

ORIGINAL = [
    "SEOUL, Nov 7 (Reuters) – North Korea fired several short-range ballistic missiles into the sea on Tuesday, "
    "South Korea's military said, days before envoys from both Koreas were due to meet in Geneva.",
    "The launches followed a test of a new solid-fuel intercontinental missile last month, which analysts said "
    "could reach the entire U.S. mainland.",
    "\"We are watching the situation closely and remain ready to respond to any provocation,\" a spokesperson for "
    "the Joint Chiefs of Staff told a briefing in Seoul.",
    "The missiles flew about 360 km before landing in waters off the east coast, the military said.",
    "Reporting by Josh Smith; Editing by Lincoln Feast.",
]
# The same wire story as another outlet ran it a day later: punctuation, quote marks and a word changed,
# the credits dropped, a paragraph of its own added.
COPY = [
    "SEOUL, Nov. 7 (Reuters) - North Korea fired several short-range ballistic missiles into the ocean on "
    "Tuesday, South Korea’s military said, days before envoys from both Koreas were due to meet in Geneva.",
    "The launches followed a test of a new solid fuel intercontinental missile last month which analysts said "
    "could reach the entire US mainland.",
    "“We are watching the situation closely and remain ready to respond to any provocation,” a spokesperson for "
    "the Joint Chiefs of Staff told a briefing in Seoul.",
    "Harbour Herald readers in the port city said they were worried about fishing boats working off the coast.",
]


def page(title: str, outlet: str, published: str, paragraphs: list[str], author: str | None = None) -> bytes:
    meta = (f'<meta property="og:site_name" content="{outlet}"><meta property="og:title" content="{title}">'
            f'<meta property="article:published_time" content="{published}T03:00:00Z">')
    if author:
        meta += f'<meta name="author" content="{author}">'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title} | {outlet}</title>{meta}</head><body><nav>World | Business | Sport</nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>© {outlet}</footer></body></html>").encode()


PAGES = {
    "/world/korea-missiles.html": (200, "text/html; charset=utf-8",
                                   page("North Korea fires missiles ahead of talks", "Reuters", "2024-11-07",
                                        ORIGINAL, author="Josh Smith")),
    "/news/nk-missiles": (200, "text/html; charset=utf-8",
                          page("N. Korea fires missiles as talks near", "Harbour Herald", "2024-11-08", COPY)),
    "/report.pdf": (200, "application/pdf", b"%PDF-1.4 not a page"),
    "/big": (200, "text/html", b"<html><body><p>" + b"word " * 50_000 + b"</p></body></html>"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/slow":
            time.sleep(1.5)
        status, content_type, body = self.server.pages.get(self.path, (404, "text/html", b"<h1>Not found</h1>"))
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.pages = dict(PAGES)
    httpd.pages["/slow"] = PAGES["/news/nk-missiles"]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def news_index(server, tmp_path_factory, embedder):
    """The two pages by URL, plus plain-text files that lack metadata, indexed with --outlet/--date."""
    folder = tmp_path_factory.mktemp("plain")
    (folder / "missiles-korea.txt").write_text(
        "Missiles launched off east coast\n\nNorth Korea fired two ballistic missiles on Tuesday, officials in "
        "Seoul said.\n\nThe missiles flew about 300 km, according to Japan's defence ministry.\n")
    (folder / "senate-vote.txt").write_text(
        "Senate passes budget bill\n\nPublished: 5 November 2024\n\nWASHINGTON (AP) — The Senate passed the "
        "budget bill late on Monday after a long debate over spending on ports.\n")
    path = tmp_path_factory.mktemp("news") / "index"
    with QA(path, create=True) as bot:
        bot.index([f"{server.base}/world/korea-missiles.html", f"{server.base}/news/nk-missiles"])
        bot.index([folder], outlet="Yonhap", date="2024-11-06", byline="Desk")
    return path


@pytest.fixture
def news_bot(news_index):
    with QA(news_index) as bot:
        yield bot


# --- metadata ---------------------------------------------------------------------------------------


def test_metadata_from_pages_datelines_and_flags(news_bot, server):
    articles = {a.title: a for a in news_bot.articles()}
    reuters = articles["North Korea fires missiles ahead of talks"]
    assert (reuters.source, reuters.date) == ("Reuters", "2024-11-07")
    copy = articles["N. Korea fires missiles as talks near"]
    assert (copy.source, copy.date) == ("Harbour Herald", "2024-11-08")  # the page's outlet, not the wire's
    assert copy.id == f"127.0.0.1:{server.server_address[1]}/news/nk-missiles"
    # flags fill in what a file lacks ...
    assert (articles["Missiles launched off east coast"].source, articles["Missiles launched off east coast"].date
            ) == ("Yonhap", "2024-11-06")
    # ... and never override what it states (dateline "(AP)", a "Published:" line)
    assert (articles["Senate passes budget bill"].source, articles["Senate passes budget bill"].date
            ) == ("AP", "2024-11-05")
    assert (reuters.byline, reuters.url) == ("Josh Smith", f"{server.base}/world/korea-missiles.html")
    assert articles["Missiles launched off east coast"].byline == "Desk"
    metadata = news_bot.store.db.execute("SELECT metadata FROM articles WHERE id = ?", (copy.id,)).fetchone()[0]
    assert json.loads(metadata)["wire"] == "Reuters"  # the copy's dateline names the agency


def test_dateline_byline_and_date_lines_from_text():
    article = parse_text("Storm closes ports\n\nBy Ana Ruiz\n\nPARIS, Nov. 7, 2024 (AFP) - A storm closed the "
                         "ports on Wednesday.\n\n(Reporting by Ana Ruiz)", article_id="x")
    assert (article.source, article.date, article.byline) == ("AFP", "2024-11-07", "Ana Ruiz")
    assert article.metadata["wire"] == "AFP"
    assert article.paragraphs[0].text.startswith("PARIS")  # the byline line is metadata, not ¶1
    filled = ArticleDefaults(source="Yonhap", date="2024-01-01", byline="Desk").fill(article)
    assert (filled.source, filled.date, filled.byline) == ("AFP", "2024-11-07", "Ana Ruiz")


# --- URLs ---------------------------------------------------------------------------------------------


def test_fetch_errors_are_clear(server):
    with pytest.raises(FetchError, match=r"HTTP 404 Not Found; check the address"):
        fetch(f"{server.base}/missing")
    with pytest.raises(FetchError, match=r"is application/pdf, not a web page"):
        fetch(f"{server.base}/report.pdf")
    with pytest.raises(FetchError, match=r"larger than the 0 MB limit|over the"):
        fetch(f"{server.base}/big", max_bytes=100_000)
    with pytest.raises(FetchError, match=r"timed out after 0.3 s"):
        fetch(f"{server.base}/slow", timeout=0.3)
    with pytest.raises(FetchError, match=r"cannot connect"):
        fetch("http://127.0.0.1:9/nothing-listens-here")
    got = fetch(f"{server.base}/news/nk-missiles#comments")
    assert got.url == f"{server.base}/news/nk-missiles" and got.content_type == "text/html"


def test_reindexing_a_url_updates_instead_of_duplicating(server, tmp_path, cli):
    url = f"{server.base}/changing"
    server.pages["/changing"] = PAGES["/news/nk-missiles"]
    index = tmp_path / "index"
    first = json.loads(cli("index", url, "--index", index, "--json").output.splitlines()[-1])
    assert (first["articles"], first["total_articles"]) == (1, 1)
    again = json.loads(cli("index", url + "#top", "--index", index, "--json").output.splitlines()[-1])
    assert (again["unchanged"], again["articles"], again["total_articles"]) == (1, 0, 1)
    server.pages["/changing"] = (200, "text/html", page("Talks postponed", "Harbour Herald", "2024-11-09", [
        "Envoys from both Koreas postponed their meeting in Geneva on Friday, officials said, citing the launches."]))
    changed = json.loads(cli("index", url, "--index", index, "--json").output.splitlines()[-1])
    assert (changed["articles"], changed["total_articles"]) == (1, 1)
    listed = json.loads(cli("list", "--index", index, "--json").output)["articles"]
    assert [a["title"] for a in listed] == ["Talks postponed"]
    out = cli("index", f"{server.base}/missing", "--index", index)
    assert out.exit_code == 1 and "HTTP 404" in out.output and "Traceback" not in out.output


# --- wire copies ---------------------------------------------------------------------------------------


def test_edited_copies_are_copies_and_rewrites_are_not():
    assert is_copy(fingerprint(ORIGINAL[0]), fingerprint(COPY[0]))  # punctuation, quotes, a word changed
    assert is_copy(fingerprint(ORIGINAL[2]), fingerprint(COPY[2]))
    trimmed = ORIGINAL[0].split(", days before")[0] + "."
    assert is_copy(fingerprint(ORIGINAL[0]), fingerprint(trimmed))  # an outlet cut the clause
    rewrite = ("South Korea's military said on Tuesday that the North had launched several short-range "
               "ballistic missiles, ahead of talks between envoys of the two Koreas in Geneva.")
    assert not is_copy(fingerprint(ORIGINAL[0]), fingerprint(rewrite))
    assert not is_copy(fingerprint("He declined to comment."), fingerprint("He declined to comment."))  # too short


def test_wire_copies_are_stored_and_collapse_in_results(news_bot):
    rows = news_bot.store.db.execute(
        "SELECT a.source, p.number, p.cluster FROM paragraphs p JOIN articles a ON a.id = p.article_id "
        "WHERE p.cluster IS NOT NULL ORDER BY p.cluster, a.source").fetchall()
    clusters: dict[int, list] = {}
    for source, number, cluster in rows:
        clusters.setdefault(cluster, []).append((source, number))
    assert sorted(clusters.values()) == [[("Harbour Herald", n), ("Reuters", n)] for n in (1, 2, 3)]
    result = news_bot.search("short-range ballistic missiles fired into the sea", k=5)
    top = result.passages[0]
    assert top.paragraph == 1 and len(top.also_in) == 1
    other = "Harbour Herald" if top.source == "Reuters" else "Reuters"
    assert top.also_in[0].source == other
    assert sum(p.cluster == top.cluster for p in result.passages) == 1  # one passage for the story
    as_json = result.as_json()["passages"][0]["also_in"][0]
    assert {"source", "title", "date", "paragraph", "url", "citation"} <= set(as_json)


def test_cli_shows_every_outlet_of_a_wire_paragraph(cli, news_index):
    out = cli("ask", "What did the Joint Chiefs of Staff spokesperson say?", "--index", news_index)
    assert out.exit_code == 0, out.output
    assert "also in: " in out.output
    assert 'Reuters · "North Korea fires missiles ahead of talks" · 2024-11-07 · ¶3' in out.output
    assert 'Harbour Herald · "N. Korea fires missiles as talks near" · 2024-11-08 · ¶3' in out.output


# --- dates in answers and filters ---------------------------------------------------------------------------


def test_when_question_on_the_sample_answers_tuesday_with_its_date(sample_bot):
    answer = sample_bot.ask("When did the South Korean presidential official speak to reporters?")
    assert not answer.abstained and answer.backend == "extractive"
    assert answer.text.startswith("Tuesday (2024-11-05): A senior official at in South Korea’s presidential office "
                                  "told reporters on Tuesday")
    assert answer.citations[0].passage.paragraph == 19
    assert answer.citations[0].passage.citation.endswith("· 2024-11-07 · ¶19")
    assert "[1]" in answer.text


def test_questions_naming_a_date_match_resolved_dates(sample_bot):
    august = sample_bot.search("What happened in August?", k=3)
    assert august.passages[0].paragraph == 23
    # A weekday is read from the as-of day: Tuesday before the article's Thursday (default: today's week)
    tuesday = sample_bot.search("what happened on Tuesday?", k=3, as_of="2024-11-07")
    assert tuesday.passages[0].paragraph == 19
    assert [d.as_json()["date"] for d in tuesday.passages[0].dates] == ["2024-11-05"]


def test_since_until_match_event_dates(sample_bot):
    result = sample_bot.search("North Korea", k=10, since="2024-08-01", until="2024-08-31")
    assert [p.paragraph for p in result.passages] == [23]  # published in November, "In August" = 2024-08
    december = sample_bot.search("Trump", k=10, since="2023-12-01", until="2023-12-31")
    assert [p.paragraph for p in december.passages] == [20]


def test_answers_from_several_outlets_say_who_reported_what_and_when(news_bot):
    answer = news_bot.ask("How far did the missiles fly?")
    lines = sorted(answer.text.splitlines())  # one line per article, in order of relevance
    assert len(lines) == 2, answer.text
    assert lines[0].startswith("Reuters, 2024-11-07: ") and "360 km" in lines[0]
    assert lines[1].startswith("Yonhap, 2024-11-06: ") and "300 km" in lines[1]
    assert {c.passage.source for c in answer.citations} == {"Reuters", "Yonhap"}


def test_llm_prompt_and_verification_carry_outlet_and_dates(sample_bot):
    from qa.answer.verification import verify_answer
    from qa.answer.prompts import build_messages

    passage = sample_bot.search("presidential office told reporters", k=1).passages[0]
    prompt = build_messages("When?", [passage])[1]["content"]
    header = prompt.split("\n")[1]
    assert header.startswith('<passage n="1" from="Reuters, 2024-11-07, quoting')
    assert header.endswith('; Tuesday = 2024-11-05">') and "on Tuesday =" not in header
    text, _, checks = verify_answer("Reuters reported on 2024-11-07 that a presidential official told reporters "
                                    "on Tuesday (2024-11-05) it is unclear what course Trump will chart [1].",
                                    [passage], sample_bot.embedder)
    assert checks[0].action == "kept" and text


def test_llm_prompt_header_leaves_out_dates_that_restate_themselves(sample_bot):
    from qa.answer.prompts import build_messages

    passage = sample_bot.search("unprecedented meetings in Singapore, Hanoi", k=1).passages[0]
    assert {d.label for d in passage.dates} >= {"2018", "2019"}  # resolved, and shown in JSON
    header = build_messages("Where?", [passage])[1]["content"].split("\n")[1]
    assert header == '<passage n="1" from="Reuters, 2024-11-07">', header


# --- format version -------------------------------------------------------------------------------------------


def test_old_index_asks_for_rebuild_and_rebuild_works(writable_index, cli):
    with sqlite3.connect(writable_index / "qa.sqlite3") as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'format_version'")
    with pytest.raises(OldIndexError, match=r"older qa \(format 1.*qa index --rebuild"):
        Store.open(writable_index)
    out = cli("search", "Klingner", "--index", writable_index)
    assert out.exit_code == 1 and "qa index --rebuild" in out.output and "Traceback" not in out.output
    out = cli("index", SAMPLE, "--rebuild", "--index", writable_index, "--json")
    assert out.exit_code == 0, out.output
    with Store.open(writable_index) as store:
        assert store.meta("format_version") == "2" and store.vectors.ntotal == 23
