"""``Trajectory.plot`` (matplotlib Axes with labelled, unit-carrying axes) and the progress-bar
policy in notebooks (issue 14, item 2)."""

from __future__ import annotations

import sys
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import quantgeo as qg
from quantgeo import _progress, potentials


@pytest.fixture(scope="module")
def traj() -> qg.Trajectory:
    lat = qg.Lattice((16, 8), [(-4.0, 4.0), (-2.0, 2.0)])
    ham = qg.Hamiltonian(lat, potentials.harmonic(1.0))
    psi = qg.gaussian(lat, (0.5, 0.2), (0.8, 0.6))
    rec = qg.Recorder(
        every=0.25,
        observables={
            "norm": "norm",
            "energy": "energy",
            "position": "position",
            "density": "density",
            "phase": lambda s: s.data[0, 0] / abs(s.data[0, 0]),
        },
    )
    return qg.SplitOperatorSolver(ham, dt=0.05).run(psi, (0.0, 1.0), recorder=rec)


def _lines(ax: Axes) -> dict[str, np.ndarray]:
    return {str(ln.get_label()): np.asarray(ln.get_ydata()) for ln in ax.get_lines()}


def test_plot_draws_the_recorded_values(traj: qg.Trajectory) -> None:
    ax = Figure().subplots()
    assert traj.plot(["energy", "position"], ax=ax) is ax
    lines = _lines(ax)
    assert set(lines) == {"energy", "position[x]", "position[y]"}
    np.testing.assert_array_equal(lines["energy"], traj["energy"])
    np.testing.assert_array_equal(lines["position[y]"], traj["position"][:, 1])
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), traj.times)
    assert ax.get_xlabel() == "t [time]"
    assert ax.get_ylabel() == "energy [energy], position [length]"
    assert ax.get_legend() is not None


def test_plot_complex_and_default_selection(traj: qg.Trajectory) -> None:
    ax = Figure().subplots()
    traj.plot(ax=ax)  # every per-time observable; the density field is left out
    lines = _lines(ax)
    assert "density" not in " ".join(lines)
    np.testing.assert_array_equal(lines["Re phase"], traj["phase"].real)
    np.testing.assert_array_equal(lines["Im phase"], traj["phase"].imag)
    assert "norm [1]" in ax.get_ylabel() and "phase [?]" in ax.get_ylabel()


def test_plot_makes_a_figure_and_names_missing_observables(traj: qg.Trajectory) -> None:
    ax = traj.plot("norm")
    try:
        assert isinstance(ax, Axes) and ax.get_ylabel() == "norm [1]"
        assert ax.get_legend() is None  # one line: the y label says it
    finally:
        plt.close(ax.figure)
    with pytest.raises(KeyError, match=r"\['width'\] were not recorded"):
        traj.plot(["width"], ax=Figure().subplots())


def test_progress_shows_in_a_jupyter_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    fake = types.ModuleType("IPython")
    shell: object = None
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert not _progress.progress_enabled(None)  # IPython imported, but no kernel
    shell = types.SimpleNamespace(kernel=object())  # what ipykernel's shell has
    assert _progress.in_notebook() and _progress.progress_enabled(None)
    assert not _progress.progress_enabled(False)
    monkeypatch.delitem(sys.modules, "IPython")
    assert not _progress.progress_enabled(None) and _progress.progress_enabled(True)


def test_progress_bar_comes_from_tqdm_auto() -> None:
    from tqdm.auto import tqdm

    bar = _progress.progress_bar(10, "x", False)
    try:
        assert isinstance(bar, tqdm) and bar.disable
    finally:
        bar.close()


def test_plot_takes_units_of_what_it_does_not_know(traj: qg.Trajectory) -> None:
    ax = Figure().subplots()
    traj.plot(["phase", "energy"], ax=ax, units={"phase": "1", "energy": "meV"})
    assert ax.get_ylabel() == "phase [1], energy [meV]"
