"""The archive answer questions (bench/archive_answers_questions.json, scored by bench/archive_answers.py):
well formed, every kind in both halves and in the held-out split (written from articles no tune or test question
has as gold), gold paragraphs that exist and hold the expected phrases, and a
scorer that tells a right answer from a partial one, an uncited one and an abstention. The checks against
the articles skip when bench-data is absent."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter

import pytest

from qa.answer.citations import Answer, Citation
from qa.ingest.loaders import load_file
from qa.index.records import Passage

from .conftest import REPO

QUESTIONS = REPO / "bench" / "archive_answers_questions.json"
KINDS = {"who-said", "fact", "why-how", "list", "unanswerable"}
CATEGORIES = {"business", "entertainment", "politics", "sport", "tech"}
DATA = next((p / "shared/bench-data/bbc_news" for p in REPO.parents
             if (p / "shared/bench-data/bbc_news/business").exists()), None)


def _questions() -> list[dict]:
    return json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]


def _bench():
    spec = importlib.util.spec_from_file_location("archive_answers", REPO / "bench" / "archive_answers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _norm(text: str) -> str:
    return " " + re.sub(r"\W+", " ", text.lower()).strip() + " "


def test_every_kind_in_every_category_and_both_halves():
    every = _questions()
    assert {q["split"] for q in every} == {"tune", "test", "holdout"}
    assert len({q["id"] for q in every}) == len({q["question"] for q in every}) == len(every)
    questions = [q for q in every if q["split"] != "holdout"]
    kinds = Counter(q["kind"] for q in questions)
    assert set(kinds) == KINDS and len(questions) >= 100
    assert kinds["list"] >= 15 and kinds["unanswerable"] >= 20
    assert {q["category"] for q in questions} == CATEGORIES
    for kind in KINDS:
        halves = Counter(q["split"] for q in questions if q["kind"] == kind)
        assert set(halves) == {"tune", "test"} and abs(halves["tune"] - halves["test"]) <= 1, (kind, halves)
    for kind in ("who-said", "fact", "why-how", "unanswerable"):
        assert {q["category"] for q in questions if q["kind"] == kind} == CATEGORIES, kind


def test_holdout_has_every_kind_over_all_categories_from_articles_no_other_question_uses():
    """The held-out questions measure the answer step on questions nobody tuned on: their gold articles are
    none of the tune and test questions' gold articles."""
    every = _questions()
    holdout = [q for q in every if q["split"] == "holdout"]
    kinds = Counter(q["kind"] for q in holdout)
    assert set(kinds) == KINDS and len(holdout) >= 40
    assert kinds["list"] >= 5 and kinds["unanswerable"] >= 8
    for kind in ("who-said", "fact", "unanswerable"):
        assert {q["category"] for q in holdout if q["kind"] == kind} == CATEGORIES, kind
    earlier = {name for q in every if q["split"] != "holdout" for name in q["gold"]}
    for q in holdout:
        assert not set(q["gold"]) & earlier, (q["id"], sorted(set(q["gold"]) & earlier))


def test_all_is_tune_and_test_and_the_holdout_is_its_own_row():
    bench = _bench()
    assert [s for s in ("tune", "test", "holdout") if bench.in_split(s, "all")] == ["tune", "test"]
    assert bench.in_split("holdout", "holdout") and not bench.in_split("tune", "holdout")
    rows = [{"answerer": "none", "split": split, "kind": kind, "verdict": verdict, "seconds": 1.0}
            for split in ("tune", "test", "holdout")
            for kind, verdict in (("fact", "right"), ("fact", "wrong"), ("unanswerable", "abstained"))]
    rows[-2]["verdict"] = "partly"  # one holdout answer partly right, so its row differs from the others
    lines = {line.split("|")[2].strip(): line for line in bench.table(rows)[2:]}
    assert set(lines) == {"tune", "test", "all", "holdout"}
    assert "| 2/4 (0.50) |" in lines["all"] and "| 1/2 (0.50) | 0/2 (0.00) |" in lines["holdout"]


def test_first_sentence_right_reads_the_answer_up_to_its_first_citation():
    bench = _bench()
    row = {"kind": "fact", "verdict": "right", "expected": [["47.97"]],
           "answer": "Time asked about: 2005 (2005-01-01 to 2005-12-31).\nHe won in 1:47.97 in Sheffield. [1] He ran well. [2]"}
    assert bench.lead_right(row)
    row["answer"] = "He ran well. [1] He won in 1:47.97 in Sheffield. [2]"
    assert row["verdict"] == "right" and not bench.lead_right(row)
    assert not bench.lead_right({**row, "kind": "list", "answer": "1:47.97 [1]"})


def test_answerable_questions_name_phrases_and_gold_unanswerable_ones_say_what_is_held():
    for q in _questions():
        if q["kind"] == "unanswerable":
            assert not q["expected"] and not q["gold"] and len(q["note"]) > 20, q["id"]
            continue
        assert q["expected"] and all(group and all(isinstance(v, str) and v.strip() for v in group)
                                     for group in q["expected"]), q["id"]
        assert q["gold"] and all(name.endswith(".txt") and name.split("/")[0] in CATEGORIES and numbers
                                 for name, numbers in q["gold"].items()), q["id"]
        if q["kind"] == "list":
            assert 2 <= q["min_items"] <= len(q["expected"]), q["id"]


@pytest.mark.skipif(DATA is None, reason="bench-data/bbc_news is not here")
def test_gold_paragraphs_exist_and_hold_the_answer():
    """Every gold paragraph exists; some gold article's gold paragraphs hold every expected group (a list:
    every item is named in a gold article)."""
    articles: dict[str, dict[int, str]] = {}

    def paragraphs(name: str) -> dict[int, str]:
        if name not in articles:
            article = load_file(DATA / name, name[:-4]).articles[0]
            articles[name] = {}
            for p in article.paragraphs:
                if p.searchable:
                    articles[name][p.number] = articles[name].get(p.number, "") + " " + p.text
        return articles[name]

    for q in _questions():
        for name, numbers in q["gold"].items():
            have = paragraphs(name)
            assert set(numbers) <= set(have), (q["id"], name, sorted(set(numbers) - set(have)))
        if q["kind"] == "list":
            texts = [_norm(" ".join(paragraphs(name).values())) for name in q["gold"]]
            for group in q["expected"]:
                assert any(_norm(v) in t for v in group for t in texts), (q["id"], group)
        elif q["kind"] != "unanswerable":
            held = [_norm(" ".join(paragraphs(name)[n] for n in numbers)) for name, numbers in q["gold"].items()]
            assert any(all(any(_norm(v) in t for v in group) for group in q["expected"]) for t in held), q["id"]


def _passage(article_id: str, number: int, text: str) -> Passage:
    return Passage(1, article_id, "headline", None, None, number, 0, "body", text)


def test_scorer_tells_right_from_partly_uncited_and_abstained(tmp_path):
    bench = _bench()
    q = next(q for q in _questions() if q["kind"] == "fact" and len(q["expected"]) == 1)
    name, numbers = next(iter(q["gold"].items()))
    gold = _passage(name[:-4], numbers[0], q["expected"][0][0])
    other = _passage("tech/999", 1, "Something else.")

    def verdict(text: str, cited: Passage | None, abstained: bool = False, question: dict = q) -> str:
        citations = [Citation(1, cited, cited.text)] if cited else []
        answer = Answer(question["question"], text, abstained, "extractive", citations, [])
        return bench.score(question, answer, tmp_path, {})["verdict"]

    phrase = q["expected"][0][0]
    assert verdict(f"It was {phrase}. [1]", gold) == "right"
    assert verdict(f"It was {phrase}. [1]", other) == "partly"  # the phrase, but not from a gold article
    assert verdict("Nothing to the point. [1]", gold) == "wrong"
    assert verdict("The indexed articles don't say.", None, abstained=True) == "abstained"
    unanswerable = next(q for q in _questions() if q["kind"] == "unanswerable")
    assert verdict("The indexed articles don't say.", None, True, unanswerable) == "abstained"
    assert verdict("A confident number. [1]", other, False, unanswerable) == "answered"


def test_list_items_count_only_when_a_cited_gold_article_names_them(tmp_path):
    bench = _bench()
    q = next(q for q in _questions() if q["kind"] == "list")
    name = next(iter(q["gold"]))
    items = [group[0] for group in q["expected"]]
    article = tmp_path / name
    article.parent.mkdir(parents=True)
    article.write_text("Headline\n\n" + " and ".join(items) + ".\n", encoding="utf-8")
    cited = _passage(name[:-4], 1, " and ".join(items))
    text = "; ".join(items[: q["min_items"]]) + ". [1]"
    right = Answer(q["question"], text, False, "extractive", [Citation(1, cited, cited.text)], [])
    assert bench.score(q, right, tmp_path, {})["verdict"] == "right"
    uncited = Answer(q["question"], text, False, "extractive", [], [])
    assert bench.score(q, uncited, tmp_path, {})["verdict"] == "partly"
