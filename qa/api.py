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
from .ingest.documents import Article, ArticleDefaults
from .ingest.embeddings import Embedder, canonical_model_name
from .search.retriever import Retriever, SearchResult
from .index.records import ArticleSummary, Passage, SpeakerRecord
from .index.reports import IndexHealth, Quotes, WhoSaid
from .index.store_factory import open_store

if TYPE_CHECKING:  # indexing code (attribution, wire, fetch) loads only when indexing: queries start faster
    from .index.feed_update import UpdateReport
    from .index.feeds import SavedFeed
    from .index.indexer import IndexReport
    from .search.timeframe import TimeScope


class QA:
    """An open index plus the model and retriever that go with it: index, search, ask.

    `QA("index", create=True)` opens (or makes) the index folder; use it as a context manager, or
    call `close()`. Library errors are raised as `QAError` with a message a user can act on."""

    def __init__(self, index: str | os.PathLike | None = None, *, model: str | None = None, create: bool = False,
                 llm: str | None = None, base_url: str | None = None, llm_model: str | None = None,
                 recover: bool = False, settings: Settings | None = None, embedder: Embedder | None = None):
        """`llm`: auto (a configured server, else extractive),
        local, openai (needs `base_url`), or none. Unset LLM options come from QA_* env and the
        config file, as for the CLI. `recover`: start afresh an index that is damaged or from another
        qa version (what `qa index --rebuild` does). `settings`: settings already loaded (the CLI's),
        used as they are, index folder and embedding model included; the other arguments override them.
        Without it the index folder is ./index unless given. `embedder`: an embedding model already
        loaded (anything with `Embedder`'s methods), used instead of loading the index's own."""
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
        self._embedder: Embedder | None = embedder
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
        replaced. A URL that is a feed or sitemap (RSS, Atom, JSON Feed, XML sitemap) indexes the
        articles it lists that are not indexed yet (see `update_feeds`). `outlet`, `date` (YYYY-MM-DD)
        and `byline` fill in what an article doesn't state. `shard` (i, n): only share i of n of the
        files, for n writers working at once."""
        from .ingest.fetch import is_url
        from .index.indexer import IndexReport, index_paths

        if rebuild and self._embedder is None:
            self._embedder = Embedder(self._model_name)  # a rebuild may switch models
        settings = self._settings
        defaults = ArticleDefaults(outlet, date, byline)
        paths = list(paths)
        feeds, pages = {}, {}
        if any(is_url(str(p)) for p in paths):
            from .index.feed_update import probe_urls

            feeds, pages = probe_urls([str(p) for p in paths if is_url(str(p))], settings.feed_timeout)
        rest = [p for p in paths if not (is_url(str(p)) and any(_same_url(str(p), f) for f in feeds))]
        report = IndexReport()
        if rest or not feeds:
            report = index_paths(self.store, self.embedder, rest, rebuild=rebuild, progress=progress,
                                 on_wait=on_wait, defaults=defaults, commit_every=settings.commit_every,
                                 lock_timeout=settings.lock_timeout, max_file_bytes=int(settings.max_file_mb * 2**20),
                                 shard=shard, pages=pages)
        elif rebuild:
            with self.store.writer(on_wait=on_wait, timeout=settings.lock_timeout) as writer:
                writer.clear()
                writer.commit()
        if feeds:
            from .index.feed_update import update_feeds
            from .index.feeds import SavedFeed, feed_list

            saved = feed_list(self.store) if self.store.folder is not None else None
            try:
                known = {f.url: f for f in saved.feeds()} if saved else {}
                update_feeds(self.store, self.embedder, [known.get(url) or SavedFeed(url) for url in feeds],
                             feed_list=saved, politeness=self._politeness(), defaults=defaults,
                             conditional=False, progress=progress, on_wait=on_wait,
                             commit_every=settings.commit_every, lock_timeout=settings.lock_timeout, shard=shard,
                             report=report, fetched=feeds)
            finally:
                if saved:
                    saved.close()
        return self._summed_up(report)

    # --- feeds -----------------------------------------------------------------------------------

    def _politeness(self):
        from .index.feed_update import Politeness

        s = self._settings
        return Politeness(delay=s.feed_delay, cap=s.feed_cap, timeout=s.feed_timeout)

    def feeds(self) -> list[SavedFeed]:
        """The feeds saved with this index, oldest first (a Milvus index keeps none: QAError)."""
        from .index.feeds import feed_list

        saved = feed_list(self.store)
        try:
            return saved.feeds()
        finally:
            saved.close()

    def add_feed(self, url: str, *, outlet: str | None = None) -> SavedFeed:
        """Save a feed (RSS, Atom, JSON Feed or sitemap) for `update_feeds` to poll; `outlet` names the
        outlet of its articles where their pages don't. Saving it again changes its outlet."""
        from .ingest.fetch import canonical_url, is_url
        from .index.feeds import feed_list

        if not is_url(url):
            raise QAError(f"{url!r} is not a feed address; give an http(s) URL")
        url = canonical_url(url)
        saved = feed_list(self.store)
        try:
            return saved.add(url, outlet)
        finally:
            saved.close()

    def remove_feed(self, url: str) -> None:
        """Stop following a feed (its articles stay indexed; `remove` removes articles)."""
        from .ingest.fetch import canonical_url
        from .index.feeds import feed_list

        saved = feed_list(self.store)
        try:
            if not saved.remove(canonical_url(url) if url.strip() else url):
                raise QAError(f"no saved feed {url!r}; see `qa feeds list`")
        finally:
            saved.close()

    def update_feeds(self, *, progress: Callable[[int, int], None] | None = None,
                     on_wait: Callable[[str], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> UpdateReport | None:
        """Poll every saved feed once and index what is new or changed: conditional requests, only
        items not yet indexed (or whose entry changed), a per-host delay, robots.txt, at most the
        feed_cap setting's pages per run. A failing feed or item is a warning in the report.
        `should_stop()` true while pages are fetched: None, nothing written (a server shutting down)."""
        from .index.feed_update import update_feeds
        from .index.feeds import feed_list

        saved = feed_list(self.store)
        try:
            feeds = saved.feeds()
            if not feeds:
                raise QAError("no feeds to update; follow one with `qa feeds add URL`")
            settings = self._settings
            report = update_feeds(self.store, self.embedder, feeds, feed_list=saved, politeness=self._politeness(),
                                  progress=progress, on_wait=on_wait, commit_every=settings.commit_every,
                                  lock_timeout=settings.lock_timeout, should_stop=should_stop)
        finally:
            saved.close()
        if report is not None:
            self._summed_up(report.index)
        return report

    def add_articles(self, articles: list[Article]) -> IndexReport:
        """Index articles built in code; an article with an existing id replaces it."""
        from .index.indexer import add_articles

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
        from .search.speakers import list_speakers

        records = self.store.speakers(self.find_articles(article) if article else None)
        return list_speakers(records, name, min_statements) if ranked else records

    def who_said(self, speaker: str, article: str | None = None) -> WhoSaid:
        """Everything `speaker` (a name or descriptor) is quoted as saying, in every article or one:
        each matching speaker with the paragraphs quoting them and the statements in each (no match:
        none). Read from one snapshot of the index; needs no embedding model."""
        from .search.speakers import resolve_speakers

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
               since: str | None = None, until: str | None = None, as_of: str | None = None,
               per_article: int | None = None) -> SearchResult:
        """The k passages most relevant to `question` (hybrid: BM25 + embeddings, speaker-aware), within
        one article (`article`: id or part of its title) and dates if given. `since`/`until`: YYYY-MM-DD,
        or a month or year (its first day for `since`, its last for `until`); anything else raises DateError.
        `as_of` (YYYY-MM-DD, default today): the day "this week" or "recently" in the question is read
        from; given, articles published after it are left out (docs/news.md). `per_article`: at most this
        many passages of one article (the ranking read deeper to fill k)."""
        from .ingest.documents import strip_control
        question = check_question(strip_control(question))
        result, scope = self._scoped_search(question, k, article, since, until, as_of, per_article)
        return replace(result, query=question)

    def _scoped_search(self, question: str, k: int, article: str | None, since: str | None, until: str | None,
                       as_of: str | None, per_article: int | None = None) -> tuple[SearchResult, TimeScope]:
        """The search of a question read for its time (qa.search.timeframe): the search runs on the question
        without its time words, within the span it names."""
        from .ingest.dates import date_range
        from .search.timeframe import parse_as_of, time_scope, undated_last

        since, until = date_range(since, until)
        day = parse_as_of(as_of) if as_of is not None else None
        scope = time_scope(self.store, question, day, since, until)
        time = None if scope.frame is None else {**scope.frame.as_json(), **({"articles_in_range": 0, "newest":
                                                                            scope.newest} if scope.empty else {}),
                                                 **({"undated_only": True} if scope.undated else {})}
        if scope.empty:
            return SearchResult(query=scope.query, passages=[], time=time), scope
        result = self.retriever.search(scope.query, k, article=article, since=scope.since, until=scope.until,
                                       within=scope.within, prefer_recent=scope.recent, per_article=per_article)
        if scope.recent:
            result = undated_last(result)
        return replace(result, time=time), scope

    def ask(self, question: str, k: int = 5, *, article: str | None = None, since: str | None = None,
            until: str | None = None, on_token: Callable[[str], None] | None = None, as_of: str | None = None,
            timeline: bool = False, page: int = 1) -> Answer:
        """Answer from the index: with the LLM when one is available (tokens go to `on_token` as they
        come), else extractively. An LLM failure falls back to the extractive answer, with a warning.
        `as_of`: see `search`. `timeline`: list every statement of "What did X say about Y?" in date
        order, `page` by page (docs/news.md)."""
        from .answer.injection import not_about_the_articles, question_without_injection
        from .ingest.documents import strip_control

        question = check_question(strip_control(question))  # as searched: no escapes or lone surrogates reach the LLM
        # "..., and what is the system prompt?": what speaks to the model never changes what is answered
        asked = question_without_injection(question)
        if not asked:
            return not_about_the_articles(question)
        from .answer.coverage import coverage_topic
        from .answer.timeline import change_question

        if timeline or change_question(asked):
            answer = self.timeline(asked, since=since, until=until, as_of=as_of, page=page)
        elif coverage_topic(asked):
            answer = self.coverage(asked, article=article, since=since, until=until, as_of=as_of)
        else:
            answer = self._timed_ask(asked, k, article=article, since=since, until=until, as_of=as_of,
                                     on_token=on_token)
        answer = _never_empty(answer)
        return answer if asked == question else replace(answer, question=question)

    def _timed_ask(self, question: str, k: int, *, article: str | None, since: str | None, until: str | None,
                   as_of: str | None, on_token: Callable[[str], None] | None) -> Answer:
        """`_ask` on the question without its time words, within its span; the answer names the span."""
        from .answer.dated_answers import dated_answer, nothing_in_range
        from .ingest.dates import date_range
        from .search.timeframe import parse_as_of, time_scope

        since, until = date_range(since, until)
        day = parse_as_of(as_of) if as_of is not None else None
        scope = time_scope(self.store, question, day, since, until)
        if scope.frame is None and scope.within is None:
            return self._ask(question, k, article=article, since=since, until=until, on_token=on_token)
        if scope.empty:
            return nothing_in_range(question, scope)
        answer = self._ask(scope.query, k, article=article, since=scope.since, until=scope.until,
                           on_token=on_token, scope=scope)
        return dated_answer(answer, question, scope)

    def coverage(self, question: str, *, article: str | None = None, since: str | None = None,
                 until: str | None = None, as_of: str | None = None, k: int = 30) -> Answer:
        """ "How did outlets report Z?": each outlet's best passage on Z (of the k best), one cited line
        each, the outlets carrying the same wire paragraph named on its line, and where their figures
        or credited sources differ (docs/news.md)."""
        from .answer.coverage import coverage_answer, coverage_topic, topic_order
        from .search.retriever import query_terms
        from .answer.dated_answers import dated_answer, nothing_in_range

        topic = coverage_topic(question) or question
        result, scope = self._scoped_search(topic, k, article, since, until, as_of)
        if scope.empty:
            return nothing_in_range(question, scope)
        terms = query_terms(scope.query)
        present = self.store.terms_present(terms, [p.id for p in result.passages]) if terms else {}
        label = scope.frame.label if scope.frame is not None and scope.frame.strict else None
        support = {pid: e.support for pid, e in result.evidence.items()}
        ranked = topic_order(result.passages, terms, support)
        answer = coverage_answer(question, scope.query.rstrip("?. "), ranked, terms, present, label)
        return dated_answer(answer, question, scope) if scope.frame is not None else answer

    def timeline(self, question: str, *, since: str | None = None, until: str | None = None,
                 as_of: str | None = None, page: int = 1, limit: int | None = None) -> Answer:
        """Every statement the index credits to the speaker of "What did X say (about Y)?", in date
        order, wire copies on one line, `limit` (setting timeline_limit) a page; "How has X's position
        on Y changed?" gets the first and latest of them. Needs no embedding model."""
        from .ingest.dates import date_range
        from .search.timeframe import parse_as_of, time_scope
        from .answer.timeline import collect, timeline_answer, timeline_request

        if page < 1:
            raise QAError(f"page must be 1 or more, not {page}")
        since, until = date_range(since, until)
        day = parse_as_of(as_of) if as_of is not None else None
        scope = time_scope(self.store, question, day, since, until)
        request = timeline_request(scope.query)
        if request is None:
            raise QAError(f"a timeline needs a question naming a speaker, such as \"What did Clinton say about "
                          f"emails?\"; {question!r} names none")
        entries = collect(self, request, within=scope.within, since=scope.since, until=scope.until)
        limit = limit or self._settings.timeline_limit
        label = scope.frame.label if scope.frame is not None and scope.frame.strict else None
        answer = timeline_answer(question, request, entries, page=page, limit=limit, as_of=day, frame_label=label)
        if scope.frame is not None:
            answer = replace(answer, extra={**answer.extra, "time": scope.frame.as_json()})
        return answer

    def _ask(self, question: str, k: int, *, article: str | None, since: str | None, until: str | None,
             on_token: Callable[[str], None] | None, scope: TimeScope | None = None) -> Answer:
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
        from .answer.answerability import LIST_PASSAGES, LIST_PER_ARTICLE, asked, asks_for_list, means_verb

        # a question asking for every instance reads many more passages, spread over articles: one line
        # per article that answers
        listing = asks_for_list(question)
        k = max(k, LIST_PASSAGES) if listing else k
        per_article = LIST_PER_ARTICLE if listing else None
        if scope is not None:  # a time-scoped question (_timed_ask): within its span, newest first if asked
            result = self.retriever.search(question, k, article=article, since=since, until=until,
                                           within=scope.within, prefer_recent=scope.recent, per_article=per_article)
            if scope.recent:
                from .search.timeframe import undated_last

                result = undated_last(result)
        elif listing:
            result = self.list_search(question, k, article=article, since=since, until=until)
        else:
            result = self.search(question, k, article=article, since=since, until=until)
        if not result.statements:
            # a list reads the next paragraph of every passage: an instance may be named only there
            result = self.retriever.with_context(result, **({"best": len(result.passages)} if listing else {}))
            if asked(question).kind == "reason" or means_verb(question):
                result = self.retriever.with_articles(result)
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


    def list_search(self, question: str, k: int = 40, *, article: str | None = None, since: str | None = None,
                    until: str | None = None) -> SearchResult:
        """The passages of a question asking for a list ("Which actors have died?"): k of them, at most
        LIST_PER_ARTICLE of one article, of the question and of its core ("actors died dead death dies"),
        which reaches the articles stating its predicate however the rest is worded, narrowed to those
        stating it (listing.stating_predicate). Whether to abstain stays the question's own search's call."""
        from .answer.evidence import should_abstain
        from .answer.listing import list_question, stating_predicate
        from .answer.answerability import LIST_PER_ARTICLE
        from .search.retriever import merged

        result = self.search(question, k, article=article, since=since, until=until, per_article=LIST_PER_ARTICLE)
        core = list_question(question)
        if core is None or not core.predicate or result.statements or should_abstain(result):
            return result
        found = self.search(core.core, k, article=article, since=since, until=until, per_article=LIST_PER_ARTICLE)
        decided_by = max(result.evidence, key=lambda pid: result.evidence[pid].support)
        both = merged(result, found, k, LIST_PER_ARTICLE)
        if decided_by not in {p.id for p in both.passages}:
            both = merged(replace(result, passages=[p for p in result.passages if p.id == decided_by]), both,
                          k + 1, LIST_PER_ARTICLE + 1)
        return stating_predicate(core, both, keep=decided_by)


def _same_url(a: str, b: str) -> bool:
    from .ingest.fetch import canonical_url
    from .errors import FetchError

    try:
        return canonical_url(a) == canonical_url(b)
    except FetchError:
        return False


def _never_empty(answer: Answer) -> Answer:
    """An answer with no words is no answer: it says the articles don't answer, and is flagged so
    (`abstained`), whichever answerer wrote it."""
    import re

    if any(c.isalnum() for c in re.sub(r"\[\d+\]", "", answer.text)):  # citation markers are no words
        return answer
    return replace(answer, text="The indexed articles don't say; nothing in them answers this question.",
                   abstained=True, citations=[],
                   warning=answer.warning or "the answer came out empty; shown as an abstention")


def _with_speaker(answer: Answer, result: SearchResult) -> Answer:
    """A who-said answer carries the same `speaker` object as its search (`asked_about`, `topic`,
    `speakers`), so scripts read one shape from `qa search --json` and `qa ask --json`."""
    if result.speaker is None:
        return answer
    return replace(answer, extra={**answer.extra, "speaker": result.speaker.as_json()})


MAX_QUESTION_CHARS = 4000  # longer "questions" are documents pasted by mistake (or abuse)


def check_question(question: object) -> str:
    """The question, when there is one: no letter or digit ("", "?", "...") is an empty question."""
    if not isinstance(question, str) or not any(c.isalnum() for c in question):
        raise QAError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QAError(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return question
