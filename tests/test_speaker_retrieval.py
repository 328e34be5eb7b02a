"""Speaker-aware retrieval: who-said questions recognised, the speaker resolved, their paragraphs first."""

from __future__ import annotations

import json

import pytest

from qa.answer.extractive import answer_extractively
from qa.search.speakers import (CUE_WORDS, ambiguous_names, cue_after, list_speakers, match_score, mentions, name_forms,
                         parse_speaker_question, split_names,
                         resolve_speakers, speaker_features, speaker_score, speaks_for, stance)
from qa.api import QA
from qa.index.records import SpeakerRecord


@pytest.mark.parametrize(
    ("question", "phrase", "topic"),
    [
        ("What did Klingner say?", "Klingner", ""),
        ("what did klingner say", "klingner", ""),
        ("What did the former CIA analyst say about military exercises?", "the former CIA analyst",
         "military exercises"),
        ("What has Ramon Pacheco Pardo said about the summits?", "Ramon Pacheco Pardo", "the summits"),
        ("What does Pardo think of Trump?", "Pardo", "Trump"),
        ("According to Pardo, what does Trump want?", "Pardo", "what does Trump want"),
        ("Did Klingner warn about anything?", "Klingner", "anything"),
        ("What did Duyeon Kim tell reporters?", "Duyeon Kim", "reporters"),
        ("What did Will say?", "Will", ""),
        ("Klingner's comments on the treaty", "Klingner", "the treaty"),
        ("What harmed the talks in Bruce Klingner's view?", "Bruce Klingner", "What harmed the talks"),
        ("What were the former CIA analyst's comments?", "the former CIA analyst", ""),
        ("Quotes from Duyeon Kim", "Duyeon Kim", ""),
        # a verb that is also a noun, then "say": part of the speaker
        ("What did the report say about the summits?", "the report", "the summits"),
        ("What did Kelport Institute report author Ann Vale say about the summits?",
         "Kelport Institute report author Ann Vale", "the summits"),
        ("What did Klingner report to MPs about the summits?", "Klingner", "the summits"),
        ("What did Klingner say Pardo would say about the summits?", "Klingner", "Pardo would say about the summits"),
        ("What did Klingner claim that Pardo said about the summits?", "Klingner", "Pardo said about the summits"),
        # a description, then the name after a comma
        ("What did the chairman of the Kelport Institute, Ann Vale, say about the summits?", "Ann Vale", "the summits"),
        ("What did Klingner, Pardo and Kim say?", "Klingner, Pardo and Kim", ""),
    ],
)
def test_who_said_questions_are_recognised(question, phrase, topic):
    assert parse_speaker_question(question) == parse_speaker_question(question)  # deterministic
    parsed = parse_speaker_question(question)
    assert parsed is not None and parsed.phrase == phrase and parsed.topic == topic


@pytest.mark.parametrize(
    ("question", "mode"),
    [("By how much did costs rise, according to the Halden Institute's report?", "boost"),
     ("What share of all calls are scams, according to Telcorp?", "boost"),
     ("According to Pardo, how many summits were held?", "boost"),
     ("When will the plant close, according to the union?", "boost"),
     ("According to Pardo, what does Trump want?", "said"),
     ("What is the main risk, according to Klingner?", "said")],
)
def test_a_typed_question_with_a_source_asks_the_fact_not_what_the_source_said(question, mode):
    """"How much ..., according to X?" asks for the figure, with X's paragraphs ranked higher ("boost"), not
    for X's statements on a topic; an untyped "what ..., according to X?" asks what X said ("said")."""
    assert parse_speaker_question(question).mode == mode


@pytest.mark.parametrize(
    "question",
    ["What did North Korea sign with Russia?", "North Korea Russia treaty", "What did you say?",
     "Who is Bruce Klingner?", "How many troops did North Korea send?"],
)
def test_other_questions_are_not_who_said(question):
    assert parse_speaker_question(question) is None


def _record(name, aliases=(), descriptors=(), kind="person"):
    return SpeakerRecord(1, "a", name, tuple(aliases), tuple(descriptors), kind, (1,), (1,))


def test_speaker_resolution_by_name_surname_and_descriptor():
    klingner = _record("Bruce Klingner", ["Bruce Klingner", "Klingner"],
                       ["a former CIA analyst now with the Heritage Foundation"])
    kim = _record("Duyeon Kim", ["Duyeon Kim", "Kim"], ["from the Center for a New American Security"])
    official = _record("a former official in the first Trump administration",
                       ["a former official in the first Trump administration", "the former official"],
                       ["a former official in the first Trump administration"], kind="anonymous")
    everyone = [klingner, kim, official]
    assert resolve_speakers("Klingner", everyone) == (klingner,)
    assert resolve_speakers("Bruce Klingner", everyone) == (klingner,)
    assert resolve_speakers("Mr. Klingner", everyone) == (klingner,)
    assert resolve_speakers("the former CIA analyst", everyone) == (klingner,)
    assert resolve_speakers("the Heritage Foundation analyst", everyone) == (klingner,)
    assert resolve_speakers("the former official", everyone) == (official,)
    assert resolve_speakers("Kim", everyone) == (kim,)
    assert resolve_speakers("Kim Jong Un", everyone) == ()
    assert resolve_speakers("Pardo", everyone) == ()
    # an exact name beats a descriptor that happens to share a word
    assert match_score("Klingner", klingner) > match_score("former analyst", klingner) > 0


def test_a_name_question_does_not_match_a_descriptor_naming_someone_else():
    varmus = _record("Harold Varmus", ["Harold Varmus", "Varmus"],
                     ["the former NIH director under President Bill Clinton"])
    assert resolve_speakers("Clinton", [varmus]) == ()
    assert resolve_speakers("the former NIH director", [varmus]) == (varmus,)


def test_name_as_subject_or_only_mentioned():
    forms = ["Christie"]
    assert mentions("Christie attacked the plan on Monday.", forms) == (True, True)
    assert mentions("Christie's campaign said it would appeal.", forms) == (True, True)
    assert mentions("The plan was backed by Christie.", forms) == (True, False)
    assert mentions("Voters cheered Christie at the rally.", forms) == (True, False)
    assert mentions("Christie's leadership impressed voters.", forms) == (True, False)
    assert mentions("The christie plan is a type of cake.", forms) == (False, False)  # not capitalised
    assert mentions("Nothing about the governor here.", forms) == (False, False)
    assert stance("Christie attacked the plan.", forms) and stance("Christie also warned voters.", forms)
    assert not stance("Christie arrived late.", forms)
    assert stance("Christie on Tuesday night declared the race over.", forms)  # a time before the verb
    assert stance("Christie (R-N.J.) mocked the proposal.", forms)
    assert stance("Christie spokeswoman Ana Ruiz said the governor would not resign.", forms)
    assert stance("Christie's lawyers filed the appeal.", forms)
    assert not stance("Christie's said the sign outside the diner.", forms)  # a possessive is not the subject
    assert stance("Christie, in particular, has sharply criticized the deal.", forms)  # an aside, an adverb
    assert stance("Christie campaign spokesman Brian Fallon said so.", forms)  # the side between name and title
    assert not stance("Christie, Sanders and Obama attended the dinner.", forms)


def test_who_speaks_for_the_speaker():
    text = "“She will be out there campaigning,” Clinton campaign spokesman Brian Fallon said on Monday."
    assert speaks_for(text, "Brian Fallon", ["Clinton"])
    assert speaks_for("No one will forget it, Mr Blair's official spokesman said.", "Mr Blair's official spokesman",
                      ["Blair"])
    assert not speaks_for("Gerry Conlon said Mr Blair had spoken with sincerity.", "Gerry Conlon", ["Blair"])
    assert not speaks_for(text, "Brian Fallon", ["Trump"])


def test_name_forms_drop_only_leading_titles():
    assert name_forms("President Ana Ruiz", ()) == ["Ana Ruiz"]
    assert name_forms("the DNC", ()) == ["DNC"]
    # a title inside the name stays: text reads "Vice President Ana Ruiz", never "Vice Ana Ruiz"
    assert name_forms("Vice President Ana Ruiz", ()) == ["Vice President Ana Ruiz"]
    assert name_forms("CBS This Morning", ()) == ["CBS This Morning"]
    assert name_forms("the former minister", ()) == []  # a descriptor, not a name


def test_a_cue_word_just_after_the_name():
    assert {"said", "declined", "mocked"} <= CUE_WORDS and "the" not in CUE_WORDS and "ballot" not in CUE_WORDS
    forms = ["Okafor"]
    assert cue_after("Okafor has repeatedly mocked the tax plan.", forms)
    assert cue_after("The Okafor campaign declined to comment on Friday.", ["Okafor"])
    assert cue_after("Okafor's office declined to comment.", forms)  # a possessive is skipped
    assert not cue_after("Okafor arrived in Lagos late on Monday, then said little.", forms)  # too far after
    assert not cue_after("Reporters said the ballot favoured Okafor.", forms)  # before the name, not after
    assert not cue_after("“Okafor said no such thing,” Dobbs insisted.", forms)  # the name only in a quote
    both = speaker_features("Okafor later mocked the tax plan.", forms, set(), "subject", False)
    neither = speaker_features("Okafor arrived in Lagos on Monday.", forms, set(), "subject", False)
    assert both["cue_after"] == 1.0 and neither["cue_after"] == 0.0
    assert speaker_score(both) > speaker_score(neither)


def test_learned_score_orders_attributed_then_voiced_then_mentioned():
    forms = ["Olsen"]

    def score(text, references, named, others_quoted=False):
        return speaker_score(speaker_features(text, forms, references, named, others_quoted))

    attributed = score("Olsen said the port would reopen.", {"name"}, "voiced")
    by_description = score("The envoy, Olsen, said so.", {"descriptor"}, "subject")
    voiced = score("Olsen attacked the plan on Monday.", set(), "voiced")
    subject = score("Olsen arrived in Oslo on Monday.", set(), "subject")
    mentioned = score("The plan was drafted for Olsen.", set(), "mention")
    pronoun_only = score("“It will reopen,” he said.", {"pronoun"}, None)
    assert attributed > by_description > voiced > subject > mentioned > pronoun_only
    # an uncredited quote raises a mention; someone else's quote lowers it, and more so when the name
    # is only inside it (someone talking about Olsen)
    quoted = score("The plan, for Olsen, was “a disaster.”", set(), "mention")
    others = score("The plan, for Olsen, was “a disaster,” Dobbs said.", set(), "mention", True)
    about = score("“Olsen drafted a disaster,” Dobbs said.", set(), "mention", True)
    assert quoted > mentioned > others > about
    # "Olsen replied:" introduces words that are in the next paragraph
    assert score("Asked about the port, Olsen replied:", {"name"}, "voiced") < attributed


def test_a_named_person_who_is_not_quoted(sample_bot):
    # Kim Jong Un is named throughout but quoted nowhere: paragraphs where he is the subject come first
    result = sample_bot.search("What did Kim Jong Un say?", k=3)
    assert result.speaker is not None and result.speaker.speakers == ()
    assert result.passages[0].paragraph == 1  # "Kim Jong Un boasts expanded missile arsenal ..."
    assert not result.statements


def _numbers(result, n):
    return [p.paragraph for p in result.passages[:n]]


def test_what_did_klingner_say(sample_bot):
    result = sample_bot.search("What did Klingner say?", k=5)
    assert _numbers(result, 3) == [22, 23, 24]  # ¶23 is the "he said" one, in article order
    assert all("Bruce Klingner" in p.speakers for p in result.passages[:3])
    assert [s.name for s in result.speaker.speakers] == ["Bruce Klingner"]
    assert len(result.passages) == 5  # then the usual hybrid results


def test_what_did_the_former_cia_analyst_say(sample_bot):
    result = sample_bot.search("What did the former CIA analyst say?", k=5)
    assert _numbers(result, 3) == [22, 23, 24]


def test_what_did_ramon_pacheco_pardo_say(sample_bot):
    result = sample_bot.search("What did Ramon Pacheco Pardo say?", k=5)
    assert _numbers(result, 2) == [13, 21]
    assert 13 not in _numbers(result, 5)[2:] and 21 not in _numbers(result, 5)[2:]


def test_topic_orders_within_the_speakers_paragraphs(sample_bot):
    result = sample_bot.search("What did Klingner say about military exercises?", k=5)
    assert _numbers(result, 1) == [23]  # the paragraph about exercises first
    assert sorted(_numbers(result, 3)) == [22, 23, 24]


def test_a_descriptor_for_an_anonymous_source(sample_bot):
    result = sample_bot.search("What did the former official say?", k=3)
    assert _numbers(result, 2) == [14, 15]


def test_a_peoples_adjective_matches_the_place_in_a_descriptor(sample_bot):
    # ¶19: "A senior official at in South Korea's presidential office told reporters ..."; ¶9: "American
    # and South Korean officials said"
    result = sample_bot.search("What did the South Korean official say?", k=3)
    assert sorted(_numbers(result, 2)) == [9, 19]
    official = _record("a senior official in South Korea's presidential office", kind="anonymous",
                       descriptors=["a senior official in South Korea's presidential office"])
    assert resolve_speakers("the South Korean official", [official]) == (official,)
    assert resolve_speakers("the Japanese official", [official]) == ()


def test_other_questions_keep_the_hybrid_path(sample_bot):
    result = sample_bot.search("North Korea Russia treaty", k=5)
    assert result.speaker is None and not result.statements
    assert "speaker" not in result.as_json()


def test_unknown_speaker_falls_back_to_hybrid_search(sample_bot):
    result = sample_bot.search("What did Angela Merkel say?", k=3)
    assert result.speaker is None
    assert len(result.passages) == 3


def test_search_json_names_each_passages_speakers(sample_bot):
    data = sample_bot.search("What did Klingner say?", k=4).as_json()
    assert data["passages"][0]["speakers"] == ["Bruce Klingner"]
    assert "Bruce Klingner" in data["passages"][1]["speakers"]
    assert data["speaker"]["speakers"][0]["name"] == "Bruce Klingner"
    assert data["speaker"]["speakers"][0]["paragraphs"] == [22, 23, 24]


def test_extractive_answer_lists_each_statement_with_its_citation(sample_bot, embedder):
    result = sample_bot.search("What did Klingner say?", k=5)
    answer = answer_extractively("What did Klingner say?", result, embedder)
    assert not answer.abstained
    assert [c.passage.paragraph for c in answer.citations] == [22, 23, 24]
    asked = sample_bot.ask("What did Klingner say?", k=5).as_json()["speaker"]  # the same object as search's
    assert asked == result.as_json()["speaker"] and asked["speakers"][0]["name"] == "Bruce Klingner"
    first, second, third = (answer.text.split(f" [{n}]")[0].split("] ")[-1] for n in (1, 2, 3))
    assert first.startswith("Kim could see an upside") and first in answer.citations[0].passage.text
    assert second.endswith("he said.") and second in answer.citations[1].passage.text
    # the quote and the one after it, credited to no one, which goes on in Klingner's words
    assert third.startswith("“Kim could pitch a peace declaration") and "Klingner said. “Such an agreement" in third
    assert third.endswith("South Korea and Japan.”") and third in answer.citations[2].passage.text


def test_speakers_command(cli, sample_index):
    out = cli("speakers", "--index", sample_index, "--json")
    assert out.exit_code == 0
    speakers = {s["name"]: s for s in json.loads(out.output)["speakers"]}
    assert speakers["Bruce Klingner"]["paragraphs"] == [22, 23, 24]
    assert speakers["Bruce Klingner"]["count"] == 3
    assert "Klingner" in speakers["Bruce Klingner"]["aliases"]
    assert speakers["Ramon Pacheco Pardo"]["paragraphs"] == [13, 21]
    table = cli("speakers", "--index", sample_index, "--article", "trump-kim")
    assert table.exit_code == 0 and "Bruce Klingner" in table.output and "¶22, ¶23, ¶24" in table.output
    missing = cli("speakers", "--index", sample_index, "--article", "no-such-article")
    assert missing.exit_code == 1 and "no indexed article matches" in missing.output


def test_search_command_shows_the_speaker(cli, sample_index):
    out = cli("search", "What did Ramon Pacheco Pardo say?", "-k", "2", "--index", sample_index)
    assert out.exit_code == 0
    assert out.output.count("speaker: Ramon Pacheco Pardo") == 2


def test_removing_an_article_removes_its_speakers(writable_index):
    from qa.api import QA

    with QA(writable_index) as bot:
        assert bot.speakers()
        bot.remove([a.id for a in bot.articles()])
        assert bot.speakers() == []


def test_new_attribution_rules_re_derive_the_speakers_without_re_embedding(cli, writable_index):
    import sqlite3

    from tests.conftest import SAMPLE

    # An index whose speakers another version of the rules made: a stale name, and another rules digest.
    with sqlite3.connect(writable_index / "qa.sqlite3") as db:
        db.execute("UPDATE speakers SET name = 'Stale Name' WHERE name = 'Bruce Klingner'")
        db.execute("DELETE FROM statements WHERE paragraph_id IN (SELECT id FROM paragraphs WHERE number = 24)")
        db.execute("UPDATE paragraphs SET speakers = '[]' WHERE number = 24")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('attribution_rules', 'older rules')")
    out = cli("index", SAMPLE.parent, "--index", writable_index, "--json")
    assert out.exit_code == 0
    report = json.loads(out.output)
    assert report["reattributed"] == 1 and report["paragraphs_embedded"] == 0 and report["unchanged"] == 1
    speakers = {s["name"]: s for s in json.loads(cli("speakers", "--index", writable_index, "--json").output)["speakers"]}
    assert "Stale Name" not in speakers and speakers["Bruce Klingner"]["paragraphs"] == [22, 23, 24]
    search = json.loads(cli("search", "What did Klingner say?", "-k", "3", "--index", writable_index, "--json").output)
    assert [p["paragraph"] for p in search["passages"]] == [22, 23, 24]
    assert all("Bruce Klingner" in p["speakers"] for p in search["passages"])

    # The same rules again: nothing is re-derived, so a (made-up) stale name would stay.
    with sqlite3.connect(writable_index / "qa.sqlite3") as db:
        db.execute("UPDATE speakers SET name = 'Stale Name' WHERE name = 'Bruce Klingner'")
    again = json.loads(cli("index", SAMPLE.parent, "--index", writable_index, "--json").output)
    assert again["reattributed"] == 0
    names = {s["name"] for s in json.loads(cli("speakers", "--index", writable_index, "--json").output)["speakers"]}
    assert "Stale Name" in names


@pytest.mark.parametrize(
    ("question", "phrase", "mode"),
    [
        ("How did the Tories react to the maternity pay plans?", "the Tories", "boost"),
        ("Why does Pardo think Kim wants a summit?", "Pardo", "boost"),
        ("How did Klingner respond?", "Klingner", "boost"),
        ("What did Charles Kennedy say about Iraq?", "Charles Kennedy", "said"),
        ("What does Pardo think of Trump?", "Pardo", "said"),
    ],
)
def test_how_and_why_questions_only_lift_the_speaker(question, phrase, mode):
    parsed = parse_speaker_question(question)
    assert parsed is not None and parsed.phrase == phrase and parsed.mode == mode


def _in(article, name, kind="person", sid=None):
    aliases = [name, name.split()[-1]] if kind == "person" else [name]
    return SpeakerRecord(sid or hash((article, name)) % 10_000, article, name, tuple(aliases), (), kind, (1,), (1,))


def test_a_full_name_finds_the_articles_that_give_only_the_surname():
    charles = [_in(a, "Charles Kennedy", sid=i) for i, a in enumerate(["a", "b", "c"], 1)]
    bare = [_in(a, "Kennedy", sid=i) for i, a in enumerate(["d", "e"], 10)]
    assert resolve_speakers("Charles Kennedy", charles + bare) == (*charles, *bare)
    assert set(resolve_speakers("Mr Kennedy", charles + bare)) == set(charles + bare)
    # another Kennedy quoted now and then: the bare surname still means the one quoted most
    helena = _in("f", "Helena Kennedy", sid=20)
    assert resolve_speakers("Charles Kennedy", charles + bare + [helena]) == (*charles, *bare)
    assert resolve_speakers("Helena Kennedy", charles + bare + [helena]) == (helena,)
    assert ambiguous_names(resolve_speakers("Kennedy", charles + bare + [helena])) == (
        "Charles Kennedy", "Helena Kennedy")
    # two Kennedys quoted alike: the bare surname is kept apart
    edward = [_in(a, "Edward Kennedy", sid=30 + i) for i, a in enumerate(["g", "h"])]
    assert resolve_speakers("Charles Kennedy", charles + bare + edward) == tuple(charles)
    assert ambiguous_names(tuple(charles)) == ()


def test_list_speakers_filters_by_name_and_count_most_quoted_first():
    few = SpeakerRecord(1, "a", "Charles Kennedy", ("Kennedy",), (), "person", (1,), (1,))
    many = SpeakerRecord(2, "b", "Kennedy", ("Kennedy",), (), "person", (5, 6, 7), (2, 3, 4))
    other = SpeakerRecord(3, "b", "Tony Blair", ("Blair",), ("Prime Minister",), "person", (8, 9), (5, 6))
    everyone = [few, many, other]
    assert list_speakers(everyone) == [many, other, few]
    assert list_speakers(everyone, "Charles Kennedy") == [many, few]
    assert list_speakers(everyone, min_statements=2) == [many, other]
    assert list_speakers(everyone, "prime minister") == [other]  # part of a descriptor
    assert list_speakers(everyone, "Nobody") == []
    assert split_names("Klingner and Pardo") == ["Klingner", "Pardo"]
    assert split_names("Blair, Brown and Prescott") == ["Blair", "Brown", "Prescott"]
    assert split_names("the former CIA analyst") == ["the former CIA analyst"]


@pytest.mark.parametrize("question", ["What did Klingner and Pardo say?", "Klingner and Pardo"])
def test_two_speakers_in_one_question(sample_bot, embedder, question):
    result = sample_bot.search(question, k=5)
    assert sorted(_numbers(result, 5)) == [13, 21, 22, 23, 24]
    assert {s.name for s in result.speaker.speakers} == {"Bruce Klingner", "Ramon Pacheco Pardo"}
    answer = answer_extractively(question, result, embedder)
    cited = {c.passage.paragraph for c in answer.citations}
    assert {13, 21} & cited and {22, 23, 24} & cited  # both quoted, no abstention


def test_a_list_of_names_is_who_said_only_when_each_is_quoted(sample_bot):
    assert parse_speaker_question("Klingner and Pardo").mode == "names"
    assert sample_bot.search("Klingner and Nobody", k=3).speaker is None
    assert parse_speaker_question("Trump") is None  # one name is a search, not a who-said question


def test_a_topic_the_speaker_never_spoke_about_falls_back_to_hybrid_results(sample_bot):
    result = sample_bot.search("What did Klingner say about the stock market?", k=5)
    assert result.speaker is not None and result.speaker.on_topic is False
    assert result.as_json()["speaker"]["on_topic"] is False
    assert len(result.passages) == 5
    on = sample_bot.search("What did Klingner say about military exercises?", k=5)
    assert on.speaker.on_topic and "on_topic" not in on.as_json()["speaker"]


def test_a_how_question_is_not_filtered_to_the_speaker(sample_bot):
    result = sample_bot.search("How did Klingner react to the treaty with Russia?", k=5)
    assert result.speaker is None  # answered as any question, the speaker's paragraphs only lifted
    plain = sample_bot.search("the treaty with Russia", k=5)
    assert set(_numbers(plain, 2)) <= set(_numbers(result, 5))


def test_speakers_command_name_and_minimum(cli, sample_index):
    out = cli("speakers", "Klingner", "--index", sample_index, "--json")
    assert out.exit_code == 0
    assert [s["name"] for s in json.loads(out.output)["speakers"]] == ["Bruce Klingner"]
    out = cli("speakers", "--min-statements", "3", "--index", sample_index, "--json")
    counts = [s["count"] for s in json.loads(out.output)["speakers"]]
    assert counts and min(counts) >= 3 and counts == sorted(counts, reverse=True)
    none = cli("speakers", "Nobody Atall", "--index", sample_index)
    assert none.exit_code == 0 and "No quoted speaker matches 'Nobody Atall'" in none.output
    bad = cli("speakers", "--min-statements", "0", "--index", sample_index)
    assert bad.exit_code == 2


@pytest.mark.parametrize(
    ("question", "phrase", "topic", "mode"),
    [
        ("What did Tony Blair do for the Guildford Four families?", "Tony Blair", "the Guildford Four families", "did"),
        ("What will Obama do about Syria?", "Obama", "Syria", "did"),
        ("What did Blair say he would do for the families?", "Blair", "he would do for the families", "said"),
    ],
)
def test_what_did_x_do_about_a_topic(question, phrase, topic, mode):
    parsed = parse_speaker_question(question)
    assert parsed is not None and (parsed.phrase, parsed.topic, parsed.mode) == (phrase, topic, mode)
    assert parse_speaker_question("What does Patricia Hewitt do?") is None  # a job, not acts on something


def test_someone_else_speaking_about_the_speaker_is_not_their_word(tmp_path, embedder):
    from qa import Article, Paragraph

    texts = [
        "Tony Blair has met two families wrongly jailed for the pub bombings.",
        'Mr Blair said to the families: "I am very sorry that they were subject to such an ordeal."',
        'Gerry Conlon said the families were delighted. He said Mr Blair had spoken to the families with '
        '"such sincerity".',
        'Mr Blair\'s official spokesman said the families had been "very moved".',
    ]
    article = Article(id="apology", title="PM apology",
                      paragraphs=tuple(Paragraph(n, text) for n, text in enumerate(texts, 1)))
    with QA(tmp_path / "index", create=True) as bot:
        bot.add_articles([article])
        question = "What did Tony Blair say to the families?"
        search = bot.retriever.speakers
        match = search.match(question)
        ids = {p.paragraph: p.id for p in bot.store.article_passages("apology")}
        # Conlon's "such sincerity" shares a sentence with Blair's name; the spokesman speaks for Blair
        assert search._spoken_about(list(ids.values()), match, bot.store.passages(ids.values())) == {ids[3]}
        order = [p.paragraph for p in bot.search(question, k=4).passages]
        assert order.index(2) < order.index(3)


def test_a_role_and_its_owner_are_read_from_the_question_and_checked_against_the_descriptor():
    from qa.index.records import SpeakerRecord
    from qa.search.speakers import holds_role, parse_speaker_question, relation_of

    assert relation_of(parse_speaker_question("What did K-Vex's lawyer say?").phrase) == ("K-Vex", "lawyer")
    assert relation_of(parse_speaker_question("What did the founder of Acme Foods say about it?").phrase) == (
        "Acme Foods", "founder")
    assert relation_of("Anna Berg") is None

    def person(name, *descriptors):
        return SpeakerRecord(1, "a", name, (name,), descriptors, "person", (), ())

    assert holds_role(person("Jon Pell", "The rapper's lawyer"), "K-Vex", "lawyer", [])
    assert not holds_role(person("Mia Roe", "Mr Dorn's lawyer"), "K-Vex", "lawyer", [])  # another's lawyer
    assert holds_role(person("Tom Dale"), "Acme Foods", "founder", ["Acme Foods founder Tom Dale spoke."])
    assert not holds_role(person("Tom Dale"), "Acme Foods", "founder", ["Tom Dale, a buyer, met the founder."])
    # whose a role is is not the speaker: "Juninho's agent" is no answer to "What did Juninho say?"
    from qa.search.speakers import match_score
    agent = SpeakerRecord(1, "a", "Kovac's agent", ("Kovac's agent",), ("Kovac's agent",), "anonymous", (), ())
    assert match_score("Kovac", agent) == 0 and match_score("Kovac's agent", agent) == 3
    # a post after the name, of another body named before it
    text = 'Dale Hurst, WTC president and campaigner said: "Kestrel TV is selling violence to children."'
    assert not holds_role(person("Dale Hurst", "WTC president and campaigner"), "Kestrel TV", "president", [text])
    assert holds_role(person("Dale Hurst"), "Kestrel TV", "president", [text.replace("WTC", "the")])
