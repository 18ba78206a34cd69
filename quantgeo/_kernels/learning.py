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


@njit(cache=True)
def _poly(k, x, y, ptr, powers, coefs):  # type: ignore[no-untyped-def]
    s = 0.0
    for t in range(ptr[k], ptr[k + 1]):
        v = coefs[t]
        for _ in range(powers[t, 0]):
            v = v * x
        for _ in range(powers[t, 1]):
            v = v * y
        s = s + v
    return s


@njit(cache=True)
def _f(lam, gamma, a, c, eps):  # type: ignore[no-untyped-def]
    # eigenvalue function of D = γ² g⁻¹ κ g⁻¹
    return gamma * gamma * lam / (c * c * (lam + eps) ** (2.0 * a))


@njit(cache=True)
def _fp(lam, gamma, a, c, eps):  # type: ignore[no-untyped-def]
    return gamma * gamma * ((lam + eps) - 2.0 * a * lam) / (c * c * (lam + eps) ** (2.0 * a + 1.0))


@njit(cache=True)
def _step_1d(q, noise, dt, gamma, a, c, eps, ptr, powers, coefs, covariant):  # type: ignore[no-untyped-def]
    sqdt = math.sqrt(dt)
    for i in range(q.shape[0]):
        x = q[i, 0]
        g = _poly(0, x, 0.0, ptr, powers, coefs)
        k = _poly(1, x, 0.0, ptr, powers, coefs)
        if k < 0.0:
            k = 0.0
        phi = c * (k + eps) ** a
        dq = -gamma * (g * dt + math.sqrt(k) * noise[i, 0] * sqdt) / phi
        if covariant:
            dk = _poly(2, x, 0.0, ptr, powers, coefs)
            f = _f(k, gamma, a, c, eps)
            fp = _fp(k, gamma, a, c, eps)
            s = 0.0
            if a != 0.0:
                s = 0.5 * a * dk / (k + eps)
            dq = dq + (0.5 * fp * dk + 0.5 * f * s) * dt
        q[i, 0] = x + dq


@njit(cache=True)
def _step_2d(q, noise, dt, gamma, a, c, eps, ptr, powers, coefs, covariant):  # type: ignore[no-untyped-def]
    sqdt = math.sqrt(dt)
    for i in range(q.shape[0]):
        x = q[i, 0]
        y = q[i, 1]
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
            zeta = (k11 - k00) / (2.0 * k01)
            t = 1.0 / (abs(zeta) + math.hypot(1.0, zeta))
            if zeta < 0.0:
                t = -t
            cs = 1.0 / math.hypot(1.0, t)
            sn = t * cs
            l1 = k00 - t * k01
            l2 = k11 + t * k01
        if l1 < 0.0:
            l1 = 0.0
        if l2 < 0.0:
            l2 = 0.0
        # eigenvectors v1 = (cs, -sn), v2 = (sn, cs)
        phi1 = c * (l1 + eps) ** a
        phi2 = c * (l2 + eps) ** a
        y1 = cs * gx - sn * gy
        y2 = sn * gx + cs * gy
        z1 = cs * noise[i, 0] - sn * noise[i, 1]
        z2 = sn * noise[i, 0] + cs * noise[i, 1]
        w1 = (y1 * dt + math.sqrt(l1) * z1 * sqdt) / phi1
        w2 = (y2 * dt + math.sqrt(l2) * z2 * sqdt) / phi2
        dx = -gamma * (cs * w1 + sn * w2)
        dy = -gamma * (-sn * w1 + cs * w2)
        if covariant:
            f1 = _f(l1, gamma, a, c, eps)
            f2 = _f(l2, gamma, a, c, eps)
            fp1 = _fp(l1, gamma, a, c, eps)
            fp2 = _fp(l2, gamma, a, c, eps)
            if abs(l1 - l2) <= _CLOSE * (abs(l1) + abs(l2) + 1e-300):
                f12 = _fp(0.5 * (l1 + l2), gamma, a, c, eps)
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
                # (V X Vᵀ)_{ij}, V = [[cs, sn], [-sn, cs]]; column j summed into div
                r0 = cs * x11 + sn * x12  # (V X)_{0,0}
                r1 = cs * x12 + sn * x22  # (V X)_{0,1}
                u0 = -sn * x11 + cs * x12  # (V X)_{1,0}
                u1 = -sn * x12 + cs * x22  # (V X)_{1,1}
                if j == 0:
                    divx = divx + (r0 * cs + r1 * sn)
                    divy = divy + (u0 * cs + u1 * sn)
                else:
                    divx = divx + (-r0 * sn + r1 * cs)
                    divy = divy + (-u0 * sn + u1 * cs)
                if a != 0.0:
                    sj = 0.5 * a * (m11 / (l1 + eps) + m22 / (l2 + eps))
                    if j == 0:
                        s0 = sj
                    else:
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
    """
    d = q.shape[1]
    for m in range(noise.shape[0]):
        if d == 1:
            _step_1d(q, noise[m], dt, gamma, a, c, eps, ptr, powers, coefs, covariant)
        else:
            _step_2d(q, noise[m], dt, gamma, a, c, eps, ptr, powers, coefs, covariant)


def warmup() -> None:
    """Compile (or load from cache) every specialisation used by the ensembles."""
    ptr = np.array([0, 1, 2, 3], dtype=np.int64)
    pw = np.zeros((3, 2), dtype=np.int64)
    cf = np.ones(3)
    q = np.zeros((2, 1))
    for cov in (False, True):
        langevin_em(q, np.zeros((1, 2, 1)), 0.1, 1.0, 0.5, 1.0, 0.0, ptr, pw, cf, cov)
