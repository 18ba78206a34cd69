"""QuTiP at its best (quantgeo._qutip_bench): the exact references, the accuracy search of each
method, the methods that do not apply to a QobjEvo, and ``quantgeo bench --qutip-methods all``.

No timing is asserted: only that what the search returns reaches the accuracy."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import quantgeo as qg
from quantgeo import cli
from quantgeo._qutip_bench import (
    SCHEMES,
    STEPS,
    TOLERANCES,
    fft_choices,
    make_problem,
    parse_size,
    quantgeo_setting,
    qutip_setting,
    relative_error,
)
from quantgeo.errors import QuantgeoWarning

pytestmark = pytest.mark.qutip

TARGET = 1e-6
# expm_multiply and the dense eigendecomposition both reach ~1e-13 on these lattices: a
# setting within TARGET of one is within TARGET + REF of the other
REF = 1e-10


@pytest.fixture(scope="module")
def tiny():  # type: ignore[no-untyped-def]
    return make_problem((24,), t_end=2.0, records=3)


@pytest.fixture(scope="module")
def driven():  # type: ignore[no-untyped-def]
    return make_problem((24,), driven=True, t_end=2.0, records=3)


def _eigh_states(problem) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The exact kets by dense diagonalisation (SpectralPropagator), independent of
    expm_multiply."""
    from quantgeo.analytic import SpectralPropagator

    states = SpectralPropagator(problem.ham).states(problem.psi0, problem.times)
    scale = np.sqrt(problem.ham.lattice.cell_volume)
    return states.reshape(len(problem.times), -1) * scale


def _kets(problem, out) -> np.ndarray:  # type: ignore[no-untyped-def]
    if hasattr(out, "states") and not isinstance(out.states, list):  # a Trajectory
        scale = np.sqrt(problem.ham.lattice.cell_volume)
        return np.array([s.ravel() * scale for s in out.states])
    return np.array([s.full().ravel() for s in out.states])


def test_expm_multiply_reference_is_the_exact_diagonalisation(tiny) -> None:  # type: ignore[no-untyped-def]
    assert relative_error(tiny.exact, _eigh_states(tiny)) <= REF


def test_magnus_reference_of_a_driven_trap_agrees_with_a_tight_qutip_run(driven) -> None:  # type: ignore[no-untyped-def]
    import qutip

    from quantgeo._qutip import ket_from_array

    ket = ket_from_array(driven.psi0.data, driven.ham.lattice)
    opts = {"method": "dop853", "atol": 1e-13, "rtol": 1e-13, "nsteps": 10**7}
    res = qutip.sesolve(driven.qobj, ket, driven.times, options=opts)
    # Magnus step doubled until its estimate is <= 1e-9; dop853 at 1e-13 is far below that
    assert relative_error(_kets(driven, res), driven.exact) <= 1e-8


def qutip_setting_at(problem, method: str, tol: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The kets of ``method`` at ``atol = rtol = tol``, run directly through qutip.sesolve."""
    import qutip

    from quantgeo._qutip import ket_from_array

    ket = ket_from_array(problem.psi0.data, problem.ham.lattice)
    opts = {"method": method, "atol": tol, "rtol": tol, "nsteps": 10**7}
    return _kets(problem, qutip.sesolve(problem.qobj, ket, problem.times, options=opts))


@pytest.mark.parametrize("method", ["adams", "dop853", "krylov", "diag"])
def test_qutip_search_returns_a_setting_that_reaches_the_accuracy(tiny, method) -> None:  # type: ignore[no-untyped-def]
    s = qutip_setting(tiny, method, TARGET)
    assert s.run is not None and not s.skipped, s.skipped
    assert s.error <= TARGET
    assert relative_error(_kets(tiny, s.run()), _eigh_states(tiny)) <= TARGET + REF
    if method == "krylov":
        assert s.options["krylov_dim"] in (10, 20, 24)  # KRYLOV_DIMS capped at 24 sites
    if method in ("adams", "dop853"):  # the loosest passing rung: the next looser one misses
        k = TOLERANCES.index(s.options["tol"])
        assert k > 0, "the ladder starts too tight for this problem"
        looser = qutip_setting_at(tiny, method, TOLERANCES[k - 1])
        assert relative_error(looser, tiny.exact) > TARGET


@pytest.mark.parametrize("scheme", ["yoshida4", "yoshida6"])
def test_quantgeo_search_returns_a_dt_that_reaches_the_accuracy(tiny, scheme) -> None:  # type: ignore[no-untyped-def]
    s = quantgeo_setting(tiny, scheme, TARGET)
    assert s.run is not None and s.error <= TARGET
    assert relative_error(_kets(tiny, s.run()), _eigh_states(tiny)) <= TARGET + REF


@pytest.mark.parametrize("scheme", ["suzuki4", "kahan-li6", "blanes-moan6", "suzuki-umeno8"])
def test_new_schemes_search_the_largest_dt_and_the_fastest_fft(tiny, scheme) -> None:  # type: ignore[no-untyped-def]
    """The optimised schemes go through the same search, against the same exact states as
    QuTiP's methods (checked again against the dense diagonalisation); the kept fft is one of
    the choices, and the next longer dt of the ladder misses the accuracy."""
    s = quantgeo_setting(tiny, scheme, TARGET)
    assert s.run is not None and s.error <= TARGET
    with warnings.catch_warnings():  # the phase-per-step check is by dt; the error is measured
        warnings.simplefilter("ignore", QuantgeoWarning)
        kets = _kets(tiny, s.run())
    assert relative_error(kets, _eigh_states(tiny)) <= TARGET + REF
    assert s.options["fft"] in fft_choices()
    interval = float(tiny.times[1] - tiny.times[0])
    n = round(interval / s.options["dt"])
    k = STEPS.index(n)
    if k > 0:  # n = 1 passing has no longer rung
        solver = qg.SplitOperatorSolver(tiny.ham, interval / STEPS[k - 1], scheme)
        with warnings.catch_warnings():  # the coarser rung may warn (phase per step)
            warnings.simplefilter("ignore", QuantgeoWarning)
            traj = solver.run(
                tiny.psi0,
                (0.0, float(tiny.times[-1])),
                recorder=qg.Recorder(tiny.times, observables=()),
                progress=False,
            )
        assert relative_error(_kets(tiny, traj), tiny.exact) > TARGET


def test_the_bench_searches_every_registered_scheme() -> None:
    assert SCHEMES == tuple(qg.SCHEMES)


def test_general_splitting_reaches_the_accuracy_on_a_qobjevo(driven) -> None:  # type: ignore[no-untyped-def]
    s = quantgeo_setting(driven, "blanes-moan6", TARGET)
    assert s.run is not None and s.error <= TARGET


@pytest.mark.parametrize("method", ["diag", "krylov"])
def test_constant_h_methods_are_skipped_for_a_qobjevo(driven, method) -> None:  # type: ignore[no-untyped-def]
    s = qutip_setting(driven, method, TARGET)
    assert s.run is None and not s.times
    assert "constant H" in s.skipped and "QobjEvo" in s.skipped


def test_ode_method_reaches_the_accuracy_on_a_qobjevo(driven) -> None:  # type: ignore[no-untyped-def]
    s = qutip_setting(driven, "vern9", TARGET)
    assert s.run is not None and s.error <= TARGET


def test_parse_size() -> None:
    assert parse_size("1024") == ((1024,), False)
    assert parse_size("20x20x20") == ((20, 20, 20), False)
    assert parse_size("driven:48x48") == ((48, 48), True)
    with pytest.raises(ValueError, match=r"`size` must be like .* got '48\*48'"):
        parse_size("48*48")


def test_bad_arguments_are_named() -> None:
    from quantgeo._qutip_bench import run_qutip_methods

    with pytest.raises(ValueError, match="`methods` has 'euler'"):
        run_qutip_methods(["8"], methods=["euler"])
    with pytest.raises(ValueError, match="`rounds`"):
        run_qutip_methods(["8"], rounds=0)


def test_bench_all_methods_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "b.json"
    argv = ["bench", "--qutip-methods", "all", "--qutip-only", "--qutip-sizes", "16",
            "--rounds", "1", "--json", str(report)]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "QuTiP fastest method" in out
    for method in ("adams", "bdf", "vern9", "dop853", "krylov", "diag", "yoshida4"):
        assert method in out
    doc = json.loads(report.read_text(encoding="utf-8"))
    (row,) = doc["qutip_methods"]
    assert row["problem"] == "16" and row["rounds"] == 1
    assert row["qutip"]["error"] <= TARGET and row["quantgeo"]["error"] <= TARGET
    assert row["ratio"] == pytest.approx(row["qutip"]["median_s"] / row["quantgeo"]["median_s"])
    assert {s["method"] for s in row["settings"]} >= {"diag", "krylov", "strang", "yoshida6"}
    assert doc["provenance"]["command"].startswith("quantgeo bench ")


def test_cold_runs_reuse_nothing_and_give_the_same_states(tiny) -> None:  # type: ignore[no-untyped-def]
    """``cold``: every timed quantgeo run starts with nothing kept (no plan, factor or phase
    measure reused: the caches count misses only) and gives the warm run's states exactly."""
    from quantgeo._qutip_bench import clear_reuse
    from quantgeo.solvers import accuracy, factors, fftw_native

    warm = quantgeo_setting(tiny, "blanes-moan4", TARGET, ffts=("fftw",))
    cold = quantgeo_setting(tiny, "blanes-moan4", TARGET, ffts=("fftw",), cold=True)
    assert cold.run is not None and warm.run is not None
    assert cold.options == warm.options and cold.error == warm.error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantgeoWarning)
        warm.run()  # factors are kept from their second build on
        a = _kets(tiny, warm.run())
        hits = (factors.factor_cache.hits, fftw_native._plan_cache.hits)
        assert hits[0] > 0 and hits[1] > 0  # the warm run reused
        b = _kets(tiny, cold.run())
    assert factors.factor_cache.hits == 0 and fftw_native._plan_cache.hits == 0
    assert len(accuracy._PhaseMeasures._kept) == 1  # only the cold run's own
    assert np.array_equal(a, b)
    clear_reuse()
    assert len(factors.factor_cache) == len(fftw_native._plan_cache) == 0
