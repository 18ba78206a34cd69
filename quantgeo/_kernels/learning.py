r"""Numba kernels of the learning ensembles (NumPy twins in :mod:`._kernels.learning_reference`).

Euler–Maruyama for ``dq = −γ g⁻¹ (∇H dt + κ^{1/2} dW) + [covariant] b_c dt`` with
``g = c·(κ + eps·I)^a`` and ``b_c = (1/(2√det g)) ∂_j(√det g · D^{ij})``,
``D = γ² g⁻¹ κ g⁻¹`` (the noise-induced drift that turns the Itô Fokker–Planck equation into
its covariant, Laplace–Beltrami form; see :mod:`quantgeo.learning.fokker_planck`).

``∇H``, ``κ`` and ``∂κ`` are polynomials passed as ``(ptr, powers, coefs)``
(:meth:`quantgeo.learning.problem.LearningProblem.packed`).  2×2 eigen-decompositions use a
Jacobi rotation (Golub & Van Loan, Alg. 8.4.1), written without branches (``t = 0`` when
``κ01 = 0``).  Kernels write in place and never raise (``error_model="numpy"``: a division by
zero gives inf/NaN, which the driver detects).

The normal increments come from a ``numpy.random.Generator`` passed in (Numba draws from it
natively), in the order of the twin's ``rng.standard_normal((n, d))`` per step.

Layout: walkers are processed in blocks of :data:`BLOCK`, structure-of-arrays inside a block,
one pass per stage (normals, monomials, polynomials, rotation, metric, update, noise-induced
drift).
Each pass is a short loop without calls or data-dependent branches, which LLVM turns into SIMD
code; a walker-by-walker loop was ~5× slower (scalar ``sqrt``/``div`` latency chains).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["BLOCK", "langevin_em", "warmup"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]

BLOCK = 256
_CLOSE = 1e-6  # relative eigenvalue gap below which f[λ1, λ2] → f'((λ1 + λ2)/2)


@njit(cache=True, error_model="numpy")
def _max_degree(ptr: IntArray, powers: IntArray, npoly: int) -> int:
    deg = 1
    for t in range(ptr[npoly]):
        deg = max(deg, powers[t, 0], powers[t, 1])
    return deg


@njit(cache=True, error_model="numpy")
def _polys(
    xp: Array,
    yp: Array,
    nb: int,
    ptr: IntArray,
    powers: IntArray,
    coefs: Array,
    npoly: int,
    vals: Array,
) -> None:
    # vals[k, i] = Σ_t coefs[t] x_i^{p_t0} y_i^{p_t1}, t in polynomial k
    for k in range(npoly):
        for i in range(nb):
            vals[k, i] = 0.0
        for t in range(ptr[k], ptr[k + 1]):
            cf = coefs[t]
            px = powers[t, 0]
            py = powers[t, 1]
            for i in range(nb):
                vals[k, i] += cf * xp[px, i] * yp[py, i]


@njit(cache=True, error_model="numpy")
def _metric_eigs(lam: Array, nb: int, a: float, c: float, eps: float, phi: Array) -> None:
    # φ(λ) = c (λ + eps)^a; the common powers without pow (vectorisable)
    if a == 0.0:
        for i in range(nb):
            phi[i] = c
    elif a == 0.5:
        for i in range(nb):
            phi[i] = c * math.sqrt(lam[i] + eps)
    elif a == 1.0:
        for i in range(nb):
            phi[i] = c * (lam[i] + eps)
    else:
        # Scalar pow (~15 ns, no SVML here); repeated eigenvalues (constant κ) reuse the last
        # result, which is exact and costs one predictable compare when κ varies.
        last_x = -1.0
        last_phi = 0.0
        for i in range(nb):
            x = lam[i] + eps
            if x != last_x:
                last_x = x
                last_phi = c * x**a
            phi[i] = last_phi


@njit(cache=True, error_model="numpy")
def _block_1d(
    q: Array,
    z: Array,
    b0: int,
    nb: int,
    dt: float,
    sqdt: float,
    gamma: float,
    a: float,
    c: float,
    eps: float,
    ptr: IntArray,
    powers: IntArray,
    coefs: Array,
    covariant: bool,
    deg: int,
    xp: Array,
    yp: Array,
    vals: Array,
    s: Array,
) -> None:
    npoly = 3 if covariant else 2
    for i in range(nb):
        xp[0, i] = 1.0
        yp[0, i] = 1.0
        xp[1, i] = q[b0 + i, 0]
    for d in range(2, deg + 1):
        for i in range(nb):
            xp[d, i] = xp[d - 1, i] * xp[1, i]
    _polys(xp, yp, nb, ptr, powers, coefs, npoly, vals)
    lam = s[0]
    phi = s[1]
    for i in range(nb):
        lam[i] = max(vals[1, i], 0.0)
    _metric_eigs(lam, nb, a, c, eps, phi)
    for i in range(nb):
        dq = -gamma * (vals[0, i] * dt + math.sqrt(lam[i]) * z[0, i] * sqdt) / phi[i]
        if covariant:
            k = lam[i]
            dk = vals[2, i]
            p2 = phi[i] * phi[i]
            f = gamma * gamma * k / p2
            fp = gamma * gamma * ((k + eps) - 2.0 * a * k) / (p2 * (k + eps))
            sj = 0.5 * a * dk / (k + eps) if a != 0.0 else 0.0
            dq = dq + (0.5 * fp * dk + 0.5 * f * sj) * dt
        q[b0 + i, 0] = xp[1, i] + dq


@njit(cache=True, error_model="numpy")
def _block_2d(
    q: Array,
    z: Array,
    b0: int,
    nb: int,
    dt: float,
    sqdt: float,
    gamma: float,
    a: float,
    c: float,
    eps: float,
    ptr: IntArray,
    powers: IntArray,
    coefs: Array,
    covariant: bool,
    deg: int,
    xp: Array,
    yp: Array,
    vals: Array,
    s: Array,
) -> None:
    npoly = 11 if covariant else 5
    for i in range(nb):
        xp[0, i] = 1.0
        yp[0, i] = 1.0
        xp[1, i] = q[b0 + i, 0]
        yp[1, i] = q[b0 + i, 1]
    for d in range(2, deg + 1):
        for i in range(nb):
            xp[d, i] = xp[d - 1, i] * xp[1, i]
            yp[d, i] = yp[d - 1, i] * yp[1, i]
    _polys(xp, yp, nb, ptr, powers, coefs, npoly, vals)
    cs, sn, l1, l2, phi1, phi2 = s[0], s[1], s[2], s[3], s[4], s[5]
    # Jacobi rotation: eigenvectors v1 = (cs, −sn), v2 = (sn, cs)
    for i in range(nb):
        k00 = vals[2, i]
        k01 = vals[3, i]
        k11 = vals[4, i]
        off = k01 != 0.0
        zeta = (k11 - k00) / (2.0 * k01 if off else 1.0)
        az = abs(zeta)
        # 1/(|ζ| + √(1 + ζ²)); overflow of ζ² gives t = 0, the identity to rounding
        t = 1.0 / (az + math.sqrt(1.0 + az * az))
        t = -t if zeta < 0.0 else t
        t = t if off else 0.0
        c_ = 1.0 / math.sqrt(1.0 + t * t)
        cs[i] = c_
        sn[i] = t * c_
        l1[i] = max(k00 - t * k01, 0.0)
        l2[i] = max(k11 + t * k01, 0.0)
    _metric_eigs(l1, nb, a, c, eps, phi1)
    _metric_eigs(l2, nb, a, c, eps, phi2)
    dx, dy = s[6], s[7]
    for i in range(nb):
        gx = vals[0, i]
        gy = vals[1, i]
        n0 = z[0, i]
        n1 = z[1, i]
        y1 = cs[i] * gx - sn[i] * gy
        y2 = sn[i] * gx + cs[i] * gy
        z1 = cs[i] * n0 - sn[i] * n1
        z2 = sn[i] * n0 + cs[i] * n1
        w1 = (y1 * dt + math.sqrt(l1[i]) * z1 * sqdt) / phi1[i]
        w2 = (y2 * dt + math.sqrt(l2[i]) * z2 * sqdt) / phi2[i]
        dx[i] = -gamma * (cs[i] * w1 + sn[i] * w2)
        dy[i] = -gamma * (-sn[i] * w1 + cs[i] * w2)
    if covariant:
        _covariant_2d(nb, dt, gamma, a, c, eps, vals, s)
    for i in range(nb):
        q[b0 + i, 0] = xp[1, i] + dx[i]
        q[b0 + i, 1] = yp[1, i] + dy[i]


@njit(cache=True, error_model="numpy")
def _covariant_2d(
    nb: int, dt: float, gamma: float, a: float, c: float, eps: float, vals: Array, s: Array
) -> None:
    # b_c = ½ Σ_j ∂_j D_{ij} + ½ D_{ij} ∂_j ln √det g, with ∂_j D = V (F ∘ Vᵀ∂_jκ V) Vᵀ
    # (Daleckii–Krein), F the divided differences of f(λ) = γ² λ/φ(λ)²
    cs, sn, l1, l2, phi1, phi2, dx, dy = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
    lm, phim = s[8], s[9]
    for i in range(nb):
        lm[i] = 0.5 * (l1[i] + l2[i])
    _metric_eigs(lm, nb, a, c, eps, phim)
    g2 = gamma * gamma
    for i in range(nb):
        c_ = cs[i]
        s_ = sn[i]
        la = l1[i]
        lb = l2[i]
        pa2 = phi1[i] * phi1[i]
        pb2 = phi2[i] * phi2[i]
        f1 = g2 * la / pa2
        f2 = g2 * lb / pb2
        fp1 = g2 * ((la + eps) - 2.0 * a * la) / (pa2 * (la + eps))
        fp2 = g2 * ((lb + eps) - 2.0 * a * lb) / (pb2 * (lb + eps))
        lmid = lm[i]
        pm2 = phim[i] * phim[i]
        fpm = g2 * ((lmid + eps) - 2.0 * a * lmid) / (pm2 * (lmid + eps))
        close = abs(la - lb) <= _CLOSE * (abs(la) + abs(lb) + 1e-300)
        f12 = fpm if close else (f1 - f2) / (la - lb if not close else 1.0)
        divx = 0.0
        divy = 0.0
        s0 = 0.0
        s1 = 0.0
        for j in range(2):
            d00 = vals[5 + 3 * j, i]
            d01 = vals[6 + 3 * j, i]
            d11 = vals[7 + 3 * j, i]
            m11 = c_ * (d00 * c_ - d01 * s_) - s_ * (d01 * c_ - d11 * s_)
            m12 = c_ * (d00 * s_ + d01 * c_) - s_ * (d01 * s_ + d11 * c_)
            m22 = s_ * (d00 * s_ + d01 * c_) + c_ * (d01 * s_ + d11 * c_)
            x11 = fp1 * m11
            x12 = f12 * m12
            x22 = fp2 * m22
            # rows of V X with V = [[cs, sn], [−sn, cs]]; column j of V X Vᵀ goes into div
            r0 = c_ * x11 + s_ * x12
            r1 = c_ * x12 + s_ * x22
            u0 = -s_ * x11 + c_ * x12
            u1 = -s_ * x12 + c_ * x22
            sj = 0.5 * a * (m11 / (la + eps) + m22 / (lb + eps)) if a != 0.0 else 0.0
            if j == 0:
                divx += r0 * c_ + r1 * s_
                divy += u0 * c_ + u1 * s_
                s0 = sj
            else:
                divx += -r0 * s_ + r1 * c_
                divy += -u0 * s_ + u1 * c_
                s1 = sj
        dxx = c_ * c_ * f1 + s_ * s_ * f2
        dxy = -c_ * s_ * f1 + s_ * c_ * f2
        dyy = s_ * s_ * f1 + c_ * c_ * f2
        dx[i] += (0.5 * divx + 0.5 * (dxx * s0 + dxy * s1)) * dt
        dy[i] += (0.5 * divy + 0.5 * (dxy * s0 + dyy * s1)) * dt


@njit(cache=True, error_model="numpy")
def _draw_block(rng: np.random.Generator, nb: int, d: int, z: Array) -> None:
    # z[k, i] = ξ of walker b0 + i, component k, drawn walker by walker, component by
    # component: the row-major order of the twin's rng.standard_normal((n, d))
    for i in range(nb):
        for k in range(d):
            z[k, i] = rng.standard_normal()


@njit(cache=True, error_model="numpy")
def langevin_em(
    q: Array,
    rng: np.random.Generator,
    n_steps: int,
    dt: float,
    gamma: float,
    a: float,
    c: float,
    eps: float,
    ptr: IntArray,
    powers: IntArray,
    coefs: Array,
    covariant: bool,
) -> None:
    """Take ``n_steps`` Euler–Maruyama steps of every walker, in place.

    Parameters
    ----------
    q
        Walkers, float64 ``(n, d)``, ``d`` ∈ {1, 2}; overwritten.
    rng
        ``numpy.random.Generator`` of the standard normal increments, advanced in place.  Step
        by step it yields the numbers of ``rng.standard_normal((n, d))`` (Numba's
        ``Generator.standard_normal`` is NumPy's ziggurat, bit for bit), so the kernel and its
        twin given equally seeded generators see the same increments.
    n_steps
        Number of steps (``0``: nothing happens).
    dt, gamma, a, c, eps
        Time step, learning rate γ, metric power, scale and regulariser.
    ptr, powers, coefs
        Packed polynomials ``∇H``, ``κ`` (upper triangle), ``∂_kκ`` (upper triangles).
    covariant
        Add the noise-induced drift of the covariant convention.

    Notes
    -----
    Serial on purpose: a ``prange`` over blocks gained nothing on the shared two-core
    machine (the barrier per step waits for the busiest core), and one generator is a
    sequential stream.  Drawing inside the kernel (~6 ns per normal) instead of in NumPy
    (~30 ns) and passing no ``(m, n, d)`` array is what makes the kernel fast end to end.
    """
    n, d = q.shape
    npoly = (3 if covariant else 2) if d == 1 else (11 if covariant else 5)
    deg = _max_degree(ptr, powers, npoly)
    xp = np.empty((deg + 1, BLOCK))
    yp = np.empty((deg + 1, BLOCK))
    vals = np.empty((npoly, BLOCK))
    scratch = np.empty((10, BLOCK))
    z = np.empty((2, BLOCK))
    sqdt = math.sqrt(dt)
    for _ in range(n_steps):
        for b0 in range(0, n, BLOCK):
            nb = min(BLOCK, n - b0)
            _draw_block(rng, nb, d, z)
            if d == 1:
                _block_1d(
                    q,
                    z,
                    b0,
                    nb,
                    dt,
                    sqdt,
                    gamma,
                    a,
                    c,
                    eps,
                    ptr,
                    powers,
                    coefs,
                    covariant,
                    deg,
                    xp,
                    yp,
                    vals,
                    scratch,
                )
            else:
                _block_2d(
                    q,
                    z,
                    b0,
                    nb,
                    dt,
                    sqdt,
                    gamma,
                    a,
                    c,
                    eps,
                    ptr,
                    powers,
                    coefs,
                    covariant,
                    deg,
                    xp,
                    yp,
                    vals,
                    scratch,
                )


def warmup() -> float:
    """Compile (or load from Numba's on-disk cache) the Euler–Maruyama kernel; return the
    seconds spent (0 when ready).  Same as ``quantgeo._kernels.warmup(("learning",))``."""
    from quantgeo._kernels import warmup as _warmup

    return _warmup(("learning",))
