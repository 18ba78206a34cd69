"""Small habits of the command: ``python -m quantgeo``, ``--version`` with the versions of the
numerical stack, global ``-v`` / ``-q`` for the logging level (issue 14, item 6)."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from quantgeo import cli
from tests.unit.test_cli import TINY


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY.format(tol=1e-3), encoding="utf-8")
    return p


@pytest.fixture(autouse=True)
def _restore_log_levels() -> Iterator[None]:
    saved = {name: logging.getLogger(name).level for name in ("", "quantgeo")}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_python_dash_m_quantgeo_is_the_command() -> None:
    by_module = subprocess.run(
        [sys.executable, "-m", "quantgeo", "--help"], capture_output=True, text=True, check=False
    )
    assert by_module.returncode == 0, by_module.stderr
    assert by_module.stdout.startswith("usage: quantgeo")
    assert by_module.stdout == cli.build_parser().format_help()


def test_version_lists_the_numerical_stack(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    from quantgeo import __version__

    assert lines[0] == f"quantgeo {__version__}"
    assert lines[1:] == [f"{d} {version(d)}" for d in ("numpy", "numba", "qutip", "rocket-fft")]


@pytest.mark.parametrize(
    ("flags", "level"),
    [
        ([], logging.WARNING),
        (["-v"], logging.INFO),
        (["-vv"], logging.DEBUG),
        (["-v", "-v", "-v"], logging.DEBUG),
        (["-q"], logging.ERROR),
        (["--quiet", "--quiet"], logging.CRITICAL + 1),
        (["-v", "-q"], logging.WARNING),
    ],
)
def test_global_flags_set_the_logging_level(flags: list[str], level: int) -> None:
    assert cli.main(flags) == cli.EXIT_USAGE  # no command: help, but the level is set
    assert logging.getLogger("quantgeo").level == level
    assert logging.getLogger("quantgeo").getEffectiveLevel() == level


def test_verbose_shows_info_records(caplog: pytest.LogCaptureFixture) -> None:
    cli.main(["-v"])
    logging.getLogger("quantgeo.test").info("shown")
    logging.getLogger("quantgeo.test").debug("hidden")
    messages = [r.getMessage() for r in caplog.records if r.name == "quantgeo.test"]
    assert messages == ["shown"]


def test_global_quiet_implies_the_subcommand_quiet(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", str(tiny), "-o", str(tmp_path / "loud")]) == 0
    assert "PASS" in capsys.readouterr().out
    assert cli.main(["-q", "run", str(tiny), "-o", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "a" / "report.json").exists()
    # the subcommand's own -q keeps working, and leaves the logging level alone
    assert cli.main(["run", str(tiny), "-o", str(tmp_path / "b"), "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert logging.getLogger("quantgeo").level == logging.WARNING


def test_python_dash_m_quantgeo_help_loads_no_heavy_dependency() -> None:
    from tests.unit.test_imports import HEAVY, _imported

    assert not HEAVY & _imported("-m", "quantgeo", "--help")
