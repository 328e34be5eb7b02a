"""The `qa` process around a command: exit codes after Ctrl-C (130, whatever it interrupted), a quiet
exit 0 when the reader of stdout has gone, and a safe exit once the local LLM's threads exist.

Only the command line uses this; the library never exits or touches signals.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

_interrupted = False


def run_process(command: Callable[[], object], say_interrupted: Callable[[], None]) -> NoReturn:
    """Run the command line as the `qa` process itself (the console script, `python -m qa`) and exit
    with its code. Ctrl-C ends it with exit code 130 whatever it interrupted (a library import that
    turns it into another error included). Once the local LLM has been loaded, the process ends by
    `os._exit` with the command's exit code after flushing its output, so no llama.cpp thread still at
    work (a warm-up, an answer cut short) can crash the interpreter's shutdown."""
    _watch_interrupts()
    code = 1
    try:
        command()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code not in (0, 130) and _interrupted:
            code = 130
            say_interrupted()
    except KeyboardInterrupt:
        code = 130  # a Ctrl-C outside the command's own handling (or a second one)
        say_interrupted()
    except BaseException:
        if _interrupted:
            code = 130
            say_interrupted()
        elif not _runtime_started():
            raise
        else:
            import traceback

            traceback.print_exc()
    if _runtime_started():
        from ..answer import runtime

        runtime.leave(code)
    raise SystemExit(code)


def exit_now(code: int) -> None:
    """After Ctrl-C, leave at once: every index and lock is closed by now (the commands' `with` blocks
    have exited), and the interpreter's own teardown (garbage-collecting the models, 2-4 s on 2 busy
    cores) is time the user waits for nothing. Only in a real process (stdout has a file descriptor),
    never inside a caller's Python process such as click's test runner."""
    try:
        sys.stdout.fileno()
        sys.stderr.fileno()
    except (OSError, ValueError, AttributeError):
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def discard_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush into a closed pipe cannot complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (an in-process test runner)
        pass


def _watch_interrupts() -> None:
    """Ctrl-C raises KeyboardInterrupt as before, and is also remembered: an extension module being
    imported at that moment reports it as a failed import, which must still end as an interrupt."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return  # ignored (a background job) or handled by the embedding program

    def on_sigint(signum, frame):
        global _interrupted
        _interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)


def _runtime_started() -> bool:
    """Whether this process loaded the local LLM (without importing anything to find out)."""
    runtime = sys.modules.get("qa.answer.runtime")
    return bool(runtime is not None and runtime.started())
