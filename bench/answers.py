"""Answer quality and latency with an LLM backend: verified sentences, verbatim quotes, abstention,
time to first token and total time per answer.

Corpus: the sample article plus three BBC News articles from ../shared/bench-data/bbc_news (skipped
with a message when absent). Questions are written for this benchmark: answerable ones, and
unanswerable ones the bot should abstain on.

    .venv/bin/python bench/answers.py                 # the local in-process model
    .venv/bin/python bench/answers.py --busy 1        # the same with one CPU-bound program running
    .venv/bin/python bench/answers.py --llm openai --base-url http://127.0.0.1:8080/v1

`--busy N` starts N CPU-bound processes before the model loads and stops them at the end, as when
an indexing run, a browser tab or a test suite keeps a core busy.

`--process N` also times the whole `qa ask` process as a user waits for it (start-up, index, search, model
load, answer, exit), N runs with the LLM and N with `--llm none` in turn, on this benchmark's index or
`--process-index` (e.g. the whole BBC archive), with the load average before each run:

    .venv/bin/python bench/answers.py --process 5 --process-index INDEX --process-question "How many copies has Halo 2 sold?"
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
# The shared benchmark data beside the checkout (or beside the folder of worktrees), or $QA_BENCH_DATA.
BBC = next((p / "bbc_news" for p in (Path(os.environ.get("QA_BENCH_DATA", "/nonexistent")),
                                     REPO.parent / "shared" / "bench-data", REPO.parents[1] / "shared" / "bench-data")
            if (p / "bbc_news").is_dir()), REPO.parent / "shared" / "bench-data" / "bbc_news")
SAMPLE = REPO / "examples" / "articles"

ANSWERABLE = [
    "What did Klingner say?",
    "What did Ramon Pacheco Pardo say about Trump?",
    "Who did North Korea sign a mutual defence treaty with?",
    "Where did Trump and Kim meet?",
    "When did the South Korean presidential official speak to reporters?",
    "How much did Time Warner's quarterly profits rise?",
    "How many subscribers did AOL lose?",
    "How does the ink used in Kyrgyz elections work?",
    "Who funds the use of ink in the Kyrgyz elections?",
    "By how much will maternity pay rise under Labour's plans?",
    "What did Patricia Hewitt say about maternity pay?",
]
# A question the local model chooses the answer of (not who-said, a list or "why?", which are quoted without it).
PROCESS_QUESTION = "How much did Time Warner's quarterly profits rise?"
UNANSWERABLE = [
    "What is the population of Pyongyang?",
    "Who won the 2004 Champions League final?",
    "What is the price of a barrel of oil?",
    "How tall is the Eiffel Tower?",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm", default="local")
    parser.add_argument("--base-url")
    parser.add_argument("--llm-model")
    parser.add_argument("--sample-only", action="store_true", help="only the sample article's questions")
    parser.add_argument("--busy", type=int, default=0, metavar="N",
                        help="keep N CPU-bound processes running for the whole benchmark")
    parser.add_argument("--process", type=int, default=0, metavar="N",
                        help="also time N whole `qa ask` processes with the LLM and N without, in turn")
    parser.add_argument("--process-index", type=Path, help="the index --process asks (default: this benchmark's)")
    parser.add_argument("--process-question", default=PROCESS_QUESTION, help="the question --process asks")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; --busy {args.busy}")
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        return run(args)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run(args) -> int:

    from qa.api import QA

    paths = [SAMPLE]
    bbc = BBC.is_dir() and not args.sample_only
    if bbc:
        paths += [BBC / "business" / "001.txt", BBC / "tech" / "001.txt", BBC / "politics" / "001.txt"]
    elif not args.sample_only:
        print(f"note: {BBC} not found; measuring on the sample article only")
    questions = [(q, True) for q in ANSWERABLE if bbc or q in ANSWERABLE[:5]]
    questions += [(q, False) for q in UNANSWERABLE]

    with tempfile.TemporaryDirectory() as tmp, QA(Path(tmp) / "index", create=True, llm=args.llm,
                                                    base_url=args.base_url, llm_model=args.llm_model) as bot:
        index = Path(tmp) / "index"
        bot.index(paths)
        started = time.perf_counter()
        backend = bot.backend
        if backend is None:
            print("no LLM backend available: run ./setup.sh or pass --llm/--base-url")
            return 1
        if hasattr(backend, "wait_warm"):  # the local model: its shared prompt start restored or prefilled
            bot.preload_llm()
            backend.wait_warm()
        how = f" ({backend.prefix_source} prompt start)" if getattr(backend, "prefix_source", None) else ""
        threads = f", {backend.threads} thread(s)" if hasattr(backend, "threads") else ""
        from qa.answer.runtime import runtime_info

        runtime = f"; {runtime_info()}" if backend.name == "local" else ""
        print(f"backend {backend.name} ({backend.model}{threads}){runtime}; load{how} "
              f"{time.perf_counter() - started:.1f} s\n")

        rows = []
        for question, answerable in questions:
            first: list[float] = []
            t0 = time.perf_counter()
            answer = bot.ask(question, on_token=lambda _p: first or first.append(time.perf_counter() - t0))
            total = time.perf_counter() - t0
            checks = answer.extra.get("verification", [])
            timings = getattr(backend, "last_timings", {}) if not answer.abstained else {}
            backend.last_timings = {}
            rows.append({
                "question": question, "answerable": answerable, "abstained": answer.abstained,
                "backend": answer.backend, "ttft": first[0] if first else None, "total": total,
                "sentences": len(checks), "verified": sum(c["action"] != "removed" for c in checks),
                "quotes": sum(c["quotes_verbatim"] is not None for c in checks),
                "verbatim": sum(c["quotes_verbatim"] is True for c in checks),
                "citations": len(answer.citations),
                "prefilled": timings.get("prompt_n"), "prefill_ms": timings.get("prompt_ms"),
                "written": timings.get("predicted_n"), "write_ms": timings.get("predicted_ms"),
            })
            r = rows[-1]
            status = "abstained" if r["abstained"] else f"{r['verified']}/{r['sentences']} verified"
            ttft = f"{r['ttft']:.1f}s" if r["ttft"] is not None else "-"
            tokens = (f"  prefill {r['prefilled']} tok {r['prefilled'] / r['prefill_ms'] * 1000:.0f}/s, wrote "
                      f"{r['written']}" if r["prefilled"] and r["prefill_ms"] else "")
            print(f"{question[:60]:60} {status:16} ttft {ttft:>6}  total {total:5.1f}s  [{answer.backend}]{tokens}")
            if not answer.abstained:
                print(f"    {answer.text[:300]}")
        if args.process:
            time_processes(args, args.process_index or index)

    answered = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    llm_rows = [r for r in rows if r["ttft"] is not None]
    sentences = sum(r["sentences"] for r in rows)
    quotes = sum(r["quotes"] for r in rows)
    print("\n| measure | value |\n|---|---|")
    print(f"| answerable questions answered (not abstained) | {sum(not r['abstained'] for r in answered)}/{len(answered)} |")
    print(f"| unanswerable questions abstained | {sum(r['abstained'] for r in unanswerable)}/{len(unanswerable)} |")
    print(f"| draft sentences verified (kept) | {sum(r['verified'] for r in rows)}/{sentences} "
          f"({sum(r['verified'] for r in rows) / max(sentences, 1):.0%}) |")
    print(f"| quotes verbatim | {sum(r['verbatim'] for r in rows)}/{quotes} |")
    print(f"| answers that fell back to extractive | {sum(r['backend'] == 'extractive' for r in rows)} |")
    if llm_rows:
        ttfts = [r["ttft"] for r in llm_rows]
        totals = [r["total"] for r in llm_rows]
        print(f"| time to first token, median / max | {statistics.median(ttfts):.1f} s / {max(ttfts):.1f} s |")
        print(f"| total per LLM answer, median / max | {statistics.median(totals):.1f} s / {max(totals):.1f} s |")
    prefill = [r for r in llm_rows if r["prefilled"] and r["prefill_ms"]]
    if prefill:
        print(f"| tokens prefilled per answer, median (beyond the shared prompt start) | "
              f"{statistics.median(r['prefilled'] for r in prefill):.0f} |")
        print(f"| prefill speed, median | {statistics.median(r['prefilled'] / r['prefill_ms'] * 1000 for r in prefill):.0f} tokens/s |")
        print(f"| tokens written per answer, median | {statistics.median(r['written'] or 0 for r in prefill):.0f} |")
        own = [r["ttft"] - (r["prefill_ms"] + (r["write_ms"] or 0)) / 1000 for r in prefill if r["ttft"] is not None]
        if own:  # search, sentence ranking, the quote's check: the first token's wait outside llama.cpp
            print(f"| first token's wait outside the model (search, ranking, checks), median | "
                  f"{statistics.median(own):.2f} s |")
    abstain_times = [r["total"] for r in unanswerable if r["abstained"]]
    if abstain_times:
        print(f"| abstention (no LLM call), median | {statistics.median(abstain_times) * 1000:.0f} ms |")
    return 0


def time_processes(args, index: Path) -> None:
    """Whole `qa ask` processes, with the LLM and with `--llm none` in turn (pairs keep the comparison fair
    on a machine whose speed drifts): wall seconds from start to exit, the answerer, the load average."""
    import json

    walls: dict[str, list[float]] = {args.llm: [], "none": []}
    print(f"\nwhole `qa ask` process, {args.process} runs each, index {index}, question {args.process_question!r}")
    for n in range(args.process):
        for llm in (args.llm, "none"):
            command = [sys.executable, "-m", "qa", "ask", "--json", "--index", str(index), "--llm", llm,
                       args.process_question]
            if llm != "none":
                command += [f"--{k}={v}" for k, v in (("base-url", args.base_url), ("llm-model", args.llm_model)) if v]
            load = os.getloadavg()[0]
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
            wall = time.perf_counter() - started
            answer = json.loads(done.stdout) if done.returncode == 0 else {}
            walls[llm].append(wall)
            print(f"  run {n + 1} --llm {llm:6} {wall:5.1f} s  exit {done.returncode}  answerer "
                  f"{answer.get('backend', '?')}  chosen {answer.get('chosen', '-')}  load average {load:.2f}")
    for llm, times in walls.items():
        print(f"| whole `qa ask --llm {llm}` process, median (min-max) | {statistics.median(times):.1f} s "
              f"({min(times):.1f}-{max(times):.1f}) |")


if __name__ == "__main__":
    sys.exit(main())
