"""Talking to Milvus for `qa.index.milvus_store` and `qa.index.milvus_writer`: the connection, the collections
and their rows, filter expressions, and the terms BM25 runs over.

Collections (named `qa_*`):
  articles    one row per visible article: metadata, its speakers, and the write token that makes
              its paragraphs visible
  paragraphs  one row per paragraph: text, porter-stemmed terms (Milvus fills a BM25 sparse vector
              from them), the dense embedding, speakers and statements, resolved dates
  dates       one row per resolved date mention (for `--since/--until` and date questions)
  bands       MinHash LSH bands of searchable paragraphs (wire copies, qa.ingest.wire)
  clusters    the wire-copy cluster of each paragraph that has one
  origins     the content hash of each indexed file, written once all its articles are
  meta        model, dimension, attribution rules

Paragraph, date and band rows carry the write token of the article write that made them; only those
whose token is their article row's are visible (`MilvusCollections._visible`).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..config import milvus_index_type, milvus_token
from ..errors import QAError
from .store_base import StoreBase

PREFIX = "qa_"
TOKEN_ENV = "QA_MILVUS_TOKEN"
FORMAT_VERSION = "1"
# Milvus caps a search's limit (topk) at 16384.
MAX_LIMIT = 16384
# Rows per query/insert request: well under gRPC's 64 MB message limit even with 384-dim vectors.
BATCH = 1000
DUMMY = [0.0, 0.0]  # Milvus requires a vector field in every collection; scalar tables carry this one


def quote(value: str) -> str:
    """A string literal for a Milvus filter expression (JSON escaping is what Milvus accepts)."""
    return json.dumps(str(value), ensure_ascii=False)


def in_list(field: str, values: Iterable) -> str:
    values = list(values)
    if values and isinstance(values[0], str):
        return f"{field} in [{','.join(quote(v) for v in values)}]"
    return f"{field} in [{','.join(str(int(v)) for v in values)}]"


def and_all(*clauses: str | None) -> str:
    kept = [c for c in clauses if c]
    return " and ".join(f"({c})" for c in kept)


def chunks(items: Sequence, size: int = BATCH) -> Iterator[Sequence]:
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


def has_phrase(tokens: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1))


# --- collections ----------------------------------------------------------------------------------


class MilvusCollections(StoreBase):
    """An index's collections in one Milvus (see the module docstring): requests, with Milvus's
    refusals as QAError, and the rows of unfinished writes filtered out."""

    def __init__(self, address: str, client: Any):
        self.path = address  # what messages name: the address, never the token
        self.address = address
        self.client = client
        name = address.rpartition("#")[2] if "#" in address else ""
        if name and not re.fullmatch(r"[A-Za-z0-9_]{1,64}", name):
            raise QAError(f"an index name after '#' takes letters, digits and _ only, not {name!r}")
        self.prefix = f"{PREFIX}{name}_" if name else PREFIX
        self._loaded: set[str] = set()  # collections known to exist and be loaded

    def _name(self, table: str) -> str:
        return self.prefix + table

    def has(self, table: str) -> bool:
        if table in self._loaded:
            return True
        return self._call(self.client.has_collection, self._name(table))

    def drop(self, table: str) -> None:
        """Drop a collection (it is created again by `create_scalar` or `create_paragraphs`)."""
        self._call(self.client.drop_collection, self._name(table))
        self._loaded.discard(table)

    def load_all(self) -> None:
        """Load the collections into memory (a reopened Milvus Lite file starts with them released)."""
        for table in ["meta", "articles", "paragraphs", *SCALAR_TABLES]:
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

    def create_scalar(self, table: str, fields: list[tuple[str, str, bool]]) -> None:
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
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=len(DUMMY))
        index = self.client.prepare_index_params()
        index.add_index(field_name="v", index_type="FLAT", metric_type="L2")
        self._create(table, schema, index)

    def _create(self, table: str, schema, index) -> None:
        """Create a collection, its vector indexes and load it; another writer creating it at the same
        moment is no error. The indexes are created without pymilvus's wait, which `create_collection`
        with `index_params` does (0.5 s of sleep before its first look, per collection: `qa index` of
        the sample article into a new index on a Milvus Lite server took 9 s with it, 2.6 s without);
        loading waits until they are usable."""
        try:
            self._call(self.client.create_collection, self._name(table), schema=schema, consistency_level="Strong")
            self._call(self.client.create_index, self._name(table), index, sync=False)
            self._call(self.client.load_collection, self._name(table))
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
        self._add_scalar_indexes(table)

    def create_paragraphs(self, dimension: int) -> None:
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

    def scalar_indexes(self, table: str) -> dict[str, str]:
        """The indexes on the table's scalar fields that qa declares, by field: their index type."""
        if not self.has(table):
            return {}
        names = set(self._call(self.client.list_indexes, self._name(table)))
        out = {}
        for field in SCALAR_INDEXES.get(table, ()):
            if field in names:
                described = self._call(self.client.describe_index, self._name(table), field)
                out[field] = str(described.get("index_type", ""))
        return out

    def add_missing_scalar_indexes(self) -> list[str]:
        """Create the scalar indexes that collections made before qa declared them lack (`table.field`
        of each created). A writer calls this as it starts, not a reader: readers need no right to
        change the collections. On a server the index is built in the background (as for any
        collection, rows not yet indexed are scanned); Milvus Lite builds it before it answers, in
        about a second per field at 200,000 rows."""
        return [f"{table}.{field}" for table in SCALAR_INDEXES if self.has(table)
                for field in self._add_scalar_indexes(table)]

    def _add_scalar_indexes(self, table: str) -> list[str]:
        """Create the table's missing scalar indexes (named after their fields), without waiting for a
        server to build them: pymilvus's wait polls every 0.5 s, which made creating a collection
        with its indexes in `create_collection` ~9 s slower. Another writer creating the same index
        at the same moment is no error."""
        fields = SCALAR_INDEXES.get(table, ())
        have = set(self._call(self.client.list_indexes, self._name(table))) if fields else set()
        created = []
        for field in (f for f in fields if f not in have):
            index = self.client.prepare_index_params()
            index.add_index(field_name=field, index_type=SCALAR_INDEX_TYPE, index_name=field)
            try:
                self._call(self.client.create_index, self._name(table), index, sync=False)
            except QAError:
                if field not in self._call(self.client.list_indexes, self._name(table)):
                    raise
            created.append(field)
        return created

    def paragraph_dimension(self) -> int | None:
        for field in self._call(self.client.describe_collection, self._name("paragraphs"))["fields"]:
            if field["name"] == "dense":
                return int(field["params"]["dim"])
        return None

    def query(self, table: str, expression: str, fields: list[str]) -> list[dict]:
        """Every row matching `expression`: one request, or Milvus's query iterator when there are more
        than a query may return (offset + limit is capped at 16384 on a server)."""
        if not self.has(table):
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

    def count(self, table: str, expression: str) -> int:
        if not self.has(table):
            return 0
        rows = self._call(self.client.query, self._name(table), filter=expression, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def insert(self, table: str, rows: list[dict]) -> list[int]:
        ids: list[int] = []
        for chunk in chunks(rows):
            result = self._call(self.client.insert, self._name(table), list(chunk))
            ids.extend(int(i) for i in result["ids"])
        return ids

    def upsert(self, table: str, rows: list[dict]) -> None:
        for chunk in chunks(rows):
            self._call(self.client.upsert, self._name(table), list(chunk))

    def delete(self, table: str, expression: str) -> None:
        if self.has(table):
            self._call(self.client.delete, self._name(table), filter=expression)

    def _tokens(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The visible write token of each article."""
        ids = list(dict.fromkeys(article_ids))
        out = {}
        for chunk in chunks(ids):
            for r in self.query("articles", in_list("id", chunk), ["id", "token"]):
                out[r["id"]] = r["token"]
        return out

    def visible(self, rows: list[dict]) -> list[dict]:
        """The rows written by their article's visible write (the rest are an unfinished or replaced write)."""
        tokens = self._tokens(r["article_id"] for r in rows)
        return [r for r in rows if tokens.get(r["article_id"]) == r["token"]]

    def meta(self, key: str) -> str | None:
        rows = self.query("meta", f"key == {quote(key)}", ["value"])
        return rows[0]["value"] if rows else None

    def set_meta(self, values: dict[str, str]) -> None:
        self.upsert("meta", [{"key": k, "value": v, "v": DUMMY} for k, v in values.items()])

    def article_rows(self, expression: str = "") -> list[dict]:
        return self.query("articles", expression, ["id", "token", "origin", "info"])

    def clusters(self, ids: list[int]) -> dict[int, int]:
        out = {}
        for chunk in chunks(ids):
            for r in self.query("clusters", in_list("paragraph_id", chunk), ["paragraph_id", "cluster"]):
                out[r["paragraph_id"]] = r["cluster"]
        return out


SCALAR_TABLES: dict[str, list[tuple[str, str, bool]]] = {
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


# The scalar fields qa filters by, per table, each given an INVERTED index. A Milvus server builds
# scalar indexes on sealed segments and answers filters on these fields from them instead of scanning
# every row (the wire-copy lookup `band in [...]`, an article's rows by `article_id` and `token`,
# `searchable`, `date`, the date questions' fields). Primary keys (paragraphs.id, articles.id, ...)
# are left out: every engine looks them up by its own primary-key index. INVERTED is the one type
# declared because it is the one every engine qa runs on accepts for INT64, VARCHAR and BOOL fields:
# milvus-lite 3.2 implements only INVERTED (it refuses STL_SORT, Trie and BITMAP), milvus-lite 2.5.1
# refuses STL_SORT and BITMAP. Both engines that run here accept these indexes and neither answers
# qa's lookups measurably faster with them (bench/README.md, "Scalar indexes"); they are for servers.
SCALAR_INDEX_TYPE = "INVERTED"
SCALAR_INDEXES: dict[str, tuple[str, ...]] = {
    "paragraphs": ("article_id", "token", "searchable", "date"),
    "articles": ("origin",),
    "dates": ("article_id", "token", "first", "last", "granularity", "month_day", "month_first", "month_last",
              "weekday"),
    "bands": ("band", "article_id", "token"),
    "clusters": ("cluster",),
}


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
