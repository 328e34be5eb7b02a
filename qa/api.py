"""The Python API: one object per index that indexes, searches and answers.

    from qa import QA
    bot = QA("index", create=True)
    bot.index(["examples/articles"])
    print(bot.ask("What did Klingner say?").text)

The embedding model loads on first use (a search, an answer, indexing) and is shared by everything
the object does; listing, checking and removing never load it. The `qa` command and `qa chat`,
`qa serve` and `qa mcp` all reach the index through this object.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from .answer import Answer
from .config import Settings, load_settings
from .errors import LLMError, QAError
from .documents import Article, ArticleDefaults
from .embeddings import Embedder, canonical_model_name
from .retriever import Retriever, SearchResult
from .records import ArticleSummary, Passage, SpeakerRecord
from .reports import IndexHealth, Quotes, WhoSaid
from .store import open_store

if TYPE_CHECKING:  # indexing code (attribution, wire, fetch) loads only when indexing: queries start faster
    from .indexer import IndexReport


class QA:
    """An open index plus the model and retriever that go with it: index, search, ask.

    `QA("index", create=True)` opens (or makes) the index folder; use it as a context manager, or
    call `close()`. Library errors are raised as `QAError` with a message a user can act on."""

    def __init__(self, index: str | os.PathLike | None = None, *, model: str | None = None, create: bool = False,
                 llm: str | None = None, base_url: str | None = None, llm_model: str | None = None,
                 recover: bool = False, settings: Settings | None = None):
        """`llm`: auto (a configured server, else the local model if installed, else extractive),
        local, openai (needs `base_url`), or none. Unset LLM options come from QA_* env and the
        config file, as for the CLI. `recover`: start afresh an index that is damaged or from another
        qa version (what `qa index --rebuild` does). `settings`: settings already loaded (the CLI's),
        used as they are, index folder and embedding model included; the other arguments override them.
        Without it the index folder is ./index unless given."""
        llm_flags = {"llm": llm, "base_url": base_url, "llm_model": llm_model}
        if settings is None:
            # LLM options and the indexing settings (commit_every, lock_timeout, max_file_mb).
            settings = load_settings(**llm_flags)
            index = "index" if index is None else index
        else:
            settings = replace(settings, **{k: v for k, v in llm_flags.items() if v is not None})
            index, model = (settings.index if index is None else index), model or settings.model
        self._settings = settings
        self.store = open_store(index, create=create, recover=recover)
        self._model_name = model
        self._embedder: Embedder | None = None
        self._retriever: Retriever | None = None
        self._backend = None
        self._backend_chosen = False

    def close(self) -> None:
        """Close the index (the `with` block does it)."""
        self.store.close()

    def __enter__(self) -> QA:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- parts, loaded on first use --------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The embedding model of this index, loaded on first use."""
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

    def reader(self, store=None) -> QA:
        """Another QA on the same index with a connection of its own (`store`, default a new one),
        sharing this one's embedding model and LLM backend (loaded here if not yet): a connection
        reads one snapshot at a time, so a server gives each thread that searches its own reader,
        and still loads each model once."""
        import copy

        embedder, backend = self.embedder, self.backend
        other = copy.copy(self)  # the same settings; then its own connection and retriever
        other._embedder, other._backend, other._backend_chosen = embedder, backend, True
        other._retriever = None
        other.store = store or open_store(self.store.path)
        return other

    @property
    def retriever(self) -> Retriever:
        """The hybrid search over this index, made on first use."""
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
        shard: tuple[int, int] | None = None,
    ) -> IndexReport:
        """Index files, folders and http(s) URLs; unchanged files and pages are skipped, changed ones
        replaced. `outlet`, `date` (YYYY-MM-DD) and `byline` fill in what an article doesn't state.
        `shard` (i, n): only share i of n of the files, for n writers working at once."""
        from .indexer import index_paths

        if rebuild and self._embedder is None:
            self._embedder = Embedder(self._model_name)  # a rebuild may switch models
        settings = self._settings
        report = index_paths(self.store, self.embedder, list(paths), rebuild=rebuild, progress=progress,
                             on_wait=on_wait, defaults=ArticleDefaults(outlet, date, byline),
                             commit_every=settings.commit_every, lock_timeout=settings.lock_timeout,
                             max_file_bytes=int(settings.max_file_mb * 2**20), shard=shard)
        return self._summed_up(report)

    def add_articles(self, articles: list[Article]) -> IndexReport:
        """Index articles built in code; an article with an existing id replaces it."""
        from .indexer import add_articles

        report = add_articles(self.store, self.embedder, articles, lock_timeout=self._settings.lock_timeout)
        return self._summed_up(report)

    def _summed_up(self, report: IndexReport) -> IndexReport:
        report.index, report.total_articles = str(self.store.path), len(self.store.articles())
        return report

    def check(self) -> list[str]:
        """What is wrong with the index (empty when healthy): see `Store.check`."""
        return self.store.check()

    def health(self) -> IndexHealth:
        """`check()` with what the index holds: what `qa check` reports. Needs no embedding model."""
        problems = self.store.check()
        return IndexHealth(str(self.store.path), tuple(problems), len(self.store.articles()),
                           self.store.count_paragraphs(), self.store.generation)

    def remove(self, article_ids: list[str], *, on_wait: Callable[[str], None] | None = None) -> int:
        """Remove articles by id (see `articles()`); returns how many were removed. An id that is not
        indexed raises QAError and nothing is removed. `on_wait` hears when another writer holds the
        index (it waits up to the lock_timeout setting)."""
        known = {a.id for a in self.store.articles()}
        unknown = [a for a in article_ids if a not in known]
        if unknown:
            raise QAError(f"no article with id {', '.join(map(repr, unknown))}; see `qa list`")
        with self.store.writer(on_wait=on_wait, timeout=self._settings.lock_timeout) as writer:
            removed = writer.remove_articles(article_ids)
            writer.commit()
        return removed

    def articles(self) -> list[ArticleSummary]:
        """The indexed articles, oldest first: id, title, outlet, date, searchable paragraphs."""
        return self.store.articles()

    def find_articles(self, article: str) -> list[str]:
        """The ids of the articles `article` names (an id, or part of a title); none raises QAError.
        An SQL lookup: needs no embedding model."""
        ids = self.store.find_articles(article)
        if not ids:
            raise QAError(f"no indexed article matches {article!r}; see `qa list` for ids and titles")
        return ids

    def paragraphs(self, article_id: str) -> list[Passage]:
        """Every searchable paragraph of one article, in order."""
        return self.store.article_passages(article_id)

    def speakers(self, article: str | None = None, name: str | None = None, min_statements: int = 1, *,
                 ranked: bool = True) -> list[SpeakerRecord]:
        """Who is quoted where, the most quoted first: the speakers of one article (id or part of its title)
        or of all, only those `name` names ("Kennedy" finds "Charles Kennedy" and "Mr Kennedy") and only
        those quoted in at least `min_statements` paragraphs. `ranked=False`: every speaker in article
        order, as stored (`name` and `min_statements` then unused). Needs no embedding model."""
        from .speakers import list_speakers

        records = self.store.speakers(self.find_articles(article) if article else None)
        return list_speakers(records, name, min_statements) if ranked else records

    def who_said(self, speaker: str, article: str | None = None) -> WhoSaid:
        """Everything `speaker` (a name or descriptor) is quoted as saying, in every article or one:
        each matching speaker with the paragraphs quoting them and the statements in each (no match:
        none). Read from one snapshot of the index; needs no embedding model."""
        from .speakers import resolve_speakers

        with self.store.snapshot():
            article_ids = self.find_articles(article) if article else None
            matches = []
            for record in resolve_speakers(speaker, self.store.speakers(article_ids)):
                passages = self.store.passages(list(record.paragraph_ids))
                matches.append(Quotes(record, tuple(passages[pid] for pid in record.paragraph_ids if pid in passages),
                                      self.store.statements(record.paragraph_ids, [record.id])))
        return WhoSaid(speaker, tuple(matches))

    # --- questions -------------------------------------------------------------------------------

    def search(self, question: str, k: int = 5, *, article: str | None = None,
               since: str | None = None, until: str | None = None) -> SearchResult:
        """The k passages most relevant to `question` (hybrid: BM25 + embeddings, speaker-aware), within
        one article (`article`: id or part of its title) and dates if given. `since`/`until`: YYYY-MM-DD,
        or a month or year (its first day for `since`, its last for `until`); anything else raises DateError."""
        from .dates import date_range
        from .documents import strip_control

        question, (since, until) = strip_control(question), date_range(since, until)
        return self.retriever.search(question, k, article=article, since=since, until=until)

    def ask(self, question: str, k: int = 5, *, article: str | None = None, since: str | None = None,
            until: str | None = None, on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer from the index: with the LLM when one is available (tokens go to `on_token` as they
        come), else extractively. An LLM failure falls back to the extractive answer, with a warning."""
        from .answer.injection import not_about_the_articles, question_without_injection
        from .documents import strip_control

        question = strip_control(question)  # as searched: no escapes or lone surrogates reach the LLM
        # "..., and what is the system prompt?": what speaks to the model never changes what is answered
        asked = question_without_injection(question)
        if not asked:
            return not_about_the_articles(question)
        answer = self._ask(asked, k, article=article, since=since, until=until, on_token=on_token)
        return answer if asked == question else replace(answer, question=question)

    def _ask(self, question: str, k: int, *, article: str | None, since: str | None, until: str | None,
             on_token: Callable[[str], None] | None) -> Answer:
        from .answer.extractive import answer_extractively
        from .answer.metadata import answer_metadata, metadata_field, topic_of

        field = metadata_field(question)
        if field:  # who wrote it, when published, which outlet, the headline: from the article's metadata
            topic = topic_of(question)
            found = self.search(topic or question, k, article=article, since=since, until=until)
            if topic or len(self.store.articles()) == 1 or article:
                answer = answer_metadata(question, field, found, self.store.article_passages)
                if answer is not None:
                    return answer
        from .answer.answerability import LIST_PASSAGES, asks_for_list

        # a question asking for every instance reads more passages: one line per article that answers
        result = self.search(question, max(k, LIST_PASSAGES) if asks_for_list(question) else k, article=article,
                             since=since, until=until)
        backend = self.backend
        if backend is None:
            answer = answer_extractively(question, result, self.embedder)
            # "No LLM is configured" is news only to someone who did not choose `none` themselves.
            if (self._settings.llm or "auto").lower() != "auto":
                answer = replace(answer, notice=None)
            return _with_speaker(answer, result)
        from .answer.llm import answer_with_llm

        try:
            return _with_speaker(answer_with_llm(question, result, backend, self.embedder, on_token), result)
        except LLMError as exc:
            fallback = answer_extractively(question, result, self.embedder)
            return _with_speaker(replace(fallback, notice=None,
                                         warning=f"LLM failed: {exc}. Showing the extractive answer instead."), result)


def _with_speaker(answer: Answer, result: SearchResult) -> Answer:
    """A who-said answer carries the same `speaker` object as its search (`asked_about`, `topic`,
    `speakers`), so scripts read one shape from `qa search --json` and `qa ask --json`."""
    if result.speaker is None:
        return answer
    return replace(answer, extra={**answer.extra, "speaker": result.speaker.as_json()})
