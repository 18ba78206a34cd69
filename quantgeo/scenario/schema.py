"""The scenario format's keys: name, kind, default, unit, range and documentation of every key.

These tables are the one description of the format: :mod:`.checker` validates files against
them, :mod:`.models` turns them into pydantic models (and the JSON Schema) and :mod:`.docs`
into ``scenarios/README.md``.  Kind-specific tables live with their kind in :mod:`.kinds`.
"""

from __future__ import annotations

import inspect
from dataclasses import MISSING, dataclass
from typing import Any

from quantgeo import potentials as P
from quantgeo._options import option_fields
from quantgeo.animation import AnimationOptions
from quantgeo.hamiltonian import KINETIC_MODELS
from quantgeo.reference import QutipOptions
from quantgeo.scenario.kinds import KIND_MODULES
from quantgeo.solvers.imaginary import ImaginaryTimeOptions
from quantgeo.solvers.split_operator import AbsorbingBoundary, SplitOperatorOptions

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
    maximum
        Largest allowed value; default :data:`MAX_NUMBER` for numbers (which are also
        ≥ −:data:`MAX_NUMBER`) and :data:`MAX_INT` for integers, so that no value overflows a
        step count, an allocation or a float product.
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
    maximum: float | None = None


#: Largest magnitude of a number in a scenario (times, lengths, energies, ħ …): 10¹², far
#: beyond any physical scale in the scenario's units, far below float overflow.
MAX_NUMBER = 1e12
#: Largest integer in a scenario (steps, walkers, frames …) unless the key says otherwise.
MAX_INT = 10**9


def _k(
    name: str, kind: str, default: Any = REQUIRED, unit: str = "—", doc: str = "", **kw: Any
) -> Key:
    return Key(name, kind, default, unit, doc, **kw)


def _p(builder: Any, name: str, kind: str, unit: str = "—", doc: str = "", **kw: Any) -> Key:
    """A potential key whose default is the builder's (:mod:`quantgeo.potentials`)."""
    default = inspect.signature(builder).parameters[name].default
    return Key(
        name, kind, REQUIRED if default is inspect.Parameter.empty else default, unit, doc, **kw
    )


def keys_of(options: type, *names: str) -> tuple[Key, ...]:
    """The keys of an engine's options class (:mod:`quantgeo._options`), in field order or
    ``names``' order: default, unit, doc and range come from the engine, never copied."""
    fields = option_fields(options)
    out = []
    for name in names or tuple(fields):
        default, m = fields[name]
        if default is MISSING:
            default = REQUIRED
        elif default is None and m.kind == "int_or_auto":
            default = "auto"  # how a file spells the engine's automatic choice
        number = m.kind in ("number", "axis", "numbers")
        out.append(
            Key(
                name,
                m.kind,
                default,
                m.unit,
                m.doc,
                m.choices,
                positive=number and m.gt == 0,
                nonneg=number and m.ge == 0,
                minimum=int(m.ge) if m.kind == "int" and m.ge is not None else None,
                maximum=m.le,
            )
        )
    return tuple(out)


OBSERVABLE_NAMES = ("norm", "energy", "position", "momentum", "width")
#: Largest lattice a scenario may ask for.
MAX_SITES = 1 << 26

#: Scenario kinds: the engine a scenario runs, one per registered kind module
#: (:data:`quantgeo.scenario.kinds.KIND_MODULES`, the one registry; ``scenarios/README.md``).
KINDS = tuple(KIND_MODULES)

SCENARIO_KEYS = (
    _k(
        "name",
        "str",
        None,
        doc="Scenario name, a plain file name (default: the file stem); names the output folder",
    ),
    _k("description", "str", "", doc="One-paragraph description of what is checked"),
    _k("kind", "str", "schrodinger", doc="Which engine runs the scenario", choices=KINDS),
    _k(
        "seed",
        "int",
        0,
        doc="Seed of every random number generator (recorded in the report)",
        minimum=0,
        maximum=2**63 - 1,
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
        _p(
            P.harmonic,
            "omega",
            "axis",
            "1/time",
            "Trap angular frequency ω per axis",
            positive=True,
        ),
        _p(P.harmonic, "center", "axis", "length", "Trap centre per axis"),
    ),
    "double_well": (
        _p(
            P.double_well,
            "barrier_height",
            "number",
            "energy",
            "V₀ of V₀((x/a)² − 1)²",
            positive=True,
        ),
        _p(
            P.double_well,
            "separation",
            "number",
            "length",
            "a: the minima sit at ±a",
            positive=True,
        ),
        _p(
            P.double_well,
            "omega_perp",
            "number",
            "1/time",
            "Harmonic confinement of the other axes",
            positive=True,
        ),
        _p(P.double_well, "axis", "int", doc="Axis of the double well", minimum=0),
    ),
    "barrier": (
        _p(P.barrier, "height", "number", "energy", "Barrier height (negative: a well)"),
        _p(
            P.barrier,
            "width",
            "number",
            "length",
            "Full width; sites with |x − center| < width/2",
            positive=True,
        ),
        _p(P.barrier, "center", "number", "length", "Barrier centre"),
        _p(P.barrier, "axis", "int", doc="Axis across which the barrier stands", minimum=0),
    ),
    "cosine": (
        _p(P.cosine, "amplitude", "number", "energy", "A of A·Σ cos(2πx/period)"),
        _p(
            P.cosine,
            "period",
            "number",
            "length",
            "Period (should divide the box length)",
            positive=True,
        ),
        _p(P.cosine, "axis", "int", doc="Only this axis (default: every axis)", minimum=0),
    ),
    "shaken_trap": (
        _p(
            P.shaken_trap,
            "omega",
            "axis",
            "1/time",
            "Trap angular frequency ω per axis",
            positive=True,
        ),
        _p(P.shaken_trap, "amplitude", "number", "length", "A: the centre moves as A·sin(Ωt)"),
        _p(P.shaken_trap, "drive_frequency", "number", "1/time", "Ω of the drive"),
        _p(P.shaken_trap, "axis", "int", doc="Axis along which the trap is shaken", minimum=0),
    ),
    "double_slit": (
        _p(P.double_slit, "position", "number", "length", "Wall centre along `axis`"),
        _p(
            P.double_slit,
            "thickness",
            "number",
            "length",
            "Wall thickness along `axis`",
            positive=True,
        ),
        _p(P.double_slit, "height", "number", "energy", "Wall height", positive=True),
        _p(
            P.double_slit,
            "separation",
            "number",
            "length",
            "Distance d between the slit centres",
            positive=True,
        ),
        _p(P.double_slit, "slit_width", "number", "length", "Opening of each slit", positive=True),
        _p(
            P.double_slit,
            "center",
            "number",
            "length",
            "Midpoint of the slits along the other axis",
        ),
        _p(
            P.double_slit,
            "axis",
            "int",
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
    *keys_of(SplitOperatorOptions, "dt"),
    _k("t_start", "number", 0.0, "time", "Start time"),
    _k("t_end", "number", None, "time", "End time (required in real mode)"),
    *keys_of(
        SplitOperatorOptions,
        "scheme",
        "backend",
        "workers",
        "fft",
        "decomposition",
        "check_every",
        "norm_tol",
        "error_samples",
        "error_tol",
    ),
    *keys_of(ImaginaryTimeOptions, "tol", "max_steps", "residual_tol"),
)

ABSORBER_KEYS = keys_of(AbsorbingBoundary)

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
    _k(
        "memory_budget",
        "number",
        None,
        "bytes",
        "Largest size of the stored states kept in RAM; beyond it they stream to a temporary "
        "file (default: $QUANTGEO_MEMORY_BUDGET, else min(1 GiB, ¼ of the available memory); "
        "0: always stream)",
        nonneg=True,
    ),
)

REFERENCE_KEYS = (
    _k("qutip", "bool", False, doc="Also run qutip.sesolve on the identical operator and compare"),
    *keys_of(QutipOptions, "atol", "rtol", "method", "nsteps"),
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

ANIMATION_KEYS = keys_of(AnimationOptions)
