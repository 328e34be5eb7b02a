"""Milvus indexes as readers and killed writers meet them: damage is reported by every command (not
found as "No passages found."), and a SIGKILLed `qa index` keeps the file hashes of every batch it
finished, so the next run embeds only what was lost. Every Milvus client runs in a process of its
own (a client idle in this process while others work is cut off by the server's ping limit)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from .conftest import REPO, SAMPLE
from .procs import QAProcess
from .test_crash import index_env, write_articles


def python(code: str, *args, tmp_path) -> str:
    """Run `code` (with `address` etc. from argv) in a Python process of its own; its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(index_env(tmp_path))
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, text=True,
                          cwd=REPO, timeout=1500)
    assert done.returncode == 0, done.stderr
    return done.stdout


DAMAGE = """
import sys
from qa.index.milvus_store import MilvusStore
with MilvusStore.open(sys.argv[1]) as store:
    if sys.argv[2] == "dropped":
        store._call(store.client.drop_collection, store._name("paragraphs"))
    else:
        store.delete("paragraphs", "id >= 0")
"""

STATE = """
import json, sys
from qa.index.milvus_store import MilvusStore
with MilvusStore.open(sys.argv[1]) as store:
    print(json.dumps({"visible": sorted(r["id"] for r in store.article_rows()), "recorded": store.origin_hashes()}))
"""


def qa_started(args: list, tmp_path) -> QAProcess:
    """`qa ARGS` in a process of its own: a fork of tests/procs.py's server, which has qa imported and the
    embedding model loaded but has never opened a Milvus client (a fresh interpreter spends seconds on
    that start-up, and these tests run a dozen `qa` commands each)."""
    return QAProcess(args, tmp_path, index_env(tmp_path))


def finished(run: QAProcess) -> subprocess.CompletedProcess:
    code = run.wait(1500)
    return subprocess.CompletedProcess(run.args, code, run.stdout, run.stderr)


def qa_cli(args: list, tmp_path) -> subprocess.CompletedProcess:
    return finished(qa_started(args, tmp_path))


@pytest.mark.parametrize("damage", ["dropped", "emptied"])
def test_a_damaged_collection_is_reported_by_search_list_and_index(lite_server, tmp_path, embedder, damage):
    address = f"{lite_server}#damaged_{damage}"
    assert qa_cli(["index", SAMPLE, "--index", address], tmp_path).returncode == 0
    python(DAMAGE, address, damage, tmp_path=tmp_path)
    reads = (["search", "What did Klingner say?"], ["ask", "What did Klingner say?"], ["list"], ["check"])
    running = [qa_started([*command, "--index", address], tmp_path) for command in reads]  # side by side
    *done_reads, check = map(finished, running)
    writing = qa_cli(["index", SAMPLE, "--index", address], tmp_path)
    for command, done in zip([*reads[:-1], ["index", SAMPLE]], [*done_reads, writing]):
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "damaged" in done.stderr and "--rebuild" in done.stderr, done.stderr
        assert "No passages found" not in done.stdout and "Traceback" not in done.stderr
    assert check.returncode == 1 and "damaged" in check.stderr + check.stdout
    rebuilt = qa_cli(["index", "--rebuild", SAMPLE, "--index", address], tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    found = qa_cli(["search", "What did Klingner say?", "--index", address, "--json"], tmp_path)
    assert json.loads(found.stdout)["passages"][0]["paragraph"] == 22


KILLER = """
import os, sys
from qa.api import QA
from qa.index import indexer
from qa.index.indexer import index_paths
address, folder, stop_at, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
indexer.FLUSH_PARAGRAPHS = batch  # paragraphs per embedding batch (512 by default)

def progress(done, total):
    if done == stop_at:
        os._exit(9)  # as SIGKILL: no cleanup, no final commit

with QA(address, create=True) as bot:
    index_paths(bot.store, bot.embedder, [folder], progress=progress)
"""


def test_a_killed_milvus_run_keeps_the_hashes_of_the_batches_it_wrote(lite_server, tmp_path, embedder):
    """60 files of 4 paragraphs, embedded in batches of 64 paragraphs (16 files; the killed run's batch
    size is set down from 512 so that a small folder makes several batches) and written one batch behind
    the embedding: a run killed at the 50th file has written two batches; the next run finds those
    files unchanged and embeds only the rest."""
    folder, versions = tmp_path / "articles", {}
    write_articles(folder, 60, 0, random.Random(3), versions)
    address = f"{lite_server}#killed_batches"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(index_env(tmp_path))
    killed = subprocess.run([sys.executable, "-c", KILLER, address, str(folder), "50", "64"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=1200)
    assert killed.returncode == 9, killed.stderr
    state = json.loads(python(STATE, address, tmp_path=tmp_path))
    visible, recorded = set(state["visible"]), state["recorded"]
    assert len(visible) >= 32, len(visible)  # the batches of files 1-16 and 17-32 were written
    assert len(recorded) == len(visible)  # each file whose articles are visible is recorded
    rerun = qa_cli(["index", folder, "--index", address, "--json"], tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout.splitlines()[-1])
    assert report["unchanged"] == len(visible)
    assert report["articles"] == 60 - len(visible) and report["total_articles"] == 60
