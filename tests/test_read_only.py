"""A command that reads never writes: a damaged database is reported, not made afresh, no reader
removes a vector file, and an index qa may not write (a read-only mount, no write permission) is
searched, listed, asked and checked like any other."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.procs import QAProcess


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of the folder with its sha256: what a reader must leave exactly as it was."""
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.iterdir()) if f.is_file()}


def run_side_by_side(commands: list[list], tmp_path: Path, prefix: list[str] = ()) -> list[subprocess.CompletedProcess]:
    """`run_qa` of each command, all at once (readers of one index; the machine's cores work together)."""
    if not prefix:
        return [finished(run) for run in [started(args, tmp_path) for args in commands]]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: run_qa(args, tmp_path, prefix), commands))


def started(args: list, tmp_path: Path) -> QAProcess:
    """`qa ARGS` in a process of its own, forked from tests/procs.py's server (qa imported, the embedding
    model loaded, no index ever opened): a fresh interpreter's start-up costs seconds."""
    return QAProcess(args, tmp_path, {"QA_CONFIG": str(tmp_path / "no-config.toml"), "QA_LLM": "none"})


def finished(run: QAProcess) -> subprocess.CompletedProcess:
    code = run.wait(180)
    return subprocess.CompletedProcess(run.args, code, run.stdout, run.stderr)


def run_qa(args: list, tmp_path: Path, prefix: list[str] = ()) -> subprocess.CompletedProcess:
    """`qa ARGS`; with a `prefix` (a command that runs it with fewer privileges) a fresh interpreter."""
    if not prefix:
        return finished(started(args, tmp_path))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_CONFIG=str(tmp_path / "no-config.toml"), QA_LLM="none")
    return subprocess.run([*prefix, sys.executable, "-m", "qa", *map(str, args)], env=env, capture_output=True,
                          text=True, cwd=REPO, timeout=180)


@pytest.mark.parametrize("damage", ["empty", "overwritten"])
def test_a_reader_reports_a_damaged_database_and_changes_nothing(writable_index, tmp_path, damage):
    db = writable_index / "qa.sqlite3"
    db.write_bytes(b"" if damage == "empty" else b"\x00garbage, not a database\n" * 200)
    for wal in writable_index.glob("qa.sqlite3-*"):
        wal.unlink()
    before = snapshot(writable_index)
    assert any(name.startswith("vectors.") for name in before)
    commands = [["search", "What did Klingner say?"], ["ask", "What did Klingner say?"], ["list"], ["check"],
                ["speakers"], ["check", "--json"]]
    runs = run_side_by_side([[*command, "--index", writable_index] for command in commands], tmp_path)
    for command, done in zip(commands[:-1], runs):
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert "damaged" in done.stderr or "not a" in done.stderr, done.stderr
        assert "rebuild" in done.stderr
    assert snapshot(writable_index) == before  # no command wrote a schema or removed a vector file
    done = runs[-1]
    assert done.returncode == 1 and not json.loads(done.stdout.splitlines()[0])["ok"]


def test_rebuild_still_starts_a_damaged_index_afresh(writable_index, tmp_path):
    (writable_index / "qa.sqlite3").write_bytes(b"")
    done = run_qa(["index", "--rebuild", REPO / "examples/articles", "--index", writable_index], tmp_path)
    assert done.returncode == 0, done.stderr
    assert run_qa(["check", "--index", writable_index], tmp_path).returncode == 0


def test_a_reader_leaves_stray_vector_files_to_the_next_writer(writable_index, tmp_path):
    stray = writable_index / "vectors.99.faiss"
    stray.write_bytes(b"half-written")
    assert run_qa(["search", "Klingner", "--index", writable_index], tmp_path).returncode == 0
    assert stray.exists()


def _make_read_only(folder: Path) -> None:
    for f in folder.iterdir():
        f.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


def _without_write_privilege() -> list[str]:
    """A prefix that runs qa as a user whom the permission bits bind: as root, without the
    capabilities that override them (setpriv drops them from the bounding set before exec)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "the read-only test runs as root and needs util-linux's setpriv to drop CAP_DAC_OVERRIDE"
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


@pytest.mark.parametrize("leftover_wal", [False, True])
def test_a_read_only_index_serves_search_list_ask_and_check(sample_index, tmp_path, leftover_wal):
    """The folder and its files without write permission, for a user the bits bind. With
    `leftover_wal` the folder also holds SQLite's -wal and -shm files (an index copied while open)."""
    index = tmp_path / "index"
    shutil.copytree(sample_index, index)
    if leftover_wal:
        import sqlite3

        keep = sqlite3.connect(index / "qa.sqlite3")  # an open reader keeps -wal and -shm in place
        keep.execute("SELECT count(*) FROM articles").fetchone()
        shutil.copytree(index, tmp_path / "copy")
        keep.close()
        shutil.rmtree(index)
        (tmp_path / "copy").rename(index)
        assert (index / "qa.sqlite3-shm").exists()
    before = snapshot(index)
    _make_read_only(index)
    prefix = _without_write_privilege()
    try:
        if prefix:  # the bits really bind this process
            assert subprocess.run([*prefix, "touch", str(index / "probe")], capture_output=True).returncode != 0
        probe, found, listed, asked, checked, written = run_side_by_side([
            ["--version"], ["search", "What did Klingner say?", "--index", index, "--json"],
            ["list", "--index", index, "--json"], ["ask", "What did Klingner say?", "--index", index, "--json"],
            ["check", "--index", index], ["remove", "nothing-by-this-name", "--index", index]], tmp_path, prefix)
        assert probe.returncode == 0, probe.stderr
        assert found.returncode == 0, found.stderr
        assert 22 in [p["paragraph"] for p in json.loads(found.stdout)["passages"]]
        assert listed.returncode == 0, listed.stderr
        assert len(json.loads(listed.stdout)["articles"]) == 1
        assert asked.returncode == 0, asked.stderr
        assert {c["paragraph"] for c in json.loads(asked.stdout)["citations"]} & {22, 23, 24}
        assert checked.returncode == 0 and "healthy" in checked.stdout + checked.stderr, checked.stderr
        assert written.returncode == 1 and "Traceback" not in written.stderr
    finally:
        index.chmod(0o755)
        for f in index.iterdir():
            f.chmod(0o644)
    assert snapshot(index) == before
