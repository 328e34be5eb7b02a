"""What `qa serve` and `qa mcp` share: one index, one embedding model and one LLM per process,
answering from many threads at once.

A SQLite connection reads one snapshot at a time, so each thread that searches borrows a reader of
its own (`QA.reader()`: its own connection, the shared models) from a small pool; readers follow
`qa index` commits like any long-lived reader. Searches and extractive answers run in parallel.
LLM answers go through a gate: one at a time (a local model has one context; a server behind one
key rarely does better), with a bounded queue behind it; a request that finds the queue full is
refused at once (`ServiceBusy`) rather than left waiting behind work it cannot see.

Nothing here knows HTTP or MCP: the front ends map `ServiceBusy` to 503, `ServiceTimeout` to 504,
and every other `QAError` to its one-line message.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..answer import Answer
from ..api import MAX_QUESTION_CHARS, check_question
from ..config import Settings
from ..ingest.dates import date_range
from ..errors import QAError
from ..search.retriever import SearchResult

HISTORY_TURNS = 6  # earlier user turns replayed for follow-up rewriting; `qa chat` looks back 3


class ServiceBusy(QAError):
    """Too many LLM answers are already queued; try again shortly."""


class ServiceTimeout(QAError):
    """The request took longer than the server's per-request limit."""


class ServiceCancelled(QAError):
    """The request's client went away (or the server is stopping): its work is given up."""


def _check_cancelled(cancelled: threading.Event | None) -> None:
    if cancelled is not None and cancelled.is_set():
        raise ServiceCancelled("the request was given up: its client went away or the server is stopping")


@contextlib.contextmanager
def _giving_up(deadline: float, cancelled: threading.Event | None) -> Iterator[None]:
    """Within it, the request's embedding work (most of an extractive answer, and of a search) stops
    at its next batch once the client has left or the time is up, as an LLM stops at its next token."""
    from ..ingest.embeddings import stop_point

    def check() -> None:
        _check_cancelled(cancelled)
        if time.monotonic() > deadline:
            raise ServiceTimeout("the request's time limit was reached")

    with stop_point(check):
        yield


@dataclass(frozen=True)
class Limits:
    readers: int = 4  # index connections: searches answered at once (more would only share 2 cores)
    queue: int = 4  # LLM answers waiting behind the one being written; one more is refused
    timeout: float = 120.0  # seconds per request, queueing included


@dataclass(frozen=True)
class ChatReply:
    """One chat turn: the question as asked, the standalone question searched, and the answer."""

    question: str
    standalone: str
    answer: Answer

    def as_json(self) -> dict:
        """The same JSON as `qa ask --json`, plus the question searched (as `qa chat --json` adds)."""
        payload = self.answer.as_json()
        payload["standalone_question"] = self.standalone
        return payload


class _Gate:
    """One LLM answer at a time, at most `waiting` more queued; the rest refused at once."""

    def __init__(self, waiting: int):
        self._slot = threading.Lock()
        self._count = threading.Lock()
        self._inside = 0  # the one answering plus those queued
        self._limit = waiting + 1

    @contextlib.contextmanager
    def enter(self, deadline: float, cancelled: threading.Event | None = None) -> Iterator[None]:
        with self._count:
            if self._inside >= self._limit:
                raise ServiceBusy(f"the server is busy: {self._limit - 1} LLM answer(s) are already waiting "
                                  f"behind the one being written; try again shortly")
            self._inside += 1
        try:
            # In short waits, so a queued request whose client left gives up its place at once.
            while not self._slot.acquire(timeout=min(max(deadline - time.monotonic(), 0.0), 0.1)):
                _check_cancelled(cancelled)
                if time.monotonic() >= deadline:
                    raise ServiceTimeout("timed out waiting for the LLM (other answers were being written)")
            try:
                yield
            finally:
                self._slot.release()
        finally:
            with self._count:
                self._inside -= 1


class _Replayed:
    """Stands in for the QA object while earlier turns of a client's conversation are replayed into a
    `Conversation`: "answers" each with the reply the client already has (no search, no LLM), so the
    conversation's memory (speaker, subject, history) is rebuilt by `qa chat`'s own rules."""

    backend = None  # rule-based rewriting of past turns: cheap, and no LLM call per old turn

    def __init__(self, replies: list[str]):
        self._replies = list(replies)

    def ask(self, question: str, *args, **kwargs) -> Answer:
        reply = self._replies.pop(0) if self._replies else ""
        return Answer(question=question, text=reply, abstained=False, backend="history", citations=[], passages=[])


def message_text(content) -> str:
    """An OpenAI message's content: a string, or a list of parts of which the text parts count."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content
                         if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str))
    raise QAError("a message's content must be a string or a list of text parts")


def strip_sources(reply: str) -> str:
    """A reply of ours without the sources listed after the answer (see `reply_text`)."""
    return reply.split(SOURCES_HEADING, 1)[0].strip()


SOURCES_HEADING = "\n\nSources:\n"


def reply_text(answer: Answer) -> str:
    """The answer as a chat reply: the verified text, then one line per cited source; nothing in it
    for a chat client to render or fetch (markup.neutral_text)."""
    from ..ingest.markup import neutral_text

    text = neutral_text(answer.text)
    if not answer.citations:
        return text
    lines = [f"[{c.n}] {neutral_text(c.passage.citation)}" for c in answer.citations]
    return text + SOURCES_HEADING + "\n".join(lines)


class Service:
    """The index and models of one server process, safe to call from many threads."""

    def __init__(self, settings: Settings, limits: Limits = Limits()):
        self.settings = settings
        self.limits = limits
        self._primary = None
        self._open_lock = threading.Lock()
        self._pool: queue.LifoQueue = queue.LifoQueue()
        self._made = 0
        self._made_lock = threading.Lock()
        self._gate = _Gate(limits.queue)

    # --- readers ------------------------------------------------------------------------------

    def open(self):
        """Open the index and load the models now (the embedding model, and the LLM if one is set up);
        raises the usual `QAError` when the index is missing or the LLM cannot be had. Idempotent."""
        with self._open_lock:
            if self._primary is None:
                from ..api import QA

                bot = QA(settings=self.settings)
                try:
                    bot.embedder  # noqa: B018 - load it now, not on the first request
                    bot.backend  # noqa: B018 - likewise; a local model starts warming up
                except BaseException:
                    bot.close()
                    raise
                self._primary = bot  # the models' owner; requests use readers (`reader`)
        return self._primary

    @property
    def backend(self):
        return self.open().backend

    @contextlib.contextmanager
    def reader(self, deadline: float) -> Iterator:
        """Borrow a QA object (its own connection to the index) for one request."""
        self.open()
        try:
            bot = self._pool.get_nowait()
        except queue.Empty:
            bot = None
            with self._made_lock:
                if self._made < self.limits.readers:
                    self._made += 1
                    make = True
                else:
                    make = False
            if make:
                try:
                    # Its own connection where the store needs one; the vectors loaded once for all.
                    bot = self._primary.reader(self._primary.store.another_reader())
                except BaseException:
                    with self._made_lock:
                        self._made -= 1
                    raise
            else:
                try:
                    bot = self._pool.get(timeout=max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    raise ServiceTimeout("timed out waiting for a free index reader (the server is busy)") from None
        try:
            yield bot
        finally:
            self._pool.put(bot)

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                break
        if self._primary is not None:
            self._primary.close()
        self._primary = None

    def deadline(self) -> float:
        return time.monotonic() + self.limits.timeout

    # --- questions ----------------------------------------------------------------------------

    def search(self, question: str, k: int | None = None, *, article: str | None = None, since: str | None = None,
               until: str | None = None, deadline: float | None = None,
               cancelled: threading.Event | None = None, **time) -> SearchResult:
        """Like `QA.search`; `time`: its as_of."""
        question = check_question(question)
        since, until = date_range(since, until)
        deadline = deadline or self.deadline()
        with self.reader(deadline) as bot, _giving_up(deadline, cancelled):
            _check_cancelled(cancelled)
            return bot.search(question, k or self.settings.k, article=article, since=since, until=until, **time)

    def ask(self, question: str, k: int | None = None, *, article: str | None = None, since: str | None = None,
            until: str | None = None, deadline: float | None = None, cancelled: threading.Event | None = None,
            **time) -> Answer:
        """Like `QA.ask`; an LLM answer waits its turn at the gate (or is refused when the queue is full).
        Setting `cancelled` (the client left) stops the LLM at its next token and frees the gate.
        `time`: its as_of, timeline and page."""
        question = check_question(question)
        since, until = date_range(since, until)  # checked before queueing for the LLM
        deadline = deadline or self.deadline()
        # The gate first: answers queued for the LLM hold no index reader, so searches go on meanwhile.
        with self._llm_turn(deadline, cancelled), self.reader(deadline) as bot, _giving_up(deadline, cancelled):
            _check_cancelled(cancelled)
            return bot.ask(question, k or self.settings.k, article=article, since=since, until=until,
                           on_token=_watch(deadline, cancelled), **time)

    def chat(self, messages: list[tuple[str, str]], k: int | None = None, deadline: float | None = None,
             cancelled: threading.Event | None = None, *,
             article: str | None = None, since: str | None = None, until: str | None = None,
             on_standalone: Callable[[str], None] | None = None, on_token: Callable[[str], None] | None = None
             ) -> ChatReply:
        """Answer the last user message of a conversation given as (role, text) pairs, rewriting it
        as `qa chat` would from the earlier turns (the replies the client holds stand in for ours).
        `article`, `since`, `until` filter the search as for `ask`; `on_standalone` hears the question
        searched before the answer is written, `on_token` each piece of an LLM's draft (the web page
        shows both while it waits)."""
        from .chat import Conversation

        deadline = deadline or self.deadline()
        turns: list[tuple[str, str]] = []  # (user text, the assistant's reply to it)
        for role, text in messages:
            if role == "user":
                turns.append((text, ""))
            elif role == "assistant" and turns:
                turns[-1] = (turns[-1][0], text)
        turns = [(q, r) for q, r in turns if q.strip()]
        if not turns:
            raise QAError("the conversation has no user message to answer")
        question = check_question(turns[-1][0].strip())
        earlier = turns[:-1][-HISTORY_TURNS:]
        conversation = Conversation(_Replayed([strip_sources(r) for _, r in earlier]), k=k or self.settings.k)
        for asked, _ in earlier:
            try:
                conversation.ask(asked[:MAX_QUESTION_CHARS].strip() or "?")
            except QAError:
                continue  # a past turn that cannot be rewritten just adds nothing to the memory
        with self._llm_turn(deadline, cancelled), self.reader(deadline) as bot, _giving_up(deadline, cancelled):
            _check_cancelled(cancelled)
            conversation.bot = bot
            standalone = conversation.standalone(question)
            if on_standalone is not None:
                on_standalone(standalone)
            watch = _watch(deadline, cancelled)

            def tokens(piece: str) -> None:
                watch(piece)
                if on_token is not None:
                    on_token(piece)

            answer = bot.ask(standalone, conversation.k, article=article, since=since, until=until, on_token=tokens)
        return ChatReply(question, standalone, answer)

    def who_said(self, speaker: str, article: str | None = None, deadline: float | None = None) -> dict:
        """Everything a person is quoted as saying: per matching speaker of each article, the
        paragraphs with their citation lines, text and the quoted statements in them."""
        speaker = check_question(speaker).strip()
        with self.reader(deadline or self.deadline()) as bot:
            found = bot.who_said(speaker, article)
        if not found.matches:
            raise QAError(f"no one called {speaker!r} is quoted in the indexed articles"
                          f"{' matching ' + repr(article) if article else ''}; the speakers tool lists "
                          f"who is (or `qa speakers`)")
        return found.as_json()

    def articles(self, deadline: float | None = None) -> dict:
        """The indexed articles, as `qa list --json` prints them."""
        from ..index.reports import ArticleListing

        with self.reader(deadline or self.deadline()) as bot:
            return ArticleListing(tuple(bot.articles())).as_json()

    def speakers(self, article: str | None = None, deadline: float | None = None) -> dict:
        """Who is quoted where (names and paragraph numbers), for choosing a who-said question."""
        from ..index.reports import SpeakerListing

        with self.reader(deadline or self.deadline()) as bot:
            return SpeakerListing(tuple(bot.speakers(article))).brief_json()

    @contextlib.contextmanager
    def _llm_turn(self, deadline: float, cancelled: threading.Event | None = None) -> Iterator[None]:
        """Through the gate when answers are written by an LLM; extractive answers need no turn."""
        if self.backend is None:
            yield
        else:
            with self._gate.enter(deadline, cancelled):
                yield


def _watch(deadline: float, cancelled: threading.Event | None = None):
    """An `on_token` that stops the LLM once the request's time is up or its client has left, so the
    next answer can start (the backend then reports the answer cut, and qa falls back to the
    extractive answer, which nobody waits for when the client left)."""

    def on_token(piece: str) -> None:
        _check_cancelled(cancelled)
        if time.monotonic() > deadline:
            raise ServiceTimeout("the request's time limit was reached while the LLM was writing")

    return on_token
