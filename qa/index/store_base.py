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

    # --- publication dates (a time question's bounds: qa.search.timeframe) ---------------------------
    # Read here from every article; the local store answers each with one SQL query instead.

    def articles(self) -> list:
        raise NotImplementedError

    def newest_date(self, up_to: str | None = None) -> str | None:
        """The newest publication date (on or before `up_to`), None when no article is dated."""
        return max((a.date for a in self.articles() if a.date and (up_to is None or a.date <= up_to)), default=None)

    def published_after(self, day: str) -> bool:
        """Whether any article is dated after `day`."""
        return any(a.date and a.date > day for a in self.articles())

    def has_articles(self) -> bool:
        return bool(self.articles())

    def articles_known_by(self, day: str) -> list[str]:
        """The ids of articles published on or before `day`, or undated."""
        return [a.id for a in self.articles() if not a.date or a.date <= day]

    def check_model(self, model: str, dimension: int) -> None:
        """Refuse a model other than the one the index was built with (an empty index takes any)."""
        if self.model and (self.model != model or self.dimension != dimension):
            raise self.model_mismatch(model)
