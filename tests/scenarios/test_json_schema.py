"""The JSON Schema of the scenario format (``quantgeo.scenario.json_schema()``, printed by
``quantgeo schema``) accepts every bundled scenario and rejects malformed ones."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from quantgeo.scenario import json_schema

from .conftest import SCENARIO_FILES


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _doc(name: str) -> dict[str, Any]:
    path = next(p for p in SCENARIO_FILES if p.stem == name)
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_every_bundled_scenario_is_valid(
    validator: jsonschema.Draft202012Validator, path: Path
) -> None:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []


def _unknown_key(doc: dict[str, Any]) -> None:
    doc["solver"]["time_step"] = 0.01


def _negative_dt(doc: dict[str, Any]) -> None:
    doc["solver"]["dt"] = -0.01


def _unknown_potential(doc: dict[str, Any]) -> None:
    doc["hamiltonian"]["potential"] = {"type": "harmonik", "omega": 1.0}


def _string_walkers(doc: dict[str, Any]) -> None:
    doc["born"]["walkers"] = "many"


def _fast_negative_dt(doc: dict[str, Any]) -> None:
    doc["fast"] = {"solver": {"dt": -1.0}}


def _born_with_solver(doc: dict[str, Any]) -> None:
    doc["solver"] = {"dt": 0.01}


@pytest.mark.parametrize(
    ("name", "mutate"),
    [
        ("coherent_trap", _unknown_key),
        ("coherent_trap", _negative_dt),
        ("coherent_trap", _unknown_potential),
        ("coherent_trap", _fast_negative_dt),
        ("born_ensemble", _string_walkers),
        ("born_ensemble", _born_with_solver),
    ],
)
def test_malformed_scenarios_are_rejected(
    validator: jsonschema.Draft202012Validator, name: str, mutate: Any
) -> None:
    doc = _doc(name)
    assert validator.is_valid(doc)
    bad = copy.deepcopy(doc)
    mutate(bad)
    assert not validator.is_valid(bad)


def test_schema_documents_units_and_defaults() -> None:
    defs = json_schema()["$defs"]
    dt = defs["solver"]["properties"]["dt"]
    assert dt["exclusiveMinimum"] == 0
    assert "[time]" in dt["description"]
    assert defs["solver"]["properties"]["scheme"]["default"] == "strang"
    assert "dt" in defs["solver"]["required"]
