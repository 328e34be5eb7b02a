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
