"""Closed-form references of quantgeo.analytic against exact diagonalisation, ODE solutions
and QuTiP."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg as sla
from scipy.integrate import solve_ivp

from quantgeo import Hamiltonian, Lattice, coherent, gaussian
from quantgeo import analytic as A
from quantgeo.potentials import double_well, harmonic


def exact_evolve(ham: Hamiltonian, psi: np.ndarray, t: float) -> np.ndarray:
    """ψ(t) from the eigendecomposition of the dense Hamiltonian."""
    e, v = sla.eigh(ham.to_dense())
    c = v.conj().T @ psi.ravel()
    return (v @ (np.exp(-1j * e * t / ham.hbar) * c)).reshape(psi.shape)


def l2(a: np.ndarray, b: np.ndarray, dv: float) -> float:
    return float(np.sqrt(np.sum(np.abs(a - b) ** 2) * dv))


def test_free_gaussian_matches_exact_diagonalisation() -> None:
    lat = Lattice(256, (-30.0, 30.0))
    ham = Hamiltonian(lat, None, mass=0.8, hbar=1.3, kinetic="spectral")
    psi0 = gaussian(lat, -4.0, 1.2, 1.5, hbar=1.3)
    assert (
        l2(psi0.data, A.free_gaussian(lat, 0.0, -4.0, 1.2, 1.5, 0.8, 1.3), lat.cell_volume) < 1e-13
    )
    for t in (0.7, 3.0):
        exact = exact_evolve(ham, psi0.data, t)
        ref = A.free_gaussian(lat, t, -4.0, 1.2, 1.5, 0.8, 1.3)
        assert l2(exact, ref, lat.cell_volume) < 1e-10
        width = np.sqrt(
            np.sum(lat.axes[0] ** 2 * np.abs(exact) ** 2) * lat.cell_volume
            - (np.sum(lat.axes[0] * np.abs(exact) ** 2) * lat.cell_volume) ** 2
        )
        assert abs(width - A.free_gaussian_width(t, 1.2, 0.8, 1.3)[0]) < 1e-10


def test_free_gaussian_2d_is_a_product() -> None:
    lat = Lattice((32, 40), [(-8.0, 8.0), (-10.0, 10.0)])
    psi = A.free_gaussian(lat, 0.4, (0.5, -1.0), (1.0, 1.5), (0.3, 0.0), (1.0, 2.0))
    px = A.free_gaussian([lat.axes[0]], 0.4, 0.5, 1.0, 0.3, 1.0)
    py = A.free_gaussian([lat.axes[1]], 0.4, -1.0, 1.5, 0.0, 2.0)
    assert np.allclose(psi, px[:, None] * py[None, :], rtol=0, atol=1e-15)


def test_coherent_state_matches_exact_diagonalisation() -> None:
    lat = Lattice(128, (-10.0, 10.0))
    ham = Hamiltonian(lat, harmonic(1.4, 0.3), mass=0.6, kinetic="spectral")
    psi0 = coherent(ham, 1.4, center=2.0, momentum=-0.4)
    for t in (0.0, 1.1, 4.5):
        ref = A.harmonic_coherent(lat, t, 1.4, 0.3, 2.0, -0.4, 0.6)
        assert l2(exact_evolve(ham, psi0.data, t), ref, lat.cell_volume) < 1e-10


def test_harmonic_ground_energy_matches_eigh() -> None:
    lat = Lattice((22, 26), [(-5.5, 5.5), (-4.3, 4.3)])
    ham = Hamiltonian(lat, harmonic((1.0, 1.7)), kinetic="spectral")
    e, _ = ham.eigh(1)
    assert abs(e[0] - A.harmonic_ground_energy((1.0, 1.7))) < 1e-9


@pytest.mark.parametrize("drive", [0.8, 1.0, 1.6])
def test_driven_oscillator_solves_the_forced_equation(drive: float) -> None:
    w, amp, x0, p0, m = 1.1 if drive != 1.0 else 1.0, 0.5, 0.3, -0.2, 1.7

    def rhs(t: float, y: np.ndarray) -> list[float]:
        return [y[1], -(w**2) * (y[0] - amp * math.sin(drive * t))]

    t = np.linspace(0.0, 12.0, 60)
    sol = solve_ivp(rhs, (0, 12.0), [x0, p0 / m], t_eval=t, rtol=1e-12, atol=1e-12, method="DOP853")
    got = A.driven_oscillator(t, w, amp, drive, x0, p0, m)
    assert np.max(np.abs(got - sol.y[0])) < 1e-9


@pytest.mark.qutip
def test_driven_oscillator_matches_qutip_shaken_trap() -> None:
    from quantgeo.potentials import shaken_trap
    from quantgeo.recording import Recorder
    from quantgeo.reference import QutipReference

    lat = Lattice(64, (-8.0, 8.0))
    ham = Hamiltonian(lat, shaken_trap(1.0, 0.5, 0.7), kinetic="spectral")
    psi0 = coherent(ham, 1.0, center=0.5)
    traj = QutipReference(ham, atol=1e-12, rtol=1e-11).run(
        psi0, (0.0, 5.0), recorder=Recorder(every=0.5, observables=("position",))
    )
    expected = A.driven_oscillator(traj.times, 1.0, 0.5, 0.7, 0.5, 0.0)
    assert np.max(np.abs(traj["position"][:, 0] - expected)) < 1e-7


def test_two_level_evolve_matches_expm(rng: np.random.Generator) -> None:
    a = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    h = a + a.conj().T
    psi0 = rng.normal(size=2) + 1j * rng.normal(size=2)
    for t in (0.0, 0.3, 2.7):
        assert np.allclose(
            two := A.two_level_evolve(h, psi0, t, hbar=0.9),
            sla.expm(-1j * h * t / 0.9) @ psi0,
            rtol=0,
            atol=1e-13,
        ), two
    assert np.allclose(A.two_level_evolve(np.eye(2) * 2.0, psi0, 1.0), np.exp(-2j) * psi0)
    with pytest.raises(ValueError, match="Hermitian"):
        A.two_level_evolve([[0, 1], [0, 0]], psi0, 1.0)


def test_rabi_probability_is_the_two_level_population() -> None:
    j, delta = 0.7, 0.4
    h = np.array([[delta / 2, -j], [-j, -delta / 2]])
    t = np.linspace(0, 10, 41)
    pops = [abs(A.two_level_evolve(h, [1.0, 0.0], tt)[1]) ** 2 for tt in t]
    assert np.allclose(A.rabi_probability(t, j, delta), pops, rtol=0, atol=1e-14)
    assert np.all(A.rabi_probability(t, 0.0, 0.0) == 0)


@pytest.mark.qutip
def test_rabi_against_qutip() -> None:
    import qutip

    j, delta = 1.0, 0.8
    h = qutip.Qobj(np.array([[delta / 2, -j], [-j, -delta / 2]]))
    t = np.linspace(0, 8, 33)
    res = qutip.sesolve(
        h,
        qutip.basis(2, 0),
        t,
        e_ops=[qutip.basis(2, 1).proj()],
        options={"atol": 1e-12, "rtol": 1e-10},
    )
    assert np.max(np.abs(np.asarray(res.expect[0]) - A.rabi_probability(t, j, delta))) < 1e-8


def test_talbot_revival_of_an_arbitrary_state(rng: np.random.Generator) -> None:
    n, length, m, hb = 64, 3.0, 0.7, 1.2
    lat = Lattice(n, (0.0, length))
    ham = Hamiltonian(lat, None, mass=m, hbar=hb, kinetic="spectral")
    psi = rng.normal(size=n) + 1j * rng.normal(size=n)
    tr = A.talbot_time(length, m, hb)

    def evolve(t: float) -> np.ndarray:  # exact: the spectral kinetic operator is diagonal
        return np.fft.ifft(np.exp(-1j * ham.dispersion() * t / hb) * np.fft.fft(psi))

    assert np.allclose(evolve(tr), psi, rtol=0, atol=1e-11)
    assert np.allclose(evolve(tr / 2), np.roll(psi, n // 2), rtol=0, atol=1e-11)
    assert not np.allclose(evolve(tr / 3), psi, atol=1e-3)


def scattering_transmission(
    energy: float, height: float, width: float, m: float, hb: float
) -> float:
    """Integrate ψ'' = 2m(V − E)ψ/ħ² backwards through the barrier from e^{ikx}."""
    k = math.sqrt(2 * m * energy) / hb

    def rhs(x: float, y: np.ndarray) -> np.ndarray:
        v = height if 0.0 <= x <= width else 0.0
        return np.array([y[1], 2 * m * (v - energy) / hb**2 * y[0]])

    y0 = np.array([np.exp(1j * k * width), 1j * k * np.exp(1j * k * width)])
    sol = solve_ivp(rhs, (width, 0.0), y0, rtol=1e-12, atol=1e-14, method="DOP853")
    psi, dpsi = sol.y[:, -1]
    incoming = 0.5 * (psi + dpsi / (1j * k))
    return float(1.0 / abs(incoming) ** 2)


@pytest.mark.parametrize("energy", [0.3, 0.9, 1.0, 1.7, 4.0])
def test_continuum_transmission_matches_ode_scattering(energy: float) -> None:
    height, width, m, hb = 1.0, 1.3, 0.9, 1.1
    got = float(A.continuum_transmission(energy, height, width, m, hb))
    assert abs(got - scattering_transmission(energy, height, width, m, hb)) < 1e-8


def test_continuum_transmission_limits() -> None:
    e = np.array([-1.0, 0.0, 0.5])
    assert np.all(A.continuum_transmission(e, 0.0, 1.0)[1:] >= 0)
    assert A.continuum_transmission(0.5, 0.0, 1.0) == 1.0
    assert A.continuum_transmission(-0.5, 1.0, 1.0) == 0.0
    thick = A.continuum_transmission(0.5, 2.0, 400.0)  # sinh² overflows without the log form
    assert 0.0 <= thick < 1e-300 or thick == 0.0
    # resonance: k₂a = π gives perfect transmission
    k2a = math.pi
    e_res = 1.0 + (k2a / 1.0) ** 2 / 2
    assert abs(A.continuum_transmission(e_res, 1.0, 1.0) - 1.0) < 1e-12


def green_transmission(k: float, v: np.ndarray, spacing: float, m: float, hb: float) -> float:
    """Fisher–Lee: T = Γ_L Γ_R |G_1N|² with lead self-energies −J e^{ikΔ}."""
    j = hb**2 / (2 * m * spacing**2)
    e = 2 * j * (1 - math.cos(k * spacing))
    n = v.size
    h = np.diag(2 * j + v) - j * (np.eye(n, k=1) + np.eye(n, k=-1))
    sigma = -j * np.exp(1j * k * spacing)
    h = h.astype(complex)
    h[0, 0] += sigma
    h[-1, -1] += sigma
    g = np.linalg.inv(e * np.eye(n) - h)
    gamma = -2 * sigma.imag
    return float(gamma**2 * abs(g[0, -1]) ** 2)


def test_lattice_transmission_matches_green_function(rng: np.random.Generator) -> None:
    spacing, m, hb = 0.2, 1.3, 0.8
    v = np.concatenate([[0.0], rng.uniform(-0.5, 2.0, size=12), [0.0]])
    ks = np.array([0.3, 1.0, 2.5, 7.0, 12.0])
    got = A.lattice_transmission(ks, v, spacing, m, hb)
    want = [green_transmission(k, v, spacing, m, hb) for k in ks]
    assert np.allclose(got, want, rtol=1e-10, atol=1e-13)
    assert A.lattice_transmission(0.0, v, spacing) == 0.0
    assert A.lattice_transmission(np.pi / spacing, v, spacing) == 0.0
    assert np.all(A.lattice_transmission(ks, np.zeros(5), spacing) == pytest.approx(1.0))


def test_lattice_transmission_tends_to_the_continuum() -> None:
    height, width, energy = 1.0, 1.0, 0.8
    errors = []
    for n_sites in (20, 80):
        d = width / n_sites
        k = math.acos(1 - energy * d**2) / d  # E = (1 − cos kΔ)/Δ² on the lattice (m = ħ = 1)
        t_lat = A.lattice_transmission(k, np.full(n_sites, height), d)
        errors.append(abs(float(t_lat) - float(A.continuum_transmission(energy, height, width))))
    assert errors[1] < errors[0] / 8  # first order in Δ (edge sites), or better
    assert errors[1] < 5e-3


def test_packet_transmission_of_a_plane_wave_component() -> None:
    lat = Lattice(256, (-20.0, 20.0))
    psi = np.exp(1j * lat.k_axes[0][10] * lat.axes[0])
    tk = lambda k: np.where(np.isclose(k, lat.k_axes[0][10]), 0.25, 0.0)  # noqa: E731
    assert A.packet_transmission(psi, lat.spacing[0], tk) == pytest.approx(0.25)


def test_double_well_splitting_matches_qutip_eigenenergies() -> None:
    lat = Lattice(128, (-5.0, 5.0))
    ham = Hamiltonian(lat, double_well(3.0, 1.5))
    e = ham.to_qobj().eigenenergies(sparse=False, eigvals=2)
    assert abs(A.double_well_splitting(ham) - (e[1] - e[0])) < 1e-10
    assert A.tunnelling_period(ham) == pytest.approx(2 * np.pi / (e[1] - e[0]), rel=1e-9)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="`width`"):
        A.free_gaussian(np.linspace(0, 1, 5), 0.0, width=-1.0)
    with pytest.raises(ValueError, match="`omega`"):
        A.harmonic_coherent(np.linspace(0, 1, 5), 0.0, omega=0.0)
    with pytest.raises(ValueError, match="`length`"):
        A.talbot_time(-1.0)
    with pytest.raises(ValueError, match="`spacing`"):
        A.lattice_transmission(1.0, [1.0], 0.0)


def test_spectral_propagator_matches_expm_multiply() -> None:
    """The shared exact reference against an independent method (Krylov/Taylor expm)."""
    import scipy.sparse.linalg as spla

    from quantgeo.potentials import harmonic

    lat = Lattice((12, 10), [(-4.0, 4.0), (-3.0, 3.0)])
    ham = Hamiltonian(lat, harmonic((1.0, 1.5)), mass=(1.0, 2.0), hbar=0.8)
    psi0 = gaussian(lat, center=(0.5, -0.3), width=(0.9, 0.7), momentum=(0.4, 0.0), hbar=0.8)
    prop = A.SpectralPropagator(ham)
    for t, state in zip([0.0, 0.7, 2.5], prop.states(psi0, [0.0, 0.7, 2.5]), strict=True):
        ref = spla.expm_multiply(-1j * t / 0.8 * ham.to_sparse(), psi0.data.ravel())
        assert np.abs(state.ravel() - ref).max() <= 1e-12


def test_free_gaussian_on_a_ring_after_the_packet_wraps() -> None:
    """Issue 14: on the periodic box the reference is the ring's solution (sum over images),
    checked against exact diagonalisation after the centre 1.5·π + 3t has left the box.

    The lattice state differs from the ring solution at t = 0 only by the tails cut at the
    box edges, |ψ| ≲ e^{-(L/2)²/4σ²} ≈ 1e-12 here; the spectral evolution is unitary and the
    packet's Fourier content sits far inside the band (aliasing ~ e^{-σ²k_max²} ≈ e^{-335}),
    so that distance is carried unchanged to every time, plus the round-off of the eigh
    reference: eigenvalues good to ~ε‖H‖, i.e. a phase error ~ε‖H‖t/ħ."""
    lat = Lattice(128, (0.0, 2 * np.pi))
    ham = Hamiltonian(lat, None, mass=1.0, kinetic="spectral")
    c, s, p = np.pi, 0.3, 3.0
    psi0 = gaussian(lat, c, s, p)
    box = lat.lengths
    d0 = l2(psi0.data, A.free_gaussian(lat, 0.0, c, s, p, period=box), lat.cell_volume)
    assert d0 < 1e-11
    exact_ref = A.SpectralPropagator(ham)
    eps_h = 2 * np.finfo(float).eps * float(np.abs(exact_ref.energies).max())
    times = (0.5, 2.0, 6.336, 30.0)  # centre at 4.6, 9.1 (wrapped once), 22.2, 93.1
    for t, exact in zip(times, exact_ref.states(psi0, times), strict=True):
        ring = A.free_gaussian(lat, t, c, s, p, period=box)
        assert l2(exact, ring, lat.cell_volume) < d0 + 1e-13 + eps_h * t
        assert abs(np.sum(np.abs(ring) ** 2) * lat.cell_volume - 1.0) < 1e-12
    line = A.free_gaussian(lat, 6.336, c, s, p)  # the infinite line: the packet has left
    assert l2(exact, line, lat.cell_volume) > 0.5


def test_ring_image_sum_equals_its_fourier_series() -> None:
    """Poisson summation: the two evaluations of the ring packet agree to round-off, for a
    narrow packet (few images) and one spread many times around the ring (few modes)."""
    from quantgeo._ring import _ring_gaussian

    x = np.linspace(-1.0, 4.0, 200, endpoint=False)
    for t in (0.0, 0.7, 25.0):
        args = (5.0, t, 0.4, 0.35, -2.0, 0.8, 1.3)  # L, t, c, σ, p, m, ħ
        im = _ring_gaussian(x, *args, method="images")
        fo = _ring_gaussian(x, *args, method="fourier")
        assert np.abs(im - fo).max() < 1e-13 * max(1.0, t)
        assert np.array_equal(_ring_gaussian(x, *args), im if t < 1 else fo)


def test_free_gaussian_period_defaults_to_the_line_and_is_checked() -> None:
    x = np.linspace(-5.0, 5.0, 64)
    line = A.free_gaussian(x, 1.3, 0.5, 0.7, 1.1)
    assert np.array_equal(A.free_gaussian(x, 1.3, 0.5, 0.7, 1.1, period=math.inf), line)
    ring = A.free_gaussian(x, 1.3, 0.5, 0.7, 1.1, period=40.0)  # images ~ e^{-(40/2)²/…}
    assert np.abs(ring - line).max() < 1e-15
    for bad in (0.0, -1.0, (1.0, 2.0), "x", math.nan):
        with pytest.raises(ValueError, match="`period`"):
            A.free_gaussian(x, 1.0, period=bad)  # type: ignore[arg-type]


RING = """
[scenario]
name = "ring_wrap"
description = "a free packet that goes once around a ring"

[lattice]
shape = 128
bounds = [0.0, 6.283185307179586]

[hamiltonian]
kinetic = "spectral"

[initial_state]
type = "gaussian"
center = 3.141592653589793
width = 0.3
momentum = 3.0

[solver]
dt = 0.05
t_end = 4.0

[record]
every = 0.5

[expect]
max_norm_drift = 1e-12

[[expect.analytic]]
check = "free_gaussian"
tolerance = 1e-10
"""


def test_free_gaussian_check_holds_after_the_packet_wraps() -> None:
    """The scenario check compares with the ring's solution: the centre π + 3t leaves the box
    at t ≈ 1.05 and the check still measures the split-operator round-off (exact for V = 0)
    plus the e^{-27} tails cut at the box edges, not the missing line packet (~1)."""
    from quantgeo.scenario import scenario_from_text

    res = scenario_from_text(RING, "ring.toml").run()
    (check,) = [c for c in res.checks if c.name == "free_gaussian"]
    assert check.passed and check.value < 1e-10, check
