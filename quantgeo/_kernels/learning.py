r"""Numba kernels of the learning ensembles (NumPy twins in :mod:`._kernels.learning_reference`).

Euler–Maruyama for ``dq = −γ g⁻¹ (∇H dt + κ^{1/2} dW) + [covariant] b_c dt`` with
``g = c·(κ + eps·I)^a`` and ``b_c = (1/(2√det g)) ∂_j(√det g · D^{ij})``,
``D = γ² g⁻¹ κ g⁻¹`` (the noise-induced drift that turns the Itô Fokker–Planck equation into
its covariant, Laplace–Beltrami form; see :mod:`quantgeo.learning.fokker_planck`).

``∇H``, ``κ`` and ``∂κ`` are polynomials passed as ``(ptr, powers, coefs)``
(:meth:`quantgeo.learning.problem.LearningProblem.packed`).  2×2 eigen-decompositions use a
Jacobi rotation (Golub & Van Loan, Alg. 8.4.1).  Kernels write in place and never raise; the
driver checks finiteness.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["langevin_em"]

_CLOSE = 1e-6  # relative eigenvalue gap below which f[λ1, λ2] → f'((λ1 + λ2)/2)


@njit(cache=True, inline="always")
def _ipow(x, k):  # type: ignore[no-untyped-def]
    if k == 0:
        return 1.0
    if k == 1:
        return x
    if k == 2:
        return x * x
    if k == 3:
        return x * x * x
    if k == 4:
        return (x * x) * (x * x)
    v = (x * x) * (x * x)
    for _ in range(k - 4):
        v = v * x
    return v


@njit(cache=True, inline="always")
def _poly(k, x, y, ptr, powers, coefs):  # type: ignore[no-untyped-def]
    s = 0.0
    for t in range(ptr[k], ptr[k + 1]):
        s = s + coefs[t] * _ipow(x, powers[t, 0]) * _ipow(y, powers[t, 1])
    return s


@njit(cache=True, inline="always")
def _phi(lam, a, c, eps):  # type: ignore[no-untyped-def]
    # eigenvalue of g = c (κ + eps)^a; the common powers without a call to pow
    if a == 0.0:
        return c
    if a == 0.5:
        return c * math.sqrt(lam + eps)
    if a == 1.0:
        return c * (lam + eps)
    return c * (lam + eps) ** a


@njit(cache=True, inline="always")
def _f(lam, phi, gamma):  # type: ignore[no-untyped-def]
    # eigenvalue of D = γ² g⁻¹ κ g⁻¹
    return gamma * gamma * lam / (phi * phi)


@njit(cache=True, inline="always")
def _fp(lam, phi, gamma, a, eps):  # type: ignore[no-untyped-def]
    return gamma * gamma * ((lam + eps) - 2.0 * a * lam) / (phi * phi * (lam + eps))


@njit(cache=True)
def _run_1d(q, noise, dt, gamma, a, c, eps, ptr, powers, coefs, covariant):  # type: ignore[no-untyped-def]
    # The walker update is written out inside the loop: Numba's IR inlining of a helper that
    # itself calls inlined helpers left real calls behind (4× slower).
    sqdt = math.sqrt(dt)
    for m in range(noise.shape[0]):
        for i in range(q.shape[0]):
            x = q[i, 0]
            xi = noise[m, i, 0]
            g = _poly(0, x, 0.0, ptr, powers, coefs)
            k = _poly(1, x, 0.0, ptr, powers, coefs)
            if k < 0.0:
                k = 0.0
            phi = _phi(k, a, c, eps)
            dq = -gamma * (g * dt + math.sqrt(k) * xi * sqdt) / phi
            if covariant:
                dk = _poly(2, x, 0.0, ptr, powers, coefs)
                f = _f(k, phi, gamma)
                fp = _fp(k, phi, gamma, a, eps)
                s = 0.0
                if a != 0.0:
                    s = 0.5 * a * dk / (k + eps)
                dq = dq + (0.5 * fp * dk + 0.5 * f * s) * dt
            q[i, 0] = x + dq


@njit(cache=True)
def _run_2d(q, noise, dt, gamma, a, c, eps, ptr, powers, coefs, covariant):  # type: ignore[no-untyped-def]
    sqdt = math.sqrt(dt)
    for m in range(noise.shape[0]):
        for i in range(q.shape[0]):
            x = q[i, 0]
            y = q[i, 1]
            xi0 = noise[m, i, 0]
            xi1 = noise[m, i, 1]
            gx = _poly(0, x, y, ptr, powers, coefs)
            gy = _poly(1, x, y, ptr, powers, coefs)
            k00 = _poly(2, x, y, ptr, powers, coefs)
            k01 = _poly(3, x, y, ptr, powers, coefs)
            k11 = _poly(4, x, y, ptr, powers, coefs)
            if k01 == 0.0:
                cs = 1.0
                sn = 0.0
                l1 = k00
                l2 = k11
            else:
                # Jacobi rotation (Golub & Van Loan, Alg. 8.4.1)
                zeta = (k11 - k00) / (2.0 * k01)
                az = abs(zeta)
                # 1/(|ζ| + √(1 + ζ²)); for huge |ζ| the rotation is the identity to rounding
                t = 1.0 / (az + math.sqrt(1.0 + az * az)) if az < 1e150 else 0.5 / az
                if zeta < 0.0:
                    t = -t
                cs = 1.0 / math.sqrt(1.0 + t * t)
                sn = t * cs
                l1 = k00 - t * k01
                l2 = k11 + t * k01
            if l1 < 0.0:
                l1 = 0.0
            if l2 < 0.0:
                l2 = 0.0
            # eigenvectors v1 = (cs, -sn), v2 = (sn, cs)
            phi1 = _phi(l1, a, c, eps)
            phi2 = _phi(l2, a, c, eps)
            y1 = cs * gx - sn * gy
            y2 = sn * gx + cs * gy
            z1 = cs * xi0 - sn * xi1
            z2 = sn * xi0 + cs * xi1
            w1 = (y1 * dt + math.sqrt(l1) * z1 * sqdt) / phi1
            w2 = (y2 * dt + math.sqrt(l2) * z2 * sqdt) / phi2
            dx = -gamma * (cs * w1 + sn * w2)
            dy = -gamma * (-sn * w1 + cs * w2)
            if covariant:
                f1 = _f(l1, phi1, gamma)
                f2 = _f(l2, phi2, gamma)
                fp1 = _fp(l1, phi1, gamma, a, eps)
                fp2 = _fp(l2, phi2, gamma, a, eps)
                if abs(l1 - l2) <= _CLOSE * (abs(l1) + abs(l2) + 1e-300):
                    lm = 0.5 * (l1 + l2)
                    f12 = _fp(lm, _phi(lm, a, c, eps), gamma, a, eps)
                else:
                    f12 = (f1 - f2) / (l1 - l2)
                divx = 0.0
                divy = 0.0
                s0 = 0.0
                s1 = 0.0
                for j in range(2):
                    d00 = _poly(5 + 3 * j, x, y, ptr, powers, coefs)
                    d01 = _poly(6 + 3 * j, x, y, ptr, powers, coefs)
                    d11 = _poly(7 + 3 * j, x, y, ptr, powers, coefs)
                    m11 = cs * (d00 * cs - d01 * sn) - sn * (d01 * cs - d11 * sn)
                    m12 = cs * (d00 * sn + d01 * cs) - sn * (d01 * sn + d11 * cs)
                    m22 = sn * (d00 * sn + d01 * cs) + cs * (d01 * sn + d11 * cs)
                    x11 = fp1 * m11
                    x12 = f12 * m12
                    x22 = fp2 * m22
                    # rows of V X with V = [[cs, sn], [-sn, cs]]; ∂_jD = V X Vᵀ, column j into div
                    r0 = cs * x11 + sn * x12
                    r1 = cs * x12 + sn * x22
                    u0 = -sn * x11 + cs * x12
                    u1 = -sn * x12 + cs * x22
                    sj = 0.0
                    if a != 0.0:
                        sj = 0.5 * a * (m11 / (l1 + eps) + m22 / (l2 + eps))
                    if j == 0:
                        divx = divx + (r0 * cs + r1 * sn)
                        divy = divy + (u0 * cs + u1 * sn)
                        s0 = sj
                    else:
                        divx = divx + (-r0 * sn + r1 * cs)
                        divy = divy + (-u0 * sn + u1 * cs)
                        s1 = sj
                dxx = cs * cs * f1 + sn * sn * f2
                dxy = -cs * sn * f1 + sn * cs * f2
                dyy = sn * sn * f1 + cs * cs * f2
                cx = 0.5 * divx + 0.5 * (dxx * s0 + dxy * s1)
                cy = 0.5 * divy + 0.5 * (dxy * s0 + dyy * s1)
                dx = dx + cx * dt
                dy = dy + cy * dt
            q[i, 0] = x + dx
            q[i, 1] = y + dy


@njit(cache=True)
def langevin_em(q, noise, dt, gamma, a, c, eps, ptr, powers, coefs, covariant):  # type: ignore[no-untyped-def]
    """Take ``noise.shape[0]`` Euler–Maruyama steps of every walker, in place.

    Parameters
    ----------
    q
        Walkers, float64 ``(n, d)``, ``d`` ∈ {1, 2}; overwritten.
    noise
        Standard normal increments, float64 ``(m, n, d)`` (one slab per step).
    dt, gamma, a, c, eps
        Time step, learning rate γ, metric power, scale and regulariser.
    ptr, powers, coefs
        Packed polynomials ``∇H``, ``κ`` (upper triangle), ``∂_kκ`` (upper triangles).
    covariant
        Add the noise-induced drift of the covariant convention.

    Notes
    -----
    Serial on purpose: the walker loop sits inside the step loop so each noise slab is read
    contiguously; a ``prange`` version gained nothing on the shared two-core machine (the
    barrier per step waits for the busiest core).
    """
    if q.shape[1] == 1:
        _run_1d(q, noise, dt, gamma, a, c, eps, ptr, powers, coefs, covariant)
    else:
        _run_2d(q, noise, dt, gamma, a, c, eps, ptr, powers, coefs, covariant)


def warmup() -> None:
    """Compile (or load from cache) every specialisation used by the ensembles."""
    ptr = np.array([0, 1, 2, 3], dtype=np.int64)
    pw = np.zeros((3, 2), dtype=np.int64)
    cf = np.ones(3)
    q = np.zeros((2, 1))
    for cov in (False, True):
        langevin_em(q, np.zeros((1, 2, 1)), 0.1, 1.0, 0.5, 1.0, 0.0, ptr, pw, cf, cov)
