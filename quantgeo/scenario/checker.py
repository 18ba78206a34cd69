"""Collects every problem of a file as ``file: [table].key: message``.

:meth:`Checker.table` validates a table with its pydantic model (:mod:`.values`) and words
what pydantic found: unknown keys (with a did-you-mean and the valid keys), missing keys and bad
values, in the order of the table's keys; in a ``[fast]`` pass the overridden keys are labelled
``[fast.table]`` and the others get the suffix " (with the [fast] overrides)".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from quantgeo.scenario.schema import BAD, Key

__all__ = ["Checker", "is_number", "ok", "suggest", "tname"]


_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    list: "array",
    dict: "table",
}


def tname(value: Any) -> str:
    """TOML name of the type of ``value`` (``"string"``, ``"array"``, ``"table"`` …)."""
    for t, name in _TYPE_NAMES.items():
        if type(value) is t:
            return name
    return type(value).__name__


def is_number(v: Any) -> bool:
    """A TOML number (``int`` or ``float``, not ``bool``)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def suggest(word: str, valid: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``valid``, or ``""``."""
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Checker:
    """Collects problems as ``file: [table].key: message``."""

    def __init__(self, file: str, overrides: set[str] | None = None) -> None:
        self.file = file
        self.problems: list[str] = []
        #: Accepted but questionable values, in the same one-line form.
        self.warnings: list[str] = []
        #: Dotted paths set by [fast] (None: not a fast-mode pass).
        self.overrides = overrides

    def add(self, table: str, key: str | None, msg: str) -> None:
        self.problems.append(self._line(table, key, msg))

    def warn(self, table: str, key: str | None, msg: str) -> None:
        """Record a warning ``file: [table].key: message`` (the file is still accepted)."""
        self.warnings.append(self._line(table, key, msg))

    def _line(self, table: str, key: str | None, msg: str) -> str:
        label, suffix = table, ""
        if self.overrides is not None:
            full = re.sub(r"\.\d+(?=\.|$)", "", table + (f".{key}" if key else ""))
            if any(full == o or full.startswith(o + ".") for o in self.overrides):
                label = f"fast.{table}"
            else:
                suffix = " (with the [fast] overrides)"
        loc = f"[{label}]" + (f".{key}" if key else "")
        return f"{self.file}: {loc}: {msg}{suffix}"

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
        """Validate ``raw`` with the table's pydantic model (:mod:`.values`); unknown keys,
        missing keys and bad values become problems, valid values are returned (``BAD``
        where a problem was reported, the default where a key is absent)."""
        from quantgeo.scenario.values import validate_table

        if not isinstance(raw, dict):
            self.add(name, None, f"must be a table, got {tname(raw)} {raw!r}")
            return {k.name: BAD for k in keys}
        res = validate_table(keys, extra, raw, ndim)
        valid = [k.name for k in keys] + list(extra)
        for key in res.unknown:
            self.add(
                name,
                key,
                f"unknown key{context}{suggest(key, valid)}; valid keys: "
                + (", ".join(sorted(valid)) if valid else "none"),
            )
        problems = dict(res.problems)
        docs = {k.name: k.doc for k in keys}
        for k in keys:  # in key order, as the values are read
            if k.name in res.missing:
                self.add(name, k.name, f"missing required key ({docs[k.name]})")
            for label, msg in problems.get(k.name, ()):
                self.add(name, label, msg)
        return res.values

    # -- values ----------------------------------------------------------------------------
    def value(self, table: str, k: Key, v: Any, ndim: int | None) -> Any:
        """``v`` validated by key ``k``'s pydantic type (:mod:`.values`), or ``BAD``."""
        from quantgeo.scenario.values import validate_value

        out, problems = validate_value(k, v, ndim)
        for label, msg in problems:
            self.add(table, label, msg)
        return out


def ok(*values: Any) -> bool:
    """Whether none of ``values`` is ``BAD``."""
    return all(v is not BAD for v in values)
