"""The ``fft="auto"`` decisions are read from disk once per process, and again when the file
changes (another process, or this one, wrote it) or the cache folder moves."""

from __future__ import annotations

import json

import numpy as np
import pyfftw  # noqa: F401  (the test extra has it: a missing pyFFTW fails, never skips)
import pytest

import quantgeo as qg
from quantgeo.potentials import harmonic
from quantgeo.solvers import fft as fftmod

pytestmark = pytest.mark.usefixtures("own_fft_cache")  # each test its own FFT cache


@pytest.fixture
def reads(monkeypatch):
    """Count the reads of the decision file."""
    count = {"n": 0}
    real = fftmod._read_json

    def counted(name):
        if name == fftmod._DECISIONS:
            count["n"] += 1
        return real(name)

    monkeypatch.setattr(fftmod, "_read_json", counted)
    return count


def _ham():
    return qg.Hamiltonian(qg.Lattice((12, 10), (-5.0, 5.0)), harmonic(1.0))


def _write(data):
    from quantgeo._io import atomic_write_text

    path = fftmod.cache_dir() / fftmod._DECISIONS
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data))


def _key():
    """The one key of the decision file (the test's auto run wrote it)."""
    return next(iter(json.loads((fftmod.cache_dir() / fftmod._DECISIONS).read_text())))


def test_decisions_are_read_once_until_the_file_changes(reads):
    _write({"a": {"name": "rocket"}})
    assert fftmod._read_decisions() == {"a": {"name": "rocket"}}
    assert fftmod._read_decisions() == {"a": {"name": "rocket"}}
    assert reads["n"] == 1
    _write({"a": {"name": "fftw"}, "b": {"name": "rocket"}})  # as another process would
    assert fftmod._read_decisions() == {"a": {"name": "fftw"}, "b": {"name": "rocket"}}
    assert reads["n"] == 2


def test_a_missing_file_is_read_each_time_and_a_new_folder_is_read(reads, tmp_path, monkeypatch):
    assert fftmod._read_decisions() == {}
    assert fftmod._read_decisions() == {}
    assert reads["n"] == 2  # nothing cached: the file may appear at any time
    _write({"a": {"name": "rocket"}})
    fftmod._read_decisions()
    monkeypatch.setenv("QUANTGEO_CACHE_DIR", str(tmp_path / "other"))
    _write({"b": {"name": "fftw"}})
    assert fftmod._read_decisions() == {"b": {"name": "fftw"}}


def test_a_changed_decision_is_followed_and_results_do_not_depend_on_the_cache(reads):
    ham = _ham()
    psi0 = qg.gaussian(ham.lattice, center=0.5, width=1.0, momentum=1.0)
    rec = qg.Recorder(times=[0.2], store_states=True, observables=())

    def run():
        solver = qg.SplitOperatorSolver(ham, 0.01, "yoshida4", fft="auto")
        traj = solver.run(psi0, (0.0, 0.2), recorder=rec, progress=False)
        return solver, traj.state(-1).data

    first, state = run()  # times the candidates and writes the decision
    assert not first._fft.auto_info()["cached"]
    second, again = run()
    assert second._fft.auto_info()["cached"]
    assert (second._fft.variant or second._fft.key) == (first._fft.variant or first._fft.key)
    n = reads["n"]
    _, cached = run()
    assert reads["n"] == n  # the unchanged file is not read again
    fftmod.clear_process_state()  # the same decision read from disk, no process cache
    fresh, uncached = run()
    assert fresh._fft.auto_info()["cached"] and reads["n"] == n + 1
    assert np.array_equal(again, cached) and np.array_equal(cached, uncached)
    # the first run's engine was planned while timing: FFTW may round differently there
    assert np.max(np.abs(state - cached)) <= 1e-12 * np.max(np.abs(state))
    # another process rewrites the decision: the next solver follows it
    key = _key()
    other = "rocket" if first.fft == "fftw" else "fftw"
    names = fftmod._candidates(ham.lattice.shape, 1)
    timings = {n: (1.0 if n == other else 2.0) for n in names}
    revision = fftmod._engines_revision()
    _write({key: {"name": other, "timings": timings, "clock": "thread", "revision": revision}})
    follow = qg.SplitOperatorSolver(ham, 0.01, "yoshida4", fft="auto")
    assert follow.fft == other and follow._fft.auto_info()["cached"]


_STALE = {
    # taken before a candidate existed (fftw-sweeps here; fftw-fourstep on 1D lattices)
    "fewer candidates": lambda e: {**e, "timings": {"rocket": 1.0, "fftw": 2.0}},
    # timed by the wall clock: on one thread, possibly a loaded machine's pick
    "wall clock": lambda e: {**e, "clock": "wall"},
    # written before the clock was recorded
    "no clock": lambda e: {k: v for k, v in e.items() if k != "clock"},
    # taken by another version of the engines' code (an upgrade that made one faster)
    "other engine code": lambda e: {**e, "revision": "0" * 16},
    # written before the engines' revision was recorded
    "no revision": lambda e: {k: v for k, v in e.items() if k != "revision"},
}


@pytest.mark.parametrize("stale", list(_STALE))
def test_a_decision_taken_among_other_candidates_or_by_another_clock_is_timed_again(stale):
    ham = _ham()
    solver = qg.SplitOperatorSolver(ham, 0.01, fft="auto")
    assert not solver._fft.auto_info()["cached"]
    key = _key()
    entry = json.loads((fftmod.cache_dir() / fftmod._DECISIONS).read_text())[key]
    names = set(fftmod._candidates(ham.lattice.shape, 1))
    assert entry["clock"] == "thread" and set(entry["timings"]) == names
    assert entry["revision"] == fftmod._engines_revision()
    _write({key: _STALE[stale](entry)})
    again = qg.SplitOperatorSolver(ham, 0.01, fft="auto")
    assert not again._fft.auto_info()["cached"]  # timed again, and the decision rewritten
    assert qg.SplitOperatorSolver(ham, 0.01, fft="auto")._fft.auto_info()["cached"]


def test_the_engines_revision_follows_their_source(tmp_path, monkeypatch):
    """The digest changes when any engine module's source changes, and only then."""
    mod = tmp_path / "qg_fake_engine.py"
    mod.write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(fftmod, "_ENGINE_MODULES", (*fftmod._ENGINE_MODULES, "qg_fake_engine"))

    def digest():
        monkeypatch.setattr(fftmod, "_revision", None)
        return fftmod._engines_revision()

    first = digest()
    assert digest() == first and len(first) == 16
    mod.write_text("X = 2\n")
    assert digest() != first
    mod.write_text("X = 1\n")
    assert digest() == first  # content, not the file's time stamp
