"""The store contract: what the code above the index (indexing, retrieval, answers, `QA`, the servers)
may ask of a store, written once. The local store (`qa.index.store.Store`, SQLite + FAISS on disk) and the
Milvus one (`qa.index.milvus_store.MilvusStore`) both keep it, and so must any other; code above is typed
to `StoreReader` and `StoreWriting`, never to one of them, and opens a store by its address
(`qa.index.store_factory.open_store`).

Paragraphs are named by integer ids the store hands out; `allowed` (from `filtered_ids`) is None for
"no filter" or a set-like of the ids a search may return. Scores are "higher is better"."""

from __future__ import annotations

from pathlib import Path

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from ..ingest.attribution import Attribution
    from ..ingest.dates import DateMention, DateQuery
    from ..ingest.documents import Article
    from ..errors import ModelMismatchError
    from .records import ArticleSummary, Passage, SpeakerRecord, StatementRecord, WireCopy


class VectorView(Protocol):
    """The stored paragraph vectors as the retriever reads them (FAISS's names, which the local store
    hands out as they are)."""

    @property
    def ntotal(self) -> int:
        """How many searchable paragraphs have a vector."""

    @property
    def d(self) -> int:
        """The vectors' dimension."""

    def reconstruct(self, pid: int) -> np.ndarray:
        """The vector of paragraph `pid`; RuntimeError when it is not (or no longer) indexed."""


@runtime_checkable
class StoreWriting(Protocol):
    """Pending changes to a store, from `StoreReader.writer()`. Each store says when changes become
    visible (the local one: all at `commit`; Milvus: each article as it is written), but after `commit`
    returns everything written is visible and survives a crash. A writer changes its store through the
    store's own methods, never its private state."""

    def set_model(self, model: str, dimension: int) -> None:
        """Record the embedding model; an empty index takes any, a full one only its own
        (`ModelMismatchError` otherwise)."""

    def clear(self) -> None:
        """Remove every article (`qa index --rebuild`)."""

    def add_article(self, article: Article, vectors: np.ndarray, speakers: list[list[str]] | None = None,
                    attribution: Attribution | None = None, dates: list[list[DateMention]] | None = None) -> None:
        """Write an article, replacing one with the same id: `vectors` has one row per searchable
        paragraph in order; `attribution` who is quoted where; `dates` each paragraph's resolved dates.
        Paragraphs that copy another article's join its wire-copy cluster."""

    def remove_articles(self, article_ids: Iterable[str]) -> int:
        """Remove articles with their paragraphs and vectors; returns how many existed."""

    def remove_origin(self, origin: str) -> None:
        """Drop what a file or URL gave before it is indexed again."""

    def refresh_attribution(self, rules: str, attribute: Callable[[Article], Attribution]) -> int:
        """Re-derive speakers and statements from the stored text when the index's were made by other
        attribution rules; returns how many articles changed (0 when the rules are the same)."""

    def commit(self) -> None:
        """Make what was written durable and visible; a failure raises QAError and keeps what was saved."""

    def rollback(self) -> None:
        """Drop what was not committed."""


@runtime_checkable
class StoreReader(Protocol):
    """An open index: its model bookkeeping, every read the code above needs, and the way to change it.
    Reads inside `snapshot()` see one committed state."""

    path: object  # what messages name: a folder, or an address without its token

    # --- the index itself -----------------------------------------------------------------------

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc) -> None: ...

    def close(self) -> None:
        """Release the connection (the `with` block does it)."""

    def meta(self, key: str) -> str | None:
        """A recorded value: model, dimension, attribution_rules, format_version."""

    @property
    def folder(self) -> Path | None:
        """The index's own folder, where files kept beside the index live (its saved feeds); None for
        an index in Milvus, which has no folder of its own."""

    @property
    def model(self) -> str | None:
        """The embedding model the index was built with (None while empty)."""

    @property
    def dimension(self) -> int | None:
        """That model's dimension."""

    @property
    def generation(self) -> int:
        """How many commits made the current state (0 where a store has no generations)."""

    @property
    def vectors(self) -> VectorView:
        """The stored vectors of the current snapshot."""

    def model_mismatch(self, model: str) -> ModelMismatchError:
        """The error for a question or write embedded with another model."""

    def check_model(self, model: str, dimension: int) -> None:
        """Refuse a model other than the index's own (an empty index takes any)."""

    def snapshot(self) -> contextlib.AbstractContextManager[Self]:
        """Reads inside see one committed state, however many commits a writer makes meanwhile."""

    def check(self) -> list[str]:
        """What is wrong with the index, in words; empty when healthy."""

    def another_reader(self) -> StoreReader:
        """A reader for another thread: its own connection where the store needs one, sharing what
        is safe to share (loaded vectors). A server gives each searching thread one."""

    def writer(self, on_wait: Callable[[str], None] | None = None, timeout: float = 600
               ) -> contextlib.AbstractContextManager[StoreWriting]:
        """A writer for the duration of the `with` block (`on_wait` hears of a wait for another writer)."""

    # --- articles -------------------------------------------------------------------------------

    def count_paragraphs(self) -> int:
        """Every stored paragraph, searchable or not."""

    def origin_hashes(self) -> dict[str, str]:
        """The content hash each indexed file or URL had when indexed (for incremental indexing)."""

    def articles(self) -> list[ArticleSummary]:
        """Every article, oldest first."""

    def article_origin(self, article_id: str) -> str | None:
        """The file or URL an article came from."""

    def newest_date(self, up_to: str | None = None) -> str | None:
        """The newest publication date (on or before `up_to`), None when no article is dated."""

    def published_after(self, day: str) -> bool:
        """Whether any article is dated after `day` (ISO)."""

    def has_articles(self) -> bool:
        """Whether the index holds any article."""

    def articles_known_by(self, day: str) -> list[str]:
        """The ids of articles published on or before `day` (ISO), or undated."""

    def find_articles(self, key: str) -> list[str]:
        """Article ids matching an exact id, else a case-insensitive title or id substring."""

    def passages(self, ids: Iterable[int]) -> dict[int, Passage]:
        """The paragraphs of these ids (those still indexed), by id."""

    def article_passages(self, article_id: str) -> list[Passage]:
        """One article's paragraphs in order."""

    def paragraph_dates(self, ids: Sequence[int]) -> dict[int, list[DateMention]]:
        """The resolved dates each paragraph mentions, in text order."""

    def wire_copies(self, clusters: Iterable[int]) -> dict[int, list[WireCopy]]:
        """Every paragraph of each wire-copy cluster, oldest article first."""

    def speakers(self, article_ids: list[str] | None = None) -> list[SpeakerRecord]:
        """Speakers of the given articles (all when None), each with their paragraphs."""

    def statements(self, paragraph_ids: Iterable[int], speaker_ids: Iterable[int] | None = None
                   ) -> dict[int, list[StatementRecord]]:
        """Attributed statements in these paragraphs (optionally only these speakers'), in text order."""

    # --- search ---------------------------------------------------------------------------------

    def filtered_ids(self, article_ids: list[str] | None, since: str | None, until: str | None):
        """The searchable paragraphs passing the filters (set-like), or None when no filter is set.
        `since`/`until` are ISO days: published in the range, or mentioning a date within it."""

    def dated_ids(self, queries: list[DateQuery], allowed=None) -> list[int]:
        """Searchable paragraphs mentioning a date one of `queries` asks about, newest article first."""

    def dense_search(self, vector: np.ndarray, k: int, allowed=None) -> list[tuple[int, float]]:
        """The k paragraphs nearest `vector` (inner product), best first."""

    def lexical_search(self, match: str, k: int, allowed=None) -> list[tuple[int, float]]:
        """BM25 for an FTS5-style query of quoted terms or phrases joined by OR, best first; a query
        that cannot be parsed finds nothing."""

    def lexical_scores(self, match: str, ids: Sequence[int]) -> list[tuple[int, float]]:
        """The BM25 score of each of `ids` that `match` finds, in no particular order."""

    def term_document_frequency(self, terms: list[str]) -> dict[str, int]:
        """How many paragraphs contain each (stemmed) term: a rarity measure."""

    def terms_present(self, terms: list[str], ids: list[int]) -> dict[int, set[str]]:
        """Which of `terms` (stemmed; a phrase when several words) each of these paragraphs holds."""
