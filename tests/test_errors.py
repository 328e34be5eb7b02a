"""User mistakes and bad files: one clear line, exit code 1, no traceback, the index untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys


from .conftest import SAMPLE


def one_line_error(out) -> str:
    assert out.exit_code == 1, out.output
    assert "Traceback" not in out.output
    lines = [line for line in out.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, out.output
    return lines[0]


def index_state(index) -> tuple:
    import sqlite3

    with sqlite3.connect(index / "qa.sqlite3") as db:
        rows = db.execute("SELECT id, article_id, number, text FROM paragraphs ORDER BY id").fetchall()
    vectors = sorted(p.name for p in index.glob("vectors.*"))
    return rows, vectors


def test_search_without_index(cli, tmp_path):
    line = one_line_error(cli("search", "anything", "--index", tmp_path / "nowhere"))
    assert "no index at" in line and "qa index PATH" in line
    assert not (tmp_path / "nowhere").exists()


def test_index_location_is_a_file(cli, tmp_path):
    (tmp_path / "file").write_text("x")
    assert "is a file, not a folder" in one_line_error(cli("index", SAMPLE, "--index", tmp_path / "file"))


def test_empty_folder(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    line = one_line_error(cli("index", tmp_path / "empty", "--index", tmp_path / "index"))
    assert "nothing to index" in line


def test_bad_files_are_reported_and_good_ones_indexed(cli, writable_index, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text("Bridge reopens\n\nThe bridge reopened to traffic on Friday.\n")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (folder / "latin.txt").write_bytes("Café owners protest\n\nThe café owners protested.\n".encode("latin-1"))
    (folder / "feed.jsonl").write_text('{"id": "j1", "title": "T", "text": "Tram line extended."}\n{oops\n')
    (folder / "empty.md").write_text("")
    (folder / "locked.txt").write_text("secret")
    os.chmod(folder / "locked.txt", 0)
    out = cli("index", folder, "--index", writable_index, "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.output.splitlines()[-1])
    warnings = "\n".join(report["warnings"])
    assert "image.txt: looks like a binary file" in warnings
    assert "latin.txt: not valid UTF-8" in warnings
    assert "feed.jsonl:2: not valid JSON" in warnings
    assert "empty.md: empty file" in warnings
    if os.geteuid() != 0:  # root reads any file
        assert "locked.txt: permission denied" in warnings
    ids = {a["id"] for a in json.loads(cli("list", "--index", writable_index, "--json").output)["articles"]}
    assert {"good", "latin", "j1", "reuters-2024-11-07-trump-kim"} <= ids


def test_only_bad_files_leave_index_intact(cli, writable_index, tmp_path):
    before = index_state(writable_index)
    (tmp_path / "junk.txt").write_bytes(b"\x00\x01\x02" * 1000)
    line = one_line_error(cli("index", tmp_path / "junk.txt", "--index", writable_index))
    assert "no articles could be indexed" in line
    assert index_state(writable_index) == before


def test_unknown_model(cli, tmp_path):
    line = one_line_error(cli("index", SAMPLE, "--index", tmp_path / "index", "--model", str(tmp_path / "nope")))
    assert "cannot load embedding model" in line


def test_bad_date_is_a_usage_error(cli, sample_index):
    out = cli("search", "x", "--since", "yesterday-ish", "--index", sample_index)
    assert out.exit_code == 2 and "not a date" in out.output


def test_missing_question_is_a_usage_error(cli, sample_index):
    out = cli("ask", "--index", sample_index)
    assert out.exit_code == 2 and "give a QUESTION" in out.output


def test_real_process_end_to_end(tmp_path):
    """The installed console script, as a user runs it: index, ask, and an error, in fresh processes."""
    env = {**os.environ, "QA_CONFIG": str(tmp_path / "none.toml")}
    qa = [sys.executable, "-m", "qa"]
    run = lambda *a: subprocess.run([*qa, *map(str, a)], capture_output=True, text=True, env=env, cwd=tmp_path)  # noqa: E731
    indexed = run("index", SAMPLE)
    assert indexed.returncode == 0, indexed.stderr
    assert (tmp_path / "index" / "qa.sqlite3").exists()
    asked = run("ask", "What did Klingner say?")
    assert asked.returncode == 0 and "¶22" in asked.stdout and "Traceback" not in asked.stderr
    missing = run("search", "x", "--index", tmp_path / "missing")
    assert missing.returncode == 1 and missing.stderr.startswith("error: no index at")
    assert "Traceback" not in missing.stderr
