"""The subject of the kill test: ingest a new version of a generated corpus, round after
round, until killed. Settings come from ``RAG_*`` variables (the test sets the hashing
embedder and a temp index); prints ``ready`` once loaded and ``committed V GEN`` after
each commit.

    python -m tests.rag.index.ingest_loop START_VERSION
"""

from __future__ import annotations

import random
import sys

from rag import Pipeline
from rag.documents import Document

N_DOCS = 90
PERIOD = 3
"""Each round rewrites the documents ``j`` with ``j % PERIOD == version % PERIOD``; the
others are unchanged (and must not be re-embedded)."""

_WORDS = (
    "hội nghị ngoại giao đối ngoại toàn quốc lần thứ kinh tế văn hóa chủ trì phát biểu "
    "đại sứ quán bộ trưởng thủ tướng hợp tác quốc tế hội nhập phát triển bền vững"
).split()


def stamp(j: int, version: int) -> int:
    """The last version (≤ ``version``) that rewrote document ``j``; 0 at first."""
    last = version - (version - j) % PERIOD
    return last if last > 0 else 0


def corpus(version: int) -> list[Document]:
    docs = []
    for j in range(N_DOCS):
        s = stamp(j, version)
        rng = random.Random(j * 100_003 + s)
        sentences = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
            for _ in range(rng.randint(3, 12))
        ]
        text = f"Văn bản {j} phiên bản {s}. " + " ".join(sentences)
        docs.append(Document(f"doc{j:03d}", f"Tài liệu {j}", text, f"doc{j:03d}.txt"))
    return docs


def main() -> None:
    version = int(sys.argv[1])
    pipeline = Pipeline.from_settings()
    print("ready", flush=True)
    while True:
        version += 1
        report = pipeline.add_documents(corpus(version))
        print(f"committed {version} {report.generation}", flush=True)


if __name__ == "__main__":
    main()
