"""`qa ask` on a real terminal (a pseudo-terminal): the LLM's draft streams, then the verified answer."""

from __future__ import annotations

import os
import sys

import pexpect


def test_ask_streams_draft_then_prints_verified_answer(sample_index, tmp_path):
    env = {**os.environ, "QA_LLM": "local", "QA_CONFIG": str(tmp_path / "none.toml"), "COLUMNS": "200",
           "TERM": "xterm-256color"}
    child = pexpect.spawn(sys.executable, ["-m", "qa", "ask", "Who did North Korea sign a mutual defence treaty with?",
                                           "--index", str(sample_index)], env=env, encoding="utf-8", timeout=240,
                          dimensions=(50, 200))
    child.expect("Sources:")
    before = child.before
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, before
    # The live draft is drawn in dim style (SGR 2) and erased (cursor up / erase line) before the final answer.
    assert "\x1b[2m" in before and ("\x1b[2K" in before or "\x1b[1A" in before)
    assert "Russia" in before and "[1]" in before
    assert "¶10" in child.before
