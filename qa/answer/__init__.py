"""Answers with citations: the data every answerer returns, and the answerers themselves."""

from .citations import Answer, Citation

__all__ = ["Answer", "Citation"]
