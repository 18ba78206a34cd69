"""The ``fft`` option: every FFT backend computes the same map; ``"auto"`` picks and caches.

Backends differ only in the rounding of their FFT codes: ~u·log₂N per pass, a few 1e-15 of
max|ψ| per step, so over the ≤ 120 steps below ≤ 1e-13; the bound 1e-12 leaves a decade.
"""

from __future__ import annotations

import json
import logging
import sys
import threading

import numpy as np
import pyfftw  # noqa: F401  (the test extra has it: a missing pyFFTW fails, never skips)
import pytest

import quantgeo as qg
from quantgeo._kernels import kernels
from quantgeo.potentials import harmonic, shaken_trap
from quantgeo.solvers import fft as fftmod
from quantgeo.solvers.imaginary import ImaginaryTimeSolver

pytestmark = pytest.mark.usefixtures("own_fft_cache")  # each test its own FFT cache


def _case(name: str):
    if name == "1d":
        lat = qg.Lattice(128, (-10.0, 10.0))
        return qg.Hamiltonian(lat, harmonic(1.0)), {"scheme": "strang"}, lat
    if name == "2d-yoshida4":
        lat = qg.Lattice((24, 20), (-6.0, 6.0))
        return qg.Hamiltonian(lat, harmonic(1.0)), {"scheme": "yoshida4"}, lat
    if name == "3d":
        lat = qg.Lattice((8, 10, 6), (-4.0, 4.0))
        return qg.Hamiltonian(lat, harmonic(1.0), kinetic="spectral"), {}, lat
    if name == "td-v":
        lat = qg.Lattice((32, 16), (-6.0, 6.0))
        pot = shaken_trap(1.0, amplitude=0.5, drive_frequency=2.0, axis=0)
        return qg.Hamiltonian(lat, pot), {"scheme": "yoshida4"}, lat
    lat = qg.Lattice(256, (-20.0, 20.0))  # absorber
    absorber = qg.AbsorbingBoundary(width=5.0, strength=2.0)
    return qg.Hamiltonian(lat, harmonic(0.05)), {"absorber": absorber}, lat


@pytest.mark.parametrize("case", ["1d", "2d-yoshida4", "3d", "td-v", "absorber"])
def test_backends_give_the_same_states(case):
    ham, kw, lat = _case(case)
    psi0 = qg.gaussian(lat, center=0.5, width=1.0, momentum=2.0)
    rec = qg.Recorder(times=[0.3, 0.6], store_states=True, observables=())
    states, ran = {}, {}
    for fft in ("rocket", "fftw", "scipy"):
        solver = qg.SplitOperatorSolver(ham, 0.01, fft=fft, error_samples=0, **kw)
        traj = solver.run(psi0, (0.0, 0.6), recorder=rec, progress=False)
        states[fft], ran[fft] = np.stack([s.data for s in traj.states]), traj.info["fft"]
        assert traj.info["fft_auto"] is None
    assert ran == {"rocket": "rocket", "fftw": "fftw", "scipy": "scipy"}
    scale = np.max(np.abs(states["rocket"]))
    for fft in ("fftw", "scipy"):
        assert np.max(np.abs(states[fft] - states["rocket"])) <= 1e-12 * scale, fft
    # and the states moved: the comparison is not of ψ₀ with itself
    assert np.max(np.abs(states["rocket"][-1] - psi0.data)) > 0.1 * scale


def test_numpy_backend_with_fftw_matches_the_twins():
    ham, kw, lat = _case("2d-yoshida4")
    psi0 = qg.gaussian(lat, center=0.5, width=1.0, momentum=2.0)
    out = {}
    for fft in ("scipy", "fftw"):
        solver = qg.SplitOperatorSolver(ham, 0.01, backend="numpy", fft=fft, **kw)
        assert solver.fft == fft
        out[fft] = solver.evolve(psi0, 0.5).data
    assert np.max(np.abs(out["fftw"] - out["scipy"])) <= 1e-12 * np.max(np.abs(out["scipy"]))


def test_imaginary_time_backends_agree():
    lat = qg.Lattice((32, 24), (-6.0, 6.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    runs = {
        fft: ImaginaryTimeSolver(ham, 0.01, fft=fft).run(None, (0.0, 1.0))
        for fft in ("rocket", "fftw")
    }
    a, b = (runs[f].state(-1).data for f in ("rocket", "fftw"))
    assert np.max(np.abs(a - b)) <= 1e-12 * np.max(np.abs(a))
    assert runs["fftw"].info["fft"] == "fftw"
    assert abs(runs["fftw"].info["energy"] - runs["rocket"].info["energy"]) <= 1e-12


@pytest.mark.parametrize("workers", [1, 2])
def test_auto_picks_an_existing_backend_and_caches_it(workers):
    ham, _, lat = _case("2d-yoshida4")
    first = qg.SplitOperatorSolver(ham, 0.01, fft="auto", workers=workers)
    assert first.fft in ("rocket", "fftw")
    auto = first._fft.auto_info()
    assert auto is not None and not auto["cached"]
    # 2D: the whole-lattice FFTW plans and the row/column sweeps are both candidates, and
    # with threads allowed the one-thread FFTW as well (threads must pay)
    serial = {"fftw-serial"} if workers > 1 else set()
    assert set(auto["timings"]) == {"rocket", "fftw", "fftw-sweeps"} | serial
    assert all(t > 0 for t in auto["timings"].values())
    assert auto["picked"] == min(auto["timings"], key=auto["timings"].__getitem__)
    assert first.fft == auto["picked"].split("-")[0]
    decisions = json.loads((fftmod.cache_dir() / "fft-decisions.json").read_text())
    assert [d["name"] for d in decisions.values()] == [auto["picked"]]
    assert (fftmod.cache_dir() / "fftw-wisdom.json").is_file()
    second = qg.SplitOperatorSolver(ham, 0.02, fft="auto", workers=workers)
    assert (second._fft.variant or second._fft.key) == auto["picked"]
    traj = second.run(qg.gaussian(lat), (0.0, 0.1), progress=False)
    assert traj.info["fft"] == first.fft
    assert traj.info["fft_auto"] == {**auto, "cached": True}


def test_corrupt_cache_files_are_ignored_with_a_warning(caplog):
    folder = fftmod.cache_dir()
    folder.mkdir(parents=True)
    (folder / "fft-decisions.json").write_text("{not json")
    (folder / "fftw-wisdom.json").write_text("[1, 2]")
    ham, _, _ = _case("1d")
    with caplog.at_level(logging.WARNING, logger="quantgeo.solvers.fft"):
        solver = qg.SplitOperatorSolver(ham, 0.01, fft="auto")
    assert solver.fft in ("rocket", "fftw")
    assert not solver._fft.auto_info()["cached"]
    warned = {
        name
        for r in caplog.records
        for name in ("fft-decisions.json", "fftw-wisdom.json")
        if "corrupt FFT cache file" in r.getMessage() and name in r.getMessage()
    }
    assert warned == {"fft-decisions.json", "fftw-wisdom.json"}
    # rewritten whole: the next solver reads the decision
    assert qg.SplitOperatorSolver(ham, 0.01, fft="auto")._fft.auto_info()["cached"]


def test_auto_without_pyfftw_is_rocket(monkeypatch):
    monkeypatch.setattr(fftmod, "have_pyfftw", lambda: False)
    ham, _, _ = _case("1d")
    solver = qg.SplitOperatorSolver(ham, 0.01)
    assert solver.fft == "rocket" and solver._fft.auto_info() is None
    with pytest.raises(ValueError, match=r"`fft` 'fftw' needs pyFFTW"):
        qg.SplitOperatorSolver(ham, 0.01, fft="fftw")
    assert qg.SplitOperatorSolver(ham, 0.01, backend="numpy").fft == "scipy"


def test_bad_fft_value_names_the_argument_and_the_choices():
    ham, _, _ = _case("1d")
    with pytest.raises(ValueError, match=r"`fft` must be one of 'auto', 'rocket', 'fftw', 'scipy'"):
        qg.SplitOperatorSolver(ham, 0.01, fft="mkl")
    with pytest.raises(ValueError, match=r"`fft` 'rocket' runs inside the Numba kernels"):
        qg.SplitOperatorSolver(ham, 0.01, backend="numpy", fft="rocket")
    with pytest.raises(ValueError, match="`fft`"):
        ImaginaryTimeSolver(ham, 0.01, fft=3)


def _random_factors(rng, shape, nk=1):
    v = np.exp(1j * rng.uniform(-1, 1, (3, *shape))) - 1
    rest = int(np.prod(shape[:-1]))
    k_rest = np.exp(1j * rng.uniform(-1, 1, (nk, rest))) - 1
    k_last = np.exp(1j * rng.uniform(-1, 1, (nk, shape[-1]))) - 1
    return v, k_rest, k_last


def test_fftw_engine_runs_on_unaligned_arrays(rng):
    """A copy that is not SIMD-aligned (the step-doubling estimator's) runs via the buffer."""
    shape = (16, 12)
    k = kernels("split")
    fftw = fftmod.make_fft("fftw", "numba", k, shape, 1)
    rocket = fftmod.make_fft("rocket", "numba", k, shape, 1)
    raw = np.zeros(shape[0] * shape[1] + 1, dtype=np.complex128)
    psi = raw[1:].reshape(shape)  # 16 bytes off whatever alignment raw has
    if psi.ctypes.data % fftw._align == 0:
        psi = raw[:-1].reshape(shape)
    assert psi.ctypes.data % fftw._align != 0
    psi[...] = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    ref = psi.copy()
    args = (*_random_factors(rng, shape), np.array([0, 1]), np.array([0]), 2, 5)
    fftw.evolve(psi, *args)
    rocket.evolve(ref, *args)
    assert np.max(np.abs(psi - ref)) <= 1e-12 * np.max(np.abs(ref))


# shapes with tail blocks (rows and columns that do not divide), unaligned block offsets
# (odd widths: FFTW_UNALIGNED plans), one block, a padded last axis (64 → 68) and, in
# (3, 64, 64), a padded axis-0 stride (64·68 → 64·68 + 4); column tails (33, 17), (5, 130);
# last axes shorter than a 4-column block (64, 2), (5, 1); a tiny 3D (2, 2, 2)
SWEEP_SHAPES = [
    (16, 12),
    (30, 20),
    (9, 7),
    (8, 6, 10),
    (5, 4, 3),
    (64, 48),
    (16, 64),
    (3, 64, 64),
    (33, 17),
    (5, 130),
    (64, 2),
    (5, 1),
    (2, 2, 2),
]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("shape", SWEEP_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_sweeps_give_the_whole_lattice_states(rng, shape, workers):
    """Row and column sweeps (serial and threaded) = the rocket step, a Yoshida-4-like
    composition with two kinetic stages, to 1e-12 (FFT rounding: ~1e-15 per step)."""
    k = kernels("split")
    sweeps = fftmod._candidate("fftw-sweeps", k, shape, workers)
    n0, n1, nl, ld, _, _, ps = (int(g) for g in sweeps.geo)
    assert (n0, n1 * nl) == (shape[0], int(np.prod(shape[1:])))
    assert ld >= nl and ld % 4 == 0 and ps >= n1 * ld
    if shape == (3, 64, 64):
        assert (ld, ps) == (68, 64 * 68 + 4)
    rocket = fftmod.make_fft("rocket", "numba", k, shape, 1)
    psi = sweeps.aligned(rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    ref = psi.copy()
    args = (*_random_factors(rng, shape, nk=2), np.array([0, 1, 2]), np.array([0, 1]), 2, 4)
    sweeps.evolve(psi, *args)
    rocket.evolve(ref, *args)
    assert np.max(np.abs(psi - ref)) <= 1e-12 * np.max(np.abs(ref))


@pytest.mark.parametrize("shape", [(4096,), (30, 20), (8, 6, 10)], ids=lambda s: str(len(s)))
def test_fftw_kernels_equal_their_twins(rng, shape):
    """The FFTW-from-Numba kernels and their NumPy twins (the same FFTW plans, NumPy passes)
    give the same states to 1e-13, one step and several (``nsteps`` = 1 takes the
    first-and-last V path; in 1D the split-factor kernel ``fftw_evolve_split`` runs)."""
    numba_k, numpy_k = kernels("split"), kernels("split", "numpy")
    names = ["fftw"] + (["fftw-sweeps"] if len(shape) > 1 else [])
    for name in names:
        for nsteps in (1, 3, 9):
            kern = fftmod._candidate(name, numba_k, shape, 1)
            twin = fftmod._candidate(name, numpy_k, shape, 1)
            assert twin._fk.__name__.endswith("fftw_reference")
            psi = kern.aligned(rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
            ref = twin.aligned(psi.copy())
            args = (*_random_factors(rng, shape, nk=2), np.array([0, 1, 2]), np.array([0, 1]), 2)
            kern.evolve(psi, *args, nsteps)
            twin.evolve(ref, *args, nsteps)
            assert np.max(np.abs(psi - ref)) <= 1e-13 * np.max(np.abs(ref)), (name, nsteps)


def test_fftw_pair_is_the_identity_times_size(rng):
    """The benchmark floor's bare pair: forward + unnormalised inverse = N·ψ."""
    shape = (12, 10)
    engine = fftmod.make_fft("fftw", "numba", kernels("split"), shape, 1)
    psi = engine.aligned(rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    ref = psi.copy()
    engine.pair(psi, 2)
    np.testing.assert_allclose(psi, ref * psi.size**2, rtol=1e-13)


def test_fftw_1d_applies_a_nonzero_k_rest(rng):
    """The engines take ``split_evolve``'s arguments: in 1D ``k_rest`` is one value per
    stage (0 from the solver's kinetic factors), folded into ``k_last`` — compared with rocket
    for a non-zero one, and with the kernel's twin."""
    shape = (64,)
    rocket = fftmod.make_fft("rocket", "numba", kernels("split"), shape, 1)
    for kern in (kernels("split"), kernels("split", "numpy")):
        fftw = fftmod._candidate("fftw", kern, shape, 1)
        v, _, k_last = _random_factors(rng, shape, nk=2)
        k_rest = np.exp(1j * rng.uniform(-1, 1, (2, 1))) - 1
        args = (v, k_rest, k_last, np.array([0, 1, 2]), np.array([0, 1]), 2, 5)
        psi = fftw.aligned(rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
        ref = psi.copy()
        fftw.evolve(psi, *args)
        rocket.evolve(ref, *args)
        assert np.max(np.abs(psi - ref)) <= 1e-12 * np.max(np.abs(ref))


def test_fftw_engines_refuse_another_shape_or_dtype(rng):
    """The kernels trust the planned layout: a state of another shape or dtype is refused
    with an error naming it, before any FFTW call."""
    for name in ("fftw", "fftw-sweeps"):
        engine = fftmod._candidate(name, kernels("split"), (16, 8), 1)
        v, k_rest, k_last = _random_factors(rng, (16, 8))
        args = (v, k_rest, k_last, np.array([0, 1]), np.array([0]), 2, 1)
        with pytest.raises(ValueError, match=r"`psi` must be complex128 of the planned shape"):
            engine.evolve(engine.aligned(np.zeros((8, 8), dtype=np.complex128)), *args)
        with pytest.raises(ValueError, match=r"`psi` must be complex128"):
            engine.evolve(np.zeros((16, 8), dtype=np.complex64), *args)
        with pytest.raises(ValueError, match=r"`v_factors` must be"):
            engine.evolve(
                engine.aligned(np.zeros((16, 8), dtype=np.complex128)), v[:, :8], *args[1:]
            )


def test_fftw_kernels_bind_fftw_at_import():
    """A fresh process may call a kernel (here loaded from Numba's cache or compiled) before
    any engine exists: the symbol is bound at import, so this returns instead of crashing."""
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from quantgeo._kernels import kernels\n"
        "k = kernels('fftw')\n"
        "k.fftw_pair(np.zeros(4, dtype=np.complex128), 0, np.zeros(2, dtype=np.uint64))\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_sweeps_refuse_1d():
    with pytest.raises(ValueError, match="at least 2 axes"):
        fftmod._candidate("fftw-sweeps", kernels("split"), (64,), 1)


def test_one_fftw_solver_runs_in_two_threads_at_once():
    """New-array execute is thread-safe: two in-process shards share one solver's plans."""
    import threading

    ham, _, lat = _case("2d-yoshida4")
    solver = qg.SplitOperatorSolver(ham, 0.01, fft="fftw")
    starts = [qg.gaussian(lat, center=c) for c in (-0.5, 0.5)]
    alone = [solver.run(s, (0.0, 0.2), progress=False).state(-1).data for s in starts]
    out: list[np.ndarray] = [np.empty(0)] * 2

    def work(i: int) -> None:
        out[i] = solver.run(starts[i], (0.0, 0.2), progress=False).state(-1).data

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, ref in zip(out, alone, strict=True):
        np.testing.assert_array_equal(got, ref)


def test_cache_dir_prefers_quantgeo_then_numba_then_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("QUANTGEO_CACHE_DIR", str(tmp_path / "q"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "n"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert fftmod.cache_dir() == tmp_path / "q"
    monkeypatch.delenv("QUANTGEO_CACHE_DIR")
    assert fftmod.cache_dir() == tmp_path / "n" / "quantgeo"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert fftmod.cache_dir() == tmp_path / "x" / "quantgeo"


@pytest.mark.parametrize("fft", ["fftw", "scipy", "rocket", "auto"])
def test_solvers_pickle_like_the_executors_do(fft):
    """Engines holding a solver go to process, Dask and MPI executors pickled: same result."""
    import io
    import pickle

    from quantgeo.potentials import from_array
    from quantgeo.sweep.engine_shards import _Dumper  # how the executors pickle engines

    lat = qg.Lattice((32, 16), (-6.0, 6.0))
    x, y = lat.coordinates()
    ham = qg.Hamiltonian(lat, from_array(0.5 * (x**2 + y**2) + 0 * y))
    solver = qg.SplitOperatorSolver(ham, 0.01, fft=fft)
    start = qg.gaussian(lat, center=0.5, width=1.0, momentum=1.0)
    buf = io.BytesIO()
    _Dumper(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(solver)
    clone = pickle.loads(buf.getvalue())
    assert clone.fft == solver.fft and clone._fft.info == solver._fft.info
    assert np.array_equal(clone.evolve(start, 0.5).data, solver.evolve(start, 0.5).data)


def _assert_threads_match_serial(engine, shape, args, rng):
    """Four states evolved by ``engine`` on four threads at once (threads switched between
    every FFT and pass) equal, bit for bit, the same states evolved one after another."""
    starts = [engine.aligned(rng.standard_normal(shape) + 0j) for _ in range(4)]
    serial = []
    for s in starts:
        x = engine.aligned(s.copy())
        engine.evolve(x, *args)
        serial.append(x)
    outs = [engine.aligned(s.copy()) for s in starts]
    threads = [threading.Thread(target=engine.evolve, args=(o, *args)) for o in outs]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    for a, b in zip(outs, serial, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("name", "workers"), [("fftw", 1), ("fftw", 2), ("fftw-sweeps", 1), ("fftw-sweeps", 2)]
)
def test_fftw_engine_shared_by_threads_gives_the_serial_result(rng, name, workers):
    """In-process shards share one solver: the FFTW kernels release the GIL, so four threads
    run at once on the shared plans (FFTW's new-array execute is thread-safe) and, for the
    sweeps, take turns on the shared padded buffer (the engine's lock); every state equals
    the serial one bit for bit."""
    shape = (32, 16)
    engine = fftmod._candidate(name, kernels("split"), shape, workers)
    v = np.exp(1j * rng.uniform(-1, 1, (3, *shape))) - 1
    k_rest = np.exp(1j * rng.uniform(-1, 1, (1, shape[0]))) - 1
    k_last = np.exp(1j * rng.uniform(-1, 1, (1, shape[1]))) - 1
    args = (v, k_rest, k_last, np.array([0, 1]), np.array([0]), 2, 500)
    _assert_threads_match_serial(engine, shape, args, rng)


def test_fftw_1d_plans_out_of_place_patient_where_measured():
    """1D whole-lattice plans run ψ → work → ψ; FFTW_PATIENT only at 1 thread for the 1D
    lengths measured to gain (:data:`PATIENT_1D`), FFTW_MEASURE elsewhere."""
    from quantgeo.solvers import fftw_native as fn

    lo, hi = fn.PATIENT_1D
    patient = fn.FFTW_PATIENT | fn.FFTW_DESTROY_INPUT
    measure = fn.FFTW_MEASURE | fn.FFTW_DESTROY_INPUT
    assert fn.whole_flags((lo,), 1) == fn.whole_flags((hi,), 1) == patient
    assert fn.whole_flags((lo // 2,), 1) == fn.whole_flags((2 * hi,), 1) == measure
    assert fn.whole_flags((lo,), 2) == fn.whole_flags((64, 64), 1) == measure
    assert fn.whole_flags((lo + 2,), 1) == fn.whole_flags((10007,), 1) == measure  # unmeasured
    short = fftmod.make_fft("fftw", "numba", kernels("split"), (fn.OUT_OF_PLACE_1D // 2,), 1)
    assert short._work is None  # in place
    assert short.work_bytes(3) == 16.0 * short.shape[0] * (1 + 3 + 1)  # ψ, V rows, K rows
    engine = fftmod.make_fft("fftw", "numba", kernels("split"), (fn.OUT_OF_PLACE_1D,), 1)
    assert engine._work is not None and engine._work.ctypes.data % engine._align == 0
    assert engine.work_bytes(3) == 16.0 * engine.shape[0] * (1 + 3 + 1 + 1)  # and the work


def test_fftw_1d_pair_is_out_of_place_and_the_identity_times_size(rng):
    """The 1D floor pair runs the engine's plans, in place (24) and out of place (4096):
    forward + unnormalised inverse = N·ψ, back in ψ (kernel and twin)."""
    for n in (24, 4096):
        for backend in ("numba", "numpy"):
            engine = fftmod.make_fft("fftw", backend, kernels("split", backend), (n,), 1)
            assert (engine._work is None) == (n == 24)
            psi = engine.aligned(rng.standard_normal(n) + 1j * rng.standard_normal(n))
            ref = psi.copy()
            engine.pair(psi, 2)
            np.testing.assert_allclose(psi, ref * n**2, rtol=1e-13, atol=1e-13 * n**2)


def test_fftw_1d_patient_plans_match_rocket_and_the_exact_coherent_state():
    """1D 4096 (the out-of-place FFTW_PATIENT plans), Yoshida-4 (three kinetic stages): the
    state equals rocket's to 1e-12 (FFT rounding, see the module docstring), the norm stays 1
    to 1e-12 (unitary steps; rounding ~1e-16 per step over 800 steps) and the error against
    the exact coherent state is the scheme's (≤ 1e-8 as in tests/convergence, Yoshida-4 at
    dt = 0.0025: C·dt⁴ ≪ 1e-9)."""
    from quantgeo import analytic
    from quantgeo.solvers import fftw_native as fn

    lat = qg.Lattice(4096, (-12.0, 12.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0), kinetic="spectral")
    psi0 = qg.coherent(ham, center=1.5, momentum=0.5)
    times = [0.0, 1.0, 2.0]
    runs = {}
    for fft in ("fftw", "rocket"):
        solver = qg.SplitOperatorSolver(ham, 0.0025, "yoshida4", fft=fft, error_samples=0)
        if fft == "fftw":
            assert isinstance(solver._fft, fn.WholeEngine)
            assert fn.whole_flags(lat.shape, 1) & fn.FFTW_PATIENT
        rec = qg.Recorder(times, store_states=True, observables=())
        runs[fft] = solver.run(psi0, (0.0, 2.0), recorder=rec, progress=False).states
    a, b = runs["fftw"], runs["rocket"]
    assert np.max(np.abs(a - b)) <= 1e-12 * np.max(np.abs(b))
    dv = lat.cell_volume
    norms = np.sqrt((np.abs(a) ** 2).sum(axis=1) * dv)
    assert np.max(np.abs(norms - 1.0)) <= 1e-12
    ref = np.stack([analytic.harmonic_coherent(lat, t, center=1.5, momentum=0.5) for t in times])
    assert np.sqrt((np.abs(a - ref) ** 2).sum(axis=1) * dv).max() <= 1e-8


def test_fftw_1d_work_buffer_shared_by_threads_gives_the_serial_result(rng):
    """Four threads run one 1D engine at once: one takes the engine's work buffer, the others
    (finding it in use) their own; every state equals the serial one bit for bit."""
    shape = (4096,)  # out of place: a work buffer
    engine = fftmod._candidate("fftw", kernels("split"), shape, 1)
    assert engine._work is not None
    v = np.exp(1j * rng.uniform(-1, 1, (3, *shape))) - 1
    k_rest = np.zeros((1, 1), dtype=np.complex128)
    k_last = np.exp(1j * rng.uniform(-1, 1, (1, shape[0]))) - 1
    args = (v, k_rest, k_last, np.array([0, 1]), np.array([0]), 2, 300)
    _assert_threads_match_serial(engine, shape, args, rng)
    assert engine._busy.acquire(blocking=False)  # released after every run
    engine._busy.release()
