"""The hand-written BBC archive questions (bench/bbc_archive_questions.json, run by bench/bbc_archive.py):
well formed, and every gold paragraph exists in the articles. Skips when bench-data is absent."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qa.ingest.loaders import load_file

from .conftest import REPO

QUESTIONS = REPO / "bench" / "bbc_archive_questions.json"
DATA = next((p / "shared/bench-data/bbc_news/politics" for p in REPO.parents
             if (p / "shared/bench-data/bbc_news/politics").exists()), None)


def _questions() -> list[dict]:
    return json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]


def test_at_least_thirty_questions_of_every_kind():
    questions = _questions()
    assert len(questions) >= 30
    kinds = Counter(q["kind"] for q in questions)
    assert {"speaker+topic", "name variant", "how did X react", "no name"} <= set(kinds)
    assert len({q["question"] for q in questions}) == len(questions)
    for q in questions:
        assert q["gold"] and all(name.endswith(".txt") and numbers for name, numbers in q["gold"].items())


@pytest.mark.skipif(DATA is None, reason="bench-data/bbc_news/politics is not here")
def test_every_gold_paragraph_exists():
    for q in _questions():
        for name, numbers in q["gold"].items():
            article = load_file(DATA / name, Path(name).stem).articles[0]
            have = {p.number for p in article.paragraphs if p.searchable}
            assert set(numbers) <= have, (q["question"], name, sorted(set(numbers) - have))
