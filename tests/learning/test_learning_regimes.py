"""``regimes()`` and its command-line entry point (small ensembles: structure, not accuracy)."""

from __future__ import annotations

import argparse
import math

import numpy as np

from quantgeo.learning import add_regimes_parser, regimes, run_regimes_cli


def test_regimes_report_and_figure(tmp_path) -> None:
    fig = tmp_path / "out" / "regimes.png"
    rep = regimes(
        "quadratic",
        [0.0, 0.5, 1.0],
        n_walkers=3000,
        dt=0.02,
        grid_cells=32,
        figure=fig,
        progress=False,
    )
    assert fig.exists() and fig.stat().st_size > 10_000
    assert {r.prediction for r in rep.rows} == {"P1", "P2", "P3", "P4", "P5", "P6"}
    assert len(rep.rows) == 3 * 11
    # exact quadratic problem: every quantitative row agrees to a few computed standard errors
    zs = [r.z for r in rep.rows if math.isfinite(r.z)]
    assert len(zs) == 3 * 9 + 2 and max(abs(z) for z in zs) < 4.0
    current = {r.a: r.measured for r in rep.rows if r.quantity.startswith("relative stationary")}
    assert current[0.0] > 10 * current[1.0]
    text = rep.table()
    assert "P6" in text and "figure:" in text
    assert rep.to_dict()["rows"][0]["prediction"] == "P1"


def test_cli_entry_point(capsys) -> None:
    parser = argparse.ArgumentParser(prog="quantgeo")
    sub = parser.add_subparsers(dest="command")
    add_regimes_parser(sub)
    args = parser.parse_args(
        [
            "regimes",
            "--a",
            "0",
            "1",
            "--walkers",
            "500",
            "--dt",
            "0.05",
            "--grid",
            "16",
            "--no-figure",
            "--no-progress",
        ]
    )
    assert args.func is run_regimes_cli
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "measured" in out and "P5" in out
    bad = parser.parse_args(["regimes", "--dt", "-1", "--no-figure", "--no-progress"])
    assert run_regimes_cli(bad) == 2
    assert "`dt` must be positive" in capsys.readouterr().err


def test_regimes_accepts_a_problem(tmp_path) -> None:
    from quantgeo.learning import preset_problem

    prob = preset_problem("quadratic-multiplicative")
    assert not prob.constant_kappa
    rep = regimes(prob, [1.0], n_walkers=1000, dt=0.02, grid_cells=16, progress=False)
    assert all(r.note.startswith("local model") or r.prediction == "P6" for r in rep.rows)
    assert np.isfinite([r.measured for r in rep.rows]).all()
