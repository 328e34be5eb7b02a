"""Stand-ins for the models, for tests that check qa's logic (storage, crash safety, input checks,
the answer pipeline's control flow) rather than what a model makes of text. Each keeps the real
interface by subclassing or implementing it, so the code under test runs unchanged around it:

- `FakeEmbedder` is `qa.ingest.embeddings.Embedder` with its encoder swapped for word hashing: no model to
  load, deterministic, and texts sharing words still come out close (cosine), so hybrid search
  still ranks sensibly. An index built with it records the model name `FAKE_MODEL`; open it again
  with `QA(path, embedder=FakeEmbedder())`.
- `FakeBackend` keeps `qa.answer.backends.Backend`: it streams a fixed reply (or one made from the
  messages) token by token, and records what it was asked.

Tests about retrieval quality, verification by meaning, or the models themselves use the real ones."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable

import numpy as np

from qa.answer.backends import MAX_ANSWER_TOKENS, TokenFn
from qa.ingest.embeddings import Embedder

FAKE_MODEL = "fake/word-hashing-384"
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


class _HashingEncoder:
    """Each word (lowercased, and its first five letters, a crude stem) adds ±1 to a bucket chosen by
    its CRC32; the sum is L2-normalised. An empty text gets a fixed unit vector."""

    backend = "fake"

    def __init__(self, dimension: int):
        self.dimension = dimension

    def encode(self, texts: list[str], batch_size: int, check=None) -> np.ndarray:
        if check is not None:
            check()
        out = np.zeros((len(texts), self.dimension), dtype="float32")
        for row, text in enumerate(texts):
            for word in _WORD_RE.findall(text.lower()):
                for feature in {word, word[:5]}:
                    code = zlib.crc32(feature.encode())
                    out[row, code % self.dimension] += 1.0 if code & 1 << 31 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        return out


class FakeEmbedder(Embedder):
    """`Embedder` around the hashing encoder: same methods, batching and progress calls, no model."""

    def __init__(self, model_name: str | None = None, batch_size: int = 32, backend: str | None = None,
                 dimension: int = 384):
        """The arguments of `Embedder`; the model asked for is not loaded (the fake stands in for any)."""
        self.name = FAKE_MODEL
        self.batch_size = batch_size
        self._encoder = _HashingEncoder(dimension)
        self.backend = self._encoder.backend
        self.dimension = dimension
        self._int8 = False


class FakeBackend:
    """An LLM backend (`qa.answer.backends.Backend`) that writes `reply`, a string or a function of
    the chat messages, streamed a word at a time. `requests` holds the messages of every call."""

    name = "openai"  # what the pipeline reports; the fake stands in for a server's model
    model = "fake-llm"

    def __init__(self, reply: str | Callable[[list[dict]], str] = "Klingner said Kim could see an upside. [1]"):
        self.reply = reply
        self.requests: list[list[dict]] = []

    def complete(self, messages: list[dict], on_token: TokenFn | None = None,
                 max_tokens: int = MAX_ANSWER_TOKENS) -> str:
        self.requests.append(messages)
        text = self.reply(messages) if callable(self.reply) else self.reply
        pieces = re.findall(r"\S+\s*", text)[:max_tokens]
        for piece in pieces:
            if on_token is not None:
                on_token(piece)
        return "".join(pieces)



def indexed_archive(folder, articles: dict[str, str]):
    """`articles` (file name -> text) written to `folder` and indexed there with the real model: the
    index folder, for tests that ask questions of a small archive of their own."""
    from pathlib import Path

    from qa.api import QA

    folder = Path(folder)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    with QA(folder / "index", create=True, llm="none") as bot:
        bot.index([folder])
    return folder / "index"
