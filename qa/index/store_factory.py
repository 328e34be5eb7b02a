"""Opening a store by its address: a folder is the local index (SQLite + FAISS), `milvus:PATH.db`
(Milvus Lite) or `http(s)://HOST:PORT` (a Milvus server) the index in Milvus, whose client loads
only then. Above this module, code knows a store only by the contract (`qa.index.store_contract`)."""

from __future__ import annotations

import os

from .store_contract import StoreReader


def is_milvus_address(address: str | os.PathLike) -> bool:
    return str(address).startswith(("milvus:", "http://", "https://"))


def open_store(address: str | os.PathLike, *, create: bool = False, recover: bool = False) -> StoreReader:
    """The index at `address`; with `create`, made when missing; with `recover`, an index that is damaged
    or from another qa version is started afresh (`qa index --rebuild`)."""
    if is_milvus_address(address):
        from .milvus_store import MilvusStore

        return MilvusStore.open(address, create=create, recover=recover)
    from .store import Store

    return Store.open(address, create=create, recover=recover)
