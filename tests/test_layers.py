"""The import graph of qa/ as docs/architecture.md draws it: every module named in one layer, no
import from a lower layer up to a higher one, and no circle of imports anywhere. Every import counts,
also those inside functions and under `if TYPE_CHECKING:`, since each is a dependency a reader has
to follow."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# --- layers, lowest first: a module imports only from its own layer and the layers before it ------------
LAYERS: list[tuple[str, list[str]]] = [
    ("base", ["qa.errors", "qa.config", "qa.jsonout"]),
    ("reading articles in", ["qa.ingest", "qa.ingest.attribution", "qa.ingest.dates", "qa.ingest.documents",
                             "qa.ingest.embeddings", "qa.ingest.fetch", "qa.ingest.loaders", "qa.ingest.markup",
                             "qa.ingest.mentions", "qa.ingest.names", "qa.ingest.wire"]),
    ("the index", ["qa.index", "qa.index.connection", "qa.index.feed_update", "qa.index.feeds", "qa.index.indexer",
                   "qa.index.milvus_client", "qa.index.milvus_store", "qa.index.milvus_writer", "qa.index.records",
                   "qa.index.reports", "qa.index.schema", "qa.index.store", "qa.index.store_base",
                   "qa.index.store_contract", "qa.index.store_factory", "qa.index.store_writer", "qa.index.vectors"]),
    ("search", ["qa.search", "qa.search.ranking", "qa.search.retriever", "qa.search.speaker_search",
                "qa.search.speakers", "qa.search.timeframe"]),
    ("answers", ["qa.answer", "qa.answer.answerability", "qa.answer.backends", "qa.answer.citations",
                 "qa.answer.coverage", "qa.answer.dated_answers", "qa.answer.evidence", "qa.answer.extractive",
                 "qa.answer.injection", "qa.answer.listing", "qa.answer.llm", "qa.answer.local_backend", "qa.answer.local_model",
                 "qa.answer.metadata", "qa.answer.openai_backend", "qa.answer.prompts", "qa.answer.runtime",
                 "qa.answer.timeline", "qa.answer.verification"]),
    ("the Python API", ["qa.api"]),
    ("front ends", ["qa.front", "qa.front.chat", "qa.front.cli", "qa.front.cli_options", "qa.front.cli_process",
                    "qa.front.mcp_server", "qa.front.render", "qa.front.serve_protocol", "qa.front.server",
                    "qa.front.service", "qa.front.web"]),
    ("entry points", ["qa", "qa.__main__"]),
]
# --- end of layers ---------------------------------------------------------------------------------------
# Circles that are known and being taken apart elsewhere; each must still be a circle (else drop it here).
KNOWN_CIRCLES: list[set[str]] = []


def modules() -> dict[str, Path]:
    """Every module under qa/, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((REPO / "qa").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of qa that `name` imports, relative or absolute, wherever the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {t for t in out if t in known and t != name}


@cache
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_is_in_one_layer():
    listed = [m for _, names in LAYERS for m in names]
    assert len(listed) == len(set(listed)), "a module is named in two layers"
    missing, gone = sorted(set(modules()) - set(listed)), sorted(set(listed) - set(modules()))
    assert not missing, f"modules no layer names (add each to its layer in tests/test_layers.py): {missing}"
    assert not gone, f"layers name modules that do not exist: {gone}"


def test_no_import_runs_up_a_layer():
    layer = {m: n for n, (_, names) in enumerate(LAYERS) for m in names}
    upward = [f"{m} ({LAYERS[layer[m]][0]}) imports {t} ({LAYERS[layer[t]][0]})"
              for m, targets in sorted(graph().items()) for t in sorted(targets)
              if m in layer and t in layer and layer[t] > layer[m]]
    assert not upward, "imports that run back up: " + "; ".join(upward)


def test_no_circles():
    found = circles(graph())
    unexpected = [sorted(c) for c in found if c not in KNOWN_CIRCLES]
    assert not unexpected, f"modules that import each other in a circle: {unexpected}"
    assert all(c in found for c in KNOWN_CIRCLES), "a known circle is gone: drop it from KNOWN_CIRCLES"


def test_the_check_sees_a_circle_and_an_upward_import():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    known = modules()
    assert "qa.errors" in imports("qa.config", known["qa.config"], known)
    assert "qa.search.ranking" in imports("qa.search.speaker_search", known["qa.search.speaker_search"], known)
