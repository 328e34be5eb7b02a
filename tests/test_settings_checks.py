"""Settings are checked by one set of rules wherever they come from (flag, QA_* variable, config file,
--questions, HTTP, MCP), and the small things around a question: an empty one is "the question is
empty", an answer is never empty and unflagged, a QUESTION beside --questions is a usage error, and
chat's /open on an article removed since the answer says so. Each was once a traceback, a SIGABRT or a
silent surprise."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from rich.console import Console

from qa.api import QA
from qa.config import K_MAX, check_setting, load_settings, max_threads
from qa.errors import QAError

SAMPLE_ID = "reuters-2024-11-07-trump-kim"


@pytest.fixture
def no_config(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    monkeypatch.setenv("QA_CONFIG", str(path))
    return path


@pytest.mark.parametrize("variable, value, message", [
    ("QA_MAX_FILE_MB", "nan", "max_file_mb must be a number above 0"),
    ("QA_MAX_FILE_MB", "inf", "max_file_mb must be a number above 0"),
    ("QA_MAX_FILE_MB", "1e400", "max_file_mb must be a number above 0"),
    ("QA_LLM_THREADS", "100000", "llm_threads must be a whole number from 1 to"),
    ("QA_LLM_THREADS", "2.5", "llm_threads must be a whole number"),
    ("QA_K", "1000", f"k must be a whole number from 1 to {K_MAX}"),
    ("QA_LLM_TIMEOUT", "-inf", "llm_timeout must be a number above 0"),
    ("QA_COMMIT_EVERY", "true", "commit_every must be a whole number"),
])
def test_bad_numbers_in_the_environment_are_clear_errors(no_config, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(QAError, match=message) as raised:
        load_settings()
    assert str(raised.value).startswith(f"{variable}: ")


def test_the_same_rules_hold_for_flags_and_the_config_file(no_config, monkeypatch):
    no_config.write_text("max_file_mb = inf\n")
    with pytest.raises(QAError, match=f"{no_config}: max_file_mb must be a number above 0"):
        load_settings()
    no_config.write_text(f"llm_threads = {max_threads() + 1}\n")
    with pytest.raises(QAError, match="llm_threads must be a whole number from 1 to .* per core"):
        load_settings()
    no_config.write_text("k = 7\nllm_threads = 1\n")
    assert (load_settings().k, load_settings().llm_threads) == (7, 1)
    with pytest.raises(QAError, match="--k: k must be a whole number from 1 to 100"):
        load_settings(k=0)
    with pytest.raises(QAError, match="--max-file-mb: max_file_mb must be a number above 0"):
        load_settings(max_file_mb=float("nan"))
    # HTTP and MCP give k too: the same function, the same bound
    assert check_setting("k", "5", "the request") == 5
    with pytest.raises(QAError, match="the request: k must be a whole number from 1 to 100"):
        check_setting("k", 1e400, "the request")


def test_a_bad_approximate_from_is_an_error_not_a_traceback(sample_index, tmp_path):
    env = {**os.environ, "QA_APPROXIMATE_FROM": "abc", "QA_CONFIG": str(tmp_path / "none.toml")}
    run = subprocess.run([sys.executable, "-m", "qa", "search", "Klingner", "--index", str(sample_index)],
                         capture_output=True, text=True, env=env, timeout=240)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "QA_APPROXIMATE_FROM: approximate_from must be a whole number" in run.stderr


@pytest.mark.parametrize("question", ["?", "...", " !? ", "\u2014"])
def test_a_question_with_no_words_is_empty(cli, sample_index, question):
    out = cli("ask", question, "--index", sample_index, "--llm", "none")
    assert out.exit_code == 1 and "the question is empty" in out.output and "injection" not in out.output
    out = cli("search", question, "--index", sample_index)
    assert out.exit_code == 1 and "the question is empty" in out.output


def test_questions_file_lines_with_no_words_are_empty_questions(cli, sample_index, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("?\nWhat did Klingner say?\n")
    out = cli("ask", "--questions", questions, "--index", sample_index, "--llm", "none")
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert lines[0] == {"question": "?", "error": "the question is empty"}
    assert lines[1]["citations"]


def test_a_question_beside_questions_file_is_a_usage_error(cli, sample_index, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("What did Klingner say?\n")
    for command in ("ask", "search"):
        out = cli(command, "Who is Pardo?", "--questions", questions, "--index", sample_index)
        assert out.exit_code == 2 and "not both" in out.output, out.output


def test_an_answer_is_never_empty_and_unflagged(sample_index, monkeypatch):
    """Whatever an answerer returns, an answer with no words reaches nobody as a real answer."""
    import qa.answer.extractive as extractive

    real = extractive.answer_extractively

    def wordless(*args, **kwargs):
        return replace(real(*args, **kwargs), text=" [1] ", abstained=False)

    monkeypatch.setattr(extractive, "answer_extractively", wordless)
    with QA(sample_index, llm="none") as bot:
        answer = bot.ask("What did Klingner say?")
    assert answer.abstained and any(c.isalnum() for c in answer.text) and not answer.citations
    assert answer.as_json()["answer"] and answer.warning


def test_chat_open_after_the_article_was_removed_says_so(writable_index):
    from qa.front.chat import Conversation, run_repl

    out = io.StringIO()
    console = Console(file=out, width=200)
    with QA(writable_index, llm="none") as bot:
        conversation = Conversation(bot, k=3)
        lines = iter(["What did Klingner say?", "REMOVE", "/open 1"])

        def read_line():
            line = next(lines, None)
            if line is None:
                raise EOFError
            if line == "REMOVE":
                bot.remove([SAMPLE_ID])
                return "/help"
            return line

        run_repl(conversation, console, console, interactive=False, read_line=read_line)
    text = out.getvalue()
    assert "is no longer in the index" in text and SAMPLE_ID in text, text
