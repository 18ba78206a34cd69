"""Building: a validated :class:`~quantgeo.scenario.Scenario` → lattice, Hamiltonian, initial
state (:func:`build_system`) and, for the Schrödinger kind, :class:`Built` with the solver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.errors import ScenarioError
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.recording import Recorder
from quantgeo.scenario.specs import PotentialSpec, Scenario
from quantgeo.scenario.system import load_npy
from quantgeo.solvers.split_operator import SplitOperatorSolver
from quantgeo.wavefunction import Wavefunction

if TYPE_CHECKING:
    from quantgeo.scenario.checker import Checker

__all__ = ["Built", "build_system", "dry_build"]

CArray = NDArray[np.complex128]
FArray = NDArray[np.float64]


def _resolve(sc: Scenario, name: str) -> Path:
    base = sc.path.parent if sc.path is not None else Path.cwd()
    return (base / name).resolve()


def _potential(p: PotentialSpec, lattice: Lattice, sc: Scenario) -> Any:
    from quantgeo import potentials as P

    q = p.params
    if p.type == "zero":
        return P.zero()
    if p.type == "harmonic":
        return P.harmonic(q["omega"], q["center"])
    if p.type == "double_well":
        return P.double_well(q["barrier_height"], q["separation"], q["omega_perp"], q["axis"])
    if p.type == "barrier":
        return P.barrier(q["height"], q["width"], q["center"], q["axis"])
    if p.type == "cosine":
        return P.cosine(q["amplitude"], q["period"], q["axis"])
    if p.type == "shaken_trap":
        return P.shaken_trap(q["omega"], q["amplitude"], q["drive_frequency"], q["axis"])
    if p.type == "double_slit":
        return P.double_slit(
            q["separation"],
            q["slit_width"],
            position=q["position"],
            thickness=q["thickness"],
            height=q["height"],
            center=q["center"],
            axis=q["axis"],
        )
    if p.type == "array":
        if q["values"] is not None:
            return P.from_array(q["values"])
        arr = load_npy(_resolve(sc, q["file"]))
        return P.from_array(np.asarray(arr.real, dtype=float))  # validated: no imaginary part
    raise AssertionError(p.type)  # pragma: no cover


class _Eigenpairs:
    """Lowest eigenpairs of one Hamiltonian (at t = 0), diagonalised once for the most asked."""

    def __init__(self, ham: Hamiltonian) -> None:
        self.ham = ham
        self._pairs: tuple[FArray, CArray] | None = None

    def __call__(self, k: int) -> tuple[FArray, CArray]:
        if self._pairs is None or len(self._pairs[0]) < k:
            self._pairs = self.ham.eigh(k)
        vals, vecs = self._pairs
        return vals[:k], vecs[:k]


def _initial_state(
    sc: Scenario, lattice: Lattice, ham: Hamiltonian | None, eigh: _Eigenpairs | None = None
) -> Wavefunction:
    from quantgeo import wavefunction as W

    spec = sc.initial_state
    assert spec is not None and sc.hamiltonian is not None
    q = spec.params
    hbar = sc.hamiltonian.hbar
    if spec.type == "gaussian":
        return W.gaussian(lattice, q["center"], q["width"], q["momentum"], hbar)
    if spec.type == "plane_wave":
        return W.plane_wave(lattice, q["momentum"], hbar)
    assert ham is not None
    if spec.type == "coherent":
        return W.coherent(ham, q["omega"], q["center"], q["momentum"])
    if spec.type == "eigenstate":
        ns = list(q["n"])
        _, states = (eigh or _Eigenpairs(ham))(max(ns) + 1)
        coeff = q["coefficients"] or (1.0,) * len(ns)
        phases = q["phases"] or (0.0,) * len(ns)
        data = sum(
            c * np.exp(1j * ph) * states[n] for n, c, ph in zip(ns, coeff, phases, strict=True)
        )
        return Wavefunction(lattice, data).normalized()
    if spec.type == "array":
        if q["file"] is not None:
            data = load_npy(_resolve(sc, q["file"]))
        else:
            data = np.asarray(q["real"], dtype=complex)
            if q["imag"] is not None:
                data = data + 1j * np.asarray(q["imag"])
        wf = Wavefunction(lattice, data)
        return wf.normalized() if q["normalize"] else wf
    raise AssertionError(spec.type)  # pragma: no cover


@dataclass(frozen=True)
class Built:
    """The objects a scenario runs with (from :meth:`Scenario.build`)."""

    scenario: Scenario
    lattice: Lattice
    hamiltonian: Hamiltonian
    state0: Wavefunction
    solver: SplitOperatorSolver
    t_span: tuple[float, float]
    _eigenpairs: _Eigenpairs | None = field(default=None, repr=False, compare=False)

    def eigh(self, k: int) -> tuple[FArray, CArray]:
        """Lowest ``k`` eigenpairs of the Hamiltonian (at t = 0), diagonalised once per build:
        an eigenstate initial state and the eigh-based checks share them."""
        if self._eigenpairs is None:
            object.__setattr__(self, "_eigenpairs", _Eigenpairs(self.hamiltonian))
        assert self._eigenpairs is not None
        return self._eigenpairs(k)

    def reference_engine(self) -> Any:
        """The :class:`~quantgeo.reference.QutipReference` of ``[reference]``."""
        from quantgeo.reference import QutipReference

        r = self.scenario.reference
        return QutipReference(
            self.hamiltonian, atol=r.atol, rtol=r.rtol, nsteps=r.nsteps, method=r.method
        )

    def record_times(self) -> FArray:
        """Record times of ``[record]`` (``every`` defaults to 1/100 of the run)."""
        rec = self.scenario.record
        if rec.times is not None:
            return np.asarray(rec.times, dtype=float)
        t0, t1 = self.t_span
        every = rec.every if rec.every is not None else (t1 - t0) / 100
        return Recorder(every=every).schedule(self.t_span)

    def analytic_state(self) -> Callable[[float], CArray] | None:
        """ψ_exact(t) when the scenario has a closed-form wavefunction (free Gaussian or
        coherent state with the spectral kinetic model), else ``None``."""
        sc = self.scenario
        h = sc.hamiltonian
        init = sc.initial_state
        assert h is not None and init is not None and sc.solver is not None
        if h.kinetic != "spectral" or sc.solver.absorber is not None or sc.solver.mode != "real":
            return None
        from quantgeo import analytic as A

        lat, q, t0 = self.lattice, init.params, self.t_span[0]
        types = [p.type for p in h.nonzero_terms()]
        if not types and init.type == "gaussian":
            return lambda t: A.free_gaussian(
                lat,
                t - t0,
                q["center"],
                q["width"],
                q["momentum"],
                h.mass,
                h.hbar,
                period=lat.lengths,  # the ring's solution: the packet wraps around the box
            )
        if types == ["harmonic"] and init.type == "coherent":
            trap = h.nonzero_terms()[0].params
            if np.allclose(
                np.broadcast_to(trap["omega"], (lat.ndim,)),
                np.broadcast_to(q["omega"], (lat.ndim,)),
            ):
                return lambda t: A.harmonic_coherent(
                    lat,
                    t - t0,
                    trap["omega"],
                    trap["center"],
                    q["center"],
                    q["momentum"],
                    h.mass,
                    h.hbar,
                )
        return None


def build_system(sc: Scenario) -> tuple[Lattice, Hamiltonian, Wavefunction, _Eigenpairs]:
    """Lattice, Hamiltonian, initial state and the Hamiltonian's (lazy) eigenpairs of any
    scenario kind (errors name the table); reuses what :func:`dry_build` constructed."""
    assert sc.lattice is not None and sc.hamiltonian is not None
    file, parts = sc.file, sc.parts
    try:
        lattice = parts.get("lattice") or sc.lattice.lattice()
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{file}: [lattice]: {exc}") from None
    try:
        terms = parts.get("terms") or [_potential(p, lattice, sc) for p in sc.hamiltonian.potential]
        pot = None
        for term in terms:
            pot = term if pot is None else pot + term
        ham = Hamiltonian(
            lattice, pot, sc.hamiltonian.mass, sc.hamiltonian.hbar, sc.hamiltonian.kinetic
        )
    except (ValueError, TypeError, OSError) as exc:
        raise ScenarioError(f"{file}: [hamiltonian]: {exc}") from None
    eigh = _Eigenpairs(ham)
    try:
        state0 = parts.get("state0") or _initial_state(sc, lattice, ham, eigh)
    except (ValueError, TypeError, OSError) as exc:
        raise ScenarioError(f"{file}: [initial_state]: {exc}") from None
    return lattice, ham, state0, eigh


def dry_build(sc: Scenario, ck: Checker) -> None:
    """Construct the cheap parts (lattice, potential terms, a plane-wave state) while
    validating, so the library's own checks are reported with the file's labels; the parts
    are kept in ``sc.parts`` for the build."""
    try:
        lattice = sc.lattice.lattice()  # type: ignore[union-attr]
    except (ValueError, TypeError) as exc:
        ck.add("lattice", None, str(exc))
        return
    assert sc.hamiltonian is not None
    terms, n = [], len(sc.hamiltonian.potential)
    for i, p in enumerate(sc.hamiltonian.potential):
        label = "hamiltonian.potential" if n == 1 else f"hamiltonian.potential.{i}"
        try:
            term = _potential(p, lattice, sc)
            term.values(lattice, sc.solver.t_start if sc.solver else 0.0, sc.hamiltonian.mass)
            terms.append(term)
        except (ValueError, TypeError, OSError) as exc:
            ck.add(label, None, str(exc))
    parts: dict[str, Any] = {"lattice": lattice, "terms": terms}
    if sc.initial_state is not None and sc.initial_state.type == "plane_wave":
        try:
            parts["state0"] = _initial_state(sc, lattice, None)
        except (ValueError, TypeError) as exc:
            ck.add("initial_state", "momentum", str(exc))
    if not ck.problems:
        sc.parts.update(parts)
