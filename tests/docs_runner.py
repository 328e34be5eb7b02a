"""Runs the examples in the README and docs/ and compares their output with what the page shows.

A fenced block is an example when the line before it is an HTML comment `<!-- test -->`; the
comment may carry options: `<!-- test: llm -->` (an answer written by the LLM: checked for shape,
not wording), `<!-- test: output -->` (the expected output of the Python block just above).

- ```console blocks: each `$ qa ...` line is run (in-process, the real click command); the lines
  up to the next `$` are its output. `VAR=value qa ...` sets settings for that command and
  `printf '...' | qa ...` pipes input into it. `qa ask` and `qa chat` must say `--llm none`
  unless the block is marked `llm`, so what the page shows is what that command prints.
- ```python blocks are executed; what they print is compared with the `output` block after them.

Each page runs in a fresh folder holding `examples/` (the repo's), so every page starts with no
index. What varies between runs is normalised on both sides: scores (`score 0.1234`,
`"score": 0.1234`) and the folder the page runs in (shown as /home/you/qa). Output that is one
JSON object is compared as JSON and shown indented; JSON Lines are compared line by line.

`QA_DOCS_UPDATE=1 pytest tests/test_docs.py` writes the actual outputs into the pages instead.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOWN_HOME = "/home/you/qa"
MARKER_RE = re.compile(r"^<!--\s*test(?::\s*(?P<options>[\w ,=-]*))?\s*-->\s*$")
FENCE_RE = re.compile(r"^(?P<fence>```+)(?P<lang>[\w-]*)\s*$")
_SCORE_RE = re.compile(r'(score"?:?\s*)-?\d+(?:\.\d+)?(?:e-?\d+)?')
_CITED_LINE_RE = re.compile(r"\[\d+\]\s*$")


class ExampleFailed(AssertionError):
    pass


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    options: set[str]
    body: list[str]
    start: int  # index of the first body line in the file's lines
    end: int  # index of the closing fence


@dataclass
class Run:
    examples: int = 0  # commands and Python blocks run
    skipped: int = 0
    edits: list[tuple[int, int, list[str]]] = field(default_factory=list)  # (start, end, new body lines)


def find_blocks(path: Path, lines: list[str]) -> list[Block]:
    blocks, i = [], 0
    while i < len(lines):
        m = MARKER_RE.match(lines[i])
        if m and i + 1 < len(lines) and (fence := FENCE_RE.match(lines[i + 1])):
            close = next((j for j in range(i + 2, len(lines)) if lines[j].strip() == fence["fence"]), None)
            if close is None:
                raise ExampleFailed(f"{path.name}:{i + 2}: unclosed code block")
            options = {o.strip() for o in (m["options"] or "").replace(",", " ").split() if o.strip()}
            blocks.append(Block(path, i + 2, fence["lang"], options, lines[i + 2 : close], i + 2, close))
            i = close + 1
        else:
            i += 1
    return blocks


def normalise(text: str, home: str) -> str:
    for folder in {home, os.path.realpath(home), str(REPO)}:
        text = text.replace(folder, SHOWN_HOME)
    return _SCORE_RE.sub(r"\g<1>#", text)


def shown(output: str) -> list[str]:
    """How an output is written in a page: one JSON object indented, everything else as printed."""
    text = output.rstrip("\n")
    lines = [ln.rstrip() for ln in text.split("\n")] if text else []
    if len(lines) == 1 and lines[0].startswith("{"):
        with contextlib.suppress(ValueError):
            return json.dumps(json.loads(lines[0]), indent=2, ensure_ascii=False).split("\n")
    return lines


def comparable(lines: list[str], home: str) -> object:
    text = normalise("\n".join(ln.rstrip() for ln in lines).strip("\n"), home)
    if text.startswith("{"):
        with contextlib.suppress(ValueError):
            return json.loads(text)
        with contextlib.suppress(ValueError):
            return [json.loads(line) for line in text.split("\n")]
    return text


def _parse_command(line: str) -> tuple[dict[str, str], list[str], str | None]:
    """`[VAR=v ...] qa ARGS` or `printf '...' | qa ARGS` -> (env, args, stdin)."""
    stdin = None
    if line.startswith("printf "):
        left, _, line = line.partition(" | ")
        stdin = re.sub(r"\\([nt\\])", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), shlex.split(left)[1])
    words = shlex.split(line, comments=True)
    env = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if not words or words[0] != "qa":
        raise ExampleFailed(f"only `qa ...` commands can run in a docs example, not {line!r}")
    return env, words[1:], stdin


def run_qa(args: list[str], env: dict[str, str], stdin: str | None, validate) -> str:
    from click.testing import CliRunner

    from qa.front.cli import main

    result = CliRunner().invoke(main, args, input=stdin, env=env, catch_exceptions=False)
    if validate and ("--json" in args or "--questions" in args):
        for line in result.stdout.splitlines():
            if line.startswith("{"):
                validate(json.loads(line))
    return result.output


def check_llm_answer(output: str, expected: list[str], where: str) -> None:
    """A local LLM's answer against the page: sentences ending in citation markers, then the sources they
    cite; the same sentences quoted under the sources and the same closing notice as the page shows. Only
    their order is the model's (it chooses which lead; the others the extractive answer quotes follow)."""
    check_llm_shape(output, where)
    actual = shown(output)

    def quoted(lines: list[str]) -> list[str]:
        return sorted(ln.strip() for ln in lines if ln.startswith('    "'))

    def last(lines: list[str]) -> list[str]:
        return [ln for ln in lines if ln.strip()][-1:]

    if quoted(actual) != quoted(expected) or last(actual) != last(expected):
        raise ExampleFailed(f"{where}: quoted other sentences or closed otherwise than the page, got:\n"
                            + "\n".join(actual) + "\n\nbut the page shows\n" + "\n".join(expected))


def check_llm_shape(output: str, where: str) -> None:
    """An LLM's answer: sentences ending in citation markers, then the sources they cite."""
    lines = [ln for ln in output.split("\n") if ln.strip()]
    if "Sources:" not in lines:
        raise ExampleFailed(f"{where}: an LLM answer should end with its sources, got:\n{output}")
    answer = lines[: lines.index("Sources:")]
    if not answer or not all(_CITED_LINE_RE.search(ln) for ln in answer):
        raise ExampleFailed(f"{where}: every line of an LLM answer should end with a citation, got:\n{output}")
    if not any(re.match(r"\[\d+\] ", ln) for ln in lines[lines.index("Sources:") + 1 :]):
        raise ExampleFailed(f"{where}: no numbered source after 'Sources:', got:\n{output}")


def run_page(path: Path, home: Path, *, update: bool = False, validate=None, llm_available: bool = False) -> Run:
    """Run every marked example of one page in `home` (the current folder); raise ExampleFailed at
    the first output that differs from the page (or record the new outputs when `update`)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    run = Run()
    python_output: tuple[Block, str] | None = None
    for block in find_blocks(path, lines):
        where = f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}:{block.line}"
        if "output" in block.options:
            if python_output is None:
                raise ExampleFailed(f"{where}: an output block must follow a tested python block")
            _compare(run, block, block.body, python_output[1], str(home), update, where)
            python_output = None
            continue
        if block.lang == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile("\n".join(block.body), where, "exec"), {"__name__": "__docs__"})  # noqa: S102
            run.examples += 1
            python_output = (block, out.getvalue())
            continue
        if block.lang not in ("console", "sh", "shell"):
            raise ExampleFailed(f"{where}: cannot run a {block.lang or 'plain'} block")
        new_body: list[str] = []
        commands = [i for i, ln in enumerate(block.body) if ln.startswith("$ ")]
        if not commands:
            raise ExampleFailed(f"{where}: no `$ qa ...` line to run")
        for n, at in enumerate(commands):
            command = block.body[at][2:]
            expected = block.body[at + 1 : commands[n + 1] if n + 1 < len(commands) else len(block.body)]
            env, args, stdin = _parse_command(command)
            asks = args[:1] in (["ask"], ["chat"])
            if asks and "--llm" not in args and "llm" not in block.options:
                raise ExampleFailed(f"{where}: `{command}` answers with the default LLM; add --llm none, or mark "
                                    "the block `<!-- test: llm -->`")
            if "llm" in block.options and not llm_available:
                run.skipped += 1
                new_body += [block.body[at], *expected]
                continue
            output = run_qa(args, env, stdin, validate)
            run.examples += 1
            new_body.append(block.body[at])
            if "llm" in block.options:
                if not update:
                    check_llm_answer(output, expected, f"{where}: {command}")
                # The order is the model's: the page keeps the run it shows, unless updating.
                new_body += _with_shown_home(shown(output), str(home)) if update else expected
                continue
            actual = shown(output)
            if comparable(expected, str(home)) != comparable(actual, str(home)):
                if not update:
                    raise ExampleFailed(f"{where}: `{command}` printed\n" + "\n".join(actual)
                                        + "\n\nbut the page shows\n" + "\n".join(expected))
            new_body += _with_shown_home(actual, str(home)) if update else expected
        if update and new_body != block.body:
            run.edits.append((block.start, block.end, new_body))
    if update and run.edits:
        for start, end, body in sorted(run.edits, reverse=True):
            lines[start:end] = body
        path.write_text("\n".join(lines), encoding="utf-8")
    return run


def _with_shown_home(lines: list[str], home: str) -> list[str]:
    out = []
    for line in lines:
        for folder in {home, os.path.realpath(home), str(REPO)}:
            line = line.replace(folder, SHOWN_HOME)
        out.append(line)
    return out


def _compare(run: Run, block: Block, expected: list[str], output: str, home: str, update: bool, where: str) -> None:
    actual = shown(output)
    if comparable(expected, home) != comparable(actual, home):
        if not update:
            raise ExampleFailed(f"{where}: the Python example printed\n" + "\n".join(actual)
                                + "\n\nbut the page shows\n" + "\n".join(expected))
        run.edits.append((block.start, block.end, _with_shown_home(actual, home)))
