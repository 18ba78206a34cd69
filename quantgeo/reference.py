r"""QuTiP reference: ``qutip.sesolve`` on exactly the operator the split-operator solver applies.

The state vector given to QuTiP is :math:`c_n = \psi_n\sqrt{\Delta V}` (unit Euclidean norm); the
returned states are scaled back.  ``kinetic="lattice"`` uses the sparse CSR hopping matrix,
``kinetic="spectral"`` the dense Fourier-grid matrix (small lattices only).  A time-dependent
potential becomes a ``QobjEvo``: list form ``[H0, [s_j, f_j(t)], …]`` when the potential is
separable (:meth:`~quantgeo.potentials.Potential.terms`), otherwise a function of t returning
the Qobj of H(t).  QuTiP is imported lazily.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from quantgeo._interrupt import PAUSE_ENV, pause_at, watch
from quantgeo._options import check_options, option
from quantgeo._progress import progress_enabled
from quantgeo._validation import check_choice, check_int, check_positive, check_span
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.observables import resolver
from quantgeo.recording import Recorder, Trajectory
from quantgeo.wavefunction import Wavefunction, _as_data

__all__ = ["QUTIP_METHODS", "QutipOptions", "QutipReference"]

#: QuTiP ODE methods a reference may use.
QUTIP_METHODS = ("adams", "bdf", "lsoda", "dop853", "vern7", "vern9", "tsit5", "diag")


@dataclass(frozen=True)
class QutipOptions:
    """Options of :class:`QutipReference`: QuTiP's tolerances and method, written once (the
    constructor and the scenario ``[reference]`` table take them from here).

    QuTiP's own ``nsteps`` default (2500) is too small for long runs; the default here is 10⁷.
    """

    atol: float = option(1e-12, doc="QuTiP absolute tolerance", gt=0)
    rtol: float = option(1e-10, doc="QuTiP relative tolerance", gt=0)
    method: str = option("adams", doc="QuTiP integration method", kind="str", choices=QUTIP_METHODS)
    nsteps: int = option(
        10_000_000,
        unit="steps",
        doc="QuTiP's maximum internal steps per output interval",
        kind="int",
        ge=1,
    )

    def __post_init__(self) -> None:
        check_options(self)


class QutipReference:
    """Reference engine built on ``qutip.sesolve``.

    Parameters
    ----------
    ham
        The Hamiltonian.
    atol, rtol
        Tolerances of QuTiP's adaptive integrator (defaults: :class:`QutipOptions`).
    nsteps
        Maximum internal steps between two output times (:class:`QutipOptions`: 10⁷).
    method
        QuTiP ODE method (``"adams"``, ``"bdf"``, ``"dop853"``, ``"vern9"`` …): one of
        ``qutip.SESolver.avail_integrators()``, checked at construction.
    """

    def __init__(
        self,
        ham: Hamiltonian,
        *,
        atol: float = QutipOptions.atol,
        rtol: float = QutipOptions.rtol,
        nsteps: int = QutipOptions.nsteps,
        method: str = QutipOptions.method,
    ) -> None:
        if not isinstance(ham, Hamiltonian):
            raise TypeError(f"`ham` must be a Hamiltonian, got {type(ham).__name__}")
        self.ham = ham
        self.atol = check_positive("atol", atol)
        self.rtol = check_positive("rtol", rtol)
        self.nsteps = check_int("nsteps", nsteps)
        # Checked here against QuTiP's own list, not at the first run's integrator lookup
        # (a bare KeyError from inside QuTiP); this imports QuTiP, which every run needs anyway.
        import qutip

        self.method = check_choice("method", method, tuple(qutip.SESolver.avail_integrators()))

    def operator(self) -> Any:
        """H as a ``qutip.Qobj`` or ``qutip.QobjEvo`` (time dependent)."""
        import qutip

        ham = self.ham
        if not ham.time_dependent:
            return ham.to_qobj()
        dims = [list(ham.lattice.shape), list(ham.lattice.shape)]
        kin = ham.kinetic_sparse() if ham.kinetic == "lattice" else ham.kinetic_dense()
        terms = ham.potential.terms(ham.lattice, ham.mass)
        if terms is not None:
            static, drives = terms
            h0 = qutip.Qobj(kin + _diag(static.ravel(), sparse=ham.kinetic == "lattice"), dims=dims)
            parts: list[Any] = [h0]
            for shape_fn, coeff in drives:
                op = qutip.Qobj(_diag(shape_fn.ravel(), sparse=True), dims=dims)
                parts.append([op, coeff])
            return qutip.QobjEvo(parts)

        def h_of_t(t: float) -> Any:
            return ham.to_qobj(t)

        return qutip.QobjEvo(h_of_t)

    def run(
        self,
        state0: Wavefunction | NDArray[np.complex128],
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
        progress: bool | None = None,
    ) -> Trajectory:
        """Solve with ``qutip.sesolve`` and return a Trajectory on the recorder's times.

        ``"energy"`` and ``"position"`` are computed through ``e_ops``; the other observables
        from the returned states with the same pure functions as every engine.
        """
        import qutip

        lat, ham = self.ham.lattice, self.ham
        psi = _as_data(state0, lat, "state0")
        t0, t1 = check_span(t_span)
        recorder = recorder if recorder is not None else Recorder()
        times = recorder.schedule((t0, t1))
        if times[0] > t0:
            tlist = np.concatenate([[t0], times])
            skip = 1
        else:
            tlist, skip = times, 0
        scale = np.sqrt(lat.cell_volume)
        dims = [list(lat.shape), [1] * lat.ndim]
        ket = qutip.Qobj((psi * scale).reshape(-1, 1), dims=dims)
        h = self.operator()
        e_ops = {}
        if "energy" in recorder.observables and recorder.observables["energy"] == "energy":
            e_ops["energy"] = h
        if "position" in recorder.observables and recorder.observables["position"] == "position":
            for i, x in enumerate(lat.coordinates()):
                e_ops[f"position{i}"] = qutip.Qobj(
                    _diag(np.broadcast_to(x, lat.shape).ravel(), sparse=True),
                    dims=[list(lat.shape), list(lat.shape)],
                )
        options = {
            "atol": self.atol,
            "rtol": self.rtol,
            "nsteps": self.nsteps,
            "method": self.method,
            "store_states": True,
            "progress_bar": "tqdm" if progress_enabled(progress) else "",
        }
        start = time.perf_counter()
        # QuTiP's integrators turn a KeyboardInterrupt raised in a callback into a ValueError
        # ("Function to integrate must not return a tuple."): watch() turns it back
        with watch():
            res = qutip.sesolve(
                _paused(h, tlist[0]), ket, tlist, e_ops=e_ops or None, options=options
            )
        run_time = time.perf_counter() - start
        resolve = resolver(ham, lambda: recorder.time)
        expect = {k: np.real(np.asarray(v))[skip:] for k, v in res.e_data.items()}
        row = 0  # index of the record being taken

        def resolve_with_eops(name: str) -> Any:
            fn = resolve(name)  # also rejects unknown names
            if name == "energy" and "energy" in expect:
                return lambda s: float(expect["energy"][row])
            if name == "position" and "position0" in expect:
                return lambda s: np.array([expect[f"position{i}"][row] for i in range(lat.ndim)])
            return fn

        recorder.begin(resolve_with_eops)
        for row, tr in enumerate(times):
            data = res.states[row + skip].full().reshape(lat.shape) / scale
            snapshot = Wavefunction(lat, data)
            recorder.record(float(tr), snapshot, stored=snapshot.data)
        info = {
            "engine": "qutip.sesolve",
            "qutip": qutip.__version__,
            "method": self.method,
            "atol": self.atol,
            "rtol": self.rtol,
            "nsteps": self.nsteps,
            "kinetic": ham.kinetic,
            "run_time": run_time,
        }
        return recorder.finish(info, lat)


def _paused(h: Any, t0: float) -> Any:
    """``h``; under the interruption test hook (:func:`quantgeo._interrupt.pause_at`) the same
    operator behind a Python callback that pauses inside QuTiP's integrator (at its first
    evaluation after ``t0``: QobjEvo evaluates the function once when it is built)."""
    if os.environ.get(PAUSE_ENV) != "reference":
        return h
    import qutip

    inner = qutip.QobjEvo(h)

    def h_of_t(t: float) -> Any:
        if t > t0:
            pause_at("reference")
        return inner(t)

    return qutip.QobjEvo(h_of_t)


def _diag(values: NDArray[Any], *, sparse: bool) -> Any:
    return sp.diags(values, format="csr") if sparse else np.diag(values)
