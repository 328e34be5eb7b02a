"""A misbehaving OpenAI-compatible server on loopback, for the failures a real server can't be made
to produce on demand. It speaks the real protocol (JSON, SSE streaming) over a real socket."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLMServer:
    """`mode`: ok | http500 | garbage | hang | half | empty | overflow | trickle (a token every 0.2 s,
    forever) | pings (one token, then SSE keep-alive comments forever). `reply` is the answer, or a
    function of the request body that returns it. `chat_requests` counts calls."""

    def __init__(self, mode: str = "ok", reply="Klingner said Kim could see an upside. [1]"):
        self.mode = mode
        self.reply = reply
        self.chat_requests = 0
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _json(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                server.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                server.headers.append(dict(self.headers))
                server.chat_requests += 1
                mode = server.mode
                if mode == "http500":
                    return self._json(500, {"error": {"message": "internal error", "type": "server_error"}})
                if mode == "overflow":
                    return self._json(400, {"error": {"message": "the request exceeds the available context size",
                                                      "type": "exceed_context_size_error"}})
                if mode == "hang":
                    time.sleep(5)
                    try:
                        self._json(500, {"error": {"message": "too late"}})
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client gave up long ago, as it should
                    return
                if mode == "garbage":
                    body = b"<html>this is not an API</html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                reply = server.reply(server.bodies[-1]) if callable(server.reply) else server.reply
                if mode in ("trickle", "pings"):
                    first = True
                    try:
                        while True:  # until the client gives up and a write fails
                            if mode == "trickle" or first:
                                self._chunk({"id": "c", "object": "chat.completion.chunk", "created": 0,
                                             "model": "fake-model", "choices": [{"index": 0, "delta": {
                                                 "content": "Klingner said "}, "finish_reason": None}]})
                            else:
                                self._raw(b": ping\n\n")  # an SSE comment: keeps the connection busy
                            first = False
                            time.sleep(0.2)
                    except (BrokenPipeError, ConnectionResetError):
                        return
                words = [] if mode == "empty" else reply.split(" ")
                for i, word in enumerate(words):
                    piece = word if i == 0 else " " + word
                    self._chunk({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "fake-model",
                                 "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
                    if mode == "half" and i == 2:
                        self.wfile.write(b"5\r\ndata:")  # a chunk cut off mid-way, then the connection drops
                        self.wfile.flush()
                        self.close_connection = True
                        return
                self._chunk({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "fake-model",
                             "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self._raw(b"data: [DONE]\n\n")
                self._raw(b"")

            def _chunk(self, payload: dict) -> None:
                self._raw(b"data: " + json.dumps(payload).encode() + b"\n\n")

            def _raw(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # Clients that give up (timeouts, dropped streams) are the point of these tests;
                # a traceback from this thread would land in a test's captured output.
                import sys

                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeLLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
