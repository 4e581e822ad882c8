"""The numeric libraries' thread pools on the query path."""

from __future__ import annotations

import numpy as np  # noqa: F401  (loads numpy's BLAS)
from threadpoolctl import threadpool_info, threadpool_limits

from rag.threads import limit_math_threads


def test_one_thread_in_every_blas_and_openmp_pool():
    with threadpool_limits(limits=None):  # restores the pools' sizes afterwards
        limit_math_threads(1)
        assert {pool["num_threads"] for pool in threadpool_info()} == {1}


def test_zero_leaves_the_pools_as_they_are():
    with threadpool_limits(limits=2):
        before = [pool["num_threads"] for pool in threadpool_info()]
        limit_math_threads(0)
        assert [pool["num_threads"] for pool in threadpool_info()] == before
