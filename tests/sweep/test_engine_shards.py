"""The engines' ``run(..., shards=S, executor=...)``: bit for bit the same merged result in
serial, on 2 processes and on a thread pool at S = 4; statistically equal to the unsharded run;
Born's ``tv`` and floor recomputed from the merged histogram and |ψ(t)|²."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from quantgeo import BornEnsemble, Hamiltonian, Lattice
from quantgeo.emergence import LatticeLearners
from quantgeo.emergence.born import BornSummary, sampling_floor, total_variation
from quantgeo.evolution import WrightFisher
from quantgeo.learning import LangevinEnsemble
from quantgeo.learning.grid import Grid
from quantgeo.learning.problem import LearningProblem
from quantgeo.potentials import harmonic
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers import SplitOperatorSolver
from quantgeo.sweep.executors import default_pool
from quantgeo.sweep.shards import EngineFactory, run_sharded
from quantgeo.wavefunction import coherent

S = 4


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    with default_pool(2) as p:
        yield p


def _same_everywhere(run: Callable[[Any], Trajectory], pool: ProcessPoolExecutor) -> Trajectory:
    """Run serial, on the 2-process pool and on 2 threads: every record bit for bit equal."""
    ref = run("serial")
    with ThreadPoolExecutor(2) as threads:
        others = {"processes": run(pool), "threads": run(threads)}
    for where, got in others.items():
        assert set(got.observables) == set(ref.observables)
        for name in ref.observables:
            np.testing.assert_array_equal(got[name], ref[name], err_msg=f"{name} on {where}")
        if ref.states is not None:
            np.testing.assert_array_equal(got.states, ref.states, err_msg=where)
        assert got.info["shard_seeds"] == ref.info["shard_seeds"]
    return ref


def _within(a: Any, b: Any, se: Any, k: float = 5.0) -> None:
    """Two independent estimates agree within k combined standard errors."""
    a, b, se = (np.asarray(v, dtype=float) for v in (a, b, se))
    assert np.all(np.abs(a - b) <= k * se), (a, b, se)


# -- Langevin -------------------------------------------------------------------------------
PROB = LearningProblem.quadratic([[2.0, 0.3], [0.3, 1.0]], [[0.5, 0.1], [0.1, 0.3]])
GRID = Grid([(-2.0, 2.0), (-2.0, 2.0)], (8, 8))
OBS = ("mean", "cov", "mean_se", "loss", "loss_se", "histogram", "outside")


def _langevin(walkers: int = 1001, seed: int = 11) -> LangevinEnsemble:
    return LangevinEnsemble(PROB, 0.5, dt=0.01, grid=GRID, n_walkers=walkers, seed=seed)


def test_langevin_shards_are_bit_identical_on_any_executor(pool: ProcessPoolExecutor) -> None:
    q0 = np.array([1.0, -0.5])

    def run(ex: Any) -> Trajectory:
        rec = Recorder(times=[0.0, 0.1, 0.3], observables=OBS, store_states=True)
        return _langevin().run(q0, (0.0, 0.3), recorder=rec, shards=S, executor=ex)

    tr = _same_everywhere(run, pool)
    assert tr.info["n_walkers"] == 1001 and tr.info["shards"] == S and tr.info["seed"] == 11
    # the same shards as run_sharded with a factory that builds the engine anew
    factory = EngineFactory(
        LangevinEnsemble, PROB, 0.5, dt=0.01, grid=GRID, walkers_arg="n_walkers"
    )
    rec = Recorder(times=[0.0, 0.1, 0.3], observables=OBS, store_states=True)
    ref = run_sharded(factory, q0, (0.0, 0.3), rec, walkers=1001, shards=S, seed=11)
    for name in OBS:
        np.testing.assert_array_equal(tr[name], ref[name], err_msg=name)


def test_langevin_sharded_equals_unsharded_within_standard_errors() -> None:
    rec = Recorder(times=[0.0, 0.5], observables=("mean", "mean_se", "loss", "loss_se"))
    one = _langevin(4000).run(np.array([1.0, -0.5]), (0.0, 0.5), recorder=rec)
    rec = Recorder(times=[0.0, 0.5], observables=("mean", "mean_se", "loss", "loss_se"))
    many = _langevin(4000).run(np.array([1.0, -0.5]), (0.0, 0.5), recorder=rec, shards=S)
    for name in ("mean", "loss"):
        se = np.hypot(one[f"{name}_se"][-1], many[f"{name}_se"][-1])
        _within(one[name][-1], many[name][-1], se)
    # and the walkers genuinely differ (independent streams, not a copy of one run)
    assert not np.array_equal(one["mean"][-1], many["mean"][-1])


def test_langevin_split_start_and_default_recorder() -> None:
    q0 = np.random.default_rng(5).normal(size=(1001, 2))
    tr = _langevin().run(q0, (0.0, 0.0), shards=S, executor="serial")
    assert set(tr.observables) == {"mean", "cov", "loss"}  # the unsharded default
    np.testing.assert_allclose(tr["mean"][0], q0.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(tr["cov"][0], np.cov(q0, rowvar=False), rtol=1e-12)
    np.testing.assert_allclose(tr["loss"][0], PROB.value(q0).mean(), rtol=1e-12)


def test_cov_without_mean_is_merged_and_the_helper_record_dropped() -> None:
    q0 = np.random.default_rng(6).normal(size=(400, 2))
    rec = Recorder(times=[0.0], observables=("cov",))
    tr = _langevin(400).run(q0, (0.0, 0.0), recorder=rec, shards=S, executor="serial")
    assert set(tr.observables) == {"cov"}
    np.testing.assert_allclose(tr["cov"][0], np.cov(q0, rowvar=False), rtol=1e-12)


def test_bad_sharded_input_is_refused_before_running() -> None:
    rec = Recorder(observables={"spread": lambda q: q.std()})
    with pytest.raises(ValueError, match=r"`recorder`: a sharded run .*\['spread'\]"):
        _langevin().run(np.zeros(2), (0.0, 0.1), recorder=rec, shards=S, executor="serial")
    with pytest.raises(ValueError, match="`shards` must be an integer ≥ 1, got 0"):
        _langevin().run(np.zeros(2), (0.0, 0.1), shards=0, executor="serial")
    with pytest.raises(ValueError, match="`shards` must be ≤ `walkers` = 1001"):
        _langevin().run(np.zeros(2), (0.0, 0.1), shards=2000, executor="serial")
    with pytest.raises(ValueError, match="a sample \\(co\\)variance needs ≥ 2 per shard"):
        _langevin().run(np.zeros(2), (0.0, 0.1), shards=600, executor="serial")


# -- Born -----------------------------------------------------------------------------------
LAT = Lattice(32, (-6.0, 6.0))
V = 0.5 * LAT.coordinates()[0] ** 2  # an array potential pickles (a closure does not)
BORN_OBS = ("tv", "floor_mean", "floor_std", "floor_normal", "mean", "cov", "norm")


def _born(walkers: int = 401, seed: int = 3, potential: Any = V) -> BornEnsemble:
    ham = Hamiltonian(LAT, potential)
    return BornEnsemble(ham, 1.0, walkers=walkers, seed=seed, dt=0.01, solver_dt=0.01)


def test_born_shards_are_bit_identical_and_tv_floor_recomputed(pool: ProcessPoolExecutor) -> None:
    ens = _born()
    psi0 = coherent(ens.ham, 1.0, 0.5)
    times = [0.0, 0.1, 0.2]

    def run(ex: Any) -> Trajectory:
        rec = Recorder(times=times, observables=BORN_OBS, store_states=True)
        return ens.run(psi0, (0.0, 0.2), recorder=rec, shards=S, executor=ex)

    tr = _same_everywhere(run, pool)
    dv = LAT.cell_volume
    counts = tr.states * dv * 401  # merged densities are the pooled counts / (W ΔV)
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)
    # the target from an independent split-operator run of ψ(t)
    psi = SplitOperatorSolver(ens.ham, 0.01, "yoshida4").run(
        psi0, (0.0, 0.2), recorder=Recorder(times=times, observables=())
    )
    assert psi.states is not None
    target = np.abs(psi.states) ** 2 * dv
    target /= target.sum(axis=1, keepdims=True)
    tv = [total_variation(h * dv, p) for h, p in zip(tr.states, target, strict=True)]
    np.testing.assert_allclose(tr["tv"], tv, rtol=1e-9, atol=1e-12)
    # the floor: W draws from the target, on the extra child S of the root seed
    rng = np.random.default_rng(np.random.SeedSequence(3).spawn(S + 1)[S])
    floor = np.array([sampling_floor(p, 401, rng, ens.floor_draws) for p in target])
    for i, name in enumerate(("floor_mean", "floor_std", "floor_normal")):
        np.testing.assert_allclose(tr[name], floor[:, i], rtol=1e-9, err_msg=name)
    summary = BornSummary.from_trajectory(tr)
    assert summary.walkers == 401 and summary.seed == 3 and len(summary.tv) == 3


def test_born_sharded_equals_unsharded_statistically() -> None:
    ens = _born(walkers=2000, seed=8)
    psi0 = coherent(ens.ham, 1.0, 0.5)
    rec = dict(times=[0.0, 0.2], observables=("mean", "cov", *BORN_OBS[:4]))
    one = ens.run(psi0, (0.0, 0.2), recorder=Recorder(**rec))  # type: ignore[arg-type]
    many = ens.run(psi0, (0.0, 0.2), recorder=Recorder(**rec), shards=S, executor="serial")  # type: ignore[arg-type]
    np.testing.assert_allclose(many["floor_normal"], one["floor_normal"], rtol=1e-12)
    draws = ens.floor_draws
    _within(many["floor_mean"], one["floor_mean"], one["floor_std"] * np.sqrt(2.0 / draws))
    _within(many["tv"], one["tv"], np.sqrt(2.0) * one["floor_std"])
    se = np.sqrt(one["cov"][:, 0, 0] / 2000 * 2.0)
    _within(many["mean"][:, 0], one["mean"][:, 0], se)


def test_closure_potential_on_processes_names_the_executor(pool: ProcessPoolExecutor) -> None:
    ens = _born(potential=harmonic(1.0))
    psi0 = coherent(ens.ham, 1.0, 0.5)
    with pytest.raises(TypeError, match=r"`executor`: ProcessPoolExecutor .* cannot be pickled"):
        ens.run(psi0, (0.0, 0.1), shards=S, executor=pool)


# -- lattice learners -----------------------------------------------------------------------
def _learners(m: int = 400, seed: int = 4) -> LatticeLearners:
    ham = Hamiltonian(Lattice(24, (-6.0, 6.0)), np.zeros(24))  # an array: it pickles
    return LatticeLearners(ham, m, seed, 1.0, refresh=0.05, backend="numpy")


def test_learners_shards_are_bit_identical(pool: ProcessPoolExecutor) -> None:
    ens = _learners()
    psi0 = coherent(ens.ham, 1.0, 0.0, 1.5)
    obs = ("tv", "floor_mean", "floor_std", "floor_normal", "jumps", "norm", "mean", "sites")

    def run(ex: Any) -> Trajectory:
        rec = Recorder(times=[0.0, 0.2], observables=obs, store_states=True)
        return ens.run(psi0, (0.0, 0.2), recorder=rec, shards=S, executor=ex)

    tr = _same_everywhere(run, pool)
    assert tr["sites"].shape == (2, 400) and tr.info["learners"] == 400
    assert tr["jumps"][-1] == tr.info["jumps"] > 0
    coords = ens.ham.lattice.axes[0][tr["sites"][-1]]
    np.testing.assert_allclose(tr["mean"][-1, 0], coords.mean(), rtol=1e-12)
    hist = np.bincount(tr["sites"][-1], minlength=24) / 400
    np.testing.assert_allclose(tr.states[-1] * ens.ham.lattice.cell_volume, hist, atol=1e-15)
    with pytest.raises(ValueError, match="`start` cannot be combined with `shards`"):
        ens.run(psi0, (0.0, 0.2), start=np.zeros(400, dtype=np.int64), shards=S)


# -- Wright–Fisher --------------------------------------------------------------------------
WF_OBS = ("mean", "mean_se", "heterozygosity", "heterozygosity_se", "fixed", "lost")


def test_wright_fisher_replicate_shards(pool: ProcessPoolExecutor) -> None:
    wf = WrightFisher(20, [0.05, 0.0], seed=9, backend="numpy")

    def run(ex: Any) -> Trajectory:
        rec = Recorder(times=[0, 10, 40], observables=WF_OBS, store_states=True)
        return wf.run([0.5, 0.5], 40, recorder=rec, replicates=600, shards=S, executor=ex)

    tr = _same_everywhere(run, pool)
    assert tr.states is not None and tr.states.shape == (3, 600, 2)
    assert tr.info["replicates"] == 600 and tr.info["fixation_time"].shape == (600,)
    x = tr.states[1]
    het = 1.0 - np.sum(x * x, axis=1)
    np.testing.assert_allclose(tr["heterozygosity"][1], het.mean(), rtol=1e-12)
    np.testing.assert_allclose(
        tr["heterozygosity_se"][1], het.std(ddof=1) / np.sqrt(600), rtol=1e-12
    )
    np.testing.assert_allclose(tr["fixed"][-1], np.mean(tr.info["fixed_allele"] >= 0), rtol=1e-12)
    rec = Recorder(times=[0, 10, 40], observables=WF_OBS)
    one = wf.run([0.5, 0.5], 40, recorder=rec, replicates=600)
    for name in ("heterozygosity", "mean"):
        se = np.hypot(one[f"{name}_se"][1:], tr[f"{name}_se"][1:])
        _within(one[name][1:], tr[name][1:], se)


def test_learners_sharded_equals_unsharded_statistically() -> None:
    ens = _learners(m=2000, seed=12)
    psi0 = coherent(ens.ham, 1.0, 0.0, 1.5)
    obs = ("tv", "floor_mean", "floor_std", "floor_normal")
    one = ens.run(psi0, (0.0, 0.2), recorder=Recorder(times=[0.0, 0.2], observables=obs))
    rec = Recorder(times=[0.0, 0.2], observables=obs)
    many = ens.run(psi0, (0.0, 0.2), recorder=rec, shards=S, executor="serial")
    np.testing.assert_allclose(many["floor_normal"], one["floor_normal"], rtol=1e-12)
    draws = ens.floor_draws
    _within(many["floor_mean"], one["floor_mean"], one["floor_std"] * np.sqrt(2.0 / draws))
    _within(many["tv"], one["tv"], np.sqrt(2.0) * one["floor_std"])


def test_closure_potential_with_the_default_executor_runs_on_threads() -> None:
    """`executor=None` falls back to threads for an engine that cannot cross processes, and
    gives the same merged result as the serial run (fixed S)."""
    ens = _born(potential=harmonic(1.0))
    psi0 = coherent(ens.ham, 1.0, 0.5)
    rec = Recorder([0.05, 0.1], observables=("mean",))
    default = ens.run(psi0, (0.0, 0.1), recorder=rec, shards=S)
    serial = ens.run(psi0, (0.0, 0.1), recorder=rec, shards=S, executor="serial")
    np.testing.assert_array_equal(default["mean"], serial["mean"])
    np.testing.assert_array_equal(default.states, serial.states)
