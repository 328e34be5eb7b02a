"""Who-said questions whose words describe rather than name: a statement calling the topic's person by the
description the article gives them ("the presenter") is on the topic, and a speaker asked about with the
firm they speak for ("X of Y Bank") is the person, not the firm. Real index and embedding model, articles
written for the test."""

from __future__ import annotations

import pytest

from qa.api import QA
from qa.search.speakers import parse_speaker_question

from .fakes import indexed_archive

ARTICLES = {
    "lowry.txt": "No charges for TV's Lowry\n\n"
                 "TV presenter Nia Lowry will not face charges over an alleged assault at a Leeds hotel, "
                 "prosecutors said.\n\n"
                 "They found too little evidence to support the complaint, made by a hotel worker in March.\n\n"
                 "The worker's lawyer, Ed Marlow, said his client was likely to sue the presenter. \"We still "
                 "believe every word she told us,\" he said.\n",
    "krona.txt": "Krona slides to a new low\n\n"
                 "The Norvan krona has fallen to a record low against the euro.\n\n"
                 "\"Nobody wants to hold the krona this week,\" said Lena Varga of Tallis Bank. Traders said "
                 "volumes were thin.\n\n"
                 "Tallis Bank reported higher profits on Monday.\n",
    "scanner.txt": "Clinics try the Vantage scanner\n\n"
                   "Twelve clinics have started using the Vantage scanner, a hand-held device made by Medica Labs.\n\n"
                   "The more clinics using Vantage, the more images the firm can learn from. \"It lets us see a "
                   "tumour in minutes rather than days,\" said Jo Pell of Medica Labs.\n",
}


@pytest.fixture(scope="module")
def described_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("described"), ARTICLES)


def test_a_statement_calling_the_topic_person_by_their_description_is_on_the_topic(described_archive):
    with QA(described_archive, llm="none") as bot:
        answer = bot.ask("What did Ed Marlow say about the decision not to charge Nia Lowry?")
    assert not answer.abstained
    assert "likely to sue the presenter" in answer.text


def test_a_speaker_asked_about_with_their_firm_is_the_person(described_archive):
    assert parse_speaker_question("What did Lena Varga of Tallis Bank say about the krona?").phrase == "Lena Varga"
    # a firm's own name keeps its "of"
    assert parse_speaker_question("What did Royal Bank of Scotland say about profits?").phrase == \
        "Royal Bank of Scotland"
    with QA(described_archive, llm="none") as bot:
        answer = bot.ask("What did Lena Varga of Tallis Bank say about the krona?")
    assert not answer.abstained and "Nobody wants to hold the krona" in answer.text


def test_a_statement_opening_with_a_pronoun_is_on_what_its_paragraph_names_before_it(described_archive):
    with QA(described_archive, llm="none") as bot:
        answer = bot.ask("What did Jo Pell of Medica Labs say about the Vantage scanner?")
    assert not answer.abstained and "lets us see a tumour in minutes" in answer.text


ASPECT_ARTICLES = {
    "dornier.txt": "Dornier Foods hits back at critics\n\n"
                   "Dornier Foods has launched an advertising campaign to answer its critics.\n\n"
                   "\"There are lots of myths about Dornier Foods, but the facts are clear. Dornier Foods is good for "
                   "shoppers and good for farmers,\" president Ana Pruitt said in a statement.\n\n"
                   "The grocer also faces two lawsuits accusing it of underpaying women and older staff.\n",
    "tariffs.txt": "EU chief backs steel tariffs\n\n"
                   "Ivo Brand, EU trade chief, says tariffs on cheap steel work in other trading blocs. Builders, "
                   "carmakers and several of the larger member states say such tariffs would raise the price of "
                   "everything from bridges to washing machines. But the industry minister says the tariffs are "
                   "not needed because imports have already fallen for the third year running. Mr Brand told a "
                   "radio programme: \"It would be foolish not to use the tools we have.\"\n",
}


@pytest.fixture(scope="module")
def aspect_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("aspects"), ASPECT_ARTICLES)


def test_a_speakers_own_firm_in_the_topic_puts_no_statement_on_it(aspect_archive):
    # the lawsuits are the asked aspect; her statement names her firm, as every statement of hers would
    with QA(aspect_archive, llm="none") as bot:
        answer = bot.ask("What did Dornier Foods president Ana Pruitt say about the lawsuits accusing Dornier "
                         "Foods of underpaying women?")
    assert answer.abstained and "don't quote" in answer.text


def test_of_a_speakers_statements_apart_in_a_paragraph_their_quoted_words_come_first(aspect_archive):
    with QA(aspect_archive, llm="none") as bot:
        answer = bot.ask("What did EU trade chief Ivo Brand say about steel tariffs?")
    assert not answer.abstained and "foolish not to use the tools" in answer.text


def test_a_pronoun_like_everyone_is_no_word_of_a_topic():
    from qa.search.ranking import query_terms
    assert query_terms("the plan to take fingerprints from everyone given a visa") == [
        "plan", "take", "fingerprints", "given", "visa"]


def test_the_whole_name_owning_a_topic_and_the_speakers_description_are_no_words_of_its_aspect():
    from qa.answer.evidence import _aspect_terms
    assert _aspect_terms("the price of the British Library's wireless service") == ["price", "wireless", "service"]
    assert _aspect_terms("BT's share of the broadband market", frozenset({"bt", "broadband", "director"})) == [
        "share", "market"]
