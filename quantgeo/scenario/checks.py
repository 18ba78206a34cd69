"""The closed-form checks of ``[[expect.analytic]]``: one registry entry per check.

Each :class:`CheckDef` carries what the check measures (doc, unit, extra keys), what it
``requires`` of the scenario (reported at load time as ``[expect.analytic.N].check`` problems)
and its probe: a small class that collects what it needs during the run (``times``,
``observables``, ``callback``) and ``evaluate(trajectory)`` returns the measured error.
The imaginary-time checks (``ground_energy``, ``ground_state_fidelity``) read the one record
(the ground state) of the imaginary-time trajectory.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.scenario.checker import Checker, suggest, tname
from quantgeo.scenario.requirements import (
    Draft,
    analytic_ground_energy,
    check_requirements,
    req_barrier,
    req_coherent,
    req_driven,
    req_free,
    req_ground,
    req_rabi,
    req_slit,
    req_talbot,
    req_tunnelling,
)
from quantgeo.scenario.schema import (
    BAD,
    CHECK_COMMON_KEYS,
    Key,
    _k,
)

if TYPE_CHECKING:
    from quantgeo.recording import Trajectory
    from quantgeo.scenario.build import Built
    from quantgeo.scenario.specs import CheckSpec

__all__ = [
    "ANALYTIC_CHECKS",
    "CheckDef",
    "Probe",
    "analytic_ground_energy",
    "check_requirements",
    "validate_checks",
]

CArray = NDArray[np.complex128]
FArray = NDArray[np.float64]


class Probe:
    """What one closed-form check needs during the run and how it is evaluated."""

    #: Recorder observables the check reads from the trajectory.
    needs: tuple[str, ...] = ()

    def __init__(self, built: Built, spec: CheckSpec) -> None:
        self.built, self.spec = built, spec
        self.times: list[float] = []
        self.observables: dict[str, Callable[[Any], Any]] = {}
        self.values: list[float] = []

    def callback(self, t: float, state: Any) -> None:
        """Called at every record time with the current state."""

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        """Measured error and a human-readable detail."""
        return (max(self.values) if self.values else math.nan), ""


def _l2(a: CArray, b: CArray, dv: float) -> float:
    return float(np.sqrt(np.sum(np.abs(a - b) ** 2) * dv))


class _AnalyticPsiProbe(Probe):
    def __init__(self, built: Built, spec: CheckSpec) -> None:
        super().__init__(built, spec)
        fn = built.analytic_state()
        assert fn is not None
        self.fn = fn

    def callback(self, t: float, state: Any) -> None:
        self.values.append(_l2(state.data, self.fn(t), self.built.lattice.cell_volume))

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        return max(self.values), f"max over {len(self.values)} records"


class _FinalStateProbe(Probe):
    """Keeps the state of the last record time (the run's end) for :meth:`result`."""

    def __init__(self, built: Built, spec: CheckSpec) -> None:
        super().__init__(built, spec)
        self.final: CArray | None = None

    def callback(self, t: float, state: Any) -> None:
        self.final = state.data.copy()


class _FreeWidthProbe(Probe):
    needs = ("width",)

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        from quantgeo.analytic import free_gaussian_width

        sc, h = self.built.scenario, self.built.hamiltonian
        assert sc.initial_state is not None
        w0 = np.broadcast_to(sc.initial_state.params["width"], (self.built.lattice.ndim,))
        law = free_gaussian_width(traj.times - self.built.t_span[0], w0, h.mass, h.hbar)
        err = np.abs(np.asarray(traj["width"]).reshape(law.shape) - law)
        return float(err.max()), f"σ(t_end) = {np.asarray(traj['width'])[-1].tolist()}"


class _DrivenProbe(Probe):
    needs = ("position",)

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        from quantgeo.analytic import driven_oscillator

        sc, h, lat = self.built.scenario, self.built.hamiltonian, self.built.lattice
        assert sc.hamiltonian is not None and sc.initial_state is not None
        q = sc.hamiltonian.nonzero_terms()[0].params
        init = sc.initial_state.params
        omega = np.broadcast_to(q["omega"], (lat.ndim,))
        c0 = np.broadcast_to(init["center"], (lat.ndim,))
        p0 = np.broadcast_to(init["momentum"], (lat.ndim,))
        t = traj.times - self.built.t_span[0]
        pos = np.asarray(traj["position"]).reshape(len(t), lat.ndim)
        errs = []
        for i in range(lat.ndim):
            amp = q["amplitude"] if i == q["axis"] else 0.0
            x = driven_oscillator(t, omega[i], amp, q["drive_frequency"], c0[i], p0[i], h.mass[i])
            errs.append(np.abs(pos[:, i] - x).max())
        return float(max(errs)), f"⟨x⟩(t_end) = {pos[-1].tolist()}"


class _RabiProbe(Probe):
    def __init__(self, built: Built, spec: CheckSpec) -> None:
        super().__init__(built, spec)
        dv = built.lattice.cell_volume
        self.h = built.hamiltonian.to_dense()
        self.c0 = built.state0.data * math.sqrt(dv)
        self.t0 = built.t_span[0]

    def callback(self, t: float, state: Any) -> None:
        from quantgeo.analytic import two_level_evolve

        dv = self.built.lattice.cell_volume
        exact = two_level_evolve(
            self.h, self.c0, t - self.t0, self.built.hamiltonian.hbar
        ) / math.sqrt(dv)
        self.values.append(_l2(state.data, exact, dv))

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        h = self.h
        return max(self.values), f"J = {abs(h[0, 1]):.6g}, δ = {(h[0, 0] - h[1, 1]).real:.6g}"


class _TalbotProbe(Probe):
    def __init__(self, built: Built, spec: CheckSpec) -> None:
        super().__init__(built, spec)
        from quantgeo.analytic import talbot_time

        lat, h = built.lattice, built.hamiltonian
        self.tr = talbot_time(lat.lengths[0], float(h.mass[0]), h.hbar)
        t0 = built.t_span[0]
        self.t_half, self.t_full = t0 + self.tr / 2, t0 + self.tr
        self.times = [self.t_half, self.t_full]
        self.psi0 = built.state0.data.copy()
        self.errs: dict[str, float] = {}

    def callback(self, t: float, state: Any) -> None:
        dv = self.built.lattice.cell_volume
        tol = 1e-9 * max(1.0, abs(t))
        if abs(t - self.t_full) <= tol:
            self.errs["full"] = _l2(state.data, self.psi0, dv)
        elif abs(t - self.t_half) <= tol:
            shifted = np.roll(self.psi0, self.psi0.shape[0] // 2)
            self.errs["half"] = _l2(state.data, shifted, dv)

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        if len(self.errs) != 2:
            return math.nan, "revival times not reached"
        return max(self.errs.values()), (
            f"T_R = {self.tr:.6g}; ‖ψ(T_R) − ψ0‖ = {self.errs['full']:.3g}, "
            f"‖ψ(T_R/2) − ψ0(x − L/2)‖ = {self.errs['half']:.3g}"
        )


class _BarrierProbe(_FinalStateProbe):
    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        from quantgeo import analytic as A

        b, sc = self.built, self.built.scenario
        assert sc.hamiltonian is not None and self.final is not None
        lat, h = b.lattice, b.hamiltonian
        bar = sc.hamiltonian.terms("barrier")[0].params
        x = lat.axes[0]
        dx = lat.spacing[0]
        measured = float(np.sum(np.abs(self.final[x > bar["center"]]) ** 2) * dx)
        v = h.potential_values()
        idx = np.nonzero(v)[0]
        model = self.spec.params.get("model", "auto")
        if model == "auto":
            model = "lattice" if h.kinetic == "lattice" else "continuum"
        m = float(h.mass[0])
        if idx.size == 0:
            predicted = 1.0
        elif model == "lattice":
            tk: Callable[[Any], Any] = functools.partial(
                A.lattice_transmission,
                potential_sites=v[idx[0] : idx[-1] + 1],
                spacing=dx,
                mass=m,
                hbar=h.hbar,
            )
            predicted = A.packet_transmission(b.state0.data, dx, tk)
        else:
            width = idx.size * dx

            def tk(k: Any) -> Any:
                return A.continuum_transmission(
                    h.hbar**2 * np.asarray(k) ** 2 / (2 * m), bar["height"], width, m, h.hbar
                )

            predicted = A.packet_transmission(b.state0.data, dx, tk)
        return abs(
            measured - predicted
        ), f"T = {measured:.6f} (predicted, {model}: {predicted:.6f})"


class _TunnellingProbe(Probe):
    def __init__(self, built: Built, spec: CheckSpec) -> None:
        super().__init__(built, spec)
        assert built.scenario.hamiltonian is not None
        axis = int(built.scenario.hamiltonian.terms("double_well")[0].params["axis"])
        coords = np.broadcast_to(built.lattice.coordinates()[axis], built.lattice.shape)
        left = coords < 0
        dv = built.lattice.cell_volume

        def p_left(state: Any) -> float:
            return float(np.sum(np.abs(state.data[left]) ** 2) * dv)

        self.observables = {"left_probability": p_left}

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        from quantgeo.analytic import fit_period

        # The same eigh that built the initial state (ψ₀ + ψ₁)/√2: ΔE = E₁ − E₀.
        e, _ = self.built.eigh(2)
        splitting = float(e[1] - e[0])
        expected = 2 * np.pi * self.built.hamiltonian.hbar / splitting
        period = fit_period(traj.times, np.asarray(traj["left_probability"], dtype=float))
        if not math.isfinite(period):
            return math.inf, f"no oscillation found (expected period {expected:.6g})"
        return abs(period - expected) / expected, (
            f"fitted period {period:.8g}, 2πħ/ΔE = {expected:.8g} (ΔE = {splitting:.6g})"
        )


class _RemainingNormProbe(Probe):
    needs = ("norm",)

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        n = np.asarray(traj["norm"], dtype=float)
        return float(n[-1]), f"absorbed {1 - n[-1] / n[0]:.4%}"


class _GroundEnergyProbe(Probe):
    """``ground_energy``: the last recorded ⟨H⟩ against Σħω/2 or eigh's lowest eigenvalue."""

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        b = self.built
        h = b.scenario.hamiltonian
        assert h is not None
        energy = float(np.asarray(traj["energy"])[-1])
        ref = self.spec.params.get("reference", "auto")
        analytic_ok = analytic_ground_energy(h.kinetic, [p.type for p in h.nonzero_terms()])
        if ref == "analytic" or (ref == "auto" and analytic_ok):
            from quantgeo.analytic import harmonic_ground_energy

            omega = np.broadcast_to(h.nonzero_terms()[0].params["omega"], (b.lattice.ndim,))
            e_ref, how = harmonic_ground_energy(omega, h.hbar), "Σħω/2"
        else:
            e_ref, how = float(b.eigh(1)[0][0]), "eigh"
        return abs(energy - e_ref), f"E = {energy:.12g}, {how} = {e_ref:.12g}"


class _GroundFidelityProbe(Probe):
    """``ground_state_fidelity``: 1 − |⟨ψ₀|ψ⟩|² of the last recorded state and eigh's."""

    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        from quantgeo.observables import fidelity
        from quantgeo.wavefunction import Wavefunction

        assert traj.states is not None
        lat = self.built.lattice
        ground = Wavefunction(lat, self.built.eigh(1)[1][0])
        return max(0.0, 1.0 - fidelity(ground, Wavefunction(lat, traj.states[-1]))), ""


class _SlitProbe(_FinalStateProbe):
    def evaluate(self, traj: Trajectory) -> tuple[float, str]:
        from quantgeo.analytic import two_slit_fringe_spacing

        sc, lat = self.built.scenario, self.built.lattice
        assert sc.hamiltonian is not None and self.final is not None
        q = sc.hamiltonian.terms("double_slit")[0].params
        ax = int(q["axis"])
        other = 1 - ax
        coords = np.broadcast_to(lat.coordinates()[ax], lat.shape)
        beyond = coords > q["position"] + q["thickness"] / 2
        part = np.where(beyond, self.final, 0.0)
        # Zero padding samples the continuous transverse spectrum of the (localised) transmitted
        # wave 8× finer than the lattice's own wavenumbers, for an accurate vertex fit.
        pad = 8 * lat.shape[other]
        pk = np.sum(np.abs(np.fft.fft(part, n=pad, axis=other)) ** 2, axis=ax)
        k = 2 * np.pi * np.fft.fftfreq(pad, lat.spacing[other])
        order = np.argsort(k)
        d = float(q["separation"])
        expected = 2 * np.pi / d
        try:
            spacing = two_slit_fringe_spacing(k[order], pk[order], d)
        except ValueError as exc:
            return math.inf, str(exc)
        return abs(spacing - expected) / expected, (
            f"Δk = {spacing:.6g} between the first two fringe minima (2π/d = {expected:.6g})"
        )


def validate_checks(
    ck: Checker, expect_raw: Any, ndim: int | None
) -> list[tuple[str, CheckDef, dict[str, Any]]]:
    """The ``[[expect.analytic]]`` entries: ``(label, check, values)`` of the known ones."""
    if not isinstance(expect_raw, dict):
        return []
    raw = expect_raw.get("analytic", [])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        ck.add(
            "expect",
            "analytic",
            f"must be an array of tables ([[expect.analytic]]), got {tname(raw)}",
        )
        return []
    out = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        label = f"expect.analytic.{i}"
        name = entry.get("check", BAD)
        if name is BAD:
            ck.add(
                label, "check", f"missing required key; valid checks: {', '.join(ANALYTIC_CHECKS)}"
            )
            continue
        if not isinstance(name, str) or name not in ANALYTIC_CHECKS:
            ck.add(
                label,
                "check",
                f"unknown check {name!r}{suggest(str(name), ANALYTIC_CHECKS)}; "
                f"valid: {', '.join(ANALYTIC_CHECKS)}",
            )
            continue
        if name in seen:
            ck.add(label, "check", f"{name!r} is listed twice")
        seen.add(name)
        cdef = ANALYTIC_CHECKS[name]
        vals = ck.table(
            entry,
            label,
            CHECK_COMMON_KEYS[1:] + cdef.keys,
            ndim,
            extra=("check",),
            context=f" for check = {name!r}",
        )
        out.append((label, cdef, vals))
    return out


@dataclass(frozen=True)
class CheckDef:
    """A closed-form check usable in ``[[expect.analytic]]``.

    Attributes
    ----------
    name, doc, unit
        Registry key, what is measured, and the unit of the measured error.
    keys
        Extra keys of the check's table.
    mode
        The ``[solver].mode`` the check needs.
    absorber
        Whether it needs (``True``) or forbids (``False``) a ``[solver.absorber]``; ``None``:
        either.
    requires, probe
        Its requirements and its probe.
    """

    name: str
    doc: str
    unit: str
    keys: tuple[Key, ...] = ()
    mode: str = "real"
    absorber: bool | None = False
    #: ``requires(draft)``: reports what the check cannot work with (besides mode and absorber).
    requires: Callable[[Draft], None] | None = field(default=None, repr=False)
    #: Collects and evaluates the check during a real-time run (``None``: evaluated elsewhere).
    probe: type[Probe] | None = field(default=None, repr=False)


#: Closed-form checks (``[[expect.analytic]] check = …``); each measures an error ≤ tolerance.
ANALYTIC_CHECKS: dict[str, CheckDef] = {
    c.name: c
    for c in (
        CheckDef(
            "free_gaussian",
            "max_t ‖ψ − ψ_exact‖ for a free Gaussian, exact phase included "
            "(needs kinetic='spectral', no potential, a gaussian initial state)",
            "—",
            requires=req_free,
            probe=_AnalyticPsiProbe,
        ),
        CheckDef(
            "free_width",
            "max_t,axis |σ(t) − σ√(1 + (ħt/2mσ²)²)| (same requirements as free_gaussian)",
            "length",
            requires=req_free,
            probe=_FreeWidthProbe,
        ),
        CheckDef(
            "coherent_state",
            "max_t ‖ψ − ψ_coherent‖, exact phase included (kinetic='spectral', one harmonic "
            "potential, coherent initial state)",
            "—",
            requires=req_coherent,
            probe=_AnalyticPsiProbe,
        ),
        CheckDef(
            "driven_position",
            "max_t,axis |⟨x⟩ − X_classical| in a shaken harmonic trap (Ehrenfest exact; "
            "kinetic='spectral', one shaken_trap potential)",
            "length",
            absorber=None,
            requires=req_driven,
            probe=_DrivenProbe,
        ),
        CheckDef(
            "rabi",
            "max_t ‖ψ − ψ_Rabi‖ on a two-site lattice against the closed-form 2×2 propagator",
            "—",
            requires=req_rabi,
            probe=_RabiProbe,
        ),
        CheckDef(
            "talbot_revival",
            "max(‖ψ(T_R) − ψ(0)‖, ‖ψ(T_R/2) − ψ(0) shifted by L/2‖), T_R = mL²/πħ "
            "(1D ring, kinetic='spectral', no potential, even N)",
            "—",
            requires=req_talbot,
            probe=_TalbotProbe,
        ),
        CheckDef(
            "barrier_transmission",
            "|P(x > barrier centre at t_end) − Σ_k |ψ̂_k|² T(k)|, T from the lattice transfer "
            "matrix (kinetic='lattice') or the continuum formula (kinetic='spectral')",
            "probability",
            (
                _k(
                    "model",
                    "str",
                    "auto",
                    doc="T(k): 'lattice', 'continuum' or 'auto' (from [hamiltonian].kinetic)",
                    choices=("auto", "lattice", "continuum"),
                ),
            ),
            requires=req_barrier,
            probe=_BarrierProbe,
        ),
        CheckDef(
            "tunnelling_period",
            "|T_fit − 2πħ/ΔE| / (2πħ/ΔE): period of the left-well probability fitted to the record "
            "vs the splitting ΔE = E₁ − E₀ from eigh (double_well potential)",
            "relative",
            absorber=None,
            requires=req_tunnelling,
            probe=_TunnellingProbe,
        ),
        CheckDef(
            "ground_energy",
            "|E − E_exact| after imaginary-time propagation ([solver].mode = 'imaginary')",
            "energy",
            (
                _k(
                    "reference",
                    "str",
                    "auto",
                    doc="E_exact: 'analytic' (Σħω/2, spectral harmonic trap), 'eigh' or 'auto'",
                    choices=("auto", "analytic", "eigh"),
                ),
            ),
            mode="imaginary",
            absorber=None,
            requires=functools.partial(req_ground, fidelity=False),
            probe=_GroundEnergyProbe,
        ),
        CheckDef(
            "ground_state_fidelity",
            "1 − |⟨ψ|ψ₀⟩|² against eigh's ground state (imaginary mode)",
            "—",
            mode="imaginary",
            absorber=None,
            requires=functools.partial(req_ground, fidelity=True),
            probe=_GroundFidelityProbe,
        ),
        CheckDef(
            "remaining_norm",
            "norm left in the box at t_end: what the absorber failed to remove plus what it "
            "reflected (needs [solver.absorber])",
            "probability",
            absorber=True,
            probe=_RemainingNormProbe,
        ),
        CheckDef(
            "double_slit_fringes",
            "|Δk − 2π/d| / (2π/d): spacing of the transverse-momentum fringes of the transmitted "
            "part at t_end (2D, a double_slit potential)",
            "relative",
            absorber=None,
            requires=req_slit,
            probe=_SlitProbe,
        ),
    )
}
