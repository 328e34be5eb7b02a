"""Polling feeds and indexing what they list: `qa update`, `qa index FEED_URL` and `qa serve --update-every`.

One poll reads every feed (a conditional request: an unchanged feed costs one 304), picks the items
not yet indexed or whose feed entry changed, and fetches those pages through qa.ingest.fetch, politely: a
delay between requests to one host, robots.txt obeyed, at most `cap` pages per run (the rest wait
for the next), all of them before the index's write lock is taken, so the fetching never keeps another
writer waiting. Pages are extracted like `qa index URL` and keep the feed's title, date, author and
outlet where they state none. An article reached by another URL (tracking parameters, an amp page,
a redirect, a canonical link) is indexed once. A feed or item that fails is a warning; the rest go on.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.parse
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..ingest.documents import Article, ArticleDefaults
from ..ingest.embeddings import Embedder
from ..errors import FetchError, LoadError, QAError
from .feeds import (FEED_ACCEPT, FeedError, FeedItem, FeedList, ItemState, ParsedFeed, SavedFeed, article_url,
                    canonical_link, looks_like_feed, parse_feed, same_site)
from ..ingest.fetch import PAGE_TYPES, USER_AGENT, Page, article_id_for, fetch
from .indexer import IndexReport, in_shard, indexing
from ..ingest.loaders import file_hash, load_page

MAX_FAILURES = 3  # an item whose page failed this often is tried again only when its feed entry changes
MAX_SITEMAPS = 50  # child sitemaps read from one sitemap index
MAX_CRAWL_DELAY = 60.0  # seconds: a robots.txt Crawl-delay beyond this is taken as this


@dataclass
class FeedSummary:
    """What one poll did with one feed: the line `qa update` prints for it."""

    feed: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    deferred: int = 0  # left for the next run by the per-run cap
    not_modified: bool = False
    error: str | None = None  # the feed itself could not be read

    def line(self) -> str:
        counts = f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.failed} failed"
        if self.error:
            return f"{self.feed}: failed ({self.error})"
        extra = " (not modified)" if self.not_modified else ""
        if self.deferred:
            extra += f"; {self.deferred} left for the next run"
        return f"{self.feed}: {counts}{extra}"

    def as_json(self) -> dict:
        return {"feed": self.feed, "new": self.new, "updated": self.updated, "unchanged": self.unchanged,
                "failed": self.failed, "deferred": self.deferred, "not_modified": self.not_modified,
                "error": self.error}


@dataclass
class UpdateReport:
    """One `qa update`: a summary per feed, what was indexed (`index`) and the HTTP requests made."""

    feeds: list[FeedSummary] = field(default_factory=list)
    index: IndexReport = field(default_factory=IndexReport)
    requests: int = 0

    @property
    def ok(self) -> bool:
        """As `qa index`: something was indexed or found unchanged (or there was nothing to fail)."""
        return (any(not f.error for f in self.feeds)
                and (self.index.articles > 0 or any(f.unchanged or f.not_modified or f.deferred for f in self.feeds)
                     or not any(f.failed for f in self.feeds)))

    def as_json(self) -> dict:
        return {"index": self.index.index, "feeds": [f.as_json() for f in self.feeds], "requests": self.requests,
                "articles": self.index.articles, "paragraphs_embedded": self.index.paragraphs,
                "warnings": self.index.warnings, "total_articles": self.index.total_articles}

    def to_json(self) -> str:
        """The object `qa update --json` prints (docs/json.md)."""
        import json

        return json.dumps(self.as_json())


@dataclass(frozen=True)
class Politeness:
    """How hard qa may lean on a site: seconds between requests to one host, the pages fetched in
    one run, and how long one request may take."""

    delay: float = 1.0
    cap: int = 500
    timeout: float = 20.0


class _Client:
    """Every request of one run: one at a time per host with `delay` between them, robots.txt read
    once per site and obeyed for article pages, and counted."""

    def __init__(self, politeness: Politeness):
        self.politeness = politeness
        self.requests = 0
        self._last: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def get(self, url: str, **kwargs) -> Page:
        host = urllib.parse.urlsplit(url).netloc.lower()
        wait = self._delay(url) - (time.monotonic() - self._last.get(host, float("-inf")))
        if wait > 0:
            time.sleep(wait)
        self.requests += 1
        try:
            return fetch(url, timeout=self.politeness.timeout, **kwargs)
        finally:
            self._last[host] = time.monotonic()

    def _delay(self, url: str) -> float:
        rules = self._robots.get(_site(url))
        crawl_delay = rules.crawl_delay(USER_AGENT) if rules is not None else None
        return max(self.politeness.delay, min(float(crawl_delay or 0), MAX_CRAWL_DELAY))

    def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets qa fetch `url` (no robots.txt: yes; one that refuses
        access, 401/403: no, as urllib.robotparser reads it)."""
        site = _site(url)
        if site not in self._robots:
            rules: urllib.robotparser.RobotFileParser | None = urllib.robotparser.RobotFileParser(site + "/robots.txt")
            try:
                page = self.get(site + "/robots.txt", types=None, max_bytes=512 * 1024, accept="text/plain")
                rules.parse(page.body.decode("utf-8", "replace").splitlines())
            except FetchError as exc:
                if any(f"HTTP {code} " in str(exc) for code in (401, 403)):
                    rules.disallow_all = True
                else:
                    rules = None  # none there (404), or none to be had: the site sets no rules
            self._robots[site] = rules
        rules = self._robots[site]
        return rules is None or rules.can_fetch(USER_AGENT, url)


def _host(url: str) -> str | None:
    """A feed's host name, the outlet of last resort (`www.` dropped)."""
    return (urllib.parse.urlsplit(url).hostname or "").removeprefix("www.") or None


def _site(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- `qa index URL`: feed or page? ----------------------------------------------------------------


def probe_urls(urls: list[str], timeout: float) -> tuple[dict[str, Page], dict[str, Page | LoadError]]:
    """Fetch each URL once: the feeds among them, and the other pages (or their error), each as
    fetched, for `qa index` to read without fetching them again."""
    from ..ingest.fetch import canonical_url

    feeds, pages = {}, {}
    for url in urls:
        try:
            url = canonical_url(url)
            page = fetch(url, timeout=timeout, types=None, accept=FEED_ACCEPT)
        except LoadError as exc:
            pages[url] = exc
            continue
        if looks_like_feed(page.body, page.content_type):
            feeds[url] = page
        elif page.content_type in PAGE_TYPES:
            pages[url] = page
        # anything else (a PDF...) is fetched again by the page path, which says what it is
    return feeds, pages


# --- one poll -------------------------------------------------------------------------------------


@dataclass
class _Work:
    feed: SavedFeed
    summary: FeedSummary
    item: FeedItem
    key: str
    origin: str | None  # the article it was indexed as, when this is a changed item
    outlet: str | None


def update_feeds(store, embedder: Embedder, feeds: list[SavedFeed], *, feed_list: FeedList | None,
                 politeness: Politeness = Politeness(), defaults: ArticleDefaults = ArticleDefaults(),
                 conditional: bool = True, progress: Callable[[int, int], None] | None = None,
                 on_wait: Callable[[str], None] | None = None, commit_every: int = 2000,
                 lock_timeout: float = 600, shard: tuple[int, int] | None = None,
                 report: IndexReport | None = None, should_stop: Callable[[], bool] | None = None,
                 fetched: dict[str, Page] | None = None) -> UpdateReport | None:
    """Poll `feeds` once and index what is new or changed (see the module's docstring). `feed_list`
    keeps the validators and item states between runs (None: no memory beyond the index itself);
    `defaults` fill what neither page nor feed states (`qa index FEED --outlet`). When `should_stop()`
    turns true while pages are fetched, returns None having written nothing (the next run does it).
    `fetched`: feed documents already downloaded (`probe_urls`), read as they are."""
    result = UpdateReport(index=report or IndexReport())
    client = _Client(politeness)
    known = store.origin_hashes()
    work: list[list[_Work]] = []
    states: dict[str, dict[str, ItemState]] = {}
    polled: dict[str, SavedFeed] = {}
    planned: set[str] = set()  # item keys some feed of this run will fetch
    listed: dict[str, set[str]] = {}  # per feed read (not a 304), the item keys it lists now
    for feed in feeds:
        summary = FeedSummary(feed.url)
        result.feeds.append(summary)
        previous = feed_list.items(feed.url) if feed_list else {}
        states[feed.url] = dict(previous)
        try:
            parsed, polled[feed.url] = _read_feed(feed, client, previous, known, conditional, summary,
                                                  (fetched or {}).get(feed.url))
        except LoadError as exc:
            summary.error = str(exc).removeprefix(f"{feed.url}: ")
            result.index.warnings.append(f"feed {feed.url}: {summary.error}")
            continue
        if parsed is None:
            continue
        result.index.warnings.extend(parsed.warnings)
        outlet = defaults.source or feed.outlet
        listed[feed.url] = set()
        work.append(_plan(feed, parsed, summary, previous, states[feed.url], known, feed_list, outlet, shard,
                          planned, result.index.warnings, listed[feed.url]))

    todo = _interleave(work)
    for late in todo[politeness.cap:]:
        late.summary.deferred += 1
    todo = todo[: politeness.cap]
    if todo and not _fetch_and_index(store, embedder, todo, client, known, states, defaults, result, progress,
                                     on_wait, commit_every, lock_timeout, should_stop):
        return None
    if feed_list is not None:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        for feed in feeds:
            if feed.url in polled:
                summary = next(s for s in result.feeds if s.feed == feed.url)
                saved = polled[feed.url] if not summary.deferred else replace(polled[feed.url], etag=None,
                                                                              last_modified=None)
                feed_list.save(replace(saved, checked=now), states[feed.url], listed.get(feed.url))
    result.requests = client.requests
    result.index.unchanged += sum(f.unchanged for f in result.feeds)
    return result


def _read_feed(feed: SavedFeed, client: _Client, previous: dict[str, ItemState], known: dict[str, str],
               conditional: bool, summary: FeedSummary, page: Page | None) -> tuple[ParsedFeed | None, SavedFeed]:
    """The feed's items (from `page` when given), or None when it answered 304; and the validators to keep."""
    headers = {}
    # A 304 is trusted only while what the feed gave last time is still in the index (not after a rebuild).
    if conditional and all(s.origin in known for s in previous.values() if s.origin):
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
    page = page or client.get(feed.url, headers=headers, types=None, accept=FEED_ACCEPT)
    if page.not_modified:
        summary.not_modified = True
        summary.unchanged = sum(1 for s in previous.values() if s.origin)
        return None, feed
    validators = replace(feed, etag=page.etag, last_modified=page.last_modified)
    parsed = parse_feed(page.body, page.final_url, content_type=page.content_type)
    if parsed.sitemaps:  # a sitemap index: the sitemaps it lists, one level down
        items, warnings = list(parsed.items), list(parsed.warnings)
        for child in parsed.sitemaps[:MAX_SITEMAPS]:
            try:
                sub = parse_feed(client.get(child, types=None, accept=FEED_ACCEPT).body, child)
            except LoadError as exc:
                warnings.append(f"feed {feed.url}: sitemap {exc}")
                continue
            items.extend(sub.items)
            warnings.extend(sub.warnings)
        if len(parsed.sitemaps) > MAX_SITEMAPS:
            warnings.append(f"feed {feed.url}: lists {len(parsed.sitemaps)} sitemaps; only the first "
                            f"{MAX_SITEMAPS} are read")
        parsed = replace(parsed, items=tuple(items), warnings=tuple(warnings))
    return parsed, validators


def _plan(feed: SavedFeed, parsed: ParsedFeed, summary: FeedSummary, previous: dict[str, ItemState],
          states: dict[str, ItemState], known: dict[str, str], feed_list: FeedList | None, outlet: str | None,
          shard: tuple[int, int] | None, planned: set[str], warnings: list[str],
          listed: set[str]) -> list[_Work]:
    """The items to fetch: new ones and those whose feed entry changed; the rest counted unchanged.
    `listed` gets every item key the feed lists (those of other shards too)."""
    out, seen = [], set()
    for item in parsed.items:
        try:
            key = article_url(item.url)
        except FetchError as exc:
            summary.failed += 1
            warnings.append(f"feed {feed.url}: item {item.label}: {exc}")
            continue
        listed.add(key)
        if key in seen or (shard is not None and not in_shard(key, shard)):
            continue  # listed twice (once with tracking parameters, say): one article
        seen.add(key)
        if key in planned:  # another feed lists it too: fetched once, for that one
            summary.unchanged += 1
            continue
        state = previous.get(key)
        origin = (state.origin if state else None) or (feed_list.origin_of(key) if feed_list else None) or key
        item_outlet = outlet or item.outlet or parsed.title or _host(feed.url)
        if origin in known:
            if state is None or not item.stamp or state.stamp == item.stamp:
                summary.unchanged += 1
                states[key] = ItemState(origin, item.stamp, 0)
                continue
            planned.add(key)
            out.append(_Work(feed, summary, item, key, origin, item_outlet))
        elif state is not None and state.failures >= MAX_FAILURES and state.stamp == item.stamp:
            summary.failed += 1  # said before; tried again when the feed's entry changes
        else:
            planned.add(key)
            out.append(_Work(feed, summary, item, key, None, item_outlet))
    return out


def _interleave(work: list[list[_Work]]) -> list[_Work]:
    """One item from each feed in turn, so a per-run cap never starves the feeds listed last."""
    out = []
    for row in range(max((len(w) for w in work), default=0)):
        out.extend(w[row] for w in work if row < len(w))
    return out


def _fetch_and_index(store, embedder: Embedder, todo: list[_Work], client: _Client, known: dict[str, str],
                     states: dict[str, dict[str, ItemState]], defaults: ArticleDefaults, result: UpdateReport,
                     progress, on_wait, commit_every: int, lock_timeout: float,
                     should_stop: Callable[[], bool] | None) -> bool:
    """Fetch and extract every page first, then index them under the write lock: with a polite delay
    the fetching takes minutes, and another writer (`qa index`) should not wait for it. False: stopped
    (`should_stop`) before anything was written."""
    report = result.index
    done_now: set[str] = set()
    report.files += len(todo)
    ready: list[tuple[list[Article], str]] = []
    for number, work in enumerate(todo, start=1):
        if should_stop is not None and should_stop():
            return False
        state = states[work.feed.url].get(work.key)
        try:
            outcome, origin = _one_item(work, client, known, done_now, defaults, report, ready)
            states[work.feed.url][work.key] = ItemState(origin, work.item.stamp, 0)
        except LoadError as exc:
            outcome = "failed"
            failures = (state.failures if state and state.stamp == work.item.stamp else 0) + 1
            states[work.feed.url][work.key] = ItemState(work.origin, work.item.stamp, failures)
            report.skipped += 1
            report.warnings.append(f"feed {work.feed.url}: item {work.item.label}: "
                                   f"{str(exc).removeprefix(work.item.url + ': ')}")
        setattr(work.summary, outcome, getattr(work.summary, outcome) + 1)
        if progress:  # fetching is the first half of the work, indexing what was fetched the second
            progress(number, 2 * len(todo))
    if ready:
        with indexing(store, embedder, report, on_wait=on_wait, commit_every=commit_every,
                      lock_timeout=lock_timeout) as add:
            for number, (articles, origin) in enumerate(ready, start=1):
                add(articles, origin)  # waits while the batch before is embedded
                if progress:
                    progress(len(todo) + number, len(todo) + len(ready))
    return True


def _one_item(work: _Work, client: _Client, known: dict[str, str], done_now: set[str], defaults: ArticleDefaults,
              report: IndexReport, ready: list[tuple[list[Article], str]]) -> tuple[str, str]:
    """Fetch one item's page and put its article in `ready`; returns (new, updated or unchanged; its origin)."""
    item = work.item
    if not client.allowed(item.url):
        raise LoadError(f"{item.url}: the site's robots.txt does not allow qa to fetch it; skipped")
    page = client.get(item.url)
    final = article_url(page.final_url)
    canonical = canonical_link(page.body, page.final_url) if page.content_type != "text/plain" else None
    origin = final
    if canonical and same_site(canonical, page.final_url):
        try:
            origin = article_url(canonical)
        except FetchError:
            pass
    if (work.origin is None and origin != work.key and origin in known) or origin in done_now:
        return "unchanged", origin  # another address of an article already indexed: indexed once
    outlet = work.outlet or defaults.source
    filled = ArticleDefaults(outlet, item.date or defaults.date, item.author or defaults.byline)
    digest = file_hash(page.body) + filled.tag
    done_now.add(origin)
    if known.get(origin) == digest:
        return "unchanged", origin
    loaded = load_page(page.body, url=origin, article_id=article_id_for(origin), content_type=page.content_type,
                       charset=page.charset)
    report.warnings.extend(f"feed {work.feed.url}: item {item.label}: {w}" for w in loaded.warnings)
    if not loaded.articles:
        raise LoadError(f"{item.url}: no article text found; skipped")
    articles = [_with_feed_metadata(a, item, filled, digest) for a in loaded.articles]
    if not any(a.date for a in articles):
        report.warnings.append(f"feed {work.feed.url}: item {item.label}: neither the feed nor the page gives "
                               f"a publication date; indexed without one")
    ready.append((articles, origin))
    replaced = origin in known
    known[origin] = digest
    return ("updated" if replaced else "new"), origin


def _with_feed_metadata(article: Article, item: FeedItem, filled: ArticleDefaults, digest: str) -> Article:
    article = filled.fill(article)
    title = article.title if article.title and article.title != article.id else (item.title or article.title)
    return replace(article, title=title, origin_hash=digest)


# --- in the background: `qa serve --update-every` ---------------------------------------------------


class BackgroundUpdates:
    """Runs `update(should_stop=...)` every `every` seconds on a thread of its own until `stop()`; one run
    at a time (the index's write lock keeps other writers out too), readers see each commit as it lands.
    A stop while pages are being fetched ends that run before it writes anything.
    `on_report` hears each run's report, `on_error` each failed run's error."""

    def __init__(self, update: Callable[..., UpdateReport], every: float,
                 on_report: Callable[[UpdateReport], None] | None = None,
                 on_error: Callable[[QAError], None] | None = None):
        self._update, self.every = update, every
        self._on_report, self._on_error = on_report, on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qa-feed-updates", daemon=True)
        self.runs = 0

    def start(self) -> BackgroundUpdates:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self._update(should_stop=self._stop.is_set)
                if report is None:
                    break  # stopped while fetching
                if self._on_report:
                    self._on_report(report)
            except QAError as exc:
                if self._on_error:
                    self._on_error(exc)
            self.runs += 1
            self._stop.wait(self.every)


def parse_every(text: str) -> float:
    """`30m`, `2h`, `90s` or a number of seconds, as seconds; anything else raises QAError."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise QAError(f"{text!r} is not an interval; give one like 30m, 2h or 90s")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


__all__ = ["BackgroundUpdates", "FeedError", "FeedSummary", "Politeness", "UpdateReport", "parse_every",
           "probe_urls", "update_feeds"]
