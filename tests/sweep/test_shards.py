"""Sharded ensembles: the merge equals statistics of the pooled walkers, and the merged result
is bit for bit the same for 1, 2 and 4 workers at S = 4."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from quantgeo.learning import LangevinEnsemble
from quantgeo.learning.grid import Grid
from quantgeo.learning.problem import LearningProblem
from quantgeo.recording import Recorder
from quantgeo.sweep.executors import default_pool
from quantgeo.sweep.shards import EngineFactory, run_sharded, shard_seeds, shard_sizes

OBS = ("mean", "cov", "mean_se", "loss", "loss_se", "histogram", "outside")
W, S = 1001, 4


def _factory() -> EngineFactory:
    prob = LearningProblem.quadratic([[2.0, 0.3], [0.3, 1.0]], [[0.5, 0.1], [0.1, 0.3]])
    grid = Grid([(-2.0, 2.0), (-2.0, 2.0)], (8, 8))
    return EngineFactory(LangevinEnsemble, prob, 0.5, dt=0.01, grid=grid, walkers_arg="n_walkers")


def _recorder() -> Recorder:
    return Recorder(times=[0.0, 0.1, 0.3], observables=OBS, store_states=True)


def _run(executor: object) -> object:
    return run_sharded(
        _factory(),
        np.array([1.0, -0.5]),
        (0.0, 0.3),
        _recorder(),
        walkers=W,
        shards=S,
        seed=11,
        executor=executor,
    )


def test_sizes_and_seeds() -> None:
    assert shard_sizes(1001, 4) == [251, 250, 250, 250]
    seeds = shard_seeds(11, 4)
    assert len(set(seeds)) == 4 and all(0 <= s < 2**63 for s in seeds)
    child = np.random.SeedSequence(11).spawn(4)[2]
    assert seeds[2] == int(child.generate_state(1, np.uint64)[0]) >> 1
    with pytest.raises(ValueError, match="`shards` must be ≤ `walkers`"):
        shard_sizes(3, 4)


def test_merge_equals_the_statistics_of_the_pooled_walkers() -> None:
    tr = _run("serial")
    grid = Grid([(-2.0, 2.0), (-2.0, 2.0)], (8, 8))
    prob = LearningProblem.quadratic([[2.0, 0.3], [0.3, 1.0]], [[0.5, 0.1], [0.1, 0.3]])
    assert tr.states.shape == (3, W, 2) and tr.info["n_walkers"] == W
    assert tr.info["shard_walkers"] == [251, 250, 250, 250]
    for k in range(3):
        q = tr.states[k]
        loss = prob.value(q)
        ref = {
            "mean": q.mean(axis=0),
            "cov": np.cov(q, rowvar=False),
            "mean_se": q.std(axis=0, ddof=1) / np.sqrt(W),
            "loss": loss.mean(),
            "loss_se": loss.std(ddof=1) / np.sqrt(W),
            "histogram": grid.histogram(q)[0],
            "outside": grid.histogram(q)[1],
        }
        for name, want in ref.items():
            np.testing.assert_allclose(tr[name][k], want, rtol=1e-12, atol=1e-14, err_msg=name)
    assert tr["cov"][1][0, 1] != 0.0  # a genuinely pooled covariance, not a shard's


def test_shard_streams_are_independent() -> None:
    tr = _run("serial")
    q = tr.states[-1]
    sizes = tr.info["shard_walkers"]
    parts = np.split(q, np.cumsum(sizes)[:-1])
    assert all(not np.array_equal(parts[0][:250], p[:250]) for p in parts[1:])


def test_bit_identical_for_1_2_4_workers() -> None:
    ref = _run("serial")
    for n in (1, 2, 4):
        with default_pool(n) as pool:
            got = _run(pool)
        np.testing.assert_array_equal(got.states, ref.states)
        for name in OBS:
            np.testing.assert_array_equal(got[name], ref[name], err_msg=f"{name}, {n} workers")


def test_unmergeable_observable_is_refused() -> None:
    rec = Recorder(times=[0.0, 0.1], observables=("mean", "cov"), store_states=False)
    tr = run_sharded(
        _factory(),
        np.array([1.0, -0.5]),
        (0.0, 0.1),
        rec,
        walkers=40,
        shards=2,
        seed=1,
        merge={"cov": lambda trajs, sizes, merged: trajs[0]["cov"]},
    )
    assert tr["cov"].shape == (2, 2, 2)
    from quantgeo.sweep.shards import merge_shards

    bad = Recorder(times=[0.0, 0.1], observables=("cov",), store_states=False)
    with pytest.raises(ValueError, match="merging `cov` needs the observable `mean`"):
        run_sharded(_factory(), np.array([1.0, -0.5]), (0.0, 0.1), bad, walkers=40, shards=2)
    assert callable(merge_shards)


def _born_run(executor: object) -> object:
    from quantgeo import BornEnsemble, Hamiltonian, Lattice
    from quantgeo.potentials import harmonic
    from quantgeo.wavefunction import coherent

    lat = Lattice(32, (-6.0, 6.0))
    ham = Hamiltonian(lat, harmonic(1.0))
    psi0 = coherent(ham, 1.0, 0.5)
    factory = EngineFactory(BornEnsemble, ham, 1.0, dt=0.01, solver_dt=0.01)
    rec = Recorder(times=[0.0, 0.1, 0.2], observables=("mean", "cov", "norm"), store_states=True)
    return run_sharded(
        factory, psi0, (0.0, 0.2), rec, walkers=401, shards=S, seed=3, executor=executor
    )


def test_born_shards_merge_counts_and_are_bit_identical() -> None:
    ref = _born_run("serial")
    assert ref.info["walkers"] == 401 and ref.lattice is not None
    # merged densities are the pooled counts / (W ΔV): W·ΔV·states are integers summing to W
    counts = ref.states * ref.lattice.cell_volume * 401
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)
    np.testing.assert_allclose(counts.sum(axis=1), 401.0, rtol=1e-12)
    # threads: the Hamiltonian's potential is a closure, which processes cannot receive
    for n in (2, 4):
        with ThreadPoolExecutor(n) as pool:
            got = _born_run(pool)
        np.testing.assert_array_equal(got.states, ref.states)
        for name in ("mean", "cov", "norm"):
            np.testing.assert_array_equal(got[name], ref[name])


def test_split_state0_gives_each_shard_its_walkers() -> None:
    q0 = np.random.default_rng(5).normal(size=(W, 2))
    rec = Recorder(times=[0.0], observables=("mean", "cov"), store_states=True)
    tr = run_sharded(
        _factory(), q0, (0.0, 0.0), rec, walkers=W, shards=S, seed=2, split_state0=True
    )
    np.testing.assert_array_equal(tr.states[0], q0)  # t = 0: the walkers, in order
    np.testing.assert_allclose(tr["cov"][0], np.cov(q0, rowvar=False), rtol=1e-12)
    with pytest.raises(ValueError, match="one row per walker"):
        run_sharded(_factory(), q0[:10], (0.0, 0.0), rec, walkers=W, shards=S, split_state0=True)
