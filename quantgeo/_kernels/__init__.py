"""Numba kernels (the only place with ``@njit``) and their NumPy twins.

Kernels are module-level functions of arrays and scalars; they write in place and never raise.
Each kernel in ``split.py`` has a twin of the same name and signature in ``reference.py``.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["warmup"]

_compiled: set[int] = set()


def warmup(ndims: tuple[int, ...] = (1, 2, 3)) -> float:
    """Compile (or load from Numba's cache) the split-operator kernels for ``ndims``.

    Returns the seconds spent; 0 when every requested dimension was ready in this process.
    """
    from quantgeo._kernels import split

    start = time.perf_counter()
    for nd in ndims:
        if nd in _compiled:
            continue
        shape = (4,) * nd
        psi = np.ones(shape, dtype=np.complex128)
        v = np.zeros((3, *shape), dtype=np.complex128)
        k_rest = np.zeros((1, 4 ** (nd - 1)), dtype=np.complex128)
        k_last = np.zeros((1, 4), dtype=np.complex128)
        vi = np.array([0, 1], dtype=np.int64)
        ki = np.array([0], dtype=np.int64)
        split.split_evolve(psi, v, k_rest, k_last, vi, ki, 2, 1, 1)
        _compiled.add(nd)
    return time.perf_counter() - start
