"""Nothing let in: a table of bad inputs, each indexed next to a good file into an index that already
holds the sample article. Every case must give a clear message (asserted on its text), never a
traceback; the good file is indexed whenever the index itself is usable; the existing index stays
intact (the sample article still found, SQLite, FTS5 and FAISS agreeing), and a damaged index is
refused until `qa index --rebuild` starts it afresh.
"""

from __future__ import annotations

import builtins
import json
import os
import sqlite3
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import qa.index.vectors
from qa.index.store import Store

from .conftest import SAMPLE

GOOD = "Ferry service resumes\n\nThe island ferry service resumed on Tuesday after two weeks of repairs.\n"


@dataclass
class Ctx:
    tmp: Path
    folder: Path  # holds good.txt and whatever the case adds
    index: Path  # a private copy of the sample index
    monkeypatch: pytest.MonkeyPatch
    output: str = ""  # what `qa index` printed


@dataclass
class Case:
    name: str
    setup: Callable[[Ctx], list | None]  # makes the bad input; returns the paths to index (default: the folder)
    message: str | None  # what the output must say
    exit_code: int = 0
    indexed: set[str] = field(default_factory=lambda: {"good"})  # articles the run must have added
    broken_index: bool = False  # the case damages the index itself: refused, then --rebuild recovers
    searchable_after: bool = True  # False where the case leaves the index deliberately unusable as it is
    check: Callable[[Ctx], None] | None = None  # anything else to assert afterwards


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return path


def png() -> bytes:
    """A real 16x16 RGB PNG image."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + bytes(range(48)) for _ in range(16))  # filter byte + 16 pixels a row
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def set_meta(index: Path, key: str, value: str) -> None:
    with sqlite3.connect(index / "qa.sqlite3") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))


def vector_file(index: Path) -> Path:
    [file] = index.glob("vectors.*.faiss")
    return file


def overwrite(path: Path, at: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(at)
        fh.write(data)


def stored_text(ctx: Ctx, article_id: str) -> str:
    with Store.open(ctx.index) as store:
        return "\n".join(p.text for p in store.article_passages(article_id))


# --- the cases -------------------------------------------------------------------------------------


def unreadable(ctx: Ctx) -> None:
    path = write(ctx.folder / "locked.txt", "Secret plans\n\nNobody may read this file.\n")
    os.chmod(path, 0)
    if os.geteuid() == 0:  # root reads any file: make the read fail as it would for anyone else
        real = Path.read_bytes

        def read_bytes(self):
            if self.name == "locked.txt":
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        ctx.monkeypatch.setattr(Path, "read_bytes", read_bytes)


def disk_full_on_vectors(ctx: Ctx) -> None:
    """Writing the new vector file hits a full disk for real: it is redirected to /dev/full."""
    write(ctx.folder / "more.txt", "Council news\n\nThe council met on Monday to discuss the budget.\n")

    def open_(file, mode="r", *args, **kwargs):
        if str(file).endswith(".tmp") and "w" in mode:
            file = "/dev/full"
        return builtins.open(file, mode, *args, **kwargs)

    ctx.monkeypatch.setattr(qa.index.vectors, "open", open_, raising=False)


def disk_full_in_sqlite(ctx: Ctx) -> None:
    """SQLite may not grow the database by a single page: its real "database or disk is full"."""
    write(ctx.folder / "long.txt", "Long report\n\n" + "\n\n".join(
        f"Paragraph {i} of the long report describes the ferry timetable in some detail." for i in range(60)))
    real = Store._open.__func__

    def tiny(cls, path, create):
        store = real(cls, path, create)
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")
        return store

    ctx.monkeypatch.setattr(Store, "_open", classmethod(tiny))


def fifo(ctx: Ctx) -> None:
    os.mkfifo(ctx.folder / "pipe.txt")  # reading it would block forever


def index_is_a_file(ctx: Ctx) -> list:
    ctx.index = write(ctx.tmp / "not-a-folder", "x")
    return [ctx.folder]


def big_file(ctx: Ctx) -> None:
    with open(ctx.folder / "huge.txt", "w") as fh:
        block = "The harbour authority published another long report on shipping volumes.\n\n" * 1000
        for _ in range(50 * 2**20 // len(block) + 1):
            fh.write(block)


CASES = [
    Case("empty file", lambda c: write(c.folder / "empty.txt", "") and None, "empty.txt: empty file; skipped"),
    Case("zero paragraphs", lambda c: write(c.folder / "credits.txt", "Sign up here.\n\nReporting by Ann Lee; "
                                            "Editing by Bo Kim\n") and None,
         "credits.txt: article 'credits' has no text paragraphs; skipped"),
    Case("only escapes and control characters", lambda c: write(c.folder / "ansi.txt", "\x1b[31m\x1b[0m\x07\n")
         and None, "ansi.txt: article 'ansi' has no text paragraphs; skipped"),
    Case("binary file", lambda c: write(c.folder / "data.md", bytes(range(256)) * 64) and None,
         "data.md: looks like a binary file, not text; skipped"),
    Case("PNG image renamed .txt", lambda c: write(c.folder / "photo.txt", png()) and None,
         "photo.txt: looks like a binary file, not text; skipped"),
    Case("Latin-1 text", lambda c: write(c.folder / "cafe.txt", "Café owners protest\n\nThe café owners of the "
                                         "old town protested on Sunday.\n".encode("latin-1")) and None,
         "cafe.txt: not valid UTF-8, read as Windows-1252/Latin-1", indexed={"good", "cafe"},
         check=lambda c: ("café owners of the old town" in stored_text(c, "cafe")) or pytest.fail("mis-decoded")),
    Case("UTF-16 with BOM", lambda c: write(c.folder / "wide.txt", "Zoo news\n\nThe zoo's new panda, Mei, "
                                            "arrived in Zürich on Monday.\n".encode("utf-16")) and None,
         None, indexed={"good", "wide"},
         check=lambda c: ("panda, Mei, arrived in Zürich" in stored_text(c, "wide")) or pytest.fail("mis-decoded")),
    Case("50 MB file", big_file, "huge.txt: 50 MB is over the 20 MB limit for one file; skipped (raise "
         "max_file_mb"),
    Case("one 1 MB paragraph", lambda c: write(c.folder / "wall.txt", "Wall of text\n\n" + "The river rose "
                                               "again overnight. " * 32_000) and None,
         "wall.txt: paragraph 1 is over 30,000 characters; only its first 30,000 are indexed",
         indexed={"good", "wall"},
         check=lambda c: 25_000 < len(stored_text(c, "wall")) <= 30_000 + 40 or pytest.fail("not truncated")),
    Case("HTML with only scripts and styles", lambda c: write(c.folder / "app.html", "<html><head><style>p{}"
         "</style><script>document.write('Breaking news from the script')</script></head><body><script>"
         "alert(1)</script></body></html>") and None, "app.html: no article text found in the HTML; skipped"),
    Case("malformed HTML", lambda c: write(c.folder / "broken.html", "<html><body><div><p>The harbour "
         "reopened on Friday after the storm damaged the pier, and the council voted to repair it. <b><i>Work"
         "</b></i> starts soon <<>> </table></body>") and None, None, indexed={"good", "broken"},
         check=lambda c: "harbour reopened on Friday" in stored_text(c, "broken") or pytest.fail("not extracted")),
    Case("markup debris only", lambda c: write(c.folder / "debris.html", "<<<<>>>><html<body>></p></p>&&&;;<!--")
         and None, "debris.html: article 'debris' has no text paragraphs; skipped"),
    Case("JSONL with a broken line", lambda c: write(c.folder / "feed.jsonl", '{"id": "j1", "title": "Tram", '
         '"text": "The tram line was extended to the airport."}\n{"id": "j2", "title": \n') and None,
         "feed.jsonl:2: not valid JSON", indexed={"good", "j1"}),
    Case("JSONL missing fields", lambda c: write(c.folder / "sparse.jsonl", '{"title": "No body"}\n'
         '{"text": "A body with no title and no id: the bakery closed."}\n') and None,
         'sparse.jsonl:1: missing or empty "text"; line skipped', indexed={"good", "sparse:2"}),
    Case("JSONL wrong types", lambda c: write(c.folder / "types.jsonl", '{"id": "t1", "text": 42}\n'
         '{"id": "t2", "title": {"x": 1}, "text": ["First part.", "Second part of the library story."]}\n'
         '[1, 2, 3]\n') and None, "types.jsonl:2: field 'title' is not a string; ignored",
         indexed={"good", "t2"},
         check=lambda c: "types.jsonl:1: missing or empty" in c.output and "types.jsonl:3: expected a JSON object"
         in c.output or pytest.fail(c.output)),
    Case("directory loop", lambda c: (c.folder / "sub").mkdir() or (c.folder / "sub" / "loop").symlink_to(c.folder)
         or None, None, check=lambda c: c.output.count("warning:") == 0 or pytest.fail(c.output)),
    Case("dangling symlink", lambda c: (c.folder / "gone.txt").symlink_to(c.folder / "nowhere.txt") or None,
         "gone.txt: cannot read (No such file or directory); skipped"),
    Case("named pipe", fifo, "pipe.txt: not a regular file (a pipe or device); skipped"),
    Case("symlink to a device", lambda c: (c.folder / "zero.txt").symlink_to("/dev/zero") or None,
         "zero.txt: a link to /dev/zero, outside"),
    Case("unreadable file", unreadable, "locked.txt: permission denied; skipped"),
    Case("path that does not exist", lambda c: [c.folder, c.tmp / "missing.txt"],
         "missing.txt: no such file or folder; skipped"),
    Case("unsupported file type", lambda c: [c.folder, write(c.tmp / "report.pdf", b"%PDF-1.4")],
         "report.pdf: unsupported file type .pdf"),
    Case("index folder is a file", index_is_a_file, "is a file, not a folder; choose another with --index",
         exit_code=1, indexed=set()),
    Case("index from a newer qa", lambda c: set_meta(c.index, "format_version", "99"),
         "was made by a newer qa (format 99); upgrade qa", exit_code=1, indexed=set(), broken_index=True),
    Case("index from an older qa", lambda c: set_meta(c.index, "format_version", "0"),
         "was made by an older qa (format 0; this qa reads format 2); rebuild it with `qa index --rebuild PATH...`", exit_code=1, indexed=set(),
         broken_index=True),
    Case("index built with another model", lambda c: set_meta(c.index, "model", "sentence-transformers/other")
         or [c.folder, "--model", "all-MiniLM-L6-v2"],
         "was built with embedding model 'sentence-transformers/other' (384 dims), not "
         "'sentence-transformers/all-MiniLM-L6-v2'; drop --model", exit_code=1, indexed=set(),
         searchable_after=False),
    Case("vector file corrupted", lambda c: overwrite(vector_file(c.index), 2000, os.urandom(64)),
         "is damaged (its checksum does not match what the index recorded); rebuild it with", exit_code=1,
         indexed=set(), broken_index=True),
    Case("vector file truncated", lambda c: os.truncate(vector_file(c.index), 100), "is damaged", exit_code=1,
         indexed=set(), broken_index=True),
    Case("vector file missing", lambda c: vector_file(c.index).unlink(), "is missing; rebuild it with",
         exit_code=1, indexed=set(), broken_index=True),
    Case("SQLite file corrupted", lambda c: overwrite(c.index / "qa.sqlite3", 0, b"garbage!" * 16),
         "the index database", exit_code=1, indexed=set(), broken_index=True,
         check=lambda c: "is damaged (file is not a database)" in c.output or pytest.fail(c.output)),
    Case("disk full while saving vectors", disk_full_on_vectors, "(No space left on device); free some space and "
         "run the command again; it keeps what was saved before", exit_code=1, indexed=set()),
    Case("disk full in SQLite", disk_full_in_sqlite, "is full (database or disk is full); free some space",
         exit_code=1, indexed=set()),
]


def raw_state(index: Path) -> tuple:
    """What the index holds, read with plain sqlite3 (works even where qa refuses to open it)."""
    with sqlite3.connect(index / "qa.sqlite3") as db:
        rows = db.execute("SELECT id, article_id, number, text FROM paragraphs ORDER BY id").fetchall()
        meta = db.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'vectors_sha256')").fetchall()
    return rows, sorted(meta)


def assert_sample_intact(cli, index: Path) -> None:
    with Store.open(index) as store:
        assert store.check() == []
    out = cli("search", "What did Klingner say?", "--index", index, "--json", "-k", "3")
    assert out.exit_code == 0, out.output
    top = json.loads(out.output)["passages"][0]
    assert (top["article_id"], top["paragraph"]) == ("reuters-2024-11-07-trump-kim", 22)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, cli, writable_index, tmp_path, monkeypatch):
    folder = tmp_path / "input"
    write(folder / "good.txt", GOOD)
    ctx = Ctx(tmp_path, folder, writable_index, monkeypatch)
    before = raw_state(writable_index)
    paths = case.setup(ctx) or [folder]
    started = time.monotonic()
    out = cli("index", *paths, "--index", ctx.index)
    elapsed = time.monotonic() - started
    monkeypatch.undo()  # the simulated fault is over: what is left on disk is what counts
    ctx.output = out.output
    assert "Traceback" not in out.output
    assert out.exit_code == case.exit_code, out.output
    if case.message:
        assert case.message in out.output
    if case.exit_code:
        assert len([ln for ln in out.output.splitlines() if ln.startswith("error:")]) == 1, out.output
    assert elapsed < 30, f"took {elapsed:.0f}s"
    if case.check:
        case.check(ctx)

    if case.broken_index:
        out = cli("search", "What did Klingner say?", "--index", writable_index)
        assert out.exit_code == 1 and "rebuild" in out.output and "Traceback" not in out.output
        out = cli("index", "--rebuild", SAMPLE, folder, "--index", writable_index)
        assert out.exit_code == 0, out.output
    elif case.exit_code:
        assert raw_state(writable_index) == before, "a refused run changed the index"
        assert not list(writable_index.glob("vectors.*.tmp"))
    else:
        ids = {a["id"] for a in json.loads(cli("list", "--index", writable_index, "--json").output)["articles"]}
        assert ids == {"reuters-2024-11-07-trump-kim"} | case.indexed
    if case.searchable_after:
        assert_sample_intact(cli, writable_index)
