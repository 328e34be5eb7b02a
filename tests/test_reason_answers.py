"""Why-answers read for the reason of what is asked: a cue ties a cause to the asked effect only when the
effect stands on the effect's side of it, and a reason stated further on in a retrieved article is quoted
when the retrieved paragraphs only restate what happened. Real index and embedding model, articles written
for the test."""

from __future__ import annotations

import pytest

from qa.answer.answerability import (CAUSE_RE, asked, asks_means, asks_stated_reason, gives_reason_for, means_object, means_verb, own_account,
                                     reason_cues, reason_subject)
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
    "kanto.txt": "Kanto TV sued over eel stunt\n\n"
                 "A TV network is being sued for $1m by a viewer who says he was sickened by watching contestants "
                 "swallow live eels.\n\n"
                 "Dov Harel is taking action against Kanto TV over its programme Fear Street. He said the show "
                 "caused him to faint. Mr Harel, a teacher, said that after fainting he broke his wrist.\n",
    "marlo.txt": "Puppet pioneer honoured\n\n"
                 "Rosa Marlo, the puppeteer whose shows shaped children's television, is to receive a lifetime "
                 "award at the Kelport festival.\n\n"
                 "She began her career in 1960 at a small theatre in Kelport.\n\n"
                 "Her shows were to change what children watched forever. Marlo gave each puppet its own "
                 "everyday worries, such as homework and chores.\n\n"
                 "She retired in 1999 and lives in Kelport.\n",
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


def test_what_a_lawsuit_alleges_is_the_reason_for_it():
    suing = asked("Why are a boy's parents suing Dunmart over a video game?")
    assert gives_reason_for(suing, "The lawsuit alleges Dunmart misled customers by leaving age ratings off the box.")
    assert gives_reason_for(suing, "The lawsuit, accusing Dunmart of hiding the game's violence, was filed on Monday.")
    assert not gives_reason_for(suing, "Dunmart said it was studying the lawsuit.")  # no cue, no reason


def test_a_purpose_grounds_and_a_passive_allowed():
    spread = asked("Why did the Wage Board spread its recommended pay rise over two years?")
    # a purpose after the act: "spread it ... to allow" gives why it was spread
    assert gives_reason_for(spread, "We spread the rise over two years to allow firms time to adjust, the board said.")
    banned = asked("Why will Dunmore fans wearing clown masks be refused entry to Harbour Park?")
    assert gives_reason_for(banned, "Fans who wear the masks will be turned away on safety grounds.")
    # the refusal itself, in the passive, names no cause
    assert not gives_reason_for(banned, "Dunmore fans wearing clown masks will not be allowed in Harbour Park.")


def test_what_the_objecting_party_said_is_the_reason_for_the_objection(tmp_path):
    index = indexed_archive(tmp_path, {"speech.txt": "Ostrian speech row\n\n"
                                       "Lena Marsh has been accused of criticising the Zembla government in a speech "
                                       "to students during a visit there.\n\n"
                                       "Mrs Marsh said the court's ruling was a victory for the rule of law, because it "
                                       "protected two prisoners. The Greens said she broke a convention that Ostrian "
                                       "public figures do not act in a partisan way abroad.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("Why did the Greens object to Lena Marsh's speech in Zembla?")
    assert not answer.abstained and answer.text.startswith("The Greens said she broke a convention")


def test_of_the_joins_a_name_as_of_does():
    # "Lord of the Rings" is one name, so a passage naming "the Rings musical" names it
    assert asked("Why will the Lord of the Rings musical open in Toronto?").groups == (
        frozenset({"lord", "rings"}), frozenset({"toronto"}))


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


UNCUED = {
    "rally.txt": "Kelport council bans road rally\n\n"
                 "Kelport council has banned the Free Roads rally planned for the town square on Saturday.\n\n"
                 "Council leader Ann Reed said the rally could not be held safely in the town square while its "
                 "paving is relaid. Free Roads was fined last year because of litter left after its march.\n",
    "tolls.txt": "Bypass tolls to rise\n\n"
                 "Tolls on the Kelport bypass will rise by 10% in April because of higher repair costs, the road "
                 "operator said.\n",
}


@pytest.fixture(scope="module")
def uncued_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("uncued"), UNCUED)


def test_a_reason_stated_without_a_cue_is_quoted_after_the_cued_sentences(uncued_archive):
    """The only sentence with a cue ("because of") gives the reason for something else; the reason for the
    ban has none. The best-ranked sentences fill the answer after the cued one, so it is quoted."""
    question = "Why did Kelport council ban the Free Roads rally?"
    with QA(uncued_archive, llm="none") as bot:
        answer = bot.ask(question)
    assert not answer.abstained
    assert "could not be held safely" in answer.text
    assert len(answer.citations) <= 3 and answer.text.count("[") <= 3


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


def test_a_motive_or_a_persuasion_gives_the_reason_of_the_act_before_it():
    paid = asked("Why did Corvane pay money into the ruling party's campaign?")
    before = "Corvane was accused of paying $1m into the ruling party's campaign."
    assert gives_reason_for(paid, "At the time, Corvane was trying to win a mining licence.", before)
    assert gives_reason_for(paid, "Corvane paid the party in an effort to win a licence.")
    # a motive of something else, after a sentence that does not report the asked act
    assert not gives_reason_for(paid, "At the time, Corvane was trying to win a mining licence.",
                                "Corvane's shares rose 4% on Monday.")
    sang = asked("Why did Lina Okafor agree to sing at the benefit gig despite her sore throat?")
    worried = "Okafor said her sore throat had worried her ahead of the gig."
    # the reason turns from what the question concedes
    assert gives_reason_for(sang, "But the chance to help flood victims easily won her over.", worried)
    assert not gives_reason_for(sang, "But the chance to help flood victims easily won her over.",
                                "Okafor's new album is out in May.")


def test_a_cue_word_inside_a_name_is_no_cue():
    assert not reason_cues("Dov Harel is taking action against Kanto TV over its programme Fear Street.")
    assert reason_cues("Fear of losing the licence drove the decision.")
    assert reason_cues('He said: "Because the show made me faint."')
    suing = asked("Why is Dov Harel taking Kanto TV to court?")
    assert not gives_reason_for(suing, "Dov Harel is taking action against Kanto TV over its programme Fear Street.")


def test_a_reason_tied_within_its_sentence_comes_before_one_tied_through_the_sentence_before(reasons_archive):
    """The lede describing its subject ("A TV network") names it in the next paragraph; its reason is tied
    to "sued" in its own sentence, surer than "caused him to faint" after "taking action"."""
    with QA(reasons_archive, llm="none") as bot:
        answer = bot.ask("Why is Dov Harel taking Kanto TV to court?")
    assert not answer.abstained
    assert "swallow live eels" in answer.text.split("[1]")[0]


def test_an_explanation_credited_to_someone_or_a_plan_gives_the_reason():
    cut = asked("Why did Brewco cut 300 jobs?")
    before = "Brewco has cut 300 jobs at its Dunmore plant."
    assert gives_reason_for(cut, "Chief executive Ann Moy said the move was needed to keep the plant open.", before)
    assert gives_reason_for(cut, "Brewco cut the jobs as part of a restructuring plan.")
    # what someone said of something else is no reason for the act
    assert not gives_reason_for(cut, "Ann Moy said the new beer was selling well.", before)


def test_a_how_question_reads_the_verb_of_its_named_subject_and_what_it_is_done_to():
    assert means_verb("How did Rosa Marlo change children's television?") == "change"
    assert means_object("How did Rosa Marlo change children's television?") == {"children", "television"}
    assert means_verb("How do the Liberal Democrats plan to replace the council tax?") == "replace"
    assert means_verb("How do truancy sweeps catch pupils?") == ""  # no named subject: the verb is unsure
    assert means_verb("How did Simon Taylor get games in?") == ""  # a light verb says little


def test_a_how_answer_quotes_the_sentence_stating_its_verb_and_the_one_after_it(reasons_archive):
    """The retrieved lede speaks of the award; "were to change what children watched" and the
    sentence after it, saying how, are further on in the article."""
    with QA(reasons_archive, llm="none") as bot:
        answer = bot.ask("How did Rosa Marlo change children's television?", k=1)
    assert not answer.abstained
    first = answer.text.split("[2]")[0]
    assert "were to change what children watched" in first and "everyday worries" in first


OWN_ACCOUNTS = {
    "vark.txt": "Vark out of Kelport Open\n\n"
                "World number three Lena Vark has missed the Kelport Open, the last tournament before the Ostland "
                "championships.\n\n"
                "The organisers confirmed her withdrawal on Monday, an hour before her first-round match against "
                "Ana Dresk.\n\n"
                "\"I woke up with a fever and I'm not well enough to play,\" Vark said. \"I hope to be back for "
                "Ostland.\"\n\n"
                "Dresk goes through to the second round, where she meets the winner of a match between two "
                "qualifiers.\n",
    "torn.txt": "Torn skips awards dinner\n\n"
                "Film director Piet Torn stayed away from the Kelport film awards on Saturday, where his film won "
                "best picture.\n\n"
                "The award was collected by his producer, Mia Lund.\n\n"
                "\"I'm in the middle of shooting in the desert and I simply couldn't leave the set,\" Torn told "
                "reporters by phone.\n",
    "boro.txt": "Boro quits Kelport United board\n\n"
                "Businessman Tomas Boro has quit the board of Kelport United, the club announced on Friday.\n\n"
                "\"We will miss his advice and we wish him well,\" the club's chairman Ivo Senn said.\n",
}


@pytest.fixture(scope="module")
def accounts_archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("accounts"), OWN_ACCOUNTS)


def test_the_asked_person_and_their_own_account_are_recognised():
    assert reason_subject("Why did Lena Vark miss the Kelport Open?") == "Vark"
    assert reason_subject("Why did Yangtze Electric's profits double?") == ""  # a thing of theirs, not them
    assert reason_subject("How did Lena Vark play?") == ""
    assert own_account("Vark", "\"I'm not well enough to play,\" Vark said.", "")
    assert own_account("Vark", "\"I'm not well,\" she said.", "Lena Vark has pulled out.")
    assert not own_account("Vark", "\"I'm not well,\" she said.", "Her coach spoke to reporters.")
    assert not own_account("Vark", "\"She is not well,\" Vark's coach said.", "")  # not in the first person
    assert not own_account("Vark", "Vark said she was not well enough to play.", "")  # no quote
    assert not own_account("Vark", "\"We will miss her,\" the chairman said.", "Lena Vark has left.")


def test_a_persons_own_quote_beside_the_asked_event_is_its_reason(accounts_archive):
    with QA(accounts_archive, llm="none") as bot:
        missed = bot.ask("Why did Lena Vark miss the Kelport Open?")
        skipped = bot.ask("Why did Piet Torn skip the Kelport film awards?")
        quit_ = bot.ask("Why did Tomas Boro quit the Kelport United board?")
    assert not missed.abstained and "I woke up with a fever" in missed.text.split("[1]")[0]
    assert (missed.citations[0].passage.article_id, missed.citations[0].passage.paragraph) == ("vark", 3)
    assert not skipped.abstained and "couldn't leave the set" in skipped.text.split("[1]")[0]
    # someone else's words beside the event are no reason the article gives
    assert quit_.abstained and "miss his advice" not in quit_.text


def test_benefiting_from_something_is_a_reason():
    profits = asked("Why did Brewco's profits rise?")
    assert gives_reason_for(profits, "Brewco's profits have benefited from strong demand for lager.")
    assert not gives_reason_for(profits, "Brewco's rivals have benefited from the hot summer.")


def test_what_the_event_led_to_a_hedge_or_a_role_before_a_name_ties_no_reason():
    # a participle after a comma says what the asked event led to: flights delayed after the visit are its effect
    visit = asked("Why did the president's visit to Kelport take two hours, disrupting ferry crossings?")
    assert not gives_reason_for(visit, "Ferry crossings were delayed following the president's arrival.", None)
    # "expected" hedges the event: shared with a sentence, it ties nothing
    pull = asked("Why was Redrock expected to pull out of the Kelport mine?")
    assert not gives_reason_for(pull, "Shares were expected to rise after the results.", None)
    assert gives_reason_for(pull, "Redrock is to pull out of the mine after floods.", None)
    # a role before a name describes the person: another leader's accusation is no reason for the resignation
    resign = asked("Why did Kelport party leader Dov Harel resign?")
    assert not gives_reason_for(resign, "Opposition leader Rosa Marlo accused him of failing to serve voters.", None)
    assert gives_reason_for(resign, "Dov Harel resigned following criticism of his second job.", None)
    # "party" is no form of "partner"
    partner = asked("Why did Dov Harel resign as a partner at the law firm Harel Lowe?")
    assert not gives_reason_for(partner, "The Green Party accused him of failing to serve voters.", None)
    assert gives_reason_for(partner, "Dov Harel has resigned as a partner following criticism.", None)


def test_meant_that_opens_a_clause_and_points_to_no_effect_before_it():
    # "The extra time meant that ..." gives what the long visit caused, not why it was long
    visit = asked("Why did the president's visit take two hours?")
    before = "The president's visit took two hours instead of one."
    assert not gives_reason_for(visit, "The extra time meant that there were long delays.", before)
    assert gives_reason_for(visit, "This was due to a security alert.", before)


def test_a_reason_said_not_to_be_given_or_since_of_time_ties_nothing():
    # "did not give a reason for the split": the cue word is there, the reason is not
    split = asked("Why did Lena Vark split from her coach Dov Harel?")
    assert not reason_cues("Vark released a statement but did not give a reason for the split.")
    assert not gives_reason_for(split, "Vark released a statement but did not give a reason for the split.", None)
    assert not reason_cues("She gave no reason, and it is unclear why the pair parted.")
    assert not reason_cues("The firm was unavailable to comment on why it had dropped the plan.")
    assert reason_cues("The reason for the split was a row over money.")
    # "since winning gold" says when, "since demand slowed" says why
    assert not reason_cues("The sprinter has shed weight since winning relay gold.")
    assert reason_cues("Sales fell since demand slowed.")
    # a sportsman's title before his name describes him: another champion's ban is no reason for a retirement
    retire = asked("Why is double world champion Dov Harel retiring?")
    assert not gives_reason_for(retire, "World 400m champion Lev Marek was banned after a second doping offence.", None)


def test_leaving_is_resigning_a_post_after_as_is_no_event_and_a_length_of_time_is_no_cause():
    resign = asked("Why did Lena Vark resign as director of the Kelport Cyber Division?")
    # "left" is how the article says she resigned
    assert gives_reason_for(resign, "Reports suggest she left because her division was not given enough clout.", None)
    # the post she resigned from ("as director") is no word of the event
    assert not gives_reason_for(resign, "Lena Vark was director of the Kelport Cyber Division, created following "
                                        "the floods.", None)
    # "after only a year" says when
    assert not reason_cues("The head of Kelport's cyber defences has resigned after only a year in her post.")
    assert reason_cues("She was sacked after two disappointing seasons.")


@pytest.mark.parametrize(("sentence", "cue"), [
    ("Souness hopes Shearer, who is due to retire in the summer, will stay on.", None),  # a plan
    ("The delay was due to bad weather.", "due to"),
    ("The Paris Club offered to freeze debts owed by tsunami-hit countries.", None),  # a description
    ("Bad weather hit sales.", "hit"),
    ("He confirmed a renewed drive to reform the authority.", None),  # a noun
    ("High demand will drive prices up.", "drive"),
    ("Victory will no doubt fuel expectations.", "fuel"),
    ("Every school would have the same libraries as the students in Oxford.", None),  # a comparison
    ("Butane gas is used as the main source of heat.", None),  # a role
    ("Sales fell as consumers cut back.", "as "),
    ("Their 3-0 win over Kelport Rovers was the club's first in a month.", None),  # a victory
    ("The offer won them over.", "won"),
    ("Staff are on the ground in Kelport.", None),
    ("He stood down on health grounds.", "on health grounds"),
    ("The price of butane gas, a vital fuel for cooking, has risen.", None),  # inside an apposition
    ("Given these circumstances, the commander decided to turn back the coaches.", "Given"),
    ("He was given the award in 2003.", None),  # the passive verb
    ("The revival will also star Mira Lund as the ageing mother, Alma.", None),  # "as" naming a role
    ("Shares slid as the rand strengthened against the dollar.", "as "),  # "as" before a clause
    ("Dov Harel explained why he waited before taking the kick.", None),  # an explanation announced
    ("That is why the kick was taken quickly.", "why"),
])
def test_a_cue_word_used_otherwise_than_for_a_cause_is_no_cue(sentence, cue):
    found = [m.group(0) for m in reason_cues(sentence)]
    assert (cue in found) if cue else not found


def test_a_reason_of_a_relative_clause_or_of_something_the_asked_event_caused_is_not_its_reason():
    barred = asked("Why was the auditor Dunmore & Co barred from joining the case over Norvik's collapse?")
    # "after" gives why the group went bust, not why anyone was barred or banned from suing
    assert not gives_reason_for(barred, "Kelport Bank has been banned from suing Norvik, the food group which went "
                                        "bust in 2003 after an accounting scandal.", None)
    signed = asked("Why did Japan, one of the biggest creditor nations, finally sign up to the debt deal?")
    # the asked event is the cause here: of the deal being hammered out
    assert not gives_reason_for(signed, "The debt deal was hammered out after Japan, one of the biggest creditor "
                                        "nations, finally signed up to it.", None)
    assert gives_reason_for(signed, "Japan signed up to the deal after pressure from its neighbours.", None)
    # the question's own means ("by transferring ...") is no answer to why
    quit_ = asked("Why is Norvik quitting the panel market by transferring its operations to Dunmore?")
    assert not gives_reason_for(quit_, "Norvik is quitting the panel market by transferring its operations to "
                                       "Dunmore.", None)
    # "the company" says where he was, not what he did
    gold = asked("Why did director Lev Marek quit the company in 2003?")
    assert not gives_reason_for(gold, "Norvik failed to disclose how family members of directors were employed by "
                                      "the company.", None)


def test_a_cue_restating_the_asked_event_or_explaining_another_named_persons_act_is_no_reason():
    failed = asked("Why did the Kelport post office fail to deliver ballot papers to homes in Dunmore?")
    # "failed to" says that it happened, not why
    assert not gives_reason_for(failed, "About 300 homes in Dunmore have failed to receive ballot papers.", None)
    assert gives_reason_for(failed, "The post office failed to deliver the papers because a van broke down.", None)
    trained = asked("Why was Piet van Rooyen training in Holland while recovering from his knee injury?")
    # "van" is part of his name, not a word of what he did
    assert not gives_reason_for(trained, "Fans cheered Van Rooyen for scoring twice.", None)
    # the sentence states an effect of its own, of someone else: it explains no act the sentence before tells
    before = "Piet van Rooyen has been training in Holland while recovering from his knee injury."
    assert not gives_reason_for(trained, "Coach Ida Brandt was unhappy with Van Rooyen for hiding the injury.", before)
    # a sentence going on from the one before keeps its cause: "took action" is the ban itself
    ban = asked("Why did the Kelport League ban sprinters Ana Lind and Mia Sorel?")
    assert gives_reason_for(ban, "The league took action against the pair for missing three drugs tests.",
                            "Sprinters Ana Lind and Mia Sorel will fight the bans imposed by the Kelport League.")


def test_a_reason_announced_is_followed_by_the_account_that_gives_it(tmp_path):
    """The match report says the striker explained why he paused; his own words come a paragraph later."""
    index = indexed_archive(tmp_path, {"kick.txt": "Referee backs quick free-kick\n\n"
                                       "Referee Ola Berg said he applied the laws in allowing Kelport striker Dov "
                                       "Harel's quick free-kick in Sunday's 2-2 draw with Dunmore.\n\n"
                                       "Harel explained why he paused before striking the ball for the goal.\n\n"
                                       "\"I was waiting for their defender to move and give me some space,\" Harel "
                                       "told Radio Kelport.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("Why did Dov Harel pause before taking his quick free-kick against Dunmore?")
    assert not answer.abstained and "waiting for their defender to move" in answer.text


def test_a_perfect_cause_first_cue_ties_its_object_and_a_result_clause_is_read_after_its_cause():
    from qa.answer.prompts import needs_context
    surge = asked("Why did new car sales in Zorbia surge last year?")
    # "have driven" puts the cause first, like "has hit": sales stand on the effect's side
    assert gives_reason_for(surge, "Cheap credit and rising wages have driven car sales.", None)
    assert not gives_reason_for(surge, "Car sales have driven the steel industry's growth.", None)
    # "As a result, ..." is quoted after the sentence that gives its cause
    assert needs_context("As a result, hopes that the deal will be approved quickly have faded.")
    assert not needs_context("Approval of the deal has been delayed.")


def test_what_a_person_or_party_went_on_to_say_answers_why_they_said_it(tmp_path):
    """The singer's announcement is followed by his own words (a quote credited to "the singer", then
    reported speech); the union's opposition is followed by what the union said, a paragraph on, while a
    cue sentence about someone else's role stands nearer."""
    index = indexed_archive(tmp_path, {
        "band.txt": "Kelport Stones to make no more albums\n\n"
                    "Rock star Dov Harel has said his band the Kelport Stones will make no more albums.\n\n"
                    "\"At the end of it I didn't like touring all the time,\" the Kelport Stones singer told "
                    "reporters in Rome.\n\n"
                    "Harel said he had had enough of the work involved in recording. His wife Ida was the driving "
                    "force behind the band, earning the family $8m.\n",
        "union.txt": "Union opposes warden powers\n\n"
                     "The Kelport Union has said it strongly opposes giving street wardens the power to detain "
                     "suspects for up to 30 minutes.\n\n"
                     "The powers were extended to every town on Thursday. The union said wardens do not have the "
                     "training to deal with confrontational situations. But the council said the move would help "
                     "build safe streets.\n"})
    assert asks_stated_reason("Why did Dov Harel say his band would make no more albums?")
    assert not asks_stated_reason("Why did Dov Harel miss the concert?")
    with QA(index, llm="none") as bot:
        band = bot.ask("Why did Dov Harel say his band would make no more albums?")
        union = bot.ask("Why does the Kelport Union oppose giving street wardens the power to detain suspects?")
    first = band.text.split("[1]")[0]
    assert not band.abstained and ("didn't like touring" in first or "had enough of the work" in first)
    assert not union.abstained and "do not have the training" in union.text.split("[1]")[0]


def test_a_quote_opened_mid_sentence_is_the_persons_own_account():
    # the quote opens after "She added the pair": the sentence is no continuation of an earlier quote
    assert own_account("Kelport TV", "She added the pair \"brought warmth, but in the end we felt we had done "
                                     "enough with the format\".", "Kelport TV said the show will not return.")
    # "he added" after a quote speaking of a third person is someone else speaking of the asked person
    assert not own_account("Lind", "\"I think if he got it this year he would want to stay,\" he added.",
                           "Coach Ola Berg wants Lind to stay.")
    assert own_account("Lind", "\"I think I will stay another year,\" he added.", "Ana Lind plays on.")


def test_a_name_not_written_as_one_a_closed_clause_a_price_or_the_doer_ties_no_reason():
    # "cross country" is not the race named "Great Kelport Cross Country"
    missing = asked("Why is Ana Lind missing January's Great Kelport Cross Country?")
    assert not gives_reason_for(missing, "Lind, who came fifth in Athens, helped the British cross country team win "
                                         "silver last week.")
    # the relative clause closed before the cue: "after four fouls" is of the leap, not of not competing
    indoors = asked("Why has long jumper Ana Lind not competed indoors for five years?")
    assert not gives_reason_for(indoors, "But Lind, who has not competed indoors for five years, leapt to a best of "
                                         "6.50m in her last jump, after four fouls.", None)
    assert gives_reason_for(indoors, "Lind, who has not competed indoors because of a back injury, is back.", None)
    # "300p a share" is the price, not a word of the asked decision
    buyout = asked("Why did Kelport United's board decide not to go ahead with a buyout at just over 300p a share?")
    assert not gives_reason_for(buyout, "Shares in Kelport United rose 5% following a new offer.")
    # "board" is who decided, not what was decided: the board rejecting another move says nothing of the buyout
    assert not gives_reason_for(buyout, "However, the board rejected the bid because of the debt it would involve.")
    assert gives_reason_for(buyout, "The board dropped the buyout because of the debt it would involve.")


def test_the_local_model_reads_a_persons_own_account_as_the_extractive_answer_does(accounts_archive):
    """No cue ties a reason to the missed match, but Vark's own words after it are her reason: the local
    model's answer is not declined before or after it runs."""
    with QA(accounts_archive, llm="local") as bot:
        missed = bot.ask("Why did Lena Vark miss the Kelport Open?")
    assert not missed.abstained and "I woke up with a fever" in missed.text


def test_a_name_after_a_cause_first_cue_ties_only_as_the_asked_doer():
    # the opponent named after "helped" is whom the speaker helped, not the asked player's retirement
    retire = asked("Why did Pieter Vall retire from his Kelport Cup match against Tomas Berg?")
    assert not gives_reason_for(retire, '"It feels deserved this time as I\'ve helped Tomas to get through," she said.')
    assert gives_reason_for(retire, "A knee injury has helped Pieter Vall decide to retire from the match.")


def test_an_event_stated_by_one_word_of_many_or_in_another_year_is_not_the_asked_one():
    from qa.answer.answerability import states_event
    floating = asked("Why did Dalmo decide against floating Vespri on the stock market in 2002 and sell a stake "
                     "to Banca Orla instead?")
    assert states_event(floating, "It considered floating Vespri in 2002 but opted to sell a stake to Banca Orla.")
    assert not states_event(floating, "Dalmo underperformed the market in Europe last year.")  # one word of eight
    assert not states_event(floating, "Vespri could be floated on the stock market in 2006, selling a stake.")
    assert states_event(asked("Why did Lena Vark miss the Kelport Open?"), "Vark has missed the Kelport Open.")
