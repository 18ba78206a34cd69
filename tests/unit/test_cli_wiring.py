"""The commands wired from other packages: ``schema`` (the scenario JSON Schema), ``phases``
(quantgeo.evolution) and ``sweep`` (quantgeo.sweep), each through :func:`quantgeo.cli.main`."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from quantgeo import cli
from quantgeo.learning import CrossoverMetric

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))


def test_schema_command_validates_every_bundled_scenario(tmp_path: Path) -> None:
    out = tmp_path / "scenario.schema.json"
    assert cli.main(["schema", "-o", str(out)]) == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert SCENARIOS
    for path in SCENARIOS:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        errors = list(validator.iter_errors(doc))
        assert not errors, (path.name, [e.message for e in errors])
    bad = tomllib.loads(SCENARIOS[0].read_text(encoding="utf-8"))
    bad["solver" if "solver" in bad else "lattice"]["not_a_key"] = 1
    assert list(validator.iter_errors(bad))


def test_schema_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].endswith("2020-12/schema") and schema["$defs"]


def test_phases_command_window_widths_equal_the_metric(tmp_path: Path) -> None:
    out = tmp_path / "phases.json"
    code = cli.main(
        ["phases", "--no-figure", "--json", str(out), "--max-steps", "300", "--laws", "product"]
    )
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "provenance" in data and data["provenance"]["command"]
    ez = np.asarray(data["eps_zeta"])
    widths = np.asarray(data["window_width_decades"]["product"])
    # the window is a property of εζ alone: κ* = √(ε/ζ) only shifts it (here κ* = 1)
    direct = [CrossoverMetric(np.sqrt(e), np.sqrt(e), law="product").window_width(0.1) for e in ez]
    np.testing.assert_allclose(widths, direct, rtol=1e-12)


def test_sweep_command_runs_every_point(tmp_path: Path) -> None:
    src = next(p for p in SCENARIOS if p.stem == "free_packet")
    out = tmp_path / "sweep"
    code = cli.main(
        [
            "sweep",
            str(src),
            "--fast",
            "--executor",
            "serial",
            "-q",
            "--vary",
            "solver.dt=0.05,0.025",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    table = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert len(table["rows"]) == 2 and "provenance" in table
    assert len(list((out / "points").iterdir())) == 2


def test_deeply_nested_set_value_is_one_line_not_a_recursion_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = next(p for p in SCENARIOS if p.stem == "free_packet")
    deep = "[" * 3000 + "]" * 3000
    assert cli.main(["run", str(src), "--set", f"a.b={deep}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["quantgeo run: error: `--set a.b`: nested 3000 levels deep, at most 16"]


@pytest.mark.animation
def test_animate_a_lattice_learners_scenario(tmp_path: Path) -> None:
    """`quantgeo animate` renders the learners' own movie for that kind (frames that differ)
    and refuses the Schrödinger-only options instead of ignoring them."""
    from PIL import Image, ImageSequence

    src = next(p for p in SCENARIOS if p.stem == "lattice_learners")
    movie = tmp_path / "learners.gif"
    args = ["animate", str(src), "--fast", "-q", "-o", str(movie), "--set", "animation.frames=5"]
    assert cli.main(args) == 0
    with Image.open(movie) as im:
        frames = [np.asarray(f.convert("RGB"), dtype=float) for f in ImageSequence.Iterator(im)]
    assert len(frames) >= 3
    assert np.abs(frames[0] - frames[-1]).max() > 0
    code = cli.main(["animate", str(src), "--fast", "-o", str(tmp_path / "x.gif"), "--fps", "5"])
    assert code == cli.EXIT_USAGE
    assert not (tmp_path / "x.gif").exists()
