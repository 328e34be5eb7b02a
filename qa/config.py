"""Settings, layered: built-in defaults < config file < QA_* environment variables < command-line flags.

The config file is TOML at $QA_CONFIG, else $XDG_CONFIG_HOME/qa/config.toml (~/.config/qa/config.toml).
API keys are never read from or written to it: they come from the environment only.
"""

from __future__ import annotations

import os
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
    llm_timeout: float = 60.0  # seconds an LLM server may take to answer before we fall back


def config_path() -> Path:
    if os.environ.get("QA_CONFIG"):
        return Path(os.environ["QA_CONFIG"]).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "qa" / "config.toml"


def _coerce(name: str, value: object, where: str) -> object:
    if name in ("k", "llm_timeout"):
        kind = int if name == "k" else float
        try:
            return kind(value)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise QAError(f"{where}: {name} must be a number, not {value!r}") from exc
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
        if unknown:
            raise QAError(f"config file {path}: unknown setting(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(names))}")
        settings = replace(settings, **{k: _coerce(k, v, str(path)) for k, v in data.items()})
    env = {n: os.environ[f"QA_{n.upper()}"] for n in names if os.environ.get(f"QA_{n.upper()}")}
    settings = replace(settings, **{k: _coerce(k, v, f"QA_{k.upper()}") for k, v in env.items()})
    given = {k: v for k, v in flags.items() if v is not None and k in names}
    return replace(settings, **given)
