"""Writing an index in Milvus (`qa.index.milvus_store.MilvusStore.writer()`): each article's rows under a
fresh write token, its article row last, so it is visible whole or not at all. The writer changes the
index through the requests of `qa.index.milvus_client.MilvusCollections`, so it needs nothing of
qa.index.milvus_store (which builds on it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from ..ingest import wire
from ..ingest.dates import DateMention
from ..ingest.documents import SEARCHABLE, Article, Paragraph
from .milvus_client import (DUMMY, FORMAT_VERSION, SCALAR_TABLES, MilvusCollections, and_all, chunks, in_list, quote,
                            stem)

if TYPE_CHECKING:
    from ..ingest.attribution import Attribution


def _date_row(pid: int, article: Article, token: str, d: DateMention) -> dict:
    from datetime import date as Date

    first = Date.fromisoformat(d.first)
    return {"paragraph_id": pid, "article_id": article.id, "token": token, "article_date": article.date or "",
            "first": d.first, "last": d.last, "granularity": d.granularity, "month_day": d.first[5:10],
            "month_first": d.first[5:7], "month_last": d.last[5:7],
            "weekday": str((first.weekday() + 1) % 7), "v": DUMMY}  # SQLite's %w: Sunday = 0


class MilvusWriter:
    """Writes articles into Milvus; each is visible as soon as `add_article` returns. `commit` records
    the files whose articles are all written (so a killed run re-reads the rest)."""

    # A commit writes only the hashes of files already written, so the indexer commits after every
    # batch: a SIGKILLed run then embeds again only the batch it was writing, not every file since
    # the run began.
    COMMITS_EACH_BATCH = True

    def __init__(self, store: MilvusCollections):
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
        empty = not store.count("articles", "") and not store.count("paragraphs", "")
        if not store.has("paragraphs"):
            store.create_paragraphs(dimension)
        elif (known := store.paragraph_dimension()) is not None and known != dimension:
            # (a collection another writer is creating this moment may not show its fields yet: no drop then)
            if not empty:
                raise store.model_mismatch(model)
            store.drop("paragraphs")
            store.create_paragraphs(dimension)
        if store.model is None or (empty and store.model != model):
            store.set_meta({"model": model, "dimension": str(dimension)})
        else:
            store.check_model(model, dimension)

    def clear(self) -> None:
        store = self.store
        for table in ["articles", "paragraphs", *SCALAR_TABLES]:
            if store.has(table):
                store.drop(table)
        for name, fields in SCALAR_TABLES.items():
            store.create_scalar(name, fields)
        store.set_meta({"format_version": FORMAT_VERSION})
        store.delete("meta", 'key in ["model", "dimension", "attribution_rules"]')

    def remove_articles(self, article_ids: Iterable[str]) -> int:
        """Remove articles: the article row first (they vanish at once), then their other rows."""
        ids = list(article_ids)
        rows = []
        for chunk in chunks(ids):
            rows += self.store.query("articles", in_list("id", chunk), ["id", "origin"])
        for chunk in chunks([r["id"] for r in rows]):
            self.store.delete("articles", in_list("id", chunk))
        origins = {r["origin"] for r in rows if r["origin"]}
        if origins:
            self.store.delete("origins", in_list("origin", sorted(origins)))
        for r in rows:
            self._drop_rows(r["id"], keep=None)
        return len(rows)

    def _drop_rows(self, article_id: str, keep: str | None) -> None:
        """Delete the article's paragraphs, dates, bands and clusters except those of write `keep`."""
        where = and_all(f"article_id == {quote(article_id)}", f"token != {quote(keep)}" if keep else None)
        old = [r["id"] for r in self.store.query("paragraphs", where, ["id"])]
        if not old:  # nothing else either: dates and bands are written after their paragraphs, deleted before
            return  # (and a Milvus delete waits ~0.25 s for the engine's next time tick, whatever it deletes)
        for chunk in chunks(old):
            self.store.delete("clusters", in_list("paragraph_id", chunk))
        for table in ("dates", "bands", "paragraphs"):
            self.store.delete(table, where)

    def remove_origin(self, origin: str) -> None:
        """Drop what a file gave before it is indexed again: at `commit`, and only the articles its new
        version no longer has (the rest are replaced one by one), so a killed run loses no article."""
        self._replaced.add(origin)

    def _remove_replaced(self) -> None:
        for origin in sorted(self._replaced):
            rows = self.store.query("articles", f"origin == {quote(origin)}", ["id"])
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
        row_ids = store.insert("paragraphs", rows)
        date_rows = [_date_row(row_ids[i], article, token, d) for i, ds in enumerate(dates or []) if
                     article.paragraphs[i].kind in SEARCHABLE for d in ds]
        if date_rows:
            store.insert("dates", date_rows)
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
        store.upsert("articles", [{"id": article.id, "token": token, "origin": article.origin or "", "info": info,
                                    "v": DUMMY}])
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
        for chunk in chunks(bands):
            where = and_all(in_list("band", chunk), f"article_id != {quote(article_id)}")
            for r in store.visible(store.query("bands", where, ["band", "paragraph_id", "article_id", "token"])):
                holders.setdefault(r["band"], set()).add(r["paragraph_id"])
        chosen: dict[int, list[int]] = {}
        clusters = store.clusters(sorted({p for ps in holders.values() for p in ps}))
        for pid, fp in prints:
            by_cluster: dict[int, int] = {}
            for other in sorted({p for b in fp.bands for p in holders.get(b, ())}):
                by_cluster.setdefault(clusters.get(other, -other), other)  # one candidate per cluster
            chosen[pid] = list(by_cluster.values())[: wire.MAX_CANDIDATES]  # and a bounded number
        wanted = sorted({p for ps in chosen.values() for p in ps})
        texts = {}
        for chunk in chunks(wanted):
            texts.update((r["id"], r["text"]) for r in store.query("paragraphs", in_list("id", chunk), ["id", "text"]))
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
            store.upsert("clusters", [{"paragraph_id": p, "cluster": c, "v": DUMMY} for p, c in changed.items()])
        store.insert("bands", [{"band": b, "paragraph_id": pid, "article_id": article_id, "token": token,
                                 "v": DUMMY} for pid, fp in prints for b in fp.bands])

    def refresh_attribution(self, rules: str, attribute: Callable[[Article], Attribution]) -> int:
        """Re-derive every article's speakers and statements when the index's were made by other
        attribution rules: each article is written again with its stored text, vectors and dates."""
        store = self.store
        self._current_rules = rules
        if store.meta("attribution_rules") == rules:
            return 0
        # Articles another writer (a shard running at once) has just written carry these rules already:
        # writing them again here would race with that writer's own clean-up of its rows.
        rows = [r for r in store.article_rows() if r["info"].get("rules") != rules]
        for r in rows:
            i = r["info"]
            stored = store.visible(store.query("paragraphs", f"article_id == {quote(r['id'])}",
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
            self.store.upsert("origins", [{"origin": o, "hash": h, "v": DUMMY} for o, h in self._origins.items()])
            self._origins.clear()
        if self._rules is not None:
            self.store.set_meta({"attribution_rules": self._rules})
            self._rules = None

    def rollback(self) -> None:
        self._origins.clear()
        self._replaced.clear()
