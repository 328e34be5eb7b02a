"""Shared fixtures: the real packaged model, real SQLite and FAISS, on small data in temp folders."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import pytest

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

# Tests send Ctrl-C (SIGINT) to qa in this process and in the processes they start, which inherit an
# ignored SIGINT: a shell ignores it in what it runs in the background without job control (`pytest &`
# in a script) and nohup may too, and qa then rightly keeps it ignored (those tests failed: exit 0,
# not 130). The suite takes Ctrl-C back for itself and its processes.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "articles" / "reuters-2024-11-07-trump-kim.txt"
SCHEMA = REPO / "docs" / "schema.json"


@cache
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# Which of the schema's shapes an output claims to be, by a key only that shape has.
_SHAPES = [("question", "answer"), ("query", "search"), ("feeds", "update"), ("paragraphs_embedded", "index"), ("ok", "check"),
           ("articles", "list"), ("speakers", "speakers"), ("error", "error")]


def validate_json(payload: object) -> object:
    """Every `--json` output the tests see must match the published schema (docs/schema.json)."""
    errors = list(_validator().iter_errors(payload))
    if errors:
        import jsonschema

        shape = next((name for key, name in _SHAPES if isinstance(payload, dict) and key in payload), None)
        if shape is not None:  # name the field that is wrong, not just "matches none of the shapes"
            schema = {**_validator().schema, "anyOf": [{"$ref": f"#/$defs/{shape}"}]}
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(payload)) or errors
        best = jsonschema.exceptions.best_match(errors)
        raise AssertionError(f"--json output does not match docs/schema.json ({shape or 'no shape'}): "
                             f"{best.message[:300]} at {list(best.absolute_path)}")
    return payload


def validate_json_lines(text: str) -> None:
    """Validate each line of `text` that is a JSON object (stderr lines may be mixed in)."""
    for line in text.splitlines():
        if line.startswith("{"):
            validate_json(json.loads(line))


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory, monkeypatch):
    """No test reads the developer's own config file or QA_* settings."""
    monkeypatch.setenv("QA_CONFIG", str(tmp_path_factory.getbasetemp() / "no-config.toml"))
    for name in list(os.environ):
        if name.startswith("QA_") and name != "QA_CONFIG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("QA_LLM", "none")  # extractive unless a test asks for an LLM: LLM tests are few


@pytest.fixture(scope="session")
def embedder():
    """The built-in model; loaded once per test session (the loader caches it for everyone)."""
    from qa.ingest.embeddings import Embedder

    return Embedder()


@pytest.fixture
def fake_llm(monkeypatch):
    """tests/fakes.py's LLM backend in place of a real one for every QA the test makes, the CLI's
    included (not in other processes): for tests of the answer pipeline's logic, not of a model or a
    server. It answers when a test asks for an LLM (`--llm openai`, `QA(llm="openai")`); `auto` and
    `none` stay extractive. Returns the backend (set its `reply`)."""
    from tests.fakes import FakeBackend

    backend = FakeBackend()
    monkeypatch.setattr("qa.answer.llm.choose_backend",
                        lambda settings: None if (settings.llm or "auto").lower() in ("auto", "none") else backend)
    return backend


@pytest.fixture
def fake_models(monkeypatch, fake_llm):
    """The fake embedder (tests/fakes.py) for every QA the test makes, the CLI's included, and the fake
    LLM backend: for tests of qa's logic (input checks, storage) that need no model's judgement. An
    index it builds records the fake model, so only such tests can open it."""
    from tests.fakes import FakeEmbedder

    monkeypatch.setattr("qa.api.Embedder", FakeEmbedder)
    return fake_llm


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedder) -> Path:
    """An index of the sample article, built once; tests must not change it (copy it first)."""
    from qa.api import QA

    path = tmp_path_factory.mktemp("sample") / "index"
    with QA(path, create=True) as bot:
        bot.index([SAMPLE])
    return path


@pytest.fixture
def sample_bot(sample_index, embedder):
    from qa.api import QA

    with QA(sample_index) as bot:
        yield bot


@pytest.fixture
def writable_index(sample_index, tmp_path) -> Path:
    """A private copy of the sample index that a test may change."""
    target = tmp_path / "index"
    shutil.copytree(sample_index, target)
    return target


@pytest.fixture(scope="session")
def lite_server(tmp_path_factory):
    """A Milvus Lite server process (what `milvus-lite server` runs), on a free local port, shared by the
    Milvus test modules (each of their indexes has a `#NAME` of its own)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path_factory.mktemp("server") / "data.db"
    log = open(data.parent / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data), "--host",
                               "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, (data.parent / "server.log").read_text()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert time.monotonic() < deadline, "Milvus Lite server did not start in 60 s"
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(30)
    log.close()


@pytest.fixture
def cli(monkeypatch):
    """Run the real click command in-process (the model stays loaded between calls)."""
    from click.testing import CliRunner

    from qa.front.cli import main

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        args = [str(a) for a in args]
        result = runner.invoke(main, args, input=input, catch_exceptions=False)
        if "--json" in args or "--questions" in args:
            validate_json_lines(result.stdout)
        return result

    return run


def pytest_terminal_summary(terminalreporter, config):
    """How many runs the CLI fuzzer (tests/test_fuzz_cli.py) generated per command."""
    counts = getattr(config, "qa_fuzz_counts", None)
    if counts:
        terminalreporter.write_sep("-", "CLI fuzzer runs per command: "
                                   + ", ".join(f"{command} {n}" for command, n in sorted(counts.items())))
    from . import test_docs  # how many docs examples ran, per page

    if test_docs.EXAMPLES_RUN:
        counts = ", ".join(f"{page} {n}" for page, n in test_docs.EXAMPLES_RUN.items() if n)
        skipped = sum(test_docs.EXAMPLES_SKIPPED.values())
        terminalreporter.write_line(f"docs examples run: {sum(test_docs.EXAMPLES_RUN.values())} ({counts})"
                                    + (f"; {skipped} LLM example(s) not run (QA_DOCS_LLM=0, or no local model installed)" if skipped else ""))
