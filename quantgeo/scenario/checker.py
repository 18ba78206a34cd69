"""The validator of scenario tables: collects every problem as ``file: [table].key: message``."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from quantgeo.scenario.schema import BAD, REQUIRED, Key

__all__ = ["Checker", "ok", "suggest", "tname"]


_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    list: "array",
    dict: "table",
}


def tname(value: Any) -> str:
    for t, name in _TYPE_NAMES.items():
        if type(value) is t:
            return name
    return type(value).__name__


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def suggest(word: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Checker:
    """Collects problems as ``file: [table].key: message``."""

    def __init__(self, file: str, overrides: set[str] | None = None) -> None:
        self.file = file
        self.problems: list[str] = []
        #: Dotted paths set by [fast] (None: not a fast-mode pass).
        self.overrides = overrides

    def add(self, table: str, key: str | None, msg: str) -> None:
        label, suffix = table, ""
        if self.overrides is not None:
            full = re.sub(r"\.\d+(?=\.|$)", "", table + (f".{key}" if key else ""))
            if any(full == o or full.startswith(o + ".") for o in self.overrides):
                label = f"fast.{table}"
            else:
                suffix = " (with the [fast] overrides)"
        loc = f"[{label}]" + (f".{key}" if key else "")
        self.problems.append(f"{self.file}: {loc}: {msg}{suffix}")

    # -- tables ----------------------------------------------------------------------------
    def table(
        self,
        raw: Any,
        name: str,
        keys: Sequence[Key],
        ndim: int | None,
        *,
        extra: Sequence[str] = (),
        context: str = "",
    ) -> dict[str, Any]:
        """Parse ``raw`` against ``keys``; unknown keys and bad values become problems."""
        if not isinstance(raw, dict):
            self.add(name, None, f"must be a table, got {tname(raw)} {raw!r}")
            return {k.name: BAD for k in keys}
        valid = [k.name for k in keys] + list(extra)
        for key in raw:
            if key not in valid:
                self.add(
                    name,
                    key,
                    f"unknown key{context}{suggest(key, valid)}; valid keys: "
                    + (", ".join(sorted(valid)) if valid else "none"),
                )
        out: dict[str, Any] = {}
        for k in keys:
            if k.name in raw:
                out[k.name] = self.value(name, k, raw[k.name], ndim)
            elif k.default is REQUIRED:
                self.add(name, k.name, f"missing required key ({k.doc})")
                out[k.name] = BAD
            else:
                out[k.name] = k.default
        return out

    # -- values ----------------------------------------------------------------------------
    def _number(self, table: str, k: Key, v: Any, label: str | None = None) -> Any:
        unit = f" ({k.unit})" if k.unit not in ("—", "") else ""
        where = label or k.name
        if not is_number(v):
            self.add(table, where, f"must be a number{unit}, got {tname(v)} {v!r}")
            return BAD
        x = float(v)
        if not math.isfinite(x):
            self.add(table, where, f"must be finite, got {v!r}")
            return BAD
        if k.positive and x <= 0:
            self.add(table, where, f"must be positive, got {v!r}")
            return BAD
        if k.nonneg and x < 0:
            self.add(table, where, f"must be ≥ 0, got {v!r}")
            return BAD
        return x

    def _int(self, table: str, k: Key, v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, int):
            self.add(table, k.name, f"must be an integer, got {tname(v)} {v!r}")
            return BAD
        if k.minimum is not None and v < k.minimum:
            self.add(table, k.name, f"must be an integer ≥ {k.minimum}, got {v!r}")
            return BAD
        return int(v)

    def value(self, table: str, k: Key, v: Any, ndim: int | None) -> Any:
        kind = k.kind
        if kind == "number":
            return self._number(table, k, v)
        if kind == "int":
            return self._int(table, k, v)
        if kind == "bool":
            if not isinstance(v, bool):
                self.add(table, k.name, f"must be true or false, got {tname(v)} {v!r}")
                return BAD
            return v
        if kind == "str":
            if not isinstance(v, str):
                self.add(table, k.name, f"must be a string, got {tname(v)} {v!r}")
                return BAD
            if k.choices and v not in k.choices:
                self.add(
                    table,
                    k.name,
                    f"unknown value {v!r}{suggest(v, k.choices)}; valid: {', '.join(k.choices)}",
                )
                return BAD
            return v
        if kind == "strs":
            if isinstance(v, str) or not isinstance(v, list):
                self.add(table, k.name, f"must be an array of strings, got {tname(v)} {v!r}")
                return BAD
            bad = [x for x in v if not isinstance(x, str) or (k.choices and x not in k.choices)]
            if bad:
                self.add(
                    table,
                    k.name,
                    f"unknown entries {bad!r}; valid: {', '.join(k.choices)}",
                )
                return BAD
            return tuple(v)
        if kind == "axis":
            if isinstance(v, list):
                if not v or (ndim is not None and len(v) != ndim) or len(v) > 3:
                    want = f"{ndim}" if ndim is not None else "1 to 3"
                    self.add(
                        table,
                        k.name,
                        f"must be a number or an array of {want} numbers (one per lattice axis), "
                        f"got {len(v)} entries {v!r}",
                    )
                    return BAD
                vals = [self._number(table, k, x, f"{k.name}[{i}]") for i, x in enumerate(v)]
                return BAD if any(x is BAD for x in vals) else tuple(vals)
            return self._number(table, k, v)
        if kind == "numbers":
            if not isinstance(v, list) or not v:
                self.add(
                    table, k.name, f"must be a non-empty array of numbers, got {tname(v)} {v!r}"
                )
                return BAD
            vals = [self._number(table, k, x, f"{k.name}[{i}]") for i, x in enumerate(v)]
            return BAD if any(x is BAD for x in vals) else tuple(vals)
        if kind == "shape":
            vals_raw = [v] if not isinstance(v, list) else v
            if not 1 <= len(vals_raw) <= 3:
                self.add(table, k.name, f"must have 1 to 3 axes, got {v!r}")
                return BAD
            ok = all(isinstance(n, int) and not isinstance(n, bool) and n >= 2 for n in vals_raw)
            if not ok:
                self.add(table, k.name, f"must be integers ≥ 2 (sites per axis), got {v!r}")
                return BAD
            return tuple(int(n) for n in vals_raw)
        if kind == "bounds":
            return self._bounds(table, k, v, ndim)
        if kind == "int_or_ints":
            if isinstance(v, list):
                if not v:
                    self.add(table, k.name, "must be an integer ≥ 0 or a non-empty array of them")
                    return BAD
                vals = [
                    self._int(table, Key(f"{k.name}[{i}]", "int", minimum=0), x)
                    for i, x in enumerate(v)
                ]
                if any(x is BAD for x in vals):
                    return BAD
                if len(set(vals)) != len(vals):
                    self.add(table, k.name, f"must not repeat an index, got {v!r}")
                    return BAD
                return tuple(vals)
            x = self._int(table, Key(k.name, "int", minimum=0), v)
            return BAD if x is BAD else (x,)
        if kind == "int_or_auto":
            if v == "auto":
                return None
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                self.add(table, k.name, f"must be 'auto' or an integer ≥ 1, got {tname(v)} {v!r}")
                return BAD
            return int(v)
        if kind == "grid":
            try:
                arr = np.array(v, dtype=float)
            except (TypeError, ValueError):
                self.add(table, k.name, f"must be a (nested) array of numbers, got {tname(v)}")
                return BAD
            if arr.ndim == 0 or arr.dtype == object or not np.all(np.isfinite(arr)):
                self.add(table, k.name, "must be a rectangular nested array of finite numbers")
                return BAD
            if any(isinstance(x, bool) for x in np.asarray(v, dtype=object).ravel()):
                self.add(table, k.name, "must contain numbers, not booleans")
                return BAD
            arr.setflags(write=False)
            return arr
        raise AssertionError(f"unknown key kind {kind!r}")  # pragma: no cover

    def _bounds(self, table: str, k: Key, v: Any, ndim: int | None) -> Any:
        def pair(p: Any, label: str) -> Any:
            if not isinstance(p, list) or len(p) != 2 or not all(is_number(x) for x in p):
                self.add(table, label, f"must be a [lo, hi] pair of numbers, got {p!r}")
                return BAD
            lo, hi = float(p[0]), float(p[1])
            if not (math.isfinite(lo) and math.isfinite(hi)) or not hi > lo:
                self.add(table, label, f"must be finite with hi > lo, got {p!r}")
                return BAD
            return (lo, hi)

        if not isinstance(v, list) or not v:
            self.add(
                table,
                k.name,
                f"must be [lo, hi] or an array of [lo, hi] pairs, got {tname(v)} {v!r}",
            )
            return BAD
        if all(is_number(x) for x in v):
            p = pair(v, k.name)
            if p is BAD:
                return BAD
            return tuple([p] * (ndim or 1))
        pairs = [pair(p, f"{k.name}[{i}]") for i, p in enumerate(v)]
        if any(p is BAD for p in pairs):
            return BAD
        if ndim is not None and len(pairs) != ndim:
            self.add(
                table,
                k.name,
                f"has {len(pairs)} [lo, hi] pairs but [lattice].shape has {ndim} axes",
            )
            return BAD
        return tuple(pairs)


def ok(*values: Any) -> bool:
    return all(v is not BAD for v in values)
