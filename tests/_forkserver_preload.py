"""Imported once by the forkserver of tests/procs.py: qa and the loaded (never used) embedding model.

The model is only loaded here, never run: torch's thread pools are not fork-safe once they have
been used, and each forked `qa` run starts its own.
"""

import os
import signal

# Forked `qa` runs start with Ctrl-C ignored (the forkserver restores this disposition in each child)
# until tests/procs.py hands the run to qa's command line: a real process's start-up turns an early
# Ctrl-C into exit 130, but multiprocessing's child bootstrap would turn it into exit 1.
signal.signal(signal.SIGINT, signal.SIG_IGN)
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from qa.front.cli import main  # noqa: E402
from qa.ingest.embeddings import Embedder  # noqa: E402

__all__ = ["main"]
Embedder()  # cached per process (qa.ingest.embeddings._load_model): every fork starts with it loaded
