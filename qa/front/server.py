"""`qa serve`: the index over HTTP, for OpenAI-compatible chat clients and for programs.

Routes (all JSON; errors are `{"error": {"message", "type", "code"}}` as the OpenAI API writes them,
with qa's one-line message and never a traceback):

- `POST /v1/chat/completions` (streamed or not) and `GET /v1/models`: the last user message is the
  question, earlier turns feed the follow-up rewriting of `qa chat`; the reply is the verified answer
  with its sources listed after it, and the field `qa` holds the same JSON as `qa ask --json` (plus
  `standalone_question`).
- `GET /`: a page for asking in the browser (qa/front/web.py), with the JSON it reads under `/web/`.
- `GET /search?q=...&k=&article=&since=&until=&as_of=` and `POST /ask` (`{"question": ..., "k", "article",
  "since", "until", "as_of", "all", "page"}`): exactly what `qa search --json` / `qa ask --json` print.

Searches run in parallel on a pool of index readers; LLM answers one at a time behind a bounded queue
(503 when it is full); each request has a time limit (504), and the work of a client that hangs up is
given up (an LLM stops at its next token, embedding at its next batch). An optional bearer token comes from the environment
(`QA_SERVE_TOKEN`) only, so it never sits in shell history or a config file.

Web pages the user opens cannot use a server meant for this machine: on a loopback address the Host
header must name a loopback host (DNS rebinding), a request from another origin is refused, and a POST
must be `application/json` (which a cross-site form or `text/plain` fetch cannot send without asking).
Connections that send their request headers too slowly are closed (slowloris), and past
`max_connections` the oldest connection with no request in flight makes room for a new one.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..errors import IndexDamagedError, IndexMissingError, IndexStorageError, LLMError, QAError
from .service import Limits, Service, ServiceBusy, ServiceCancelled, ServiceTimeout, message_text, reply_text

MODEL_ID = "qa"
KEEPALIVE_SECONDS = 10.0  # an SSE comment while an answer is being written, so proxies keep the stream
# A streamed answer's status line waits this long for the answer: an error before it (busy, a bad
# question) is then a real HTTP status, not a 200 with the error inside the stream.
FIRST_BYTE_SECONDS = KEEPALIVE_SECONDS
log = logging.getLogger("qa.front.server")


@dataclass(frozen=True)
class ServerConfig:
    token: str | None = None  # bearer token; None = no authentication (loopback only, or --insecure)
    max_body: int = 256 * 1024  # bytes: a chat history of a few dozen turns fits
    limits: Limits = Limits()
    loopback: bool = True  # listening on a loopback address: only loopback Host headers are served
    header_timeout: float = 10.0  # seconds a connection may take to send a request's headers
    body_timeout: float = 30.0  # seconds to send the body once the headers are in
    keep_alive: float = 5.0  # seconds an idle keep-alive connection is kept
    max_connections: int = 1000  # open connections; past it the oldest idle one is closed


class ServerStopping(QAError):
    """The server is shutting down (Ctrl-C): requests in flight are answered 503."""


class HTTPError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.headers = status, message, kind, headers or {}


def _error_response(status: int, message: str, kind: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status,
                        headers=headers)


def _classify(exc: BaseException, hide: tuple[str, ...] = ()) -> HTTPError:
    """What a failed request answers: busy 503, too slow 504, LLM 502, qa's own errors 400; the index
    unreadable 500 with no server path in it (the log has the message); anything else is a bug,
    logged here with its traceback and answered 500 without one. `hide`: strings (the index's
    location) no message sent to a client may hold."""
    if isinstance(exc, HTTPError):
        return exc
    if isinstance(exc, (ServiceBusy, ServerStopping)):
        return HTTPError(503, str(exc), "server_busy", {"Retry-After": "5"})
    if isinstance(exc, (ServiceTimeout, TimeoutError)):
        return HTTPError(504, str(exc) or "the request took too long", "timeout")
    if isinstance(exc, LLMError):
        return HTTPError(502, _hidden(str(exc), hide), "llm_error")
    if isinstance(exc, (IndexDamagedError, IndexMissingError, IndexStorageError)):
        log.error("the index cannot be read: %s", exc)
        return HTTPError(500, "the server's index cannot be read (damaged or unavailable); the server's log has "
                              "the details", "server_error")
    if isinstance(exc, QAError):
        return HTTPError(400, _hidden(str(exc), hide), "invalid_request_error")
    log.exception("unexpected error", exc_info=exc)
    return HTTPError(500, "internal error; the server's log has the details", "server_error")


def _hidden(message: str, hide: tuple[str, ...]) -> str:
    """The message without the index's location: a file in it by its name, the folder left out
    ("the index /srv/x is damaged" -> "the index is damaged")."""
    for secret in sorted(hide, key=len, reverse=True):
        if secret:
            message = message.replace(secret + "/", "").replace(" " + secret, "").replace(secret, "the index")
    return message


def host_is_loopback(host_header: str) -> bool:
    """Does a Host header name this machine? ("localhost", "x.localhost", a loopback address, with
    any port.) A rebinding attack's page sends its own host name, which resolves here only by its DNS."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    host = host.rstrip(".")
    return host == "localhost" or host.endswith(".localhost") or is_loopback(host)


async def _client_gone(receive) -> None:
    """Returns when the client has closed its connection (the request's body already read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def create_app(service: Service, config: ServerConfig) -> Starlette:
    """The ASGI app. The service's index and models are opened by the caller (before listening)."""

    # Work a request gives up on (its time is up, its client left, the server stops) is told so
    # through its `cancelled` event: it leaves the LLM queue at once, and an LLM stops at its next token.
    workers = ThreadPoolExecutor(max_workers=64, thread_name_prefix="qa-request")
    in_flight: set[threading.Event] = set()
    stopping: dict[str, asyncio.Event] = {}  # made in the server's loop, at the first request
    given = str(service.settings.index)
    hide = tuple({given, _absolute(given)} if "/" in given else {_absolute(given)})  # not a bare word "index"

    def stop_requests() -> None:
        """Called as the server starts to stop: every request in flight gives up, answered 503."""
        for cancel in list(in_flight):
            cancel.set()
        if "event" in stopping:
            stopping["loop"].call_soon_threadsafe(stopping["event"].set)

    def stop_event() -> asyncio.Event:
        if "event" not in stopping:
            stopping["event"], stopping["loop"] = asyncio.Event(), asyncio.get_running_loop()
        return stopping["event"]

    async def in_thread(request: Request, fn, *args, **kwargs):
        """Blocking qa work on a worker thread; the request stops waiting at its time limit, when its
        client hangs up, or when the server stops, and tells the work to give up."""
        gone = asyncio.ensure_future(_client_gone(request.receive))
        await asyncio.sleep(0)  # the watcher's first step: a client already gone is seen before any work
        if gone.done():
            raise ServiceCancelled("the client closed the connection")
        cancel = threading.Event()
        in_flight.add(cancel)
        future = asyncio.get_running_loop().run_in_executor(workers, functools.partial(fn, *args, **kwargs,
                                                                                       cancelled=cancel))
        stop = asyncio.ensure_future(stop_event().wait())
        try:
            done, _ = await asyncio.wait({future, gone, stop}, timeout=config.limits.timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if future in done:
                return future.result()
            if stop in done:
                raise ServerStopping("the server is shutting down; try again shortly")
            if gone in done:
                raise ServiceCancelled("the client closed the connection")
            raise ServiceTimeout(f"no answer within the server's limit of {config.limits.timeout:g} s")
        finally:
            if not future.done():
                cancel.set()  # the work stops at its next embedding batch or LLM token
                future.add_done_callback(_retrieved)  # it ends in ServiceCancelled, which nobody awaits
            in_flight.discard(cancel)
            gone.cancel()
            stop.cancel()

    async def read_json(request: Request) -> dict:
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            # A web page can send text/plain or a form to any address without asking; JSON it cannot.
            raise HTTPError(415, "send the request body as JSON, with the header Content-Type: application/json",
                            "invalid_request_error")
        declared = request.headers.get("content-length")
        if declared is not None and not declared.isdigit():
            raise HTTPError(400, "the Content-Length header is not a number")
        if declared is not None and int(declared) > config.max_body:
            raise HTTPError(413, f"the request body is larger than {config.max_body} bytes", "request_too_large")

        async def read() -> bytearray:
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > config.max_body:
                    raise HTTPError(413, f"the request body is larger than {config.max_body} bytes",
                                    "request_too_large")
            return body

        try:
            body = await asyncio.wait_for(read(), config.body_timeout)
        except asyncio.TimeoutError:
            raise HTTPError(408, f"the request body did not arrive within {config.body_timeout:g} s",
                            "timeout") from None
        try:
            payload = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise HTTPError(400, "the request body is not valid JSON") from None
        except RecursionError:
            raise HTTPError(400, "the request body is JSON nested too deeply") from None
        if not isinstance(payload, dict):
            raise HTTPError(400, "the request body must be a JSON object")
        return payload

    def refused(request: Request) -> HTTPError | None:
        """Why a request no web page may make is refused (DNS rebinding, cross-site), or None."""
        host = request.headers.get("host")
        if config.loopback and host is not None and not host_is_loopback(host):
            return HTTPError(403, "this server answers only requests addressed to localhost or a loopback "
                                  "address (the Host header names another host)", "permission_error")
        origin = request.headers.get("origin")
        if origin is not None and (host is None or origin.lower() not in (f"http://{host}".lower(),
                                                                          f"https://{host}".lower())):
            return HTTPError(403, "requests from web pages of other origins are refused", "permission_error")
        if request.headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
            return HTTPError(403, "requests from web pages of other sites are refused", "permission_error")
        return None

    def guarded(handler):
        async def endpoint(request: Request) -> Response:
            try:
                refusal = refused(request)
                if refusal is not None:
                    raise refusal
                if config.token is not None:
                    scheme, _, given = request.headers.get("authorization", "").partition(" ")
                    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                             config.token.encode()):
                        raise HTTPError(401, "missing or wrong bearer token (Authorization: Bearer TOKEN)",
                                        "authentication_error", {"WWW-Authenticate": "Bearer"})
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON error, never a traceback
                error = _classify(exc, hide)
                return _error_response(error.status, error.message, error.kind, error.headers)

        return endpoint

    def json_reply(payload) -> Response:
        from ..ingest.markup import neutral_json
        from .render import json_text

        # Article text is untrusted: nothing in a reply for a client to render or fetch (qa.ingest.markup).
        return Response(json_text(neutral_json(payload)), media_type="application/json")

    def query_args(source: dict) -> dict:
        """k checked here; `since`/`until` are read by QA's own date parser (as `qa search --since`)."""
        out = {}
        k = source.get("k")
        if k is not None:
            from ..config import check_setting

            if isinstance(k, bool):
                raise HTTPError(400, f"k must be a whole number from 1 to 100, not {k}")
            try:  # the rule every other way of giving k follows (qa.config)
                out["k"] = check_setting("k", k, "the request")
            except QAError as exc:
                raise HTTPError(400, str(exc)) from None
        for name in ("article", "since", "until"):
            value = source.get(name)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise HTTPError(400, f"{name} must be a string")
            out[name] = value
        return {**out, **time_args(source)}

    def time_args(source: dict) -> dict:
        """as_of (checked by QA: a bad day is a 400 with its message), all/timeline and page."""
        out = {}
        if source.get("as_of") not in (None, ""):
            if not isinstance(source["as_of"], str):
                raise HTTPError(400, "as_of must be a date string, YYYY-MM-DD")
            out["as_of"] = source["as_of"]
        for name in ("all", "timeline"):
            value = source.get(name)
            if value not in (None, "", False, "false", "0"):
                if value not in (True, "true", "1"):
                    raise HTTPError(400, f"{name} must be true or false, not {value!r}")
                out["timeline"] = True
        if source.get("page") not in (None, ""):
            try:
                out["page"] = int(source["page"])
            except (TypeError, ValueError):
                raise HTTPError(400, f"page must be a whole number from 1 on, not {source['page']!r}") from None
        return out

    async def search(request: Request) -> Response:
        params = dict(request.query_params)
        question = params.get("q") or params.get("question")
        if not question:
            raise HTTPError(400, "give the question as ?q=...")
        args = query_args(params)
        if args.pop("timeline", None) or args.pop("page", None):
            raise HTTPError(400, "all, timeline and page belong to POST /ask")
        result = await in_thread(request, service.search, question, **args)
        return json_reply(result.as_json())

    async def ask(request: Request) -> Response:
        body = await read_json(request)
        question = body.get("question", body.get("q"))
        if not isinstance(question, str) or not question.strip():
            raise HTTPError(400, 'give the question as {"question": "..."}')
        answer = await in_thread(request, service.ask, question, **query_args(body))
        return json_reply(answer.as_json())

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [
            {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "qa"}]})

    async def chat_completions(request: Request) -> Response:
        body = await read_json(request)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise HTTPError(400, "messages must be a non-empty list")
        pairs = []
        for m in messages:
            if not isinstance(m, dict) or not isinstance(m.get("role"), str):
                raise HTTPError(400, "each message must be an object with a role and content")
            try:
                pairs.append((m["role"], message_text(m.get("content"))))
            except QAError as exc:
                raise HTTPError(400, str(exc)) from None
        from ..ingest.markup import neutral_json

        k = query_args(body).get("k")
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        model = body.get("model") if isinstance(body.get("model"), str) else MODEL_ID
        if not body.get("stream"):
            reply = await in_thread(request, service.chat, pairs, k)
            return JSONResponse({
                "id": completion_id, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply_text(reply.answer)},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "qa": neutral_json(reply.as_json()),
            })

        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        task = asyncio.ensure_future(in_thread(request, service.chat, pairs, k))
        # The status line waits for the answer a while: an error before it is a real status (503 ...).
        done, _ = await asyncio.wait({task}, timeout=FIRST_BYTE_SECONDS)
        if done and task.exception() is not None:
            raise task.exception()

        async def events():
            try:
                yield chunk({"role": "assistant", "content": ""})
                while True:
                    done, _ = await asyncio.wait({task}, timeout=KEEPALIVE_SECONDS)
                    if done:
                        break
                    yield ": still answering\n\n"
                try:
                    reply = task.result()
                except Exception as exc:  # noqa: BLE001 - the status line is sent: the error goes in-stream
                    error = _classify(exc, hide)
                    yield f"data: {json.dumps({'error': {'message': error.message, 'type': error.kind, 'code': error.status}})}\n\n"
                    return
                # The answer is streamed once verified: an unverified draft could not be taken back.
                for piece in _pieces(reply_text(reply.answer)):
                    yield chunk({"content": piece})
                yield chunk({}, "stop", qa=neutral_json(reply.as_json()))
                yield "data: [DONE]\n\n"
            finally:
                task.cancel()  # the client left (the stream was cancelled): in_thread tells the work

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def not_found(request: Request, exc) -> Response:
        return _error_response(404, f"no such endpoint: {request.method} {request.url.path}", "not_found")

    async def not_allowed(request: Request, exc) -> Response:
        return _error_response(405, f"{request.method} is not allowed on {request.url.path}", "invalid_request_error")

    async def server_error(request: Request, exc) -> Response:
        return _error_response(500, "internal error; the server's log has the details", "server_error")

    routes = [
        Route("/v1/chat/completions", guarded(chat_completions), methods=["POST"]),
        Route("/v1/models", guarded(models), methods=["GET"]),
        Route("/search", guarded(search), methods=["GET"]),
        Route("/ask", guarded(ask), methods=["POST"]),
    ]
    from .web import page_routes  # the page at / and the JSON it reads (/web/...)

    routes += page_routes(service, guarded=guarded, in_thread=in_thread, read_json=read_json,
                          query_args=query_args, classify=_classify)
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed, 500: server_error})
    app.state.stop_requests = stop_requests
    return app


def _retrieved(future) -> None:
    if not future.cancelled():
        future.exception()


def _absolute(path) -> str:
    from pathlib import Path

    return str(Path(str(path)).expanduser().absolute())


def _pieces(text: str, words: int = 6):
    """The reply in pieces of a few words (whitespace kept), as a streaming client expects deltas."""
    import re

    tokens = re.findall(r"\S+\s*|\s+", text)
    for start in range(0, len(tokens), words):
        yield "".join(tokens[start : start + words])


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def serve(service: Service, config: ServerConfig, host: str, port: int, on_listening=None) -> None:
    """Run until interrupted. The socket is bound here so `--port 0` works: `on_listening(url)` is
    called with the real address before the first request is accepted."""
    import socket

    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise QAError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(1024)
    bound_host, bound_port = sock.getsockname()[:2]
    from .serve_protocol import guarded_protocol

    app = create_app(service, config)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            app.state.stop_requests()  # requests in flight answer 503 now, so shutting down waits for none
            super().handle_exit(sig, frame)

    server = Server(uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=5, server_header=False,
        http=guarded_protocol(config.header_timeout, config.max_connections), timeout_keep_alive=config.keep_alive,
        backlog=1024))
    if on_listening:
        shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
        on_listening(f"http://{shown}:{bound_port}")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
