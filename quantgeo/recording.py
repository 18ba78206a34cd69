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
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._io import atomic_path, jsonable
from quantgeo._validation import check_positive

__all__ = ["Recorder", "Trajectory"]

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
        wavefunctions), or ``None`` when states were not stored.
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

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the trajectory to a ``.npz`` file atomically.

        ``info`` is stored as JSON; the lattice as its shape and bounds.
        """
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
        """Read a trajectory written by :meth:`save`."""
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
    """What to save during a run, and when.

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
    store_states
        Keep every recorded state in :attr:`Trajectory.states`.  Turn off for long runs whose
        states are consumed by callbacks.
    callbacks
        Functions ``cb(t, state)`` called at every record time, while the engine runs.

    Notes
    -----
    A recorder is single-use per run: :meth:`begin` resets it.
    """

    def __init__(
        self,
        times: ArrayLike | None = None,
        *,
        every: float | None = None,
        observables: Iterable[str] | Mapping[str, Callable[[Any], Any]] = ("norm", "energy"),
        store_states: bool = True,
        callbacks: Sequence[Callback] = (),
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
        if isinstance(observables, Mapping):
            self.observables: dict[str, Observable] = dict(observables)
        elif isinstance(observables, str):
            raise TypeError(
                f"`observables` must be a sequence of names, got the string {observables!r}; "
                f"write ({observables!r},)"
            )
        else:
            self.observables = {name: name for name in observables}
        self.store_states = bool(store_states)
        self.callbacks = list(callbacks)
        self._resolved: dict[str, Callable[[Any], Any]] = {}
        #: Time of the record being taken (observables of time-dependent systems read it).
        self.time = 0.0
        self._t: list[float] = []
        self._obs: dict[str, list[Any]] = {}
        self._states: list[Any] = []

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
            return np.clip(self._times, lo, hi)
        if self.every is None:
            return np.array([t0, t1]) if t1 != t0 else np.array([t0])
        n = int(np.floor((t1 - t0) / self.every * (1 + 1e-12)))
        times = t0 + self.every * np.arange(n + 1)
        if t1 - times[-1] > _TIME_RTOL * max(1.0, abs(t1)):
            times = np.append(times, t1)
        else:
            times[-1] = t1
        return np.asarray(times, dtype=np.float64)

    def begin(self, resolve: Callable[[str], Callable[[Any], Any]]) -> None:
        """Reset and resolve observable names with the engine's ``resolve(name)``."""
        self._resolved = {
            name: (resolve(spec) if isinstance(spec, str) else spec)
            for name, spec in self.observables.items()
        }
        self._t, self._states = [], []
        self._obs = {name: [] for name in self._resolved}

    def record(self, t: float, state: Any, stored: Any = None) -> None:
        """Record ``state`` at time ``t``.

        ``stored`` is what goes into :attr:`Trajectory.states` (default: a copy of ``state``'s
        array data).
        """
        self.time = float(t)
        self._t.append(float(t))
        for name, fn in self._resolved.items():
            self._obs[name].append(np.asarray(fn(state)))
        if self.store_states:
            if stored is None:
                stored = np.array(getattr(state, "data", state), copy=True)
            self._states.append(stored)
        for cb in self.callbacks:
            cb(float(t), state)

    def finish(self, info: Mapping[str, Any] | None = None, lattice: Any = None) -> Trajectory:
        """Return the :class:`Trajectory` of everything recorded since :meth:`begin`."""
        obs = {name: np.stack(vals) if vals else np.empty(0) for name, vals in self._obs.items()}
        states = np.stack(self._states) if self.store_states and self._states else None
        return Trajectory(np.asarray(self._t), obs, states, dict(info or {}), lattice)
