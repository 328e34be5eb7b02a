"""Follow-ups in `qa chat` rewritten by the rules alone (no LLM): "it", "its" and "the company" stand for what
the previous question asked about, "and X?" asks the previous question of X, "what did X say about it?" carries
the previous subject, and a person the rules cannot place gets the previous question's names as context.
The real `Conversation` over a small archive indexed with the real model."""

from __future__ import annotations

import pytest

from qa.api import QA
from qa.front.chat import Conversation

from .fakes import indexed_archive

ARTICLES = {
    "ferries.txt": "Harbourline profit climbs\n\n"
                   "Ferry operator Harbourline made a profit of £42m in 2025, up from £30m a year earlier.\n\n"
                   "Its revenues rose 9% to £310m as more passengers travelled to Norway and Iceland.\n\n"
                   "Chief executive Mara Quint said: \"Our northern routes carried more passengers than ever, and "
                   "we will open two new routes to the Faroe Islands next spring.\"\n",
    "cars.txt": "Kestrel Motors sales rise\n\n"
                "Kestrel Motors sold 1.2 million cars in 2025, 4% more than in the year before.\n\n"
                "Its luxury brand Ardent sold 90,000 cars, while the budget brand Wren sold 310,000.\n",
    "awards.txt": "Lantern Prize shortlist\n\n"
                  "The novelist Ines Calder leads the nominations for the Lantern Prize with four.\n\n"
                  "The poet Tomas Reyne has two nominations.\n",
}


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    with QA(indexed_archive(tmp_path_factory.mktemp("follow-ups"), ARTICLES), llm="none") as bot:
        yield bot


def test_its_and_the_company_are_the_previous_questions_subject(bot):
    conversation = Conversation(bot)
    conversation.ask("How much profit did Harbourline make in 2025?")
    turn = conversation.ask("How much did its revenues rise?")
    assert turn.standalone == "How much did Harbourline's revenues rise?"
    assert "9%" in turn.answer.text and {c.passage.article_id for c in turn.answer.citations} == {"ferries"}
    assert conversation.standalone("Will the company open new routes?") == "Will Harbourline open new routes?"


def test_and_a_name_asks_the_previous_question_of_it(bot):
    conversation = Conversation(bot)
    conversation.ask("How many cars did Kestrel Motors sell in 2025?")
    turn = conversation.ask("And Ardent?")
    assert turn.standalone == "How many cars did Ardent sell in 2025?"
    assert "90,000" in turn.answer.text
    assert conversation.standalone("What about Wren?") == "How many cars did Wren sell in 2025?"


def test_and_a_name_that_was_not_the_subject_keeps_the_previous_question(bot):
    """The previous question's name was not what it asked about (it follows "for", not "did"): the new
    name is carried beside the previous question, not put in its place."""
    conversation = Conversation(bot)
    conversation.ask("Who leads the nominations for the Lantern Prize?")
    assert conversation.standalone("And Tomas Reyne?") == \
        "Who leads the nominations for the Lantern Prize — Tomas Reyne?"


def test_what_did_someone_say_about_it_carries_the_previous_subject(bot):
    conversation = Conversation(bot)
    conversation.ask("How much profit did Harbourline make in 2025?")
    turn = conversation.ask("What did Mara Quint say about it?")
    assert turn.standalone == "What did Mara Quint say about Harbourline?"
    assert "Faroe Islands" in turn.answer.text


def test_a_person_the_rules_cannot_place_gets_the_previous_names_as_context(bot):
    """"her" may be the person named before or the one the answer gave: the names go with the question
    for the search, and no name is put in the pronoun's place."""
    conversation = Conversation(bot)
    conversation.ask("Who leads the nominations for the Lantern Prize?")
    assert conversation.standalone("Which novel earned her the nominations?") == \
        "Which novel earned her the nominations — Lantern Prize?"
    assert conversation.standalone("What did her publisher say?") == "What did her publisher say — Lantern Prize?"


def test_what_about_something_no_one_said_asks_the_speaker_about_it(bot):
    """"what about X?" while a speaker's words are discussed: X is the speaker asked next only when the
    articles quote X; a place or a thing is what the same speaker is asked about."""
    conversation = Conversation(bot)
    conversation.ask("What did Mara Quint say about passengers?")
    assert conversation.standalone("And what about the Faroe Islands?") == \
        "What did Mara Quint say about the Faroe Islands?"
    assert conversation.standalone("What about Iceland?") == "What did Mara Quint say about Iceland?"
