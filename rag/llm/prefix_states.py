"""The evaluated prompt of recent conversations, kept per shared prefix.

llama.cpp reuses the tokens a context already evaluated when the next prompt starts with
them, so a constant system prompt and worked example cost nothing after the first request.
The answer prompt has one such prefix per language (``rag.answering.prompt``): one English
question after a Vietnamese one made the model evaluate the whole English prefix again
(~270 tokens: 2-3 s of the 1.5B's first token on two cores, eval/README.md). Here the
context's sequence state (its KV cells, a few MB) is saved after each request under the
request's prefix (every message but the last), and restored before a request whose prefix
is not the one the context holds. llama-cpp-python's own ``LlamaRAMCache`` would also do it,
but it saves the logits of every prompt token with each state (~300 MB for a 150k-word
vocabulary), and the model's sampler does not need them.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.llm.base import Message

SEQUENCE = 0  # llama-cpp-python keeps its one conversation in sequence 0
CAPACITY = 4  # prefixes kept (the answer prompt has two: English and Vietnamese)


@functools.cache
def supported() -> bool:
    """This llama-cpp-python exposes what saving and restoring a sequence needs (older
    releases name the memory calls differently); without them every prompt is evaluated
    as before."""
    import llama_cpp

    needed = ("llama_get_memory", "llama_memory_clear", "llama_state_seq_get_data")
    return all(hasattr(llama_cpp, name) for name in needed)


def prefix_key(messages: Sequence[Message]) -> str:
    """What a request shares with others of its kind: every message but the last."""
    shared = [[m["role"], m["content"]] for m in messages[:-1]]
    return hashlib.sha256(json.dumps(shared, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class SavedState:
    tokens: np.ndarray
    """The token ids the state holds, in order."""
    data: bytes
    """llama.cpp's state of the sequence (``llama_state_seq_get_data``)."""


class PrefixStates:
    """Saved sequence states by prefix key, the most recent ``capacity`` kept."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._saved: OrderedDict[str, SavedState] = OrderedDict()
        self._live: str | None = None  # the prefix whose state the context holds
        self.restored = 0

    def __len__(self) -> int:
        return len(self._saved)

    def before(self, llama: Any, key: str) -> bool:
        """Put the saved state of ``key`` into ``llama``'s context when it holds another
        prefix's; True when a state was restored."""
        saved = self._saved.get(key)
        if saved is None or key == self._live or not supported():
            return False
        import llama_cpp

        ctx = llama._ctx.ctx
        self._live = None  # whatever happens next, the context no longer holds a known prefix
        llama.reset()
        memory = llama_cpp.llama_get_memory(ctx)
        if memory is None:
            return False
        llama_cpp.llama_memory_clear(memory, True)
        buffer = (ctypes.c_uint8 * len(saved.data)).from_buffer_copy(saved.data)
        if not llama_cpp.llama_state_seq_set_data(ctx, buffer, len(saved.data), SEQUENCE):
            return False  # nothing restored: the prompt is evaluated from the start
        n = len(saved.tokens)
        llama.input_ids[:n] = saved.tokens
        llama.n_tokens = n
        llama._requires_eval = True  # the restored cells hold no logits to sample from
        self._saved.move_to_end(key)
        self.restored += 1
        return True

    def after(self, llama: Any, key: str) -> None:
        """Save the context's state (the request just answered) under ``key``, unless the
        context already held this prefix and a state of it is kept: that state still holds
        the prefix, so requests in one language copy nothing."""
        if key == self._live and key in self._saved:
            self._saved.move_to_end(key)
            return
        if self.capacity <= 0 or not supported():
            self._live = None
            return
        import llama_cpp

        ctx = llama._ctx.ctx
        size = int(llama_cpp.llama_state_seq_get_size(ctx, SEQUENCE))
        buffer = (ctypes.c_uint8 * size)()
        written = int(llama_cpp.llama_state_seq_get_data(ctx, buffer, size, SEQUENCE))
        if written <= 0:
            self._live = None
            return
        tokens = np.array(llama.input_ids[: llama.n_tokens], dtype=np.intc)
        self._saved[key] = SavedState(tokens, bytes(memoryview(buffer)[:written]))
        self._saved.move_to_end(key)
        while len(self._saved) > self.capacity:
            self._saved.popitem(last=False)
        self._live = key

    def forget(self) -> None:
        """The context holds something unknown (a request failed half-way)."""
        self._live = None
