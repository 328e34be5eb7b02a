"""The page `qa serve` shows at `/`: ask and chat with cited answers, read a cited article at its
paragraph, see everything a person is quoted as saying; and the JSON endpoints it reads (`/web/...`).

The page is plain HTML, CSS and one script shipped in the package (qa/web/), served with a strict
Content-Security-Policy: scripts only from this server, no inline script, no other origin. Article
text is untrusted, so the script builds every element with `textContent` and never parses markup.
The endpoints sit behind the same token and limits as the rest of the API (server.py); each one only
reads through `QA` (a reader of the service's pool) and shapes what the page shows.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..ingest.documents import split_sentences
from ..errors import QAError
from ..index.records import Passage
from .service import Service, message_text
from ..index.vectors import vector_file

PAGE_DIR = Path(__file__).with_name("web")
# The only files the page is made of; anything else under /static/ is a 404.
STATIC = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8",
          "icon.svg": "image/svg+xml"}
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cache-Control": "no-cache"}
DRAFT_EVERY = 0.5  # seconds between "still writing" events while an LLM drafts
MAX_PEOPLE = 60
MAX_ARTICLE_CHOICES = 5000  # the newest articles offered in the page's article filter
_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_PIECE = re.compile(r".*?(?:\[\d+(?:\s*,\s*\d+)*\])+\s*|.+$", re.DOTALL)
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "lord", "lady", "dame"}


# --- what the endpoints return ---------------------------------------------------------------------


def cited_sentences(answer_text: str, citations: list[dict], passages: dict[int, str]) -> dict[int, str]:
    """For each citation n, the sentence of its paragraph the answer rests on: the paragraph sentence
    sharing most words with the answer sentences that cite [n] (the page marks it in the article)."""
    from ..answer.verification import word_overlap

    citing: dict[int, list[str]] = {}
    for piece in _PIECE.findall(answer_text):
        sentence = _MARKERS.sub("", piece).strip()
        for group in _MARKERS.findall(piece):
            for n in group.split(","):
                citing.setdefault(int(n), []).append(sentence)
    out: dict[int, str] = {}
    for c in citations:
        text = passages.get(c["passage_id"], c.get("quote") or "")
        candidates = split_sentences(text)
        asked = " ".join(citing.get(c["n"], []))
        if not candidates or not asked:
            continue
        out[c["n"]] = max(candidates, key=lambda s: (word_overlap(s, asked) + word_overlap(asked, s), -len(s)))
    return out


def answer_payload(payload: dict) -> dict:
    """The JSON of `qa ask --json` plus what the page shows beside it: per citation the sentence to
    mark (`sentence`), and the people to offer pages for (`people`): those a who-said question asked
    about, then those quoted in the cited paragraphs."""
    texts = {p["id"]: p["text"] for p in payload.get("passages", [])}
    marks = cited_sentences(payload.get("answer", ""), payload.get("citations", []), texts)
    for c in payload.get("citations", []):
        c["sentence"] = marks.get(c["n"])
    speaker = payload.get("speaker") or {}
    asked = [s.get("name") for s in speaker.get("speakers", []) if isinstance(s, dict)]
    cited = {c["passage_id"] for c in payload.get("citations", [])}
    quoted = [name for p in payload.get("passages", []) if p["id"] in cited for name in p.get("speakers", [])]
    payload["people"] = [n for n in dict.fromkeys(asked + quoted) if isinstance(n, str) and n]
    return payload


def index_info(bot) -> dict:
    """How much the index holds and when it last changed, the outlets and articles for the filters."""
    articles = bot.articles()
    dates = sorted(a.date for a in articles if a.date)
    changed = None
    # A local index writes a new vector file at each commit (readers touch only SQLite's own files);
    # a Milvus index keeps no such stamp.
    vectors = vector_file(Path(str(bot.store.path)), bot.store.generation)
    if vectors.is_file():
        changed = datetime.fromtimestamp(vectors.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    backend = bot.backend
    return {
        "articles": len(articles),
        "paragraphs": bot.store.count_paragraphs(),
        "generation": bot.store.generation,
        "last_update": changed,
        "first_date": dates[0] if dates else None,
        "last_date": dates[-1] if dates else None,
        "answerer": f"{backend.name} LLM ({backend.model})" if backend else "extractive",
        "outlets": sorted({a.source for a in articles if a.source}),
        "article_list": [{"id": a.id, "title": a.title, "source": a.source, "date": a.date}
                         for a in list(reversed(articles))[:MAX_ARTICLE_CHOICES]],
    }


def article_view(bot, article_id: str) -> dict:
    """One article as the page shows it: metadata, every paragraph with its number, and the other
    articles that carry the same wire copy (how many of this article's paragraphs each shares)."""
    if bot.store.find_articles(article_id)[:1] != [article_id]:
        raise QAError(f"no indexed article has the id {article_id!r}")
    passages: list[Passage] = bot.paragraphs(article_id)
    if not passages:
        raise QAError(f"the article {article_id!r} has no paragraphs")
    first = passages[0]
    copies: dict[str, dict] = {}
    clusters = {p.cluster for p in passages if p.cluster is not None}
    for members in bot.store.wire_copies(clusters).values() if clusters else ():
        for copy in members:
            if copy.article_id == article_id:
                continue
            entry = copies.setdefault(copy.article_id, {
                "article_id": copy.article_id, "source": copy.source, "title": copy.title, "date": copy.date,
                "url": copy.url, "paragraphs": set()})
            entry["paragraphs"].add(copy.paragraph)
    return {
        "id": article_id, "title": first.title, "source": first.source, "date": first.date,
        "byline": first.byline, "url": first.url,
        "paragraphs": [{"id": p.id, "paragraph": p.paragraph, "part": p.part, "kind": p.kind, "text": p.text,
                        "speakers": list(p.speakers)} for p in passages],
        "also_in": [{**c, "paragraphs": sorted(c["paragraphs"])}
                    for c in sorted(copies.values(), key=lambda c: (c["date"] or "", c["article_id"]))],
    }


def outlet_articles(bot, outlet: str, article: str | None = None) -> list[str]:
    """The ids of the articles `outlet` published (within those `article` names, when given): the
    search then looks only there."""
    ids = [a.id for a in bot.articles() if a.source == outlet]
    if article:
        named = set(bot.find_articles(article))
        ids = [i for i in ids if i in named]
    if not ids:
        raise QAError(f"no indexed article from {outlet!r}" + (f" matches {article!r}" if article else ""))
    return ids


def _name_words(name: str) -> list[str]:
    return [w for w in re.findall(r"[\w'’-]+", name.lower()) if w not in _TITLES]


def people(bot, query: str | None) -> dict:
    """One row per person among the speakers `query` names (all when empty): the records of every
    article merged by name, "Mr Klingner" and "Klingner" into "Bruce Klingner" when the matches hold
    only one full name with that surname; most quoted first."""
    records = bot.speakers(name=query or None)
    full: dict[str, list[str]] = {}  # surname -> full names
    for r in records:
        words = _name_words(r.name)
        if r.kind == "person" and len(words) > 1:
            full.setdefault(words[-1], []).append(" ".join(words))
    rows: dict[str, dict] = {}
    for r in records:
        words = _name_words(r.name) or [r.name.lower()]
        key = " ".join(words)
        if r.kind == "person" and len(words) == 1 and len(set(full.get(words[0], []))) == 1:
            key = full[words[0]][0]
        row = rows.setdefault(key, {"names": {}, "kind": r.kind, "articles": set(), "statements": 0})
        row["names"][r.name] = row["names"].get(r.name, 0) + 1
        row["articles"].add(r.article_id)
        row["statements"] += len(r.paragraphs)
    out = []
    for row in rows.values():
        names = sorted(row["names"], key=lambda n: (-len(_name_words(n)), -row["names"][n], n))
        out.append({"name": names[0], "variants": names[1:], "kind": row["kind"],
                    "articles": len(row["articles"]), "statements": row["statements"]})
    out.sort(key=lambda p: (-p["statements"], p["name"].lower()))
    return {"query": query or "", "people": out[:MAX_PEOPLE], "more": max(len(out) - MAX_PEOPLE, 0)}


def person_statements(bot, name: str, topic: str | None = None) -> dict:
    """Everything the index credits to `name` (its variants merged by qa's speaker matching), newest
    article first, grouped by article; with `topic`, only paragraphs containing each of its words."""
    found = bot.who_said(name)
    if not found.matches:
        raise QAError(f"no one called {name!r} is quoted in the indexed articles")
    words = [w for w in re.findall(r"\w+", (topic or "").lower()) if w]
    articles: dict[str, dict] = {}
    names: dict[str, None] = {}
    total = 0
    for match in found.matches:
        names[match.speaker.name] = None
        for p in match.passages:
            lowered = p.text.lower()
            if words and not all(re.search(rf"\b{re.escape(w)}", lowered) for w in words):
                continue
            entry = articles.setdefault(p.article_id, {
                "article_id": p.article_id, "title": p.title, "source": p.source, "date": p.date, "url": p.url,
                "paragraphs": {}})
            if p.id in entry["paragraphs"]:
                continue
            entry["paragraphs"][p.id] = {
                "paragraph": p.paragraph, "text": p.text,
                "statements": [s.text for s in match.statements.get(p.id, [])]}
            total += 1
    grouped = sorted(articles.values(), key=lambda a: (a["date"] or "", a["article_id"]), reverse=True)
    for entry in grouped:
        entry["paragraphs"] = sorted(entry["paragraphs"].values(), key=lambda q: q["paragraph"])
    return {"name": name, "names": list(names), "topic": topic or "", "statements": total, "articles": grouped}


# --- the routes --------------------------------------------------------------------------------------


def _page_file(name: str, media_type: str) -> Response:
    return Response((PAGE_DIR / name).read_bytes(), media_type=media_type, headers=PAGE_HEADERS)


def page_routes(service: Service, *, guarded, in_thread, read_json, query_args, classify) -> list[Route]:
    """The page and its endpoints, given the server's own helpers (token check, worker threads with
    the time limit, body and filter parsing, error mapping), so they behave as the API does."""

    async def page(request: Request) -> Response:
        return _page_file("index.html", "text/html; charset=utf-8")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return JSONResponse({"error": {"message": f"no such file: {name}", "type": "not_found", "code": 404}},
                                status_code=404)
        return _page_file(name, STATIC[name])

    def read(request: Request, fn, *args):
        """Run `fn(bot, *args)` on a reader of the pool, within the request's time limit (and not after
        its client has gone)."""
        def work(cancelled=None):
            with service.reader(service.deadline()) as bot:
                return fn(bot, *args)
        return in_thread(request, work)

    async def info(request: Request) -> Response:
        return JSONResponse(await read(request, index_info))

    async def article(request: Request) -> Response:
        article_id = request.query_params.get("id", "")
        if not article_id:
            raise QAError("give the article as ?id=...")
        return JSONResponse(await read(request, article_view, article_id))

    async def people_list(request: Request) -> Response:
        return JSONResponse(await read(request, people, (request.query_params.get("q") or "").strip()))

    async def person(request: Request) -> Response:
        name = (request.query_params.get("name") or "").strip()
        if not name:
            raise QAError("give the person as ?name=...")
        return JSONResponse(await read(request, person_statements, name, request.query_params.get("topic")))

    async def chat(request: Request) -> Response:
        body = await read_json(request)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise QAError("messages must be a non-empty list")
        pairs = []
        for m in messages:
            if not isinstance(m, dict) or not isinstance(m.get("role"), str):
                raise QAError("each message must be an object with a role and content")
            pairs.append((m["role"], message_text(m.get("content"))))
        filters = query_args(body)
        outlet = body.get("outlet")
        if outlet:
            if not isinstance(outlet, str):
                raise QAError("outlet must be a string")
            filters["article"] = await read(request, outlet_articles, outlet, filters.get("article"))
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue()

        def emit(event: dict) -> None:
            loop.call_soon_threadsafe(events.put_nowait, event)

        drafted = {"tokens": 0, "sent": 0.0}

        def on_token(piece: str) -> None:
            drafted["tokens"] += 1
            now = time.monotonic()
            if now - drafted["sent"] >= DRAFT_EVERY:
                drafted["sent"] = now
                emit({"type": "drafting", "tokens": drafted["tokens"]})

        def work(cancelled=None):
            return service.chat(pairs, filters.get("k"), article=filters.get("article"), since=filters.get("since"),
                                until=filters.get("until"), on_standalone=lambda s: emit({"type": "searching",
                                                                                          "question": s}),
                                on_token=on_token, cancelled=cancelled)

        async def stream():
            task = asyncio.ensure_future(in_thread(request, work))
            try:
                while not task.done():
                    getter = asyncio.ensure_future(events.get())
                    done, _ = await asyncio.wait({task, getter}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
                    if getter in done:
                        yield _event(getter.result())
                    else:
                        getter.cancel()
                        if not done:
                            yield ": still answering\n\n"
                while not events.empty():
                    yield _event(events.get_nowait())
                try:
                    reply = task.result()
                except Exception as exc:  # noqa: BLE001 - the status line is sent: the error goes in-stream
                    error = classify(exc)
                    yield _event({"type": "error", "message": error.message, "status": error.status})
                    return
                payload = answer_payload(reply.as_json())
                # Shown sentence by sentence, each with its markers, once the whole answer is verified.
                for piece in _PIECE.findall(payload["answer"]):
                    yield _event({"type": "text", "text": piece})
                yield _event({"type": "done", "answer": payload})
            finally:
                task.cancel()

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return [
        Route("/", page, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/web/info", guarded(info), methods=["GET"]),
        Route("/web/article", guarded(article), methods=["GET"]),
        Route("/web/people", guarded(people_list), methods=["GET"]),
        Route("/web/person", guarded(person), methods=["GET"]),
        Route("/web/chat", guarded(chat), methods=["POST"]),
    ]


def _event(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
