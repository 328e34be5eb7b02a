"""What the answer pipeline asks of an LLM backend. The two backends: local_backend.py (llama.cpp in
this process) and openai_backend.py (any OpenAI-compatible server); llm.choose_backend picks one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

TokenFn = Callable[[str], None]
MAX_ANSWER_TOKENS = 240


class Backend(Protocol):
    """An LLM that writes a completion of chat messages, streaming its tokens to `on_token`."""

    name: str  # "local" | "openai"
    model: str

    def complete(self, messages: list[dict], on_token: TokenFn | None = None,
                 max_tokens: int = MAX_ANSWER_TOKENS) -> str:
        """The model's reply to `messages`, at most `max_tokens` long; raises LLMError on failure."""
        ...
