"""`qa serve` under load: requests per second and p50 / p95 latency at 1, 8 and 32 concurrent clients,
for searches (GET /search) and extractive answers (POST /ask), and the server process's memory.

Starts a real `qa serve --port 0` (QA_LLM=none: extractive answers) on an index of the BBC News
corpus (`../shared/bench-data/bbc_news`, outside the repo): `--index DIR` reuses one (e.g. made by
`qa index --index DIR .../bbc_news/*/`), otherwise one is built in a temporary folder first (a few
minutes; `--limit N` indexes only the first N articles). The questions are article headlines picked
with a fixed seed. Each client is a thread with its own keep-alive HTTP connection, running on the
same machine as the server (so on 2 cores the clients take some of the CPU the server could use).

    .venv/bin/python bench/serve.py --index /tmp/bbc-index
    .venv/bin/python bench/serve.py --limit 300 --requests 100      # a quick run

Exits 0 with a message when the data folder is absent. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
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
            if kind == "search":
                conn.request("GET", "/search?" + urllib.parse.urlencode({"q": question}))
            else:
                conn.request("POST", "/ask", json.dumps({"question": question}),
                             {"Content-Type": "application/json"})
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status != 200 or not json.loads(body).get("passages"):
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, errors[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="the bbc_news folder")
    parser.add_argument("--index", type=Path, help="an index of the corpus to serve (default: build one)")
    parser.add_argument("--limit", type=int, help="build the index from the first N articles only")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--requests", type=int, default=200, help="requests per level and kind")
    parser.add_argument("--readers", type=int, default=4, help="the server's --readers")
    args = parser.parse_args()
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
            for kind in ("search", "ask"):
                for clients in (int(c) for c in args.clients.split(",")):
                    seconds, latencies, errors = run_level(host, port, kind, questions, clients, args.requests)
                    rss, peak = memory_mb(process.pid)
                    rows.append((kind, clients, len(latencies) / seconds, percentile(latencies, 50) * 1000,
                                 percentile(latencies, 95) * 1000, errors, rss, peak))
                    print(f"{kind} x{clients}: {len(latencies) / seconds:.1f}/s", file=sys.stderr)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
