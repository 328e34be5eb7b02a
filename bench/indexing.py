"""Indexing benchmark on the BBC News corpus: throughput, memory, disk, search latency, re-indexing.

Indexes the 2,225 BBC articles (`../shared/bench-data/bbc_news`, outside the repo) into a temporary
index with the library, then prints a table of: articles, paragraphs, seconds, paragraphs/s, peak RSS,
index size on disk; warm search latency p50/p95 (QA.search, fused hybrid search plus evidence) over
~200 article headlines picked with a fixed seed; and the time to re-index the unchanged corpus (which
should embed 0 paragraphs).

    .venv/bin/python bench/indexing.py                 # the whole corpus (a few minutes on 2 cores)
    .venv/bin/python bench/indexing.py --limit 200     # a quick run
    .venv/bin/python bench/indexing.py /other/bbc_news

Exits 0 with a message when the data folder is absent. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_DATA, percentile, print_measures  # noqa: E402 - first: puts the repository on sys.path

from qa import QA  # noqa: E402



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="the bbc_news folder")
    parser.add_argument("--limit", type=int, help="index only the first N articles")
    parser.add_argument("--questions", type=int, default=200, help="searches for the latency figures")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no benchmark data at {args.data}; nothing to measure")
        return 0

    files = sorted(args.data.glob("*/*.txt"))  # <topic>/<nnn>.txt; skips README.TXT at the top
    if args.limit:
        files = files[: args.limit]
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        bot = QA(tmp, create=True)
        bot.embedder  # load the model outside the timing  # noqa: B018
        start = time.perf_counter()
        report = bot.index(files)
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        disk_mb = sum(f.stat().st_size for f in Path(tmp).iterdir() if f.is_file()) / 2**20
        paragraphs = bot.store.count_paragraphs()
        rows += [
            ("articles", f"{report.articles:,}"),
            ("paragraphs (all kinds stored)", f"{paragraphs:,}"),
            ("paragraphs embedded", f"{report.paragraphs:,}"),
            ("index seconds", f"{seconds:.1f}"),
            ("paragraphs/s (embedded)", f"{report.paragraphs / seconds:.1f}"),
            ("peak RSS after indexing (MB)", f"{peak_mb:.0f}"),
            ("index size on disk (MB)", f"{disk_mb:.1f}"),
            ("load warnings / skipped files", f"{len(report.warnings)} / {report.skipped}"),
        ]

        titles = [a.title for a in bot.articles()]
        questions = random.Random(0).sample(titles, min(args.questions, len(titles)))
        for q in questions[:3]:
            bot.search(q)  # warm up: FAISS file load, first-call overheads
        latencies = []
        for q in questions:
            t0 = time.perf_counter()
            bot.search(q)
            latencies.append((time.perf_counter() - t0) * 1000)
        rows += [
            (f"search p50 (ms, {len(questions)} headlines)", f"{percentile(latencies, 50):.1f}"),
            ("search p95 (ms)", f"{percentile(latencies, 95):.1f}"),
        ]

        start = time.perf_counter()
        again = bot.index(files)
        rows += [
            ("re-index unchanged (s)", f"{time.perf_counter() - start:.2f}"),
            ("re-index: paragraphs embedded", f"{again.paragraphs}"),
            ("re-index: files unchanged", f"{again.unchanged:,} of {again.files:,}"),
            ("peak RSS overall (MB)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"),
        ]
        bot.close()

    print_measures(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
