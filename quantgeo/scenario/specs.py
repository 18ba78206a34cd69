"""Frozen specs: what a validated scenario file becomes (:class:`Scenario` and its tables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from quantgeo.animation import AnimationOptions
from quantgeo.errors import ScenarioError
from quantgeo.lattice import Lattice
from quantgeo.reference import QutipOptions
from quantgeo.scenario.schema import (
    RECORD_KEYS,
    REFERENCE_KEYS,
    SOLVER_KEYS,
    TIME_DEPENDENT_POTENTIALS,
    Key,
)
from quantgeo.solvers.split_operator import AbsorbingBoundary, SplitOperatorOptions

if TYPE_CHECKING:
    from quantgeo.scenario.build import Built
    from quantgeo.scenario.run import ScenarioResult

__all__ = [
    "AnimationSpec",
    "CheckSpec",
    "ExpectSpec",
    "HamiltonianSpec",
    "InitialStateSpec",
    "LatticeSpec",
    "MetaSpec",
    "PotentialSpec",
    "RecordSpec",
    "ReferenceSpec",
    "Scenario",
    "SolverSpec",
]


def _defaults(keys: tuple[Key, ...]) -> dict[str, Any]:
    """Defaults of the scenario-only keys (the engines' own come from their options)."""
    return {k.name: k.default for k in keys}


_SOLVER = _defaults(SOLVER_KEYS)
_RECORD = _defaults(RECORD_KEYS)
_REFERENCE = _defaults(REFERENCE_KEYS)


@dataclass(frozen=True)
class MetaSpec:
    """``[scenario]``: name, description, kind, seed."""

    name: str
    description: str = ""
    kind: str = "schrodinger"
    seed: int = 0


@dataclass(frozen=True)
class LatticeSpec:
    """``[lattice]``: sites per axis and ``(lo, hi)`` bounds per axis."""

    shape: tuple[int, ...]
    bounds: tuple[tuple[float, float], ...]

    def lattice(self) -> Lattice:
        """The :class:`~quantgeo.lattice.Lattice` (its constructor checks shape and bounds)."""
        return Lattice(self.shape, self.bounds)

    # the geometry is the Lattice's, not re-implemented here
    @property
    def ndim(self) -> int:
        """Number of axes."""
        return self.lattice().ndim

    @property
    def size(self) -> int:
        """Total number of sites."""
        return self.lattice().size


def _no_params() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class _TypedSpec:
    type: str
    params: Mapping[str, Any] = field(default_factory=_no_params)


@dataclass(frozen=True)
class PotentialSpec(_TypedSpec):
    """One term of ``[hamiltonian.potential]``: its type and parameters."""


@dataclass(frozen=True)
class HamiltonianSpec:
    """``[hamiltonian]``: kinetic model, mass per axis, ħ and the potential terms (summed)."""

    kinetic: str
    mass: tuple[float, ...]
    hbar: float
    potential: tuple[PotentialSpec, ...] = ()

    @property
    def time_dependent(self) -> bool:
        """Whether a term depends on time."""
        return any(p.type in TIME_DEPENDENT_POTENTIALS for p in self.potential)

    def terms(self, kind: str) -> list[PotentialSpec]:
        """The potential terms of type ``kind``."""
        return [p for p in self.potential if p.type == kind]

    def nonzero_terms(self) -> list[PotentialSpec]:
        """The potential terms other than ``zero``."""
        return [p for p in self.potential if p.type != "zero"]


@dataclass(frozen=True)
class InitialStateSpec(_TypedSpec):
    """``[initial_state]``: builder type and parameters."""


@dataclass(frozen=True)
class SolverSpec:
    """``[solver]`` (and ``[solver.absorber]``)."""

    dt: float
    mode: str = _SOLVER["mode"]
    t_start: float = _SOLVER["t_start"]
    t_end: float | None = _SOLVER["t_end"]
    scheme: str = SplitOperatorOptions.scheme
    backend: str = SplitOperatorOptions.backend
    workers: int | None = SplitOperatorOptions.workers
    fft: str = SplitOperatorOptions.fft
    decomposition: int = SplitOperatorOptions.decomposition
    check_every: int = SplitOperatorOptions.check_every
    norm_tol: float = SplitOperatorOptions.norm_tol
    error_samples: int = SplitOperatorOptions.error_samples
    error_tol: float = SplitOperatorOptions.error_tol
    tol: float = _SOLVER["tol"]
    max_steps: int = _SOLVER["max_steps"]
    residual_tol: float = _SOLVER["residual_tol"]
    absorber: AbsorbingBoundary | None = None


@dataclass(frozen=True)
class RecordSpec:
    """``[record]``: when to record and what."""

    every: float | None = _RECORD["every"]
    times: tuple[float, ...] | None = _RECORD["times"]
    observables: tuple[str, ...] = _RECORD["observables"]
    store_states: bool = _RECORD["store_states"]
    memory_budget: float | None = _RECORD["memory_budget"]


@dataclass(frozen=True)
class ReferenceSpec:
    """``[reference]``: the QuTiP baseline."""

    qutip: bool = _REFERENCE["qutip"]
    atol: float = QutipOptions.atol
    rtol: float = QutipOptions.rtol
    method: str = QutipOptions.method
    nsteps: int = QutipOptions.nsteps


@dataclass(frozen=True)
class CheckSpec:
    """One ``[[expect.analytic]]`` entry (tolerance already chosen for full or fast mode)."""

    check: str
    tolerance: float
    params: Mapping[str, Any] = field(default_factory=_no_params)


@dataclass(frozen=True)
class ExpectSpec:
    """``[expect]``: pass/fail tolerances (``None``: not checked)."""

    max_norm_drift: float | None = None
    max_energy_drift: float | None = None
    max_l2_vs_reference: float | None = None
    max_infidelity_vs_reference: float | None = None
    analytic: tuple[CheckSpec, ...] = ()
    extra: Mapping[str, float] = field(default_factory=_no_params)


#: ``[animation]``: how ``quantgeo animate`` renders the scenario (the animation engine's own
#: options class).
AnimationSpec = AnimationOptions


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (see the module docstring and ``scenarios/README.md``).

    Attributes
    ----------
    path
        The file it was read from (``None`` for text).
    fast
        Whether the ``[fast]`` overrides were applied.
    extra
        Kind-specific tables (``[emergence]``, ``[born]``) as validated read-only mappings.
    """

    path: Path | None
    fast: bool
    meta: MetaSpec
    lattice: LatticeSpec | None
    hamiltonian: HamiltonianSpec | None
    initial_state: InitialStateSpec | None
    solver: SolverSpec | None
    record: RecordSpec = field(default_factory=RecordSpec)
    reference: ReferenceSpec = field(default_factory=ReferenceSpec)
    expect: ExpectSpec = field(default_factory=ExpectSpec)
    animation: AnimationSpec = field(default_factory=AnimationSpec)
    extra: Mapping[str, Any] = field(default_factory=_no_params)
    #: Lattice, potential terms (and a plane-wave state) already constructed while the file was
    #: validated (:func:`~quantgeo.scenario.build.dry_build`), reused by the build so each
    #: library constructor runs once; not compared and not copied by ``replace``.
    parts: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: Accepted but questionable values found while validating, one line each as
    #: ``file: [table].key: message`` (issued as QuantgeoWarning by ``load_scenario``).
    warnings: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def name(self) -> str:
        """``[scenario].name``."""
        return self.meta.name

    @property
    def file(self) -> str:
        """The file name used in error messages."""
        return str(self.path) if self.path is not None else "<scenario>"

    def build(self) -> Built:
        """Construct lattice, Hamiltonian, initial state and solver.

        Raises
        ------
        ScenarioError
            If a library constructor rejects a value (naming the table it came from).
        """
        from quantgeo.scenario.kinds import get_kind

        kind = get_kind(self.meta.kind)
        if kind.build is None:
            raise ScenarioError(
                f"{self.file}: [scenario].kind: {self.meta.kind!r} scenarios are built and run by "
                f"{kind.engine}; use run_scenario()"
            )
        return kind.build(self)

    def run(self, **kwargs: Any) -> ScenarioResult:
        """Shorthand for :func:`run_scenario(self, **kwargs) <run_scenario>`."""
        from quantgeo.scenario.run import run_scenario

        return run_scenario(self, **kwargs)
