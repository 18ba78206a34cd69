r"""Validation scenarios: TOML files → validated frozen specs → :meth:`Scenario.build` → run.

A scenario file describes one run of the lattice Schrödinger engine and what it must achieve::

    [scenario]        name, description, kind, seed
    [lattice]         shape, bounds
    [hamiltonian]     kinetic, mass, hbar; [hamiltonian.potential] (one table or an array of tables)
    [initial_state]   type and its parameters
    [solver]          mode, dt, t_start, t_end, scheme, backend …; [solver.absorber]
    [record]          every | times, observables, store_states
    [reference]       qutip on/off and QuTiP's tolerances
    [expect]          pass/fail tolerances; [[expect.analytic]] closed-form checks
    [animation]       fps, dpi, frames, overlay …
    [fast]            overrides of any of the above for ``--fast`` runs (coarser, shorter)

Every key, its default and its unit is listed by :func:`schema_markdown` (and in
``scenarios/README.md``).  :func:`load_scenario` checks the whole file and raises one
:class:`~quantgeo.errors.ScenarioError` listing *every* problem as ``file: [table].key: message``;
unknown tables, keys and names are rejected with the list of valid ones.

Data flow (ARCHITECTURE.md): ``load_scenario(path)`` → :class:`Scenario` →
:meth:`Scenario.build` → :class:`Built` (lattice, Hamiltonian, initial state, solver) →
:func:`run_scenario` → :class:`ScenarioResult` (trajectory, reference, checks, timings).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import math
import os
import platform
import re
import time
import tomllib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._io import jsonable
from quantgeo.errors import QuantgeoWarning, ScenarioError, StabilityError
from quantgeo.hamiltonian import KINETIC_MODELS, MAX_DENSE_SITES, Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.observables import fidelity
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.schemes import SCHEMES
from quantgeo.solvers.split_operator import BACKENDS, AbsorbingBoundary, SplitOperatorSolver
from quantgeo.wavefunction import Wavefunction

__all__ = [
    "ANALYTIC_CHECKS",
    "INITIAL_STATES",
    "KINDS",
    "POTENTIALS",
    "AnimationSpec",
    "Built",
    "CheckResult",
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
    "ScenarioResult",
    "SolverSpec",
    "bundled_scenarios_dir",
    "find_scenarios",
    "load_scenario",
    "provenance",
    "run_scenario",
    "scenario_from_text",
    "schema_markdown",
]

CArray = NDArray[np.complex128]
FArray = NDArray[np.float64]


# =============================================================================================
# Schema: keys with kind, default, unit and documentation
# =============================================================================================
class _Required:
    def __repr__(self) -> str:
        return "required"


REQUIRED: Any = _Required()


class _Bad:
    """Marker of a value that failed validation (its problem is already reported)."""

    def __repr__(self) -> str:
        return "<invalid>"


BAD: Any = _Bad()


@dataclass(frozen=True)
class Key:
    """One key of a scenario table.

    Attributes
    ----------
    name
        Key name.
    kind
        ``"number"``, ``"int"``, ``"bool"``, ``"str"``, ``"axis"`` (a number or one per lattice
        axis), ``"numbers"`` (a list of numbers), ``"shape"``, ``"bounds"``, ``"strs"``,
        ``"int_or_ints"``, ``"grid"`` (a nested array of numbers), ``"int_or_auto"``.
    default
        Default value, or ``REQUIRED``.
    unit
        Physical unit (``"time"``, ``"length"``, ``"energy"`` … in the scenario's units).
    doc
        One-line description.
    choices
        Allowed strings (``str``/``strs`` kinds).
    positive, nonneg
        Numeric constraints.
    minimum
        Smallest allowed integer (``int`` kinds).
    """

    name: str
    kind: str
    default: Any = REQUIRED
    unit: str = "—"
    doc: str = ""
    choices: tuple[str, ...] = ()
    positive: bool = False
    nonneg: bool = False
    minimum: int | None = None


def _k(
    name: str, kind: str, default: Any = REQUIRED, unit: str = "—", doc: str = "", **kw: Any
) -> Key:
    return Key(name, kind, default, unit, doc, **kw)


OBSERVABLE_NAMES = ("norm", "energy", "position", "momentum", "width")
#: Largest lattice a scenario may ask for.
MAX_SITES = 1 << 26
QUTIP_METHODS = ("adams", "bdf", "lsoda", "dop853", "vern7", "vern9", "tsit5", "diag")

#: Scenario kinds: the engine a scenario runs.  The emergence kinds are provided by
#: :mod:`quantgeo.emergence` (see ``scenarios/README.md``).
KINDS = ("schrodinger", "emergence_three_way", "born_ensemble")

SCENARIO_KEYS = (
    _k("name", "str", None, doc="Scenario name (default: the file stem)"),
    _k("description", "str", "", doc="One-paragraph description of what is checked"),
    _k("kind", "str", "schrodinger", doc="Which engine runs the scenario", choices=KINDS),
    _k(
        "seed",
        "int",
        0,
        doc="Seed of every random number generator (recorded in the report)",
        minimum=0,
    ),
)

LATTICE_KEYS = (
    _k("shape", "shape", REQUIRED, "sites", "Sites per axis: an integer (1D) or 1–3 integers ≥ 2"),
    _k(
        "bounds",
        "bounds",
        REQUIRED,
        "length",
        "[lo, hi] for every axis, or one [lo, hi] per axis; periodic, hi is the image of lo",
    ),
)

HAMILTONIAN_KEYS = (
    _k(
        "kinetic",
        "str",
        "lattice",
        doc="'lattice' (nearest-neighbour hopping, the emergent operator) or 'spectral' (ħ²k²/2m)",
        choices=KINETIC_MODELS,
    ),
    _k("mass", "axis", 1.0, "mass", "Mass, scalar or one per axis", positive=True),
    _k("hbar", "number", 1.0, "action", "Reduced Planck constant ħ", positive=True),
)

#: Potential types: ``[hamiltonian.potential] type = …`` and their keys.
POTENTIALS: dict[str, tuple[Key, ...]] = {
    "zero": (),
    "harmonic": (
        _k("omega", "axis", 1.0, "1/time", "Trap angular frequency ω per axis", positive=True),
        _k("center", "axis", 0.0, "length", "Trap centre per axis"),
    ),
    "double_well": (
        _k("barrier_height", "number", 4.0, "energy", "V₀ of V₀((x/a)² − 1)²", positive=True),
        _k("separation", "number", 1.5, "length", "a: the minima sit at ±a", positive=True),
        _k(
            "omega_perp",
            "number",
            1.0,
            "1/time",
            "Harmonic confinement of the other axes",
            positive=True,
        ),
        _k("axis", "int", 0, doc="Axis of the double well", minimum=0),
    ),
    "barrier": (
        _k("height", "number", REQUIRED, "energy", "Barrier height (negative: a well)"),
        _k(
            "width",
            "number",
            REQUIRED,
            "length",
            "Full width; sites with |x − center| < width/2",
            positive=True,
        ),
        _k("center", "number", 0.0, "length", "Barrier centre"),
        _k("axis", "int", 0, doc="Axis across which the barrier stands", minimum=0),
    ),
    "cosine": (
        _k("amplitude", "number", REQUIRED, "energy", "A of A·Σ cos(2πx/period)"),
        _k(
            "period",
            "number",
            REQUIRED,
            "length",
            "Period (should divide the box length)",
            positive=True,
        ),
        _k("axis", "int", None, doc="Only this axis (default: every axis)", minimum=0),
    ),
    "shaken_trap": (
        _k("omega", "axis", 1.0, "1/time", "Trap angular frequency ω per axis", positive=True),
        _k("amplitude", "number", 1.0, "length", "A: the centre moves as A·sin(Ωt)"),
        _k("drive_frequency", "number", 1.0, "1/time", "Ω of the drive"),
        _k("axis", "int", 0, doc="Axis along which the trap is shaken", minimum=0),
    ),
    "double_slit": (
        _k("position", "number", 0.0, "length", "Wall centre along `axis`"),
        _k("thickness", "number", 0.5, "length", "Wall thickness along `axis`", positive=True),
        _k("height", "number", 50.0, "energy", "Wall height", positive=True),
        _k(
            "separation",
            "number",
            REQUIRED,
            "length",
            "Distance d between the slit centres",
            positive=True,
        ),
        _k("slit_width", "number", REQUIRED, "length", "Opening of each slit", positive=True),
        _k("center", "number", 0.0, "length", "Midpoint of the slits along the other axis"),
        _k(
            "axis",
            "int",
            0,
            doc="Wall normal (the other axis of a 2D lattice runs along the wall)",
            minimum=0,
        ),
    ),
    "array": (
        _k("values", "grid", None, "energy", "Site values, nested arrays of the lattice shape"),
        _k("file", "str", None, doc="A .npy file of site values (relative to the scenario file)"),
    ),
}

#: Potential types whose V depends on time (their built Potential has ``time_dependent``).
TIME_DEPENDENT_POTENTIALS = frozenset({"shaken_trap"})

#: Initial-state types: ``[initial_state] type = …`` and their keys.
INITIAL_STATES: dict[str, tuple[Key, ...]] = {
    "gaussian": (
        _k("center", "axis", 0.0, "length", "Packet centre per axis"),
        _k("width", "axis", 1.0, "length", "Standard deviation σ of |ψ|² per axis", positive=True),
        _k("momentum", "axis", 0.0, "momentum", "Mean momentum per axis (phase p·(x − c)/ħ)"),
    ),
    "coherent": (
        _k(
            "omega",
            "axis",
            None,
            "1/time",
            "Trap frequency fixing the width √(ħ/2mω) (default: the harmonic/shaken trap's ω)",
            positive=True,
        ),
        _k("center", "axis", 0.0, "length", "Packet centre per axis"),
        _k("momentum", "axis", 0.0, "momentum", "Mean momentum per axis"),
    ),
    "plane_wave": (
        _k("momentum", "axis", REQUIRED, "momentum", "Momentum per axis, a multiple of 2πħ/L"),
    ),
    "eigenstate": (
        _k(
            "n", "int_or_ints", 0, doc="Eigenstate index (0 = ground) or a list for a superposition"
        ),
        _k(
            "coefficients",
            "numbers",
            None,
            doc="Real amplitudes of the superposition (default: equal)",
        ),
        _k("phases", "numbers", None, "rad", "Phases of the superposition (default: 0)"),
    ),
    "array": (
        _k("real", "grid", None, "1/√volume", "Real part of the site values (lattice shape)"),
        _k("imag", "grid", None, "1/√volume", "Imaginary part (default 0)"),
        _k("file", "str", None, doc="A .npy file of complex site values (relative to the file)"),
        _k("normalize", "bool", True, doc="Rescale to Σ|ψ|²ΔV = 1"),
    ),
}

SOLVER_KEYS = (
    _k(
        "mode",
        "str",
        "real",
        doc="'real' (time evolution) or 'imaginary' (imaginary-time ground state)",
        choices=("real", "imaginary"),
    ),
    _k("dt", "number", REQUIRED, "time", "Largest time step (imaginary mode: dτ)", positive=True),
    _k("t_start", "number", 0.0, "time", "Start time"),
    _k("t_end", "number", None, "time", "End time (required in real mode)"),
    _k("scheme", "str", "strang", doc="Splitting scheme", choices=tuple(SCHEMES)),
    _k(
        "backend",
        "str",
        "numba",
        doc="Kernels: compiled 'numba' or the 'numpy' twins",
        choices=BACKENDS,
    ),
    _k(
        "workers",
        "int_or_auto",
        "auto",
        "threads",
        "FFT threads, or 'auto' (all cores for ≥ 2¹⁵ sites)",
    ),
    _k("check_every", "int", 100, "steps", "Steps between finiteness/norm checks", minimum=1),
    _k("norm_tol", "number", 1e-8, "—", "Allowed norm drift before StabilityError", positive=True),
    _k(
        "tol",
        "number",
        1e-12,
        "relative energy",
        "Imaginary mode: stop when ⟨H⟩ changes less",
        positive=True,
    ),
    _k("max_steps", "int", 1_000_000, "steps", "Imaginary mode: most steps", minimum=1),
)

ABSORBER_KEYS = (
    _k(
        "width",
        "axis",
        REQUIRED,
        "length",
        "Width ℓ of the absorbing layer at each box edge",
        positive=True,
    ),
    _k(
        "strength",
        "number",
        REQUIRED,
        "energy",
        "η of the complex potential −iη(d/ℓ)^p",
        positive=True,
    ),
    _k("power", "int", 2, doc="Exponent p of the ramp", minimum=1),
)

RECORD_KEYS = (
    _k(
        "every",
        "number",
        None,
        "time",
        "Record interval (default: (t_end − t_start)/100)",
        positive=True,
    ),
    _k("times", "numbers", None, "time", "Explicit record times (instead of `every`)"),
    _k(
        "observables",
        "strs",
        ("norm", "energy", "position", "width"),
        doc="Observables recorded at every record time",
        choices=OBSERVABLE_NAMES,
    ),
    _k(
        "store_states",
        "bool",
        True,
        doc="Keep the recorded states in trajectory.npz (forced on with [reference].qutip)",
    ),
)

REFERENCE_KEYS = (
    _k("qutip", "bool", False, doc="Also run qutip.sesolve on the identical operator and compare"),
    _k("atol", "number", 1e-12, "—", "QuTiP absolute tolerance", positive=True),
    _k("rtol", "number", 1e-10, "—", "QuTiP relative tolerance", positive=True),
    _k("method", "str", "adams", doc="QuTiP integration method", choices=QUTIP_METHODS),
    _k(
        "nsteps",
        "int",
        10_000_000,
        "steps",
        "QuTiP's maximum internal steps per output interval",
        minimum=1,
    ),
)

EXPECT_KEYS = (
    _k("max_norm_drift", "number", None, "—", "max_t |norm(t) − norm(t₀)|", nonneg=True),
    _k(
        "max_energy_drift",
        "number",
        None,
        "energy",
        "max_t |⟨H⟩(t) − ⟨H⟩(t₀)| (static potentials only)",
        nonneg=True,
    ),
    _k(
        "max_l2_vs_reference",
        "number",
        None,
        "1/√volume·√volume = —",
        "max_t ‖ψ − ψ_QuTiP‖ (needs [reference].qutip)",
        nonneg=True,
    ),
    _k(
        "max_infidelity_vs_reference",
        "number",
        None,
        "—",
        "max_t 1 − |⟨ψ|ψ_QuTiP⟩|² (needs [reference].qutip)",
        nonneg=True,
    ),
)

CHECK_COMMON_KEYS = (
    _k("check", "str", REQUIRED, doc="Name of the closed-form check (see the list below)"),
    _k(
        "tolerance",
        "number",
        REQUIRED,
        "see check",
        "Pass if the measured error ≤ tolerance",
        nonneg=True,
    ),
    _k(
        "fast_tolerance",
        "number",
        None,
        "see check",
        "Tolerance in fast mode (default: `tolerance`)",
        nonneg=True,
    ),
)

ANIMATION_KEYS = (
    _k("fps", "int", 20, "1/s", "Frames per second of the movie", minimum=1),
    _k("dpi", "int", 100, "dots/inch", "Resolution of the rendered frames", minimum=10),
    _k(
        "frames",
        "int",
        100,
        "frames",
        "Number of frames, equally spaced over [t_start, t_end]",
        minimum=2,
    ),
    _k("t_end", "number", None, "time", "End time of the movie (default: [solver].t_end)"),
    _k("size", "numbers", (6.4, 4.0), "inch", "Figure [width, height]"),
    _k(
        "overlay",
        "str",
        "auto",
        doc="Reference curve (1D): 'analytic', 'qutip', 'none' or 'auto' (analytic when known)",
        choices=("auto", "analytic", "qutip", "none"),
    ),
    _k(
        "curves",
        "strs",
        ("density", "real", "imag", "potential"),
        doc="1D curves: |ψ|², Re ψ, Im ψ, V",
        choices=("density", "real", "imag", "potential"),
    ),
    _k("potential_contour", "bool", True, doc="2D: draw contours of V over the density"),
    _k(
        "normalize",
        "str",
        "frame",
        doc="2D brightness: each 'frame' scaled to its maximum, or 'initial' (fixed scale)",
        choices=("frame", "initial"),
    ),
)


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
    """

    name: str
    doc: str
    unit: str
    keys: tuple[Key, ...] = ()
    mode: str = "real"
    absorber: bool | None = False


#: Closed-form checks (``[[expect.analytic]] check = …``); each measures an error ≤ tolerance.
ANALYTIC_CHECKS: dict[str, CheckDef] = {
    c.name: c
    for c in (
        CheckDef(
            "free_gaussian",
            "max_t ‖ψ − ψ_exact‖ for a free Gaussian, exact phase included "
            "(needs kinetic='spectral', no potential, a gaussian initial state)",
            "—",
        ),
        CheckDef(
            "free_width",
            "max_t,axis |σ(t) − σ√(1 + (ħt/2mσ²)²)| (same requirements as free_gaussian)",
            "length",
        ),
        CheckDef(
            "coherent_state",
            "max_t ‖ψ − ψ_coherent‖, exact phase included (kinetic='spectral', one harmonic "
            "potential, coherent initial state)",
            "—",
        ),
        CheckDef(
            "driven_position",
            "max_t,axis |⟨x⟩ − X_classical| in a shaken harmonic trap (Ehrenfest exact; "
            "kinetic='spectral', one shaken_trap potential)",
            "length",
            absorber=None,
        ),
        CheckDef(
            "rabi",
            "max_t ‖ψ − ψ_Rabi‖ on a two-site lattice against the closed-form 2×2 propagator",
            "—",
        ),
        CheckDef(
            "talbot_revival",
            "max(‖ψ(T_R) − ψ(0)‖, ‖ψ(T_R/2) − ψ(0) shifted by L/2‖), T_R = mL²/πħ "
            "(1D ring, kinetic='spectral', no potential, even N)",
            "—",
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
        ),
        CheckDef(
            "tunnelling_period",
            "|T_fit − 2πħ/ΔE| / (2πħ/ΔE): period of the left-well probability fitted to the record "
            "vs the splitting ΔE = E₁ − E₀ from eigh (double_well potential)",
            "relative",
            absorber=None,
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
        ),
        CheckDef(
            "ground_state_fidelity",
            "1 − |⟨ψ|ψ₀⟩|² against eigh's ground state (imaginary mode)",
            "—",
            mode="imaginary",
            absorber=None,
        ),
        CheckDef(
            "remaining_norm",
            "norm left in the box at t_end: what the absorber failed to remove plus what it "
            "reflected (needs [solver.absorber])",
            "probability",
            absorber=True,
        ),
        CheckDef(
            "double_slit_fringes",
            "|Δk − 2π/d| / (2π/d): spacing of the transverse-momentum fringes of the transmitted "
            "part at t_end (2D, a double_slit potential)",
            "relative",
            absorber=None,
        ),
    )
}

TABLE_ORDER = (
    "scenario",
    "lattice",
    "hamiltonian",
    "initial_state",
    "solver",
    "record",
    "reference",
    "expect",
    "animation",
    "emergence",
    "born",
    "fast",
)


#: (required, optional) tables of each scenario kind.
KIND_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "schrodinger": (
        ("lattice", "hamiltonian", "initial_state", "solver", "expect"),
        ("record", "reference", "animation"),
    ),
    "emergence_three_way": (("lattice", "hamiltonian", "initial_state", "emergence", "expect"), ()),
    "born_ensemble": (("lattice", "hamiltonian", "initial_state", "born", "expect"), ()),
}


# =============================================================================================
# Frozen specs
# =============================================================================================
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

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """Total number of sites."""
        return int(np.prod(self.shape))


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
    mode: str = "real"
    t_start: float = 0.0
    t_end: float | None = None
    scheme: str = "strang"
    backend: str = "numba"
    workers: int | None = None
    check_every: int = 100
    norm_tol: float = 1e-8
    tol: float = 1e-12
    max_steps: int = 1_000_000
    absorber: AbsorbingBoundary | None = None


@dataclass(frozen=True)
class RecordSpec:
    """``[record]``: when to record and what."""

    every: float | None = None
    times: tuple[float, ...] | None = None
    observables: tuple[str, ...] = ("norm", "energy", "position", "width")
    store_states: bool = True


@dataclass(frozen=True)
class ReferenceSpec:
    """``[reference]``: the QuTiP baseline."""

    qutip: bool = False
    atol: float = 1e-12
    rtol: float = 1e-10
    method: str = "adams"
    nsteps: int = 10_000_000


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


@dataclass(frozen=True)
class AnimationSpec:
    """``[animation]``: how ``quantgeo animate`` renders the scenario."""

    fps: int = 20
    dpi: int = 100
    frames: int = 100
    t_end: float | None = None
    size: tuple[float, float] = (6.4, 4.0)
    overlay: str = "auto"
    curves: tuple[str, ...] = ("density", "real", "imag", "potential")
    potential_contour: bool = True
    normalize: str = "frame"


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
        if self.meta.kind != "schrodinger":
            raise ScenarioError(
                f"{self.file}: [scenario].kind: {self.meta.kind!r} scenarios are built and run by "
                "quantgeo.emergence; use run_scenario()"
            )
        return _build(self)

    def run(self, **kwargs: Any) -> ScenarioResult:
        """Shorthand for :func:`run_scenario(self, **kwargs) <run_scenario>`."""
        return run_scenario(self, **kwargs)


# =============================================================================================
# Validation
# =============================================================================================
_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    list: "array",
    dict: "table",
}


def _tname(value: Any) -> str:
    for t, name in _TYPE_NAMES.items():
        if type(value) is t:
            return name
    return type(value).__name__


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _suggest(word: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Checker:
    """Collects problems as ``file: [table].key: message``."""

    def __init__(self, file: str, overrides: set[str] | None = None) -> None:
        self.file = file
        self.problems: list[str] = []
        #: Dotted paths set by [fast] (None: not a fast-mode pass).
        self.overrides = overrides

    def add(self, table: str, key: str | None, msg: str) -> None:
        label, suffix = table, ""
        if self.overrides is not None:
            full = re.sub(r"\.\d+(?=\.|$)", "", table + (f".{key}" if key else ""))
            if any(full == o or full.startswith(o + ".") for o in self.overrides):
                label = f"fast.{table}"
            else:
                suffix = " (with the [fast] overrides)"
        loc = f"[{label}]" + (f".{key}" if key else "")
        self.problems.append(f"{self.file}: {loc}: {msg}{suffix}")

    # -- tables ----------------------------------------------------------------------------
    def table(
        self,
        raw: Any,
        name: str,
        keys: Sequence[Key],
        ndim: int | None,
        *,
        extra: Sequence[str] = (),
        context: str = "",
    ) -> dict[str, Any]:
        """Parse ``raw`` against ``keys``; unknown keys and bad values become problems."""
        if not isinstance(raw, dict):
            self.add(name, None, f"must be a table, got {_tname(raw)} {raw!r}")
            return {k.name: BAD for k in keys}
        valid = [k.name for k in keys] + list(extra)
        for key in raw:
            if key not in valid:
                self.add(
                    name,
                    key,
                    f"unknown key{context}{_suggest(key, valid)}; valid keys: "
                    + (", ".join(sorted(valid)) if valid else "none"),
                )
        out: dict[str, Any] = {}
        for k in keys:
            if k.name in raw:
                out[k.name] = self.value(name, k, raw[k.name], ndim)
            elif k.default is REQUIRED:
                self.add(name, k.name, f"missing required key ({k.doc})")
                out[k.name] = BAD
            else:
                out[k.name] = k.default
        return out

    # -- values ----------------------------------------------------------------------------
    def _number(self, table: str, k: Key, v: Any, label: str | None = None) -> Any:
        unit = f" ({k.unit})" if k.unit not in ("—", "") else ""
        where = label or k.name
        if not _is_number(v):
            self.add(table, where, f"must be a number{unit}, got {_tname(v)} {v!r}")
            return BAD
        x = float(v)
        if not math.isfinite(x):
            self.add(table, where, f"must be finite, got {v!r}")
            return BAD
        if k.positive and x <= 0:
            self.add(table, where, f"must be positive, got {v!r}")
            return BAD
        if k.nonneg and x < 0:
            self.add(table, where, f"must be ≥ 0, got {v!r}")
            return BAD
        return x

    def _int(self, table: str, k: Key, v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, int):
            self.add(table, k.name, f"must be an integer, got {_tname(v)} {v!r}")
            return BAD
        if k.minimum is not None and v < k.minimum:
            self.add(table, k.name, f"must be an integer ≥ {k.minimum}, got {v!r}")
            return BAD
        return int(v)

    def value(self, table: str, k: Key, v: Any, ndim: int | None) -> Any:
        kind = k.kind
        if kind == "number":
            return self._number(table, k, v)
        if kind == "int":
            return self._int(table, k, v)
        if kind == "bool":
            if not isinstance(v, bool):
                self.add(table, k.name, f"must be true or false, got {_tname(v)} {v!r}")
                return BAD
            return v
        if kind == "str":
            if not isinstance(v, str):
                self.add(table, k.name, f"must be a string, got {_tname(v)} {v!r}")
                return BAD
            if k.choices and v not in k.choices:
                self.add(
                    table,
                    k.name,
                    f"unknown value {v!r}{_suggest(v, k.choices)}; valid: {', '.join(k.choices)}",
                )
                return BAD
            return v
        if kind == "strs":
            if isinstance(v, str) or not isinstance(v, list):
                self.add(table, k.name, f"must be an array of strings, got {_tname(v)} {v!r}")
                return BAD
            bad = [x for x in v if not isinstance(x, str) or (k.choices and x not in k.choices)]
            if bad:
                self.add(
                    table,
                    k.name,
                    f"unknown entries {bad!r}; valid: {', '.join(k.choices)}",
                )
                return BAD
            return tuple(v)
        if kind == "axis":
            if isinstance(v, list):
                if not v or (ndim is not None and len(v) != ndim) or len(v) > 3:
                    want = f"{ndim}" if ndim is not None else "1 to 3"
                    self.add(
                        table,
                        k.name,
                        f"must be a number or an array of {want} numbers (one per lattice axis), "
                        f"got {len(v)} entries {v!r}",
                    )
                    return BAD
                vals = [self._number(table, k, x, f"{k.name}[{i}]") for i, x in enumerate(v)]
                return BAD if any(x is BAD for x in vals) else tuple(vals)
            return self._number(table, k, v)
        if kind == "numbers":
            if not isinstance(v, list) or not v:
                self.add(
                    table, k.name, f"must be a non-empty array of numbers, got {_tname(v)} {v!r}"
                )
                return BAD
            vals = [self._number(table, k, x, f"{k.name}[{i}]") for i, x in enumerate(v)]
            return BAD if any(x is BAD for x in vals) else tuple(vals)
        if kind == "shape":
            vals_raw = [v] if not isinstance(v, list) else v
            if not 1 <= len(vals_raw) <= 3:
                self.add(table, k.name, f"must have 1 to 3 axes, got {v!r}")
                return BAD
            ok = all(isinstance(n, int) and not isinstance(n, bool) and n >= 2 for n in vals_raw)
            if not ok:
                self.add(table, k.name, f"must be integers ≥ 2 (sites per axis), got {v!r}")
                return BAD
            return tuple(int(n) for n in vals_raw)
        if kind == "bounds":
            return self._bounds(table, k, v, ndim)
        if kind == "int_or_ints":
            if isinstance(v, list):
                if not v:
                    self.add(table, k.name, "must be an integer ≥ 0 or a non-empty array of them")
                    return BAD
                vals = [
                    self._int(table, Key(f"{k.name}[{i}]", "int", minimum=0), x)
                    for i, x in enumerate(v)
                ]
                if any(x is BAD for x in vals):
                    return BAD
                if len(set(vals)) != len(vals):
                    self.add(table, k.name, f"must not repeat an index, got {v!r}")
                    return BAD
                return tuple(vals)
            x = self._int(table, Key(k.name, "int", minimum=0), v)
            return BAD if x is BAD else (x,)
        if kind == "int_or_auto":
            if v == "auto":
                return None
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                self.add(table, k.name, f"must be 'auto' or an integer ≥ 1, got {_tname(v)} {v!r}")
                return BAD
            return int(v)
        if kind == "grid":
            try:
                arr = np.array(v, dtype=float)
            except (TypeError, ValueError):
                self.add(table, k.name, f"must be a (nested) array of numbers, got {_tname(v)}")
                return BAD
            if arr.ndim == 0 or arr.dtype == object or not np.all(np.isfinite(arr)):
                self.add(table, k.name, "must be a rectangular nested array of finite numbers")
                return BAD
            if any(isinstance(x, bool) for x in np.asarray(v, dtype=object).ravel()):
                self.add(table, k.name, "must contain numbers, not booleans")
                return BAD
            arr.setflags(write=False)
            return arr
        raise AssertionError(f"unknown key kind {kind!r}")  # pragma: no cover

    def _bounds(self, table: str, k: Key, v: Any, ndim: int | None) -> Any:
        def pair(p: Any, label: str) -> Any:
            if not isinstance(p, list) or len(p) != 2 or not all(_is_number(x) for x in p):
                self.add(table, label, f"must be a [lo, hi] pair of numbers, got {p!r}")
                return BAD
            lo, hi = float(p[0]), float(p[1])
            if not (math.isfinite(lo) and math.isfinite(hi)) or not hi > lo:
                self.add(table, label, f"must be finite with hi > lo, got {p!r}")
                return BAD
            return (lo, hi)

        if not isinstance(v, list) or not v:
            self.add(
                table,
                k.name,
                f"must be [lo, hi] or an array of [lo, hi] pairs, got {_tname(v)} {v!r}",
            )
            return BAD
        if all(_is_number(x) for x in v):
            p = pair(v, k.name)
            if p is BAD:
                return BAD
            return tuple([p] * (ndim or 1))
        pairs = [pair(p, f"{k.name}[{i}]") for i, p in enumerate(v)]
        if any(p is BAD for p in pairs):
            return BAD
        if ndim is not None and len(pairs) != ndim:
            self.add(
                table,
                k.name,
                f"has {len(pairs)} [lo, hi] pairs but [lattice].shape has {ndim} axes",
            )
            return BAD
        return tuple(pairs)


def _ok(*values: Any) -> bool:
    return all(v is not BAD for v in values)


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{label}: [scenario]: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{label}: [scenario]: cannot read the file: {exc}") from None
    return _parse_toml(text, label)


_LINE_RE = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER_RE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY_RE = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")
_OPEN_HEADER_RE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)")


def _parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _LINE_RE.search(msg)
        where = "[toml]"
        lines = text.splitlines()
        lineno = int(m.group(1)) if m else 0
        if not m and "end of document" in msg:
            lineno = max((i + 1 for i, ln in enumerate(lines) if ln.strip()), default=0)
        if lineno:
            table = ""
            for line in lines[: lineno - 1]:
                h = _HEADER_RE.match(line)
                if h and not _KEY_RE.match(line):
                    table = h.group(1)
            cur = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
            h = _OPEN_HEADER_RE.match(cur)
            km = _KEY_RE.match(cur)
            if km:
                where = f"[{table or 'toml'}].{km.group(1).strip(chr(34) + chr(39))}"
            elif h:
                where = f"[{h.group(1)}]"
            elif table:
                where = f"[{table}]"
        raise ScenarioError(f"{label}: {where}: invalid TOML: {msg}") from None


def _merge(
    base: dict[str, Any], over: Mapping[str, Any], prefix: str, overrides: set[str]
) -> dict[str, Any]:
    out = dict(base)
    for key, val in over.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], val, path, overrides)
        else:
            out[key] = val
            overrides.add(path)
    return out


def _validate(doc: dict[str, Any], ck: _Checker, path: Path | None, fast: bool) -> Scenario | None:
    """Validate a parsed TOML document; return the Scenario or ``None`` (problems in ``ck``)."""
    for tname in doc:
        if tname not in TABLE_ORDER:
            ck.add(
                tname,
                None,
                f"unknown table{_suggest(tname, TABLE_ORDER)}; "
                f"valid tables: {', '.join(TABLE_ORDER)}",
            )
    raw_meta = doc.get("scenario", {})
    meta = ck.table(raw_meta, "scenario", SCENARIO_KEYS, None)
    kind = meta["kind"] if meta["kind"] is not BAD else "schrodinger"
    required, optional = KIND_TABLES[kind]
    for tname in required:
        if tname not in doc:
            ck.add(tname, None, f"missing required table for kind = {kind!r}")
    for tname in doc:
        if tname in TABLE_ORDER and tname not in (*required, *optional, "scenario", "fast"):
            ck.add(tname, None, f"not used by kind = {kind!r}")
    name = meta["name"]
    if name is None or name is BAD:
        name = path.stem if path is not None else "scenario"
    meta_spec = MetaSpec(
        name=name,
        description=meta["description"] if meta["description"] is not BAD else "",
        kind=kind,
        seed=meta["seed"] if meta["seed"] is not BAD else 0,
    )
    expect_raw = doc.get("expect", {})
    animation = ck.table(doc.get("animation", {}), "animation", ANIMATION_KEYS, None)
    if animation["size"] is not BAD and animation["size"] is not None:
        if len(animation["size"]) != 2 or min(animation["size"]) <= 0:
            ck.add(
                "animation",
                "size",
                f"must be [width, height] in inches > 0, got {list(animation['size'])}",
            )
            animation["size"] = BAD
    # -- lattice ------------------------------------------------------------------------------
    lat_raw = doc.get("lattice", {})
    lat = ck.table(lat_raw, "lattice", LATTICE_KEYS[:1], None, extra=("bounds",))
    ndim = len(lat["shape"]) if lat["shape"] is not BAD else None
    lat["bounds"] = BAD
    if isinstance(lat_raw, dict):
        if "bounds" in lat_raw:
            lat["bounds"] = ck.value("lattice", LATTICE_KEYS[1], lat_raw["bounds"], ndim)
        elif "lattice" in doc:
            ck.add("lattice", "bounds", f"missing required key ({LATTICE_KEYS[1].doc})")
    size = math.prod(lat["shape"]) if ndim is not None else None
    if size is not None and size > MAX_SITES:
        ck.add(
            "lattice",
            "shape",
            f"{size} sites exceed the limit of {MAX_SITES} (2²⁶, 1 GiB per complex state)",
        )
        lat["shape"], ndim, size = BAD, None, None

    # -- hamiltonian ----------------------------------------------------------------------------
    ham_raw = doc.get("hamiltonian", {})
    ham = ck.table(ham_raw, "hamiltonian", HAMILTONIAN_KEYS, ndim, extra=("potential",))
    pot_raw = ham_raw.get("potential", []) if isinstance(ham_raw, dict) else []
    if isinstance(pot_raw, dict):
        pot_list = [("hamiltonian.potential", pot_raw)]
    elif isinstance(pot_raw, list) and all(isinstance(p, dict) for p in pot_raw):
        pot_list = [(f"hamiltonian.potential.{i}", p) for i, p in enumerate(pot_raw)]
    else:
        ck.add(
            "hamiltonian",
            "potential",
            f"must be a table or an array of tables, got {_tname(pot_raw)}",
        )
        pot_list = []
    potentials: list[tuple[str, str, dict[str, Any]]] = []
    for label, praw in pot_list:
        ptype = praw.get("type", BAD)
        if ptype is BAD:
            ck.add(label, "type", f"missing required key; valid types: {', '.join(POTENTIALS)}")
            continue
        if not isinstance(ptype, str) or ptype not in POTENTIALS:
            ck.add(
                label,
                "type",
                f"unknown potential type {ptype!r}{_suggest(str(ptype), POTENTIALS)}; "
                f"valid: {', '.join(POTENTIALS)}",
            )
            continue
        vals = ck.table(
            praw, label, POTENTIALS[ptype], ndim, extra=("type",), context=f" for type = {ptype!r}"
        )
        potentials.append((label, ptype, vals))
        if (
            "axis" in vals
            and vals["axis"] not in (BAD, None)
            and ndim is not None
            and vals["axis"] >= ndim
        ):
            ck.add(label, "axis", f"must be < the lattice dimension {ndim}, got {vals['axis']}")
            vals["axis"] = BAD
        if ptype == "array":
            _check_array_source(ck, label, vals, lat["shape"] if ndim else None, "values")
        if ptype == "double_slit":
            if ndim is not None and ndim != 2:
                ck.add(label, "type", f"'double_slit' needs a 2D lattice, got {ndim}D")
            if (
                _ok(vals["slit_width"], vals["separation"])
                and vals["slit_width"] >= vals["separation"]
            ):
                ck.add(
                    label,
                    "slit_width",
                    f"must be smaller than `separation` ({vals['separation']}), "
                    f"got {vals['slit_width']}",
                )
    time_dependent = [t for _, t, _ in potentials if t in TIME_DEPENDENT_POTENTIALS]

    # -- initial state --------------------------------------------------------------------------
    init_raw = doc.get("initial_state", {})
    init: dict[str, Any] = {}
    itype: Any = BAD
    if not isinstance(init_raw, dict):
        ck.add("initial_state", None, f"must be a table, got {_tname(init_raw)}")
    else:
        itype = init_raw.get("type", BAD)
        if itype is BAD:
            if "initial_state" in doc:
                ck.add(
                    "initial_state",
                    "type",
                    f"missing required key; valid types: {', '.join(INITIAL_STATES)}",
                )
        elif not isinstance(itype, str) or itype not in INITIAL_STATES:
            ck.add(
                "initial_state",
                "type",
                f"unknown initial-state type {itype!r}{_suggest(str(itype), INITIAL_STATES)}; "
                f"valid: {', '.join(INITIAL_STATES)}",
            )
            itype = BAD
        if itype is not BAD:
            init = ck.table(
                init_raw,
                "initial_state",
                INITIAL_STATES[itype],
                ndim,
                extra=("type",),
                context=f" for type = {itype!r}",
            )
            if itype == "array":
                _check_array_source(
                    ck, "initial_state", init, lat["shape"] if ndim else None, "real"
                )
            if itype == "eigenstate" and _ok(init["n"]):
                for key in ("coefficients", "phases"):
                    if init[key] not in (BAD, None) and len(init[key]) != len(init["n"]):
                        ck.add(
                            "initial_state",
                            key,
                            f"must have one entry per index in `n` ({len(init['n'])}), "
                            f"got {len(init[key])}",
                        )
                        init[key] = BAD
                if init["coefficients"] not in (BAD, None) and not any(init["coefficients"]):
                    ck.add("initial_state", "coefficients", "must not all be zero")
                if size is not None and size > MAX_DENSE_SITES and ham["kinetic"] == "spectral":
                    ck.add(
                        "initial_state",
                        "type",
                        f"'eigenstate' with kinetic = 'spectral' needs ≤ {MAX_DENSE_SITES} "
                        f"sites (dense eigh), the lattice has {size}",
                    )
            if itype == "coherent" and init["omega"] is None:
                traps = [v for _, t, v in potentials if t in ("harmonic", "shaken_trap")]
                if len(traps) != 1:
                    ck.add(
                        "initial_state",
                        "omega",
                        "required unless the potential has exactly one harmonic or "
                        "shaken_trap term",
                    )
                    init["omega"] = BAD
                else:
                    init["omega"] = traps[0]["omega"]

    common = {
        "ndim": ndim,
        "size": size,
        "lattice": lat,
        "hamiltonian": ham,
        "potentials": potentials,
        "itype": itype,
        "initial_state": init,
    }
    if kind != "schrodinger":
        return _validate_emergence(doc, ck, path, fast, meta_spec, expect_raw, animation, common)

    # -- solver ---------------------------------------------------------------------------------
    sol_raw = doc.get("solver", {})
    sol = ck.table(sol_raw, "solver", SOLVER_KEYS, ndim, extra=("absorber",))
    absorber: Any = None
    if isinstance(sol_raw, dict) and "absorber" in sol_raw:
        ab = ck.table(sol_raw["absorber"], "solver.absorber", ABSORBER_KEYS, ndim)
        absorber = ab if _ok(*ab.values()) else BAD
    mode = sol["mode"]
    if mode == "real":
        if sol["t_end"] is None:
            ck.add("solver", "t_end", "missing required key (end time) for mode = 'real'")
            sol["t_end"] = BAD
        elif _ok(sol["t_end"], sol["t_start"]) and sol["t_end"] <= sol["t_start"]:
            ck.add("solver", "t_end", f"must be > t_start = {sol['t_start']}, got {sol['t_end']}")
            sol["t_end"] = BAD
    elif mode == "imaginary":
        if isinstance(sol_raw, dict) and "t_end" in sol_raw:
            ck.add("solver", "t_end", "not used with mode = 'imaginary' (the run stops at `tol`)")
        if absorber not in (None, BAD):
            ck.add("solver.absorber", None, "not allowed with mode = 'imaginary'")
        if time_dependent:
            ck.add(
                "solver",
                "mode",
                "imaginary time needs a static potential "
                f"(a {time_dependent[0]} is time dependent)",
            )
    if absorber not in (None, BAD) and _ok(sol["scheme"]) and not SCHEMES[sol["scheme"]].positive:
        ck.add(
            "solver",
            "scheme",
            f"{sol['scheme']!r} has negative sub-steps, which amplify instead of absorb in the "
            "absorbing layer; use 'strang' with [solver.absorber]",
        )
    if (
        absorber not in (None, BAD)
        and lat["bounds"] is not BAD
        and ndim is not None
        and absorber["width"] is not BAD
    ):
        widths = (
            absorber["width"]
            if isinstance(absorber["width"], tuple)
            else (absorber["width"],) * ndim
        )
        for i, (w, (lo, hi)) in enumerate(zip(widths, lat["bounds"], strict=False)):
            if 2 * w >= hi - lo:
                ck.add(
                    "solver.absorber",
                    "width",
                    f"layers of width {w} leave no interior on axis {i} (box length {hi - lo})",
                )

    # -- record ---------------------------------------------------------------------------------
    rec = ck.table(doc.get("record", {}), "record", RECORD_KEYS, ndim)
    if rec["every"] not in (None, BAD) and rec["times"] not in (None, BAD):
        ck.add("record", "times", "give `every` or `times`, not both")
    if rec["times"] not in (None, BAD):
        t = np.asarray(rec["times"])
        if np.any(np.diff(t) <= 0):
            ck.add("record", "times", "must be strictly increasing")
        elif (
            _ok(sol["t_start"], sol["t_end"])
            and sol["t_end"] is not None
            and (t[0] < sol["t_start"] or t[-1] > sol["t_end"])
        ):
            ck.add(
                "record",
                "times",
                f"must lie in [t_start, t_end] = [{sol['t_start']}, {sol['t_end']}]",
            )
    if mode == "imaginary" and isinstance(doc.get("record"), dict):
        for key in ("every", "times"):
            if key in doc["record"]:
                ck.add(
                    "record", key, "not used with mode = 'imaginary' (one record: the ground state)"
                )

    # -- reference ------------------------------------------------------------------------------
    ref = ck.table(doc.get("reference", {}), "reference", REFERENCE_KEYS, ndim)
    if ref["qutip"] is True:
        if mode == "imaginary":
            ck.add("reference", "qutip", "a QuTiP baseline needs mode = 'real'")
        if absorber not in (None, BAD):
            ck.add(
                "reference",
                "qutip",
                "QuTiP's sesolve has no absorbing boundary; remove [solver.absorber] or "
                "the reference",
            )
        if size is not None and ham["kinetic"] == "spectral" and size > MAX_DENSE_SITES:
            ck.add(
                "reference",
                "qutip",
                f"kinetic = 'spectral' is a dense matrix: allowed up to {MAX_DENSE_SITES} "
                f"sites, the lattice has {size}",
            )

    # -- expect ---------------------------------------------------------------------------------
    exp = ck.table(expect_raw, "expect", EXPECT_KEYS, ndim, extra=("analytic",))
    if exp["max_energy_drift"] not in (None, BAD) and time_dependent:
        ck.add(
            "expect", "max_energy_drift", "energy is not conserved with a time-dependent potential"
        )
    for key in ("max_l2_vs_reference", "max_infidelity_vs_reference"):
        if exp[key] not in (None, BAD) and ref["qutip"] is not True:
            ck.add("expect", key, "needs [reference] qutip = true")
    if mode == "imaginary":
        for key in ("max_norm_drift", "max_energy_drift"):
            if exp[key] not in (None, BAD):
                ck.add("expect", key, "not meaningful with mode = 'imaginary'")
    checks = _validate_checks(ck, expect_raw, ndim, fast)
    if (
        isinstance(expect_raw, dict)
        and expect_raw.get("analytic", []) == []
        and all(exp[k.name] in (None, BAD) for k in EXPECT_KEYS)
    ):
        ck.add(
            "expect",
            None,
            "no expectation given: set at least one tolerance or [[expect.analytic]] check",
        )

    draft = {**common, "solver": sol, "absorber": absorber, "record": rec}
    for label, cdef, vals in checks:
        _check_requirements(ck, label, cdef, vals, draft)

    if ck.problems:
        return None

    # -- frozen specs ---------------------------------------------------------------------------
    lattice, hspec, ispec = _system_specs(draft)
    absorber_obj = None
    if absorber is not None:
        absorber_obj = AbsorbingBoundary(absorber["width"], absorber["strength"], absorber["power"])
    sspec = SolverSpec(
        dt=sol["dt"],
        mode=mode,
        t_start=sol["t_start"],
        t_end=sol["t_end"],
        scheme=sol["scheme"],
        backend=sol["backend"],
        workers=None if sol["workers"] == "auto" else sol["workers"],
        check_every=sol["check_every"],
        norm_tol=sol["norm_tol"],
        tol=sol["tol"],
        max_steps=sol["max_steps"],
        absorber=absorber_obj,
    )
    rspec = RecordSpec(rec["every"], rec["times"], rec["observables"], rec["store_states"])
    refspec = ReferenceSpec(ref["qutip"], ref["atol"], ref["rtol"], ref["method"], ref["nsteps"])
    espec = ExpectSpec(
        exp["max_norm_drift"],
        exp["max_energy_drift"],
        exp["max_l2_vs_reference"],
        exp["max_infidelity_vs_reference"],
        tuple(
            CheckSpec(
                cdef.name,
                (
                    vals["fast_tolerance"]
                    if fast and vals["fast_tolerance"] is not None
                    else vals["tolerance"]
                ),
                MappingProxyType({k.name: vals[k.name] for k in cdef.keys}),
            )
            for _, cdef, vals in checks
        ),
    )
    aspec = _animation_spec(animation)
    sc = Scenario(path, fast, meta_spec, lattice, hspec, ispec, sspec, rspec, refspec, espec, aspec)
    _dry_build(sc, ck)
    return None if ck.problems else sc


def _system_specs(d: dict[str, Any]) -> tuple[LatticeSpec, HamiltonianSpec, InitialStateSpec]:
    """Freeze the validated ``[lattice]``, ``[hamiltonian]`` and ``[initial_state]`` values."""
    lat, ham, ndim = d["lattice"], d["hamiltonian"], d["ndim"]
    assert ndim is not None
    mass = ham["mass"] if isinstance(ham["mass"], tuple) else (ham["mass"],) * ndim
    pots = tuple(PotentialSpec(t, MappingProxyType(dict(v))) for _, t, v in d["potentials"])
    return (
        LatticeSpec(lat["shape"], lat["bounds"]),
        HamiltonianSpec(ham["kinetic"], tuple(mass), ham["hbar"], pots),
        InitialStateSpec(d["itype"], MappingProxyType(dict(d["initial_state"]))),
    )


def _animation_spec(animation: dict[str, Any]) -> AnimationSpec:
    return AnimationSpec(
        fps=animation["fps"],
        dpi=animation["dpi"],
        frames=animation["frames"],
        t_end=animation["t_end"],
        size=tuple(animation["size"]),
        overlay=animation["overlay"],
        curves=tuple(animation["curves"]),
        potential_contour=animation["potential_contour"],
        normalize=animation["normalize"],
    )


def _check_array_source(
    ck: _Checker, label: str, vals: dict[str, Any], shape: Any, main: str
) -> None:
    has_inline = vals.get(main) is not None
    has_file = vals.get("file") is not None
    if has_inline == has_file:
        ck.add(label, main, f"give exactly one of `{main}` and `file`")
        return
    if has_inline and vals[main] is not BAD and shape not in (None, BAD):
        for key in (main, "imag"):
            arr = vals.get(key)
            if arr is not None and arr is not BAD and tuple(arr.shape) != tuple(shape):
                ck.add(
                    label,
                    key,
                    f"has shape {tuple(arr.shape)}, the lattice has shape {tuple(shape)}",
                )
                vals[key] = BAD


def _validate_checks(
    ck: _Checker, expect_raw: Any, ndim: int | None, fast: bool
) -> list[tuple[str, CheckDef, dict[str, Any]]]:
    if not isinstance(expect_raw, dict):
        return []
    raw = expect_raw.get("analytic", [])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        ck.add(
            "expect",
            "analytic",
            f"must be an array of tables ([[expect.analytic]]), got {_tname(raw)}",
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
                f"unknown check {name!r}{_suggest(str(name), ANALYTIC_CHECKS)}; "
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


def _first(v: Any) -> Any:
    """The first entry of a per-axis value (a number or a tuple of numbers)."""
    return v[0] if isinstance(v, tuple) else v


def _analytic_ground_energy(kinetic: str, ptypes: Sequence[str]) -> bool:
    """Whether Σħω/2 is the exact ground energy: spectral kinetic model, one harmonic trap."""
    return kinetic == "spectral" and list(ptypes) == ["harmonic"]


def _check_requirements(
    ck: _Checker, label: str, cdef: CheckDef, vals: dict[str, Any], d: dict[str, Any]
) -> None:
    """Report the scenario settings a closed-form check cannot work with."""
    ham, sol, init = d["hamiltonian"], d["solver"], d["initial_state"]
    pots = d["potentials"]
    ptypes = [t for _, t, _ in pots if t != "zero"]
    ndim, itype = d["ndim"], d["itype"]
    name = cdef.name

    def need(cond: bool, msg: str) -> None:
        if not cond:
            ck.add(label, "check", f"{name!r} {msg}")

    need(sol["mode"] == cdef.mode, f"needs [solver].mode = {cdef.mode!r}")
    spectral = ham["kinetic"] == "spectral"
    if name in ("free_gaussian", "free_width"):
        need(
            spectral,
            "needs [hamiltonian].kinetic = 'spectral' (the analytic packet is for ħ²k²/2m)",
        )
        need(not ptypes, f"needs no potential (zero), got {ptypes}")
        need(itype == "gaussian", f"needs [initial_state].type = 'gaussian', got {itype!r}")
    elif name == "coherent_state":
        need(spectral, "needs [hamiltonian].kinetic = 'spectral'")
        need(ptypes == ["harmonic"], f"needs exactly one harmonic potential, got {ptypes}")
        need(itype == "coherent", f"needs [initial_state].type = 'coherent', got {itype!r}")
        if ptypes == ["harmonic"] and itype == "coherent":
            trap = next(v for _, t, v in pots if t == "harmonic")
            if _ok(trap["omega"], init.get("omega", BAD)) and not np.allclose(
                np.broadcast_to(trap["omega"], (ndim or 1,)),
                np.broadcast_to(init["omega"], (ndim or 1,)),
            ):
                ck.add(
                    "initial_state",
                    "omega",
                    f"must equal the trap's omega {trap['omega']} for check 'coherent_state'",
                )
    elif name == "driven_position":
        need(
            spectral,
            "needs [hamiltonian].kinetic = 'spectral' (Ehrenfest is exact only for ħ²k²/2m)",
        )
        need(ptypes == ["shaken_trap"], f"needs exactly one shaken_trap potential, got {ptypes}")
        need(
            itype in ("coherent", "gaussian"),
            f"needs a coherent or gaussian initial state, got {itype!r}",
        )
    elif name == "rabi":
        need(
            d["lattice"]["shape"] == (2,),
            f"needs a two-site lattice (shape = 2), got {d['lattice']['shape']}",
        )
        need(not TIME_DEPENDENT_POTENTIALS.intersection(ptypes), "needs a static potential")
    elif name == "talbot_revival":
        need(ndim == 1, f"needs a 1D lattice, got {ndim}D")
        need(spectral, "needs [hamiltonian].kinetic = 'spectral' (revivals need E ∝ n²)")
        need(not ptypes, f"needs no potential, got {ptypes}")
        if ndim == 1 and _ok(d["lattice"]["shape"]):
            need(
                d["lattice"]["shape"][0] % 2 == 0,
                "needs an even number of sites (half-revival shift)",
            )
        if ndim == 1 and _ok(
            d["lattice"]["bounds"], ham["mass"], ham["hbar"], sol["t_start"], sol["t_end"]
        ):
            from quantgeo.analytic import talbot_time

            lo, hi = d["lattice"]["bounds"][0]
            tr = talbot_time(hi - lo, _first(ham["mass"]), ham["hbar"])
            if sol["t_end"] is not None and sol["t_end"] - sol["t_start"] < tr * (1 - 1e-12):
                ck.add(
                    "solver",
                    "t_end",
                    f"must reach the revival time t_start + T_R = {sol['t_start'] + tr:.12g} "
                    "for check 'talbot_revival'",
                )
    elif name == "barrier_transmission":
        need(ndim == 1, f"needs a 1D lattice, got {ndim}D")
        need(ptypes == ["barrier"], f"needs exactly one barrier potential, got {ptypes}")
        need(itype == "gaussian", f"needs a gaussian initial state, got {itype!r}")
        if ptypes == ["barrier"] and itype == "gaussian" and ndim == 1:
            bar = next(v for _, t, v in pots if t == "barrier")
            if _ok(bar["center"], bar["width"], init["center"], init["width"], init["momentum"]):
                c0, w0 = _first(init["center"]), _first(init["width"])
                if not c0 + 6 * w0 < bar["center"] - bar["width"] / 2:
                    ck.add(
                        "initial_state",
                        "center",
                        "the packet must start left of the barrier (center + 6·width < "
                        "barrier edge) for check 'barrier_transmission'",
                    )
                if not _first(init["momentum"]) > 0:
                    ck.add(
                        "initial_state",
                        "momentum",
                        "must be > 0 (towards the barrier) for check 'barrier_transmission'",
                    )
    elif name == "tunnelling_period":
        need(ptypes == ["double_well"], f"needs exactly one double_well potential, got {ptypes}")
        if itype == "eigenstate" and _ok(init.get("n", BAD)):
            need(
                tuple(sorted(init["n"])) == (0, 1),
                f"needs [initial_state] n = [0, 1], got {list(init['n'])}",
            )
        else:
            need(False, f"needs [initial_state].type = 'eigenstate' with n = [0, 1], got {itype!r}")
    elif name in ("ground_energy", "ground_state_fidelity"):
        use_eigh = name == "ground_state_fidelity" or vals.get("reference") == "eigh"
        if name == "ground_energy" and vals.get("reference") in ("auto", "analytic"):
            analytic_ok = _analytic_ground_energy(ham["kinetic"], ptypes)
            if vals["reference"] == "analytic":
                need(
                    analytic_ok,
                    "with reference = 'analytic' needs kinetic = 'spectral' and one "
                    "harmonic potential",
                )
            use_eigh = not analytic_ok
        if use_eigh and d["size"] is not None and spectral and d["size"] > MAX_DENSE_SITES:
            need(
                False,
                f"needs eigh: kinetic = 'spectral' allows up to {MAX_DENSE_SITES} sites, "
                f"the lattice has {d['size']}",
            )
    elif name == "double_slit_fringes":
        need(ndim == 2, f"needs a 2D lattice, got {ndim}D")
        need("double_slit" in ptypes, f"needs a double_slit potential, got {ptypes}")
    if cdef.absorber is not None:
        need(
            (d["absorber"] is not None) == cdef.absorber,
            "needs [solver.absorber]" if cdef.absorber else "needs no [solver.absorber]",
        )


def _dry_build(sc: Scenario, ck: _Checker) -> None:
    """Build the cheap parts (lattice, potential, absorber) to surface the library's checks."""
    try:
        lattice = Lattice(sc.lattice.shape, sc.lattice.bounds)  # type: ignore[union-attr]
    except (ValueError, TypeError) as exc:
        ck.add("lattice", None, str(exc))
        return
    assert sc.hamiltonian is not None
    for i, p in enumerate(sc.hamiltonian.potential):
        label = (
            "hamiltonian.potential"
            if len(sc.hamiltonian.potential) == 1
            else f"hamiltonian.potential.{i}"
        )
        try:
            _potential(p, lattice, sc).values(
                lattice, sc.solver.t_start if sc.solver else 0.0, sc.hamiltonian.mass
            )
        except (ValueError, TypeError, OSError) as exc:
            ck.add(label, None, str(exc))
    if sc.initial_state is not None and sc.initial_state.type == "plane_wave":
        try:
            _initial_state(sc, lattice, None)
        except (ValueError, TypeError) as exc:
            ck.add("initial_state", "momentum", str(exc))


def scenario_from_text(text: str, file: str = "<scenario>", *, fast: bool = False) -> Scenario:
    """Validate scenario TOML ``text``; errors are labelled with ``file``.

    See :func:`load_scenario`.
    """
    doc = _parse_toml(text, file)
    return _from_doc(doc, file, None, fast)


def load_scenario(
    path: str | os.PathLike[str],
    *,
    fast: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Read and validate a scenario file.

    Both the full scenario and its ``[fast]`` variant are validated, so a file that loads is
    runnable in both modes.

    Parameters
    ----------
    path
        The ``.toml`` file.
    fast
        Apply the ``[fast]`` overrides (coarser and shorter, with their own tolerances).
    overrides
        Dotted keys set before validation, e.g. ``{"lattice.shape": [512, 512]}`` (the CLI's
        ``--set``); ``"fast.solver.dt"`` changes a fast override.

    Raises
    ------
    ScenarioError
        Listing every problem as ``file: [table].key: message``.
    """
    p = Path(path)
    doc = _read_toml(p, str(path))
    if overrides:
        _apply_overrides(doc, overrides, str(path))
    return _from_doc(doc, str(path), p, fast)


def _apply_overrides(doc: dict[str, Any], overrides: Mapping[str, Any], file: str) -> None:
    problems = []
    for dotted, value in overrides.items():
        parts = [x for x in str(dotted).split(".") if x]
        if len(parts) < 2:
            problems.append(f"{file}: [{dotted}]: an override needs TABLE.KEY, got {dotted!r}")
            continue
        node = doc
        for i, part in enumerate(parts[:-1]):
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                where = ".".join(parts[: i + 1])
                problems.append(f"{file}: [{where}]: cannot set {dotted!r}: {where} is not a table")
                break
            node = nxt
        else:
            node[parts[-1]] = value
    if problems:
        raise ScenarioError(problems)


def _from_doc(doc: dict[str, Any], file: str, path: Path | None, fast: bool) -> Scenario:
    fast_raw = doc.get("fast", {})
    base_doc = {k: v for k, v in doc.items() if k != "fast"}
    ck = _Checker(file)
    base = _validate(base_doc, ck, path, False)
    problems = list(ck.problems)
    fast_sc = None
    if not isinstance(fast_raw, dict):
        problems.append(f"{file}: [fast]: must be a table of overrides, got {_tname(fast_raw)}")
    else:
        bad = False
        for key, val in fast_raw.items():
            if key in ("scenario", "fast") or key not in TABLE_ORDER:
                problems.append(
                    f"{file}: [fast.{key}]: cannot be overridden; valid: "
                    + ", ".join(t for t in TABLE_ORDER if t not in ("scenario", "fast"))
                )
                bad = True
            elif not isinstance(val, dict):
                problems.append(f"{file}: [fast].{key}: must be a table, got {_tname(val)}")
                bad = True
        if not bad:
            overrides: set[str] = set()
            merged = _merge(base_doc, fast_raw, "", overrides)
            fck = _Checker(file, overrides)
            fast_sc = _validate(merged, fck, path, True)
            base_set = set(problems)
            for prob in fck.problems:
                plain = prob.replace(" (with the [fast] overrides)", "")
                if plain not in base_set:
                    problems.append(prob)
    if problems:
        raise ScenarioError(problems)
    out = fast_sc if fast else base
    assert out is not None
    return out


# =============================================================================================
# Building
# =============================================================================================
def _resolve(sc: Scenario, name: str) -> Path:
    base = sc.path.parent if sc.path is not None else Path.cwd()
    return (base / name).resolve()


def _slit_array(lattice: Lattice, p: Mapping[str, Any]) -> FArray:
    ax = int(p["axis"])
    other = 1 - ax
    x = lattice.coordinates()
    n = np.broadcast_to(x[ax], lattice.shape)
    y = np.broadcast_to(x[other], lattice.shape)
    wall = np.abs(n - p["position"]) < p["thickness"] / 2
    yc = y - p["center"]
    half = p["separation"] / 2
    openings = (np.abs(yc - half) < p["slit_width"] / 2) | (np.abs(yc + half) < p["slit_width"] / 2)
    return np.where(wall & ~openings, float(p["height"]), 0.0)


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
        return P.from_array(_slit_array(lattice, q))
    if p.type == "array":
        if q["values"] is not None:
            return P.from_array(q["values"])
        arr = np.load(_resolve(sc, q["file"]), allow_pickle=False)
        return P.from_array(np.asarray(arr, dtype=float))
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
            data = np.load(_resolve(sc, q["file"]), allow_pickle=False)
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
                lat, t - t0, q["center"], q["width"], q["momentum"], h.mass, h.hbar
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


def _build(sc: Scenario) -> Built:
    assert sc.solver is not None
    file = sc.file
    lattice, ham, state0, eigh = _build_system(sc)
    s = sc.solver
    try:
        solver = SplitOperatorSolver(
            ham,
            s.dt,
            s.scheme,
            backend=s.backend,
            workers=s.workers,
            absorber=s.absorber,
            check_every=s.check_every,
            norm_tol=s.norm_tol,
        )
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{file}: [solver]: {exc}") from None
    t_end = s.t_end if s.t_end is not None else s.t_start
    return Built(sc, lattice, ham, state0, solver, (s.t_start, t_end), eigh)


# =============================================================================================
# Running and checking
# =============================================================================================
@dataclass(frozen=True)
class CheckResult:
    """Outcome of one expectation: ``value ≤ tolerance`` (or ``≥`` for ``bound="min"``); NaN
    never passes."""

    name: str
    value: float
    tolerance: float
    unit: str = "—"
    detail: str = ""
    #: ``"max"``: pass if value ≤ tolerance; ``"min"``: pass if value ≥ tolerance.
    bound: str = "max"

    @property
    def passed(self) -> bool:
        """Whether the measured value is within tolerance."""
        if not math.isfinite(self.value):
            return False
        if self.bound == "min":
            return bool(self.value >= self.tolerance)
        return bool(self.value <= self.tolerance)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "value": self.value if math.isfinite(self.value) else str(self.value),
            "tolerance": self.tolerance,
            "bound": self.bound,
            "unit": self.unit,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ScenarioResult:
    """What :func:`run_scenario` returns.

    Attributes
    ----------
    trajectory
        The engine's trajectory (``None`` when the run failed).
    reference
        The QuTiP trajectory when ``[reference].qutip``.
    comparison
        ``compare(trajectory, reference)`` when both exist.
    checks
        Every expectation's :class:`CheckResult`.
    timings
        Seconds: ``build``, ``compile`` (Numba, separately from ``run``), ``run``,
        ``reference``, ``checks``, ``total``.
    error
        Message of a failure that stopped the run (e.g. a StabilityError), else ``""``.
    """

    scenario: Scenario
    trajectory: Trajectory | None
    reference: Trajectory | None
    comparison: Any
    checks: tuple[CheckResult, ...]
    timings: Mapping[str, float]
    info: Mapping[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def passed(self) -> bool:
        """All checks passed and the run finished."""
        return not self.error and bool(self.checks) and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no arrays)."""
        sc = self.scenario
        return {
            "scenario": sc.name,
            "file": sc.file,
            "kind": sc.meta.kind,
            "description": sc.meta.description,
            "fast": sc.fast,
            "passed": self.passed,
            "error": self.error,
            "checks": [c.to_dict() for c in self.checks],
            "timings": dict(self.timings),
            "info": jsonable(dict(self.info)),
            "comparison": None if self.comparison is None else self.comparison.summary(),
        }


class _Probe:
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

    def result(self, traj: Trajectory) -> tuple[float, str]:
        """Measured error and a human-readable detail."""
        return (max(self.values) if self.values else math.nan), ""


def _l2(a: CArray, b: CArray, dv: float) -> float:
    return float(np.sqrt(np.sum(np.abs(a - b) ** 2) * dv))


class _AnalyticPsiProbe(_Probe):
    def __init__(self, built: Built, spec: CheckSpec) -> None:
        super().__init__(built, spec)
        fn = built.analytic_state()
        assert fn is not None
        self.fn = fn

    def callback(self, t: float, state: Any) -> None:
        self.values.append(_l2(state.data, self.fn(t), self.built.lattice.cell_volume))

    def result(self, traj: Trajectory) -> tuple[float, str]:
        return max(self.values), f"max over {len(self.values)} records"


class _FinalStateProbe(_Probe):
    """Keeps the state of the last record time (the run's end) for :meth:`result`."""

    def __init__(self, built: Built, spec: CheckSpec) -> None:
        super().__init__(built, spec)
        self.final: CArray | None = None

    def callback(self, t: float, state: Any) -> None:
        self.final = state.data.copy()


class _FreeWidthProbe(_Probe):
    needs = ("width",)

    def result(self, traj: Trajectory) -> tuple[float, str]:
        from quantgeo.analytic import free_gaussian_width

        sc, h = self.built.scenario, self.built.hamiltonian
        assert sc.initial_state is not None
        w0 = np.broadcast_to(sc.initial_state.params["width"], (self.built.lattice.ndim,))
        law = free_gaussian_width(traj.times - self.built.t_span[0], w0, h.mass, h.hbar)
        err = np.abs(np.asarray(traj["width"]).reshape(law.shape) - law)
        return float(err.max()), f"σ(t_end) = {np.asarray(traj['width'])[-1].tolist()}"


class _DrivenProbe(_Probe):
    needs = ("position",)

    def result(self, traj: Trajectory) -> tuple[float, str]:
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


class _RabiProbe(_Probe):
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

    def result(self, traj: Trajectory) -> tuple[float, str]:
        h = self.h
        return max(self.values), f"J = {abs(h[0, 1]):.6g}, δ = {(h[0, 0] - h[1, 1]).real:.6g}"


class _TalbotProbe(_Probe):
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

    def result(self, traj: Trajectory) -> tuple[float, str]:
        if len(self.errs) != 2:
            return math.nan, "revival times not reached"
        return max(self.errs.values()), (
            f"T_R = {self.tr:.6g}; ‖ψ(T_R) − ψ0‖ = {self.errs['full']:.3g}, "
            f"‖ψ(T_R/2) − ψ0(x − L/2)‖ = {self.errs['half']:.3g}"
        )


class _BarrierProbe(_FinalStateProbe):
    def result(self, traj: Trajectory) -> tuple[float, str]:
        import functools

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


class _TunnellingProbe(_Probe):
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

    def result(self, traj: Trajectory) -> tuple[float, str]:
        # The same eigh that built the initial state (ψ₀ + ψ₁)/√2: ΔE = E₁ − E₀.
        e, _ = self.built.eigh(2)
        splitting = float(e[1] - e[0])
        expected = 2 * np.pi * self.built.hamiltonian.hbar / splitting
        period = _fit_period(traj.times, np.asarray(traj["left_probability"], dtype=float))
        if not math.isfinite(period):
            return math.inf, f"no oscillation found (expected period {expected:.6g})"
        return abs(period - expected) / expected, (
            f"fitted period {period:.8g}, 2πħ/ΔE = {expected:.8g} (ΔE = {splitting:.6g})"
        )


def _fit_period(t: FArray, y: FArray) -> float:
    """Period of ``y(t) ≈ a + b cos ωt + c sin ωt``: zero crossings, then least squares in ω."""
    from scipy.optimize import minimize_scalar

    yc = y - y.mean()
    s = np.sign(yc)
    idx = np.nonzero(s[:-1] * s[1:] < 0)[0]
    if idx.size < 2:
        return math.nan
    tc = t[idx] - yc[idx] * (t[idx + 1] - t[idx]) / (yc[idx + 1] - yc[idx])
    half = float(np.mean(np.diff(tc)))
    w0 = np.pi / half

    def resid(w: float) -> float:
        a = np.stack([np.ones_like(t), np.cos(w * t), np.sin(w * t)], axis=1)
        coef, *_ = np.linalg.lstsq(a, y, rcond=None)
        return float(np.sum((a @ coef - y) ** 2))

    res = minimize_scalar(
        resid, bounds=(0.8 * w0, 1.2 * w0), method="bounded", options={"xatol": 1e-14 * w0}
    )
    return float(2 * np.pi / res.x)


class _RemainingNormProbe(_Probe):
    needs = ("norm",)

    def result(self, traj: Trajectory) -> tuple[float, str]:
        n = np.asarray(traj["norm"], dtype=float)
        return float(n[-1]), f"absorbed {1 - n[-1] / n[0]:.4%}"


class _SlitProbe(_FinalStateProbe):
    def result(self, traj: Trajectory) -> tuple[float, str]:
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
        k, pk = k[order], pk[order]
        d = float(q["separation"])
        expected = 2 * np.pi / d
        # The transmitted wave is f(y − d/2) + f(y + d/2) for identical slits, so its transverse
        # spectrum is F(k)·2cos(kd/2): zeros at k = (2n+1)π/d whatever the single-slit envelope F.
        # The spacing of the first two zeros on each side is measured (parabolic vertex).
        spacings = []
        for sign in (1, -1):
            zeros = []
            for target in (np.pi / d, 3 * np.pi / d):
                sel = np.nonzero(np.abs(sign * k - target) < 0.5 * np.pi / d)[0]
                if sel.size < 3:
                    return math.inf, "too few transverse wavenumbers per fringe: enlarge the box"
                j = int(sel[np.argmin(pk[sel])])
                if j in (0, k.size - 1):
                    return math.inf, "fringe minimum at the edge of the wavenumber grid"
                y0, y1, y2 = pk[j - 1 : j + 2]
                curv = y0 - 2 * y1 + y2
                shift = 0.5 * (y0 - y2) / curv if curv > 0 else 0.0
                zeros.append(abs(k[j] + shift * (k[1] - k[0])))
            spacings.append(zeros[1] - zeros[0])
        spacing = float(np.mean(spacings))
        return abs(spacing - expected) / expected, (
            f"Δk = {spacing:.6g} between the first two fringe minima (2π/d = {expected:.6g})"
        )


_PROBES: dict[str, type[_Probe]] = {
    "free_gaussian": _AnalyticPsiProbe,
    "coherent_state": _AnalyticPsiProbe,
    "free_width": _FreeWidthProbe,
    "driven_position": _DrivenProbe,
    "rabi": _RabiProbe,
    "talbot_revival": _TalbotProbe,
    "barrier_transmission": _BarrierProbe,
    "tunnelling_period": _TunnellingProbe,
    "remaining_norm": _RemainingNormProbe,
    "double_slit_fringes": _SlitProbe,
}


def _merge_times(base: FArray, extra: Sequence[float]) -> FArray:
    times = np.concatenate([base, np.asarray(extra, dtype=float)])
    times.sort()
    keep = np.ones(times.size, dtype=bool)
    keep[1:] = np.diff(times) > 1e-9 * np.maximum(1.0, np.abs(times[1:]))
    return times[keep]


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for dist in ("quantgeo", "numba", "rocket-fft", "qutip", "numpy", "scipy", "matplotlib"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def provenance(
    *, backend: str | None = None, workers: int | None = None, seed: int | None = None
) -> dict[str, Any]:
    """Versions, platform, backend, thread counts and seed for a report."""
    threads: dict[str, Any] = {"cpu_count": os.cpu_count(), "fft_workers": workers}
    try:
        import numba

        threads["numba_threads"] = int(numba.get_num_threads())
    except Exception:  # pragma: no cover - numba is a dependency; keep reports robust
        threads["numba_threads"] = None
    return {
        "versions": _versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "backend": backend,
        "threads": threads,
        "seed": seed,
    }


def run_scenario(
    scenario: Scenario,
    *,
    progress: bool = False,
    callbacks: Sequence[Callable[[float, Any], None]] = (),
    reference: bool | None = None,
    store_states: bool | None = None,
) -> ScenarioResult:
    """Run a scenario and evaluate every expectation.

    Parameters
    ----------
    scenario
        From :func:`load_scenario`.
    progress
        tqdm progress bars.
    callbacks
        Extra ``cb(t, state)`` called at every record time (e.g. animation frames).
    reference
        Run the QuTiP baseline (default: ``[reference].qutip``).
    store_states
        Keep the recorded states (default: ``[record].store_states``; forced on for a
        reference comparison).

    Returns
    -------
    ScenarioResult
        A failure inside the run (e.g. :class:`~quantgeo.errors.StabilityError`) is returned as
        ``error`` with every check failed, not raised.
    """
    if scenario.meta.kind != "schrodinger":
        return _run_emergence(scenario, progress=progress)
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    built = scenario.build()
    timings["build"] = time.perf_counter() - t_start
    sc, solver = scenario, built.solver
    assert sc.solver is not None
    compile_time = 0.0
    if sc.solver.backend == "numba":
        from quantgeo._kernels import warmup

        compile_time = warmup((built.lattice.ndim,))
    timings["compile"] = compile_time
    info: dict[str, Any] = {
        "lattice": {
            "shape": list(built.lattice.shape),
            "bounds": [list(b) for b in built.lattice.bounds],
        },
        "kinetic": built.hamiltonian.kinetic,
        "dt": sc.solver.dt,
        "scheme": sc.solver.scheme,
        "backend": sc.solver.backend,
        "workers": solver.workers,
        "seed": sc.meta.seed,
    }
    if sc.solver.mode == "imaginary":
        return _run_imaginary(built, timings, info, t_start)
    use_ref = sc.reference.qutip if reference is None else bool(reference)
    probes = [_PROBES[c.check](built, c) for c in sc.expect.analytic]
    times = _merge_times(built.record_times(), [t for p in probes for t in p.times])
    obs: dict[str, Any] = {name: name for name in sc.record.observables}
    if sc.expect.max_norm_drift is not None:
        obs.setdefault("norm", "norm")
    if sc.expect.max_energy_drift is not None:
        obs.setdefault("energy", "energy")
    for p in probes:
        for name in p.needs:
            obs.setdefault(name, name)
        obs.update(p.observables)
    keep = sc.record.store_states if store_states is None else bool(store_states)
    keep = keep or use_ref
    recorder = Recorder(
        times,
        observables=obs,
        store_states=keep,
        callbacks=[p.callback for p in probes] + list(callbacks),
    )
    error = ""
    traj: Trajectory | None = None
    t0 = time.perf_counter()
    try:
        traj = solver.run(built.state0, built.t_span, recorder=recorder, progress=progress)
    except StabilityError as exc:
        error = f"StabilityError: {exc}"
    timings["run"] = time.perf_counter() - t0
    if traj is not None:
        timings["run"] = float(traj.info.get("run_time", timings["run"]))
    ref_traj = comparison = None
    if use_ref and traj is not None:
        t0 = time.perf_counter()
        ref_rec = Recorder(times, observables=dict(obs), store_states=True)
        ref_traj = built.reference_engine().run(
            built.state0, built.t_span, recorder=ref_rec, progress=progress
        )
        timings["reference"] = time.perf_counter() - t0
        from quantgeo.compare import compare

        comparison = compare(traj, ref_traj)
    t0 = time.perf_counter()
    checks = _evaluate(sc, traj, comparison, probes, error)
    timings["checks"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    if traj is not None:
        info["solver"] = dict(traj.info)
    if ref_traj is not None:
        info["reference"] = dict(ref_traj.info)
    return ScenarioResult(sc, traj, ref_traj, comparison, tuple(checks), timings, info, error)


def _evaluate(
    sc: Scenario, traj: Trajectory | None, comparison: Any, probes: Sequence[_Probe], error: str
) -> list[CheckResult]:
    e = sc.expect
    out: list[CheckResult] = []
    nan = math.nan
    if e.max_norm_drift is not None:
        v = nan
        if traj is not None:
            n = np.asarray(traj["norm"], dtype=float)
            v = float(np.max(np.abs(n - n[0])))
        out.append(CheckResult("norm_drift", v, e.max_norm_drift, "—"))
    if e.max_energy_drift is not None:
        v = nan
        if traj is not None:
            en = np.asarray(traj["energy"], dtype=float)
            v = float(np.max(np.abs(en - en[0])))
        out.append(CheckResult("energy_drift", v, e.max_energy_drift, "energy"))
    if e.max_l2_vs_reference is not None:
        v = nan if comparison is None else comparison.max_l2
        out.append(CheckResult("l2_vs_qutip", v, e.max_l2_vs_reference, "—"))
    if e.max_infidelity_vs_reference is not None:
        v = nan if comparison is None else comparison.max_infidelity
        out.append(CheckResult("infidelity_vs_qutip", v, e.max_infidelity_vs_reference, "—"))
    for p in probes:
        cdef = ANALYTIC_CHECKS[p.spec.check]
        if traj is None:
            out.append(CheckResult(p.spec.check, nan, p.spec.tolerance, cdef.unit, error))
            continue
        try:
            v, detail = p.result(traj)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            v, detail = nan, f"could not evaluate: {exc}"
        out.append(CheckResult(p.spec.check, float(v), p.spec.tolerance, cdef.unit, detail))
    return out


def _run_imaginary(
    built: Built, timings: dict[str, float], info: dict[str, Any], t_start: float
) -> ScenarioResult:
    sc = built.scenario
    s = sc.solver
    assert s is not None and sc.hamiltonian is not None
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QuantgeoWarning)
        gs = built.solver.ground_state(built.state0, dtau=s.dt, tol=s.tol, max_steps=s.max_steps)
    timings["run"] = time.perf_counter() - t0
    traj = Trajectory(
        np.array([gs.steps * s.dt]),
        {"energy": np.array([gs.energy]), "norm": np.array([gs.state.norm()])},
        gs.state.data[None].copy(),
        {
            "engine": "split-operator (imaginary time)",
            "steps": gs.steps,
            "residual": gs.residual,
            "converged": gs.converged,
        },
        built.lattice,
    )
    t0 = time.perf_counter()
    checks: list[CheckResult] = [
        CheckResult(
            "converged",
            0.0 if gs.converged else 1.0,
            0.0,
            "—",
            f"{gs.steps} steps; residual ‖Hψ − Eψ‖ = {gs.residual:.3g}"
            + ("; " + "; ".join(str(w.message) for w in caught) if caught else ""),
        )
    ]
    h = sc.hamiltonian
    for c in sc.expect.analytic:
        cdef = ANALYTIC_CHECKS[c.check]
        if c.check == "ground_energy":
            ref = c.params.get("reference", "auto")
            analytic_ok = _analytic_ground_energy(h.kinetic, [p.type for p in h.nonzero_terms()])
            if ref == "analytic" or (ref == "auto" and analytic_ok):
                from quantgeo.analytic import harmonic_ground_energy

                e_ref = harmonic_ground_energy(
                    np.broadcast_to(h.nonzero_terms()[0].params["omega"], (built.lattice.ndim,)),
                    h.hbar,
                )
                how = "Σħω/2"
            else:
                e_ref = float(built.eigh(1)[0][0])
                how = "eigh"
            checks.append(
                CheckResult(
                    c.check,
                    abs(gs.energy - e_ref),
                    c.tolerance,
                    cdef.unit,
                    f"E = {gs.energy:.12g}, {how} = {e_ref:.12g}",
                )
            )
        elif c.check == "ground_state_fidelity":
            ground = Wavefunction(built.lattice, built.eigh(1)[1][0])
            f = fidelity(ground, gs.state)
            checks.append(CheckResult(c.check, max(0.0, 1.0 - f), c.tolerance, cdef.unit))
    timings["checks"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    info["solver"] = dict(traj.info)
    info["energy"] = gs.energy
    return ScenarioResult(sc, traj, None, None, tuple(checks), timings, info, "")


# =============================================================================================
# Discovery and documentation
# =============================================================================================
def bundled_scenarios_dir() -> Path | None:
    """Folder of the scenarios shipped with quantgeo.

    Looked up as the package ``quantgeo.scenarios`` (installed from the top-level
    ``scenarios/`` folder), then ``scenarios/`` beside the source tree.
    """
    try:
        spec = importlib.util.find_spec("quantgeo.scenarios")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            p = Path(loc)
            if any(p.glob("*.toml")):
                return p
    here = Path(__file__).resolve().parent
    p = here.parent / "scenarios"
    return p if p.is_dir() and any(p.glob("*.toml")) else None


def find_scenarios(paths: Sequence[str | os.PathLike[str]] = ()) -> list[Path]:
    """Expand files and folders into a sorted list of ``.toml`` files (default: the bundled)."""
    if not paths:
        d = bundled_scenarios_dir()
        return sorted(d.glob("*.toml")) if d is not None else []
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.glob("*.toml")))
        else:
            out.append(p)
    return out


def _default_text(k: Key) -> str:
    d = k.default
    if d is REQUIRED:
        return "**required**"
    if d is None:
        return "—"
    if isinstance(d, bool):
        return "`true`" if d else "`false`"
    if isinstance(d, str):
        return f'`"{d}"`'
    if isinstance(d, tuple):
        return "`[" + ", ".join(f'"{x}"' if isinstance(x, str) else repr(x) for x in d) + "]`"
    if isinstance(d, float) and (abs(d) < 1e-3 or abs(d) >= 1e5) and d != 0:
        return f"`{d:g}`"
    if isinstance(d, int) and d >= 100_000:
        return f"`{d:_}`"
    return f"`{d!r}`"


def _cell(text: str) -> str:
    """Escape ``|`` for a Markdown table cell."""
    return text.replace("|", "\\|")


def _key_table(keys: Sequence[Key]) -> list[str]:
    lines = ["| key | default | unit | meaning |", "|---|---|---|---|"]
    for k in keys:
        doc = k.doc
        if k.choices and k.kind == "str":
            doc += " — one of " + ", ".join(f"`{c}`" for c in k.choices)
        elif k.choices and k.kind == "strs":
            doc += " — any of " + ", ".join(f"`{c}`" for c in k.choices)
        lines.append(f"| `{k.name}` | {_default_text(k)} | {k.unit} | {_cell(doc)} |")
    return lines


def schema_markdown() -> str:
    """Markdown reference of every table and key with default and unit (``scenarios/README.md``)."""
    out: list[str] = []

    def section(title: str, keys: Sequence[Key], intro: str = "") -> None:
        out.append(f"### {title}\n")
        if intro:
            out.append(intro + "\n")
        out.extend(_key_table(keys) if keys else ["(no keys)"])
        out.append("")

    section("`[scenario]`", SCENARIO_KEYS)
    section("`[lattice]`", LATTICE_KEYS)
    section(
        "`[hamiltonian]`",
        HAMILTONIAN_KEYS,
        "`potential` is a table `[hamiltonian.potential]` or an array of tables "
        "`[[hamiltonian.potential]]` whose terms are summed (default: no potential).",
    )
    for name, keys in POTENTIALS.items():
        section(f'`[hamiltonian.potential]` type = `"{name}"`', keys)
    for name, keys in INITIAL_STATES.items():
        section(f'`[initial_state]` type = `"{name}"`', keys)
    section("`[solver]`", SOLVER_KEYS)
    section("`[solver.absorber]` (optional)", ABSORBER_KEYS)
    section("`[record]`", RECORD_KEYS)
    section("`[reference]`", REFERENCE_KEYS)
    section(
        "`[expect]`",
        EXPECT_KEYS,
        "A tolerance left out is not checked; at least one expectation is required.",
    )
    section(
        "`[[expect.analytic]]`",
        CHECK_COMMON_KEYS,
        "Each entry names a closed-form check; it passes when the measured error ≤ tolerance.",
    )
    out.append("| check | extra keys | measured error | unit |")
    out.append("|---|---|---|---|")
    for c in ANALYTIC_CHECKS.values():
        extra = (
            ", ".join(f"`{k.name}` (default {_default_text(k)}: {k.doc})" for k in c.keys) or "—"
        )
        out.append(f"| `{c.name}` | {_cell(extra)} | {_cell(c.doc)} | {c.unit} |")
    out.append("")
    section("`[animation]`", ANIMATION_KEYS)
    out.append(_emergence_schema_markdown())
    return "\n".join(out)


# =============================================================================================
# Emergence kinds (engines: quantgeo.emergence)
# =============================================================================================
EMERGENCE_KEYS = (
    _k("t_start", "number", 0.0, "time", "Start time"),
    _k("t_end", "number", REQUIRED, "time", "End time of the three-way comparison"),
    _k("every", "number", 0.1, "time", "Record interval of the three engines", positive=True),
    _k("rtol", "number", 1e-10, "—", "Relative tolerance of the learning variables", positive=True),
    _k("atol", "number", 1e-10, "—", "Absolute tolerance of the learning variables", positive=True),
    _k("solver_dt", "number", 0.005, "time", "Split-operator time step", positive=True),
    _k("scheme", "str", "yoshida4", doc="Split-operator scheme", choices=tuple(SCHEMES)),
    _k("qutip", "bool", True, doc="Include qutip.sesolve as the third engine"),
)

BORN_KEYS = (
    _k("t_start", "number", 0.0, "time", "Start time"),
    _k("t_end", "number", REQUIRED, "time", "End time of the ensembles"),
    _k("every", "number", 0.5, "time", "Record interval of the histograms", positive=True),
    _k("a", "numbers", (0.0, 0.5, 1.0), "—", "Exponents a of g = c·κ^a, one ensemble each"),
    _k("walkers", "int", 20_000, "walkers", "Walkers per ensemble", minimum=1),
    _k("dt", "number", 0.005, "time", "Euler–Maruyama step of the walkers", positive=True),
    _k(
        "psi_dt",
        "number",
        None,
        "time",
        "Interval of the stored ψ(t) (default 10·dt)",
        positive=True,
    ),
    _k("solver_dt", "number", 0.005, "time", "Split-operator step for ψ(t)", positive=True),
    _k("scheme", "str", "yoshida4", doc="Split-operator scheme for ψ(t)", choices=tuple(SCHEMES)),
    _k("floor_draws", "int", 200, "draws", "Multinomial samples of the sampling floor", minimum=2),
)

EXPECT_EMERGENCE_KEYS = (
    _k(
        "max_l2_learning_vs_split", "number", None, "—", "max_t ‖ψ_learning − ψ_split‖", nonneg=True
    ),
    _k(
        "max_l2_learning_vs_qutip", "number", None, "—", "max_t ‖ψ_learning − ψ_QuTiP‖", nonneg=True
    ),
    _k("max_l2_split_vs_qutip", "number", None, "—", "max_t ‖ψ_split − ψ_QuTiP‖", nonneg=True),
    _k("max_norm_drift", "number", None, "—", "Largest norm drift of the engines", nonneg=True),
    _k(
        "max_energy_drift",
        "number",
        None,
        "energy",
        "Largest energy drift of the engines",
        nonneg=True,
    ),
)

EXPECT_BORN_KEYS = (
    _k(
        "max_z_a1",
        "number",
        None,
        "floor std",
        "a = 1 keeps |ψ|²: max_t (TV − floor)/std(floor) ≤ this",
        nonneg=True,
    ),
    _k(
        "min_z_other",
        "number",
        None,
        "floor std",
        "every a ≠ 1 departs: min over a of max_t (TV − floor)/std(floor) ≥ this",
        nonneg=True,
    ),
    _k("max_tv_a1", "number", None, "—", "max_t TV(histogram, |ψ|²ΔV) at a = 1", nonneg=True),
)


def _validate_emergence(
    doc: dict[str, Any],
    ck: _Checker,
    path: Path | None,
    fast: bool,
    meta: MetaSpec,
    expect_raw: Any,
    animation: dict[str, Any],
    common: dict[str, Any],
) -> Scenario | None:
    """Validate the kind-specific tables of the emergence kinds."""
    kind = meta.kind
    ndim, ham = common["ndim"], common["hamiltonian"]
    keys: tuple[Key, ...]
    ekeys: tuple[Key, ...]
    if kind == "emergence_three_way":
        table, keys, ekeys = "emergence", EMERGENCE_KEYS, EXPECT_EMERGENCE_KEYS
    else:
        table, keys, ekeys = "born", BORN_KEYS, EXPECT_BORN_KEYS
    vals = ck.table(doc.get(table, {}), table, keys, ndim)
    if _ok(vals["t_start"], vals["t_end"]) and vals["t_end"] <= vals["t_start"]:
        ck.add(table, "t_end", f"must be > t_start = {vals['t_start']}, got {vals['t_end']}")
    exp = ck.table(expect_raw, "expect", ekeys, ndim)
    if isinstance(expect_raw, dict) and all(exp[k.name] in (None, BAD) for k in ekeys):
        ck.add("expect", None, "no expectation given: set at least one tolerance")
    if kind == "emergence_three_way":
        if ham["kinetic"] not in (BAD, "lattice"):
            ck.add("hamiltonian", "kinetic", "the learning variables need kinetic = 'lattice'")
        if vals["qutip"] is False:
            for key in ("max_l2_learning_vs_qutip", "max_l2_split_vs_qutip"):
                if exp[key] not in (None, BAD):
                    ck.add("expect", key, "needs [emergence] qutip = true")
        if (
            vals["qutip"] is True
            and common["size"] is not None
            and ham["kinetic"] == "spectral"
            and common["size"] > MAX_DENSE_SITES
        ):
            ck.add("emergence", "qutip", f"a dense QuTiP operator allows ≤ {MAX_DENSE_SITES} sites")
    else:
        a_list = vals["a"]
        if a_list is not BAD:
            if exp["max_z_a1"] not in (None, BAD) or exp["max_tv_a1"] not in (None, BAD):
                if 1.0 not in a_list:
                    ck.add("born", "a", "must include 1.0 for the a = 1 expectations")
            if exp["min_z_other"] not in (None, BAD) and all(a == 1.0 for a in a_list):
                ck.add("born", "a", "must include an a ≠ 1 for `min_z_other`")
        if (
            _ok(vals["psi_dt"], vals["dt"])
            and vals["psi_dt"] is not None
            and vals["psi_dt"] < vals["dt"]
        ):
            ck.add("born", "psi_dt", f"must be ≥ dt = {vals['dt']}, got {vals['psi_dt']}")
    if ck.problems:
        return None
    sc = Scenario(
        path,
        fast,
        meta,
        *_system_specs(common),
        None,
        expect=ExpectSpec(
            extra=MappingProxyType({k.name: exp[k.name] for k in ekeys if exp[k.name] is not None})
        ),
        animation=_animation_spec(animation),
        extra=MappingProxyType({table: MappingProxyType(dict(vals))}),
    )
    _dry_build(sc, ck)
    return None if ck.problems else sc


def _build_system(sc: Scenario) -> tuple[Lattice, Hamiltonian, Wavefunction, _Eigenpairs]:
    """Lattice, Hamiltonian, initial state and the Hamiltonian's (lazy) eigenpairs of any
    scenario kind (errors name the table)."""
    assert sc.lattice is not None and sc.hamiltonian is not None
    file = sc.file
    try:
        lattice = Lattice(sc.lattice.shape, sc.lattice.bounds)
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{file}: [lattice]: {exc}") from None
    try:
        pot = None
        for p in sc.hamiltonian.potential:
            term = _potential(p, lattice, sc)
            pot = term if pot is None else pot + term
        ham = Hamiltonian(
            lattice, pot, sc.hamiltonian.mass, sc.hamiltonian.hbar, sc.hamiltonian.kinetic
        )
    except (ValueError, TypeError, OSError) as exc:
        raise ScenarioError(f"{file}: [hamiltonian]: {exc}") from None
    eigh = _Eigenpairs(ham)
    try:
        state0 = _initial_state(sc, lattice, ham, eigh)
    except (ValueError, TypeError, OSError) as exc:
        raise ScenarioError(f"{file}: [initial_state]: {exc}") from None
    return lattice, ham, state0, eigh


def _run_emergence(scenario: Scenario, *, progress: bool = False) -> ScenarioResult:
    """Run an ``emergence_three_way`` or ``born_ensemble`` scenario with quantgeo.emergence."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        em = importlib.import_module("quantgeo.emergence")
    except ImportError as exc:
        raise ScenarioError(
            f"{scenario.file}: [scenario].kind: {scenario.meta.kind!r} needs quantgeo.emergence "
            f"({exc})"
        ) from None
    lattice, ham, state0, _ = _build_system(scenario)
    timings["build"] = time.perf_counter() - t_start
    from quantgeo._kernels import warmup

    compile_time = warmup((lattice.ndim,))
    warm = getattr(importlib.import_module("quantgeo.emergence.madelung"), "warmup", None)
    if callable(warm):
        compile_time += float(warm())
    timings["compile"] = compile_time
    info: dict[str, Any] = {
        "lattice": {"shape": list(lattice.shape), "bounds": [list(b) for b in lattice.bounds]},
        "kinetic": ham.kinetic,
        "mass": ham.mass.tolist(),
        "seed": scenario.meta.seed,
        "backend": "numba",
    }
    run = _run_three_way if scenario.meta.kind == "emergence_three_way" else _run_born
    t0 = time.perf_counter()
    checks, traj, error = run(em, scenario, lattice, ham, state0, info, progress)
    timings["run"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    return ScenarioResult(scenario, traj, None, None, tuple(checks), timings, info, error)


def _run_three_way(
    em: Any,
    scenario: Scenario,
    lattice: Lattice,
    ham: Hamiltonian,
    state0: Wavefunction,
    info: dict[str, Any],
    progress: bool,
) -> tuple[list[CheckResult], Trajectory | None, str]:
    """``emergence_three_way``: learning variables vs split-operator vs QuTiP."""
    v, exp = scenario.extra["emergence"], scenario.expect.extra
    try:
        res = em.emergence(
            ham,
            state0,
            (v["t_start"], v["t_end"]),
            every=v["every"],
            rtol=v["rtol"],
            atol=v["atol"],
            solver_dt=v["solver_dt"],
            scheme=v["scheme"],
            qutip=v["qutip"],
            born_a=(),
            seed=scenario.meta.seed,
            progress=progress,
        )
    except StabilityError as exc:
        error = f"StabilityError: {exc}"
        return [CheckResult("learning_completed", math.nan, 0.0, "—", error)], None, error
    info["emergence"] = jsonable(res.to_dict())
    completed = res.singular is None
    stopped = "" if completed else str(res.singular["message"])
    checks = [CheckResult("learning_completed", 0.0 if completed else 1.0, 0.0, "—", stopped)]
    pair_keys = {
        "max_l2_learning_vs_split": "learning vs split-operator",
        "max_l2_learning_vs_qutip": "learning vs qutip",
        "max_l2_split_vs_qutip": "split-operator vs qutip",
    }
    obs: dict[str, Any] = {}
    for key, pair in pair_keys.items():
        pe = res.pairs.get(pair)
        if pe is not None:
            obs["l2 " + pair] = np.asarray(pe.l2)
        if key in exp:
            value = math.nan if pe is None else pe.max_l2
            checks.append(CheckResult(key.removeprefix("max_"), value, exp[key], "—"))
    for key, attr in (("max_norm_drift", "norm_drift"), ("max_energy_drift", "energy_drift")):
        if key in exp:
            drifts = {n: getattr(e, attr) for n, e in res.engines.items()}
            worst = max(drifts, key=lambda n: drifts[n])
            checks.append(
                CheckResult(
                    key.removeprefix("max_"),
                    float(drifts[worst]),
                    exp[key],
                    "energy" if "energy" in key else "—",
                    f"largest: {worst}",
                )
            )
    traj = Trajectory(np.asarray(res.times), obs, None, info["emergence"]["setup"], lattice)
    return checks, traj, "" if completed else f"learning variables stopped: {stopped}"


def _run_born(
    em: Any,
    scenario: Scenario,
    lattice: Lattice,
    ham: Hamiltonian,
    state0: Wavefunction,
    info: dict[str, Any],
    progress: bool,
) -> tuple[list[CheckResult], Trajectory | None, str]:
    """``born_ensemble``: one walker ensemble per exponent a against |ψ(t)|²."""
    v, exp = scenario.extra["born"], scenario.expect.extra
    summaries = []
    trajs = {}
    error = ""
    try:
        for a in v["a"]:
            ens = em.BornEnsemble(
                ham,
                float(a),
                v["walkers"],
                scenario.meta.seed,
                dt=v["dt"],
                psi_dt=v["psi_dt"],
                solver_dt=v["solver_dt"],
                scheme=v["scheme"],
                floor_draws=v["floor_draws"],
            )
            rec = Recorder(
                every=v["every"], observables=("tv", "floor_mean", "floor_std", "floor_normal")
            )
            tr = ens.run(state0, (v["t_start"], v["t_end"]), recorder=rec, progress=progress)
            trajs[float(a)] = tr
            summaries.append(em.BornSummary.from_trajectory(tr))
    except StabilityError as exc:
        error = f"StabilityError: {exc}"
    info["born"] = [s.to_dict() for s in summaries]
    a1 = {s.a: s for s in summaries}.get(1.0)
    checks: list[CheckResult] = []
    if "max_z_a1" in exp:
        checks.append(
            CheckResult(
                "z_a1",
                math.nan if a1 is None else a1.max_z,
                exp["max_z_a1"],
                "floor std",
                "" if a1 is None else f"TV(end) {a1.final_tv:.4f}, floor {a1.floor_mean[-1]:.4f}",
            )
        )
    if "max_tv_a1" in exp:
        checks.append(
            CheckResult("tv_a1", math.nan if a1 is None else a1.max_tv, exp["max_tv_a1"], "—")
        )
    if "min_z_other" in exp:
        others = [s for s in summaries if s.a != 1.0]
        value = min((s.max_z for s in others), default=math.nan)
        detail = ", ".join(f"a={s.a:g}: max z {s.max_z:.1f}, TV {s.final_tv:.3f}" for s in others)
        checks.append(CheckResult("z_other", value, exp["min_z_other"], "floor std", detail, "min"))
    if error:
        checks.append(CheckResult("ensembles_completed", math.nan, 0.0, "—", error))
    traj = trajs.get(1.0) or (next(iter(trajs.values())) if trajs else None)
    return checks, traj, error


def _emergence_schema_markdown() -> str:
    out: list[str] = []
    for title, keys in (
        ('`[emergence]` (kind = `"emergence_three_way"`)', EMERGENCE_KEYS),
        ('`[expect]` of kind = `"emergence_three_way"`', EXPECT_EMERGENCE_KEYS),
        ('`[born]` (kind = `"born_ensemble"`)', BORN_KEYS),
        ('`[expect]` of kind = `"born_ensemble"`', EXPECT_BORN_KEYS),
    ):
        out.append(f"### {title}\n")
        out.extend(_key_table(keys))
        out.append("")
    return "\n".join(out)
