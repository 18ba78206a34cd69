"""``SplitOperatorSolver(backend="mpi")`` against the serial solver, launched with mpiexec.

Every comparison is 100 Strang steps with a time-dependent V (a shaken trap) and an absorbing
layer the packet runs into.  The two solvers apply the same factors (the distributed one
slices the serial factors to each rank's piece) with the same element-wise kernels; they
differ only in the order of the FFT's floating-point sums, a relative error of a few u·log₂N
per transform (u = 1.1e-16) that stays unitary, so it grows like √(transforms):
√200 · 10 · u ≈ 2e-14 after 100 steps.  The bound 1e-12 (relative L2 of the final state and
of every recorded observable, relative to its scale) leaves a factor 50 above that.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

HERE = Path(__file__).parent
CASE = HERE / "mpi_case.py"
#: Relative L2 of the final states and of the observables (module docstring).
TOL = 1e-12

SCENARIO = """\
[scenario]
name = "mpi_td_2d"
description = "A packet running into the absorbing layer of a shaken 2D trap."

[lattice]
shape = [96, 80]
bounds = [[-8.0, 8.0], [-8.0, 8.0]]

[hamiltonian]
kinetic = "spectral"

[hamiltonian.potential]
type = "shaken_trap"
omega = 1.0
amplitude = 0.5
drive_frequency = 2.0

[initial_state]
type = "gaussian"
center = [2.0, 0.3]
width = [0.7, 0.7]
momentum = [5.0, 0.0]

[solver]
dt = 0.01
t_end = 1.0

[solver.absorber]
width = 2.0
strength = 1.0

[record]
every = 0.25
observables = ["norm", "energy", "position", "width", "momentum"]
store_states = true

[expect]
max_norm_drift = 0.5
"""


def mpiexec() -> list[str]:
    """The environment's own mpiexec (the mpich wheel of the test extra) before a system one."""
    here = Path(sys.executable).parent / "mpiexec"
    exe = str(here) if here.exists() else shutil.which("mpiexec")
    if exe is None:
        pytest.fail("mpiexec not found: the MPI tests need the test extra's mpich wheel")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    cmd = [exe]
    if "Open MPI" in version or "OpenRTE" in version:
        cmd.append("--oversubscribe")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
    return cmd


#: Not a speed limit: a rank left waiting in a collective call hangs for ever, and this turns
#: that into a failure (the slowest case takes well under a minute on 2 loaded cores).
HANG_TIMEOUT = 900


def launch(ranks: int, tmp_path: Path, *cases: str) -> dict[str, Any]:
    out = tmp_path / f"result-{ranks}.json"
    cmd = [*mpiexec(), "-n", str(ranks), sys.executable, str(CASE), str(out), *cases]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=HANG_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def check_case(res: dict[str, Any], ranks: int, shape: tuple[int, ...]) -> None:
    assert res["steps"] == 100
    assert res["ranks"] == ranks
    assert np.prod(res["local_shape"]) < np.prod(shape)  # each rank holds a piece
    assert res["absorbed"] > 1e-6  # the packet reached the absorbing layer
    assert res["l2"] <= TOL
    for got, ref in res["phases"]:
        assert ref > 0 and abs(got - ref) <= TOL * ref
    for name, err in res["observables"].items():
        assert err <= TOL, name


def test_four_ranks_1d_four_step_2d_slabs_3d_pencils_and_bad_input(tmp_path: Path) -> None:
    res = launch(4, tmp_path, "1d", "2d", "3d16p", "bad")
    check_case(res["1d"], 4, (4096,))
    assert res["1d"]["local_shape"] == [64, 16]  # 4096 = 64·64, 16 of the 64 columns
    check_case(res["2d"], 4, (96, 80))
    check_case(res["3d16p"], 4, (16, 16, 16))
    assert res["3d16p"]["local_shape"] == [8, 8, 16]  # a 2×2 grid of pencils
    bad = res["bad"]
    assert (
        "cannot split Lattice(3, (-1.0, 1.0)) over P = 4 ranks (more ranks than sites)"
        in (bad["1d"])
    )
    assert (
        "cannot split Lattice(17, (-1.0, 1.0)) over P = 4 ranks (no such factors)"
        in (bad["1d_prime"])
    )
    assert "cannot split Lattice((3, 64)," in bad["thin"] and "P = 4 ranks" in bad["thin"]
    assert bad["record_times_on_rank_0"].startswith("Recorder `times` must lie inside t_span")
    assert bad["state_shape"] == "`state0` has shape (5, 5), the lattice has shape (8, 8)"
    assert bad["pencils_2d"].startswith("`decomposition` must be 1 (slabs) for a 2D lattice")
    assert bad["decomposition_3"] == "`decomposition` must be an integer in [1, 2], got 3"


def test_two_ranks_quantgeo_run_equals_serial(tmp_path: Path) -> None:
    """``mpiexec -n 2 quantgeo run FILE --set solver.backend=mpi``: one report, one output
    (rank 0), the trajectory of the serial run."""
    from quantgeo.recording import Trajectory
    from quantgeo.scenario import load_scenario, run_scenario

    path = tmp_path / "td2d.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "out"
    cmd = [*mpiexec(), "-n", "2", sys.executable, "-m", "quantgeo", "run", str(path)]
    cmd += ["--set", "solver.backend=mpi", "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=HANG_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines.count("PASS") == 1 and sum(ln.startswith("timings:") for ln in lines) == 1
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["info"]["solver"]["backend"] == "mpi"
    assert report["info"]["solver"]["ranks"] == 2
    got = Trajectory.load(out / "trajectory.npz")
    ref = run_scenario(load_scenario(path)).trajectory
    assert ref is not None and got.states is not None and ref.states is not None
    assert ref.info["steps"] == got.info["steps"] >= 100
    a, b = got.states[-1], ref.states[-1]
    assert np.linalg.norm(a - b) / np.linalg.norm(b) <= TOL
    assert 1 - ref["norm"][-1] / ref["norm"][0] > 1e-3  # absorbed
    for name in ("norm", "energy", "position", "width", "momentum"):
        assert np.max(np.abs(got[name] - ref[name])) <= TOL * np.max(np.abs(ref[name])), name


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [2, 4])
def test_64_cubed_and_96x80_slabs_and_pencils(tmp_path: Path, ranks: int) -> None:
    res = launch(ranks, tmp_path, "2d", "3d64", "3d64p")
    for name, shape in (("2d", (96, 80)), ("3d64", (64,) * 3), ("3d64p", (64,) * 3)):
        check_case(res[name], ranks, shape)


def test_without_mpi4py_fft_the_error_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from quantgeo.hamiltonian import Hamiltonian
    from quantgeo.lattice import Lattice
    from quantgeo.solvers.split_operator import SplitOperatorSolver

    monkeypatch.setitem(sys.modules, "mpi4py_fft", None)  # import mpi4py_fft raises
    ham = Hamiltonian(Lattice((8, 8), [(-1.0, 1.0)] * 2))
    with pytest.raises(ImportError) as err:
        SplitOperatorSolver(ham, 0.01, backend="mpi")
    msg = str(err.value)
    assert msg.startswith("`backend` 'mpi' needs mpi4py and mpi4py-fft (mpi4py_fft is missing)")
    assert 'pip install "quantgeo[mpi]"' in msg and "libfftw3-dev" in msg


def test_scenario_refuses_mpi_in_imaginary_time(tmp_path: Path) -> None:
    from quantgeo.errors import ScenarioError
    from quantgeo.scenario import load_scenario

    path = tmp_path / "gs.toml"
    # (the other problems of this file, a time-dependent V and an absorber in imaginary time,
    # are reported with it)
    path.write_text(SCENARIO.replace("t_end = 1.0\n", 'mode = "imaginary"\nbackend = "mpi"\n'))
    with pytest.raises(ScenarioError, match=r"\[solver\]\.backend: 'mpi' runs real time only"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("n", "ranks", "factors"),
    [(4096, 4, (64, 64)), (96, 4, (8, 12)), (12, 4, None), (17, 2, None), (3, 4, None)],
)
def test_four_step_factors(n: int, ranks: int, factors: tuple[int, int] | None) -> None:
    from quantgeo.solvers._mpi_layout import four_step_factors

    assert four_step_factors(n, ranks) == factors


def test_quantgeo_run_without_mpi4py_fft_is_one_line_naming_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from quantgeo.cli import main

    monkeypatch.setitem(sys.modules, "mpi4py_fft", None)
    path = tmp_path / "td2d.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    code = main(["run", str(path), "--set", "solver.backend=mpi", "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"{path}: [solver]: `backend` 'mpi' needs mpi4py and mpi4py-fft")
    assert 'pip install "quantgeo[mpi]"' in err and "\n" not in err
    assert not (tmp_path / "o").exists()
