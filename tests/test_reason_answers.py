"""Why-answers read for the reason of what is asked: a cue ties a cause to the asked effect only when the
effect stands on the effect's side of it, and a reason stated further on in a retrieved article is quoted
when the retrieved paragraphs only restate what happened. Real index and embedding model, articles written
for the test."""

from __future__ import annotations

import pytest

from qa.answer.answerability import CAUSE_RE, asked, asks_means, gives_reason_for
from qa.api import QA

from .fakes import indexed_archive

ARTICLES = {
    "zorbia.txt": "Zorbia posts record growth\n\n"
                  "Zorbia's economy expanded by 8.1% last year, its fastest pace in a decade, official figures "
                  "show.\n\n"
                  "The figures were published by the statistics office in Kelport on Monday, a week later than "
                  "planned.\n\n"
                  "The central bank raised interest rates twice during the year and says it may do so again.\n\n"
                  "The economy is gathering speed thanks to strong exports of copper and rising consumer "
                  "spending, economists said.\n",
    "redrock.txt": "Redrock output at a high\n\n"
                   "Copper miner Redrock said rising demand from Zorbia's fast-growing economy has fuelled its "
                   "output, which rose 12% in the year.\n",
}


@pytest.fixture(scope="module")
def reasons_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("reasons"), ARTICLES)


def test_a_cue_ties_a_cause_to_the_effect_on_its_own_side():
    growth = asked("Why is Zorbia's economy growing so fast?")
    # the asked economy is the cause here, of someone else's output
    assert not gives_reason_for(growth, "Rising demand from Zorbia's fast-growing economy has fuelled "
                                        "output at Redrock.")
    assert not gives_reason_for(growth, "Attempts to cool the fast-growing economy have hit exporters.")
    # ... and the effect here: after a cue whose cause comes first, before one whose cause comes after
    assert gives_reason_for(growth, "Strong exports have boosted the economy's growth.")
    assert gives_reason_for(growth, "The economy is growing fast thanks to strong exports.")
    assert gives_reason_for(growth, "The economy is growing fast, driven by exports.")  # passive
    sales = asked("Why did Brewco's sales fall?")
    assert gives_reason_for(sales, "Bad weather has hit sales at Brewco.")
    assert not gives_reason_for(sales, "Brewco's profit margins were helped by a strong Asian performance.")
    assert gives_reason_for(sales, "Brewco blamed the weather for poor sales.")  # either side of "blamed"


def test_the_sentence_before_gives_the_effect_only_to_a_cue_that_points_back():
    growth = asked("Why is Zorbia's economy growing so fast?")
    before = "Zorbia's fast-growing economy is the envy of its neighbours."
    assert gives_reason_for(growth, "This is due to strong exports.", before)
    assert gives_reason_for(growth, "Cheap credit has fuelled it.", before)
    # a cause-first cue whose effect is something else: the boom explains the taxes, not the reverse
    assert not gives_reason_for(growth, "The boom has allowed the government to collect more taxes.", before)


def test_as_gives_a_cause_but_not_a_comparison_or_a_role():
    assert CAUSE_RE.search("He backed the plans as the police said they would cut crime.")
    for sentence in ("Sales rose, as well as profits.", "Metals such as the copper mined there rose.",
                     "He was known as the best player.", "It costs the same as the old one."):
        assert not CAUSE_RE.search(sentence), sentence


def test_a_reason_further_on_in_the_article_is_quoted_first(reasons_archive):
    question = "Why is Zorbia's economy growing so fast?"
    with QA(reasons_archive, llm="none") as bot:
        retrieved = {(p.article_id, p.paragraph) for p in bot.search(question, k=2).passages}
        answer = bot.ask(question, k=2)
    assert ("zorbia", 4) not in retrieved  # the reason is read only as the rest of a retrieved article
    assert not answer.abstained
    first = answer.text.split("[1]")[0]
    assert "gathering speed thanks to strong exports" in first and "fuelled its output" not in first
    assert (answer.citations[0].passage.article_id, answer.citations[0].passage.paragraph) == ("zorbia", 4)


def test_how_asks_for_a_means_not_a_number_or_a_reason():
    assert asks_means("How did the thieves get into the museum?")
    assert asks_means("How will the new scheme work?")
    assert not asks_means("How many copies has the game sold?")
    assert not asks_means("How much did the club pay for him?")
    assert not asks_means("How long will the strike last?")
    assert not asks_means("How come the shares fell?")
    assert not asks_means("Why did the shares fall?")


def test_a_how_question_is_quoted_without_the_choosing_model(reasons_archive, monkeypatch):
    """A model that chooses among numbered sentences is not asked "how?" (the steps span sentences): the
    best-ranked sentences are quoted, and the model is never called."""
    from .fakes import FakeBackend

    class Chooser(FakeBackend):
        supports_grammar = True
        name = "local"

        def complete(self, messages, on_token=None, **kwargs):
            raise AssertionError("the model was asked")

    monkeypatch.setattr("qa.answer.llm.choose_backend", lambda settings: Chooser())
    with QA(reasons_archive, llm="local") as bot:
        answer = bot.ask("How is Zorbia's economy gathering speed?")
    assert answer.backend == "extractive" and not answer.abstained
    assert answer.extra["fallback"] == {"from": "local", "reason": "the sentences saying how are quoted"}
    assert "exports of copper" in answer.text
