"""The visit threshold of the K = 2 table rows: a state the block has visited fewer than
``need`` times is drawn by the fresh-p sampler, the law stays the exact binomial (chi-square),
kernel == twin, and the result does not depend on the thread count."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import quantgeo.evolution.wright_fisher as wfm
from quantgeo._kernels import evolution_reference as ev
from quantgeo._kernels import kernels
from quantgeo.evolution import WrightFisher
from quantgeo.recording import Recorder
from tests.conftest import chi_square


def test_need_rule():
    width = np.array([1, 2, 40, 400, 5000])
    np.testing.assert_array_equal(ev.need(width, 2), [0, 0, 10, 100, 255])
    np.testing.assert_array_equal(ev.need(width, -1), [0, 0, 0, 0, 0])


@pytest.mark.parametrize("shift", [2, -1])
def test_rare_state_is_drawn_fresh_and_binomial(monkeypatch, shift):
    # one generation from one state: every block has 0 visits, so with shift = 2 no row is
    # written (every draw is a fresh-p binomial), with shift = −1 every draw inverts the row
    monkeypatch.setattr(wfm, "_ROW_SHIFT", shift)
    n, c, reps = 100, 60, 200_000
    ng = 2 * n
    wf = WrightFisher(n, [0.02, 0.0], (1e-3, 2e-3), seed=8, workers=1)
    tr = wf.run(
        np.array([c, ng - c]) / ng, 1, recorder=Recorder(observables=(), store_states=True),
        replicates=reps,
    )  # fmt: skip
    assert tr.info["sampler"] == "table"
    assert tr.info["rows_written"] == (0 if shift >= 0 else 1)
    counts = np.rint(tr.states[-1][:, 0] * ng).astype(int)
    x = c / ng
    y = x * 1.02 / (x * 1.02 + 1 - x)
    p = y * (1 - 2e-3) + (1 - y) * 1e-3
    stat, df = chi_square(
        np.bincount(counts, minlength=ng + 1), stats.binom.pmf(np.arange(ng + 1), ng, p)
    )
    assert stat <= stats.chi2.isf(1e-4, df), (stat, df)


@pytest.mark.parametrize(("n", "mut"), [(60, (2e-3, 1e-3)), (2500, 0.0)])
def test_threshold_kernel_equals_twin(n, mut):
    # the table (n = 60) and the chain (n = 2500: narrow rows) kernels against their twins,
    # over generations in which states cross their thresholds
    out = {}
    for backend in ("numba", "numpy"):
        wf = WrightFisher(n, [0.01, 0.0], mut, seed=5, backend=backend)
        ng = wf.n_genes
        out[backend] = wf.run(
            [3 / ng, 1 - 3 / ng], 60, recorder=Recorder(every=20, observables=()), replicates=900
        )
        assert 0 < out[backend].info["rows_written"]
    a, b = out["numba"], out["numpy"]
    np.testing.assert_array_equal(a.states, b.states)
    for key in ("fixation_time", "fixed_allele", "loss_time", "rows_written"):
        np.testing.assert_array_equal(a.info[key], b.info[key])


def test_threshold_is_independent_of_threads():
    ends = []
    for workers in (1, 2):
        wf = WrightFisher(300, None, (1e-3, 1e-3), seed=3, workers=workers)
        tr = wf.run([0.5, 0.5], 40, recorder=Recorder(observables=(), store_states=True),
                    replicates=9000)  # fmt: skip
        ends.append(tr.states[-1])
    np.testing.assert_array_equal(ends[0], ends[1])


def test_visits_decide_per_block():
    # the same block drawn with its rows pre-written by another block: the same stream
    km = kernels("evolution", "numba")
    wf = WrightFisher(40, [0.05, 0.0], (1e-3, 1e-3))
    ng = wf.n_genes
    z = wf._count_chain()[0]
    lf, inv = km.log_factorials(ng), km.reciprocals(ng)
    ends = []
    for prefill in (False, True):
        tab = ev.table_layout(z, ng)
        if prefill:
            km.fill_rows(np.arange(ng + 1), ng, *tab)
        cnt = np.full(500, 40)
        x = np.empty((500, 2))
        ft, fa, lt = np.full(500, -1), np.full(500, -1), np.full((500, 2), -1)
        vis = np.zeros(ng + 1, dtype=np.uint8)
        km.wf_table_generations(
            x, cnt, np.random.default_rng(2), 30, 0, z, *tab, False, ng, ft, fa, lt, lf, inv,
            vis, 2,
        )  # fmt: skip
        ends.append(cnt.copy())
    np.testing.assert_array_equal(ends[0], ends[1])
