"""Settings, layered: built-in defaults < config file < QA_* environment variables < command-line flags.

The config file is TOML at $QA_CONFIG, else $XDG_CONFIG_HOME/qa/config.toml (~/.config/qa/config.toml).
API keys are never read from or written to it: they come from the environment only.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import QAError


@dataclass(frozen=True)
class Settings:
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


_NUMBERS = {"k": int, "commit_every": int, "llm_threads": int, "llm_timeout": float, "lock_timeout": float,
            "max_file_mb": float}
_SECRET_RE = re.compile(r"key|token|secret|password", re.IGNORECASE)


def config_path() -> Path:
    if os.environ.get("QA_CONFIG"):
        return Path(os.environ["QA_CONFIG"]).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "qa" / "config.toml"


def _coerce(name: str, value: object, where: str) -> object:
    if name in _NUMBERS:
        try:
            number = _NUMBERS[name](value)  # type: ignore[operator]
        except (TypeError, ValueError) as exc:
            raise QAError(f"{where}: {name} must be a number, not {value!r}") from exc
        if number <= 0:
            raise QAError(f"{where}: {name} must be more than 0, not {value!r}")
        return number
    return None if value in ("", None) else str(value)


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
        settings = replace(settings, **{k: _coerce(k, v, str(path)) for k, v in data.items()})
    env = {n: os.environ[f"QA_{n.upper()}"] for n in names if os.environ.get(f"QA_{n.upper()}")}
    settings = replace(settings, **{k: _coerce(k, v, f"QA_{k.upper()}") for k, v in env.items()})
    given = {k: v for k, v in flags.items() if v is not None and k in names}
    return replace(settings, **given)
