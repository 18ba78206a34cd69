"""Details of the pydantic-based validation that the malformed-file tests do not pin down."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantgeo.errors import ScenarioError
from quantgeo.scenario import scenario_from_text

BASE = """
[lattice]
shape = 64
bounds = [-8.0, 8.0]

[hamiltonian.potential]
type = "harmonic"

[initial_state]
{state}

[solver]
dt = 0.01
t_end = 1.0

[expect]
max_norm_drift = 1e-10
"""


def test_eigenstate_without_n_is_the_ground_state() -> None:
    # `n` defaults to 0, which reads as the index list (0,) like an explicit `n = 0`.
    sc = scenario_from_text(BASE.format(state='type = "eigenstate"'), "e.toml")
    explicit = scenario_from_text(BASE.format(state='type = "eigenstate"\nn = 0'), "e.toml")
    assert sc.initial_state is not None and explicit.initial_state is not None
    assert sc.initial_state.params["n"] == explicit.initial_state.params["n"] == (0,)
    assert sc.build().state0.norm() == pytest.approx(1.0, abs=1e-12)


def test_unknown_key_is_named_when_the_type_is_missing() -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(BASE.format(state="centre = 1.0"), "e.toml")
    problems = info.value.problems
    assert "e.toml: [initial_state].type: missing required key; valid types: " in problems[0]
    assert problems[1].startswith(
        "e.toml: [initial_state].centre: unknown key (did you mean 'center'?); "
        "valid keys (of any type): center, coefficients,"
    )


def test_every_problem_of_a_table_is_reported_in_key_order() -> None:
    text = BASE.replace(
        "dt = 0.01", 'dt = "small"\nscheme = "strang4"\nwrkers = 2\ncheck_every = 0'
    )
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(text.format(state='type = "gaussian"'), "e.toml")
    assert list(info.value.problems) == [
        "e.toml: [solver].wrkers: unknown key (did you mean 'workers'?); valid keys: absorber, "
        "backend, check_every, decomposition, dt, error_samples, error_tol, fft, max_steps, mode, "
        "norm_tol, "
        "residual_tol, scheme, t_end, t_start, tol, "
        "workers",
        "e.toml: [solver].dt: must be a number (time), got string 'small'",
        "e.toml: [solver].scheme: unknown value 'strang4' (did you mean 'strang'?); valid: "
        "strang, yoshida4, suzuki4, blanes-moan4, yoshida6, kahan-li6, blanes-moan6, "
        "suzuki-umeno8, kahan-li8",
        "e.toml: [solver].check_every: must be an integer ≥ 1, got 0",
    ]


def test_accuracy_options_reach_the_engines() -> None:
    """`[solver].error_samples`, `error_tol` and `residual_tol` come from the engines' options
    classes (defaults included) and are handed to the solvers the scenario builds."""
    from quantgeo.scenario import load_scenario
    from quantgeo.solvers.imaginary import ImaginaryTimeOptions
    from quantgeo.solvers.split_operator import SplitOperatorOptions

    root = Path(__file__).resolve().parents[2] / "scenarios"
    sc = load_scenario(root / "coherent_trap.toml")
    assert sc.solver is not None
    assert sc.solver.error_tol == SplitOperatorOptions.error_tol
    assert sc.solver.residual_tol == ImaginaryTimeOptions.residual_tol
    sc = load_scenario(
        root / "coherent_trap.toml", overrides={"solver.error_tol": 0.5, "solver.error_samples": 2}
    )
    built = sc.build()
    assert built.solver.error_tol == 0.5 and built.solver.error_samples == 2
