"""quantgeo._table.format_table: fitted and fixed columns, rules, gaps, stripping."""

from __future__ import annotations

import math

import pytest

from quantgeo._table import Column, fmt_value, format_table


def test_fitted_columns_with_a_rule_of_dashes() -> None:
    text = format_table([["a", 1.5, True], ["long name", 1e-7, False]], ["name", "x", "ok"])
    assert text.splitlines() == [
        "name       x      ok",
        "---------  -----  ---",
        "a          1.5    yes",
        "long name  1e-07  no",
    ]


def test_fixed_widths_alignment_specs_and_gaps() -> None:
    cols = [
        Column("k", ">", 4, "g"),
        Column("value", ">", 10, ".3e", gap=" "),
        Column("note", gap=" | "),
    ]
    text = format_table([[2.0, math.pi, ""], [0.5, "(none)", "x"]], cols, rule=12, strip=False)
    assert text.splitlines() == [
        "   k      value | note",
        "------------",
        "   2  3.142e+00 | ",  # strip=False keeps the gap before an empty last cell
        " 0.5     (none) | x",
    ]
    # a fixed width is a minimum, as in f"{x:>4}": wider cells overflow
    assert format_table([["toolong"]], [Column("h", ">", 4)], rule=None) == "   h\ntoolong"


def test_strip_and_no_rule() -> None:
    assert format_table([["a", ""]], ["x", "y"], rule=None) == "x  y\na"


def test_a_row_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match=r"`rows` entries need 2 cells, got 1"):
        format_table([["a"]], ["x", "y"])


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0"), (123456.0, "1.23e+05"), (0.5, "0.5"), (2e-4, "0.0002"), (math.inf, "inf")],
)
def test_fmt_value(value: float, text: str) -> None:
    assert fmt_value(value) == text
