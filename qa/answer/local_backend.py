"""The local LLM: llama.cpp in this process (xllamacpp), loaded on first use, with the KV cache of the
prompt start all answers share saved to a file (its checksum beside it), so a new process restores it
in milliseconds instead of prefilling it for seconds. The runtime itself (signals, threads, which
build runs) is runtime.py."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

from ..config import model_dir
from ..errors import LLMError
from . import runtime
from .backends import MAX_ANSWER_TOKENS, TokenFn
from .local_model import sha256_file
from .prompts import choice_warm_messages


class LocalBackend:
    """llama.cpp in this process (xllamacpp). Loads on first use (an answer that needs no LLM never
    loads it), then stays loaded; the KV cache of a repeated prompt prefix is reused between questions
    (cache_prompt), and between processes through a file: prefilling the shared prompt start
    (~280 tokens) takes seconds, restoring it milliseconds."""

    name = "local"
    # llama.cpp constrains the reply to a GBNF grammar: answers choose among numbered sentences
    # (llm.answer_with_llm); a backend without it writes free text.
    supports_grammar = True

    def __init__(self, model_path: Path, n_ctx: int = 4096, threads: int | None = None):
        self.model = model_path.name
        self._path, self._n_ctx, self._threads = model_path, n_ctx, threads
        self._loaded: runtime.Loaded | None = None
        self.last_timings: dict = {}  # of the last answer, for benchmarks (bench/answers.py)

    @property
    def threads(self) -> int:
        """The threads llama.cpp computes with: the setting, else the cores free when it loaded
        (runtime.choose_threads); before loading, what it would choose now."""
        if self._loaded is not None:
            return self._loaded.threads
        return self._threads or runtime.choose_threads()

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory yet."""
        return self._loaded is not None

    @property
    def prefix_source(self) -> str | None:
        """"restored" or "prefilled" once the warm-up has run, else None."""
        return self._loaded.prefix_source if self._loaded else None

    @property
    def _server(self):
        return self.load().server

    def load(self) -> runtime.Loaded:
        """Load the model (once per process and settings; later backends share it)."""
        if self._loaded is None:
            self._loaded = _start_local(str(self._path), self._n_ctx, self._threads)
        return self._loaded

    def warm(self) -> None:
        """Load the model, and make the KV cache hold the prompt start all answers share, in the
        background, so the first question's wait is only its own passages: restored from the file an
        earlier process saved, else prefilled (and saved). A question asked meanwhile waits for it
        (and then reuses it). Only the first call does anything."""
        loaded = self.load()
        if loaded.warm_started:
            return
        loaded.warm_started = True
        loaded.busy.acquire()

        def run() -> None:
            try:
                with runtime.inside():
                    loaded.prefix_source = self._warm()
            except Exception:  # noqa: BLE001 - warming is an optimisation; the question will report errors
                pass
            finally:
                loaded.busy.release()

        threading.Thread(target=run, daemon=True, name="qa-llm-warm").start()

    def _warm(self) -> str | None:
        # named here, not when the backend is made: naming it imports the runtime and reads the CPU's flags
        # (~0.1 s), which an answer that never calls the model (a speaker's quotes, a list, an abstention) skips
        folder, name = kv_cache_dir(), _prefix_file_name(self._path, self._n_ctx)
        # llama.cpp aborts the whole process on a truncated state file, so only a file whose
        # checksum matches the one recorded when it was saved is handed to it.
        if _checksum_ok(folder / name) and self._slot("restore", name).get("n_restored"):
            return "restored"
        self._complete(choice_warm_messages(), None, 1)
        if runtime.stopping.is_set():
            return "prefilled"
        temporary = f"{name}.{os.getpid()}.tmp"
        with runtime.saving():
            if self._slot("save", temporary).get("n_saved"):
                _record_checksum(folder / temporary, folder / name)
                stem = name.rsplit("-", 1)[0]
                for old in folder.glob(f"{stem}-*"):  # the same model with an older prompt or runtime
                    if not old.name.startswith(name):
                        old.unlink(missing_ok=True)
            else:
                (folder / temporary).unlink(missing_ok=True)
        return "prefilled"

    def wait_warm(self) -> None:
        """Block until a warm() in progress has finished (for benchmarks that time answers alone)."""
        if self._loaded is not None:
            with self._loaded.busy:
                pass

    def _slot(self, action: str, filename: str) -> dict:
        """llama.cpp's slot save/restore, through the runtime's own loopback endpoint; {} on failure."""
        import json
        import urllib.request

        address = getattr(self._server, "listening_address", "")
        if not address.startswith("http://127.0.0.1:") or not kv_cache_dir().is_dir():
            return {}
        if action == "restore" and not (kv_cache_dir() / filename).is_file():
            return {}
        request = urllib.request.Request(f"{address}/slots/0?action={action}", method="POST",
                                         data=json.dumps({"filename": filename}).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return {}

    def complete(self, messages: list[dict], on_token: TokenFn | None = None,
                 max_tokens: int = MAX_ANSWER_TOKENS, grammar: str | None = None) -> str:
        """One answer, streamed to `on_token`, restricted to `grammar` (GBNF) when given. Ctrl-C (KeyboardInterrupt in the calling thread) returns
        at once: llama.cpp stops at its next token, and the next request waits for that."""
        self.warm()
        loaded = self.load()
        loaded.busy.acquire()  # interruptible by Ctrl-C
        handoff = _Handoff(loaded.busy)
        try:
            return self._complete(messages, on_token, max_tokens, handoff, grammar)
        except BaseException:
            if not handoff.worker_started.is_set():
                handoff.release()  # interrupted before its worker ran: nobody else will release it
            raise

    def _complete(self, messages: list[dict], on_token: TokenFn | None, max_tokens: int,
                  handoff: _Handoff | None = None, grammar: str | None = None) -> str:
        """Run one request in a worker thread (which releases `handoff` when llama.cpp is done with
        it), keeping this thread free to receive Ctrl-C."""
        request = {"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "stream": True,
                   "cache_prompt": True}
        if grammar:
            request["grammar"] = grammar
        pieces: list[str] = []
        failures: list[str] = []
        cancel = threading.Event()

        def on_chunk(chunk: dict) -> bool:
            if cancel.is_set() or runtime.stopping.is_set():
                return True
            if "timings" in chunk:  # llama.cpp's own counts: tokens prefilled / reused / written, and ms
                self.last_timings = chunk["timings"]
            if "error" in chunk or ("code" in chunk and "choices" not in chunk):
                error = chunk.get("error", chunk)
                failures.append(str(error.get("message", error) if isinstance(error, dict) else error))
                return True
            for choice in chunk.get("choices", []):
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    pieces.append(piece)
                    if on_token:
                        try:
                            on_token(piece)
                        except Exception as exc:  # noqa: BLE001 - the library would swallow it
                            failures.append(f"output failed: {exc}")
                            return True
            return False

        errors: list[BaseException] = []

        def run() -> None:
            if handoff is not None:
                handoff.worker_started.set()
            try:
                with runtime.inside():
                    self._server.handle_chat_completions(request, on_chunk)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                errors.append(exc)
            finally:
                if handoff is not None:
                    handoff.release()

        worker = threading.Thread(target=run, daemon=True, name="qa-llm-answer")
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.1)
        except KeyboardInterrupt:
            cancel.set()  # the worker ends at the next token; Ctrl-C must not wait for it
            raise
        if errors:
            raise LLMError(f"the local model failed: {errors[0]}")
        if failures:
            message = failures[0]
            if "context" in message.lower() or "exceed" in message.lower():
                raise LLMError("the prompt is too long for the local model's context window")
            raise LLMError(f"the local model failed: {message}")
        return "".join(pieces)


class _Handoff:
    """The one-request-at-a-time lock, released exactly once: by the worker when llama.cpp is done
    with its request, or by the caller if it was interrupted before the worker started."""

    def __init__(self, lock: threading.Lock):
        self._lock, self._guard, self._released = lock, threading.Lock(), False
        self.worker_started = threading.Event()

    def release(self) -> None:
        with self._guard:
            if not self._released:
                self._released = True
                self._lock.release()


def check_local_model(path: Path) -> tuple[str, float]:
    """Load the local model and let it write a few tokens: proves the runtime works on this CPU
    (a build for the wrong CPU stops the process with an illegal instruction instead)."""
    started = time.perf_counter()
    backend = LocalBackend(path)
    reply = backend.complete([{"role": "user", "content": "Reply with the word OK."}], max_tokens=4)
    if not reply.strip():
        raise LLMError("the local model loaded but wrote nothing")
    return reply.strip(), time.perf_counter() - started


def _start_local(path: str, n_ctx: int, threads: int | None) -> runtime.Loaded:
    """The loaded model for these settings, loading it on first use. `threads` None: as many as
    there are free cores now (runtime.choose_threads)."""
    key = (path, n_ctx, threads)
    loaded = runtime.find(key)
    if loaded is not None:
        return loaded
    try:
        import xllamacpp as xlc
    except ImportError as exc:
        raise LLMError("the local LLM runtime (xllamacpp) is not installed; run ./setup.sh") from exc
    n_threads = threads or runtime.choose_threads()
    params = xlc.CommonParams()
    params.model.path = path
    params.n_ctx = n_ctx  # the default (the model's 32k) would allocate a huge KV cache
    params.n_parallel = 1
    params.cpuparams.n_threads = n_threads
    params.cpuparams_batch.n_threads = n_threads
    params.cpuparams.poll = params.cpuparams_batch.poll = runtime.POLL
    params.cache_prompt = True
    params.verbosity = -1
    # llama.cpp's own warm-up (an empty decode at load, ~1 s of CPU on 2 cores) only pages the weights
    # in, which the first real request does anyway; loading holds the GIL (Ctrl-C waits), so it is skipped.
    params.warmup = False
    # llama.cpp's fitting of unset parameters to free memory loads the model (vocabulary included) a first
    # time only to measure it, then again for real: every parameter that matters here is set, and the
    # model (~1.2 GB with its caches) fits any machine that runs it, so the first pass is skipped.
    params.fit_params = False
    # llama.cpp repacks Q4_K weights for its AVX2 matrix kernels at load; that pays only for the prebuilt
    # wheel on a CPU with AVX-512 VNNI (runtime.repack_weights).
    params.no_extra_bufts = not runtime.repack_weights()
    # Answers copy much of their passages word for word, so the model's own prompt is a good draft:
    # when the last 4 tokens written occur in it, the 24 that followed them there are checked in one
    # batch (n-gram speculation; greedy, so the answer is the model's own). Klingner's, 129 tokens:
    # 9.8 s -> 4.4 s; short answers gain little and lose nothing.
    params.speculative.types = [xlc.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
    params.speculative.ngram_simple.size_n = 4
    params.speculative.ngram_simple.size_m = 24
    params.speculative.draft.n_max = 24
    try:
        kv_cache_dir().mkdir(parents=True, exist_ok=True)
        params.slot_save_path = str(kv_cache_dir()) + os.sep  # llama.cpp appends the file name as is
    except OSError:
        pass  # no saved prefix then: each process prefills it
    try:
        server = runtime.start(params)
    except (RuntimeError, ValueError) as exc:
        raise LLMError(f"cannot load the local model {path}: {exc}") from exc
    return runtime.remember(key, runtime.Loaded(server, n_threads))


def kv_cache_dir() -> Path:
    """Saved KV caches of the shared prompt start, beside the model files."""
    return model_dir() / "kv"


def _prefix_file_name(model_path: Path, n_ctx: int) -> str:
    """A saved prefix is only valid for the same model file, context size, runtime, weight layout
    (repacked or not) and prompt text."""
    import hashlib

    try:
        import xllamacpp

        version = getattr(xllamacpp, "__version__", "")
    except ImportError:
        version = ""
    stat = model_path.stat() if model_path.exists() else None
    # A build for another CPU computes slightly different values: its own file (runtime.runtime_info).
    key = "|".join(map(str, (model_path.resolve(), stat and stat.st_size, stat and stat.st_mtime_ns, n_ctx,
                             version, runtime.runtime_info(), runtime.repack_weights(), choice_warm_messages())))
    stem = re.sub(r"[^A-Za-z0-9_.]", "_", model_path.stem)[:60]
    return f"prefix-{stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.bin"


def _checksum_ok(path: Path) -> bool:
    try:
        return path.with_name(path.name + ".sha256").read_text().strip() == sha256_file(path)
    except OSError:
        return False


def _record_checksum(saved: Path, target: Path) -> None:
    """Move a freshly saved state file into place, with its checksum beside it (also moved into
    place whole, so a reader sees either no checksum or the right one)."""
    digest = sha256_file(saved)
    os.replace(saved, target)
    note = target.with_name(f"{target.name}.sha256.{os.getpid()}.tmp")
    note.write_text(digest + "\n")
    os.replace(note, target.with_name(target.name + ".sha256"))
