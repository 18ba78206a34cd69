"""Finite-volume Fokker–Planck solver: conservation, time evolution, P6 and P7.

Convergence is asserted through fitted orders: the scheme is second order in space (central
/ exponentially fitted fluxes, one-sided stencils only at walls where p ≈ 0) and
Crank–Nicolson is second order in time.  A fitted order must lie within ±0.3 of 2: the
next term of the error expansion is O(h²) relative, which on the coarsest grids used here
(h/σ ≈ 0.2–0.4) moves a two-point slope by up to ≈ 0.2.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from scipy.integrate import cumulative_simpson
from scipy.linalg import expm

from quantgeo.learning import (
    FokkerPlanck,
    Grid,
    LearningProblem,
    gibbs_density,
    langevin_coefficients,
    schrodinger_operator,
    stationary_covariance,
)
from quantgeo.recording import Recorder
from tests.learning.learning_helpers import (
    A2,
    KAPPA2,
    state_dependent_problem,
    state_dependent_problem_1d,
)

ORDER, ORDER_TOL = 2.0, 0.3


def _order(hs: list[float], errs: list[float]) -> float:
    return float(np.polyfit(np.log(hs), np.log(errs), 1)[0])


def test_mass_conservation_and_relaxation_to_stationary() -> None:
    prob = state_dependent_problem(full=True)
    grid = Grid([(-5, 5), (-6, 6)], 40)
    fp = FokkerPlanck(prob, grid, 0.5, convention="covariant", dt=0.05)
    ones = np.ones(grid.size)
    assert np.abs(ones @ fp.operator).max() < 1e-12 * np.abs(fp.operator).max()
    p0 = grid.gaussian([1.0, -1.0], [[0.2, 0.0], [0.0, 0.3]])
    tr = fp.run(p0, (0.0, 30.0), recorder=Recorder(every=10.0, observables=("mass", "mean")))
    np.testing.assert_allclose(tr["mass"], tr["mass"][0], rtol=1e-12)
    p_inf = fp.stationary_density()
    assert grid.integrate(np.abs(tr.states[-1] - p_inf)) < 1e-6
    assert np.abs(fp.operator @ p_inf.ravel()).max() < 1e-10 * np.abs(fp.operator).max()


@pytest.mark.convergence
@pytest.mark.parametrize("a", [0.0, 1.0])
def test_time_evolution_matches_ornstein_uhlenbeck(a: float) -> None:
    """Constant κ, quadratic H: mean and covariance at t are e^{−Mt}m0 and
    Σ∞ − e^{−Mt}(Σ∞ − Σ0)e^{−Mᵀt}, M = γ g⁻¹A (exact)."""
    prob = LearningProblem.quadratic(A2, KAPPA2)
    gamma = 0.8
    from quantgeo.learning import inverse_metric

    M = gamma * inverse_metric(KAPPA2, a, diagonal=False) @ A2
    s_inf = stationary_covariance(A2, KAPPA2, a, gamma=gamma)
    m0, s0, t = np.array([0.8, -0.6]), np.diag([0.15, 0.2]), 0.7
    E = expm(-M * t)
    m_t, s_t = E @ m0, s_inf - E @ (s_inf - s0) @ E.T
    hs, errs = [], []
    for n in (24, 48, 96):
        grid = Grid([(-3.5, 3.5), (-4.5, 4.5)], n)
        fp = FokkerPlanck(prob, grid, a, gamma=gamma, dt=2e-3)
        tr = fp.run(grid.gaussian(m0, s0), (0.0, t), recorder=Recorder(observables=("mean", "cov")))
        errs.append(np.abs(tr["mean"][-1] - m_t).max() + np.abs(tr["cov"][-1] - s_t).max())
        hs.append(grid.spacing.max())
    assert abs(_order(hs, errs) - ORDER) <= ORDER_TOL, errs


@pytest.mark.convergence
def test_p6_a1_stationary_density_is_gibbs_in_riemannian_volume() -> None:
    """a = 1, covariant: p∞ = √det g · e^{−H/T}, error O(h²); current → 0 at O(h²)."""
    prob = state_dependent_problem(full=True)
    hs, errs, currents = [], [], []
    for n in (32, 64, 128):
        grid = Grid([(-6, 6), (-6, 6)], n)
        fp = FokkerPlanck(prob, grid, 1.0, convention="covariant")
        p = fp.stationary_density()
        errs.append(grid.integrate(np.abs(p - gibbs_density(prob, grid))))
        currents.append(fp.relative_current(p))
        hs.append(grid.spacing[0])
    assert errs[-1] < 2e-3
    assert abs(_order(hs, errs) - ORDER) <= ORDER_TOL, errs
    assert abs(_order(hs, currents) - ORDER) <= ORDER_TOL, currents


def test_p6_a0_same_kappa_has_a_stationary_current() -> None:
    prob = state_dependent_problem(full=True)
    out = {}
    for a in (0.0, 1.0):
        vals = []
        for n in (64, 128):
            fp = FokkerPlanck(prob, Grid([(-6, 6), (-6, 6)], n), a, convention="covariant")
            vals.append(fp.relative_current(fp.stationary_density()))
        out[a] = vals
    j0_coarse, j0 = out[0.0]
    # a = 0: converged (the 64 → 128 change is the O(h²) error, ≪ the value) and far above
    # the a = 1 residual
    assert abs(j0 - j0_coarse) < 0.25 * j0
    assert j0 > 10 * out[1.0][1]
    assert j0 > 0.03


@pytest.mark.convergence
def test_p6_1d_ito_form_of_theory_is_not_gibbs() -> None:
    """THEORY's Itô Fokker–Planck equation has the 1D stationary density (1/D)·exp(∫2b/D)
    (b = −γg⁻¹H'), i.e. g·e^{−H/T} at a = 1 — not √g·e^{−H/T}; the covariant form gives the
    latter.  Both converge at second order to their closed forms."""
    prob = state_dependent_problem_1d()
    gamma, c = 1.0, 1.0
    x_fine = np.linspace(-4.5, 4.5, 20001)
    co = langevin_coefficients(prob, x_fine[:, None], 1.0, gamma=gamma, c=c, convention="ito")
    ratio = 2 * co.drift[:, 0] / co.diffusion[:, 0, 0]
    log_ito = cumulative_simpson(ratio, x=x_fine, initial=0.0) - np.log(co.diffusion[:, 0, 0])
    hs, err_cov, err_ito = [], [], []
    for n in (50, 100, 200):
        grid = Grid([(-4.5, 4.5)], n)
        xc = grid.centers(0)
        ref_ito = grid.normalize(np.exp(np.interp(xc, x_fine, log_ito - log_ito.max())))
        p_cov = FokkerPlanck(
            prob, grid, 1.0, gamma=gamma, c=c, convention="covariant"
        ).stationary_density()
        p_ito = FokkerPlanck(
            prob, grid, 1.0, gamma=gamma, c=c, convention="ito"
        ).stationary_density()
        gibbs = gibbs_density(prob, grid, gamma=gamma, c=c)
        err_cov.append(grid.integrate(np.abs(p_cov - gibbs)))
        err_ito.append(grid.integrate(np.abs(p_ito - ref_ito)))
        hs.append(grid.spacing[0])
        g_metric = c * prob.kappa_at(xc[:, None])[:, 0, 0]
        np.testing.assert_allclose(
            ref_ito, grid.normalize(g_metric * np.exp(-prob.value(xc[:, None]) / 0.5)), rtol=1e-6
        )
    assert abs(_order(hs, err_cov) - ORDER) <= ORDER_TOL, err_cov
    assert abs(_order(hs, err_ito) - ORDER) <= ORDER_TOL, err_ito
    # the conventions differ by far more than the discretisation error
    assert grid.integrate(np.abs(p_ito - gibbs)) > 50 * max(err_cov[-1], err_ito[-1])


def _fp_and_schrodinger_spectra(prob: LearningProblem, grid: Grid, k: int = 10):
    fp = FokkerPlanck(prob, grid, 1.0, convention="covariant")
    mu = fp.eigenvalues(k)
    energies, vecs = spla.eigsh(schrodinger_operator(prob, grid), k=k, sigma=-1.0, which="LM")
    order = np.argsort(energies)
    psi0 = vecs[:, order[0]]
    psi0 = psi0 * np.sign(psi0.sum())
    root = np.sqrt(np.clip(fp.stationary_density(), 0, None)).ravel()
    return mu, energies[order], psi0, root / np.linalg.norm(root)


@pytest.mark.parametrize(
    ("dim", "sizes"),
    [(1, (100, 200, 400)), (2, (32, 64, 128))],
)
@pytest.mark.convergence
def test_p7_fokker_planck_similar_to_schrodinger(dim: int, sizes: tuple[int, ...]) -> None:
    """a = 1 (γ = c = 1, T = ½): eig(L_FP) = −γ·eig(−TΔ_g + V_eff) for the 10 lowest modes and
    the ground state is √p∞, both to O(h²).  2D uses a diagonal (still anisotropic and state
    dependent) κ(q): with off-diagonal κ the central cross-diffusion stencil makes the
    non-normal FP matrix grow spurious tail modes (see docs/learning.md)."""
    if dim == 1:
        prob = state_dependent_problem_1d()
        bounds = [(-4.5, 4.5)]
    else:
        prob = state_dependent_problem(full=False)
        # walls where H/T ≥ 49: the FP zero-flux (Robin for ψ) and the Schrödinger Neumann
        # conditions then differ by less than the discretisation error
        bounds = [(-6.0, 6.0), (-7.0, 7.0)]
    hs, gaps, gs = [], [], []
    for n in sizes:
        grid = Grid(bounds, n)
        mu, energies, psi0, root = _fp_and_schrodinger_spectra(prob, grid)
        assert np.abs(mu.imag).max() < 1e-8
        rates = np.sort(-mu.real)
        gaps.append(np.abs(rates - energies).max() / energies[-1])
        gs.append(np.linalg.norm(psi0 - root))
        hs.append(grid.spacing.max())
        assert abs(rates[0]) < 1e-8  # the stationary state
    assert abs(_order(hs, gaps) - ORDER) <= ORDER_TOL, gaps
    assert abs(_order(hs, gs) - ORDER) <= ORDER_TOL, gs
