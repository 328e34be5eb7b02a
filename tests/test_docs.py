"""The docs are true: every marked example in README.md and docs/ runs, and prints what the page shows.

`QA_DOCS_UPDATE=1 .venv/bin/pytest -q tests/test_docs.py` rewrites the shown outputs in place (after a
change of behaviour: read the diff before committing it). The examples marked as local LLM output run
with the local model when it is installed (`QA_DOCS_LLM=0` leaves them out): the sentences they quote and
their closing notice are checked, not the order the model chose. docs/cli.md is checked here too; it is
regenerated with `.venv/bin/python tools/cli_reference.py`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, validate_json
from .docs_runner import ExampleFailed, find_blocks, run_page

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# Read at import: the tests' fixtures clear every QA_* variable.
UPDATE = os.environ.get("QA_DOCS_UPDATE") == "1"
RUN_LLM = os.environ.get("QA_DOCS_LLM") != "0"
EXAMPLES_RUN: dict[str, int] = {}  # page -> examples run; reported at the end of the test session
EXAMPLES_SKIPPED: dict[str, int] = {}  # page -> LLM examples not run (QA_DOCS_LLM=0, or no local model)


def _llm_available() -> bool:
    """LLM examples (marked `llm`) run when the local model is installed (./setup.sh installs it), unless
    QA_DOCS_LLM=0: one answer takes seconds (a minute on a very busy 2-core machine)."""
    if not RUN_LLM:
        return False
    from qa.answer.local_model import find_local_model

    return find_local_model() is not None


@pytest.fixture
def page_home(tmp_path, monkeypatch, sample_index):
    """A folder as a reader's clone is after ./setup.sh: the repo's examples, and ./index holding the
    sample article (setup.sh runs `qa index examples/articles`)."""
    (tmp_path / "examples").symlink_to(REPO / "examples")
    shutil.copytree(sample_index, tmp_path / "index")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QA_LLM", raising=False)  # examples say --llm none themselves (the runner insists)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # chat history
    return tmp_path


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_examples_print_what_the_page_shows(page: Path, page_home: Path):
    run = run_page(page, page_home, update=UPDATE, validate=validate_json, llm_available=_llm_available())
    EXAMPLES_RUN[str(page.relative_to(REPO))] = run.examples
    EXAMPLES_SKIPPED[str(page.relative_to(REPO))] = run.skipped
    if page.name == "README.md":
        assert run.examples >= 10, "the README's examples are no longer marked to run"


def test_a_local_llm_example_is_checked_but_for_its_order():
    """The README's local LLM answer: the model chooses which sentences lead, so their order may differ
    from the page; another sentence quoted, or another closing notice, fails."""
    from .docs_runner import check_llm_answer

    lines = (REPO / "README.md").read_text(encoding="utf-8").split("\n")
    block = next(b for b in find_blocks(REPO / "README.md", lines) if "llm" in b.options)
    page = block.body[1:]
    answer, rest = page[: page.index("Sources:")], page[page.index("Sources:"):]
    sentences = re.findall(r".+?\[\d+\](?:\s|$)", answer[0])
    assert len(sentences) >= 2, "the example no longer shows a model's choice leading other sentences"
    swapped = ["".join(reversed(sentences)).strip(), *answer[1:], *rest]
    check_llm_answer("\n".join(swapped), page, "README")
    quote = next(n for n, ln in enumerate(rest) if ln.startswith('    "'))
    other = [*answer, *rest[:quote], '    "A sentence the page does not show."', *rest[quote + 1:]]
    with pytest.raises(ExampleFailed, match="quoted other sentences"):
        check_llm_answer("\n".join(other), page, "README")
    with pytest.raises(ExampleFailed, match="quoted other sentences"):
        check_llm_answer("\n".join([*answer, *rest[:-1], "Another notice."]), page, "README")


def test_a_broken_example_fails(tmp_path, page_home):
    """Changing one character of a shown output fails the run, naming the page and line."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    lines = readme.split("\n")
    block = next(b for b in find_blocks(REPO / "README.md", lines) if b.lang == "console" and len(b.body) > 1
                 and "llm" not in b.options)
    output_line = block.start + 1  # the first line of output after the block's first command
    lines[output_line] = lines[output_line] + " (changed)"
    broken = tmp_path / "README.md"
    broken.write_text("\n".join(lines[: block.end + 1]), encoding="utf-8")
    with pytest.raises(ExampleFailed, match=r"printed"):
        run_page(broken, page_home, validate=validate_json)


def test_every_page_is_linked_from_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for page in (REPO / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, f"docs/{page.name} is not linked from the README"
    assert len(readme.splitlines()) <= 250


def test_cli_reference_is_current():
    sys.path.insert(0, str(REPO / "tools"))
    try:
        from cli_reference import render
    finally:
        sys.path.pop(0)
    shown = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    if UPDATE:
        (REPO / "docs" / "cli.md").write_text(render(), encoding="utf-8")
        return
    assert shown == render(), "docs/cli.md is stale: run `.venv/bin/python tools/cli_reference.py`"


def test_no_word_about_how_the_project_was_made():
    found = subprocess.run(["grep", "-rniE", r"session [0-9]|this session|issue [0-9]", "README.md", "docs",
                            "bench", "qa"], cwd=REPO, capture_output=True, text=True).stdout
    assert found == ""


def test_ruff_passes():
    ruff = Path(sys.executable).with_name("ruff")
    assert ruff.exists(), "ruff is not installed: pip install -e '.[dev]' (./setup.sh does)"
    out = subprocess.run([str(ruff), "check", "qa", "tests", "bench", "tools"], cwd=REPO, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_public_api_has_docstrings():
    import inspect

    import qa

    for name in qa.__all__:
        obj = getattr(qa, name)
        doc = inspect.getdoc(obj) or ""
        assert doc and not re.match(rf"{name}\(", doc), f"qa.{name} has no docstring of its own"
        for attr, member in vars(obj).items():
            if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
                assert inspect.getdoc(member), f"qa.{name}.{attr} has no docstring"


# Inside qa/answer/, the same rule: a question's path runs one way, from the shared evidence through an
# answerer to the LLM pipeline, never back.
ANSWER_LAYERS = [
    {"citations", "injection", "runtime", "local_model"},
    {"verification", "evidence", "answerability", "listing", "backends"},
    {"extractive", "metadata", "prompts", "dated_answers", "timeline", "coverage"},
    {"local_backend", "openai_backend"},
    {"llm"},
]


def test_answer_modules_follow_their_layers():
    layer = {name: n for n, names in enumerate(ANSWER_LAYERS) for name in names}
    folder = REPO / "qa" / "answer"
    assert {p.stem for p in folder.glob("*.py")} - {"__init__"} == set(layer), "ANSWER_LAYERS names every module"
    wrong = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        targets = re.findall(r"^\s*from \.(\w+)", text, re.MULTILINE)
        targets += [t for names in re.findall(r"^\s*from \. import ([\w, ]+)", text, re.MULTILINE)
                    for t in re.split(r"\s*,\s*", names.strip())]
        for target in targets:
            if path.stem != "__init__" and layer[target] > layer[path.stem]:
                wrong.append(f"qa/answer/{path.name} imports {target}")
    assert not wrong, "imports against the layers of qa/answer/ in docs/architecture.md: " + "; ".join(wrong)


_ENV_READ_RE = re.compile(r"""(?:environ(?:\.get)?|getenv)\s*[(\[]\s*["'](QA_\w+)""")
# `qa serve` reads its token itself; config.serve_token() reads the same variable the same way.
_ENV_ELSEWHERE: set[tuple[str, str]] = set()


def test_qa_settings_are_read_in_config_and_documented():
    """Every QA_* variable is read in qa/config.py (nowhere else) and named in docs/settings.md."""
    elsewhere = {(str(p.relative_to(REPO / "qa")), name)
                 for p in (REPO / "qa").rglob("*.py") if p.name != "config.py"
                 for name in _ENV_READ_RE.findall(p.read_text(encoding="utf-8"))}
    assert elsewhere <= _ENV_ELSEWHERE, f"QA_* variables read outside qa/config.py: {sorted(elsewhere - _ENV_ELSEWHERE)}"
    from qa.config import Settings

    config = (REPO / "qa" / "config.py").read_text(encoding="utf-8")
    names = set(_ENV_READ_RE.findall(config)) | {f"QA_{f.upper()}" for f in Settings.__dataclass_fields__}
    assert "QA_MODEL_DIR" in names and "QA_EMBED_INT8" in names
    page = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    unnamed = sorted(n for n in names if f"`{n}`" not in page)
    assert not unnamed, f"docs/settings.md does not name {unnamed}"
