"""What an engine saves while it runs: :class:`Recorder` (the request) and :class:`Trajectory`.

Every engine (split-operator, QuTiP reference, lattice learning variables, learning
ensembles) has ``run(state0, t_span, *, recorder=None) -> Trajectory``.  The engine decides the
record times with :meth:`Recorder.schedule`, resolves observable *names* to functions of its
own state (``"norm"``, ``"energy"`` … for wavefunctions; ``"mean"``, ``"cov"`` … for ensembles)
and calls :meth:`Recorder.record` at each of them.  Callbacks see each recorded state while
the engine runs (animations render frames this way, so memory does not grow with the number
of frames).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._io import atomic_path, jsonable
from quantgeo._qutip import e_op_function, is_qobj, is_qobjevo, normalize_e_ops
from quantgeo._statestore import StateStore, default_budget, resolve_budget
from quantgeo._validation import check_instance, check_positive

if TYPE_CHECKING:
    from quantgeo._qutip import QutipResult

__all__ = ["OBSERVABLE_UNITS", "Recorder", "Trajectory"]

#: Units of the observables every wavefunction engine knows (ħ = 1 unless set; "1" is
#: dimensionless).  Plots and the ``units`` attributes of :meth:`Trajectory.to_xarray` use them.
OBSERVABLE_UNITS = {
    "norm": "1",
    "energy": "energy",
    "position": "length",
    "momentum": "ħ/length",
    "width": "length",
    "density": "1/volume",
}

Observable = str | Callable[[Any], Any]
Callback = Callable[[float, Any], None]

_TIME_RTOL = 1e-12


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Recorded result of a run.

    Attributes
    ----------
    times
        Record times, shape ``(n_t,)``, increasing.
    observables
        Name → array whose first axis has length ``n_t`` (e.g. ``"position"`` has shape
        ``(n_t, ndim)``).
    states
        Recorded states stacked along axis 0 (``(n_t, *lattice.shape)`` complex128 for
        wavefunctions), or ``None`` when states were not stored.  Beyond the recorder's
        ``memory_budget`` a copy-on-write ``numpy.memmap`` of an anonymous temporary file, read
        lazily (``info["states_storage"] == "disk"``).
    info
        Engine metadata: name, backend, dt, steps, timings, seeds … (JSON-serialisable values).
    lattice
        The :class:`~quantgeo.lattice.Lattice` the states live on, if any.
    """

    times: NDArray[np.float64]
    observables: Mapping[str, NDArray[Any]] = field(default_factory=dict)
    states: NDArray[Any] | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    lattice: Any = None

    def __post_init__(self) -> None:
        times = np.asarray(self.times, dtype=float)
        if times.ndim != 1:
            raise ValueError(f"`times` must be one-dimensional, got shape {times.shape}")
        object.__setattr__(self, "times", times)
        obs = {k: np.asarray(v) for k, v in self.observables.items()}
        for name, arr in obs.items():
            if arr.shape[:1] != times.shape:
                raise ValueError(
                    f"observable {name!r} has {arr.shape[:1]} records, expected {times.shape}"
                )
        object.__setattr__(self, "observables", obs)
        if self.states is not None and len(self.states) != len(times):
            raise ValueError(f"`states` has {len(self.states)} records, expected {len(times)}")
        object.__setattr__(self, "info", dict(self.info))

    def __len__(self) -> int:
        return len(self.times)

    def __getitem__(self, name: str) -> NDArray[Any]:
        """Return the observable ``name`` (shape ``(n_t, ...)``)."""
        try:
            return self.observables[name]
        except KeyError:
            raise KeyError(
                f"no observable {name!r} recorded; recorded: {sorted(self.observables)}"
            ) from None

    def state(self, index: int = -1) -> Any:
        """Return recorded state ``index`` as a :class:`~quantgeo.wavefunction.Wavefunction`.

        Falls back to the raw array when the trajectory has no lattice.
        """
        if self.states is None:
            raise ValueError("this trajectory stored no states (Recorder(store_states=False))")
        data = self.states[index]
        if self.lattice is None:
            return data
        from quantgeo.wavefunction import Wavefunction

        return Wavefunction(self.lattice, data)

    # -- QuTiP -------------------------------------------------------------------------------
    def to_qutip(self) -> QutipResult:
        r"""The trajectory as a ``qutip.solver.Result``-like object.

        ``times`` (list), ``states`` (kets :math:`c = \psi\sqrt{\Delta V}` with the
        ``dims`` of :meth:`Hamiltonian.to_qobj <quantgeo.hamiltonian.Hamiltonian.to_qobj>`;
        empty when no states were stored), ``e_data`` and ``expect``.  When the recorder had
        ``e_ops``, ``e_data`` holds exactly those, keyed as ``sesolve`` keys them (by position
        for a list, by name for a dict); otherwise every recorded observable by name.
        """
        from quantgeo._qutip import QutipResult, ket_from_array

        states = []
        if self.states is not None:
            if self.lattice is None:
                raise ValueError("to_qutip() needs the trajectory's lattice to build kets")
            states = [ket_from_array(s, self.lattice) for s in self.states]
        e_ops = self.info.get("e_ops")
        e_data: dict[Any, NDArray[Any]]
        if e_ops:
            names = e_ops["names"]
            keys = range(len(names)) if e_ops["list"] else names
            e_data = {k: self.observables[n] for k, n in zip(keys, names, strict=True)}
        else:
            e_data = dict(self.observables)
        return QutipResult(
            [float(t) for t in self.times],
            states,
            e_data,
            solver=str(self.info.get("engine", "quantgeo")),
            stats=dict(self.info),
        )

    @classmethod
    def from_qutip(cls, result: Any, lattice: Any) -> Trajectory:
        r"""A trajectory of a ``qutip.solver.Result`` (e.g. of a user's own ``sesolve`` on
        :meth:`Hamiltonian.to_qobj <quantgeo.hamiltonian.Hamiltonian.to_qobj>`).

        The kets become site values :math:`\psi = c/\sqrt{\Delta V}` on ``lattice``; the
        expectation values become observables named by the ``e_ops`` keys (``"e<i>"`` for
        list positions).

        Raises
        ------
        ValueError
            If the result stored no states (``options={"store_states": True}``) or a state does
            not fit ``lattice``.
        """
        from quantgeo._qutip import array_from_ket
        from quantgeo.lattice import Lattice

        check_instance("lattice", lattice, Lattice)
        for attr in ("times", "states"):
            if not hasattr(result, attr):
                raise TypeError(
                    f"`result` must be a qutip.solver.Result (with times and states), got "
                    f"{type(result).__name__}"
                )
        times = np.asarray(result.times, dtype=float)
        if len(result.states) != len(times):
            raise ValueError(
                f"`result` holds {len(result.states)} states for {len(times)} times; run "
                'sesolve with options={"store_states": True}'
            )
        states = np.stack([array_from_ket(k, lattice, "result.states[i]") for k in result.states])
        e_data = getattr(result, "e_data", None) or {}
        obs = {
            (f"e{k}" if isinstance(k, int) else str(k)): np.asarray(v) for k, v in e_data.items()
        }
        solver = getattr(result, "solver", None)
        info = {"engine": f"qutip.Result ({solver})" if solver else "qutip.Result"}
        return cls(times, obs, states, info, lattice)

    # -- plots and files ---------------------------------------------------------------------
    def plot(
        self,
        observables: Iterable[str] | None = None,
        ax: Any = None,
        *,
        units: Mapping[str, str] | None = None,
    ) -> Any:
        """Plot observables against time; return the matplotlib ``Axes``.

        Parameters
        ----------
        observables
            Names to plot (default: every observable with at most one value per axis and
            time, i.e. not fields such as ``"density"``).  A vector observable (``position``
            …) gives one line per component; a complex one its real and imaginary parts.
        ax
            Axes to draw in (default: a new figure from ``matplotlib.pyplot``).
        units
            Units of observables :data:`OBSERVABLE_UNITS` does not know (``e_ops``, callables),
            e.g. ``{"x": "length"}``; unknown units show as ``?``.

        The x axis is ``t`` in time units, the y axis names the observables with their units
        (the units of the scenario, ħ = 1 unless set).
        """
        known = {**OBSERVABLE_UNITS, **(units or {})}
        names = (
            [n for n, v in self.observables.items() if v.ndim <= 2]
            if observables is None
            else [observables]
            if isinstance(observables, str)
            else list(observables)
        )
        missing = [n for n in names if n not in self.observables]
        if missing:
            raise KeyError(
                f"`observables` {missing} were not recorded; recorded: {sorted(self.observables)}"
            )
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
        ndim = self.lattice.ndim if self.lattice is not None else 0
        for n in names:
            arr = np.asarray(self.observables[n])
            cols = arr.reshape(len(self.times), -1)
            for j in range(cols.shape[1]):
                comp = n if cols.shape[1] == 1 else f"{n}[{_axis_name(j, ndim, cols.shape[1])}]"
                if np.iscomplexobj(cols):
                    ax.plot(self.times, cols[:, j].real, label=f"Re {comp}")
                    ax.plot(self.times, cols[:, j].imag, "--", label=f"Im {comp}")
                else:
                    ax.plot(self.times, cols[:, j], label=comp)
        ax.set_xlabel("t [time]")
        ax.set_ylabel(", ".join(f"{n} [{known.get(n, '?')}]" for n in names))
        if len(ax.get_lines()) > 1:
            ax.legend()
        return ax

    def to_xarray(self) -> Any:
        """The trajectory as an ``xarray.Dataset`` (layout: :mod:`quantgeo._xarray`).

        Coordinates ``t`` and the lattice axes ``x``, ``y``, ``z``; the states (``psi``) and
        every observable as variables; ``units`` attributes on each; ``info`` (JSON) and,
        when ``info`` carries it, ``provenance`` (JSON) in the Dataset's attributes.
        """
        from quantgeo._xarray import to_dataset

        return to_dataset(self)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the trajectory atomically; the format follows the suffix.

        ``.npz``
            NumPy archive (``info`` as JSON; the lattice as its shape and bounds).
        ``.nc``
            netCDF-4 through h5netcdf: :meth:`to_xarray`, with complex variables split into
            float64 ``<name>_real`` and ``<name>_imag`` (a valid netCDF file any reader opens).
        ``.h5``
            The same layout through h5netcdf with ``invalid_netcdf=True``: complex variables
            stay complex (HDF5 compound ``r``/``i``, what h5py reads as complex).

        Both ``.nc`` and ``.h5`` open with ``xarray.open_dataset(path, engine="h5netcdf")``
        without quantgeo; :meth:`load` reads all three back.
        """
        suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
        if suffix in ("nc", "h5"):
            from quantgeo._xarray import write

            write(self, path, complex_native=suffix == "h5")
            return
        if suffix != "npz":
            raise ValueError(
                f"`path` must end in .npz, .nc or .h5 (the format follows the suffix), got "
                f"{os.fspath(path)!r}"
            )
        arrays: dict[str, Any] = {"times": self.times}
        for name, arr in self.observables.items():
            arrays[f"obs/{name}"] = arr
        if self.states is not None:
            arrays["states"] = self.states
        arrays["info"] = np.array(json.dumps(jsonable(self.info)))
        if self.lattice is not None:
            arrays["lattice_shape"] = np.asarray(self.lattice.shape)
            arrays["lattice_bounds"] = np.asarray(self.lattice.bounds, dtype=float)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Trajectory:
        """Read a trajectory written by :meth:`save` (``.npz``, ``.nc`` or ``.h5``)."""
        if os.fspath(path).lower().endswith((".nc", ".h5")):
            from quantgeo._xarray import read

            return read(path)
        with np.load(path, allow_pickle=False) as data:
            obs = {k[4:]: data[k] for k in data.files if k.startswith("obs/")}
            states = data["states"] if "states" in data.files else None
            info = json.loads(str(data["info"]))
            lattice = None
            if "lattice_shape" in data.files:
                from quantgeo.lattice import Lattice

                lattice = Lattice(
                    tuple(int(n) for n in data["lattice_shape"]),
                    [tuple(b) for b in data["lattice_bounds"]],
                )
            return cls(data["times"], obs, states, info, lattice)


class Recorder:
    r"""What to save during a run, and when.

    Parameters
    ----------
    times
        Explicit record times (increasing, inside ``t_span``).  The endpoints of ``t_span``
        are not added.
    every
        Record every ``every`` time units from ``t_span[0]`` (the end point is always
        included).  Give ``times`` or ``every`` or neither (then only the two endpoints).
    observables
        Names understood by the engine (for wavefunctions: ``"norm"``, ``"energy"``,
        ``"position"``, ``"momentum"``, ``"width"``) or ``name → callable(state)`` pairs.
        A ``qutip.Qobj`` or ``QobjEvo`` among them (in a list it is named ``"e<i>"`` by its
        position) is an expectation value as in ``e_ops``.
    store_states
        Keep every recorded state in :attr:`Trajectory.states` (one copy each).  Turn off for
        long runs whose states are consumed by callbacks.
    memory_budget
        Largest number of bytes of stored states kept in RAM (an int or a size such as
        ``"512MiB"``; ``0``: always stream).  A trajectory whose states would exceed it streams
        them to an anonymous temporary file instead and :attr:`Trajectory.states` is a
        read-lazily ``numpy.memmap`` of it (:mod:`quantgeo._statestore`; nothing is left on
        disk).  Default: ``$QUANTGEO_MEMORY_BUDGET`` when set, else the smaller of 1 GiB and a
        quarter of the memory available when the run starts.
    spill_dir
        Directory of that temporary file (default: ``$TMPDIR`` or the system's temporary
        directory; point it at a disk when that is a RAM-backed ``tmpfs``).
    callbacks
        Functions ``cb(t, state)`` called at every record time, while the engine runs.
    e_ops
        What ``qutip.sesolve`` takes as ``e_ops``: a list (entries named ``"e0"``, ``"e1"``
        …) or a dict of ``qutip.Qobj``, ``qutip.QobjEvo`` (evaluated at the record time) or
        functions ``f(t, ket)``.  Each is evaluated on the QuTiP ket of the recorded state,
        :math:`c = \psi\sqrt{\Delta V}` (:meth:`Wavefunction.to_qobj
        <quantgeo.wavefunction.Wavefunction.to_qobj>`), so the values equal ``qutip.expect``
        on the converted states: :math:`\langle c|O|c\rangle = \sum_{mn}\psi_m^* O_{mn}
        \psi_n\,\Delta V`.  Recorded in addition to ``observables``; wavefunction engines only.

    Notes
    -----
    A recorder is single-use per run: :meth:`begin` resets it.
    """

    def __init__(
        self,
        times: ArrayLike | None = None,
        *,
        every: float | None = None,
        observables: Iterable[Any] | Mapping[str, Any] = ("norm", "energy"),
        store_states: bool = True,
        callbacks: Sequence[Callback] = (),
        e_ops: Any = None,
        memory_budget: str | float | None = None,
        spill_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if times is not None and every is not None:
            raise ValueError("give `times` or `every`, not both")
        self._times: NDArray[np.float64] | None = None
        if times is not None:
            t = np.asarray(times, dtype=float)
            if t.ndim != 1 or t.size == 0:
                raise ValueError(f"`times` must be a non-empty 1D sequence, got shape {t.shape}")
            if not np.all(np.isfinite(t)):
                raise ValueError("`times` must be finite")
            if np.any(np.diff(t) <= 0):
                raise ValueError("`times` must be strictly increasing")
            self._times = t
        self.every = None if every is None else check_positive("every", every)
        if isinstance(observables, str):
            raise TypeError(
                f"`observables` must be a sequence of names, got the string {observables!r}; "
                f"write ({observables!r},)"
            )
        if isinstance(observables, Mapping):
            specs = {str(k): v for k, v in observables.items()}
        else:
            # a QuTiP operator in the list is named like a list entry of `e_ops`: "e<i>"
            specs = {
                spec if isinstance(spec, str) else f"e{i}": spec
                for i, spec in enumerate(observables)
            }
        #: QuTiP operators (``Qobj``, ``QobjEvo``) or ``f(t, ket)``, by name: see ``e_ops``.
        self.e_ops: dict[str, Any] = {}
        self.observables: dict[str, Observable] = {}
        for name, spec in specs.items():
            if is_qobj(spec) or is_qobjevo(spec):
                self.e_ops[name] = spec
            elif isinstance(spec, str) or callable(spec):
                self.observables[name] = spec
            else:
                raise TypeError(
                    f"`observables[{name!r}]` must be a name, a callable fn(state) or a "
                    f"qutip.Qobj/QobjEvo, got {type(spec).__name__}"
                )
        extra, self._e_ops_list = normalize_e_ops(e_ops)
        clash = sorted((set(self.observables) | set(self.e_ops)) & set(extra))
        if clash:
            raise ValueError(
                f"`e_ops` names {clash} are also `observables`; give them other names (a dict)"
            )
        self._e_ops_order = list(extra)
        self.e_ops.update(extra)
        self.store_states = bool(store_states)
        #: Bytes of stored states kept in RAM (``None``: the default, read when a run starts).
        self.memory_budget = resolve_budget(memory_budget)
        self.spill_dir = None if spill_dir is None else os.fspath(spill_dir)
        self.callbacks = list(callbacks)
        self._resolved: dict[str, Callable[[Any], Any]] = {}
        #: Time of the record being taken (observables of time-dependent systems read it).
        self.time = 0.0
        self._t: list[float] = []
        self._obs: dict[str, list[Any]] = {}
        self._store: StateStore | None = None
        self._scheduled: int | None = None

    def schedule(self, t_span: tuple[float, float]) -> NDArray[np.float64]:
        """Return the record times for ``t_span = (t0, t1)`` (always includes ``t0`` and ``t1``
        unless explicit ``times`` were given)."""
        t0, t1 = float(t_span[0]), float(t_span[1])
        if self._times is not None:
            lo, hi = min(t0, t1), max(t0, t1)
            tol = _TIME_RTOL * max(1.0, abs(t0), abs(t1))
            outside = self._times[(self._times < lo - tol) | (self._times > hi + tol)]
            if outside.size:
                raise ValueError(
                    f"Recorder `times` must lie inside t_span {t_span}, got {outside[:3]}"
                )
            self._scheduled = len(self._times)
            return np.clip(self._times, lo, hi)
        if self.every is None:
            self._scheduled = 2 if t1 != t0 else 1
            return np.array([t0, t1]) if t1 != t0 else np.array([t0])
        n = int(np.floor((t1 - t0) / self.every * (1 + 1e-12)))
        times = t0 + self.every * np.arange(n + 1)
        if t1 - times[-1] > _TIME_RTOL * max(1.0, abs(t1)):
            times = np.append(times, t1)
        else:
            times[-1] = t1
        self._scheduled = len(times)  # the stored states' block is sized by it
        return np.asarray(times, dtype=np.float64)

    def begin(self, resolve: Callable[[str], Callable[[Any], Any]]) -> None:
        """Reset and resolve observable names with the engine's ``resolve(name)``."""
        self._resolved = {
            name: (resolve(spec) if isinstance(spec, str) else spec)
            for name, spec in self.observables.items()
        }
        for name, op in self.e_ops.items():
            self._resolved[name] = e_op_function(name, op, lambda: self.time)
        self._t = []
        self._obs = {name: [] for name in self._resolved}
        if self._store is not None:
            self._store.discard()
        self._store = self._new_store() if self.store_states else None

    def _new_store(self) -> StateStore:
        budget = default_budget() if self.memory_budget is None else self.memory_budget
        return StateStore(self._scheduled, budget, self.spill_dir)

    def record(self, t: float, state: Any, stored: Any = None) -> None:
        """Record ``state`` at time ``t``.

        ``stored`` is what goes into :attr:`Trajectory.states` (default: ``state``'s array
        data); it is copied once, into the recorder's block of states.
        """
        self.time = float(t)
        self._t.append(float(t))
        for name, fn in self._resolved.items():
            self._obs[name].append(np.asarray(fn(state)))
        if self.store_states:
            if self._store is None:  # recorded without begin(), or store_states set since
                self._store = self._new_store()
            self._store.append(getattr(state, "data", state) if stored is None else stored)
        for cb in self.callbacks:
            cb(float(t), state)

    def finish(self, info: Mapping[str, Any] | None = None, lattice: Any = None) -> Trajectory:
        """Return the :class:`Trajectory` of everything recorded since :meth:`begin`."""
        obs = {name: np.stack(vals) if vals else np.empty(0) for name, vals in self._obs.items()}
        info = dict(info or {})
        states = None
        if self._store is not None:
            if self._store.streaming:
                info.update(self._store.describe())
            # the recorder lets go of the states: the trajectory holds the only reference
            states, self._store = self._store.finish(), None
        if self.e_ops:
            # to_qutip() keys e_data as sesolve would: by position for a list, else by name
            info["e_ops"] = {
                "names": list(self.e_ops),
                "list": self._e_ops_list and list(self.e_ops) == self._e_ops_order,
            }
        return Trajectory(np.asarray(self._t), obs, states, info, lattice)


def _axis_name(j: int, ndim: int, n: int) -> str:
    """Component label: ``x``/``y``/``z`` for one value per lattice axis, else the index."""
    return "xyz"[j] if n == ndim and ndim <= 3 else str(j)
