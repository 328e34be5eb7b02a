"""A question whose answer spans articles ("Which actors have died?"): every article that states the
question's predicate of an instance of its class gets one cited line; a sentence where the predicate is
someone else's (a singer's death mentioned beside an actor), another class's (a producer), hedged ("could
face a fine") or another sense ("stood still" for "stood down") gets none. Real index, real embedding model."""

from __future__ import annotations

import pytest

from qa.answer.listing import answers_list, list_question
from qa.api import QA

from .fakes import indexed_archive

ARTICLES = {
    "harlow.txt": "Stage veteran Harlow dies\n\n"
                  "British actor Peter Harlow, best known for the television drama Dockside, has died aged 80.\n",
    "vance.txt": "Comedy star Ruth Vance dies\n\n"
                 "Actress Ruth Vance, who starred in the sitcom Upstairs Flat, has died at the age of 66.\n",
    "moreno.txt": "Film legend Moreno found dead\n\n"
                  "Spanish actor Luis Moreno has been found dead at his home in Madrid. He was 74.\n",
    "quist.txt": "Tribute concert for singer Quist\n\n"
                 "Quist, who died in March, was honoured with a concert, while actor Sam Ford read a poem.\n",
    "dale.txt": "Record producer Dale dies\n\n"
                "Record producer Martin Dale, who worked with the Tidewater Band, has died aged 70.\n",
    "crash.txt": "Coach crash inquiry opens\n\n"
                 "Those who died in the crash were named as Ann Lee and Tom Hart, both of Leeds.\n",
    "veltra.txt": "Veltra fined over emissions\n\n"
                  "Chemical company Veltra has been fined 4m euros by regulators for hiding emissions data.\n",
    "norbank.txt": "Norbank penalised by watchdog\n\n"
                   "Norbank, the country's third-largest bank, was fined $20m for failing to report suspicious "
                   "transfers.\n",
    "dampco.txt": "Dampco under investigation\n\n"
                  "Builder Dampco could face a fine if inspectors find its damp-proofing faulty.\n",
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("lists"), ARTICLES)


def test_a_list_question_names_its_class_and_predicate():
    core = list_question("Which actors have died?").core.split()
    assert core[:2] == ["actors", "died"] and "dead" in core  # its near-synonyms are searched too
    assert list_question("Which next-generation games consoles are being prepared?").noun == "consoles"
    lq = list_question("Which candidates have stood down after a row?")
    assert lq.core.startswith("candidates stood down") and "quit" in lq.core
    assert answers_list(lq, "Tory candidate John Smith quit after the remark.", "Candidate quits") == "class"
    assert answers_list(lq, "Prices of homes stood still, the candidate said.", "") == ""
    assert list_question("Which company recalled kettles?") is None


def test_a_plural_that_is_not_the_subject_asks_for_one_thing():
    # a verb in -s after a singular noun, a plural inside "what did X ...", a plural after "of"
    for question in ("What tribe hunts seals with harpoons?", "Which harbour lies north of the bridge?",
                     "What did the river sensors record last spring?", "What colour of vans sells best?",
                     "What were the rules for dockers at the port?", "What happens after the ice thaws?"):
        assert list_question(question) is None, question
    for question in ("Which harbours were closed by the storm?", "Which airlines cut fares, and by how much?",
                     "Which firms sell cloud storage?", "Which budget airlines have cut fares?",
                     "What ferry operators were fined?", "Which coastal towns' harbours flooded?"):
        assert list_question(question) is not None, question


def test_every_article_stating_the_predicate_of_the_class_gets_a_line(archive, embedder):
    with QA(archive, llm="none") as bot:
        answer = bot.ask("Which actors have died?")
    lines = answer.text.splitlines()
    for name in ("Harlow", "Vance", "Moreno"):
        assert sum(name in line for line in lines) == 1, answer.text  # one line per article
    assert all("[" in line for line in lines if not line.startswith("..."))  # each line cited
    # a singer's death beside an actor's poem, a producer, the victims of a crash: other people
    for name in ("Quist", "Dale", "Ann Lee"):
        assert name not in answer.text, answer.text


def test_a_hedged_predicate_is_no_instance(archive, embedder):
    with QA(archive, llm="none") as bot:
        answer = bot.ask("Which companies were fined by regulators, and why?")
    assert "Veltra" in answer.text and "Norbank" in answer.text, answer.text
    assert "Dampco" not in answer.text, answer.text  # "could face a fine": not fined


def test_the_llm_answerer_gives_a_list_one_line_per_article(archive, embedder):
    from .fake_llm_server import FakeLLMServer

    with FakeLLMServer("ok", reply="Peter Harlow has died [1].") as server, \
            QA(archive, llm="openai", base_url=server.url, llm_model="fake") as bot:
        answer = bot.ask("Which actors have died?")
    lines = answer.text.splitlines()
    for name in ("Harlow", "Vance", "Moreno"):
        assert sum(name in line for line in lines) == 1, answer.text
    assert "Quist" not in answer.text and "Dale" not in answer.text, answer.text
    assert answer.extra["fallback"]["reason"].startswith("a list across articles")


def test_who_have_questions_need_a_person_named_before_the_predicate():
    lq = list_question("Who have defected to another party?")
    assert lq.classes == frozenset() and lq.predicate[0] == "defected"
    assert answers_list(lq, "Former minister Ann Cole defected to the Greens on Monday.", "Cole defects") == "name"
    assert answers_list(lq, "The party said defections were rare.", "Party conference") == ""


def test_joined_classes_are_both_the_class_and_the_predicate_follows_them():
    lq = list_question("Which athletes and civil servants were honoured in the list?")
    assert {"athletes", "servant"} <= lq.classes and lq.predicate[0] == "honoured"
    lq = list_question("Which chief executives and company directors have resigned?")
    assert {"executive", "directors"} <= lq.classes and lq.predicate == ("resigned",)
    lq = list_question("Which football and rugby managers were fined?")
    assert lq is not None and lq.noun == "managers" and lq.predicate == ("fined",)


RESIGNATIONS = {
    "mandarin.txt": "Ferry row official quits\n\n"
                    "The top civil servant at the centre of the ferry contracts affair has resigned.\n\n"
                    "Sir Alan Merrow was permanent secretary at the transport department during the affair.\n",
    "kell.txt": "Relay captain quits\n\n"
                "Athletes were stunned when sprinter Jo Kell resigned as captain of the relay team.\n",
    "bakery.txt": "Bakery chain expands\n\n"
                  "The Crumb bakery chain is opening 40 shops, its owner said.\n",
}


@pytest.fixture(scope="module")
def resignations(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("resignations"), RESIGNATIONS)


def test_an_instance_named_only_in_the_next_paragraph_is_in_its_line(resignations, embedder):
    with QA(resignations, llm="none") as bot:
        answer = bot.ask("Which athletes and civil servants have resigned?")
    lines = answer.text.splitlines()
    assert any("Jo Kell" in line for line in lines), answer.text
    # "The top civil servant ... has resigned" names no one: the next paragraph's sentence does
    assert any("top civil servant" in line and "Alan Merrow" in line for line in lines), answer.text
    assert "Crumb" not in answer.text


def test_a_list_naming_none_of_what_was_asked_is_declined(tmp_path):
    """"Which Kelport Coal mines ...?": the article blames the problems at its deep mines without naming one."""
    index = indexed_archive(tmp_path, {"coal.txt": "Kelport Coal profits fall\n\n"
                                       "Kelport Coal blamed geological problems, industrial action and \"operating "
                                       "flaws\" at its deep mines for its worsening fortunes.\n\n"
                                       "The firm employs 6,000 people.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("Which Kelport Coal mines were hit by geological problems?")
    assert answer.abstained and "geological problems" in answer.text
