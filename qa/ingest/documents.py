"""Articles and paragraphs: an article's text split as a reader would, with the news metadata it states.

Files and pages are read into articles by qa.ingest.loaders.

Paragraph numbers are what a reader counts (headline excluded, bullets and subheadings included), so
citations point where a person would look. Boilerplate is kept but marked, so it never reaches search.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace

from .dates import calendar_date

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
# "Harbour Herald, 8 November 2024" under the headline: the outlet and date, not a paragraph.
_OUTLET_DATE_LINE_RE = re.compile(r"^(?P<outlet>[A-Z][\w&'’.]*(?:\s+[A-Z&][\w&'’.]*){0,4}),\s+(?P<value>.+)$")


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
# Invisible characters too, which can carry text no reader sees but a model reads: Unicode tag
# characters (U+E0000-E007F spell ASCII), variation selectors (runs of them encode bytes), zero-width
# space, word joiner and invisible operators, direction marks, soft hyphen, Hangul fillers and
# interlinear annotation marks. A zero-width (non-)joiner stays where scripts and emoji need one:
# alone, between two visible characters.
_CONTROL_RE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]{0,512}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\u202a-\u202e\u2066-\u2069]"
    "|[\ud800-\udfff]"  # a lone surrogate (JSON "\\ud800", undecodable argv bytes): not text, breaks encoders
    "|[\U000e0000-\U000e007f\U000e0100-\U000e01ef\ufe00-\ufe0f\u200b\u200e\u200f\u061c\u2060-\u2064"
    "\u206a-\u206f\u00ad\u180e\u115f\u1160\u3164\uffa0\ufff9-\ufffb\U0001d173-\U0001d17a]"
    "|[\u200c\u200d]{2,}|(?<![^\\s\u200c\u200d])[\u200c\u200d]|[\u200c\u200d](?=\\s|$)"
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


def _iso_date(value: str | None) -> str | None:
    """A real calendar day as YYYY-MM-DD, or None (qa.ingest.dates.calendar_date)."""
    return calendar_date(value)


def _parse_month_day(value: str) -> bool:
    """Whether a date line names a day that does not exist ("Feb. 30, 2024", "30 February 2024")."""
    from .dates import _MONTHS

    return any(word.lower() in _MONTHS for word in re.findall(r"[A-Za-z]{3,9}", value))
