"""The K = 2 Wright–Fisher table sampler: its alias tables against the exact binomial pmf (the
uniforms each outcome receives), its draws at every column threshold, one generation against
the exact binomial pmf (chi-square), and kernel == twin off the grid."""

from __future__ import annotations

import decimal

import numpy as np
import pytest
from scipy import stats

from quantgeo._kernels import evolution
from quantgeo._kernels import evolution_reference as ev
from quantgeo.evolution import WrightFisher
from quantgeo.recording import Recorder
from tests.conftest import chi_square

EPS = 2.0**-53


def _z(n_genes: int, s: float, u: float, v: float) -> np.ndarray:
    # selection then mutation at x = c/N_g, written out independently of the engine
    x = np.arange(n_genes + 1) / n_genes
    y = x * (1 + s) / (x * (1 + s) + (1 - x))
    return y * (1 - v) + (1 - y) * u


def _exact_cdf(n: int, p: float, k_hi: int) -> np.ndarray:
    """``P(X ≤ k)`` for ``k = 0 … k_hi``, ``X ~ Bin(n, p)`` at the double ``p``, in 40-digit
    decimal arithmetic (an independent reference: scipy's ``binom.cdf`` is off by ~400 ulp in
    places)."""
    with decimal.localcontext(decimal.Context(prec=40, Emin=-(10**7))):
        pd = decimal.Decimal(p)
        qd = 1 - pd
        term = qd**n
        acc = term
        out = [acc]
        for k in range(k_hi):
            term = term * (n - k) / (k + 1) * pd / qd
            acc += term
            out.append(acc)
    return np.array([float(v) for v in out])


def _exact_pmf(n: int, p: float, k_hi: int) -> np.ndarray:
    """``P(X = k)`` for ``k = 0 … k_hi`` in 40-digit decimal arithmetic."""
    with decimal.localcontext(decimal.Context(prec=40, Emin=-(10**7))):
        pd = decimal.Decimal(p)
        qd = 1 - pd
        term = qd**n
        out = [term]
        for k in range(k_hi):
            term = term * (n - k) / (k + 1) * pd / qd
            out.append(term)
    return np.array([float(v) for v in out])


def _implied_counts(thr: np.ndarray, alias: np.ndarray, bits: int) -> np.ndarray:
    """How many of the 2⁵³ values of ``k = 2⁵³ u`` the alias row sends to each outcome:
    ``thr_j`` to column ``j`` itself, ``2^{53 − b} − thr_j`` to its alias."""
    cap = 1 << (53 - bits)
    got = np.zeros(thr.size, dtype=np.int64)
    np.add.at(got, np.arange(thr.size), thr)
    np.add.at(got, alias, cap - thr)
    return got


@pytest.mark.parametrize(
    ("n_genes", "s", "u", "v", "every"), [(60, 0.0, 0.0, 0.0, 1), (2000, 0.01, 1e-3, 2e-3, 37)]
)
def test_tables_are_the_binomial_pmf(n_genes, s, u, v, every):
    z = _z(n_genes, s, u, v)
    lo, width, offset, mode, rho, bits, cells, ready = ev.inversion_tables(z, n_genes)
    assert np.all(ready == 1)
    states = np.arange(0, n_genes + 1, every)
    cdf, thr, alias = ev.alias_rows(states, n_genes, lo, width, mode, rho, bits)
    for row, c in enumerate(states):
        o, m, b = offset[c], width[c], bits[c]
        n = 1 << b
        assert n >= m > n // 2 or m == n == 1
        f, th, al = cdf[row, :m], thr[row, :n], alias[row, :n]
        # the cells hold the aliases and the thresholds' top 16 bits
        np.testing.assert_array_equal(cells[o : o + n] & 0xFFFF, al)
        np.testing.assert_array_equal(cells[o : o + n] >> 16, th >> (37 - b))
        assert np.all((th >= 0) & (th < 1 << (53 - b)))
        # the alias row sends to each outcome exactly as many 53-bit uniforms as inversion
        # through F does, ⌈2⁵³ F(i)⌉ − ⌈2⁵³ F(i − 1)⌉, and none past the window
        ceil = np.ceil(f * 2.0**53).astype(np.int64)
        counts = _implied_counts(th, al, b)
        np.testing.assert_array_equal(counts[:m], np.diff(ceil, prepend=0))
        assert np.all(counts[m:] == 0)
        assert f[-1] == 1.0
        if not 0.0 < z[c] < 1.0:
            assert m == 1  # the point mass at 0 or N_g
            continue
        exact = _exact_cdf(n_genes, float(z[c]), lo[c] + m - 1)
        # the row leaves out < 2e^{-42} (Bernstein) below lo and above its end
        below = exact[lo[c] - 1] if lo[c] > 0 else 0.0
        assert below + (1.0 - exact[-1]) < 2 * np.exp(-42.0)
        exact = exact[lo[c] :]
        # each ratio step from the mode rounds 3 times and ρ = p/(1 − p) twice: ≤ 5 ε per
        # step, ≤ m steps; then sums of ≤ m terms and one division: relative ≤ (7m + 1) ε
        tol = (7 * m + 1) * EPS * exact[:-1] + 2 * np.exp(-42.0)
        err = np.abs(f[:-1] - exact[:-1])
        assert np.all(err <= tol), (c, float(np.max(err / tol)))
        # the implied pmf, counts · 2⁻⁵³: F's errors at both ends of each outcome and < 2⁻⁵³
        # from the two ceilings
        pmf = _exact_pmf(n_genes, float(z[c]), lo[c] + m - 1)[lo[c] :]
        tol_f = np.append(tol, 2 * np.exp(-42.0))
        bound = tol_f + np.concatenate([[2 * np.exp(-42.0)], tol_f[:-1]]) + EPS
        gap = np.abs(counts[:m] * EPS - pmf)
        assert np.all(gap <= bound), (c, float(np.max(gap / bound)))
        assert float(np.max(gap)) < 1e-12


def test_kernel_and_twin_write_the_same_rows():
    # rows are written as the replicates reach them, by the kernel or by the twin, in batches
    # of any size: each row must come out bit for bit the same
    n_genes = 300
    z = _z(n_genes, 0.02, 1e-3, 1e-3)
    full = ev.inversion_tables(z, n_genes)
    twin = ev.table_layout(z, n_genes)
    kern = ev.table_layout(z, n_genes)
    for part in (np.arange(150, 170), np.array([0, 299, 300]), np.arange(n_genes + 1)[::7]):
        ev.fill_rows(part, n_genes, *twin)
    ev.fill_rows(np.flatnonzero(twin[7] == 0), n_genes, *twin)
    evolution.fill_rows(np.arange(n_genes + 1)[::-1].copy(), n_genes, *kern)
    offset, bits = full[2], full[5]
    for c in range(n_genes + 1):
        sl = slice(offset[c], offset[c] + (1 << bits[c]))
        for tab in (twin, kern):
            np.testing.assert_array_equal(tab[6][sl], full[6][sl])


@pytest.mark.parametrize("n_genes", [60, 2000])
def test_alias_draws_at_every_column_threshold(n_genes):
    # for every column j of every row, the uniforms k 2⁻⁵³ just below, at and above its
    # threshold (k = j·cap + thr_j + δ): the outcome switches from j to its alias there, in
    # the kernel (its cell head, the full threshold on a tie) and in the twin alike
    z = _z(n_genes, 0.01, 1e-3, 2e-3)
    tables = ev.inversion_tables(z, n_genes)
    lo, width, offset, mode, rho, bits, _, _ = tables
    states = np.arange(n_genes + 1)
    _, thr, alias = ev.alias_rows(states, n_genes, lo, width, mode, rho, bits)
    c = np.repeat(states, 1 << bits)
    j = np.arange(c.size) - offset[c]
    cap = np.int64(1) << (53 - bits[c])
    th, al = thr[c, j], alias[c, j]
    ties = 0
    for delta in (-1, 0, 1):
        k = np.clip(j * cap + th + delta, j * cap, (j + 1) * cap - 1)
        u = k.astype(np.float64) * EPS
        assert np.array_equal(u * 2.0**53, k.astype(np.float64))  # u exact
        want = np.where(k - j * cap < th, j, al)
        ties += int(np.sum((k - j * cap) >> (37 - bits[c]) == th >> (37 - bits[c])))
        np.testing.assert_array_equal(evolution.alias_draws(u, c, n_genes, *tables), want)
        np.testing.assert_array_equal(ev.alias_draws(u, c, n_genes, *tables), want)
    assert ties > c.size  # the tie path (full threshold) is exercised


@pytest.mark.parametrize(
    ("c", "s", "u", "v"),
    [(1, 0.0, 0.0, 0.0), (37, 0.02, 0.0, 0.0), (100, 0.01, 1e-3, 2e-3), (195, -0.01, 5e-3, 1e-3)],
)
def test_one_generation_is_binomial(c, s, u, v):
    n, reps = 100, 200_000
    ng = 2 * n
    wf = WrightFisher(n, [s, 0.0], (u, v), seed=21)
    tr = wf.run(
        np.array([c, ng - c]) / ng,
        1,
        recorder=Recorder(observables=(), store_states=True),
        replicates=reps,
    )
    assert tr.info["sampler"] == "table"
    counts = np.rint(tr.states[-1][:, 0] * ng).astype(int)
    hist = np.bincount(counts, minlength=ng + 1)
    pmf = stats.binom.pmf(np.arange(ng + 1), ng, _z(ng, s, u, v)[c])
    stat, df = chi_square(hist, pmf)
    # α = 1e-4: a correct sampler fails one run in 10⁴
    assert stat <= stats.chi2.isf(1e-4, df), (stat, df)


@pytest.mark.parametrize("c", [1000, 37])
def test_one_generation_on_wide_rows_is_binomial(c):
    # N_g = 2000: rows of up to 512 alias columns (b = 9), the benchmark's selection +
    # mutation model, one generation against the exact pmf
    n, reps = 1000, 200_000
    ng = 2 * n
    wf = WrightFisher(n, [0.01, 0.0], (1e-3, 1e-3), seed=23)
    tr = wf.run(
        np.array([c, ng - c]) / ng,
        1,
        recorder=Recorder(observables=(), store_states=True),
        replicates=reps,
    )
    assert tr.info["sampler"] == "table"
    counts = np.rint(tr.states[-1][:, 0] * ng).astype(int)
    pmf = stats.binom.pmf(np.arange(ng + 1), ng, _z(ng, 0.01, 1e-3, 1e-3)[c])
    stat, df = chi_square(np.bincount(counts, minlength=ng + 1), pmf)
    assert stat <= stats.chi2.isf(1e-4, df), (stat, df)


def test_table_kernel_equals_twin_off_the_grid():
    # x0 off the grid c/N_g: one general generation first, then the tables (both backends)
    out = {}
    for backend in ("numba", "numpy"):
        wf = WrightFisher(25, [0.03, 0.0], (0.002, 0.001), ploidy=1, seed=4, backend=backend)
        out[backend] = wf.run(
            [1 / 3, 2 / 3], 150, recorder=Recorder(every=10, observables=("mean",)), replicates=700
        )
        assert out[backend].info["sampler"] == "table"
    a, b = out["numba"], out["numpy"]
    assert a.states is not None and b.states is not None
    np.testing.assert_array_equal(a.states, b.states)
    for key in ("fixation_time", "fixed_allele", "loss_time"):
        np.testing.assert_array_equal(a.info[key], b.info[key])


def test_large_populations_use_the_general_sampler():
    wf = WrightFisher(5000, [0.01, 0.0])
    tr = wf.run([0.5, 0.5], 2, replicates=10)
    assert tr.info["sampler"] == "binomial"
