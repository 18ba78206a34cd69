"""NumPy twins of :mod:`quantgeo._kernels.learning` (same signatures, vectorised over walkers).

The arithmetic follows the kernels operation by operation, and the normals are drawn from the
same ``numpy.random.Generator`` stream in the same order, so the two agree to rounding
(tests: ≤ 1e-12).  Also the vectorised NumPy backend of the ensembles (``backend="numpy"``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["langevin_em"]

Array = NDArray[np.float64]
_CLOSE = 1e-6


def _ipow(x: Array, k: int) -> Array:
    if k == 0:
        return np.ones_like(x)
    if k == 1:
        return x
    if k == 2:
        return x * x
    if k == 3:
        return x * x * x
    v = (x * x) * (x * x)
    for _ in range(k - 4):
        v = v * x
    return v


def _poly(
    k: int, x: Array, y: Array, ptr: NDArray[np.int64], powers: NDArray[np.int64], coefs: Array
) -> Array:
    s = np.zeros_like(x)
    for t in range(ptr[k], ptr[k + 1]):
        s = s + coefs[t] * _ipow(x, powers[t, 0]) * _ipow(y, powers[t, 1])
    return s


def _phi(lam: Array, a: float, c: float, eps: float) -> Array:
    if a == 0.0:
        return np.full_like(lam, c)
    if a == 0.5:
        return c * np.sqrt(lam + eps)
    if a == 1.0:
        return c * (lam + eps)
    return c * (lam + eps) ** a


def _f(lam: Array, phi: Array, gamma: float) -> Array:
    return gamma * gamma * lam / (phi * phi)


def _fp(lam: Array, phi: Array, gamma: float, a: float, eps: float) -> Array:
    return gamma * gamma * ((lam + eps) - 2.0 * a * lam) / (phi * phi * (lam + eps))


def _step_1d(
    q: Array,
    noise: Array,
    dt: float,
    gamma: float,
    a: float,
    c: float,
    eps: float,
    ptr: NDArray[np.int64],
    powers: NDArray[np.int64],
    coefs: Array,
    covariant: bool,
) -> None:
    sqdt = np.sqrt(dt)
    x = q[:, 0]
    zero = np.zeros_like(x)
    g = _poly(0, x, zero, ptr, powers, coefs)
    k = np.maximum(_poly(1, x, zero, ptr, powers, coefs), 0.0)
    phi = _phi(k, a, c, eps)
    dq = -gamma * (g * dt + np.sqrt(k) * noise[:, 0] * sqdt) / phi
    if covariant:
        dk = _poly(2, x, zero, ptr, powers, coefs)
        f = _f(k, phi, gamma)
        fp = _fp(k, phi, gamma, a, eps)
        s = 0.5 * a * dk / (k + eps) if a != 0.0 else zero
        dq = dq + (0.5 * fp * dk + 0.5 * f * s) * dt
    q[:, 0] = x + dq


def _step_2d(
    q: Array,
    noise: Array,
    dt: float,
    gamma: float,
    a: float,
    c: float,
    eps: float,
    ptr: NDArray[np.int64],
    powers: NDArray[np.int64],
    coefs: Array,
    covariant: bool,
) -> None:
    sqdt = np.sqrt(dt)
    x = q[:, 0].copy()
    y = q[:, 1].copy()
    gx = _poly(0, x, y, ptr, powers, coefs)
    gy = _poly(1, x, y, ptr, powers, coefs)
    k00 = _poly(2, x, y, ptr, powers, coefs)
    k01 = _poly(3, x, y, ptr, powers, coefs)
    k11 = _poly(4, x, y, ptr, powers, coefs)
    offd = k01 != 0.0
    zeta = (k11 - k00) / (2.0 * np.where(offd, k01, 1.0))
    az = np.abs(zeta)
    big = az >= 1e150
    az_s = np.where(big, 1.0, az)
    t = np.where(big, 0.5 / np.where(big, az, 1.0), 1.0 / (az_s + np.sqrt(1.0 + az_s * az_s)))
    t = np.where(zeta < 0.0, -t, t)
    t = np.where(offd, t, 0.0)  # as in the kernel: t = 0 (identity rotation) when κ01 = 0
    cs = 1.0 / np.sqrt(1.0 + t * t)
    sn = t * cs
    l1 = np.maximum(k00 - t * k01, 0.0)
    l2 = np.maximum(k11 + t * k01, 0.0)
    phi1 = _phi(l1, a, c, eps)
    phi2 = _phi(l2, a, c, eps)
    y1 = cs * gx - sn * gy
    y2 = sn * gx + cs * gy
    z1 = cs * noise[:, 0] - sn * noise[:, 1]
    z2 = sn * noise[:, 0] + cs * noise[:, 1]
    w1 = (y1 * dt + np.sqrt(l1) * z1 * sqdt) / phi1
    w2 = (y2 * dt + np.sqrt(l2) * z2 * sqdt) / phi2
    dx = -gamma * (cs * w1 + sn * w2)
    dy = -gamma * (-sn * w1 + cs * w2)
    if covariant:
        f1 = _f(l1, phi1, gamma)
        f2 = _f(l2, phi2, gamma)
        fp1 = _fp(l1, phi1, gamma, a, eps)
        fp2 = _fp(l2, phi2, gamma, a, eps)
        close = np.abs(l1 - l2) <= _CLOSE * (np.abs(l1) + np.abs(l2) + 1e-300)
        gap = np.where(close, 1.0, l1 - l2)
        lm = 0.5 * (l1 + l2)
        f12 = np.where(close, _fp(lm, _phi(lm, a, c, eps), gamma, a, eps), (f1 - f2) / gap)
        divx = np.zeros_like(x)
        divy = np.zeros_like(x)
        s = [np.zeros_like(x), np.zeros_like(x)]
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
            r0 = cs * x11 + sn * x12
            r1 = cs * x12 + sn * x22
            u0 = -sn * x11 + cs * x12
            u1 = -sn * x12 + cs * x22
            if j == 0:
                divx = divx + (r0 * cs + r1 * sn)
                divy = divy + (u0 * cs + u1 * sn)
            else:
                divx = divx + (-r0 * sn + r1 * cs)
                divy = divy + (-u0 * sn + u1 * cs)
            if a != 0.0:
                s[j] = 0.5 * a * (m11 / (l1 + eps) + m22 / (l2 + eps))
        dxx = cs * cs * f1 + sn * sn * f2
        dxy = -cs * sn * f1 + sn * cs * f2
        dyy = sn * sn * f1 + cs * cs * f2
        cx = 0.5 * divx + 0.5 * (dxx * s[0] + dxy * s[1])
        cy = 0.5 * divy + 0.5 * (dxy * s[0] + dyy * s[1])
        dx = dx + cx * dt
        dy = dy + cy * dt
    q[:, 0] = x + dx
    q[:, 1] = y + dy


def langevin_em(
    q: Array,
    rng: np.random.Generator,
    n_steps: int,
    dt: float,
    gamma: float,
    a: float,
    c: float,
    eps: float,
    ptr: NDArray[np.int64],
    powers: NDArray[np.int64],
    coefs: Array,
    covariant: bool,
) -> None:
    """NumPy twin of :func:`quantgeo._kernels.learning.langevin_em` (same arguments).

    Each step draws ``rng.standard_normal((n, d))``: row-major, the order in which the kernel
    draws, so equally seeded generators give both the same increments.
    """
    step = _step_1d if q.shape[1] == 1 else _step_2d
    for _ in range(n_steps):
        noise = rng.standard_normal(q.shape)
        step(q, noise, dt, gamma, a, c, eps, ptr, powers, coefs, covariant)
