"""sweep(): each point equals a direct run; output layout; resume; failures isolated; CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import quantgeo.sweep.run as sweep_run
from quantgeo.recording import Trajectory
from quantgeo.scenario import load_scenario, run_scenario
from quantgeo.sweep import sweep
from quantgeo.sweep.cli import build_parser, main, parse_vary

VARY = {"solver.dt": [0.1, 0.05], "hamiltonian.mass": [1.0, 2.0]}


def _table(result: Any) -> list[dict[str, Any]]:
    """The rows without the timings (the only part that differs between two runs)."""
    return [{k: v for k, v in r.items() if k != "timings"} for r in result.rows]


def test_points_equal_direct_runs_and_files_are_written(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = sweep(tiny, VARY, "serial", out=out)
    assert (res.n_points, res.n_run, res.n_skipped) == (4, 4, 0)
    # strang at dt = 0.1 with mass 2 breaks the energy tolerance; the rest pass
    assert [r["status"] for r in res.rows] == ["pass", "fail", "pass", "pass"]
    assert (res.n_passed, res.n_failed, res.n_errors) == (3, 1, 0)
    expected = [(0.1, 1.0), (0.1, 2.0), (0.05, 1.0), (0.05, 2.0)]
    for row, (dt, mass) in zip(res.rows, expected, strict=True):
        assert row["overrides"] == {"solver.dt": dt, "hamiltonian.mass": mass}
        direct = run_scenario(
            load_scenario(tiny, overrides={**row["overrides"], "scenario.seed": row["seed"]})
        )
        assert row["checks"] == {
            c.name: {"value": c.value, "tolerance": c.tolerance, "passed": c.passed}
            for c in direct.checks
        }
        folder = out / "points" / row["point"]
        report = json.loads((folder / "report.json").read_text())
        assert report["point"]["overrides"] == row["overrides"]
        assert report["files"] == {"report": "report.json", "trajectory": "trajectory.npz"}
        assert "versions" in report["provenance"]
        traj = Trajectory.load(folder / "trajectory.npz")
        np.testing.assert_array_equal(traj["energy"], direct.trajectory["energy"])
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["counts"] == {
        "points": 4,
        "distinct": 4,
        "run": 4,
        "skipped": 0,
        "passed": 3,
        "failed": 1,
        "errors": 0,
    }
    assert "versions" in doc["provenance"] and doc["vary"] == VARY
    with open(out / "sweep.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["status"] for r in rows] == ["pass", "fail", "pass", "pass"]
    assert float(rows[1]["energy_drift"]) == res.rows[1]["checks"]["energy_drift"]["value"]
    assert rows[1]["energy_drift_passed"] == "False" and rows[0]["solver.dt"] == "0.1"
    assert not [p for p in (out / "points").iterdir() if p.name.startswith(".")]


def test_rerun_skips_complete_points_and_gives_the_same_table(tiny: Path, tmp_path: Path) -> None:
    whole = sweep(tiny, VARY, "serial", out=tmp_path / "whole")
    part = tmp_path / "part"
    first = sweep(tiny, {"solver.dt": [0.05], "hamiltonian.mass": [1.0, 2.0]}, "serial", out=part)
    assert (first.n_run, first.n_skipped) == (2, 0)
    again = sweep(tiny, VARY, "serial", out=part)
    assert (again.n_run, again.n_skipped) == (2, 2)
    assert _table(again) == _table(whole)
    done = sweep(tiny, VARY, "serial", out=part)
    assert (done.n_run, done.n_skipped) == (0, 4)
    assert _table(done) == _table(whole)


def test_equal_resolved_points_share_one_folder(tiny: Path, tmp_path: Path) -> None:
    res = sweep(tiny, {"solver.dt": [0.05, 5e-2, 0.1]}, "serial", out=tmp_path / "o")
    assert res.n_points == 3 and res.n_run == 2
    assert res.rows[0]["point"] == res.rows[1]["point"] != res.rows[2]["point"]
    assert res.rows[0]["checks"] == res.rows[1]["checks"]


def test_a_raising_point_is_recorded_and_the_others_finish(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sweep_run.run_point

    def flaky(task: dict[str, Any]) -> dict[str, Any]:
        if task["overrides"]["solver.dt"] == 0.05 and task["overrides"]["hamiltonian.mass"] == 1:
            raise MemoryError("out of memory on this point")
        return real(task)

    monkeypatch.setattr(sweep_run, "run_point", flaky)
    out = tmp_path / "out"
    res = sweep(tiny, VARY, "serial", out=out)
    assert [r["status"] for r in res.rows] == ["pass", "fail", "error", "pass"]
    assert (res.n_failed, res.n_errors) == (2, 1)
    assert res.rows[2]["error"] == "MemoryError: out of memory on this point"
    assert "flaky" in res.rows[2]["traceback"]
    assert not (out / "points" / res.rows[2]["point"]).exists()
    assert len(list((out / "points").iterdir())) == 3
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["counts"]["errors"] == 1 and doc["rows"][2]["status"] == "error"
    monkeypatch.setattr(sweep_run, "run_point", real)
    retry = sweep(tiny, VARY, "serial", out=out)  # the failed point is tried again
    assert (retry.n_run, retry.n_skipped) == (1, 3)
    assert [r["status"] for r in retry.rows] == ["pass", "fail", "pass", "pass"]


def test_parse_vary() -> None:
    got = parse_vary(
        ["solver.dt=0.1,5e-3", "lattice.shape=[64,64],[32, 32]", "solver.scheme=strang,yoshida4"]
    )
    assert got == {
        "solver.dt": [0.1, 0.005],
        "lattice.shape": [[64, 64], [32, 32]],
        "solver.scheme": ["strang", "yoshida4"],
    }
    assert parse_vary(['initial_state.type="a,b",c']) == {"initial_state.type": ["a,b", "c"]}
    for bad, needle in [
        (["solver.dt"], "expects TABLE.KEY=V1,V2"),
        (["solver.dt=0.1,"], "empty value"),
        (["solver.dt=0.1", "solver.dt=0.2"], "given twice"),
        ([], "at least one"),
    ]:
        with pytest.raises(ValueError, match="--vary") as err:
            parse_vary(bad)
        assert needle in str(err.value)


def _cli(*argv: str) -> int:
    return main(build_parser().parse_args(list(argv)))


def test_cli_exit_status_counts_failed_points(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "o")
    common = ["--executor", "serial", "-o", out]
    assert (
        _cli(str(tiny), "--vary", "solver.dt=0.05,0.025", "--set", "solver.t_end=0.5", *common) == 0
    )
    text = capsys.readouterr().out
    assert "2 points: 2 passed, 0 failed" in text and "sweep.csv" in text
    # mass 2 at dt = 0.1 and 0.2 both fail their checks: exit status 2 = two failed points
    status = _cli(
        str(tiny), "--vary", "solver.dt=0.2,0.1,0.05", "--vary", "hamiltonian.mass=2", *common
    )
    assert status == 2
    assert "3 points: 1 passed, 2 failed (0 raised)" in capsys.readouterr().out


def test_cli_bad_input_exits_2(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "o")
    assert _cli(str(tiny), "--vary", "solver.dtt=0.1", "-o", out) == 2
    assert "did you mean 'dt'?" in capsys.readouterr().err
    assert _cli(str(tiny), "--vary", "solver.dt=0.1", "--scheduler", "tcp://x:1", "-o", out) == 2
    assert "`--scheduler` needs --executor dask" in capsys.readouterr().err
    assert _cli(str(tmp_path / "missing.toml"), "--vary", "solver.dt=0.1", "-o", out) == 2
    assert "not found" in capsys.readouterr().err
    assert not Path(out).exists()


def test_add_parser_plugs_into_a_subcommand_table(tiny: Path, tmp_path: Path) -> None:
    import argparse

    from quantgeo.sweep.cli import add_parser

    parser = argparse.ArgumentParser(prog="quantgeo")
    add_parser(parser.add_subparsers(dest="command"))
    out = str(tmp_path / "o")
    argv = ["sweep", str(tiny), "--vary", "solver.dt=0.05", "--executor", "serial", "-q", "-o", out]
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    assert (tmp_path / "o" / "sweep.csv").is_file()
