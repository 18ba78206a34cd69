"""Plain-text tables: the one helper behind every table quantgeo prints.

Used by the ``quantgeo`` command (``run``, ``validate``, ``compare``, ``warmup``), the benchmark
rows of :mod:`quantgeo._bench`, :meth:`quantgeo.learning.RegimesReport.table` and
:meth:`quantgeo.emergence.EmergenceResult.format`.  A column either fits its widest cell
(``width=None``) or has a fixed width like a format spec (``width=12``: shorter cells are padded,
longer ones overflow), so each caller keeps its exact layout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Column", "fmt_value", "format_table"]


@dataclass(frozen=True)
class Column:
    """One column of :func:`format_table`.

    Attributes
    ----------
    header
        Column title (aligned like the cells).
    align
        ``"<"`` left or ``">"`` right.
    width
        ``None``: the width of the widest cell, header included; an ``int``: a minimum width,
        wider cells overflow (as in ``f"{x:<12}"``).
    spec
        Format spec for cells that are not strings (``".3e"``); empty: :func:`fmt_value`.
        String cells are printed as given.
    gap
        Text between the previous column and this one (ignored for the first column).
    """

    header: str
    align: Literal["<", ">"] = "<"
    width: int | None = None
    spec: str = ""
    gap: str = "  "

    def cell(self, value: Any) -> str:
        """``value`` as text: strings as given, others via ``spec`` or :func:`fmt_value`."""
        if isinstance(value, str):
            return value
        return format(value, self.spec) if self.spec else fmt_value(value)


def fmt_value(v: Any) -> str:
    """Compact text of a table cell: ``yes``/``no`` for booleans, 6 significant digits for
    floats (3 in scientific notation below 1e-3 or from 1e5 on), ``str`` otherwise."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v == 0:
            return "0"
        if abs(v) < 1e-3 or abs(v) >= 1e5:
            return f"{v:.3g}"
        return f"{v:.6g}"
    return str(v)


def format_table(
    rows: Sequence[Sequence[Any]],
    columns: Sequence[Column | str],
    *,
    rule: Literal["columns"] | int | None = "columns",
    strip: bool = True,
) -> str:
    """Header line, optional rule and one line per row.

    Parameters
    ----------
    rows
        Cells per row, one per column.
    columns
        :class:`Column` specs; a plain string is ``Column(header)`` (left-aligned, fitted).
    rule
        ``"columns"``: a line of dashes under each column; an ``int`` ``n``: ``n`` dashes;
        ``None``: no rule.
    strip
        Remove trailing spaces from every line.  A fitted left-aligned last column is never
        padded.

    Returns
    -------
    str
        The lines joined by newlines (no trailing newline).
    """
    cols = [Column(c) if isinstance(c, str) else c for c in columns]
    cells = [[c.header for c in cols]]
    for row in rows:
        if len(row) != len(cols):
            raise ValueError(f"`rows` entries need {len(cols)} cells, got {len(row)}: {row!r}")
        cells.append([c.cell(v) for c, v in zip(cols, row, strict=True)])
    widths = [
        max(len(r[i]) for r in cells) if c.width is None else c.width for i, c in enumerate(cols)
    ]
    last = len(cols) - 1
    if cols[last].width is None and cols[last].align == "<":
        widths[last] = 0  # nothing follows: no padding

    def line(texts: Sequence[str]) -> str:
        out = ""
        for i, (c, w, t) in enumerate(zip(cols, widths, texts, strict=True)):
            out += ("" if i == 0 else c.gap) + (t.ljust(w) if c.align == "<" else t.rjust(w))
        return out.rstrip() if strip else out

    lines = [line(cells[0])]
    if rule == "columns":
        full = [max(len(r[i]) for r in cells) if w == 0 else w for i, w in enumerate(widths)]
        lines.append(line(["-" * w for w in full]))
    elif rule is not None:
        lines.append("-" * rule)
    lines += [line(r) for r in cells[1:]]
    return "\n".join(lines)
