"""The local index's SQLite connection: damaged-file, full-disk and I/O errors arrive as QAError
wherever a query runs (store, indexer, retriever), one place instead of a try around every query."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..errors import REBUILD_HINT, IndexDamagedError, IndexStorageError, QAError


def storage_error(exc: sqlite3.Error, db_path: Path) -> QAError | None:
    """The SQLite failures a user must act on (damaged file, full disk, I/O), as a QAError; None for
    the rest (e.g. an FTS5 query it cannot parse, which callers handle)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return IndexDamagedError(f"the index database {db_path} is damaged ({exc}); {REBUILD_HINT}")
    if name.startswith("SQLITE_FULL"):
        return IndexStorageError(f"the disk holding the index at {db_path.parent} is full ({exc}); free some space and "
                       f"run the command again (the index keeps what was saved before)")
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY")):
        return IndexStorageError(f"cannot read or write the index database {db_path} ({exc}); check the disk and the "
                       f"folder's permissions")
    return None


def _guarded(method: Callable) -> Callable:
    def call(self, *args):
        try:
            return method(self, *args)
        except sqlite3.Error as exc:
            error = storage_error(exc, self.connection.db_path)
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


class Connection(sqlite3.Connection):
    """A connection whose storage errors a user must act on arrive as QAError (see `storage_error`)."""

    db_path: Path

    @property
    def connection(self) -> Connection:  # so `_guarded` works on the connection's own methods
        return self

    def execute(self, sql: str, parameters=(), /) -> sqlite3.Cursor:
        return self.cursor(_Cursor).execute(sql, parameters)

    def executemany(self, sql: str, parameters, /) -> sqlite3.Cursor:
        return self.cursor(_Cursor).executemany(sql, parameters)

    executescript = _guarded(sqlite3.Connection.executescript)


def connect(db_path: Path, *, readonly: bool = False) -> Connection:
    """The index database in autocommit mode (transactions are explicit), WAL so readers never wait
    for the writer, foreign keys on, and every commit durable (synchronous=FULL).

    `readonly` opens it for reading only (SQLite's mode=ro), for an index qa may not write: a
    read-only mount or a folder without write permission. Where not even SQLite's shared-memory file
    can be made beside it, the database is opened as immutable (no writer can be at work there)."""
    if readonly:
        uri = f"{db_path.absolute().as_uri()}?mode=ro"
        if not _can_write(db_path.parent) and not Path(f"{db_path}-shm").exists():
            uri += "&immutable=1"
        db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False,
                             factory=Connection)
    else:
        db = sqlite3.connect(db_path, timeout=30, isolation_level=None, check_same_thread=False,
                             factory=Connection)
    db.db_path = db_path
    try:
        if not readonly:
            # WAL is persistent: set once when the index is made; a reader only reads the mode.
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        db.close()
        raise
    return db


def writable(db_path: Path) -> bool:
    """Can qa write the index database (the file and its folder)? False on a read-only mount or
    without write permission, where readers open it with `connect(..., readonly=True)`."""
    return _can_write(db_path.parent) and (not db_path.exists() or _can_write(db_path))


def _can_write(path: Path) -> bool:
    """Write permission as the mode bits and the mount say: root passes `os.access` on a folder
    marked read-only, yet such a folder is meant to stay unchanged."""
    import os

    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return False
        return os.access(path, os.W_OK) and bool(os.stat(path).st_mode & 0o222)
    except OSError:
        return False
