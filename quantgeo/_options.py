"""Engine options: each engine's defaults, units, documentation and ranges, written once.

An engine's options class is a frozen dataclass whose fields are made with :func:`option`; the
engine's constructor takes its defaults from it, :func:`check_options` enforces the ranges at
construction, and the scenario schema (:mod:`quantgeo.scenario`) builds its keys from
:func:`option_fields` instead of copying them.  No pydantic here: the engines stay plain.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import MISSING, dataclass
from typing import Any

__all__ = ["OptionMeta", "check_options", "option", "option_fields"]


@dataclass(frozen=True)
class OptionMeta:
    """What a field of an options class means.

    Attributes
    ----------
    unit
        Physical unit (``"time"``, ``"length"`` …, ``"—"`` if none).
    doc
        One-line description.
    kind
        Value kind in the scenario format: ``"number"``, ``"int"``, ``"bool"``, ``"str"``,
        ``"strs"``, ``"numbers"``, ``"int_or_auto"`` (``None`` = ``"auto"``).
    gt, ge
        Exclusive / inclusive lower bound of a number; ``ge`` is the least integer for ints.
    le
        Inclusive upper bound (``None``: the scenario layer's default, 10¹² for numbers and
        10⁹ for integers, :data:`quantgeo.scenario.schema.MAX_NUMBER`); a bound that keeps
        steps, allocations and products from overflowing.
    choices
        Allowed strings (``str`` and ``strs``).
    """

    unit: str = "—"
    doc: str = ""
    kind: str = "number"
    gt: float | None = None
    ge: float | None = None
    choices: tuple[str, ...] = ()
    le: float | None = None


def option(
    default: Any = MISSING,
    *,
    unit: str = "—",
    doc: str = "",
    kind: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    choices: Sequence[str] = (),
    le: float | None = None,
) -> Any:
    """A dataclass field carrying :class:`OptionMeta` (``default`` omitted: required; ``kind``
    omitted: inferred from the default, ``"number"`` when there is none)."""
    meta = OptionMeta(unit, doc, kind or _kind_of(default), gt, ge, tuple(choices), le)
    return dataclasses.field(default=default, metadata={"option": meta})


def _kind_of(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, str):
        return "str"
    if isinstance(default, tuple):
        return "strs" if all(isinstance(x, str) for x in default) else "numbers"
    return "number"


def option_fields(cls: Any) -> dict[str, tuple[Any, OptionMeta]]:
    """``{name: (default or MISSING, meta)}`` of an options class, in field order."""
    return {
        f.name: (f.default, f.metadata["option"])
        for f in dataclasses.fields(cls)
        if "option" in f.metadata
    }


def _problem(value: Any, default: Any, meta: OptionMeta) -> str | None:
    if value is None and (default is None or meta.kind == "int_or_auto"):
        return None
    if meta.kind in ("number", "int", "int_or_auto"):
        integer = meta.kind != "number"
        if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
            return f"must be {'an integer' if integer else 'a real number'}, got {value!r}"
        if not integer and not math.isfinite(value):
            return f"must be finite, got {value!r}"
        if meta.gt is not None and not value > meta.gt:
            return f"must be > {meta.gt:g}, got {value!r}"
        if meta.ge is not None and not value >= meta.ge:
            return f"must be ≥ {meta.ge:g}, got {value!r}"
        if meta.le is not None and not value <= meta.le:
            return f"must be ≤ {meta.le:g}, got {value!r}"
    elif meta.kind == "bool" and not isinstance(value, bool):
        return f"must be True or False, got {value!r}"
    elif meta.kind == "str" and meta.choices and value not in meta.choices:
        return f"must be one of {', '.join(map(repr, meta.choices))}, got {value!r}"
    elif meta.kind == "strs" and meta.choices and any(v not in meta.choices for v in value):
        return f"entries must be among {', '.join(map(repr, meta.choices))}, got {value!r}"
    return None


def check_options(obj: Any) -> None:
    """Raise ``ValueError`` naming every field of ``obj`` outside its range or choices."""
    problems = []
    for name, (default, meta) in option_fields(type(obj)).items():
        msg = _problem(getattr(obj, name), default, meta)
        if msg is not None:
            problems.append(f"`{name}` {msg}")
    if problems:
        raise ValueError("; ".join(problems))
