"""The three-way comparison function and the ``emergence`` sub-command."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from quantgeo import Hamiltonian, Lattice, Wavefunction, coherent
from quantgeo.emergence import (
    EmergenceResult,
    add_emergence_parser,
    emergence,
    run_emergence_cli,
)
from quantgeo.potentials import harmonic

TOL = 1e-6


@pytest.fixture(scope="module")
def small():
    return Hamiltonian(Lattice(64, (-8.0, 8.0)), harmonic(1.0))


@pytest.mark.qutip
def test_emergence_result(small):
    psi0 = coherent(small, center=1.0)
    res = emergence(small, psi0, (0.0, 1.0), every=0.25, walkers=2000, seed=3, born_t_end=0.5)
    assert isinstance(res, EmergenceResult)
    assert set(res.pairs) == {
        "learning vs split-operator",
        "learning vs qutip",
        "split-operator vs qutip",
    }
    assert res.max_l2 <= TOL
    assert set(res.engines) == {"learning", "split-operator", "qutip"}
    for e in res.engines.values():
        assert e.norm_drift <= TOL and e.energy_drift <= TOL
    assert 0.0 < res.min_density < 1e-30 and res.singular is None
    assert [b.a for b in res.born] == [0.0, 0.5, 1.0]
    assert len(res.born[0].times) == 6
    d = json.loads(json.dumps(res.to_dict()))
    assert d["max_l2"] == res.max_l2 and len(d["born"]) == 3
    text = res.format()
    assert "learning vs qutip" in text and "a = 0.5" in text and "norm drift" in text


def test_emergence_reports_singular_density(small):
    _, states = small.eigh(2)
    odd = Wavefunction(small.lattice, states[1])
    res = emergence(small, odd, (0.0, 0.5), every=0.25, qutip=False, born_a=())
    assert res.singular is not None and res.singular["t"] == 0.0
    assert "site (32,)" in res.singular["message"]
    assert set(res.pairs) == set() and set(res.engines) == {"split-operator"}
    assert np.isnan(res.min_density)
    assert "learning variables stopped" in res.format()


def _parse(argv):
    parser = argparse.ArgumentParser(prog="quantgeo")
    sub = parser.add_subparsers(dest="command")
    add_emergence_parser(sub)
    return parser.parse_args(argv)


def test_cli_runs_and_writes_json(tmp_path, capsys):
    out = tmp_path / "emergence.json"
    args = _parse(
        [
            "emergence",
            "--sites", "64", "--box", "8", "--t-end", "0.5", "--every", "0.25",
            "--no-qutip", "--walkers", "500", "--born-t-end", "0.2", "--json", str(out),
        ]
    )  # fmt: skip
    assert args.func is run_emergence_cli
    assert run_emergence_cli(args) == 0
    printed = capsys.readouterr().out
    assert "learning vs split-operator" in printed and "Born ensemble" in printed
    data = json.loads(out.read_text())
    assert data["max_l2"] <= TOL


def test_cli_2d_defaults_and_bad_input(capsys):
    args = _parse(["emergence", "--dim", "2", "--sites", "16", "12", "--t-end", "0.1",
                   "--no-qutip", "--no-born"])  # fmt: skip
    assert run_emergence_cli(args) == 0
    assert "mass=[1.0, 4.0]" in capsys.readouterr().out
    bad = _parse(["emergence", "--dim", "2", "--mass", "1", "2", "3", "--no-born"])
    assert run_emergence_cli(bad) == 2
    assert "`--mass` needs 1 or 2 values" in capsys.readouterr().err
