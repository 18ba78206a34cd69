"""The scenario format's keys: name, kind, default, unit, range and documentation of every key.

These tables are the one description of the format: :mod:`.checker` validates files against
them, :mod:`.models` turns them into pydantic models (and the JSON Schema) and :mod:`.docs`
into ``scenarios/README.md``.  Kind-specific tables live with their kind in :mod:`.kinds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quantgeo.hamiltonian import KINETIC_MODELS
from quantgeo.solvers.schemes import SCHEMES
from quantgeo.solvers.split_operator import BACKENDS

__all__ = [
    "BAD",
    "INITIAL_STATES",
    "KINDS",
    "POTENTIALS",
    "REQUIRED",
    "Key",
]


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
