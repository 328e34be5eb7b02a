"""Ingest: files to articles to vectors to the store, incrementally and in crash-safe batches.

A file whose content hash is already indexed costs one read and no embedding; a changed file
replaces all the articles it gave before. Commits happen every `commit_every` paragraphs (setting
commit_every, default 2000) so a killed run keeps what it finished; an article is never half committed.

One article never stops the batch: a file or page that cannot be read, decoded or parsed is skipped;
an article whose attribution or dates fail is indexed without them, one whose wire fingerprint or
embedding fails is skipped; each with a warning naming it. A failure of the store, or of the embedding
model on every article, still stops the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..ingest import wire
from ..ingest.attribution import Attribution, attribute, rules_version
from ..ingest.dates import find_dates
from ..ingest.documents import Article, ArticleDefaults, clean_article
from ..ingest.loaders import MAX_FILE_BYTES, LoadedFile, SourceFile, file_hash, find_files, load_file, load_page, path_text
from ..ingest.embeddings import Embedder
from ..errors import LoadError, QAError
from ..ingest.fetch import Page, article_id_for, canonical_url, fetch, is_url
from .store_contract import StoreReader, StoreWriting


@dataclass
class IndexReport:
    """What one indexing run did; `to_json()` is the line `qa index --json` prints (docs/json.md)."""

    files: int = 0
    unchanged: int = 0
    articles: int = 0
    paragraphs: int = 0  # paragraphs embedded in this run
    skipped: int = 0
    reattributed: int = 0  # articles already indexed whose speakers were re-derived (new attribution rules)
    warnings: list[str] = field(default_factory=list)
    index: str = ""  # where, and how many articles it holds after this run (set by `QA.index`)
    total_articles: int = 0

    def as_json(self) -> dict:
        return {"index": self.index, "files": self.files, "unchanged": self.unchanged, "articles": self.articles,
                "paragraphs_embedded": self.paragraphs, "skipped": self.skipped,
                "reattributed": self.reattributed, "warnings": self.warnings, "total_articles": self.total_articles}

    def to_json(self) -> str:
        """The line `qa index --json` prints (ASCII: non-ASCII characters escaped, as it always was)."""
        import json

        return json.dumps(self.as_json())


class IndexInterrupted(KeyboardInterrupt):
    """Ctrl-C while indexing. What was written before it is committed (whole articles only); `report`
    says how much, `redo` how many paragraphs were being embedded and will be embedded again."""

    def __init__(self, report: IndexReport, redo: int):
        redone = f"; {redo} paragraph(s) being embedded were not, and will be on the next run" if redo else ""
        super().__init__(f"interrupted: the {report.articles} article(s) indexed before it are saved{redone}. "
                         "Run the same command again to index the rest.")
        self.report = report
        self.redo = redo


class _InterruptGuard:
    """SIGINT while indexing: raised at once (KeyboardInterrupt) except inside a `critical()` section
    (writing one file's articles, committing), where it waits for the section's end. So after Ctrl-C
    the writer holds only whole files, and what it holds can be committed rather than thrown away.
    Only the main thread can install a signal handler; elsewhere nothing changes."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending = False
        self.previous = None

    def __enter__(self) -> _InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous not in (signal.SIG_IGN, None):  # an ignored Ctrl-C (nohup, `&`) stays ignored
                self.previous = previous
                signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None

    def _handle(self, signum, frame) -> None:
        if self.depth:
            self.pending = True
        else:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if not self.depth and self.pending:
                self.pending = False
                raise KeyboardInterrupt


ProgressFn = Callable[[int, int], None]  # (files done, files total)
# Paragraphs embedded per call: enough to sort by length (less padding) and keep both cores busy; small
# enough that Ctrl-C waits only seconds for the batch in flight.
FLUSH_PARAGRAPHS = 512
# Paragraphs per embedding call within a batch: Ctrl-C waits for at most one such call (~0.4 s on 2 cores
# at load 23). 1,024 paragraphs embedded whole or in slices of 64 took the same 13 s there.
EMBED_SLICE = 32


def index_paths(
    store: StoreReader,
    embedder: Embedder,
    paths: list[str | os.PathLike],
    *,
    rebuild: bool = False,
    progress: ProgressFn | None = None,
    on_wait: Callable[[str], None] | None = None,
    commit_every: int = 2000,
    defaults: ArticleDefaults = ArticleDefaults(),
    lock_timeout: float = 600,
    max_file_bytes: int = MAX_FILE_BYTES,
    shard: tuple[int, int] | None = None,
    pages: dict[str, Page | LoadError] | None = None,
) -> IndexReport:
    """Index files, folders and URLs (http/https: fetched, then extracted like HTML files) into `store`;
    returns what was done and what was skipped. `defaults` fill in metadata the articles lack. Waits up
    to `lock_timeout` seconds for another writer; files over `max_file_bytes` are skipped. `shard`
    (i, n) keeps share i of n of the files and URLs (by a hash of each file's path within the folder
    given, or of the URL), for n writers at once. `pages`: URLs already fetched (or failed), not fetched again."""
    urls, bad_urls = _urls([str(p) for p in paths if is_url(str(p))])
    local = [p for p in paths if not is_url(str(p))]
    files, warnings = find_files(local) if local else ([], [])
    warnings = bad_urls + warnings
    if not files and not urls:
        raise QAError(
            "nothing to index: " + ("; ".join(warnings) if warnings else "no .txt, .md, .html or .jsonl files found")
        )
    if shard is not None:
        files = [f for f in files if in_shard(f.article_id + f.path.suffix, shard)]
        urls = [u for u in urls if in_shard(u, shard)]
    report = IndexReport(files=len(files) + len(urls), skipped=len(bad_urls), warnings=list(warnings))
    with _InterruptGuard() as guard, store.writer(on_wait=on_wait, timeout=lock_timeout) as writer:
        if rebuild:
            writer.clear()
        writer.set_model(embedder.name, embedder.dimension)
        report.reattributed = writer.refresh_attribution(rules_version(), attribute_each(report))
        known = {} if rebuild else store.origin_hashes()
        batch = _Batch(writer, embedder, report, commit_every, guard)
        taken: dict[str, str | None] = {}
        total = len(files) + len(urls)
        try:
            for done, source in enumerate([*files, *urls], start=1):
                if isinstance(source, str):
                    origin = source
                    loaded = _fetch_if_changed(source, known.get(origin), defaults, report, (pages or {}).get(source))
                else:
                    origin = path_text(source.path.resolve())
                    loaded = _load_if_changed(source, known.get(origin), defaults, report, max_file_bytes)
                if loaded is not None:
                    batch.add(_unique_ids(store, loaded.articles, taken, report.warnings), replacing=origin)
                if progress:
                    progress(done, total)
            batch.flush(final=True)
        except KeyboardInterrupt:
            redo = batch.interrupted()
            raise IndexInterrupted(report, redo) from None
    return report


@contextlib.contextmanager
def indexing(store: StoreReader, embedder: Embedder, report: IndexReport, *, on_wait: Callable[[str], None] | None = None,
             commit_every: int = 2000, lock_timeout: float = 600
             ) -> Iterator[Callable[[list[Article], str | None], None]]:
    """A writer session for sources that arrive one at a time (a feed's articles, fetched as they come):
    `add(articles, replacing)` queues one source's articles as `index_paths` does, embedding runs
    alongside, commits come every `commit_every` paragraphs and at the end; Ctrl-C keeps whole sources
    (IndexInterrupted)."""
    with _InterruptGuard() as guard, store.writer(on_wait=on_wait, timeout=lock_timeout) as writer:
        writer.set_model(embedder.name, embedder.dimension)
        report.reattributed = writer.refresh_attribution(rules_version(), attribute)
        batch = _Batch(writer, embedder, report, commit_every, guard)
        taken: dict[str, str | None] = {}

        def add(articles: list[Article], replacing: str | None) -> None:
            batch.add(_unique_ids(store, articles, taken, report.warnings), replacing=replacing)

        try:
            yield add
            batch.flush(final=True)
        except KeyboardInterrupt:
            redo = batch.interrupted()
            raise IndexInterrupted(report, redo) from None
        except BaseException:
            batch.interrupted()  # an error in the caller: stop embedding, keep the whole sources written
            raise


def _urls(given: list[str]) -> tuple[list[str], list[str]]:
    """The distinct URLs to fetch, and a warning for each that is not a valid URL (skipped, not fatal)."""
    urls, warnings = {}, []
    for url in given:
        try:
            urls[canonical_url(url)] = None
        except LoadError as exc:
            warnings.append(f"{exc}; skipped")
    return list(urls), warnings


def in_shard(key: str, shard: tuple[int, int]) -> bool:
    """Whether a file (its path within the folder given) or URL falls in share i of n: a stable hash, the
    same on every machine that has the same folder."""
    import zlib

    i, n = shard
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % n == i


def add_articles(store: StoreReader, embedder: Embedder, articles: list[Article], lock_timeout: float = 600
                 ) -> IndexReport:
    """Index articles built in code (the Python API); same ids replace earlier versions."""
    report = IndexReport(articles=0)
    with store.writer(timeout=lock_timeout) as writer:
        writer.set_model(embedder.name, embedder.dimension)
        report.reattributed = writer.refresh_attribution(rules_version(), attribute_each(report))
        batch = _Batch(writer, embedder, report, commit_every=10**9)
        batch.add(list(articles))
        batch.flush(final=True)
    return report


def _load_if_changed(source: SourceFile, known_hash: str | None, defaults: ArticleDefaults,
                     report: IndexReport, max_bytes: int) -> LoadedFile | None:
    if known_hash is not None:
        try:
            if file_hash(source.path.read_bytes()) + defaults.tag == known_hash:
                report.unchanged += 1
                return None
        except OSError:
            pass  # load_file reports the error properly
    try:
        loaded = load_file(source.path, source.article_id, max_bytes)
    except LoadError as exc:
        report.skipped += 1
        report.warnings.append(str(exc))
        return None
    except Exception as exc:  # noqa: BLE001 - a reader's bug on one file's text costs that file alone
        report.skipped += 1
        report.warnings.append(f"{path_text(source.path)}: could not be read ({_failure(exc)}); skipped")
        return None
    return _loaded(loaded, defaults, report)


def _fetch_if_changed(url: str, known_hash: str | None, defaults: ArticleDefaults,
                      report: IndexReport, fetched: Page | LoadError | None = None) -> LoadedFile | None:
    """A URL is fetched every time (unless `fetched` already); an unchanged page (same bytes) is not re-embedded."""
    try:
        if isinstance(fetched, LoadError):
            raise fetched
        page = fetched or fetch(url)
        if known_hash is not None and file_hash(page.body) + defaults.tag == known_hash:
            report.unchanged += 1
            return None
        loaded = load_page(page.body, url=url, article_id=article_id_for(url), content_type=page.content_type,
                           charset=page.charset)
    except LoadError as exc:
        report.skipped += 1
        report.warnings.append(str(exc))
        return None
    except Exception as exc:  # noqa: BLE001 - an unexpected download or extractor failure: this page alone
        report.skipped += 1
        report.warnings.append(f"{url}: could not be read ({_failure(exc)}); skipped")
        return None
    return _loaded(loaded, defaults, report)


def _failure(exc: BaseException) -> str:
    """An unexpected exception in a warning: its type and message, on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def article_name(article: Article) -> str:
    """How a warning names an article: its file or URL, and its id when the file holds several (JSONL)."""
    if not article.origin:
        return f"article {article.id!r}"
    return f"{article.origin}: article {article.id!r}" if article.origin.endswith(".jsonl") else article.origin


def attribute_each(report: IndexReport) -> Callable[[Article], Attribution]:
    """`attribute` for one article at a time: when it fails on an article's text, that article is indexed
    (or re-attributed, after a rules change) without speakers, and a warning names it."""

    def attribute_one(article: Article) -> Attribution:
        try:
            return attribute(article)
        except Exception as exc:  # noqa: BLE001 - this article alone
            report.warnings.append(f"{article_name(article)}: finding who is quoted failed ({_failure(exc)}); "
                                   f"indexed without speakers")
            return Attribution((), ())

    return attribute_one


def _loaded(loaded: LoadedFile, defaults: ArticleDefaults, report: IndexReport) -> LoadedFile:
    report.warnings.extend(loaded.warnings)
    if not loaded.articles:
        report.skipped += 1
    articles = [replace(defaults.fill(a), origin_hash=(a.origin_hash or "") + defaults.tag) for a in loaded.articles]
    return LoadedFile(articles, loaded.warnings)


def _unique_ids(store: StoreReader, articles: list[Article], taken: dict[str, str | None], warnings: list[str]
                ) -> list[Article]:
    """Give an article another id when its id belongs to an article from a different file (two folders
    both holding `001.txt`, or `a.md` and a JSONL record with "id": "a"), and say so in `warnings`: an
    article never silently replaces another. `taken` holds the ids given out earlier in this run."""
    out: list[Article] = []
    given: set[str] = set()  # ids given to this file's articles: a renamed one must not take a later one's
    later = {a.id for a in articles}
    for article in articles:
        candidate, n = article.id, 1
        later.discard(article.id)
        if article.origin:
            while True:
                if candidate in given or (candidate != article.id and candidate in later):
                    owner = ""  # another article of this same file
                elif candidate in taken:
                    owner = taken[candidate]
                else:
                    owner = store.article_origin(candidate)
                if owner is None or owner == article.origin:
                    break
                n += 1
                parent = Path(article.origin).parent.name
                from_file = not article.origin.endswith(".jsonl") and not is_url(article.origin)
                candidate = f"{parent}/{article.id}" if n == 2 and parent and from_file else f"{article.id}-{n}"
            if candidate != article.id:
                warnings.append(f"{article.origin}: the id {article.id!r} belongs to an article from another "
                                f"file; this one is indexed as {candidate!r}")
        taken[candidate] = article.origin
        given.add(candidate)
        out.append(replace(article, id=candidate) if candidate != article.id else article)
    return out


def _wait_for(future: Future):
    """The future's result, waited for in short steps: a signal the kernel delivers to another thread
    (the embedding one) does not wake a main thread blocked on a lock, but the Python handler runs as soon
    as the main thread runs again, so Ctrl-C is seen within a tenth of a second instead of after the batch."""
    while True:
        try:
            return future.result(timeout=0.1)
        except FutureTimeout:
            continue


class _Cancelled(Exception):
    """The embedding thread stopped because indexing was interrupted."""


class _Batch:
    """Collects articles, embeds them a few hundred paragraphs at a time, commits periodically.

    Embedding runs on a background thread (onnxruntime releases the GIL), one batch ahead: while
    batch N is embedded, batch N-1 is attributed, dated and written, and the next files are read."""

    def __init__(self, writer: StoreWriting, embedder: Embedder, report: IndexReport, commit_every: int,
                 guard: _InterruptGuard | None = None):
        self.guard = guard or _InterruptGuard()  # without one (the Python API's add_articles), never deferred
        self._cancel = threading.Event()
        self.queued = 0  # searchable paragraphs added in this run (written ones are counted in the report)
        self.writer = writer
        self.embedder = embedder
        self.report = report
        self.commit_every = commit_every
        self.pending: list[tuple[str | None, list[Article]]] = []  # (origin they replace, its articles)
        self.pending_paragraphs = 0
        self.uncommitted = 0
        self.embedding: tuple[list, Future] | None = None  # the batch on the background thread
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-index")

    def add(self, articles: list[Article], replacing: str | None = None) -> None:
        """Queue a file's articles; what `replacing` (an origin) held before is removed only when they
        are written, in the same commit, so a killed run never loses the old version."""
        cleaned = []
        for article in articles:
            try:
                cleaned.append(clean_article(article))
            except Exception as exc:  # noqa: BLE001 - an article built in code with fields that are not text
                self.report.warnings.append(f"{article_name(article)}: could not be read ({_failure(exc)}); skipped")
        if articles and not cleaned:
            return  # nothing of the file is usable: its earlier version stays
        self.pending.append((replacing, cleaned))
        count = sum(p.searchable for a in cleaned for p in a.paragraphs)
        self.pending_paragraphs += count
        self.queued += count
        if self.pending_paragraphs >= min(FLUSH_PARAGRAPHS, self.commit_every):
            self.flush()

    def flush(self, final: bool = False) -> None:
        """Start embedding the pending articles, and write the batch embedded before them; with
        `final`, also wait for this one, write it and commit."""
        try:
            previous, self.embedding = self.embedding, None
            if self.pending:
                texts = [p.text for _, articles in self.pending for a in articles for p in a.paragraphs
                         if p.searchable]
                self.embedding = (self.pending, self._worker.submit(self._embed, texts))
                self.pending, self.pending_paragraphs = [], 0
            if previous:
                self._write(*previous)
            if final:
                if self.embedding:
                    current, self.embedding = self.embedding, None
                    self._write(*current)
                with self.guard.critical():
                    self.writer.commit()
                self.uncommitted = 0
        except BaseException:
            # Ctrl-C or an error: the embedding thread stops after its current slice (or after loading
            # the model, which it may be doing), and nobody waits for it.
            self._cancel.set()
            self._worker.shutdown(wait=False, cancel_futures=True)
            raise
        if final:
            self._worker.shutdown(wait=True, cancel_futures=True)

    def _embed(self, texts: list[str]):
        """On the background thread: embed in short runs (texts sorted by length, so each run pads little),
        looking between runs whether indexing was interrupted, so Ctrl-C never waits for a whole batch."""
        import numpy as np

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = max(EMBED_SLICE, 2 * getattr(self.embedder, "batch_size", 8))
        out = np.zeros((len(texts), self.embedder.dimension), dtype="float32")
        for start in range(0, len(order), step):
            if self._cancel.is_set():
                raise _Cancelled
            rows = order[start : start + step]
            out[rows] = self.embedder.encode_documents([texts[i] for i in rows])
        return out

    def _read(self, article: Article) -> tuple | None:
        """The article's speakers and dated mentions, and its wire fingerprints computed once (cached for the
        writer): a stage that fails on this article's text is left out for this article alone, with a warning."""
        attribution = attribute_each(self.report)(article)
        try:
            dates = [find_dates(p.text, article.date) if p.searchable else [] for p in article.paragraphs]
        except Exception as exc:  # noqa: BLE001 - this article alone
            dates = None
            self.report.warnings.append(f"{article_name(article)}: reading its dates failed "
                                        f"({_failure(exc)}); indexed without dated mentions")
        try:
            for paragraph in article.paragraphs:
                if paragraph.searchable:
                    wire.fingerprint(paragraph.text)  # the writer's own call, made here where one article can fail
        except Exception as exc:  # noqa: BLE001 - this article alone
            self.report.warnings.append(f"{article_name(article)}: finding wire copies failed ({_failure(exc)}); "
                                        f"skipped")
            return None
        return attribution, dates

    def _embed_each(self, files: list[tuple[str | None, list[Article]]], error: Exception) -> list:
        """After a batch failed to embed: each article on its own, so one article's text that the model
        cannot take costs that article alone (skipped, with a warning). Rows of a failed article are None.
        When no article embeds, the model is what fails, and its error stops the run."""
        rows: list = []
        failed = 0
        articles = [a for _, batch in files for a in batch]
        for article in articles:
            texts = [p.text for p in article.paragraphs if p.searchable]
            try:
                rows.extend(self.embedder.encode_documents(texts) if texts else [])
            except Exception as exc:  # noqa: BLE001 - this article alone
                failed += 1
                rows.extend([None] * len(texts))
                self.report.warnings.append(f"{article_name(article)}: embedding failed ({_failure(exc)}); skipped")
        if articles and failed == len(articles):
            raise error
        return rows

    def interrupted(self) -> int:
        """After Ctrl-C: stop embedding, commit the whole files written so far (within a second or so),
        and return how many paragraphs were queued or being embedded, to be embedded again next run."""
        self._cancel.set()
        redo = self.queued - self.report.paragraphs
        self.pending, self.embedding = [], None
        self._worker.shutdown(wait=False, cancel_futures=True)  # it stops after its current slice
        with self.guard.critical():
            self.writer.commit()
        return redo

    def _write(self, files: list[tuple[str | None, list[Article]]], embedded: Future) -> None:
        try:
            vectors = _wait_for(embedded)  # an embedding error surfaces here, in the indexing thread
        except (_Cancelled, QAError):
            raise
        except Exception as exc:  # noqa: BLE001 - the batch failed: find the article(s) it failed on
            vectors = self._embed_each(files, exc)
        start = 0
        for replacing, articles in files:
            prepared: list[tuple] = []
            for article in articles:
                count = sum(p.searchable for p in article.paragraphs)
                rows, start = vectors[start : start + count], start + count
                if rows is None or any(row is None for row in rows):
                    continue  # its embedding failed (warned in _embed_each)
                read = self._read(article)
                if read is not None:
                    prepared.append((article, rows, *read))
            if not prepared:
                continue  # every article of the file failed: its earlier version stays
            with self.guard.critical():  # a file's old version out and its articles in, or none of it
                if replacing is not None:
                    self.writer.remove_origin(replacing)
                for article, rows, attribution, dates in prepared:
                    self.writer.add_article(article, rows, attribution=attribution, dates=dates)
                self.report.articles += len(prepared)
                self.report.paragraphs += sum(len(rows) for _, rows, _, _ in prepared)
                self.uncommitted += sum(len(rows) for _, rows, _, _ in prepared)
        # A writer whose commit only records what is already written (Milvus: each article is durable
        # as it is added) commits every batch, so a killed run does not embed those files again.
        if self.uncommitted >= self.commit_every or getattr(self.writer, "COMMITS_EACH_BATCH", False):
            with self.guard.critical():
                self.writer.commit()
            self.uncommitted = 0
