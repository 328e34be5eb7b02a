"""`qa serve` under load: requests per second and p50 / p95 latency at 1, 8 and 32 concurrent clients,
for searches (GET /search) and extractive answers (POST /ask), and the server process's memory; then
10 real search clients alone and beside 50 slowloris clients (request headers sent a byte every 2 s,
reconnecting when dropped) and 50 clients that send a question and hang up at once (POST /ask, one
every 2 s each).

Starts a real `qa serve --port 0` (QA_LLM=none: extractive answers) on an index of the BBC News
corpus (`../shared/bench-data/bbc_news`, outside the repo): `--index DIR` reuses one (e.g. made by
`qa index --index DIR .../bbc_news/*/`), otherwise one is built in a temporary folder first (a few
minutes; `--limit N` indexes only the first N articles). The questions are article headlines picked
with a fixed seed. Each client is a thread with its own keep-alive HTTP connection, running on the
same machine as the server (so on 2 cores the clients take some of the CPU the server could use).

    .venv/bin/python bench/serve.py --index /tmp/bbc-index
    .venv/bin/python bench/serve.py --limit 300 --requests 100      # a quick run
    .venv/bin/python bench/serve.py --index /tmp/bbc-index --hostile-only   # only the hostile-client rows

`--page` measures the browser page's own endpoint instead (`POST /web/chat`, Server-Sent Events): for
each question of bench/bbc_archive_questions.json, asked one at a time, the time to the first answer
text and to the complete answer, extractive (`--llm none`) or with the local LLM (`--llm local`):

    .venv/bin/python bench/serve.py --page --index /tmp/bbc-index --llm none
    .venv/bin/python bench/serve.py --page --index /tmp/bbc-index --llm local --questions 12

Exits 0 with a message when the data folder is absent. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from _common import DEFAULT_DATA, REPO, memory_mb, percentile  # noqa: E402 - first: puts the repository on sys.path



def start_server(index: Path, workdir: Path, readers: int) -> tuple[subprocess.Popen, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_LLM="none", QA_CONFIG=str(workdir / "no-config.toml"))
    log = workdir / "serve.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--port", "0", "--index", str(index),
                                    "--readers", str(readers)], stdout=out, stderr=out, env=env, cwd=REPO)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        text = log.read_text()
        if "listening on " in text:
            url = text.split("listening on ", 1)[1].split()[0]
            host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port
            return process, host, str(port)
        if process.poll() is not None:
            raise SystemExit(f"qa serve exited: {text}")
        time.sleep(0.2)
    process.kill()
    raise SystemExit("qa serve did not start within 300 s")


def run_level(host: str, port: str, kind: str, questions: list[str], clients: int, total: int
              ) -> tuple[float, list[float], int]:
    """`total` requests shared by `clients` threads; returns (seconds, latencies, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(total))

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=300)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            question = questions[n % len(questions)]
            started = time.perf_counter()
            try:
                if kind == "search":
                    conn.request("GET", "/search?" + urllib.parse.urlencode({"q": question}))
                else:
                    conn.request("POST", "/ask", json.dumps({"question": question}),
                                 {"Content-Type": "application/json"})
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and bool(json.loads(body).get("passages"))
            except (OSError, http.client.HTTPException, ValueError):
                ok = False
                conn.close()  # reconnects on the next request
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, errors[0]


def start_page_server(index: Path, workdir: Path, llm: str) -> tuple[subprocess.Popen, str, int]:
    """`qa serve` for the page benchmark: the given answerer, a time limit long enough for the local LLM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_LLM=llm, QA_CONFIG=str(workdir / "no-config.toml"))
    log = workdir / f"serve-page-{llm}.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--port", "0", "--index", str(index),
                                    "--timeout", "900"], stdout=out, stderr=out, env=env, cwd=REPO)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        text = log.read_text()
        if "listening on " in text:
            url = urllib.parse.urlsplit(text.split("listening on ", 1)[1].split()[0])
            return process, url.hostname, url.port
        if process.poll() is not None:
            raise SystemExit(f"qa serve exited: {text}")
        time.sleep(0.2)
    process.kill()
    raise SystemExit("qa serve did not start within 300 s")


def page_answer(host: str, port: int, question: str) -> dict:
    """One question through the page's endpoint; seconds from sending it to each kind of event."""
    conn = http.client.HTTPConnection(host, port, timeout=900)
    started = time.perf_counter()
    conn.request("POST", "/web/chat", json.dumps({"messages": [{"role": "user", "content": question}]}),
                 {"Content-Type": "application/json"})
    response = conn.getresponse()
    seen: dict = {"status": response.status}
    while True:
        line = response.readline()
        if not line:
            break
        if not line.startswith(b"data: "):
            continue
        event = json.loads(line[6:])
        seen.setdefault(event["type"], time.perf_counter() - started)
        if event["type"] == "done":
            seen["abstained"] = event["answer"]["abstained"]
            seen["backend"] = event["answer"]["backend"]
        if event["type"] in ("done", "error"):
            break
    conn.close()
    return seen


def page_main(args) -> int:
    """Time to the first answer text and to the complete answer on the page's endpoint."""
    questions = [q["question"] for q in json.loads((REPO / "bench/bbc_archive_questions.json").read_text())["questions"]]
    questions = questions[: args.questions] if args.questions else questions
    if args.index is None:
        raise SystemExit("--page needs --index DIR (an index of the BBC corpus)")
    with tempfile.TemporaryDirectory(prefix="qa-bench-page-") as tmp:
        process, host, port = start_page_server(args.index, Path(tmp), args.llm)
        load_start = os.getloadavg()
        try:
            page_answer(host, port, "What did Tony Blair say?")  # warm-up: lazy loads, the LLM's prompt cache
            rows = []
            for question in questions:
                seen = page_answer(host, port, question)
                rows.append(seen)
                print(f"{seen.get('text', float('nan')):6.2f} {seen.get('done', float('nan')):6.2f}  {question}",
                      file=sys.stderr)
        finally:
            process.terminate()
            process.wait(30)
    load_end = os.getloadavg()
    answered = [r for r in rows if "done" in r]
    with_text = [r["text"] for r in answered if "text" in r]
    done = [r["done"] for r in answered]
    searching = [r["searching"] for r in answered if "searching" in r]
    drafting = [r["drafting"] for r in answered if "drafting" in r]  # the LLM's first token, shown as progress
    print(f"Index: {args.index}; --llm {args.llm}; {len(questions)} questions of bench/bbc_archive_questions.json, "
          f"one at a time; load average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end; "
          f"answered by {sorted({r.get('backend') for r in answered})}, "
          f"{sum(r.get('abstained', False) for r in answered)} abstained, {len(rows) - len(answered)} errors\n")
    print("| answerer | event | p50 s | p90 s | max s |")
    print("|---|---|---|---|---|")
    for name, values in (("question shown", searching), ("LLM writing (progress shown)", drafting),
                         ("first answer text", with_text), ("complete answer", done)):
        if values:
            print(f"| {args.llm} | {name} | {percentile(values, 50):.2f} | {percentile(values, 90):.2f} | "
                  f"{max(values):.2f} |")
    return 0 if len(answered) == len(rows) else 1


class Hostile:
    """`slow` slowloris clients and `gone` clients that ask and hang up, until `stop()`. `dropped`
    counts the slow connections the server closed."""

    def __init__(self, host: str, port: str, questions: list[str], slow: int, gone: int):
        self.address = (host, int(port))
        self.questions = questions
        self.running = True
        self.dropped = 0
        self.hung_up = 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._slow, daemon=True) for _ in range(slow)]
        self.threads += [threading.Thread(target=self._gone, args=(i,), daemon=True) for i in range(gone)]
        for t in self.threads:
            t.start()

    def _slow(self) -> None:
        while self.running:
            try:
                with socket.create_connection(self.address, timeout=10) as sock:
                    sock.sendall(b"GET /search?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    while self.running:
                        time.sleep(2)
                        sock.sendall(b"X")
                        sock.setblocking(False)
                        try:
                            if sock.recv(1024) == b"":
                                break
                        except BlockingIOError:
                            pass
                        sock.setblocking(True)
            except OSError:
                pass
            with self._lock:
                self.dropped += self.running

    def _gone(self, n: int) -> None:
        while self.running:
            body = json.dumps({"question": self.questions[n % len(self.questions)]}).encode()
            try:
                with socket.create_connection(self.address, timeout=10) as sock:
                    sock.sendall(b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                    time.sleep(0.05)  # the request is in; the client leaves without its answer
            except OSError:
                pass
            with self._lock:
                self.hung_up += 1
            n += 1
            time.sleep(2)  # each hung-up client asks every ~2 s: 25 questions a second from the 50

    def stop(self) -> None:
        self.running = False
        for t in self.threads:
            t.join(15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="the bbc_news folder")
    parser.add_argument("--index", type=Path, help="an index of the corpus to serve (default: build one)")
    parser.add_argument("--limit", type=int, help="build the index from the first N articles only")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--requests", type=int, default=200, help="requests per level and kind")
    parser.add_argument("--readers", type=int, default=4, help="the server's --readers")
    parser.add_argument("--page", action="store_true", help="time the page's answers (POST /web/chat) instead")
    parser.add_argument("--llm", default="none", help="with --page: the answerer (none, local, ...)")
    parser.add_argument("--questions", type=int, help="with --page: only the first N archive questions")
    parser.add_argument("--hostile-only", action="store_true", help="only the rows with hostile clients")
    args = parser.parse_args()
    if args.page:
        return page_main(args)
    if not args.data.is_dir():
        print(f"no benchmark data at {args.data}; nothing to measure")
        return 0
    files = sorted(args.data.glob("*/*.txt"))
    if args.limit:
        files = files[: args.limit]
    rng = random.Random(20261201)
    questions = [f.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0]
                 for f in rng.sample(files, min(200, len(files)))]

    with tempfile.TemporaryDirectory(prefix="qa-bench-serve-") as tmp:
        workdir = Path(tmp)
        index = args.index
        if index is None:
            index = workdir / "index"
            print(f"indexing {len(files)} articles into {index} ...", file=sys.stderr)
            env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
            env["QA_CONFIG"] = str(workdir / "no-config.toml")
            subprocess.run([sys.executable, "-m", "qa", "index", "--index", str(index), "--outlet", "BBC",
                            *map(str, files)], check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
        process, host, port = start_server(index, workdir, args.readers)
        try:
            idle = memory_mb(process.pid)[0]
            run_level(host, port, "search", questions, 2, 20)  # warm-up: caches, lazy loads
            rows = []
            for kind in () if args.hostile_only else ("search", "ask"):
                for clients in (int(c) for c in args.clients.split(",")):
                    seconds, latencies, errors = run_level(host, port, kind, questions, clients, args.requests)
                    rss, peak = memory_mb(process.pid)
                    rows.append((kind, clients, len(latencies) / seconds, percentile(latencies, 50) * 1000,
                                 percentile(latencies, 95) * 1000, errors, rss, peak))
                    print(f"{kind} x{clients}: {len(latencies) / seconds:.1f}/s", file=sys.stderr)
            hostile_rows = []
            for label, slow, gone in (("10 real clients alone", 0, 0),
                                      ("10 real beside 50 slowloris + 50 hung-up", 50, 50)):
                hostile = Hostile(host, port, questions, slow, gone)
                time.sleep(3 if slow or gone else 0)  # the hostile clients are at work first
                seconds, latencies, errors = run_level(host, port, "search", questions, 10, args.requests)
                hostile.stop()
                hostile_rows.append((label, len(latencies) / seconds, percentile(latencies, 50) * 1000,
                                     percentile(latencies, 95) * 1000, errors, hostile.dropped, hostile.hung_up))
                print(f"{label}: {len(latencies) / seconds:.1f}/s", file=sys.stderr)
        finally:
            process.terminate()
            process.wait(30)
    load = os.getloadavg()
    print(f"Index: {index}; {args.requests} requests per row; server RSS idle {idle:.0f} MB; "
          f"load average at the end {load[0]:.1f}\n")
    print("| endpoint | clients | requests/s | p50 ms | p95 ms | errors | RSS MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, clients, rate, p50, p95, errors, rss, peak in rows:
        endpoint = "GET /search" if kind == "search" else "POST /ask (extractive)"
        print(f"| {endpoint} | {clients} | {rate:.1f} | {p50:.0f} | {p95:.0f} | {errors} | {rss:.0f} | {peak:.0f} |")
    print("\n| GET /search, keep-alive | requests/s | p50 ms | p95 ms | errors | slow connections dropped "
          "by the server | hung-up requests |")
    print("|---|---|---|---|---|---|---|")
    for label, rate, p50, p95, errors, dropped, hung_up in hostile_rows:
        print(f"| {label} | {rate:.1f} | {p50:.0f} | {p95:.0f} | {errors} | {dropped} | {hung_up} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
