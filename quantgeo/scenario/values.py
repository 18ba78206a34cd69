"""pydantic types of the scenario values, one per :class:`~quantgeo.scenario.schema.Key` kind,
and the translation of pydantic's errors into the scenario messages.

Each key kind is a strict pydantic type (``number`` → ``float`` with ``allow_inf_nan=False`` and
``gt``/``ge``; ``int`` → ``int`` with ``ge``; ``str`` → ``Literal[choices]``; per-axis values →
a union tagged by the input's shape …).  Constraints that depend on the lattice (one value per
axis, one ``[lo, hi]`` pair per axis) read ``ndim`` from the validation context.  A failed
value gives pydantic ``ErrorDetails`` (``type``, ``loc``, ``input``); :func:`translate` turns
them into ``(label, message)`` pairs such as ``("dt", "must be positive, got -0.01")``.

pydantic is imported when this module is (by :class:`~quantgeo.scenario.checker.Checker` on
the first validated value), not by ``import quantgeo``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    create_model,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from quantgeo.scenario.checker import is_number, suggest, tname
from quantgeo.scenario.schema import BAD, MAX_INT, MAX_NUMBER, MAX_SITES, REQUIRED, Key

__all__ = [
    "TableResult",
    "adapter",
    "field_type",
    "table_model",
    "translate",
    "validate_table",
    "validate_value",
]


def list_of(item: Any) -> Any:
    """``list[item]`` of a type built at run time."""
    return list.__class_getitem__(item)


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("scenario", message)


def _ndim(info: ValidationInfo) -> int | None:
    ctx = info.context or {}
    return ctx.get("ndim")


# -- scalar types ------------------------------------------------------------------------------
def _largest(k: Key) -> float:
    """The upper bound of a key (:data:`~quantgeo.scenario.schema.MAX_NUMBER` or
    :data:`~quantgeo.scenario.schema.MAX_INT` by default): no value may overflow."""
    if k.maximum is not None:
        return k.maximum
    return MAX_INT if k.kind in ("int", "int_or_ints") else MAX_NUMBER


def _number(k: Key, *, finite: bool = True) -> Any:
    kw: dict[str, Any] = {"strict": True, "allow_inf_nan": not finite, "le": _largest(k)}
    if k.positive:
        kw["gt"] = 0
    elif k.nonneg:
        kw["ge"] = 0
    else:
        kw["ge"] = -_largest(k)
    return Annotated[float, Field(**kw)]


def _int(minimum: int | None, maximum: float = MAX_INT) -> Any:
    return Annotated[int, Field(strict=True, ge=minimum, le=maximum)]


def _str(k: Key) -> Any:
    if k.choices:
        return Literal[k.choices]
    return Annotated[str, Field(strict=True)]


def _by_shape(scalar: Any, array: Any) -> Any:
    """``scalar | array``, validated by the branch the input's shape selects."""

    def tag(v: Any) -> str:
        return "array" if isinstance(v, list) else "scalar"

    return Annotated[
        Annotated[scalar, Tag("scalar")] | Annotated[array, Tag("array")],
        Discriminator(tag),
    ]


# -- per-axis and list types -------------------------------------------------------------------
def _axis(k: Key) -> Any:
    def length(v: Any, info: ValidationInfo) -> Any:
        ndim = _ndim(info)
        if not v or (ndim is not None and len(v) != ndim) or len(v) > 3:
            want = f"{ndim}" if ndim is not None else "1 to 3"
            raise _fail(
                f"must be a number or an array of {want} numbers (one per lattice axis), "
                f"got {len(v)} entries {v!r}"
            )
        return v

    array: Any = Annotated[list_of(_number(k)), BeforeValidator(length), AfterValidator(tuple)]
    return _by_shape(_number(k), array)


def _numbers(k: Key) -> Any:
    def nonempty(v: Any) -> Any:
        if not isinstance(v, list) or not v:
            raise _fail(f"must be a non-empty array of numbers, got {tname(v)} {v!r}")
        return v

    return Annotated[list_of(_number(k)), BeforeValidator(nonempty), AfterValidator(tuple)]


def _strs(k: Key) -> Any:
    item = Literal[k.choices] if k.choices else Annotated[str, Field(strict=True)]
    return Annotated[list[item], Field(strict=True), AfterValidator(tuple)]  # type: ignore[valid-type]


def _shape() -> Any:
    def axes(v: Any) -> Any:
        vals = [v] if not isinstance(v, list) else v
        if not 1 <= len(vals) <= 3:
            raise _fail(f"must have 1 to 3 axes, got {v!r}")
        big = [n for n in vals if isinstance(n, int) and n > MAX_SITES]
        if big:
            raise _fail(f"must have at most MAX_SITES = {MAX_SITES:,} sites, got {_g3(big[0])}")
        return vals

    sites = Annotated[int, Field(strict=True, ge=2)]
    schema = {
        "anyOf": [
            {"type": "integer", "minimum": 2},
            {"type": "array", "items": {"type": "integer", "minimum": 2}, "minItems": 1,
             "maxItems": 3},
        ]
    }  # fmt: skip
    return Annotated[
        list[sites], BeforeValidator(axes), AfterValidator(tuple), WithJsonSchema(schema)
    ]


def _pair(v: Any) -> tuple[float, float]:
    lo, hi = v
    if not (math.isfinite(lo) and math.isfinite(hi)) or not hi > lo:
        # the message shows the pair as written (see _bounds_messages)
        raise PydanticCustomError("scenario_pair", "must be finite with hi > lo")
    return (lo, hi)


_PAIR = Annotated[
    list[Annotated[float, Field(strict=True)]],
    Field(min_length=2, max_length=2),
    AfterValidator(_pair),
]


def _bounds() -> Any:
    def outer(v: Any) -> Any:
        if not isinstance(v, list) or not v:
            raise _fail(f"must be [lo, hi] or an array of [lo, hi] pairs, got {tname(v)} {v!r}")
        return v

    def broadcast(p: tuple[float, float], info: ValidationInfo) -> Any:
        return tuple([p] * (_ndim(info) or 1))

    def count(pairs: list[tuple[float, float]], info: ValidationInfo) -> Any:
        ndim = _ndim(info)
        if ndim is not None and len(pairs) != ndim:
            raise _fail(f"has {len(pairs)} [lo, hi] pairs but [lattice].shape has {ndim} axes")
        return tuple(pairs)

    def tag(v: Any) -> str:
        return "pair" if all(is_number(x) for x in v) else "pairs"

    return Annotated[
        Annotated[Annotated[_PAIR, AfterValidator(broadcast)], Tag("pair")]
        | Annotated[Annotated[list[_PAIR], AfterValidator(count)], Tag("pairs")],
        Discriminator(tag),
        BeforeValidator(outer),
    ]


def _int_or_ints() -> Any:
    def nonempty(v: Any) -> Any:
        if not v:
            raise _fail("must be an integer ≥ 0 or a non-empty array of them")
        return v

    def distinct(v: list[int]) -> tuple[int, ...]:
        if len(set(v)) != len(v):
            raise _fail(f"must not repeat an index, got {v!r}")
        return tuple(v)

    array: Any = Annotated[list_of(_int(0)), BeforeValidator(nonempty), AfterValidator(distinct)]
    return _by_shape(Annotated[_int(0), AfterValidator(lambda n: (n,))], array)


def _int_or_auto() -> Any:
    def check(v: Any) -> int | None:
        if v == "auto":
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise _fail(f"must be 'auto' or an integer ≥ 1, got {tname(v)} {v!r}")
        return int(v)

    schema = {"anyOf": [{"const": "auto"}, {"type": "integer", "minimum": 1}]}
    return Annotated[Any, PlainValidator(check), WithJsonSchema(schema)]


def _grid() -> Any:
    def check(v: Any) -> Any:
        try:
            arr = np.array(v, dtype=float)
        except (TypeError, ValueError):
            raise _fail(f"must be a (nested) array of numbers, got {tname(v)}") from None
        if arr.ndim == 0 or arr.dtype == object or not np.all(np.isfinite(arr)):
            raise _fail("must be a rectangular nested array of finite numbers")
        if any(isinstance(x, bool) for x in np.asarray(v, dtype=object).ravel()):
            raise _fail("must contain numbers, not booleans")
        arr.setflags(write=False)
        return arr

    schema = {"type": "array", "description": "nested arrays of numbers (the lattice shape)"}
    return Annotated[Any, PlainValidator(check), WithJsonSchema(schema)]


_KINDS: dict[str, Callable[[Key], Any]] = {
    "number": _number,
    "int": lambda k: _int(k.minimum, _largest(k)),
    "bool": lambda k: Annotated[bool, Field(strict=True)],
    "str": _str,
    "strs": _strs,
    "axis": _axis,
    "numbers": _numbers,
    "shape": lambda k: _shape(),
    "bounds": lambda k: _bounds(),
    "int_or_ints": lambda k: _int_or_ints(),
    "int_or_auto": lambda k: _int_or_auto(),
    "grid": lambda k: _grid(),
}


def field_type(k: Key) -> Any:
    """The pydantic type of key ``k``'s values."""
    return _KINDS[k.kind](k)


@functools.cache
def adapter(k: Key) -> TypeAdapter[Any]:
    """A (cached) :class:`pydantic.TypeAdapter` of ``field_type(k)``."""
    return TypeAdapter(field_type(k))


# -- errors → messages -------------------------------------------------------------------------
def _number_message(k: Key, err: ErrorDetails) -> str:
    v, t = err["input"], err["type"]
    if t == "finite_number":
        return f"must be finite, got {v!r}"
    if t == "greater_than":
        return f"must be positive, got {v!r}"
    if t == "greater_than_equal":
        return f"must be ≥ {0 if k.nonneg else -_largest(k):g}, got {v!r}"
    if t == "less_than_equal":
        return f"must be ≤ {_largest(k):g}, got {v!r}"
    unit = f" ({k.unit})" if k.unit not in ("—", "") else ""
    return f"must be a number{unit}, got {tname(v)} {v!r}"


def _g3(v: Any) -> str:
    """``v`` to 3 significant digits; an int of any size (``float(v)`` overflows past 1e308)."""
    try:
        return f"{v:.3g}"
    except OverflowError:
        import decimal

        return format(decimal.Decimal(v), ".3g")


def _int_message(minimum: int | None, err: ErrorDetails, maximum: float = MAX_INT) -> str:
    v = err["input"]
    if err["type"] == "greater_than_equal":
        return f"must be an integer ≥ {minimum}, got {v!r}"
    if err["type"] == "less_than_equal":
        return f"must be an integer ≤ {int(maximum):,}, got {_g3(v)}"
    return f"must be an integer, got {tname(v)} {v!r}"


def _indexed(k: Key, loc: tuple[Any, ...]) -> str:
    """``name[i]`` for an entry of an array value (``loc`` after the union tag)."""
    idx = [x for x in loc if isinstance(x, int)]
    return f"{k.name}[{idx[0]}]" if idx else k.name


def _bounds_messages(k: Key, value: Any, errors: list[ErrorDetails]) -> list[tuple[str, str]]:
    """One message per ``[lo, hi]`` pair (``bounds`` itself when it is a single pair)."""
    out: dict[int, tuple[str, str]] = {}
    for e in errors:
        loc = e["loc"]
        if loc[:1] != ("pairs",) or len(loc) < 2:
            pos, label, pair = -1, k.name, value
        else:
            pos = int(loc[1])
            label, pair = f"{k.name}[{pos}]", value[pos]
        if pos not in out:
            if e["type"] == "scenario":
                out[pos] = (label, e["msg"])
            elif e["type"] == "scenario_pair":
                out[pos] = (label, f"must be finite with hi > lo, got {pair!r}")
            else:
                out[pos] = (label, f"must be a [lo, hi] pair of numbers, got {pair!r}")
    return [out[i] for i in sorted(out)]


def translate(k: Key, value: Any, errors: list[ErrorDetails]) -> list[tuple[str, str]]:
    """The scenario messages ``(label, message)`` of pydantic's ``errors`` for ``value``."""
    kind = k.kind
    if kind == "bounds":
        return _bounds_messages(k, value, errors)
    custom = [(k.name, e["msg"]) for e in errors if e["type"] == "scenario"]
    if kind in ("shape", "int_or_auto", "grid"):
        return custom[:1] or [(k.name, f"must be integers ≥ 2 (sites per axis), got {value!r}")]
    if custom:
        return custom
    if kind == "strs":
        if not isinstance(value, list):
            return [(k.name, f"must be an array of strings, got {tname(value)} {value!r}")]
        bad = [x for x in value if not isinstance(x, str) or (k.choices and x not in k.choices)]
        return [(k.name, f"unknown entries {bad!r}; valid: {', '.join(k.choices)}")]
    return [(_indexed(k, e["loc"]), _message(k, value, e)) for e in errors]


def _message(k: Key, value: Any, e: ErrorDetails) -> str:
    kind = k.kind
    if kind == "bool":
        return f"must be true or false, got {tname(value)} {value!r}"
    if kind == "str":
        if k.choices and isinstance(value, str):
            return (
                f"unknown value {value!r}{suggest(value, k.choices)}; valid: {', '.join(k.choices)}"
            )
        return f"must be a string, got {tname(value)} {value!r}"
    if kind in ("int", "int_or_ints"):
        return _int_message(k.minimum if kind == "int" else 0, e, _largest(k))
    return _number_message(k, e)


def validate_value(k: Key, value: Any, ndim: int | None) -> tuple[Any, list[tuple[str, str]]]:
    """``(validated value, [])``, or ``(BAD, messages)``."""
    try:
        return adapter(k).validate_python(value, context={"ndim": ndim}), []
    except ValidationError as exc:
        return BAD, translate(k, value, exc.errors(include_url=False))


# -- tables ------------------------------------------------------------------------------------
#: Every table rejects unknown keys.
FORBID = ConfigDict(extra="forbid")


def _default(k: Key) -> Any:
    """The default of an absent key, in the form its validated values take."""
    if k.kind == "int_or_ints" and isinstance(k.default, int):
        return (k.default,)  # n = 0 reads as the index list (0,)
    return k.default


def _description(k: Key) -> str:
    unit = f" [{k.unit}]" if k.unit not in ("—", "") else ""
    choices = f" One of: {', '.join(k.choices)}." if k.choices else ""
    return f"{k.doc}{unit}.{choices}" if k.doc else f"{unit.strip()}{choices}"


def _field(k: Key, partial: bool) -> tuple[Any, Any]:
    """``(type, FieldInfo)`` of key ``k`` (every key optional when ``partial``)."""
    desc = _description(k)
    if k.default is REQUIRED and not partial:
        return field_type(k), Field(description=desc)
    default = None if partial or k.default is REQUIRED else k.default
    if isinstance(default, tuple):
        default = list(default)
    extra = {"default": default} if default is not None else None
    return field_type(k), Field(
        default=None, description=desc, json_schema_extra=functools.partial(_schema_default, extra)
    )


def _schema_default(extra: dict[str, Any] | None, schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # TOML has no null: an absent key takes the default
    if extra is not None:
        schema.update(extra)


def table_model(
    name: str,
    keys: Sequence[Key],
    *,
    partial: bool = False,
    doc: str = "",
    **more: Any,
) -> type[BaseModel]:
    """The strict model of one table (``extra="forbid"``): ``keys`` with their pydantic types,
    descriptions (meaning and unit) and defaults (all optional when ``partial``, as in
    ``[fast]``), plus ``more`` fields (``name: (type, FieldInfo)``).  The JSON Schema's
    models and the validation of a file's tables are both made here."""
    fields: dict[str, Any] = {k.name: _field(k, partial) for k in keys}
    fields.update(more)
    title = f"fast_{name}" if partial else name
    return create_model(title, __config__=FORBID, __doc__=doc or f"[{name}]", **fields)


@functools.cache
def _validation_model(keys: tuple[Key, ...], extra: tuple[str, ...]) -> type[BaseModel]:
    """:func:`table_model` of ``keys``, the ``extra`` names (another step validates them)
    accepted as they are."""
    more: dict[str, Any] = {name: (Any, None) for name in extra}
    return table_model("table", keys, **more)


@dataclass
class TableResult:
    """What :func:`validate_table` found: values (``BAD`` where a problem was found), the
    unknown keys (in the table's order), the missing required keys and the value messages
    ``(key, [(label, message)])`` in key order."""

    values: dict[str, Any]
    unknown: list[str]
    missing: list[str]
    problems: list[tuple[str, list[tuple[str, str]]]]


def validate_table(
    keys: Sequence[Key], extra: Sequence[str], raw: dict[str, Any], ndim: int | None
) -> TableResult:
    """Validate ``raw`` with :func:`table_model`; every problem of the table is collected.

    pydantic gives no partial result when a table has a problem, so the values of its valid
    keys are then taken key by key (:func:`validate_value`).
    """
    model = _validation_model(tuple(keys), tuple(extra))
    try:
        m = model.model_validate(raw, context={"ndim": ndim})
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        return TableResult(
            {k.name: getattr(m, k.name) if k.name in raw else _default(k) for k in keys}, [], [], []
        )
    by_key: dict[str, list[ErrorDetails]] = {}
    unknown = []
    for e in errors:
        if e["type"] == "extra_forbidden":
            unknown.append(str(e["loc"][0]))
        else:
            by_key.setdefault(str(e["loc"][0]), []).append({**e, "loc": e["loc"][1:]})
    out: dict[str, Any] = {}
    missing, problems = [], []
    for k in keys:
        errs = by_key.get(k.name)
        if errs and errs[0]["type"] == "missing":
            missing.append(k.name)
            out[k.name] = BAD
        elif errs:
            problems.append((k.name, translate(k, raw[k.name], errs)))
            out[k.name] = BAD
        elif k.name in raw:
            out[k.name] = validate_value(k, raw[k.name], ndim)[0]
        else:
            out[k.name] = _default(k)
    return TableResult(out, [key for key in raw if key in set(unknown)], missing, problems)
