r"""The Wright–Fisher generation kernel for K ≥ 3 alleles, Numba (its twin is the general
generation of :mod:`._kernels.evolution_reference`; the K = 2 kernels are in
:mod:`._kernels.evolution`, which hands K ≥ 3 to :func:`wf_multi`).

Selection ``y_k = x_k w_k / Σ_j x_j w_j``, mutation ``z_j = Σ_k y_k P_kj`` and multinomial
resampling of ``N_g`` copies as sequential binomials
``c_k ~ Bin(N_g − Σ_{j<k} c_j, min(1, z_k/(1 − Σ_{j<k} z_j)))``, on the live replicates of one
block, drawn by the batch sampler of :mod:`._kernels.binomial` allele by allele: the same
uniforms in the same order, and every sum over ``k`` ascending, as in the twin.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from quantgeo._kernels._cache import drop_stale
from quantgeo._kernels.binomial import draw_binomials

__all__ = ["wf_multi"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


@njit(cache=True, error_model="numpy", nogil=True)
def wf_multi(
    x: Array,
    st: NDArray[np.uint64],
    generations: int,
    t0: int,
    weights: Array,
    transition: Array,
    mutate: bool,
    n_genes: int,
    fix_time: IntArray,
    fixed_allele: IntArray,
    loss_time: IntArray,
    lf: Array,
    inv: Array,
) -> None:
    """:func:`~quantgeo._kernels.evolution._wf_generations` for K ≥ 3 (the same arguments, the
    same draws and bits).

    The live replicates' state is held as structure of arrays over them (``xs[k, i]``,
    ``ls[k, i]`` the loss times, ``ws[k, i]`` per-replicate weights), so each pass is a loop
    over replicates at fixed ``k`` that LLVM vectorises (the row-wise ``(R, K)`` layout left
    every pass scalar, with strided gathers into the sampler's batch arrays); the next allele's
    binomial ``p`` is computed in the pass that consumes the last allele's draws.
    """
    r_n, k_n = x.shape
    shared = weights.shape[0] == 1
    # the live replicates, dense, in ascending order (the order of the draws)
    act = np.empty(r_n, dtype=np.int64)
    n_act = 0
    for r in range(r_n):
        if mutate or fix_time[r] < 0:
            act[n_act] = r
            n_act += 1
    xs = np.empty((k_n, r_n))
    ls = np.empty((k_n, r_n), dtype=np.int64)
    ws = np.empty((k_n, r_n if not shared else 1))
    for i in range(n_act):
        r = act[i]
        for k in range(k_n):
            xs[k, i] = x[r, k]
            ls[k, i] = loss_time[r, k]
    if not shared:
        for i in range(n_act):
            for k in range(k_n):
                ws[k, i] = weights[act[i], k]
    wv = weights[0].copy()
    y = np.empty((k_n, r_n))
    z = np.empty((k_n, r_n)) if mutate else y
    tot = np.empty(r_n)
    rem_p = np.empty(r_n)
    nn = np.empty(r_n, dtype=np.int64)
    pp = np.empty(r_n)
    cc = np.empty(r_n, dtype=np.int64)
    vv = np.empty(r_n)
    pend = np.empty(r_n, dtype=np.int64)
    slow = np.empty(r_n, dtype=np.int64)
    flag = np.empty(r_n, dtype=np.uint8)
    top = np.empty(r_n, dtype=np.int64)  # each replicate's largest count
    hits = np.empty(r_n + 1, dtype=np.int64)  # (+1: the branch-free list's last write)
    for g in range(generations):
        if n_act == 0:
            break
        t = t0 + g + 1
        # selection: y_k = x_k w_k / Σ_j x_j w_j (j ascending), one pass per allele
        if shared:
            for k in range(k_n):
                yk, xk, wk = y[k], xs[k], wv[k]
                for i in range(n_act):
                    yk[i] = xk[i] * wk
        else:
            for k in range(k_n):
                yk, xk, wk = y[k], xs[k], ws[k]
                for i in range(n_act):
                    yk[i] = xk[i] * wk[i]
        y0 = y[0]
        for i in range(n_act):
            tot[i] = y0[i]
        for k in range(1, k_n):
            yk = y[k]
            for i in range(n_act):
                tot[i] += yk[i]
        for k in range(k_n):
            yk = y[k]
            for i in range(n_act):
                yk[i] = yk[i] / tot[i]
        if mutate:
            # mutation z_j = Σ_k y_k P_kj (k ascending); a zero P_kj adds +0.0, which leaves
            # the (non-negative) sum's bits unchanged, so its pass is skipped
            for j in range(k_n):
                zj, y0, p0 = z[j], y[0], transition[0, j]
                for i in range(n_act):
                    zj[i] = y0[i] * p0
                for k in range(1, k_n):
                    pk = transition[k, j]
                    if pk != 0.0:
                        yk = y[k]
                        for i in range(n_act):
                            zj[i] += yk[i] * pk
        z0 = z[0]
        for i in range(n_act):
            nn[i] = n_genes
            rem_p[i] = 1.0
            pp[i] = min(1.0, z0[i])  # z_0 / (1 − Σ_{j<0} z_j): the division by 1 is exact
            top[i] = 0
        for k in range(k_n - 1):
            draw_binomials(st, nn, pp, cc, n_act, lf, inv, vv, pend, slow, flag)
            xk, lk, zk = xs[k], ls[k], z[k]
            nxt = z[k + 1]
            for i in range(n_act):
                c = cc[i]
                xk[i] = c / n_genes
                lk[i] = t if (c == 0) & (lk[i] < 0) else lk[i]
                top[i] = max(top[i], c)
                nn[i] -= c
                rp = rem_p[i] - zk[i]
                rem_p[i] = rp
                q = min(1.0, nxt[i] / rp)
                pp[i] = q if rp > 0.0 else 0.0
        xk, lk = xs[k_n - 1], ls[k_n - 1]
        n_hits = 0
        for i in range(n_act):
            c = nn[i]
            xk[i] = c / n_genes
            lk[i] = t if (c == 0) & (lk[i] < 0) else lk[i]
            top[i] = max(top[i], c)
        # fixation: some allele holds every copy, i.e. its largest count is N_g (listed
        # without a branch: under drift it comes at random)
        for i in range(n_act):
            hits[n_hits] = i
            n_hits += top[i] == n_genes
        for h in range(n_hits):
            i = hits[h]
            r = act[i]
            if fix_time[r] < 0:
                fix_time[r] = t
                for k in range(k_n):
                    if xs[k, i] == 1.0:
                        fixed_allele[r] = k
                        break
        if not mutate and n_hits > 0:
            # the fixed replicates are frozen: written back and dropped
            kept = 0
            for i in range(n_act):
                r = act[i]
                if fix_time[r] < 0:
                    act[kept] = r
                    for k in range(k_n):
                        xs[k, kept] = xs[k, i]
                        ls[k, kept] = ls[k, i]
                        if not shared:
                            ws[k, kept] = ws[k, i]
                    kept += 1
                else:
                    for k in range(k_n):
                        x[r, k] = xs[k, i]
                        loss_time[r, k] = ls[k, i]
            n_act = kept
    for i in range(n_act):
        r = act[i]
        for k in range(k_n):
            x[r, k] = xs[k, i]
            loss_time[r, k] = ls[k, i]


# the kernel draws through binomial.py (and pcg64.py): drop cache entries compiled against
# other versions of them
drop_stale(__name__, [f"quantgeo._kernels.{m}" for m in ("binomial", "pcg64")])
