"""E4: nodes between sites are ordinary values of the compact phase; a zero on a site is reported.

- two packets colliding in the 160-site trap (interference fringes, nodes passing between and
  close to sites) stay within the E1 budget of the exact evolution;
- the odd first excited trap state vanishes on the centre site (n = 80, x = 0): reported at
  t = 0 with that site;
- ψ = φ₀ + cφ₂ with |cφ₂(0)| = |φ₀(0)| develops an exact zero on the centre site at
  t* = πħ/(E₂ − E₀): reported at that site, at a time t_d ≤ t* with
  t* − t_d ≤ √(floor·p_nb)/|dψ_c/dt| (the time to cross the density floor at the exact slope
  |dψ_c/dt| = |ψ_c(0)|·(E₂ − E₀)/2ħ of |ψ_c(t)| = |ψ_c(0)|·|cos((E₂ − E₀)t/2ħ)|), up to the
  integrator error;
- a Gaussian whose tail is cut at the periodic seam (contrast 1e-36 between the seam sites,
  densities ~1e-60) is a tail, not a singularity: it runs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantgeo import Recorder, Wavefunction, compare, gaussian
from quantgeo.emergence import MadelungLattice
from quantgeo.errors import StabilityError

TOL = 1e-6


def test_colliding_packets_stay_exact(trap1d, exact, record_property):
    lat = trap1d.lattice
    left = gaussian(lat, -3.0, 0.5, 3.0)
    right = gaussian(lat, 3.0, 0.5, -3.0)
    psi0 = Wavefunction(lat, left.data + right.data).normalized()
    times = np.linspace(0.0, 6.0, 121)
    traj = MadelungLattice(trap1d).run(psi0, (0.0, 6.0), recorder=Recorder(times=times))
    ref = exact(trap1d, psi0, times)
    err = compare(traj, ref).max_l2
    record_property("colliding_max_l2", err)
    record_property("min_relative_density", traj.info["min_relative_density"])
    assert err <= TOL
    # the exact state does have interference minima: a density contrast between neighbours an
    # order of magnitude below the smallest contrast of one packet's smooth profile (same cut)
    smooth = _min_contrast(np.abs(left.data[None]) ** 2)
    nodes = _min_contrast(np.abs(ref.states) ** 2)
    record_property("exact_min_contrast", nodes)
    assert nodes < 0.1 * smooth
    assert traj.info["min_relative_density"] < 0.1 * smooth


def _min_contrast(p):
    """Smallest p_n / max(p_{n±1}) over sites whose neighbours hold ≥ 1e-3 of the peak."""
    nb = np.maximum(np.roll(p, 1, axis=1), np.roll(p, -1, axis=1))
    bulk = nb > 1e-3 * p.max()
    return float(np.min(p[bulk] / nb[bulk]))


def test_odd_trap_state_is_reported_at_its_site(trap1d):
    _, states = trap1d.eigh(2)
    odd = Wavefunction(trap1d.lattice, states[1])
    with pytest.raises(StabilityError, match=r"site \(80,\) \(x = \(0\.0,\)\) at t = 0 ") as info:
        MadelungLattice(trap1d).run(odd, (0.0, 1.0))
    assert info.value.t == 0.0
    assert info.value.step == 0


def test_dynamical_zero_on_a_site_is_reported_with_time_and_site(trap1d, exact):
    energies, states = trap1d.eigh(3)
    c = 80
    coef = states[0][c].real / states[2][c].real  # equal |values| at the centre, same sign now
    psi0 = Wavefunction(trap1d.lattice, states[0] + coef * states[2]).normalized()
    gap = (energies[2] - energies[0]) / trap1d.hbar
    t_star = math.pi / gap
    ml = MadelungLattice(trap1d)
    with pytest.raises(StabilityError, match=r"site \(80,\)") as info:
        ml.run(psi0, (0.0, 3.0))
    t_d = info.value.t
    # |ψ_c(t)| = |ψ_c(0)|·|cos(gap·t/2)|: slope |ψ_c(0)|·gap/2 at t*; neighbours from the
    # exact evolution at t*
    slope = abs(psi0.data[c]) * gap / 2.0
    psi_star = exact(trap1d, psi0, [t_star]).states[0]
    p_nb = float(max(abs(psi_star[c - 1]) ** 2, abs(psi_star[c + 1]) ** 2))
    bound = math.sqrt(ml.density_floor * p_nb) / slope
    assert t_star - 1.5 * bound <= t_d <= t_star + 1e-9
    assert f"t = {t_d:.10g}" in str(info.value)


def test_cut_gaussian_tail_is_not_a_singularity(trap1d):
    psi0 = gaussian(trap1d.lattice, 2.0, np.sqrt(0.5))
    p = np.abs(psi0.data) ** 2
    assert p[0] / p[-1] < 1e-30  # the seam contrast
    traj = MadelungLattice(trap1d).run(psi0, (0.0, 0.5))
    assert traj.info["min_density"] < 1e-60
    assert abs(traj["norm"][-1] - traj["norm"][0]) < 1e-9


def test_exact_zero_is_reported_even_in_a_tail(trap1d):
    data = gaussian(trap1d.lattice, 0.0, 0.7).data.copy()
    data[5] = 0.0  # p = 0 next to p ~ 1e-60: ln p = −∞ cannot be integrated
    with pytest.raises(StabilityError, match=r"site \(5,\)"):
        MadelungLattice(trap1d).run(data, (0.0, 1.0))
