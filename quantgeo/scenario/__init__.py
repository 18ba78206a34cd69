r"""Validation scenarios: TOML files → validated frozen specs → :meth:`Scenario.build` → run.

A scenario file describes one run of an engine and what it must achieve::

    [scenario]        name, description, kind, seed
    [lattice]         shape, bounds
    [hamiltonian]     kinetic, mass, hbar; [hamiltonian.potential] (one table or an array of tables)
    [initial_state]   type and its parameters
    [solver]          mode, dt, t_start, t_end, scheme, backend …; [solver.absorber]
    [record]          every | times, observables, store_states
    [reference]       qutip on/off and QuTiP's tolerances
    [expect]          pass/fail tolerances; [[expect.analytic]] closed-form checks
    [animation]       fps, dpi, frames, overlay …
    [fast]            overrides of any of the above for ``--fast`` runs (coarser, shorter)

Every key, its default and its unit is listed by :func:`schema_markdown` (and in
``scenarios/README.md``); :func:`json_schema` is the JSON Schema of the format.
:func:`load_scenario` checks the whole file and raises one :class:`~quantgeo.errors.ScenarioError`
listing *every* problem as ``file: [table].key: message``; unknown tables, keys and names are
rejected with the list of valid ones.

Data flow (ARCHITECTURE.md): ``load_scenario(path)`` → :class:`Scenario` →
:meth:`Scenario.build` → :class:`Built` (lattice, Hamiltonian, initial state, solver) →
:func:`run_scenario` → :class:`ScenarioResult` (trajectory, reference, checks, timings).

Modules: :mod:`.schema` (the keys), :mod:`.models` (pydantic models and the JSON Schema),
:mod:`.load` (TOML, overrides, ``[fast]``, messages), :mod:`.system` (the shared tables),
:mod:`.checks` (closed-form checks), :mod:`.build`, :mod:`.run`, :mod:`.kinds` (one module per
kind), :mod:`.docs`, :mod:`.discover`.
"""

from __future__ import annotations

from typing import Any

from quantgeo.scenario.build import Built
from quantgeo.scenario.checks import ANALYTIC_CHECKS, CheckDef
from quantgeo.scenario.discover import bundled_scenarios_dir, find_scenarios
from quantgeo.scenario.docs import schema_markdown
from quantgeo.scenario.kinds import KIND_MODULES, Kind
from quantgeo.scenario.load import load_scenario, scenario_from_text
from quantgeo.scenario.run import CheckResult, ScenarioResult, provenance, run_scenario
from quantgeo.scenario.schema import INITIAL_STATES, KINDS, POTENTIALS, Key
from quantgeo.scenario.specs import (
    AnimationSpec,
    CheckSpec,
    ExpectSpec,
    HamiltonianSpec,
    InitialStateSpec,
    LatticeSpec,
    MetaSpec,
    PotentialSpec,
    RecordSpec,
    ReferenceSpec,
    Scenario,
    SolverSpec,
)

__all__ = [
    "ANALYTIC_CHECKS",
    "INITIAL_STATES",
    "KINDS",
    "KIND_MODULES",
    "POTENTIALS",
    "AnimationSpec",
    "Built",
    "CheckDef",
    "CheckResult",
    "CheckSpec",
    "ExpectSpec",
    "HamiltonianSpec",
    "InitialStateSpec",
    "Key",
    "Kind",
    "LatticeSpec",
    "MetaSpec",
    "PotentialSpec",
    "RecordSpec",
    "ReferenceSpec",
    "Scenario",
    "ScenarioResult",
    "SolverSpec",
    "bundled_scenarios_dir",
    "find_scenarios",
    "json_schema",
    "load_scenario",
    "provenance",
    "run_scenario",
    "scenario_from_text",
    "schema_markdown",
]


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the scenario format, generated from the models.

    ``quantgeo schema > scenario.schema.json``; see ``scenarios/README.md`` for editor use.
    pydantic is imported on the first call only.
    """
    from quantgeo.scenario.models import json_schema as _json_schema

    return _json_schema()


#: Module-level names of the former single-module ``quantgeo/scenario.py`` (not in ``__all__``),
#: kept importable from where they now live.
_MOVED = {
    **{
        name: "quantgeo.scenario.schema"
        for name in (
            "ABSORBER_KEYS",
            "ANIMATION_KEYS",
            "BAD",
            "CHECK_COMMON_KEYS",
            "EXPECT_KEYS",
            "HAMILTONIAN_KEYS",
            "LATTICE_KEYS",
            "MAX_SITES",
            "OBSERVABLE_NAMES",
            "RECORD_KEYS",
            "REFERENCE_KEYS",
            "REQUIRED",
            "SCENARIO_KEYS",
            "SOLVER_KEYS",
            "TIME_DEPENDENT_POTENTIALS",
        )
    },
    "EMERGENCE_KEYS": "quantgeo.scenario.kinds.emergence",
    "EXPECT_EMERGENCE_KEYS": "quantgeo.scenario.kinds.emergence",
    "BORN_KEYS": "quantgeo.scenario.kinds.born",
    "EXPECT_BORN_KEYS": "quantgeo.scenario.kinds.born",
    "QUTIP_METHODS": "quantgeo.reference",
    "KINETIC_MODELS": "quantgeo.hamiltonian",
    "MAX_DENSE_SITES": "quantgeo.hamiltonian",
    "SCHEMES": "quantgeo.solvers.schemes",
    "BACKENDS": "quantgeo.solvers.split_operator",
}


def __getattr__(name: str) -> Any:
    import importlib

    from quantgeo.scenario import kinds

    if name in _MOVED:
        return getattr(importlib.import_module(_MOVED[name]), name)
    if name == "TABLE_ORDER":
        return kinds.table_order()
    if name == "KIND_TABLES":
        return {
            n: (k.required, k.optional) for n in kinds.kind_names() for k in [kinds.get_kind(n)]
        }
    raise AttributeError(f"module 'quantgeo.scenario' has no attribute {name!r}")
