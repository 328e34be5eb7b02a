"""Questions the archive holds the subject of but not the answer: a "why?" about an event reported with no
reason, a "who?" whose doer is only described, a who-said question about a person no passage names. qa
abstains on each and still answers the neighbouring questions the same articles do answer. Real index and
embedding model, articles written for the test."""

from __future__ import annotations

import pytest

from qa.answer.answerability import CAUSE_RE, asked, gives_reason_for, has_person, states_deed, without_quote_credit
from qa.api import QA

from .fakes import indexed_archive

ARTICLES = {
    "kelmar.txt": "Kelmar Foods cuts 900 jobs\n\n"
                  "Kelmar Foods has cut 900 jobs at its Dunmore bakery plant, the company confirmed on Tuesday.\n\n"
                  "The cuts leave 2,100 people working at the plant, which opened in 1962 and makes bread and "
                  "biscuits for supermarkets across the country.\n\n"
                  "Union official Rena Haldane said staff were shocked. \"Nobody saw this coming,\" she said.\n",
    "pellow.txt": "Pellow Air orders 40 jets\n\n"
                  "Budget carrier Pellow Air has ordered 40 new Marlin 300 jets in a deal worth $2bn.\n\n"
                  "Pellow Air said the new jets would help it to cut fuel bills by a fifth.\n",
    "tune.txt": "Blind pianist turns maps into melodies\n\n"
                "Blind pianist Odile Brask has built software that plays the colours of a map as notes.\n\n"
                "Ms Brask came up with the idea at her studio in Port Avel and enlisted the help of a sound "
                "engineer and a student to write the code.\n\n"
                "The software was designed by Odile Brask and a team at Avel University.\n",
    "treaty.txt": "Norvan signs defence pact\n\n"
                  "Norvan has signed a mutual defence treaty with Estmark, its northern neighbour.\n",
    "festival.txt": "Gravel Moon to headline Harrowfield\n\n"
                    "Rock band Gravel Moon will headline the Harrowfield festival this summer.\n\n"
                    "\"We are thrilled to be playing Harrowfield again,\" said Gravel Moon's singer Tam Ostrey.\n\n"
                    "The Harrowfield festival is organised by promoter Colm Dreyer, who founded it in 1998.\n",
}


@pytest.fixture(scope="module")
def unstated_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("unstated"), ARTICLES)


def test_why_abstains_when_the_event_is_reported_without_a_reason(unstated_archive):
    with QA(unstated_archive, llm="none") as bot:
        unstated = bot.ask("Why did Kelmar Foods cut 900 jobs at its Dunmore plant?")
        stated = bot.ask("Why did Pellow Air order 40 new jets?")
    assert unstated.abstained and unstated.text.startswith("The indexed articles don't say why.")
    assert not stated.abstained and "help it to cut fuel bills" in stated.text


def test_new_cues_tie_a_purpose_or_a_claim_to_the_asked_effect():
    order = asked("Why did Pellow Air order 40 new jets?")
    before = "Budget carrier Pellow Air has ordered 40 new Marlin 300 jets in a deal worth $2bn."
    assert gives_reason_for(order, "Pellow Air said the new jets would help it to cut fuel bills.", before)
    court = asked("Why did Odile Brask take Avel University to court?")
    assert gives_reason_for(court, "Brask took legal action last year, saying the university kept her royalties.")
    assert gives_reason_for(asked("Why did Tam Ostrey hire a new manager?"),
                            "Ostrey's decision to hire a manager springs from a row over the tour.")
    # "since" of time names no cause; words saying when are not what is asked about
    assert not CAUSE_RE.search("Jobs are at their highest level since records began.")
    assert not CAUSE_RE.search("Sales have fallen since September 2004.")
    late = asked("Why did Gravel Moon cancel their show a day before the Harrowfield festival?")
    assert not gives_reason_for(late, "The festival sold out a day after tickets went on sale.")


def test_who_abstains_when_the_doer_is_only_described(unstated_archive):
    with QA(unstated_archive, llm="none") as bot:
        described = bot.ask("Who wrote the code for Odile Brask's map software?")
        named = bot.ask("Who organises the Harrowfield festival?")
        party = bot.ask("Who did Norvan sign a defence treaty with?")
    assert described.abstained and described.text.startswith("The indexed articles don't say who.")
    assert not named.abstained and "Colm Dreyer" in named.text
    assert not party.abstained and "Estmark" in party.text  # a country, not a person, did it
    # places after "from" / "in" name no one
    assert not has_person("She is a student from Hong Kong studying in New York.")
    assert has_person("The code was written by Lena Varga.")


def test_who_said_abstains_when_no_passage_names_the_person(unstated_archive):
    with QA(unstated_archive, llm="none") as bot:
        other = bot.ask("What did Gravel Moon's Jory Fenn say about playing Harrowfield?")
        singer = bot.ask("What did Gravel Moon's Tam Ostrey say about playing Harrowfield?")
    assert other.abstained and "don't quote Jory Fenn" in other.text
    assert "Tam Ostrey" not in other.text.split(":")[0] and not other.citations
    assert not singer.abstained and "thrilled to be playing Harrowfield" in singer.text


ROLE_ARTICLES = {
    "lakeside.txt": "Lakeside festival adds documentary jury\n\n"
                    "The Lakeside film festival will add a jury competition for documentaries next year.\n\n"
                    "\"We want documentaries to have a stage of their own,\" festival director Ines Varro said. "
                    "Thirty films will be shown, including Salt Roads by British director Tom Aske.\n\n"
                    "The festival was founded by actor Colm Riley in 1990.\n",
    "quarry.txt": "Quarry Boys lose guitarist\n\n"
                  "The guitarist with rock band Quarry Boys has quit after ten years.\n\n"
                  "A replacement has yet to be named by the band, whose best single remains Here To Stay.\n",
}


@pytest.fixture(scope="module")
def role_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("roles"), ROLE_ARTICLES)


def test_who_abstains_when_the_people_named_did_something_else(role_archive):
    """A "who?" answered only by people in other roles (the director quoted, a film's director, the founder)
    is not answered; the founder's question is."""
    with QA(role_archive, llm="none") as bot:
        jury = bot.ask("Who will chair the documentary jury at the Lakeside festival?")
        founder = bot.ask("Who founded the Lakeside film festival?")
        actor = bot.ask("Which actor founded the Lakeside film festival?")
        guitarist = bot.ask("Who will replace the Quarry Boys' guitarist?")
    assert jury.abstained and jury.text.startswith("The indexed articles don't say who.")
    assert not founder.abstained and "Colm Riley" in founder.text
    assert not actor.abstained and "Colm Riley" in actor.text  # "which actor" asks for a person
    assert guitarist.abstained  # "Here To Stay" is a song, not a person


def test_a_quotes_speaker_and_a_songs_title_name_no_doer():
    assert asked("Which Google executive responded to the ban?").kind == "person"
    assert asked("Which actors have died?").kind != "person"  # a list
    assert not has_person("Their best single remains Here To Stay.")
    assert without_quote_credit('"We want a stage," festival director Ines Varro said.') == '"We want a stage,"'
    assert without_quote_credit('Ines Varro said: "We want a stage."') == '"We want a stage."'
    assert states_deed(asked("Who is suing Mick Rowe?"), "Rowe is being sued by his former manager, Ada Lyle.")
    assert not states_deed(asked("Who will chair the jury?"), "The festival was founded by actor Colm Riley.")
    # the question's object credited by "by" states the deed in other words
    assert states_deed(asked("What artist designed the posters for the Kelport festival?"),
                       "The festival's posters by Mara Quell drew crowds.")
    assert not states_deed(asked("What artist designed the posters for the Kelport festival?"),
                           "The festival was opened by Mara Quell.")
