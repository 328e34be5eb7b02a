"""The local LLM's raw speed with the installed llama.cpp runtime: prefill tokens/s of a prompt cut
from the sample article (no prompt cache), and writing time of the sample article's answers with and
without n-gram speculation. Compare runtimes by running it in two venvs (prebuilt wheel, ./setup.sh's
build for this CPU).

    .venv/bin/python bench/llm_speed.py [--threads 1] [--poll 0] [--busy 1] [--repack on|off|auto] [--reps 4]

`--busy N` keeps N CPU-bound processes running meanwhile: with two threads on two cores, llama.cpp's
threads wait for each other at every step, so one descheduled thread stalls both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "articles"
QUESTIONS = ["What did Klingner say?", "What did Ramon Pacheco Pardo say about Trump?", "Where did Trump and Kim meet?"]
# (key tokens, draft tokens) for n-gram speculation; None = off
SPECULATION = [None, (3, 16), (4, 16), (4, 24), (6, 16)]


def server(path: str, threads: int, repack: str, speculation: tuple[int, int] | None, poll: int = 0):
    import xllamacpp as xlc

    from qa.answer.runtime import native_runtime

    params = xlc.CommonParams()
    params.model.path = path
    params.n_ctx, params.n_parallel, params.verbosity = 4096, 1, -1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
    params.cpuparams.poll = params.cpuparams_batch.poll = poll
    params.no_extra_bufts = {"on": False, "off": True}.get(repack, native_runtime())
    if speculation:
        params.speculative.types = [xlc.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
        params.speculative.ngram_simple.size_n, params.speculative.ngram_simple.size_m = speculation
        params.speculative.draft.n_max = speculation[1]
    return xlc.Server(params)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repack", choices=["on", "off", "auto"], default="auto",
                        help="llama.cpp's Q4_K weight repacking (auto: off on an AVX-512 VNNI build, as qa does)")
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--poll", type=int, default=0, help="llama.cpp's spinning before sleeping, 0-100 (qa: 0)")
    parser.add_argument("--busy", type=int, default=0, metavar="N", help="N CPU-bound processes meanwhile")
    args = parser.parse_args()
    import os
    import subprocess

    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        return measure(args)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def measure(args) -> int:

    import xllamacpp

    from qa.answer.prompts import build_messages, select_passages
    from qa.answer.runtime import runtime_info
    from qa.answer.local_model import find_local_model
    from qa.api import QA

    path = find_local_model(None)
    if path is None:
        print("no local LLM installed: run ./setup.sh")
        return 1
    print(f"{runtime_info()}; {args.threads} thread(s), poll {args.poll}, {args.busy} busy, repack {args.repack}\n{xllamacpp.get_system_info()}\n")

    words = " ".join((SAMPLE / "reuters-2024-11-07-trump-kim.txt").read_text().split()[:150])
    s = server(str(path), args.threads, args.repack, None, args.poll)
    rates = []
    for rep in range(args.reps):
        request = {"messages": [{"role": "user", "content": f"{rep} {words}"}], "max_tokens": 1,
                   "temperature": 0.0, "cache_prompt": False}
        timings = s.handle_chat_completions(request)["timings"]
        rates.append(timings["prompt_per_second"])
    print(f"| prefill, {timings['prompt_n']}-token prompt | median {statistics.median(rates):.1f} tokens/s "
          f"(runs: {', '.join(f'{r:.1f}' for r in rates)}) |\n")
    del s

    with tempfile.TemporaryDirectory() as tmp, QA(Path(tmp) / "index", create=True, llm="none") as bot:
        bot.index([SAMPLE])
        prompts = []
        for question in QUESTIONS:
            result = bot.search(question)
            required = [p for p in result.passages if p.id in result.statements]
            prompts.append(build_messages(question, select_passages(result, required)))
    print("| speculation (key, draft tokens) | " + " | ".join(QUESTIONS) + " |")
    print("|---|" + "---|" * len(QUESTIONS))
    for speculation in SPECULATION:
        s = server(str(path), args.threads, args.repack, speculation, args.poll)
        cells = []
        for messages in prompts:
            s.handle_chat_completions({"messages": messages, "max_tokens": 1, "temperature": 0.0})  # prefill once
            started = time.perf_counter()
            timings = s.handle_chat_completions({"messages": messages, "max_tokens": 240, "temperature": 0.0})["timings"]
            cells.append(f"{time.perf_counter() - started:.2f} s, {timings['predicted_n']} tokens")
        print(f"| {speculation or 'off'} | " + " | ".join(cells) + " |")
        del s
    return 0


if __name__ == "__main__":
    sys.exit(main())
