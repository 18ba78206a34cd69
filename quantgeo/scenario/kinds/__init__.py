"""Scenario kinds: each kind is one module that defines ``KIND = Kind(...)``.

A kind names the tables it reads, validates them (after the shared ``[scenario]``,
``[lattice]``, ``[hamiltonian]``, ``[initial_state]`` and ``[animation]``), builds and runs the
scenario and documents its keys.  Adding a kind is one new module and one line in
:data:`KIND_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quantgeo.scenario.build import Built
    from quantgeo.scenario.checker import Checker
    from quantgeo.scenario.run import ScenarioResult
    from quantgeo.scenario.schema import Key
    from quantgeo.scenario.specs import MetaSpec, Scenario

__all__ = ["KIND_MODULES", "Context", "Kind", "get_kind", "kind_names", "table_order"]

#: Kind name → module defining ``KIND``; the order is the order of the listed choices.
KIND_MODULES: dict[str, str] = {
    "schrodinger": "quantgeo.scenario.kinds.schrodinger",
    "emergence_three_way": "quantgeo.scenario.kinds.emergence",
    "born_ensemble": "quantgeo.scenario.kinds.born",
    "lattice_learners": "quantgeo.scenario.kinds.learners",
    "wright_fisher_fixation": "quantgeo.scenario.kinds.wf_fixation",
    "neutral_heterozygosity": "quantgeo.scenario.kinds.wf_heterozygosity",
    "wright_stationary": "quantgeo.scenario.kinds.wf_stationary",
    "crossover_window": "quantgeo.scenario.kinds.crossover",
}


@dataclass(frozen=True)
class Context:
    """What a kind's ``validate`` receives besides the document and the checker.

    Attributes
    ----------
    path, fast
        The scenario file (``None`` for text) and whether the ``[fast]`` overrides are applied.
    meta
        The validated ``[scenario]`` table.
    animation
        ``[animation]`` values (``BAD`` where a problem was reported).
    system
        The shared tables from :func:`~quantgeo.scenario.system.validate_system`.
    """

    path: Path | None
    fast: bool
    meta: MetaSpec
    animation: dict[str, Any]
    system: dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """One scenario kind.

    Attributes
    ----------
    name
        ``[scenario].kind``.
    required, optional
        Tables the kind needs and may have (``[scenario]`` and ``[fast]`` are always allowed).
    tables
        The kind's own tables, in the order they are listed in messages (documented in
        ``tables_keys``).
    validate
        ``validate(doc, checker, context) -> Scenario | None`` (``None``: problems reported).
    run
        ``run(scenario, *, progress, callbacks, reference, store_states) -> ScenarioResult``.
    build
        ``build(scenario) -> Built`` for :meth:`Scenario.build`, or ``None``.
    engine
        Who builds and runs it (named when ``build`` is ``None``).
    table_keys
        Keys of each table the kind documents (``scenarios/README.md`` and the JSON Schema).
    system
        Whether the kind reads the shared ``[lattice]``, ``[hamiltonian]`` and
        ``[initial_state]`` (validated before ``validate`` into ``Context.system``).
    schema_tables
        ``schema_tables(partial) -> {table: pydantic type}`` for the JSON Schema when the
        tables are more than ``table_keys`` (default: one model per ``table_keys`` entry).
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    validate: Callable[[dict[str, Any], Checker, Context], Scenario | None]
    run: Callable[..., ScenarioResult]
    tables: tuple[str, ...] = ()
    build: Callable[[Scenario], Built] | None = None
    engine: str = "quantgeo"
    table_keys: Mapping[str, tuple[Key, ...]] = field(default_factory=dict)
    system: bool = True
    schema_tables: Callable[[bool], dict[str, Any]] | None = None


def get_kind(name: str) -> Kind:
    """The registered :class:`Kind` called ``name``."""
    kind: Kind = importlib.import_module(KIND_MODULES[name]).KIND
    return kind


def kind_names() -> tuple[str, ...]:
    """Registered kind names."""
    return tuple(KIND_MODULES)


def table_order() -> tuple[str, ...]:
    """Every table name a scenario file may have, in the order of the messages."""
    out = ["scenario"]
    for name in KIND_MODULES:
        out.extend(t for t in get_kind(name).tables if t not in out)
    return (*out, "fast")
