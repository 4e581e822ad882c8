"""The numeric libraries' own thread pools (numpy's and FAISS's BLAS, OpenMP) in a process
that answers questions.

The query path multiplies small matrices (a sentence's token vectors by the question's,
sentence embeddings by the question's); a BLAS that splits those over two threads waits for
the second one, and on a busy machine (two workers on two cores, or other jobs) that wait is
a scheduler slice: measured under load, ~4 ms per question in the answerer's token alignment
alone, against ~0 with one thread. The split is over rows and columns, never the summed
axis, so results do not change. ONNX Runtime's threads are set in its session options.
"""

from __future__ import annotations


def limit_math_threads(threads: int) -> None:
    """At most ``threads`` threads in every BLAS and OpenMP library loaded so far (0: leave
    the libraries' defaults)."""
    if threads <= 0:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
