"""What small runs reuse instead of recomputing: the phase check's measures of an initial state
(per Hamiltonian, recognised by an element-for-element copy), and the records' states built
without re-validation.  Reuse never changes a value: every check here compares against the
computation without it, exactly.
"""

from __future__ import annotations

import warnings

import numpy as np

import quantgeo as qg
from quantgeo.errors import QuantgeoWarning
from quantgeo.potentials import harmonic
from quantgeo.solvers import accuracy


def _ham(shape=(24, 20)):
    return qg.Hamiltonian(qg.Lattice(shape, (-8.0, 8.0)), harmonic(1.0))


def _fresh(monkeypatch, ham, psi, dt, **kw):
    """The check with reuse switched off (every state above the reuse size)."""
    with monkeypatch.context() as m:
        m.setattr(accuracy, "REUSE_MAX_SITES", -1)
        return accuracy.check_phase_per_step(ham, psi, dt, **kw)


def test_phase_measures_are_reused_only_for_an_equal_state(monkeypatch):
    ham = _ham()
    psi = qg.coherent(ham, center=1.0, momentum=0.5).data.copy()
    first = accuracy.check_phase_per_step(ham, psi, 0.1)
    kept = accuracy._PhaseMeasures.of(ham, psi, 0.0, accuracy.SPECTRAL_TAIL)
    assert kept.psi is not psi and np.array_equal(kept.psi, psi)  # a copy, not the live state
    assert kept._spread is not None and kept._top is not None  # the first check's entry
    for dt in (0.1, 0.2):  # another dt reuses the dt-free measures: the same numbers
        assert accuracy.check_phase_per_step(ham, psi, dt) == _fresh(monkeypatch, ham, psi, dt)
    assert accuracy._PhaseMeasures.of(ham, psi, 0.0, accuracy.SPECTRAL_TAIL) is kept
    assert accuracy.check_phase_per_step(ham, psi, 0.1) == first
    # the run moves the state in place: a changed state is measured again, never looked up
    psi[...] = qg.coherent(ham, center=-3.0, momentum=4.0).data
    moved = accuracy.check_phase_per_step(ham, psi, 0.1)
    assert moved == _fresh(monkeypatch, ham, psi, 0.1)
    assert moved != first
    # another tail or time: measured again
    other = accuracy.check_phase_per_step(ham, psi, 0.1, tail=1e-3)
    assert other == _fresh(monkeypatch, ham, psi, 0.1, tail=1e-3)


def test_phase_measures_are_kept_per_hamiltonian_and_bounded():
    ham, other = _ham(), _ham()
    states = [qg.coherent(ham, center=c, momentum=0.5).data for c in (0.0, 0.5, 1.0, 1.5, 2.0)]
    for psi in states:
        accuracy.check_phase_per_step(ham, psi, 0.1)
    kept = accuracy._PhaseMeasures._kept[ham]
    assert len(kept) == accuracy._REUSE_STATES
    assert np.array_equal(kept[0].psi, states[-1])  # most recent first, oldest dropped
    assert other not in accuracy._PhaseMeasures._kept  # not shared with an equal H


def test_kept_phase_measures_do_not_keep_their_hamiltonian_alive():
    """A sweep builds a Hamiltonian per point: once unused, each is collected with its
    entries (the store is weak in its keys and an entry holds no reference to H)."""
    import gc
    import weakref

    refs = []
    for omega in (0.5, 1.0, 1.5):
        ham = qg.Hamiltonian(qg.Lattice((16, 16), (-6.0, 6.0)), harmonic(omega))
        psi = qg.coherent(ham, center=1.0, momentum=0.5)
        qg.SplitOperatorSolver(ham, 0.05).run(psi, (0.0, 0.1), progress=False)
        refs.append(weakref.ref(ham))
    del ham, psi
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
    assert len(accuracy._PhaseMeasures._kept) == 0


def test_phase_warning_is_issued_again_on_a_reused_measure():
    """The warning depends on dt and is issued on every run, reused measures or not."""
    ham = _ham()
    psi = qg.coherent(ham, center=2.0, momentum=0.5).data
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuantgeoWarning)
            accuracy.check_phase_per_step(ham, psi, 5.0)
        text = [str(w.message) for w in caught]
        assert len(text) == 2 and "max V − min V" in text[0] and "max ε(k)" in text[1]


def test_repeated_runs_and_their_records_are_unchanged_by_reuse(monkeypatch):
    """Two solvers from one state (the second reusing the measures and the plans) record
    the same states and info as a run with reuse off; the records are independent copies of
    the lattice's shape, complex128 and C-contiguous, as Wavefunction makes them."""
    ham = _ham()
    psi0 = qg.coherent(ham, center=1.0, momentum=0.5)

    def run() -> qg.Trajectory:
        solver = qg.SplitOperatorSolver(ham, 0.05, "blanes-moan4", fft="fftw")
        rec = qg.Recorder([0.25, 0.5], store_states=True, observables=("norm",))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return solver.run(psi0, (0.0, 0.5), recorder=rec, progress=False)

    with monkeypatch.context() as m:
        m.setattr(accuracy, "REUSE_MAX_SITES", -1)
        ref = run()
    for traj in (run(), run()):
        a, b = np.asarray(traj.states), np.asarray(ref.states)
        assert np.array_equal(a, b)
        for k in ("phase_per_step_v", "phase_per_step_t", "error_estimate"):
            assert traj.info[k] == ref.info[k]
        first, last = traj.state(0), traj.state(-1)
        assert not np.shares_memory(first.data, last.data)
        for s in (first, last):
            assert s.lattice is ham.lattice and s.data.shape == ham.lattice.shape
            assert s.data.dtype == np.complex128 and s.data.flags.c_contiguous
