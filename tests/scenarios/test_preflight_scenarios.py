"""Pre-flight checks of scenario runs and ``--max-memory`` (issue 9 item 2).

A scenario that would blow the memory, the step or the record limits is refused by
``run_scenario`` before anything is built — one line naming the file and the key to change,
exit status 2 from the CLI, a tracemalloc peak below 4 MiB — and values that would overflow are
refused at validation, naming the key.
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from quantgeo import _preflight as pf
from quantgeo import cli
from quantgeo.errors import ResourceError, ScenarioError
from quantgeo.recording import Recorder
from quantgeo.scenario import load_scenario, run_scenario
from quantgeo.scenario.run import preflight
from tests.scenarios.conftest import SCENARIO_DIR

pytestmark = pytest.mark.skipif(SCENARIO_DIR is None, reason="bundled scenarios not found")

FREE = "free_packet.toml"
BORN = "born_ensemble.toml"
SMALL = 4 * 2**20

# (file, --set overrides, --max-memory, key named, words of the message)
BLOWING = {
    "record count": (FREE, ["record.every=1e-9"], None, "[record].every", "6·10⁹ record times"),
    "step count": (FREE, ["solver.dt=1e-12"], None, "[solver].dt", "6·10¹² time steps"),
    "lattice": (
        FREE,
        ["lattice.shape=[8192,8192]", "record.store_states=false"],
        "1GiB",
        "[lattice].shape",
        "for the 6.71·10⁷-site lattice; lower `[lattice].shape`",
    ),
    "stored 3D states": (
        FREE,
        ["lattice.shape=[128,128,128]", "record.store_states=true", "record.every=0.01"],
        "4GiB",
        "[record].every",
        "states of 32 MiB",
    ),
    "dense QuTiP operator": (
        FREE,
        # dense H: 256 MiB (a packet width the coarser grid still resolves: no warning)
        ["lattice.shape=[64,64]", "reference.qutip=true", "initial_state.width=2.0"],
        "200MiB",
        "[reference].qutip",
        "QuTiP's Hamiltonian",
    ),
    "walkers": (BORN, ["born.walkers=900000000"], "4GiB", "[born].walkers", "9·10⁸ walkers"),
    "floor draws": (
        BORN,
        ["born.floor_draws=100000000"],
        "4GiB",
        "[born].floor_draws",
        "10⁸ floor draws",
    ),
}


@pytest.fixture(autouse=True)
def _no_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI sets the limit in the environment: restore it after every test
    monkeypatch.delenv(pf.ENV_VAR, raising=False)


def _overrides(sets: list[str]) -> dict[str, Any]:
    from quantgeo.cli._common import parse_sets

    return parse_sets(sets)


@pytest.mark.parametrize("case", list(BLOWING))
def test_cli_refuses_in_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, sets, limit, key, words = BLOWING[case]
    path = SCENARIO_DIR / name
    argv = ["run", str(path), "-o", str(tmp_path / "out"), "-q"]
    argv += [x for s in sets for x in ("--set", s)]
    argv += ["--max-memory", limit] if limit else []
    assert cli.main(argv) == cli.EXIT_USAGE
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert f"{path}: {key}: " in lines[0] and words in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", list(BLOWING))
def test_run_scenario_refuses_without_allocating(case: str) -> None:
    name, sets, limit, key, _ = BLOWING[case]
    sc = load_scenario(SCENARIO_DIR / name, overrides=_overrides(sets))
    tracemalloc.start()
    try:
        with pytest.raises(ResourceError, match=key.replace("[", r"\[").replace("]", r"\]")):
            run_scenario(sc, max_memory=limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < SMALL


def test_estimate_of_a_bundled_run_is_below_its_limit() -> None:
    sc = load_scenario(SCENARIO_DIR / FREE, fast=True)
    est = preflight(sc)
    # 512 sites: 14 states of 8 KiB; 9 record times over [0, 4] every 0.5, counted as an
    # upper bound (one more when the span is not a multiple of `every`)
    assert len(Recorder(every=0.5).schedule((0.0, 4.0))) == 9
    assert est.records == 10 and est.steps == pytest.approx(40)
    assert 14 * 16 * 512 < est.total < 2**20
    result = run_scenario(sc, max_memory=est.total * 2)
    assert result.passed


@pytest.mark.parametrize("name", ["free_packet", "coherent_trap", "double_slit_2d"])
def test_scenario_estimate_within_a_factor_2_of_the_peak(name: str) -> None:
    # the estimate counts what stays allocated (states, factors, records and their stacked
    # copy) and bounds the rest; see quantgeo._preflight for why a factor 2
    path = SCENARIO_DIR / f"{name}.toml"
    run_scenario(load_scenario(path, fast=True), reference=False)  # compile and import first
    sc = load_scenario(path, fast=True)
    estimate = preflight(sc, reference=False).total
    tracemalloc.start()
    try:
        run_scenario(sc, reference=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.5 <= estimate / peak <= 2.0, (estimate, peak)


# -- values that would overflow are refused at validation ---------------------------------------
@pytest.mark.parametrize(
    ("name", "override", "label", "message"),
    [
        (BORN, {"born.walkers": 10**30}, "[born].walkers", "must be an integer ≤ 1,000,000,000"),
        (FREE, {"solver.t_end": 1e308}, "[solver].t_end", "must be ≤ 1e+12, got 1e+308"),
        (FREE, {"hamiltonian.hbar": 1e300}, "[hamiltonian].hbar", "must be ≤ 1e+12, got 1e+300"),
        (FREE, {"initial_state.center": -1e300}, "[initial_state].center", "must be ≥ -1e+12"),
        (FREE, {"scenario.seed": 10**30}, "[scenario].seed", "must be an integer ≤ 9,223,372"),
        (FREE, {"lattice.shape": [2**40]}, "[lattice].shape", "at most MAX_SITES"),
        (FREE, {"animation.frames": 10**12}, "[animation].frames", "≤ 1,000,000"),
        (FREE, {"solver.check_every": 10**13}, "[solver].check_every", "≤ 1,000,000,000"),
    ],
)
def test_overflowing_values_are_refused_at_validation(
    name: str, override: dict[str, Any], label: str, message: str
) -> None:
    path = SCENARIO_DIR / name
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides=override)
    assert any(p.startswith(f"{path}: {label}: ") and message in p for p in info.value.problems), (
        info.value.problems
    )


def test_huge_toml_literals(tmp_path: Path) -> None:
    # tomllib reads integers of any size and 1e400 as inf: both are refused by the key
    text = (SCENARIO_DIR / FREE).read_text(encoding="utf-8")
    text = text.replace('name = "free_packet"', 'name = "free_packet"\nseed = 1' + "0" * 40)
    text = text.replace("t_end = 6.0", "t_end = 1e400")
    path = tmp_path / "huge.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = "\n".join(info.value.problems)
    assert f"{path}: [scenario].seed: must be an integer ≤ " in problems
    assert f"{path}: [solver].t_end: must be finite, got inf" in problems


# -- --max-memory --------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["run", "validate", "compare", "animate", "sweep"])
def test_max_memory_parse_errors_name_the_option(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, str(SCENARIO_DIR / FREE), "--max-memory", "lots"]
    argv += ["-o", "x.gif"] if command == "animate" else []
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --max-memory: must be a size such as '4GiB'" in err and "'lots'" in err


def test_max_memory_limits_the_run_and_is_cleared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = SCENARIO_DIR / FREE
    out = tmp_path / "out"
    argv = ["run", str(path), "--fast", "-q", "-o", str(out)]
    assert cli.main([*argv, "--max-memory", "1KiB"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.strip().endswith("(limit --max-memory: 1 KiB)") and f"{path}: " in err
    assert not out.exists()
    # the next command without the option runs against the available memory again
    assert cli.main(argv) == cli.EXIT_OK
    assert pf.ENV_VAR not in os.environ
    assert (out / "report.json").is_file()


def test_validate_reports_the_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    path = SCENARIO_DIR / FREE
    assert cli.main(["validate", str(path), "--fast", "--max-memory", "1KiB"]) == cli.EXIT_FAIL
    assert "ResourceError" in capsys.readouterr().out
