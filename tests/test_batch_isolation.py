"""One article never stops a batch: every stage that reads one article (walk, decode, parse, attribute,
date, wire, embed) fails for that article alone, with a warning naming it, and the rest is indexed.
Each case here once lost the whole run (a traceback, exit 1, an empty index) or stored text wrong."""

from __future__ import annotations

import json
import os

import pytest

from qa.api import QA
from qa.index.store import Store

GOOD = "Harbour news\n\nThe harbour reopened on Friday after the storm, the mayor said.\n"


def write(path, data: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return path


def stored(index) -> dict[str, list[str]]:
    """Article id -> its stored paragraphs' text."""
    with Store.open(index) as store:
        return {a.id: [p.text for p in store.article_passages(a.id)] for a in store.articles()}


def test_a_headline_with_a_colon_is_indexed_beside_the_good_file(cli, tmp_path):
    folder = tmp_path / "in"
    write(folder / "good.txt", GOOD)
    write(folder / "explained.txt", "Explained: the links between Bill Gates and Jeffrey Epstein\n\n"
                                    "Explained: the links between Bill Gates and Jeffrey Epstein\n\n"
                                    "Watch: what the documents show, said one lawyer.\n")
    out = cli("index", folder, "--index", tmp_path / "index")
    assert out.exit_code == 0 and "Traceback" not in out.output, out.output
    assert set(stored(tmp_path / "index")) == {"good", "explained"}


@pytest.mark.parametrize("stage", ["attribute", "find_dates", "fingerprint", "embed", "load"])
def test_a_stage_that_fails_on_one_article_costs_that_article_alone(stage, tmp_path, monkeypatch, embedder):
    """The principle, whatever the bug: a stage raising on one article's text (here the word POISON)."""
    import qa.index.indexer as indexer

    folder = tmp_path / "in"
    write(folder / "good.txt", GOOD)
    write(folder / "poison.txt", "Poisoned story\n\nThe POISON paragraph, said the chemist.\n")
    write(folder / "feed.jsonl", "\n".join(json.dumps(r) for r in [
        {"id": "clean", "text": "The ferry ran on time on Monday, officials said."},
        {"id": "bad", "text": "Another POISON paragraph for the ferry."}]))

    def poisoned(real, text_of):
        def call(value, *args, **kwargs):
            if "POISON" in text_of(value):
                raise IndexError("list index out of range")
            return real(value, *args, **kwargs)
        return call

    article_text = lambda a: " ".join(p.text for p in a.paragraphs)  # noqa: E731
    if stage == "attribute":
        monkeypatch.setattr(indexer, "attribute", poisoned(indexer.attribute, article_text))
    elif stage == "find_dates":
        monkeypatch.setattr(indexer, "find_dates", poisoned(indexer.find_dates, str))
    elif stage == "fingerprint":
        monkeypatch.setattr(indexer.wire, "fingerprint", poisoned(indexer.wire.fingerprint, str))
    elif stage == "load":
        monkeypatch.setattr(indexer, "load_file", poisoned(indexer.load_file, lambda p: p.read_text()))
    else:
        from qa.ingest.embeddings import Embedder

        real = Embedder.encode_documents
        monkeypatch.setattr(Embedder, "encode_documents",
                            lambda self, texts, *a, **kw: poisoned(lambda t: real(self, t, *a, **kw), " ".join)(texts))
    with QA(tmp_path / "index", create=True) as bot:
        report = bot.index([folder])
    articles = stored(tmp_path / "index")
    assert "good" in articles
    assert stage == "load" or "clean" in articles  # a reader fails for a whole file; the other stages per article
    named = [w for w in report.warnings if "poison.txt" in w]
    assert named and "IndexError" in named[0], report.warnings
    if stage in ("attribute", "find_dates"):  # a lost annotation: the article itself is searchable
        assert {"poison", "bad"} <= set(articles) and "indexed without" in named[0]
        assert any("feed.jsonl: article 'bad'" in w for w in report.warnings), report.warnings
    else:
        assert "poison" not in articles and "skipped" in named[0]
        assert "bad" not in articles


def test_a_model_that_fails_on_every_article_still_stops_the_run(tmp_path, monkeypatch, embedder):
    """Not an article's fault: an embedding model that cannot embed anything is an error, not N warnings."""
    write(tmp_path / "in" / "good.txt", GOOD)

    from qa.ingest.embeddings import Embedder

    def broken(self, texts, *args, **kwargs):
        raise RuntimeError("onnxruntime: session is closed")

    monkeypatch.setattr(Embedder, "encode_documents", broken)
    with QA(tmp_path / "index", create=True) as bot, pytest.raises(RuntimeError, match="session is closed"):
        bot.index([tmp_path / "in"])


def test_urls_with_a_space_or_line_break_are_refused_one_by_one(cli, tmp_path):
    write(tmp_path / "in" / "good.txt", GOOD)
    out = cli("index", "http://127.0.0.1:1/a b", "http://127.0.0.1:1/a\rb", tmp_path / "in",
              "--index", tmp_path / "index")
    assert out.exit_code == 0 and "Traceback" not in out.output, out.output
    assert out.output.count("not a valid URL (it holds a space, line break or control character)") == 2
    assert set(stored(tmp_path / "index")) == {"good"}


def nest(folder, depth: int) -> list[int]:
    """`depth` folders `d` inside one another, made relative to directory descriptors (the full path
    grows longer than the OS lets one name it); returns the descriptors, outermost first."""
    fds = [os.open(folder, os.O_RDONLY)]
    for _ in range(depth):
        os.mkdir("d", dir_fd=fds[-1])
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    return fds


def unnest(fds: list[int]) -> None:
    """Remove what `nest` made, innermost first (shutil.rmtree, which pytest cleans up with, recurses)."""
    for outer in reversed(fds[:-1]):
        os.rmdir("d", dir_fd=outer)
    for fd in fds:
        os.close(fd)


def test_a_folder_nested_2200_deep_is_walked_without_recursion(cli, tmp_path):
    folder = tmp_path / "in"
    write(folder / "good.txt", GOOD)
    fds = nest(folder, 2200)
    try:
        out = cli("index", folder, "--index", tmp_path / "index")
    finally:
        unnest(fds)
    assert out.exit_code == 0 and "RecursionError" not in out.output, out.output
    assert set(stored(tmp_path / "index")) == {"good"}
    assert "folders deep" in out.output and max(map(len, out.output.splitlines())) < 600


def test_mixed_encodings_are_decoded_line_by_line(cli, tmp_path):
    folder = tmp_path / "in"
    write(folder / "cafe.txt", "Café reopens\n\nThe café on Main Street reopened, its owner said.\n\n".encode()
          + "A line pasted from an old page: naïve and déjà vu.\n".encode("latin-1"))
    out = cli("index", folder, "--index", tmp_path / "index")
    assert out.exit_code == 0, out.output
    assert "not valid UTF-8 on line 5" in out.output
    paragraphs = stored(tmp_path / "index")["cafe"]
    assert paragraphs == ["The café on Main Street reopened, its owner said.",
                          "A line pasted from an old page: naïve and déjà vu."]


def test_jsonl_paragraph_lists_keep_only_text(cli, tmp_path):
    write(tmp_path / "in" / "feed.jsonl", json.dumps(
        {"id": "a", "text": ["The council met on Tuesday.", 1, None, ["inner"], {"x": 1}, True,
                             "It voted to rebuild the pier."]}) + "\n")
    out = cli("index", tmp_path / "in", "--index", tmp_path / "index")
    assert out.exit_code == 0, out.output
    assert stored(tmp_path / "index")["a"] == ["The council met on Tuesday.", "It voted to rebuild the pier."]
    for n, kind in [(2, "a number"), (3, "null"), (4, "a list"), (5, "an object"), (6, "true")]:
        assert f'paragraph {n} of "text" is {kind}, not a string; left out' in out.output


def test_a_file_name_with_a_newline_or_tab_keeps_one_line_and_its_id_can_be_removed(cli, tmp_path):
    folder = tmp_path / "in"
    write(folder / "good.txt", GOOD)
    write(folder / "two\nlines\tand tab.txt", "Ferry news\n\nThe ferry returned to service on Monday.\n")
    index = tmp_path / "index"
    out = cli("index", folder, "--index", index)
    assert out.exit_code == 0, out.output
    listed = cli("list", "--index", index, "--json")
    ids = [a["id"] for a in json.loads(listed.output)["articles"]]
    assert "two\\x0alines\\x09and tab" in ids
    text = cli("list", "--index", index).output
    assert not any(line.startswith(("lines", "and tab")) for line in text.splitlines()), text
    removed = cli("remove", "two\\x0alines\\x09and tab", "--index", index)
    assert removed.exit_code == 0, removed.output
    assert set(stored(index)) == {"good"}


def test_a_link_out_of_the_folder_is_not_followed(cli, tmp_path):
    outside = write(tmp_path / "secret" / "passwd.txt", "root:x:0:0:root:/root:/bin/bash\n\nSecret line.\n")
    folder = tmp_path / "links"
    write(folder / "good.txt", GOOD)
    (folder / "passwd.txt").symlink_to(outside)
    (folder / "etc").symlink_to(tmp_path / "secret")
    (folder / "z.txt").symlink_to(folder / "good.txt")  # a link within the folder is fine (read once)
    (folder / "inner").mkdir()
    (folder / "inner" / "up").symlink_to(folder)
    out = cli("index", folder, "--index", tmp_path / "index")
    assert out.exit_code == 0, out.output
    assert set(stored(tmp_path / "index")) == {"good"}
    assert "passwd.txt: a link to" in out.output and "etc: a link to" in out.output
    assert "outside" in out.output and "not followed" in out.output
    direct = cli("index", outside, "--index", tmp_path / "index2")  # a file named on the command line is read
    assert direct.exit_code == 0 and set(stored(tmp_path / "index2")) == {"passwd"}


def test_a_jsonl_id_with_a_line_break_is_written_on_one_line(cli, tmp_path):
    write(tmp_path / "in" / "feed.jsonl", json.dumps({"id": "a\nb", "text": "The pier reopened on Monday."}) + "\n")
    index = tmp_path / "index"
    assert cli("index", tmp_path / "in", "--index", index).exit_code == 0
    assert set(stored(index)) == {"a\\x0ab"}
    assert cli("remove", "a\\x0ab", "--index", index).exit_code == 0 and not stored(index)


def test_re_attributing_after_a_rules_change_skips_only_the_article_it_fails_on(tmp_path, monkeypatch):
    """New attribution rules re-derive the speakers of every indexed article on the next run: one article
    they fail on keeps the run going, indexed without speakers."""
    import qa.index.indexer as indexer

    folder = tmp_path / "in"
    write(folder / "good.txt", "Harbour news\n\nThe harbour reopened on Friday, said Mayor Jane Smith.\n")
    write(folder / "poison.txt", "Poisoned story\n\nThe POISON paragraph, said the chemist Ann Lee.\n")
    with QA(tmp_path / "index", create=True) as bot:
        bot.index([folder])
    real = indexer.attribute

    def attribute(article):
        if any("POISON" in p.text for p in article.paragraphs):
            raise IndexError("list index out of range")
        return real(article)

    monkeypatch.setattr(indexer, "attribute", attribute)
    monkeypatch.setattr(indexer, "rules_version", lambda: "other-rules")
    with QA(tmp_path / "index") as bot:
        report = bot.index([folder])
        speakers = {s.name for s in bot.speakers(ranked=False)}
    assert report.reattributed == 2 and report.unchanged == 2
    assert any("'poison': finding who is quoted failed (IndexError" in w for w in report.warnings), report.warnings
    assert speakers == {"Jane Smith"}
