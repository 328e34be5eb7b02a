"""News feeds and sitemaps: what they list, what an article's URL is, and the feeds saved with an index.

RSS and Atom are read by feedparser (tolerant of the malformed XML feeds often are), JSON Feed by the
json module, XML sitemaps (news sitemaps and sitemap indexes too) by lxml with entities and network
off. A feed is untrusted text like an article: a bad one gives a `FeedError` or warnings, never a crash.
The update that fetches and indexes what feeds list is qa.index.feed_update.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import FetchError, LoadError, QAError
from ..ingest.fetch import canonical_url

FEEDS_DB = "feeds.sqlite"  # in the index folder, beside the index's own database
MAX_ITEMS = 50_000  # items read from one feed document; a sitemap may hold 50,000 URLs
# An item its feed has stopped listing is forgotten after this many days. While the feed lists an item,
# its row says what it was indexed as (no fetch again); a news feed keeps an item days, a sitemap
# months, so a row unlisted this long is dead weight (and if it ever comes back, the index's own
# record of the URL still spares most re-fetches).
KEEP_UNLISTED_DAYS = 90
FEED_ACCEPT = ("application/rss+xml,application/atom+xml,application/feed+json,application/json,"
               "application/xml;q=0.9,text/xml;q=0.9,text/html;q=0.5,*/*;q=0.1")
_SITEMAP_ROOT_RE = re.compile(rb"<(?:[\w-]+:)?(urlset|sitemapindex)[\s>]")
_HTML_RE = re.compile(rb"<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)


class FeedError(LoadError):
    """A feed could not be read: not a feed, or not one qa can make sense of."""


@dataclass(frozen=True)
class FeedItem:
    """One article a feed lists, with what the feed says of it (each may be missing)."""

    url: str
    title: str | None = None
    date: str | None = None  # publication day, YYYY-MM-DD, as the feed states it
    author: str | None = None
    outlet: str | None = None  # a news sitemap's publication name
    stamp: str = ""  # the feed's last-changed mark for the item: a new one means look again

    @property
    def label(self) -> str:
        """How a message names the item."""
        return f"{self.title!r} ({self.url})" if self.title else self.url


@dataclass(frozen=True)
class ParsedFeed:
    kind: str  # rss, atom, json or sitemap
    title: str | None
    items: tuple[FeedItem, ...]
    sitemaps: tuple[str, ...] = ()  # the sitemaps a sitemap index lists
    warnings: tuple[str, ...] = ()


# --- article identity ---------------------------------------------------------------------------

_AMP_PATH_RE = re.compile(r"(?:/amp(?=/|$)|\.amp(?=\.html?$|$))", re.IGNORECASE)


def article_url(url: str) -> str:
    """The URL that names an article however it was reached: no #fragment, tracking parameters
    (utm_*, fbclid, ...: courlan's list), default port or `amp` version (`/amp/`, `.amp`, `?amp=1`,
    an `amp.` host). Raises FetchError for a URL that cannot be one."""
    from courlan import normalize_url

    url = canonical_url(url)
    try:
        url = normalize_url(url, trailing_slash=True)
    except ValueError as exc:
        raise FetchError(f"{url}: not a valid URL ({exc}); check the address") from exc
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.removeprefix("amp.")
    path = _AMP_PATH_RE.sub("", parts.path) or "/"
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
             if not (k.lower() == "amp" or (k.lower() == "outputtype" and v.lower() == "amp"))]
    return urllib.parse.urlunsplit((parts.scheme, host, path, urllib.parse.urlencode(query), ""))


def same_site(a: str, b: str) -> bool:
    """Whether two URLs are on one site (`www.` and `amp.` aside): a page may name its canonical
    address there, not on someone else's site, whose article it would then replace."""
    def host(url: str) -> str:
        return (urllib.parse.urlsplit(url).hostname or "").removeprefix("www.").removeprefix("amp.")

    return host(a) == host(b) != ""


def canonical_link(html: bytes, base: str) -> str | None:
    """The page's `<link rel="canonical">` address, absolute, if it states one."""
    import lxml.html

    head = html[: 256 * 1024]  # it sits in the head; a page's body need not be parsed again
    try:
        tree = lxml.html.document_fromstring(head)
    except (ValueError, lxml.etree.ParserError):
        return None
    for href in tree.xpath("//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONICAL', "
                           "'canonical')), ' '), ' canonical ')]/@href"):
        href = str(href).strip()
        if href:
            return urllib.parse.urljoin(base, href)
    return None


# --- reading feeds ------------------------------------------------------------------------------


def looks_like_feed(body: bytes, content_type: str) -> bool:
    """Whether fetched bytes are a feed or sitemap rather than a web page (by content, not by the
    content type alone, which servers get wrong both ways)."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return b'"items"' in body[:65536] or b"jsonfeed.org" in head
    if _HTML_RE.search(head[:1024]):
        return False
    if _SITEMAP_ROOT_RE.search(head):
        return True
    return bool(re.search(rb"<(?:[\w-]+:)?(?:rss|feed|RDF)[\s>]", head)) or content_type.endswith(("rss+xml",
                                                                                                   "atom+xml"))


def parse_feed(body: bytes, url: str, *, content_type: str = "", today: dt.date | None = None,
               max_bytes: int = 10 * 2**20) -> ParsedFeed:
    """What a feed or sitemap lists. Raises FeedError when it is none (a web page, not XML or JSON);
    items it cannot use (no link, a date in the future) are left out or cleaned, each with a warning.
    A gzip file (`sitemap.xml.gz`) is read within `max_bytes` once inflated."""
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, url, max_bytes)
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FeedError(f"{url}: the feed is empty")
    if head.startswith(b"{"):
        kind, title, raw, sitemaps, warnings = _json_feed(body, url)
    elif _SITEMAP_ROOT_RE.search(head):
        kind, title, raw, sitemaps, warnings = _sitemap(body, url)
    elif _HTML_RE.search(head[:1024]) or (content_type == "text/html" and not looks_like_feed(body, "")):
        raise FeedError(f"{url}: is a web page, not a feed (RSS, Atom, JSON Feed or sitemap); give the "
                        f"feed's own address (the page's RSS link), or index the page with `qa index URL`")
    else:
        kind, title, raw, sitemaps, warnings = _rss_or_atom(body, url, content_type)
    if len(raw) > MAX_ITEMS:
        warnings.append(f"{url}: lists {len(raw):,} items; only the first {MAX_ITEMS:,} are read")
        raw = raw[:MAX_ITEMS]
    items = []
    today = today or dt.datetime.now(dt.timezone.utc).date()
    for item in raw:
        if not item.url:
            warnings.append(f"feed {url}: item {item.title or '(untitled)'!r} has no link; skipped")
            continue
        try:
            link = canonical_url(urllib.parse.urljoin(url, item.url))
            if not link.lower().startswith(("http://", "https://")):
                raise FetchError(f"{item.url}: not an http(s) address")
        except FetchError as exc:
            warnings.append(f"feed {url}: item {item.title or item.url!r}: {exc}; skipped")
            continue
        item = FeedItem(link, item.title, item.date, item.author, item.outlet, item.stamp)
        if item.date and item.date > (today + dt.timedelta(days=1)).isoformat():  # a day's grace for time zones
            warnings.append(f"feed {url}: item {item.label}: its date {item.date} is in the future; "
                            f"the page's own date is used, if it states one")
            item = FeedItem(item.url, item.title, None, item.author, item.outlet, item.stamp)
        items.append(item)
    return ParsedFeed(kind, title, tuple(items), tuple(sitemaps), tuple(warnings))


def _gunzip(body: bytes, url: str, max_bytes: int) -> bytes:
    import zlib

    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise FeedError(f"{url}: a gzip file that is broken ({exc})") from exc
    if len(out) > max_bytes:
        raise FeedError(f"{url}: larger than the {max_bytes // 2**20} MB limit once unzipped; skipped")
    return out


def _day(value: object) -> str | None:
    """The calendar day a feed's date names, in the time zone it is written in."""
    if not value:
        return None
    if isinstance(value, tuple):  # feedparser's struct_time (UTC), when the raw text would not parse
        try:
            return dt.date(*value[:3]).isoformat()
        except (TypeError, ValueError):
            return None
    from dateutil import parser as dateparser

    try:
        return dateparser.parse(str(value)).date().isoformat()
    except (ValueError, OverflowError, TypeError):
        return None


def _text(value: object) -> str | None:
    if not isinstance(value, str | int | float):
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None


def _rss_or_atom(body: bytes, url: str, content_type: str):
    import feedparser

    # Bytes, never a string: feedparser fetches a string that looks like an address itself.
    parsed = feedparser.parse(body, response_headers={"content-location": url,
                                                      "content-type": content_type or "application/xml"})
    warnings = []
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise FeedError(f"{url}: not a feed qa can read (RSS, Atom, JSON Feed or sitemap)"
                        + (f": {problem}" if problem else "") + "; check the address")
    if parsed.get("bozo") and parsed.entries:
        warnings.append(f"feed {url}: malformed XML ({parsed.get('bozo_exception')}); "
                        f"read its {len(parsed.entries)} item(s) anyway")
    kind = "atom" if str(parsed.get("version", "")).startswith("atom") else "rss"
    items = []
    for entry in parsed.entries:
        field = dict(entry).get  # the keys as parsed: feedparser maps a missing `updated` to `published`, noisily
        date = _day(field("published")) or _day(field("published_parsed")) or _day(field("updated")) \
            or _day(field("updated_parsed"))
        link = field("link")
        if not link and str(field("id", "")).startswith(("http://", "https://")):
            link = field("id")  # RSS guid isPermaLink
        items.append(FeedItem(link or "", _text(field("title")), date, _text(field("author")),
                              stamp=str(field("updated") or field("published") or "")))
    return kind, _text(parsed.feed.get("title")), items, [], warnings


def _json_feed(body: bytes, url: str):
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"{url}: not valid JSON ({exc}); not a JSON Feed") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedError(f"{url}: JSON without an \"items\" list; not a JSON Feed (jsonfeed.org)")
    authors = data.get("authors") or ([data["author"]] if isinstance(data.get("author"), dict) else [])
    feed_author = _json_author(authors)
    items = []
    for entry in data["items"]:
        if not isinstance(entry, dict):
            continue
        link = entry.get("url") or entry.get("external_url")
        if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
            link = entry.get("id")
        entry_authors = entry.get("authors") or ([entry["author"]] if isinstance(entry.get("author"), dict) else [])
        items.append(FeedItem(link if isinstance(link, str) else "", _text(entry.get("title")),
                              _day(entry.get("date_published") or entry.get("date_modified")),
                              _json_author(entry_authors) or feed_author,
                              stamp=str(entry.get("date_modified") or entry.get("date_published") or "")))
    return "json", _text(data.get("title")), items, [], []


def _json_author(authors: object) -> str | None:
    if isinstance(authors, list):
        names = [_text(a.get("name")) for a in authors if isinstance(a, dict)]
        return ", ".join(n for n in names if n) or None
    return None


def _sitemap(body: bytes, url: str):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True,
                             load_dtd=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"{url}: a sitemap that is not XML ({exc}); check the address") from exc
    if root is None:
        raise FeedError(f"{url}: a sitemap that is not XML; check the address")
    warnings = [f"feed {url}: malformed XML ({parser.error_log[0].message.strip()}); read what could be read"] \
        if len(parser.error_log) else []

    def local(element) -> str:
        return etree.QName(element).localname if isinstance(element.tag, str) else ""

    def child_text(element, *path: str) -> str | None:
        for name in path:
            element = next((c for c in element if local(c) == name), None)
            if element is None:
                return None
        return _text(element.text)

    if local(root) == "sitemapindex":
        return "sitemap", None, [], [loc for s in root if local(s) == "sitemap" and (loc := child_text(s, "loc"))], \
            warnings
    items = []
    for entry in root:
        if local(entry) != "url":
            continue
        news = next((c for c in entry if local(c) == "news"), None)
        lastmod = child_text(entry, "lastmod")
        published = child_text(news, "publication_date") if news is not None else None
        items.append(FeedItem(child_text(entry, "loc") or "", child_text(news, "title") if news is not None else None,
                              _day(published or lastmod), None,
                              child_text(news, "publication", "name") if news is not None else None,
                              stamp=lastmod or published or ""))
    return "sitemap", None, items, [], warnings


# --- the feeds saved with an index --------------------------------------------------------------


@dataclass(frozen=True)
class SavedFeed:
    """A feed `qa update` polls: its address, the outlet its articles are filled in with, and the
    validators of its last download (sent back so an unchanged feed costs one 304)."""

    url: str
    outlet: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    checked: str | None = None  # when it was last polled (UTC, ISO 8601)

    def as_json(self) -> dict:
        return {"url": self.url, "outlet": self.outlet, "checked": self.checked}


@dataclass(frozen=True)
class ItemState:
    origin: str | None  # the article it was indexed as (None: not indexed)
    stamp: str
    failures: int


class FeedList:
    """The feeds saved with a local index and what each listed: a small SQLite file of its own in
    the index folder, so neither a rebuild of the index nor a reader's snapshot touches it. What an
    item was indexed as is checked against the index itself before it is trusted."""

    def __init__(self, folder: str | Path):
        path = Path(folder) / FEEDS_DB
        try:
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self.db.executescript("""
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, outlet TEXT, etag TEXT,
                    last_modified TEXT, checked TEXT, added TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS items (feed TEXT NOT NULL, url TEXT NOT NULL, origin TEXT,
                    stamp TEXT NOT NULL DEFAULT '', failures INTEGER NOT NULL DEFAULT 0, listed TEXT,
                    PRIMARY KEY (feed, url));
                CREATE INDEX IF NOT EXISTS items_url ON items(url);
            """)
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(items)")}
            if "listed" not in columns:  # a feed list of an older qa: its items count as listed now
                with self._transaction():
                    self.db.execute("ALTER TABLE items ADD COLUMN listed TEXT")
                    self.db.execute("UPDATE items SET listed = ?", (_now(),))
        except sqlite3.Error as exc:
            raise QAError(f"cannot open the feed list {path} ({exc}); check the index folder") from exc

    def close(self) -> None:
        self.db.close()

    def feeds(self) -> list[SavedFeed]:
        rows = self.db.execute("SELECT url, outlet, etag, last_modified, checked FROM feeds ORDER BY added, url")
        return [SavedFeed(*row) for row in rows]

    def get(self, url: str) -> SavedFeed | None:
        row = self.db.execute("SELECT url, outlet, etag, last_modified, checked FROM feeds WHERE url = ?",
                              (url,)).fetchone()
        return SavedFeed(*row) if row else None

    def add(self, url: str, outlet: str | None) -> SavedFeed:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.db.execute("INSERT INTO feeds (url, outlet, added) VALUES (?, ?, ?) "
                        "ON CONFLICT(url) DO UPDATE SET outlet = excluded.outlet", (url, outlet, now))
        return self.get(url)  # type: ignore[return-value]

    def remove(self, url: str) -> bool:
        with self._transaction():
            gone = self.db.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount
            self.db.execute("DELETE FROM items WHERE feed = ?", (url,))
        return bool(gone)

    def items(self, feed: str) -> dict[str, ItemState]:
        rows = self.db.execute("SELECT url, origin, stamp, failures FROM items WHERE feed = ?", (feed,))
        return {url: ItemState(origin, stamp, failures) for url, origin, stamp, failures in rows}

    def origin_of(self, url: str) -> str | None:
        """What an item URL was indexed as, through any feed (a redirect or canonical link)."""
        row = self.db.execute("SELECT origin FROM items WHERE url = ? AND origin IS NOT NULL LIMIT 1",
                              (url,)).fetchone()
        return row[0] if row else None

    def save(self, feed: SavedFeed, items: dict[str, ItemState], listed: set[str] | None = None) -> None:
        """Record one poll of `feed`: its validators, what each item came to, and which items it lists
        now (`listed`; None: unchanged since the last poll, a 304). Items it has not listed for
        KEEP_UNLISTED_DAYS are forgotten, so the table follows the feed instead of growing forever."""
        now = feed.checked or _now()
        cutoff = (dt.datetime.fromisoformat(now) - dt.timedelta(days=KEEP_UNLISTED_DAYS)).isoformat(timespec="seconds")
        with self._transaction():
            row = self.db.execute("SELECT checked FROM feeds WHERE url = ?", (feed.url,)).fetchone()
            self.db.execute("UPDATE feeds SET etag = ?, last_modified = ?, checked = ? WHERE url = ?",
                            (feed.etag, feed.last_modified, feed.checked, feed.url))
            self.db.executemany(
                "INSERT INTO items (feed, url, origin, stamp, failures, listed) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(feed, url) DO UPDATE SET origin = excluded.origin, stamp = excluded.stamp, "
                "failures = excluded.failures, listed = coalesce(excluded.listed, listed)",
                [(feed.url, url, s.origin, s.stamp, s.failures,
                  now if listed is not None and url in listed else None) for url, s in items.items()])
            if listed is None and row and row[0]:  # not modified: what it listed at its last poll it lists still
                self.db.execute("UPDATE items SET listed = ? WHERE feed = ? AND listed >= ?", (now, feed.url, row[0]))
            self.db.execute("DELETE FROM items WHERE feed = ? AND (listed IS NULL OR listed < ?)", (feed.url, cutoff))

    def _transaction(self):
        import contextlib

        @contextlib.contextmanager
        def transaction() -> Iterator[None]:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

        return transaction()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def feed_list(store) -> FeedList:
    """The feed list of a local index; a Milvus index has none (it has no folder of its own)."""
    if store.folder is None:
        raise QAError("feeds are saved in a local index folder; a Milvus index cannot keep them. Run "
                      "`qa index FEED_URL` against it (e.g. from cron) to index a feed's new articles")
    return FeedList(store.folder)
