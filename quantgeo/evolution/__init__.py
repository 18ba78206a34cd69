"""Classical evolution as geometric learning dynamics (THEORY §3).

Modules (one concept each):

==================  ===========================================================================
``analytic``        closed forms: Wright's density, Kimura's fixation probability, neutral
                    heterozygosity and times, Sella–Hirsh, Shahshahani metric
``diffusion``       :class:`KimuraDiffusion` (absorbing: node chain; reflecting: FokkerPlanck)
``exponent``        :func:`measured_exponent` — which a does a model realise (THEORY §3)
``phases``          :func:`phases` — crossover phase diagram (PNG + JSON)
``sella_hirsh``     weak-mutation genotype walk and its Boltzmann law
``wright_fisher``   :class:`WrightFisher` (Numba kernel, NumPy twin), replicates vectorised
==================  ===========================================================================
"""

from quantgeo.evolution.analytic import (
    LEARNING_DICTIONARY,
    gene_copies,
    heterozygosity_decay,
    kimura_fixation_probability,
    neutral_absorption_time,
    neutral_fixation_time,
    sella_hirsh_distribution,
    sella_hirsh_nu,
    shahshahani_metric,
    wright_bin_probabilities,
    wright_fisher_covariance,
    wright_stationary_density,
)
from quantgeo.evolution.diffusion import KimuraDiffusion
from quantgeo.evolution.exponent import (
    ExponentFit,
    measured_exponent,
    moran_increments,
    wright_fisher_increments,
)
from quantgeo.evolution.phases import PhaseDiagram, phases
from quantgeo.evolution.sella_hirsh import origin_fixation_generator, stationary_distribution
from quantgeo.evolution.wright_fisher import WrightFisher, fixation_fraction, genotype_fitness

__all__ = [
    "LEARNING_DICTIONARY",
    "ExponentFit",
    "KimuraDiffusion",
    "PhaseDiagram",
    "WrightFisher",
    "fixation_fraction",
    "gene_copies",
    "genotype_fitness",
    "heterozygosity_decay",
    "kimura_fixation_probability",
    "measured_exponent",
    "moran_increments",
    "neutral_absorption_time",
    "neutral_fixation_time",
    "origin_fixation_generator",
    "phases",
    "sella_hirsh_distribution",
    "sella_hirsh_nu",
    "shahshahani_metric",
    "stationary_distribution",
    "wright_bin_probabilities",
    "wright_fisher_covariance",
    "wright_fisher_increments",
    "wright_stationary_density",
]
