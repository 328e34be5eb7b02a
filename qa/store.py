"""The index on disk: SQLite (articles, paragraphs, FTS5) and a FAISS file of paragraph vectors.

Commits are atomic across both: the FAISS file is written under a new generation number first
(temp file, fsync, rename, fsync of the folder), then the SQLite transaction that names that
generation and the file's checksum commits. A crash at any point leaves the last committed pair;
files of uncommitted generations are removed by the next writer, or on open when no writer is at
work. One writer at a time (a lock file); readers never wait and read one generation per snapshot.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import wire
from .dates import DateMention, DateQuery
from .documents import SEARCHABLE, Article, Paragraph
from .errors import IndexDamagedError, IndexLockedError, IndexMissingError, ModelMismatchError, OldIndexError, QAError
from .vectors import describe, maybe_approximate, new_exact, search_parameters, stored_ids

if TYPE_CHECKING:  # attribution's patterns take a while to compile; readers never need them
    from .attribution import Attribution

# 2: resolved dates per paragraph (paragraph_dates), wire-copy clusters (paragraphs.cluster, wire_bands)
FORMAT_VERSION = 2
DB_NAME = "qa.sqlite3"
LOCK_NAME = ".lock"
REBUILD_HINT = "rebuild it with `qa index --rebuild PATH...`"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT, date TEXT, byline TEXT, url TEXT,
    origin TEXT, origin_hash TEXT,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS articles_origin ON articles(origin);
CREATE TABLE IF NOT EXISTS paragraphs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    part INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    speakers TEXT NOT NULL DEFAULT '[]',
    cluster INTEGER  -- wire copies share it: the id of the first-indexed paragraph of the group; NULL if alone
);
CREATE INDEX IF NOT EXISTS paragraphs_article ON paragraphs(article_id, number, part);
CREATE INDEX IF NOT EXISTS paragraphs_cluster ON paragraphs(cluster) WHERE cluster IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS paragraphs_fts USING fts5(text, tokenize='porter unicode61');
-- Dates the paragraph mentions, resolved against its article's publication date (qa.dates).
CREATE TABLE IF NOT EXISTS paragraph_dates (
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    first TEXT NOT NULL, last TEXT NOT NULL, granularity TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS paragraph_dates_paragraph ON paragraph_dates(paragraph_id);
CREATE INDEX IF NOT EXISTS paragraph_dates_span ON paragraph_dates(first, last);
-- MinHash LSH bands of searchable paragraphs, to find wire copies (qa.wire).
CREATE TABLE IF NOT EXISTS wire_bands (
    band INTEGER NOT NULL,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    PRIMARY KEY (band, paragraph_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wire_bands_paragraph ON wire_bands(paragraph_id);
"""

# Who said what (qa.attribution): one row per speaker of an article, one per attributed statement.
_SPEAKER_SCHEMA = """
CREATE TABLE IF NOT EXISTS speakers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    descriptors TEXT NOT NULL DEFAULT '[]',
    kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS speakers_article ON speakers(article_id);
CREATE TABLE IF NOT EXISTS statements (
    speaker_id INTEGER NOT NULL REFERENCES speakers(id) ON DELETE CASCADE,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    cue TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    reference TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS statements_speaker ON statements(speaker_id);
CREATE INDEX IF NOT EXISTS statements_paragraph ON statements(paragraph_id);
"""


TITLE_IN_CITATION = 60  # characters of the headline a citation line shows


def citation_text(source: str | None, title: str, date: str | None, paragraph: int, part: int = 0) -> str:
    """`Reuters · "Headline ..." · 2024-11-07 · ¶22`: outlet, headline, date, paragraph, as every
    citation is written (terminal and JSON)."""
    if len(title) > TITLE_IN_CITATION:
        cut = title.rfind(" ", 0, TITLE_IN_CITATION)
        title = title[: cut if cut > TITLE_IN_CITATION // 2 else TITLE_IN_CITATION].rstrip(" ,;:-") + " ..."
    para = f"¶{paragraph}" + (f" (part {part})" if part else "")
    bits = [source] if source else []
    bits += [f'"{title}"', date or "undated", para]
    return " · ".join(bits)


@dataclass(frozen=True)
class WireCopy:
    """Another article carrying the same (possibly lightly edited) paragraph: a wire copy."""

    id: int
    article_id: str
    title: str
    source: str | None
    date: str | None
    paragraph: int
    part: int = 0
    url: str | None = None

    @property
    def citation(self) -> str:
        return citation_text(self.source, self.title, self.date, self.paragraph, self.part)

    def as_json(self) -> dict:
        return {"id": self.id, "article_id": self.article_id, "source": self.source, "title": self.title,
                "date": self.date, "paragraph": self.paragraph, "url": self.url, "citation": self.citation}


def _storage_error(exc: sqlite3.Error, db_path: Path) -> QAError | None:
    """The SQLite failures a user must act on (damaged file, full disk, I/O), as a QAError; None for
    the rest (e.g. an FTS5 query it cannot parse, which callers handle)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return IndexDamagedError(f"the index database {db_path} is damaged ({exc}); {REBUILD_HINT}")
    if name.startswith("SQLITE_FULL"):
        return QAError(f"the disk holding the index at {db_path.parent} is full ({exc}); free some space and "
                       f"run the command again (the index keeps what was saved before)")
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY")):
        return QAError(f"cannot read or write the index database {db_path} ({exc}); check the disk and the "
                       f"folder's permissions")
    return None


def _guarded(method: Callable) -> Callable:
    def call(self, *args):
        try:
            return method(self, *args)
        except sqlite3.Error as exc:
            error = _storage_error(exc, self.connection.db_path)
            if error is None:
                raise
            raise error from exc

    return call


class _Cursor(sqlite3.Cursor):
    execute = _guarded(sqlite3.Cursor.execute)
    executemany = _guarded(sqlite3.Cursor.executemany)
    fetchone = _guarded(sqlite3.Cursor.fetchone)
    fetchmany = _guarded(sqlite3.Cursor.fetchmany)
    fetchall = _guarded(sqlite3.Cursor.fetchall)
    __next__ = _guarded(sqlite3.Cursor.__next__)


class _Connection(sqlite3.Connection):
    """A connection whose damaged-file, full-disk and I/O errors arrive as QAError, wherever the
    query runs (store, indexer, retriever): one place instead of a try around every query."""

    db_path: Path

    @property
    def connection(self) -> _Connection:  # so `_guarded` works on the connection's own methods
        return self

    def execute(self, sql: str, parameters=(), /) -> sqlite3.Cursor:
        return self.cursor(_Cursor).execute(sql, parameters)

    def executemany(self, sql: str, parameters, /) -> sqlite3.Cursor:
        return self.cursor(_Cursor).executemany(sql, parameters)

    executescript = _guarded(sqlite3.Connection.executescript)


class _VectorsMissing(IndexDamagedError):
    """The vector file of the generation being read is gone: damage, or a writer replaced it just now."""


@dataclass(frozen=True)
class Passage:
    """One retrievable paragraph (or part of an over-long one) with its article's metadata: what
    `QA.search` returns and answers cite. `paragraph` is the number a reader counts, `citation` the
    line the terminal prints, `also_in` the other outlets' copies of a wire paragraph."""

    id: int
    article_id: str
    title: str
    source: str | None
    date: str | None
    paragraph: int
    part: int
    kind: str
    text: str
    url: str | None = None
    speakers: tuple[str, ...] = ()
    score: float = 0.0
    byline: str | None = None
    cluster: int | None = None  # shared by wire copies of this paragraph (qa.wire)
    dates: tuple[DateMention, ...] = ()  # dates it mentions, resolved against the publication date
    also_in: tuple[WireCopy, ...] = ()  # other outlets' copies, set when search results collapse them

    @property
    def citation(self) -> str:
        """`Reuters · "Headline ..." · 2024-11-07 · ¶22`: outlet, headline, date, paragraph."""
        return citation_text(self.source, self.title, self.date, self.paragraph, self.part)

    def as_json(self, rank: int) -> dict:
        """The passage as in `qa search --json`, at `rank` (see docs/json.md)."""
        return {
            "rank": rank,
            "id": self.id,
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "byline": self.byline,
            "url": self.url,
            "paragraph": self.paragraph,
            "citation": self.citation,
            "text": self.text,
            "speakers": list(self.speakers),
            "dates": [d.as_json() for d in self.dates],
            "also_in": [c.as_json() for c in self.also_in],
            "score": round(float(self.score), 6),
        }


@dataclass(frozen=True)
class SpeakerRecord:
    """A speaker of one indexed article, with the paragraphs (row ids, article order) of their statements."""

    id: int
    article_id: str
    name: str
    aliases: tuple[str, ...]
    descriptors: tuple[str, ...]
    kind: str
    paragraph_ids: tuple[int, ...]
    paragraphs: tuple[int, ...]  # paragraph numbers, as a reader counts


@dataclass(frozen=True)
class StatementRecord:
    paragraph_id: int
    speaker: str
    cue: str
    text: str
    reference: str


@dataclass(frozen=True)
class ArticleSummary:
    id: str
    title: str
    source: str | None
    date: str | None
    origin: str | None
    paragraphs: int  # searchable paragraphs (and parts of long ones): what `qa index` reports as embedded
    byline: str | None = None
    url: str | None = None


_PASSAGE_SQL = """
SELECT p.id, p.article_id, a.title, a.source, a.date, p.number, p.part, p.kind, p.text, a.url, p.speakers,
       a.byline, p.cluster
FROM paragraphs p JOIN articles a ON a.id = p.article_id
"""


def _passage(row: Sequence, dates: dict[int, list[DateMention]]) -> Passage:
    return Passage(*row[:10], speakers=tuple(json.loads(row[10] or "[]")), byline=row[11], cluster=row[12],
                   dates=tuple(dates.get(row[0], ())))


class Store:
    """An open index. Use `Store.open` for reading and `store.writer()` to change it."""

    def __init__(self, path: Path, db: sqlite3.Connection):
        self.path = path
        self.db = db
        self._vectors = None  # loaded lazily: `qa list` needs no FAISS
        self._vectors_generation: int | None = None

    @classmethod
    def open(cls, path: str | os.PathLike, *, create: bool = False, recover: bool = False) -> Store:
        """Open (or with `create`, make) the index at `path`. With `recover`, an index that is damaged
        or from another qa version is started afresh (for `qa index --rebuild`)."""
        path = Path(path).expanduser()
        if path.exists() and not path.is_dir():
            raise QAError(f"index location {path} is a file, not a folder; choose another with --index")
        try:
            store = cls._open(path, create)
        except IndexDamagedError:
            if not recover:
                raise
            _remove_index_files(path)
            store = cls._open(path, create=True)
        store._tidy()
        return store

    @classmethod
    def _open(cls, path: Path, create: bool) -> Store:
        db_path = path / DB_NAME
        if not db_path.exists():
            if not create:
                raise IndexMissingError(
                    f"no index at {path.absolute()}; build one first with `qa index PATH...` (or point --index at it)"
                )
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise QAError(f"cannot create index folder {path}: {exc.strerror}") from exc
        db = None
        try:
            db = sqlite3.connect(db_path, timeout=30, isolation_level=None, check_same_thread=False,
                                 factory=_Connection)
            db.db_path = db_path
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=FULL")
            existing = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "meta" not in existing and existing:
                raise QAError(f"{db_path} is not a qa index; choose another folder with --index")
            if not {"meta", "statements"} <= existing:
                _create_schema(db)
            store = cls(path, db)
            version = store.meta("format_version") or "0"
            version = int(version) if version.isdigit() else 0
        except QAError:
            if db is not None:
                db.close()
            raise
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            raise QAError(f"cannot open the index database {db_path} ({exc})") from exc
        if version != FORMAT_VERSION:
            db.close()
            if version > FORMAT_VERSION:
                raise IndexDamagedError(f"the index at {path} was made by a newer qa (format {version}); upgrade "
                                        f"qa, or start the index afresh with `qa index --rebuild PATH...`")
            raise OldIndexError(f"the index at {path} was made by an older qa (format {version}; this qa reads "
                                f"format {FORMAT_VERSION}); {REBUILD_HINT}")
        return store

    def _tidy(self) -> None:
        """Recovery after a crash: remove vector files of generations SQLite never committed (or no
        longer names). Only when no writer is at work, since a writer's next file looks just like one."""
        if not self._stray_files():
            return
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.path / LOCK_NAME))
        try:
            lock.acquire(timeout=0)
        except (Timeout, OSError):
            return  # a writer is at work (it cleans up itself), or the folder is read-only
        try:
            self._cleanup_stale_files()
        finally:
            lock.release()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- metadata ----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def model(self) -> str | None:
        return self.meta("model")

    @property
    def dimension(self) -> int | None:
        value = self.meta("dimension")
        return int(value) if value else None

    @property
    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    def check_model(self, model: str, dimension: int) -> None:
        if self.model and (self.model != model or self.dimension != dimension):
            raise ModelMismatchError(
                f"the index at {self.path} was built with embedding model {self.model!r} "
                f"({self.dimension} dims), not {model!r}; drop --model to use the index's own model, "
                f"or rebuild with `qa index --rebuild --model {model} PATH...`"
            )

    # --- vectors ------------------------------------------------------------------------------

    def _vector_file(self, generation: int) -> Path:
        return self.path / f"vectors.{generation}.faiss"

    @property
    def vectors(self):
        """The FAISS index: the one read by the current snapshot (or write), else the latest."""
        if self._vectors is None:
            return self._current_vectors()
        return self._vectors

    def _vector_state(self) -> tuple[int, str | None]:
        """The committed generation and its vector file's checksum, read in one statement."""
        rows = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'vectors_sha256')"))
        return int(rows.get("generation") or 0), rows.get("vectors_sha256")

    def _current_vectors(self):
        """The vectors of the generation this connection sees now; reloaded when another process has
        committed a newer one (a long-lived reader such as `qa chat` follows the index)."""
        generation, digest = self._vector_state()
        if self._vectors is None or self._vectors_generation != generation:
            self._vectors = self._load_vectors(generation, digest)
            self._vectors_generation = generation
        return self._vectors

    def _empty_vectors(self, dimension: int | None = None):
        return new_exact(dimension or self.dimension or 384)

    def _load_vectors(self, generation: int, digest: str | None):
        import faiss

        if generation == 0:
            return self._empty_vectors()
        file = self._vector_file(generation)
        try:
            fh = open(file, "rb")  # held open: a writer that replaces the file meanwhile cannot pull it away
        except FileNotFoundError:
            if not self.count_paragraphs():
                return self._empty_vectors()
            raise _VectorsMissing(f"the vector file {file.name} of the index at {self.path} is missing; "
                                  f"{REBUILD_HINT}") from None
        except OSError as exc:
            raise QAError(f"cannot read the vector file {file} ({exc.strerror})") from exc
        with fh:
            try:
                if digest:
                    checksum = hashlib.sha256()
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        checksum.update(block)
                    if checksum.hexdigest() != digest:
                        raise IndexDamagedError(f"the vector file {file} is damaged (its checksum does not match "
                                                f"what the index recorded); {REBUILD_HINT}")
                    fh.seek(0)
                # Streamed into FAISS in blocks: reading the whole file first held it twice in memory
                # (1.4 GB peak for a million vectors instead of ~0.6).
                return faiss.read_index(faiss.PyCallbackIOReader(fh.read))
            except OSError as exc:
                raise QAError(f"cannot read the vector file {file} ({exc.strerror})") from exc
            except RuntimeError as exc:
                raise IndexDamagedError(f"the vector file {file} is damaged; {REBUILD_HINT}") from exc

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Store]:
        """Reads inside see one committed state: SQLite and the vectors of the same generation, however
        many commits a writer makes meanwhile. Inside a write (or nested) it is the current view."""
        if self.db.in_transaction:
            yield self
            return
        tried: set[int] = set()
        while True:
            self.db.execute("BEGIN")
            try:
                generation = self._vector_state()[0]
                self._current_vectors()
                break
            except _VectorsMissing:
                self.db.execute("ROLLBACK")
                if generation in tried or len(tried) > 20:
                    raise  # the file of a generation still current is gone: real damage
                tried.add(generation)  # a writer committed a newer generation and removed this one: again
            except BaseException:
                with contextlib.suppress(sqlite3.Error, QAError):
                    self.db.execute("ROLLBACK")
                raise
        try:
            yield self
        finally:
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error, QAError):
                    self.db.execute("ROLLBACK")

    def check(self) -> list[str]:
        """What is wrong with the index, if anything: SQLite integrity, the vector file of the
        committed generation, and whether SQLite, FTS5 and FAISS hold exactly the same searchable
        paragraphs. An empty list means healthy."""
        problems: list[str] = []
        try:
            with self.snapshot():
                result = [r[0] for r in self.db.execute("PRAGMA quick_check")]
                if result != ["ok"]:
                    problems.append(f"SQLite integrity check failed: {'; '.join(result[:3])}")
                marks = ",".join("?" * len(SEARCHABLE))
                searchable = {r[0] for r in self.db.execute(f"SELECT id FROM paragraphs WHERE kind IN ({marks})",
                                                            SEARCHABLE)}
                in_fts = {r[0] for r in self.db.execute("SELECT rowid FROM paragraphs_fts")}
                index = self.vectors
                in_faiss = stored_ids(index).tolist()
                if self.dimension and index.ntotal and index.d != self.dimension:
                    problems.append(f"the vectors have {index.d} dimensions, the model {self.dimension}")
                if len(in_faiss) != len(set(in_faiss)):
                    problems.append(f"the vector file holds {len(in_faiss) - len(set(in_faiss))} duplicate id(s)")
                for what, ids in (("vector", set(in_faiss)), ("full-text entry", in_fts)):
                    missing, extra = sorted(searchable - ids), sorted(ids - searchable)
                    if missing:
                        problems.append(f"{len(missing)} searchable paragraph(s) have no {what} (ids {missing[:5]})")
                    if extra:
                        problems.append(f"{len(extra)} {what}(s) belong to no searchable paragraph (ids {extra[:5]})")
        except QAError as exc:
            problems.append(str(exc))
        return problems

    # --- reading -----------------------------------------------------------------------------

    def count_paragraphs(self) -> int:
        return self.db.execute("SELECT count(*) FROM paragraphs").fetchone()[0]

    def origin_hashes(self) -> dict[str, str]:
        rows = self.db.execute("SELECT DISTINCT origin, origin_hash FROM articles WHERE origin IS NOT NULL")
        return {origin: digest for origin, digest in rows}

    def articles(self) -> list[ArticleSummary]:
        rows = self.db.execute(
            # paragraphs: the searchable ones (embedded), as `qa index` counts them; not headings or boilerplate
            "SELECT a.id, a.title, a.source, a.date, a.origin, "
            f"count(p.id) FILTER (WHERE p.kind IN ({','.join(repr(k) for k in SEARCHABLE)})), a.byline, a.url "
            "FROM articles a "
            "LEFT JOIN paragraphs p ON p.article_id = a.id GROUP BY a.id ORDER BY a.date, a.id"
        )
        return [ArticleSummary(*r) for r in rows]

    def article_origin(self, article_id: str) -> str | None:
        """The file or URL an indexed article came from (None when unknown or not indexed)."""
        row = self.db.execute("SELECT origin FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def terms_present(self, terms: list[str], ids: list[int]) -> dict[int, set[str]]:
        """Which of `terms` (FTS5-matched: porter-stemmed, a phrase when several words) each paragraph has."""
        present: dict[int, set[str]] = {}
        marks = ",".join("?" * len(ids))
        for term in terms:
            try:
                rows = self.db.execute(
                    f"SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH ? AND rowid IN ({marks})",
                    [f'"{term}"', *ids],
                )
            except Exception:  # noqa: BLE001 - an FTS5 syntax edge case means "not found"
                continue
            for (pid,) in rows:
                present.setdefault(pid, set()).add(term)
        return present

    def find_articles(self, key: str) -> list[str]:
        """Article ids matching an exact id, else a case-insensitive title or id substring."""
        exact = self.db.execute("SELECT id FROM articles WHERE id = ?", (key,)).fetchall()
        if exact:
            return [exact[0][0]]
        like = f"%{key.lower()}%"
        rows = self.db.execute(
            "SELECT id FROM articles WHERE lower(title) LIKE ? OR lower(id) LIKE ? ORDER BY id", (like, like)
        )
        return [r[0] for r in rows]

    def passages(self, ids: Iterable[int]) -> dict[int, Passage]:
        ids = [int(i) for i in ids]
        found: dict[int, Passage] = {}
        for start in range(0, len(ids), 900):  # SQLite's variable limit
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"{_PASSAGE_SQL} WHERE p.id IN ({marks})", chunk).fetchall()
            dates = self.paragraph_dates(chunk)
            for row in rows:
                found[row[0]] = _passage(row, dates)
        return found

    def article_passages(self, article_id: str) -> list[Passage]:
        rows = self.db.execute(f"{_PASSAGE_SQL} WHERE p.article_id = ? ORDER BY p.number, p.part",
                               (article_id,)).fetchall()
        dates = self.paragraph_dates([r[0] for r in rows])
        return [_passage(r, dates) for r in rows]

    def paragraph_dates(self, ids: Sequence[int]) -> dict[int, list[DateMention]]:
        """The resolved dates each paragraph mentions, in text order (at most 900 ids)."""
        out: dict[int, list[DateMention]] = {}
        if not ids:
            return out
        rows = self.db.execute(
            "SELECT paragraph_id, text, start, end, first, last, granularity FROM paragraph_dates "
            f"WHERE paragraph_id IN ({','.join('?' * len(ids))}) ORDER BY paragraph_id, start", list(ids))
        for pid, *fields in rows:
            out.setdefault(pid, []).append(DateMention(*fields))
        return out

    def dated_ids(self, queries: list[DateQuery], allowed: set[int] | None = None) -> list[int]:
        """Searchable paragraphs mentioning a date that one of `queries` asks about, newest article first."""
        if not queries:
            return []
        condition = " OR ".join(f"({q.sql})" for q in queries)
        args = [a for q in queries for a in q.args]
        rows = self.db.execute(
            "SELECT DISTINCT d.paragraph_id, a.date FROM paragraph_dates d JOIN paragraphs p ON p.id = d.paragraph_id "
            f"JOIN articles a ON a.id = p.article_id WHERE ({condition}) ORDER BY a.date DESC, d.paragraph_id", args)
        return [pid for pid, _ in rows if allowed is None or pid in allowed]

    def wire_copies(self, clusters: Iterable[int]) -> dict[int, list[WireCopy]]:
        """Every indexed paragraph of each wire-copy cluster, oldest article first."""
        clusters = list({int(c) for c in clusters})
        out: dict[int, list[WireCopy]] = {}
        if not clusters:
            return out
        rows = self.db.execute(
            "SELECT p.cluster, p.id, p.article_id, a.title, a.source, a.date, p.number, p.part, a.url "
            "FROM paragraphs p JOIN articles a ON a.id = p.article_id "
            f"WHERE p.cluster IN ({','.join('?' * len(clusters))}) ORDER BY a.date, p.id", clusters)
        for cluster, *fields in rows:
            out.setdefault(cluster, []).append(WireCopy(*fields))
        return out

    def filtered_ids(self, article_ids: list[str] | None, since: str | None, until: str | None) -> set[int] | None:
        """Searchable paragraph ids passing the filters, or None when no filter is set."""
        if article_ids is None and since is None and until is None:
            return None
        clauses, args = [], []
        if article_ids is not None:
            clauses.append(f"p.article_id IN ({','.join('?' * len(article_ids))})")
            args.extend(article_ids)
        if since or until:
            # Published in the range, or mentioning a date (resolved, qa.dates) that falls within it.
            published, event, dated_args = [], [], []
            if since:
                published.append("a.date >= ?")
                event.append("d.first >= ?")
                dated_args.append(since)
            if until:
                published.append("a.date <= ?")
                event.append("d.last <= ?")
                dated_args.append(until)
            clauses.append(f"(({' AND '.join(published)}) OR EXISTS (SELECT 1 FROM paragraph_dates d "
                           f"WHERE d.paragraph_id = p.id AND {' AND '.join(event)}))")
            args.extend(dated_args * 2)
        sql = "SELECT p.id FROM paragraphs p JOIN articles a ON a.id = p.article_id WHERE " + " AND ".join(clauses)
        return {r[0] for r in self.db.execute(sql, args)}

    def speakers(self, article_ids: list[str] | None = None) -> list[SpeakerRecord]:
        """Speakers of the given articles (all when None), each with their paragraphs in article order."""
        sql = ("SELECT s.id, s.article_id, s.name, s.aliases, s.descriptors, s.kind, "
               "group_concat(p.id || ':' || p.number, ',') "
               "FROM speakers s JOIN statements t ON t.speaker_id = s.id JOIN paragraphs p ON p.id = t.paragraph_id ")
        args: list = []
        if article_ids is not None:
            sql += f"WHERE s.article_id IN ({','.join('?' * len(article_ids))}) "
            args.extend(article_ids)
        sql += "GROUP BY s.id ORDER BY s.article_id, s.id"
        out = []
        for sid, aid, name, aliases, descriptors, kind, pairs in self.db.execute(sql, args):
            seen: dict[int, int] = {}
            for pair in (pairs or "").split(","):
                if pair:
                    pid, number = pair.split(":")
                    seen[int(pid)] = int(number)
            ordered = sorted(seen.items(), key=lambda item: (item[1], item[0]))
            out.append(SpeakerRecord(sid, aid, name, tuple(json.loads(aliases)), tuple(json.loads(descriptors)), kind,
                                     tuple(pid for pid, _ in ordered), tuple(sorted(set(seen.values())))))
        return out

    def statements(self, paragraph_ids: Iterable[int], speaker_ids: Iterable[int] | None = None
                   ) -> dict[int, list[StatementRecord]]:
        """Attributed statements in the given paragraphs (optionally only these speakers'), in text order."""
        ids = [int(i) for i in paragraph_ids]
        wanted = None if speaker_ids is None else {int(i) for i in speaker_ids}
        out: dict[int, list[StatementRecord]] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            rows = self.db.execute(
                "SELECT t.paragraph_id, t.speaker_id, s.name, t.cue, substr(p.text, t.start + 1, t.end - t.start), "
                f"t.reference FROM statements t JOIN speakers s ON s.id = t.speaker_id "
                f"JOIN paragraphs p ON p.id = t.paragraph_id WHERE t.paragraph_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY t.paragraph_id, t.start",
                chunk,
            )
            for pid, sid, name, cue, text, reference in rows:
                if wanted is None or sid in wanted:
                    out.setdefault(pid, []).append(StatementRecord(pid, name, cue, text, reference))
        return out

    def lexical_search(self, match: str, k: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        """FTS5 BM25 over paragraph text; returns (paragraph id, bm25 score, higher is better)."""
        if not match:
            return []
        limit = k if allowed is None else max(k * 20, 1000)
        try:
            rows = self.db.execute(
                "SELECT rowid, -bm25(paragraphs_fts) FROM paragraphs_fts WHERE paragraphs_fts MATCH ? "
                "ORDER BY bm25(paragraphs_fts) LIMIT ?",
                (match, limit),
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # a query FTS5 cannot parse finds nothing lexically
        if allowed is not None:
            rows = [r for r in rows if r[0] in allowed]
        return rows[:k]

    def dense_search(self, vector: np.ndarray, k: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        import faiss

        index = self.vectors
        if index.ntotal == 0:
            return []
        query = np.asarray(vector, dtype="float32").reshape(1, -1)
        selector = None
        if allowed is not None:
            if not allowed:
                return []
            selector = faiss.IDSelectorBatch(np.fromiter(allowed, dtype="int64"))
        params = search_parameters(index, selector)
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)  # one query: OpenMP threads only wait on each other (10x slower under load)
        try:
            scores, ids = index.search(query, min(k, index.ntotal), params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def term_document_frequency(self, terms: list[str]) -> dict[str, int]:
        """How many paragraphs contain each term (porter-stemmed by FTS5): a rarity measure."""
        total = {}
        for term in terms:
            try:
                row = self.db.execute(
                    "SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH ?", (f'"{term}"',)
                ).fetchone()
                total[term] = row[0]
            except sqlite3.OperationalError:
                total[term] = 0
        return total

    # --- writing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, on_wait: Callable[[str], None] | None = None, timeout: float = 600) -> Iterator[StoreWriter]:
        """Hold the write lock for the duration; changes are committed with `StoreWriter.commit`."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.path / LOCK_NAME))
        try:
            lock.acquire(timeout=0)
        except Timeout:  # (a subclass of OSError)
            if on_wait:
                on_wait(f"another process is writing the index at {self.path}; waiting for it to finish...")
            try:
                lock.acquire(timeout=timeout)
            except Timeout as exc:
                raise IndexLockedError(
                    f"the index at {self.path} is still being written by another process after "
                    f"{timeout:.0f}s; try again later"
                ) from exc
        except OSError as exc:
            raise QAError(f"cannot lock the index at {self.path} for writing ({exc.strerror or exc}); "
                          f"is the folder writable?") from exc
        try:
            self._cleanup_stale_files()
            writer = StoreWriter(self)
            try:
                yield writer
            finally:
                writer.rollback()
        finally:
            lock.release()

    def _stray_files(self) -> list[Path]:
        keep = self._vector_file(self.generation).name
        return [f for f in self.path.glob("vectors.*") if f.name != keep]

    def _cleanup_stale_files(self) -> None:
        """Vector files no committed generation names: left by a crash mid-commit (or before the old
        file was removed). Call only while holding the write lock."""
        for file in self._stray_files():
            with contextlib.suppress(OSError):
                file.unlink()


def _create_schema(db: sqlite3.Connection) -> None:
    """Create the tables in one transaction, so a crash while creating leaves no half-made index."""
    try:
        db.executescript(
            "BEGIN IMMEDIATE;\n" + _SCHEMA + _SPEAKER_SCHEMA
            + f"INSERT OR IGNORE INTO meta VALUES ('format_version', '{FORMAT_VERSION}'), ('generation', '0');\n"
            + "COMMIT;"
        )
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error, QAError):
                db.execute("ROLLBACK")
        raise


def _remove_index_files(path: Path, timeout: float = 60) -> None:
    """Delete the files of a damaged index (only qa's own), holding the write lock."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(path / LOCK_NAME))
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise IndexLockedError(f"the index at {path} is being written by another process; try again later") from exc
    try:
        for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
            (path / name).unlink(missing_ok=True)
        for file in path.glob("vectors.*"):
            file.unlink(missing_ok=True)
    except OSError as exc:
        raise QAError(f"cannot remove the damaged index files in {path} ({exc.strerror})") from exc
    finally:
        lock.release()


class StoreWriter:
    """Pending changes to the index; nothing is visible to readers until `commit()`."""

    def __init__(self, store: Store):
        self.store = store
        self.db = store.db
        self._in_transaction = False
        self._dirty = False  # anything to commit? An unchanged index keeps its generation.
        self._index = None  # the vectors being changed; loaded on first need (a rebuild needs none)

    def _begin(self) -> None:
        if not self._in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self._in_transaction = True

    @property
    def index(self):
        if self._index is None:
            self._index = self.store._current_vectors()
        return self._index

    def set_model(self, model: str, dimension: int) -> None:
        """Record the embedding model; an empty index takes any, a full one only its own."""
        self._begin()
        if self.store.model is None or self.store.count_paragraphs() == 0:
            if (self.store.model, self.store.dimension) != (model, dimension):
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('model', ?), ('dimension', ?)",
                                (model, str(dimension)))
                self._dirty = True
            if self._index is None or self._index.d != dimension or self._index.ntotal:
                self._index = self.store._empty_vectors(dimension)
        else:
            self.store.check_model(model, dimension)

    def clear(self) -> None:
        self._begin()
        self.db.execute("DELETE FROM paragraphs_fts")
        self.db.execute("DELETE FROM wire_bands")
        self.db.execute("DELETE FROM paragraph_dates")
        self.db.execute("DELETE FROM paragraphs")
        self.db.execute("DELETE FROM articles")
        self._dirty = True
        self._index = self.store._empty_vectors()

    def remove_articles(self, article_ids: Iterable[str]) -> int:
        """Remove articles (and their paragraphs and vectors); returns how many existed."""
        self._begin()
        removed = 0
        for article_id in article_ids:
            ids = [r[0] for r in self.db.execute("SELECT id FROM paragraphs WHERE article_id = ?", (article_id,))]
            if ids:
                self.index.remove_ids(np.asarray(ids, dtype="int64"))
                for start in range(0, len(ids), 900):
                    chunk = ids[start : start + 900]
                    self.db.execute(f"DELETE FROM paragraphs_fts WHERE rowid IN ({','.join('?' * len(chunk))})",
                                    chunk)
            removed += self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount
        self._dirty = self._dirty or removed > 0
        return removed

    def remove_origin(self, origin: str) -> None:
        ids = [r[0] for r in self.db.execute("SELECT id FROM articles WHERE origin = ?", (origin,))]
        self.remove_articles(ids)

    def add_article(self, article: Article, vectors: np.ndarray, speakers: list[list[str]] | None = None,
                    attribution: Attribution | None = None, dates: list[list[DateMention]] | None = None) -> None:
        """Insert an article (replacing one with the same id); `vectors` has one row per searchable
        paragraph, in order. `attribution` (qa.attribution) records who is quoted in which paragraph;
        `dates` (qa.dates) the resolved dates each paragraph mentions. Searchable paragraphs that copy
        another article's (qa.wire) join its wire-copy cluster."""
        self._begin()
        if attribution is not None and speakers is None:
            speakers = attribution.per_paragraph(len(article.paragraphs))
        self.remove_articles([article.id])
        self._dirty = True
        self.db.execute(
            "INSERT INTO articles (id, title, source, date, byline, url, origin, origin_hash, metadata) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (article.id, article.title, article.source, article.date, article.byline, article.url,
             article.origin, article.origin_hash, json.dumps(article.metadata)),
        )
        new_ids = []
        row_ids: list[int] = []
        for position, paragraph in enumerate(article.paragraphs):
            names = speakers[position] if speakers else []
            cursor = self.db.execute(
                "INSERT INTO paragraphs (article_id, number, part, kind, text, speakers) VALUES (?,?,?,?,?,?)",
                (article.id, paragraph.number, paragraph.part, paragraph.kind, paragraph.text, json.dumps(names)),
            )
            row_ids.append(cursor.lastrowid)
            if paragraph.kind in SEARCHABLE:
                new_ids.append(cursor.lastrowid)
                self.db.execute("INSERT INTO paragraphs_fts (rowid, text) VALUES (?, ?)",
                                (cursor.lastrowid, paragraph.text))
                self._add_wire_bands(article.id, cursor.lastrowid, paragraph.text)
                if dates and dates[position]:
                    self.db.executemany(
                        "INSERT INTO paragraph_dates (paragraph_id, start, end, text, first, last, granularity) "
                        "VALUES (?,?,?,?,?,?,?)",
                        [(cursor.lastrowid, d.start, d.end, d.text, d.first, d.last, d.granularity)
                         for d in dates[position]])
        if attribution is not None:
            self._add_attribution(article, attribution, row_ids)
        if len(new_ids) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors for {len(new_ids)} searchable paragraphs")
        if new_ids:
            self.index.add_with_ids(np.asarray(vectors, dtype="float32"), np.asarray(new_ids, dtype="int64"))

    def _add_wire_bands(self, article_id: str, paragraph_id: int, text: str) -> None:
        """Store the paragraph's LSH bands and, when it copies another article's paragraph, put both in
        one cluster (labelled by the earlier paragraph's cluster, else its id)."""
        fp = wire.fingerprint(text)
        if not fp.bands:
            return
        bands = list(fp.bands)
        # One candidate per cluster (any member stands for it), and a bounded number: a paragraph carried
        # by hundreds of articles must not make each new copy compare with all of them.
        rows = self.db.execute(
            "SELECT p.id, p.text, p.cluster FROM paragraphs p WHERE p.id IN (SELECT b.paragraph_id FROM "
            f"wire_bands b WHERE b.band IN ({','.join('?' * len(bands))})) AND p.article_id != ? "
            f"GROUP BY coalesce(p.cluster, -p.id) LIMIT {wire.MAX_CANDIDATES}", [*bands, article_id]).fetchall()
        match = wire.best_copy(fp, ((row, wire.fingerprint(row[1])) for row in rows))
        if match is not None:
            other_id, _, cluster = match
            if cluster is None:
                cluster = other_id
                self.db.execute("UPDATE paragraphs SET cluster = ? WHERE id = ?", (cluster, other_id))
            self.db.execute("UPDATE paragraphs SET cluster = ? WHERE id = ?", (cluster, paragraph_id))
        self.db.executemany("INSERT OR IGNORE INTO wire_bands (band, paragraph_id) VALUES (?, ?)",
                            [(band, paragraph_id) for band in bands])

    def refresh_attribution(self, rules: str, attribute: Callable[[Article], Attribution]) -> int:
        """Re-derive every article's speakers and statements from its stored paragraphs when the index's
        were made by other attribution rules (`rules`: qa.attribution.rules_version()); vectors, text
        and dates stay. Returns how many articles were re-attributed (0 when the rules are the same)."""
        if self.store.meta("attribution_rules") == rules:
            return 0
        self._begin()
        article_ids = [r[0] for r in self.db.execute("SELECT id FROM articles ORDER BY id")]
        for article_id in article_ids:
            rows = self.db.execute("SELECT id, number, part, kind, text FROM paragraphs WHERE article_id = ? "
                                   "ORDER BY id", (article_id,)).fetchall()
            article = Article(id=article_id, title="", paragraphs=tuple(
                Paragraph(number, text, kind=kind, part=part) for _, number, part, kind, text in rows))
            attribution = attribute(article)
            self.db.execute("DELETE FROM speakers WHERE article_id = ?", (article_id,))  # statements cascade
            names = attribution.per_paragraph(len(rows))
            self.db.executemany("UPDATE paragraphs SET speakers = ? WHERE id = ?",
                                [(json.dumps(n), row[0]) for n, row in zip(names, rows)])
            self._add_attribution(article, attribution, [row[0] for row in rows])
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('attribution_rules', ?)", (rules,))
        self._dirty = True
        return len(article_ids)

    def _add_attribution(self, article: Article, attribution: Attribution, row_ids: list[int]) -> None:
        speaker_ids = {}
        for sp in attribution.speakers:
            cursor = self.db.execute(
                "INSERT INTO speakers (article_id, name, aliases, descriptors, kind) VALUES (?,?,?,?,?)",
                (article.id, sp.name, json.dumps(list(sp.aliases)), json.dumps(list(sp.descriptors)), sp.kind),
            )
            speaker_ids[sp.name] = cursor.lastrowid
        self.db.executemany(
            "INSERT INTO statements (speaker_id, paragraph_id, cue, start, end, reference) VALUES (?,?,?,?,?,?)",
            [(speaker_ids[st.speaker], row_ids[st.position], st.cue, st.start, st.end, st.reference)
             for st in attribution.statements],
        )

    def commit(self) -> None:
        """Write the vectors under the next generation (temp file, fsync, rename), then commit SQLite
        naming that generation and the file's checksum. Killed anywhere, the index keeps the last
        committed pair; a failure (e.g. a full disk) rolls back and says so."""
        import faiss

        if not self._in_transaction:
            return
        if not self._dirty:
            self.rollback()
            return
        index = self._index = maybe_approximate(self.index)
        old = self.store.generation
        new = old + 1
        target = self.store._vector_file(new)
        temp = target.with_suffix(".tmp")
        try:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('vector_index', ?)", (json.dumps(describe(index)),))
            # Serialised in memory and written by Python: faiss's own writer reports a full disk only
            # on stderr, leaving a truncated file behind.
            data = faiss.serialize_index(index)
            with open(temp, "wb") as fh:
                fh.write(memoryview(data))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, target)
            _fsync_dir(self.store.path)  # the rename is durable before SQLite names the file
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?), ('vectors_sha256', ?)",
                            (str(new), hashlib.sha256(data).hexdigest()))
            self.db.execute("COMMIT")
        except BaseException as exc:
            temp.unlink(missing_ok=True)
            if self._committed(new):  # e.g. Ctrl-C arrived just after COMMIT returned
                self._after_commit(index, old, new)
                raise
            target.unlink(missing_ok=True)
            self.rollback()
            if isinstance(exc, (OSError, RuntimeError, MemoryError, sqlite3.Error)):
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
                hint = "; free some space and run the command again" if getattr(exc, "errno", None) == 28 else ""
                raise QAError(f"could not save the index at {self.store.path} ({reason}){hint}; "
                              f"it keeps what was saved before") from exc
            raise
        self._after_commit(index, old, new)

    def _committed(self, generation: int) -> bool:
        if self.db.in_transaction:
            return False
        try:
            return self.store.generation == generation
        except (sqlite3.Error, QAError):
            return False

    def _after_commit(self, index, old: int, new: int) -> None:
        self._in_transaction = self._dirty = False
        self.store._vectors, self.store._vectors_generation = index, new
        self.store._vector_file(old).unlink(missing_ok=True)
        _fsync_dir(self.store.path)

    def rollback(self) -> None:
        if self._in_transaction:
            with contextlib.suppress(sqlite3.Error, QAError):
                self.db.execute("ROLLBACK")
            self._in_transaction = self._dirty = False
            self.store._vectors = None  # the in-memory index may hold uncommitted changes: reload
        self._index = None


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def open_store(address: str | os.PathLike, *, create: bool = False, recover: bool = False):
    """The index at `address`: a folder is this local store; `milvus:PATH.db` (Milvus Lite) or
    `http(s)://HOST:PORT` (a Milvus server) is `qa.milvus_store.MilvusStore`, loaded only then."""
    if str(address).startswith(("milvus:", "http://", "https://")):
        from .milvus_store import MilvusStore

        return MilvusStore.open(address, create=create, recover=recover)
    return Store.open(address, create=create, recover=recover)
