"""Cross-checks against population-genetics packages (test-only; GPL, never runtime deps).

* egttools: the small-mutation stationary distribution of the pairwise-comparison (Fermi) Moran
  process with constant fitnesses is the Sella–Hirsh Boltzmann law with ν = Z − 1 (tolerance
  1e-12: both are double-precision linear algebra on a well-conditioned 5-state chain), and its
  fixation probability is the closed form (1 − e^{−s})/(1 − e^{−Zs}) (1e-14 relative).
* msprime: in the discrete-time Wright–Fisher model (``model="dtwf"``) two genes have not
  coalesced by generation t with probability (1 − 1/2N)^t — the neutral heterozygosity decay
  our Wright–Fisher kernel reproduces; compared within 3 standard errors of both simulations.
"""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo.evolution import (
    WrightFisher,
    heterozygosity_decay,
    origin_fixation_generator,
    sella_hirsh_distribution,
    sella_hirsh_nu,
    stationary_distribution,
)
from quantgeo.recording import Recorder


def test_egttools_small_mutation_limit_is_sella_hirsh():
    import egttools.analytical as an  # in the test extra: a missing package fails, never skips

    f = np.array([0.3, -0.2, 0.1, 0.5, 0.0])
    pop, beta = 40, 0.2
    payoffs = np.tile(f[:, None], (1, f.size))  # fitness independent of the opponent
    dyn = an.StochDynamics(f.size, payoffs, pop)
    pi = np.asarray(dyn.calculate_stationary_distribution(beta))
    ref = sella_hirsh_distribution(beta * f, sella_hirsh_nu(pop, model="moran"))
    np.testing.assert_allclose(pi, ref, atol=1e-12)
    ours = stationary_distribution(origin_fixation_generator(beta * f, pop, model="moran"))
    np.testing.assert_allclose(ours, pi, atol=1e-12)
    for inv, res in [(3, 1), (1, 3), (0, 4)]:
        s = beta * (f[inv] - f[res])
        rho = dyn.fixation_probability(inv, res, beta)
        assert rho == pytest.approx(np.expm1(-s) / np.expm1(-pop * s), rel=1e-14)


def test_msprime_dtwf_coalescence_matches_heterozygosity_decay():
    import msprime

    n, reps = 100, 5000
    sims = msprime.sim_ancestry(
        samples=1, population_size=n, ploidy=2, model="dtwf", num_replicates=reps, random_seed=5
    )
    tmrca = np.array([ts.first().tmrca(0, 1) for ts in sims])
    times = np.array([50.0, 100.0, 200.0, 400.0])
    surv = np.array([(tmrca > t).mean() for t in times])
    exact = heterozygosity_decay(times, 1.0, n)
    se_ms = np.sqrt(exact * (1 - exact) / reps)
    assert np.all(np.abs(surv - exact) <= 3 * se_ms), (surv, exact)
    # our kernel: E[H_t]/H_0 from 2·10⁴ neutral populations starting at x = ½
    wf = WrightFisher(n, None, seed=8)
    rec = Recorder(
        times=np.concatenate([[0.0], times]),
        observables=("heterozygosity", "heterozygosity_se"),
        store_states=False,
    )
    tr = wf.run([0.5, 0.5], 400, recorder=rec, replicates=20_000)
    ratio = tr["heterozygosity"][1:] / 0.5
    se_wf = tr["heterozygosity_se"][1:] / 0.5
    assert np.all(np.abs(ratio - surv) <= 3 * np.hypot(se_ms, se_wf)), (ratio, surv)
