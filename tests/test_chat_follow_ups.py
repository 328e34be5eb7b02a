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
                  "The poet Tomas Reyne has two nominations.\n\n"
                  "Calder, whose novel Salt Roads sold 200,000 copies, said she was \"astonished\".\n",
    "signing.txt": "Orrin Rovers sign winger\n\n"
                   "Orrin Rovers have signed the winger Tobias Renner from Valdor Athletic for £2m.\n\n"
                   "Renner, 24, scored 11 goals last season, and he has signed a three-year contract.\n",
    "band.txt": "Glass Harbour named best new band\n\n"
                "Glass Harbour were named best new band at the Coastline Awards on Friday.\n\n"
                "The band will support Marrow Kings on a tour of Japan in May.\n",
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
    """"his" with no person in the previous question or its answer: the names go with the question
    for the search, and no name is put in the pronoun's place."""
    conversation = Conversation(bot)
    conversation.ask("How many cars did Kestrel Motors sell in 2025?")
    assert conversation.standalone("What did his rivals sell?") == "What did his rivals sell — Kestrel Motors?"


def test_he_after_a_question_asking_who_is_the_person_the_answer_named(bot):
    """"How old is he?" after "which winger ...?": the person is in the answer, not the question (whose
    only name is a club's)."""
    conversation = Conversation(bot)
    first = conversation.ask("Which winger did Orrin Rovers sign?")
    assert "Tobias Renner" in first.answer.text
    assert conversation.standalone("How old is he?") == "How old is Tobias Renner?"
    turn = conversation.ask("How many goals did he score last season?")
    assert turn.standalone == "How many goals did Tobias Renner score last season?"
    assert "11 goals" in turn.answer.text


def test_she_and_her_are_the_person_the_articles_call_she(bot):
    """The answer names two people; the articles say "she" of one: "her" and "she" are that one, a
    possessive "her" becomes "Calder's", an object "her" the name."""
    conversation = Conversation(bot)
    conversation.ask("Who leads the nominations for the Lantern Prize?")
    names = {m.name: m for m in conversation.mentions()}
    assert names["Ines Calder"].kind == "person" and names["Ines Calder"].gender == "she"
    assert conversation.standalone("Which novel earned her the nominations?") == \
        "Which novel earned Ines Calder the nominations?"
    assert conversation.standalone("What else did she say?") == "What did Ines Calder say?"
    assert conversation.standalone("What did her publisher say?") == "What did Ines Calder's publisher say?"
    conversation.ask("How many nominations does the poet Tomas Reyne have?")
    assert conversation.standalone("What did she say?") == "What did Ines Calder say?"  # two turns back
    turn = conversation.ask("How many copies did her novel sell?")
    assert turn.standalone == "How many copies did Ines Calder's novel sell?"
    assert "200,000" in turn.answer.text


def test_they_is_the_band_the_answer_named(bot):
    """"They" after "which band ...?" is the band the answer named (a name written with "were" is a
    group, not a person). "It" that happened is an event and "do it" an act: no name for them; a question
    too bare to search then carries the previous one whole."""
    conversation = Conversation(bot)
    conversation.ask("Which band was named best new band at the Coastline Awards?")
    turn = conversation.ask("Whose tour will they support?")
    assert turn.standalone == "Whose tour will Glass Harbour support?"
    assert "Marrow Kings" in turn.answer.text
    assert conversation.standalone("Why did they do it?") == "Why did Glass Harbour do it?"
    assert conversation.standalone("When did it happen?") == "When did it happen — Whose tour will Glass Harbour support?"


def test_it_is_the_firm_and_she_the_person_never_the_other_way(bot):
    """After "who is the chief executive of Harbourline?" the answer names a person and a place: "the
    company" is the firm, "she" the person, "there" the place."""
    conversation = Conversation(bot)
    conversation.ask("Who is the chief executive of Harbourline?")
    assert conversation.standalone("Will the company open new routes?") == "Will Harbourline open new routes?"
    assert conversation.standalone("How many routes will it open there?") == \
        "How many routes will Harbourline open in Faroe Islands?"
    turn = conversation.ask("What did she say about passengers?")
    assert turn.standalone == "What did Mara Quint say about passengers?"
    assert "northern routes" in turn.answer.text


def test_a_question_naming_nothing_but_the_thing_carries_the_previous_names(bot):
    conversation = Conversation(bot)
    conversation.ask("How many cars did Kestrel Motors sell in 2025?")
    assert conversation.standalone("How many did the budget brand sell?") == \
        "How many did the budget brand sell — Kestrel Motors?"


def test_names_in_order_and_their_kinds():
    """The shared finder: names as written, titles and people's adjectives off, a sentence's capitalised
    first word only when written as a name; the kind from the name's words and the words around it."""
    from qa.ingest.mentions import name_kind, name_phrases

    text = ("Bookmakers expect Swiss rival Xstrata to win. Trade Minister Mark Vaile said the bid was wrong. "
            "Tarn Foods, which owns 40 stores, and the Premier League agreed. Lena Hart, 31, lives in Norway.")
    names = name_phrases(text, skip_first_word=False)
    assert names == ["Xstrata", "Mark Vaile", "Tarn Foods", "Premier League", "Lena Hart", "Norway"]
    assert [name_kind(n, text, guess=False) for n in names] == ["org", "person", "org", "org", "person", "place"]
    assert name_phrases("Which company did Quorn Ltd buy?") == ["Quorn Ltd"]
    assert name_kind("Jailhouse Rock", "Jailhouse Rock sold well", guess=False) == ""


def test_what_about_something_no_one_said_asks_the_speaker_about_it(bot):
    """"what about X?" while a speaker's words are discussed: X is the speaker asked next only when the
    articles quote X; a place or a thing is what the same speaker is asked about."""
    conversation = Conversation(bot)
    conversation.ask("What did Mara Quint say about passengers?")
    assert conversation.standalone("And what about the Faroe Islands?") == \
        "What did Mara Quint say about the Faroe Islands?"
    assert conversation.standalone("What about Iceland?") == "What did Mara Quint say about Iceland?"
