"""Reading files and fetched pages into articles: txt, md, html (through trafilatura), jsonl.

Apart from qa.ingest.documents (what an article is, and how its text becomes paragraphs) because this is
the part that touches the file system, decodes untrusted bytes and reports what it skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .documents import MAX_BLOCK_CHARS, Article, parse_text
from ..errors import LoadError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
MAX_FILE_BYTES = 20 * 1024 * 1024  # default for the max_file_mb setting
# "reuters-2024-11-07-...", "harbour-herald-2024-11-08-...": the outlet's words, then the date.
_FILENAME_META_RE = re.compile(r"^([a-z][a-z0-9]*(?:[-_][a-z][a-z0-9]*)*?)[-_](\d{4}-\d{2}-\d{2})(?:[-_]|$)")
_OUTLET_NAMES = {"ap": "AP", "afp": "AFP", "bbc": "BBC", "cnn": "CNN", "npr": "NPR", "nyt": "NYT"}


# --- decoding -------------------------------------------------------------------------------


def decode_bytes(data: bytes, name: str) -> tuple[str, str | None]:
    """Decode a text file; returns (text, warning). Binary content raises LoadError."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            raise LoadError(f"{name}: broken UTF-16 text ({exc.reason}); re-save it as UTF-8") from exc
    head = data[:8192]
    if b"\x00" in head:
        raise LoadError(f"{name}: looks like a binary file, not text; skipped")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    # Line by line: a file of UTF-8 lines with a few Latin-1 ones (pasted from elsewhere) keeps its UTF-8
    # lines right ("café", not "cafÃ©"); only the lines that are not UTF-8 are read as Windows-1252.
    lines, legacy, utf8 = [], [], 0  # utf8: lines beyond ASCII that are UTF-8
    for number, line in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
            utf8 += not line.isascii()
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
            legacy.append(number)
    text = "\n".join(lines)
    controls = sum(1 for c in text[:8192] if (ord(c) < 32 and c not in "\n\r\t") or c == "\ufffd")
    if controls > max(2, len(text[:8192]) // 100):
        raise LoadError(f"{name}: looks like a binary file, not text; skipped")
    if not utf8:
        return text, f"{name}: not valid UTF-8, read as Windows-1252/Latin-1"
    where = f"line {legacy[0]}" if len(legacy) == 1 else f"{len(legacy)} lines, from line {legacy[0]}"
    return text, f"{name}: not valid UTF-8 on {where}, read as Windows-1252/Latin-1 there (the rest as UTF-8)"


# --- loaders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedFile:
    articles: list[Article]
    warnings: list[str]


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _meta_from_filename(stem: str) -> tuple[str | None, str | None]:
    """Outlet and date from a name like `reuters-2024-11-07-slug`; the date as written (parse_text checks
    it is a real day and reports it when not: `reuters-2024-13-45-talks`)."""
    m = _FILENAME_META_RE.match(stem.lower())
    if not m:
        return None, None
    words = re.split(r"[-_]", m.group(1))
    outlet = " ".join(_OUTLET_NAMES.get(w, w.capitalize()) for w in words)
    return outlet, m.group(2)


def load_file(path: Path, article_id: str, max_bytes: int = MAX_FILE_BYTES) -> LoadedFile:
    """Read one file into articles. Raises LoadError when the whole file is unusable."""
    name = path_text(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            raise LoadError(f"{name}: not a regular file (a pipe or device); skipped")
        if info.st_size > max_bytes:
            raise LoadError(f"{name}: {info.st_size / 2**20:.0f} MB is over the {max_bytes / 2**20:g} MB limit "
                            f"for one file; skipped (raise max_file_mb in the config file, or QA_MAX_FILE_MB, "
                            f"to index it)")
        data = path.read_bytes()
    except PermissionError as exc:
        raise LoadError(f"{name}: permission denied; skipped") from exc
    except IsADirectoryError as exc:
        raise LoadError(f"{name}: is a directory") from exc
    except OSError as exc:
        raise LoadError(f"{name}: cannot read ({exc.strerror}); skipped") from exc
    if not data.strip():
        return LoadedFile([], [f"{name}: empty file; skipped"])
    digest = file_hash(data)
    text, warning = decode_bytes(data, name)
    warnings = [warning] if warning else []
    suffix = path.suffix.lower()
    origin = path_text(path.resolve())

    if suffix == ".jsonl":
        articles, line_warnings = _parse_jsonl(text, name, article_id)
        warnings.extend(line_warnings)
    elif suffix in (".html", ".htm"):
        articles = [_parse_html(text, name, article_id)]
    else:
        source, date = _meta_from_filename(path.stem)
        articles = [
            parse_text(text, article_id=article_id, source=source, date=date, markdown=suffix in (".md", ".markdown"))
        ]
    articles = [replace(a, origin=origin, origin_hash=digest) for a in articles]
    empty = [a for a in articles if not any(p.searchable for p in a.paragraphs)]
    for a in empty:
        warnings.append(f"{name}: article {a.id!r} has no text paragraphs; skipped")
    articles = [a for a in articles if a not in empty]
    for a in articles:
        warnings.extend(date_warnings(a, name, suffix == ".jsonl"))
        for number in a.metadata.get("truncated_paragraphs", ()):
            where = f"article {a.id!r} " if suffix == ".jsonl" else ""
            warnings.append(f"{name}: {where}paragraph {number} is over {MAX_BLOCK_CHARS:,} characters; "
                            f"only its first {MAX_BLOCK_CHARS:,} are indexed")
    if not articles and not warnings:
        warnings.append(f"{name}: no article text found; skipped")
    return LoadedFile(articles, warnings)


def load_page(data: bytes, *, url: str, article_id: str, content_type: str, charset: str | None = None) -> LoadedFile:
    """An article fetched from `url` (qa.ingest.fetch): HTML through trafilatura, plain text as a .txt file.
    The URL is the article's url and its origin, so fetching it again replaces it."""
    text, warning = None, None
    if charset:
        try:
            text = data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text, warning = decode_bytes(data, url)
    if content_type == "text/plain":
        article = parse_text(text, article_id=article_id, url=url)
    else:
        article = _parse_html(text, url, article_id, url=url)
    article = replace(article, origin=url, origin_hash=file_hash(data))
    if not any(p.searchable for p in article.paragraphs):
        return LoadedFile([], [f"{url}: no article text found; skipped"])
    return LoadedFile([article], ([warning] if warning else []) + date_warnings(article, url, False))


def date_warnings(article: Article, name: str, say_id: bool) -> list[str]:
    """A warning for each date the article states that is not a real calendar day (it is indexed without it)."""
    where = f"article {article.id!r}: " if say_id else ""
    return [f"{name}: {where}{value!r} is not a real calendar date; indexed without a publication date"
            for value in article.metadata.get("bad_dates", ())]


def _parse_html(html: str, name: str, article_id: str, url: str | None = None) -> Article:
    import trafilatura  # slow import; only when HTML is indexed

    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    except Exception as exc:  # trafilatura raises a variety of parser errors on malformed pages
        raise LoadError(f"{name}: could not parse HTML ({exc}); skipped") from exc
    meta = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
    text = meta.get("text") or ""
    if not text.strip():
        raise LoadError(f"{name}: no article text found in the HTML; skipped")
    article = parse_text(
        text,
        article_id=article_id,
        title=meta.get("title") or None,
        source=meta.get("sitename") or None,
        date=meta.get("date") or None,
        byline=meta.get("author") or None,
        url=url or meta.get("url") or None,
    )
    hostname = meta.get("hostname")
    return replace(article, metadata={**article.metadata, "hostname": hostname}) if hostname else article


def _json_kind(value: object) -> str:
    """What a JSON value is, in a warning: "a number", "null", "a list", "an object", "true"."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return {dict: "an object", list: "a list"}.get(type(value), "a number")


def _parse_jsonl(text: str, name: str, default_id: str) -> tuple[list[Article], list[str]]:
    articles, warnings = [], []
    seen: dict[str, int] = {}  # id -> the line that gave it
    # JSON Lines end at "\n" (and "\r\n"); str.splitlines would also split a record at a raw U+2028 or
    # U+0085 inside a string, which JSON allows.
    for lineno, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            warnings.append(f"{name}:{lineno}: not valid JSON ({exc.msg}); line skipped")
            continue
        if not isinstance(record, dict):
            warnings.append(f"{name}:{lineno}: expected a JSON object; line skipped")
            continue
        body = record.get("text")
        if isinstance(body, list):  # a list of paragraphs: text only; a number, null, list or object is no paragraph
            items = [p for p in body if isinstance(p, str)]
            for position, item in enumerate(body, start=1):
                if not isinstance(item, str):
                    warnings.append(f"{name}:{lineno}: paragraph {position} of \"text\" is "
                                    f"{_json_kind(item)}, not a string; left out")
            body = "\n\n".join(p for p in items if p.strip())
        if not isinstance(body, str) or not body.strip():
            warnings.append(f"{name}:{lineno}: missing or empty \"text\"; line skipped")
            continue
        fields = {}
        for key in ("title", "url", "date", "source", "byline", "author"):
            value = record.get(key)
            if value is not None and not isinstance(value, str | int | float):
                warnings.append(f"{name}:{lineno}: field {key!r} is not a string; ignored")
                value = None
            fields[key] = str(value).strip() if value is not None else None
        raw_id = record.get("id")
        aid = one_line(str(raw_id)) if isinstance(raw_id, str | int) and str(raw_id).strip() else f"{default_id}:{lineno}"
        if aid in seen:  # two records, one id: both are kept, the later one under a new id
            given, n = aid, 2
            while f"{given}-{n}" in seen:
                n += 1
            aid = f"{given}-{n}"
            warnings.append(f"{name}:{lineno}: the id {given!r} was already given at line {seen[given]}; "
                            f"this record is indexed as {aid!r}")
        seen[aid] = lineno
        # Blank-line blocks are paragraphs; with no blank lines each line is one.
        article = parse_text(
            body,
            article_id=aid,
            title=fields["title"] or None,
            source=fields["source"],
            date=fields["date"],
            byline=fields["byline"] or fields["author"],
            url=fields["url"],
        )
        articles.append(article)
    return articles, warnings


# --- walking paths ---------------------------------------------------------------------------


_NAME_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def path_text(path: str | os.PathLike) -> str:
    """A path as text that can be stored and shown on one line: bytes of a file name that are not UTF-8
    (which Python keeps as lone surrogates) and control characters (a newline or tab in a name) written as
    \\xNN. The same for every run, and unchanged for ordinary names, so the id `qa list` shows is the one
    `qa remove` takes."""
    return one_line(os.fsencode(path).decode("utf-8", "backslashreplace"))


def one_line(name: str) -> str:
    """A name (file name, JSONL id) with its control characters written as \\xNN: one line, one cell."""
    return _NAME_CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", name)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    article_id: str  # id for a single-article file: its path relative to the given folder, sans suffix


def find_files(paths: list[str | os.PathLike]) -> tuple[list[SourceFile], list[str]]:
    """Expand files and folders (recursively) into supported files. A link inside a folder is followed
    only when it points inside that folder: one out of it (to /etc/passwd, to a home folder) is not
    indexed, and a warning says so. A file or folder given by name is read even when it is a link."""
    found: list[SourceFile] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for raw in paths:
        root = Path(raw).expanduser()
        if not root.exists():
            warnings.append(f"{path_text(raw)}: no such file or folder; skipped")
            continue
        if root.is_file():
            real = os.path.realpath(root)
            if real not in seen:
                seen.add(real)
                if root.suffix.lower() not in SUPPORTED_SUFFIXES:
                    warnings.append(f"{path_text(raw)}: unsupported file type {path_text(root.suffix or '(none)')}; "
                                    f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
                else:
                    found.append(SourceFile(root, path_text(root.stem)))
            continue
        for path in _walk(root, warnings):
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            rel = path.relative_to(root).with_suffix("")
            found.append(SourceFile(path, path_text(rel.as_posix())))
    return found, warnings


def _walk(root: Path, warnings: list[str]) -> Iterator[Path]:
    """The supported files under `root`, each folder's files before its sub-folders, in name order, hidden
    ones left out. A loop, not recursion: a folder nested thousands deep is walked like any other (where
    its path grows too long to open, a warning). A folder reached twice (a link loop) is walked once; a
    link whose target is outside `root` is not followed."""
    inside = os.path.realpath(root)
    visited: set[tuple[int, int]] = set()  # (device, inode): no realpath per folder, which costs its depth
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
        except OSError:
            info = None
        if info is not None:
            if (info.st_dev, info.st_ino) in visited:
                continue
            visited.add((info.st_dev, info.st_ino))
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            name = path_text(folder)
            name = name if len(name) <= 240 else f"{name[:100]}...{name[-100:]} ({len(folder.parts)} folders deep)"
            warnings.append(f"{name}: cannot read folder ({exc.strerror}); skipped")
            continue
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                wanted = is_dir or path.suffix.lower() in SUPPORTED_SUFFIXES
                if wanted and entry.is_symlink():
                    target = os.path.realpath(path)
                    if os.path.commonpath([inside, target]) != inside:
                        warnings.append(f"{path_text(path)}: a link to {path_text(target)}, outside "
                                        f"{path_text(root)}; not followed")
                        continue
            except (OSError, ValueError):
                continue  # gone meanwhile, or a name too long to look at: nothing to read
            if is_dir:
                folders.append(path)
            elif wanted:
                yield path
        stack.extend(reversed(folders))
