"""The learners on the user surface: ``emergence(..., learners=M)`` and ``quantgeo emergence
--learners M`` report the learners' distances to |ψ(t)|² next to the Born ensembles'.

The distances are statistics against the multinomial floor (z in floor standard deviations), so
the numbers asserted are those of ``test_learners.py``: |z| ≤ 3 at a = 1 over 5 records after
t = 0; with masses (1, 4) and 5000 learners the a ∈ {0, ½} members are ≥ 10 floor SD away by
t = 2 (measured 29–72 at t = 2.5 in the bundled scenario's fast variant).
"""

from __future__ import annotations

import argparse
import json

import pytest

from quantgeo import Hamiltonian, Lattice, coherent
from quantgeo.emergence import add_emergence_parser, emergence, run_emergence_cli
from quantgeo.potentials import harmonic


def _parse(argv):
    parser = argparse.ArgumentParser(prog="quantgeo")
    sub = parser.add_subparsers(dest="command")
    add_emergence_parser(sub)
    return parser.parse_args(argv)


def test_emergence_runs_the_learners_for_each_a():
    lat = Lattice((32, 24), ((-6.0, 6.0), (-3.0, 3.0)))
    ham = Hamiltonian(lat, harmonic(1.0), mass=(1.0, 4.0))
    psi0 = coherent(ham, center=(1.5, 0.5), momentum=(0.0, 1.0))
    res = emergence(
        ham, psi0, (0.0, 2.0), every=0.5, qutip=False, born_a=(), learners=5000, seed=4,
        born_t_end=2.0, born_every=0.4,
    )  # fmt: skip
    assert res.born == ()
    assert [s.a for s in res.learners] == [0.0, 0.5, 1.0]
    a0, a_half, a1 = res.learners
    assert a1.walkers == 5000 and len(a1.times) == 6
    assert max(abs(z) for z in a1.z[1:]) <= 3.0
    assert min(a0.z[-1], a_half.z[-1]) >= 10.0
    d = json.loads(json.dumps(res.to_dict()))
    assert [row["a"] for row in d["learners"]] == [0.0, 0.5, 1.0]
    text = res.format()
    assert "Lattice learners" in text and "M = 5000 learners" in text


def test_cli_learners_table_and_json(tmp_path, capsys):
    out = tmp_path / "emergence.json"
    args = _parse(
        [
            "emergence", "--sites", "64", "--box", "8", "--t-end", "0.5", "--every", "0.25",
            "--no-qutip", "--walkers", "500", "--born-t-end", "0.2", "--learners", "800",
            "--json", str(out),
        ]
    )  # fmt: skip
    assert run_emergence_cli(args) == 0
    printed = capsys.readouterr().out
    born_at = printed.index("Born ensemble")
    learners_at = printed.index("Lattice learners")
    assert born_at < learners_at
    data = json.loads(out.read_text())
    assert len(data["born"]) == 3 and len(data["learners"]) == 3
    assert all(row["walkers"] == 800 for row in data["learners"])
    assert data["learners"][2]["times"] == pytest.approx([0.0, 0.1, 0.2])


def test_cli_without_learners_has_no_table(capsys):
    args = _parse(["emergence", "--sites", "32", "--box", "8", "--t-end", "0.1", "--no-qutip",
                   "--no-born"])  # fmt: skip
    assert run_emergence_cli(args) == 0
    assert "Lattice learners" not in capsys.readouterr().out


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_bad_learner_count(bad):
    ham = Hamiltonian(Lattice(32, (-8.0, 8.0)), harmonic(1.0))
    with pytest.raises(ValueError, match=r"`learners` must be an integer ≥ 0"):
        emergence(ham, coherent(ham), (0.0, 0.1), qutip=False, born_a=(), learners=bad)


def test_cli_3d_learners(capsys):
    args = _parse(["emergence", "--dim", "3", "--sites", "10", "8", "6", "--box", "3.5", "2.8",
                   "2.1", "--t-end", "0.2", "--every", "0.1", "--no-qutip", "--no-born",
                   "--learners", "500", "--born-t-end", "0.2"])  # fmt: skip
    assert run_emergence_cli(args) == 0
    out = capsys.readouterr().out
    assert "mass=[1.0, 1.5, 2.0]" in out and "Lattice learners" in out
    assert "Born ensemble" not in out
