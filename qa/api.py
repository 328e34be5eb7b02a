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
from dataclasses import replace
from typing import TYPE_CHECKING

from .answer import Answer
from .config import load_settings
from .errors import LLMError, QAError
from .documents import Article, ArticleDefaults
from .embeddings import Embedder, canonical_model_name
from .retriever import Retriever, SearchResult
from .store import ArticleSummary, SpeakerRecord, Store

if TYPE_CHECKING:  # indexing code (attribution, wire, fetch) loads only when indexing: queries start faster
    from .indexer import IndexReport


class QA:
    """An open index plus the model and retriever that go with it."""

    def __init__(self, index: str | os.PathLike = "index", *, model: str | None = None, create: bool = False,
                 llm: str | None = None, base_url: str | None = None, llm_model: str | None = None,
                 recover: bool = False):
        """`llm`: auto (a configured server, else the local model if installed, else extractive),
        local, openai (needs `base_url`), or none. Unset LLM options come from QA_* env and the
        config file, as for the CLI. `recover`: start afresh an index that is damaged or from another
        qa version (what `qa index --rebuild` does)."""
        # LLM options and the indexing settings (commit_every, lock_timeout, max_file_mb).
        self._settings = load_settings(llm=llm, base_url=base_url, llm_model=llm_model)
        self.store = Store.open(index, create=create, recover=recover)
        self._model_name = model
        self._embedder: Embedder | None = None
        self._retriever: Retriever | None = None
        self._backend = None
        self._backend_chosen = False

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
    def backend(self):
        """The LLM backend, or None for extractive answers; chosen on first use, then kept. A local
        model loads only when an answer needs it (or `preload_llm` asks for it)."""
        if not self._backend_chosen:
            from .answer.llm import choose_backend

            self._backend = choose_backend(self._settings)
            self._backend_chosen = True
        return self._backend

    def preload_llm(self) -> None:
        """Load the LLM now; a local model then prefills the prompt start every answer shares in the
        background (see LocalBackend.warm). Errors wait for the first answer."""
        try:
            backend = self.backend
            if hasattr(backend, "warm"):
                backend.warm()
        except QAError:
            pass

    def set_llm(self, llm: str) -> None:
        """Switch the answerer (auto, local, openai, none). A choice that cannot be used (an unknown
        name, no local model, no server address) raises QAError and keeps the current answerer."""
        from .answer.llm import choose_backend

        settings = replace(self._settings, llm=llm)
        backend = choose_backend(settings)
        self._settings, self._backend, self._backend_chosen = settings, backend, True

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
        outlet: str | None = None,
        date: str | None = None,
        byline: str | None = None,
    ) -> IndexReport:
        """Index files, folders and http(s) URLs; unchanged files and pages are skipped, changed ones
        replaced. `outlet`, `date` (YYYY-MM-DD) and `byline` fill in what an article doesn't state."""
        from .indexer import index_paths

        if rebuild and self._embedder is None:
            self._embedder = Embedder(self._model_name)  # a rebuild may switch models
        settings = self._settings
        return index_paths(self.store, self.embedder, list(paths), rebuild=rebuild, progress=progress,
                           on_wait=on_wait, defaults=ArticleDefaults(outlet, date, byline),
                           commit_every=settings.commit_every, lock_timeout=settings.lock_timeout,
                           max_file_bytes=int(settings.max_file_mb * 2**20))

    def add_articles(self, articles: list[Article]) -> IndexReport:
        """Index articles built in code; an article with an existing id replaces it."""
        from .indexer import add_articles

        return add_articles(self.store, self.embedder, articles, lock_timeout=self._settings.lock_timeout)

    def check(self) -> list[str]:
        """What is wrong with the index (empty when healthy): see `Store.check`."""
        return self.store.check()

    def remove(self, article_ids: list[str]) -> int:
        with self.store.writer(timeout=self._settings.lock_timeout) as writer:
            removed = writer.remove_articles(article_ids)
            writer.commit()
        return removed

    def articles(self) -> list[ArticleSummary]:
        return self.store.articles()

    def speakers(self, article: str | None = None) -> list[SpeakerRecord]:
        """Who is quoted where: the speakers of one article (id or part of its title) or of all."""
        article_ids = self.retriever.resolve_articles(article) if article else None
        return self.store.speakers(article_ids)

    # --- questions -------------------------------------------------------------------------------

    def search(self, question: str, k: int = 5, *, article: str | None = None,
               since: str | None = None, until: str | None = None) -> SearchResult:
        return self.retriever.search(question, k, article=article, since=since, until=until)

    def ask(self, question: str, k: int = 5, *, article: str | None = None, since: str | None = None,
            until: str | None = None, on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer from the index: with the LLM when one is available (tokens go to `on_token` as they
        come), else extractively. An LLM failure falls back to the extractive answer, with a warning."""
        from .answer.extractive import answer_extractively

        result = self.search(question, k, article=article, since=since, until=until)
        backend = self.backend
        if backend is None:
            return answer_extractively(question, result, self.embedder)
        from .answer.llm import answer_with_llm

        try:
            return answer_with_llm(question, result, backend, self.embedder, on_token)
        except LLMError as exc:
            fallback = answer_extractively(question, result, self.embedder)
            return replace(fallback, notice=None, warning=f"LLM failed: {exc}. Showing the extractive answer instead.")
