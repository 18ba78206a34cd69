"""NumPy twin of :mod:`quantgeo._kernels.learners` (same signature, same random stream).

Each round is vectorised over the learners still able to jump; the uniforms and then the new
exponential clocks of the learners that jumped are drawn as ``rng.random(k)`` and
``rng.standard_exponential(k)``, the order the kernel draws them one by one.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["jump_interval"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


def jump_interval(
    site: IntArray,
    clock: Array,
    left: Array,
    active: IntArray,
    fired: IntArray,
    cum: Array,
    nbr: IntArray,
    h: float,
    rng: np.random.Generator,
) -> int:
    """Twin of :func:`quantgeo._kernels.learners.jump_interval` (``left``, ``active``, ``fired``
    are accepted for the signature and used as scratch)."""
    nd = cum.shape[1]
    left[:] = h
    idx = np.arange(site.shape[0], dtype=np.int64)
    jumps = 0
    while idx.size:
        s = site[idx]
        rate = cum[s, nd - 1]
        budget = rate * left[idx]
        fire = clock[idx] < budget
        stay = idx[~fire]
        clock[stay] -= budget[~fire]
        idx = idx[fire]
        if not idx.size:
            break
        s, rate = s[fire], rate[fire]
        left[idx] = left[idx] - clock[idx] / rate
        target = rng.random(idx.size) * rate
        rows = cum[s]
        k = (rows <= target[:, None]).sum(axis=1)
        over = np.flatnonzero(k == nd)
        for j in over:  # u·R rounded up to R: the last direction with a positive rate
            kk = nd - 1
            while kk > 0 and rows[j, kk] == rows[j, kk - 1]:
                kk -= 1
            k[j] = kk
        site[idx] = nbr[s, k]
        clock[idx] = rng.standard_exponential(idx.size)
        jumps += int(idx.size)
    return jumps
