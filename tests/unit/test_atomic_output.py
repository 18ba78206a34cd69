"""Atomic output and one-line errors of the ``quantgeo`` command: stale temporary files of dead
writers are removed (only those), an interrupted folder swap is restored, output paths are
checked before running, run failures exit 3, and an interrupt QuTiP swallowed is turned back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantgeo import _interrupt, cli
from quantgeo._io import atomic_folder, atomic_write_text, remove_stale_folders
from quantgeo.errors import StabilityError

TINY = """
[scenario]
name = "tiny"
description = "free packet"

[lattice]
shape = 32
bounds = [-8.0, 8.0]

[hamiltonian]
kinetic = "spectral"

[initial_state]
type = "gaussian"
center = 0.0
width = 1.0

[solver]
dt = 0.05
t_end = 0.1

[expect]
max_norm_drift = 1e-10
"""


@pytest.fixture
def dead_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY, encoding="utf-8")
    return p


@pytest.fixture
def handlers() -> Iterator[None]:
    """Restore the SIGINT/SIGTERM handlers that a test (through cli.main) replaced."""
    saved = {s: signal.getsignal(s) for s in _interrupt.SIGNALS}
    yield
    for s, h in saved.items():
        signal.signal(s, h)


def test_atomic_path_removes_only_dead_writers_parts_of_the_same_file(
    tmp_path: Path, dead_pid: int
) -> None:
    stale = tmp_path / f".report.{dead_pid}-abcd.part.json"
    live = tmp_path / f".report.{os.getppid()}-abcd.part.json"  # our parent still runs
    other = tmp_path / f".notes.{dead_pid}-abcd.part.json"  # another file's
    for p in (stale, live, other):
        p.write_text("{", encoding="utf-8")
    atomic_write_text(tmp_path / "report.json", "{}\n")
    assert not stale.exists() and live.exists() and other.exists()
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "{}\n"


def test_killed_swap_is_restored_and_dead_temporaries_removed(
    tmp_path: Path, dead_pid: int
) -> None:
    # a writer killed (SIGKILL) between its two renames: only the renamed-away old folder is left
    old = tmp_path / f".out.old-{dead_pid}-x1"
    old.mkdir()
    (old / "report.json").write_text("previous", encoding="utf-8")
    tmp = tmp_path / f".out.tmp-{dead_pid}-x2"
    tmp.mkdir()
    alive = tmp_path / f".out.tmp-{os.getppid()}-x3"
    alive.mkdir()
    remove_stale_folders(tmp_path, "out")
    assert (tmp_path / "out" / "report.json").read_text(encoding="utf-8") == "previous"
    assert not old.exists() and not tmp.exists() and alive.exists()


def test_failed_folder_write_keeps_the_previous_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out, own=("a.txt",)) as tmp:
        (tmp / "a.txt").write_text("1", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_folder(out, own=("a.txt",)) as tmp:
        (tmp / "a.txt").write_text("2", encoding="utf-8")
        raise RuntimeError("writer failed")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (out / "a.txt").read_text(encoding="utf-8") == "1"


@pytest.mark.parametrize("make", ["file", "parent-file", "sub-folder"])
def test_unusable_output_folder_is_refused_before_running(
    make: str,
    tiny: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    handlers: None,
) -> None:
    import quantgeo.scenario as scenario

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(scenario, "run_scenario", must_not_run)
    out = tmp_path / "out"
    if make == "file":
        out.write_text("x", encoding="utf-8")
    elif make == "parent-file":
        (tmp_path / "f").write_text("x", encoding="utf-8")
        out = tmp_path / "f" / "out"
    else:
        (out / "keep").mkdir(parents=True)
    assert cli.main(["run", str(tiny), "-o", str(out)]) == cli.EXIT_USAGE
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("quantgeo run: error: `-o`"), lines
    assert repr(str(out)) in lines[0]


@pytest.mark.parametrize(
    "exc",
    [StabilityError("non-finite ψ in imaginary time", t=2.5, step=50), MemoryError()],
    ids=["StabilityError", "MemoryError"],
)
def test_run_failure_is_one_line_and_exit_3(
    exc: BaseException,
    tiny: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    handlers: None,
) -> None:
    import quantgeo.scenario as scenario

    def failing(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(scenario, "run_scenario", failing)
    out = tmp_path / "out"
    assert cli.main(["run", str(tiny), "-o", str(out)]) == cli.EXIT_RUN_FAILED == 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("quantgeo run: error: "), lines
    assert ("t = 2.5" if isinstance(exc, StabilityError) else "out of memory") in lines[0]
    assert not out.exists()


def test_help_documents_every_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for code in (0, 1, 2, 3, 130, 143):
        assert f" {code} " in text


def test_interrupt_swallowed_by_qutip_is_turned_back(handlers: None) -> None:
    """QuTiP turns a KeyboardInterrupt raised in a coefficient into a ValueError; under
    :func:`quantgeo._interrupt.watch` the caller gets the interrupt (with SIGINT's default
    handler, as in library use)."""
    import qutip

    signal.signal(signal.SIGINT, signal.default_int_handler)
    calls: list[float] = []

    def coefficient(t: float, **_: Any) -> float:
        calls.append(t)
        if len(calls) == 5:
            os.kill(os.getpid(), signal.SIGINT)
        return 1.0

    h = qutip.QobjEvo([[qutip.sigmax(), coefficient]])
    psi0, times = qutip.basis(2, 0), np.linspace(0.0, 1.0, 5)
    with pytest.raises(BaseException) as alone:  # QuTiP alone (5.x: a ValueError)
        qutip.sesolve(h, psi0, times, options={"method": "adams"})
    assert isinstance(alone.value, (ValueError, KeyboardInterrupt))
    calls.clear()
    with pytest.raises(_interrupt.Interrupted) as info, _interrupt.watch():
        qutip.sesolve(h, psi0, times, options={"method": "adams"})
    assert info.value.exit_status == 130 and isinstance(info.value.__cause__, ValueError)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


@pytest.mark.parametrize("command", ["animate", "validate"])
def test_file_outputs_are_checked_before_running(
    command: str,
    tiny: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    handlers: None,
) -> None:
    """``animate -o`` and ``validate --json`` naming an existing folder: exit 2 at once."""
    import quantgeo.animation as animation
    import quantgeo.scenario as scenario

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(animation, "animate", must_not_run)
    monkeypatch.setattr(scenario, "run_scenario", must_not_run)
    folder = tmp_path / "movie.gif"
    folder.mkdir()
    argv = (
        ["animate", str(tiny), "-o", str(folder)]
        if command == "animate"
        else ["validate", str(tiny), "--json", str(folder)]
    )
    assert cli.main(argv) == cli.EXIT_USAGE
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "is an existing folder, not a file" in lines[0], lines


def test_current_folder_is_refused_as_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quantgeo._io import check_folder_target

    monkeypatch.chdir(tmp_path)
    for path in (".", "..", str(tmp_path)):
        with pytest.raises(ValueError, match="is the current folder or contains it"):
            check_folder_target(path)
    check_folder_target("out")  # a new folder below it is fine


def test_symlinked_output_folder_replaces_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    with atomic_folder(real, own=("a.txt",)) as tmp:
        (tmp / "a.txt").write_text("1", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with atomic_folder(link, own=("a.txt",)) as tmp:
        (tmp / "a.txt").write_text("2", encoding="utf-8")
    assert link.is_symlink() and (link / "a.txt").read_text(encoding="utf-8") == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]
