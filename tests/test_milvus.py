"""The same qa on Milvus: a real Milvus Lite (in this process for `milvus:PATH.db`, and as a server
process that several `qa index` writers share), running the end-to-end tests written for the local
store plus Milvus's own: visibility of whole articles, sharded writers, SIGKILLed writers.

Nothing here is skipped: if pymilvus or milvus-lite cannot run, these tests fail.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time

import pytest

from qa.api import QA
from qa.ingest.loaders import file_hash
from qa.errors import QAError
from qa.index.milvus_store import MilvusStore

from . import test_chat as chat
from . import test_index_search_ask as e2e
from . import test_news as news
from . import test_speaker_retrieval as speakers
from .conftest import REPO, SAMPLE
from .procs import QAProcess
from .test_crash import index_env, token, write_articles


@pytest.fixture(scope="module")
def lite(tmp_path_factory) -> str:
    """One Milvus Lite for the module (it starts in seconds): indexes in it are told apart by `#NAME`."""
    return f"milvus:{tmp_path_factory.mktemp('milvus') / 'qa.db'}"


@pytest.fixture(scope="module")
def milvus_sample(lite, embedder) -> str:
    address = f"{lite}#sample"
    with QA(address, create=True) as bot:
        report = bot.index([SAMPLE])
    assert report.articles == 1 and report.paragraphs == 23
    return address


@pytest.fixture
def mbot(milvus_sample):
    with QA(milvus_sample) as bot:
        yield bot


# --- the end-to-end tests of the local store, on Milvus ---------------------------------------------


@pytest.mark.parametrize("test", [
    e2e.test_klingner_paragraphs_lead_search, e2e.test_ask_cites_klingner_with_correct_paragraph_numbers,
    e2e.test_unanswerable_question_abstains,
    speakers.test_a_named_person_who_is_not_quoted, speakers.test_what_did_klingner_say,
    speakers.test_what_did_the_former_cia_analyst_say, speakers.test_what_did_ramon_pacheco_pardo_say,
    speakers.test_topic_orders_within_the_speakers_paragraphs, speakers.test_a_descriptor_for_an_anonymous_source,
    speakers.test_a_peoples_adjective_matches_the_place_in_a_descriptor,
    speakers.test_other_questions_keep_the_hybrid_path, speakers.test_unknown_speaker_falls_back_to_hybrid_search,
    speakers.test_search_json_names_each_passages_speakers,
    news.test_when_question_on_the_sample_answers_tuesday_with_its_date,
    news.test_questions_naming_a_date_match_resolved_dates, news.test_since_until_match_event_dates,
], ids=lambda f: f.__name__)
def test_sample_article_on_milvus(test, mbot):
    test(mbot)


def test_an_article_is_found_by_exact_id_or_by_title_or_id_substring_on_milvus(mbot):
    [article] = mbot.store.articles()
    assert mbot.find_articles(article.id) == [article.id]
    assert mbot.find_articles("KIM JONG") == [article.id]  # any case, in the title
    assert mbot.find_articles(article.id[:12].upper()) == [article.id]  # a part of the id
    assert mbot.store.find_articles("no such thing") == []


def test_extractive_answer_on_milvus(mbot, embedder):
    speakers.test_extractive_answer_lists_each_statement_with_its_citation(mbot, embedder)


@pytest.mark.parametrize("test", [
    e2e.test_cli_search_json_schema, e2e.test_cli_ask_json_schema, e2e.test_cli_ask_text_output,
    speakers.test_speakers_command, speakers.test_search_command_shows_the_speaker,
], ids=lambda f: f.__name__)
def test_cli_on_milvus(test, cli, milvus_sample):
    test(cli, milvus_sample)


def test_index_location_from_environment(cli, milvus_sample, monkeypatch):
    e2e.test_index_location_from_environment(cli, milvus_sample, monkeypatch)


# --- Milvus's own -------------------------------------------------------------------------------------


def test_saved_feeds_are_refused_with_what_to_do_instead(cli, milvus_sample):
    """Feeds live in a local index folder; a Milvus index says so, and how to index a feed anyway."""
    for args in (["feeds", "add", "http://127.0.0.1:9/feed.xml"], ["feeds", "list"], ["update"]):
        out = cli(*args, "--index", milvus_sample)
        assert out.exit_code == 1, args
        assert "a Milvus index cannot keep them" in out.output and "qa index FEED_URL" in out.output, out.output


def test_the_sample_is_whole_and_healthy(mbot, cli, milvus_sample):
    store = mbot.store
    assert isinstance(store, MilvusStore)
    assert store.check() == [] and store.leftovers() == 0
    assert store.count_paragraphs() == 27 and store.vectors.ntotal == 23
    assert store.model == "sentence-transformers/all-MiniLM-L6-v2" and store.dimension == 384
    out = cli("check", "--index", milvus_sample, "--json")
    assert out.exit_code == 0 and json.loads(out.output)["ok"] is True
    again = cli("index", SAMPLE, "--index", milvus_sample, "--json")  # unchanged: nothing embedded
    assert json.loads(again.output.splitlines()[-1])["unchanged"] == 1


def test_filters_run_in_milvus(lite, tmp_path, monkeypatch):
    """The local store's filter test (article, published date, resolved event dates) on Milvus."""
    monkeypatch.setattr(e2e, "QA", lambda path, create=False: QA(f"{lite}#filters", create=create))
    e2e.test_filters_by_article_and_date(tmp_path)


def test_index_list_remove_and_incremental_updates(cli, lite, tmp_path):
    address = f"{lite}#crud"
    (tmp_path / "one").mkdir()
    memo = tmp_path / "one" / "memo.txt"
    memo.write_text("Budget memo\n\nThe harbour budget rose by ten percent this year.\n")
    first = json.loads(cli("index", memo, SAMPLE, "--index", address, "--json").output.splitlines()[-1])
    assert first["articles"] == 2 and first["total_articles"] == 2
    memo.write_text("Budget memo\n\nThe harbour budget fell by three percent this year.\n\nNobody objected.\n")
    second = json.loads(cli("index", memo, SAMPLE, "--index", address, "--json").output.splitlines()[-1])
    assert second["unchanged"] == 1 and second["articles"] == 1 and second["total_articles"] == 2
    with QA(address) as bot:
        assert [p.text for p in bot.store.article_passages("memo")][-1] == "Nobody objected."
        assert bot.search("harbour budget fell", k=1).passages[0].article_id == "memo"
        assert not bot.search("harbour budget", k=5).passages[0].text.endswith("rose by ten percent this year.")
        assert bot.store.leftovers() == 0  # the old version's rows are gone
    listed = json.loads(cli("list", "--index", address, "--json").output)
    assert sorted(a["id"] for a in listed["articles"]) == ["memo", "reuters-2024-11-07-trump-kim"]
    assert cli("remove", "nope", "--index", address).exit_code == 1
    assert cli("remove", "reuters-2024-11-07-trump-kim", "--index", address).exit_code == 0
    with QA(address) as bot:
        assert [a.id for a in bot.articles()] == ["memo"] and bot.speakers() == []
        assert all(p.article_id == "memo" for p in bot.search("Klingner Kim Trump", k=5).passages)
        assert bot.check() == []
    rebuilt = json.loads(cli("index", SAMPLE, "--rebuild", "--index", address, "--json").output.splitlines()[-1])
    assert rebuilt["total_articles"] == 1


def test_filtered_scalar_fields_are_indexed_and_an_older_index_gets_its_indexes(cli, lite, embedder, tmp_path,
                                                                                  monkeypatch):
    """Each scalar field qa filters by has an INVERTED index from the moment its collection is made;
    an index made before qa declared them gets them when a writer opens it (readers leave it alone),
    and indexing, search and removal go on working over it."""
    from qa.index import milvus_client
    from qa.index.milvus_client import SCALAR_INDEXES
    from qa.index.milvus_writer import MilvusWriter

    declared = {table: dict.fromkeys(fields, "INVERTED") for table, fields in SCALAR_INDEXES.items()}
    assert {"band", "article_id", "token"} <= set(declared["bands"]) and "searchable" in declared["paragraphs"]
    with MilvusStore.open(f"{lite}#fresh", create=True) as store:  # made with them, no writer involved
        MilvusWriter(store).set_model(embedder.name, embedder.dimension)
        assert {table: store.scalar_indexes(table) for table in declared} == declared
        assert store.add_missing_scalar_indexes() == []

    address = f"{lite}#older"
    with monkeypatch.context() as older:  # as qa made collections before it declared scalar indexes
        older.setattr(milvus_client, "SCALAR_INDEXES", {})
        assert cli("index", SAMPLE, "--index", address).exit_code == 0
    with MilvusStore.open(address) as store:
        assert all(store.scalar_indexes(table) == {} for table in declared)
    memo = tmp_path / "memo.txt"
    memo.write_text("Harbour memo\n\nThe harbour budget rose by ten percent this year.\n")
    assert cli("index", memo, "--index", address).exit_code == 0  # a writer: adds them
    with QA(address) as bot:
        assert {table: bot.store.scalar_indexes(table) for table in declared} == declared
        assert bot.search("harbour budget", k=1).passages[0].article_id == "memo"
        assert [p.paragraph for p in bot.search("What did Klingner say?", k=3).passages] == [22, 23, 24]
    assert cli("remove", "memo", "--index", address).exit_code == 0
    with QA(address) as bot:
        assert [a.id for a in bot.articles()] == ["reuters-2024-11-07-trump-kim"] and bot.check() == []
        assert all(p.article_id != "memo" for p in bot.search("harbour budget", k=5).passages)


def test_new_attribution_rules_re_derive_the_speakers(cli, lite):
    address = f"{lite}#rules"
    assert cli("index", SAMPLE, "--index", address).exit_code == 0
    with MilvusStore.open(address) as store:  # as an older qa would have left it
        store.set_meta({"attribution_rules": "older rules"})
        rows = store.article_rows()
        for r in rows:
            r["info"]["rules"] = "older rules"
        store.upsert("articles", [{**r, "v": [0.0, 0.0]} for r in rows])
    out = json.loads(cli("index", SAMPLE, "--index", address, "--json").output.splitlines()[-1])
    assert out["reattributed"] == 1 and out["paragraphs_embedded"] == 0 and out["unchanged"] == 1
    with QA(address) as bot:
        assert bot.store.meta("attribution_rules") != "older rules" and bot.check() == []
        assert [p.paragraph for p in bot.search("What did Klingner say?", k=3).passages] == [22, 23, 24]
        assert bot.store.leftovers() == 0


def test_a_writer_starting_later_leaves_a_running_writers_articles_alone(lite, embedder):
    """Sharded writers start at once: the index records its attribution rules only at a writer's
    commit, so a second writer must not take the first one's fresh articles for old ones and write
    them again (which raced with the first writer's clean-up and left an article with no paragraphs)."""
    from qa.ingest.attribution import attribute, rules_version
    from qa.index.milvus_writer import MilvusWriter

    from qa.ingest.loaders import load_file

    article = load_file(SAMPLE, "sample").articles[0]
    vectors = embedder.encode_documents([p.text for p in article.paragraphs if p.searchable])
    with MilvusStore.open(f"{lite}#two_writers", create=True) as store:
        first, second = MilvusWriter(store), MilvusWriter(store)
        first.set_model(embedder.name, embedder.dimension)
        assert first.refresh_attribution(rules_version(), attribute) == 0
        first.add_article(article, vectors, attribution=attribute(article))
        token = store._tokens([article.id])[article.id]
        second.set_model(embedder.name, embedder.dimension)
        assert second.refresh_attribution(rules_version(), attribute) == 0  # not committed, yet current
        assert store._tokens([article.id])[article.id] == token and store.check() == []


def test_shards_split_the_files_and_cover_them_all(cli, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(6):
        (folder / f"note-{i}.txt").write_text(f"Note {i}\n\nThe committee met for session number {i} today.\n")
    index = tmp_path / "index"  # the local store: its writers take turns, the shares are the same
    counts = [json.loads(cli("index", folder, "--index", index, "--shard", f"{i}/3", "--json").output.splitlines()[-1])
              ["files"] for i in range(3)]
    assert sum(counts) == 6 and max(counts) < 6
    assert len(json.loads(cli("list", "--index", index, "--json").output)["articles"]) == 6
    assert cli("index", folder, "--index", index, "--shard", "3/3").exit_code == 2
    assert cli("index", folder, "--index", index, "--shard", "x").exit_code == 2
    assert cli("index", folder, "--index", index, "--shard", "0/2", "--rebuild").exit_code == 2


def test_python_api_add_articles(lite):
    from qa import Article, Paragraph

    article = Article(id="memo", title="Memo", paragraphs=(Paragraph(1, "The budget rose by ten percent."),
                                                           Paragraph(2, "Nobody objected.")))
    with QA(f"{lite}#api", create=True) as bot:
        bot.add_articles([article])
        answer = bot.ask("How much did the budget rise?")
        assert answer.citations[0].passage.paragraph == 1 and not answer.abstained


def test_wire_copies_cluster_and_collapse(lite):
    from qa import Article, Paragraph

    text = ("North Korea fired two ballistic missiles off its east coast on Tuesday, the South Korean military "
            "said, the latest in a series of launches this year that have raised tensions in the region.")
    edited = text.replace("the South Korean military said", "South Korea's military said")
    articles = [Article(id=f"outlet-{i}", title=f"Missiles {i}", source=source, date=f"2024-11-0{i + 5}",
                        paragraphs=(Paragraph(1, body), Paragraph(2, f"Other news number {i} about ports.")))
                for i, (source, body) in enumerate([("Reuters", text), ("AP", edited), ("AFP", text)])]
    with QA(f"{lite}#wire", create=True) as bot:
        bot.add_articles(articles)
        result = bot.search("ballistic missiles east coast", k=3)
        top = result.passages[0]
        assert top.cluster is not None
        assert sorted(c.source for c in top.also_in) == sorted({"Reuters", "AP", "AFP"} - {top.source})
        assert sum(p.cluster == top.cluster for p in result.passages) == 1  # collapsed


@pytest.mark.parametrize("store", ["local", "milvus"])
def test_a_copy_still_finds_its_cluster_after_the_first_copy_is_removed_or_rewritten(store, lite, tmp_path):
    """A band lists the paragraphs that have it; removing or rewriting the earliest copy must not hide
    the others from the next copy (on both stores alike)."""
    from qa import Article, Paragraph

    text = ("Flooding closed dozens of roads across the north of the country on Sunday, the national weather "
            "service said, and forecasters warned that more heavy rain was expected through Tuesday night.")

    def copy(outlet: str, body: str = text) -> Article:
        return Article(id=f"{outlet}-floods", title=f"Floods ({outlet})", source=outlet, date="2024-03-03",
                       paragraphs=(Paragraph(1, body), Paragraph(2, f"{outlet} reports from the ports.")))

    address = f"{lite}#bands" if store == "milvus" else str(tmp_path / "index")
    with QA(address, create=True) as bot:
        bot.add_articles([copy("reuters"), copy("ap")])
        bot.remove(["reuters-floods"])
        bot.add_articles([copy("afp")])
        top = bot.search("roads closed by flooding", k=3).passages[0]
        assert top.cluster is not None and sorted([top.source, *(c.source for c in top.also_in)]) == ["afp", "ap"]
        bot.add_articles([copy("ap", text.replace("Sunday", "Monday"))])  # ap rewritten
        bot.add_articles([copy("upi")])
        top = bot.search("roads closed by flooding", k=3).passages[0]
        assert sorted([top.source, *(c.source for c in top.also_in)]) == ["afp", "ap", "upi"]


def test_an_unfinished_write_stays_invisible_and_a_rewrite_clears_it(lite, embedder):
    """What a writer killed between its paragraphs and its article row leaves: rows no search shows."""
    from qa.index.milvus_client import stem
    from qa.index.milvus_writer import MilvusWriter

    address = f"{lite}#half"
    with QA(address, create=True) as bot:
        bot.index([SAMPLE])
        store = bot.store
        before = [p.paragraph for p in bot.search("What did Klingner say?", k=3).passages]
        # the first half of a write of a new version: paragraph rows under a token no article row names
        rows = [{"article_id": "reuters-2024-11-07-trump-kim", "token": "unfinished", "kind": "body", "date": "",
                 "number": 99, "part": 0, "searchable": True, "text": "Klingner said nothing at all.",
                 "terms": " ".join(stem(["Klingner said nothing at all."])[0]),
                 "dense": embedder.encode_query("What did Klingner say?").tolist(), "info": {}}]
        store.insert("paragraphs", rows)
        assert store.leftovers() == 1 and store.check() == []
        assert [p.paragraph for p in bot.search("What did Klingner say?", k=3).passages] == before
        assert all(pid in store.passages([pid]) for pid, _ in store.lexical_search('"klingner"', 10))
        assert 99 not in {p.paragraph for p in store.article_passages("reuters-2024-11-07-trump-kim")}
        writer = MilvusWriter(store)
        writer.remove_articles(["reuters-2024-11-07-trump-kim"])
        assert store.leftovers() == 0


def test_addresses(tmp_path, monkeypatch):
    with pytest.raises(QAError, match="named milvus:PATH.db"):
        QA(f"milvus:{tmp_path / 'x.sqlite'}")
    with pytest.raises(QAError, match="letters, digits and _"):
        QA(f"milvus:{tmp_path / 'x.db'}#no-dashes")
    with pytest.raises(QAError, match="no index at"):
        QA(f"milvus:{tmp_path / 'x.db'}#empty")


def test_the_local_store_never_imports_pymilvus(sample_index):
    code = ("import sys; from qa.api import QA; bot = QA(sys.argv[1]); bot.search('What did Pardo say?'); "
            "print('pymilvus' in sys.modules, 'qa.index.milvus_store' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(sample_index)], capture_output=True, text=True, cwd=REPO,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


# --- many writers, killed writers: a Milvus Lite server shared by real `qa index` processes -------------


def _indexed(address: str) -> dict[str, str]:
    """Visible article id -> the hash of the file version it holds."""
    with MilvusStore.open(address) as store:
        assert store.check() == []
        return {r["id"]: r["info"]["origin_hash"] for r in store.article_rows()}


def _verify(address: str, versions: dict, rng: random.Random) -> set[str]:
    """Every visible article is exactly one version of its file, and a search finds it."""
    indexed = _indexed(address)
    with QA(address) as bot:
        for article_id, digest in indexed.items():
            assert [p.text for p in bot.store.article_passages(article_id)] == versions[digest], article_id
        if indexed:
            wanted = rng.choice(sorted(indexed))
            assert bot.search(token(int(wanted[-2:]))).passages[0].article_id == wanted
    return set(indexed)


@pytest.mark.parametrize("n", [2, 4])
def test_sharded_writers_at_once_lose_nothing(n, lite_server, tmp_path, embedder):
    rng = random.Random(7)
    folder, versions = tmp_path / "articles", {}
    write_articles(folder, 12, 0, rng, versions)
    address = f"{lite_server}#shards{n}"
    env = index_env(tmp_path)
    writers = [QAProcess(["index", folder, "--index", address, "--shard", f"{i}/{n}", "--json"], tmp_path, env)
               for i in range(n)]
    reports = []
    for w in writers:
        assert w.wait(300) == 0, w.stderr
        reports.append(json.loads(w.stdout.splitlines()[-1]))
    assert max(r["files"] for r in reports) < 12 and sum(r["files"] for r in reports) == 12
    assert sum(r["articles"] for r in reports) == 12
    assert _verify(address, versions, rng) == {f"article-{i:02d}" for i in range(12)}


# Kills per run of the test below: 3 keeps the suite short; MILVUS_TEST_KILLS=10 for the full check.
KILLS = int(os.environ.get("MILVUS_TEST_KILLS") or 3)


def test_sigkilled_writers_leave_no_half_visible_article(lite_server, tmp_path, embedder):
    seed = int(time.time())
    rng = random.Random(seed)
    folder, versions = tmp_path / "articles", {}
    address = f"{lite_server}#kills"
    env = index_env(tmp_path)
    write_articles(folder, 16, 0, rng, versions)
    started = time.monotonic()
    assert QAProcess(["index", folder, "--index", address], tmp_path, env).wait(300) == 0
    duration = time.monotonic() - started
    kills = 0
    for round_ in range(1, 3 * KILLS):
        write_articles(folder, 16, round_, rng, versions)  # every article changes: real work each run
        run = QAProcess(["index", folder, "--index", address], tmp_path, env)
        run.process.join(rng.uniform(0.2, 0.9) * duration)
        if run.alive():
            run.kill()
            kills += 1
        else:  # the run beat the kill (the machine got faster): aim earlier next time
            duration *= 0.6
        try:
            assert len(_verify(address, versions, rng)) == 16  # old or new version, never neither or half
        except AssertionError as exc:
            raise AssertionError(f"after kill {kills} (round {round_}, seed {seed}): {exc}") from exc
        if kills == KILLS:
            break
    assert kills >= KILLS * 2 // 3, f"only {kills} runs were killed mid-way (seed {seed})"
    final = QAProcess(["index", folder, "--index", address, "--json"], tmp_path, env)
    assert final.wait(300) == 0, final.stderr
    assert json.loads(final.stdout.splitlines()[-1])["total_articles"] == 16
    assert _indexed(address) == {p.stem: file_hash(p.read_bytes()) for p in folder.glob("*.txt")}
    with MilvusStore.open(address) as store:
        assert store.leftovers() == 0


@pytest.fixture(scope="module")
def server_sample(lite_server, embedder) -> str:
    address = f"{lite_server}#sample"
    with QA(address, create=True) as bot:
        bot.index([SAMPLE])
    return address


@pytest.mark.parametrize("test", [chat.test_slash_commands, chat.test_piped_questions], ids=lambda f: f.__name__)
def test_chat_on_a_milvus_server(test, server_sample, tmp_path):
    test(server_sample, tmp_path)
