"""Ctrl-C during `qa index`: how long from SIGINT to exit, the exit code, and whether the index is
consistent afterwards. Real `qa` processes (the console script next to this Python), each indexing a
fresh version of a folder of small generated articles, interrupted at a random moment after they have
started embedding.

    .venv/bin/python bench/interrupts.py [--runs 10] [--articles 200] [--seed 1]

Prints one line per run and a summary table (median, p90 and max seconds from SIGINT to exit).
Not a test: timings depend on the machine and its load (printed).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("council harbour tram bridge budget union ferry market depot school water flood rail housing "
         "approved delayed questioned funded reviewed announced expanded criticised").split()


def write_articles(folder: Path, count: int, version: int, rng: random.Random) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(count):
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40))).capitalize() + "."
                      for _ in range(4)]
        text = f"Report {i} revision {version}\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"article-{i:03d}.txt").write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    qa = Path(sys.executable).with_name("qa")
    rng = random.Random(args.seed)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("QA_")}, "QA_LLM": "none"}
    latencies, codes, clean = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        folder, index = Path(tmp) / "articles", Path(tmp) / "index"
        env["QA_CONFIG"] = str(Path(tmp) / "none.toml")
        command = [qa, "index", folder, "--index", index]

        def timed_run() -> float:
            started = time.monotonic()
            subprocess.run(command, env=env, capture_output=True, check=True)
            return time.monotonic() - started

        write_articles(folder, args.articles, 0, rng)
        whole = timed_run()  # start-up and indexing everything
        start_up = timed_run()  # start-up only: every file unchanged
        print(f"a whole run {whole:.1f} s, of which start-up {start_up:.1f} s; Ctrl-C during the rest")
        for run in range(args.runs):
            write_articles(folder, args.articles, run + 1, rng)
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
            time.sleep(start_up + rng.uniform(0.1, 0.9) * max(whole - start_up, 0.5))
            if process.poll() is not None:
                print(f"run {run + 1}: finished before the Ctrl-C (exit {process.returncode})")
                continue
            process.send_signal(signal.SIGINT)
            sent = time.monotonic()
            out, err = process.communicate()
            if "Indexed" in out:  # it had finished and was exiting: not an interrupt of indexing
                print(f"run {run + 1}: had finished indexing (exit {process.returncode})")
                continue
            latencies.append(time.monotonic() - sent)
            # Killed by the SIGINT itself (-2) is what a shell reports as 130, like exit(130).
            codes.append(130 if process.returncode == -signal.SIGINT else process.returncode)
            check = subprocess.run([qa, "check", "--index", index], env=env, capture_output=True, text=True)
            clean += check.returncode == 0
            last = (err.strip().splitlines() or [""])[-1]
            print(f"run {run + 1}: exit {process.returncode} after {latencies[-1]:.2f} s; check "
                  f"{'ok' if check.returncode == 0 else 'FAILED'}; {last[:110]}")
    if not latencies:
        print("no run was interrupted; use more --articles")
        return 1
    ordered = sorted(latencies)
    print(f"\n{len(latencies)} Ctrl-Cs, {args.articles} articles of 4 paragraphs, load average "
          f"{os.getloadavg()[0]:.1f}")
    print("| interrupts | exit 130 | qa check clean | median s | p90 s | max s |")
    print("|---|---|---|---|---|---|")
    print(f"| {len(latencies)} | {codes.count(130)} | {clean} | {statistics.median(ordered):.2f} | "
          f"{ordered[int(0.9 * (len(ordered) - 1))]:.2f} | {ordered[-1]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
