"""Issue 9, the input defects and the values accepted silently: each one by hand.

Refused files give ``quantgeo validate FILE`` exit status 2 and one stderr line per problem
naming the file, the table and the key; questionable values are accepted with a
``QuantgeoWarning`` in the same one-line form (``Scenario.warnings``), which ``quantgeo run``
and ``quantgeo validate`` print as ``warning: file: [table].key: …``.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from quantgeo.cli import main
from quantgeo.errors import QuantgeoWarning, ScenarioError
from quantgeo.scenario import load_scenario, scenario_from_text
from quantgeo.scenario.kinds.emergence import MIN_RTOL
from quantgeo.scenario.load import MAX_DEPTH, MAX_NAME_LENGTH, MAX_TABLES

from .conftest import SCENARIO_DIR, SCENARIO_FILES

BASE = """
[scenario]
name = "tiny"

[lattice]
shape = 64
bounds = [-10.0, 10.0]

[hamiltonian]
kinetic = "spectral"

[initial_state]
type = "gaussian"
center = -2.0
width = 1.0
momentum = 1.0

[solver]
dt = 0.05
t_end = 1.0

[expect]
max_norm_drift = 1e-12
"""
GAUSSIAN = 'type = "gaussian"\ncenter = -2.0\nwidth = 1.0\nmomentum = 1.0'


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def validate_cli(path: Path) -> tuple[int, list[str], str]:
    """``quantgeo validate PATH`` in-process: exit status, stderr lines, all output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["validate", str(path)])
    return status, err.getvalue().splitlines(), out.getvalue() + err.getvalue()


def refused(tmp_path: Path, text: str, where: str, words: str) -> list[str]:
    """The file is refused by the CLI (exit 2) with a line ``file: where: …words…``."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    status, lines, everything = validate_cli(path)
    assert status == 2, everything
    assert "Traceback" not in everything
    assert lines and all(line.startswith(f"{path}: [") for line in lines), lines
    hits = [line for line in lines if line.startswith(f"{path}: {where}: ")]
    assert hits, lines
    assert any(words in line for line in hits), hits
    return lines


# -- item 3: the defects ------------------------------------------------------------------------
def test_eigenstate_without_n_defaults_to_the_ground_state() -> None:
    # the docs give n the default 0: a missing n is the index list (0,), not an error
    text = edit(GAUSSIAN, 'type = "eigenstate"')
    sc = scenario_from_text(text, "e.toml")
    assert sc.initial_state is not None and sc.initial_state.params["n"] == (0,)
    built = sc.build()
    _, ground = built.eigh(1)
    overlap = abs(np.vdot(ground[0], built.state0.data)) * built.lattice.cell_volume
    assert overlap == pytest.approx(1.0, abs=1e-12)


def test_deep_inline_arrays_are_refused_before_tomllib(tmp_path: Path) -> None:
    text = edit("[expect]", "[expect]\nx = " + "[" * 1000 + "]" * 1000)
    lines = refused(
        tmp_path, text, "[expect].x", f"nested 1000 levels deep (line 23), at most {MAX_DEPTH}"
    )
    assert len(lines) == 1


def test_deep_inline_tables_and_dotted_keys_are_refused(tmp_path: Path) -> None:
    refused(tmp_path, "[lattice]\nx = " + "{a = " * 1000 + "1" + "}" * 1000, "[lattice].x", "1000")
    # dotted keys nest without brackets: the parsed document's depth is checked iteratively
    refused(tmp_path, "[scenario]\n" + "a." * 1000 + "b = 1\n", "[scenario.a.a.a]", "nested more")
    text = "[scenario]\nx.y.z = [" + "{a = " * 7 + "[" * 7 + "]" * 7 + "}" * 7 + "]\n"
    refused(tmp_path, text, "[scenario.x.y.z].a", f"more than {MAX_DEPTH} levels")


def test_the_depth_limit_is_exact(tmp_path: Path) -> None:
    # the document [expect] → x → arrays: MAX_DEPTH levels in all pass the limit (and fail on
    # the unknown key), one more is refused by the document walk, two more by the text scan
    def nested(n: int) -> str:
        return edit("[expect]", "[expect]\nx = " + "[" * n + "]" * n)

    refused(tmp_path, nested(MAX_DEPTH - 1), "[expect].x", "unknown key")
    refused(tmp_path, nested(MAX_DEPTH), "[expect].x", f"nested more than {MAX_DEPTH} levels")
    refused(tmp_path, nested(MAX_DEPTH + 1), "[expect].x", f"at most {MAX_DEPTH}")


def test_brackets_in_strings_and_comments_do_not_count(tmp_path: Path) -> None:
    text = edit('name = "tiny"', f'name = "tiny"\ndescription = "{"[" * 50}" # {"{" * 50}')
    path = tmp_path / "ok.toml"
    path.write_text(text, encoding="utf-8")
    assert load_scenario(path).meta.description == "[" * 50


def test_too_many_potential_tables_are_refused(tmp_path: Path) -> None:
    terms = '\n[[hamiltonian.potential]]\ntype = "zero"\n' * 5000
    text = edit("[initial_state]", terms + "\n[initial_state]")
    lines = refused(tmp_path, text, "[hamiltonian.potential]", f"5000 tables, at most {MAX_TABLES}")
    assert len(lines) == 1
    # the limit itself is accepted
    ok = edit("[initial_state]", terms[: len(terms) // 5000 * MAX_TABLES] + "\n[initial_state]")
    sc = scenario_from_text(ok, "ok.toml")
    assert sc.hamiltonian is not None and len(sc.hamiltonian.potential) == MAX_TABLES


@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "/tmp/abs",
        "a" * (MAX_NAME_LENGTH + 1),
        "a" * 300,
        "a\\u0000b",
        ".hidden",
        "a b",
        "",
    ],
    ids=["parent", "absolute", "long", "300", "nul", "dot", "space", "empty"],
)
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    refused(tmp_path, edit('name = "tiny"', f'name = "{name}"'), "[scenario].name", "file name")


def test_safe_names_and_the_default_name() -> None:
    sc = scenario_from_text(edit('name = "tiny"', f'name = "{"a" * MAX_NAME_LENGTH}"'), "n.toml")
    assert sc.name == "a" * MAX_NAME_LENGTH
    assert scenario_from_text(edit('name = "tiny"', 'name = "v1.2_x-y"'), "n.toml").name
    for path in SCENARIO_FILES:  # every bundled name is safe
        assert load_scenario(path).name == path.stem


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("table", ["potential", "state"])
def test_a_fifo_as_file_is_refused_without_opening_it(tmp_path: Path, table: str) -> None:
    # opening a FIFO for reading blocks until a writer comes: the stat check must come first
    os.mkfifo(tmp_path / "pipe.npy")
    if table == "potential":
        text = edit("[initial_state]", '[hamiltonian.potential]\ntype = "array"\n'
                    'file = "pipe.npy"\n\n[initial_state]')  # fmt: skip
        where = "[hamiltonian.potential].file"
    else:
        text = edit(GAUSSIAN, 'type = "array"\nfile = "pipe.npy"')
        where = "[initial_state].file"
    refused(tmp_path, text, where, "not a regular file")


def test_a_device_and_a_folder_as_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "dir.npy").mkdir()
    text = edit(GAUSSIAN, 'type = "array"\nfile = "dir.npy"')
    refused(tmp_path, text, "[initial_state].file", "is a directory")
    if os.path.exists("/dev/zero"):
        text = edit(GAUSSIAN, 'type = "array"\nfile = "/dev/zero"')
        refused(tmp_path, text, "[initial_state].file", "not a regular file")


@pytest.mark.parametrize(
    "content",
    [b"hello", b"\x80\x04\x95" + b"\x00" * 40, b"PK\x03\x04" + b"\x00" * 40],
    ids=["text", "pickle", "zip"],
)
def test_a_file_that_is_not_npy_is_named(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "v.npy").write_bytes(content)
    text = edit("[initial_state]", '[hamiltonian.potential]\ntype = "array"\nfile = "v.npy"\n'
                "\n[initial_state]")  # fmt: skip
    lines = refused(tmp_path, text, "[hamiltonian.potential].file", "not a NumPy .npy array file")
    assert not any("pickle" in line for line in lines), lines


def test_an_object_npy_is_refused_without_unpickling(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}] * 64, dtype=object), allow_pickle=True)
    text = edit(GAUSSIAN, 'type = "array"\nfile = "obj.npy"')
    lines = refused(tmp_path, text, "[initial_state].file", "not a NumPy .npy array file")
    assert not any("allow_pickle" in line for line in lines)


def test_emergence_rtol_below_the_integrator_bound_is_refused_at_validation() -> None:
    # scipy's solve_ivp raises an rtol below 100·eps to 100·eps with a warning
    assert MIN_RTOL == 100 * np.finfo(float).eps
    path = SCENARIO_DIR / "emergence_three_way.toml"
    for bad in (1e-300, MIN_RTOL / 2):
        with pytest.raises(ScenarioError) as info:
            load_scenario(path, overrides={"emergence.rtol": bad})
        assert any("[emergence].rtol: must be ≥ 2.22e-14" in p for p in info.value.problems)
    assert load_scenario(path, overrides={"emergence.rtol": MIN_RTOL}).extra["emergence"]["rtol"]


# -- item 4: refused ------------------------------------------------------------------------------
def test_reference_rtol_of_one_or_more_is_refused(tmp_path: Path) -> None:
    for rtol in ("1.0", "5"):
        refused(tmp_path, BASE + f"[reference]\nrtol = {rtol}\n", "[reference].rtol", "< 1")
    assert scenario_from_text(BASE + "[reference]\nrtol = 0.5\n", "r.toml").reference.rtol == 0.5


def test_a_complex_potential_file_is_refused_and_a_real_one_accepted(tmp_path: Path) -> None:
    x = np.linspace(-10, 10, 64, endpoint=False)
    np.save(tmp_path / "c.npy", 0.5 * x**2 + 0.1j)
    text = edit("[initial_state]", '[hamiltonian.potential]\ntype = "array"\nfile = "c.npy"\n'
                "\n[initial_state]")  # fmt: skip
    refused(tmp_path, text, "[hamiltonian.potential].file", "imaginary part would be dropped")
    np.save(tmp_path / "c.npy", (0.5 * x**2).astype(complex))  # zero imaginary part: fine
    path = tmp_path / "ok.toml"
    path.write_text(text, encoding="utf-8")
    v = load_scenario(path).build().hamiltonian.potential_values(0.0)
    np.testing.assert_allclose(v, 0.5 * x**2, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("state", "key"),
    [
        ("real = " + str([0.0] * 64), "real"),
        ("real = " + str([0.0] * 64) + "\nnormalize = false", "real"),
        ("real = " + str([1e-300] * 64), "real"),
        ("real = " + str([1e300] * 64), "real"),
        ('file = "zero.npy"\nnormalize = false', "file"),
    ],
    ids=["zero", "zero-unnormalised", "underflow", "overflow", "zero-file"],
)
def test_a_state_that_cannot_be_normalised_is_refused(tmp_path: Path, state: str, key: str) -> None:
    np.save(tmp_path / "zero.npy", np.zeros(64, dtype=complex))
    text = edit(GAUSSIAN, 'type = "array"\n' + state)
    refused(tmp_path, text, f"[initial_state].{key}", "cannot be normalised")


def test_a_packet_outside_the_box_is_refused_at_validation(tmp_path: Path) -> None:
    refused(tmp_path, edit("center = -2.0", "center = 1e6"), "[initial_state].center", "outside")


# -- item 4: warned -------------------------------------------------------------------------------
def warned(text: str, where: str, words: str, *, fast: bool = False) -> str:
    with pytest.warns(QuantgeoWarning) as caught:
        sc = scenario_from_text(text, "w.toml", fast=fast)
    mine = [w for w in sc.warnings if w.startswith(f"w.toml: {where}: ")]
    assert mine and any(words in w for w in mine), sc.warnings
    assert [str(c.message) for c in caught] == list(sc.warnings)
    return mine[0]


def test_dt_as_long_as_the_run_is_warned() -> None:
    warned(edit("dt = 0.05", "dt = 1.0"), "[solver].dt", "≥ the run span")
    line = warned(
        BASE + "[fast]\nsolver = { dt = 2.0 }\n", "[fast.solver].dt", "one step", fast=True
    )
    assert "t_end − t_start = 1" in line


@pytest.mark.parametrize("state", ["gaussian", "plane_wave", "coherent"])
def test_momentum_beyond_the_largest_wavenumber_is_warned(state: str) -> None:
    pmax = np.pi / (20.0 / 64)  # πħ/Δ
    k = 2 * np.pi / 20.0
    p = round(1.5 * pmax / k) * k  # commensurate (for the plane wave) and beyond πħ/Δ
    body = {
        "gaussian": f'type = "gaussian"\nmomentum = {p!r}',
        "plane_wave": f'type = "plane_wave"\nmomentum = {p!r}',
        "coherent": f'type = "coherent"\nomega = 1.0\nmomentum = {p!r}',
    }[state]
    line = warned(edit(GAUSSIAN, body), "[initial_state].momentum", "πħ/Δ = 10.0531")
    assert "folds back" in line


def test_momentum_inside_the_lattice_is_not_warned() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantgeoWarning)
        sc = scenario_from_text(edit("momentum = 1.0", "momentum = -10.0"), "w.toml")
    assert sc.warnings == ()


@pytest.mark.parametrize(
    ("width", "words"),
    [("0.2", "narrower than the lattice spacing Δ = 0.3125"), ("5.5", "wider than the box")],
)
def test_a_packet_narrower_than_a_spacing_or_wider_than_the_box_is_warned(
    width: str, words: str
) -> None:
    warned(edit("width = 1.0", f"width = {width}"), "[initial_state].width", words)


def test_a_coherent_state_narrower_than_a_spacing_is_warned() -> None:
    text = edit(GAUSSIAN, 'type = "coherent"\nomega = 100.0')  # σ = √(ħ/2mω) = 0.0707
    warned(text, "[initial_state].omega", "narrower than the lattice spacing")


def test_workers_above_the_cores_is_warned() -> None:
    n = (os.cpu_count() or 1) + 1
    warned(edit("dt = 0.05", f"dt = 0.05\nworkers = {n}"), "[solver].workers", "cores")


@pytest.mark.parametrize("key", ["tol = 1e-9", "max_steps = 10"])
def test_imaginary_only_keys_in_real_mode_are_warned(key: str) -> None:
    warned(edit("dt = 0.05", f"dt = 0.05\n{key}"), f"[solver].{key.split()[0]}", "no effect")


def test_the_cli_prints_warnings_as_one_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.toml"
    path.write_text(edit("dt = 0.05", "dt = 0.05\ntol = 1e-9"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(["run", str(path), "-q", "-o", str(tmp_path / "out")])
    assert status == 0
    assert err.getvalue().splitlines() == [
        f"warning: {path}: [solver].tol: has no effect with mode = 'real' (imaginary time only)"
    ]


def test_bundled_scenarios_raise_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantgeoWarning)
        for path in SCENARIO_FILES:
            for fast in (False, True):
                assert load_scenario(path, fast=fast).warnings == (), path


def test_warn_false_keeps_the_lines_without_issuing_them() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantgeoWarning)
        sc = scenario_from_text(edit("dt = 0.05", "dt = 0.05\ntol = 1e-9"), "w.toml", warn=False)
    assert len(sc.warnings) == 1


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="FIFOs and /dev are POSIX")
