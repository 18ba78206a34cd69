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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from quantgeo._interrupt import PAUSE_ENV, pause_at, watch
from quantgeo._options import check_options, option
from quantgeo._preflight import Estimate, check_run, fmt_count, run_estimate
from quantgeo._progress import progress_enabled
from quantgeo._qutip import ket_from_array
from quantgeo._validation import check_choice, check_int, check_positive, check_span
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.observables import resolver
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import run_info
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
    options
        QuTiP 5 ``options`` dict, passed through to ``qutip.sesolve`` as a QuTiP user writes
        it (``{"method": "bdf", "atol": 1e-10, "max_step": 0.01, …}``): solver options
        (``qutip.SESolver.solver_options``) and the chosen method's integrator options.  Keys
        not given keep quantgeo's safe defaults above (not QuTiP's: its ``nsteps = 2500`` and
        ``atol = 1e-8`` are too loose for a reference); a key also given as a keyword above is
        an error.  ``store_states`` is always on (the trajectory needs the states).
    """

    def __init__(
        self,
        ham: Hamiltonian,
        *,
        atol: float = QutipOptions.atol,
        rtol: float = QutipOptions.rtol,
        nsteps: int = QutipOptions.nsteps,
        method: str = QutipOptions.method,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(ham, Hamiltonian):
            raise TypeError(f"`ham` must be a Hamiltonian, got {type(ham).__name__}")
        self.ham = ham
        # Checked here against QuTiP's own lists, not at the first run's integrator lookup
        # (a bare KeyError from inside QuTiP); this imports QuTiP, which every run needs anyway.
        import qutip

        given = {"atol": atol, "rtol": rtol, "nsteps": nsteps, "method": method}
        extra = _user_options(options, given, qutip)
        self.atol = check_positive("atol", extra.pop("atol", atol))
        self.rtol = check_positive("rtol", extra.pop("rtol", rtol))
        self.nsteps = check_int("nsteps", extra.pop("nsteps", nsteps))
        self.method = check_choice(
            "method", extra.pop("method", method), tuple(qutip.SESolver.avail_integrators())
        )
        allowed = _allowed_options(qutip, self.method)
        unknown = sorted(set(extra) - allowed)
        if unknown:
            raise ValueError(
                f"`options` has {', '.join(map(repr, unknown))}, not an option of "
                f"qutip.sesolve with method {self.method!r}; valid: {', '.join(sorted(allowed))}"
            )
        #: The QuTiP options beyond atol/rtol/nsteps/method, passed through unchanged.
        self.options: dict[str, Any] = extra

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

    def memory_estimate(self, t_span: tuple[float, float], recorder: Recorder) -> Estimate:
        """Bytes :meth:`run` will hold (:mod:`quantgeo._preflight`): H as a ``Qobj`` (dense,
        N² complex numbers, unless ``kinetic = "lattice"``: a sparse stencil), the ODE
        integrator's work vectors (~20 states), QuTiP's stored states (every record, as
        ``Qobj``) and the records."""
        lat, n = self.ham.lattice, float(self.ham.lattice.size)
        state = 16.0 * n
        if self.ham.kinetic == "lattice":
            operator = (2 * lat.ndim + 1) * n * 28.0  # CSR: complex value + int64 index
        else:
            operator = 16.0 * n * n
        rec = Recorder(
            getattr(recorder, "_times", None),
            every=recorder.every,
            observables=recorder.observables,
            store_states=True,
        )
        est = run_estimate(
            t_span,
            rec,
            None,
            state_bytes=state,
            working={
                "for the Hamiltonian operator": operator,
                "for the ODE work vectors": 20 * state,
            },
            records_fix="record less often (`Recorder(every=…)`)",
        )
        return est.add(
            f"for QuTiP's {fmt_count(est.records)} stored states",
            est.records * (state + 1000.0),
            est.records_fix,
        )

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
        check_run(self.memory_estimate((t0, t1), recorder), "QutipReference.run: ")
        times = recorder.schedule((t0, t1))
        if times[0] > t0:
            tlist = np.concatenate([[t0], times])
            skip = 1
        else:
            tlist, skip = times, 0
        scale = np.sqrt(lat.cell_volume)
        ket = ket_from_array(psi, lat)
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
            **self.options,
        }
        options["store_states"] = True  # the trajectory is made of the states
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
        # QuTiP's adaptive integrators do not report their step count: steps = 0 (unknown)
        info = run_info(
            "qutip.sesolve",
            steps=0,
            run_time=run_time,
            qutip=qutip.__version__,
            method=self.method,
            atol=self.atol,
            rtol=self.rtol,
            nsteps=self.nsteps,
            options=dict(self.options),
            kinetic=ham.kinetic,
        )
        return recorder.finish(info, lat)


def _user_options(options: Mapping[str, Any] | None, given: dict[str, Any], qutip: Any) -> dict:
    """A copy of the user's QuTiP ``options``; refuses a non-mapping and keys that a keyword
    argument also set to a non-default value (which of the two would win is not obvious)."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"`options` must be a dict of QuTiP options, got {type(options).__name__}")
    out = dict(options)
    defaults = {f: getattr(QutipOptions, f) for f in given}
    both = [k for k in given if k in out and given[k] != defaults[k]]
    if both:
        raise ValueError(
            f"{', '.join(f'`{k}`' for k in both)} given both as keyword and in `options`; "
            "give each once"
        )
    return out


def _allowed_options(qutip: Any, method: str) -> set[str]:
    """Names ``qutip.sesolve`` accepts in ``options`` for ``method``."""
    integrator = qutip.SESolver.avail_integrators()[method]
    return set(qutip.SESolver.solver_options) | set(integrator.integrator_options)


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
