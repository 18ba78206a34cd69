"""NumPy twin of :mod:`quantgeo._kernels.evolution`: same name, signature and in-place semantics.

Vectorised over replicates (one ``rng.binomial`` call per allele per generation); it is the
readable definition of the Wright–Fisher generation and the ``backend="numpy"`` of
:class:`~quantgeo.evolution.WrightFisher`.  Sums run over alleles in ascending order, exactly as
in the kernel, so both draw the same binomials from equally seeded generators.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["wf_generations"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


def wf_generations(
    x: Array,
    rng: np.random.Generator,
    generations: int,
    t0: int,
    weights: Array,
    transition: Array,
    mutate: bool,
    n_genes: int,
    fix_time: IntArray,
    fixed_allele: IntArray,
    loss_time: IntArray,
) -> None:
    """Advance every replicate by ``generations`` generations, in place (see the kernel)."""
    r_n, k_n = x.shape
    w = np.broadcast_to(weights, (r_n, k_n))
    for g in range(generations):
        t = t0 + g + 1
        # fixed replicates without mutation cannot change and draw nothing (p ∈ {0, 1})
        act = np.ones(r_n, dtype=bool) if mutate else fix_time < 0
        xa, wa = x[act], w[act]
        tot = xa[:, 0] * wa[:, 0]
        for k in range(1, k_n):
            tot = tot + xa[:, k] * wa[:, k]
        y = xa * wa / tot[:, None]
        if mutate:
            z = np.empty_like(y)
            for j in range(k_n):
                acc = y[:, 0] * transition[0, j]
                for k in range(1, k_n):
                    acc = acc + y[:, k] * transition[k, j]
                z[:, j] = acc
        else:
            z = y
        m = xa.shape[0]
        out = np.empty((m, k_n))
        rem_n = np.full(m, n_genes, dtype=np.int64)
        rem_p = np.ones(m)
        for k in range(k_n - 1):
            safe = np.where(rem_p > 0.0, rem_p, 1.0)
            p = np.where(rem_p > 0.0, np.minimum(1.0, z[:, k] / safe), 0.0)
            c = rng.binomial(rem_n, p)
            out[:, k] = c / n_genes
            rem_n = rem_n - c
            rem_p = rem_p - z[:, k]
        out[:, k_n - 1] = rem_n / n_genes
        x[act] = out
        idx = np.flatnonzero(act)
        lost = (out == 0.0) & (loss_time[idx] < 0)
        rows, cols = np.nonzero(lost)
        loss_time[idx[rows], cols] = t
        full = out == 1.0
        newly = full.any(axis=1) & (fix_time[idx] < 0)
        sel = idx[newly]
        fix_time[sel] = t
        fixed_allele[sel] = np.argmax(full[newly], axis=1)
