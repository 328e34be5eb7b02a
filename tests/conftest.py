"""Shared fixtures: the real packaged model, real SQLite and FAISS, on small data in temp folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "articles" / "reuters-2024-11-07-trump-kim.txt"


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
    from qa.embeddings import Embedder

    return Embedder()


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


@pytest.fixture
def cli(monkeypatch):
    """Run the real click command in-process (the model stays loaded between calls)."""
    from click.testing import CliRunner

    from qa.cli import main

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


def pytest_terminal_summary(terminalreporter, config):
    """How many runs the CLI fuzzer (tests/test_fuzz_cli.py) generated per command."""
    counts = getattr(config, "qa_fuzz_counts", None)
    if counts:
        terminalreporter.write_sep("-", "CLI fuzzer runs per command: "
                                   + ", ".join(f"{command} {n}" for command, n in sorted(counts.items())))
