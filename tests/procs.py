"""Real `qa` processes that start in a fraction of a second, for tests that kill or race them.

Importing sentence-transformers takes ~8 s on the test machine, so a fresh `python -m qa` per run
would make a test that kills twenty indexing runs take minutes. Instead a forkserver (stdlib
multiprocessing) imports qa and loads the embedding model once (tests/_forkserver_preload.py);
each run is a fork of it that runs the real command line, `qa.front.cli.main`, in its own process with
its own files, locks and exit code, and can be killed with SIGKILL like any other process.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

_context = None
_counter = itertools.count()


def _get_context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(["tests._forkserver_preload"])
    return _context


def _run(args: list[str], env: dict[str, str], out: str, err: str) -> None:
    """In the forked process: the environment and output files of a fresh `qa` run, then `qa ARGS`."""
    for name in [n for n in os.environ if n.startswith("QA_")]:
        del os.environ[name]
    os.environ.update(env)
    for path, fd in ((out, 1), (err, 2)):
        if path == CLOSED_PIPE:  # stdout is a pipe nobody reads: `qa list | head -0`
            reader, handle = os.pipe()
            os.close(reader)
        else:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(handle, fd)
        os.close(handle)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    import signal

    from qa.front.cli import main

    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # ignored until here (_forkserver_preload)
        main(args, prog_name="qa")  # exits with the command's exit code
    except KeyboardInterrupt:  # before qa's own handling started: what CPython's start-up does, exit 130
        os._exit(130)


CLOSED_PIPE = "|closed"


class QAProcess:
    """`qa ARGS` running in its own process; stdout and stderr go to files in `workdir` (stdout to a
    pipe whose reader has gone, with `closed_stdout`)."""

    def __init__(self, args, workdir: Path, env: dict[str, str] | None = None, closed_stdout: bool = False):
        n = next(_counter)
        self.args = [str(a) for a in args]
        self.out_path = Path(CLOSED_PIPE) if closed_stdout else Path(workdir) / f"qa-{os.getpid()}-{n}.out"
        self.err_path = Path(workdir) / f"qa-{os.getpid()}-{n}.err"
        self.process = _get_context().Process(
            target=_run, args=(self.args, dict(env or {}), str(self.out_path), str(self.err_path)), daemon=True
        )
        self.process.start()
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        """SIGKILL: no cleanup, no atexit, no finally blocks, as when the power goes."""
        self.process.kill()
        self.process.join(30)

    def pause(self) -> bool:
        """SIGSTOP, wherever the process is; False when it has already gone."""
        try:
            os.kill(self.pid, signal.SIGSTOP)
        except ProcessLookupError:
            return False
        return True

    def resume(self) -> None:
        try:
            os.kill(self.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float = 120) -> int:
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.kill()
            raise AssertionError(f"qa {' '.join(self.args)} did not finish in {timeout:.0f}s:\n{self.stderr}")
        return self.process.exitcode

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace") if self.out_path.is_file() else ""

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace") if self.err_path.exists() else ""
