"""Cold start: whole `qa` processes, timed from exec to exit, on an index of the sample article.

Each command runs --runs times (after one untimed run that fills the OS page cache, as a user's
second invocation would); the table gives median, min and max wall time. QA_EMBED_BACKEND=torch
shows the old query path (sentence-transformers and torch imported on every query) for comparison.

    .venv/bin/python bench/startup.py [--runs 10]

A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QA = [sys.executable, "-m", "qa"]


def timed(args: list[str], env: dict, runs: int) -> list[float]:
    subprocess.run(args, env=env, capture_output=True, check=True)  # warm the page cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qa-startup-") as tmp:
        index = str(Path(tmp) / "index")
        env = {**os.environ, "QA_LLM": "none", "QA_CONFIG": str(Path(tmp) / "none.toml")}
        subprocess.run([*QA, "index", str(REPO / "examples" / "articles"), "--index", index], env=env,
                       capture_output=True, check=True)
        commands = [
            ("qa --help", [*QA, "--help"], {}),
            ("qa list", [*QA, "list", "--index", index], {}),
            ('qa search "North Korea Russia treaty"', [*QA, "search", "North Korea Russia treaty", "--index", index], {}),
            ('qa ask "What did Klingner say?" (extractive)', [*QA, "ask", "What did Klingner say?", "--index", index], {}),
            ('qa search ... with QA_EMBED_BACKEND=torch', [*QA, "search", "North Korea Russia treaty", "--index", index],
             {"QA_EMBED_BACKEND": "torch"}),
        ]
        print("| command | median | min | max |\n|---|---|---|---|")
        for name, command, extra in commands:
            times = timed(command, {**env, **extra}, args.runs)
            print(f"| `{name}` | {statistics.median(times):.2f} s | {min(times):.2f} s | {max(times):.2f} s |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
