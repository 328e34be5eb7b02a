"""Indexing, hybrid search and extractive answers on the sample article, through the library and the CLI."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from qa.api import QA
from qa.errors import ModelMismatchError, QAError

from .conftest import SAMPLE

PASSAGE_KEYS = {"rank", "id", "article_id", "title", "source", "date", "byline", "url", "paragraph", "citation",
                "text", "speakers", "dates", "also_in", "score"}
CITATION_KEYS = {"n", "passage_id", "article_id", "title", "paragraph", "source", "date", "url", "citation", "quote",
                 "also_in"}


def test_sqlite_and_faiss_hold_the_same_paragraphs(sample_bot):
    store = sample_bot.store
    searchable = {r[0] for r in store.db.execute("SELECT id FROM paragraphs WHERE kind IN ('body','bullet')")}
    fts = {r[0] for r in store.db.execute("SELECT rowid FROM paragraphs_fts")}
    index = store.vectors
    faiss_ids = {int(index.id_map.at(i)) for i in range(index.ntotal)}
    assert searchable == fts == faiss_ids
    assert len(searchable) == 23  # 27 paragraphs less one heading and three boilerplate lines
    assert store.model == "sentence-transformers/all-MiniLM-L6-v2" and store.dimension == 384


def test_klingner_paragraphs_lead_search(sample_bot):
    result = sample_bot.search("What did Klingner say?", k=5)
    top3 = [p.paragraph for p in result.passages[:3]]
    assert {22, 24} <= set(top3)
    assert all(p.title.startswith("Kim Jong Un boasts") and p.source == "Reuters" for p in result.passages)


def test_ask_cites_klingner_with_correct_paragraph_numbers(sample_bot):
    answer = sample_bot.ask("What did Klingner say?")
    assert not answer.abstained and answer.backend == "extractive"
    cited = {c.passage.paragraph for c in answer.citations}
    assert cited and cited <= {22, 23, 24}
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text
        assert c.quote == c.passage.text
    # every sentence of an extractive answer is a sentence of the paragraph it cites
    for c in answer.citations:
        sentence = answer.text.split(f" [{c.n}]")[0].split("] ")[-1]
        assert sentence in c.passage.text


def test_unanswerable_question_abstains(sample_bot):
    answer = sample_bot.ask("What is the population of Pyongyang?")
    assert answer.abstained and not answer.citations
    assert answer.text.startswith("The indexed articles don't say")
    assert '"population"' in answer.text


def test_second_run_embeds_nothing_and_changed_file_is_replaced(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SAMPLE, articles)
    (articles / "short.txt").write_text("Harbour deal signed\n\nThe harbour deal was signed on Monday.\n")
    with QA(tmp_path / "index", create=True) as bot:
        first = bot.index([articles])
        assert (first.articles, first.paragraphs) == (2, 24)
        again = bot.index([articles])
        assert (again.articles, again.paragraphs, again.unchanged) == (0, 0, 2)
        (articles / "short.txt").write_text("Harbour deal signed\n\nThe deal was signed.\n\nIt cost a lot.\n")
        changed = bot.index([articles])
        assert (changed.articles, changed.paragraphs, changed.unchanged) == (1, 2, 1)
        texts = [p.text for p in bot.store.article_passages("short")]
        assert texts == ["The deal was signed.", "It cost a lot."]
        assert bot.store.vectors.ntotal == 25
        assert bot.search("how much did it cost", k=1).passages[0].text == "It cost a lot."


def test_remove_and_rebuild(writable_index):
    with QA(writable_index) as bot:
        assert bot.remove(["reuters-2024-11-07-trump-kim"]) == 1
        assert bot.articles() == [] and bot.store.vectors.ntotal == 0
        report = bot.index([SAMPLE], rebuild=True)
        assert report.articles == 1 and bot.store.vectors.ntotal == 23


def test_removing_an_unknown_id_removes_nothing(writable_index):
    with QA(writable_index) as bot:
        with pytest.raises(QAError, match="no article with id 'nosuch'; see `qa list`"):
            bot.remove(["reuters-2024-11-07-trump-kim", "nosuch"])
        assert [a.id for a in bot.articles()] == ["reuters-2024-11-07-trump-kim"]


def test_listing_checking_and_removing_never_load_the_embedding_model(writable_index):
    """`qa list`, `qa speakers`, `qa check` and `qa remove` go through QA like every command, and QA
    loads the model only for a search: none of them imports the ONNX runtime or the tokenizer."""
    script = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from qa.api import QA\n"
        "from qa.front.cli import main\n"
        "index = sys.argv[1]\n"
        "run = lambda *args: CliRunner().invoke(main, [*args, '--index', index])\n"
        "with QA(index) as bot:\n"
        "    ids = bot.find_articles('Kim Jong Un')\n"
        "    quoted = len(bot.who_said('Klingner', article='kim jong').matches)\n"
        "    healthy = bot.health().ok\n"
        "outs = [run('list', '--json'), run('speakers', 'Klingner', '--article', 'trump', '--json'), run('check'),\n"
        "        run('remove', ids[0])]\n"
        "print(json.dumps([ids, quoted, healthy, [o.exit_code for o in outs],\n"
        "                  json.loads(outs[1].output)['speakers'][0]['count'], outs[3].output,\n"
        "                  [m for m in ('onnxruntime', 'tokenizers', 'torch') if m in sys.modules]]))\n"
    )
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", script, str(writable_index)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [["reuters-2024-11-07-trump-kim"], 1, True, [0, 0, 0, 0], 3,
                                      "Removed 1 article(s).\n", []]


def test_settings_are_used_as_given(sample_index, tmp_path):
    """The CLI loads its settings once and hands them to QA: the index folder and the LLM come from them,
    and an argument still overrides them."""
    from qa.config import Settings

    with QA(settings=Settings(index=str(sample_index), llm="none", k=2)) as bot:
        assert bot.store.path == sample_index and bot.backend is None
        assert len(bot.articles()) == 1
    with pytest.raises(QAError, match="no index"):
        QA(tmp_path / "missing", settings=Settings(index=str(sample_index)))


def test_same_file_name_in_two_folders_keeps_both(tmp_path):
    for folder in ("business", "sport"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "001.txt").write_text(f"{folder} headline\n\nA {folder} story about results.\n")
    with QA(tmp_path / "index", create=True) as bot:
        bot.index([tmp_path / "business"])
        bot.index([tmp_path / "sport"])
        assert sorted(a.id for a in bot.articles()) == ["001", "sport/001"]


def test_filters_by_article_and_date(tmp_path):
    (tmp_path / "a").mkdir()
    shutil.copy(SAMPLE, tmp_path / "a")
    (tmp_path / "a" / "ap-2023-01-05-storm.txt").write_text("Storm hits coast\n\nA storm hit the coast, "
                                                            "officials said, and Kim Jong Un was not involved.\n")
    with QA(tmp_path / "index", create=True) as bot:
        bot.index([tmp_path / "a"])
        only_storm = bot.search("Kim Jong Un", k=5, article="storm")
        assert {p.article_id for p in only_storm.passages} == {"ap-2023-01-05-storm"}
        old = bot.search("Kim Jong Un", k=5, until="2023-12-31")
        assert "2023-01-05" in {p.date for p in old.passages}
        # the 2024 article's paragraphs pass only by an event date in range ("in 2018", "In December" = 2023-12)
        for p in old.passages:
            assert p.date == "2023-01-05" or any(d.last <= "2023-12-31" for d in p.dates), p
        new = bot.search("Kim Jong Un", k=5, since="2024-01-01")
        assert {p.source for p in new.passages} == {"Reuters"}
        with pytest.raises(QAError, match="no indexed article matches"):
            bot.search("Kim", article="no such thing")


def test_model_mismatch_is_refused(sample_index, tmp_path):
    model_dir = tmp_path / "other-model"
    from qa.ingest.embeddings import resolve_model_path, DEFAULT_MODEL

    shutil.copytree(resolve_model_path(DEFAULT_MODEL), model_dir)  # same weights, another name
    with QA(sample_index, model=str(model_dir)) as bot:
        with pytest.raises(ModelMismatchError, match="was built with embedding model"):
            bot.search("Klingner")


def test_python_api_add_articles(tmp_path):
    from qa import Article, Paragraph

    article = Article(id="memo", title="Memo", paragraphs=(Paragraph(1, "The budget rose by ten percent."),
                                                           Paragraph(2, "Nobody objected.")))
    with QA(tmp_path / "index", create=True) as bot:
        bot.add_articles([article])
        answer = bot.ask("How much did the budget rise?")
        assert answer.citations[0].passage.paragraph == 1 and not answer.abstained
        vector = bot.embedder.encode_query("budget")
        assert vector.dtype == np.float32 and abs(float(np.linalg.norm(vector)) - 1) < 1e-4


# --- CLI -------------------------------------------------------------------------------------------


def test_cli_search_json_schema(cli, sample_index):
    out = cli("search", "What did Klingner say?", "--index", sample_index, "-k", "3", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["query"] == "What did Klingner say?"
    assert [p["rank"] for p in data["passages"]] == [1, 2, 3]
    assert all(PASSAGE_KEYS <= set(p) for p in data["passages"])


def test_cli_ask_json_schema(cli, sample_index):
    out = cli("ask", "What did Klingner say?", "--index", sample_index, "--json")
    data = json.loads(out.output)
    assert set(data) >= {"question", "answer", "abstained", "backend", "citations", "passages"}
    assert data["backend"] == "extractive" and data["abstained"] is False
    assert all(CITATION_KEYS <= set(c) for c in data["citations"])
    ids = {p["id"] for p in data["passages"]}
    assert all(c["passage_id"] in ids for c in data["citations"])


def test_cli_ask_text_output(cli, sample_index):
    out = cli("ask", "What did Klingner say?", "--index", sample_index)
    assert out.exit_code == 0
    assert "Sources:" in out.output
    assert 'Reuters · "Kim Jong Un boasts expanded missile arsenal, closer ties ..." · 2024-11-07 · ¶22' in out.output
    # QA_LLM=none (tests' default) is the user's own choice: no "No LLM is configured" notice.
    assert "No LLM is configured" not in out.output  # CliRunner mixes stderr in
    explicit = cli("ask", "What did Klingner say?", "--index", sample_index, "--llm", "none")
    assert "No LLM is configured" not in explicit.output and "Sources:" in explicit.output


def test_extractive_answer_says_no_llm_was_found(sample_bot):
    """When `auto` found no LLM, the extractive answer says why it quotes (the notice the CLI prints)."""
    from qa.answer.extractive import answer_extractively

    answer = answer_extractively("What did Klingner say?", sample_bot.search("What did Klingner say?"),
                                 sample_bot.embedder)
    assert answer.notice and answer.notice.startswith("No LLM is configured")


def test_missing_index_message_gives_the_full_path(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = cli("list", "--index", "nowhere")
    assert out.exit_code == 1
    assert f"no index at {tmp_path / 'nowhere'};" in out.output


def test_cli_questions_file(cli, sample_index, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text('What did Klingner say?\n\n{"q": "Who signed a defence treaty?", "k": 2}\n{bad\n')
    out = cli("search", "--questions", questions, "--index", sample_index)
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert [line.get("query") for line in lines[:2]] == ["What did Klingner say?", "Who signed a defence treaty?"]
    assert len(lines[0]["passages"]) == 5 and len(lines[1]["passages"]) == 2
    assert "not valid JSON" in lines[2]["error"]
    out = cli("ask", "--questions", questions, "--index", sample_index)
    answers = [json.loads(line) for line in out.output.splitlines()]
    assert answers[0]["question"] == "What did Klingner say?" and answers[0]["citations"]


def test_cli_index_list_remove(cli, tmp_path):
    index = tmp_path / "index"
    out = cli("index", SAMPLE, "--index", index, "--json")
    assert json.loads(out.output.splitlines()[-1])["articles"] == 1
    listed = json.loads(cli("list", "--index", index, "--json").output)
    assert [a["id"] for a in listed["articles"]] == ["reuters-2024-11-07-trump-kim"]
    assert cli("remove", "nope", "--index", index).exit_code == 1
    assert cli("remove", "reuters-2024-11-07-trump-kim", "--index", index).exit_code == 0
    assert json.loads(cli("list", "--index", index, "--json").output)["articles"] == []


def test_index_location_from_environment(cli, sample_index, monkeypatch):
    monkeypatch.setenv("QA_INDEX", str(sample_index))
    out = cli("search", "Pardo", "-k", "1", "--json")
    assert json.loads(out.output)["passages"][0]["paragraph"] in (13, 21)


def test_same_file_name_in_one_run_keeps_both(tmp_path):
    for folder in ("business", "tech"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "001.txt").write_text(f"{folder} headline\n\nA {folder} story about results.\n")
    with QA(tmp_path / "index", create=True) as bot:
        bot.index([tmp_path / "business" / "001.txt", tmp_path / "tech" / "001.txt"])
        assert sorted(a.id for a in bot.articles()) == ["001", "tech/001"]
        assert bot.store.vectors.ntotal == 2
