r"""The phase colour-wheel legend of the 2D animations (:mod:`quantgeo.animation`).

A 2D frame shows :math:`\psi` as hue :math:`h = \arg\psi / 2\pi \bmod 1` and brightness
:math:`v = |\psi|/|\psi|_\max` (HSV with full saturation).  The legend is the same map drawn on
the unit disc :math:`z = re^{i\varphi}`: hue :math:`\varphi/2\pi`, brightness :math:`r`, so a
colour in the frame reads off as the phase at that angle and the relative amplitude at that
radius.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["add_phase_wheel", "phase_rgb", "wheel_image"]

#: Pixels across the legend's disc image (nearest-neighbour resampled into the inset).
WHEEL_PIXELS = 161


def phase_rgb(z: NDArray[Any], scale: float) -> NDArray[np.float64]:
    """RGB of complex values ``z``: hue ``arg z / 2π mod 1``, brightness ``clip(|z|/scale)``.

    Returns an array of shape ``(*z.shape, 3)`` with entries in [0, 1].
    """
    from matplotlib.colors import hsv_to_rgb

    hsv = np.empty((*np.shape(z), 3))
    hsv[..., 0] = (np.angle(z) / (2 * np.pi)) % 1.0
    hsv[..., 1] = 1.0
    hsv[..., 2] = np.clip(np.abs(z) / scale, 0.0, 1.0)
    return np.asarray(hsv_to_rgb(hsv))


def wheel_image(n: int = WHEEL_PIXELS) -> NDArray[np.float64]:
    """The legend's RGBA image, shape ``(n, n, 4)``, row 0 at y = −1 (``origin="lower"``):
    :func:`phase_rgb` of ``z = x + iy`` on the unit disc, transparent outside it."""
    u = np.linspace(-1.0, 1.0, n)
    z = u[None, :] + 1j * u[:, None]
    rgba = np.ones((n, n, 4))
    rgba[..., :3] = phase_rgb(z, 1.0)
    rgba[..., 3] = (np.abs(z) <= 1.0).astype(float)
    return rgba


def add_phase_wheel(fig: Any, beside: Any, width: float = 0.17) -> Any:
    """Add the colour-wheel legend to ``fig`` right of the Axes ``beside``, top-aligned with
    it; return the legend's Axes.

    Parameters
    ----------
    fig
        A matplotlib Figure (its layout already done).
    beside
        The Axes of the frame image.
    width
        Width of the legend in figure fractions; the height keeps the disc round.
    """
    beside.apply_aspect()  # an aspect="equal" image shrinks its box: place the wheel by it
    pos = beside.get_position()
    w_in, h_in = fig.get_size_inches()
    height = width * w_in / h_in
    left = min(pos.x1 + 0.02, 1.0 - width)
    ax = fig.add_axes((left, pos.y1 - 1.15 * height, width, height))
    ax.imshow(wheel_image(), origin="lower", extent=(-1, 1, -1, 1), interpolation="nearest")
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.5, 1.5)
    ax.set_axis_off()
    labels = {"0": (1.3, 0.0), "π/2": (0.0, 1.27), "π": (-1.3, 0.0), "−π/2": (0.0, -1.27)}
    for label, (x, y) in labels.items():
        ax.text(x, y, label, fontsize=7, ha="center", va="center")
    ax.set_title("hue: arg ψ\nradius: |ψ|/max", fontsize=7, pad=4)
    return ax
