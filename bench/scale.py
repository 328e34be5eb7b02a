"""Scale benchmark: a store of a million paragraphs, built and queried through the library.

Embedding a million paragraphs would take hours here, so the corpus is synthesised from the BBC
News corpus (`../shared/bench-data/bbc_news`): each synthetic paragraph is a real BBC paragraph's
text, its words shuffled in every copy after the first, and its vector is that paragraph's real embedding plus seeded Gaussian
noise (cosine ~0.85 to the original), renormalised. Everything else is the product: StoreWriter
puts the rows in SQLite/FTS5 and the vectors in FAISS, which switches to IVF-SQ8 past
qa.index.vectors.APPROXIMATE_FROM; queries run in a fresh process through QA.search, whose peak RSS is
reported. Recall@10 of the vector search is measured against exact search over the same vectors.

With `--index` the store is Milvus instead (docs/milvus.md), written through its own writer
(`open_store(address, create=True).writer()`) and queried through `QA(address)` the same way:
`milvus` is Milvus Lite in a file in the temporary folder, its engine running inside the qa
process (milvus-lite 3 is pure Python threads, no server process); `milvus-server` serves that file
from a separate `milvus-lite server` process, whose peak RSS is reported apart; any other
`milvus:PATH.db` or `http(s)://HOST:PORT` address is used as given; for a server on this machine,
`--server-pid` and `--server-data` report its peak RSS and its data's size (bench/README.md, "Scale
on Milvus Lite", starts the C++ engine of milvus-lite 2.5 that way).

    .venv/bin/python bench/scale.py                  # 1,000,000 paragraphs (~15 min on 2 cores)
    .venv/bin/python bench/scale.py --size 200000    # quicker
    .venv/bin/python bench/scale.py --size 5000 --queries 50 --index milvus

Exits 0 with a message when the data folder is absent. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import peak_rss_mb, percentile, print_measures  # noqa: E402 - first: puts the repository on sys.path


DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared/bench-data/bbc_news"
NOISE = 0.03  # per dimension; a 384-d unit vector's components are ~0.05
PER_ARTICLE = 20


def base_corpus(data: Path, limit: int) -> tuple[list[str], list[str]]:
    """Real paragraphs and headlines (the queries) from the BBC corpus."""
    paragraphs, headlines = [], []
    for file in sorted(data.glob("*/*.txt")):
        blocks = [b.strip() for b in file.read_bytes().decode("utf-8", "replace").split("\n\n") if b.strip()]
        if len(blocks) < 2:
            continue
        headlines.append(blocks[0])
        paragraphs.extend(blocks[1:])
        if len(paragraphs) >= limit:
            break
    return paragraphs[:limit], headlines


def varied(texts: list[str], row: int) -> str:
    """Synthetic paragraph `row`: a BBC paragraph, its words shuffled (seeded) for every copy after the
    first, so copies share vocabulary (realistic BM25 statistics) but are not wire copies of each other."""
    text, copy = texts[row % len(texts)], row // len(texts)
    if copy == 0:
        return text
    words = text.split()
    random.Random(row).shuffle(words)
    return " ".join(words)


def synthetic_vectors(base: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Vectors start..stop of the synthetic corpus; the same every time (seeded per block)."""
    out = []
    block = 10_000
    for first in range(start - start % block, stop, block):
        rng = np.random.default_rng(first)
        rows = np.arange(first, first + block)
        vectors = base[rows % len(base)] + rng.standard_normal((block, base.shape[1]), dtype="float32") * NOISE
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        lo, hi = max(start, first) - first, min(stop, first + block) - first
        out.append(vectors[lo:hi])
    return np.vstack(out).astype("float32")


def build(index: str, texts: list[str], base: np.ndarray, size: int, wire_copies: bool = True) -> dict:
    """Run in a child process, so its peak RSS is the builder's own. Without `wire_copies` the writer
    neither looks up nor stores wire-copy bands (what the rest of a write costs, measured apart)."""
    from qa.ingest.documents import Article, Paragraph
    from qa.ingest.embeddings import DEFAULT_MODEL
    from qa.index.store_factory import is_milvus_address, open_store
    from qa.index.vectors import describe

    milvus = is_milvus_address(index)
    started = time.perf_counter()
    store = open_store(index, create=True)
    commit_every = 1_000 if milvus else 100_000  # Milvus writes each article at once; this is progress only
    with store.writer() as writer:
        if not wire_copies:
            writer._add_wire_bands = lambda *args: None
        writer.set_model(DEFAULT_MODEL, base.shape[1])
        for first in range(0, size, commit_every):
            last = min(size, first + commit_every)
            vectors = synthetic_vectors(base, first, last)
            for a in range(first, last, PER_ARTICLE):
                count = min(PER_ARTICLE, last - a)
                paragraphs = tuple(Paragraph(j + 1, varied(texts, a + j)) for j in range(count))
                writer.add_article(Article(id=f"a{a // PER_ARTICLE}", title=f"Article {a // PER_ARTICLE}",
                                           paragraphs=paragraphs), vectors[a - first : a - first + count])
            writer.commit()
            print(f"  {last:,} paragraphs committed, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if milvus:
        from qa.config import milvus_index_type

        kind = {"type": f"Milvus {milvus_index_type()}", "vectors": store.vectors.ntotal}
    else:
        kind = describe(store.vectors)
    store.close()
    return {"seconds": time.perf_counter() - started, "index": kind,
            "peak_rss_mb": peak_rss_mb(os.getpid())}


def query(index: str, queries: list[str], vectors: np.ndarray, k: int) -> dict:
    """Run in a fresh child process: open the index as a user would, search, report RSS. The dense hits
    are returned as synthetic row numbers (0-based)."""
    from qa.api import QA
    from qa.index.store_factory import is_milvus_address

    bot = QA(index)
    bot.search(queries[0], k)  # load the model and the vectors
    dense_ms, dense_ids, search_ms = [], [], []
    for vector in vectors:
        started = time.perf_counter()
        hits = bot.store.dense_search(vector, k)
        dense_ms.append((time.perf_counter() - started) * 1000)
        dense_ids.append([pid for pid, _ in hits])
    if is_milvus_address(index):
        # Milvus ids are its own (auto-generated): a hit's row is its article a{n} and paragraph number
        found = bot.store.passages({pid for ids in dense_ids for pid in ids})
        dense_rows = [[int(found[pid].article_id[1:]) * PER_ARTICLE + found[pid].paragraph - 1 for pid in ids]
                      for ids in dense_ids]
    else:
        dense_rows = [[pid - 1 for pid in ids] for ids in dense_ids]  # SQLite row ids are row numbers + 1
    for question in queries:
        started = time.perf_counter()
        bot.search(question, 5)
        search_ms.append((time.perf_counter() - started) * 1000)
    return {"dense_ms": dense_ms, "search_ms": search_ms, "dense_rows": dense_rows,
            "peak_rss_mb": peak_rss_mb(os.getpid())}


def exact_top(base: np.ndarray, size: int, queries: np.ndarray, k: int) -> np.ndarray:
    """Exact inner-product top-k over the synthetic corpus, in blocks (row numbers, 0-based)."""
    best_scores = np.full((len(queries), k), -np.inf, dtype="float32")
    best_rows = np.zeros((len(queries), k), dtype="int64")
    for first in range(0, size, 100_000):
        vectors = synthetic_vectors(base, first, min(size, first + 100_000))
        scores = queries @ vectors.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        merged_scores = np.hstack([best_scores, np.take_along_axis(scores, top, axis=1)])
        merged_rows = np.hstack([best_rows, top + first])
        order = np.argsort(-merged_scores, axis=1)[:, :k]
        best_scores = np.take_along_axis(merged_scores, order, axis=1)
        best_rows = np.take_along_axis(merged_rows, order, axis=1)
    return best_rows


def child(args) -> int:
    payload = json.loads(Path(args.child_input).read_text())
    base = np.load(payload["base"])
    if args.child == "build":
        result = build(payload["index"], payload["texts"], base, payload["size"], payload.get("wire_copies", True))
    else:
        result = query(payload["index"], payload["queries"], np.load(payload["query_vectors"]), payload["k"])
    Path(args.child_input).with_suffix(".out").write_text(json.dumps(result))
    return 0


def run_child(mode: str, payload: dict, work: Path) -> dict:
    request = work / f"{mode}.json"
    request.write_text(json.dumps(payload))
    subprocess.run([sys.executable, __file__, "--child", mode, "--child-input", str(request)], check=True)
    return json.loads(request.with_suffix(".out").read_text())


def start_lite_server(data: Path) -> tuple[subprocess.Popen, str]:
    """A `milvus-lite server` process serving `data`, on a free local port, and its address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data), "--host",
                               "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            raise RuntimeError("milvus-lite server exited at start")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server, f"http://127.0.0.1:{port}"
        if time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("milvus-lite server did not start in 120 s")
        time.sleep(0.2)


def disk_size_mb(folder: Path | None, nested: bool) -> float | None:
    """Bytes in the index folder (a local store's files), or under it (a Milvus Lite file's data folder),
    or of a server's single data file (Milvus Lite 2.x)."""
    if folder is None or not folder.exists():
        return None
    if folder.is_file():
        return folder.stat().st_size / 2**20
    return sum(f.stat().st_size for f in (folder.rglob("*") if nested else folder.iterdir()) if f.is_file()) / 2**20


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="the bbc_news folder")
    parser.add_argument("--size", type=int, default=1_000_000, help="paragraphs in the synthetic store")
    parser.add_argument("--base", type=int, default=3000, help="real BBC paragraphs embedded as the base")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index", help="milvus (Milvus Lite in the temporary folder, in the qa process), "
                                        "milvus-server (the same file served by a `milvus-lite server` process), "
                                        "or a milvus:PATH.db or http(s)://HOST:PORT address (default: the local store)")
    parser.add_argument("--server-pid", type=int, help="the process id of the Milvus server behind an http(s) "
                                                          "--index on this machine: its peak RSS is reported")
    parser.add_argument("--server-data", type=Path, help="that server's data file or folder: reported as the "
                                                         "index on disk")
    parser.add_argument("--no-wire-copies", action="store_true",
                        help="build without the wire-copy lookup (bands neither looked up nor stored)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-input", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if not args.data.is_dir():
        print(f"no benchmark data at {args.data}; nothing to measure")
        return 0

    from qa.ingest.embeddings import Embedder

    texts, headlines = base_corpus(args.data, args.base)
    rng = np.random.default_rng(7)
    queries = [headlines[i] for i in rng.choice(len(headlines), size=min(args.queries, len(headlines)), replace=False)]
    embedder = Embedder()
    print(f"embedding {len(texts):,} base paragraphs and {len(queries)} headline queries...", file=sys.stderr)
    base = embedder.encode(texts)
    query_vectors = embedder.encode(queries)
    k = 10
    with tempfile.TemporaryDirectory(prefix="qa-scale-") as tmp:
        work = Path(tmp)
        np.save(work / "base.npy", base)
        np.save(work / "queries.npy", query_vectors)
        server = None
        if args.index in (None, ""):
            index, folder = str(work / "index"), work / "index"
        elif args.index in ("milvus", "milvus-server"):
            folder = work / "scale.db"
            index = f"milvus:{folder}"
            if args.index == "milvus-server":
                server, index = start_lite_server(folder)
        else:
            index = args.index
            folder = Path(index[len("milvus:"):].partition("#")[0]) if index.startswith("milvus:") else None
            folder = args.server_data or folder
        server_pid = server.pid if server else args.server_pid
        if server_pid:
            peak_rss_mb(server_pid, reset=True)  # the build's peak, not what came before
        try:
            print(f"building a store of {args.size:,} paragraphs in {index} (load {load()})...", file=sys.stderr)
            built = run_child("build", {"index": index, "texts": texts, "base": str(work / "base.npy"),
                                        "size": args.size, "wire_copies": not args.no_wire_copies}, work)
            server_build_mb = peak_rss_mb(server_pid, reset=True) if server_pid else None
            disk_mb = disk_size_mb(folder, nested=args.index not in (None, ""))
            print(f"querying (load {load()})...", file=sys.stderr)
            measured = run_child("query", {"index": index, "queries": queries, "base": str(work / "base.npy"),
                                           "query_vectors": str(work / "queries.npy"), "k": k}, work)
            server_query_mb = peak_rss_mb(server_pid) if server_pid else None
            print(f"done (load {load()})", file=sys.stderr)
        finally:
            if server:
                server.terminate()
                server.wait(60)
        truth = exact_top(base, args.size, query_vectors, k)
    recall = np.mean([len(set(got) & set(want.tolist())) / k for got, want in zip(measured["dense_rows"], truth)])
    rows = [
        ("paragraphs", f"{args.size:,}"),
        ("vector index", ", ".join(f"{key} {value}" for key, value in built["index"].items() if key != "vectors")),
        ("build time", f"{built['seconds']:.0f} s ({args.size / built['seconds']:,.0f} paragraphs/s, vectors given"
                       f"{'; no wire-copy lookup' if args.no_wire_copies else ''})"),
        ("build peak RSS", f"{built['peak_rss_mb']:.0f} MB"),
        ("index on disk", "not measured (a server's disk)" if disk_mb is None else f"{disk_mb:,.0f} MB"),
        (f"vector search p50 / p95 (k={k})", f"{percentile(measured['dense_ms'], 50):.1f} / "
                                              f"{percentile(measured['dense_ms'], 95):.1f} ms"),
        (f"vector recall@{k} vs exact", f"{recall:.3f}"),
        ("QA.search p50 / p95 (hybrid, k=5)", f"{percentile(measured['search_ms'], 50):.0f} / "
                                              f"{percentile(measured['search_ms'], 95):.0f} ms"),
        ("query process peak RSS", f"{measured['peak_rss_mb']:.0f} MB"),
    ]
    if args.index == "milvus":
        rows.append(("Milvus Lite engine", "in the qa process (threads): its memory is in the RSS above"))
    if server_pid:
        rows.append(("Milvus server peak RSS (build / queries)",
                     f"{server_build_mb:.0f} / {server_query_mb:.0f} MB"))
    print_measures(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
