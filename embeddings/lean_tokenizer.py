"""The XLM-R unigram tokenizer in a fraction of the memory of ``tokenizers``' own model.

``tokenizers.Tokenizer.from_file`` builds its ``Unigram`` model with a byte trie of
hash-map nodes: for the 250k-piece XLM-R vocabulary that is ~280 MB per process, the
largest single object in an API worker. Here the same ``tokenizer.json`` runs through
``tokenizers`` for everything but the model (special tokens, the precompiled normaliser,
the pre-tokenisers, offsets, the ``<s> … </s>`` template), and a custom pre-tokeniser step
cuts each word with the same Viterbi search as ``Unigram::encode_optimized`` (same scores,
the same tie-breaking, unknown characters scored ``min_score - 10`` and consecutive ones
fused into one ``<unk>``) over a plain dict of the pieces (~40 MB). Ids and offsets are
identical to the ``tokenizers`` model's (``tests/embeddings/test_lean_tokenizer.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
from pathlib import Path
from typing import Any

from tokenizers import PreTokenizedString, Token, Tokenizer, pre_tokenizers

UNK_PENALTY = 10.0  # tokenizers' K_UNK_PENALTY
WORD_CACHE_SIZE = 10_000  # words whose pieces are kept (tokenizers' unigram keeps 10k too)

Piece = tuple[int, str, tuple[int, int]]  # id, text, byte offsets in the word


class UnigramPieces:
    """Viterbi segmentation of one pre-tokenised word into vocabulary pieces."""

    def __init__(self, pieces: list[str], scores: list[float], unk_id: int) -> None:
        self._ids = {piece: i for i, piece in enumerate(pieces)}  # a repeated piece: last id
        self._scores = scores
        self.unk_id = unk_id
        self._unk_score = min(scores) - UNK_PENALTY
        self._longest = max(len(p) for p in pieces)
        self._cache: dict[str, list[Piece]] = {}

    def spans(self, word: str) -> list[tuple[int, int]]:
        """The best segmentation of ``word`` as character spans (unknowns fused)."""
        n = len(word)
        ids, scores, unk_id = self._ids, self._scores, self.unk_id
        best = [0.0] * (n + 1)
        start = [-1] * (n + 1)
        token = [0] * (n + 1)
        for s in range(n):
            base = best[s]
            single = False
            for e in range(s + 1, min(n, s + self._longest) + 1):
                i = ids.get(word[s:e])
                if i is None:
                    continue
                score = scores[i] + base
                if start[e] < 0 or score > best[e]:  # strictly better: the first one wins
                    best[e], start[e], token[e] = score, s, i
                single = single or e == s + 1
            if not single:  # no piece for this character: an <unk> of it
                score = self._unk_score + base
                if start[s + 1] < 0 or score > best[s + 1]:
                    best[s + 1], start[s + 1], token[s + 1] = score, s, unk_id
        out: list[tuple[int, int]] = []
        e, unk_end = n, -1
        while e > 0:
            s = start[e]
            if token[e] == unk_id:
                unk_end = e if unk_end < 0 else unk_end
            else:
                if unk_end >= 0:
                    out.append((e, unk_end))
                    unk_end = -1
                out.append((s, e))
            e = s
        if unk_end >= 0:
            out.append((0, unk_end))
        out.reverse()
        return out

    def pieces(self, word: str) -> list[Piece]:
        hit = self._cache.get(word)
        if hit is None:
            hit = []
            offset = 0
            for s, e in self.spans(word):
                text = word[s:e]
                size = len(text.encode("utf-8"))
                hit.append((self._ids.get(text, self.unk_id), text, (offset, offset + size)))
                offset += size
            if len(self._cache) < WORD_CACHE_SIZE:
                self._cache[word] = hit
        return hit

    def tokens(self, word: str) -> list[Token]:
        return [Token(i, text, offsets) for i, text, offsets in self.pieces(word)]


class _PieceStep:
    """Custom pre-tokeniser step: gives every word its pieces (the model is then skipped)."""

    def __init__(self, pieces: UnigramPieces) -> None:
        self.pieces = pieces

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pretok.tokenize(self.pieces.tokens)


def load_lean_tokenizer(path: Path) -> Tokenizer:
    """``tokenizer.json`` (a ``Unigram`` model) as a ``Tokenizer`` with the lean model."""
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    model = config["model"]
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        raise ValueError(f"{path}: expected a Unigram model without byte fallback")
    vocab: list[list[Any]] = model["vocab"]
    unk_id = int(model["unk_id"])
    # special tokens keep their ids: they must be in the (otherwise unused) model's vocab
    specials = {t["content"]: int(t["id"]) for t in config.get("added_tokens", [])}
    config["model"] = {"type": "WordLevel", "vocab": specials, "unk_token": vocab[unk_id][0]}
    tokenizer = Tokenizer.from_str(json.dumps(config))
    scores = [float(score) for _, score in vocab]
    # the pieces copied out of the parsed JSON into one string and back: the dict's keys
    # then sit together in memory instead of among the freed JSON lists
    blob = "\x00".join(piece for piece, _ in vocab)
    if blob.count("\x00") != len(vocab) - 1:
        raise ValueError(f"{path}: a vocabulary piece contains NUL")
    del config, model, vocab
    gc.collect()
    pieces = UnigramPieces(blob.split("\x00"), scores, unk_id)
    del blob
    step = pre_tokenizers.PreTokenizer.custom(_PieceStep(pieces))
    original = tokenizer.pre_tokenizer
    tokenizer.pre_tokenizer = (
        step if original is None else pre_tokenizers.Sequence([original, step])
    )
    release_free_memory()
    return tokenizer


def release_free_memory() -> None:
    """Give freed heap pages back to the OS (glibc's ``malloc_trim``; elsewhere a no-op)."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
