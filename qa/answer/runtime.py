"""The in-process llama.cpp runtime (xllamacpp): which build runs, started with threads that suit the
machine's load, kept from taking over Ctrl-C, and left without a crash.

Three hazards of running llama.cpp inside a Python process shape this module:

- Its server installs its own SIGINT/SIGTERM handlers (they stop its main loop, after which every
  request waits forever). The handlers are put back as Python had them once the model is loaded, and
  the runtime's threads are started with both signals blocked, so Ctrl-C always reaches Python.
- A process that ends while one of its threads is inside llama.cpp (the background warm-up, an answer
  cut short by Ctrl-C) dies by SIGSEGV or SIGABRT during interpreter shutdown. The command line ends
  its process with `leave()` (output flushed, then `os._exit`, which runs no destructor a busy thread
  could trip on); a library user's process gets `shutdown()` at exit, which stops what runs, waits for
  it and then frees the server.
- llama.cpp's threads wait for each other at every step of a computation by spinning. When another
  program holds a core, a thread that is descheduled stalls the others, and an answer takes many times
  longer; `choose_threads` counts the cores that are free when the model loads.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

# llama.cpp's threads wait this long (its "poll" level, 0-100) spinning before they sleep between
# computations; its default (50) keeps a core busy between tokens, which is time the Python thread
# that streams and verifies the answer, or another program, could have had.
POLL = 0


@dataclass
class Loaded:
    """One loaded model: the server, the threads it computes with, and who is using it."""

    server: object  # xllamacpp.Server
    threads: int
    busy: threading.Lock = field(default_factory=threading.Lock)  # one request at a time: one KV cache
    warm_started: bool = False
    prefix_source: str | None = None  # "restored" or "prefilled", once the warm-up has run


_loaded: dict[tuple, Loaded] = {}
_servers: list[tuple[object, float]] = []  # every server started, with when: freed only by shutdown()
_active: set[threading.Thread] = set()  # threads inside a llama.cpp call
_active_lock = threading.Lock()
stopping = threading.Event()  # set at exit: requests in progress stop at their next token
_atexit_registered = False


def started() -> bool:
    """True once a model has been loaded in this process."""
    return bool(_servers)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _own_running() -> int:
    """Threads of this process that are running or runnable now (the reader included)."""
    count = 0
    try:
        for task in os.scandir("/proc/self/task"):
            try:
                with open(f"{task.path}/stat", encoding="ascii", errors="replace") as stat:
                    if stat.read().rsplit(")", 1)[1].split()[0] == "R":
                        count += 1
            except (OSError, IndexError):
                continue
    except OSError:
        return 1
    return max(count, 1)


def _running_elsewhere(samples: int = 3, interval: float = 0.01) -> float:
    """How many threads of other programs want a CPU right now: /proc/stat's procs_running less this
    process's own, the median of a few samples a few milliseconds apart (20 ms of the model's start: a
    CPU-bound program is running in every sample, a passing one in few). 0 where unknown."""
    counts = []
    for n in range(samples):
        try:
            with open("/proc/stat", encoding="ascii") as stat:
                for line in stat:
                    if line.startswith("procs_running "):
                        counts.append(max(int(line.split()[1]) - _own_running(), 0))
                        break
        except (OSError, ValueError):
            return 0.0
        if n + 1 < samples:
            time.sleep(interval)
    counts.sort()
    return float(counts[len(counts) // 2]) if counts else 0.0


def choose_threads(limit: int = 8) -> int:
    """The cores no other program is using when the model loads (at least 1, at most `limit`).

    llama.cpp splits each step of its computation over its threads, which then wait for each other;
    one thread that has to share its core with another program holds up all of them. Two threads on a
    2-core machine where a second program is busy took 50-108 s for an answer that one thread writes
    in a few seconds, so a thread is only given to a core that is free."""
    free = cores() - round(_running_elsewhere())
    return max(1, min(free, cores(), limit))


def start(params) -> object:
    """`xllamacpp.Server(params)`, with Ctrl-C and SIGTERM still Python's afterwards.

    The server's threads inherit the signal mask of the thread that creates them: with SIGINT and
    SIGTERM blocked there, only the Python main thread ever receives them. A signal that arrives during
    loading waits, and is raised as KeyboardInterrupt once the handlers are Python's again."""
    import xllamacpp

    main_thread = threading.current_thread() is threading.main_thread()
    signals = {signal.SIGINT, signal.SIGTERM}
    previous = {s: signal.getsignal(s) for s in signals} if main_thread else {}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        server = xllamacpp.Server(params)
        # Kept before a waiting Ctrl-C can be raised (at the unmasking below): a server freed at once
        # can hang its destructor (its loop may not have started waiting yet when told to stop).
        _servers.append((server, time.monotonic()))
    finally:
        for s, handler in previous.items():
            # getsignal() still reports Python's handler; setting it again re-installs it in C.
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        _register_atexit()
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return server


def native_runtime() -> bool:
    """True when llama.cpp was built for a CPU with AVX-512 VNNI (./setup.sh does it on one), not the
    prebuilt AVX2 wheel; that build prefills about twice as fast."""
    import xllamacpp

    return "AVX512_VNNI = 1" in xllamacpp.get_system_info()


def x86_flags() -> set[str] | None:
    """The feature flags of this x86 CPU (Linux: /proc/cpuinfo's "flags"), whatever build runs; None on
    other CPUs and systems."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return None


def repack_weights() -> bool:
    """Whether llama.cpp should repack the Q4_K weights for its matrix kernels when it loads (its
    default). Measured on x86 only: the prebuilt AVX2 wheel on a CPU with AVX-512 VNNI prefills faster
    so (one thread: ~30 tokens/s against ~21); built for that CPU, its plain kernels are faster (~67
    against ~45); on a CPU without it (2-core AMD EPYC, prebuilt wheel) plain prefills as fast (one thread
    23-32 tokens/s against 25-28, two 57-62 against 56-59) and loading takes 0.7-1.0 s less (1.5-1.9 s
    against 2.1-3.0). Other CPUs keep llama.cpp's default."""
    if native_runtime():
        return False
    flags = x86_flags()
    return flags is None or "avx512_vnni" in flags


def runtime_info() -> str:
    """Which llama.cpp runs the local model, and for which CPU."""
    try:
        import xllamacpp
    except ImportError:
        return "xllamacpp is not installed (run ./setup.sh)"
    version = getattr(xllamacpp, "__version__", "?")
    if native_runtime():
        return f"xllamacpp {version}, built for this CPU (AVX-512 VNNI)"
    return f"xllamacpp {version}, prebuilt for AVX2"


def remember(key: tuple, loaded: Loaded) -> Loaded:
    _loaded[key] = loaded
    return loaded


def find(key: tuple) -> Loaded | None:
    return _loaded.get(key)


class inside:
    """Marks the current thread as being inside llama.cpp for the duration (see `shutdown`)."""

    def __enter__(self) -> None:
        with _active_lock:
            _active.add(threading.current_thread())

    def __exit__(self, *exc) -> None:
        with _active_lock:
            _active.discard(threading.current_thread())


def busy() -> bool:
    with _active_lock:
        return bool(_active)


def wait_idle(timeout: float) -> bool:
    """Wait until no thread is inside llama.cpp; False if one still is after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while busy():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def shutdown(timeout: float = 30.0) -> bool:
    """Stop requests in progress (at their next token), wait for them, then free every loaded model
    (its destructor stops llama.cpp's loop and joins its threads). Returns False, freeing nothing, if
    a request is still running after `timeout` seconds (a long prefill cannot be interrupted)."""
    stopping.set()
    try:
        if not wait_idle(timeout):
            return False
        # A server's loop must have started before it is told to stop (see start()).
        youngest = max((created for _, created in _servers), default=0.0)
        time.sleep(max(0.0, youngest + 1.0 - time.monotonic()))
        _loaded.clear()
        _servers.clear()  # the last references: the servers are destroyed here
        import gc

        gc.collect()
        return True
    finally:
        stopping.clear()


def leave(code: int) -> None:
    """End a command-line process that loaded the model: flush what was printed, then `os._exit`.

    Nothing runs after it that could meet a llama.cpp thread mid-computation (interpreter shutdown,
    static destructors), so the exit code is the command's (130 if Ctrl-C comes while it flushes)
    and never a signal's. A no-op when no model was loaded."""
    if not started():
        return
    interrupted = []
    try:  # a Ctrl-C now must not interrupt the flush, yet still ends the process as interrupted (130)
        signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    except ValueError:
        pass
    stopping.set()
    _wait_for_saving(2.0)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed or broken pipe: nothing more can be shown
            pass
    if interrupted and code == 0:
        code = 130
        try:
            os.write(2, b"interrupted\n")
        except OSError:
            pass
    os._exit(code)


_saving = threading.Event()


def _wait_for_saving(timeout: float) -> None:
    """Let a prompt-start file being written finish (it takes milliseconds), so no half-written
    temporary file is left behind."""
    deadline = time.monotonic() + timeout
    while _saving.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)


class saving:
    """Marks a prompt-start file being written (see `leave`)."""

    def __enter__(self) -> None:
        _saving.set()

    def __exit__(self, *exc) -> None:
        _saving.clear()


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(_at_exit)
        _atexit_registered = True


def _at_exit() -> None:
    """A library user's process: stop and free the runtime before the interpreter shuts down."""
    if started():
        shutdown(timeout=60.0)
