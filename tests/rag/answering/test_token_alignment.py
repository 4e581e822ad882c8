"""Word scores from token scores: the vectorised alignment equals the per-word loop."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from rag.answering.extractive import _per_word
from rag.answering.words import Word


def _reference(scores, offsets, words, base):
    out = []
    for w in words:
        a, b = w.start - base, w.end - base
        inside = scores[(offsets[:, 0] < b) & (offsets[:, 1] > a)]
        out.append(float(inside.max()) if len(inside) else 0.0)
    return out


def test_per_word_equals_the_loop():
    rng = np.random.default_rng(0)
    for _ in range(50):
        base = int(rng.integers(0, 500))
        cuts = np.sort(rng.choice(np.arange(1, 120), size=int(rng.integers(2, 30)), replace=False))
        words = [Word("w", base + int(a), base + int(b), "N", "w") for a, b in pairwise(cuts)]
        edges = np.sort(rng.choice(np.arange(0, 130), size=int(rng.integers(2, 40)), replace=False))
        offsets = np.stack([edges[:-1], edges[1:]], axis=1).astype(np.int32)
        scores = rng.random(len(offsets)).astype(np.float32) * (rng.random(len(offsets)) > 0.3)
        assert _per_word(scores, offsets, words, base) == _reference(scores, offsets, words, base)


def test_no_words():
    assert _per_word(np.zeros(3, np.float32), np.zeros((3, 2), np.int32), [], 0) == []
