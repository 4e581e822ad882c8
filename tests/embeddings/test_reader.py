from pathlib import Path

import numpy as np
import pytest

from embeddings.provision import PASSAGE_PREFIX, QUERY_PREFIX
from embeddings.reader import MAX_PAIR_TOKENS, SEP_ID, OnnxReader, best_token_span, weights_digest


class _WordTokenizer:
    """One token per whitespace-separated word, ``<s>``=0 ... ``</s>``=2, like the XLM-R
    tokenizer's single-text encodings."""

    def _tokenise(self, texts):
        out = []
        for text in texts:
            ids, offsets, pos = [0], [(0, 0)], 0
            for word in text.split(" "):
                ids.append(10 + len(word))
                offsets.append((pos, pos + len(word)))
                pos += len(word) + 1
            out.append(([*ids, 2], [*offsets, (0, 0)]))
        return out


def _reader() -> OnnxReader:
    reader = OnnxReader.__new__(OnnxReader)
    reader._encoder = _WordTokenizer()
    return reader


def test_pair_is_question_then_window_with_window_offsets():
    ids, offsets = _reader().pair_tokens("ai chủ trì?", "Thủ tướng chủ trì hội nghị")
    q_len = len(_WordTokenizer()._tokenise([QUERY_PREFIX + "ai chủ trì?"])[0][0])
    assert ids[0] == 0 and ids[q_len - 1] == SEP_ID and ids[q_len] == SEP_ID and ids[-1] == SEP_ID
    window = "Thủ tướng chủ trì hội nghị"
    spans = [o for o in offsets if o[0] >= 0]
    assert [window[a:b] for a, b in spans] == window.split(" ")
    assert len(ids) == len(offsets)
    assert PASSAGE_PREFIX.strip() not in [window[a:b] for a, b in spans]


def test_long_windows_are_cut_to_the_trained_length():
    window = " ".join(["từ"] * 600)
    ids, offsets = _reader().pair_tokens("câu hỏi", window)
    assert len(ids) <= MAX_PAIR_TOKENS and ids[-1] == SEP_ID
    assert len(ids) == len(offsets)


def test_best_span_respects_order_and_length():
    logits = np.zeros((50, 2), np.float32)
    logits[10, 0], logits[5, 1] = 9.0, 9.0  # end before start: not allowed
    logits[12, 1] = 3.0
    assert best_token_span(logits[:, 0], logits[:, 1])[:2] == (10, 12)


def test_weights_digest_names_the_weights(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    assert weights_digest(a) != weights_digest(b)
    with pytest.raises(FileNotFoundError):
        weights_digest(tmp_path / "missing")
