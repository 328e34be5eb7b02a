"""Fact, why and how-many answers read for what the question asks: a count of the asked thing, about the
asked subject (a name given whole, not one word of it inside another name; a measure not qualified by
another subject), a figure of the asked measure and period rather than a neighbouring one, never a target
or forecast under what is, a reason tied to what is asked about, and the sentence after a lede when that is
where the asked name is. Real index and embedding model, articles written for the test."""

from __future__ import annotations

import pytest

from qa.answer.answerability import (about_subject, answers, asked, asked_deed, asks_rate, counted_noun, counted_verb, counts_asked, gives_kind, has_person, name_runs, names_group, names_other_measure, of_another_period,
                                     of_another_subject, states_deed, without_hedged_figures)
from qa.api import QA

from .fakes import indexed_archive

ARTICLES = {
    "starfall.txt": "Starfall Racer tops the charts\n\n"
                    "Gamers bought more racing titles than ever this winter. Starfall Racer sold more than two "
                    "million copies in its first month on sale, its publisher Orbit said.\n",
    "galaxy.txt": "Galaxy Golf 2006 reviewed\n\n"
                  "Galaxy Golf 2006 is out now for the PC and consoles. Reviewers have praised its courses, and "
                  "let us get a few things straight: it is the best golf game of the year.\n",
    "protour.txt": "Pro Golf Tour breaks records\n\n"
                   "Pro Golf Tour, the rival golf game from Birdie Soft, has sold 500,000 copies since its launch.\n",
    "freedonia.txt": "Freedonia trade gap hits record\n\n"
                     "Freedonia's trade deficit with Sylvania was $12bn in 2004, customs figures show. "
                     "Freedonia's overall trade deficit hit a record $40bn in 2004 as imports of oil rose.\n",
    "lakeside.txt": "Lighthouse film wins Lakeside prize\n\n"
                    "A film about a lighthouse keeper has won the top prize at the Lakeside Film Festival.\n\n"
                    "Marta Kowal's The Long Light follows a keeper on a remote island through one winter. "
                    "The jury praised its cinematography.\n\n"
                    "The festival, now in its 30th year, drew a record crowd of 40,000 people.\n",
    "malone.txt": "Singer sued by former manager\n\n"
                  "Singer Dex Malone is being sued by his former manager for $2m, claiming he broke a promise "
                  "to pay her a share of his earnings.\n\n"
                  "The manager, Carla Reyes, said Malone had signed a contract with her in 1998. She is asking "
                  "a court in Nashville for damages.\n\n"
                  "Malone's band scored several hits in the 1990s, including Hearts Hearts Hearts in 1999. "
                  "They are touring Europe this summer.\n",
    "sprint.txt": "Sprinters to fight bans\n\n"
                  "Sprinters Ana Petrova and Mila Sousa will fight the two-year bans imposed on them by the "
                  "Athletics League at a tribunal this weekend.\n\n"
                  "The league took action against the pair for failing to attend three drugs tests before the "
                  "championships. A tribunal will decide whether to ratify the sanction.\n",
    "brewco.txt": "Wet summer hits Brewco sales\n\n"
                  "A combination of bad weather and rising barley costs has hit sales at brewer Brewco.\n\n"
                  "Revenue fell 2% to 5bn euros in the year. However, Brewco's profit margins were helped by a "
                  "strong performance in Asia. Brewco is to raise its dividend by 10% after paying back some "
                  "of its debt.\n",
    "borland.txt": "Borland trade gap narrows\n\n"
                   "Borland's trade deficit shrank to $8bn in 2004, the statistics office said.\n\n"
                   "Officials were pleased. In 2004, Borland's exports rose 9% to $31bn while imports grew 4% to "
                   "$39bn.\n",
    "kestrel.txt": "Kestrel TV signs up viewers\n\n"
                   "Satellite broadcaster Kestrel TV has said it aims to have 60% of homes watching by 2010 - it is "
                   "predicting 9 million subscribers by that date. It currently has 3.2 million subscribers.\n",
    "pemberton.txt": "Pemberton flight numbers up\n\n"
                     "Pemberton Air said passenger numbers rose 6% in March. The airline expects to carry 20 million "
                     "passengers in the year to March 2006.\n",
    "emails.txt": "E-mail record broken\n\n"
                  "Office workers in Ruritania sent 40 billion e-mails in 2004, the Ruritanian Mail Council said.\n\n"
                  "The council said 4.1 billion were sent in November alone, the busiest month on record.\n\n"
                  "Between noon on 1 November and noon on 2 November, 250m e-mails were sent in Ruritania, the "
                  "busiest day.\n",
    "halvorsen.txt": "Banker loses discrimination claim\n\n"
                     "A former executive at the Oslo offices of Halvorsen Bank has lost her £3m ($5.8m) "
                     "discrimination case against the bank. A tribunal dismissed Petra Lindqvist's claims of "
                     "unequal pay.\n",
    "zembla.txt": "Zembla import bill soars\n\n"
                  "The gap between what the country sells abroad and what it buys hit $9bn, figures show.\n\n"
                  "Zembla's trade deficit with Sylvania shrank, officials said of the trade deficit.\n\n"
                  "Critics of the trade deficit blame the currency, which the trade deficit has weakened.\n\n"
                  "The trade deficit is a political issue, and ministers say the trade deficit will narrow.\n\n"
                  "Economists said the trade deficit reflected strong demand, and the trade deficit may grow.\n\n"
                  "Zembla's trade deficit was first recorded in 1971, when Zembla's trade deficit was small.\n\n"
                  "Unions say the trade deficit costs jobs, and that the trade deficit hurts factories.\n",
}


ARTICLES["ostria.txt"] = ("Reformers publish senate plan\n\n"
                          "A cross-party group of Ostrian reformers has proposed a smaller senate. The reformers "
                          "say all four main parties should back the Ostrian senate in their manifestos.\n\n"
                          "There would be 150 senators, including 100 elected members and 50 appointed members. "
                          "They would serve for ten years.\n")


@pytest.fixture(scope="module")
def facts_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("facts"), ARTICLES)


def test_another_games_sales_are_never_shown_under_how_many_copies(facts_archive):
    with QA(facts_archive, llm="none") as bot:
        answer = bot.ask("How many copies has Galaxy Golf 2006 sold?")
    assert answer.abstained
    # another game's count, whether it shares no word of the name or one ("Pro Golf Tour")
    assert "two million" not in answer.text and "500,000" not in answer.text
    assert "few things" not in answer.text.split(".")[0]  # a vague quantifier is no count


def test_a_count_of_the_whole_asked_phrase_is_placed_by_names_anywhere_in_its_paragraph():
    a = asked("How many blue voting slips did police find at the Dunmore depot in the Eastfield ward case?")
    paragraph = ("The Eastfield ward hearing went on. Officers described the Dunmore depot. \"Every one of these 312 blue "
                 "voting slips was sealed,\" he said.")
    sentence = "\"Every one of these 312 blue voting slips was sealed,\" he said."
    assert answers(a, sentence, "Officers described the Dunmore depot.", paragraph) == (True, True)
    # a count of something else in that paragraph stays unplaced: only the asked phrase written whole counts
    other = "\"Every one of these 312 envelopes was sealed,\" he said."
    assert answers(a, other, "Officers described the Dunmore depot.", paragraph.replace(sentence, other))[1] is False


def test_a_vague_quantifier_or_a_number_inside_a_name_counts_nothing():
    a = asked("How many copies has Galaxy Golf 2006 sold?")
    assert not counts_asked(a, "Let us get a few things straight: Galaxy Golf 2006 sold well.")
    assert not counts_asked(a, "Galaxy Golf 2006 sold out in 2004, its copies gone in days.")
    assert counts_asked(a, "Galaxy Golf 2006 sold more than 1.2 million copies.")
    # a count whose noun the sentence leaves to the one before it
    texts = asked("How many text messages were sent in May?")
    assert counts_asked(texts, "Figures showed that 2.1 billion were fired off in May alone.",
                        "Mobile owners sent 20 billion text messages in the year.")
    assert not counts_asked(texts, "Figures showed that 2.1 billion were fired off in May alone.",
                            "Mobile owners bought 20 million phones in the year.")


def test_a_multi_word_name_is_named_whole_or_by_a_part_standing_alone():
    runs = name_runs("Pro Golf Tour, the rival game, sold well. Mr Malone and LMA Manager 2005 did not.")
    assert not names_group(frozenset({"galaxy", "golf"}), runs)  # "Golf" inside another name
    assert not names_group(frozenset({"football", "manager"}), runs)
    assert names_group(frozenset({"dex", "malone"}), runs)  # a person by the surname
    assert not names_group(frozenset({"galaxy", "golf"}), name_runs("The team managed a golf course."))
    assert names_group(frozenset({"industrial", "commercial", "bank"}), name_runs("ICBC's profits rose."))


def test_the_measure_of_another_subject_is_no_answer(facts_archive):
    a = asked("How big was Freedonia's trade deficit in 2004?")
    assert of_another_subject(a, "Freedonia's trade deficit with Sylvania was $12bn in 2004.")
    assert not of_another_subject(a, "Freedonia's overall trade deficit hit a record $40bn in 2004.")
    with QA(facts_archive, llm="none") as bot:
        answer = bot.ask("How big was Freedonia's trade deficit?")
    assert not answer.abstained and "$40bn" in answer.text and "$12bn" not in answer.text


def test_the_name_in_the_paragraph_after_a_lede_is_quoted(facts_archive):
    with QA(facts_archive, llm="none") as bot:
        film = bot.ask("Which film won the top prize at the Lakeside Film Festival?")
        suing = bot.ask("Who is suing singer Dex Malone?")
    assert "The Long Light" in film.text
    assert "Carla Reyes" in suing.text and "Hearts Hearts" not in suing.text  # a song title names no one


def test_a_reason_is_tied_to_what_the_question_asks_about(facts_archive):
    with QA(facts_archive, llm="none") as bot:
        sales = bot.ask("Why did Brewco's sales fall?")
        bans = bot.ask("Why did the Athletics League ban Ana Petrova and Mila Sousa?")
    assert sales.text.startswith("A combination of bad weather")
    assert "margins were helped" not in sales.text and "dividend" not in sales.text
    assert "failing to attend three drugs tests" in bans.text


def test_a_model_is_shown_the_sentence_after_a_lede_that_names_the_answer(facts_archive):
    import json

    from .fake_llm_server import FakeLLMServer

    with FakeLLMServer("ok", reply="The manager, Carla Reyes, is suing him [2].") as server, \
            QA(facts_archive, llm="openai", base_url=server.url, llm_model="fake") as bot:
        answer = bot.ask("Who is suing singer Dex Malone?")
        prompt = json.dumps(server.bodies[0])
    assert "is being sued by his former manager" in prompt and "Carla Reyes" in prompt
    assert "Carla Reyes" in answer.text


def test_a_lede_a_model_chooses_is_followed_by_the_sentence_naming_the_answer(facts_archive):
    import re

    from .fakes import FakeBackend

    class ChoosingBackend(FakeBackend):
        """A grammar-taking backend (as the local model is) that always chooses the lede."""

        name, supports_grammar = "local", True

        def complete(self, messages, on_token=None, max_tokens=6, grammar=None):
            assert grammar is not None  # the choice is held to sentence numbers
            self.requests.append(messages)
            lede = re.search(r"\[(\d)\][^\n]*being sued by his former manager", messages[-1]["content"])
            return lede.group(1)

    with QA(facts_archive, llm="none") as bot:
        bot.set_llm("none")
        bot._backend = backend = ChoosingBackend()
        answer = bot.ask("Who is suing singer Dex Malone?")
    assert backend.requests, "the model was asked to choose"
    assert answer.backend == "local" and "being sued by his former manager" in answer.text
    assert "Carla Reyes" in answer.text  # the lede alone names no one
    assert any("Carla Reyes" in s for s in answer.extra["followed_by"])


def test_a_paragraphs_first_sentence_is_verified_after_the_last_of_the_paragraph_before(tmp_path):
    """The sentence naming the answer opens the second paragraph and names none of the question's words
    ("the 18-year-old"): read after the lede before it, as the extractive answer quotes it, it is kept."""
    import re

    from .fakes import FakeBackend

    class ChoosingBackend(FakeBackend):
        name, supports_grammar = "local", True

        def complete(self, messages, on_token=None, max_tokens=6, grammar=None):
            self.requests.append(messages)
            return re.search(r"\[(\d)\][^\n]*completed a superb week", messages[-1]["content"]).group(1)

    index = indexed_archive(tmp_path, {"vega.txt": "Vega makes tennis history\n\n"
                                       "Teenager Lina Vega completed a superb week at the Harbour Open by becoming the "
                                       "first player from Dunmore to win a WTA singles title.\n\n"
                                       "In front of a delirious home crowd, the 18-year-old battled past Alyona Petrova "
                                       "6-4 5-7 6-3.\n"})
    question = "Who did Lina Vega beat in the Harbour Open final?"
    with QA(index, llm="none") as bot:
        quoted = bot.ask(question)
        bot._backend = backend = ChoosingBackend()
        answer = bot.ask(question)
    assert "Alyona Petrova" in quoted.text  # the extractive answer quotes it
    assert backend.requests and answer.backend == "local" and "Alyona Petrova" in answer.text


def test_a_price_the_article_says_was_not_disclosed_is_declined_with_that_sentence(tmp_path):
    """The article gives what the seller paid for the hotel and three others last year, and says the price of
    this sale was not disclosed: both answerers decline and quote that sentence first."""
    from .fake_llm_server import FakeLLMServer

    index = indexed_archive(tmp_path, {"hotel.txt": "Grand Harbour hotel sold\n\n"
                                       "Dunmore's famous Grand Harbour hotel has been sold to a group led by investor "
                                       "Lena Marsh.\n\n"
                                       "The seller, Quay Holdings, bought the Grand Harbour along with three other hotels "
                                       "for £750m last year. Financial details of the deal were not disclosed.\n"})
    question = "How much did Lena Marsh's group pay for the Grand Harbour hotel?"
    with QA(index, llm="none") as bot:
        answer = bot.ask(question)
    assert answer.abstained and "not disclosed" in answer.text.split("[1]")[0]
    with FakeLLMServer("ok", reply="The group paid £750m [1].") as server, \
            QA(index, llm="openai", base_url=server.url, llm_model="fake") as bot:
        answer = bot.ask(question)
    assert answer.abstained and "£750m" not in answer.text.split("What they do say:")[0] and server.chat_requests == 0


def test_a_figure_of_another_measure_is_no_answer(facts_archive):
    a = asked("How big was Borland's trade deficit in 2004?")
    assert names_other_measure(a, "In 2004, Borland's exports rose 9% to $31bn while imports grew 4% to $39bn.")
    assert not names_other_measure(a, "Borland's trade gap shrank to $8bn in 2004.")  # a synonym names it
    assert not names_other_measure(a, "It shrank to $8bn in 2004.")  # no measure named: read the one before
    profit = asked("What was Borland's profit in 2004?")
    assert names_other_measure(profit, "Borland agreed to buy Sylvan at a price of $2bn.")  # a deal's price
    assert not names_other_measure(profit, "Borland's earnings rose 5% to $1bn.")
    paid = asked("How much did Borland pay for Sylvan?")  # the price stated by a verb, beside a tax claim
    assert not names_other_measure(paid, "Borland bought Sylvan for $2bn in a sale forced by a $5bn tax claim.")
    # a qualifier the question shares ("average", "whole") does not make another measure the asked one
    jobless = asked("What was Borland's average unemployment rate for the whole of 2004?")
    assert names_other_measure(jobless, "Average weekly wages in Borland grew 2.1% over the whole of 2004.")
    assert not names_other_measure(jobless, "Unemployment in Borland averaged 7.2% over the whole of 2004.")
    with QA(facts_archive, llm="none") as bot:
        answer = bot.ask("How big was Borland's trade deficit in 2004?")
    assert not answer.abstained and "$8bn" in answer.text and "$31bn" not in answer.text


def test_a_target_or_forecast_does_not_say_what_is(facts_archive):
    sentence = "Kestrel TV has said it aims to have 60% of homes watching by 2010 - it is predicting 9 million."
    assert "60%" not in without_hedged_figures(sentence) and "9 million" not in without_hedged_figures(sentence)
    # a forecast named after the actual figure leaves the actual one
    kept = without_hedged_figures("The 337 new shops opened were twice the 169 analysts had forecast.")
    assert "337" in kept and "169" in kept
    assert "£75m" in without_hedged_figures("Profits were better than expected at £75m.")  # beaten: what is
    assert "£59m" not in without_hedged_figures("Profits beat the market expectation of £59m.")
    assert "£5m" in without_hedged_figures("The firm, which had expected losses, made a profit of £5m.")
    with QA(facts_archive, llm="none") as bot:
        has = bot.ask("How many subscribers does Kestrel TV have?")
        carried = bot.ask("How many passengers did Pemberton Air carry in March?")
        expected = bot.ask("How many passengers does Pemberton Air expect to carry?")
    assert not has.abstained and has.text.startswith("It currently has 3.2 million subscribers")
    assert carried.abstained and "20 million" not in carried.text.split("What they do say")[0]
    assert not expected.abstained and "20 million" in expected.text  # asked for the forecast itself


def test_a_figure_of_another_period_is_no_answer(facts_archive):
    month = asked("How many e-mails were sent in Ruritania in November?")
    assert of_another_period(month, "Between noon on 1 November and noon on 2 November, 250m e-mails were sent.")
    assert not of_another_period(month, "4.1 billion were sent in November alone.")
    assert of_another_period(month, "Office workers sent 40 billion e-mails in 2004.")  # the year's
    assert not of_another_period(month, "It said 4.1 billion were sent.")  # the period left to the sentence before
    year = asked("How much did Borland export in 2005?")
    assert of_another_period(year, "Borland's exports rose 9% to $31bn in 2004.")
    assert not of_another_period(year, "Exports rose 9% to $31bn.", "Borland's 2005 figures were out.")
    assert not of_another_period(year, "Exports rose 9% to $31bn, the most since 1998.")  # a comparison
    with QA(facts_archive, llm="none") as bot:
        answer = bot.ask("How many e-mails were sent in Ruritania in November?")
    # the month's total, whose noun the sentence leaves to the paragraph before; not one day's
    assert not answer.abstained and "4.1 billion" in answer.text and "250m" not in answer.text


def test_an_organisation_is_no_person_so_the_next_sentence_names_her(facts_archive):
    assert not has_person("A former executive at Halvorsen Bank lost her case.")
    assert has_person("A tribunal dismissed Petra Lindqvist's claims.")
    with QA(facts_archive, llm="none") as bot:
        answer = bot.ask("Who is the former banker who lost a discrimination case?")
    assert "Petra Lindqvist" in answer.text


def test_the_figure_in_a_lede_the_search_missed_is_quoted(facts_archive):
    with QA(facts_archive, llm="none") as bot:
        found = bot.search("How big is Zembla's trade deficit?", k=2)
        answer = bot.ask("How big is Zembla's trade deficit?", k=2)
    assert all(p.paragraph != 1 for p in found.passages if p.article_id == "zembla")  # the lede words it otherwise
    assert not answer.abstained and "$9bn" in answer.text


def test_a_choosing_model_is_shown_first_what_the_extractive_answer_quotes(facts_archive):
    """The sentences a grammar-held model chooses among start with those the extractive answer quotes, in
    its order (a lede's figure, the sentence naming the answer after a lede), so its choice is never
    worse-informed than that answer."""
    import re

    from .fakes import FakeBackend

    class ChoosingBackend(FakeBackend):
        name, supports_grammar = "local", True

        def complete(self, messages, on_token=None, max_tokens=6, grammar=None):
            self.requests.append(messages)
            return "1"

    questions = ["Who is suing singer Dex Malone?", "Which film won the top prize at the Lakeside Film Festival?",
                 "How big is Zembla's trade deficit?"]
    with QA(facts_archive, llm="none") as bot:
        quoted = [bot.ask(q, k=2) for q in questions]
        bot._backend = backend = ChoosingBackend()
        for q in questions:
            bot.ask(q, k=2)
    assert len(backend.requests) == len(questions)
    for answer, messages in zip(quoted, backend.requests):
        shown = re.findall(r"^\[\d\] (.*)$", messages[-1]["content"], re.M)
        sentences = [s.strip() for s in re.split(r"\s*\[\d+\]\s*", answer.text) if s.strip()]
        assert sentences and shown
        # each quoted sentence is shown (alone or after the sentence it points back to), in the answer's order
        at = [next(i for i, text in enumerate(shown) if s in text) for s in sentences[:len(shown)]]
        assert at == sorted(at), (sentences, shown)


def test_the_source_a_question_names_is_not_its_subject_and_a_share_is_a_rate():
    """"What share of all calls are scams, according to Telcorp?": a percentage is asked for, of calls, and
    the answer need not name Telcorp (the figure is often in a sentence that credits no one)."""
    share = asked("What share of all calls are scams, according to Telcorp?")
    assert share.kind == "number" and asks_rate(share.question) and "telcorp" not in share.names | share.measure
    rise = asked("By how much could the cost of the policy rise by 2030, according to the Halden report?")
    assert rise.kind == "amount" and not rise.names


def test_a_peoples_adjective_names_its_place():
    runs = name_runs("The Scottish Executive said the policy was affordable.")
    assert names_group(frozenset({"scotland"}), runs)
    assert not names_group(frozenset({"wales"}), runs)


@pytest.mark.parametrize(("question", "dated"), [
    ("When is the deadline for Halden and Rovers to agree a fee?", True),  # a particular thing: a time
    ("When does the Brixton match start?", True),
    ("When did Jo Park resign?", True),
    ("When do comb jellies excrete ink?", False),  # in what circumstances
    ("When is a player offside?", False),
])
def test_when_asks_a_time_of_a_particular_thing_and_a_condition_of_a_kind(question, dated):
    assert asked(question).dated is dated


def test_single_names_joined_by_and_are_each_a_name():
    """"Halden and Rovers" are two clubs: a passage naming "Glasgow Rovers" names one of them; a name
    written with "and" inside it ("Industrial and Commercial Bank") stays one name."""
    assert asked("When is the deadline for Halden and Rovers to agree a fee for Jo Park?").groups == (
        frozenset({"halden"}), frozenset({"rovers"}), frozenset({"jo", "park"}))
    assert asked("What did Industrial and Commercial Bank report?").groups == (
        frozenset({"industrial", "commercial", "bank"}),)
    assert names_group(frozenset({"rovers"}), name_runs("Glasgow Rovers said the fee was too high."))


def test_a_figure_of_something_an_indefinite_phrase_brings_in_is_of_another_subject():
    count = asked("How many complaints did Telcorp itself receive in March?")
    assert of_another_subject(count, "Telcorp pointed to a small regional bank, which received 4,000 complaints in March.")
    assert not of_another_subject(count, "Telcorp, which received 4,000 complaints in March, apologised.")
    assert not of_another_subject(count, "Telcorp hired an auditor, who said 4,000 complaints had come in.")


def test_an_abstention_names_what_the_question_counts():
    from qa.answer.answerability import what_is_missing

    assert what_is_missing(asked("How many spam e-mails did Telcorp itself receive in March?")) == \
        "give the number of spam e-mails"
    assert what_is_missing(asked("How many people live in Brixham?")) == "give the number of people"
    assert what_is_missing(asked("What share of all calls are scams?")) == "give the share asked for"


def test_a_lede_describing_its_subject_is_read_with_the_sentence_naming_it(tmp_path):
    """"A Danish shipping company has agreed to pay $12.5m ...": the lede names no one; the next paragraph
    does ("The Norvik group was accused ..."), so the lede's figure answers a question naming Norvik."""
    index = indexed_archive(tmp_path, {"norvik.txt": (
        "Shipping firm admits fraud\n\n"
        "A Danish shipping company has agreed to pay $12.5m after admitting customs fraud in Kenya.\n\n"
        "The Norvik group was accused of under-declaring cargo at Mombasa between 2001 and 2003. It agreed to pay "
        "$4m in penalties and $8.5m to settle a civil claim brought by the Kenyan tax authority.\n")})
    with QA(index, llm="none") as bot:
        answer = bot.ask("How much did Norvik agree to pay after admitting customs fraud?")
    assert not answer.abstained and "$12.5m" in answer.text


def test_a_person_asked_for_by_a_names_role_is_not_the_name():
    """"What fine did the regulator impose on Norvik's chief executive?" asks an amount of a person: the
    company's own penalties are not about them."""
    fine = asked("What fine did the regulator impose on Norvik's chief executive?")
    assert fine.kind == "amount" and fine.role == "executive" and "norvik" in fine.names
    company = "Norvik agreed to pay $4m in penalties to the regulator."
    assert not about_subject(fine, company, company)
    assert about_subject(fine, "Its chief executive, Jo Dahl, was fined $50,000.",
                         "Norvik agreed to pay $4m. Its chief executive, Jo Dahl, was fined $50,000.")
    assert asked("What fine did Norvik pay?").role == ""


def test_a_count_of_another_of_the_questions_words_is_no_answer():
    members = asked("How many members would the senate proposed by the cross-party group have?")
    assert counted_noun(members) == {"members"}
    assert not counts_asked(members, "The reformers want all four main parties to back the proposed senate.")
    assert counts_asked(members, "There would be 150 senators, including 100 elected members.")
    assert counts_asked(members, "The senate would have 150 members.")


def test_the_figure_in_the_paragraph_after_the_retrieved_one_is_quoted(facts_archive):
    question = "How many members would the senate proposed by the cross-party group of Ostrian reformers have?"
    with QA(facts_archive, llm="none") as bot:
        retrieved = {(p.article_id, p.paragraph) for p in bot.search(question, k=1).passages}
        answer = bot.ask(question, k=1)
    assert retrieved == {("ostria", 1)}
    assert not answer.abstained and "150 senators" in answer.text and "four main parties" not in answer.text


LEDES = {
    "wards.txt": "Hospital merger plan dropped\n\n"
                 "Plans to merge the two hospitals of Wales's capital into one trust have been scrapped.\n\n"
                 "The health board said the trusts would instead share managers and buy supplies together.\n\n"
                 "\"It costs the health service £420 a day to keep each bed open and that cost is rising,\" the "
                 "board's chairman said.\n",
    "brenner.txt": "Brenner calls time on career\n\n"
                   "Harlow Rovers and Ostland forward Kai Brenner has ended his playing career to coach in the "
                   "Ostland youth league.\n\n"
                   "The 34-year-old, who has 61 caps, was the club's player of the year in 2001 but has struggled "
                   "with a knee injury for two seasons.\n",
}


@pytest.fixture(scope="module")
def ledes_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("ledes"), LEDES)


def test_a_peoples_adjective_in_the_question_names_its_place():
    welsh = asked("How much does a hospital bed cost the Welsh health service?")
    assert names_group(frozenset({"welsh"}), name_runs("Plans for Wales have been scrapped."))
    assert not names_group(frozenset({"welsh"}), name_runs("Plans for Scotland have been scrapped."))
    assert welsh.names  # the adjective is one of the question's names


def test_the_subject_named_only_in_the_lede_is_the_subject_of_later_paragraphs(ledes_archive):
    with QA(ledes_archive, llm="none") as bot:
        cost = bot.ask("How much does a hospital bed cost the Welsh health service each day?")
        caps = bot.ask("How many caps did Kai Brenner win for Ostland?")
    assert not cost.abstained and "£420" in cost.text
    assert (cost.citations[0].passage.article_id, cost.citations[0].passage.paragraph) == ("wards", 3)
    assert not caps.abstained and "61 caps" in caps.text


def test_the_lede_sets_a_one_word_name_but_not_a_person_named_in_full():
    caps = asked("How many caps did Kai Brenner win for Ostland?")
    lede = "Harlow Rovers and Ostland forward Kai Brenner has ended his playing career."
    assert about_subject(caps, "The 34-year-old Brenner has 61 caps.", "The 34-year-old Brenner has 61 caps.",
                         "", lede)
    assert not about_subject(caps, "The 34-year-old Brenner has 61 caps.", "The 34-year-old Brenner has 61 caps.")
    ban = asked("How long was Tom Vale banned for kicking Sam Reed?")
    earlier = "Last year Vale was banned for two months for kicking a referee."
    assert not about_subject(ban, earlier, earlier, "", "Tom Vale kicked Sam Reed in Saturday's match.")


def test_a_verb_and_particle_noun_is_no_form_of_the_verb():
    """"took $2m at the box office" is no cost: "took" is a form of "take", "takeover" (a word of the cost
    family) is not."""
    cost = asked("How much did the recut of Ostland Nights cost to make?")
    took = "The recut of Ostland Nights took just $239,000 in its first week."
    assert not about_subject(cost, took, took)
    spent = "The recut of Ostland Nights cost $4m to make."
    assert about_subject(cost, spent, spent)


def test_a_share_of_the_people_counted_answers_how_many_and_a_fraction_in_words_is_a_rate():
    polled = asked("How many nurses have been assaulted at work?")
    assert counts_asked(polled, "A union survey found that 14.5% of nurses say they have been assaulted at work.")
    assert not counts_asked(polled, "Assaults on nurses rose 14.5% last year, the union said.")
    assert not counts_asked(polled, "The survey found 14.5% of doctors had been assaulted.")
    # a share of what something else has is not how many it has
    assert not counts_asked(asked("How many seats would the new harbour council have?"),
                            "The plan proposes a council in which 60% of seats would be elected.")
    share = asked("What was the proportion of ferries to fishing boats in the harbour?")
    assert gives_kind(share, "Ferries numbered about one-eighth the number of fishing boats.")
    assert gives_kind(share, "Two-thirds of the boats were ferries.")
    assert not gives_kind(share, "Ferries and fishing boats filled the harbour.")


def test_a_sum_in_a_currency_written_as_a_word_is_an_amount():
    profit = asked("What net profit did Dalmark make last year?")
    assert gives_kind(profit, "Dalmark made a net profit of 4.2bn kronor last year.")
    assert gives_kind(profit, "Its profit rose to 310m rand.")
    assert gives_kind(profit, "The bank earned 1.2 trillion won.")
    assert not gives_kind(profit, "Dalmark's team won 4 games last year.")  # a score, not a sum
    # "how many" counts no sum, whatever its currency
    assert not gives_kind(asked("How many shares did Dalmark sell?"), "Dalmark sold them for 90m kronor.")


def test_a_money_verb_in_its_ing_form_asks_an_amount():
    assert asked("How much is Dalmark paying to join the Kelport gas project?").kind == "amount"
    assert asked("How much is the council charging for a parking permit?").kind == "amount"
    assert asked("How much is Kelport investing in its harbour?").kind == "amount"
    assert asked("How much rain is falling on Kelport?").kind == "number"
    # a price asked with "charge" is stated by what something is leased or rented for
    rent = asked("How much does Dalmark hope to charge to rent its vans?")
    rented = "Dalmark says it hopes to rent the vans for about $10 a day."
    assert rent.kind == "amount" and about_subject(rent, rented, rented)


def test_a_players_fee_states_what_a_club_paid_to_sign_him():
    fee = asked("How much did Kelport Rovers pay Dunmore City to sign Ivo Brandt?")
    signed = "Ivo Brandt was signed by Kelport Rovers for £4.6m from Dunmore City in 1998."
    assert about_subject(fee, signed, signed)
    # a fee of another kind of deal is still no fee for him
    assert not about_subject(fee, "Kelport Rovers raised £4.6m from Dunmore City fans.",
                             "Ivo Brandt joined Kelport Rovers. Kelport Rovers raised £4.6m from Dunmore City fans.")


def test_a_money_noun_inside_the_questions_frame_is_not_what_it_asks():
    assert asked("What might paying bonuses help the firm keep?").kind == "thing"
    assert asked("What bonus did the crew get?").kind == "amount"
    assert asked("What transfer fee did Rovers pay?").kind == "amount"


def test_a_date_answers_when_only_beside_the_event_asked_about(tmp_path, embedder):
    """"When was X recaptured?" is not answered by the day X failed to return: a date answers only in a
    sentence (or after the one before it, or under its headline) naming the asked event. A word that only
    describes the asked person ("escapee" before the name) names no event."""
    from qa.answer.answerability import dates_asked_event

    cantata = asked("When will the reconstruction of the Hartmann Cantata be performed?")
    assert not dates_asked_event(cantata, "The Hartmann Cantata was found among the papers of a pianist who died in 2001.")
    assert dates_asked_event(cantata, "It will be performed in Leipzig in May.")
    assert not gives_kind(cantata, "I could give the people of today an idea of his music.")  # now, no day
    assert gives_kind(cantata, "It will be performed today.")
    centre = asked("When did Warsaw become the center of Congress Poland?")  # spelt "centre" in the article
    assert dates_asked_event(centre, "In 1815 Warsaw became the centre of Congress Poland.")
    index = indexed_archive(tmp_path, {"vellmar.txt": (
        "Patient still missing\n\n"
        "Police are still searching for Tom Vellmar, who failed to return from a day trip to Kirkby on Monday. "
        "He had been allowed out of the Ashdown unit for the day. Councillors said the escapee must be recaptured "
        "before he harms anyone.\n")})
    with QA(index, llm="none") as bot:
        for question in ("When was Tom Vellmar recaptured?", "When was escapee Tom Vellmar recaptured?"):
            answer = bot.ask(question)
            assert answer.abstained and "don't say when" in answer.text, question
        answer = bot.ask("When did Tom Vellmar fail to return from his day trip?")
        assert not answer.abstained and "Monday" in answer.text


def test_a_count_stating_the_asked_verb_is_quoted_beside_counts_of_other_doings(tmp_path):
    """"How many flights did Kelair have to cancel?": three counts of flights delayed, diverted and on time
    match the question's words best; the count of flights cancelled, in a sentence about a meeting, is the
    answer and is quoted."""
    index = indexed_archive(tmp_path, {"kelair.txt": "Storm grounds Kelair at Kelport airport\n\n"
                                       "After the storm hit Kelport airport on Monday, 92 Kelair flights were delayed. "
                                       "After the storm hit Kelport airport, 40 Kelair flights were diverted to Redport. "
                                       "After the storm hit Kelport airport, only 12 Kelair flights left on time. "
                                       "Kelair's finance director told shareholders at the annual meeting in Redport that "
                                       "it had cancelled 41 flights, at a cost the company put at £3m.\n"})
    assert counted_verb("How many flights did Kelair have to cancel after the storm?") == "cancel"
    assert counted_verb("How many jobs will be cut at Kelair?") == "cut"
    assert counted_verb("How many copies has the game sold?") == ""  # no named subject before the verb: not read
    with QA(index, llm="none") as bot:
        answer = bot.ask("How many flights did Kelair have to cancel after the storm hit Kelport airport?")
    assert not answer.abstained and "cancelled 41 flights" in answer.text


@pytest.mark.parametrize(("question", "kind"), [
    ("What is the name of the woman suing Printco over its ink cartridges?", "person"),
    ("Which pupil asked Jack Dunn about under-age drinking?", "person"),
    ("From which club did Kelport Rovers sign the striker Dov Harel?", "name"),
    ("Which airline fired the blogger Lena Vark?", "name"),  # the airline is asked for, not the blogger
])
def test_a_name_asked_for_by_what_it_is_is_a_person_or_a_name(question, kind):
    assert asked(question).kind == kind


def test_a_woman_the_article_does_not_name_is_no_answer_to_what_her_name_is(tmp_path):
    """The article says a woman is suing the printer maker and names only its chief executive, who does not
    sue: asked her name, qa says the articles don't say who."""
    assert asked_deed("What is the name of the woman suing Printco?") == "suing"
    assert asked_deed("What is the name of the Briton from Kelport arrested in the inquiry?") == ""
    index = indexed_archive(tmp_path, {"ink.txt": "Woman sues Printco over ink\n\n"
                                       "A US woman is suing printer maker Printco, saying its ink cartridges are "
                                       "secretly programmed to expire on a certain date.\n\n"
                                       "The chips make the cartridges stop working even when ink remains. Printco "
                                       "chief executive Mark Dunn said the company would fight the case.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("What is the name of the woman suing Printco over its ink cartridges?")
    assert answer.abstained and "don't say who" in answer.text


def test_an_organisations_name_of_more_words_is_no_person():
    assert not has_person("A man from Kelport was arrested by the National Hi-Tech Crime Unit but has been bailed.")
    assert has_person("Dov Harel of Kelport Rovers said the deal was done.")


def test_an_ordinal_or_a_vague_quantifier_of_another_word_counts_nothing():
    votes = asked("How many votes were cast for the people's choice award at the Kelport Comedy Awards?")
    assert not counts_asked(votes, "The show won numerous awards at the 15th annual Kelport Comedy Awards.")
    assert counts_asked(votes, "More than 20,000 votes were cast for the people's choice award.")


def test_a_percentage_is_no_price_paid():
    paid = asked("How much did Norvik pay for the rights to explore in Kelport?")
    assert not gives_kind(paid, "Norvik's shares have jumped by almost 400% this year.")
    assert gives_kind(paid, "Norvik paid $7.5m for the rights.")
    assert gives_kind(asked("How much of Norvik does Kelport Holdings own?"), "Kelport Holdings owns 44% of Norvik.")
    assert gives_kind(asked("What rate of income tax will Kelport's savers have to pay?"), "They will pay 10% tax.")
    assert not gives_kind(asked("How much did Dov Harel pay for his stake in Norvik?"), "He now owns 85% of Norvik.")


def test_a_sale_or_a_gift_asked_how_much_asks_for_money():
    for question in ("How much is the Kelport violin expected to fetch at auction?",
                     "How much did Dov Harel donate to the flood appeal?"):
        assert asked(question).kind == "amount"


def test_a_name_placing_the_lede_is_read_in_its_article_but_not_for_a_later_paragraphs_event(tmp_path):
    """The lede gives the rise; the programme it was announced on is named a paragraph later. A later
    paragraph tells an earlier ban, of another match: the player's ban for the asked kick is not given."""
    index = indexed_archive(tmp_path, {
        "pay.txt": "Kelport plans maternity pay rise\n\n"
                   "Maternity pay for new mothers is to rise by £1,400 under plans announced by Kelport's "
                   "employment minister Ida Brandt.\n\n"
                   "Ms Brandt told Radio Dunmore's Sunday programme that paid leave would reach nine months.\n",
        "ban.txt": "Lock faces hearing over kick\n\n"
                   "Kelport lock Piet Lind faces a disciplinary hearing after he kicked Dunmore scrum-half Ola Berg.\n\n"
                   "Berg needed stitches. Lind says the clash was accidental.\n\n"
                   "Last June Lind was banned for two months for reckless use of a boot in a match against Norvik.\n"})
    with QA(index, llm="none") as bot:
        rise = bot.ask("By how much will maternity pay rise under the plans Ida Brandt announced on Radio Dunmore?")
        ban = bot.ask("How long was Piet Lind banned for kicking Ola Berg?")
    assert not rise.abstained and "£1,400" in rise.text
    assert ban.abstained and "two months" not in ban.text.split("What they do say")[0]


def test_a_withheld_buyer_a_gift_not_stated_or_a_price_placed_in_its_paragraph(tmp_path):
    """The article says the buyer was not named; the party's funding is credited to a donor with no sum
    beside other parties' campaign costs; the price of a session is given in the paragraph that names the
    website, a sentence before it."""
    index = indexed_archive(tmp_path, {
        "stake.txt": "Brewco stake sale agreed\n\n"
                     "The Kelport Asset Bureau, a government agency, owns 55% of Brewco. It will sell 33% to Dunmore "
                     "Spirits. The agency will also sell 10% of its stake in Brewco to another overseas company, "
                     "although it didn't say who.\n",
        "party.txt": "Kelport Party spent £2.4m on campaign\n\n"
                     "The Kelport Party spent £2.4m on its European election campaign. Much of its funding came "
                     "from millionaire Sir Ivo Senn, who helped pay for its posters. Labour's campaign cost £1.7m, "
                     "the Greens' £404,000, according to the Electoral Commission.\n",
        "hunt.txt": "Remote hunting site opens\n\n"
                    "A Zorbia company will let web users hunt deer with a remote-controlled rifle.\n\n"
                    "Ola Berg, the man behind the Kelshot website, said the idea came to him a year ago. He has "
                    "spent $10,000 on the rig. Each remote hunting session will cost $150 with extra fees for "
                    "meat processing.\n"})
    with QA(index, llm="none") as bot:
        buyer = bot.ask("Which overseas company will buy 10% of Brewco from the Kelport Asset Bureau?")
        gift = bot.ask("How much money did millionaire Sir Ivo Senn give the Kelport Party for its campaign?")
        price = bot.ask("How much will each remote-controlled hunting session cost on the Kelshot website?")
    assert buyer.abstained and "didn't say who" in buyer.text and "Dunmore Spirits" not in buyer.text.split("What")[0]
    assert gift.abstained and "£1.7m" not in gift.text.split("What they do say")[0]
    assert not price.abstained and "$150" in price.text.split("[1]")[0]


def test_a_comma_ends_a_name_of_the_question_and_a_colon_does_not():
    assert asked("Who set up Air Kelport, Zorbia's first low-cost airline?").groups == (
        frozenset({"air", "kelport"}), frozenset({"zorbia"}))
    assert asked("When did Kelport: Final Wars open?").groups == (frozenset({"kelport", "final", "wars"}),)
    # a bracket after a name spells it out: one name, so a sentence naming the project either way names it
    assert asked("How much is Zorbia putting into the KM2 (Kelport Media Two) project?").groups == (
        frozenset({"zorbia"}), frozenset({"km2", "kelport", "media", "two"}))
    # a star on a walk of fame is no person, a long jumper is
    assert asked("Which numbered star on the Kelport Walk of Fame did Godzilla receive?").kind == "name"
    assert asked("Which long jumper won the Kelport Open?").kind == "person"


def test_a_win_told_from_the_losers_side_names_who_beat_them(tmp_path):
    """"Who beat Lind?": the report says she went out, and a sentence on that she was dispatched by her
    opponent; the sentence between names a tournament, not who beat her."""
    beat = asked("Who beat 15-year-old Ana Lind in the first round of the Kelport Open?")
    assert states_deed(beat, "The wildcard entry was dispatched by fellow Zorbian Mia Sorel in straight sets.")
    assert states_deed(beat, "Lind lost to Mia Sorel 6-2 6-2.")
    assert not states_deed(beat, "Lind won the girls' singles at January's Dunmore Open.")
    index = indexed_archive(tmp_path, {"lind.txt": "Lind debut cut short\n\n"
                                       "Fifteen-year-old Ana Lind's first appearance in a senior tournament proved "
                                       "brief as the teenager went out in round one of the Kelport Open.\n\n"
                                       "Lind shot to the top of the junior rankings when she won the girls' singles "
                                       "at January's Dunmore Open. But the wildcard entry was dispatched by fellow "
                                       "Zorbian Mia Sorel in straight sets. Despite that she was happy.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("Who beat 15-year-old Ana Lind in the first round of the Kelport Open?")
    assert not answer.abstained and "Mia Sorel" in answer.text
