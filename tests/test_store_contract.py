"""Both stores keep the written store contract (qa.index.store_contract): every method it names, with the
same parameters, on the local store and the Milvus one and on their writers; the code above the
stores is typed to the contract, and opens a store only through the factory."""

from __future__ import annotations

import inspect
import re

import pytest

from qa.index.milvus_store import MilvusStore
from qa.index.milvus_writer import MilvusWriter
from qa.index.store import Store
from qa.index.store_contract import StoreReader, StoreWriting
from qa.index.store_factory import open_store
from qa.index.store_writer import StoreWriter
from tests.conftest import REPO


def members(protocol) -> dict[str, object]:
    names = {n for n in vars(protocol) if not n.startswith("_") or n in ("__enter__", "__exit__")}
    names |= set(getattr(protocol, "__annotations__", {}))
    return {n: getattr(protocol, n, None) for n in names if n not in ("__annotations__",)}


def parameters(function) -> list[str]:
    return [p.name for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("protocol, implementations", [(StoreReader, [Store, MilvusStore]),
                                                      (StoreWriting, [StoreWriter, MilvusWriter])])
def test_every_store_keeps_the_contract(protocol, implementations):
    for cls in implementations:
        for name, member in members(protocol).items():
            if name == "path":
                continue  # an attribute set by each store's constructor
            assert hasattr(cls, name), f"{cls.__name__} lacks {protocol.__name__}.{name}"
            mine = inspect.getattr_static(cls, name)
            if isinstance(member, property):
                assert isinstance(mine, property), f"{cls.__name__}.{name} is not a property"
            elif callable(member):
                assert parameters(getattr(cls, name)) == parameters(member), f"{cls.__name__}.{name}'s parameters"


def test_a_local_store_and_its_writer_are_what_the_contract_says(tmp_path):
    with open_store(tmp_path / "index", create=True) as store:
        assert isinstance(store, Store) and isinstance(store, StoreReader)
        assert isinstance(store.another_reader(), StoreReader)
        with store.writer() as writer:
            assert isinstance(writer, StoreWriting)


def test_code_above_the_stores_knows_only_the_contract():
    """Outside the store modules, no module imports a store class; a store is opened by its address."""
    stores = {"store", "store_writer", "milvus_store", "milvus_writer", "milvus_client", "store_factory", "store_base",
              "schema", "connection", "vectors"}
    wrong = []
    for path in sorted((REPO / "qa").rglob("*.py")):
        if path.stem in stores:
            continue
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"^\s*from \.+(store|store_writer|milvus_store|milvus_writer)\b import", text, re.M):
            wrong.append(f"{path.relative_to(REPO)} imports qa.{target}")
        if re.search(r"isinstance\([^)]*\b(Store|MilvusStore)\)", text):
            wrong.append(f"{path.relative_to(REPO)} switches on the store's class")
    assert not wrong, "; ".join(wrong)
