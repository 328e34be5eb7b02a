"""Every way a `qa` process that uses the local LLM can end, in real processes: the exit code is the
command's (0, or 130 after Ctrl-C), never death by a signal, however busy llama.cpp is at that moment.

The local model's threads and its background warm-up live in the process; a process that left while
one of them was inside llama.cpp used to die by SIGSEGV or SIGABRT, most often when the saved prompt
start had just been removed (the warm-up then prefills for seconds). Each test here therefore removes
that file before some of its runs, in a private model folder that links the real model files.

Every test runs on each llama.cpp runtime the machine has: the build for this CPU that ./setup.sh
makes on one with AVX-512 VNNI, and the prebuilt wheel (AVX2) that runs everywhere else, which
./setup.sh then keeps beside it in .venv/prebuilt-llm; a `qa` process runs on it with that folder
first on PYTHONPATH. Each process here is a fresh interpreter, so it imports the runtime it is given.
With two runtimes, the runs that cost the most (answers, interrupts) are shared between them; each
still gets 11 `qa ask` processes (8 of them loading the model) and 10 `qa chat` sessions.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

ABSTAINS = "What is the population of Pyongyang?"
ANSWERED = "Who did North Korea sign a mutual defence treaty with?"
# prompt_toolkit asks the terminal for the cursor position when a prompt starts (see test_chat.py).
PROMPT = "\x1b[6n"
CURSOR_POSITION = "\x1b[1;1R"  # a terminal's answer to it (unanswered, prompt_toolkit waits 1 s at the line's end)
# Where ./setup.sh keeps the prebuilt wheel's xllamacpp beside the build for this CPU (.venv/prebuilt-llm).
PREBUILT = Path(sys.prefix) / "prebuilt-llm"


@pytest.fixture(scope="module")
def models(runtime, tmp_path_factory) -> Path:
    """A model folder of links to the installed model files, with its own saved prompt starts (one
    folder per runtime: qa keeps one saved prompt start per model file and removes the other's)."""
    from qa.answer.local_model import DEFAULT_GGUF, model_dir

    folder = tmp_path_factory.mktemp("models")
    (folder / DEFAULT_GGUF).symlink_to(model_dir() / DEFAULT_GGUF)
    (folder / "encoders").symlink_to(model_dir() / "encoders")
    return folder


def runtime_named(env: dict[str, str]) -> str:
    """The llama.cpp runtime a fresh `qa` process runs on in `env`, as `qa model` names it."""
    result = subprocess.run([sys.executable, "-m", "qa", "model"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-1500:]
    return next((line.split("runtime:", 1)[1].strip() for line in result.stdout.splitlines() if "runtime:" in line),
                f"(no runtime line in `qa model`: {result.stdout!r})")


_RUNTIMES: dict[str, str] = {}  # the installed runtime, as `qa model` names it


@dataclass(frozen=True)
class Runtime:
    name: str  # "native" (built for this CPU) or "prebuilt" (the wheel)
    env: dict[str, str]  # the environment variables that make a fresh `qa` process run on it
    shares: int  # how many runtimes this machine tests: costly runs are split between them


@pytest.fixture(scope="module", params=["native", "prebuilt"])
def runtime(request, tmp_path_factory) -> Runtime:
    """A runtime the processes run on (checked with `qa model`). Without AVX-512 VNNI the prebuilt
    wheel is the installed runtime and the only one: `native` skips."""
    from qa.answer.local_model import DEFAULT_GGUF, model_dir

    if not (model_dir() / DEFAULT_GGUF).is_file():
        pytest.skip("the local model is not installed (./setup.sh)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["QA_CONFIG"] = str(tmp_path_factory.getbasetemp() / "none.toml")
    if "installed" not in _RUNTIMES:  # asked once for both params: a `qa model` process costs seconds
        _RUNTIMES["installed"] = runtime_named(env)
    installed = _RUNTIMES["installed"]
    native = "built for this CPU" in installed
    if request.param == "native":
        if not native:
            pytest.skip(f"no llama.cpp build for this CPU is installed ({installed}); ./setup.sh makes one "
                        "on a CPU with AVX-512 VNNI")
        return Runtime("native", {}, shares=2)
    if not native:
        assert "prebuilt for AVX2" in installed, installed
        return Runtime("prebuilt", {}, shares=1)  # the installed runtime is the prebuilt wheel
    if not (PREBUILT / "xllamacpp").is_dir():
        pytest.fail(f"the prebuilt llama.cpp runtime is missing from {PREBUILT}: re-run ./setup.sh, which keeps "
                    "it there beside the build for this CPU so that these tests run on both", pytrace=False)
    extra = {"PYTHONPATH": os.pathsep.join(filter(None, (str(PREBUILT), os.environ.get("PYTHONPATH"))))}
    prebuilt = runtime_named({**env, **extra})
    version = installed.split(",")[0]  # "xllamacpp 2026.10.11549"
    if not (prebuilt.startswith(version + ",") and "prebuilt for AVX2" in prebuilt):
        pytest.fail(f"{PREBUILT} holds {prebuilt!r}, not the prebuilt wheel of the installed {version}: "
                    "re-run ./setup.sh", pytrace=False)
    return Runtime("prebuilt", extra, shares=2)


def forget_prompt_start(models: Path) -> None:
    for path in (models / "kv").glob("prefix-*"):
        path.unlink(missing_ok=True)


def env_for(models: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    return {**env, "QA_LLM": "local", "QA_MODEL_DIR": str(models), "QA_CONFIG": str(tmp_path / "none.toml"),
            "XDG_DATA_HOME": str(tmp_path / "data"), **extra}


def qa(args: list[str], env: dict[str, str], input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *map(str, args)], input=input, capture_output=True,
                          text=True, env=env, timeout=600)


def test_ask_processes_always_exit_with_the_commands_code(sample_index, models, runtime, tmp_path):
    """11 `qa ask` runs with the local model, two at a time: abstaining and answered questions, terminal
    text and --json, --questions files (text and JSONL) that end on an answered or an abstaining
    question. 8 load the model (on each runtime), two of each kind, 3 of them right after the saved
    prompt start was removed; the 3 abstentions (text, --json, a file of abstaining questions) start
    and end without loading it, the same steps each time, so they run once each."""
    lines = tmp_path / "questions.txt"
    lines.write_text(f"{ABSTAINS}\n{ANSWERED}\n")
    jsonl = tmp_path / "questions.jsonl"
    jsonl.write_text(json.dumps({"q": ANSWERED, "k": 3}) + "\n" + json.dumps({"q": ABSTAINS}) + "\n")
    only_abstaining = tmp_path / "abstaining.txt"
    only_abstaining.write_text(f"{ABSTAINS}\nWho won the 2004 Champions League final?\n")
    index = ["--index", sample_index]
    answered = [["ask", ANSWERED, *index], ["ask", ANSWERED, "--json", *index], ["ask", "--questions", lines, *index],
                ["ask", "--questions", jsonl, *index]]
    loading = [args for args in answered for _ in range(2)]
    abstaining = [["ask", ABSTAINS, *index], ["ask", ABSTAINS, "--json", *index]]
    runs = ([(args, False) for args in abstaining] + [(args, n % 3 == 0) for n, args in enumerate(loading)]
            + [(["ask", "--questions", only_abstaining, *index], False)])
    assert len(loading) == 8 and len(runs) == 11 and sum(forget for _, forget in runs) == 3
    env = env_for(models, tmp_path, **runtime.env)

    def run(args_forget: tuple[list, bool]) -> tuple[list, subprocess.CompletedProcess]:
        args, forget = args_forget
        if forget:
            forget_prompt_start(models)
        return args, qa(args, env)

    with ThreadPoolExecutor(2) as pool:  # two at a time: a process may start as another leaves
        done = list(pool.map(run, runs))
    for args, result in done:
        assert result.returncode == 0, (args, result.returncode, result.stderr[-1500:])
        assert "Traceback" not in result.stderr
        question = str(args[1]) if args[1] != "--questions" else None
        if "--json" in args or question is None:
            answers = [json.loads(line) for line in result.stdout.splitlines()]
            assert answers and all("answer" in a for a in answers), result.stdout
            if question == ANSWERED or args[2] in (lines, jsonl):
                assert any(not a["abstained"] and a["backend"] == "local" for a in answers), result.stdout
        elif question == ANSWERED:
            assert "Russia" in result.stdout and "[1]" in result.stdout
        else:
            assert "don't say" in result.stdout or "do not say" in result.stdout, result.stdout


def spawn_chat(index, env) -> pexpect.spawn:
    child = pexpect.spawn(sys.executable, ["-m", "qa", "chat", "--index", str(index)],
                          env={**env, "TERM": "xterm-256color"}, encoding="utf-8", timeout=300,
                          dimensions=(40, 200))
    child.expect_exact(PROMPT)  # the LLM is loaded: its warm-up runs in the background now
    child.send(CURSOR_POSITION)
    return child


def test_chat_sessions_always_exit_with_the_commands_code(sample_index, models, runtime, tmp_path):
    """10 `qa chat` sessions with the local model (on each runtime): 3 ended by Ctrl-D right after
    loading (the warm-up prefilling), 4 piped with questions ending after an answer, and 3 given SIGINT
    mid-answer (exit 130)."""
    env = env_for(models, tmp_path, **runtime.env)
    ends = 3  # sessions ended by Ctrl-D, and by SIGINT
    codes = []
    for n in range(ends):  # on a terminal, Ctrl-D at the first prompt
        forget_prompt_start(models)
        child = spawn_chat(sample_index, env)
        if n % 2:
            time.sleep(0.5)
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
        codes.append(("ctrl-d after loading", child.exitstatus, child.signalstatus, 0))
    for n in range(4):  # piped: the input ends after an answer
        if n == 0:
            forget_prompt_start(models)
        question = ANSWERED if n % 2 else ABSTAINS
        result = qa(["chat", "--index", sample_index, *(["--json"] if n >= 2 else [])], env, input=question + "\n")
        assert "Traceback" not in result.stderr
        assert ("Russia" in result.stdout) if question == ANSWERED else ("say" in result.stdout), result.stdout
        codes.append(("end of input after an answer", result.returncode, None, 0))
    for n in range(ends):  # piped, and interrupted while the model loads, prefills or writes
        if n == 0:
            forget_prompt_start(models)
        process = subprocess.Popen([sys.executable, "-m", "qa", "chat", "--index", str(sample_index)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env=env)
        process.stdin.write(f"{ANSWERED}\nHow many meetings did Kim and Trump hold?\n")
        process.stdin.flush()
        time.sleep(2.0 + 4.5 * n / (ends - 1))  # from 2 to 6.5 s
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            expected = 130
        else:
            expected = 0
        out, err = process.communicate(timeout=120)
        assert "Traceback" not in err, err
        codes.append(("SIGINT mid-answer", process.returncode, None, expected))
    assert len(codes) >= 10
    assert [(what, code, sig) for what, code, sig, _ in codes] == [(what, want, None) for what, _, _, want in codes]


def test_ctrl_c_at_random_moments_of_an_answer_exits_130(sample_index, models, runtime, tmp_path):
    """20 interrupts of `qa ask --llm local` answering a question the model answers, at random moments (starting,
    loading the model, restoring or prefilling the prompt start, prefilling, writing, verifying), 10
    on each of two runtimes at moments of their own: exit code 130 every time, and soon (the time
    each took is printed; the bound here only catches a hang)."""
    env = env_for(models, tmp_path, **runtime.env)
    wanted = 20 // runtime.shares
    rng = random.Random(f"20261201-{runtime.name}")
    waits, finished_first, upper = [], 0, 6.0
    for n in range(2 * wanted):
        if len(waits) == wanted:
            break
        if n % 5 == 0:
            forget_prompt_start(models)
        process = subprocess.Popen([sys.executable, "-m", "qa", "ask", ANSWERED, "--index",
                                    str(sample_index)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=env)
        time.sleep(rng.uniform(0.3, upper))
        if process.poll() is not None:
            finished_first += 1
            assert process.returncode == 0, process.stderr.read()
            upper = max(1.0, upper * 0.75)  # a fast machine answers sooner: interrupt earlier from now on
            continue
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(f"interrupt {n} hung") from None
        waited = time.monotonic() - sent
        if process.returncode == 0 and waited < 0.5 and "Sources:" in out and "interrupted" not in err:
            finished_first += 1  # it was exiting, its answer whole, when the signal came: nothing to interrupt
            continue
        waits.append(waited)
        assert process.returncode == 130, (n, process.returncode, round(waited, 2), err[-1500:])
        assert "Traceback" not in err and "interrupted" in err
    print(f"\n{len(waits)} interrupts, exit 130 each; from SIGINT to exit: median "
          f"{sorted(waits)[len(waits) // 2]:.2f} s, max {max(waits):.2f} s; {finished_first} finished before")
    assert len(waits) == wanted


def test_library_process_exits_cleanly_while_the_warm_up_runs(sample_index, models, runtime, tmp_path):
    """A Python program using the API that ends while the warm-up is prefilling: the runtime is
    stopped and freed at exit, and the program's own exit code stands (0 and 3; one of them on each
    of two runtimes)."""
    script = (
        "import sys\n"
        "from qa.api import QA\n"
        f"bot = QA({str(sample_index)!r}, llm='local')\n"
        "bot.preload_llm()\n"
        "print(bot.backend.loaded)\n"
        "sys.exit(int(sys.argv[1]))\n"
    )
    env = env_for(models, tmp_path, **runtime.env)
    for code in (0, 3) if runtime.shares == 1 else (0,) if runtime.name == "native" else (3,):
        forget_prompt_start(models)
        result = subprocess.run([sys.executable, "-c", script, str(code)], capture_output=True, text=True,
                                env=env, timeout=600)
        assert (result.returncode, result.stdout.strip()) == (code, "True"), result.stderr[-1500:]


def model_mapped(pid: int) -> bool:
    """llama.cpp has mapped the model file into the process: it is loading it (or has)."""
    from qa.answer.local_model import DEFAULT_GGUF

    try:
        return DEFAULT_GGUF in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_ctrl_c_while_the_model_loads_exits_130(sample_index, models, runtime, tmp_path):
    """Ctrl-C while `qa ask` loads the model (sent as soon as the model file is mapped, which the random
    moments of the test above may miss) exits 130 with no traceback, once the load is done: 3 times on
    each runtime, one of them without a saved prompt start."""
    if not Path("/proc/self/maps").is_file():
        pytest.skip("needs /proc to see when the model is being loaded")
    env = env_for(models, tmp_path, **runtime.env)
    caught = 0
    for n in range(3):
        if n == 0:
            forget_prompt_start(models)
        process = subprocess.Popen([sys.executable, "-m", "qa", "ask", ANSWERED, "--index", str(sample_index)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 300
        while not model_mapped(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, ("finished before loading the model", process.stderr.read()[-1500:])
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(f"interrupt {n} while loading hung") from None
        if process.returncode == 0 and "Sources:" in out:
            continue  # it had loaded, answered and was leaving when the signal came
        caught += 1
        assert process.returncode == 130, (n, process.returncode, err[-1500:])
        assert "Traceback" not in err and "interrupted" in err
    assert caught >= 2
