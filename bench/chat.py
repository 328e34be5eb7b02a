"""The README's piped `qa chat` session with the local LLM, end to end: the wall time of the whole
process (start-up, loading the model, each answer and follow-up, exit), and when its first answer
was printed, on either llama.cpp runtime.

The session is the one in README.md's chat section (`printf '...' | qa chat --llm none -k 3`), run
with `--llm local` instead, on a fresh index of the sample article.

    .venv/bin/python bench/chat.py                       # the installed runtime
    .venv/bin/python bench/chat.py --runtime prebuilt    # the prebuilt wheel (AVX2)
    .venv/bin/python bench/chat.py --runtime native --runs 5 --busy 1

`--runtime prebuilt` on a machine where ./setup.sh built llama.cpp for the CPU runs `qa` with
.venv/prebuilt-llm (the prebuilt wheel ./setup.sh keeps there) first on PYTHONPATH; `qa model`
confirms the runtime. The sessions use a private model folder (links to the installed model): the
first run prefills and saves the shared prompt start, as the first answer after installing does,
and is reported apart from the median of the others, which restore it.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "articles"
# Where ./setup.sh keeps the prebuilt wheel's xllamacpp beside the build for this CPU.
PREBUILT = Path(sys.prefix) / "prebuilt-llm"


def readme_session() -> tuple[str, list[str]]:
    """The piped input and the `qa chat` options of the README's chat example."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    chat = text[text.index("## Chat"):]
    match = re.search(r"^\$ printf '([^']*)' \| qa chat (.*)$", chat, re.MULTILINE)
    if match is None:
        raise SystemExit("README.md's chat section has no `$ printf '...' | qa chat ...` example")
    lines = match.group(1).encode().decode("unicode_escape")
    options = shlex.split(match.group(2))
    if "--llm" in options:
        del options[options.index("--llm"):options.index("--llm") + 2]
    return lines, ["--llm", "local", *options]


def qa(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *args], env=env, capture_output=True, text=True,
                          check=True, **kwargs)


def runtime_env(runtime: str) -> tuple[dict[str, str], str]:
    """The environment that runs `qa` on `runtime`, and the runtime `qa model` names in it."""
    env = dict(os.environ)

    def named(env: dict[str, str]) -> str:
        out = qa(["model"], env).stdout
        return next((line.split("runtime:", 1)[1].strip() for line in out.splitlines() if "runtime:" in line),
                    "unknown (is the local model installed? ./setup.sh)")

    installed = named(env)
    native = "built for this CPU" in installed
    if runtime == "native" and not native:
        raise SystemExit(f"no llama.cpp build for this CPU is installed ({installed})")
    if runtime == "prebuilt" and native:
        if not (PREBUILT / "xllamacpp").is_dir():
            raise SystemExit(f"the prebuilt runtime is missing from {PREBUILT}: re-run ./setup.sh")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(PREBUILT), env.get("PYTHONPATH"))))
        installed = named(env)
        if "prebuilt" not in installed:
            raise SystemExit(f"{PREBUILT} did not give the prebuilt runtime: {installed}")
    return env, installed


def session(lines: str, options: list[str], env: dict[str, str]) -> tuple[float, float | None, str]:
    """One piped session: (wall time, time to its first output, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "qa", "chat", *options], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    process.stdin.write(lines.encode())
    process.stdin.close()
    first, chunks = None, []
    while chunk := process.stdout.read1(65536):
        if first is None:
            first = time.perf_counter() - started
        chunks.append(chunk)
    err = process.stderr.read().decode(errors="replace")
    if process.wait() != 0:
        raise SystemExit(f"qa chat exited {process.returncode}:\n{err[-2000:]}")
    return time.perf_counter() - started, first, b"".join(chunks).decode(errors="replace")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runtime", choices=["installed", "native", "prebuilt"], default="installed")
    parser.add_argument("--runs", type=int, default=3, help="sessions after the first (default 3)")
    parser.add_argument("--busy", type=int, default=0, metavar="N", help="N CPU-bound processes meanwhile")
    parser.add_argument("--show", action="store_true", help="print the first session's transcript")
    args = parser.parse_args()
    lines, options = readme_session()
    env, runtime = runtime_env(args.runtime)
    from qa.answer.local_model import DEFAULT_GGUF, model_dir
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; --busy {args.busy}")
    print(f"runtime: {runtime}")
    print(f"session: printf {lines!r} | qa chat {shlex.join(options)}")
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            models = Path(tmp) / "models"
            models.mkdir()
            for name in (DEFAULT_GGUF, "encoders"):
                (models / name).symlink_to(model_dir() / name)
            env = {**env, "QA_MODEL_DIR": str(models)}
            index = str(Path(tmp) / "index")
            qa(["index", str(SAMPLE), "--index", index], env)
            options = [*options, "--index", index]
            walls, firsts = [], []
            for run in range(args.runs + 1):
                wall, first, out = session(lines, options, env)
                if run == 0 and args.show:
                    print(out)
                what = "first run" if run == 0 else f"run {run}"
                first_text = f"{first:.1f} s" if first is not None else "-"
                print(f"{what:10} whole session {wall:6.1f} s, first output after {first_text}")
                if run:
                    walls.append(wall)
                    firsts.append(first or wall)
        if walls:
            print(f"\n| runtime | whole session median (min-max) | first output median |\n|---|---|---|\n"
                  f"| {runtime} | {statistics.median(walls):.1f} s ({min(walls):.1f}-{max(walls):.1f}) | "
                  f"{statistics.median(firsts):.1f} s |")
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
