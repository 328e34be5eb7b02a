"""The LLM on a server: anything speaking the OpenAI chat API (Ollama, llama.cpp's server, vLLM,
LM Studio, OpenAI), bounded in time, its failures turned into LLMError."""

from __future__ import annotations

import contextlib
import threading
import time

from ..config import api_key
from ..errors import LLMError, QAError
from .backends import MAX_ANSWER_TOKENS, TokenFn


class OpenAIBackend:
    """Any server speaking the OpenAI chat API: Ollama, llama.cpp's server, vLLM, LM Studio, OpenAI.

    Bounded: `timeout` for each wait on the server, one retry (the client's max_retries), and at most
    3 x `timeout` for a whole streamed answer, so a server that trickles or pings forever is cut off."""

    name = "openai"
    ANSWER_TIMEOUT_FACTOR = 3

    def __init__(self, base_url: str, model: str | None = None, timeout: float = 60.0, retries: int = 1):
        try:
            from openai import OpenAI
        except ImportError as exc:
            raise QAError("the openai package is not installed; run ./setup.sh") from exc
        self.base_url = base_url
        # The key comes from the environment only; local servers accept any non-empty key.
        self.client = OpenAI(base_url=base_url, api_key=api_key(), timeout=timeout, max_retries=retries)
        self._model = model
        self.answer_timeout = timeout * self.ANSWER_TIMEOUT_FACTOR

    @property
    def model(self) -> str:
        """The configured model, else the server's first (asked once)."""
        if self._model is None:
            self._model = self._call(lambda: self.client.models.list().data[0].id)
        return self._model

    def complete(self, messages: list[dict], on_token: TokenFn | None = None,
                 max_tokens: int = MAX_ANSWER_TOKENS) -> str:
        """One answer, streamed to `on_token`, within `answer_timeout`."""
        started = time.monotonic()

        def run() -> str:
            pieces = []
            chunks = 0
            stream = self.client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True,
            )
            # A watchdog closes the stream at the deadline; the read it interrupts raises below.
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                with contextlib.suppress(Exception):
                    stream.close()

            watchdog = threading.Timer(max(self.answer_timeout - (time.monotonic() - started), 0.0), expire)
            watchdog.daemon = True
            watchdog.start()
            too_slow = LLMError(f"the LLM server at {self.base_url} took over {self.answer_timeout:.0f}s to "
                                f"answer; stopped waiting")
            try:
                for chunk in stream:  # noqa: B007
                    chunks += 1
                    if expired.is_set():
                        raise too_slow
                    if not chunk.choices:
                        continue
                    piece = chunk.choices[0].delta.content if chunk.choices[0].delta else None
                    if piece:
                        pieces.append(piece)
                        if on_token:
                            on_token(piece)
            except LLMError:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever the transport raised, the answer is cut
                if expired.is_set():
                    raise too_slow from exc
                if chunks:
                    raise LLMError(f"the LLM server at {self.base_url} stopped mid-answer "
                                   f"({type(exc).__name__})") from exc
                raise
            finally:
                watchdog.cancel()
                stream.close()
            if expired.is_set():
                raise too_slow
            if chunks == 0:
                raise ValueError("no completion chunks in the response")
            return "".join(pieces)

        return self._call(run)

    def _call(self, fn):
        import openai

        where = f"the LLM server at {self.base_url}"
        try:
            return fn()
        except LLMError:
            raise
        except openai.APITimeoutError as exc:
            raise LLMError(f"{where} timed out") from exc
        except openai.APIConnectionError as exc:
            raise LLMError(f"cannot reach {where} ({exc.__cause__ or exc}); is it running?") from exc
        except openai.AuthenticationError as exc:
            raise LLMError(f"{where} refused the API key (set QA_API_KEY or OPENAI_API_KEY)") from exc
        except openai.APIStatusError as exc:
            body = str(exc.message or "").lower()
            if "context" in body or "too long" in body or "exceed" in body:
                raise LLMError(f"the prompt is too long for the model's context at {where}") from exc
            raise LLMError(f"{where} answered HTTP {exc.status_code}") from exc
        except Exception as exc:  # noqa: BLE001 - transport errors raised mid-stream are not wrapped by openai
            if "timeout" in type(exc).__name__.lower():
                raise LLMError(f"{where} timed out") from exc
            raise LLMError(f"{where} sent a malformed or broken response ({type(exc).__name__})") from exc
