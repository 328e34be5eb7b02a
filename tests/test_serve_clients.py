"""`qa serve` under clients that misbehave or mean harm: real `qa serve` processes on loopback ports,
driven over real sockets. Clients that hang up free the LLM; web pages cannot reach a loopback server
(DNS rebinding, cross-site simple requests); slow clients cannot hold connections; errors are real
statuses with JSON bodies and no server paths; Ctrl-C answers the requests in flight."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO
from tests.test_serve import Server, http


def address(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.url)
    return parts.hostname, parts.port


def raw(server: Server, request: bytes, timeout: float = 60) -> tuple[int, dict, bytes]:
    """One request written as given on a new socket; (status, headers, body) of the reply."""
    with socket.create_connection(address(server), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def post(path: str, payload, host: str = "127.0.0.1", content_type: str | None = "application/json",
         extra: str = "", body: bytes | None = None) -> bytes:
    data = body if body is not None else json.dumps(payload).encode()
    typed = f"Content-Type: {content_type}\r\n" if content_type else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{typed}Content-Length: {len(data)}\r\n{extra}"
            f"Connection: close\r\n\r\n").encode() + data


def get(path: str, host: str = "127.0.0.1", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode()


def error_of(body: bytes) -> dict:
    return json.loads(body)["error"]


@pytest.fixture(scope="module")
def open_server(sample_index, tmp_path_factory):
    """A loopback server without a token: what a user runs on a laptop."""
    running = Server(["--index", str(sample_index)], tmp_path_factory.mktemp("open"), {})
    yield running
    running.stop()


KLINGNER = {"question": "What did Klingner say?"}


# --- web pages cannot use a loopback server ------------------------------------------------------------


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8765", "127.0.0.1.nip.io",
                                  "localhost.attacker.example", "0.0.0.0", "[::2]"])
def test_a_rebound_host_name_is_refused(open_server, host):
    """DNS rebinding: a page on attacker.example whose name now resolves to 127.0.0.1 sends its own Host."""
    for request in (get("/search?q=Klingner", host=host), post("/ask", KLINGNER, host=host)):
        status, _, body = raw(open_server, request)
        assert status == 403, body
        assert "Host" in error_of(body)["message"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST.", "qa.localhost", "127.0.0.2", "[::1]"])
def test_loopback_host_names_are_served(open_server, host):
    port = address(open_server)[1]
    status, _, body = raw(open_server, get("/search?q=Klingner&k=1", host=f"{host}:{port}"))
    assert status == 200, body
    assert json.loads(body)["passages"][0]["paragraph"] == 22


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_a_post_that_a_web_page_may_send_unasked_is_refused(open_server, content_type):
    """Simple requests (no CORS preflight): a page can send them anywhere; JSON it cannot."""
    for path, payload in (("/ask", KLINGNER), ("/v1/chat/completions",
                                               {"model": "qa", "messages": [{"role": "user", "content": "Klingner?"}]})):
        status, _, body = raw(open_server, post(path, payload, content_type=content_type))
        assert status == 415, body
        assert "application/json" in error_of(body)["message"]


def test_requests_from_another_origin_are_refused(open_server):
    port = address(open_server)[1]
    for extra in ("Origin: http://attacker.example\r\n", "Origin: null\r\n", f"Origin: http://localhost:{port + 1}\r\n",
                  "Sec-Fetch-Site: cross-site\r\n", "Sec-Fetch-Site: same-site\r\n"):
        for request in (get("/search?q=Klingner", extra=extra), post("/ask", KLINGNER, extra=extra)):
            status, _, body = raw(open_server, request)
            assert status == 403, (extra, body)
    same = f"Origin: http://127.0.0.1:{port}\r\nSec-Fetch-Site: same-origin\r\n"
    status, _, body = raw(open_server, post("/ask", KLINGNER, host=f"127.0.0.1:{port}", extra=same))
    assert status == 200, body


# --- bad values are 400s -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b'{"question": "What did Klingner say?", "k": 1e400}',
                                  b'{"question": "What did Klingner say?", "k": -1e400}',
                                  b'{"question": "What did Klingner say?", "k": 2.5}',
                                  b'{"question": "What did Klingner say?", "k": true}',
                                  b'{"question": "What did Klingner say?", "k": ' + b"9" * 5000 + b"}",
                                  b"[" * 100_000 + b"]" * 100_000,
                                  b'{"question": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_000 + b"}"])
def test_impossible_numbers_and_deep_json_are_400(open_server, body):
    for path in ("/ask", "/v1/chat/completions"):
        status, headers, reply = raw(open_server, post(path, None, body=body))
        assert status == 400, reply[:300]
        assert headers["content-type"].startswith("application/json")
        assert error_of(reply)["type"] == "invalid_request_error"
    status, _, reply = raw(open_server, get("/search?q=Klingner&k=1e400"))
    assert status == 400, reply


# --- slow and vanished clients ------------------------------------------------------------------------


def test_slow_header_clients_are_dropped_and_real_ones_served(open_server):
    """Slowloris: 300 connections send a request's headers a byte at a time; a real client is served
    meanwhile, and the server closes the slow ones once their headers are overdue (10 s)."""
    slow = []
    for _ in range(300):
        sock = socket.create_connection(address(open_server), timeout=30)
        sock.sendall(b"GET /search?q=Klingner HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.append(sock)
    try:
        started = time.monotonic()
        status, _, body = raw(open_server, get("/search?q=Klingner&k=1"))
        assert status == 200, body
        closed = set()
        while len(closed) < len(slow) and time.monotonic() - started < 40:
            for n, sock in enumerate(slow):
                if n in closed:
                    continue
                try:
                    sock.sendall(b"X")  # one more header byte, as a slowloris client sends
                    sock.setblocking(False)
                    try:
                        if sock.recv(1024) == b"":
                            closed.add(n)
                    except BlockingIOError:
                        pass
                    finally:
                        sock.setblocking(True)
                except OSError:
                    closed.add(n)
            time.sleep(1)
        assert len(closed) == len(slow), f"{len(slow) - len(closed)} slow connections still open"
        status, _, body = raw(open_server, get("/search?q=Klingner&k=1"))
        assert status == 200, body
    finally:
        for sock in slow:
            sock.close()


def test_past_the_connection_limit_the_oldest_idle_connection_makes_room(open_server):
    """1,100 idle connections against the limit of 1,000: the server still answers a real client at
    once, and at most 1,000 connections are held open."""
    running = open_server
    idle = []
    try:
        for _ in range(1100):
            idle.append(socket.create_connection(address(running), timeout=30))
        status, _, body = raw(running, get("/search?q=Klingner&k=1"), timeout=30)
        assert status == 200, body
        time.sleep(0.5)
        still_open = 0
        for sock in idle:
            sock.setblocking(False)
            try:
                if sock.recv(1) != b"":
                    still_open += 1
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
        assert still_open <= 1000, still_open
        assert still_open >= 900  # the newest stayed: only what was needed was closed
    finally:
        for sock in idle:
            sock.close()


def _wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_clients_that_hang_up_free_the_llm(sample_index, tmp_path):
    """Three clients ask (the LLM trickles its answer forever) and hang up: the next question gets the
    LLM at once, not a 503 until their time limit runs out. --queue 2: the three fill the queue. The
    same server sees this with streamed requests, then with plain ones."""
    from tests.fake_llm_server import FakeLLMServer

    with FakeLLMServer(mode="trickle") as fake:
        running = Server(["--index", str(sample_index), "--queue", "2", "--timeout", "100"], tmp_path,
                         {"QA_LLM": "openai", "QA_BASE_URL": fake.url, "QA_LLM_MODEL": "fake-model",
                          "QA_LLM_TIMEOUT": "100"})
        try:
            for stream in (True, False):
                fake.mode = "trickle"
                before = fake.chat_requests
                payload = {"model": "qa", "stream": stream,
                           "messages": [{"role": "user", "content": "What did Klingner say?"}]}
                gone = []
                for _ in range(3):
                    sock = socket.create_connection(address(running), timeout=30)
                    sock.sendall(post("/v1/chat/completions", payload))
                    gone.append(sock)
                _wait_for(lambda before=before: fake.chat_requests == before + 1)
                time.sleep(0.5)
                for sock in gone:
                    sock.close()
                fake.mode = "ok"
                status, body, _ = None, "", None
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    status, body, _ = http("POST", f"{running.url}/ask", json.dumps(KLINGNER).encode(), token=None)
                    if status == 200:
                        break
                    assert status == 503, body
                    time.sleep(0.5)
                assert status == 200, (stream, body)
                assert json.loads(body)["backend"] == "openai"
                assert fake.chat_requests == before + 2  # the two queued behind the first never reached the LLM
        finally:
            running.stop()


def test_a_full_queue_is_a_503_streamed_or_not(sample_index, tmp_path):
    """One LLM answer at a time and no queue (--queue 0): while the LLM writes one answer, a second
    question is refused at once with 503 and never reaches the LLM, and so is a streamed one, before its
    first token (a real status, not a 200 with the error in the stream); the first is then answered."""
    from tests.fake_llm_server import FakeLLMServer

    release = threading.Event()

    def slow_reply(body: dict) -> str:  # the LLM "writes" until the test lets it finish
        release.wait(60)
        return "Klingner said Kim could see an upside in reaching out to Trump. [1]"

    with FakeLLMServer(reply=slow_reply) as fake:
        running = Server(["--index", str(sample_index), "--queue", "0"], tmp_path,
                         {"QA_LLM": "openai", "QA_BASE_URL": fake.url, "QA_LLM_MODEL": "fake-model"})
        try:
            first: dict = {}
            worker = threading.Thread(target=lambda: first.update(result=http(
                "POST", f"{running.url}/ask", json.dumps(KLINGNER).encode(), token=None)))
            worker.start()
            _wait_for(lambda: fake.chat_requests == 1)
            status, body, headers = http("POST", f"{running.url}/ask",
                                         json.dumps({"question": "What did Pardo say?"}).encode(), token=None)
            assert status == 503, body
            assert "busy" in json.loads(body)["error"]["message"]
            assert headers["retry-after"]
            payload = {"model": "qa", "stream": True, "messages": [{"role": "user", "content": "What did Pardo say?"}]}
            status, headers, body = raw(running, post("/v1/chat/completions", payload))
            assert status == 503, body
            assert headers["retry-after"] == "5"
            assert headers["content-type"].startswith("application/json")
            assert "busy" in error_of(body)["message"]
            assert fake.chat_requests == 1
            release.set()
            worker.join(60)
            status, body, _ = first["result"]
            assert status == 200, body
            assert json.loads(body)["backend"] == "openai"
        finally:
            release.set()
            running.stop()


def test_ctrl_c_mid_answer_answers_the_client_and_exits_cleanly(sample_index, tmp_path):
    from tests.fake_llm_server import FakeLLMServer

    with FakeLLMServer(mode="trickle") as fake:
        running = Server(["--index", str(sample_index)], tmp_path,
                         {"QA_LLM": "openai", "QA_BASE_URL": fake.url, "QA_LLM_MODEL": "fake-model"})
        try:
            result: dict = {}
            asking = threading.Thread(target=lambda: result.update(reply=raw(running, post("/ask", KLINGNER))))
            asking.start()
            _wait_for(lambda: fake.chat_requests == 1)
            running.process.send_signal(signal.SIGINT)
            asking.join(30)
            assert running.process.wait(30) == 130
            status, headers, body = result["reply"]
            assert status == 503, body
            assert headers["content-type"].startswith("application/json")
            assert "shutting down" in error_of(body)["message"]
            log = running.log.read_text()
            assert "Traceback" not in log and "Exception" not in log, log
        finally:
            running.stop()


# --- errors say nothing about the server's files ---------------------------------------------------------


def test_a_damaged_index_is_a_500_without_server_paths(sample_index, tmp_path):
    import shutil

    index = tmp_path / "private-location" / "index"
    shutil.copytree(sample_index, index)
    running = Server(["--index", str(index)], tmp_path, {})
    try:
        for vectors in index.glob("vectors.*.faiss"):  # damaged after start, before the first search
            vectors.write_bytes(b"\0" * vectors.stat().st_size)
        for request in (get("/search?q=Klingner"), post("/ask", KLINGNER),
                        post("/v1/chat/completions", {"model": "qa", "messages": [{"role": "user",
                                                                                    "content": "Klingner?"}]})):
            status, _, body = raw(running, request)
            assert status == 500, body
            text = body.decode()
            assert "private-location" not in text and "vectors." not in text and "/tmp" not in text, text
            assert "index" in error_of(body)["message"]
        assert "damaged" in running.log.read_text()  # the details are in the server's log
    finally:
        running.stop()


# --- tokens a client could never send ----------------------------------------------------------------


@pytest.mark.parametrize("token", ["secret-token ", " secret-token", "secret\ttoken", "s€cret-token",
                                   "secret-tokén-日本"])
def test_a_token_no_client_can_send_is_refused_at_start(sample_index, tmp_path, token):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_CONFIG=str(tmp_path / "no-config.toml"), QA_LLM="none", QA_SERVE_TOKEN=token)
    done = subprocess.run([sys.executable, "-m", "qa", "serve", "--port", "0", "--index", str(sample_index)],
                          env=env, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 1, done.stderr
    assert "QA_SERVE_TOKEN" in done.stderr and "Traceback" not in done.stderr


def test_a_latin1_token_works(sample_index, tmp_path):
    token = "clé-secrète"
    running = Server(["--index", str(sample_index)], tmp_path, {"QA_SERVE_TOKEN": token})
    try:
        request = get("/search?q=Klingner&k=1")[:-2] + b"Authorization: Bearer " + token.encode("latin-1") + b"\r\n\r\n"
        status, _, body = raw(running, request)
        assert status == 200, body
    finally:
        running.stop()


def test_a_client_that_hangs_up_stops_its_extractive_answer(sample_index):
    """Embedding is most of an extractive answer's work: once the client has hung up it stops at its
    next batch. The app runs in this process (a real uvicorn server on loopback) so the test sees the
    embedding calls: the question's embedding is held until the server has seen the client go, and
    nothing more is embedded after it; a client that stays gets the answer, which embeds more."""
    import asyncio

    import uvicorn

    from qa.config import load_settings
    from qa.front.server import ServerConfig, create_app
    from qa.front.service import Service

    service = Service(load_settings(index=sample_index, llm="none"))
    embedder = service.open().embedder
    real, calls, hold = embedder._encoder, [], threading.Event()

    class Held:
        """The real encoder; while `hold` is set, its first call waits for the request to be given up."""

        backend, dimension = real.backend, real.dimension

        def encode(self, texts, batch_size, check=None):
            calls.append(len(texts))
            deadline = time.monotonic() + 30
            while hold.is_set() and len(calls) == 1 and check is not None and time.monotonic() < deadline:
                try:
                    check()
                except Exception:  # noqa: BLE001 - given up: the real encoder sees it at its first batch
                    break
                time.sleep(0.01)
            return real.encode(texts, batch_size, check)

    embedder._encoder = Held()
    outcomes: list[str] = []
    ask = service.ask

    def recorded(*args, **kwargs):
        try:
            answer = ask(*args, **kwargs)
        except BaseException as exc:
            outcomes.append(type(exc).__name__)
            raise
        outcomes.append("answered")
        return answer

    service.ask = recorded
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(service, ServerConfig()), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        _wait_for(lambda: server.started)
        question = {"question": "Why did North Korea sign the treaty with Russia?"}
        with socket.create_connection(("127.0.0.1", port), timeout=30) as client:  # stays: answered
            client.sendall(post("/ask", question))
            assert client.recv(100).startswith(b"HTTP/1.1 200")
        assert outcomes == ["answered"] and len(calls) > 1  # the question, then the passages' sentences
        calls.clear()
        hold.set()
        client = socket.create_connection(("127.0.0.1", port), timeout=30)
        client.sendall(post("/ask", question))
        _wait_for(lambda: calls)
        client.close()
        _wait_for(lambda: len(outcomes) == 2)
        assert outcomes[1] == "ServiceCancelled" and calls == calls[:1], (outcomes, calls)
    finally:
        server.should_exit = True
        thread.join(10)
        service.close()
