"""Wright–Fisher simulations against Kimura's formula, the exact heterozygosity decay and
Wright's stationary density; kernel == twin; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo.evolution import (
    WrightFisher,
    fixation_fraction,
    genotype_fitness,
    heterozygosity_decay,
    kimura_fixation_probability,
    wright_bin_probabilities,
)
from quantgeo.recording import Recorder

N = 100  # diploid: N_g = 200 gene copies
NG = 2 * N


def _fixation_case(four_ns: float, replicates: int = 20_000) -> None:
    s = four_ns / (4 * N)
    p0 = 0.1  # a multiple of 1/N_g, so the start is a state of the chain
    wf = WrightFisher(N, [s, 0.0], seed=11)
    # absorption tail ~ e^{-t/N_g}: 30 N_g generations leave no replicate unabsorbed
    tr = wf.run([p0, 1 - p0], 30 * NG, replicates=replicates)
    assert np.all(np.asarray(tr.info["fixation_time"]) > 0)
    p, _ = fixation_fraction(tr, 0)
    u = float(kimura_fixation_probability(p0, N, s))
    se = np.sqrt(u * (1 - u) / replicates)  # binomial SE of the reference value
    assert abs(p - u) <= 3 * se, (four_ns, p, u, se)


def test_fixation_matches_kimura_fast():
    _fixation_case(2.0)


@pytest.mark.slow
@pytest.mark.parametrize("four_ns", [0.0, 10.0, -2.0])
def test_fixation_matches_kimura(four_ns):
    _fixation_case(four_ns)


def test_neutral_heterozygosity_decays_exactly():
    # E[H_t] = H_0 (1 − 1/N_g)^t holds exactly for the chain (any K, no mutation)
    reps = 20_000
    x0 = np.array([0.2, 0.3, 0.5])
    wf = WrightFisher(N, None, n_alleles=3, seed=5)
    rec = Recorder(
        every=25, observables=("heterozygosity", "heterozygosity_se"), store_states=False
    )
    tr = wf.run(x0, 300, recorder=rec, replicates=reps)
    h0 = 1 - np.sum(x0**2)
    ref = heterozygosity_decay(tr.times, h0, N)
    se = tr["heterozygosity_se"]
    assert np.all(np.abs(tr["heterozygosity"] - ref) <= 3 * np.maximum(se, 1e-300))
    assert tr["heterozygosity"][-1] < 0.3 * h0  # the decay is resolved, not trivial


def _stationary_tv(replicates: int, generations: int) -> tuple[float, float]:
    theta_u, theta_v, four_ns = 2.0, 3.0, 4.0
    u, v, s = theta_u / (4 * N), theta_v / (4 * N), four_ns / (4 * N)
    wf = WrightFisher(N, [s, 0.0], (u, v), seed=3)
    tr = wf.run([0.5, 0.5], generations, replicates=replicates)
    counts = np.rint(tr.states[-1][:, 0] * NG).astype(int)
    # 20 bins of 10 count values each (the last also holds 200), edges half-way between values
    lo = np.arange(0, NG, 10)
    hist = np.bincount(np.minimum(counts // 10, lo.size - 1), minlength=lo.size) / replicates
    edges = np.clip(np.append(lo - 0.5, NG + 0.5) / NG, 0.0, 1.0)
    ref = wright_bin_probabilities(edges, N, s=s, u=u, v=v)
    tv = 0.5 * float(np.abs(hist - ref).sum())
    # the multinomial floor: TV of `replicates` exact draws from `ref` (99th percentile)
    rng = np.random.default_rng(0)
    floor = [
        0.5 * np.abs(rng.multinomial(replicates, ref) / replicates - ref).sum() for _ in range(400)
    ]
    return tv, float(np.quantile(floor, 0.99))


def test_stationary_histogram_matches_wright_fast():
    # relaxation rate ≥ u + v = 1/80 per generation: 1000 generations are ~12 e-folds
    tv, floor = _stationary_tv(10_000, 1000)
    assert tv <= floor, (tv, floor)


@pytest.mark.slow
def test_stationary_histogram_matches_wright():
    tv, floor = _stationary_tv(20_000, 4000)
    assert tv <= floor, (tv, floor)


@pytest.mark.parametrize(
    ("fitness", "mutation", "k", "ploidy"),
    [
        ([0.02, 0.0], 0.0, 2, 2),
        ([0.02, 0.0], (0.01, 0.02), 2, 1),
        ([0.03, -0.01, 0.0, 0.01], 0.004, 4, 2),
        (genotype_fitness([[1.1, 1.05], [1.05, 1.0]]), (0.001, 0.001), 2, 2),
    ],
)
def test_kernel_equals_twin(fitness, mutation, k, ploidy):
    out = {}
    for backend in ("numba", "numpy"):
        wf = WrightFisher(
            30, fitness, mutation, n_alleles=k, ploidy=ploidy, seed=9, backend=backend
        )
        out[backend] = wf.run(
            np.full(k, 1 / k),
            200,
            recorder=Recorder(every=20, observables=("mean",)),
            replicates=500,
        )
    a, b = out["numba"], out["numpy"]
    assert a.states is not None and b.states is not None
    np.testing.assert_array_equal(a.states, b.states)
    for key in ("fixation_time", "fixed_allele", "loss_time"):
        np.testing.assert_array_equal(a.info[key], b.info[key])
    assert np.all(np.abs(a.states.sum(axis=-1) - 1) < 1e-12)


def test_absorption_times_are_consistent():
    wf = WrightFisher(20, [0.05, 0.0], seed=1)
    tr = wf.run([0.5, 0.5], 2000, replicates=300)
    fix, allele = np.asarray(tr.info["fixation_time"]), np.asarray(tr.info["fixed_allele"])
    loss = np.asarray(tr.info["loss_time"])
    assert np.all(fix > 0)
    # fixation of one allele is the loss of the other, in the same generation
    np.testing.assert_array_equal(loss[np.arange(300), 1 - allele], fix)
    np.testing.assert_array_equal(tr.states[-1][np.arange(300), allele], 1.0)


def test_expected_next_is_the_selection_mutation_map():
    wf = WrightFisher(10, [0.1, 0.0], (0.01, 0.02))
    x = np.array([[0.3, 0.7]])
    y = 0.3 * 1.1 / (0.3 * 1.1 + 0.7)
    z = y * (1 - 0.02) + (1 - y) * 0.01
    np.testing.assert_allclose(wf.expected_next(x)[0], [z, 1 - z], rtol=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "`n` must be a positive integer"),
        ({"n": 10, "fitness": [-1.5, 0.0]}, "`fitness` must give weights 1 \\+ s ≥ 0"),
        ({"n": 10, "mutation": -0.1}, "`mutation` must be a rate in \\[0, 1\\]"),
        ({"n": 10, "mutation": (0.1, -0.01)}, "`mutation` rates must be finite and in \\[0, 1\\]"),
        ({"n": 10, "ploidy": 3}, "`ploidy` must be 1 \\(haploid\\) or 2"),
    ],
)
def test_bad_model_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        WrightFisher(**kwargs)


@pytest.mark.parametrize(
    ("x0", "match"),
    [
        ([1.2, -0.2], "`x0` must have every frequency in \\[0, 1\\], got 1.2"),
        ([0.3, 0.3], "`x0` must sum to 1"),
        ([0.5, 0.2, 0.3], "`x0` must have 2 allele frequencies"),
    ],
)
def test_bad_frequencies(x0, match):
    with pytest.raises(ValueError, match=match):
        WrightFisher(10).run(x0, 5)


def test_callable_fitness_with_negative_weights_is_refused():
    wf = WrightFisher(10, lambda x: x - 0.5)
    with pytest.raises(ValueError, match="`fitness` must give weights"):
        wf.run([0.2, 0.8], 3, replicates=4)


def test_dominance_fixation_matches_the_diffusion_integral():
    # genotype fitnesses 1+s, 1+hs, 1 (allele 0 favoured): M = s x(1−x)[h + (1−2h)x],
    # u(p) = ∫_0^p ψ/∫_0^1 ψ with ψ(y) = exp(−4Ns[h y + (1−2h) y²/2]) (Kimura 1962)
    import scipy.integrate as si

    s, h, p0, reps = 0.02, 0.2, 0.1, 20_000
    wf = WrightFisher(N, genotype_fitness([[1 + s, 1 + h * s], [1 + h * s, 1.0]]), seed=13)
    tr = wf.run([p0, 1 - p0], 30 * NG, replicates=reps)
    assert np.all(np.asarray(tr.info["fixation_time"]) > 0)
    p, _ = fixation_fraction(tr, 0)

    def psi(y: float) -> float:
        return float(np.exp(-4 * N * s * (h * y + (1 - 2 * h) * y * y / 2)))

    u = si.quad(psi, 0, p0)[0] / si.quad(psi, 0, 1)[0]
    assert abs(p - u) <= 3 * np.sqrt(u * (1 - u) / reps), (p, u)
