"""Answering what was asked: the kind and subject of a question decide whether the passages answer it
(else qa abstains and says what they do hold), which sentences are quoted, how a list across articles is
given, and which LLM sentences verification keeps. Real index, real embedding model; the LLM is a
loopback server replaying a fixed draft."""

from __future__ import annotations

import pytest

from qa.answer.answerability import asked, asks_for_list
from qa.answer.verification import verify_answer
from qa.api import QA

from .fakes import indexed_archive

from .fake_llm_server import FakeLLMServer
from .test_llm import passages_by_number

ARTICLES = {
    "grolsch.txt": "Grolsch sales edge up in 2004\n\n"
                   "Dutch brewer Grolsch said its 2004 sales rose 3% to 330m euros, helped by demand in Britain.\n\n"
                   "Earnings were flat, the brewer said, and it gave no figure for the year.\n",
    "heineken.txt": "Heineken profit jumps\n\n"
                    "Heineken said its net profit rose to 1.2bn euros in 2004, up 20% on the year before.\n",
    "corvex.txt": "Corvex names Europe chief\n\n"
                  "Carmaker Corvex has picked a lifetime employee to run its European operations after Anna Berg "
                  "moved to the parent company. Tomas Lind, who joined Corvex in 1979, will take charge in April.\n",
    "fizzco.txt": "Fizzco profits slide\n\n"
                  "Fizzco's drinks sales in North America grew 2% in the year. In Asia, sales were steady at "
                  "1.1bn dollars. Bad weather across Europe and rising sugar costs hit Fizzco's profits, the "
                  "company said.\n",
    "kettles.txt": "Brightline recalls kettles\n\n"
                   "Appliance company Brightline has recalled 20,000 kettles, its best-selling products, because their handles can overheat.\n",
    "toycars.txt": "Toyland recalls toy cars\n\n"
                   "Toy company Toyland has recalled a range of products, its toy cars, after reports that wheels come loose.\n",
    "painkillers.txt": "Medix recalls painkiller batch\n\n"
                       "Drug company Medix has recalled a batch of products, its painkillers, because of a labelling error.\n",
    "awards.txt": "Skyward wins at film awards\n\n"
                  "Actress Mara Quinn, who won for playing pilot Amy Johnson in Skyward, said her award was \"a "
                  "complete shock\". Of Johnson, she said: \"Her courage still inspires pilots everywhere.\"\n\n"
                  "Director Leo Park, who is also in London, added: \"We shot the film in winter. \"The crew were "
                  "heroic. It was cold every single day.\"\n",
    "weather.txt": "Storms batter the coast\n\n"
                   "Storms battered the east coast on Sunday, and thousands of homes lost power.\n",
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("archive"), ARTICLES)


def test_the_kind_and_subject_of_a_question():
    assert asked("What was Grolsch's net profit in 2004?").kind == "amount"
    assert asked("How much did the council pay for the bridge?").kind == "amount"
    assert asked("How many kettles were recalled?").kind == "number"
    # a count, whatever money noun names what is counted
    assert asked("How many export licences for arms sales were refused?").kind == "number"
    assert asked("Who did Corvex pick to run its operations?").kind == "person"
    assert asked("Why did Fizzco's profits fall?").kind == "reason"
    assert asked("When did the storms hit?").kind == "date"
    assert asked("What did the brewer say about Britain?").kind == "statement"
    assert asked("What happened to the brewer in Britain?").kind == "thing"
    assert asked("What was Grolsch's net profit?").names == {"grolsch"}
    assert asks_for_list("Which companies have recalled products, and why?")
    assert not asks_for_list("Which company recalled kettles?")


@pytest.mark.parametrize("question", ["What was Grolsch's net profit in 2004?",
                                      "How much net profit did Grolsch make in 2004?"])
def test_an_amount_of_another_subject_is_never_shown_under_a_how_much_question(archive, question):
    with QA(archive, llm="none") as bot:
        answer = bot.ask(question)
    assert answer.abstained
    assert "1.2bn" not in answer.text and "Heineken" not in answer.text  # another company's net profit
    said = answer.text.split("\n")[-1] if answer.text.startswith("Time asked about:") else answer.text
    assert "net profit" in said.split(".")[0]  # says what is missing (after the time the question names) ...
    assert answer.citations and all(c.passage.article_id == "grolsch" for c in answer.citations)  # ... and what is there


def test_an_unanswerable_question_abstains_before_any_model_runs(archive):
    with FakeLLMServer("ok", reply="Grolsch's net profit was 1.2bn euros [1].") as server, \
            QA(archive, llm="openai", base_url=server.url, llm_model="fake") as bot:
        answer = bot.ask("What was Grolsch's net profit in 2004?")
        assert not server.bodies  # no prompt was sent
    assert answer.abstained and "1.2bn" not in answer.text


def test_the_sentence_that_gives_the_asked_name_is_quoted(archive):
    with QA(archive, llm="none") as bot:
        answer = bot.ask("Who did Corvex pick to run its European operations after Anna Berg moved?")
    assert not answer.abstained and "Tomas Lind" in answer.text


def test_a_why_question_is_answered_by_the_sentence_that_gives_a_reason(archive):
    with QA(archive, llm="none") as bot:
        answer = bot.ask("Why did Fizzco's profits fall?")
    assert not answer.abstained and answer.text.startswith("Bad weather across Europe")


def test_a_list_question_gathers_every_answering_article(archive):
    with QA(archive, llm="none") as bot:
        answer = bot.ask("Which companies have recalled products, and why?")
    lines = answer.text.splitlines()
    assert {c.passage.article_id for c in answer.citations} == {"kettles", "toycars", "painkillers"}
    assert len(lines) == 3 and all("[" in line for line in lines)  # one cited line per article
    for name in ("Brightline", "Toyland", "Medix"):
        assert sum(name in line for line in lines) == 1


def test_a_sentence_claiming_what_its_source_does_not_state_is_removed(embedder):
    from .test_answers import _passage

    pcs = _passage(1, "Hijacked home PCs are being used to pump out spam and viruses, the security firm said. "
                      "The worms spread through e-mail attachments.", "Worms hijack PCs")
    question = "Which worms have infected smart watches, and what do they do?"
    _, _, checks = verify_answer("The worms have infected smart watches, and they pump out spam and viruses [1].",
                                 [pcs], embedder, question)
    assert checks[0].action == "removed" and "does not state" in checks[0].reason
    _, _, checks = verify_answer("Hijacked home PCs pump out spam and viruses [1].",
                                 [pcs], embedder, "What do hijacked PCs do?")
    assert checks[0].action == "kept"
    # a distance or sum with its unit ("400m", "£2bn") is stated by the source that writes it so
    race = _passage(2, "Anna Berg ran the national indoor 400m final in 51.20 seconds on Saturday.", "Berg takes 400m title")
    _, _, checks = verify_answer("Anna Berg ran the national indoor 400m final in 51.20 seconds on Saturday [1].",
                                 [race], embedder, "In what time did Anna Berg win the national indoor 400m title?")
    assert checks[0].action == "kept", checks[0].reason


def test_a_when_answer_written_by_a_model_states_the_date(sample_bot, embedder):
    passages = passages_by_number(sample_bot, 19)
    question = "When did an official of South Korea's presidential office talk to reporters?"
    text, _, checks = verify_answer("A senior official told reporters on Tuesday [1].", passages, embedder, question)
    assert "on Tuesday (2024-11-05)" in text and checks[0].action == "kept"


def test_words_naming_the_archive_are_not_what_a_question_is_about(sample_bot):
    answer = sample_bot.ask("According to the story in the articles, what did Klingner say?")
    assert not answer.abstained and "Klingner" in answer.text


def test_a_who_said_answer_quotes_every_statement_of_the_paragraph_and_the_running_quote(archive):
    with QA(archive, llm="none") as bot:
        on_topic = bot.ask("What did Mara Quinn say about Amy Johnson?")
        running = bot.ask("What did Leo Park say about the film?")
    assert "Her courage still inspires pilots" in on_topic.text  # her second statement is the one on Johnson
    assert "It was cold every single day" in running.text  # the quote runs on after its first sentence


def test_a_speaker_quoted_only_on_other_topics_is_an_abstention(archive):
    with QA(archive, llm="none") as bot:
        answer = bot.ask("What did Leo Park say about the ticket prices?")
    assert answer.abstained and answer.text.startswith("The indexed articles don't quote Leo Park on")
    assert answer.citations and "winter" in answer.text  # what he is quoted on, cited


JOBLESS = {"jobless.txt": "Ruritania jobless rate falls\n\n"
                          "Ruritania's jobless rate fell to 8.2% in December from 8.9% in November, the statistics "
                          "office said.\n\n"
                          "The jobless rate is measured in the country's four largest cities. Economists expect "
                          "more people out of work in March, when seasonal farm jobs end.\n"}


@pytest.fixture(scope="module")
def jobless_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("jobless"), JOBLESS)


def test_a_rate_asked_for_one_month_is_not_another_months_nor_any_count(jobless_archive):
    assert asked("What was Ruritania's jobless rate in March?").kind == "number"
    with QA(jobless_archive, llm="none") as bot:
        missing = bot.ask("What was Ruritania's jobless rate in March?")
        given = bot.ask("What was Ruritania's jobless rate in December?")
    assert missing.abstained  # December's 8.2% and "four largest cities" are no rate for March
    assert not given.abstained and "8.2%" in given.text

