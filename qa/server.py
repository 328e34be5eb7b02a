"""`qa serve`: the index over HTTP, for OpenAI-compatible chat clients and for programs.

Routes (all JSON; errors are `{"error": {"message", "type", "code"}}` as the OpenAI API writes them,
with qa's one-line message and never a traceback):

- `POST /v1/chat/completions` (streamed or not) and `GET /v1/models`: the last user message is the
  question, earlier turns feed the follow-up rewriting of `qa chat`; the reply is the verified answer
  with its sources listed after it, and the field `qa` holds the same JSON as `qa ask --json` (plus
  `standalone_question`).
- `GET /search?q=...&k=&article=&since=&until=` and `POST /ask` (`{"question": ..., "k", "article",
  "since", "until"}`): exactly what `qa search --json` / `qa ask --json` print.

Searches run in parallel on a pool of index readers; LLM answers one at a time behind a bounded queue
(503 when it is full); each request has a time limit (504). An optional bearer token comes from the
environment (`QA_SERVE_TOKEN`) only, so it never sits in shell history or a config file.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .errors import LLMError, QAError
from .service import Limits, Service, ServiceBusy, ServiceTimeout, message_text, reply_text

MODEL_ID = "qa"
KEEPALIVE_SECONDS = 10.0  # an SSE comment while an answer is being written, so proxies keep the stream
log = logging.getLogger("qa.server")


@dataclass(frozen=True)
class ServerConfig:
    token: str | None = None  # bearer token; None = no authentication (loopback only, or --insecure)
    max_body: int = 256 * 1024  # bytes: a chat history of a few dozen turns fits
    limits: Limits = Limits()


class HTTPError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.headers = status, message, kind, headers or {}


def _error_response(status: int, message: str, kind: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status,
                        headers=headers)


def _classify(exc: BaseException) -> HTTPError:
    """What a failed request answers: busy 503, too slow 504, LLM 502, qa's own errors 400; anything
    else is a bug, logged here with its traceback and answered 500 without one."""
    if isinstance(exc, HTTPError):
        return exc
    if isinstance(exc, ServiceBusy):
        return HTTPError(503, str(exc), "server_busy", {"Retry-After": "5"})
    if isinstance(exc, (ServiceTimeout, TimeoutError)):
        return HTTPError(504, str(exc) or "the request took too long", "timeout")
    if isinstance(exc, LLMError):
        return HTTPError(502, str(exc), "llm_error")
    if isinstance(exc, QAError):
        return HTTPError(400, str(exc), "invalid_request_error")
    log.exception("unexpected error", exc_info=exc)
    return HTTPError(500, "internal error; the server's log has the details", "server_error")


def create_app(service: Service, config: ServerConfig) -> Starlette:
    """The ASGI app. The service's index and models are opened by the caller (before listening)."""

    # Work a request gives up on (its time is up, or its client left) finishes on its own: its thread
    # cannot be stopped, but each step bounds itself (reader and LLM waits, the LLM's token watch).
    workers = ThreadPoolExecutor(max_workers=64, thread_name_prefix="qa-request")

    async def in_thread(fn, *args):
        """Blocking qa work on a worker thread; the request stops waiting at its time limit."""
        future = asyncio.get_running_loop().run_in_executor(workers, functools.partial(fn, *args))
        try:
            return await asyncio.wait_for(future, config.limits.timeout)
        except asyncio.TimeoutError:
            raise ServiceTimeout(f"no answer within the server's limit of {config.limits.timeout:g} s") from None

    async def read_json(request: Request) -> dict:
        declared = request.headers.get("content-length")
        if declared is not None and not declared.isdigit():
            raise HTTPError(400, "the Content-Length header is not a number")
        if declared is not None and int(declared) > config.max_body:
            raise HTTPError(413, f"the request body is larger than {config.max_body} bytes", "request_too_large")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > config.max_body:
                raise HTTPError(413, f"the request body is larger than {config.max_body} bytes", "request_too_large")
        try:
            payload = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise HTTPError(400, "the request body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise HTTPError(400, "the request body must be a JSON object")
        return payload

    def guarded(handler):
        async def endpoint(request: Request) -> Response:
            try:
                if config.token is not None:
                    scheme, _, given = request.headers.get("authorization", "").partition(" ")
                    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                             config.token.encode()):
                        raise HTTPError(401, "missing or wrong bearer token (Authorization: Bearer TOKEN)",
                                        "authentication_error", {"WWW-Authenticate": "Bearer"})
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON error, never a traceback
                error = _classify(exc)
                return _error_response(error.status, error.message, error.kind, error.headers)

        return endpoint

    def json_reply(payload) -> Response:
        from .render import json_text

        return Response(json_text(payload), media_type="application/json")

    def query_args(source: dict) -> dict:
        """k checked here; `since`/`until` are read by QA's own date parser (as `qa search --since`)."""
        out = {}
        k = source.get("k")
        if k is not None:
            try:
                k = int(k)
            except (TypeError, ValueError):
                raise HTTPError(400, f"k must be a whole number from 1 to 100, not {k!r}") from None
            if not 1 <= k <= 100:
                raise HTTPError(400, f"k must be from 1 to 100, not {k}")
            out["k"] = k
        for name in ("article", "since", "until"):
            value = source.get(name)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise HTTPError(400, f"{name} must be a string")
            out[name] = value
        return out

    async def search(request: Request) -> Response:
        params = dict(request.query_params)
        question = params.get("q") or params.get("question")
        if not question:
            raise HTTPError(400, "give the question as ?q=...")
        result = await in_thread(functools.partial(service.search, question, **query_args(params)))
        return json_reply(result.as_json())

    async def ask(request: Request) -> Response:
        body = await read_json(request)
        question = body.get("question", body.get("q"))
        if not isinstance(question, str) or not question.strip():
            raise HTTPError(400, 'give the question as {"question": "..."}')
        answer = await in_thread(functools.partial(service.ask, question, **query_args(body)))
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
        k = query_args(body).get("k")
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        model = body.get("model") if isinstance(body.get("model"), str) else MODEL_ID
        if not body.get("stream"):
            reply = await in_thread(service.chat, pairs, k)
            return JSONResponse({
                "id": completion_id, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply_text(reply.answer)},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "qa": reply.as_json(),
            })

        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        async def events():
            task = asyncio.ensure_future(in_thread(service.chat, pairs, k))
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
                    error = _classify(exc)
                    yield f"data: {json.dumps({'error': {'message': error.message, 'type': error.kind, 'code': error.status}})}\n\n"
                    return
                # The answer is streamed once verified: an unverified draft could not be taken back.
                for piece in _pieces(reply_text(reply.answer)):
                    yield chunk({"content": piece})
                yield chunk({}, "stop", qa=reply.as_json())
                yield "data: [DONE]\n\n"
            finally:
                task.cancel()

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
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed, 500: server_error})


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
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise QAError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    bound_host, bound_port = sock.getsockname()[:2]
    app = create_app(service, config)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                           timeout_graceful_shutdown=5, server_header=False))
    if on_listening:
        shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
        on_listening(f"http://{shown}:{bound_port}")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
