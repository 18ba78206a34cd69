"""Self-consistent learners (no ψ(t) given): trend of the density error with M, and breakdown.

Set-up (docs/emergence.md, "Self-consistent learners"): free ring of 64 sites on [−8, 8),
ψ₀ ∝ (1 + 0.6 cos(2πx/L)) e^{i·4πx/L} — a density bounded away from zero, so no site need be
emptied — with 2 binomial smoothing passes.  Reference: the split-operator ψ(t) on the same
lattice operator (yoshida4, dt = 0.005; its error, ~1e-9, is far below the errors measured).

Trend: the relative L2 error of the density at t = 1 falls as M^(−α).  The documented
measurement (M = 10³ … 10⁷) gives α ≈ 0.5, the exponent of the multinomial floor.  Here α is
fitted from M = 10³ and 10⁴ over 4 seeds each; its standard error follows from the seeds'
spread, σ_α = √(s₁²/n ē₁² + s₂²/n ē₂²)/ln 10, and the test asks |α − ½| ≤ 3 σ_α (and that
σ_α itself is small enough for this to say something, < 0.1).

Breakdown: with the raw histogram (no smoothing) Bell's current into a site with p̂ = 0 is
zero, so the set of occupied sites can only shrink — checked exactly on a moving trap state.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantgeo import Hamiltonian, Lattice, Recorder, Wavefunction, coherent
from quantgeo.emergence.self_consistent import SelfConsistentLearners, density_error, smooth
from quantgeo.potentials import harmonic
from quantgeo.solvers import SplitOperatorSolver

SEEDS = (2, 3, 4, 5)
T1 = 1.0


@pytest.fixture(scope="module")
def ring():
    lat = Lattice(64, (-8.0, 8.0))
    ham = Hamiltonian(lat)
    x, length = lat.axes[0], 16.0
    data = (1 + 0.6 * np.cos(2 * np.pi * x / length)) * np.exp(1j * 4 * np.pi * x / length)
    psi0 = Wavefunction(lat, data).normalized()
    exact = SplitOperatorSolver(ham, 0.005, "yoshida4").run(
        psi0, (0.0, T1), recorder=Recorder(times=[T1], observables=())
    )
    return ham, psi0, exact


def final_error(ham, psi0, exact, m, seed, w=2, backend="numba"):
    traj = SelfConsistentLearners(ham, m, seed, smooth=w, backend=backend).run(
        psi0, (0.0, T1), recorder=Recorder(times=[T1], observables=())
    )
    return float(density_error(traj, exact)[0])


def test_error_falls_as_inverse_sqrt_learners(ring, record_property):
    ham, psi0, exact = ring
    e1 = np.array([final_error(ham, psi0, exact, 1_000, s) for s in SEEDS])
    e2 = np.array([final_error(ham, psi0, exact, 10_000, s) for s in SEEDS])
    alpha = math.log10(e1.mean() / e2.mean())
    n = len(SEEDS)
    sigma = math.sqrt(
        (e1.std(ddof=1) / e1.mean()) ** 2 / n + (e2.std(ddof=1) / e2.mean()) ** 2 / n
    ) / math.log(10)
    record_property("alpha", alpha)
    record_property("sigma_alpha", sigma)
    assert sigma < 0.1
    assert abs(alpha - 0.5) <= 3 * sigma


def test_raw_histogram_support_only_shrinks():
    ham = Hamiltonian(Lattice(128, (-8.0, 8.0)), harmonic(1.0))
    psi0 = coherent(ham, center=2.0)
    rec = Recorder(every=0.05, observables=("occupied",))
    traj = SelfConsistentLearners(ham, 20_000, 1).run(psi0, (0.0, 1.0), recorder=rec)
    occ = traj["occupied"]
    assert np.all(np.diff(occ) <= 0)
    assert occ[-1] < occ[0]  # and it does shrink: the packet's leading tail cannot fill


def test_kernel_equals_twin(ring):
    ham, psi0, _ = ring
    rec = (Recorder(times=[0.5, T1], observables=("jumps",)) for _ in range(2))
    a, b = (
        SelfConsistentLearners(ham, 2_000, 9, smooth=1, backend=be).run(psi0, (0.0, T1), recorder=r)
        for be, r in zip(("numba", "numpy"), rec, strict=True)
    )
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a["jumps"], b["jumps"])


def test_smooth_keeps_mass_and_spreads(rng):
    p = rng.random((12, 10))
    out = smooth(p, 3)
    assert out.sum() == pytest.approx(p.sum(), rel=1e-14)
    delta = np.zeros(16)
    delta[0] = 1.0
    w = smooth(delta, 4)  # binomial: variance 4 · ½ site²
    k = np.where(np.arange(16) < 8, np.arange(16), np.arange(16) - 16)
    assert float(np.sum(w * k**2)) == pytest.approx(2.0, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"learners": 0}, "`learners`"),
        ({"smooth": -1}, "`smooth`"),
        ({"refresh": -1.0}, "`refresh`"),
    ],
)
def test_bad_arguments(ring, kwargs, match):
    ham, _, _ = ring
    with pytest.raises(ValueError, match=match):
        SelfConsistentLearners(ham, **{"learners": 10, **kwargs})


def test_bad_state_and_kinetic(ring):
    ham, _, _ = ring
    with pytest.raises(ValueError, match="`state0` must have positive density"):
        SelfConsistentLearners(ham, 10).run(np.zeros(64, complex), (0.0, 0.1))
    spectral = Hamiltonian(Lattice(32, (-4.0, 4.0)), kinetic="spectral")
    with pytest.raises(ValueError, match="`ham` must use kinetic='lattice'"):
        SelfConsistentLearners(spectral, 10)
