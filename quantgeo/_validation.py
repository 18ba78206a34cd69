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
    "as_numeric_array",
    "as_per_axis",
    "check_axis_sizes",
    "check_bound_pair",
    "check_choice",
    "check_finite_array",
    "check_instance",
    "check_int",
    "check_positive",
    "check_real",
    "check_shape_bounds",
    "check_span",
    "format_bytes",
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


def check_int(
    name: str, value: Any, minimum: int = 1, *, maximum: int | None = None, or_none: bool = False
) -> int:
    """Return ``value`` as an int in ``[minimum, maximum]`` or raise naming ``name``.

    Bools and floats are refused.  ``or_none`` only adds "or None" to the message, for
    arguments whose caller accepts ``None`` before calling this.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer ≥ {minimum}"
        )
        if maximum is not None:
            what = f"an integer in [{minimum}, {maximum}]"
        raise ValueError(f"`{name}` must be {what}{' or None' if or_none else ''}, got {value!r}")
    return int(value)


def check_instance(name: str, value: Any, cls: type, what: str | None = None) -> None:
    """Raise ``TypeError`` naming ``name`` unless ``value`` is a ``cls``."""
    if not isinstance(value, cls):
        article = "an" if cls.__name__[0] in "AEIOU" else "a"
        raise TypeError(
            f"`{name}` must be {what or article + ' ' + cls.__name__}, "
            f"got {type(value).__name__} {_short(value)}"
        )


def as_numeric_array(
    name: str, value: Any, what: str, dtype: Any = np.float64, *, copy: bool = False
) -> NDArray[Any]:
    """``value`` as a C-ordered array of ``dtype``, or ``TypeError`` naming ``name``.

    ``what`` says what is allowed, e.g. ``"an array of site values"``; strings, bytes and
    arrays of non-numbers are refused before NumPy tries to parse them (its own message,
    "could not convert string to float", names no argument).  ``copy=False`` avoids a copy
    where the input already fits.
    """
    raw = value if isinstance(value, np.ndarray) else None
    if raw is None and not isinstance(value, (str, bytes)):
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError):  # ragged nesting
            raw = None
    if raw is None or raw.dtype.kind not in "biufc":
        raise TypeError(f"`{name}` must be {what}, got {type(value).__name__} {_short(value)}")
    if copy:
        return np.array(raw, dtype=dtype, order="C")
    return np.asarray(raw, dtype=dtype, order="C")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, three significant digits: ``format_bytes(2**40) = '1 TiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


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


def check_axis_sizes(sizes: Sequence[Any]) -> tuple[int, ...]:
    """Check that every ``shape[i]`` is an integer ≥ 2; return them as ints."""
    return tuple(check_int(f"shape[{i}]", n, 2) for i, n in enumerate(sizes))


def check_bound_pair(
    name: str, pair: Any, *, order: str = "must have hi > lo, got ({lo}, {hi})"
) -> tuple[float, float]:
    """Check one ``(lo, hi)`` pair of finite numbers with ``hi > lo``; return it as floats.

    ``order`` is the message for ``hi ≤ lo`` (``{lo}``, ``{hi}``, ``{pair}`` are filled in): the
    lattice and the learning grid keep their own wording.
    """
    if np.ndim(pair) != 1 or len(pair) != 2:
        raise ValueError(f"`{name}` must be a (lo, hi) pair, got {pair!r}")
    lo = check_real(f"{name}[0]", pair[0])
    hi = check_real(f"{name}[1]", pair[1])
    if not hi > lo:
        raise ValueError(f"`{name}` " + order.format(lo=lo, hi=hi, pair=tuple(pair)))
    return lo, hi


def check_shape_bounds(
    shape: Any, bounds: Any, max_dim: int
) -> tuple[tuple[int, ...], tuple[tuple[float, float], ...]]:
    """Validate a grid's ``shape`` (int or 1…``max_dim`` ints ≥ 2) and ``bounds``.

    ``bounds`` is one ``(lo, hi)`` pair per axis, or a single pair used for every axis; each
    needs ``hi > lo``.  Returns the cleaned ``(shape, bounds)`` tuples.
    """
    if np.ndim(shape) == 0 and not isinstance(shape, (int, np.integer)):
        raise ValueError(
            f"`shape` must be an integer ≥ 2 or a sequence of 1 to {max_dim} of them, "
            f"got {shape!r} ({type(shape).__name__})"
        )
    shape_t = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    if not 1 <= len(shape_t) <= max_dim:
        raise ValueError(f"`shape` must have 1 to {max_dim} axes, got {shape!r}")
    sizes = check_axis_sizes(shape_t)
    ndim = len(sizes)
    try:
        if isinstance(bounds, (str, bytes)):
            raise TypeError
        b = list(bounds)
    except TypeError:
        raise TypeError(
            f"`bounds` must be a (lo, hi) pair or one (lo, hi) pair per axis ({ndim}), "
            f"got {bounds!r} ({type(bounds).__name__})"
        ) from None
    if len(b) == 2 and all(np.ndim(x) == 0 for x in b):
        b = [tuple(b)] * ndim
    if len(b) != ndim:
        raise ValueError(f"`bounds` must give one (lo, hi) pair per axis ({ndim}), got {bounds!r}")
    return sizes, tuple(check_bound_pair(f"bounds[{i}]", pair) for i, pair in enumerate(b))


def check_span(t_span: Any) -> tuple[float, float]:
    """Validate ``t_span = (t0, t1)``: finite numbers with ``t1 ≥ t0``."""
    try:
        t0, t1 = (float(x) for x in t_span)
    except (TypeError, ValueError):
        raise ValueError(f"`t_span` must be a pair (t0, t1) of numbers, got {t_span!r}") from None
    if not (math.isfinite(t0) and math.isfinite(t1)) or t1 < t0:
        raise ValueError(f"`t_span` must be finite with t1 ≥ t0, got {t_span!r}")
    return t0, t1
