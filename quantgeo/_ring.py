r"""The free Gaussian packet on one axis of the line or of a ring (for :mod:`quantgeo.analytic`).

On a ring of circumference :math:`L` the exact free packet is the sum of the line packet's
images :math:`\sum_n\psi_\infty(x + nL, t)`, or equivalently (Poisson summation) its Fourier
series over the ring momenta :math:`2\pi j/L`; :func:`_ring_gaussian` evaluates the shorter
of the two.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

CArray = NDArray[np.complex128]

# Terms below e^{-42} ≈ 6e-19 of the peak are dropped: |ψ_∞| ∝ e^{-u²/4σ_t²} → |u| ≤ 13σ_t,
# |ĝ| ∝ e^{-σ²Δk²} → σ|Δk| ≤ 6.5.
_IMAGE_REACH, _FOURIER_REACH, _BLOCK = 13.0, 6.5, 64


def _line_gaussian(x: Any, t: float, c: float, s: float, p: float, m: float, hb: float) -> CArray:
    """One axis of the free Gaussian on the infinite line (see :func:`free_gaussian`)."""
    z = 1.0 + 1j * hb * t / (2.0 * m * s**2)
    expo = (
        -((x - c - p / m * t) ** 2) / (4.0 * s**2 * z)
        + 1j * p * (x - c) / hb
        - 1j * p**2 * t / (2.0 * m * hb)
    )
    return np.asarray((2.0 * np.pi * s**2) ** -0.25 / np.sqrt(z) * np.exp(expo))


def _ring_terms(
    x: Any, length: float, t: float, c: float, s: float, p: float, m: float, hb: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The image indices n and the ring momenta indices j the two sums need."""
    lo, hi = float(np.min(x)), float(np.max(x))
    centre = c + p / m * t
    reach = _IMAGE_REACH * s * math.hypot(1.0, hb * t / (2.0 * m * s**2))
    images = np.arange(
        math.floor((centre - reach - hi) / length), math.ceil((centre + reach - lo) / length) + 1
    )
    k0, dk = p / hb, _FOURIER_REACH / s
    scale = length / (2.0 * np.pi)
    modes = np.arange(math.floor((k0 - dk) * scale), math.ceil((k0 + dk) * scale) + 1)
    return images, modes


def _ring_gaussian(
    x: Any,
    length: float,
    t: float,
    c: float,
    s: float,
    p: float,
    m: float,
    hb: float,
    method: str = "auto",
) -> CArray:
    """One axis of the free Gaussian on a ring of circumference ``length``: the image sum or
    the Fourier series (``method`` = "images" / "fourier" / "auto", the shorter one)."""
    images, modes = _ring_terms(x, length, t, c, s, p, m, hb)
    xa = np.asarray(x, dtype=float)
    out = np.zeros(xa.shape, dtype=np.complex128)
    if method == "images" or (method == "auto" and len(images) <= len(modes)):
        for n in images:
            out += _line_gaussian(xa + n * length, t, c, s, p, m, hb)
        return out
    k = 2.0 * np.pi * modes / length
    amp = (8.0 * np.pi * s**2) ** 0.25 * np.exp(
        -(s**2) * (k - p / hb) ** 2 - 1j * k * c - 1j * hb * k**2 * t / (2.0 * m)
    )
    flat = xa.reshape(-1, 1)
    acc = np.zeros(flat.shape[0], dtype=np.complex128)
    for b in range(0, len(k), _BLOCK):  # blocks keep the (sites × modes) table small
        acc += np.exp(1j * flat * k[b : b + _BLOCK]) @ amp[b : b + _BLOCK]
    out += (acc / length).reshape(xa.shape)
    return out
