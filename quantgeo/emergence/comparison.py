r"""Three-way comparison of the emergent quantum regime (THEORY.md §2, E1 and E3).

:func:`emergence` evolves one initial state with the lattice learning variables
(:class:`~quantgeo.emergence.MadelungLattice`), the split-operator solver and QuTiP's ``sesolve``
on the same lattice Hamiltonian, records them on common times and reports the largest L2
distance of each pair, each engine's norm and energy drift and the smallest density met by the
learning variables; then runs the Born ensemble for each a and reports its total-variation
distance to :math:`|\psi(t)|^2` against the sampling floor, and (``learners=M``) the same
distances for M lattice learners (:class:`~quantgeo.emergence.LatticeLearners`, Bell's jumps).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from quantgeo._io import jsonable
from quantgeo._options import check_options, option
from quantgeo._table import Column, format_table
from quantgeo._validation import check_positive, check_span
from quantgeo.compare import compare
from quantgeo.errors import StabilityError
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.recording import Recorder, Trajectory
from quantgeo.reference import QutipReference
from quantgeo.solvers.schemes import SCHEMES
from quantgeo.solvers.split_operator import SplitOperatorSolver
from quantgeo.wavefunction import Wavefunction

from .born import FLOOR_OBSERVABLES, BornEnsemble, BornSummary
from .learners import LatticeLearners
from .madelung import MadelungLattice

__all__ = ["EmergenceOptions", "EmergenceResult", "EngineStats", "PairError", "emergence"]


@dataclass(frozen=True)
class EmergenceOptions:
    """Options of the three-way comparison :func:`emergence`: defaults, units and ranges
    written once (the function and the scenario ``[emergence]`` table take them)."""

    every: float = option(0.1, unit="time", doc="Record interval of the three engines", gt=0)
    rtol: float = option(1e-10, doc="Relative tolerance of the learning variables", gt=0)
    atol: float = option(1e-10, doc="Absolute tolerance of the learning variables", gt=0)
    solver_dt: float = option(0.005, unit="time", doc="Split-operator time step", gt=0)
    scheme: str = option(
        "yoshida4", doc="Split-operator scheme", kind="str", choices=tuple(SCHEMES)
    )
    qutip: bool = option(True, doc="Include qutip.sesolve as the third engine", kind="bool")

    def __post_init__(self) -> None:
        check_options(self)


log = logging.getLogger(__name__)

ENGINE_NAMES = ("learning", "split-operator", "qutip")


@dataclass(frozen=True)
class EngineStats:
    """Conservation and cost of one engine over the run.

    Attributes
    ----------
    name
        ``"learning"``, ``"split-operator"`` or ``"qutip"``.
    norm_drift
        :math:`\\max_t |N(t) - N(0)|` of the norm :math:`\\sum|\\psi|^2\\Delta V`.
    energy_drift
        :math:`\\max_t |E(t) - E(0)|` (energy units).
    run_time
        Seconds spent integrating (compilation excluded).
    info
        The engine's own ``Trajectory.info``.
    """

    name: str
    norm_drift: float
    energy_drift: float
    run_time: float
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_trajectory(cls, name: str, traj: Trajectory) -> EngineStats:
        """Drifts from the ``"norm"`` and ``"energy"`` records of ``traj``."""
        norm = np.asarray(traj["norm"], dtype=float)
        energy = np.asarray(traj["energy"], dtype=float)
        return cls(
            name=name,
            norm_drift=float(np.max(np.abs(norm - norm[0]))),
            energy_drift=float(np.max(np.abs(energy - energy[0]))),
            run_time=float(traj.info.get("run_time", math.nan)),
            info=jsonable(dict(traj.info)),
        )


@dataclass(frozen=True)
class PairError:
    """Distance of two engines' ψ(t) over the record times.

    Attributes
    ----------
    a, b
        Engine names.
    max_l2
        :math:`\\max_t \\|\\psi_a(t) - \\psi_b(t)\\|_2` (lattice L2 norm with :math:`\\Delta V`).
    max_infidelity
        :math:`\\max_t (1 - F)`.
    l2
        L2 distance at every record time.
    """

    a: str
    b: str
    max_l2: float
    max_infidelity: float
    l2: tuple[float, ...]

    @property
    def name(self) -> str:
        """``"a vs b"``."""
        return f"{self.a} vs {self.b}"


@dataclass(frozen=True)
class EmergenceResult:
    """Outcome of :func:`emergence`.

    Attributes
    ----------
    setup
        Lattice, masses, ħ, potential, kinetic model, ``t_span`` and tolerances.
    times
        Common record times of the three engines.
    engines
        Per-engine drifts and timings (engines that ran).
    pairs
        Pairwise distances (pairs whose engines both ran).
    min_density
        Smallest :math:`p_n` met by the learning variables (1/volume), ``nan`` if they stopped.
    min_relative_density
        Smallest :math:`p_n/\\max_{m\\sim n}p_m` met on non-tail sites.
    singular
        ``None``, or the report of the learning variables' :class:`StabilityError`
        (``{"message", "t", "step"}``) when they stopped at a singular density.
    born
        One :class:`~quantgeo.emergence.BornSummary` per a.
    learners
        One :class:`~quantgeo.emergence.BornSummary` per a of the lattice learners (empty
        unless ``learners`` was given).
    """

    setup: dict[str, Any]
    times: tuple[float, ...]
    engines: dict[str, EngineStats]
    pairs: dict[str, PairError]
    min_density: float
    min_relative_density: float
    singular: dict[str, Any] | None
    born: tuple[BornSummary, ...]
    learners: tuple[BornSummary, ...] = ()

    @property
    def max_l2(self) -> float:
        """Largest pairwise L2 distance (``nan`` when no pair ran)."""
        return max((p.max_l2 for p in self.pairs.values()), default=math.nan)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of everything."""
        return {
            "setup": jsonable(self.setup),
            "times": list(self.times),
            "engines": {k: jsonable(asdict(v)) for k, v in self.engines.items()},
            "pairs": {k: {**jsonable(asdict(v)), "l2": list(v.l2)} for k, v in self.pairs.items()},
            "max_l2": self.max_l2,
            "min_density": self.min_density,
            "min_relative_density": self.min_relative_density,
            "singular": self.singular,
            "born": [b.to_dict() for b in self.born],
            "learners": [b.to_dict() for b in self.learners],
        }

    def format(self) -> str:
        """Plain-text report (what ``quantgeo emergence`` prints)."""
        s = self.setup
        lines = [
            f"emergence: {s['lattice']}  mass={s['mass']}  hbar={s['hbar']}  "
            f"V={s['potential']}  t=[{s['t_span'][0]:g}, {s['t_span'][1]:g}]",
            "",
            _pairs_table(self.pairs.values()),
            "",
            _engines_table(self.engines.values()),
            "",
        ]
        if self.singular is not None:
            lines.append(f"learning variables stopped: {self.singular['message']}")
        else:
            lines.append(
                f"smallest density met: {self.min_density:.3e}   smallest relative density "
                f"(non-tail sites): {self.min_relative_density:.3e}"
            )
        if self.born:
            lines += ["", _born_table(self.born)]
            lines.append(
                f"(W = {self.born[0].walkers} walkers; floor = mean TV of W exact draws from "
                "|ψ|², z = (TV − floor)/std of the floor)"
            )
        if self.learners:
            lines += ["", _born_table(self.learners, "Lattice learners")]
            lines.append(
                f"(M = {self.learners[0].walkers} learners on the sites, Bell's jump rates of "
                "ψ(t); floor and z as above)"
            )
        if (self.born or self.learners) and len(set(s["mass"])) == 1:
            lines.append("(isotropic mass: D_a is Nelson's ħ/2m for every a)")
        return "\n".join(lines)


def _pairs_table(pairs: Iterable[PairError]) -> str:
    columns = [
        Column("pair", "<", 34, gap=""),
        Column("max L2", ">", 12, ".3e", gap=""),
        Column("max 1-F", ">", 12, ".3e", gap=""),
    ]
    rows = [[p.name, p.max_l2, p.max_infidelity] for p in pairs]
    return format_table(rows, columns, rule=None, strip=False)


def _engines_table(engines: Iterable[EngineStats]) -> str:
    columns = [
        Column("engine", "<", 18, gap=""),
        Column("norm drift", ">", 12, ".3e", gap=""),
        Column("energy drift", ">", 14, ".3e", gap=""),
        Column("run time", ">", 11, gap=""),
    ]
    rows = [[e.name, e.norm_drift, e.energy_drift, f"{e.run_time:.2f}s"] for e in engines]
    return format_table(rows, columns, rule=None, strip=False)


def _born_table(born: Iterable[BornSummary], label: str = "Born ensemble") -> str:
    columns = [
        Column(label, "<", 18, gap=""),
        Column("D_a", ">", 22, gap=""),
        Column("TV(end)", ">", 10, ".4f", gap=""),
        Column("max TV", ">", 10, ".4f", gap=""),
        Column("floor", ">", 10, ".4f", gap=""),
        Column("max z", ">", 9, ".1f", gap=""),
    ]
    rows = [
        [
            f"a = {b.a:g}",
            "(" + ", ".join(f"{x:.4g}" for x in b.diffusion) + ")",
            b.final_tv,
            b.max_tv,
            float(np.mean(b.floor_mean)),
            b.max_z,
        ]
        for b in born
    ]
    return format_table(rows, columns, rule=None, strip=False)


def emergence(
    ham: Hamiltonian,
    state0: Wavefunction,
    t_span: tuple[float, float] = (0.0, 10.0),
    *,
    every: float = EmergenceOptions.every,
    rtol: float = EmergenceOptions.rtol,
    atol: float = EmergenceOptions.atol,
    solver_dt: float = EmergenceOptions.solver_dt,
    scheme: str = EmergenceOptions.scheme,
    qutip: bool = EmergenceOptions.qutip,
    born_a: Sequence[float] = (0.0, 0.5, 1.0),
    walkers: int = 20_000,
    seed: int | None = 0,
    born_t_end: float | None = 5.0,
    born_every: float = 0.1,
    learners: int = 0,
    learners_a: Sequence[float] = (0.0, 0.5, 1.0),
    progress: bool | None = None,
) -> EmergenceResult:
    r"""Learning variables vs split-operator vs QuTiP, and the Born ensembles for each a.

    Parameters
    ----------
    ham
        Lattice Hamiltonian (``kinetic="lattice"``).
    state0
        Initial ψ (nodeless for the learning variables and the Born ensembles).
    t_span
        Time interval of the three-way comparison.
    every
        Record interval (time units).
    rtol, atol
        Tolerances of :class:`~quantgeo.emergence.MadelungLattice`.
    solver_dt, scheme
        Split-operator step and scheme (also the ψ(t) of the Born ensembles).
    qutip
        Include QuTiP's ``sesolve`` (default tolerances of
        :class:`~quantgeo.reference.QutipReference`).
    born_a
        Exponents a of the Born ensembles (empty: none).
    walkers, seed
        Ensemble size and seed (each a uses the same seed).
    born_t_end
        End time of the Born ensembles (from ``t_span[0]``); ``None``: ``t_span[1]``.
    born_every
        Record interval of the Born ensembles (and of the learners: a multiple of their
        refresh interval 0.01).
    learners
        Number M of lattice learners run for each a of ``learners_a`` over the Born
        ensembles' span (0: none).  Same seed, ``solver_dt`` and ``scheme``.
    learners_a
        Exponents a of the learner runs.
    progress
        tqdm bars; default on when stderr is a terminal.

    Returns
    -------
    EmergenceResult
        If the learning variables stop at a singular density, ``singular`` holds the report and
        the pairs involving them are absent.
    """
    if not isinstance(ham, Hamiltonian):
        raise TypeError(f"`ham` must be a Hamiltonian, got {type(ham).__name__}")
    t0, t1 = check_span(t_span)
    check_positive("every", every)
    check_positive("born_every", born_every)
    if isinstance(learners, bool) or not isinstance(learners, (int, np.integer)) or learners < 0:
        raise ValueError(f"`learners` must be an integer ≥ 0 (0: no learners), got {learners!r}")
    learner = MadelungLattice(ham, rtol=rtol, atol=atol)  # validates ham.kinetic, tolerances
    split = SplitOperatorSolver(ham, solver_dt, scheme)

    def recorder() -> Recorder:
        return Recorder(every=every, observables=("norm", "energy"))

    trajs: dict[str, Trajectory] = {}
    singular: dict[str, Any] | None = None
    try:
        trajs["learning"] = learner.run(state0, (t0, t1), recorder=recorder(), progress=progress)
    except StabilityError as err:
        singular = {"message": str(err), "t": err.t, "step": err.step}
        log.info("learning variables stopped: %s", err)
    trajs["split-operator"] = split.run(state0, (t0, t1), recorder=recorder(), progress=progress)
    if qutip:
        trajs["qutip"] = QutipReference(ham).run(
            state0, (t0, t1), recorder=recorder(), progress=progress
        )
    engines = {name: EngineStats.from_trajectory(name, tr) for name, tr in trajs.items()}
    pairs: dict[str, PairError] = {}
    names = [n for n in ENGINE_NAMES if n in trajs]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            c = compare(trajs[a], trajs[b])
            pe = PairError(a, b, c.max_l2, c.max_infidelity, tuple(float(x) for x in c.l2))
            pairs[pe.name] = pe
    info = trajs["learning"].info if "learning" in trajs else {}
    born: list[BornSummary] = []
    t_born = t1 if born_t_end is None else t0 + check_positive("born_t_end", born_t_end)
    for a_exp in born_a:
        ens = BornEnsemble(ham, float(a_exp), walkers, seed, solver_dt=solver_dt, scheme=scheme)
        rec = Recorder(every=born_every, observables=FLOOR_OBSERVABLES)
        born.append(
            BornSummary.from_trajectory(
                ens.run(state0, (t0, t_born), recorder=rec, progress=progress)
            )
        )
    crowd: list[BornSummary] = []
    if learners:
        for a_exp in learners_a:
            eng = LatticeLearners(
                ham, learners, seed, float(a_exp), solver_dt=solver_dt, scheme=scheme
            )
            rec = Recorder(every=born_every, observables=FLOOR_OBSERVABLES)
            crowd.append(
                BornSummary.from_trajectory(
                    eng.run(state0, (t0, t_born), recorder=rec, progress=progress)
                )
            )
    setup = {
        "lattice": repr(ham.lattice),
        "mass": ham.mass.tolist(),
        "hbar": ham.hbar,
        "potential": repr(ham.potential),
        "kinetic": ham.kinetic,
        "t_span": [t0, t1],
        "every": every,
        "rtol": rtol,
        "atol": atol,
        "solver_dt": solver_dt,
        "scheme": scheme,
    }
    return EmergenceResult(
        setup=setup,
        times=tuple(float(t) for t in trajs["split-operator"].times),
        engines=engines,
        pairs=pairs,
        min_density=float(info.get("min_density", math.nan)),
        min_relative_density=float(info.get("min_relative_density", math.nan)),
        singular=singular,
        born=tuple(born),
        learners=tuple(crowd),
    )
