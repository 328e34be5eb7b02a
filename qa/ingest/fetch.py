"""Fetching an article page from a URL, carefully: a timeout, a size cap, a User-Agent, and an error a
user can act on for every way it fails (HTTP status, timeout, refused connection, not a web page).

The standard library's urllib does the HTTP (redirects included); extraction happens in
qa.ingest.loaders (trafilatura), as for HTML files.
"""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import FetchError

USER_AGENT = "qa/0.1 (news article indexer; python-urllib)"
TIMEOUT = 20.0  # seconds, for connecting and for the whole download
MAX_BYTES = 10 * 2**20
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


@dataclass(frozen=True)
class Page:
    url: str  # as asked for, without its #fragment: the article's identity
    final_url: str  # after redirects
    body: bytes
    content_type: str
    charset: str | None
    etag: str | None = None  # the validators a conditional request sends back (qa.index.feeds)
    last_modified: str | None = None
    not_modified: bool = False  # HTTP 304 to a conditional request: `body` is empty


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def canonical_url(url: str) -> str:
    """The URL without its fragment (#...), which names a place in the page, not another article.
    Raises FetchError for a URL that cannot be one ("https://[::1", "http://host:abc/x", no host)."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url.strip()):
        raise FetchError(f"{url!r}: not a valid URL (it holds a space, line break or control character); "
                         f"write a space as %20")
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError as exc:
        raise FetchError(f"{url}: not a valid URL ({exc}); check the address") from exc
    if not parts.hostname:
        raise FetchError(f"{url}: not a valid URL (no host name); check the address")
    return urllib.parse.urldefrag(url.strip())[0]


def article_id_for(url: str) -> str:
    """A readable id: host and path, e.g. `example.com/world/2024/trump-kim`."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    for suffix in (".html", ".htm", ".shtml", ".php"):
        path = path.removesuffix(suffix)
    return host + path + (f"?{parts.query}" if parts.query else "")


def fetch(url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES, headers: Mapping[str, str] | None = None,
          types: tuple[str, ...] | None = PAGE_TYPES, accept: str = "text/html,application/xhtml+xml,text/plain;q=0.9",
          ) -> Page:
    """Download a page. Raises FetchError saying what went wrong and what to do. `headers` are added
    to the request (a conditional request's If-None-Match gets a `not_modified` Page on HTTP 304);
    `types` are the content types taken (None: any); a gzip-encoded body is decoded within `max_bytes`."""
    url = canonical_url(url)
    deadline = time.monotonic() + timeout
    try:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": accept, **(headers or {})})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            content_type = response.headers.get_content_type()
            if types is not None and content_type not in types:
                raise FetchError(f"{url}: is {content_type}, not a web page; qa indexes HTML and plain-text "
                                 f"pages (save other documents as text and index the file)")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"{url}: {int(length) // 2**20} MB is over the {max_bytes // 2**20} MB limit; skipped")
            gzipped = response.headers.get("Content-Encoding", "").strip().lower() in ("gzip", "x-gzip")
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
            chunks, size = [], 0
            while chunk := response.read(65536):
                if inflate is not None:  # a gzip bomb stops at max_bytes of output, not after inflating it all
                    chunk = inflate.decompress(chunk, max_bytes + 1 - size)
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{url}: larger than the {max_bytes // 2**20} MB limit; skipped")
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunks.append(chunk)
            return Page(url, response.geturl(), b"".join(chunks), content_type,
                        response.headers.get_content_charset(), response.headers.get("ETag"),
                        response.headers.get("Last-Modified"))
    except urllib.error.HTTPError as exc:
        if exc.code == 304 and headers:
            return Page(url, url, b"", "", None, exc.headers.get("ETag"), exc.headers.get("Last-Modified"),
                        not_modified=True)
        if 300 <= exc.code < 400:
            raise FetchError(f"{url}: redirects in a loop or too many times (HTTP {exc.code}); check the "
                             f"address") from exc
        hint = {404: "check the address", 410: "the page was removed", 401: "it needs a login",
                403: "the site refuses automated downloads; save the page and index the file",
                429: "too many requests; try again later"}.get(exc.code, "try again later, or save the page "
                                                                     "and index the file")
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}; {hint}") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"{url}: timed out after {timeout:g} s; the site is slow or unreachable, "
                             f"try again later") from exc
        if isinstance(reason, socket.gaierror):
            raise FetchError(f"{url}: unknown host; check the address and your network") from exc
        text = getattr(reason, "strerror", None) or str(reason)
        raise FetchError(f"{url}: cannot connect ({text}); check the address and your network") from exc
    except (TimeoutError, socket.timeout) as exc:
        raise FetchError(f"{url}: timed out after {timeout:g} s; the site is slow or unreachable, "
                         f"try again later") from exc
    except zlib.error as exc:
        raise FetchError(f"{url}: its gzip encoding is broken ({exc}); skipped") from exc
    except (OSError, ValueError, http.client.HTTPException) as exc:  # a reset mid-download, a malformed URL or reply
        raise FetchError(f"{url}: download failed ({exc}); try again, or save the page and index the file") from exc
