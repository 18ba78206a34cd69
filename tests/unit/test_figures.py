"""Issue 14: the figures a user would publish have log axes where the data span decades,
labelled axes with units, and a caption line (the matplotlib Figure objects are inspected;
no pixel comparisons)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantgeo import cli
from tests.unit.test_cli import RABI


def caption(fig: Any) -> str:
    sup = fig._supxlabel  # matplotlib keeps the caption line (supxlabel) here
    assert sup is not None
    return str(sup.get_text())


@pytest.mark.qutip
def test_compare_plots_l2_and_infidelity_on_log_axes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quantgeo.cli import run as cli_run

    made: list[Any] = []
    real = cli_run._errors_figure

    def keep(*args: Any) -> Any:
        made.append(real(*args))
        return made[-1]

    monkeypatch.setattr(cli_run, "_errors_figure", keep)
    p = tmp_path / "rabi.toml"
    p.write_text(RABI, encoding="utf-8")
    assert cli.main(["compare", str(p), "-o", str(tmp_path / "cmp"), "-q"]) == 0
    assert (tmp_path / "cmp" / "compare.png").exists()
    (fig,) = made
    ax_l2, ax_inf = fig.axes
    for ax, word in ((ax_l2, "L2 error"), (ax_inf, "infidelity")):
        assert ax.get_yscale() == "log"
        assert word in ax.get_ylabel() and "dimensionless" in ax.get_ylabel()
        (line,) = ax.get_lines()
        y = np.asarray(line.get_ydata(), dtype=float)
        assert len(y) == 17 and np.nanmax(y) < 1e-6  # the run's errors, as in compare.json
    assert ax_inf.get_xlabel().startswith("t (") and "ħ = 1" in ax_inf.get_xlabel()
    assert "max L2 error" in caption(fig) and "max infidelity" in caption(fig)


def test_regimes_figure_axes_and_caption() -> None:
    from quantgeo.learning.regimes import _regimes_figure

    rng = np.random.default_rng(1)
    pos = lambda n: rng.uniform(0.5, 2.0, n)  # noqa: E731
    per_a = {
        a: {
            "p1": list(pos(6)),
            "p4": list(pos(3)),
            "p5": [pos(2), 0.1 * pos(2), pos(2)],
            "p6": list(pos(4)),
        }
        for a in (0.0, 0.5, 1.0)
    }
    settings = {"walkers": 100, "dt": 0.02, "gamma": 0.1, "c": 1.0, "T": 0.05}
    settings |= {"convention": "covariant", "seed": 3}
    fig = _regimes_figure(per_a, "quadratic", settings)
    assert len(fig.axes) == 4
    for ax in fig.axes:
        assert ax.get_xlabel().startswith("metric power a") and ax.get_ylabel()
        assert "(" in ax.get_ylabel(), "units or 'dimensionless' in brackets"
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "linear", "log", "log"]
    text = caption(fig)
    assert "seed 3" in text and "γ = 0.1" in text and "T = γ/2c = 0.05" in text


def test_phases_figure_axes_and_caption() -> None:
    from quantgeo.evolution import phases
    from quantgeo.evolution.phases import _phases_figure

    d = phases(eps_zeta=[1e-10, 1.0], max_steps=50, spectrum_size=500)
    fig = _phases_figure(d)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_ylabel(), ax.get_title()
        if ax.get_xlabel():  # a twin axis shares its partner's x label
            assert "εζ" in ax.get_xlabel()
    speed = next(ax for ax in fig.axes if ax.get_title().startswith("learning speed"))
    assert speed.get_xscale() == speed.get_yscale() == "log"
    assert "εζ" in speed.get_xlabel() and "iterations" in speed.get_ylabel()
    text = caption(fig)
    assert "at most 50 steps" in text and "500 sampled κ" in text
