"""Who-said answers on an archive ("What did X say about T?"): the asked person is the one named in full,
their statements (however credited) answer, on-topic ones first, never narrative about them, and a person
quoted only on other things gets "the articles don't quote X on T". Both answerers. Real index, real
embedding model; the LLM is a loopback server replaying a fixed draft."""

from __future__ import annotations

import pytest

from qa.api import QA

from .fake_llm_server import FakeLLMServer
from .fakes import indexed_archive

ARTICLES = {
    "robbery.txt": "Councillor robbed in Lisbon\n\n"
                   "Maria Okafor, the councillor for Eastfield, was robbed near her hotel in Lisbon on Friday. She "
                   "was not hurt in the robbery. Ms Okafor, 52, said the robbery happened at dusk near the river.\n\n"
                   "She said in a statement: \"It was a terrifying moment. \"I kept calm and handed over my bag.\"\n\n"
                   "Ms Okafor praised the Lisbon police after the robbery. \"The officers were kind and found my "
                   "passport within a day,\" she said.\n",
    "airline.txt": "Airline reviews winter timetable\n\n"
                   "Communications chief Daniel Okafor said the airline would review its winter timetable after "
                   "a robbery at the terminal. \"Passengers deserve better,\" Okafor said.\n",
    "harbour.txt": "Hale signs new Harbour deal\n\n"
                   "Peter Hale, the Harbour coach, signed a new contract on Friday, keeping him at the club until 2027.\n\n"
                   "\"I am delighted to stay and build something here,\" Hale said on Friday before signing.\n\n"
                   "Meanwhile, Mr Hale has criticised striker Tomas Berg for his remarks before the derby.\n\n"
                   "Mr Berg spoke of his dislike of the rivals before the match, which Harbour lost. \"I've had a "
                   "long talk with Tomas about his remarks. It was said to the whole squad,\" he told the club's "
                   "website. \"Nobody should hand our rivals cheap headlines.\"\n",
    "charts.txt": "Vance beats Bell to number one\n\n"
                  "Singer Zola Vance has denied Marco Bell his third number one, after her single Glass Rivers went "
                  "to the top of the charts.\n",
    "awards.txt": "Vance wins at music awards\n\n"
                  "Zola Vance won best newcomer at the city music awards, beating four other singers. Zola Vance "
                  "told the audience: \"Thank you all for coming tonight, it means the world.\"\n",
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory, embedder):
    return indexed_archive(tmp_path_factory.mktemp("who-said"), ARTICLES)


def test_a_full_name_is_one_person_and_he_said_after_narrative_is_theirs(archive):
    with QA(archive, llm="none") as bot:
        answer = bot.ask("What did Maria Okafor say about the robbery?")
    assert not answer.abstained
    assert "terrifying moment" in answer.text  # credited by "She said" after the narrative naming her
    assert {c.passage.article_id for c in answer.citations} == {"robbery"}  # never Daniel Okafor
    assert "was robbed near her hotel" not in answer.text  # narrative about her is not her word


def test_the_speakers_statement_on_the_topic_comes_first(archive):
    with QA(archive, llm="none") as bot:
        answer = bot.ask("What did Peter Hale say about Tomas Berg's remarks?")
    assert not answer.abstained
    # his view with him as subject may lead ("Mr Hale has criticised ..."); his words on it come before his
    # words on the contract, the whole quote, though its cue comes a sentence later
    assert "\"I've had a long talk with Tomas" in answer.text
    assert answer.text.index("long talk") < answer.text.index("delighted to stay")


def test_a_speaker_quoted_only_on_other_things_is_not_quoted_on_the_topic(archive):
    question = "What did Zola Vance say about beating Marco Bell to number one?"
    with QA(archive, llm="none") as bot:
        answer = bot.ask(question)
    assert answer.abstained and "don't quote Zola Vance" in answer.text
    assert "Thank you all for coming" in answer.text  # what the articles do quote
    assert "denied Marco Bell" not in answer.text  # the chart narrative is no statement of hers
    # the LLM answerer abstains the same way, before the model is called
    with FakeLLMServer("ok", reply="Zola Vance said she beat Marco Bell [1].") as server, \
            QA(archive, llm="openai", base_url=server.url, llm_model="fake") as bot:
        answer = bot.ask(question)
    assert answer.abstained and "don't quote Zola Vance" in answer.text and server.chat_requests == 0


def test_a_person_the_articles_mention_but_never_quote_gets_no_ones_words(tmp_path, embedder):
    """A who-said question on a person no article credits a statement to: the sentences about them are others'
    words, so both answerers say the articles mention them without quoting them, and show those sentences."""
    index = indexed_archive(tmp_path, {
        "coin.txt": "Kovac hit by coin at derby\n\n"
                    "Striker Luka Kovac needed treatment after being hit by a coin thrown from the crowd during "
                    "the derby.\n\n"
                    "\"Whoever threw the coin will be banned for life,\" said Harbour coach Peter Hale.\n",
        "lyrics.txt": "Parents sue shop over Glasswing CD\n\n"
                      "A couple are suing the Kelmart chain over a CD by rock group Glasswing that contains swear "
                      "words. \"We bought it for our daughter because it had no warning sticker,\" the mother said.\n",
        "atoms.txt": "Early atomic theory\n\n"
                     "John Kelmer's original atomic hypothesis assumed that all elements were monatomic and that "
                     "atoms in compounds had the simplest ratios.\n"})
    question = "What did Luka Kovac say about being hit by a coin?"
    with QA(index, llm="none") as bot:
        answer = bot.ask(question)
        quoted = bot.ask("What did Peter Hale say about the coin?")
        described = bot.ask("What did Harbour striker Luka Kovac say about being hit by a coin?")
    assert answer.abstained and "mention Luka Kovac but don't quote them" in answer.text
    assert "needed treatment" in answer.text and "banned for life" not in answer.text
    assert not quoted.abstained and "banned for life" in quoted.text  # a quoted person is answered as before
    assert described.abstained and "mention Luka Kovac but don't quote them" in described.text  # a role before it
    with QA(index, llm="none") as bot:  # a band's name too: the mother's words are not the band's
        band = bot.ask("What did Glasswing say about the lawsuit against Kelmart?")
    assert band.abstained and "mention Glasswing but don't quote them" in band.text and "warning sticker" not in band.text
    # a surname alone, which the articles write after a first name, is a person whose views narrative may report
    with QA(index, llm="none") as bot:
        view = bot.ask("What did Kelmer think the atomic ratios were in compounds?")
    assert not view.abstained and "simplest ratios" in view.text
    with FakeLLMServer("ok", reply="Luka Kovac said the coin hurt [1].") as server, \
            QA(index, llm="openai", base_url=server.url, llm_model="fake") as bot:
        answer = bot.ask(question)
    assert answer.abstained and "don't quote them" in answer.text and server.chat_requests == 0


def test_the_llm_is_shown_the_on_topic_statement_first(archive):
    with FakeLLMServer("ok", reply="Hale said he had had a long talk with Tomas about his remarks [1].") as server, \
            QA(archive, llm="openai", base_url=server.url, llm_model="fake") as bot:
        answer = bot.ask("What did Peter Hale say about Tomas Berg's remarks?")
        prompt = server.bodies[-1]["messages"][-1]["content"]
    assert "long talk with Tomas" in prompt and prompt.index("long talk") < prompt.index("delighted to stay")
    assert "long talk with Tomas" in answer.text and not answer.extra.get("fallback")


def test_a_statement_whose_paragraph_the_model_cites_for_other_words_is_still_quoted(archive):
    import re

    def reply(body: dict) -> str:
        prompt = body["messages"][-1]["content"]
        n = next(m.group(1) for m in re.finditer(r'<passage n="(\d+)"[^>]*>\n([^<]*)', prompt) if "praised" in m.group(2))
        return f"Ms Okafor praised the Lisbon police after the robbery [{n}]."

    with FakeLLMServer("ok", reply=reply) as server, \
            QA(archive, llm="openai", base_url=server.url, llm_model="fake") as bot:
        answer = bot.ask("What did Maria Okafor say about the robbery?")
    assert "praised the Lisbon police" in answer.text and not answer.extra.get("fallback")
    # the draft cites her statement's paragraph for its narrative sentence only: the quote follows, verbatim
    assert "found my passport within a day" in answer.text


ROLE_ARTICLES = {
    "theatre.txt": "Theatre staff earn less than film crews\n\n"
                   "Theatre staff in the north earn less than film crews, a survey of 900 workers found.\n\n"
                   "Northland Theatre Trust chief executive Amara Quist said: \"The sector has gained a lot from its "
                   "skilled staff.\" \"Hiring must rest on a commitment to fairness as well as skill.\" Most of the "
                   "staff work in York.\n",
    "prison.txt": "Rapper films video in prison\n\n"
                  "Rapper K-Vex filmed a music video in his cell, angering the prison governor.\n\n"
                  "The rapper's lawyer Jon Pell said: \"We did nothing wrong with that video.\" The governor said "
                  "the crew had been let in to film an interview.\n",
    "auction.txt": "Shipyard auction disputed\n\n"
                   "Lawyers claimed the video evidence at the shipyard auction was illegal, the court heard.\n",
}


@pytest.fixture(scope="module")
def role_archive(tmp_path_factory):
    return indexed_archive(tmp_path_factory.mktemp("roles"), ROLE_ARTICLES)


def test_a_speaker_named_by_role_and_relation_is_the_one_the_article_gives_that_role(role_archive):
    with QA(role_archive, llm="none") as bot:
        lawyer = bot.ask("What did K-Vex's lawyer say about the video?")
        chief = bot.ask("What did the Northland Theatre Trust's chief executive say about fairness?")
    assert "did nothing wrong" in lawyer.text and "Lawyers claimed" not in lawyer.text
    assert lawyer.extra["speaker"]["speakers"][0]["name"] == "Jon Pell"
    # the quotation after the credited one, credited to no one, is the same speaker's
    assert "commitment to fairness" in chief.text
    assert chief.extra["speaker"]["speakers"][0]["name"] == "Amara Quist"


GIG = ("Marlow Beats win gig of the year\n\n"
       "The Marlow Beats have won a gig of the year award for their set at the Riverside Festival.\n\n"
       "Harbour FM DJ Lena Ortiz said: \"This year brought an amazing range of new talent.\" She added: "
       "\"The Marlow Beats are one of the boldest bands around and the crowds adore them.\"\n\n"
       "Newcomers Fenwick came second, followed by Tallow and the Reeds.\n")


def test_a_speaker_asked_for_by_the_title_before_their_name_is_found(tmp_path, embedder):
    """"What did the Harbour FM DJ say?": the person an article names with that title ("Harbour FM DJ Lena
    Ortiz said") is the speaker, her statements the answer, though every word of the title is capitalised."""
    index = indexed_archive(tmp_path, {"gig.txt": GIG})
    with QA(index, llm="none") as bot:
        answer = bot.ask("What did the Harbour FM DJ say about the Marlow Beats?")
    assert [s["name"] for s in answer.extra["speaker"]["speakers"]] == ["Lena Ortiz"]
    assert not answer.abstained and "boldest bands" in answer.text


def test_a_speaker_no_statement_is_credited_to_is_quoted_without_the_choosing_model(tmp_path, embedder):
    """"What did the radio DJ say about X?" when no statement is credited to a speaker going by that
    description: the extractive ranking (the sentence naming the DJ as the one speaking first) is quoted,
    and a model choosing among numbered sentences, which is not told who speaks, is never asked."""
    from dataclasses import replace

    from qa.answer.llm import answer_with_llm
    from qa.search.speakers import SpeakerMatch, parse_speaker_question

    from .fakes import FakeBackend

    class Chooser(FakeBackend):
        name, supports_grammar = "local", True

        def complete(self, messages, on_token=None, max_tokens=6, grammar=None):
            raise AssertionError("the model was asked")

    index = indexed_archive(tmp_path, {"gig.txt": GIG})
    question = "What did the Harbour FM DJ say about the Marlow Beats?"
    with QA(index, llm="none") as bot:
        found = bot.search(question)
        # as on an archive where no speaker's name or description matches the asked one
        unmatched = replace(found, speaker=SpeakerMatch(parse_speaker_question(question), ()), statements={})
        quoted = answer_with_llm(question, unmatched, Chooser(), bot.embedder)
    assert quoted.backend == "extractive" and not quoted.abstained
    assert quoted.extra["fallback"] == {"from": "local", "reason": "a speaker's statements are quoted"}
    assert "boldest bands" in quoted.text


TITLED = {
    "hours.txt": "Police chief backs late opening\n\n"
                 "Porthaven police chief Alan Brierley has backed the new late opening hours for bars.\n\n"
                 "\"We have a duty to let people enjoy the change,\" said Mr Brierley. Chief constable Mr Brierley "
                 "added that any problems could be ironed out.\n\n"
                 "Harbour Council chief executive Nora Quill said the council still opposed late opening.\n",
    "rates.txt": "Bank keeps interest rates on hold at 4%\n\n"
                 "The central bank has left interest rates unchanged at 4% for a sixth month.\n\n"
                 "\"Today's decision is the right one,\" said Ivo Marsh, director general of the Dunmore Chamber "
                 "of Trade. \"It would be wise to wait,\" said Pia Lund, director general of Age Helpers Dunmore.\n",
}


@pytest.fixture(scope="module")
def titled_archive(tmp_path_factory):
    return indexed_archive(tmp_path_factory.mktemp("titled"), TITLED)


def test_a_role_given_in_another_paragraph_or_after_the_name_finds_the_speaker(titled_archive):
    """"Porthaven's chief constable": the article names the owner in one paragraph and the role before the
    surname in another. "The director general of the Dunmore Chamber of Trade": the role follows the name,
    and another body's director general in the same paragraph is not the one asked about. A statement worded
    otherwise than the topic ("Today's decision is the right one") is on it under its headline."""
    with QA(titled_archive, llm="none") as bot:
        police = bot.ask("What did Porthaven's chief constable say about late opening hours?")
        chamber = bot.ask("What did the director general of the Dunmore Chamber of Trade say about the bank "
                          "holding interest rates?")
    assert [s["name"] for s in police.extra["speaker"]["speakers"]] == ["Alan Brierley"]
    assert not police.abstained and "a duty to let people enjoy" in police.text
    assert [s["name"] for s in chamber.extra["speaker"]["speakers"]] == ["Ivo Marsh"]
    assert not chamber.abstained and "the right one" in chamber.text and "wise to wait" not in chamber.text


CABINET = {
    "budget.txt": "Brenn sets out spending plans\n\n"
                  "Chancellor Ada Brenn said: \"The economy is strong enough to invest in schools.\"\n",
    "shadow.txt": "Tull attacks colonial apology row\n\n"
                  "Shadow chancellor Rob Tull said: \"Apologising for the empire is not the Treasury's business.\"\n",
    "tour.txt": "No apology for the empire, says Brenn\n\n"
                "The days of apologising for the empire are over, Ada Brenn has said.\n\n"
                "The chancellor, speaking during a tour of Africa, said it was time to talk about enduring "
                "values of tolerance.\n",
}


def test_the_title_alone_is_the_person_the_articles_give_it_unqualified(tmp_path, embedder):
    """"What did the chancellor say?": the person given that title ("Chancellor Ada Brenn"), also where an
    article calls her by it only in passing; never the shadow chancellor."""
    index = indexed_archive(tmp_path, CABINET)
    with QA(index, llm="none") as bot:
        answer = bot.ask("What did the chancellor say about apologising for the empire?")
    names = {s["name"] for s in answer.extra["speaker"]["speakers"]}
    assert "Ada Brenn" in names and "Rob Tull" not in names
    assert not answer.abstained and "days of apologising for the empire are over" in answer.text
    assert "not the Treasury's business" not in answer.text


CHAIRMEN = {
    "stadium.txt": "Kelport United to leave Dock Road\n\n"
                   "Kelport United will move to a new 40,000-seat stadium on the edge of the city in 2008, the club "
                   "said.\n\n"
                   "Chairman Rolf Amsel said: \"Dock Road has been our home for a century, but we cannot grow "
                   "there.\"\n\n"
                   "Fans' groups said they would fight the plan.\n",
    "bank.txt": "Harlow Bank profits rise\n\nHarlow Bank made a record profit of $2bn last year.\n\n"
                "Bank chairman Dina Crow said: \"We will move to new offices and open a new trading floor next "
                "year.\"\n",
    "rugby.txt": "Harlow Rovers sign winger\n\nHarlow Rovers have signed winger Sam Reed from Ostland.\n\n"
                 "Chairman Ivo Senn said: \"Sam is a player who will fill our new stadium every week.\"\n",
}


def test_a_bare_title_is_the_person_so_titled_in_the_article_the_topic_retrieves(tmp_path, embedder):
    """"What did the chairman say about T?": three chairmen are quoted; the one asked about is the chairman
    of the story on T, not another whose words share a word with it ("our new stadium")."""
    index = indexed_archive(tmp_path, CHAIRMEN)
    with QA(index, llm="none") as bot:
        answer = bot.ask("What did the chairman say about Kelport United's move away from Dock Road?")
    assert [s["name"] for s in answer.extra["speaker"]["speakers"]] == ["Rolf Amsel"]
    assert not answer.abstained and "cannot grow there" in answer.text
    assert "fill our new stadium" not in answer.text and "trading floor" not in answer.text


CALLED_BY_TITLE = {
    "agency.txt": "Prisons agency plan dropped\n\n"
                  "Justice Minister Ada Vell has dropped plans for a single prisons agency after a consultation.\n\n"
                  "The minister said: \"Prisons and councils must work together to stop offenders coming back.\"\n",
    "schools.txt": "Schools get more money\n\n"
                   "Education Minister Rob Tull announced more money for schools.\n\n"
                   "The minister said: \"Every school will get new books.\"\n",
}


def test_a_speaker_quoted_only_by_the_title_the_article_gives_the_asked_person(tmp_path, embedder):
    """"Justice Minister Ada Vell ..." then "The minister said: ...": the quote is Vell's, though her name is
    never beside it; the other minister's words are not."""
    index = indexed_archive(tmp_path, CALLED_BY_TITLE)
    with QA(index, llm="none") as bot:
        answer = bot.ask("What did Ada Vell say about prisons and councils working together?")
    assert not answer.abstained and "must work together" in answer.text
    assert "new books" not in answer.text
    assert {s["name"] for s in answer.extra["speaker"]["speakers"]} >= {"the minister"}


def test_a_name_with_its_description_after_a_comma_is_read_as_the_name():
    from qa.search.speakers import parse_speaker_question

    asked_of = parse_speaker_question("What did John Beaumont, chief executive of the UK e-University, say about "
                                      "his bonus?")
    assert asked_of is not None and asked_of.phrase == "John Beaumont" and asked_of.topic == "his bonus"
    # a firm's name before a comma is read as it was
    assert parse_speaker_question("What did Kelport Holdings say about the sale?").phrase == "Kelport Holdings"


def test_a_word_saying_when_does_not_put_a_statement_on_the_topic(tmp_path):
    """The athletics chief is quoted on the kit deal only; the drinks deal is reported without him. "year" in
    both ("a four-year deal", "this year") does not make his words about the drinks deal."""
    index = indexed_archive(tmp_path, {"kit.txt": "Athletics signs two sponsors\n\n"
                                       "Kelport Athletics has signed a four-year deal with energy drink firm Zest.\n\n"
                                       "It has also agreed a new kit contract with sportswear maker Stride. \"The "
                                       "athletes will wear the new kit at every meeting this year,\" said Kelport "
                                       "Athletics chief Dov Harel.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("What did Kelport Athletics chief Dov Harel say about the four-year deal with energy "
                         "drink firm Zest?")
    assert answer.abstained and "don't quote Dov Harel on" in answer.text


def test_the_speakers_own_firm_beside_their_name_does_not_put_a_statement_on_the_topic(tmp_path):
    """The chief executive is quoted on plants at risk; the sale of the garden tools arm is reported without
    him. His firm's name in the credit ("said Norvik chief executive Lars Enberg") is no word of what he said."""
    index = indexed_archive(tmp_path, {"norvik.txt": "Norvik warns on plants\n\n"
                                       "Appliance maker Norvik is considering spinning off its garden tools "
                                       "business, it said on Monday.\n\n"
                                       "\"We see that about half the plants in high-cost countries are at risk,\" "
                                       "said Norvik chief executive Lars Enberg.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("What did Lars Enberg say about spinning off Norvik's garden tools business?")
    assert answer.abstained and "don't quote Lars Enberg on" in answer.text


def test_a_view_reported_of_the_surname_in_another_persons_article_is_not_the_speakers(tmp_path):
    """Peter Sanders of the runway campaign is quoted on the court fight only; "Ms Sanders" of a charity, in an
    article that never names him, speaks of support for homeowners. Her words do not put his on the topic."""
    index = indexed_archive(tmp_path, {
        "runway.txt": "Campaigners vow to fight runway\n\n"
                      "The Stop Kelport Expansion group says it will fight the new runway in the courts.\n\n"
                      "\"We do not underestimate the scale of the challenge before us,\" said Stop Kelport Expansion "
                      "chairman Peter Sanders.\n\n"
                      "The airport operator has also offered a support scheme for homeowners living near the "
                      "runway.\n",
        "appeal.txt": "Charity warns of fake appeal\n\n"
                      "Jane Sanders runs the Dunmore Homes Trust, which helps homeowners.\n\n"
                      "A fake website has been asking for donations in the trust's name. Ms Sanders said the trust "
                      "would never ask homeowners for support in this way.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("What did Stop Kelport Expansion chairman Peter Sanders say about the airport operator's "
                         "support scheme for homeowners?")
    assert answer.abstained and "don't quote Peter Sanders on" in answer.text


def test_a_title_the_topic_names_is_no_person_a_statement_calls_by_its_role(tmp_path):
    """"the film" of the director's credit does not call the star by a role: "the film Shall We Dance" describes
    a title, not a person the topic names."""
    index = indexed_archive(tmp_path, {"premiere.txt": "Stars at dance premiere\n\n"
                                       "The film Shall We Dance had its charity premiere in Dunmore on Monday. Its "
                                       "star Dov Harel signed autographs for an hour.\n\n"
                                       "The film's director Lev Marek said he was disappointed that the lead actress "
                                       "did not attend.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("What did director Lev Marek say about Dov Harel at the Dunmore premiere of Shall We Dance?")
    assert answer.abstained and "don't quote Lev Marek on" in answer.text


def test_whose_story_it_is_does_not_put_a_statement_on_the_asked_aspect(tmp_path):
    """The agent is quoted on the player's contract only; the injury is reported without him. The player's name
    in the topic ("Lind's foot injury") is whose injury, not what the agent spoke of. A topic that is a name
    ("the Piero system") still finds the statement naming it."""
    index = indexed_archive(tmp_path, {
        "lind.txt": "Lind weighs Kelport offer\n\n"
                    "Kelport centre Piet Lind has broken a bone in his foot and will miss the Six Nations.\n\n"
                    "His agent Ola Berg says he has received an offer for Lind which dwarfs Dunmore's deal. \"Piet "
                    "does not want to worry about where he will be playing next season,\" Berg said.\n",
        "piero.txt": "Graphics system wins award\n\n"
                     "\"The Piero system lets us show the game from any angle,\" said Ida Brandt of Kelport TV.\n"})
    with QA(index, llm="none") as bot:
        injury = bot.ask("What did Piet Lind's agent Ola Berg say about Lind's foot injury?")
        piero = bot.ask("What did Ida Brandt of Kelport TV say about the Piero system?")
    assert injury.abstained and "don't quote Ola Berg on" in injury.text
    assert not piero.abstained and "from any angle" in piero.text


def test_a_reported_statement_goes_on_in_the_speakers_words_credited_to_what_they_are(tmp_path):
    """The director's advice is reported, then goes on in his own words credited to "the 47-year-old director";
    the next sentence, credited to no one, is his too. A quote credited to someone named is not. A defender's
    plans are reported, then go on in a quote credited to no one."""
    index = indexed_archive(tmp_path, {
        "berg.txt": "Director urges students to look behind the camera\n\n"
                    "Film-maker Ola Berg says the true power in film lies behind the camera.\n\n"
                    "Returning to his old college in Kelport, Berg discussed the film business. He told young "
                    "film-makers in the audience not to ignore releasing films straight to DVD. \"It's a huge "
                    "market,\" the 47-year-old director said. \"It's not something to be looked down on.\" "
                    "\"He is right,\" said Ida Brandt. Berg has made 25 films.\n",
        "harel.txt": "Harel ready to move abroad\n\n"
                     "Kelport defender Dov Harel has called the derby with Dunmore \"bitter\".\n\n"
                     "Speaking on his long-term plans, Harel said he would move abroad before he turns 35. "
                     "\"I'm 30 now and in five years' time I won't be in this country. \"Italy looks good to me "
                     "because it would suit my football.\" Harel has won 50 caps.\n"})
    with QA(index, llm="none") as bot:
        answer = bot.ask("What did Ola Berg tell students about releasing films straight to DVD?")
        abroad = bot.ask("What did Dov Harel say about his long-term plans to play abroad?")
    assert not answer.abstained and "huge market" in answer.text and "looked down on" in answer.text
    assert "He is right" not in answer.text
    # a quote crediting no one goes on from the reported statement
    assert not abroad.abstained and "Italy looks good" in abroad.text and "50 caps" not in abroad.text
