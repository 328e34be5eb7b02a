"""Settings, layered: built-in defaults < config file < QA_* environment variables < command-line flags;
and the folders and environment-only variables qa reads. Every `QA_*` variable is read here.

The config file is TOML at $QA_CONFIG, else $XDG_CONFIG_HOME/qa/config.toml (~/.config/qa/config.toml).
API keys are never read from or written to it: they come from the environment only.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import QAError


@dataclass(frozen=True)
class Settings:
    """Every setting, once merged (`load_settings`); docs/settings.md says what each is for."""

    index: str = "index"
    model: str | None = None  # embedding model; None = the index's own, or the built-in default
    k: int = 5
    llm: str = "auto"
    base_url: str | None = None
    llm_model: str | None = None
    llm_timeout: float = 60.0  # seconds an LLM server may take to respond (a whole answer: 3x) before we fall back
    commit_every: int = 2000  # paragraphs embedded between commits while indexing (what a killed run keeps)
    lock_timeout: float = 600.0  # seconds `qa index` waits for another writer before giving up
    max_file_mb: float = 20.0  # larger files are skipped with a warning
    llm_threads: int | None = None  # the local LLM's threads; None = the cores free when it loads (docs/llm.md)
    feed_delay: float = 1.0  # seconds between two requests to one host while following feeds (`qa update`)
    feed_cap: int = 500  # article pages one `qa update` fetches at most; the rest wait for the next run
    feed_timeout: float = 20.0  # seconds one feed or page request may take
    timeline_limit: int = 20  # statements on one page of a timeline (`qa ask --all`)


_NUMBERS = {"k": int, "commit_every": int, "llm_threads": int, "llm_timeout": float, "lock_timeout": float,
            "max_file_mb": float, "feed_delay": float, "feed_cap": int, "feed_timeout": float,
            "timeline_limit": int}
K_MAX = 100  # passages per question: the same bound for the flag, the config file, --questions, HTTP and MCP
# Threads beyond a few per core only slow the local LLM down, and a huge count makes llama.cpp abort
# allocating them (std::bad_alloc at 100,000).
THREADS_PER_CORE = 4
# A bound on the numbers with no natural one: past it a value is a typo, and float('inf') or 1e400 would
# overflow where it becomes bytes or milliseconds.
_LARGEST = {"k": K_MAX, "commit_every": 10**9, "llm_timeout": 86_400.0, "lock_timeout": 86_400.0 * 365,
            "max_file_mb": 1024.0 * 1024, "approximate_from": 10**12,
            "feed_delay": 3600.0, "feed_cap": 10**6, "feed_timeout": 3600.0, "timeline_limit": 10**6}
_SECRET_RE = re.compile(r"key|token|secret|password", re.IGNORECASE)


# --- folders -------------------------------------------------------------------------------------

_XDG = {"config": ("XDG_CONFIG_HOME", (".config",)), "cache": ("XDG_CACHE_HOME", (".cache",)),
        "data": ("XDG_DATA_HOME", (".local", "share"))}


def user_dir(kind: str) -> Path:
    """qa's own folder of the user's `kind` ("config", "cache" or "data"), by the XDG base directory
    rules: $XDG_CONFIG_HOME/qa, else ~/.config/qa (~/.cache/qa, ~/.local/share/qa)."""
    variable, default = _XDG[kind]
    return Path(os.environ.get(variable) or Path.home().joinpath(*default)) / "qa"


def config_path() -> Path:
    """The config file: $QA_CONFIG, else config.toml in the user's config folder."""
    if os.environ.get("QA_CONFIG"):
        return Path(os.environ["QA_CONFIG"]).expanduser()
    return user_dir("config") / "config.toml"


def model_dir() -> Path:
    """Where the local LLM, the embedding model's ONNX export and the LLM's saved prompt start live:
    $QA_MODEL_DIR, else models/ in the user's cache folder."""
    if os.environ.get("QA_MODEL_DIR"):
        return Path(os.environ["QA_MODEL_DIR"]).expanduser()
    return user_dir("cache") / "models"


def chat_history_path() -> Path:
    """`qa chat`'s line history, in the user's data folder."""
    return user_dir("data") / "chat_history"


# --- read from the environment only (docs/settings.md) ---------------------------------------------
# Functions, not constants: each reads the variable when asked, as the code that needs it always has.


def embed_backend() -> str | None:
    """QA_EMBED_BACKEND: `torch` runs the embedding model with sentence-transformers; unset = auto."""
    return os.environ.get("QA_EMBED_BACKEND") or None


def embed_int8() -> bool:
    """QA_EMBED_INT8: `0` embeds documents with the fp32 ONNX export instead of its int8 copy."""
    return os.environ.get("QA_EMBED_INT8", "1") != "0"


def approximate_from() -> int:
    """QA_APPROXIMATE_FROM: the vectors past which a FAISS index switches itself to IVF-SQ8."""
    value = os.environ.get("QA_APPROXIMATE_FROM")
    return 100_000 if value in (None, "") else check_setting("approximate_from", value, "QA_APPROXIMATE_FROM")


def milvus_index_type() -> str:
    """QA_MILVUS_INDEX_TYPE: the Milvus index of the dense field (`FLAT`, exact, unless set)."""
    return os.environ.get("QA_MILVUS_INDEX_TYPE", "FLAT")


def milvus_token() -> str:
    """QA_MILVUS_TOKEN: a Milvus server's token ("user:password" or an API key); empty = none."""
    return os.environ.get("QA_MILVUS_TOKEN", "")


def api_key() -> str:
    """The OpenAI-compatible server's key: QA_API_KEY, else OPENAI_API_KEY, else a placeholder (local
    servers accept any non-empty key). From the environment only: never from the config file."""
    return os.environ.get("QA_API_KEY") or os.environ.get("OPENAI_API_KEY") or "no-key"


def serve_token() -> str | None:
    """QA_SERVE_TOKEN: the bearer token `qa serve` requires; None = no token. A token no client could
    send back as it is (spaces at either end, which HTTP strips; characters outside Latin-1, which a
    header cannot carry; control characters) is refused at start rather than never matching."""
    token = os.environ.get("QA_SERVE_TOKEN") or None
    if token is None:
        return None
    if token != token.strip():
        raise QAError("QA_SERVE_TOKEN starts or ends with white space, which HTTP clients drop: no request could "
                      "match it; set it without")
    bad = [ch for ch in token if ord(ch) > 0xFF or ord(ch) < 0x20 or ord(ch) == 0x7F]
    if bad:
        raise QAError(f"QA_SERVE_TOKEN holds {bad[0]!r}, which an HTTP header cannot carry (Latin-1 printable "
                      f"characters only; letters, digits and -._~+/ are safest)")
    return token


# --- settings --------------------------------------------------------------------------------------


def max_threads() -> int:
    """The most threads llm_threads may ask for: a few per core of this machine."""
    return THREADS_PER_CORE * (os.cpu_count() or 1)


def check_setting(name: str, value: object, where: str) -> object:
    """A numeric setting checked by the same rules wherever it comes from (a flag, QA_* variable, the
    config file, a --questions line, an HTTP or MCP request): a finite number, whole where it counts
    something, from 1 (more than 0 for seconds and sizes) up to a sane bound. `where` names the source in
    the error. Other settings: text, None when empty."""
    kind = int if name == "approximate_from" else _NUMBERS.get(name)
    if kind is None:
        return None if value in ("", None) else str(value)
    text = value.strip() if isinstance(value, str) else value
    number: float
    try:
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            raise TypeError
        number = float(text)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    largest = max_threads() if name == "llm_threads" else _LARGEST[name]
    rule = (f"a whole number from 1 to {int(largest):,}" if kind is int
            else f"a number above 0 and at most {largest:,.0f}")
    if not math.isfinite(number) or (kind is int and number != int(number)) or number <= 0 or number < 1 and kind is int:
        raise QAError(f"{where}: {name} must be {rule}, not {value!r}")
    if number > largest:
        why = (f" ({THREADS_PER_CORE} per core of this machine's {os.cpu_count() or 1}; more only slow it down)"
               if name == "llm_threads" else "")
        raise QAError(f"{where}: {name} must be {rule}{why}, not {value!r}")
    return int(number) if kind is int else number


def load_settings(**flags: object) -> Settings:
    """Merge the layers; flags set to None are treated as not given."""
    settings = Settings()
    names = {f.name for f in fields(Settings)}
    path = config_path()
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise QAError(f"cannot read config file {path}: {exc}") from exc
        unknown = set(data) - names
        secrets = sorted(k for k in unknown if _SECRET_RE.search(k))
        if secrets:
            raise QAError(f"config file {path}: {', '.join(secrets)} is not read from files, where keys leak "
                          f"(backups, dotfile repositories); remove it and set QA_API_KEY or OPENAI_API_KEY "
                          f"in the environment instead")
        if unknown:
            raise QAError(f"config file {path}: unknown setting(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(names))}")
        settings = replace(settings, **{k: check_setting(k, v, str(path)) for k, v in data.items()})
    env = {n: os.environ[f"QA_{n.upper()}"] for n in names if os.environ.get(f"QA_{n.upper()}")}
    settings = replace(settings, **{k: check_setting(k, v, f"QA_{k.upper()}") for k, v in env.items()})
    given = {k: v if k not in _NUMBERS else check_setting(k, v, f"--{k.replace('_', '-')}")
             for k, v in flags.items() if v is not None and k in names}
    return replace(settings, **given)
