"""The per-process cache of FFTW plans (``quantgeo.solvers.fftw_native.PlanCache``).

A second engine of the same kind (class, shape, threads, alignment, block geometry, flags)
reuses the first one's plans instead of planning again; any other kind plans its own.  Reuse
must not change a single bit of a state: the plans are the same FFTW plans, executed on
arrays of the layout and alignment they were made for.
"""

from __future__ import annotations

import gc

import numpy as np
import pyfftw  # noqa: F401  (the test extra has it: a missing pyFFTW fails, never skips)
import pytest

import quantgeo as qg
from quantgeo._kernels import kernels
from quantgeo.potentials import harmonic
from quantgeo.solvers import fft as fftmod
from quantgeo.solvers import fftw_native as fn

pytestmark = pytest.mark.usefixtures("own_fft_cache")  # each test its own FFT cache


def _engine(name: str, shape: tuple[int, ...], workers: int = 1) -> fftmod.FFTEngine:
    return fftmod._candidate(name, kernels("split"), shape, workers)


@pytest.mark.parametrize(
    ("name", "shape"),
    [("fftw", (24, 20)), ("fftw-sweeps", (24, 20)), ("fftw", (64,)), ("fftw", (4096,))],
)
def test_the_same_kind_gets_the_same_plans(name, shape):
    """Same key: the very same plans object (no planning: the cache counts a hit)."""
    a = _engine(name, shape)
    hits = fn._plan_cache.hits
    b = _engine(name, shape)
    assert b._plans is a._plans
    assert fn._plan_cache.hits == hits + 1
    assert b.plan_key() == a.plan_key()


def test_other_kinds_get_other_plans():
    """Another shape, thread count, engine class or block geometry: plans of its own."""
    base = _engine("fftw", (24, 20))
    others = [
        _engine("fftw", (20, 24)),
        _engine("fftw", (24, 20), workers=2),
        _engine("fftw-sweeps", (24, 20)),
        _engine("fftw-sweeps", (24, 20), workers=2),  # smaller blocks: another geometry
    ]
    keys = {base.plan_key(), *(e.plan_key() for e in others)}
    assert len(keys) == 1 + len(others)
    pointers = [tuple(e._plans.array) for e in (base, *others)]
    assert len(set(pointers)) == len(pointers)
    assert all(e._plans is not base._plans for e in others)


def test_out_of_place_engines_share_plans_not_work_buffers():
    """1D from OUT_OF_PLACE_1D: the plans are shared, each engine keeps its own aligned work
    buffer (two solvers in two threads must not write one buffer)."""
    n = fn.OUT_OF_PLACE_1D
    a, b = _engine("fftw", (n,)), _engine("fftw", (n,))
    assert a._plans is b._plans
    assert a._work is not None and b._work is not None
    assert not np.shares_memory(a._work, b._work)
    assert b._work.ctypes.data % b._align == 0


def _run(shape: tuple[int, ...], fft: str, scheme: str = "yoshida4") -> np.ndarray:
    lat = qg.Lattice(shape, (-6.0, 6.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    psi0 = qg.coherent(ham, center=1.0, momentum=0.5)
    solver = qg.SplitOperatorSolver(ham, 0.05, scheme, fft=fft)  # step doubling on
    rec = qg.Recorder([0.5, 1.0], store_states=True, observables=())
    traj = solver.run(psi0, (0.0, 1.0), recorder=rec, progress=False)
    return np.stack([s.data for s in traj.states])


@pytest.mark.parametrize("shape", [(24, 20), (64,), (4096,)])
def test_states_with_cached_plans_equal_fresh_plans_bit_for_bit(shape):
    """A run on cached plans equals one on freshly made plans to 0 (FFTW makes the same plan
    again from the wisdom it holds; the cache only skips the planning)."""
    fresh = _run(shape, "fftw")
    hits = fn._plan_cache.hits
    cached = _run(shape, "fftw")
    assert fn._plan_cache.hits > hits
    fn.clear_plan_cache()
    again = _run(shape, "fftw")
    assert np.array_equal(cached, fresh)
    assert np.array_equal(again, fresh)


def test_cached_plans_run_unaligned_states_through_an_aligned_copy(rng):
    """A cached whole-lattice plan is never executed on an array of another alignment: the
    engine runs a misaligned ψ on an aligned copy, with the same result bit for bit."""
    shape = (16, 12)
    _engine("fftw", shape)
    engine = _engine("fftw", shape)  # cached plans
    raw = np.zeros(shape[0] * shape[1] + 1, dtype=np.complex128)
    psi = raw[1:].reshape(shape)
    if psi.ctypes.data % engine._align == 0:
        psi = raw[:-1].reshape(shape)
    assert psi.ctypes.data % engine._align != 0
    psi[...] = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    ref = engine.aligned(psi.copy())
    assert ref.ctypes.data % engine._align == 0
    g = np.exp(1j * rng.uniform(-1, 1, (3, *shape))) - 1
    k_rest = np.exp(1j * rng.uniform(-1, 1, (1, shape[0]))) - 1
    k_last = np.exp(1j * rng.uniform(-1, 1, (1, shape[1]))) - 1
    args = (g, k_rest, k_last, np.array([0, 1]), np.array([0]), 2, 5)
    engine.evolve(psi, *args)
    engine.evolve(ref, *args)
    assert np.array_equal(psi, ref)


def test_the_cache_is_bounded_and_evicted_plans_stay_valid(monkeypatch):
    """Least recently used first out; an engine holding evicted plans still runs them (they
    are destroyed only with their last holder)."""
    monkeypatch.setattr(fn, "_plan_cache", fn.PlanCache(2))
    first = _engine("fftw", (8, 8))
    _engine("fftw", (8, 10))
    assert _engine("fftw", (8, 8))._plans is first._plans  # a hit: (8, 8) most recent
    _engine("fftw", (10, 8))  # evicts (8, 10)
    assert len(fn._plan_cache) == 2
    assert _engine("fftw", (8, 8))._plans is first._plans
    misses = fn._plan_cache.misses
    _engine("fftw", (8, 10))  # evicted before: planned again
    assert fn._plan_cache.misses == misses + 1
    _engine("fftw", (12, 8))
    _engine("fftw", (8, 12))  # (8, 8) evicted now; `first` still holds its plans
    gc.collect()
    psi = first.aligned(np.ones((8, 8), dtype=np.complex128))
    first.pair(psi, 1)
    assert np.allclose(psi, 64.0)  # forward + unnormalised inverse: ×N


def test_clear_process_state_empties_the_plan_cache():
    """Tests that move the cache folder start from no plans (the wisdom is then written
    again by the first engine of each kind)."""
    _engine("fftw", (8, 8))
    assert len(fn._plan_cache) >= 1
    fftmod.clear_process_state()
    assert len(fn._plan_cache) == 0
    assert fn._plan_cache.hits == fn._plan_cache.misses == 0


def _child_wisdom(blob: bytes, cache: str) -> tuple[tuple[bytes, ...], list[str]]:
    """In a fresh process with its own (empty) FFT cache: unpickle an engine; return this
    process's wisdom and the engine's FFT name."""
    import os
    import pickle

    os.environ["QUANTGEO_CACHE_DIR"] = cache
    import pyfftw as child_fftw

    engine = pickle.loads(blob)
    return tuple(child_fftw.export_wisdom()), [engine.name]


def test_pickled_engine_carries_its_wisdom(tmp_path) -> None:
    """A pickled FFTW engine is rebuilt in another process from the sender's wisdom, so the
    receiver makes the sender's plans (``FFTW_MEASURE`` alone may pick others there, whose
    rounding differs: a pool shard would then not be bit for bit the serial run)."""
    import hashlib
    import multiprocessing
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    _engine("fftw", (20,))  # wisdom the receiver would not make by unpickling alone
    engine = _engine("fftw", (24,))
    sent = fftmod._export_wisdom()
    blob = pickle.dumps(engine)
    digest = hashlib.sha256(b"".join(sent)).hexdigest()
    assert pickle.loads(blob).plans_fftw and digest in fftmod._imported  # rebuilt here
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        got, name = pool.submit(_child_wisdom, blob, str(tmp_path / "child")).result()
    assert name == ["fftw"]

    def lines(w: tuple[bytes, ...]) -> set[bytes]:
        return {ln.strip() for b in w for ln in b.splitlines() if ln.strip().startswith(b"(")}

    # every plan entry of the sender's double-precision wisdom is in the receiver's
    assert lines(sent[:1]) and lines(sent[:1]) <= lines(got[:1])
    assert _engine("rocket", (24,)).plans_fftw is False
    assert pickle.loads(pickle.dumps(_engine("rocket", (24,)))).name == "rocket"
