"""The ensemble histogram converges to the Fokker–Planck density with error ∝ 1/√walkers.

1D double well, state-dependent κ(q) = 0.5 + 0.25 q², a = ½, covariant convention, evolved
for t = 0.5 from a Gaussian (not stationary: this checks the dynamics, drift, noise-induced
drift and diffusion).  The reference is a fine Fokker–Planck solution (800 cells, dt = 1e-3,
O(h², dt²) ≈ 1e-5) averaged onto the 40 histogram bins.  The Euler–Maruyama bias at
dt = 2e-3 (weak order 1) was measured at ≈ 1.5e-3 in L1 with 10⁶ walkers, an order below the
statistical error at the largest ensemble used here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantgeo.learning import DoubleWell, FokkerPlanck, Grid, LangevinEnsemble
from quantgeo.learning.regimes import l1_floor
from quantgeo.recording import Recorder

WALKERS = (1000, 4000, 16000, 64000)
SEEDS = 4
A, T_END, DT = 0.5, 0.5, 2e-3
MEAN0, VAR0 = -0.5, 0.04


@pytest.mark.convergence
def test_histogram_error_scales_as_inverse_sqrt_walkers() -> None:
    prob = DoubleWell(1, depth=0.5, noise_cov=[[0.5]], multiplicative=0.5).problem()
    fine = Grid([(-3.5, 3.5)], 800)
    fp = FokkerPlanck(prob, fine, A, dt=1e-3, convention="covariant")
    p_t = fp.run(fine.gaussian([MEAN0], [[VAR0]]), (0.0, T_END)).states[-1]
    bins = fine.coarsen(20)
    p_bins = fine.block_average(p_t, 20)
    mass = p_bins * bins.cell_volume
    errs = np.empty((len(WALKERS), SEEDS))
    for i, n in enumerate(WALKERS):
        for s in range(SEEDS):
            ens = LangevinEnsemble(
                prob, A, dt=DT, n_walkers=n, seed=100 + s, grid=bins, convention="covariant"
            )
            q0 = ens.initial_state([MEAN0], [[VAR0]])
            rec = Recorder(observables=("histogram",), store_states=False)
            hist = ens.run(q0, (0.0, T_END), recorder=rec)["histogram"][-1]
            errs[i, s] = bins.integrate(np.abs(hist - p_bins))
    # least-squares slope of log(error) against log(walkers), with its standard error
    x = np.repeat(np.log(WALKERS), SEEDS)
    y = np.log(errs.ravel())
    X = np.column_stack([np.ones_like(x), x])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    se = math.sqrt(resid @ resid / (len(y) - 2) * np.linalg.inv(X.T @ X)[1, 1])
    assert abs(beta[1] + 0.5) <= 3 * se, f"slope {beta[1]:.3f} ± {se:.3f}"
    # no bias left at the largest ensemble: the mean L1 distance is the multinomial noise floor
    floor, sd = l1_floor(mass, WALKERS[-1])
    assert abs(errs[-1].mean() - floor) <= 3 * sd / math.sqrt(SEEDS), (errs[-1], floor, sd)
