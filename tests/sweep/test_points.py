"""Sweep points: Cartesian product, validation of every point, content hash, derived seeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from quantgeo.errors import ScenarioError
from quantgeo.scenario import load_scenario
from quantgeo.sweep import content_hash, expand_grid, plan_points, point_seed, sweep


def test_grid_is_the_cartesian_product_last_key_fastest() -> None:
    grid = expand_grid({"solver.dt": [0.1, 0.05], "hamiltonian.mass": [1.0, 2.0, 3.0]})
    assert len(grid) == 6
    assert grid[0] == {"solver.dt": 0.1, "hamiltonian.mass": 1.0}
    assert grid[1] == {"solver.dt": 0.1, "hamiltonian.mass": 2.0}
    assert grid[5] == {"solver.dt": 0.05, "hamiltonian.mass": 3.0}


@pytest.mark.parametrize(
    ("vary", "needle"),
    [
        ({}, "`vary` must be a non-empty mapping"),
        ({"dt": [0.1]}, "must be a dotted TABLE.KEY"),
        ({"solver.dt": []}, "`vary['solver.dt']` must list at least one value"),
        ({"solver.scheme": "strang"}, "`vary['solver.scheme']` must be a list of values"),
    ],
)
def test_bad_vary_is_named(vary: dict, needle: str) -> None:
    with pytest.raises(ValueError, match="vary") as err:
        expand_grid(vary)
    assert needle in str(err.value)


def test_unknown_key_is_named_once_with_did_you_mean(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ScenarioError) as err:
        sweep(tiny, {"solver.dtt": [0.1, 0.05]}, "serial", out=out)
    problems = err.value.problems
    assert problems[0] == "2 of 2 sweep points are invalid; nothing was run"
    assert len(problems) == 2
    assert problems[1].startswith("every point: ")
    assert "[solver].dtt: unknown key (did you mean 'dt'?)" in problems[1]
    assert not out.exists()  # validation comes before any output


def test_every_bad_point_is_named_before_anything_runs(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    vary = {"solver.dt": [0.1, -0.05, 0.0], "hamiltonian.mass": [1.0, -1.0]}
    with pytest.raises(ScenarioError) as err:
        sweep(tiny, vary, "serial", out=out)
    problems = err.value.problems
    assert problems[0] == "5 of 6 sweep points are invalid; nothing was run"
    named = {p.split(":")[0] for p in problems[1:]}
    assert named == {
        "point 1 (solver.dt=0.1, hamiltonian.mass=-1.0)",
        "point 2 (solver.dt=-0.05, hamiltonian.mass=1.0)",
        "point 3 (solver.dt=-0.05, hamiltonian.mass=-1.0)",
        "point 4 (solver.dt=0.0, hamiltonian.mass=1.0)",
        "point 5 (solver.dt=0.0, hamiltonian.mass=-1.0)",
    }
    assert any("[solver].dt: must be positive, got -0.05" in p for p in problems)
    assert any("[hamiltonian].mass: must be positive, got -1.0" in p for p in problems)
    assert not out.exists()


def test_hash_is_of_the_resolved_content(tiny: Path, tmp_path: Path) -> None:
    a = load_scenario(tiny, overrides={"solver.dt": 0.01})
    b = load_scenario(tiny, overrides={"solver.dt": 1e-2})
    c = load_scenario(tiny, overrides={"solver.dt": 0.02})
    d = load_scenario(tiny, overrides={"solver.scheme": "strang"})  # the file's own value
    assert content_hash(a) == content_hash(b) != content_hash(c)
    assert content_hash(d) == content_hash(load_scenario(tiny))
    assert content_hash(a, {"reference": False}) != content_hash(a, {"reference": None})
    moved = tmp_path / "elsewhere" / "copy.toml"
    moved.parent.mkdir()
    shutil.copy(tiny, moved)
    assert content_hash(load_scenario(moved, overrides={"solver.dt": 0.01})) == content_hash(a)
    assert len(content_hash(a)) == 32 and int(content_hash(a), 16) >= 0


def test_point_seed_is_the_hash_keyed_child_of_one_seed_sequence() -> None:
    digest = "0123456789abcdef0123456789abcdef"
    words = (0x01234567, 0x89ABCDEF, 0x01234567, 0x89ABCDEF)
    child = np.random.SeedSequence(7, spawn_key=words)
    assert point_seed(7, digest) == int(child.generate_state(1, np.uint64)[0]) >> 1
    assert point_seed(7, digest) != point_seed(8, digest)
    assert 0 <= point_seed(7, digest) < 2**63


def test_seeds_follow_the_content_not_the_order(tiny: Path) -> None:
    fwd = plan_points(tiny, {"solver.dt": [0.1, 0.05, 0.02]})
    rev = plan_points(tiny, {"solver.dt": [0.02, 0.05, 0.1]})
    assert [p.hash for p in fwd] == [p.hash for p in reversed(rev)]
    assert [p.seed for p in fwd] == [p.seed for p in reversed(rev)]
    assert len({p.seed for p in fwd}) == 3
    assert all(p.seed_derived and p.run_overrides["scenario.seed"] == p.seed for p in fwd)
    # the root entropy is the file's [scenario].seed (0 here) unless `seed` is given
    assert fwd[0].seed == point_seed(0, fwd[0].hash)
    other = plan_points(tiny, {"solver.dt": [0.1]}, seed=5)
    assert other[0].seed == point_seed(5, other[0].hash) != fwd[0].seed


def test_an_explicit_seed_is_kept(tiny: Path) -> None:
    pts = plan_points(tiny, {"scenario.seed": [3, 4]})
    assert [p.seed for p in pts] == [3, 4]
    assert not any(p.seed_derived for p in pts)
    fixed = plan_points(tiny, {"solver.dt": [0.1, 0.05]}, overrides={"scenario.seed": 9})
    assert [p.seed for p in fixed] == [9, 9]
