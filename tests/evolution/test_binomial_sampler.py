"""The fresh-p binomial sampler (BTRD / inversion): its draws against the exact binomial pmf
(chi-square), kernel == twin draw for draw, and the Wright–Fisher blocks: results independent
of the thread count."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest
from scipy import stats

from quantgeo._kernels import binomial as kb
from quantgeo._kernels import binomial_reference as rb
from quantgeo.evolution import WrightFisher
from quantgeo.evolution.wright_fisher import BLOCK
from quantgeo.recording import Recorder
from tests.conftest import chi_square


def _draw(mod, seed: int, n: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, float]:
    """Draws of ``mod.binomials`` and the generator's next uniform (the stream consumed)."""
    m = n.size
    out = np.zeros(m, dtype=np.int64)
    rng = np.random.default_rng(seed)
    work = (np.empty(m), np.empty(m, np.int64), np.empty(m, np.int64), np.empty(m, np.uint8))
    top = int(n.max())
    mod.binomials(rng, n, p, out, m, kb.log_factorials(top), kb.reciprocals(top), *work)
    return out, float(rng.random())


# (n, p) covering every branch: inversion (n p' < 10) on both sides of ½, BTRD at its threshold,
# with |X − m| ≤ 15 and beyond (the log-factorial test decides both), p = ½
CASES = [
    (1, 0.3),
    (7, 0.5),
    (200, 0.004),
    (200, 0.97),
    (20, 0.5),
    (100, 0.1),
    (60, 0.35),
    (200, 0.8),
    (2000, 0.5),
    (20_000, 0.3),
    (40_000, 0.999),
]


def test_draws_are_binomial():
    # three (n, p) interleaved in one batch, so pending draws of different branches share
    # rounds; each case gets 10⁵ draws
    per = 100_000
    order = np.random.default_rng(0).permutation(np.repeat(np.arange(len(CASES)), per))
    n = np.array([CASES[i][0] for i in order], dtype=np.int64)
    p = np.array([CASES[i][1] for i in order])
    draws, _ = _draw(kb, 17, n, p)
    # α = 1e-4 per case (a correct sampler fails one case in 10⁴)
    for j, (nj, pj) in enumerate(CASES):
        hist = np.bincount(draws[order == j], minlength=nj + 1)
        assert hist.size == nj + 1  # no draw outside 0 … n
        stat, df = chi_square(hist, stats.binom.pmf(np.arange(nj + 1), nj, pj))
        assert stat <= stats.chi2.isf(1e-4, df), (nj, pj, stat, df)


def test_moments_with_a_fresh_p_each_draw():
    # p drawn afresh per entry (the Wright–Fisher use): the sum of the draws against its exact
    # mean and variance, Σ n p and Σ n p (1 − p), within 4 SD
    rng = np.random.default_rng(3)
    for n_val in (60, 3000):
        p = rng.random(200_000)
        n = np.full(p.size, n_val, dtype=np.int64)
        draws, _ = _draw(kb, 5, n, p)
        mean, var = float(np.sum(n * p)), float(np.sum(n * p * (1 - p)))
        assert abs(draws.sum() - mean) <= 4 * np.sqrt(var)
        resid = (draws - n * p) ** 2 - n * p * (1 - p)  # E = 0 for each entry
        sd = np.sqrt(np.sum(2 * (n * p * (1 - p)) ** 2 + n * p * (1 - p) * (1 - 6 * p * (1 - p))))
        assert abs(resid.sum()) <= 4 * sd


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_equals_twin(seed):
    rng = np.random.default_rng(100 + seed)
    m = 20_000
    n = rng.choice([0, 1, 5, 30, 200, 5000, 40_000], size=m).astype(np.int64)
    p = rng.random(m) ** rng.choice([1.0, 4.0, 0.25], size=m)
    p[rng.random(m) < 0.02] = 0.0
    p[rng.random(m) < 0.02] = 1.0
    a, next_a = _draw(kb, seed, n, p)
    b, next_b = _draw(rb, seed, n, p)
    np.testing.assert_array_equal(a, b)
    assert next_a == next_b  # the same number of uniforms consumed
    assert np.all(a[p == 0.0] == 0) and np.all(a[p == 1.0] == n[p == 1.0])


@pytest.mark.parametrize("n_val, p_val", [(200, 0.03), (40, 0.5), (2000, 0.3)])
def test_both_forms_equal_the_twin(n_val, p_val):
    # a batch mostly inverted (n p' < 10: drawn by binomial_chunked.rounds_chunked), one of
    # BTRD only and a mixed one (the set-up rows of binomial.rounds): kernel == twin, and the
    # same number of uniforms consumed
    rng = np.random.default_rng(n_val)
    p = np.clip(rng.normal(p_val, 0.3 * p_val, 5000), 1e-6, 1 - 1e-6)
    n = np.full(p.size, n_val, dtype=np.int64)
    a, next_a = _draw(kb, 4, n, p)
    b, next_b = _draw(rb, 4, n, p)
    np.testing.assert_array_equal(a, b)
    assert next_a == next_b


def test_branch_free_log_is_within_one_ulp():
    # BTRD's acceptance test takes its logarithms from ln (fdlibm's log without branches, so
    # the slow region vectorises): kernel == twin bit for bit, and within fdlibm's bound of
    # 1 ulp of ln x in 40-digit decimal arithmetic, on BTRD's arguments (0 < x ≤ 1) and beyond
    rng = np.random.default_rng(8)
    special = [1.0, 0.5, 2.0, np.sqrt(0.5), np.sqrt(2.0), np.nextafter(1.0, 0.0), 2.0**-200]
    x = np.concatenate(
        [
            rng.random(1500),
            np.exp(rng.uniform(-700.0, 700.0, 1500)),
            1.0 + rng.uniform(-1e-4, 1e-4, 500),
            special,
            [np.finfo(float).tiny, np.finfo(float).max],
        ]
    )
    twin = rb.ln(x)
    kernel = np.array([kb.ln(v) for v in x.tolist()])
    np.testing.assert_array_equal(kernel, twin)
    with localcontext() as ctx:
        ctx.prec = 40
        exact = [Decimal(v).ln() for v in x.tolist()]
    err = np.array([float(abs(Decimal(y) - e)) for y, e in zip(twin.tolist(), exact, strict=True)])
    ulp = np.spacing(np.abs(np.array([float(e) for e in exact])))
    assert np.all(err < ulp), float(np.max(err / ulp))
    assert kb.ln(0.0) == -np.inf and rb.ln(np.array([0.0]))[0] == -np.inf


def _run(backend: str, workers: int, reps: int, n: int = 40, x0=None, **model) -> object:
    wf = WrightFisher(n, seed=12, backend=backend, workers=workers, **model)
    k = wf.n_alleles
    return wf.run(
        np.full(k, 1 / k) if x0 is None else x0,
        30,
        recorder=Recorder(every=10, observables=("mean",)),
        replicates=reps,
    )


@pytest.mark.parametrize(
    "model",
    [
        {"fitness": [0.02, 0.0, -0.01], "mutation": 0.002},  # general kernel, K = 3
        {"fitness": [0.02, 0.0], "mutation": (0.002, 0.001)},  # the K = 2 tables
        {"fitness": lambda x: 1.0 + 0.05 * x[:, ::-1], "n_alleles": 2},  # a callable
        # the count chain beyond the full tables (N_g = 4000), from 3 copies: rows and BTRD
        {"n": 2000, "x0": [3 / 4000, 3997 / 4000], "fitness": [0.05, 0.0]},
        {"n": 2000, "fitness": [0.01, 0.0], "mutation": (1e-4, 2e-4)},
    ],
)
def test_results_do_not_depend_on_the_thread_count(model):
    reps = 2 * BLOCK + 77  # three blocks, the last one short
    runs = [_run("numba", w, reps, **model) for w in (1, 2, 3)]
    runs.append(_run("numpy", 2, reps, **model))  # the twin, block by block
    assert runs[0].info["blocks"] == 3 and runs[1].info["workers"] == 2
    for other in runs[1:]:
        np.testing.assert_array_equal(other.states, runs[0].states)
        for key in ("fixation_time", "fixed_allele", "loss_time"):
            np.testing.assert_array_equal(other.info[key], runs[0].info[key])


def test_a_block_does_not_depend_on_later_blocks():
    # block b draws from SeedSequence(seed).spawn(B)[b], whatever the number B of blocks
    model = {"fitness": [0.02, 0.0, -0.01], "mutation": 0.002}
    one = _run("numba", 1, BLOCK, **model)
    two = _run("numba", 1, BLOCK + 5, **model)
    np.testing.assert_array_equal(two.states[:, :BLOCK], one.states)


@pytest.mark.parametrize("c", [2, 40, 1500, 3990])
def test_one_chain_generation_is_binomial(c):
    # beyond the full tables (N_g = 4000): the states near 0 and N_g invert their rows, the
    # others draw BTRD / inversion binomials; one generation from c copies against the pmf
    n, reps, s = 2000, 200_000, 0.02
    ng = 2 * n
    wf = WrightFisher(n, [s, 0.0], seed=31)
    tr = wf.run(
        np.array([c, ng - c]) / ng,
        1,
        recorder=Recorder(observables=(), store_states=True),
        replicates=reps,
    )
    assert tr.info["sampler"] == "binomial" and tr.info["tabulated_states"] > 0
    counts = np.rint(tr.states[-1][:, 0] * ng).astype(int)
    x = c / ng
    z = x * (1 + s) / (x * (1 + s) + (1 - x))  # selection, written out independently
    pmf = stats.binom.pmf(np.arange(ng + 1), ng, z)
    stat, df = chi_square(np.bincount(counts, minlength=ng + 1), pmf)
    assert stat <= stats.chi2.isf(1e-4, df), (stat, df)


@pytest.mark.parametrize("workers", [0, -2, 1.5, True])
def test_bad_workers(workers):
    with pytest.raises(ValueError, match="`workers` must be a positive integer or None"):
        WrightFisher(10, workers=workers)
