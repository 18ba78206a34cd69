"""Small argument checks shared by the public constructors.

They raise ``ValueError``/``TypeError`` with the argument name in backticks, what was
received and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "as_per_axis",
    "check_choice",
    "check_finite_array",
    "check_int",
    "check_positive",
    "check_real",
    "check_shape_bounds",
    "check_span",
]


def check_real(name: str, value: Any) -> float:
    """Return ``value`` as a finite float or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a real number, got {value!r} ({type(value).__name__})")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"`{name}` must be finite, got {value!r}")
    return out


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite positive float or raise naming ``name``."""
    out = check_real(name, value)
    if out < 0 or (out == 0 and not allow_zero):
        what = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{name}` must be {what}, got {value!r}")
    return out


def check_int(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` as an int ≥ ``minimum`` or raise naming ``name`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer ≥ {minimum}"
        raise ValueError(f"`{name}` must be {what}, got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed`` or raise listing them."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(
            f"`{name}` must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}"
        )
    return value


def as_per_axis(name: str, value: Any, ndim: int, *, positive: bool = False) -> NDArray[np.float64]:
    """Broadcast a scalar or a length-``ndim`` sequence to a float64 array of shape ``(ndim,)``."""
    if np.ndim(value) == 0:
        vals = [value] * ndim
    else:
        vals = list(np.asarray(value, dtype=object).ravel())
        if len(vals) != ndim:
            raise ValueError(
                f"`{name}` must be a scalar or have one entry per axis ({ndim}), "
                f"got {len(vals)} entries: {value!r}"
            )
    out = np.empty(ndim)
    for i, v in enumerate(vals):
        label = name if ndim == 1 else f"{name}[{i}]"
        out[i] = check_positive(label, v) if positive else check_real(label, v)
    return out


def check_finite_array(name: str, arr: NDArray[Any]) -> None:
    """Raise naming ``name`` and the first bad index if ``arr`` holds NaN or inf."""
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"`{name}` must be finite everywhere, got {arr[idx].item()!r} at index {idx} "
            f"({int(bad.sum())} non-finite entries)"
        )


def check_shape_bounds(
    shape: Any, bounds: Any, max_dim: int
) -> tuple[tuple[int, ...], tuple[tuple[float, float], ...]]:
    """Validate a grid's ``shape`` (int or 1…``max_dim`` ints ≥ 2) and ``bounds``.

    ``bounds`` is one ``(lo, hi)`` pair per axis, or a single pair used for every axis; each
    needs ``hi > lo``.  Returns the cleaned ``(shape, bounds)`` tuples.
    """
    shape_t = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not 1 <= len(shape_t) <= max_dim:
        raise ValueError(f"`shape` must have 1 to {max_dim} axes, got {shape!r}")
    for i, n in enumerate(shape_t):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"`shape[{i}]` must be an integer ≥ 2, got {n!r}")
    ndim = len(shape_t)
    b = list(bounds)
    if len(b) == 2 and all(np.ndim(x) == 0 for x in b):
        b = [tuple(b)] * ndim
    if len(b) != ndim:
        raise ValueError(f"`bounds` must give one (lo, hi) pair per axis ({ndim}), got {bounds!r}")
    pairs = []
    for i, pair in enumerate(b):
        if np.ndim(pair) != 1 or len(pair) != 2:
            raise ValueError(f"`bounds[{i}]` must be a (lo, hi) pair, got {pair!r}")
        lo = check_real(f"bounds[{i}][0]", pair[0])
        hi = check_real(f"bounds[{i}][1]", pair[1])
        if not hi > lo:
            raise ValueError(f"`bounds[{i}]` must have hi > lo, got ({lo}, {hi})")
        pairs.append((lo, hi))
    return tuple(int(n) for n in shape_t), tuple(pairs)


def check_span(t_span: Any) -> tuple[float, float]:
    """Validate ``t_span = (t0, t1)``: finite numbers with ``t1 ≥ t0``."""
    try:
        t0, t1 = (float(x) for x in t_span)
    except (TypeError, ValueError):
        raise ValueError(f"`t_span` must be a pair (t0, t1) of numbers, got {t_span!r}") from None
    if not (math.isfinite(t0) and math.isfinite(t1)) or t1 < t0:
        raise ValueError(f"`t_span` must be finite with t1 ≥ t0, got {t_span!r}")
    return t0, t1
