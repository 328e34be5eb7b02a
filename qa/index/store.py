"""The index on disk: SQLite (articles, paragraphs, FTS5) and a FAISS file of paragraph vectors.

Commits are atomic across both: the FAISS file is written under a new generation number first
(temp file, fsync, rename, fsync of the folder), then the SQLite transaction that names that
generation and the file's checksum commits. A crash at any point leaves the last committed pair;
files of uncommitted generations are removed by the next writer, or on open when no writer is at
work. One writer at a time (a lock file); readers never wait and read one generation per snapshot.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from .connection import connect, writable
from ..ingest.dates import DateMention, DateQuery
from ..ingest.documents import SEARCHABLE
from ..errors import REBUILD_HINT, IndexDamagedError, IndexMissingError, OldIndexError, QAError
from .records import ArticleSummary, Passage, SpeakerRecord, StatementRecord, WireCopy
from .schema import DB_NAME, FORMAT_VERSION, create_schema
from .store_base import StoreBase
from .store_writer import LOCK_NAME, StoreWriter, locked_writer, remove_index_files
from .vectors import (VectorsMissing, new_exact, read_vectors, search_parameters, stored_ids, vector_file,
                      vector_files)


_PASSAGE_SQL = """
SELECT p.id, p.article_id, a.title, a.source, a.date, p.number, p.part, p.kind, p.text, a.url, p.speakers,
       a.byline, p.cluster
FROM paragraphs p JOIN articles a ON a.id = p.article_id
"""


def _passage(row: Sequence, dates: dict[int, list[DateMention]]) -> Passage:
    return Passage(*row[:10], speakers=tuple(json.loads(row[10] or "[]")), byline=row[11], cluster=row[12],
                   dates=tuple(dates.get(row[0], ())))


class SharedVectors:
    """The vectors of the committed generation, loaded once for all the readers of a process (see
    `Store.another_reader`) instead of once per reader (a million paragraphs are ~1.5 GB of vectors).
    FAISS searches one index from many threads safely; readers only read it (a writer, which changes
    its copy in place, never gets this one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._index = None

    def load(self, generation: int, digest: str | None, read: Callable[[], object]):
        with self._lock:
            if self._key != (generation, digest):
                self._index = read()
                self._key = (generation, digest)
            return self._index


class Store(StoreBase):
    """An open index (it keeps `qa.index.store_contract.StoreReader`). Use `Store.open` for reading and
    `store.writer()` to change it."""

    def __init__(self, path: Path, db: sqlite3.Connection):
        self.path = path
        self.db = db
        self._vectors = None  # loaded lazily: `qa list` needs no FAISS
        self._vectors_generation: int | None = None
        self._shared: SharedVectors | None = None  # set on readers that share one copy of the vectors
        self._readers_share: SharedVectors | None = None  # what this store's `another_reader`s share

    @property
    def folder(self) -> Path:
        """The index folder (saved feeds are kept in it)."""
        return self.path

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
            remove_index_files(path)
            store = cls._open(path, create=True)
        if create:  # a reader leaves stray files to the next writer: a command that reads never writes
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
        elif not _is_sqlite_file(db_path) and (not create or vector_files(path)):
            raise IndexDamagedError(f"the index database {db_path} is damaged: it is empty, 0 bytes (the folder's "
                                    f"other index files are left as they are); {REBUILD_HINT}")
        db = None
        try:
            db = connect(db_path, readonly=not create and not writable(db_path))
            existing = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "meta" not in existing and existing:
                raise QAError(f"{db_path} is not a qa index; choose another folder with --index")
            if not {"meta", "statements"} <= existing:
                if not create and "meta" not in existing:
                    raise IndexDamagedError(f"the index database {db_path} holds no index; {REBUILD_HINT}")
                if create:
                    create_schema(db)
            store = cls(path, db)
            version = store.meta("format_version") or "0"
            version = int(version) if version.isdigit() else 0
            if version == FORMAT_VERSION and "statements" not in existing and not create:
                raise IndexDamagedError(f"the index database {db_path} is missing tables; {REBUILD_HINT}")
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
            self.cleanup_stale_files()
        finally:
            lock.release()

    def close(self) -> None:
        self.db.close()

    def another_reader(self) -> Store:
        """A read-only connection of its own for another thread; every reader made by this store loads
        the vectors of a generation once, together."""
        if self._readers_share is None:
            self._readers_share = SharedVectors()
        other = type(self).open(self.path)
        other._shared = self._readers_share
        return other

    # --- metadata ----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    # --- vectors ------------------------------------------------------------------------------

    @property
    def vectors(self):
        """The FAISS index: the one read by the current snapshot (or write), else the latest."""
        if self._vectors is None:
            return self.current_vectors()
        return self._vectors

    def _vector_state(self) -> tuple[int, str | None]:
        """The committed generation and its vector file's checksum, read in one statement."""
        rows = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'vectors_sha256')"))
        return int(rows.get("generation") or 0), rows.get("vectors_sha256")

    def current_vectors(self):
        """The vectors of the generation this connection sees now; reloaded when another process has
        committed a newer one (a long-lived reader such as `qa chat` follows the index)."""
        generation, digest = self._vector_state()
        if self._vectors is None or self._vectors_generation != generation:
            self._vectors = self._load_vectors(generation, digest)
            self._vectors_generation = generation
        return self._vectors

    def empty_vectors(self, dimension: int | None = None):
        """A new, empty FAISS index for this model's vectors (or `dimension`'s)."""
        return new_exact(dimension or self.dimension or 384)

    def adopt_vectors(self, index, generation: int) -> None:
        """A writer's vectors, just committed as `generation`, become what this store reads."""
        self._vectors, self._vectors_generation = index, generation

    def forget_vectors(self) -> None:
        """Drop the vectors in memory (a writer rolled back changes it made to them): read them again."""
        self._vectors = None

    def _load_vectors(self, generation: int, digest: str | None):
        if self._shared is not None:
            return self._shared.load(generation, digest, lambda: self._read_vectors(generation, digest))
        return self._read_vectors(generation, digest)

    def _read_vectors(self, generation: int, digest: str | None):
        if generation == 0:
            return self.empty_vectors()
        try:
            return read_vectors(vector_file(self.path, generation), digest)
        except VectorsMissing:
            if not self.count_paragraphs():
                return self._empty_vectors()
            raise

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
                self.current_vectors()
                break
            except VectorsMissing:
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

    def newest_date(self, up_to: str | None = None) -> str | None:
        sql, args = "SELECT max(date) FROM articles WHERE date > ''", []
        if up_to is not None:
            sql, args = sql + " AND date <= ?", [up_to]
        return self.db.execute(sql, args).fetchone()[0]

    def published_after(self, day: str) -> bool:
        return bool(self.db.execute("SELECT EXISTS (SELECT 1 FROM articles WHERE date > ?)", (day,)).fetchone()[0])

    def has_articles(self) -> bool:
        return bool(self.db.execute("SELECT EXISTS (SELECT 1 FROM articles)").fetchone()[0])

    def articles_known_by(self, day: str) -> list[str]:
        rows = self.db.execute("SELECT id FROM articles WHERE date IS NULL OR date = '' OR date <= ?", (day,))
        return [r[0] for r in rows]

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
            # Published in the range, or mentioning a date (resolved, qa.ingest.dates) that falls within it.
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

    def lexical_scores(self, match: str, ids: Sequence[int]) -> list[tuple[int, float]]:
        """FTS5 BM25 of each of `ids` that `match` finds (any order); an unparsable query finds nothing."""
        out: list[tuple[int, float]] = []
        ids = list(ids)
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            try:
                out += self.db.execute(
                    "SELECT rowid, -bm25(paragraphs_fts) FROM paragraphs_fts WHERE paragraphs_fts MATCH ? "
                    f"AND rowid IN ({','.join('?' * len(chunk))})", [match, *chunk]).fetchall()
            except Exception:  # noqa: BLE001 - a query FTS5 cannot parse finds nothing lexically
                break
        return out

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

    def writer(self, on_wait: Callable[[str], None] | None = None, timeout: float = 600
               ) -> contextlib.AbstractContextManager[StoreWriter]:
        """Hold the write lock for the duration; changes are committed with `StoreWriter.commit`."""
        return locked_writer(self, on_wait, timeout)

    def _stray_files(self) -> list[Path]:
        keep = vector_file(self.path, self.generation).name
        return [f for f in vector_files(self.path) if f.name != keep]

    def cleanup_stale_files(self) -> None:
        """Vector files no committed generation names: left by a crash mid-commit (or before the old
        file was removed). Call only while holding the write lock."""
        for file in self._stray_files():
            with contextlib.suppress(OSError):
                file.unlink()


def _is_sqlite_file(db_path: Path) -> bool:
    """False for a 0-byte file, which SQLite would take for a new, empty database (one that is not
    SQLite at all it reports itself, as SQLITE_NOTADB). Only stat is used: opening and closing the
    file here would drop the POSIX locks this process's SQLite connections hold on it, and another
    process would then take them for gone (and remove the -wal file under them)."""
    try:
        return db_path.stat().st_size > 0
    except OSError:
        return True  # unreadable: connecting reports why

