"""Interrupted runs: SIGINT and SIGTERM at five points of a ``quantgeo run`` subprocess
(imports, set-up, solver, reference, writing) print one line, exit 130 / 143 and leave either
the complete previous output or the complete new output, never a mix, never a temporary file.

The points are reached deterministically through the test hook of :mod:`quantgeo._interrupt`
(``QUANTGEO_TEST_PAUSE_AT``): the process writes a ready file and waits there for the signal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quantgeo.recording import Trajectory

SCENARIO = """
[scenario]
name = "halt"
description = "a small packet in a trap, with a QuTiP reference"

[lattice]
shape = 32
bounds = [-8.0, 8.0]

[hamiltonian]
kinetic = "spectral"

[[hamiltonian.potential]]
type = "harmonic"
omega = 1.0

[initial_state]
type = "gaussian"
center = -1.0
width = 1.0

[solver]
dt = 0.05
t_end = 0.5

[record]
every = 0.25

[reference]
qutip = true

[expect]
max_norm_drift = 1e-10
"""

POINTS = ("imports", "setup", "solver", "reference", "writing")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("interrupts") / "halt.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def _command(scenario: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "quantgeo", "run", str(scenario), "-o", str(out), "-q", *extra]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _assert_complete_run(folder: Path) -> None:
    """Every file the report lists is there (and loads), and nothing else."""
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    listed = {Path(v).name for v in report["files"].values()}
    assert {p.name for p in folder.iterdir()} == listed
    for name in listed - {"report.json"}:
        assert len(Trajectory.load(folder / name)) == 3


def _no_temporaries(parent: Path) -> None:
    left = [p.name for p in parent.rglob(".*")]
    assert not left, f"temporary files left: {left}"


@pytest.fixture(scope="module")
def previous(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete earlier output made without the reference (so a mix would show)."""
    out = tmp_path_factory.mktemp("previous") / "out"
    done = subprocess.run(
        _command(scenario, out, "--no-reference"), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    _assert_complete_run(out)
    assert not (out / "reference.npz").exists()
    return out


def _interrupt_at(
    point: str, sig: signal.Signals, scenario: Path, out: Path, ready: Path
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QUANTGEO_TEST_PAUSE_AT=point, QUANTGEO_TEST_PAUSE_FILE=str(ready))
    proc = subprocess.Popen(
        _command(scenario, out),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not ready.exists():  # the process waits at `point` once this file exists
        if proc.poll() is not None:
            stdout, stderr = proc.communicate()
            pytest.fail(f"ended before reaching {point!r}: {proc.returncode}\n{stdout}{stderr}")
        time.sleep(0.01)
    assert ready.read_text(encoding="utf-8") == point
    proc.send_signal(sig)
    stdout, stderr = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("point", POINTS)
def test_signal_at_each_point_keeps_the_previous_output(
    point: str, sig: signal.Signals, scenario: Path, previous: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for f in previous.iterdir():
        (out / f.name).write_bytes(f.read_bytes())
    before = _snapshot(out)
    done = _interrupt_at(point, sig, scenario, out, tmp_path / "ready")
    (tmp_path / "ready").unlink()
    assert done.returncode == 128 + sig, done.stderr
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert f"interrupted ({sig.name})" in lines[0]
    assert "Traceback" not in done.stderr
    after = _snapshot(out)
    if after != before:  # otherwise it must be the complete new run
        _assert_complete_run(out)
        assert (out / "reference.npz").exists()
    _no_temporaries(tmp_path)


def test_interrupted_first_run_leaves_no_folder(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _interrupt_at("writing", signal.SIGTERM, scenario, out, tmp_path / "ready")
    assert done.returncode == 143, done.stderr
    (tmp_path / "ready").unlink()
    assert not out.exists()
    _no_temporaries(tmp_path)


def test_rerun_replaces_the_whole_folder(scenario: Path, previous: Path, tmp_path: Path) -> None:
    """A re-run with ``--no-reference`` over a run with the reference keeps no old file; a
    file the run does not own (here compare.json, and a note of the user's) is kept."""
    out = tmp_path / "out"
    first = subprocess.run(_command(scenario, out), capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert (out / "reference.npz").exists()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / ".report.999999999-abcd.part.json").write_text("{", encoding="utf-8")  # dead pid
    again = subprocess.run(
        _command(scenario, out, "--no-reference"), capture_output=True, text=True, check=False
    )
    assert again.returncode == 0, again.stderr
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    (out / "notes.txt").unlink()
    _assert_complete_run(out)
    assert not (out / "reference.npz").exists()
    _no_temporaries(tmp_path)
