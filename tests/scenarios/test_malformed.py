"""Malformed scenarios always raise ScenarioError naming the file and the table/key.

Hand-written cases cover each class of mistake; hypothesis mutates valid scenarios (wrong
types, unknown keys and tables, removed keys and tables, out-of-range values) and generates
invalid TOML.  Nothing may escape as another exception or a deep traceback.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quantgeo.errors import ScenarioError
from quantgeo.scenario import load_scenario, scenario_from_text

from .conftest import SCENARIO_FILES

BASE = """
[scenario]
name = "tiny"
description = "a tiny free packet"

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

[fast]
solver = { dt = 0.1 }
"""

PROBLEM = re.compile(
    r"^(?P<file>.+?): \[(?P<table>[^\]]+)\](?:\.(?P<key>[^:]+))?: (?P<msg>.+)$", re.S
)


def problems_of(path: Path, text: str) -> list[re.Match[str]]:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert isinstance(err, ValueError)
    matches = []
    for p in err.problems:
        m = PROBLEM.match(p)
        assert m, f"problem not of the form `file: [table].key: message`: {p!r}"
        assert m["file"] == str(path)
        matches.append(m)
    assert str(err) == "\n".join(err.problems)
    return matches


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_base_is_valid(tmp_path: Path) -> None:
    p = tmp_path / "tiny.toml"
    p.write_text(BASE, encoding="utf-8")
    sc = load_scenario(p)
    assert sc.solver is not None and sc.solver.dt == 0.05
    assert load_scenario(p, fast=True).solver.dt == 0.1  # type: ignore[union-attr]


CASES = [
    # (description, edit, expected (table, key, words in message))
    ("wrong type", ("dt = 0.05", 'dt = "small"'), ("solver", "dt", "must be a number")),
    ("negative dt", ("dt = 0.05", "dt = -0.01"), ("solver", "dt", "must be positive")),
    ("zero dt", ("dt = 0.05", "dt = 0"), ("solver", "dt", "must be positive")),
    ("nan", ("dt = 0.05", "dt = nan"), ("solver", "dt", "finite")),
    ("bool as number", ("width = 1.0", "width = true"), ("initial_state", "width", "number")),
    ("unknown key", ("dt = 0.05", "dt = 0.05\ndtt = 1"), ("solver", "dtt", "unknown key")),
    ("unknown table", ("[solver]", "[solvr]\n[solver]"), ("solvr", None, "did you mean 'solver'")),
    (
        "unknown scheme",
        ("dt = 0.05", 'dt = 0.05\nscheme = "leapfrog"'),
        ("solver", "scheme", "strang"),
    ),
    ("unknown kinetic", ('"spectral"', '"continuum"'), ("hamiltonian", "kinetic", "lattice")),
    (
        "unknown potential",
        ("[initial_state]", '[hamiltonian.potential]\ntype = "harmonik"\n\n[initial_state]'),
        ("hamiltonian.potential", "type", "did you mean 'harmonic'"),
    ),
    (
        "unknown state",
        ('type = "gaussian"', 'type = "gauss"'),
        ("initial_state", "type", "gaussian"),
    ),
    (
        "mismatched dimensions",
        ("center = -2.0", "center = [-2.0, 1.0]"),
        ("initial_state", "center", "one per lattice axis"),
    ),
    (
        "bounds vs shape",
        ("bounds = [-10.0, 10.0]", "bounds = [[-10.0, 10.0], [-1.0, 1.0]]"),
        ("lattice", "bounds", "2 [lo, hi] pairs"),
    ),
    ("shape too small", ("shape = 64", "shape = 1"), ("lattice", "shape", "≥ 2")),
    ("shape 4D", ("shape = 64", "shape = [4, 4, 4, 4]"), ("lattice", "shape", "1 to 3 axes")),
    (
        "hi <= lo",
        ("bounds = [-10.0, 10.0]", "bounds = [10.0, -10.0]"),
        ("lattice", "bounds", "hi > lo"),
    ),
    ("t_end before start", ("t_end = 1.0", "t_end = -1.0"), ("solver", "t_end", "> t_start")),
    ("missing key", ("t_end = 1.0\n", ""), ("solver", "t_end", "missing required key")),
    (
        "missing table",
        ("[lattice]\nshape = 64\nbounds = [-10.0, 10.0]\n", ""),
        ("lattice", None, "missing required table"),
    ),
    (
        "table as value",
        ("[fast]\nsolver = { dt = 0.1 }", "[fast]\nsolver = 3"),
        ("fast", "solver", "must be a table"),
    ),
    (
        "fast override wrong",
        ("solver = { dt = 0.1 }", "solver = { dt = -0.1 }"),
        ("fast.solver", "dt", "must be positive"),
    ),
    (
        "fast unknown key",
        ("solver = { dt = 0.1 }", "solver = { dtt = 0.1 }"),
        ("fast.solver", "dtt", "unknown key"),
    ),
    (
        "reference without qutip",
        ("max_norm_drift = 1e-12", "max_norm_drift = 1e-12\nmax_l2_vs_reference = 1e-8"),
        ("expect", "max_l2_vs_reference", "qutip = true"),
    ),
    (
        "analytic requirements",
        (
            "max_norm_drift = 1e-12",
            "max_norm_drift = 1e-12\n[[expect.analytic]]\n"
            'check = "coherent_state"\ntolerance = 1e-8',
        ),
        ("expect.analytic.0", "check", "harmonic"),
    ),
    (
        "unknown check",
        ("max_norm_drift = 1e-12", '[[expect.analytic]]\ncheck = "free_gausian"\ntolerance = 1'),
        ("expect.analytic.0", "check", "did you mean 'free_gaussian'"),
    ),
    (
        "no expectation",
        ("max_norm_drift = 1e-12", ""),
        ("expect", None, "no expectation"),
    ),
    (
        "absorber too wide",
        ("t_end = 1.0", "t_end = 1.0\n[solver.absorber]\nwidth = 15.0\nstrength = 1.0"),
        ("solver.absorber", "width", "no interior"),
    ),
    (
        "plane wave not commensurate",
        (
            'type = "gaussian"\ncenter = -2.0\nwidth = 1.0\nmomentum = 1.0',
            'type = "plane_wave"\nmomentum = 1.0',
        ),
        ("initial_state", "momentum", "commensurate"),
    ),
    (
        "kind unknown",
        ('name = "tiny"', 'name = "tiny"\nkind = "lindblad"'),
        ("scenario", "kind", "schrodinger"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hand_written_mistakes(tmp_path: Path, case: Any) -> None:
    _, (old, new), (table, key, words) = case
    found = problems_of(tmp_path / "bad.toml", edit(BASE, old, new))
    hits = [m for m in found if m["table"] == table and m["key"] == key]
    assert hits, [m.group(0) for m in found]
    assert any(words in m["msg"] for m in hits), [m.group(0) for m in hits]


def test_all_problems_reported_together(tmp_path: Path) -> None:
    text = edit(BASE, "dt = 0.05", 'dt = -1\nscheme = "rk4"\nbogus = 1')
    text = edit(text, "shape = 64", 'shape = "64"')
    text = edit(text, 'kinetic = "spectral"', 'kinetic = "spectral"\nmass = -1')
    found = problems_of(tmp_path / "many.toml", text)
    keys = {(m["table"], m["key"]) for m in found}
    assert {
        ("solver", "dt"),
        ("solver", "scheme"),
        ("solver", "bogus"),
        ("lattice", "shape"),
        ("hamiltonian", "mass"),
    } <= keys


def test_unknown_names_list_the_valid_ones(tmp_path: Path) -> None:
    (m,) = [
        m
        for m in problems_of(
            tmp_path / "s.toml", edit(BASE, "dt = 0.05", 'dt = 0.05\nscheme = "x"')
        )
        if m["key"] == "scheme"
    ]
    for name in ("strang", "yoshida4"):
        assert name in m["msg"]
    found = problems_of(tmp_path / "k.toml", edit(BASE, "dt = 0.05", "dt = 0.05\nfoo = 1"))
    assert any("valid keys:" in m["msg"] and "t_end" in m["msg"] for m in found)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[solver]\ndt = 0.1.2\n", "[solver].dt"),
        ("[lattice]\nshape = [64\n", "[lattice].shape"),
        ("[lattice\nshape = 64\n", "[lattice"),
        ('[scenario]\nname = "x\n', "[scenario].name"),
        ("[a]\nx = 1\n[a]\nx = 2\n", "[a]"),
    ],
)
def test_invalid_toml_names_file_and_place(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: ")
    assert "invalid TOML" in problem
    assert where in problem


def test_missing_file_and_binary_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nope\.toml: \[scenario\]: file not found"):
        load_scenario(tmp_path / "nope.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ScenarioError, match=r"bin\.toml"):
        load_scenario(binary)


def test_overrides_and_text_entry_points(tmp_path: Path) -> None:
    p = tmp_path / "tiny.toml"
    p.write_text(BASE, encoding="utf-8")
    sc = load_scenario(p, overrides={"lattice.shape": 32, "fast.solver.dt": 0.2})
    assert sc.lattice is not None and sc.lattice.shape == (32,)
    assert load_scenario(p, fast=True, overrides={"fast.solver.dt": 0.2}).solver.dt == 0.2  # type: ignore[union-attr]
    with pytest.raises(ScenarioError, match=r"\[lattice\]\.shape"):
        load_scenario(p, overrides={"lattice.shape": "x"})
    with pytest.raises(ScenarioError, match=r"<text>: \[solver\]\.dt"):
        scenario_from_text(edit(BASE, "dt = 0.05", "dt = []"), "<text>")


# -- hypothesis ----------------------------------------------------------------------------------
def toml_value(v: Any) -> str:
    """Minimal TOML writer for generated values."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        body = "".join(
            "\\" + c if c in '"\\' else (f"\\u{ord(c):04x}" if ord(c) < 0x20 or c == "\x7f" else c)
            for c in v
        )
        return f'"{body}"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(doc: dict[str, Any]) -> str:
    lines: list[str] = []
    for table, body in doc.items():
        if not isinstance(body, dict):
            lines.append(f"{table} = {toml_value(body)}")
    for table, body in doc.items():
        if isinstance(body, dict):
            lines.append(f"[{table}]")
            for k, v in body.items():
                lines.append(f"{k} = {toml_value(v)}")
    return "\n".join(lines) + "\n"


KEY = st.from_regex(r"[a-z][a-z_]{0,9}", fullmatch=True)
SCALAR = st.one_of(
    st.integers(-10, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.booleans(),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=3)),
    max_leaves=8,
)


def base_docs() -> list[dict[str, Any]]:
    import tomllib

    docs = [tomllib.loads(BASE)]
    docs += [tomllib.loads(p.read_text(encoding="utf-8")) for p in SCENARIO_FILES]
    return docs


BASE_DOCS = base_docs()


@st.composite
def mutated(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[str, str, str]]:
    """A bundled (or the tiny) scenario with 1–4 random edits; returns the last edit if it
    added an unknown key or table (which must then be named in an error)."""
    doc = json.loads(json.dumps(draw(st.sampled_from(BASE_DOCS))))
    last = ("", "", "")
    ops = ["set", "delete_key", "delete_table", "scalar_table", "new_key", "new_table"]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(ops))
        last = ("", "", "")
        tables = list(doc)
        table = draw(st.sampled_from(tables)) if tables else "lattice"
        body = doc.get(table)
        if op == "set" and isinstance(body, dict) and body:
            key = draw(st.sampled_from(list(body)))
            body[key] = draw(VALUE)
        elif op == "delete_key" and isinstance(body, dict) and body:
            del body[draw(st.sampled_from(list(body)))]
        elif op == "delete_table" and tables:
            del doc[table]
        elif op == "scalar_table" and tables:
            doc[table] = draw(SCALAR)
        elif op == "new_key" and isinstance(body, dict):
            key = "x_" + draw(KEY)
            body[key] = draw(VALUE)
            last = ("new_key", table, key)
        elif op == "new_table":
            name = "t_" + draw(KEY)
            doc[name] = {}
            last = ("new_table", name, "")
    return doc, last


# a mutated value may be accepted with a QuantgeoWarning (a dt as long as the run …): this test
# is about errors, tests/scenarios/test_input_defects.py checks the warnings
@pytest.mark.filterwarnings("ignore::quantgeo.errors.QuantgeoWarning")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
def test_mutated_scenarios_give_scenario_errors(
    tmp_path_factory: pytest.TempPathFactory, case: Any
) -> None:
    doc, (op, table, key) = case
    path = tmp_path_factory.mktemp("hyp") / "mutant.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    for fast in (False, True):
        try:
            load_scenario(path, fast=fast)
        except ScenarioError as err:
            assert err.problems
            for p in err.problems:
                m = PROBLEM.match(p)
                assert m and m["file"] == str(path), p
            if op == "new_key":  # the key is named, or its table when that is unknown
                assert any(key in p or f"[{table}]: unknown table" in p for p in err.problems)
            if op == "new_table":
                assert any(f"[{table}]: unknown table" in p for p in err.problems)
        else:
            assert op == "", f"{op} {table}.{key} was accepted"


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_escapes(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("txt") / "random.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert all(p.startswith(f"{path}: [") for p in info.value.problems)
