"""`qa chat` driven through a real pseudo-terminal, and piped; follow-up rewriting without an LLM."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pexpect
import pytest

from .conftest import validate_json

# prompt_toolkit asks the terminal for the cursor position each time it starts a new prompt: a
# reliable "ready for the next line" marker, unlike the prompt text, which is redrawn as keys arrive.
PROMPT = "\x1b[6n"
# A terminal answers that request with the cursor's position; pexpect's pseudo-terminal does not, and
# then prompt_toolkit waits 1 s for the answer after each line entered. The tests answer as a terminal.
CURSOR_POSITION = "\x1b[1;1R"


def next_prompt(child) -> None:
    """Wait for the next prompt, and answer its cursor position request."""
    child.expect_exact(PROMPT)
    child.send(CURSOR_POSITION)


def spawn_chat(index, tmp_path, llm="none", extra=(), wait=True):
    """`qa chat` on a pseudo-terminal; `wait`: until its first prompt (answered)."""
    env = {**os.environ, "QA_LLM": llm, "QA_CONFIG": str(tmp_path / "none.toml"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "TERM": "xterm-256color"}
    child = pexpect.spawn(sys.executable, ["-m", "qa", "chat", "--index", str(index), *extra], env=env,
                          encoding="utf-8", timeout=240, dimensions=(60, 250))
    if wait:
        next_prompt(child)
    return child


def ask(child, text):
    child.sendline(text)
    next_prompt(child)
    return child.before


def test_three_turn_conversation_follows_the_speaker(sample_index, tmp_path):
    child = spawn_chat(sample_index, tmp_path)
    first = ask(child, "What did Klingner say?")
    assert "¶22" in first and "¶24" in first
    second = ask(child, "And what did Pardo say?")
    assert "→ What did Pardo say?" in second
    assert "¶13" in second and "¶21" in second and "¶22" not in second
    third = ask(child, "Why does he think Trump would talk?")
    assert "→ Why does Pardo think Trump would talk?" in third
    assert "¶13" in third or "¶21" in third
    child.sendline("/quit")
    child.expect(pexpect.EOF)


def test_slash_commands(sample_index, tmp_path):
    child = spawn_chat(sample_index, tmp_path)
    assert "/sources" in ask(child, "/help")
    assert "no answer yet" in ask(child, "/sources")
    ask(child, "Who did North Korea sign a mutual defence treaty with?")
    sources = ask(child, "/sources")
    assert "1. " in sources and "¶10" in sources
    opened = ask(child, "/open 1")
    assert "¶9" in opened and "¶10" in opened and "¶11" in opened
    assert "k = 2" in ask(child, "/k 2")
    assert "Klingner" in ask(child, "/speakers")
    assert "reuters-2024-11-07-trump-kim" in ask(child, "/articles")
    assert "JSON output on" in ask(child, "/json")
    as_json = ask(child, "What did Klingner say?")
    payload = validate_json(json.loads(as_json[as_json.index("{"): as_json.rindex("}") + 1]))
    assert len(payload["passages"]) == 2 and payload["citations"]
    assert '{"command": "json", "json": false}' in ask(child, "/json")  # said in JSON, as it was asked
    assert "Conversation forgotten" in ask(child, "/reset")
    assert "unknown command" in ask(child, "/nope")
    assert "answering with: extractive" in ask(child, "/llm none")
    child.sendeof()  # Ctrl-D leaves
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_history_persists_across_sessions(sample_index, tmp_path):
    child = spawn_chat(sample_index, tmp_path)
    ask(child, "/k 4")
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    assert "/k 4" in (tmp_path / "data" / "qa" / "chat_history").read_text()
    child = spawn_chat(sample_index, tmp_path)
    child.send("\x1b[A")  # arrow up: "/quit", the last line of the previous session
    child.send("\x1b[A")  # and once more: "/k 4"
    child.send("\r")
    child.expect_exact("k = 4")
    child.sendline("/quit")
    child.expect(pexpect.EOF)


def test_piped_questions(sample_index, tmp_path):
    env = {**os.environ, "QA_LLM": "none", "QA_CONFIG": str(tmp_path / "none.toml")}
    run = subprocess.run([sys.executable, "-m", "qa", "chat", "--index", str(sample_index), "--json"],
                         input="What did Klingner say?\nAnd what did Pardo say?\n", capture_output=True,
                         text=True, env=env, timeout=240)
    assert run.returncode == 0, run.stderr
    answers = [validate_json(json.loads(line)) for line in run.stdout.splitlines() if line.startswith("{")]
    assert [a["standalone_question"] for a in answers] == ["What did Klingner say?", "What did Pardo say?"]
    assert {c["paragraph"] for c in answers[1]["citations"]} <= {13, 21}


def test_piped_json_chat_writes_only_json_and_refuses_an_unknown_llm(sample_index, tmp_path):
    """With --json every line on stdout is a JSON object, slash commands' and errors' included; an
    unknown `/llm` name is refused at once and the questions after it are still answered."""
    env = {**os.environ, "QA_LLM": "none", "QA_CONFIG": str(tmp_path / "none.toml")}
    script = ["/help", "/sources", "What did Klingner say?", "/sources", "/open 1", "/speakers", "/articles",
              "/k 3", "/llm bogus", "/llm", "What did Pardo say?", "/reset", "/nope", "/json"]
    run = subprocess.run([sys.executable, "-m", "qa", "chat", "--index", str(sample_index), "--json"],
                         input="\n".join(script) + "\n", capture_output=True, text=True, env=env, timeout=240)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]  # every line parses
    commands = [line.get("command") for line in lines]
    assert commands == ["help", None, None, "sources", "open", "speakers", "articles", "k", None, "llm", None,
                        "reset", None, "json"], lines
    assert lines[1] == {"error": "no answer yet; ask a question first"}
    assert "unknown LLM backend 'bogus'" in lines[8]["error"] and "unknown LLM backend" in run.stderr
    assert lines[9]["backend"] == "extractive"
    assert lines[10]["standalone_question"] == "What did Pardo say?" and lines[10]["citations"]
    assert lines[3]["passages"] and lines[4]["paragraphs"] and lines[7] == {"command": "k", "k": 3}
    assert lines[13] == {"command": "json", "json": False}


def test_follow_ups_the_rules_resolve_cost_no_llm_call(sample_index):
    """A follow-up that names its speaker, or whose "he" is the speaker under discussion, is rewritten
    by the rules even when an LLM is configured; the LLM only gets what they leave open."""
    from qa.api import QA
    from qa.front.chat import Conversation

    from .fake_llm_server import FakeLLMServer

    with FakeLLMServer("ok", reply="What did Pardo say about the summit?") as server, \
            QA(sample_index, llm="openai", base_url=server.url, llm_model="fake-model") as bot:
        conversation = Conversation(bot)
        conversation.ask("What did Klingner say?")
        asked = server.chat_requests  # the answer's own call
        assert conversation.standalone("And what did Pardo say?") == "What did Pardo say?"
        assert conversation.standalone("and Pardo?") == "What did Pardo say?"
        assert conversation.standalone("Why does he think Trump would talk?") == \
            "Why does Klingner think Trump would talk?"
        assert server.chat_requests == asked
        assert conversation.standalone("What did they agree on?") == "What did Pardo say about the summit?"
        assert server.chat_requests == asked + 1


@pytest.mark.parametrize(
    "turns, expected",
    [
        (["What did Klingner say?", "and Pardo?"], "What did Pardo say?"),
        (["What did Klingner say about military exercises?", "what about Pardo?"],
         "What did Pardo say about military exercises?"),
        (["What did Pardo say?", "Why does he think Trump would talk?"], "Why does Pardo think Trump would talk?"),
        (["What did Klingner say?", "What did the South Korean official say?"],
         "What did the South Korean official say?"),
    ],
)
def test_follow_up_rules_without_llm(sample_bot, turns, expected):
    from qa.front.chat import Conversation

    conversation = Conversation(sample_bot)
    for turn in turns[:-1]:
        conversation.ask(turn)
    assert conversation.standalone(turns[-1]) == expected


def test_local_llm_session_erases_its_loading_line_and_ctrl_c_cancels_only_the_answer(sample_index, tmp_path):
    """One `qa chat` with the local model (loading it is most of the cost, so one session checks both):
    "Loading the LLM..." shows while the model loads and is gone from the screen when the first prompt
    appears, so what the user types starts on a clean line; then Ctrl-C during an answer cancels the
    answer, not the session."""
    import pyte

    screen = pyte.Screen(250, 60)
    stream = pyte.Stream(screen)
    child = spawn_chat(sample_index, tmp_path, llm="local", wait=False)
    child.expect_exact(PROMPT)
    shown = child.before + child.after
    child.send(CURSOR_POSITION)
    child.send("What did")
    child.expect_exact("What did")
    stream.feed(shown + child.before + child.after)
    assert "Loading the LLM..." in shown  # it was shown while loading
    lines = [line.rstrip() for line in screen.display if line.strip()]
    assert not any("Loading the LLM" in line for line in lines), lines
    assert lines[-1] == "qa> What did", lines

    child.sendline(" Klingner say about Trump and the Nobel Peace Prize?")
    child.expect("\x1b\\[2m")  # the answer has started to show (a statement is quoted at once)
    child.sendintr()
    # the rest of the answer is cut short ("cancelled"), or it was already shown and the prompt is back:
    # either way the session goes on
    if child.expect_exact(["cancelled", PROMPT]) == 0:
        child.expect_exact(PROMPT)
    child.send(CURSOR_POSITION)
    # a Ctrl-C that reached the prompt after the answer ended draws a fresh prompt: wait for the reply itself
    child.sendline("/llm none")
    child.expect_exact("answering with: extractive")
    next_prompt(child)
    assert "¶24" in ask(child, "What did Klingner say?")
    child.sendline("/quit")
    child.expect(pexpect.EOF)
