"""The 1D four-step FFTW engine (``"auto"`` candidate ``"fftw-fourstep"``).

It computes the same map as the whole-array FFT step (only the FFT's factorisation and so its
rounding differ: ~u·log₂N per transform, a few 1e-15 of max|ψ| per step), so its states equal
``fft="rocket"``'s to 1e-12 over the ≤ 40 steps below, and its kernels equal their NumPy twins
(same plans, NumPy passes) to 1e-13.
"""

from __future__ import annotations

import numpy as np
import pyfftw  # noqa: F401  (the test extra has it: a missing pyFFTW fails, never skips)
import pytest

import quantgeo as qg
from quantgeo._kernels import kernels, warmup
from quantgeo.potentials import harmonic
from quantgeo.solvers import fft as fftmod
from quantgeo.solvers.fftw_fourstep import (  # needs pyFFTW
    FourStepEngine,
    fourstep_split,
    twiddle_factors,
)

pytestmark = pytest.mark.usefixtures("own_fft_cache")  # each test its own FFT cache


def _factors(rng, n, nk=2, k_rest=False):
    v = np.exp(1j * rng.uniform(-1, 1, (3, n))) - 1
    kr = np.exp(1j * rng.uniform(-1, 1, (nk, 1))) - 1 if k_rest else np.zeros((nk, 1), complex)
    kl = np.exp(1j * rng.uniform(-1, 1, (nk, n))) - 1
    return v, kr, kl


# N₁·N₂ (blocks with 2 workers): 2·12 (the warm-up's size), 8·512, 3·385 (odd, not a power
# of two; a one-column tail block), 1·1001 (7·143 but 7 > √N/8: one row, a column tail),
# 16·2048 (row blocks of 3 and a tail of 1, at 1 and 2 workers)
SIZES = [24, 4096, 1155, 1001, 32768]


def test_split_and_geometry():
    """``N₁`` divides N, is at most max(2, √N/8) and the largest such; blocks fit the axes."""
    for n in (*SIZES, 2**16, 2**22, 97):
        n1, n2 = fourstep_split(n)
        assert n1 * n2 == n and n1 <= max(2, int(np.sqrt(n)) // 8)
        assert all(n % d for d in range(n1 + 1, max(2, int(np.sqrt(n)) // 8) + 1))
    assert fourstep_split(97) == (1, 97) and fourstep_split(2**22) == (256, 2**14)
    for n in SIZES:
        for workers in (1, 2):
            n1, n2, ld, rows, cols = FourStepEngine(kernels("split"), (n,), workers).geo
            assert 1 <= rows <= n1 and 1 <= cols <= n2 and ld >= n2 and ld % 4 == 0


def test_twiddle_factors_are_exact_to_an_ulp():
    """``tw_hi·tw_lo = ω_N^{k₁n₂}`` against the angle reduced and evaluated in long double."""
    for n1, n2 in ((8, 512), (3, 385), (256, 16384)):
        hi, lo = twiddle_factors(n1, n2)
        w = (hi[:, 0] + 1j * hi[:, 1])[:, :, None] * (lo[:, 0] + 1j * lo[:, 1])[:, None, :]
        w = w.reshape(n1, -1)[:, :n2]
        m = np.outer(np.arange(n1), np.arange(n2)) % (n1 * n2)
        angle = -2 * np.pi * (m.astype(np.longdouble) / (n1 * n2))
        exact = np.cos(angle) + 1j * np.sin(angle)
        assert np.max(np.abs(w - exact)) <= 4 * np.finfo(float).eps


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("n", SIZES)
def test_fourstep_gives_the_rocket_states(rng, n, workers):
    """Four-step sweeps (serial and threaded) = the rocket step for a composition with two
    kinetic stages and a non-zero 1D ``k_rest``, to 1e-12."""
    k = kernels("split")
    four = fftmod._candidate("fftw-fourstep", k, (n,), workers)
    assert isinstance(four, FourStepEngine) and four.variant == "fftw-fourstep"
    rocket = fftmod.make_fft("rocket", "numba", k, (n,), 1)
    psi0 = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    psi, ref = psi0.copy(), psi0.copy()
    args = (*_factors(rng, n, k_rest=True), np.array([0, 1, 2]), np.array([0, 1]), 2, 4)
    four.evolve(psi, *args)
    rocket.evolve(ref, *args)
    assert np.max(np.abs(psi - ref)) <= 1e-12 * np.max(np.abs(ref))
    assert np.max(np.abs(ref - psi0)) > 0.1 * np.max(np.abs(ref))  # the state moved


@pytest.mark.parametrize("n", [24, 1155, 4096])
def test_fourstep_kernels_equal_their_twins(rng, n):
    """The Numba kernels (serial and ``prange``) and the NumPy twins (same plans) to 1e-13,
    one step (the first-and-last V path) and several."""
    for workers in (1, 2):
        kern = FourStepEngine(kernels("split"), (n,), workers)
        twin = FourStepEngine(kernels("split", "numpy"), (n,), workers)
        assert twin._f4.__name__.endswith("fftw_fourstep_reference")
        assert kern._f4 is kernels("fftw_fourstep")
        for nsteps in (1, 3):
            psi = rng.standard_normal(n) + 1j * rng.standard_normal(n)
            ref = psi.copy()
            args = (*_factors(rng, n), np.array([0, 1, 2]), np.array([0, 1]), 2, nsteps)
            kern.evolve(psi, *args)
            twin.evolve(ref, *args)
            assert np.max(np.abs(psi - ref)) <= 1e-13 * np.max(np.abs(ref)), (workers, nsteps)


def _pick_fourstep(monkeypatch):
    """``"auto"`` with the four-step engine a candidate at small N and timed fastest."""
    monkeypatch.setattr(fftmod, "FOURSTEP_MIN", 16)

    def timings(engines, shape, workers=1):
        return {name: (0.5 if name == "fftw-fourstep" else 1.0) for name in engines}

    monkeypatch.setattr(fftmod, "_time_candidates", timings)


@pytest.mark.parametrize("scheme", ["strang", "yoshida4"])
def test_solver_with_fourstep_matches_rocket_and_reports_it(monkeypatch, scheme):
    """Through the solver: the states equal ``fft="rocket"``'s to 1e-12, the norm is kept to
    rounding (the step is unitary), and ``Trajectory.info`` names the engine."""
    _pick_fourstep(monkeypatch)
    lat = qg.Lattice(1155, (-12.0, 12.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    psi0 = qg.gaussian(lat, center=0.5, width=1.0, momentum=2.0)
    rec = qg.Recorder(times=[0.2, 0.4], store_states=True, observables=())
    states, info = {}, {}
    for fft in ("rocket", "auto"):
        solver = qg.SplitOperatorSolver(ham, 0.02, scheme, fft=fft, error_samples=0)
        traj = solver.run(psi0, (0.0, 0.4), recorder=rec, progress=False)
        states[fft], info[fft] = np.stack([s.data for s in traj.states]), traj.info
    assert info["auto"]["fft"] == "fftw"
    assert info["auto"]["fft_auto"]["picked"] == "fftw-fourstep"
    scale = np.max(np.abs(states["rocket"]))
    assert np.max(np.abs(states["auto"] - states["rocket"])) <= 1e-12 * scale
    assert np.max(np.abs(states["rocket"][-1] - psi0.data)) > 0.1 * scale
    norms = np.sum(np.abs(states["auto"]) ** 2, axis=1) * lat.cell_volume
    norm0 = np.sum(np.abs(psi0.data) ** 2) * lat.cell_volume
    np.testing.assert_allclose(norms, norm0, rtol=1e-12)


def test_memory_estimate_counts_the_buffers(monkeypatch):
    """``work_bytes`` is what the engine holds: the padded buffer, the twiddle factors and one
    permuted kinetic factor per kinetic stage (Yoshida-4: 3 stages, 2 distinct factors: the
    bound counts 3); the solver's estimate adds exactly it."""
    _pick_fourstep(monkeypatch)
    lat = qg.Lattice(4096, (-12.0, 12.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    four = qg.SplitOperatorSolver(ham, 0.02, "yoshida4", fft="auto", error_samples=0)
    rocket = qg.SplitOperatorSolver(ham, 0.02, "yoshida4", fft="rocket", error_samples=0)
    engine = four._fft
    assert isinstance(engine, FourStepEngine)
    four.run(qg.gaussian(lat), (0.0, 0.1), progress=False)
    held = engine._pad.nbytes + engine.tw_hi.nbytes + engine.tw_lo.nbytes
    kp = engine._kp[2]
    stages = four.scheme.stages
    assert kp.shape[0] <= stages and kp.nbytes == kp.shape[0] * 16 * lat.size
    assert engine.work_bytes(stages + 2) == held + stages * 16 * lat.size
    rec = qg.Recorder(observables=(), store_states=False)
    span = (0.0, 0.1)
    extra = four.memory_estimate(span, rec).total - rocket.memory_estimate(span, rec).total
    assert extra == pytest.approx(engine.work_bytes(stages + 2))


def test_auto_candidates_and_bad_shape():
    """The four-step engine is an ``"auto"`` candidate in 1D from ``FOURSTEP_MIN`` points only;
    it refuses a 2D shape naming the argument."""
    assert "fftw-fourstep" in fftmod._candidates((fftmod.FOURSTEP_MIN,), 1)
    assert "fftw-fourstep" not in fftmod._candidates((fftmod.FOURSTEP_MIN // 2,), 1)
    assert "fftw-fourstep" not in fftmod._candidates((512, 512), 1)
    with pytest.raises(ValueError, match=r"`shape` of the four-step engine must be 1D"):
        FourStepEngine(kernels("split"), (16, 8), 1)
    assert warmup(("fftw_fourstep",)) >= 0.0


def test_fourstep_engine_pickles(rng):
    """Engines go to process executors by what builds them: the copy runs the same map."""
    import pickle

    n = 1155
    engine = fftmod._candidate("fftw-fourstep", kernels("split"), (n,), 1)
    copy = pickle.loads(pickle.dumps(engine))
    assert isinstance(copy, FourStepEngine) and copy.variant == "fftw-fourstep"
    psi = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    a, b = psi.copy(), psi.copy()
    args = (*_factors(rng, n), np.array([0, 1, 2]), np.array([0, 1]), 2, 3)
    engine.evolve(a, *args)
    copy.evolve(b, *args)
    assert np.max(np.abs(a - b)) <= 1e-13 * np.max(np.abs(a))


def test_fourstep_reads_and_writes_an_unaligned_state(rng):
    """ψ is read by an FFTW_UNALIGNED plan and written by the kernel's own loop: a state 16
    bytes off the SIMD alignment (a view one element in) runs in place, no aligned copy."""
    n = 4096
    engine = fftmod._candidate("fftw-fourstep", kernels("split"), (n,), 1)
    rocket = fftmod.make_fft("rocket", "numba", kernels("split"), (n,), 1)
    for offset in (0, 1, 2, 3):
        store = np.zeros(n + 4, dtype=np.complex128)
        psi = store[offset : offset + n]
        psi[:] = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        assert engine.aligned(psi) is psi
        ref = psi.copy()
        args = (*_factors(rng, n), np.array([0, 1, 2]), np.array([0, 1]), 2, 3)
        engine.evolve(psi, *args)
        rocket.evolve(ref, *args)
        assert np.max(np.abs(psi - ref)) <= 1e-12 * np.max(np.abs(ref)), offset
        assert not store[:offset].any() and not store[offset + n :].any()
