"""The FAISS side of the store: which index type holds the vectors, when it changes, and its files.

Small corpora use exact inner-product search. Past APPROXIMATE_FROM vectors the store switches, once,
to an inverted file with 8-bit scalar quantisation (IVF-SQ8): a quarter of the memory of float32 and
a search that scans only `nprobe` of `nlist` lists. Parameters are recorded in the index's meta table.

Each committed generation N of the vectors is one file, `vectors.N.faiss`, written durably before
SQLite names it and checked against the sha256 SQLite recorded when read back.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from pathlib import Path

import numpy as np

from ..config import approximate_from
from ..errors import REBUILD_HINT, IndexDamagedError, IndexStorageError

# Exact search over 100k 384-d vectors takes ~10 ms on 2 cores and 150 MB; past that, approximate.
APPROXIMATE_FROM = approximate_from()  # read once, at import
# Chosen on bench/scale.py: recall@10 against exact search stays >= 0.95 at 1M vectors.
NPROBE = 48


def new_exact(dimension: int):
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def describe(index) -> dict:
    """What the index is, for the meta table and `qa list --json`."""
    import faiss

    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexIVF):
        return {"type": "IVF-SQ8", "nlist": int(inner.nlist), "nprobe": int(inner.nprobe), "vectors": int(index.ntotal)}
    return {"type": "exact", "vectors": int(index.ntotal)}


def is_exact(index) -> bool:
    return describe(index)["type"] == "exact"


def maybe_approximate(index, threshold: int | None = None):
    """The same vectors in an IVF-SQ8 index once an exact one holds `threshold` or more; else `index`.

    Trained on the vectors already there (a sample of at most 256 per list), so later additions go
    into lists learnt from the corpus itself."""
    import faiss

    threshold = APPROXIMATE_FROM if threshold is None else threshold
    if not is_exact(index) or index.ntotal < threshold:
        return index
    vectors = faiss.rev_swig_ptr(faiss.downcast_index(index.index).get_xb(), index.ntotal * index.d)
    vectors = np.asarray(vectors, dtype="float32").reshape(index.ntotal, index.d).copy()
    ids = faiss.vector_to_array(index.id_map).astype("int64")
    nlist = 2 ** round(math.log2(4 * math.sqrt(index.ntotal)))
    nlist = max(1, min(nlist, index.ntotal // 39))  # FAISS wants >= 39 training points per list
    quantizer = faiss.IndexFlatIP(index.d)
    ivf = faiss.IndexIVFScalarQuantizer(quantizer, index.d, nlist, faiss.ScalarQuantizer.QT_8bit,
                                        faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(len(vectors), size=min(len(vectors), 256 * nlist), replace=False)]
    ivf.train(sample)
    ivf.nprobe = min(NPROBE, nlist)
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct() and remove_ids() by paragraph id
    ivf.add_with_ids(vectors, ids)
    return ivf


def search_parameters(index, selector=None):
    """FAISS search parameters that keep the index's own nprobe when a filter is given."""
    import faiss

    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexIVF):
        return faiss.SearchParametersIVF(sel=selector, nprobe=int(inner.nprobe))
    return faiss.SearchParameters(sel=selector) if selector is not None else None


def stored_ids(index) -> np.ndarray:
    """Every paragraph id the index holds, whatever its type (to check it against SQLite)."""
    import faiss

    if isinstance(index, faiss.IndexIDMap):
        return faiss.vector_to_array(index.id_map).astype("int64")
    lists = faiss.extract_index_ivf(index).invlists
    parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy() for i in range(lists.nlist)]
    return np.concatenate(parts).astype("int64") if parts else np.zeros(0, dtype="int64")


# --- files ------------------------------------------------------------------------------------------


class VectorsMissing(IndexDamagedError):
    """The vector file of the generation being read is gone: damage, or a writer replaced it just now."""


def vector_file(folder: Path, generation: int) -> Path:
    return folder / f"vectors.{generation}.faiss"


def vector_files(folder: Path) -> list[Path]:
    """Every vector file in the folder (committed, stray or half-written)."""
    return list(folder.glob("vectors.*"))


def read_vectors(file: Path, digest: str | None):
    """The FAISS index in `file`, checked against `digest` (its sha256) when given."""
    import faiss

    try:
        fh = open(file, "rb")  # held open: a writer that replaces the file meanwhile cannot pull it away
    except FileNotFoundError:
        raise VectorsMissing(f"the vector file {file.name} of the index at {file.parent} is missing; "
                             f"{REBUILD_HINT}") from None
    except OSError as exc:
        raise IndexStorageError(f"cannot read the vector file {file} ({exc.strerror})") from exc
    with fh:
        try:
            if digest:
                checksum = hashlib.sha256()
                for block in iter(lambda: fh.read(1 << 20), b""):
                    checksum.update(block)
                if checksum.hexdigest() != digest:
                    raise IndexDamagedError(f"the vector file {file} is damaged (its checksum does not match "
                                            f"what the index recorded); {REBUILD_HINT}")
                fh.seek(0)
            # Streamed into FAISS in blocks: reading the whole file first held it twice in memory
            # (1.4 GB peak for a million vectors instead of ~0.6).
            return faiss.read_index(faiss.PyCallbackIOReader(fh.read))
        except OSError as exc:
            raise IndexStorageError(f"cannot read the vector file {file} ({exc.strerror})") from exc
        except RuntimeError as exc:
            raise IndexDamagedError(f"the vector file {file} is damaged; {REBUILD_HINT}") from exc


def write_vectors(index, file: Path) -> str:
    """Write the index to `file` durably (temp file, fsync, rename, fsync of the folder), so SQLite may
    name it next; returns its sha256. On failure no temp file is left behind."""
    import faiss

    temp = file.with_suffix(".tmp")
    try:
        # Serialised in memory and written by Python: faiss's own writer reports a full disk only
        # on stderr, leaving a truncated file behind.
        data = faiss.serialize_index(index)
        with open(temp, "wb") as fh:
            fh.write(memoryview(data))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, file)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(file.parent)  # the rename is durable before SQLite names the file
    return hashlib.sha256(data).hexdigest()


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
