"""The `quantgeo` command: help, run (report + trajectory), validate, compare, warmup, bench,
and the optional regimes/emergence subcommands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from quantgeo import cli
from quantgeo.recording import Trajectory

TINY = """
[scenario]
name = "tiny"
description = "a tiny free packet against the exact solution"
seed = 7

[lattice]
shape = 128
bounds = [-20.0, 20.0]

[hamiltonian]
kinetic = "spectral"

[initial_state]
type = "gaussian"
center = -3.0
width = 1.0
momentum = 1.0

[solver]
dt = 0.05
t_end = 2.0

[record]
every = 0.5

[expect]
max_norm_drift = 1e-12

[[expect.analytic]]
check = "free_gaussian"
tolerance = {tol}

[fast]
solver = {{ t_end = 1.0 }}
"""

RABI = """
[scenario]
name = "rabi"
description = "two sites"

[lattice]
shape = 2
bounds = [0.0, 2.0]

[hamiltonian.potential]
type = "array"
values = [0.4, -0.4]

[initial_state]
type = "array"
real = [1.0, 0.0]

[solver]
dt = 0.01
t_end = 4.0
scheme = "yoshida4"

[record]
every = 0.25

[reference]
qutip = true

[expect]
max_l2_vs_reference = 1e-6
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY.format(tol="1e-10"), encoding="utf-8")
    return p


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in (
        "run",
        "validate",
        "compare",
        "animate",
        "bench",
        "warmup",
        "regimes",
        "emergence",
    ):
        assert f"    {name}" in out, name


@pytest.mark.parametrize("name", ["run", "validate", "compare", "animate", "bench", "warmup"])
def test_subcommand_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([name, "--help"])
    assert info.value.code == 0
    assert f"usage: quantgeo {name}" in capsys.readouterr().out


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == cli.EXIT_USAGE
    assert "COMMAND" in capsys.readouterr().out


def test_run_writes_report_and_trajectory(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli.main(["run", str(tiny), "-o", str(out)]) == 0
    text = capsys.readouterr()
    assert "free_gaussian" in text.out and "PASS" in text.out
    assert "split-operator" not in text.err  # no tqdm bar when stderr is not a terminal
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["passed"] is True and report["scenario"] == "tiny" and report["fast"] is False
    prov = report["provenance"]
    for dist in ("quantgeo", "numba", "rocket-fft", "qutip", "numpy"):
        assert dist in prov["versions"]
    assert prov["backend"] == "numba"
    assert prov["seed"] == 7
    assert prov["threads"]["fft_workers"] >= 1 and "numba_threads" in prov["threads"]
    timings = report["timings"]
    assert {"build", "compile", "run", "checks", "total"} <= set(timings)
    assert report["command"].startswith("quantgeo run")
    traj = Trajectory.load(out / "trajectory.npz")
    assert len(traj) == 5 and traj.states is not None and traj.lattice.shape == (128,)
    assert not list(out.glob(".*part*")), "no temporary files are left behind"


def test_run_fast_and_set(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert (
        cli.main(["run", str(tiny), "-o", str(out), "--fast", "-q", "--set", "record.every=0.25"])
        == 0
    )
    traj = Trajectory.load(out / "trajectory.npz")
    assert np.allclose(traj.times, [0, 0.25, 0.5, 0.75, 1.0])


def test_run_failing_check_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "strict.toml"
    p.write_text(TINY.format(tol="0.0"), encoding="utf-8")
    assert cli.main(["run", str(p), "-o", str(tmp_path / "o")]) == cli.EXIT_FAIL
    assert "FAIL" in capsys.readouterr().out


def test_bad_scenario_exits_2_with_the_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(TINY.format(tol="1e-10").replace("dt = 0.05", "dt = -1"), encoding="utf-8")
    assert cli.main(["run", str(p)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert f"{p}: [solver].dt: must be positive" in err
    assert "Traceback" not in err


def test_interrupted_run_leaves_no_report(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quantgeo.scenario as scenario

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(scenario, "run_scenario", interrupted)
    out = tmp_path / "out"
    assert cli.main(["run", str(tiny), "-o", str(out)]) == cli.EXIT_INTERRUPT
    assert not (out / "report.json").exists()


def test_validate_table_and_exit_codes(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["validate", str(tiny)]) == 0
    out = capsys.readouterr().out
    assert "1/1 scenarios passed (full mode" in out
    strict = tmp_path / "strict.toml"
    strict.write_text(TINY.format(tol="0.0"), encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text("[solver\n", encoding="utf-8")
    report = tmp_path / "v.json"
    assert cli.main(["validate", str(tmp_path), "--fast", "--json", str(report)]) == cli.EXIT_FAIL
    out = capsys.readouterr().out
    assert "FAIL" in out and "invalid TOML" in out and "(fast mode" in out
    assert "1/3 scenarios passed" in out
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["mode"] == "fast" and len(data["results"]) == 3


def test_validate_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(tmp_path)]) == cli.EXIT_USAGE
    assert "no scenario files" in capsys.readouterr().err


@pytest.mark.qutip
def test_compare_writes_plot_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "rabi.toml"
    p.write_text(RABI, encoding="utf-8")
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(p), "-o", str(out)]) == 0
    assert "max L2 error" in capsys.readouterr().out
    from PIL import Image

    with Image.open(out / "compare.png") as im:
        assert im.size[0] > 300
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert data["summary"]["max_l2"] < 1e-6 and len(data["l2"]) == len(data["times"]) == 17


def test_compare_refuses_what_qutip_cannot_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "abs.toml"
    p.write_text(
        TINY.format(tol="1e-10")
        .replace("t_end = 2.0", "t_end = 2.0\n[solver.absorber]\nwidth = 3.0\nstrength = 1.0")
        .replace(
            'check = "free_gaussian"\ntolerance = 1e-10',
            'check = "remaining_norm"\ntolerance = 1.0',
        ),
        encoding="utf-8",
    )
    assert cli.main(["compare", str(p)]) == cli.EXIT_USAGE
    assert "absorbing" in capsys.readouterr().err


def test_warmup_prints_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["warmup", "--dims", "1"]) == 0
    out = capsys.readouterr().out
    assert "split-operator kernels" in out and " s " in out


def test_bench_uses_quantgeo_bench(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import types

    from quantgeo._bench import format_rows

    fake = types.ModuleType("quantgeo._bench")
    calls = []

    def run_benchmarks(quick: bool) -> list[dict[str, object]]:
        calls.append(quick)
        return [{"name": "ratio", "value": 1.05, "target": "<= 1.15", "ok": True, "detail": "x"}]

    fake.run_benchmarks = run_benchmarks  # type: ignore[attr-defined]
    fake.format_rows = format_rows  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "quantgeo._bench", fake)
    assert cli.main(["bench", "--quick"]) == 0
    assert calls == [True]
    assert "ratio" in capsys.readouterr().out


def test_bench_measures_a_ratio() -> None:
    from quantgeo._bench import bench_overhead

    row = bench_overhead((4096,), workers=1, steps=50, repeats=1)
    assert row["name"].startswith("step/FFT-pair 4096")
    assert np.isfinite(row["value"]) and row["value"] > 0


def test_optional_subcommands_are_listed_without_importing_them() -> None:
    parser = cli.build_parser([])
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"regimes", "emergence"} <= set(sub.choices)  # type: ignore[arg-type]


def test_missing_optional_module_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "quantgeo.learning.regimes", None)
    assert cli.main(["regimes"]) == cli.EXIT_USAGE
    assert "not available" in capsys.readouterr().err


def test_optional_module_is_delegated_to(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    fake = types.ModuleType("quantgeo.learning.regimes")
    seen = {}

    def add_regimes_parser(subparsers):  # type: ignore[no-untyped-def]
        p = subparsers.add_parser("regimes", help="fake")
        p.add_argument("--steps", type=int, default=1)
        return p

    def run_regimes_cli(args) -> int:  # type: ignore[no-untyped-def]
        seen["steps"] = args.steps
        return 0

    fake.add_regimes_parser = add_regimes_parser  # type: ignore[attr-defined]
    fake.run_regimes_cli = run_regimes_cli  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "quantgeo.learning.regimes", fake)
    assert cli.main(["regimes", "--steps", "3"]) == 0
    assert seen == {"steps": 3}


def test_emergence_subcommand_help(capsys: pytest.CaptureFixture[str]) -> None:
    import quantgeo.emergence.cli  # noqa: F401  (part of the package: it must import)

    with pytest.raises(SystemExit) as info:
        cli.main(["emergence", "--help"])
    assert info.value.code == 0
    assert "usage: quantgeo emergence" in capsys.readouterr().out


def test_parse_sets() -> None:
    assert cli._parse_sets(["lattice.shape=[4, 4]", "solver.scheme=strang", "a.b=1e-3"]) == {
        "lattice.shape": [4, 4],
        "solver.scheme": "strang",
        "a.b": 1e-3,
    }
    with pytest.raises(ValueError, match=r"TABLE\.KEY=VALUE"):
        cli._parse_sets(["nokey"])


# -- provenance on every JSON output, and `quantgeo schema` ------------------------------------
def _fake_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from quantgeo._bench import format_rows

    fake = types.ModuleType("quantgeo._bench")
    row = {"name": "ratio", "value": 1.05, "target": "<= 1.15", "ok": True, "detail": "x"}
    fake.run_benchmarks = lambda quick: [row]  # type: ignore[attr-defined]
    fake.format_rows = format_rows  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "quantgeo._bench", fake)


@pytest.mark.qutip
def test_every_json_output_has_the_same_provenance_block(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rabi = tmp_path / "rabi.toml"
    rabi.write_text(RABI, encoding="utf-8")
    _fake_bench(monkeypatch)
    r, v, c, b, g, e = (tmp_path / n for n in ("r", "v.json", "c", "b.json", "g.json", "e.json"))
    runs = {
        "run": (["run", str(tiny), "-o", str(r), "-q"], r / "report.json"),
        "validate": (["validate", str(tiny), "-q", "--json", str(v)], v),
        "compare": (["compare", str(rabi), "-o", str(c), "-q"], c / "compare.json"),
        "bench": (["bench", "--quick", "--json", str(b)], b),
        "regimes": (
            ["regimes", "--a", "1", "--walkers", "500", "--dt", "0.05", "--grid", "16",
             "--no-figure", "--no-progress", "--json", str(g)],
            g,
        ),
        "emergence": (
            ["emergence", "--sites", "64", "--box", "8", "--t-end", "0.2", "--every", "0.1",
             "--no-qutip", "--no-born", "--json", str(e)],
            e,
        ),
    }  # fmt: skip
    blocks = {}
    for name, (argv, report) in runs.items():
        assert cli.main(argv) == 0, name
        blocks[name] = json.loads(report.read_text(encoding="utf-8"))["provenance"]
        assert blocks[name]["command"].startswith(f"quantgeo {name} "), name
    keys = {name: set(block) for name, block in blocks.items()}
    assert all(k == keys["run"] for k in keys.values()), keys
    expected = {"versions", "threads", "seed", "backend", "command", "created", "seconds"}
    assert expected <= keys["run"]
    assert all(block["seconds"] > 0 for block in blocks.values())
    assert blocks["regimes"]["seed"] == 0 and blocks["compare"]["backend"] == "numba"


def test_schema_prints_or_writes_the_json_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import quantgeo.scenario as scenario

    fake = {"title": "quantgeo scenario", "type": "object", "description": "ħ = 1 units"}
    monkeypatch.setattr(scenario, "json_schema", lambda: fake, raising=False)
    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == fake
    target = tmp_path / "sub" / "scenario.schema.json"
    assert cli.main(["schema", "-o", str(target)]) == 0
    assert f"wrote {target}" in capsys.readouterr().out
    assert json.loads(target.read_text(encoding="utf-8")) == fake
    assert not list(target.parent.glob(".*part*")), "no temporary files are left behind"


def test_schema_without_json_schema_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import quantgeo.scenario as scenario

    monkeypatch.delattr(scenario, "json_schema", raising=False)
    assert cli.main(["schema"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "quantgeo schema: not available" in err and "json_schema()" in err
