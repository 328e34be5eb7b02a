"""Past a size threshold the store switches to an approximate FAISS index and says so in its meta."""

from __future__ import annotations

import json

import numpy as np

import qa.index.vectors
from qa.api import QA
from qa.ingest.documents import Article, Paragraph
from qa.index.vectors import describe, stored_ids


def _ids_agree(store) -> bool:
    searchable = {r[0] for r in store.db.execute("SELECT id FROM paragraphs WHERE kind IN ('body','bullet')")}
    return searchable == set(stored_ids(store.vectors).tolist())


def test_large_index_switches_to_ivf_and_keeps_working(writable_index, embedder, monkeypatch):
    monkeypatch.setattr(qa.index.vectors, "APPROXIMATE_FROM", 30)
    filler = Article(id="filler", title="Filler", paragraphs=tuple(
        Paragraph(i + 1, f"Paragraph {i} about harvest number {i} in the valley of the river.") for i in range(20)))
    with QA(writable_index) as bot:
        assert describe(bot.store.vectors)["type"] == "exact"
        bot.add_articles([filler])
        recorded = json.loads(bot.store.meta("vector_index"))
        assert recorded["type"] == "IVF-SQ8" and recorded["vectors"] == 43 and recorded["nprobe"] >= 1
    with QA(writable_index) as bot:  # reopened from disk
        assert describe(bot.store.vectors)["type"] == "IVF-SQ8" and _ids_agree(bot.store)
        top3 = [p.paragraph for p in bot.search("What did Klingner say?", k=3).passages]
        assert set(top3) == {22, 23, 24}
        assert not bot.ask("What did Klingner say?").abstained
        assert bot.remove(["filler"]) == 1
        assert _ids_agree(bot.store) and bot.store.vectors.ntotal == 23
        hit = bot.search("harvest in the valley", k=1).passages
        assert hit and hit[0].article_id != "filler"


def test_small_index_stays_exact(sample_bot):
    assert describe(sample_bot.store.vectors) == {"type": "exact", "vectors": 23}
    assert np.array_equal(np.sort(stored_ids(sample_bot.store.vectors)),
                          np.sort([r[0] for r in sample_bot.store.db.execute(
                              "SELECT id FROM paragraphs WHERE kind IN ('body','bullet')")]))
