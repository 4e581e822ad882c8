"""On-topic unanswerable questions, made from a SQuAD-format file (SQuAD 2.0-style).

Leaving whole articles out of the index makes questions about a topic the documents never
mention; the harder case, and the seeds' usual one, is a question about a document that is
indexed but does not say the asked fact ("who chaired…" when the article names only the
deputy). Here every paragraph of some articles loses the sentences that hold any of its
questions' gold answers: the article stays in the index, on topic, while those questions
lose their answer. A question counts as unanswerable only when none of its gold answers is
left anywhere in those articles; the rest of its article's questions are left out (neither
answerable nor not), and every other article's questions stay answerable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from eval.squad import SquadData
from rag.documents import Document
from rag.sentences import split_sentences
from rag.textnorm import fold


def without_answers(
    data: SquadData, docs: Sequence[Document], articles: Collection[str]
) -> tuple[list[Document], dict[str, bool]]:
    """The index documents with the answer sentences of ``articles`` removed (a paragraph
    left with no sentence is dropped), and for each question id whether it is still
    answerable (questions of those articles whose answer survives elsewhere are absent).
    ``docs`` are ``paragraph_documents(data)``, in the same order as ``data.paragraphs``."""
    golds: dict[str, list[str]] = {}
    for q in data.questions:
        golds.setdefault(q.doc_id, []).extend(g for a in q.answers if (g := fold(a)))
    out: list[Document] = []
    left: list[str] = []  # folded text left of the articles' paragraphs
    for doc, paragraph in zip(docs, data.paragraphs, strict=True):
        if paragraph.article in articles:
            answers = golds.get(doc.doc_id, [])
            kept = [
                s.text
                for s in split_sentences(doc.text)
                if not any(g in fold(s.text) for g in answers)
            ]
            if not kept:
                continue
            doc = dataclasses.replace(doc, text=" ".join(kept))
            left.append(fold(doc.text))
        out.append(doc)
    remaining = " \n ".join(left)
    answerable: dict[str, bool] = {}
    for q in data.questions:
        if q.article not in articles:
            answerable[q.id] = True
        elif not any(fold(a) in remaining for a in q.answers):
            answerable[q.id] = False
    return out, answerable
