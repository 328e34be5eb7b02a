"""`qa serve` as a client sees it: a real server process on a loopback port, driven with the openai
client and plain HTTP; the sample article's index; extractive answers (an LLM only where the queue
is tested, played by the loopback fake server, made slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

TOKEN = "test-token-4f1c"


class Server:
    """`qa serve --port 0 ...` in its own process; `url` is read from the line it prints."""

    def __init__(self, args: list[str], workdir: Path, env: dict[str, str]):
        base = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        base.update({"QA_CONFIG": str(workdir / "no-config.toml"), "QA_LLM": "none"}, **env)
        self.log = workdir / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "w") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--port", "0", *args],
                                            stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=base, cwd=REPO)
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = self.log.read_text()
            if "listening on " in text:
                return text.split("listening on ", 1)[1].split()[0]
            if self.process.poll() is not None:
                raise AssertionError(f"qa serve exited with {self.process.returncode}: {text}")
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"qa serve did not start: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def http(method: str, url: str, body: bytes | None = None, token: str | None = TOKEN) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def cli_json(*args: str, index: Path, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_CONFIG=str(tmp_path / "no-config.toml"), QA_LLM="none")
    done = subprocess.run([sys.executable, "-m", "qa", *args, "--index", str(index), "--json"], env=env,
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def served_index(sample_index, tmp_path_factory) -> Path:
    """A private copy of the sample index: one test adds an article to it while the server runs."""
    import shutil

    target = tmp_path_factory.mktemp("served") / "index"
    shutil.copytree(sample_index, target)
    return target


@pytest.fixture(scope="module")
def server(served_index, tmp_path_factory):
    running = Server(["--index", str(served_index)], tmp_path_factory.mktemp("serve"), {"QA_SERVE_TOKEN": TOKEN})
    yield running
    running.stop()


@pytest.fixture
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=f"{server.url}/v1", api_key=TOKEN, max_retries=0, timeout=60)


def cited_paragraphs(payload: dict) -> set[int]:
    return {c["paragraph"] for c in payload["citations"]}


def test_models_lists_qa(client):
    assert [m.id for m in client.models.list().data] == ["qa"]


def test_chat_answers_with_sources_and_structured_citations(client):
    completion = client.chat.completions.create(
        model="qa", messages=[{"role": "user", "content": "What did Klingner say?"}])
    reply = completion.choices[0].message.content
    qa = completion.model_extra["qa"]
    assert cited_paragraphs(qa) and cited_paragraphs(qa) <= {22, 23, 24}
    assert "Klingner" in reply
    answer, sources = reply.split("\n\nSources:\n")
    assert answer == qa["answer"]
    assert all(f"[{c['n']}] {c['citation']}" in sources.splitlines() for c in qa["citations"])
    assert "¶22" in sources


def test_streamed_chat_is_the_same_reply(client):
    messages = [{"role": "user", "content": "What did Klingner say?"}]
    whole = client.chat.completions.create(model="qa", messages=messages).choices[0].message.content
    chunks = list(client.chat.completions.create(model="qa", messages=messages, stream=True))
    assert len(chunks) > 2  # delivered in pieces, not as one block
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert cited_paragraphs(chunks[-1].model_extra["qa"]) <= {22, 23, 24}


def test_follow_up_reaches_the_other_speaker(client):
    first = client.chat.completions.create(
        model="qa", messages=[{"role": "user", "content": "What did Klingner say?"}]).choices[0].message.content
    completion = client.chat.completions.create(model="qa", messages=[
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "What did Klingner say?"},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "And what did Pardo say?"},
    ])
    qa = completion.model_extra["qa"]
    assert qa["standalone_question"] == "What did Pardo say?"
    assert cited_paragraphs(qa) == {13, 21}
    assert "Pardo" in completion.choices[0].message.content


def test_search_and_ask_json_are_the_clis(server, served_index, tmp_path):
    question = "What did Klingner say?"
    status, body, headers = http("GET", f"{server.url}/search?q={urllib.request.quote(question)}&k=3")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert body == cli_json("search", question, "-k", "3", index=served_index, tmp_path=tmp_path).strip()

    status, body, _ = http("POST", f"{server.url}/ask", json.dumps({"question": question, "k": 3}).encode())
    assert status == 200
    assert body == cli_json("ask", question, "-k", "3", index=served_index, tmp_path=tmp_path).strip()
    assert cited_paragraphs(json.loads(body)) <= {22, 23, 24}


def test_dates_are_read_as_qa_search_reads_them(server, served_index, tmp_path):
    """`since`/`until` take a year, a month or a day, as `qa search --since` does, with the same result."""
    from qa.ingest.dates import DateError, date_range

    question = "What did Klingner say?"
    for params in ({"since": "2024"}, {"until": "2023-12"}):
        query = urllib.parse.urlencode({"q": question, "k": 3, **params})
        status, body, _ = http("GET", f"{server.url}/search?{query}")
        assert status == 200, body
        flags = [item for name, value in params.items() for item in (f"--{name}", value)]
        assert body == cli_json("search", question, "-k", "3", *flags, index=served_index, tmp_path=tmp_path).strip()
    assert json.loads(http("GET", f"{server.url}/search?q=Klingner&since=2024-11")[1])["passages"]
    with pytest.raises(DateError) as expected:
        date_range("2024-02-30", None)
    status, body, _ = http("GET", f"{server.url}/search?q=Klingner&since=2024-02-30")
    assert status == 400 and json.loads(body)["error"]["message"] == str(expected.value)


def test_wrong_or_missing_token_refused(server):
    import openai

    for token in (None, "wrong-token"):
        status, body, headers = http("GET", f"{server.url}/search?q=Kim", token=token)
        assert status == 401, body
        assert "bearer token" in json.loads(body)["error"]["message"]
        assert headers["www-authenticate"] == "Bearer"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong-token", max_retries=0).chat.completions.create(
            model="qa", messages=[{"role": "user", "content": "What did Klingner say?"}])


def test_oversized_and_malformed_requests_get_clean_errors(server):
    big = json.dumps({"question": "Kim " * 100_000}).encode()  # 400 KB > the 256 KB default
    status, body, _ = http("POST", f"{server.url}/ask", big)
    assert status == 413
    assert "larger than" in json.loads(body)["error"]["message"]
    for payload, fragment in ((b"{not json", "not valid JSON"), (b'{"question": ""}', "give the question"),
                              (b'{"question": "Kim", "k": 0}', "k must be"),
                              (b'{"question": "Kim", "since": "soon"}', "not a date")):
        status, body, _ = http("POST", f"{server.url}/ask", payload)
        assert status == 400, body
        assert fragment in json.loads(body)["error"]["message"]
        assert "Traceback" not in body
    status, body, _ = http("POST", f"{server.url}/ask", json.dumps({"question": "Kim", "article": "no such"}).encode())
    assert status == 400 and "no indexed article matches" in json.loads(body)["error"]["message"]


def test_server_follows_the_index_while_qa_index_writes_it(server, served_index, tmp_path):
    """`qa index` adds an article while the server runs; the next search finds it (the readers follow
    commits), and the sample article is still found as before."""
    article = tmp_path / "harbour.txt"
    article.write_text("Harbour festival draws record crowds\n\nThe Quenbridge harbour festival drew a record "
                       "120,000 visitors on Saturday, organisers said.\n\nFireworks closed the evening.\n")
    url = f"{server.url}/search?q=Quenbridge+harbour+festival&k=1"
    assert json.loads(http("GET", url)[1])["passages"][0]["article_id"] != "harbour"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_CONFIG=str(tmp_path / "no-config.toml"))
    done = subprocess.run([sys.executable, "-m", "qa", "index", str(article), "--index", str(served_index)],
                          env=env, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(http("GET", url)[1])["passages"][0]
    assert found["article_id"] == "harbour" and "120,000 visitors" in found["text"]
    klingner = json.loads(http("GET", f"{server.url}/search?q=What+did+Klingner+say%3F&k=3")[1])
    assert [p["paragraph"] for p in klingner["passages"]] == [22, 23, 24]


def test_request_time_limit_answered_504(sample_index, tmp_path):
    """An answer the LLM has not finished within --timeout is answered 504 with a one-line message."""
    from tests.fake_llm_server import FakeLLMServer

    release = threading.Event()

    def stuck_reply(body: dict) -> str:
        release.wait(60)
        return "Klingner said Kim could see an upside. [1]"

    with FakeLLMServer(reply=stuck_reply) as fake:
        running = Server(["--index", str(sample_index), "--timeout", "1"], tmp_path,
                         {"QA_LLM": "openai", "QA_BASE_URL": fake.url, "QA_LLM_MODEL": "fake-model"})
        try:
            status, body, _ = http("POST", f"{running.url}/ask",
                                   json.dumps({"question": "What did Klingner say?"}).encode(), token=None)
            assert status == 504, body
            assert json.loads(body)["error"]["message"] == "no answer within the server's limit of 1 s"
        finally:
            release.set()
            running.stop()


def test_non_loopback_host_without_token_refused(sample_index, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_CONFIG=str(tmp_path / "no-config.toml"))
    done = subprocess.run([sys.executable, "-m", "qa", "serve", "--host", "0.0.0.0", "--index", str(sample_index)],
                          env=env, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 1
    assert "QA_SERVE_TOKEN" in done.stderr and "--insecure" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_starts_without_the_server_stack(sample_index):
    """`qa --help` and a search never import the web or MCP stacks (they load only in their commands)."""
    code = ("import sys; from click.testing import CliRunner; from qa.front.cli import main; "
            "CliRunner().invoke(main, ['--help']); "
            f"r = CliRunner().invoke(main, ['search', 'Kim', '--json', '--index', {str(sample_index)!r}]); "
            "assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'mcp', 'fastapi') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.stdout.strip() == "[]", done.stderr
