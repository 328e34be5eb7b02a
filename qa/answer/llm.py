"""LLM answers: the backends (llama.cpp in-process, any OpenAI-compatible server) and the pipeline
that prompts them with the evidence, then verifies every sentence of what comes back.

The model only drafts; what reaches the user is the verified draft: citations checked and
renumbered, quotes checked verbatim, unsupported sentences removed. When the evidence is weak the
model is never called; when the model fails the caller falls back to the extractive answer.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from ..config import Settings
from ..documents import strip_control
from ..errors import LLMError, QAError
from ..retriever import SearchResult
from ..records import Passage
from .citations import Answer, Citation, SentenceCheck, neutralise_markers, verify_answer
from .extractive import (ABSTAIN_BELOW, abstention_text, answer_extractively, rank_sentences, should_abstain,
                         statement_quote)
from . import runtime
from .local_model import find_local_model, model_dir, sha256_file

TokenFn = Callable[[str], None]
MAX_ANSWER_TOKENS = 240
MAX_PROMPT_PASSAGES = 3
# About 250 tokens of passages: prefill runs at ~64 tokens/s on 2 cores and dominates the wait
# (the system prompt is prefilled once per process and reused from the KV cache).
MAX_PROMPT_CHARS = 1000
_DONT_KNOW_RE = re.compile(
    r"^\W*(i (do not|don't) know|the passages (do not|don't)|(there is )?no information|not (mentioned|stated))",
    re.IGNORECASE,
)


class Backend(Protocol):
    name: str  # "local" | "openai"
    model: str

    def complete(self, messages: list[dict], on_token: TokenFn | None = None,
                 max_tokens: int = MAX_ANSWER_TOKENS) -> str: ...


# --- prompts -------------------------------------------------------------------------------------


def prompt_dir() -> Path:
    """`prompts/` ships inside the wheel as qa/prompts; in a checkout it is the top-level folder."""
    packaged = Path(__file__).resolve().parents[1] / "prompts"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "prompts"


@lru_cache(maxsize=8)
def load_prompt(name: str) -> str:
    try:
        return (prompt_dir() / f"{name}.txt").read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise QAError(f"prompt template {name}.txt is missing from {prompt_dir()}; reinstall qa") from exc


_TAG_RE = re.compile(r"</?\s*passage\b[^>]*>?", re.IGNORECASE)
# Chat-template control tokens (ChatML <|im_start|>, Llama [INST] / <<SYS>>, <s>): a server that parses
# special tokens in message text would otherwise let an article open a real system turn.
_SPECIAL_TOKEN_RE = re.compile(r"<\|[^|<>\s]{1,40}\|>|\[/?INST\]|<</?SYS>>|</?s>", re.IGNORECASE)


def _as_data(text: str) -> str:
    """Passages are delimited by tags; an article must not be able to close or forge one, open a chat
    turn, or show citation markers of its own."""
    text = _SPECIAL_TOKEN_RE.sub("", _TAG_RE.sub("", strip_control(text)))
    return neutralise_markers(text).replace("{", "(").replace("}", ")")


def _attr(text: str) -> str:
    """A header attribute's value: data, and unable to close its quotes."""
    return _as_data(text).replace('"', "'")


def build_messages(question: str, passages: list[Passage], excerpts: list[str] | None = None) -> list[dict]:
    """The answer prompt: the shared start (warm_messages), then each passage's header and the text the
    model may use (`excerpts[i]`, the evidence sentences of passage i; else the whole paragraph), then
    the question."""
    template = load_prompt("passage")
    texts = excerpts if excerpts is not None else [p.text for p in passages]
    blocks = [template.format(n=n, origin=_origin_attr(p, text), text=_as_data(text))
              for n, (p, text) in enumerate(zip(passages, texts), 1)]
    user = load_prompt("answer_user").format(passages="\n".join(blocks), question=_as_data(question))
    return [{"role": "system", "content": load_prompt("answer_system")}, {"role": "user", "content": user}]


def _origin_attr(passage: Passage, text: str) -> str:
    """` from="..."`, or nothing when the article names no outlet or date (every token is prefill time)."""
    if not (passage.source or passage.date or passage.speakers or passage.also_in):
        return ""
    return f' from="{_attr(_origin(passage, text))}"'


def _origin(passage: Passage, text: str | None = None) -> str:
    """Where a passage comes from, in few tokens (prefill time is the wait): "Reuters, 2024-11-07,
    quoting Bruce Klingner; also published by AP 2024-11-08; Tuesday = 2024-11-05". No paragraph
    number (the model cites by [n]), no date that only restates itself ("2018 = 2018") and none the
    shown `text` does not mention."""
    parts = [passage.source or "unknown outlet", passage.date or "undated"]
    if passage.speakers:
        parts.append("quoting " + " and ".join(passage.speakers))
    origin = ", ".join(parts)
    if passage.also_in:
        origin += "; also published by " + ", ".join(f"{c.source or c.title} {c.date or 'undated'}"
                                                     for c in passage.also_in)
    dates = [f"{d.phrase} = {d.label}" for d in passage.dates
             if d.phrase != d.label and (text is None or d.phrase in text)]
    if dates:
        origin += "; " + ", ".join(dates)
    return origin


def warm_messages() -> list[dict]:
    """The start every answer prompt shares: prefilled once, then reused from the KV cache."""
    return [{"role": "system", "content": load_prompt("answer_system")},
            {"role": "user", "content": load_prompt("answer_user").split("{passages}")[0].rstrip()}]


def select_passages(result: SearchResult, required: list[Passage] = ()) -> list[Passage]:
    """The passages worth the model's time: those with real support, best first, within a budget.
    Passages in `required` (e.g. every statement of the asked-about speaker) always go in."""
    best = result.best_support
    floor = max(ABSTAIN_BELOW, best * 0.75)
    chosen = list(required)
    for p in result.passages:
        evidence = result.evidence.get(p.id)
        if p in chosen or evidence is None or evidence.support < floor:
            continue
        if len(chosen) >= MAX_PROMPT_PASSAGES or (chosen and sum(len(c.text) for c in chosen) + len(p.text)
                                                  > MAX_PROMPT_CHARS):
            break
        chosen.append(p)
    return chosen


# Evidence shown to the model: its best sentences, not whole paragraphs. About 100 tokens, so the prompt
# beyond the cached start stays near 120 tokens with the question (prefill is the wait on a laptop).
EXCERPT_CHARS = 460
MAX_EXCERPT_SENTENCES = 4
_NEEDS_CONTEXT_RE = re.compile(r"^\W*(?:he|she|it|they|this|these|those|that|his|her|its|their|the (?:company|"
                               r"group|firm|move|deal|plan|city|country|government|team|club|band|film|show|"
                               r"minister|president|party|court|report|study|law|bill))\b", re.IGNORECASE)


def select_evidence(question: str, result: SearchResult, embedder) -> tuple[list[Passage], list[str]]:
    """The sentences that carry the evidence, grouped by passage (best passage first, sentences in
    article order): the top-ranked sentences (extractive.rank_sentences) within EXCERPT_CHARS, each
    with the sentence before it when it opens with a pronoun ("He said ...") and room is left.
    Injected instructions are never among them."""
    ranked = rank_sentences(question, result, embedder)
    if not ranked:
        return [], []
    picked: dict[int, set[int]] = {}
    by_id = {c.passage.id: c.passage for c in ranked}
    sentences = {}
    for c in ranked:
        sentences.setdefault(c.passage.id, {})[c.index] = c.sentence
    used, count = 0, 0
    for c in ranked:
        if count >= MAX_EXCERPT_SENTENCES or c.score < ranked[0].score * 0.5:
            break
        if count and used + len(c.sentence) > EXCERPT_CHARS:
            continue
        picked.setdefault(c.passage.id, set()).add(c.index)
        used, count = used + len(c.sentence), count + 1
        before = sentences[c.passage.id].get(c.index - 1)
        if (before and _NEEDS_CONTEXT_RE.match(c.sentence) and c.index - 1 not in picked[c.passage.id]
                and used + len(before) <= EXCERPT_CHARS):
            picked[c.passage.id].add(c.index - 1)
            used += len(before)
    rank = {p.id: r for r, p in enumerate(result.passages)}
    passages = sorted((by_id[pid] for pid in picked), key=lambda p: rank.get(p.id, len(rank)))
    excerpts = []
    for p in passages:
        indices = sorted(picked[p.id])
        pieces = [sentences[p.id][indices[0]]]
        for prev, i in zip(indices, indices[1:]):
            pieces.append(("" if i == prev + 1 else "... ") + sentences[p.id][i])
        excerpts.append(" ".join(pieces))
    return passages, excerpts


def _statement_evidence(result: SearchResult, required: list[Passage]) -> tuple[list[Passage], list[str]]:
    """For "what did X say?": each statement of X, the sentences that hold it, in article order."""
    ordered = sorted(required, key=lambda p: (p.date or "", p.article_id, p.paragraph, p.part))
    return ordered, [statement_quote(result, p) for p in ordered]


# --- the pipeline --------------------------------------------------------------------------------


def answer_with_llm(
    question: str, result: SearchResult, backend: Backend, embedder, on_token: TokenFn | None = None,
) -> Answer:
    """Draft with the LLM from the evidence sentences, verify every sentence, and return the verified
    answer. For "what did X say?" every retrieved statement of X goes to the model, and any it leaves
    out is added, quoted. When the checked draft keeps nothing (every sentence unsupported, stitched,
    empty or off the question) or the model finds no answer in evidence the retriever rates well, the
    answer is the extractive one, marked `"fallback"` in its JSON."""
    required = [p for p in result.passages if p.id in result.statements]
    meta = {"model": backend.model}
    if not required and should_abstain(result):
        return Answer(question, abstention_text(result), True, backend.name, [], result.passages,
                      extra={**meta, "verification": []})
    if required:
        passages, excerpts = _statement_evidence(result, required)
    else:
        passages, excerpts = select_evidence(question, result, embedder)
        if not passages:
            return Answer(question, abstention_text(result), True, backend.name, [], result.passages,
                          extra={**meta, "verification": []})
    draft = strip_control(backend.complete(build_messages(question, passages, excerpts), on_token))
    if not draft.strip():
        raise LLMError("the LLM returned an empty answer")
    meta["draft"] = draft
    if _DONT_KNOW_RE.match(draft.strip()):
        if required or result.best_support < DONT_KNOW_TRUSTED_BELOW:
            return Answer(question, abstention_text(result), True, backend.name, [], result.passages,
                          extra={**meta, "verification": []})
        return _extractive_instead(question, result, embedder, backend, "the LLM found no answer in the "
                                   "evidence, which the retriever rates well", meta, [])
    text, citations, checks = verify_answer(draft, passages, embedder, question, excerpts)
    text, citations, checks = _cover_statements(result, required, text, citations, checks)
    if not text:
        return _extractive_instead(question, result, embedder, backend, "no sentence of the LLM's answer held "
                                   "up against its sources", meta, checks)
    removed = sum(c.action == "removed" for c in checks)
    warning = f"{removed} sentence(s) of the LLM's draft were removed as unsupported by the passages" if removed else None
    notice = f"Written by the {backend.name} LLM ({backend.model}); every sentence checked against its source."
    return Answer(question, text, False, backend.name, citations, result.passages, warning=warning, notice=notice,
                  extra={**meta, "verification": [c.as_json() for c in checks]})


# The model's "I don't know" is trusted when the best passage supports the question less than this
# (retriever.Evidence.support); above it the passages' own sentences are shown instead.
DONT_KNOW_TRUSTED_BELOW = 0.6


def _extractive_instead(question: str, result: SearchResult, embedder, backend: Backend, reason: str,
                        meta: dict, checks: list[SentenceCheck]) -> Answer:
    """The extractive answer in place of an LLM draft that was weaker, saying so in its JSON."""
    answer = answer_extractively(question, result, embedder)
    notice = (f"The {backend.name} LLM's answer did not hold up ({reason}); "
              "showing the articles' own sentences instead.")
    return replace(answer, notice=notice,
                   extra={**answer.extra, **meta, "fallback": {"from": backend.name, "reason": reason},
                          "verification": [c.as_json() for c in checks]})


def _cover_statements(result: SearchResult, required: list[Passage], text: str, citations: list[Citation],
                      checks: list[SentenceCheck]) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """Append, quoted verbatim, each statement of the asked-about speaker the draft did not cite."""
    cited = {c.passage.id for c in citations}
    citations, checks, parts = list(citations), list(checks), [text] if text else []
    for p in required:
        if p.id in cited:
            continue
        n = len(citations) + 1
        citations.append(Citation(n, p, p.text))
        sentence = neutralise_markers(statement_quote(result, p))
        parts.append(f"{sentence} [{n}]")
        checks.append(SentenceCheck(sentence, [n], True, 1.0, None, "added"))
    return " ".join(parts), citations, checks


# --- backends ------------------------------------------------------------------------------------


class LocalBackend:
    """llama.cpp in this process (xllamacpp). Loads on first use (an answer that needs no LLM never
    loads it), then stays loaded; the KV cache of a repeated prompt prefix is reused between questions
    (cache_prompt), and between processes through a file: prefilling the shared prompt start
    (~280 tokens) takes seconds, restoring it milliseconds."""

    name = "local"

    def __init__(self, model_path: Path, n_ctx: int = 4096, threads: int | None = None):
        self.model = model_path.name
        self._path, self._n_ctx, self._threads = model_path, n_ctx, threads
        self._loaded: runtime.Loaded | None = None
        self._prefix_file = _prefix_file_name(model_path, n_ctx)
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
        folder, name = kv_cache_dir(), self._prefix_file
        # llama.cpp aborts the whole process on a truncated state file, so only a file whose
        # checksum matches the one recorded when it was saved is handed to it.
        if _checksum_ok(folder / name) and self._slot("restore", name).get("n_restored"):
            return "restored"
        self._complete(warm_messages(), None, 1)
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
                 max_tokens: int = MAX_ANSWER_TOKENS) -> str:
        """One answer, streamed to `on_token`. Ctrl-C (KeyboardInterrupt in the calling thread) returns
        at once: llama.cpp stops at its next token, and the next request waits for that."""
        self.warm()
        loaded = self.load()
        loaded.busy.acquire()  # interruptible by Ctrl-C
        handoff = _Handoff(loaded.busy)
        try:
            return self._complete(messages, on_token, max_tokens, handoff)
        except BaseException:
            if not handoff.worker_started.is_set():
                handoff.release()  # interrupted before its worker ran: nobody else will release it
            raise

    def _complete(self, messages: list[dict], on_token: TokenFn | None, max_tokens: int,
                  handoff: _Handoff | None = None) -> str:
        """Run one request in a worker thread (which releases `handoff` when llama.cpp is done with
        it), keeping this thread free to receive Ctrl-C."""
        request = {"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "stream": True,
                   "cache_prompt": True}
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


def native_runtime() -> bool:
    """True when llama.cpp was built for a CPU with AVX-512 VNNI (./setup.sh does it on one), not the
    prebuilt AVX2 wheel; that build prefills about twice as fast."""
    import xllamacpp

    return "AVX512_VNNI = 1" in xllamacpp.get_system_info()


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


def check_local_model(path: Path) -> tuple[str, float]:
    """Load the local model and let it write a few tokens: proves the runtime works on this CPU
    (a build for the wrong CPU stops the process with an illegal instruction instead)."""
    started = time.perf_counter()
    backend = LocalBackend(path)
    reply = backend.complete([{"role": "user", "content": "Reply with the word OK."}], max_tokens=4)
    if not reply.strip():
        raise LLMError("the local model loaded but wrote nothing")
    return reply.strip(), time.perf_counter() - started


def kv_cache_dir() -> Path:
    """Saved KV caches of the shared prompt start, beside the model files."""
    return model_dir() / "kv"


def _prefix_file_name(model_path: Path, n_ctx: int) -> str:
    """A saved prefix is only valid for the same model file, context size, runtime and prompt text."""
    import hashlib

    try:
        import xllamacpp

        runtime = getattr(xllamacpp, "__version__", "")
    except ImportError:
        runtime = ""
    stat = model_path.stat() if model_path.exists() else None
    # A build for another CPU computes slightly different values: its own file (runtime_info).
    key = "|".join(map(str, (model_path.resolve(), stat and stat.st_size, stat and stat.st_mtime_ns, n_ctx,
                             runtime, runtime_info(), warm_messages())))
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
    # llama.cpp repacks Q4_K weights for its AVX2 matrix kernels; on a build for AVX-512 VNNI its plain
    # kernels prefill faster than the repacked ones (one core: ~67 tokens/s against ~45; the AVX2
    # wheel: ~30 repacked, ~21 plain), so that build keeps the weights as they are.
    params.no_extra_bufts = native_runtime()
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


class OpenAIBackend:
    """Any server speaking the OpenAI chat API: Ollama, llama.cpp's server, vLLM, LM Studio, OpenAI.

    Bounded: `timeout` for each wait on the server, one retry (the client's max_retries), and at most
    3 x `timeout` for a whole streamed answer, so a server that trickles or pings forever is cut off."""

    name = "openai"
    ANSWER_TIMEOUT_FACTOR = 3

    def __init__(self, base_url: str, model: str | None = None, timeout: float = 60.0, retries: int = 1):
        try:
            from openai import OpenAI
        except ImportError as exc:
            raise QAError("the openai package is not installed; run ./setup.sh") from exc
        # The key comes from the environment only; local servers accept any non-empty key.
        key = os.environ.get("QA_API_KEY") or os.environ.get("OPENAI_API_KEY") or "no-key"
        self.base_url = base_url
        self.client = OpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=retries)
        self._model = model
        self.answer_timeout = timeout * self.ANSWER_TIMEOUT_FACTOR

    @property
    def model(self) -> str:
        if self._model is None:
            self._model = self._call(lambda: self.client.models.list().data[0].id)
        return self._model

    def complete(self, messages: list[dict], on_token: TokenFn | None = None,
                 max_tokens: int = MAX_ANSWER_TOKENS) -> str:
        started = time.monotonic()

        def run() -> str:
            pieces = []
            chunks = 0
            stream = self.client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True,
            )
            # A watchdog closes the stream at the deadline; the read it interrupts raises below.
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                with contextlib.suppress(Exception):
                    stream.close()

            watchdog = threading.Timer(max(self.answer_timeout - (time.monotonic() - started), 0.0), expire)
            watchdog.daemon = True
            watchdog.start()
            too_slow = LLMError(f"the LLM server at {self.base_url} took over {self.answer_timeout:.0f}s to "
                                f"answer; stopped waiting")
            try:
                for chunk in stream:  # noqa: B007
                    chunks += 1
                    if expired.is_set():
                        raise too_slow
                    if not chunk.choices:
                        continue
                    piece = chunk.choices[0].delta.content if chunk.choices[0].delta else None
                    if piece:
                        pieces.append(piece)
                        if on_token:
                            on_token(piece)
            except LLMError:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever the transport raised, the answer is cut
                if expired.is_set():
                    raise too_slow from exc
                if chunks:
                    raise LLMError(f"the LLM server at {self.base_url} stopped mid-answer "
                                   f"({type(exc).__name__})") from exc
                raise
            finally:
                watchdog.cancel()
                stream.close()
            if expired.is_set():
                raise too_slow
            if chunks == 0:
                raise ValueError("no completion chunks in the response")
            return "".join(pieces)

        return self._call(run)

    def _call(self, fn):
        import openai

        where = f"the LLM server at {self.base_url}"
        try:
            return fn()
        except LLMError:
            raise
        except openai.APITimeoutError as exc:
            raise LLMError(f"{where} timed out") from exc
        except openai.APIConnectionError as exc:
            raise LLMError(f"cannot reach {where} ({exc.__cause__ or exc}); is it running?") from exc
        except openai.AuthenticationError as exc:
            raise LLMError(f"{where} refused the API key (set QA_API_KEY or OPENAI_API_KEY)") from exc
        except openai.APIStatusError as exc:
            body = str(exc.message or "").lower()
            if "context" in body or "too long" in body or "exceed" in body:
                raise LLMError(f"the prompt is too long for the model's context at {where}") from exc
            raise LLMError(f"{where} answered HTTP {exc.status_code}") from exc
        except Exception as exc:  # noqa: BLE001 - transport errors raised mid-stream are not wrapped by openai
            if "timeout" in type(exc).__name__.lower():
                raise LLMError(f"{where} timed out") from exc
            raise LLMError(f"{where} sent a malformed or broken response ({type(exc).__name__})") from exc


# --- choosing ------------------------------------------------------------------------------------

NO_LLM = ("none", "off", "extractive")


def choose_backend(settings: Settings) -> Backend | None:
    """flag > env > config decided `settings.llm`; `auto` = a configured server, else the local
    model if installed, else None (extractive)."""
    choice = (settings.llm or "auto").lower()
    if choice in NO_LLM:
        return None
    if choice in ("openai", "http", "server") or (choice == "auto" and settings.base_url):
        if not settings.base_url:
            raise QAError("--llm openai needs --base-url (or QA_BASE_URL), e.g. http://localhost:11434/v1")
        return OpenAIBackend(settings.base_url, settings.llm_model, timeout=settings.llm_timeout)
    if choice in ("local", "auto"):
        path = find_local_model(settings.llm_model if choice == "local" else None)
        if path is None:
            if choice == "auto":
                return None
            raise QAError("no local LLM is installed; run `qa model setup` (or ./setup.sh), or pass a "
                          ".gguf path with --llm-model")
        try:
            return LocalBackend(path, threads=settings.llm_threads)
        except LLMError:
            if choice == "auto":
                return None
            raise
    raise QAError(f"unknown LLM backend {settings.llm!r}; use auto, local, openai or none")
