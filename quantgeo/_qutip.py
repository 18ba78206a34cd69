r"""Conversions between quantgeo states and QuTiP objects, and ``sesolve``-style ``e_ops``.

Normalisations differ: a quantgeo state has site values :math:`\psi_n` with
:math:`\sum_n |\psi_n|^2\,\Delta V = 1`; a QuTiP ket has amplitudes :math:`c_n` with
:math:`\sum_n |c_n|^2 = 1`.  The one map between them is

.. math::  c_n = \psi_n\,\sqrt{\Delta V},

with the C-order site index ``n`` of ``lattice.shape`` and ``dims = [list(shape), [1]*ndim]``
(the tensor-product structure :meth:`~quantgeo.hamiltonian.Hamiltonian.to_qobj` uses).

QuTiP is imported only by the functions that build QuTiP objects; recognising one
(:func:`is_qobj`) never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from quantgeo.lattice import Lattice

__all__ = [
    "QutipResult",
    "array_from_ket",
    "e_op_function",
    "is_qobj",
    "is_qobjevo",
    "ket_from_array",
    "normalize_e_ops",
]


def _qutip_type(obj: Any, name: str) -> bool:
    # by class name and module: telling a Qobj apart must not import QuTiP
    return any(
        c.__name__ == name and c.__module__.split(".")[0] == "qutip" for c in type(obj).__mro__
    )


def is_qobj(obj: Any) -> bool:
    """Whether ``obj`` is a ``qutip.Qobj`` (without importing QuTiP)."""
    return _qutip_type(obj, "Qobj")


def is_qobjevo(obj: Any) -> bool:
    """Whether ``obj`` is a ``qutip.QobjEvo`` (without importing QuTiP)."""
    return _qutip_type(obj, "QobjEvo")


def ket_from_array(data: NDArray[Any], lattice: Lattice) -> Any:
    r"""The ket :math:`c = \psi\sqrt{\Delta V}` of the site values ``data`` (shape
    ``lattice.shape``), with ``dims = [list(shape), [1]*ndim]``."""
    import qutip

    col = (np.asarray(data, dtype=np.complex128) * np.sqrt(lattice.cell_volume)).reshape(-1, 1)
    return qutip.Qobj(col, dims=[list(lattice.shape), [1] * lattice.ndim])


def array_from_ket(ket: Any, lattice: Lattice, name: str = "ket") -> NDArray[np.complex128]:
    r"""Site values :math:`\psi = c/\sqrt{\Delta V}` (shape ``lattice.shape``) of a ket ``Qobj``.

    Raises
    ------
    ValueError
        If ``ket`` is not a ket, or its dimension or ``dims`` do not fit ``lattice``: the
        accepted ``dims[0]`` are ``list(lattice.shape)`` and ``[lattice.size]`` (a flat ket).
    """
    if not is_qobj(ket):
        raise TypeError(f"`{name}` must be a qutip.Qobj ket, got {type(ket).__name__}")
    if not ket.isket:
        raise ValueError(
            f"`{name}` must be a ket (a column vector), got a Qobj of type {ket.type!r} and "
            f"shape {ket.shape}; pass a ket, e.g. a state of `sesolve`"
        )
    allowed = (list(lattice.shape), [lattice.size])
    if ket.shape[0] != lattice.size or list(ket.dims[0]) not in allowed:
        raise ValueError(
            f"`{name}` has dims {ket.dims} (dimension {ket.shape[0]}), which does not fit the "
            f"lattice of shape {lattice.shape}; allowed dims[0]: {allowed[0]} or {allowed[1]}"
        )
    col = np.asarray(ket.full(), dtype=np.complex128)
    return col.reshape(lattice.shape) / np.sqrt(lattice.cell_volume)


EOp = Any  # a qutip.Qobj, a qutip.QobjEvo, or f(t, state)


def normalize_e_ops(e_ops: Any) -> tuple[dict[str, EOp], bool]:
    """``sesolve``-style ``e_ops`` → (name → operator, given as a list?).

    A list (or a single operator) names its entries ``"e0"``, ``"e1"`` …; a dict keeps its
    keys (as strings).  Entries must be ``Qobj``, ``QobjEvo`` or callables ``f(t, state)``.
    """
    if e_ops is None:
        return {}, True
    as_list = not isinstance(e_ops, Mapping)
    if as_list:
        items: Iterable[tuple[Any, Any]]
        if is_qobj(e_ops) or is_qobjevo(e_ops) or callable(e_ops):
            e_ops = [e_ops]
        if isinstance(e_ops, (str, bytes)) or not isinstance(e_ops, Sequence):
            raise TypeError(
                "`e_ops` must be a list or dict of qutip.Qobj, qutip.QobjEvo or f(t, state), "
                f"got {type(e_ops).__name__}"
            )
        items = ((f"e{i}", op) for i, op in enumerate(e_ops))
    else:
        items = ((str(k), op) for k, op in e_ops.items())
    out: dict[str, EOp] = {}
    for key, op in items:
        if not (is_qobj(op) or is_qobjevo(op) or callable(op)):
            raise TypeError(
                f"`e_ops[{key!r}]` must be a qutip.Qobj, qutip.QobjEvo or f(t, state), "
                f"got {type(op).__name__}"
            )
        out[key] = op
    return out, as_list


def _state_ket(state: Any, name: str) -> Any:
    from quantgeo.wavefunction import Wavefunction

    if not isinstance(state, Wavefunction):
        raise TypeError(
            f"e_op {name!r} (a QuTiP operator) needs a wavefunction state, but this engine "
            f"records {type(state).__name__}; use a callable observable instead"
        )
    return ket_from_array(state.data, state.lattice)


def e_op_function(name: str, op: EOp, clock: Callable[[], float]) -> Callable[[Any], Any]:
    r"""``fn(state)`` giving what ``qutip.expect`` gives on the converted ket.

    ``Qobj`` → ``qutip.expect(op, ket)``; ``QobjEvo`` → the same with ``op(t)``,
    ``t = clock()``; a callable → ``op(t, ket)`` (as ``sesolve`` calls it).  The ket is
    :func:`ket_from_array` of the state, so a quantgeo state of norm 1 is a unit ket.
    """
    import qutip

    if is_qobj(op):
        return lambda s: qutip.expect(op, _state_ket(s, name))
    if is_qobjevo(op):
        return lambda s: qutip.expect(op(clock()), _state_ket(s, name))
    return lambda s: op(clock(), _state_ket(s, name))


@dataclass
class QutipResult:
    """What :meth:`~quantgeo.recording.Trajectory.to_qutip` returns: the attributes of a
    ``qutip.solver.Result`` that results are read through.

    Attributes
    ----------
    times
        Record times, a list of floats.
    states
        Kets (``qutip.Qobj``, unit Euclidean norm for a normalised state), one per time.
    e_data
        Name (or index, when ``e_ops`` was a list) → expectation values, one per time.
    solver
        The engine that produced the trajectory.
    stats
        The engine's ``info``.
    """

    times: list[float]
    states: list[Any]
    e_data: dict[Any, NDArray[Any]]
    solver: str = "quantgeo"
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def expect(self) -> list[NDArray[Any]]:
        """The expectation values as a list, in the order of ``e_data``."""
        return list(self.e_data.values())

    @property
    def final_state(self) -> Any:
        """The last state, or ``None`` when no states were stored."""
        return self.states[-1] if self.states else None
