"""``scenarios/README.md``'s key reference, generated from the key tables and the kinds."""

from __future__ import annotations

from collections.abc import Sequence

from quantgeo.scenario.checks import ANALYTIC_CHECKS
from quantgeo.scenario.kinds import get_kind, kind_names
from quantgeo.scenario.schema import (
    ABSORBER_KEYS,
    ANIMATION_KEYS,
    CHECK_COMMON_KEYS,
    EXPECT_KEYS,
    HAMILTONIAN_KEYS,
    INITIAL_STATES,
    LATTICE_KEYS,
    POTENTIALS,
    RECORD_KEYS,
    REFERENCE_KEYS,
    REQUIRED,
    SCENARIO_KEYS,
    SOLVER_KEYS,
    Key,
)

__all__ = ["EDITOR_SUPPORT", "schema_markdown"]


def _default_text(k: Key) -> str:
    d = k.default
    if d is REQUIRED:
        return "**required**"
    if d is None:
        return "—"
    if isinstance(d, bool):
        return "`true`" if d else "`false`"
    if isinstance(d, str):
        return f'`"{d}"`'
    if isinstance(d, tuple):
        return "`[" + ", ".join(f'"{x}"' if isinstance(x, str) else repr(x) for x in d) + "]`"
    if isinstance(d, float) and (abs(d) < 1e-3 or abs(d) >= 1e5) and d != 0:
        return f"`{d:g}`"
    if isinstance(d, int) and d >= 100_000:
        return f"`{d:_}`"
    return f"`{d!r}`"


def _cell(text: str) -> str:
    """Escape ``|`` for a Markdown table cell."""
    return text.replace("|", "\\|")


def _key_table(keys: Sequence[Key]) -> list[str]:
    lines = ["| key | default | unit | meaning |", "|---|---|---|---|"]
    for k in keys:
        doc = k.doc
        if k.choices and k.kind == "str":
            doc += " — one of " + ", ".join(f"`{c}`" for c in k.choices)
        elif k.choices and k.kind == "strs":
            doc += " — any of " + ", ".join(f"`{c}`" for c in k.choices)
        lines.append(f"| `{k.name}` | {_default_text(k)} | {k.unit} | {_cell(doc)} |")
    return lines


def schema_markdown() -> str:
    """Markdown reference of every table and key with default and unit (``scenarios/README.md``)."""
    out: list[str] = []

    def section(title: str, keys: Sequence[Key], intro: str = "") -> None:
        out.append(f"### {title}\n")
        if intro:
            out.append(intro + "\n")
        out.extend(_key_table(keys) if keys else ["(no keys)"])
        out.append("")

    section("`[scenario]`", SCENARIO_KEYS)
    section("`[lattice]`", LATTICE_KEYS)
    section(
        "`[hamiltonian]`",
        HAMILTONIAN_KEYS,
        "`potential` is a table `[hamiltonian.potential]` or an array of tables "
        "`[[hamiltonian.potential]]` whose terms are summed (default: no potential).",
    )
    for name, keys in POTENTIALS.items():
        section(f'`[hamiltonian.potential]` type = `"{name}"`', keys)
    for name, keys in INITIAL_STATES.items():
        section(f'`[initial_state]` type = `"{name}"`', keys)
    section("`[solver]`", SOLVER_KEYS)
    section("`[solver.absorber]` (optional)", ABSORBER_KEYS)
    section("`[record]`", RECORD_KEYS)
    section("`[reference]`", REFERENCE_KEYS)
    section(
        "`[expect]`",
        EXPECT_KEYS,
        "A tolerance left out is not checked; at least one expectation is required.",
    )
    section(
        "`[[expect.analytic]]`",
        CHECK_COMMON_KEYS,
        "Each entry names a closed-form check; it passes when the measured error ≤ tolerance.",
    )
    out.append("| check | extra keys | measured error | unit |")
    out.append("|---|---|---|---|")
    for c in ANALYTIC_CHECKS.values():
        extra = (
            ", ".join(f"`{k.name}` (default {_default_text(k)}: {k.doc})" for k in c.keys) or "—"
        )
        out.append(f"| `{c.name}` | {_cell(extra)} | {_cell(c.doc)} | {c.unit} |")
    out.append("")
    section("`[animation]`", ANIMATION_KEYS)
    out.append(_kinds_markdown())
    out.append(_limits_markdown())
    out.append(EDITOR_SUPPORT)
    return "\n".join(out)


# =============================================================================================
# Emergence kinds (engines: quantgeo.emergence)


def _kinds_markdown() -> str:
    """The tables of the kinds other than ``schrodinger`` (whose tables are the ones above)."""
    out: list[str] = []
    for name in kind_names():
        for table, keys in get_kind(name).table_keys.items():
            if table == "expect":
                title = f'`[expect]` of kind = `"{name}"`'
            else:
                title = f'`[{table}]` (kind = `"{name}"`)'
            out.append(f"### {title}\n")
            out.extend(_key_table(keys))
            out.append("")
    return "\n".join(out)


def _limits_markdown() -> str:
    """The limits every file must keep and the values accepted with a warning."""
    from quantgeo.scenario.kinds.emergence import MIN_RTOL
    from quantgeo.scenario.load import MAX_DEPTH, MAX_NAME_LENGTH, MAX_TABLES

    return f"""### Limits and warnings

A file is refused, before anything else is checked, when its arrays and tables are nested more
than {MAX_DEPTH} levels deep (counting tables, dotted keys, arrays and inline tables) or an array
of tables (`[[hamiltonian.potential]]`, `[[expect.analytic]]`) has more than {MAX_TABLES} entries.
Also refused:

- a `[scenario].name` that is not a plain file name: letters, digits, `.`, `_` and `-`, not
  starting with `.`, at most {MAX_NAME_LENGTH} characters (it names the default output folder
  `quantgeo-out/<name>`);
- a `file =` that is not a regular file (a FIFO, a device or a folder is never opened) or not a
  NumPy `.npy` array (pickles and object arrays are never loaded), that has another shape than
  the lattice or holds nan or inf; a potential file with a non-zero imaginary part;
- an `array` initial state that is zero everywhere or whose norm over- or underflows;
- `[reference].rtol` ≥ 1, and `[emergence].rtol` < {MIN_RTOL:.3g} (100 × float64 epsilon: scipy's
  integrators raise a smaller tolerance to this one).

Accepted with a warning (`QuantgeoWarning` from `load_scenario()`, one line
`warning: file: [table].key: …` from `quantgeo run` and `quantgeo validate`): a real-time `dt` ≥
`t_end − t_start` (a one-step run); a momentum at or beyond the lattice's largest, πħ/Δ (it
folds back to another momentum); a packet width σ below the lattice spacing or with ±2σ longer
than the box; `workers` above the number of cores; `tol` or `max_steps` with `mode = "real"`
(they have no effect).
"""


#: How to check scenario files in an editor with the JSON Schema (``quantgeo schema``).
EDITOR_SUPPORT = """### Editor support: the JSON Schema

`quantgeo schema > scenario.schema.json` writes a JSON Schema of this format, generated from
the same models (`quantgeo.scenario.json_schema()`). A TOML language server then completes
keys, shows their documentation and flags unknown keys and wrong types while you type. With
[taplo](https://taplo.tamasfe.dev) (also inside the *Even Better TOML* editor extension) either
put a directive on the first line of a scenario file:

```toml
#:schema ./scenario.schema.json
```

or associate the scenario files with the schema in the project's `.taplo.toml`:

```toml
[[rule]]
include = ["scenarios/*.toml"]

[rule.schema]
path = "scenario.schema.json"
```

The schema checks each table on its own (types, ranges, names, required keys); the checks
across tables (an absorber that leaves no interior, a check's requirements, …) and the exact
messages come from `quantgeo validate` and `load_scenario()`.
"""
