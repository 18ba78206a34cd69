"""Peers benchmark: quantgeo's SplitOperatorSolver against qmsolve, pytalises and pygpe.

Every solver runs the *same* problem — the same site values of V and ψ₀ on the same periodic
grid, the continuum dispersion ħ²k²/2m (quantgeo ``kinetic="spectral"``), the same dt — on one
thread (quantgeo ``workers=1``; pytalises ``num_of_threads=1``; qmsolve and pygpe call
``numpy.fft``, which is serial; OMP/MKL/OpenBLAS/Numba/numexpr threads set to 1 when run as a
script).  Problem: harmonic trap ``V = |x|²/2`` in the box ``[-8, 8)^d``, a Gaussian packet
(centre 1, width 0.8, momentum 0.5 per axis), ħ = m = 1.

(a) Time per split step at 1D 4096, 2D 512², 3D 64³ (where the peer has that dimension), each
    solver through its own public entry point.  One round times ``n`` and ``2n`` steps of every
    solver back to back (the order rotating from round to round); with the medians of
    ``--rounds`` (7) rounds, the time per step is the slope ``(t(2n) − t(n))/n``, which drops
    each solver's per-run set-up (array allocation, FFTW planning, factor tables), and the
    ratio is peer/quantgeo.  Times are CPU time of the process by default (``--clock cpu``):
    on a machine shared with other jobs, waiting for a core inflates wall time, not CPU time;
    for one-threaded runs on a quiet machine the two agree (``--clock wall`` to check).
    quantgeo runs with ``error_samples=0`` (no step-doubling error estimate; the peers have
    none).
(b) Accuracy: each peer's final state against quantgeo's in the peer's own splitting order
    (qmsolve: V/2 T V/2, quantgeo's Strang; pytalises and pygpe: T/2 V T/2, obtained from
    quantgeo's solver through the exact identity below), and against the exact evolution (dense
    diagonalisation of quantgeo's spectral Hamiltonian) on a small grid.

T/2 V T/2 from a V/2 T V/2 solver, exactly::

    (e^{-iTh/2} e^{-iVh} e^{-iTh/2})^n
        = e^{+iTh/2} e^{+iVh/2} (e^{-iVh/2} e^{-iTh} e^{-iVh/2})^(n+1) e^{+iVh/2} e^{+iTh/2}

qmsolve 2.0.0's split-step does not use the FFT grid: its momenta are
``linspace(-k_lo, k_hi, N)`` in ``fftshift`` order, with end points near ±π/Δ rounded apart
(N points over the whole range instead of N spacings of Δk = 2π/L).  Against the FFT grid they
are exactly affine, ``a·k + bΔk`` (:func:`qmsolve_momentum_grid`; a = 1.010, b = 0.346 at
N = 128 in this box): its step is a correct Strang step for the dispersion (a·k + bΔk)²/2 — a
mass off by 1/a² and a spurious boost — not for k²/2.  The accuracy table shows it as shipped,
the exact evolution under that dispersion, and, as a diagnostic, qmsolve with ``method.p2``
replaced by the FFT grid's k² (then it matches quantgeo's Strang step to round-off).  Its
split-step has no 3D path (it raises AttributeError at set-up).

Usage: python benchmarks/peers.py [--quick] [--rounds 7] [--clock cpu|wall] [--json FILE]
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # before NumPy/Numba/numexpr start their pools
    for _var in (
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "NUMBA_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "NUMEXPR_MAX_THREADS",
    ):
        os.environ[_var] = "1"

import argparse
import contextlib
import functools
import importlib.metadata
import importlib.util
import io
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

CArray = NDArray[np.complex128]

PEERS = ("qmsolve", "pytalises", "pygpe")
#: Splitting order of each solver's step, as shipped.
ORDER = {
    "quantgeo": "V/2 T V/2",
    "qmsolve": "V/2 T V/2",
    "pytalises": "T/2 V T/2",
    "pygpe": "T/2 V T/2",
}
#: Benchmark sizes (issue 13) and the small grids of the exact cross-check.
SIZES: dict[int, tuple[int, ...]] = {1: (4096,), 2: (512, 512), 3: (64, 64, 64)}
QUICK_SIZES: dict[int, tuple[int, ...]] = {1: (1024,), 2: (128, 128), 3: (32, 32, 32)}
SMALL: dict[int, tuple[int, ...]] = {1: (128,), 2: (32, 32), 3: (12, 12, 12)}
BOX = (-8.0, 8.0)


@dataclass(frozen=True)
class Problem:
    """One problem handed to every solver: quantgeo's spectral Hamiltonian, ψ₀ and dt."""

    ham: Any
    psi0: CArray
    dt: float

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.psi0.shape)

    @property
    def spacing(self) -> float:
        return float(self.ham.lattice.spacing[0])

    def norm(self, psi: CArray) -> float:
        """L2 norm ``sqrt(Σ|ψ|² ΔV)`` (ψ₀ has norm 1)."""
        return float(np.sqrt(np.sum(np.abs(psi) ** 2) * self.ham.lattice.cell_volume))


def make_problem(shape: tuple[int, ...], dt: float) -> Problem:
    """Harmonic trap in ``[-8, 8)^d``, Gaussian packet off centre and moving, spectral kinetic."""
    import quantgeo as qg
    from quantgeo.potentials import harmonic

    lat = qg.Lattice(shape, BOX)
    ham = qg.Hamiltonian(lat, harmonic(1.0), kinetic="spectral")
    psi0 = qg.gaussian(lat, center=1.0, width=0.8, momentum=0.5).data
    return Problem(ham, np.ascontiguousarray(psi0, dtype=np.complex128), dt)


# -- quantgeo ---------------------------------------------------------------------------------
def quantgeo_stepper(p: Problem, order: str = "V/2 T V/2") -> Callable[[int], CArray]:
    """``advance(n)``: ψ after n steps of quantgeo's Strang solver (1 worker) from ψ₀.

    ``order="T/2 V T/2"`` gives the other Strang splitting exactly, through the identity in the
    module docstring (n + 1 solver steps between two half-step corrections in NumPy).
    """
    import quantgeo as qg

    # error_samples=0: no step-doubling error estimate (the peers have none; by default it
    # redoes a few segments with half steps, ≤ 16 % more work from 100 steps on)
    solver = qg.SplitOperatorSolver(p.ham, p.dt, "strang", workers=1, error_samples=0)

    def run(psi: CArray, n: int) -> CArray:
        traj = solver.run(
            psi, (0.0, n * p.dt), recorder=qg.Recorder(observables=()), progress=False
        )
        assert traj.states is not None
        return np.asarray(traj.states[-1])

    if order == "V/2 T V/2":
        return lambda n: run(p.psi0, n)
    if order != "T/2 V T/2":
        raise ValueError(f"`order` must be 'V/2 T V/2' or 'T/2 V T/2', got {order!r}")
    back_v = np.exp(0.5j * p.dt * p.ham.potential_values() / p.ham.hbar)
    back_t = np.exp(0.5j * p.dt * p.ham.dispersion() / p.ham.hbar)

    def undo(psi: CArray) -> CArray:  # e^{+iVh/2} e^{+iTh/2} ψ — same on both sides
        return back_v * np.fft.ifftn(back_t * np.fft.fftn(psi))

    def advance(n: int) -> CArray:
        out = run(undo(p.psi0), n + 1)
        return np.fft.ifftn(back_t * np.fft.fftn(back_v * out))

    return advance


# -- peers ------------------------------------------------------------------------------------
def installed(peer: str) -> bool:
    """Whether the peer package can be imported."""
    return importlib.util.find_spec(peer) is not None


def qmsolve_stepper(p: Problem, grid: str = "shipped") -> Callable[[int], CArray]:
    """qmsolve 2.0.0 ``TimeSimulation(method="split-step")``: V/2 T V/2, ``numpy.fft``.

    Its box is ``extent = N·Δ`` (so its ``H.dx`` is quantgeo's spacing); V and ψ₀ are handed
    over as site arrays, so its own coordinate grid (a ``linspace`` with both end points) does
    not enter.  ``grid="fft"`` replaces its momentum grid ``method.p2`` by the FFT grid's
    ``2m·ε(k)`` in its ``fftshift`` order — a diagnostic of what the shipped grid costs.
    """
    import qmsolve

    n_axis, ndim = p.shape[0], p.ham.lattice.ndim
    if any(n != n_axis for n in p.shape):
        raise ValueError(f"qmsolve needs a square grid, got shape {p.shape}")
    v = p.ham.potential_values().copy()
    with contextlib.redirect_stdout(io.StringIO()):
        ham = qmsolve.Hamiltonian(
            particles=qmsolve.SingleParticle(m=1.0),
            potential=lambda _particle: v,
            spatial_ndim=ndim,
            N=n_axis,
            extent=n_axis * p.spacing,
        )
        try:
            sim = qmsolve.TimeSimulation(ham, method="split-step")
        except (AttributeError, NotImplementedError) as exc:  # 2.0.0 in 3D: AttributeError
            raise NotImplementedError(
                f"qmsolve {importlib.metadata.version('qmsolve')} has no {ndim}D split-step: "
                f"TimeSimulation(method='split-step') raises {type(exc).__name__}: {exc}"
            ) from exc
    if grid == "fft":
        sim.method.p2 = np.fft.fftshift(2.0 * p.ham.mass[0] * p.ham.dispersion())
    elif grid != "shipped":
        raise ValueError(f"`grid` must be 'shipped' or 'fft', got {grid!r}")

    def advance(n: int) -> CArray:
        # qmsolve prints its run time and draws a progress bar: keep them off the tables
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            sim.run(lambda _particle: p.psi0, total_time=n * p.dt, dt=p.dt, store_steps=1)
        return np.asarray(sim.Ψ[-1])

    return advance


def qmsolve_momentum_grid(n_sites: int, spacing: float) -> tuple[float, float]:
    """qmsolve's 1D momenta against the FFT grid's, in ``fftshift`` order: ``k_q = a·k + b``.

    Read from qmsolve's own ``SingleParticle.px`` for a box ``extent = N·Δ`` and fitted by
    least squares (the grid is exactly affine: residual ~1e-14).  Returns ``(a, b/Δk)`` with
    ``Δk = 2π/(NΔ)``; ``b`` is the momentum of the mode that should have k = 0.
    """
    import qmsolve

    with contextlib.redirect_stdout(io.StringIO()):
        ham = qmsolve.Hamiltonian(
            particles=qmsolve.SingleParticle(m=1.0),
            potential=lambda _particle: np.zeros(n_sites),
            spatial_ndim=1,
            N=n_sites,
            extent=n_sites * spacing,
        )
        qmsolve.TimeSimulation(ham, method="split-step")  # builds px
    k_fft = np.fft.fftshift(2 * np.pi * np.fft.fftfreq(n_sites, spacing))
    scale, offset = np.polyfit(k_fft, ham.particle_system.px, 1)
    return float(scale), float(offset * n_sites * spacing / (2 * np.pi))


def pytalises_stepper(p: Problem) -> Callable[[int], CArray]:
    """pytalises 0.2.7 ``propagate``: T/2 V T/2, pyFFTW (FFTW_ESTIMATE), 1 thread.

    Its box ``spatial_ext = (lo, lo + N·Δ)`` gives its wavenumbers ``2π·fftfreq(N, Δ)``
    (quantgeo's); ψ₀ and V enter as numexpr variables holding the site arrays, and the mass
    equals its default ħ (SI value) so that ħ/2m = 1/2 as in quantgeo's units.
    """
    import pytalises

    lo = float(p.ham.lattice.bounds[0][0])
    pad = p.shape + (1,) * (3 - len(p.shape))  # pytalises works on (nX, nY, nZ) grids
    u0 = p.psi0.reshape(pad)
    v = p.ham.potential_values().reshape(pad).astype(np.complex128)
    hbar_si = 1.054571817e-34  # pytalises' ħ: with m = ħ its kinetic factor is k²/2

    def advance(n: int) -> CArray:
        psi = pytalises.Wavefunction(
            "u0",
            p.shape,
            [(lo, lo + n_i * p.spacing) for n_i in p.shape],
            m=hbar_si,
            variables={"u0": u0},
        )
        pytalises.propagate(
            psi, "vsites", n, p.dt, variables={"vsites": v}, diag=True, num_of_threads=1
        )
        return np.asarray(psi.amp).reshape(p.shape)

    return advance


def pygpe_stepper(p: Problem) -> Callable[[int], CArray]:
    """pygpe 2.0.4 scalar ``step_wavefunction`` with g = 0: T/2 V T/2, ``numpy.fft``.

    (Without CuPy, pygpe runs on NumPy.)  Its grid ``Grid(shape, spacing)`` has quantgeo's
    wavenumbers; the state lives in Fourier space between steps, as pygpe's own loop keeps it.
    """
    from pygpe.scalar.evolution import step_wavefunction
    from pygpe.scalar.wavefunction import ScalarWavefunction
    from pygpe.shared.grid import Grid

    if len(p.shape) == 1:
        grid = Grid(p.shape[0], p.spacing)
    else:
        grid = Grid(p.shape, (p.spacing,) * len(p.shape))
    params = {"dt": p.dt, "g": 0.0, "trap": p.ham.potential_values().copy()}

    def advance(n: int) -> CArray:
        wfn = ScalarWavefunction(grid)
        wfn.set_wavefunction(p.psi0.copy())  # pygpe keeps the array and updates it in place
        wfn.fft()
        for _ in range(n):
            step_wavefunction(wfn, params)
        wfn.ifft()
        return np.asarray(wfn.component)

    return advance


STEPPERS: dict[str, Callable[[Problem], Callable[[int], CArray]]] = {
    "qmsolve": qmsolve_stepper,
    "pytalises": pytalises_stepper,
    "pygpe": pygpe_stepper,
}


def peer_stepper(peer: str, p: Problem) -> tuple[Callable[[int], CArray] | None, str]:
    """The peer's ``advance(n)``, or None and the reason it cannot run this problem."""
    if not installed(peer):
        return None, f"{peer} is not installed (pip install -e '.[bench]')"
    try:
        return STEPPERS[peer](p), ""
    except (NotImplementedError, ValueError) as exc:
        return None, str(exc)


# -- (a) time per step ----------------------------------------------------------------------
#: ``"cpu"``: CPU time of the process (all its threads), which a loaded machine does not
#: inflate for one-threaded solvers (waiting for a core is not counted); ``"wall"``: elapsed
#: time.  On a quiet machine the two agree for 1-thread runs.
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


def _elapsed(fn: Callable[[], Any], clock: str = "cpu") -> float:
    now = CLOCKS[clock]
    t = now()
    fn()
    return now() - t


def time_per_step(
    steppers: dict[str, Callable[[int], CArray]], n: int, rounds: int = 7, clock: str = "cpu"
) -> dict[str, dict[str, float]]:
    """Time per step of every stepper, without its per-run set-up, and the ratio to quantgeo.

    Each round runs ``n`` and ``2n`` steps of every stepper back to back, so all see the same
    load; the order of the solvers rotates from round to round.  With the medians over rounds
    ``t_n`` and ``t_2n``: per step = ``(t_2n − t_n)/n`` and set-up = ``2·t_n − t_2n`` (array
    allocation, FFTW planning, factor tables, quantgeo's phase-per-step check).  ``spread`` is
    the range of the per-round slopes over their median.  ``clock``: a key of :data:`CLOCKS`.
    """
    for advance in steppers.values():  # compile, plan, warm caches
        advance(1)
    names = list(steppers)
    t_n: dict[str, list[float]] = {name: [] for name in names}
    t_2n: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t_n[name].append(_elapsed(functools.partial(steppers[name], n), clock))
            t_2n[name].append(_elapsed(functools.partial(steppers[name], 2 * n), clock))
    out = {}
    for name in names:
        m1, m2 = statistics.median(t_n[name]), statistics.median(t_2n[name])
        slopes = [(b - a) / n for a, b in zip(t_n[name], t_2n[name], strict=True)]
        step = (m2 - m1) / n
        out[name] = {
            "step_ms": 1e3 * step,
            "setup_ms": 1e3 * (2 * m1 - m2),
            "spread": (max(slopes) - min(slopes)) / step,
        }
    for name in names:
        out[name]["ratio"] = out[name]["step_ms"] / out["quantgeo"]["step_ms"]
    return out


def speed(
    shape: tuple[int, ...], dt: float, n: int, rounds: int = 7, clock: str = "cpu"
) -> dict[str, dict[str, Any]]:
    """:func:`time_per_step` of quantgeo and every peer that runs ``shape``, plus each peer's
    final-state distance to quantgeo in the peer's splitting order (``"vs_quantgeo"``)."""
    p = make_problem(shape, dt)
    steppers: dict[str, Callable[[int], CArray]] = {"quantgeo": quantgeo_stepper(p)}
    out: dict[str, dict[str, Any]] = {}
    for peer in PEERS:
        stepper, why = peer_stepper(peer, p)
        if stepper is None:
            out[peer] = {"skipped": why}
        else:
            steppers[peer] = stepper
    res = time_per_step(steppers, n, rounds, clock)
    ours = {o: quantgeo_stepper(p, o)(n) for o in ("V/2 T V/2", "T/2 V T/2")}
    for name, stepper in steppers.items():
        out[name] = {**res[name], "vs_quantgeo": p.norm(stepper(n) - ours[ORDER[name]])}
    return out


# -- (b) accuracy ---------------------------------------------------------------------------
def cross_check(p: Problem, steps: int, exact: CArray | None = None) -> list[dict[str, Any]]:
    """L2 distances ``‖ψ_a − ψ_b‖`` after ``steps`` steps (ψ₀ has norm 1).

    One row per solver: its order, the distance to quantgeo in the same order, to quantgeo's
    V/2 T V/2 step, and (if ``exact`` is given) to the exact state at ``t = steps·dt``.
    """
    ours = {o: quantgeo_stepper(p, o)(steps) for o in ("V/2 T V/2", "T/2 V T/2")}
    rows = [
        {
            "solver": f"quantgeo ({o})",
            "order": o,
            "vs_quantgeo_same_order": 0.0,
            "vs_quantgeo_strang": p.norm(psi - ours["V/2 T V/2"]),
            "vs_exact": None if exact is None else p.norm(psi - exact),
        }
        for o, psi in ours.items()
    ]
    candidates: list[tuple[str, str, Callable[[int], CArray] | None, str]] = []
    for peer in PEERS:
        stepper, why = peer_stepper(peer, p)
        candidates.append((peer, ORDER[peer], stepper, why))
        if peer == "qmsolve" and stepper is not None:
            patched = qmsolve_stepper(p, "fft")
            candidates.append(("qmsolve (FFT grid patched in)", ORDER[peer], patched, ""))
    for name, order, stepper, why in candidates:
        if stepper is None:
            rows.append({"solver": name, "order": order, "skipped": why})
            continue
        psi = stepper(steps)
        rows.append(
            {
                "solver": name,
                "order": order,
                "vs_quantgeo_same_order": p.norm(psi - ours[order]),
                "vs_quantgeo_strang": p.norm(psi - ours["V/2 T V/2"]),
                "vs_exact": None if exact is None else p.norm(psi - exact),
            }
        )
    return rows


def accuracy(shape: tuple[int, ...], dt: float = 0.01, steps: int = 100) -> list[dict[str, Any]]:
    """:func:`cross_check` on a small grid against the exact state at ``t = steps·dt``
    (dense diagonalisation of quantgeo's spectral Hamiltonian).

    The shipped qmsolve row (1D, 2D) also carries the distance to the exact evolution of two
    models of its step, from ψ₀ (δ = b/a, :func:`qmsolve_momentum_grid`; ``X = Σ_i x_i``):
    ``vs_boosted_exact`` under ``(k + bΔk)²/2 + V``, i.e. ``e^{-ibΔkX} e^{-iHt} e^{ibΔkX} ψ₀``,
    and ``vs_model_exact`` under ``(a·k + bΔk)²/2 + V`` (mass 1/a², boost δ).
    """
    from quantgeo.analytic import SpectralPropagator

    p = make_problem(shape, dt)
    prop = SpectralPropagator(p.ham)
    t = steps * dt
    rows = cross_check(p, steps, prop.states(p.psi0, [t])[0])
    qm = next((r for r in rows if r["solver"] == "qmsolve" and "skipped" not in r), None)
    if qm is not None:
        import quantgeo as qg

        scale, offset = qmsolve_momentum_grid(shape[0], p.spacing)
        lat = p.ham.lattice
        x_sum = sum(np.meshgrid(*lat.axes, indexing="ij"), np.zeros(shape))
        psi = qmsolve_stepper(p)(steps)
        for key, a in (("vs_boosted_exact", 1.0), ("vs_model_exact", scale)):
            delta = offset * 2 * np.pi / lat.lengths[0] / a
            model = qg.Hamiltonian(lat, p.ham.potential_values(), 1 / a**2, kinetic="spectral")
            boost = np.exp(1j * delta * x_sum)
            evolved = SpectralPropagator(model).states(boost * p.psi0, [t])[0]
            qm[key] = p.norm(psi - boost.conj() * evolved)
        qm["momentum_scale"], qm["momentum_offset"] = scale, offset
    return rows


# -- script ---------------------------------------------------------------------------------
def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.1e}"


def _speed_tables(rows: dict[str, dict[str, dict[str, Any]]], n: dict[str, int]) -> str:
    lines = [
        "| size | quantgeo | " + " | ".join(PEERS) + " |",
        "|---|---|" + "---|" * len(PEERS),
    ]
    for size, res in rows.items():
        cells = []
        for peer in PEERS:
            r = res[peer]
            if "skipped" in r:
                cells.append("–")
            elif r["ratio"] >= 1:
                cells.append(f"{r['ratio']:.1f}× slower")
            else:
                cells.append(f"**{1 / r['ratio']:.2f}× faster**")
        step = res["quantgeo"]["step_ms"]
        lines.append(f"| {size} | {step:.3f} ms | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| size | steps per run | solver | ms per step | set-up per run, ms | spread of rounds "
        "| final ψ − quantgeo in its order |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, res in rows.items():
        for name, r in res.items():
            if "skipped" in r:
                lines.append(f"| {size} | – | {name} | – | – | – | – ({r['skipped']}) |")
            else:
                lines.append(
                    f"| {size} | {n[size]} and {2 * n[size]} | {name} | {r['step_ms']:.3f} "
                    f"| {r['setup_ms']:.2f} "
                    f"| {100 * r['spread']:.0f} % | {r['vs_quantgeo']:.0e} |"
                )
    return "\n".join(lines)


def _accuracy_table(rows_by_dim: dict[int, list[dict[str, Any]]], dt: float, steps: int) -> str:
    lines = [
        f"Accuracy after {steps} steps of dt = {dt} (t = {steps * dt:g}); L2 distance, ‖ψ₀‖ = 1",
        "| grid | solver | order | vs quantgeo, same order | vs quantgeo V/2 T V/2 | vs exact |",
        "|---|---|---|---|---|---|",
    ]
    for ndim, rows in rows_by_dim.items():
        size = f"{ndim}D " + "×".join(map(str, SMALL[ndim]))
        for r in rows:
            if "skipped" in r:
                lines.append(
                    f"| {size} | {r['solver']} | {r['order']} | – | – | – ({r['skipped']}) |"
                )
                continue
            lines.append(
                f"| {size} | {r['solver']} | {r['order']} | {_fmt(r['vs_quantgeo_same_order'])} "
                f"| {_fmt(r['vs_quantgeo_strang'])} | {_fmt(r['vs_exact'])} |"
            )
    for ndim, rows in rows_by_dim.items():
        for r in rows:
            if "vs_model_exact" in r:
                lines.append(
                    f"{ndim}D: qmsolve's momenta are a·k + bΔk, a = {r['momentum_scale']:.4f}, "
                    f"b = {r['momentum_offset']:.3f}; shipped qmsolve − exact evolution under "
                    f"(k + bΔk)²/2 + V: {r['vs_boosted_exact']:.1e}, under (a·k + bΔk)²/2 + V: "
                    f"{r['vs_model_exact']:.1e}"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer steps")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (median)")
    parser.add_argument("--dt", type=float, default=1e-3, help="time step of the timing runs")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="cpu", help="see CLOCKS")
    parser.add_argument("--json", help="also write all rows to this JSON file")
    args = parser.parse_args()
    import quantgeo._kernels as kernels

    kernels.warmup(("split",), (1, 2, 3))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sizes = QUICK_SIZES if args.quick else SIZES
    steps = {1: 100, 2: 10, 3: 10} if args.quick else {1: 400, 2: 20, 3: 20}
    rows, n = {}, {}
    for ndim, shape in sizes.items():
        size = f"{ndim}D " + "×".join(map(str, shape))
        n[size] = steps[ndim]
        rows[size] = speed(shape, args.dt, steps[ndim], args.rounds, args.clock)
    print(
        f"Time per split step ({args.clock} time), 1 thread, dt = {args.dt}, "
        f"median of {args.rounds} rounds"
    )
    print(_speed_tables(rows, n))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    acc = {ndim: accuracy(SMALL[ndim]) for ndim in SMALL}
    if installed("qmsolve"):
        for n_sites in (SMALL[1][0], SIZES[1][0]):
            a, b = qmsolve_momentum_grid(n_sites, (BOX[1] - BOX[0]) / n_sites)
            print(f"qmsolve momenta, N = {n_sites}: a·k + bΔk with a = {a:.5f}, b = {b:.4f}")
    print(_accuracy_table(acc, 0.01, 100))
    if args.json:
        from quantgeo.cli._common import write_json  # atomic, strict JSON

        write_json(args.json, {"speed": rows, "accuracy": {str(k): v for k, v in acc.items()}})


if __name__ == "__main__":
    main()
