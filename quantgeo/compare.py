r"""Compare two trajectories recorded on the same times and lattice.

.. math::
    e_{L2}(t) = \Big(\sum_n |\psi^a_n(t) - \psi^b_n(t)|^2\,\Delta V\Big)^{1/2},\qquad
    1 - F(t) = 1 - \frac{|\langle\psi^a|\psi^b\rangle|^2}
                        {\langle\psi^a|\psi^a\rangle\langle\psi^b|\psi^b\rangle}

The L2 error sees global phases (a wrong energy offset shows up); the infidelity does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._validation import check_instance
from quantgeo.errors import LatticeMismatchError
from quantgeo.recording import Trajectory

__all__ = ["Comparison", "compare"]

# states compared per block (bytes of one trajectory's block): bounded memory for long runs
_BLOCK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Comparison:
    """Differences between two trajectories versus time.

    Attributes
    ----------
    times
        Common record times, shape ``(n_t,)``.
    l2
        L2 distance of the states at each time, shape ``(n_t,)``.
    infidelity
        ``1 − F`` at each time, shape ``(n_t,)``.
    observables
        For each observable recorded by both: the absolute difference per time (max over
        components), shape ``(n_t,)``.
    """

    times: NDArray[np.float64]
    l2: NDArray[np.float64]
    infidelity: NDArray[np.float64]
    observables: dict[str, NDArray[np.float64]] = field(default_factory=dict)

    @property
    def max_l2(self) -> float:
        """Largest L2 distance over time."""
        return float(np.max(self.l2))

    @property
    def max_infidelity(self) -> float:
        """Largest infidelity over time."""
        return float(np.max(self.infidelity))

    def summary(self) -> dict[str, Any]:
        """JSON-ready dictionary: max L2, max infidelity, max observable errors."""
        out: dict[str, Any] = {"max_l2": self.max_l2, "max_infidelity": self.max_infidelity}
        for name, err in self.observables.items():
            out[f"max_{name}_error"] = float(np.max(err))
        return out


def compare(a: Trajectory | Any, b: Trajectory | Any, *, time_rtol: float = 1e-9) -> Comparison:
    """Compare two trajectories state by state and observable by observable.

    Either argument may instead be a ``qutip.solver.Result`` (e.g. of a user's own
    ``qutip.sesolve(ham.to_qobj(), psi0.to_qobj(), tlist, options={"store_states": True})``):
    it is read with :meth:`Trajectory.from_qutip <quantgeo.recording.Trajectory.from_qutip>`
    on the other argument's lattice (kets divided by √ΔV), so the numbers are those of
    ``compare`` on the equivalent :class:`~quantgeo.reference.QutipReference` trajectory.
    Observables are compared by name (a dict ``e_ops={"energy": H}`` matches ``"energy"``).

    Raises
    ------
    LatticeMismatchError
        If the times, lattices or state shapes differ, or a trajectory stored no states.
    TypeError
        If ``a`` or ``b`` is neither a :class:`~quantgeo.recording.Trajectory` nor a QuTiP
        result, or both are QuTiP results (there is then no lattice to read them on).
    """
    a, b = _as_trajectory("a", a, b), _as_trajectory("b", b, a)
    if a.times.shape != b.times.shape or not np.allclose(
        a.times, b.times, rtol=time_rtol, atol=time_rtol
    ):
        raise LatticeMismatchError(
            f"trajectories were recorded at different times ({len(a.times)} vs {len(b.times)} "
            "records); record both with the same Recorder times"
        )
    if a.states is None or b.states is None:
        raise LatticeMismatchError(
            "both trajectories must store states (Recorder(store_states=True)) to be compared"
        )
    if a.states.shape != b.states.shape:
        raise LatticeMismatchError(f"state shapes differ: {a.states.shape} vs {b.states.shape}")
    if a.lattice is not None and b.lattice is not None and a.lattice != b.lattice:
        raise LatticeMismatchError(f"lattices differ: {a.lattice!r} vs {b.lattice!r}")
    lattice = a.lattice if a.lattice is not None else b.lattice
    dv = 1.0 if lattice is None else lattice.cell_volume
    axes = tuple(range(1, a.states.ndim))
    # blocks of records: streamed states (a memmap) are read a block at a time, never whole
    n_t = len(a.states)
    block = max(1, _BLOCK_BYTES // max(1, a.states[0].nbytes)) if n_t else 1
    parts: list[tuple[Any, ...]] = []
    for i in range(0, n_t, block):
        sa, sb = np.asarray(a.states[i : i + block]), np.asarray(b.states[i : i + block])
        parts.append(
            (
                np.sum(np.abs(sa - sb) ** 2, axis=axes),
                np.sum(np.conj(sa) * sb, axis=axes),
                np.sum(np.abs(sa) ** 2, axis=axes),
                np.sum(np.abs(sb) ** 2, axis=axes),
            )
        )
    d2, ov, na, nb = (
        (np.concatenate(col) for col in zip(*parts, strict=True))
        if parts
        else (np.empty(0) for _ in range(4))
    )
    l2 = np.sqrt(d2 * dv)
    infid = np.clip(1.0 - np.abs(ov) ** 2 / (na * nb), 0.0, None)
    obs = {}
    for name in sorted(set(a.observables) & set(b.observables)):
        da = np.asarray(a.observables[name], dtype=complex)
        db = np.asarray(b.observables[name], dtype=complex)
        if da.shape != db.shape:
            continue
        err = np.abs(da - db).reshape(len(a.times), -1)
        obs[name] = err.max(axis=1) if err.shape[1] else np.zeros(len(a.times))
    return Comparison(a.times.copy(), l2, infid, obs)


def _as_trajectory(name: str, x: Any, other: Any) -> Trajectory:
    """``x`` itself, or the Trajectory of a QuTiP result on ``other``'s lattice."""
    if isinstance(x, Trajectory) or not is_qutip_result(x):
        check_instance(name, x, Trajectory)
        return x
    if not isinstance(other, Trajectory) or other.lattice is None:
        raise TypeError(
            f"`{name}` is a QuTiP result; the other argument must be a Trajectory with a "
            "lattice to read its kets on"
        )
    return Trajectory.from_qutip(x, other.lattice)


def is_qutip_result(x: Any) -> bool:
    """Whether ``x`` is a QuTiP solver result (by class, without importing QuTiP)."""
    return any(
        c.__module__.split(".")[0] == "qutip" and "Result" in c.__name__ for c in type(x).__mro__
    )
