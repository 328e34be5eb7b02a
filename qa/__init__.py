"""qa: answers from news articles, every claim cited to an article and paragraph."""

from __future__ import annotations

import importlib

__version__ = "0.1.0"
__all__ = ["QA", "Answer", "Article", "Citation", "Paragraph", "Passage", "QAError", "SearchResult"]

# Imported on first use (PEP 562), so `qa --help` does not pay for numpy, FAISS and the models.
_HOMES = {"QA": "api", "Answer": "answer", "Citation": "answer", "Article": "ingest.documents",
          "Paragraph": "ingest.documents", "QAError": "errors", "SearchResult": "search.ranking", "Passage": "index.records"}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
