"""The stand-ins of tests/fakes.py keep the real interfaces, so the code they stand under runs as it is."""

from __future__ import annotations

import numpy as np

from qa.answer.backends import Backend
from qa.ingest.embeddings import Embedder

from .fakes import FAKE_MODEL, FakeBackend, FakeEmbedder


def test_the_fake_embedder_is_an_embedder_that_loads_no_model():
    fake = FakeEmbedder("any model name")
    assert isinstance(fake, Embedder) and fake.name == FAKE_MODEL and fake.dimension == 384
    texts = ["The harbour reopened on Friday.", "The harbour reopened on Saturday.", "Stocks fell in Tokyo."]
    seen = []
    vectors = fake.encode_documents(texts, progress=seen.append)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32 and seen == [3]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.array_equal(fake.encode_query(texts[0]), vectors[0])  # deterministic, either path
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # shared words come out closer
    assert fake.encode([]).shape == (0, 384)


def test_the_fake_backend_streams_its_reply_as_a_backend_does():
    backend: Backend = FakeBackend(lambda messages: f"Asked {len(messages)} messages [1].")
    pieces: list[str] = []
    text = backend.complete([{"role": "user", "content": "hi"}], pieces.append)
    assert text == "Asked 1 messages [1]." == "".join(pieces) and len(pieces) == 4
    assert backend.requests == [[{"role": "user", "content": "hi"}]]
    assert backend.complete([], max_tokens=2) == "Asked 0 "
