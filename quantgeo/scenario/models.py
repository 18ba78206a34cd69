"""pydantic models of whole scenario files, built from the key tables, and their JSON Schema.

Every table is a model with ``extra="forbid"`` whose fields are the keys' pydantic types
(:mod:`.values`), defaults and ``Field(description=...)`` (meaning and unit).  Typed tables are
discriminated unions: ``[hamiltonian.potential]`` and ``[initial_state]`` on ``type``,
``[[expect.analytic]]`` on ``check``, and the file itself on ``[scenario].kind`` (one model per
registered kind).  ``[fast]`` holds the same tables with every key optional.

:func:`json_schema` is what ``quantgeo schema`` prints; editors with a TOML language server use
it to complete and check scenario files (``scenarios/README.md``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, create_model

from quantgeo.scenario.checks import ANALYTIC_CHECKS
from quantgeo.scenario.kinds import Kind, get_kind, kind_names
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
from quantgeo.scenario.values import FORBID, list_of, table_model

__all__ = ["file_model", "json_schema"]


def _tagged(
    name: str, tag: str, registry: Mapping[str, Sequence[Key]], partial: bool, **common: Any
) -> Any:
    """A union of one model per ``registry`` entry, discriminated on the ``tag`` key."""
    members = []
    for value, keys in registry.items():
        fields: dict[str, Any] = {tag: (Literal[value], Field(description=f"{tag} = {value!r}"))}
        fields.update(common)
        members.append(table_model(f"{name}_{value}", keys, partial=partial, **fields))
    if len(members) == 1:
        return members[0]
    return Annotated[_union(members), Field(discriminator=tag)]


def _union(members: list[type[BaseModel]]) -> Any:
    out: Any = members[0]
    for m in members[1:]:
        out = out | m
    return out


def _optional(tp: Any, desc: str) -> tuple[Any, Any]:
    return tp, Field(default=None, description=desc, json_schema_extra=_drop_default)


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


@functools.cache
def _shared_tables(partial: bool) -> dict[str, Any]:
    """``[lattice]``, ``[hamiltonian]``, ``[initial_state]`` and ``[animation]`` models."""
    if partial:  # a [fast] override may change any key of a typed table, without its type
        potential: Any = dict[str, Any] | list[dict[str, Any]]
        initial: Any = dict[str, Any]
    else:
        term = _tagged("potential", "type", POTENTIALS, False)
        potential = term | list_of(term)
        initial = _tagged("initial_state", "type", INITIAL_STATES, False)
    return {
        "lattice": table_model("lattice", LATTICE_KEYS, partial=partial),
        "hamiltonian": table_model(
            "hamiltonian",
            HAMILTONIAN_KEYS,
            partial=partial,
            potential=_optional(potential, "One term, or an array of terms that are summed"),
        ),
        "initial_state": initial,
        "animation": table_model("animation", ANIMATION_KEYS, partial=partial),
    }


@functools.cache
def schrodinger_tables(partial: bool) -> dict[str, Any]:
    """The models of the ``schrodinger`` kind's own tables."""
    checks = {c.name: (*CHECK_COMMON_KEYS[1:], *c.keys) for c in ANALYTIC_CHECKS.values()}
    analytic = list_of(_tagged("check", "check", checks, partial))
    return {
        "solver": table_model(
            "solver",
            SOLVER_KEYS,
            partial=partial,
            absorber=_optional(
                table_model("absorber", ABSORBER_KEYS, partial=partial),
                "Absorbing layers at the box edges",
            ),
        ),
        "record": table_model("record", RECORD_KEYS, partial=partial),
        "reference": table_model("reference", REFERENCE_KEYS, partial=partial),
        "expect": table_model(
            "expect",
            EXPECT_KEYS,
            partial=partial,
            analytic=_optional(analytic, "Closed-form checks ([[expect.analytic]])"),
        ),
    }


def _kind_tables(kind: Kind, partial: bool) -> dict[str, Any]:
    if kind.schema_tables is not None:
        return kind.schema_tables(partial)
    return {
        table: table_model(f"{table}_{kind.name}", keys, partial=partial)
        for table, keys in kind.table_keys.items()
    }


def _file_model(kind: Kind) -> type[BaseModel]:
    meta_keys = [k for k in SCENARIO_KEYS if k.name != "kind"]
    default = "schrodinger" if kind.name == "schrodinger" else REQUIRED
    kind_field = (
        Literal[kind.name],
        Field(description="Which engine runs the scenario")
        if default is REQUIRED
        else Field(default=default, description="Which engine runs the scenario"),
    )
    shared = kind.system or "animation" in kind.optional
    tables = {**(_shared_tables(False) if shared else {}), **_kind_tables(kind, False)}
    fast = {**(_shared_tables(True) if shared else {}), **_kind_tables(kind, True)}
    allowed = (*kind.required, *kind.optional)
    overrides: dict[str, Any] = {t: _optional(fast[t], f"[fast.{t}]") for t in allowed if t in fast}
    fast_model = table_model(
        f"overrides_{kind.name}", (), doc="Overrides applied by --fast", **overrides
    )
    fields: dict[str, Any] = {
        "scenario": _optional(
            table_model(f"scenario_{kind.name}", meta_keys, kind=kind_field), "[scenario]"
        )
        if kind.name == "schrodinger"
        else (table_model(f"scenario_{kind.name}", meta_keys, kind=kind_field), Field()),
        "fast": _optional(fast_model, "Overrides applied by --fast"),
    }
    for t in allowed:
        tp = tables[t]
        fields[t] = (tp, Field()) if t in kind.required else _optional(tp, f"[{t}]")
    return create_model(f"Scenario_{kind.name}", __config__=FORBID, **fields)


def _kind_of(doc: Any) -> str:
    meta = doc.get("scenario", {}) if isinstance(doc, dict) else {}
    kind = meta.get("kind", "schrodinger") if isinstance(meta, dict) else "schrodinger"
    return kind if kind in kind_names() else "schrodinger"


def file_model() -> Any:
    """The type of a whole scenario file: a union discriminated on ``[scenario].kind``."""
    members = [Annotated[_file_model(get_kind(n)), Tag(n)] for n in kind_names()]
    return Annotated[_union(members), Discriminator(_kind_of)]  # type: ignore[arg-type]


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of scenario files."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(file_model()).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "quantgeo scenario",
        "description": "A quantgeo validation scenario (scenarios/README.md documents every key).",
        **schema,
    }
