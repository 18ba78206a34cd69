"""E3: Born statistics of the learners' ensemble for the family D_a = (ħ/2)M^(1−2a) m̄^(2a−2).

Set-up: 2D trap ω = 1 with masses m_x = 1, m_y = 4 on 96×64 sites of [−6, 6)×[−3, 3); a moving
coherent state.  W = 20 000 walkers, Euler–Maruyama dt = 0.005, records every 0.1 up to t = 5.

Reference: the sampling floor — the total-variation distance of W exact multinomial draws from
P_n = |ψ_n(t)|²ΔV — estimated at every record time from 200 draws (mean and std), and its
normal approximation ½Σ√(2P(1−P)/πW) ∝ 1/√W.  Under "the ensemble keeps |ψ|²" the histogram is
itself such a draw, so z = (TV − floor mean)/floor std is ~N(0, 1) at each time.

- a = 1: max over the 51 records of z ≤ 4 (Bonferroni: false alarm ≤ 51·3.2e-5 ≈ 2e-3);
  and the distance scales as 1/√W: mean TV at W/4 is 2× that at W, to within 10 % (the
  statistical error of a 51-record mean of TV, ≈ 3 %, times 3);
- a = 0 and a = ½: z at t = 5 above 10 (a departure of 10 floor standard deviations).
"""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo import Hamiltonian, Lattice, Recorder, coherent
from quantgeo.emergence import BornEnsemble, BornSummary, diffusion_tensor, sampling_floor
from quantgeo.potentials import harmonic

WALKERS = 20_000
SEED = 7
OBS = ("tv", "floor_mean", "floor_std", "floor_normal")


@pytest.fixture(scope="module")
def setup():
    lat = Lattice((96, 64), ((-6.0, 6.0), (-3.0, 3.0)))
    ham = Hamiltonian(lat, harmonic(1.0), mass=(1.0, 4.0))
    psi0 = coherent(ham, center=(1.5, 0.5), momentum=(0.0, 1.0))
    return ham, psi0


@pytest.fixture(scope="module")
def summaries(setup):
    ham, psi0 = setup
    out = {}
    for a in (0.0, 0.5, 1.0):
        traj = BornEnsemble(ham, a, WALKERS, SEED).run(
            psi0, (0.0, 5.0), recorder=Recorder(every=0.1, observables=OBS)
        )
        out[a] = BornSummary.from_trajectory(traj)
    return out


def test_diffusion_family():
    m = np.array([1.0, 4.0])
    d1, dh, d0 = (diffusion_tensor(m, a, 2.0) for a in (1.0, 0.5, 0.0))
    np.testing.assert_allclose(d1, 2.0 / (2 * m))  # Nelson: ħ/2m
    np.testing.assert_allclose(dh, [0.5, 0.5])  # isotropic: (ħ/2)/m̄, m̄ = 2
    np.testing.assert_allclose(d0, 0.5 * 2.0 * m / 4.0)  # ∝ M
    for d in (dh, d0):
        assert np.prod(d) == pytest.approx(np.prod(d1), rel=1e-14)
    # isotropic mass: every a is Nelson's
    np.testing.assert_allclose(diffusion_tensor([3.0, 3.0], 0.0), diffusion_tensor([3.0, 3.0], 1.0))


def test_sampling_floor_scales_as_inverse_sqrt_walkers(rng):
    p = rng.random(500)
    p /= p.sum()
    m1, _, n1 = sampling_floor(p, 4_000, rng, draws=400)
    m4, _, n4 = sampling_floor(p, 16_000, rng, draws=400)
    assert m1 / m4 == pytest.approx(2.0, rel=0.05)
    assert n1 / n4 == pytest.approx(2.0, rel=1e-12)
    assert m1 == pytest.approx(n1, rel=0.05)  # normal approximation vs multinomial draws


def test_nelson_ensemble_stays_at_the_floor(summaries, record_property):
    s = summaries[1.0]
    record_property("a1_max_z", s.max_z)
    record_property("a1_max_tv", s.max_tv)
    record_property("floor_mean", float(np.mean(s.floor_mean)))
    assert s.diffusion == pytest.approx((0.5, 0.125))
    assert s.max_z <= 4.0
    assert float(np.mean(s.floor_normal)) == pytest.approx(float(np.mean(s.floor_mean)), rel=0.05)


@pytest.mark.parametrize("a", [0.0, 0.5])
def test_other_members_depart(summaries, a, record_property):
    s = summaries[a]
    record_property(f"a{a}_final_tv", s.final_tv)
    record_property(f"a{a}_final_z", s.z[-1])
    assert s.z[-1] > 10.0
    assert s.final_tv > summaries[1.0].final_tv


def test_nelson_distance_scales_as_inverse_sqrt_walkers(setup, summaries):
    ham, psi0 = setup
    small = BornSummary.from_trajectory(
        BornEnsemble(ham, 1.0, WALKERS // 4, SEED + 1).run(
            psi0, (0.0, 5.0), recorder=Recorder(every=0.1, observables=OBS)
        )
    )
    ratio = float(np.mean(small.tv)) / float(np.mean(summaries[1.0].tv))
    assert ratio == pytest.approx(2.0, rel=0.10)
    assert small.max_z <= 4.0
