"""Following outlets: RSS, Atom, JSON Feed and sitemaps polled by `qa update` and read by `qa index FEED_URL`.

A real HTTP server on loopback serves the feeds and article pages (answering conditional requests
with 304, as sites do) and counts every request, so the tests see what qa asked for, not only what
it indexed. Bad feeds of every kind sit beside good ones: the good ones must still be indexed.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qa.api import QA
from qa.errors import QAError
from qa.index.feed_update import BackgroundUpdates, parse_every
from qa.index.feeds import article_url, parse_feed


# --- the site ---------------------------------------------------------------------------------------

SENTENCES = [
    "The harbour authority said on {day} that {topic} would change how ships are inspected along the coast.",
    "Officials told reporters the plan for {topic} had been discussed for months before the decision.",
    "Fishing crews in the port city said they welcomed the news about {topic} but wanted more details.",
]


def article(title: str, topic: str, *, day: str = "Monday", canonical: str | None = None,
            published: str | None = None, sitename: str | None = None, extra: str = "") -> bytes:
    """A small news page that states no date, author or outlet unless asked to."""
    head = f"<title>{title}</title>"
    if canonical:
        head += f'<link rel="canonical" href="{canonical}">'
    if published:
        head += f'<meta property="article:published_time" content="{published}T09:00:00Z">'
    if sitename:
        head += f'<meta property="og:site_name" content="{sitename}">'
    body = "".join(f"<p>{s.format(day=day, topic=topic)}</p>" for s in SENTENCES) + (f"<p>{extra}</p>" if extra else "")
    return f"<html><head>{head}</head><body><article><h1>{title}</h1>{body}</article></body></html>".encode()


def rss(title: str, items: list[dict]) -> bytes:
    def item(i: dict) -> str:
        parts = [f"<title>{i['title']}</title>"] if "title" in i else []
        if "link" in i:
            parts.append(f"<link>{i['link']}</link>")
        if "date" in i:
            parts.append(f"<pubDate>{i['date']}</pubDate>")
        if "author" in i:
            parts.append(f"<dc:creator>{i['author']}</dc:creator>")
        return "<item>" + "".join(parts) + "</item>"

    return (f'<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>{title}</title>{''.join(item(i) for i in items)}</channel></rss>").encode()


class Site(ThreadingHTTPServer):
    """Routes: path -> (status, content type, body, extra headers). Paths match without their query, as
    a site ignores its own tracking parameters. `log` holds every request path."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, tuple] = {}
        self.log: list[str] = []
        self.lock = threading.Lock()
        self.base = f"http://127.0.0.1:{self.server_address[1]}"

    def add(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200,
            **headers: str) -> str:
        self.routes[path] = (status, content_type, body, headers)
        return self.base + path

    def requests(self, path: str | None = None) -> int:
        with self.lock:
            return sum(1 for p in self.log if path is None or p.split("?")[0] == path)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        server: Site = self.server  # type: ignore[assignment]
        with server.lock:
            server.log.append(self.path)
        path = self.path.split("?")[0]
        if path == "/slow-feed":
            time.sleep(2.5)
        if path.startswith("/slow-page/"):
            time.sleep(0.5)
        if path == "/loop":
            return self._reply(302, "text/html", b"", {"Location": "/loop"})
        if path.startswith("/moved/"):
            return self._reply(301, "text/html", b"", {"Location": "/" + path.removeprefix("/moved/")})
        status, content_type, body, headers = server.routes.get(path, (404, "text/html", b"<h1>Not found</h1>", {}))
        etag = headers.get("ETag")
        if etag and self.headers.get("If-None-Match") == etag:
            return self._reply(304, content_type, b"", {"ETag": etag})
        modified = headers.get("Last-Modified")
        if modified and self.headers.get("If-Modified-Since") == modified:
            return self._reply(304, content_type, b"", {"Last-Modified": modified})
        self._reply(status, content_type, body, headers)

    def _reply(self, status: int, content_type: str, body: bytes, headers: dict) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: a timeout, a size limit

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = Site()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _quick_politeness(monkeypatch):
    monkeypatch.setenv("QA_FEED_DELAY", "0.01")
    monkeypatch.setenv("QA_FEED_TIMEOUT", "1")


def by_title(bot: QA) -> dict:
    return {a.title: a for a in bot.articles()}


# --- formats -----------------------------------------------------------------------------------------


def four_formats(site: Site) -> dict[str, str]:
    """One feed of each kind, each listing its own article pages (which state no date, author or outlet)."""
    b = site.base
    for n, topic in enumerate(["ferry tolls", "dock cranes", "tide gauges", "pilot boats", "buoy lights",
                               "cargo seals"]):
        site.add(f"/story/{n}", article(f"Story {n} about {topic}", topic))
    feeds = {
        "rss": site.add("/rss.xml", rss("Harbour Herald - Port", [
            {"title": "Story 0 about ferry tolls", "link": f"{b}/story/0", "date": "Thu, 07 Nov 2024 10:00:00 GMT",
             "author": "Ana Diaz"},
            {"title": "Story 1 about dock cranes", "link": f"{b}/story/1", "date": "Fri, 08 Nov 2024 23:30:00 -0500"},
        ]), "application/rss+xml", ETag='"rss-1"'),
        "atom": site.add("/atom.xml", (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Coast Times</title>'
            '<entry><title>Story 2 about tide gauges</title><link href="/story/2"/><id>urn:2</id>'
            '<published>2024-11-09T01:00:00+09:00</published><updated>2024-11-09T01:00:00+09:00</updated>'
            '<author><name>Ben Ito</name></author></entry></feed>').encode(), "application/atom+xml",
            **{"Last-Modified": "Sat, 09 Nov 2024 00:00:00 GMT"}),
        "json": site.add("/feed.json", json.dumps({
            "version": "https://jsonfeed.org/version/1.1", "title": "Bay Daily",
            "items": [{"id": "3", "url": f"{b}/story/3", "title": "Story 3 about pilot boats",
                       "date_published": "2024-11-10T08:00:00Z", "authors": [{"name": "Cy Park"}]}]}).encode(),
            "application/feed+json", ETag='"json-1"'),
        "sitemap": site.add("/news-sitemap.xml", (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f'<url><loc>{b}/story/4</loc><news:news><news:publication><news:name>Port Wire</news:name>'
            '<news:language>en</news:language></news:publication>'
            '<news:publication_date>2024-11-11</news:publication_date><news:title>Story 4 about buoy lights'
            '</news:title></news:news></url></urlset>').encode(), "application/xml", ETag='"sm-1"'),
        "index": site.add("/sitemap-index.xml", (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'<sitemap><loc>{b}/sitemap-1.xml</loc></sitemap></sitemapindex>').encode(), "text/xml", ETag='"si-1"'),
    }
    site.add("/sitemap-1.xml", (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<url><loc>{b}/story/5</loc><lastmod>2024-11-12</lastmod></url></urlset>').encode(), "text/xml")
    return feeds


def test_each_format_is_indexed_with_the_feeds_title_date_author_and_outlet(site, tmp_path, cli):
    feeds = four_formats(site)
    index = tmp_path / "index"
    for kind, url in feeds.items():
        args = ["feeds", "add", url, "--index", index] + (["--outlet", "Coast Times Daily"] if kind == "atom" else [])
        assert cli(*args).exit_code == 0
    listed = cli("feeds", "list", "--index", index)
    assert listed.stdout.count("never polled") == 5 and "Coast Times Daily" in listed.stdout

    result = cli("update", "--index", index)
    assert result.exit_code == 0, result.output
    for url in feeds.values():
        assert f"{url}: " in result.stdout
    assert f"{feeds['rss']}: 2 new, 0 updated, 0 unchanged, 0 failed" in result.stdout
    with QA(index) as bot:
        got = {a.title: (a.source, a.date, a.byline, a.url) for a in bot.articles()}
    b = site.base
    assert got == {
        # RSS: the channel's title is the outlet; the date as written, in the feed's own time zone.
        "Story 0 about ferry tolls": ("Harbour Herald - Port", "2024-11-07", "Ana Diaz", f"{b}/story/0"),
        "Story 1 about dock cranes": ("Harbour Herald - Port", "2024-11-08", None, f"{b}/story/1"),
        "Story 2 about tide gauges": ("Coast Times Daily", "2024-11-09", "Ben Ito", f"{b}/story/2"),  # --outlet
        "Story 3 about pilot boats": ("Bay Daily", "2024-11-10", "Cy Park", f"{b}/story/3"),
        "Story 4 about buoy lights": ("Port Wire", "2024-11-11", None, f"{b}/story/4"),  # news:publication
        "Story 5 about cargo seals": ("127.0.0.1", "2024-11-12", None, f"{b}/story/5"),  # host name: nothing else
    }

    # The second run: every feed answers 304 (ETag or Last-Modified), so neither an article page nor the
    # sitemap the index lists is fetched again.
    before = len(site.log)
    result = cli("update", "--index", index)
    assert result.exit_code == 0, result.output
    asked = site.log[before:]
    as_json = json.loads(cli("update", "--json", "--index", index).stdout)  # checked against docs/schema.json
    assert as_json["requests"] == 5 and as_json["articles"] == 0
    assert {f["feed"]: f["unchanged"] for f in as_json["feeds"]}[feeds["rss"]] == 2
    assert not [p for p in asked if p.startswith("/story/")], asked
    assert sorted(asked) == sorted(["/rss.xml", "/atom.xml", "/feed.json", "/news-sitemap.xml", "/sitemap-index.xml"])
    assert f"{feeds['rss']}: 0 new, 0 updated, 2 unchanged, 0 failed (not modified)" in result.stdout
    assert f"{feeds['atom']}: 0 new, 0 updated, 1 unchanged, 0 failed (not modified)" in result.stdout

    assert cli("feeds", "remove", feeds["json"], "--index", index).exit_code == 0
    assert feeds["json"] not in cli("feeds", "list", "--index", index).stdout
    gone = cli("feeds", "remove", feeds["json"], "--index", index)
    assert gone.exit_code == 1 and "no saved feed" in gone.output


def test_a_changed_article_is_replaced_and_only_what_changed_is_fetched(site, tmp_path):
    b = site.base
    site.add("/a", article("Crane strike ends", "the crane strike"))
    site.add("/b", article("Ferry timetable", "the ferry timetable"))
    items = [{"title": "Crane strike ends", "link": f"{b}/a", "date": "Mon, 04 Nov 2024 08:00:00 GMT"},
             {"title": "Ferry timetable", "link": f"{b}/b", "date": "Mon, 04 Nov 2024 09:00:00 GMT"}]
    site.add("/feed", rss("Herald", items), "application/rss+xml", ETag='"v1"')
    with QA(tmp_path / "index", create=True) as bot:
        bot.add_feed(f"{b}/feed")
        first = bot.update_feeds()
        assert (first.feeds[0].new, first.index.articles) == (2, 2)

        # The page changes and the feed says so (a new date on the item, a new ETag): only that page is fetched.
        site.add("/a", article("Crane strike ends", "the crane strike", extra="Union leaders signed the deal at dawn."))
        items[0]["date"] = "Tue, 05 Nov 2024 08:00:00 GMT"
        site.add("/feed", rss("Herald", items), "application/rss+xml", ETag='"v2"')
        before = len(site.log)
        second = bot.update_feeds()
        assert site.log[before:] == ["/feed", "/robots.txt", "/a"]  # robots.txt: read once per run
        summary = second.feeds[0]
        assert (summary.new, summary.updated, summary.unchanged, summary.failed) == (0, 1, 1, 0)
        crane = by_title(bot)["Crane strike ends"]
        assert crane.date == "2024-11-05" and len(bot.articles()) == 2
        assert any("signed the deal" in p.text for p in bot.paragraphs(crane.id))

        # Feed changed (new ETag) but the item did not: the page is not fetched.
        site.add("/feed", rss("Herald", items) + b"\n", "application/rss+xml", ETag='"v3"')
        before = len(site.log)
        third = bot.update_feeds()
        assert site.log[before:] == ["/feed"] and third.feeds[0].unchanged == 2


def test_an_article_reached_by_other_urls_is_indexed_once(site, tmp_path):
    b = site.base
    site.add("/news/harbour", article("Harbour reopens", "the harbour reopening"))
    site.add("/news/harbour/amp", article("Harbour reopens", "the harbour reopening", canonical=f"{b}/news/harbour"))
    site.add("/news/dredging", article("Dredging begins", "the dredging work"))
    site.add("/one.xml", rss("One", [
        {"title": "Harbour reopens", "link": f"{b}/news/harbour?utm_source=rss&utm_medium=feed"},
        {"title": "Dredging begins", "link": f"{b}/moved/news/dredging"},  # a redirect
    ]), "application/rss+xml")
    site.add("/two.xml", rss("Two", [
        {"title": "Harbour reopens", "link": f"{b}/news/harbour"},
        {"title": "Harbour reopens (amp)", "link": f"{b}/news/harbour/amp"},
        {"title": "Dredging begins", "link": f"{b}/news/dredging"},
    ]), "application/rss+xml")
    with QA(tmp_path / "index", create=True) as bot:
        bot.add_feed(f"{b}/one.xml")
        bot.add_feed(f"{b}/two.xml")
        report = bot.update_feeds()
        assert sorted(a.url for a in bot.articles()) == [f"{b}/news/dredging", f"{b}/news/harbour"]
        assert site.requests("/news/harbour") == 1  # the tracking-parameter copy and the plain one: one fetch
        one, two = report.feeds
        assert (one.new + two.new, one.failed + two.failed) == (2, 0)
        # A later run fetches none of them again, the amp page and the redirect included.
        before = len(site.log)
        bot.update_feeds()
        assert site.log[before:] == ["/one.xml", "/two.xml"]
    assert article_url(f"{b}/x.amp.html?amp=1&fbclid=1&id=7#top") == f"{b}/x.html?id=7"


def test_bad_feeds_and_items_lose_nothing_and_stop_nothing(site, tmp_path, cli):
    b = site.base
    site.add("/good/1", article("Lighthouse repaired", "the lighthouse"))
    site.add("/good/2", article("Pier extended", "the pier"))
    site.add("/good/undated", article("Quay renamed", "the quay"))
    site.add("/good/future", article("Marina plans", "the marina", published="2024-11-20"))
    site.add("/good/empty", b"<html><body></body></html>")
    bomb = gzip.compress(b"<rss>" + b" " * (12 * 2**20), compresslevel=9)
    huge = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>' + b"<item></item>" * 900_000
    feeds = {
        "good": site.add("/good.xml", rss("Good", [
            {"title": "Lighthouse repaired", "link": f"{b}/good/1", "date": "Mon, 04 Nov 2024 08:00:00 GMT"},
            {"title": "No link here", "date": "Mon, 04 Nov 2024 08:00:00 GMT"},
            {"title": "Quay renamed", "link": f"{b}/good/undated"},
            {"title": "Marina plans", "link": f"{b}/good/future", "date": "Fri, 01 Jan 2100 00:00:00 GMT"},
            {"title": "Gone page", "link": f"{b}/good/missing", "date": "Mon, 04 Nov 2024 08:00:00 GMT"},
            {"title": "Empty page", "link": f"{b}/good/empty", "date": "Mon, 04 Nov 2024 08:00:00 GMT"},
        ]), "application/rss+xml"),
        "malformed": site.add("/malformed.xml", rss("Broken", [
            {"title": "Pier extended", "link": f"{b}/good/2", "date": "Tue, 05 Nov 2024 08:00:00 GMT"}])
            .replace(b"<title>Broken</title>", b"<title>Broken & unescaped</title>").replace(b"</channel></rss>", b""),
            "application/rss+xml"),
        "garbage": site.add("/garbage.xml", b"\x00\x01 this is no feed at all <<<", "application/xml"),
        "html": site.add("/html-feed", article("A front page", "everything"), "text/html"),
        "404": f"{b}/missing.xml",
        "500": site.add("/error.xml", b"oops", "text/plain", status=500),
        "timeout": f"{b}/slow-feed",
        "loop": f"{b}/loop",
        "bomb": site.add("/bomb.xml", bomb, "application/rss+xml", **{"Content-Encoding": "gzip"}),
        "huge": site.add("/huge.xml", huge, "application/rss+xml", **{"Content-Length": str(len(huge))}),
    }
    index = tmp_path / "index"
    for url in feeds.values():
        cli("feeds", "add", url, "--index", index)
    result = cli("update", "--index", index)
    assert result.exit_code == 0, result.output  # as `qa index`: something was indexed
    out = result.output
    with QA(index) as bot:
        got = {a.title: a.date for a in bot.articles()}
    assert got == {"Lighthouse repaired": "2024-11-04", "Quay renamed": None, "Marina plans": "2024-11-20",
                   "Pier extended": "2024-11-05"}
    good = feeds["good"]
    # A warning names the feed and the item for each bad item; the feed's line counts them.
    assert f"feed {good}: item 'No link here' has no link; skipped" in out
    assert f"feed {good}: item 'Quay renamed' ({b}/good/undated): neither the feed nor the page gives" in out
    assert f"feed {good}: item 'Marina plans' ({b}/good/future): its date 2100-01-01 is in the future" in out
    assert f"feed {good}: item 'Gone page' ({b}/good/missing): HTTP 404" in out
    assert f"feed {good}: item 'Empty page' ({b}/good/empty):" in out
    assert f"{good}: 3 new, 0 updated, 0 unchanged, 2 failed" in out
    assert f"feed {feeds['malformed']}: malformed XML" in out
    assert f"{feeds['malformed']}: 1 new" in out
    # Each bad feed: one line saying what is wrong with it.
    expected = {"garbage": "not a feed qa can read", "html": "is a web page, not a feed", "404": "HTTP 404",
                "500": "HTTP 500", "timeout": "timed out", "loop": "redirects in a loop",
                "bomb": "larger than the 10 MB limit", "huge": "over the 10 MB limit"}
    for kind, words in expected.items():
        line = next((ln for ln in out.splitlines() if ln.startswith(f"{feeds[kind]}: failed")), "")
        assert words in line, (kind, out)

    # All of them failing is an error, as `qa index` with nothing to index.
    for kind in ("good", "malformed"):
        cli("feeds", "remove", feeds[kind], "--index", index)
    result = cli("update", "--index", index)
    assert result.exit_code == 1 and "no articles could be indexed from the saved feeds" in result.output


def test_cap_robots_and_qa_index_of_a_feed_url(site, tmp_path, cli, monkeypatch):
    b = site.base
    topics = ["salt", "rope", "sail", "mast", "keel"]
    for n, topic in enumerate(topics):
        site.add(f"/s/{n}", article(f"Notes on {topic}", f"the {topic} trade"))
    site.add("/private/9", article("Private page", "private matters"))
    site.add("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    site.add("/feed.json", json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Trade Weekly",
                                       "items": [{"url": f"{b}/s/{n}", "title": f"Notes on {t}"}
                                                 for n, t in enumerate(topics)]
                                       + [{"url": f"{b}/private/9", "title": "Private page"}]}).encode(),
             "application/feed+json")
    monkeypatch.setenv("QA_FEED_CAP", "3")
    index = tmp_path / "index"
    result = cli("index", f"{b}/feed.json", "--outlet", "Trade Weekly Ltd", "--index", index)
    assert result.exit_code == 0, result.output
    assert "Indexed 3 article(s)" in result.output
    assert site.requests("/robots.txt") == 1 and site.requests("/feed.json") == 1  # read once: no second fetch
    result = cli("index", f"{b}/feed.json", "--outlet", "Trade Weekly Ltd", "--index", index)  # the rest
    assert "Indexed 2 article(s)" in result.output and "3 file(s) unchanged" in result.output
    assert "robots.txt does not allow" in result.output and site.requests("/private/9") == 0
    with QA(index) as bot:
        assert {a.source for a in bot.articles()} == {"Trade Weekly Ltd"} and len(bot.articles()) == 5
    # `qa index` of a page URL next to a feed fetches the page once.
    site.add("/page", article("Lone page", "a lone page"))
    assert cli("index", f"{b}/page", "--index", index).exit_code == 0
    assert site.requests("/page") == 1


def test_parsing_without_a_network():
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>E</title>'
            b'<link href="e1"/><updated>2024-11-07T23:00:00-05:00</updated></entry></feed>')
    parsed = parse_feed(atom, "https://example.com/news/feed")
    assert parsed.kind == "atom" and [(i.url, i.date) for i in parsed.items] == [("https://example.com/news/e1",
                                                                                   "2024-11-07")]
    with pytest.raises(QAError, match="web page, not a feed"):
        parse_feed(b"<!DOCTYPE html><html><body>hi</body></html>", "https://example.com/")
    sitemap = gzip.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://example.com/'
                            b'b</loc></url></urlset>')  # sitemap.xml.gz
    assert [i.url for i in parse_feed(sitemap, "https://example.com/sitemap.xml.gz").items] == ["https://example.com/b"]
    with pytest.raises(QAError, match="limit once unzipped"):
        parse_feed(gzip.compress(b" " * 2**20), "https://example.com/bomb.xml.gz", max_bytes=2**19)
    served_as_html = parse_feed(b'<rss version="2.0"><channel><item><link>/a</link></item></channel></rss>',
                                "https://example.com/rss", content_type="text/html")  # a misconfigured server
    assert [i.url for i in served_as_html.items] == ["https://example.com/a"]
    assert parse_every("30m") == 1800 and parse_every("2h") == 7200 and parse_every("90") == 90
    with pytest.raises(QAError, match="not an interval"):
        parse_every("soon")


def test_updates_in_the_background_reach_readers(site, tmp_path):
    b = site.base
    site.add("/p/1", article("Tugboat race", "the tugboat race"))
    items = [{"title": "Tugboat race", "link": f"{b}/p/1"}]
    site.add("/f.xml", rss("Herald", items), "application/rss+xml")
    reports = []
    with QA(tmp_path / "index", create=True) as bot:
        bot.add_feed(f"{b}/f.xml")
        reader = bot.reader()  # a reader opened before any update, as `qa serve` holds them
        updates = BackgroundUpdates(bot.reader().update_feeds, 0.2, reports.append).start()
        try:
            deadline = time.monotonic() + 60
            while not reader.articles() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [a.title for a in reader.articles()] == ["Tugboat race"]
            site.add("/p/2", article("Seawall vote", "the seawall vote"))
            items.append({"title": "Seawall vote", "link": f"{b}/p/2"})
            site.add("/f.xml", rss("Herald", items), "application/rss+xml")
            while len(reader.articles()) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            updates.stop(timeout=30)
        assert sorted(a.title for a in reader.articles()) == ["Seawall vote", "Tugboat race"]
        assert reports and not any(f.error for r in reports for f in r.feeds)
        assert site.requests("/p/1") == 1 and site.requests("/p/2") == 1


def test_a_server_stopping_ends_the_update_before_it_writes(site, tmp_path, cli):
    b = site.base
    for n in range(4):
        site.add(f"/slow-page/{n}", article(f"Slow story {n}", f"slow topic {n}"))
    site.add("/slow.xml", rss("Slow", [{"title": f"Slow story {n}", "link": f"{b}/slow-page/{n}"} for n in range(4)]),
             "application/rss+xml")
    with QA(tmp_path / "index", create=True) as bot:
        bot.add_feed(f"{b}/slow.xml")
        updates = BackgroundUpdates(bot.reader().update_feeds, 3600).start()
        deadline = time.monotonic() + 30
        while not site.requests("/slow-page/0") and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        updates.stop(timeout=30)
        assert time.monotonic() - started < 5 and updates.runs == 0
        assert bot.articles() == [] and site.requests() < 6  # the feed, robots.txt and a page or two
    bad = cli("serve", "--update-every", "soon", "--index", tmp_path / "index")
    assert bad.exit_code == 2 and "not an interval" in bad.output


def test_items_a_feed_stopped_listing_are_forgotten_after_a_while(site, tmp_path):
    """The feed list keeps a row per item the feed lists; one the feed dropped long ago is pruned, while
    listed ones (also across a 304) stay and are not fetched again, and the article stays indexed."""
    import sqlite3

    from qa.index.feeds import FEEDS_DB, KEEP_UNLISTED_DAYS

    b = site.base
    for path, title in (("/a", "Crane strike ends"), ("/b", "Ferry timetable"), ("/c", "Dock reopens")):
        site.add(path, article(title, title.lower()))
    items = [{"title": t, "link": f"{b}{p}", "date": "Mon, 04 Nov 2024 08:00:00 GMT"}
             for p, t in (("/a", "Crane strike ends"), ("/b", "Ferry timetable"), ("/c", "Dock reopens"))]
    site.add("/feed", rss("Herald", items), "application/rss+xml", ETag='"v1"')
    index = tmp_path / "index"

    def rows() -> dict[str, str]:
        with sqlite3.connect(index / FEEDS_DB) as db:
            return dict(db.execute("SELECT url, listed FROM items"))

    def age(days: int) -> None:  # as if every poll so far had been `days` earlier
        import datetime as dt

        def earlier(stamp: str) -> str:
            return (dt.datetime.fromisoformat(stamp) - dt.timedelta(days=days)).isoformat(timespec="seconds")

        with sqlite3.connect(index / FEEDS_DB) as db:
            db.create_function("earlier", 1, earlier)
            db.execute("UPDATE items SET listed = earlier(listed)")
            db.execute("UPDATE feeds SET checked = earlier(checked)")

    with QA(index, create=True) as bot:
        bot.add_feed(f"{b}/feed")
        assert bot.update_feeds().feeds[0].new == 3
        assert sorted(rows()) == [f"{b}/a", f"{b}/b", f"{b}/c"]

        age(KEEP_UNLISTED_DAYS + 1)
        bot.update_feeds()  # 304: the feed lists what it listed, nothing is forgotten
        assert sorted(rows()) == [f"{b}/a", f"{b}/b", f"{b}/c"]

        site.add("/feed", rss("Herald", items[:2]), "application/rss+xml", ETag='"v2"')  # /c drops out
        bot.update_feeds()
        assert sorted(rows()) == [f"{b}/a", f"{b}/b", f"{b}/c"]  # dropped just now: kept a while
        age(KEEP_UNLISTED_DAYS - 1)
        site.add("/feed", rss("Herald", items[:2]) + b"\n", "application/rss+xml", ETag='"v3"')
        bot.update_feeds()
        assert sorted(rows()) == [f"{b}/a", f"{b}/b", f"{b}/c"]
        age(2)
        before = len(site.log)
        site.add("/feed", rss("Herald", items[:2]) + b"\n\n", "application/rss+xml", ETag='"v4"')
        report = bot.update_feeds()
        assert sorted(rows()) == [f"{b}/a", f"{b}/b"]  # unlisted past the limit: forgotten
        assert site.log[before:] == ["/feed"] and report.feeds[0].unchanged == 2
        assert "Dock reopens" in by_title(bot)  # forgetting the feed's row removes no article
