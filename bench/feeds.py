"""Following a feed benchmark: a loopback RSS feed of BBC articles served as HTML pages, polled by `QA.update_feeds`.

Serves N BBC News articles (`../shared/bench-data/bbc_news`, outside the repo; default 2,000) as HTML
pages from a separate process on 127.0.0.1, with an RSS feed listing them (ETag answered with 304).
Measures the first update (articles/s, seconds, peak RSS of this process) and a second one after 20
new items are added to the feed (seconds, requests made, pages fetched). The per-host delay is set to
1 ms so the pipeline, not the politeness, is measured: at the default feed_delay of 1 s one host gives
at most one article a second.

    .venv/bin/python bench/feeds.py                 # 2,000 articles (tens of minutes on a busy 2-core machine)
    .venv/bin/python bench/feeds.py --articles 200  # a quick run

Exits 0 with a message when the data folder is absent. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import html
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa import QA  # noqa: E402
from qa.config import load_settings  # noqa: E402

_HERE = Path(__file__).resolve()
# ../shared beside the clone (or beside its worktree folder)
DEFAULT_DATA = next((p / "shared/bench-data/bbc_news" for p in (_HERE.parents[2], _HERE.parents[3])
                     if (p / "shared/bench-data/bbc_news").is_dir()), _HERE.parents[2] / "shared/bench-data/bbc_news")
NEW_ITEMS = 20


def page(text: str) -> tuple[str, bytes]:
    """A BBC article file as a plain HTML page: its headline and paragraphs, nothing else."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    title, paragraphs = blocks[0].split("\n")[0], blocks[1:]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return title, (f"<html><head><title>{html.escape(title)}</title></head><body><article><h1>"
                   f"{html.escape(title)}</h1>{body}</article></body></html>").encode()


def rss(items: list[tuple[str, str]], base: str) -> bytes:
    entries = "".join(f"<item><title>{html.escape(t)}</title><link>{base}{path}</link>"
                      f"<pubDate>Mon, 07 Feb 2005 09:00:00 GMT</pubDate></item>" for path, t in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>BBC News</title>{entries}</channel></rss>'.encode()


def serve(files: list[str], listed, ready, port, requests) -> None:
    """The site, in its own process: pages by number, /feed.xml listing the first `listed.value`."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pages, titles = {}, {}
    for n, name in enumerate(files):
        data = Path(name).read_bytes().decode("utf-8", errors="replace")
        titles[f"/news/{n}"], pages[f"/news/{n}"] = page(data)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            with requests.get_lock():
                requests.value += 1
            if self.path == "/feed.xml":
                count = listed.value
                etag = f'"feed-{count}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                newest_first = [(f"/news/{n}", titles[f"/news/{n}"]) for n in reversed(range(count))]
                body, kind, headers = rss(newest_first, f"http://127.0.0.1:{port.value}"), "application/rss+xml", \
                    {"ETag": etag}
            elif self.path in pages:
                body, kind, headers = pages[self.path], "text/html; charset=utf-8", {}
            else:
                body, kind, headers = b"not found", "text/plain", {}
                self.send_response(404)
            if self.path == "/feed.xml" or self.path in pages:
                self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.value = server.server_address[1]
    ready.set()
    parent = os.getppid()

    def orphaned() -> None:  # the benchmark was killed: stop serving, not linger
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    server.serve_forever()


def print_measures(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | value |\n|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="the bbc_news folder")
    parser.add_argument("--articles", type=int, default=2000, help="articles in the feed at the first update")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no benchmark data at {args.data}; nothing to measure")
        return 0
    files = [str(f) for f in sorted(args.data.glob("*/*.txt"))][: args.articles + NEW_ITEMS]
    first = len(files) - NEW_ITEMS

    context = multiprocessing.get_context("spawn")  # the site shares nothing with the measured process
    listed, port, requests = context.Value("i", first), context.Value("i", 0), context.Value("i", 0)
    ready = context.Event()
    site = context.Process(target=serve, args=(files, listed, ready, port, requests), daemon=True)
    site.start()
    ready.wait(120)
    rows: list[tuple[str, str]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="qa-bench-feeds-") as tmp:
            settings = load_settings(index=str(Path(tmp) / "index"), feed_delay=0.001, feed_cap=100_000)
            with QA(settings=settings, create=True) as bot:
                bot.add_feed(f"http://127.0.0.1:{port.value}/feed.xml")
                bot.embedder  # noqa: B018 - loaded before the clock starts, as a server has it
                start = time.perf_counter()
                report = bot.update_feeds()
                seconds = time.perf_counter() - start
                summary = report.feeds[0]
                rows += [("first update: articles indexed", f"{report.index.articles:,} ({summary.failed} failed)"),
                         ("first update: paragraphs embedded", f"{report.index.paragraphs:,}"),
                         ("first update: seconds", f"{seconds:.1f}"),
                         ("first update: articles/s", f"{report.index.articles / seconds:.1f}"),
                         ("first update: requests", f"{report.requests:,}")]
                rows.append(("peak RSS (MB)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"))

                unchanged_start = requests.value
                start = time.perf_counter()
                bot.update_feeds()
                rows.append(("unchanged feed: seconds, requests",
                             f"{time.perf_counter() - start:.2f}, {requests.value - unchanged_start}"))

                listed.value = first + NEW_ITEMS
                before = requests.value
                start = time.perf_counter()
                report = bot.update_feeds()
                seconds = time.perf_counter() - start
                summary = report.feeds[0]
                rows += [(f"{NEW_ITEMS} new items: seconds", f"{seconds:.2f}"),
                         (f"{NEW_ITEMS} new items: requests (server count)",
                          f"{report.requests} ({requests.value - before})"),
                         (f"{NEW_ITEMS} new items: new, unchanged", f"{summary.new}, {summary.unchanged}")]
    finally:
        site.terminate()
    print_measures(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
