"""The ``local`` LLM: a GGUF model run in-process by llama-cpp-python (CPU).

llama-cpp-python is the optional ``[llm]`` extra and is imported only when the model is
loaded. The chat template comes from the GGUF file's metadata. One ``Llama`` object serves
one request at a time (it is not thread-safe), so calls are serialised by a lock.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.errors import ModelError
from rag.llm.base import GenerationStats, Message, StreamedGeneration
from rag.llm.prefix_states import PrefixStates, prefix_key

INSTALL_HINT = (
    "the local LLM needs llama-cpp-python, which is not installed: pip install "
    "'llama-cpp-python>=0.3.0' (the llm extra; it compiles llama.cpp: ~10 min on 2 cores)"
)


def llama_cpp_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


class LlamaCppLLM(StreamedGeneration):
    name = "local"

    def __init__(self, model_path: Path, *, n_ctx: int = 4096, threads: int | None = None) -> None:
        if not llama_cpp_available():
            raise ModelError(INSTALL_HINT)
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise ModelError(
                f"no GGUF model file at {self.model_path}: run `rag llm pull` "
                "(or set RAG_LLM_MODEL_PATH to a .gguf file)"
            )
        self.model = self.model_path.name
        self.n_ctx = n_ctx
        self.threads = threads or os.cpu_count() or 1
        self.last_stats: GenerationStats | None = None
        self.load_s: float | None = None
        self._llama: Any = None
        self._lock = threading.Lock()
        self.prefixes = PrefixStates()

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        """Load the weights now (the first call does it otherwise)."""
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> Any:
        if self._llama is None:
            try:
                import llama_cpp
            except ImportError as exc:
                raise ModelError(f"{INSTALL_HINT} ({exc})") from exc
            started = time.perf_counter()
            try:
                self._llama = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(f"cannot load the LLM {self.model_path}: {exc}") from exc
            self.load_s = time.perf_counter() - started
        return self._llama

    def prefill(self, messages: Sequence[Message]) -> None:
        """Evaluate ``messages`` (one token generated) so that the state of their prefix,
        every message but the last, is kept for the requests that share it."""
        for _ in self.stream(messages, max_tokens=1):
            pass

    def count_tokens(self, text: str) -> int:
        with self._lock:
            llama = self._load_locked()
            return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    # --------------------------------------------------------------- generation
    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        with self._lock:
            llama = self._load_locked()
            key = prefix_key(messages)
            self.prefixes.before(llama, key)
            _perf_reset(llama)
            started = time.perf_counter()
            first: float | None = None
            pieces = 0
            finished = False
            try:
                chunks = llama.create_chat_completion(
                    messages=[dict(m) for m in messages],
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=list(stop or []),
                    stream=True,
                )
            except ValueError as exc:  # e.g. the prompt does not fit the context
                raise ModelError(f"the local LLM refused the prompt: {exc}") from exc
            try:
                for chunk in chunks:
                    choices = chunk.get("choices") or [{}]
                    text = (choices[0].get("delta") or {}).get("content")
                    if text:
                        if first is None:
                            first = time.perf_counter()
                        pieces += 1
                        yield text
                finished = True
            finally:
                if finished:
                    self.prefixes.after(llama, key)
                else:  # stopped half-way (an error, or the caller stopped reading)
                    self.prefixes.forget()
            end = time.perf_counter()
            self.last_stats = _stats(llama, started, first, end, pieces)


def _perf_reset(llama: Any) -> None:
    try:
        import llama_cpp

        llama_cpp.llama_perf_context_reset(llama.ctx)
    except (AttributeError, TypeError, ImportError):
        pass


def _stats(
    llama: Any, started: float, first: float | None, end: float, pieces: int
) -> GenerationStats:
    """llama.cpp's own counters when available (they exclude a cached prompt prefix)."""
    try:
        import llama_cpp

        perf = llama_cpp.llama_perf_context(llama.ctx)
        if perf.n_p_eval > 0:
            return GenerationStats(
                prompt_tokens=int(perf.n_p_eval),
                completion_tokens=int(perf.n_eval) + 1,
                prompt_s=perf.t_p_eval_ms / 1000,
                generation_s=perf.t_eval_ms / 1000,
            )
    except (AttributeError, TypeError, ImportError):
        pass
    return GenerationStats(
        prompt_tokens=None,
        completion_tokens=pieces,
        prompt_s=None if first is None else first - started,
        generation_s=None if first is None else end - first,
    )
