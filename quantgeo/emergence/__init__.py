"""Emergent quantum regime: a = 1 lattice learning variables and Born statistics (THEORY.md §2).

- :class:`MadelungLattice` — adaptive integrator of the learning variables :math:`(p_n, S_n)`
  with the discrete shift symmetry (compact form) or without it (non-compact control); returns
  :math:`\\psi = \\sqrt p\\,e^{iS/\\hbar}` as a Trajectory and stops with the time and site at a
  singular density.
- :class:`BornEnsemble` — walkers with the Nelson drift of ψ(t) and the diffusion
  :math:`D_a` of the metric family :math:`g = c\\,\\kappa^a`; histograms and total-variation
  distance to :math:`|\\psi(t)|^2` against the sampling floor.
- :func:`emergence` — learning variables vs split-operator vs QuTiP, plus the Born ensembles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quantgeo._lazy import attach

if TYPE_CHECKING:  # the names as the type checker sees them; the table below must match
    from quantgeo.emergence.born import (
        BornEnsemble,
        BornSummary,
        diffusion_tensor,
        drift_field,
        sampling_floor,
        total_variation,
    )
    from quantgeo.emergence.cli import add_emergence_parser, run_emergence_cli
    from quantgeo.emergence.comparison import EmergenceResult, EngineStats, PairError, emergence
    from quantgeo.emergence.learners import LatticeLearners
    from quantgeo.emergence.madelung import (
        MadelungLattice,
        from_learning_variables,
        learning_energy,
        neighbour_table,
        open_boundary_sparse,
        to_learning_variables,
        warmup,
    )
    from quantgeo.emergence.self_consistent import SelfConsistentLearners

__getattr__, __dir__ = attach(
    __name__,
    {
        ".born": [
            "BornEnsemble",
            "BornSummary",
            "diffusion_tensor",
            "drift_field",
            "sampling_floor",
            "total_variation",
        ],
        ".cli": ["add_emergence_parser", "run_emergence_cli"],
        ".comparison": ["EmergenceResult", "EngineStats", "PairError", "emergence"],
        ".learners": ["LatticeLearners"],
        ".self_consistent": ["SelfConsistentLearners"],
        ".madelung": [
            "MadelungLattice",
            "from_learning_variables",
            "learning_energy",
            "neighbour_table",
            "open_boundary_sparse",
            "to_learning_variables",
            "warmup",
        ],
    },
)

__all__ = [
    "BornEnsemble",
    "BornSummary",
    "EmergenceResult",
    "EngineStats",
    "LatticeLearners",
    "MadelungLattice",
    "PairError",
    "SelfConsistentLearners",
    "add_emergence_parser",
    "diffusion_tensor",
    "drift_field",
    "emergence",
    "from_learning_variables",
    "learning_energy",
    "neighbour_table",
    "open_boundary_sparse",
    "run_emergence_cli",
    "sampling_floor",
    "to_learning_variables",
    "total_variation",
    "warmup",
]
