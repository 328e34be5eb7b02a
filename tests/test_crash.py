"""Nothing lost: `qa index` killed with SIGKILL at random moments, two writers at once, searches
while indexing. After every kill the index opens, answers, SQLite, FTS5 and FAISS hold exactly the
same paragraphs, every article is exactly one version of its file, and a re-run completes it.

The runs are real processes (tests/procs.py: forks of a server that has qa imported, because a
fresh interpreter spends ~8 s importing sentence-transformers) running the real `qa` command line.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time

from qa.api import QA
from qa.ingest.loaders import file_hash, load_file
from qa.index.store import Store

from .conftest import validate_json
from .procs import QAProcess

SUBJECTS = ["The city council", "The port authority", "A local union", "The regional governor", "Residents",
            "The transport ministry", "Engineers", "The mayor's office", "Shop owners", "The fire service"]
VERBS = ["approved", "delayed", "questioned", "funded", "reviewed", "criticised", "announced", "expanded"]
OBJECTS = ["the harbour project", "a new tram line", "the bridge repairs", "the school budget", "a flood barrier",
           "the water plan", "the rail depot", "the housing scheme", "the night bus service", "the market hall"]
TAILS = ["on Monday", "after a long debate", "despite protests", "for the third time", "ahead of the vote",
         "in a short statement", "without giving reasons", "at a packed meeting"]


def token(i: int) -> str:
    """A word only article i contains, so a search for it must find that article first."""
    return f"velmar{i:02d}"


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}."


def write_articles(folder, count: int, version: int, rng: random.Random, versions: dict) -> None:
    """Write (or rewrite) `count` small articles; `versions` maps each file version's hash to the
    paragraphs qa must store for it, all or nothing."""
    folder.mkdir(exist_ok=True)
    for i in range(count):
        path = folder / f"article-{i:02d}.txt"
        body = [f"{token(i).capitalize()} is the name of the plan. {sentence(rng)}"]
        body += [f"{sentence(rng)} {sentence(rng)}" for _ in range(2)]
        body.append(f"This is revision {version} of the report. {sentence(rng)}")
        path.write_text(f"Update on plan {i} in the city\n\n" + "\n\n".join(body) + "\n")
        article = load_file(path, path.stem).articles[0]
        versions[file_hash(path.read_bytes())] = [p.text for p in article.paragraphs]


def verify(index, versions: dict, must_keep: set[str], rng: random.Random) -> set[str]:
    """The index after a crash: opens, is consistent, holds whole articles, answers a search."""
    with Store.open(index, create=True) as store:  # opened to write, as a next run: strays removed
        assert store.check() == []
        generation = store.generation
        files = sorted(f.name for f in index.glob("vectors.*"))
        assert files == ([f"vectors.{generation}.faiss"] if generation else []), files
        articles = store.db.execute("SELECT id, origin_hash FROM articles").fetchall()
        for article_id, digest in articles:
            stored = [p.text for p in store.article_passages(article_id)]
            assert stored == versions[digest], f"{article_id} is not exactly one version of its file"
    ids = {article_id for article_id, _ in articles}
    assert must_keep <= ids, f"articles lost: {sorted(must_keep - ids)}"
    if ids:
        wanted = rng.choice(sorted(ids))
        with QA(index) as bot:
            result = bot.search(token(int(wanted[-2:])))
        assert result.passages and result.passages[0].article_id == wanted
    return ids


def index_env(tmp_path, **extra) -> dict[str, str]:
    return {"QA_CONFIG": str(tmp_path / "none.toml"), "QA_LLM": "none", **extra}


def test_sigkill_during_indexing_never_damages_the_index(tmp_path, embedder):
    seed = int(os.environ.get("CRASH_TEST_SEED") or time.time())  # to replay a failure: its seed
    rng = random.Random(seed)
    folder, index = tmp_path / "articles", tmp_path / "index"
    versions: dict[str, list[str]] = {}
    env = index_env(tmp_path, QA_COMMIT_EVERY="8")  # a commit every two articles: many commits to die in
    assert QAProcess(["--version"], tmp_path, env).wait() == 0  # the process server is up
    write_articles(folder, 40, 0, rng, versions)
    started = time.monotonic()
    baseline = QAProcess(["index", folder, "--index", index], tmp_path, env)
    assert baseline.wait() == 0, baseline.stderr
    duration = time.monotonic() - started  # how long a whole run takes on this machine, now
    kept = verify(index, versions, set(), rng)
    kills, rounds = 0, 0
    while kills < 20:
        rounds += 1
        assert rounds <= 50, f"only {kills} of {rounds} runs were killed mid-way (seed {seed})"
        rebuild = rounds % 5 == 0
        write_articles(folder, 40, rounds, rng, versions)  # every article changes: real work each run
        run = QAProcess(["index", folder, "--index", index, *(["--rebuild"] if rebuild else [])], tmp_path, env)
        run.process.join(rng.uniform(0.02, 0.9) * duration)
        if run.alive():
            run.kill()
            kills += 1
        else:
            assert run.process.exitcode == 0, run.stderr
            duration = min(duration, time.monotonic() - run.started)  # the machine got faster: kill sooner
        try:
            kept = verify(index, versions, set() if rebuild else kept, rng)
        except AssertionError as exc:
            raise AssertionError(f"after kill {kills} (round {rounds}, seed {seed}): {exc}") from exc

    final = QAProcess(["index", folder, "--index", index, "--json"], tmp_path, env)
    assert final.wait() == 0, final.stderr
    report = validate_json(json.loads(final.stdout.splitlines()[-1]))
    assert report["files"] == 40 and report["total_articles"] == 40
    ids = verify(index, versions, kept, rng)
    assert len(ids) == 40
    with Store.open(index) as store:  # every article is the files' latest version
        indexed = dict(store.db.execute("SELECT id, origin_hash FROM articles"))
    assert indexed == {p.stem: file_hash(p.read_bytes()) for p in folder.glob("*.txt")}


def wait_for_commit(index, process: QAProcess, timeout: float = 60) -> None:
    """Until the first commit of a running `qa index` (so it holds the lock and is mid-way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.alive():
        try:
            with sqlite3.connect(f"file:{index / 'qa.sqlite3'}?mode=ro", uri=True) as db:
                if int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]) > 0:
                    return
        except (sqlite3.Error, TypeError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"no commit within {timeout}s: {process.stderr}")


def test_two_writers_one_waits_and_both_finish(tmp_path, embedder):
    rng = random.Random(7)
    versions: dict[str, list[str]] = {}
    first, second, index = tmp_path / "first", tmp_path / "second", tmp_path / "index"
    write_articles(first, 30, 1, rng, versions)
    (second / "more").mkdir(parents=True)
    for i in range(3):
        (second / "more" / f"extra-{i}.txt").write_text(f"Extra {i}\n\nThe {token(90 + i)} ferry runs at night.\n")
    env = index_env(tmp_path, QA_COMMIT_EVERY="8")
    one = QAProcess(["index", first, "--index", index], tmp_path, env)
    wait_for_commit(index, one)
    # Paused while it holds the lock, the first writer cannot finish before the second one starts
    # (on a quiet machine it writes the other 22 articles in less time than a process takes to start).
    one.pause()
    try:
        two = QAProcess(["index", second, "--index", index], tmp_path, env)
        deadline = time.monotonic() + 60
        while "waiting" not in two.stderr and two.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        one.resume()
    assert one.wait() == 0, one.stderr
    assert two.wait() == 0, two.stderr
    assert "another process is writing the index" in two.stderr and "waiting" in two.stderr
    with Store.open(index) as store:
        assert store.check() == []
        assert len(store.articles()) == 33


def test_writer_gives_up_after_lock_timeout_with_a_clear_message(cli, writable_index, tmp_path, monkeypatch):
    from filelock import FileLock

    (tmp_path / "new.txt").write_text("Tram news\n\nThe tram line opened on Sunday.\n")
    before = sorted((p.name, p.stat().st_size) for p in writable_index.iterdir())
    monkeypatch.setenv("QA_LOCK_TIMEOUT", "1")
    with FileLock(str(writable_index / ".lock")):  # another writer, as far as qa can tell
        started = time.monotonic()
        out = cli("index", tmp_path / "new.txt", "--index", writable_index)
        waited = time.monotonic() - started
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "waiting for it to finish" in out.output
    assert "still being written by another process after 1s; try again later" in out.output
    assert 1 <= waited < 10
    assert sorted((p.name, p.stat().st_size) for p in writable_index.iterdir()) == before
    with Store.open(writable_index) as store:
        assert store.check() == [] and [a.id for a in store.articles()] == ["reuters-2024-11-07-trump-kim"]


def test_searches_during_indexing_see_consistent_snapshots(cli, tmp_path, embedder):
    rng = random.Random(11)
    versions: dict[str, list[str]] = {}
    folder, index = tmp_path / "articles", tmp_path / "index"
    write_articles(folder, 24, 1, rng, versions)
    with QA(index, create=True) as bot:  # something to find from the start
        bot.index([folder / "article-00.txt"])
    generations, searches = set(), 0
    with QA(index) as bot:  # a long-lived reader, like `qa chat`, follows the index as it grows
        bot.search(token(0))  # warm, so that no slow first search lets the writer finish unseen
        writer = QAProcess(["index", folder, "--index", index], tmp_path, index_env(tmp_path, QA_COMMIT_EVERY="4"))
        while writer.alive() or searches < 3:
            # The writer is paused, wherever it is (mid-commit too), while a fresh reader checks the
            # index, like `qa search` would, so it cannot race through every commit in one look.
            paused = writer.pause()
            try:
                with Store.open(index) as store:
                    assert store.check() == []
                    generations.add(store.generation)
            finally:
                if paused:
                    writer.resume()
            if searches % 2:  # the searches race with the running writer
                result = bot.search(token(0))
                assert result.passages[0].article_id == "article-00"
            else:
                out = cli("search", token(0), "--index", index, "--json", "-k", "3")
                assert out.exit_code == 0, out.output
                assert json.loads(out.output)["passages"][0]["article_id"] == "article-00"
            searches += 1
    assert writer.wait() == 0, writer.stderr
    assert len(generations) >= 3, f"the searches saw too few commits to prove anything: {generations}"
    with QA(index) as bot:
        assert bot.search(token(23)).passages[0].article_id == "article-23"
        assert bot.check() == [] and len(bot.articles()) == 24


def test_check_finds_what_disagrees(cli, writable_index):
    """The consistency check used after every kill above can fail: SQLite and FAISS made to disagree."""
    out = cli("check", "--index", writable_index)
    assert out.exit_code == 0 and "is healthy: 1 article(s)" in out.output
    with sqlite3.connect(writable_index / "qa.sqlite3") as db:  # a paragraph gone from SQLite, not from FAISS
        [(pid,)] = db.execute("SELECT id FROM paragraphs WHERE number = 22").fetchall()
        db.execute("DELETE FROM paragraphs WHERE id = ?", (pid,))
        db.execute("DELETE FROM paragraphs_fts WHERE rowid = ?", (pid,))
    with Store.open(writable_index) as store:
        assert store.check() == [f"1 vector(s) belong to no searchable paragraph (ids [{pid}])"]
    with sqlite3.connect(writable_index / "qa.sqlite3") as db:  # and a full-text entry for nothing
        db.execute("INSERT INTO paragraphs_fts (rowid, text) VALUES (99999, 'orphan')")
    out = cli("check", "--index", writable_index, "--json")
    assert out.exit_code == 1 and "Traceback" not in out.output
    report = json.loads(out.output.splitlines()[0])
    assert not report["ok"] and len(report["problems"]) == 2
    assert "1 full-text entry(s) belong to no searchable paragraph (ids [99999])" in report["problems"]


def test_opening_removes_what_a_crashed_commit_left(writable_index):
    """Opened to write (as `qa index` opens it); a reader leaves them (tests/test_read_only.py)."""
    from filelock import FileLock

    [current] = writable_index.glob("vectors.*.faiss")
    strays = [writable_index / "vectors.7.faiss", writable_index / "vectors.8.tmp"]
    for stray in strays:
        stray.write_bytes(b"half-written")
    with FileLock(str(writable_index / ".lock")):  # a writer at work: its next file looks just the same
        with Store.open(writable_index, create=True) as store:
            assert store.check() == []
        assert all(stray.exists() for stray in strays)
    with Store.open(writable_index, create=True) as store:
        assert store.check() == []
    assert list(writable_index.glob("vectors.*")) == [current]


def test_ctrl_c_during_indexing_keeps_what_is_written_and_exits_130(tmp_path, embedder):
    """Twenty Ctrl-Cs at random moments of `qa index`: exit 130 every time, no traceback, the index
    consistent, every article one whole version of its file, and the articles a run says it saved are
    there. (These 160 paragraphs are one embedding batch, so most Ctrl-Cs land before anything is
    written; the test below interrupts a run with several batches written.)"""

    seed = int(os.environ.get("CRASH_TEST_SEED") or time.time())
    rng = random.Random(seed)
    folder, index = tmp_path / "articles", tmp_path / "index"
    versions: dict[str, list[str]] = {}
    env = index_env(tmp_path)
    assert QAProcess(["--version"], tmp_path, env).wait() == 0
    write_articles(folder, 40, 0, rng, versions)
    started = time.monotonic()
    baseline = QAProcess(["index", folder, "--index", index], tmp_path, env)
    assert baseline.wait() == 0, baseline.stderr
    duration = time.monotonic() - started
    verify(index, versions, set(), rng)
    interrupts, rounds, saved_runs, latencies = 0, 0, 0, []
    while interrupts < 20:
        rounds += 1
        assert rounds <= 50, f"only {interrupts} of {rounds} runs were interrupted mid-way (seed {seed})"
        write_articles(folder, 40, rounds, rng, versions)
        run = QAProcess(["index", folder, "--index", index], tmp_path, env)
        run.process.join(rng.uniform(0.05, 0.9) * duration)
        if not run.alive():
            assert run.process.exitcode == 0, run.stderr
            duration = min(duration, time.monotonic() - run.started)
            continue
        os.kill(run.pid, signal.SIGINT)
        sent = time.monotonic()
        code = run.wait(60)
        latencies.append(time.monotonic() - sent)
        if code == 0:  # the Ctrl-C came as it finished: nothing left to interrupt
            continue
        interrupts += 1
        assert code == 130, f"exit {code} (seed {seed}):\n{run.stderr}"
        assert "Traceback" not in run.stderr and "interrupted" in run.stderr, run.stderr
        saved = int(run.stderr.split("the ", 1)[1].split(" article")[0]) if "article(s) indexed" in run.stderr else 0
        saved_runs += saved > 0
        try:
            verify(index, versions, set(), rng)
        except AssertionError as exc:
            raise AssertionError(f"after Ctrl-C {interrupts} (round {rounds}, seed {seed}): {exc}") from exc
        with Store.open(index) as store:  # the articles it reported saved are this round's version
            current = sum(digest == file_hash((folder / f"{aid}.txt").read_bytes())
                          for aid, digest in store.db.execute("SELECT id, origin_hash FROM articles"))
        assert current >= saved, f"{saved} reported saved, {current} are this round's (seed {seed})"
    print(f"\n{interrupts} Ctrl-Cs in {rounds} runs; {saved_runs} had committed articles; "
          f"exit after Ctrl-C: median {sorted(latencies)[len(latencies) // 2]:.2f} s, max {max(latencies):.2f} s")
    final = QAProcess(["index", folder, "--index", index], tmp_path, env)
    assert final.wait() == 0, final.stderr
    assert len(verify(index, versions, set(), rng)) == 40


def test_ctrl_c_commits_the_files_already_written(tmp_path, embedder, monkeypatch):
    """Ctrl-C after several embedding batches were written, with the default commit_every (2,000
    paragraphs, so no periodic commit yet): the written articles are committed, not discarded."""

    from qa.index import indexer
    from qa.index.indexer import IndexInterrupted

    monkeypatch.setattr(indexer, "FLUSH_PARAGRAPHS", 16)  # a batch every four articles
    rng = random.Random(5)
    folder, index = tmp_path / "articles", tmp_path / "index"
    versions: dict[str, list[str]] = {}
    write_articles(folder, 40, 0, rng, versions)

    def progress(done: int, total: int) -> None:
        if done == 30:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, delivered to this (main) thread

    with QA(index, create=True) as bot:
        try:
            bot.index([folder], progress=progress)
        except IndexInterrupted as exc:
            interrupted = exc
        else:
            raise AssertionError("the run was not interrupted")
    saved = interrupted.report.articles
    assert 16 <= saved < 40 and f"the {saved} article(s) indexed before it are saved" in str(interrupted)
    with Store.open(index) as store:
        assert store.check() == []
        assert len(store.articles()) == saved
    verify(index, versions, set(), rng)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back as it was
