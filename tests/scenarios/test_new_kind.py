"""A scenario kind is one module plus one registry line: a toy kind written here is loaded,
validated (with the usual messages), documented, given a JSON Schema and run by run_scenario."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

import quantgeo.scenario as S
from quantgeo.errors import ScenarioError
from quantgeo.scenario.kinds import KIND_MODULES

#: The whole kind: a classical oscillator x'' = −ω²x integrated by velocity Verlet from x = 1,
#: checked against x(t) = cos ωt.
TOY_MODULE = """
from __future__ import annotations

import math
import time

import numpy as np

from quantgeo.recording import Trajectory
from quantgeo.scenario.kinds import Kind
from quantgeo.scenario.kinds._shared import expectation_checks
from quantgeo.scenario.run import ScenarioResult
from quantgeo.scenario.schema import REQUIRED, Key
from quantgeo.scenario.specs import ExpectSpec, Scenario

TOY_KEYS = (
    Key("omega", "number", 1.0, "1/time", "Angular frequency", positive=True),
    Key("dt", "number", REQUIRED, "time", "Verlet step", positive=True),
    Key("t_end", "number", REQUIRED, "time", "End time", positive=True),
)
EXPECT_KEYS = (Key("max_error", "number", None, "length", "max_t |x − cos ωt|", nonneg=True),)


def validate(doc, ck, ctx):
    vals = ck.table(doc.get("toy", {}), "toy", TOY_KEYS, None)
    exp = ck.table(doc.get("expect", {}), "expect", EXPECT_KEYS, None)
    if ck.problems:
        return None
    return Scenario(
        ctx.path, ctx.fast, ctx.meta, None, None, None, None,
        expect=ExpectSpec(extra={k: v for k, v in exp.items() if v is not None}),
        extra={"toy": vals},
    )


def run(scenario, **_):
    t0 = time.perf_counter()
    v = scenario.extra["toy"]
    w, dt = v["omega"], v["dt"]
    n = int(round(v["t_end"] / dt))
    x, p = 1.0, 0.0
    xs = [x]
    for _ in range(n):
        p -= 0.5 * dt * w * w * x
        x += dt * p
        p -= 0.5 * dt * w * w * x
        xs.append(x)
    t = dt * np.arange(n + 1)
    err = float(np.max(np.abs(np.array(xs) - np.cos(w * t))))
    checks = expectation_checks(scenario.expect.extra, EXPECT_KEYS, {"max_error": (err, "")})
    traj = Trajectory(t, {"x": np.array(xs)}, None, {"engine": "verlet"}, None)
    timings = {"run": time.perf_counter() - t0}
    return ScenarioResult(scenario, traj, None, None, tuple(checks), timings)


KIND = Kind(
    name="toy_oscillator",
    required=("toy", "expect"),
    optional=(),
    tables=("toy",),
    validate=validate,
    run=run,
    system=False,
    table_keys={"toy": TOY_KEYS, "expect": EXPECT_KEYS},
)
"""

TOY = """
[scenario]
kind = "toy_oscillator"

[toy]
omega = 2.0
dt = {dt}
t_end = 10.0

[expect]
max_error = {tol}
"""


@pytest.fixture
def toy_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "toy_kind.py").write_text(TOY_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(KIND_MODULES, "toy_oscillator", "toy_kind")  # the one registry line
    yield "toy_oscillator"
    sys.modules.pop("toy_kind", None)


def test_toy_kind_runs_through_run_scenario(toy_kind: str) -> None:
    # Velocity Verlet's phase error after time t is ω t (ω dt)²/24 (amplitude exact to O(dt²)),
    # so |x − cos ωt| ≤ ω t (ω dt)²/24 · (1 + o(1)): 2·10·(0.02)²/24 = 3.3e-4 for dt = 0.01.
    bound = 2.0 * 10.0 * (2.0 * 0.01) ** 2 / 24
    sc = S.scenario_from_text(TOY.format(dt=0.01, tol=1.1 * bound), "toy.toml")
    assert sc.meta.kind == toy_kind
    res = S.run_scenario(sc)
    (check,) = res.checks
    assert check.name == "error" and check.unit == "length"
    assert 0.5 * bound < check.value <= 1.1 * bound
    assert res.passed
    strict = S.run_scenario(S.scenario_from_text(TOY.format(dt=0.01, tol=1e-6), "toy.toml"))
    assert not strict.passed
    assert math.isclose(strict.checks[0].value, check.value)


def test_toy_kind_is_validated_documented_and_in_the_schema(toy_kind: str) -> None:
    with pytest.raises(ScenarioError) as info:
        S.scenario_from_text(TOY.format(dt="'small'", tol=1e-3) + "solver = 1\n", "toy.toml")
    msg = str(info.value)
    assert "toy.toml: [toy].dt: must be a number (time), got string 'small'" in msg
    assert "toy.toml: [expect].solver: unknown key; valid keys: max_error" in msg
    with pytest.raises(ScenarioError, match=r"\[scenario\].kind: unknown value 'toy_oscilator' "):
        S.scenario_from_text('[scenario]\nkind = "toy_oscilator"\n', "toy.toml")
    assert '### `[toy]` (kind = `"toy_oscillator"`)' in S.schema_markdown()
    schema = S.json_schema()
    assert "toy_toy_oscillator" in schema["$defs"]
