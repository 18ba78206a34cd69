"""Lattice learners: Bell's jump process keeps |ψ(t)|², its E3 family departs, kernel == twin.

Reference: the multinomial sampling floor — the total-variation distance of M exact draws from
P_n = |ψ_n(t)|²ΔV — estimated at every record time from 200 draws (mean and std).  Under
equivariance the learners' histogram is such a draw, so z = (TV − floor mean)/floor std is a
standardised floor variable at each time: |z| ≤ 3 at 5 record times has a false-alarm
probability of ~1 % (5 × 2·P(Z > 3) for a Gaussian, a little more for TV's right skew).
Halving M multiplies the mean TV by √2; the mean is taken over 29 records (every 0.05 up to
t = 1.4); the records are correlated (the learners keep most of their sites between records),
and the ratio scatters by 5 % over seed pairs (1D set-up, 9 pairs: 1.27 … 1.50, mean 1.41), so
± 15 % is 3 σ.

The refresh bias is measured without sampling noise on the exact law of the frozen-rate
process (:meth:`LatticeLearners.law`): order 1 with the rates frozen at the left end of each
interval, 2 at its midpoint (the fit over h = 0.04 … 0.01 is within ± 0.1 of it; the next
order changes the local slope by O(h)).
"""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo import Hamiltonian, Lattice, Recorder, Wavefunction, coherent, gaussian
from quantgeo._kernels import learners as kern
from quantgeo._kernels import learners_reference as twin
from quantgeo.emergence import BornSummary, LatticeLearners
from quantgeo.emergence.learners import bell_rates
from quantgeo.emergence.madelung import neighbour_table
from quantgeo.potentials import harmonic
from quantgeo.solvers import SplitOperatorSolver

OBS = ("tv", "floor_mean", "floor_std", "floor_normal")
TIMES = np.linspace(0.6, 1.4, 5)  # through the collision of the two packets
DENSE = np.round(np.arange(0.0, 1.4 + 1e-9, 0.05), 10)  # holds TIMES: indices 12, 16, … 28
AT = [int(i) for i in np.searchsorted(DENSE, TIMES - 1e-9)]


def colliding(lat: Lattice, x0: float | tuple[float, ...], k: float | tuple[float, ...]):
    """Two Gaussian packets (σ = 1) at ±x0 moving towards each other with momenta ∓k."""
    x0a, ka = np.atleast_1d(x0), np.atleast_1d(k)
    a = gaussian(lat, center=x0a, width=1.0, momentum=ka).data
    b = gaussian(lat, center=-x0a, width=1.0, momentum=-ka).data
    return Wavefunction(lat, a + b).normalized()


@pytest.fixture(scope="module")
def ring1d():
    ham = Hamiltonian(Lattice(256, (-16.0, 16.0)))
    return ham, colliding(ham.lattice, 4.0, -4.0)


@pytest.fixture(scope="module")
def trap14():
    """E3's set-up on a coarser lattice: trap ω = 1, masses (1, 4), a moving coherent state."""
    lat = Lattice((48, 32), ((-6.0, 6.0), (-3.0, 3.0)))
    ham = Hamiltonian(lat, harmonic(1.0), mass=(1.0, 4.0))
    return ham, coherent(ham, center=(1.5, 0.5), momentum=(0.0, 1.0))


def summary(ham, psi0, m, seed, t1, recorder, a=1.0):
    traj = LatticeLearners(ham, m, seed, a).run(psi0, (0.0, t1), recorder=recorder)
    return BornSummary.from_trajectory(traj)


def check_equivariance(ham, psi0, m, seed, record_property, tag):
    rec = (Recorder(times=DENSE, observables=OBS) for _ in range(2))
    big = summary(ham, psi0, m, seed, DENSE[-1], next(rec))
    small = summary(ham, psi0, m // 2, seed + 1, DENSE[-1], next(rec))
    ratio = float(np.mean(small.tv) / np.mean(big.tv))
    z_big, z_small = ([s.z[i] for i in AT] for s in (big, small))
    record_property(f"{tag}_z", [round(z, 2) for z in z_big])
    record_property(f"{tag}_ratio", ratio)
    np.testing.assert_allclose(np.array(big.times)[AT], TIMES, atol=1e-9)
    assert max(abs(z) for z in z_big) <= 3.0
    assert max(abs(z) for z in z_small) <= 3.0
    assert ratio == pytest.approx(np.sqrt(2.0), rel=0.15)


def test_collision_has_interference_nodes(ring1d):
    """The runs below cross interference nodes: at t = 1, ψ changes sign across bonds
    (phase steps of more than π/2 between neighbours) and |ψ|² dips by > 100× between fringes."""
    ham, psi0 = ring1d
    psi = SplitOperatorSolver(ham, 0.005, "yoshida4").evolve(psi0, 1.0).data
    centre = slice(112, 144)  # |x| < 2, where the packets overlap at t = 1
    bond = np.conj(psi[centre]) * psi[113:145]
    assert np.count_nonzero(bond.real < 0) >= 4  # phase steps > π/2: a node inside the bond
    p = np.abs(psi[centre]) ** 2
    assert p.min() < 1e-2 * p.max()


def test_equivariance_1d_colliding_packets(ring1d, record_property):
    ham, psi0 = ring1d
    check_equivariance(ham, psi0, 20_000, 11, record_property, "1d")


@pytest.mark.slow
def test_equivariance_2d_colliding_packets(record_property):
    ham = Hamiltonian(Lattice((64, 64), ((-8.0, 8.0), (-8.0, 8.0))))
    psi0 = colliding(ham.lattice, (3.0, 0.5), (-3.0, 0.0))
    check_equivariance(ham, psi0, 40_000, 12, record_property, "2d")


@pytest.mark.slow
def test_equivariance_2d_anisotropic_trap(trap14, record_property):
    ham, psi0 = trap14
    check_equivariance(ham, psi0, 100_000, 14, record_property, "trap")


def departure(ham, psi0, m, seed, a):
    return summary(ham, psi0, m, seed, 5.0, Recorder(every=1.0, observables=OBS), a)


@pytest.mark.parametrize("a", [0.0, 0.5])
def test_other_members_depart(trap14, a, record_property):
    ham, psi0 = trap14
    s = departure(ham, psi0, 20_000, 13, a)
    record_property(f"a{a}_z", [round(z, 1) for z in s.z])
    assert s.z[-1] >= 10.0


@pytest.mark.slow
@pytest.mark.parametrize("a", [0.0, 0.5, 1.0])
def test_family_on_e3_lattice(a, record_property):
    """E3's own lattice (96×64) and 10⁵ learners: a = 1 at the floor, a ∈ {0, ½} far above."""
    lat = Lattice((96, 64), ((-6.0, 6.0), (-3.0, 3.0)))
    ham = Hamiltonian(lat, harmonic(1.0), mass=(1.0, 4.0))
    psi0 = coherent(ham, center=(1.5, 0.5), momentum=(0.0, 1.0))
    s = departure(ham, psi0, 100_000, 15, a)
    record_property(f"a{a}_z", [round(z, 1) for z in s.z])
    if a == 1.0:
        assert max(abs(z) for z in s.z) <= 3.0
    else:
        assert s.z[-1] >= 10.0


def test_isotropic_mass_keeps_every_member(ring1d):
    """Isotropic mass: D_a = D_1 for every a, the added hopping is reversible in |ψ|²."""
    ham, psi0 = ring1d
    _, law, target = LatticeLearners(ham, 1, a=0.0).law(psi0, (0.0, 1.0))
    _, law1, _ = LatticeLearners(ham, 1, a=1.0).law(psi0, (0.0, 1.0))
    bias0 = 0.5 * np.abs(law - target).sum(axis=1).max()
    bias1 = 0.5 * np.abs(law1 - target).sum(axis=1).max()
    assert bias0 <= 2.0 * bias1 + 1e-9  # both only the O(h²) refresh bias


@pytest.mark.parametrize(("rule", "order"), [("left", 1.0), ("midpoint", 2.0)])
def test_refresh_bias_order(rule, order, record_property):
    ham = Hamiltonian(Lattice(160, (-10.0, 10.0)), harmonic(1.0))
    psi0 = coherent(ham, center=2.0, momentum=1.0)
    steps = np.array([0.04, 0.02, 0.01])
    err = []
    for h in steps:
        lrn = LatticeLearners(ham, 1, refresh=h, rule=rule, solver_dt=0.0025)
        _, law, target = lrn.law(psi0, (0.0, 2.0))
        err.append(0.5 * np.abs(law[-1] - target[-1]).sum())
    slope = np.polyfit(np.log(steps), np.log(err), 1)[0]
    record_property(f"{rule}_errors", err)
    record_property(f"{rule}_order", slope)
    assert slope == pytest.approx(order, abs=0.1)


def test_kernel_equals_twin_direct(rng):
    ham = Hamiltonian(Lattice((12, 10), ((-3.0, 3.0), (-2.0, 2.0))), mass=(1.0, 2.0))
    nbr, hop = neighbour_table(ham.lattice, ham.mass, ham.hbar)
    psi = rng.standard_normal(ham.lattice.size) + 1j * rng.standard_normal(ham.lattice.size)
    cum = np.cumsum(bell_rates(psi, nbr, hop), axis=1)
    cum[3] = 0.0  # a site nobody can leave
    m = 5_000
    sites = [rng.integers(0, ham.lattice.size, m)] * 2
    clocks = [rng.standard_exponential(m)] * 2
    out = []
    for mod, site, clock in zip((kern, twin), sites, clocks, strict=True):
        s, c = site.copy(), clock.copy()
        g = np.random.default_rng(5)
        scratch = (np.empty(m), np.empty(m, np.int64), np.empty(m, np.int64))
        jumps = [mod.jump_interval(s, c, *scratch, cum, nbr, 0.05, g) for _ in range(4)]
        out.append((s, c, jumps, g.random()))
    (s1, c1, j1, r1), (s2, c2, j2, r2) = out
    assert j1 == j2 and sum(j1) > m // 2
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_allclose(c1, c2, rtol=1e-12, atol=0)
    assert r1 == r2  # both consumed the same stretch of the stream


def test_kernel_equals_twin_run(ring1d):
    ham, psi0 = ring1d
    rec = (Recorder(times=[0.0, 0.5, 1.0], observables=("tv", "sites", "jumps")) for _ in range(2))
    a, b = (
        LatticeLearners(ham, 3_000, 21, backend=be).run(psi0, (0.0, 1.0), recorder=r)
        for be, r in zip(("numba", "numpy"), rec, strict=True)
    )
    np.testing.assert_array_equal(a["sites"], b["sites"])
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a["jumps"], b["jumps"])
    assert a["jumps"][-1] > 3_000
    assert a["sites"].shape == (3, 3_000)


def test_positions_only_on_request(ring1d):
    ham, psi0 = ring1d
    lrn = LatticeLearners(ham, 500, 1)
    plain = lrn.run(psi0, (0.0, 0.1))
    assert set(plain.observables) == set(OBS)
    pos = lrn.run(psi0, (0.0, 0.1), recorder=Recorder(observables=("positions", "mean")))
    assert pos["positions"].shape == (2, 500, 1)
    np.testing.assert_allclose(pos["mean"], pos["positions"].mean(axis=1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"learners": 0}, "`learners`"),
        ({"a": -0.1}, "`a` must lie in"),
        ({"a": 1.5}, "`a` must lie in"),
        ({"rule": "end"}, "`rule`"),
        ({"refresh": 0.0}, "`refresh`"),
    ],
)
def test_bad_arguments(ring1d, kwargs, match):
    ham, _ = ring1d
    with pytest.raises(ValueError, match=match):
        LatticeLearners(ham, **{"learners": 10, **kwargs})


def test_spectral_kinetic_refused():
    ham = Hamiltonian(Lattice(32, (-4.0, 4.0)), kinetic="spectral")
    with pytest.raises(ValueError, match=r"`ham` must use kinetic='lattice'.*'spectral'"):
        LatticeLearners(ham, 10)


def test_zero_density_start_refused(ring1d):
    ham, _ = ring1d
    lat = ham.lattice
    psi = np.zeros(lat.shape, complex)
    psi[100:140] = 1.0
    lrn = LatticeLearners(ham, 4, 0)
    with pytest.raises(ValueError, match=r"`start` puts 1 learner\(s\) on sites where"):
        lrn.run(psi, (0.0, 0.1), start=np.array([100, 120, 139, 140]))
    with pytest.raises(ValueError, match="`state0` must have positive density"):
        lrn.run(np.zeros(lat.shape, complex), (0.0, 0.1))
    with pytest.raises(ValueError, match="`start` must be 4 integer site indices"):
        lrn.run(psi, (0.0, 0.1), start=np.array([100, 120]))
