"""Changes to the local index (`qa.index.store.Store.writer()`): SQLite rows in one transaction, the
vectors in memory, both made visible together by `commit` (see qa.index.store on crash safety); the
write lock that keeps to one writer at a time. The writer reaches its store only through the methods
`LocalIndex` names, so this module needs nothing of qa.index.store (which builds on it)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..ingest import wire
from ..ingest.dates import DateMention
from ..ingest.documents import SEARCHABLE, Article, Paragraph
from ..errors import IndexLockedError, QAError
from .schema import DB_NAME
from .vectors import describe, fsync_dir, maybe_approximate, vector_file, vector_files, write_vectors

if TYPE_CHECKING:  # attribution's patterns take a while to compile; readers never need them
    from ..ingest.attribution import Attribution

LOCK_NAME = ".lock"  # held by the one writer at a time


class LocalIndex(Protocol):
    """What a writer uses of the local store (`qa.index.store.Store` keeps it)."""

    path: Path
    db: sqlite3.Connection

    @property
    def model(self) -> str | None: ...

    @property
    def dimension(self) -> int | None: ...

    @property
    def generation(self) -> int: ...

    def meta(self, key: str) -> str | None: ...

    def count_paragraphs(self) -> int: ...

    def check_model(self, model: str, dimension: int) -> None: ...

    def current_vectors(self):
        """The vectors of the committed generation, loaded when needed."""

    def empty_vectors(self, dimension: int | None = None):
        """A new, empty vector index."""

    def adopt_vectors(self, index, generation: int) -> None:
        """Read `index` as the vectors of the just committed `generation`."""

    def forget_vectors(self) -> None:
        """Drop the vectors in memory (a rollback): read them again when next needed."""

    def cleanup_stale_files(self) -> None:
        """Remove vector files no committed generation names (only while holding the write lock)."""


class StoreWriter:
    """Pending changes to the index; nothing is visible to readers until `commit()`."""

    def __init__(self, store: LocalIndex):
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
            self._index = self.store.current_vectors()
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
                self._index = self.store.empty_vectors(dimension)
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
        self._index = self.store.empty_vectors()

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
        paragraph, in order. `attribution` (qa.ingest.attribution) records who is quoted in which paragraph;
        `dates` (qa.ingest.dates) the resolved dates each paragraph mentions. Searchable paragraphs that copy
        another article's (qa.ingest.wire) join its wire-copy cluster."""
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
        were made by other attribution rules (`rules`: qa.ingest.attribution.rules_version()); vectors, text
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
        if not self._in_transaction:
            return
        if not self._dirty:
            self.rollback()
            return
        index = self._index = maybe_approximate(self.index)
        old = self.store.generation
        new = old + 1
        target = vector_file(self.store.path, new)
        try:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('vector_index', ?)", (json.dumps(describe(index)),))
            digest = write_vectors(index, target)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?), ('vectors_sha256', ?)",
                            (str(new), digest))
            self.db.execute("COMMIT")
        except BaseException as exc:
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
        self.store.adopt_vectors(index, new)
        vector_file(self.store.path, old).unlink(missing_ok=True)
        fsync_dir(self.store.path)

    def rollback(self) -> None:
        if self._in_transaction:
            with contextlib.suppress(sqlite3.Error, QAError):
                self.db.execute("ROLLBACK")
            self._in_transaction = self._dirty = False
            self.store.forget_vectors()  # the in-memory index may hold uncommitted changes: reload
        self._index = None


@contextlib.contextmanager
def locked_writer(store: LocalIndex, on_wait: Callable[[str], None] | None = None, timeout: float = 600
                  ) -> Iterator[StoreWriter]:
    """A writer holding the write lock for the duration (`qa.index.store.Store.writer`); stray vector files
    of a crashed writer are removed first."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(store.path / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except Timeout:  # (a subclass of OSError)
        if on_wait:
            on_wait(f"another process is writing the index at {store.path}; waiting for it to finish...")
        try:
            lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise IndexLockedError(
                f"the index at {store.path} is still being written by another process after "
                f"{timeout:.0f}s; try again later"
            ) from exc
    except OSError as exc:
        raise QAError(f"cannot lock the index at {store.path} for writing ({exc.strerror or exc}); "
                      f"is the folder writable?") from exc
    try:
        store.cleanup_stale_files()
        writer = StoreWriter(store)
        try:
            yield writer
        finally:
            writer.rollback()
    finally:
        lock.release()


def remove_index_files(path: Path, timeout: float = 60) -> None:
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
        for file in vector_files(path):
            file.unlink(missing_ok=True)
    except OSError as exc:
        raise QAError(f"cannot remove the damaged index files in {path} ({exc.strerror})") from exc
    finally:
        lock.release()
