"""The FAISS side of the store: which index type holds the vectors, and when it changes.

Small corpora use exact inner-product search. Past APPROXIMATE_FROM vectors the store switches, once,
to an inverted file with 8-bit scalar quantisation (IVF-SQ8): a quarter of the memory of float32 and
a search that scans only `nprobe` of `nlist` lists. Parameters are recorded in the index's meta table.
"""

from __future__ import annotations

import math

import numpy as np

from .config import approximate_from

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
