"""The index in Milvus: the same reading and writing interface as `qa.store.Store`, kept in Milvus
collections, so any number of qa processes on any machines share one index with nothing on local disk.

Addresses: `milvus:PATH.db` is Milvus Lite (embedded in this process, no server); `http(s)://HOST:PORT`
is a Milvus server or cluster, its token read from QA_MILVUS_TOKEN only. Either may end in `#NAME`
to keep several indexes in one Milvus (collections `qa_NAME_*`).

Collections (named `qa_*`):
  articles    one row per visible article: metadata, its speakers, and the write token that makes
              its paragraphs visible
  paragraphs  one row per paragraph: text, porter-stemmed terms (Milvus fills a BM25 sparse vector
              from them), the dense embedding, speakers and statements, resolved dates
  dates       one row per resolved date mention (for `--since/--until` and date questions)
  bands       MinHash LSH bands of searchable paragraphs (wire copies, qa.wire)
  clusters    the wire-copy cluster of each paragraph that has one
  origins     the content hash of each indexed file, written once all its articles are
  meta        model, dimension, attribution rules

Visibility: every write of an article carries a fresh token. Its paragraphs, dates and bands are
written first; the article row, naming the token, is written last (one row: atomic). Readers keep
only rows whose token is their article row's, so a writer killed at any moment leaves no
half-visible article, and running it again replaces the leftovers. Writers take no lock: several
(`qa index --shard i/n`) write at once, each its own articles.

Lexical search: text is tokenised and porter-stemmed exactly as the local store's FTS5 does
(SQLite's own tokenizer, in memory), and Milvus's BM25 runs over those terms, so both stores rank
alike and the same words match.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import wire
from .config import milvus_index_type, milvus_token
from .dates import DateMention, DateQuery
from .documents import SEARCHABLE, Article, Paragraph
from .errors import IndexMissingError, ModelMismatchError, QAError
from .store import ArticleSummary, Passage, SpeakerRecord, StatementRecord, WireCopy

if TYPE_CHECKING:
    from .attribution import Attribution

PREFIX = "qa_"
TOKEN_ENV = "QA_MILVUS_TOKEN"
FORMAT_VERSION = "1"
# Milvus caps a search's limit (topk) at 16384.
MAX_LIMIT = 16384
# Rows per query/insert request: well under gRPC's 64 MB message limit even with 384-dim vectors.
BATCH = 1000
# Paragraphs counted per term for its document frequency (see MilvusStore.term_document_frequency).
DF_LIMIT = 2000
# Vectors of recent dense hits kept for the evidence's cosines (what the local store reads from FAISS).
VECTOR_CACHE = 20_000
_DUMMY = [0.0, 0.0]  # Milvus requires a vector field in every collection; scalar tables carry this one
_QUOTED_RE = re.compile(r'"([^"]*)"')


def is_milvus_address(address: str | os.PathLike) -> bool:
    text = str(address)
    return text.startswith(("milvus:", "http://", "https://"))


def _quote(value: str) -> str:
    """A string literal for a Milvus filter expression (JSON escaping is what Milvus accepts)."""
    return json.dumps(str(value), ensure_ascii=False)


def _in(field: str, values: Iterable) -> str:
    values = list(values)
    if values and isinstance(values[0], str):
        return f"{field} in [{','.join(_quote(v) for v in values)}]"
    return f"{field} in [{','.join(str(int(v)) for v in values)}]"


def _and(*clauses: str | None) -> str:
    kept = [c for c in clauses if c]
    return " and ".join(f"({c})" for c in kept)


def _chunks(items: Sequence, size: int = BATCH) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the same terms as FTS5's porter unicode61 tokenizer ----------------------------------------


class _Terms:
    """Tokenises and stems text with SQLite's own FTS5 tokenizer (in memory), so BM25 in Milvus sees
    the very terms the local store's FTS5 index holds."""

    def __init__(self):
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')")
        self.db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self.lock = threading.Lock()

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        out: list[list[str]] = [[] for _ in texts]
        with self.lock:
            self.db.execute("BEGIN")
            try:
                self.db.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", ((i + 1, t) for i, t in enumerate(texts)))
                for doc, term in self.db.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
                    out[doc - 1].append(term)
            finally:
                self.db.execute("ROLLBACK")
        return out


_terms: _Terms | None = None


def stem(texts: Sequence[str]) -> list[list[str]]:
    global _terms
    if _terms is None:
        _terms = _Terms()
    return _terms.tokens(texts)


def _has_phrase(tokens: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1))


# --- filters --------------------------------------------------------------------------------------


class MilvusFilter:
    """The paragraphs passing `--article/--since/--until`, as a Milvus filter expression: searches pass
    it to Milvus; the retriever's set operations (`in`, `&`) ask Milvus about the ids at hand only."""

    def __init__(self, store: MilvusStore, expression: str):
        self.store = store
        self.expression = expression
        self._known: dict[int, bool] = {}
        self._all: set[int] | None = None

    def _check(self, ids: Iterable[int]) -> None:
        unknown = [int(i) for i in ids if int(i) not in self._known]
        for chunk in _chunks(unknown):
            hits = {r["id"] for r in self.store._query("paragraphs", _and(_in("id", chunk), self.expression), ["id"])}
            for pid in chunk:
                self._known[pid] = pid in hits

    def __contains__(self, pid: object) -> bool:
        if not isinstance(pid, (int, np.integer)):
            return False
        self._check([int(pid)])
        return self._known[int(pid)]

    def __rand__(self, other: Iterable[int]) -> set[int]:
        other = list(other)
        self._check(other)
        return {pid for pid in other if self._known[int(pid)]}

    __and__ = __rand__

    def _ids(self) -> set[int]:
        if self._all is None:
            self._all = {r["id"] for r in self.store._query("paragraphs", self.expression, ["id"])}
        return self._all

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids())

    def __len__(self) -> int:
        return len(self._ids())

    def __bool__(self) -> bool:
        return bool(self._ids())


class _Vectors:
    """What the retriever reads of the local store's FAISS index: the count and one vector by id."""

    def __init__(self, store: MilvusStore):
        self.store = store

    @property
    def ntotal(self) -> int:
        return self.store.count_searchable()

    @property
    def d(self) -> int:
        return self.store.dimension or 0

    def reconstruct(self, pid: int) -> np.ndarray:
        cached = self.store._vector_cache.get(int(pid))
        if cached is not None:
            return cached
        rows = self.store._query("paragraphs", f"id == {int(pid)}", ["dense", "article_id", "token"])
        rows = self.store._visible(rows)
        if not rows:
            raise RuntimeError(f"paragraph {pid} is not in the index")
        return np.asarray(rows[0]["dense"], dtype="float32")


# --- the store ------------------------------------------------------------------------------------


class MilvusStore:
    """An open index in Milvus (see the module docstring). Same methods as `qa.store.Store`."""

    def __init__(self, address: str, client: Any):
        self.path = address  # what messages name: the address, never the token
        self.address = address
        self.client = client
        name = address.rpartition("#")[2] if "#" in address else ""
        if name and not re.fullmatch(r"[A-Za-z0-9_]{1,64}", name):
            raise QAError(f"an index name after '#' takes letters, digits and _ only, not {name!r}")
        self.prefix = f"{PREFIX}{name}_" if name else PREFIX
        self._loaded: set[str] = set()  # collections known to exist and be loaded
        self._vector_cache: dict[int, np.ndarray] = {}  # paragraph id -> vector, of recent dense hits

    @classmethod
    def open(cls, address: str | os.PathLike, *, create: bool = False, recover: bool = False) -> MilvusStore:
        address = str(address)
        client = connect(address)
        store = cls(address, client)
        if not store._has("meta"):
            if not create:
                raise IndexMissingError(f"no index at {address}; build one first with `qa index --index {address} "
                                        f"PATH...`")
            store._create_scalar("meta", [("key", "varchar", True), ("value", "varchar", False)])
            store._set_meta({"format_version": FORMAT_VERSION})
        for name, fields in _SCALAR_TABLES.items():
            if not store._has(name):
                store._create_scalar(name, fields)
        store._load_all()
        version = store.meta("format_version")
        if version != FORMAT_VERSION and not recover:
            raise QAError(f"the Milvus index at {address} has format {version}, this qa reads {FORMAT_VERSION}; "
                          f"rebuild it with `qa index --rebuild --index {address} PATH...`")
        return store

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()

    def __enter__(self) -> MilvusStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- Milvus plumbing ------------------------------------------------------------------------

    def _name(self, table: str) -> str:
        return self.prefix + table

    def _has(self, table: str) -> bool:
        if table in self._loaded:
            return True
        return self._call(self.client.has_collection, self._name(table))

    def _load_all(self) -> None:
        """Load the collections into memory (a reopened Milvus Lite file starts with them released)."""
        for table in ["meta", "articles", "paragraphs", *_SCALAR_TABLES]:
            if self._call(self.client.has_collection, self._name(table)):
                self._call(self.client.load_collection, self._name(table))
                self._loaded.add(table)

    def _call(self, fn: Callable, *args, **kwargs):
        from pymilvus.exceptions import MilvusException

        try:
            return fn(*args, **kwargs)
        except MilvusException as exc:
            raise QAError(f"Milvus at {self.address} refused a request ({exc}); check that it is running and "
                          f"reachable, and the token in {TOKEN_ENV}") from exc

    def _create_scalar(self, table: str, fields: list[tuple[str, str, bool]]) -> None:
        """A table of scalar fields (plus the dummy vector Milvus requires)."""
        from pymilvus import DataType

        auto = not any(primary for _, _, primary in fields)
        schema = self.client.create_schema(auto_id=auto)
        if auto:
            schema.add_field("pk", DataType.INT64, is_primary=True)
        for name, kind, primary in fields:
            if kind == "varchar":
                schema.add_field(name, DataType.VARCHAR, max_length=65535, is_primary=primary)
            elif kind == "int":
                schema.add_field(name, DataType.INT64, is_primary=primary)
            elif kind == "json":
                schema.add_field(name, DataType.JSON)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=len(_DUMMY))
        index = self.client.prepare_index_params()
        index.add_index(field_name="v", index_type="FLAT", metric_type="L2")
        self._create(table, schema, index)

    def _create(self, table: str, schema, index) -> None:
        """Create a collection; another writer creating it at the same moment is no error."""
        try:
            self._call(self.client.create_collection, self._name(table), schema=schema, index_params=index,
                       consistency_level="Strong")
        except QAError:
            for _ in range(20):
                time.sleep(0.25)
                if self._call(self.client.has_collection, self._name(table)):
                    with contextlib.suppress(QAError):
                        self._call(self.client.load_collection, self._name(table))
                        break
            else:
                raise
        self._loaded.add(table)

    def _create_paragraphs(self, dimension: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        schema = self.client.create_schema(auto_id=True)
        schema.add_field("id", DataType.INT64, is_primary=True)
        for name in ("article_id", "token", "kind", "date"):
            schema.add_field(name, DataType.VARCHAR, max_length=65535)
        schema.add_field("number", DataType.INT64)
        schema.add_field("part", DataType.INT64)
        schema.add_field("searchable", DataType.BOOL)
        schema.add_field("text", DataType.VARCHAR, max_length=65535)
        schema.add_field("terms", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("info", DataType.JSON)  # speakers, statements, dates
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                     output_field_names=["sparse"]))
        index = self.client.prepare_index_params()
        # Exact inner product, as the local store's FAISS index below its size threshold; a Milvus
        # server may be given HNSW or IVF instead (docs/milvus.md).
        index.add_index(field_name="dense", index_type=milvus_index_type(), metric_type="IP")
        index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self._create("paragraphs", schema, index)

    def _paragraph_dimension(self) -> int | None:
        for field in self._call(self.client.describe_collection, self._name("paragraphs"))["fields"]:
            if field["name"] == "dense":
                return int(field["params"]["dim"])
        return None

    def _query(self, table: str, expression: str, fields: list[str]) -> list[dict]:
        """Every row matching `expression`: one request, or Milvus's query iterator when there are more
        than a query may return (offset + limit is capped at 16384 on a server)."""
        if not self._has(table):
            return []
        rows = self._call(self.client.query, self._name(table), filter=expression or "", output_fields=fields,
                          limit=MAX_LIMIT)
        if len(rows) < MAX_LIMIT:
            return [dict(r) for r in rows]
        iterator = self._call(self.client.query_iterator, self._name(table), batch_size=BATCH,
                              filter=expression or "", output_fields=fields)
        out: list[dict] = []
        try:
            while batch := self._call(iterator.next):
                out.extend(dict(r) for r in batch)
        finally:
            iterator.close()
        return out

    def _count(self, table: str, expression: str) -> int:
        if not self._has(table):
            return 0
        rows = self._call(self.client.query, self._name(table), filter=expression, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def _insert(self, table: str, rows: list[dict]) -> list[int]:
        ids: list[int] = []
        for chunk in _chunks(rows):
            result = self._call(self.client.insert, self._name(table), list(chunk))
            ids.extend(int(i) for i in result["ids"])
        return ids

    def _upsert(self, table: str, rows: list[dict]) -> None:
        for chunk in _chunks(rows):
            self._call(self.client.upsert, self._name(table), list(chunk))

    def _delete(self, table: str, expression: str) -> None:
        if self._has(table):
            self._call(self.client.delete, self._name(table), filter=expression)

    def _tokens(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The visible write token of each article."""
        ids = list(dict.fromkeys(article_ids))
        out = {}
        for chunk in _chunks(ids):
            for r in self._query("articles", _in("id", chunk), ["id", "token"]):
                out[r["id"]] = r["token"]
        return out

    def _visible(self, rows: list[dict]) -> list[dict]:
        """The rows written by their article's visible write (the rest are an unfinished or replaced write)."""
        tokens = self._tokens(r["article_id"] for r in rows)
        return [r for r in rows if tokens.get(r["article_id"]) == r["token"]]

    # --- metadata ---------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        rows = self._query("meta", f"key == {_quote(key)}", ["value"])
        return rows[0]["value"] if rows else None

    def _set_meta(self, values: dict[str, str]) -> None:
        self._upsert("meta", [{"key": k, "value": v, "v": _DUMMY} for k, v in values.items()])

    @property
    def model(self) -> str | None:
        return self.meta("model")

    @property
    def dimension(self) -> int | None:
        value = self.meta("dimension")
        return int(value) if value else None

    @property
    def generation(self) -> int:
        return 0  # Milvus has no generations: each article becomes visible on its own

    def check_model(self, model: str, dimension: int) -> None:
        if self.model and (self.model != model or self.dimension != dimension):
            raise ModelMismatchError(
                f"the index at {self.path} was built with embedding model {self.model!r} "
                f"({self.dimension} dims), not {model!r}; drop --model to use the index's own model, "
                f"or rebuild with `qa index --rebuild --model {model} PATH...`")

    @property
    def vectors(self) -> _Vectors:
        return _Vectors(self)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[MilvusStore]:
        """Milvus reads each request at its own (strong) consistency; an article is never half visible."""
        yield self

    def check(self) -> list[str]:
        """What is wrong: a visible article missing paragraphs (or vectors), or a paragraph missing its
        BM25 terms or vector. Rows of unfinished writes are invisible and not a problem."""
        problems: list[str] = []
        try:
            articles = self._query("articles", "", ["id", "token", "info"])
            rows = self._visible(self._query("paragraphs", "", ["id", "article_id", "token", "searchable", "terms"]))
            by_article: dict[str, list[dict]] = {}
            for r in rows:
                by_article.setdefault(r["article_id"], []).append(r)
            for a in articles:
                have = by_article.get(a["id"], [])
                want = a["info"].get("paragraphs", 0)
                if len(have) != want:
                    problems.append(f"article {a['id']!r} is visible with {len(have)} of its {want} paragraphs")
            bare = [r["id"] for r in rows if r["searchable"] and not r["terms"].strip()]
            if bare:
                problems.append(f"{len(bare)} searchable paragraph(s) have no terms for BM25 (ids {bare[:5]})")
            searchable = [r["id"] for r in rows if r["searchable"]]
            with_vectors = set()
            for chunk in _chunks(searchable):
                for r in self._query("paragraphs", _in("id", chunk), ["id", "dense"]):
                    if r["dense"] is not None and np.any(np.asarray(r["dense"])):
                        with_vectors.add(r["id"])
            missing = [pid for pid in searchable if pid not in with_vectors]
            if missing:
                problems.append(f"{len(missing)} searchable paragraph(s) have no vector (ids {missing[:5]})")
        except QAError as exc:
            problems.append(str(exc))
        return problems

    def leftovers(self) -> int:
        """Rows of unfinished or replaced writes (invisible; the next write of the article removes them)."""
        rows = self._query("paragraphs", "", ["id", "article_id", "token"])
        return len(rows) - len(self._visible(rows))

    # --- reading -----------------------------------------------------------------------------------

    def count_paragraphs(self) -> int:
        return sum(a.paragraphs for a in self.articles())

    def count_searchable(self) -> int:
        """Searchable paragraphs (with any of an unfinished write: a count for IDF, not an inventory)."""
        return self._count("paragraphs", "searchable == true")

    def origin_hashes(self) -> dict[str, str]:
        return {r["origin"]: r["hash"] for r in self._query("origins", "", ["origin", "hash"])}

    def article_origin(self, article_id: str) -> str | None:
        rows = self._query("articles", f"id == {_quote(article_id)}", ["origin"])
        return (rows[0]["origin"] or None) if rows else None

    def _article_rows(self, expression: str = "") -> list[dict]:
        return self._query("articles", expression, ["id", "token", "origin", "info"])

    def articles(self) -> list[ArticleSummary]:
        out = []
        for r in self._article_rows():
            i = r["info"]
            out.append(ArticleSummary(r["id"], i["title"], i.get("source"), i.get("date"), r["origin"] or None,
                                      i.get("paragraphs", 0), i.get("byline"), i.get("url")))
        return sorted(out, key=lambda a: (a.date is not None, a.date or "", a.id))

    def find_articles(self, key: str) -> list[str]:
        """Article ids matching an exact id, else a case-insensitive title or id substring."""
        rows = self._query("articles", "", ["id", "info"])
        if any(r["id"] == key for r in rows):
            return [key]
        low = key.lower()
        return sorted(r["id"] for r in rows if low in r["id"].lower() or low in r["info"]["title"].lower())

    _PASSAGE_FIELDS = ["id", "article_id", "token", "number", "part", "kind", "text", "info"]

    def _passages(self, rows: list[dict]) -> list[Passage]:
        rows = self._visible(rows)
        infos = {r["id"]: r["info"] for r in self._article_rows(_in("id", {r["article_id"] for r in rows}))} \
            if rows else {}
        clusters = self._clusters([r["id"] for r in rows])
        out = []
        for r in rows:
            a, info = infos.get(r["article_id"]), r["info"] or {}
            if a is None:
                continue
            out.append(Passage(r["id"], r["article_id"], a["title"], a.get("source"), a.get("date"), r["number"],
                               r["part"], r["kind"], r["text"], a.get("url"), tuple(info.get("speakers", ())),
                               byline=a.get("byline"), cluster=clusters.get(r["id"]),
                               dates=tuple(DateMention(*d) for d in info.get("dates", ()))))
        return out

    def _clusters(self, ids: list[int]) -> dict[int, int]:
        out = {}
        for chunk in _chunks(ids):
            for r in self._query("clusters", _in("paragraph_id", chunk), ["paragraph_id", "cluster"]):
                out[r["paragraph_id"]] = r["cluster"]
        return out

    def passages(self, ids: Iterable[int]) -> dict[int, Passage]:
        ids = list(dict.fromkeys(int(i) for i in ids))
        found: dict[int, Passage] = {}
        for chunk in _chunks(ids):
            for p in self._passages(self._query("paragraphs", _in("id", chunk), self._PASSAGE_FIELDS)):
                found[p.id] = p
        return found

    def article_passages(self, article_id: str) -> list[Passage]:
        rows = self._query("paragraphs", f"article_id == {_quote(article_id)}", self._PASSAGE_FIELDS)
        return sorted(self._passages(rows), key=lambda p: (p.paragraph, p.part))

    def paragraph_dates(self, ids: Sequence[int]) -> dict[int, list[DateMention]]:
        return {pid: list(p.dates) for pid, p in self.passages(ids).items() if p.dates}

    def dated_ids(self, queries: list[DateQuery], allowed=None) -> list[int]:
        """Searchable paragraphs mentioning a date that one of `queries` asks about, newest article first."""
        if not queries:
            return []
        fields = ["paragraph_id", "article_id", "token", "article_date"]
        expressions = [_date_expression(q) for q in queries]
        rows: list[dict] = []
        if all(e is not None for e in expressions):
            rows = self._query("dates", " or ".join(f"({e})" for e in expressions), fields)
        else:  # a question form this translation does not know: the SQL condition, over the date rows
            rows = _sql_dates(self._query("dates", "", [*fields, "first", "last", "granularity"]), queries)
        rows = self._visible(rows)
        rows.sort(key=lambda r: (r["article_date"], -r["paragraph_id"]), reverse=True)
        ids = list(dict.fromkeys(r["paragraph_id"] for r in rows))
        if allowed is not None:
            keep = set(ids) & allowed if isinstance(allowed, MilvusFilter) else set(ids) & set(allowed)
            ids = [pid for pid in ids if pid in keep]
        return ids

    def wire_copies(self, clusters: Iterable[int]) -> dict[int, list[WireCopy]]:
        """Every indexed paragraph of each wire-copy cluster, oldest article first."""
        clusters = list({int(c) for c in clusters})
        if not clusters:
            return {}
        members = self._query("clusters", _in("cluster", clusters), ["paragraph_id", "cluster"])
        found = self.passages(r["paragraph_id"] for r in members)
        out: dict[int, list[WireCopy]] = {}
        for r in sorted(members, key=lambda r: ((found[r["paragraph_id"]].date or "") if r["paragraph_id"] in found
                                                else "", r["paragraph_id"])):
            p = found.get(r["paragraph_id"])
            if p is not None:
                out.setdefault(r["cluster"], []).append(
                    WireCopy(p.id, p.article_id, p.title, p.source, p.date, p.paragraph, p.part, p.url))
        return out

    def filtered_ids(self, article_ids: list[str] | None, since: str | None, until: str | None
                     ) -> MilvusFilter | None:
        """The paragraphs passing the filters, as a Milvus expression; None when no filter is set."""
        if article_ids is None and since is None and until is None:
            return None
        clauses = []
        if article_ids is not None:
            clauses.append(_in("article_id", article_ids) if article_ids else "id < 0")
        if since or until:
            # Published in the range, or mentioning a date (resolved, qa.dates) that falls within it.
            published = _and(f"date >= {_quote(since)}" if since else None,
                             f"date <= {_quote(until)}" if until else None, 'date != ""')
            event = _and(f"first >= {_quote(since)}" if since else None, f"last <= {_quote(until)}" if until else None)
            dated = sorted({r["paragraph_id"] for r in self._query("dates", event, ["paragraph_id"])})
            clauses.append(f"({published}) or ({_in('id', dated)})" if dated else published)
        return MilvusFilter(self, _and(*clauses))

    def speakers(self, article_ids: list[str] | None = None) -> list[SpeakerRecord]:
        """Speakers of the given articles (all when None), each with their paragraphs in article order."""
        rows = self._article_rows(_in("id", article_ids) if article_ids else "") if article_ids != [] else []
        out = []
        for r in sorted(rows, key=lambda r: r["id"]):
            for s in r["info"].get("speakers", []):
                if s["paragraph_ids"]:
                    out.append(SpeakerRecord(s["id"], r["id"], s["name"], tuple(s["aliases"]),
                                             tuple(s["descriptors"]), s["kind"], tuple(s["paragraph_ids"]),
                                             tuple(s["paragraphs"])))
        return out

    def statements(self, paragraph_ids: Iterable[int], speaker_ids: Iterable[int] | None = None
                   ) -> dict[int, list[StatementRecord]]:
        """Attributed statements in the given paragraphs (optionally only these speakers'), in text order."""
        ids = [int(i) for i in paragraph_ids]
        wanted = None if speaker_ids is None else {int(i) for i in speaker_ids}
        out: dict[int, list[StatementRecord]] = {}
        for chunk in _chunks(ids):
            rows = self._visible(self._query("paragraphs", _in("id", chunk), ["id", "article_id", "token", "text",
                                                                              "info"]))
            for r in sorted(rows, key=lambda r: r["id"]):
                for sid, name, cue, start, end, reference in sorted(r["info"].get("statements", []),
                                                                     key=lambda s: s[3]):
                    if wanted is None or sid in wanted:
                        out.setdefault(r["id"], []).append(
                            StatementRecord(r["id"], name, cue, r["text"][start:end], reference))
        return out

    def _filter(self, allowed) -> str | None:
        """`allowed` (None, a MilvusFilter or a set of ids) as an expression; "" for "nothing"."""
        if allowed is None:
            return None
        if isinstance(allowed, MilvusFilter):
            return allowed.expression
        return _in("id", sorted(allowed)) if allowed else ""

    def lexical_search(self, match: str, k: int, allowed=None) -> list[tuple[int, float]]:
        """BM25 (Milvus's, over FTS5's stemmed terms) for an FTS5-style query of quoted terms or
        phrases joined by OR; returns (paragraph id, score, higher is better)."""
        items = [t for t in _QUOTED_RE.findall(match or "") if t.strip()]
        if not items or not self._has("paragraphs"):
            return []
        phrases = [p for p in stem(items) if p]
        words = list(dict.fromkeys(t for p in phrases for t in p))
        where = self._filter(allowed)
        if not words or where == "":
            return []
        limit = min(MAX_LIMIT, k if allowed is None else max(k * 20, 1000))
        exact = any(len(p) > 1 for p in phrases)  # phrases must match as phrases, as in FTS5
        hits = self._call(self.client.search, self._name("paragraphs"), data=[" ".join(words)], anns_field="sparse",
                          limit=limit if not exact else MAX_LIMIT, filter=_and("searchable == true", where),
                          search_params={"metric_type": "BM25"},
                          output_fields=["article_id", "token"] + (["terms"] if exact else []))[0]
        rows = [{"id": h["id"], "score": abs(float(h["distance"])), **h["entity"]} for h in hits]
        if exact:
            rows = [r for r in rows if any(_has_phrase(r["terms"].split(), p) for p in phrases)]
        rows = self._visible(rows)
        return [(int(r["id"]), r["score"]) for r in rows[:k]]

    def dense_search(self, vector: np.ndarray, k: int, allowed=None) -> list[tuple[int, float]]:
        where = self._filter(allowed)
        if where == "" or not self._has("paragraphs"):
            return []
        query = np.asarray(vector, dtype="float32").reshape(-1).tolist()
        hits = self._call(self.client.search, self._name("paragraphs"), data=[query], anns_field="dense",
                          limit=min(k, MAX_LIMIT), filter=_and("searchable == true", where),
                          search_params={"metric_type": "IP"}, output_fields=["article_id", "token", "dense"])[0]
        rows = self._visible([{"id": h["id"], "score": float(h["distance"]), **h["entity"]} for h in hits])
        if len(self._vector_cache) > VECTOR_CACHE:
            self._vector_cache.clear()
        for r in rows:
            self._vector_cache[int(r["id"])] = np.asarray(r["dense"], dtype="float32")
        return [(int(r["id"]), r["score"]) for r in rows]

    def term_document_frequency(self, terms: list[str]) -> dict[str, int]:
        """How many paragraphs contain each term (porter-stemmed): a rarity measure. Counted by one BM25
        search (a query per term) that stops at DF_LIMIT: a term in more paragraphs counts as that many,
        which only matters for words too common to weigh in either the search or the evidence."""
        total = dict.fromkeys(terms, 0)
        wanted = [(term, tokens) for term, tokens in zip(terms, stem(terms)) if tokens]
        if not wanted or not self._has("paragraphs"):
            return total
        phrases = any(len(tokens) > 1 for _, tokens in wanted)
        hits = self._call(self.client.search, self._name("paragraphs"), data=[" ".join(t) for _, t in wanted],
                          anns_field="sparse", limit=DF_LIMIT, filter="searchable == true",
                          search_params={"metric_type": "BM25"}, output_fields=["terms"] if phrases else [])
        for (term, tokens), found in zip(wanted, hits):
            if len(tokens) == 1:
                total[term] = len(found)
            else:  # a phrase ("u.s" is "u s"): the paragraphs holding its words in a row
                total[term] = sum(_has_phrase(h["entity"]["terms"].split(), tokens) for h in found)
        return total

    def terms_present(self, terms: list[str], ids: list[int]) -> dict[int, set[str]]:
        """Which of `terms` (as FTS5 matches them: stemmed, a phrase when several words) each paragraph has."""
        present: dict[int, set[str]] = {}
        if not terms or not ids:
            return present
        stems = dict(zip(terms, stem(terms)))
        for chunk in _chunks(list(ids)):
            for r in self._query("paragraphs", _in("id", chunk), ["id", "terms"]):
                tokens = r["terms"].split()
                for term, phrase in stems.items():
                    if phrase and _has_phrase(tokens, phrase):
                        present.setdefault(r["id"], set()).add(term)
        return present

    # --- writing ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, on_wait: Callable[[str], None] | None = None, timeout: float = 600
               ) -> Iterator[MilvusWriter]:
        """No lock: writers of different articles work at once (each article is visible whole or not at all)."""
        yield MilvusWriter(self)


_SCALAR_TABLES: dict[str, list[tuple[str, str, bool]]] = {
    "articles": [("id", "varchar", True), ("token", "varchar", False), ("origin", "varchar", False),
                 ("info", "json", False)],
    "dates": [("paragraph_id", "int", False), ("article_id", "varchar", False), ("token", "varchar", False),
              ("article_date", "varchar", False), ("first", "varchar", False), ("last", "varchar", False),
              ("granularity", "varchar", False), ("month_day", "varchar", False),
              ("month_first", "varchar", False), ("month_last", "varchar", False), ("weekday", "varchar", False)],
    "bands": [("band", "int", False), ("paragraph_id", "int", False), ("article_id", "varchar", False),
              ("token", "varchar", False)],
    "clusters": [("paragraph_id", "int", True), ("cluster", "int", False)],
    "origins": [("origin", "varchar", True), ("hash", "varchar", False)],
}


def _date_expression(query: DateQuery) -> str | None:
    """A date question's SQL condition (qa.dates) as a Milvus expression on the dates table."""
    sql, args = " ".join(query.sql.split()), [str(a) for a in query.args]
    if sql == "d.first <= ? AND d.last >= ?":
        return f"first <= {_quote(args[0])} and last >= {_quote(args[1])}"
    if sql == "d.granularity = 'day' AND strftime('%m-%d', d.first) = ?":
        return f'granularity == "day" and month_day == {_quote(args[0])}'
    if sql == ("d.granularity IN ('day', 'week', 'month') AND "
               "(strftime('%m', d.first) = ? OR strftime('%m', d.last) = ?)"):
        return (f'granularity in ["day", "week", "month"] and (month_first == {_quote(args[0])} '
                f'or month_last == {_quote(args[1])})')
    if sql == "d.granularity = 'day' AND strftime('%w', d.first) = ?":
        return f'granularity == "day" and weekday == {_quote(args[0])}'
    return None


def _sql_dates(rows: list[dict], queries: list[DateQuery]) -> list[dict]:
    """Date rows matching the queries' SQL conditions, evaluated by SQLite in memory."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE d (i INTEGER, first TEXT, last TEXT, granularity TEXT)")
    db.executemany("INSERT INTO d VALUES (?,?,?,?)", [(i, r["first"], r["last"], r["granularity"])
                                                      for i, r in enumerate(rows)])
    condition = " OR ".join(f"({q.sql})" for q in queries)
    keep = {i for (i,) in db.execute(f"SELECT i FROM d WHERE {condition}", [a for q in queries for a in q.args])}
    return [r for i, r in enumerate(rows) if i in keep]


def _date_row(pid: int, article: Article, token: str, d: DateMention) -> dict:
    from datetime import date as Date

    first = Date.fromisoformat(d.first)
    return {"paragraph_id": pid, "article_id": article.id, "token": token, "article_date": article.date or "",
            "first": d.first, "last": d.last, "granularity": d.granularity, "month_day": d.first[5:10],
            "month_first": d.first[5:7], "month_last": d.last[5:7],
            "weekday": str((first.weekday() + 1) % 7), "v": _DUMMY}  # SQLite's %w: Sunday = 0


class MilvusWriter:
    """Writes articles into Milvus; each is visible as soon as `add_article` returns. `commit` records
    the files whose articles are all written (so a killed run re-reads the rest)."""

    def __init__(self, store: MilvusStore):
        self.store = store
        self._origins: dict[str, str] = {}
        self._rules: str | None = None  # attribution rules to record at commit
        self._current_rules: str | None = None  # the rules this writer's articles are attributed by
        self._replaced: set[str] = set()  # origins being indexed again (see remove_origin)
        self._written: set[str] = set()  # article ids written by this writer

    def set_model(self, model: str, dimension: int) -> None:
        """Record the embedding model; an empty index takes any, a full one only its own. Writers
        starting together may all get here first: none drops what another has begun to fill."""
        store = self.store
        empty = not store._count("articles", "") and not store._count("paragraphs", "")
        if not store._has("paragraphs"):
            store._create_paragraphs(dimension)
        elif (known := store._paragraph_dimension()) is not None and known != dimension:
            # (a collection another writer is creating this moment may not show its fields yet: no drop then)
            if not empty:
                raise ModelMismatchError(
                    f"the index at {store.path} was built with embedding model {store.model!r} "
                    f"({store.dimension} dims), not {model!r}; drop --model to use the index's own model, "
                    f"or rebuild with `qa index --rebuild --model {model} PATH...`")
            store._call(store.client.drop_collection, store._name("paragraphs"))
            store._loaded.discard("paragraphs")
            store._create_paragraphs(dimension)
        if store.model is None or (empty and store.model != model):
            store._set_meta({"model": model, "dimension": str(dimension)})
        else:
            store.check_model(model, dimension)

    def clear(self) -> None:
        store = self.store
        for table in ["articles", "paragraphs", *_SCALAR_TABLES]:
            if store._has(table):
                store._call(store.client.drop_collection, store._name(table))
                store._loaded.discard(table)
        for name, fields in _SCALAR_TABLES.items():
            store._create_scalar(name, fields)
        store._set_meta({"format_version": FORMAT_VERSION})
        store._delete("meta", 'key in ["model", "dimension", "attribution_rules"]')

    def remove_articles(self, article_ids: Iterable[str]) -> int:
        """Remove articles: the article row first (they vanish at once), then their other rows."""
        ids = list(article_ids)
        rows = []
        for chunk in _chunks(ids):
            rows += self.store._query("articles", _in("id", chunk), ["id", "origin"])
        for chunk in _chunks([r["id"] for r in rows]):
            self.store._delete("articles", _in("id", chunk))
        origins = {r["origin"] for r in rows if r["origin"]}
        if origins:
            self.store._delete("origins", _in("origin", sorted(origins)))
        for r in rows:
            self._drop_rows(r["id"], keep=None)
        return len(rows)

    def _drop_rows(self, article_id: str, keep: str | None) -> None:
        """Delete the article's paragraphs, dates, bands and clusters except those of write `keep`."""
        where = _and(f"article_id == {_quote(article_id)}", f"token != {_quote(keep)}" if keep else None)
        old = [r["id"] for r in self.store._query("paragraphs", where, ["id"])]
        for chunk in _chunks(old):
            self.store._delete("clusters", _in("paragraph_id", chunk))
        for table in ("dates", "bands", "paragraphs"):
            self.store._delete(table, where)

    def remove_origin(self, origin: str) -> None:
        """Drop what a file gave before it is indexed again: at `commit`, and only the articles its new
        version no longer has (the rest are replaced one by one), so a killed run loses no article."""
        self._replaced.add(origin)

    def _remove_replaced(self) -> None:
        for origin in sorted(self._replaced):
            rows = self.store._query("articles", f"origin == {_quote(origin)}", ["id"])
            self.remove_articles([r["id"] for r in rows if r["id"] not in self._written])
        self._replaced.clear()

    def add_article(self, article: Article, vectors: np.ndarray, speakers: list[list[str]] | None = None,
                    attribution: Attribution | None = None, dates: list[list[DateMention]] | None = None) -> None:
        """Write an article (replacing one with the same id): its rows under a new token, then the
        article row naming that token (the moment it becomes visible), then the old version's rows go."""
        store = self.store
        token = uuid.uuid4().hex
        if attribution is not None and speakers is None:
            speakers = attribution.per_paragraph(len(article.paragraphs))
        searchable = [p for p in article.paragraphs if p.kind in SEARCHABLE]
        if len(searchable) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors for {len(searchable)} searchable paragraphs")
        speaker_ids = {s.name: uuid.uuid4().int >> 66 for s in (attribution.speakers if attribution else ())}
        statements: dict[int, list] = {}
        for st in (attribution.statements if attribution else ()):
            statements.setdefault(st.position, []).append(
                [speaker_ids[st.speaker], st.speaker, st.cue, st.start, st.end, st.reference])
        terms = stem([p.text for p in article.paragraphs])
        zero = [0.0] * (store.dimension or len(vectors[0]) if len(vectors) else store.dimension or 384)
        rows, vector_at = [], 0
        for position, p in enumerate(article.paragraphs):
            is_searchable = p.kind in SEARCHABLE
            if is_searchable:
                dense = np.asarray(vectors[vector_at], dtype="float32").tolist()
                vector_at += 1
            else:
                dense = zero
            mentions = dates[position] if dates and is_searchable else []
            rows.append({"article_id": article.id, "token": token, "kind": p.kind, "date": article.date or "",
                         "number": p.number, "part": p.part, "searchable": is_searchable, "text": p.text,
                         "terms": " ".join(terms[position]) or "_", "dense": dense,
                         "info": {"speakers": speakers[position] if speakers else [],
                                  "statements": statements.get(position, []),
                                  "dates": [[d.text, d.start, d.end, d.first, d.last, d.granularity]
                                            for d in mentions]}})
        row_ids = store._insert("paragraphs", rows)
        date_rows = [_date_row(row_ids[i], article, token, d) for i, ds in enumerate(dates or []) if
                     article.paragraphs[i].kind in SEARCHABLE for d in ds]
        if date_rows:
            store._insert("dates", date_rows)
        self._add_wire_bands(article.id, token, [(row_ids[i], p.text) for i, p in enumerate(article.paragraphs)
                                                 if p.kind in SEARCHABLE])
        numbers = {row_ids[i]: p.number for i, p in enumerate(article.paragraphs)}
        people = []
        for s in (attribution.speakers if attribution else ()):
            pids = sorted({row_ids[st.position] for st in attribution.statements if st.speaker == s.name},
                          key=lambda pid: (numbers[pid], pid))
            people.append({"id": speaker_ids[s.name], "name": s.name, "aliases": list(s.aliases),
                           "descriptors": list(s.descriptors), "kind": s.kind, "paragraph_ids": pids,
                           "paragraphs": sorted({numbers[pid] for pid in pids})})
        info = {"title": article.title, "source": article.source, "date": article.date, "byline": article.byline,
                "url": article.url, "origin_hash": article.origin_hash, "metadata": article.metadata,
                "paragraphs": len(article.paragraphs), "searchable": len(searchable), "speakers": people,
                "rules": self._current_rules}
        store._upsert("articles", [{"id": article.id, "token": token, "origin": article.origin or "", "info": info,
                                    "v": _DUMMY}])
        self._drop_rows(article.id, keep=token)
        self._written.add(article.id)
        if article.origin and article.origin_hash is not None:
            self._origins[article.origin] = article.origin_hash

    def _add_wire_bands(self, article_id: str, token: str, paragraphs: list[tuple[int, str]]) -> None:
        """Store the LSH bands of an article's searchable paragraphs and, when one copies another
        article's paragraph, put both in one cluster (labelled by the earlier paragraph's cluster,
        else its id). One lookup per article, not per paragraph: Milvus requests cost a round trip."""
        store = self.store
        prints = [(pid, fp) for pid, fp in ((pid, wire.fingerprint(text)) for pid, text in paragraphs) if fp.bands]
        if not prints:
            return
        bands = sorted({b for _, fp in prints for b in fp.bands})
        holders: dict[int, set[int]] = {}
        for chunk in _chunks(bands):
            where = _and(_in("band", chunk), f"article_id != {_quote(article_id)}")
            for r in store._visible(store._query("bands", where, ["band", "paragraph_id", "article_id", "token"])):
                holders.setdefault(r["band"], set()).add(r["paragraph_id"])
        chosen: dict[int, list[int]] = {}
        clusters = store._clusters(sorted({p for ps in holders.values() for p in ps}))
        for pid, fp in prints:
            by_cluster: dict[int, int] = {}
            for other in sorted({p for b in fp.bands for p in holders.get(b, ())}):
                by_cluster.setdefault(clusters.get(other, -other), other)  # one candidate per cluster
            chosen[pid] = list(by_cluster.values())[: wire.MAX_CANDIDATES]  # and a bounded number
        wanted = sorted({p for ps in chosen.values() for p in ps})
        texts = {}
        for chunk in _chunks(wanted):
            texts.update((r["id"], r["text"]) for r in store._query("paragraphs", _in("id", chunk), ["id", "text"]))
        prints_of = {p: wire.fingerprint(t) for p, t in texts.items()}
        changed: dict[int, int] = {}
        for pid, fp in prints:
            match = wire.best_copy(fp, ((other, prints_of[other]) for other in chosen[pid] if other in prints_of))
            if match is not None:
                cluster = clusters.get(match)
                if cluster is None:
                    cluster = clusters[match] = changed[match] = match
                changed[pid] = cluster
        if changed:
            store._upsert("clusters", [{"paragraph_id": p, "cluster": c, "v": _DUMMY} for p, c in changed.items()])
        store._insert("bands", [{"band": b, "paragraph_id": pid, "article_id": article_id, "token": token,
                                 "v": _DUMMY} for pid, fp in prints for b in fp.bands])

    def refresh_attribution(self, rules: str, attribute: Callable[[Article], Attribution]) -> int:
        """Re-derive every article's speakers and statements when the index's were made by other
        attribution rules: each article is written again with its stored text, vectors and dates."""
        store = self.store
        self._current_rules = rules
        if store.meta("attribution_rules") == rules:
            return 0
        # Articles another writer (a shard running at once) has just written carry these rules already:
        # writing them again here would race with that writer's own clean-up of its rows.
        rows = [r for r in store._article_rows() if r["info"].get("rules") != rules]
        for r in rows:
            i = r["info"]
            stored = store._visible(store._query("paragraphs", f"article_id == {_quote(r['id'])}",
                                                 ["id", "article_id", "token", "number", "part", "kind", "text",
                                                  "dense", "info"]))
            stored.sort(key=lambda p: p["id"])
            article = Article(id=r["id"], title=i["title"], source=i.get("source"), date=i.get("date"),
                              byline=i.get("byline"), url=i.get("url"), origin=r["origin"] or None,
                              origin_hash=i.get("origin_hash"), metadata=i.get("metadata") or {},
                              paragraphs=tuple(Paragraph(p["number"], p["text"], kind=p["kind"], part=p["part"])
                                               for p in stored))
            vectors = np.asarray([p["dense"] for p in stored if p["kind"] in SEARCHABLE], dtype="float32")
            dates = [[DateMention(*d) for d in p["info"].get("dates", [])] for p in stored]
            self.add_article(article, vectors, attribution=attribute(article), dates=dates)
        self._origins.clear()  # unchanged files: their hashes stand
        self._rules = rules
        return len(rows)

    def commit(self) -> None:
        """Remove what re-indexed files no longer hold; record the files now fully written (their
        hashes), and the attribution rules."""
        self._remove_replaced()
        if self._origins:
            self.store._upsert("origins", [{"origin": o, "hash": h, "v": _DUMMY} for o, h in self._origins.items()])
            self._origins.clear()
        if self._rules is not None:
            self.store._set_meta({"attribution_rules": self._rules})
            self._rules = None

    def rollback(self) -> None:
        self._origins.clear()
        self._replaced.clear()


def connect(address: str):
    """A pymilvus client for the address (imported here only: the local store never loads it)."""
    import logging

    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise QAError("a Milvus index needs the pymilvus package (and milvus-lite for milvus:PATH.db); "
                      "install them with `pip install pymilvus milvus-lite`") from exc
    # pymilvus (its import configures these) logs every refused request with a traceback on stderr,
    # and chatters about iterators; qa reports failures as QAError instead
    for name in ("pymilvus", "pymilvus.milvus_client", "milvus_lite"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    address = address.partition("#")[0]  # `#NAME` picks the collections, not the connection
    if address.startswith("milvus:"):
        path = Path(address[len("milvus:"):]).expanduser()
        if not path.name.endswith(".db"):
            raise QAError(f"a Milvus Lite index is named milvus:PATH.db, not {address!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        uri, token = str(path), ""
    else:
        uri, token = address, milvus_token()
    try:
        return MilvusClient(uri=uri, token=token)
    except Exception as exc:  # noqa: BLE001 - pymilvus raises several kinds; all mean "cannot connect"
        raise QAError(f"cannot connect to Milvus at {address} ({exc}); is it running? A Milvus server's token "
                      f"goes in {TOKEN_ENV}") from exc
