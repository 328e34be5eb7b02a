"""What the local store (`qa.index.store.Store`) and the Milvus one (`qa.index.milvus_store.MilvusStore`) answer
alike from their meta values, written once: the embedding model, its dimension, and the refusal of
another model."""

from __future__ import annotations

from typing import Self

from ..errors import ModelMismatchError


class StoreBase:
    """A store's model bookkeeping; subclasses provide `path` (what messages name), `meta` and `close`."""

    path: object

    def meta(self, key: str) -> str | None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def model(self) -> str | None:
        return self.meta("model")

    @property
    def dimension(self) -> int | None:
        value = self.meta("dimension")
        return int(value) if value else None

    def model_mismatch(self, model: str) -> ModelMismatchError:
        return ModelMismatchError(
            f"the index at {self.path} was built with embedding model {self.model!r} "
            f"({self.dimension} dims), not {model!r}; drop --model to use the index's own model, "
            f"or rebuild with `qa index --rebuild --model {model} PATH...`")

    def check_model(self, model: str, dimension: int) -> None:
        """Refuse a model other than the one the index was built with (an empty index takes any)."""
        if self.model and (self.model != model or self.dimension != dimension):
            raise self.model_mismatch(model)
