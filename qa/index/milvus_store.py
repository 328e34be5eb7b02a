"""The index in Milvus: the same reading and writing interface as `qa.index.store.Store`, kept in Milvus
collections, so any number of qa processes on any machines share one index with nothing on local disk.

Addresses: `milvus:PATH.db` is Milvus Lite (embedded in this process, no server); `http(s)://HOST:PORT`
is a Milvus server or cluster, its token read from QA_MILVUS_TOKEN only. Either may end in `#NAME`
to keep several indexes in one Milvus (collections `qa_NAME_*`).

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
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..ingest.dates import DateMention, DateQuery
from ..errors import IndexDamagedError, IndexMissingError, QAError
from .milvus_client import (FORMAT_VERSION, MAX_LIMIT, SCALAR_TABLES, MilvusCollections, and_all, chunks, connect,
                            has_phrase, in_list, quote, stem)
from .milvus_writer import MilvusWriter
from .records import ArticleSummary, Passage, SpeakerRecord, StatementRecord, WireCopy

# Paragraphs counted per term for its document frequency (see MilvusStore.term_document_frequency).
DF_LIMIT = 2000
# Vectors of recent dense hits kept for the evidence's cosines (what the local store reads from FAISS).
VECTOR_CACHE = 20_000
_QUOTED_RE = re.compile(r'"([^"]*)"')


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
        for chunk in chunks(unknown):
            rows = self.store.query("paragraphs", and_all(in_list("id", chunk), self.expression), ["id"])
            hits = {r["id"] for r in rows}
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
            self._all = {r["id"] for r in self.store.query("paragraphs", self.expression, ["id"])}
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
        rows = self.store.query("paragraphs", f"id == {int(pid)}", ["dense", "article_id", "token"])
        rows = self.store.visible(rows)
        if not rows:
            raise RuntimeError(f"paragraph {pid} is not in the index")
        return np.asarray(rows[0]["dense"], dtype="float32")


# --- the store ------------------------------------------------------------------------------------


class MilvusStore(MilvusCollections):
    """An open index in Milvus (see the module docstring); it keeps `qa.index.store_contract.StoreReader`."""

    def __init__(self, address: str, client: Any):
        super().__init__(address, client)
        self._vector_cache: dict[int, np.ndarray] = {}  # paragraph id -> vector, of recent dense hits

    @property
    def folder(self) -> None:
        """None: a Milvus index has no folder of its own to keep files beside it."""
        return None

    @classmethod
    def open(cls, address: str | os.PathLike, *, create: bool = False, recover: bool = False) -> MilvusStore:
        address = str(address)
        client = connect(address)
        store = cls(address, client)
        if not store.has("meta"):
            if not create:
                raise IndexMissingError(f"no index at {address}; build one first with `qa index --index {address} "
                                        f"PATH...`")
            store.create_scalar("meta", [("key", "varchar", True), ("value", "varchar", False)])
            store.set_meta({"format_version": FORMAT_VERSION})
        for name, fields in SCALAR_TABLES.items():
            if not store.has(name):
                store.create_scalar(name, fields)
        store.load_all()
        version = store.meta("format_version")
        if version != FORMAT_VERSION and not recover:
            raise QAError(f"the Milvus index at {address} has format {version}, this qa reads {FORMAT_VERSION}; "
                          f"rebuild it with `qa index --rebuild --index {address} PATH...`")
        if not recover:
            store._check_collections()
        return store

    def _check_collections(self) -> None:
        """Fewer paragraph rows than articles (or no paragraph collection) cannot come from any write:
        paragraphs are written before their article row and removed after it. Two counts, so every
        command (not only `qa check`) reports such damage instead of finding nothing."""
        articles = self.count("articles", "")
        if not articles:
            return
        paragraphs = self.count("paragraphs", "") if self.has("paragraphs") else 0
        if paragraphs < articles:
            raise IndexDamagedError(f"the Milvus index at {self.address} is damaged: it lists {articles} article(s) "
                                    f"but holds {paragraphs} paragraph row(s); rebuild it with `qa index --rebuild "
                                    f"--index {self.address} PATH...`")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()

    def another_reader(self) -> MilvusStore:
        """This store itself: its client is thread-safe, and the engine holds the vectors."""
        return self

    @property
    def generation(self) -> int:
        return 0  # Milvus has no generations: each article becomes visible on its own

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
            articles = self.query("articles", "", ["id", "token", "info"])
            rows = self.visible(self.query("paragraphs", "", ["id", "article_id", "token", "searchable", "terms"]))
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
            for chunk in chunks(searchable):
                for r in self.query("paragraphs", in_list("id", chunk), ["id", "dense"]):
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
        rows = self.query("paragraphs", "", ["id", "article_id", "token"])
        return len(rows) - len(self.visible(rows))

    # --- reading -----------------------------------------------------------------------------------

    def count_paragraphs(self) -> int:
        return sum(a.paragraphs for a in self.articles())

    def count_searchable(self) -> int:
        """Searchable paragraphs (with any of an unfinished write: a count for IDF, not an inventory)."""
        return self.count("paragraphs", "searchable == true")

    def origin_hashes(self) -> dict[str, str]:
        return {r["origin"]: r["hash"] for r in self.query("origins", "", ["origin", "hash"])}

    def article_origin(self, article_id: str) -> str | None:
        rows = self.query("articles", f"id == {quote(article_id)}", ["origin"])
        return (rows[0]["origin"] or None) if rows else None

    def articles(self) -> list[ArticleSummary]:
        out = []
        for r in self.article_rows():
            i = r["info"]
            out.append(ArticleSummary(r["id"], i["title"], i.get("source"), i.get("date"), r["origin"] or None,
                                      i.get("paragraphs", 0), i.get("byline"), i.get("url")))
        return sorted(out, key=lambda a: (a.date is not None, a.date or "", a.id))

    def find_articles(self, key: str) -> list[str]:
        """Article ids matching an exact id (looked up by primary key), else a case-insensitive title or id
        substring (which Milvus's case-sensitive `like` cannot match: every article row is read)."""
        if self.query("articles", f"id == {quote(key)}", ["id"]):
            return [key]
        rows = self.query("articles", "", ["id", "info"])
        low = key.lower()
        return sorted(r["id"] for r in rows if low in r["id"].lower() or low in r["info"]["title"].lower())

    _PASSAGE_FIELDS = ["id", "article_id", "token", "number", "part", "kind", "text", "info"]

    def _passages(self, rows: list[dict]) -> list[Passage]:
        rows = self.visible(rows)
        infos = {r["id"]: r["info"] for r in self.article_rows(in_list("id", {r["article_id"] for r in rows}))} \
            if rows else {}
        clusters = self.clusters([r["id"] for r in rows])
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

    def passages(self, ids: Iterable[int]) -> dict[int, Passage]:
        ids = list(dict.fromkeys(int(i) for i in ids))
        found: dict[int, Passage] = {}
        for chunk in chunks(ids):
            for p in self._passages(self.query("paragraphs", in_list("id", chunk), self._PASSAGE_FIELDS)):
                found[p.id] = p
        return found

    def article_passages(self, article_id: str) -> list[Passage]:
        rows = self.query("paragraphs", f"article_id == {quote(article_id)}", self._PASSAGE_FIELDS)
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
            rows = self.query("dates", " or ".join(f"({e})" for e in expressions), fields)
        else:  # a question form this translation does not know: the SQL condition, over the date rows
            rows = _sql_dates(self.query("dates", "", [*fields, "first", "last", "granularity"]), queries)
        rows = self.visible(rows)
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
        members = self.query("clusters", in_list("cluster", clusters), ["paragraph_id", "cluster"])
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
            clauses.append(in_list("article_id", article_ids) if article_ids else "id < 0")
        if since or until:
            # Published in the range, or mentioning a date (resolved, qa.ingest.dates) that falls within it.
            published = and_all(f"date >= {quote(since)}" if since else None,
                                f"date <= {quote(until)}" if until else None, 'date != ""')
            event = and_all(f"first >= {quote(since)}" if since else None, f"last <= {quote(until)}" if until else None)
            dated = sorted({r["paragraph_id"] for r in self.query("dates", event, ["paragraph_id"])})
            clauses.append(f"({published}) or ({in_list('id', dated)})" if dated else published)
        return MilvusFilter(self, and_all(*clauses))

    def speakers(self, article_ids: list[str] | None = None) -> list[SpeakerRecord]:
        """Speakers of the given articles (all when None), each with their paragraphs in article order."""
        rows = self.article_rows(in_list("id", article_ids) if article_ids else "") if article_ids != [] else []
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
        for chunk in chunks(ids):
            rows = self.visible(self.query("paragraphs", in_list("id", chunk),
                                             ["id", "article_id", "token", "text", "info"]))
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
        return in_list("id", sorted(allowed)) if allowed else ""

    def lexical_search(self, match: str, k: int, allowed=None) -> list[tuple[int, float]]:
        """BM25 (Milvus's, over FTS5's stemmed terms) for an FTS5-style query of quoted terms or
        phrases joined by OR; returns (paragraph id, score, higher is better)."""
        items = [t for t in _QUOTED_RE.findall(match or "") if t.strip()]
        if not items or not self.has("paragraphs"):
            return []
        phrases = [p for p in stem(items) if p]
        words = list(dict.fromkeys(t for p in phrases for t in p))
        where = self._filter(allowed)
        if not words or where == "":
            return []
        limit = min(MAX_LIMIT, k if allowed is None else max(k * 20, 1000))
        exact = any(len(p) > 1 for p in phrases)  # phrases must match as phrases, as in FTS5
        hits = self._call(self.client.search, self._name("paragraphs"), data=[" ".join(words)], anns_field="sparse",
                          limit=limit if not exact else MAX_LIMIT, filter=and_all("searchable == true", where),
                          search_params={"metric_type": "BM25"},
                          output_fields=["article_id", "token"] + (["terms"] if exact else []))[0]
        rows = [{"id": h["id"], "score": abs(float(h["distance"])), **h["entity"]} for h in hits]
        if exact:
            rows = [r for r in rows if any(has_phrase(r["terms"].split(), p) for p in phrases)]
        rows = self.visible(rows)
        return [(int(r["id"]), r["score"]) for r in rows[:k]]

    def lexical_scores(self, match: str, ids: Sequence[int]) -> list[tuple[int, float]]:
        """BM25 of each of `ids` that `match` finds (any order), as `lexical_search` ranks them."""
        out: list[tuple[int, float]] = []
        for chunk in chunks(list(ids), 900):
            out += self.lexical_search(match, len(chunk), set(chunk))
        return out

    def dense_search(self, vector: np.ndarray, k: int, allowed=None) -> list[tuple[int, float]]:
        where = self._filter(allowed)
        if where == "" or not self.has("paragraphs"):
            return []
        query = np.asarray(vector, dtype="float32").reshape(-1).tolist()
        hits = self._call(self.client.search, self._name("paragraphs"), data=[query], anns_field="dense",
                          limit=min(k, MAX_LIMIT), filter=and_all("searchable == true", where),
                          search_params={"metric_type": "IP"}, output_fields=["article_id", "token", "dense"])[0]
        rows = self.visible([{"id": h["id"], "score": float(h["distance"]), **h["entity"]} for h in hits])
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
        if not wanted or not self.has("paragraphs"):
            return total
        phrases = any(len(tokens) > 1 for _, tokens in wanted)
        hits = self._call(self.client.search, self._name("paragraphs"), data=[" ".join(t) for _, t in wanted],
                          anns_field="sparse", limit=DF_LIMIT, filter="searchable == true",
                          search_params={"metric_type": "BM25"}, output_fields=["terms"] if phrases else [])
        for (term, tokens), found in zip(wanted, hits):
            if len(tokens) == 1:
                total[term] = len(found)
            else:  # a phrase ("u.s" is "u s"): the paragraphs holding its words in a row
                total[term] = sum(has_phrase(h["entity"]["terms"].split(), tokens) for h in found)
        return total

    def terms_present(self, terms: list[str], ids: list[int]) -> dict[int, set[str]]:
        """Which of `terms` (as FTS5 matches them: stemmed, a phrase when several words) each paragraph has."""
        present: dict[int, set[str]] = {}
        if not terms or not ids:
            return present
        stems = dict(zip(terms, stem(terms)))
        for chunk in chunks(list(ids)):
            for r in self.query("paragraphs", in_list("id", chunk), ["id", "terms"]):
                tokens = r["terms"].split()
                for term, phrase in stems.items():
                    if phrase and has_phrase(tokens, phrase):
                        present.setdefault(r["id"], set()).add(term)
        return present

    # --- writing ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, on_wait: Callable[[str], None] | None = None, timeout: float = 600
               ) -> Iterator[MilvusWriter]:
        """No lock: writers of different articles work at once (each article is visible whole or not at all).
        A writer first gives collections made by an older qa the scalar indexes they lack."""
        self.add_missing_scalar_indexes()
        yield MilvusWriter(self)


def _date_expression(query: DateQuery) -> str | None:
    """A date question's SQL condition (qa.ingest.dates) as a Milvus expression on the dates table."""
    sql, args = " ".join(query.sql.split()), [str(a) for a in query.args]
    if sql == "d.first <= ? AND d.last >= ?":
        return f"first <= {quote(args[0])} and last >= {quote(args[1])}"
    if sql == "d.granularity = 'day' AND strftime('%m-%d', d.first) = ?":
        return f'granularity == "day" and month_day == {quote(args[0])}'
    if sql == ("d.granularity IN ('day', 'week', 'month') AND "
               "(strftime('%m', d.first) = ? OR strftime('%m', d.last) = ?)"):
        return (f'granularity in ["day", "week", "month"] and (month_first == {quote(args[0])} '
                f'or month_last == {quote(args[1])})')
    if sql == "d.granularity = 'day' AND strftime('%w', d.first) = ?":
        return f'granularity == "day" and weekday == {quote(args[0])}'
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
