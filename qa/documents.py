"""Articles and paragraphs: loading files (txt, md, html, jsonl) and splitting them as a reader would.

Paragraph numbers are what a reader counts (headline excluded, bullets and subheadings included), so
citations point where a person would look. Boilerplate is kept but marked, so it never reaches search.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

from .dates import calendar_date
from .errors import LoadError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
MAX_FILE_BYTES = 20 * 1024 * 1024  # default for the max_file_mb setting
MAX_PARAGRAPH_CHARS = 1000  # MiniLM reads ~256 word pieces; longer text is silently truncated
MAX_BLOCK_CHARS = 30_000  # one "paragraph" longer than this is no news paragraph: the rest is not indexed

# Paragraph kinds. Only SEARCHABLE kinds are embedded and indexed for lexical search.
BODY, BULLET, HEADING, BOILERPLATE = "body", "bullet", "heading", "boilerplate"
SEARCHABLE = (BODY, BULLET)


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of an article, numbered as a reader counts them (the headline is not one).

    `kind` is body, bullet, heading or boilerplate; only body and bullet paragraphs are searched."""

    number: int  # 1-based, as a reader counts
    text: str
    kind: str = BODY
    part: int = 0  # 1.. when an over-long paragraph was split at sentence boundaries, else 0

    @property
    def searchable(self) -> bool:
        """Whether the paragraph is embedded and searched (body text and bullets)."""
        return self.kind in SEARCHABLE


@dataclass(frozen=True)
class Article:
    """A news article as qa indexes it: its id, headline, numbered paragraphs and what is known of
    its outlet (`source`), publication date, byline and URL. Build one in code for
    `QA.add_articles`, or let `QA.index` read files and pages into them."""

    id: str
    title: str
    paragraphs: tuple[Paragraph, ...]
    source: str | None = None  # the outlet, e.g. "Reuters"
    date: str | None = None  # ISO date, YYYY-MM-DD, when known
    byline: str | None = None
    url: str | None = None
    origin: str | None = None  # the file it came from (several articles may share a JSONL file)
    origin_hash: str | None = None  # content hash of that file, for incremental re-indexing
    metadata: dict = field(default_factory=dict, compare=False, hash=False)


# --- sentences -------------------------------------------------------------------------------

_ABBREVIATIONS = (
    "Mr Mrs Ms Dr Prof Sr Jr St Gen Col Lt Sgt Capt Gov Sen Rep Rev Hon Inc Corp Ltd Co No vs "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec U.S U.K U.N E.U a.m p.m i.e e.g etc"
).split()
_ABBREV_RE = re.compile(r"(?:\b(?:%s)|\b[A-Z])\.$" % "|".join(re.escape(a) for a in _ABBREVIATIONS))
_SENTENCE_END = re.compile(r"""[.!?]["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])""")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; keeps closing quotes with their sentence and skips 'U.S.'-style
    abbreviations, which is what news text needs."""
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.end()].rstrip()
        head = re.sub(r"""["'”’)\]]+$""", "", candidate)
        if _ABBREV_RE.search(head):
            continue
        sentences.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def _split_long(text: str, limit: int = MAX_PARAGRAPH_CHARS) -> list[str]:
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        while len(sentence) > limit:  # one giant sentence: cut at a space
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                chunks.append(current)
                current = ""
            chunks.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > limit:
            chunks.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        chunks.append(current)
    return chunks


# --- paragraph classification ----------------------------------------------------------------

_BULLET_RE = re.compile(r"^\s*(?:[-*•–—]|\d+[.)])\s+")
_BOILERPLATE_RE = re.compile(
    r"""^(?:sign\ up\ here\.?|(?:\(|\[)?(?:additional\ )?(?:reporting|writing|editing|compiled)\ by\b.*
        |our\ standards:.*|.*\bopens\ new\ tab\s*$|(?:read|see)\ (?:more|also):?.*|click\ here\b.*
        |subscribe\b.*|follow\ (?:us|me)\b.*|share\ (?:this|on)\b.*|advertisement|related:.*
        |copyright\b.*|©.*|all\ rights\ reserved\.?)$""",
    re.IGNORECASE | re.VERBOSE,
)
_REPORTING_BY_RE = re.compile(r"^\(?(?:reporting|writing) by\s+([^;,.)]+)", re.IGNORECASE)
_BY_LINE_RE = re.compile(r"^(?i:by)\s+([A-Z][\w.'-]+(?:\s+(?:and\s+)?[A-Z][\w.'-]+){0,5})\s*$")
# "SEOUL, Nov 7 (Reuters) –", "WASHINGTON (AP) —", "PARIS, Nov. 7, 2024 (AFP) -": the wire agency, and
# a full date when the dateline gives its year.
_DATELINE_RE = re.compile(
    r"^([A-Z][A-Z .'’-]+?)(?:,\s+(?P<date>[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s+(?P<year>\d{4}))?))?\s+"
    r"\((?P<wire>Reuters|AP|AFP|Bloomberg|UPI|Associated Press|Agence France-Presse)\)"
)
_DATE_LINE_RE = re.compile(  # "Published: 7 November 2024", "Updated Nov. 7, 2024 10:04 GMT"
    r"^(?i:(?:first\s+)?(?:published|updated|posted)(?:\s+on)?:?\s*)?(?:[A-Z][a-z]+day,?\s+)?"
    r"(?P<value>(?:\d{1,2}\s+[A-Z][a-z]{2,8}\.?,?\s+\d{4}|[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2})"
    r"[\w:. +-]{0,20})$"
)
_WIRE_NAMES = {"Associated Press": "AP", "Agence France-Presse": "AFP"}
# "reuters-2024-11-07-...", "harbour-herald-2024-11-08-...": the outlet's words, then the date.
_FILENAME_META_RE = re.compile(r"^([a-z][a-z0-9]*(?:[-_][a-z][a-z0-9]*)*?)[-_](\d{4}-\d{2}-\d{2})(?:[-_]|$)")
# "Harbour Herald, 8 November 2024" under the headline: the outlet and date, not a paragraph.
_OUTLET_DATE_LINE_RE = re.compile(r"^(?P<outlet>[A-Z][\w&'’.]*(?:\s+[A-Z&][\w&'’.]*){0,4}),\s+(?P<value>.+)$")
_OUTLET_NAMES = {"ap": "AP", "afp": "AFP", "bbc": "BBC", "cnn": "CNN", "npr": "NPR", "nyt": "NYT"}


def _classify(text: str) -> str:
    if _BOILERPLATE_RE.match(text):
        return BOILERPLATE
    words = text.split()
    letters = [c for c in text if c.isalpha()]
    if len(words) <= 10 and letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        return HEADING  # "UPSIDES FOR NORTH KOREA?"
    return BODY


def _blocks(text: str) -> list[str]:
    """Paragraphs as the article has them: blank-line blocks when there are any, else lines.
    Bullet lines stay separate even inside a block."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(r"\n[ \t]*\n", text):
        blocks = []
        for block in re.split(r"\n[ \t]*\n+", text):
            lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
            if lines and all(_BULLET_RE.match(ln) for ln in lines):
                blocks.extend(lines)
            elif lines:
                blocks.append(" ".join(lines))
        return blocks
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


def _looks_like_headline(block: str) -> bool:
    return len(block) <= 200 and not _BULLET_RE.match(block) and not block.rstrip().endswith((".", ":"))


def parse_text(
    text: str,
    *,
    article_id: str,
    title: str | None = None,
    source: str | None = None,
    date: str | None = None,
    byline: str | None = None,
    url: str | None = None,
    markdown: bool = False,
) -> Article:
    """Turn an article's plain text into numbered paragraphs, finding headline, byline and outlet."""
    text = strip_control(text)
    blocks = _blocks(text)
    bad_dates: list[str] = []  # dates stated but not real calendar days (2024-02-30): reported, not used
    if date is not None and calendar_date(date) is None:
        bad_dates.append(date)
        date = None
    else:
        date = calendar_date(date) if date else None
    if markdown:
        blocks = [b for b in blocks if not re.fullmatch(r"[-*_=]{3,}", b)]
    if title is None and blocks:
        first = blocks[0]
        if markdown and first.startswith("#"):
            title = first.lstrip("#").strip()
            blocks = blocks[1:]
        elif _looks_like_headline(first) and len(blocks) > 1:
            title = first
            blocks = blocks[1:]
    elif title and blocks and _norm(blocks[0]) == _norm(title):
        blocks = blocks[1:]  # the extractor repeated the headline as the first line

    paragraphs: list[Paragraph] = []
    truncated: list[int] = []
    number = 0
    wire = None  # the agency a dateline names: "(Reuters)"
    for position, block in enumerate(blocks):
        kind = BODY
        if markdown and block.startswith("#"):
            block, kind = block.lstrip("#").strip(), HEADING
        elif _BULLET_RE.match(block):
            kind = BULLET
        else:
            kind = _classify(block)
        if kind in SEARCHABLE and not any(c.isalnum() for c in block):
            kind = BOILERPLATE  # "* * *", markup debris: nothing to search for
        if position < 3 and (m := _BY_LINE_RE.match(block)):
            byline = byline or m.group(1)
            continue  # a "By Jane Doe" line is metadata, not a paragraph
        if position < 3 and len(block) <= 60 and (m := _DATE_LINE_RE.match(block)):
            if stated := calendar_date(m.group("value")):
                date = date or stated
                continue  # so is a "Published: 7 November 2024" line
            if re.match(r"\d{4}-\d{2}-\d{2}", m.group("value")) or _parse_month_day(m.group("value")):
                bad_dates.append(m.group("value"))
                continue  # "Published: 2024-02-30": metadata too, and not a real day
        if (position < 3 and len(block) <= 60 and (m := _OUTLET_DATE_LINE_RE.match(block))
                and not m.group("outlet").isupper() and _DATE_LINE_RE.match(m.group("value"))
                and (iso := _iso_date(_DATE_LINE_RE.match(m.group("value")).group("value")))):
            source, date = source or m.group("outlet"), date or iso
            continue  # and an "Harbour Herald, 8 November 2024" line
        if kind == BOILERPLATE and (m := _REPORTING_BY_RE.match(block)):
            byline = byline or m.group(1).strip()
        if not wire and (m := _DATELINE_RE.match(block)):
            wire = _WIRE_NAMES.get(m.group("wire"), m.group("wire"))
            source = source or wire
            if m.group("year") and not date:
                date = calendar_date(m.group("date"))
                if date is None:
                    bad_dates.append(m.group("date"))
        if not block:
            continue
        number += 1
        if len(block) > MAX_BLOCK_CHARS:
            cut = block.rfind(" ", MAX_BLOCK_CHARS // 2, MAX_BLOCK_CHARS)
            block = block[: cut if cut > 0 else MAX_BLOCK_CHARS].rstrip()
            truncated.append(number)
        if kind in SEARCHABLE and len(block) > MAX_PARAGRAPH_CHARS:
            for part, chunk in enumerate(_split_long(block), start=1):
                paragraphs.append(Paragraph(number, chunk, kind, part))
        else:
            paragraphs.append(Paragraph(number, block, kind))

    if not title:
        first_bullet = next((p for p in paragraphs if p.kind == BULLET), None)
        first = first_bullet or next((p for p in paragraphs if p.searchable), None)
        title = _BULLET_RE.sub("", first.text)[:120] if first else article_id
    return Article(
        id=article_id,
        title=title.strip(),
        paragraphs=tuple(paragraphs),
        source=source,
        date=date,
        byline=byline,
        url=url,
        metadata={**({"wire": wire} if wire else {}), **({"truncated_paragraphs": truncated} if truncated else {}),
                  **({"bad_dates": bad_dates} if bad_dates else {})},
    )


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


# Terminal escapes whole (CSI, and OSC/DCS/APC strings with their payload, e.g. a window title), other
# C0/C1 controls (not tab or newline), the BOM / zero-width no-break space, and the bidirectional
# embedding, override and isolate controls that can make a terminal show text reordered.
_CONTROL_RE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]{0,512}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\u202a-\u202e\u2066-\u2069]"
    "|[\ud800-\udfff]"  # a lone surrogate (JSON "\\ud800", undecodable argv bytes): not text, breaks encoders
)


def strip_control(text: str) -> str:
    """Drop terminal escapes, control characters and lone surrogates (newlines and tabs stay): articles
    are untrusted."""
    return _CONTROL_RE.sub("", text)


def clean_article(article: Article) -> Article:
    """An article with no control characters or terminal escapes in anything a terminal may show.
    Loaded files are clean already; articles built in code (the Python API) or JSONL fields may not be."""
    def clean(value: str | None) -> str | None:
        return None if value is None else strip_control(value)

    paragraphs = tuple(p if clean(p.text) == p.text else replace(p, text=clean(p.text)) for p in article.paragraphs)
    fields = {"id": clean(article.id), "title": clean(article.title), "source": clean(article.source),
              "date": calendar_date(article.date), "byline": clean(article.byline), "url": clean(article.url)}
    if paragraphs == article.paragraphs and all(getattr(article, k) == v for k, v in fields.items()):
        return article
    return replace(article, paragraphs=paragraphs, **fields)


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
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for c in text[:8192] if (ord(c) < 32 and c not in "\n\r\t") or c == "\ufffd")
    if controls > max(2, len(text[:8192]) // 100):
        raise LoadError(f"{name}: looks like a binary file, not text; skipped")
    return text, f"{name}: not valid UTF-8, read as Windows-1252/Latin-1"


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
    name = str(path)
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
    """An article fetched from `url` (qa.fetch): HTML through trafilatura, plain text as a .txt file.
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


@dataclass(frozen=True)
class ArticleDefaults:
    """Metadata for articles that don't state it (`qa index --outlet --date --byline`): it fills in what
    is missing and never overrides what the file, page or dateline says."""

    source: str | None = None
    date: str | None = None
    byline: str | None = None

    def __post_init__(self) -> None:
        if self.date is not None and calendar_date(self.date) != self.date:
            from .dates import DateError

            raise DateError(f"{self.date!r} is not a real calendar date; give the publication date as YYYY-MM-DD")

    def fill(self, article: Article) -> Article:
        """The article with missing metadata filled in; a web page's host name is the last resort for its outlet."""
        source = article.source or self.source or article.metadata.get("hostname")
        return replace(article, source=source, date=article.date or self.date,
                       byline=article.byline or self.byline)

    @property
    def tag(self) -> str:
        """Part of a file's recorded hash, so indexing it again with other defaults re-reads it."""
        if not (self.source or self.date or self.byline):
            return ""
        return "+" + hashlib.sha256(json.dumps([self.source, self.date, self.byline]).encode()).hexdigest()[:16]


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
        if isinstance(body, list):  # a list of paragraphs
            body = "\n\n".join(str(p) for p in body)
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
        aid = str(raw_id) if isinstance(raw_id, str | int) and str(raw_id).strip() else f"{default_id}:{lineno}"
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


def _iso_date(value: str | None) -> str | None:
    """A real calendar day as YYYY-MM-DD, or None (qa.dates.calendar_date)."""
    return calendar_date(value)


def _parse_month_day(value: str) -> bool:
    """Whether a date line names a day that does not exist ("Feb. 30, 2024", "30 February 2024")."""
    from .dates import _MONTHS

    return any(word.lower() in _MONTHS for word in re.findall(r"[A-Za-z]{3,9}", value))


# --- walking paths ---------------------------------------------------------------------------


def path_text(path: str | os.PathLike) -> str:
    """A path as text that can be stored and shown: bytes of a file name that are not UTF-8 (which Python
    keeps as lone surrogates) written as \\xNN. The same for every run, and unchanged for UTF-8 names."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    article_id: str  # id for a single-article file: its path relative to the given folder, sans suffix


def find_files(paths: list[str | os.PathLike]) -> tuple[list[SourceFile], list[str]]:
    """Expand files and folders (recursively, following links once) into supported files."""
    found: list[SourceFile] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for raw in paths:
        root = Path(raw).expanduser()
        if not root.exists():
            warnings.append(f"{raw}: no such file or folder; skipped")
            continue
        if root.is_file():
            real = os.path.realpath(root)
            if real not in seen:
                seen.add(real)
                if root.suffix.lower() not in SUPPORTED_SUFFIXES:
                    warnings.append(f"{raw}: unsupported file type {root.suffix or '(none)'}; "
                                    f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
                else:
                    found.append(SourceFile(root, path_text(root.stem)))
            continue
        visited_dirs: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=lambda e: warnings.append(
                f"{e.filename}: cannot read folder ({e.strerror}); skipped")):
            real_dir = os.path.realpath(dirpath)
            if real_dir in visited_dirs:  # a symlink loop
                dirnames[:] = []
                continue
            visited_dirs.add(real_dir)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                if filename.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                real = os.path.realpath(path)
                if real in seen:
                    continue
                seen.add(real)
                rel = path.relative_to(root).with_suffix("")
                found.append(SourceFile(path, path_text(rel.as_posix())))
    return found, warnings
