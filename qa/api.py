"""The Python API: one object per index that indexes, searches and answers.

    from qa import QA
    bot = QA("index", create=True)
    bot.index(["examples/articles"])
    print(bot.ask("What did Klingner say?").text)

The embedding model loads on first use and is shared by everything the object does.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .answer import Answer
from .answer.extractive import answer_extractively
from .documents import Article
from .embeddings import Embedder, canonical_model_name
from .indexer import IndexReport, add_articles, index_paths
from .retriever import Retriever, SearchResult
from .store import ArticleSummary, Store


class QA:
    """An open index plus the model and retriever that go with it."""

    def __init__(self, index: str | os.PathLike = "index", *, model: str | None = None, create: bool = False):
        self.store = Store.open(index, create=create)
        self._model_name = model
        self._embedder: Embedder | None = None
        self._retriever: Retriever | None = None

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> QA:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- parts, loaded on first use --------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            # An index answers queries with the model it was built with unless told otherwise.
            name = self._model_name or self.store.model
            if self._model_name and self.store.model and self.store.count_paragraphs():
                self.store.check_model(canonical_model_name(self._model_name), self.store.dimension or 0)
            self._embedder = Embedder(name)
        return self._embedder

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = Retriever(self.store, self.embedder)
        return self._retriever

    # --- indexing --------------------------------------------------------------------------------

    def index(
        self,
        paths: list[str | os.PathLike],
        *,
        rebuild: bool = False,
        progress: Callable[[int, int], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> IndexReport:
        """Index files and folders; unchanged files are skipped, changed ones replaced."""
        if rebuild and self._embedder is None:
            self._embedder = Embedder(self._model_name)  # a rebuild may switch models
        return index_paths(self.store, self.embedder, list(paths), rebuild=rebuild,
                           progress=progress, on_wait=on_wait)

    def add_articles(self, articles: list[Article]) -> IndexReport:
        """Index articles built in code; an article with an existing id replaces it."""
        return add_articles(self.store, self.embedder, articles)

    def remove(self, article_ids: list[str]) -> int:
        with self.store.writer() as writer:
            removed = writer.remove_articles(article_ids)
            writer.commit()
        return removed

    def articles(self) -> list[ArticleSummary]:
        return self.store.articles()

    # --- questions -------------------------------------------------------------------------------

    def search(self, question: str, k: int = 5, *, article: str | None = None,
               since: str | None = None, until: str | None = None) -> SearchResult:
        return self.retriever.search(question, k, article=article, since=since, until=until)

    def ask(self, question: str, k: int = 5, *, article: str | None = None,
            since: str | None = None, until: str | None = None) -> Answer:
        result = self.search(question, k, article=article, since=since, until=until)
        return answer_extractively(question, result, self.embedder)
