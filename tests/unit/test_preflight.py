"""Pre-flight resource checks of the engines (quantgeo._preflight, issue 9 item 2).

Each memory-blowing run is refused with one line naming the argument to change, and nothing big
is allocated on the way (tracemalloc peak of the refused call below 4 MiB).  The estimates of
real runs lie within a factor 2 of their measured peak: the dominant terms (working states, the
recorded lists and their stacked copy) are counted exactly, the rest (Python objects per record,
measured at 160–280 B per record and per number, and step temporaries) by constants whose error
is well below 2×, while an estimate that missed the stacked copy of the stored states — the one
term as large as everything else — would be off by 2× or more.  A factor 2 is also what the
check needs: it only refuses runs whose estimate exceeds the available memory, and an estimate
within 2× never passes a run needing more than twice the limit.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from quantgeo import _preflight as pf
from quantgeo.errors import QuantgeoError, ResourceError
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.potentials import harmonic
from quantgeo.recording import Recorder
from quantgeo.solvers.imaginary import ImaginaryTimeSolver
from quantgeo.solvers.split_operator import SplitOperatorSolver
from quantgeo.wavefunction import gaussian

SMALL = 4 * 2**20  # "nothing big": a refused call allocates less than this


def refused(fn: Callable[[], Any]) -> tuple[str, int]:
    """Run ``fn`` expecting a ResourceError; its message and the tracemalloc peak (bytes)."""
    tracemalloc.start()
    try:
        with pytest.raises(ResourceError) as info:
            fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "\n" not in message
    return message, peak


@pytest.fixture(scope="module")
def trap() -> tuple[Hamiltonian, Any]:
    lat = Lattice(256, (-10.0, 10.0))
    ham = Hamiltonian(lat, harmonic(1.0))
    return ham, gaussian(lat, center=0.5, width=1.0)


# -- sizes and messages -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "nbytes"),
    [
        ("4GiB", 4 * 2**30),
        ("500MB", 500 * 10**6),
        ("2g", 2 * 2**30),
        ("1.5 KiB", 1536),
        ("1024", 1024),
        (2048, 2048),
        ("3TB", 3 * 10**12),
    ],
)
def test_parse_size(text: Any, nbytes: int) -> None:
    assert pf.parse_size(text) == nbytes


@pytest.mark.parametrize("text", ["4XB", "", "GiB", "-1GiB", "0", "1e30TiB", True, "nan"])
def test_parse_size_errors_name_the_option(text: Any) -> None:
    with pytest.raises(ValueError, match="`--max-memory`"):
        pf.parse_size(text)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (12345, "12,345"),
        (4e8, "4·10⁸"),
        (2.5e12, "2.5·10¹²"),
        (1e9, "10⁹"),
        (99999.6, "100,000"),
        (1e5, "10⁵"),
    ],
)
def test_fmt_count(n: float, text: str) -> None:
    assert pf.fmt_count(n) == text


def test_resource_error_is_a_value_error() -> None:
    assert issubclass(ResourceError, QuantgeoError)
    assert issubclass(ResourceError, ValueError)


def test_check_memory_message() -> None:
    records = 4e8
    est = pf.Estimate().extend(
        pf.record_items(records, 10, fix="raise `[record].every`", key="[record].every")
    )
    est.add("for the state", 1e6)
    with pytest.raises(ResourceError) as info:
        pf.check_memory(est, "4GiB", "x.toml: ")
    msg = str(info.value)
    assert msg.startswith("x.toml: [record].every: needs ")
    assert "4·10⁸ records of 10 numbers; raise `[record].every`" in msg
    assert msg.endswith("(limit `max_memory`: 4 GiB)")
    assert info.value.needed == pytest.approx(est.total)
    assert info.value.limit == 4 * 2**30
    pf.check_memory(est, 2 * est.total)  # below the limit: no error


def test_record_count_without_building_times() -> None:
    assert pf.record_count((0.0, 1.0), every=0.25) == 6  # 0, .25, .5, .75, 1 (+1 bound)
    assert pf.record_count((0.0, 1.0)) == 2
    assert pf.record_count((0.0, 1e300), every=1e-300) == float("inf")


def test_environment_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pf.ENV_VAR, "1MiB")
    assert pf.memory_limit() == (2.0**20, "limit --max-memory")
    monkeypatch.delenv(pf.ENV_VAR)
    cap, label = pf.memory_limit()
    avail = pf.available_memory()
    if avail is None:
        assert (cap, label) == (None, "")
    else:
        assert label == "available memory"
        assert cap == pytest.approx(avail, rel=0.5)  # memory moves between the two reads


# -- engines refuse before allocating ----------------------------------------------------------
def test_split_operator_refuses_a_huge_record_count(trap: tuple[Hamiltonian, Any]) -> None:
    ham, psi = trap
    solver = SplitOperatorSolver(ham, 0.01, backend="numpy")
    msg, peak = refused(lambda: solver.run(psi, (0.0, 1e3), recorder=Recorder(every=1e-8)))
    assert msg.startswith("SplitOperatorSolver.run: 10¹¹ record times, above the limit 10⁷")
    assert "`Recorder(every=…)`" in msg
    assert peak < SMALL


def test_split_operator_refuses_a_huge_step_count(trap: tuple[Hamiltonian, Any]) -> None:
    ham, psi = trap
    solver = SplitOperatorSolver(ham, 1e-9, backend="numpy")
    msg, peak = refused(lambda: solver.run(psi, (0.0, 1e4)))
    assert msg.startswith("SplitOperatorSolver.run: 10¹³ time steps, above the limit 10⁹")
    assert "raise `dt`" in msg
    assert peak < SMALL


def test_split_operator_refuses_stored_states_above_the_limit(
    trap: tuple[Hamiltonian, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ham, psi = trap
    monkeypatch.setenv(pf.ENV_VAR, "64MiB")
    solver = SplitOperatorSolver(ham, 0.01, backend="numpy")
    rec = Recorder(every=1e-4, store_states=True)  # 10⁵ states of 4 KiB
    msg, peak = refused(lambda: solver.run(psi, (0.0, 10.0), recorder=rec))
    assert "states of 4 KiB" in msg and "store_states=False" in msg
    assert msg.endswith("(limit --max-memory: 64 MiB)")
    assert peak < SMALL


def test_imaginary_time_refuses_max_steps(trap: tuple[Hamiltonian, Any]) -> None:
    ham, _ = trap
    solver = ImaginaryTimeSolver(ham, 0.01, max_steps=10**12, backend="numpy")
    msg, peak = refused(solver.run)
    assert "10¹² time steps" in msg and "`max_steps`" in msg
    assert peak < SMALL


def test_qutip_reference_refuses_a_dense_operator() -> None:
    from quantgeo.reference import QutipReference

    lat = Lattice((256, 256), (-10.0, 10.0))  # 65,536 sites: dense H is 64 GiB
    ham = Hamiltonian(lat, harmonic(1.0), kinetic="spectral")
    psi = gaussian(lat, center=(0.0, 0.0), width=(1.0, 1.0))
    ref = QutipReference(ham)
    msg, peak = refused(lambda: ref.run(psi, (0.0, 1.0), recorder=Recorder(observables=())))
    assert msg.startswith("QutipReference.run: needs 64 GiB") and "for the Hamiltonian" in msg
    assert peak < SMALL


def test_langevin_refuses_huge_walkers(monkeypatch: pytest.MonkeyPatch) -> None:
    from quantgeo.learning import LangevinEnsemble, LearningProblem

    monkeypatch.setenv(pf.ENV_VAR, "1GiB")
    problem = LearningProblem.quadratic(np.eye(2), np.eye(2))
    ens = LangevinEnsemble(problem, 0.5, n_walkers=10**9)
    msg, peak = refused(lambda: ens.run(np.zeros(2), (0.0, 1.0)))
    assert msg.startswith("LangevinEnsemble.run: needs ") and "for 10⁹ walkers" in msg
    assert peak < SMALL


# -- the estimate of real runs -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("sites", "every", "observables", "store"),
    [
        (4096, 0.01, ("norm", "energy"), True),  # stored states dominate
        (64, 5e-4, ("norm", "energy", "position"), False),  # per-record objects dominate
        (2**16, 0.25, ("norm",), False),  # working states and step factors dominate
    ],
)
def test_estimate_within_a_factor_2_of_the_peak(
    sites: int, every: float, observables: tuple[str, ...], store: bool
) -> None:
    lat = Lattice(sites, (-20.0, 20.0))
    ham = Hamiltonian(lat, harmonic(1.0))
    psi = gaussian(lat, center=0.5, width=1.0).data
    span = (0.0, 0.5)

    def run() -> tuple[float, int]:
        # a fresh solver: its step factors are built (and counted) inside the run
        solver = SplitOperatorSolver(ham, 0.01, "yoshida4", backend="numpy")
        rec = Recorder(every=every, observables=observables, store_states=store)
        estimate = solver.memory_estimate(span, rec).total
        tracemalloc.start()
        try:
            solver.run(psi, span, recorder=rec)
            return estimate, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    run()  # imports and first-call caches outside the measurement
    estimate, peak = run()
    print(f"estimate {estimate:.4g} B, peak {peak:.4g} B, ratio {estimate / peak:.3f}")
    assert 0.5 <= estimate / peak <= 2.0, (estimate, peak)


def test_fokker_planck_refuses_stored_densities(monkeypatch: pytest.MonkeyPatch) -> None:
    from quantgeo.learning import FokkerPlanck, Grid, LearningProblem

    monkeypatch.setenv(pf.ENV_VAR, "16MiB")
    grid = Grid([(-5, 5), (-5, 5)], 40)  # 1,600 cells: 12.5 KiB per density
    fp = FokkerPlanck(LearningProblem.quadratic(np.eye(2), np.eye(2)), grid, 0.5, dt=0.05)
    rho = np.full(grid.shape, 1.0 / (grid.size * grid.cell_volume))
    rec = Recorder(every=1e-3, observables=("mass",), store_states=True)  # 10⁴ densities
    msg, peak = refused(lambda: fp.run(rho, (0.0, 10.0), recorder=rec))
    assert msg.startswith("FokkerPlanck.run: needs ") and "states of 12.5 KiB" in msg
    assert "`store_states=False`" in msg
    assert peak < SMALL


def test_wright_fisher_refuses_huge_replicates(monkeypatch: pytest.MonkeyPatch) -> None:
    from quantgeo.evolution import WrightFisher

    monkeypatch.setenv(pf.ENV_VAR, "1GiB")
    wf = WrightFisher(100, None, n_alleles=2, seed=2)
    msg, peak = refused(lambda: wf.run(np.array([0.5, 0.5]), 10, replicates=10**9))
    assert msg.startswith("WrightFisher.run: needs ") and "for 10⁹ replicates" in msg
    assert "`replicates`" in msg
    assert peak < SMALL


def test_madelung_and_born_refuse_huge_record_counts(trap: tuple[Hamiltonian, Any]) -> None:
    from quantgeo.emergence import BornEnsemble, MadelungLattice

    ham, psi = trap
    rec = Recorder(every=1e-9)
    madelung = MadelungLattice(ham)
    msg, peak = refused(lambda: madelung.run(psi, (0.0, 100.0), recorder=rec))
    assert msg.startswith("MadelungLattice.run: 10¹¹ record times, above the limit 10⁷")
    assert peak < SMALL
    born = BornEnsemble(ham, 1.0, 1000, 0, dt=1e-12)
    msg, peak = refused(lambda: born.run(psi, (0.0, 100.0)))
    assert msg.startswith("BornEnsemble.run: 10¹⁴ time steps")
    assert peak < SMALL
