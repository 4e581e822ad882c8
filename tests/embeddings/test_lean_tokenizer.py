"""The lean unigram tokenizer gives the ids and offsets of ``tokenizers``' own model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

from embeddings.lean_tokenizer import UnigramPieces, load_lean_tokenizer

SPECIALS = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
# ties ("▁ab" + "c" vs "▁a" + "bc"), pieces longer than a syllable, accents, no "z" or "文"
PIECES = [
    ("▁", -2.0), ("a", -3.0), ("b", -3.0), ("c", -3.0), ("ab", -4.0), ("bc", -4.0),
    ("▁a", -2.5), ("▁ab", -3.5), ("abc", -6.0), ("ế", -3.0), ("▁thế", -2.0),
    ("th", -3.5), ("t", -4.0), ("h", -4.0), ("▁x", -3.0), ("x", -3.2), ("in", -2.2),
    ("i", -3.0), ("n", -3.0), ("▁xin", -1.5), ("ch", -3.0), ("ào", -2.0), ("▁ch", -2.6),
    (".", -1.0), (",", -1.0), ("é", -3.0), ("e", -3.0), ("\u0301", -5.0),
]  # fmt: skip
ALPHABET = "abcthinxoàáéếe\u0301z文🙂.,  \t<>/s"


def toy_tokenizer() -> Tokenizer:
    """A small XLM-R-shaped tokenizer: unigram, NFKC, Metaspace, <s> … </s>."""
    tok = Tokenizer(models.Unigram(SPECIALS + PIECES, 3))
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(prepend_scheme="always")]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tok.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>"])
    return tok


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tokenizer, Tokenizer]:
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    toy_tokenizer().save(str(path))
    return Tokenizer.from_file(str(path)), load_lean_tokenizer(path)


def same(pair: tuple[Tokenizer, Tokenizer], text: str) -> None:
    full, lean = pair
    a, b = full.encode(text), lean.encode(text)
    assert (b.ids, b.offsets, b.tokens) == (a.ids, a.offsets, a.tokens), text


@pytest.mark.parametrize(
    "text",
    ["", " ", "abc", "xin chào thế giới.", "zz文z abc", "a<s>b </s> <unk>", "é e\u0301 ế", "🙂🙂x"],
)
def test_same_ids_and_offsets(pair, text):
    same(pair, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_same_ids_and_offsets_on_any_text(pair, text):
    same(pair, text)


def test_unknown_characters_are_fused_into_one_unk():
    pieces = UnigramPieces(["<unk>", "a", "b"], [0.0, -1.0, -1.0], 0)
    assert pieces.spans("azz文b") == [(0, 1), (1, 4), (4, 5)]
    assert [(i, text) for i, text, _ in pieces.pieces("azz文b")] == [
        (1, "a"),
        (0, "zz文"),
        (2, "b"),
    ]
    assert pieces.pieces("a文")[1][2] == (1, 4)  # byte offsets


def test_only_unigram_models_are_read(tmp_path):
    path = tmp_path / "tokenizer.json"
    config = json.loads(toy_tokenizer().to_str())
    config["model"]["byte_fallback"] = True
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ValueError, match="byte fallback"):
        load_lean_tokenizer(path)


@pytest.mark.integration
def test_the_provisioned_tokenizer(seeds_dir: Path):
    """The real XLM-R vocabulary over the seeds and the gold questions."""
    from embeddings.provision import ensure_e5_model
    from rag.settings import Settings

    path = ensure_e5_model(Settings().model_cache).path / "tokenizer.json"
    full, lean = Tokenizer.from_file(str(path)), load_lean_tokenizer(path)
    texts = [t for f in sorted(seeds_dir.iterdir()) for t in f.read_text("utf-8").splitlines()]
    gold = Path(__file__).resolve().parents[2] / "eval" / "gold.jsonl"
    texts += [json.loads(line)["question"] for line in gold.read_text("utf-8").splitlines()]
    for text in texts:
        for prefix in ("query: ", "passage: "):
            a, b = full.encode(prefix + text), lean.encode(prefix + text)
            assert (b.ids, b.offsets) == (a.ids, a.offsets), text
