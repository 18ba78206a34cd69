r"""Closed forms of population genetics (THEORY §3), each with its convention stated.

Convention used throughout (the one of Kimura and of Ewens, *Mathematical Population Genetics*):

* ``n`` is the number of individuals of an **ideal** Wright–Fisher population, so ``n`` is the
  effective size ``N_e`` (for a real population pass ``N_e``);
* ``ploidy`` is 1 (haploid) or 2 (diploid, the default, as in the textbook formulas with ``4Ns``
  and ``1/(2N)``); the population carries ``N_g = ploidy·n`` gene copies;
* selection is *genic* (allele ``A`` has relative fitness ``1 + s`` per copy, multiplicative
  across the two copies of a diploid), so the diffusion drift is ``M(x) = s x(1 − x)`` and the
  variance ``V(x) = x(1 − x)/N_g`` per generation;
* ``u`` is the mutation rate *into* ``A`` (``a → A``), ``v`` the rate *out of* ``A``
  (``A → a``), per gene copy per generation;
* time is in generations.

With ``S = 2N_g s`` (``= 4Ns`` diploid, ``2Ns`` haploid), ``θ_u = 2N_g u``, ``θ_v = 2N_g v``:

=====================================  ====================================================
Wright's stationary density            ``p(x) ∝ x^{θ_u − 1}(1 − x)^{θ_v − 1} e^{S x}``
Kimura's fixation probability          ``u(p) = (1 − e^{−S p})/(1 − e^{−S})``
neutral heterozygosity                 ``H_t = H_0 (1 − 1/N_g)^t``
neutral mean times (from ``p``)        ``t̄ = −2N_g[p ln p + (1 − p) ln(1 − p)]`` (absorption),
                                       ``t̄₁ = −2N_g (1 − p) ln(1 − p)/p`` (given fixation)
=====================================  ====================================================

The last two are exact for the Wright–Fisher chain itself (heterozygosity) or for its
diffusion limit (the others).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.special as ss
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import check_choice, check_int, check_positive, check_real

__all__ = [
    "LEARNING_DICTIONARY",
    "SELLA_HIRSH_MODELS",
    "gene_copies",
    "heterozygosity_decay",
    "kimura_fixation_probability",
    "neutral_absorption_time",
    "neutral_fixation_time",
    "sella_hirsh_distribution",
    "sella_hirsh_nu",
    "shahshahani_metric",
    "wright_bin_probabilities",
    "wright_fisher_covariance",
    "wright_stationary_density",
]

Array = NDArray[np.float64]

#: The learning ↔ evolution dictionary of THEORY §3 (what plays what).
LEARNING_DICTIONARY: dict[str, str] = {
    "trainable variables q": "allele frequencies x (or genotype values)",
    "loss H": "minus fitness (minus log mean fitness, −ln w̄, for genic selection: −s·x)",
    "temperature T": "1/N_e (T = 1/(2N_g) in Wright's density, T = 1/ν in Sella–Hirsh)",
    "metric g": "Shahshahani metric g_ij = δ_ij/x_i (selection response = g⁻¹∇fitness)",
    "noise covariance": "multinomial sampling, Cov(Δx) = (diag x − x xᵀ)/N_g",
    "stationary density": "Wright's density = Itô stationary density at a = 1 (THEORY §3)",
}

SELLA_HIRSH_MODELS: tuple[str, ...] = ("wright-fisher", "moran")


def gene_copies(n: int, ploidy: int = 2) -> int:
    """``N_g = ploidy · n``: the number of gene copies (``2N`` for a diploid population)."""
    n = check_int("n", n)
    if (
        isinstance(ploidy, bool)
        or not isinstance(ploidy, (int, np.integer))
        or ploidy not in (1, 2)
    ):
        raise ValueError(f"`ploidy` must be 1 (haploid) or 2 (diploid), got {ploidy!r}")
    return int(ploidy) * n


def _unit_interval(name: str, x: ArrayLike) -> Array:
    arr = np.asarray(x, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ValueError(
            f"`{name}` must lie in [0, 1], got values from {float(arr.min())!r} "
            f"to {float(arr.max())!r}"
        )
    return arr


def _log_wright_norm(theta_u: float, theta_v: float, big_s: float) -> float:
    # Z = ∫ x^{α−1}(1−x)^{β−1} e^{Sx} dx = B(α, β) ₁F₁(α; α+β; S)  (Kummer);
    # for S < 0 use Kummer's transformation ₁F₁(α; c; S) = e^S ₁F₁(c−α; c; −S) (no cancellation)
    a, b = theta_u, theta_v
    log_b = float(ss.betaln(a, b))
    if big_s >= 0:
        return log_b + math.log(float(ss.hyp1f1(a, a + b, big_s)))
    return log_b + big_s + math.log(float(ss.hyp1f1(b, a + b, -big_s)))


def _mutation_params(
    n: int, s: float, u: float, v: float, ploidy: int
) -> tuple[float, float, float]:
    ng = gene_copies(n, ploidy)
    s = check_real("s", s)
    u = check_positive("u", u)
    v = check_positive("v", v)
    return 2.0 * ng * u, 2.0 * ng * v, 2.0 * ng * s


def wright_stationary_density(
    x: ArrayLike, n: int, *, s: float = 0.0, u: float, v: float, ploidy: int = 2
) -> Array:
    r"""Wright's stationary density of the frequency ``x`` of allele ``A`` (normalised on [0, 1]).

    .. math:: p(x) = \frac{x^{θ_u − 1}(1 − x)^{θ_v − 1} e^{S x}}{B(θ_u, θ_v)\,
              {}_1F_1(θ_u; θ_u + θ_v; S)},\qquad θ_u = 2N_g u,\ θ_v = 2N_g v,\ S = 2N_g s

    (``4Nu``, ``4Nv``, ``4Ns`` for a diploid population of ``n = N`` individuals).  It is the
    stationary density of the Kimura diffusion with drift ``s x(1−x) + u(1−x) − v x`` and
    variance ``x(1−x)/N_g``, and — THEORY §3 — the Itô stationary density ``g e^{−H/T}`` at
    ``a = 1`` with the Shahshahani ``g = 1/(x(1−x))``, ``H = −(s x + u ln x + v ln(1−x))`` and
    ``T = 1/(2N_g)``.

    Parameters
    ----------
    x
        Frequencies in ``(0, 1)``, any shape.
    n, ploidy
        Population size (``N_e``) and ploidy (module docstring).
    s, u, v
        Selection coefficient of ``A``; mutation rates into (``u``) and out of (``v``) ``A``,
        both positive.

    Returns
    -------
    Density values, same shape as ``x`` (per unit frequency).
    """
    tu, tv, big_s = _mutation_params(n, s, u, v, ploidy)
    if tu <= 0 or tv <= 0:
        raise ValueError(f"`u` and `v` must be positive for a stationary density, got {u!r}, {v!r}")
    xs = _unit_interval("x", x)
    log_z = _log_wright_norm(tu, tv, big_s)
    with np.errstate(divide="ignore"):
        logp = (tu - 1.0) * np.log(xs) + (tv - 1.0) * np.log1p(-xs) + big_s * xs - log_z
    return np.asarray(np.exp(logp), dtype=float)


def wright_bin_probabilities(
    edges: ArrayLike, n: int, *, s: float = 0.0, u: float, v: float, ploidy: int = 2
) -> Array:
    r"""Probability of each bin ``[e_i, e_{i+1}]`` under :func:`wright_stationary_density`.

    Neutral (``s = 0``): the regularised incomplete beta function, exact.  With selection:
    adaptive quadrature (QUADPACK, algebraic endpoint weights for the integrable
    ``x^{θ_u−1}``, ``(1−x)^{θ_v−1}`` singularities in the end bins), relative accuracy ~1e-10.
    ``edges`` must be increasing inside [0, 1]; the result has ``len(edges) − 1`` entries.
    """
    tu, tv, big_s = _mutation_params(n, s, u, v, ploidy)
    if tu <= 0 or tv <= 0:
        raise ValueError(f"`u` and `v` must be positive for a stationary density, got {u!r}, {v!r}")
    e = _unit_interval("edges", edges)
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0):
        raise ValueError("`edges` must be a strictly increasing 1-D array of ≥ 2 points")
    if big_s == 0.0:
        return np.asarray(np.diff(ss.betainc(tu, tv, e)), dtype=float)
    import scipy.integrate as si  # lazily: it is the slowest import of this module

    log_z = _log_wright_norm(tu, tv, big_s)
    out = np.empty(e.size - 1)
    for i, (lo, hi) in enumerate(itertools.pairwise(e)):

        def full(y: float) -> float:
            return math.exp((tu - 1) * math.log(y) + (tv - 1) * math.log1p(-y) + big_s * y - log_z)

        if lo == 0.0 and hi == 1.0:

            def reg(y: float) -> float:
                return math.exp(big_s * y - log_z)

            val = si.quad(reg, 0.0, 1.0, weight="alg", wvar=(tu - 1, tv - 1))[0]
        elif lo == 0.0:

            def left(y: float) -> float:
                return math.exp((tv - 1) * math.log1p(-y) + big_s * y - log_z)

            val = si.quad(left, 0.0, hi, weight="alg", wvar=(tu - 1, 0.0))[0]
        elif hi == 1.0:

            def right(y: float) -> float:
                return math.exp((tu - 1) * math.log(y) + big_s * y - log_z)

            val = si.quad(right, lo, 1.0, weight="alg", wvar=(0.0, tv - 1))[0]
        else:
            val = si.quad(full, lo, hi, epsabs=0.0, epsrel=1e-11)[0]
        out[i] = val
    return out


def kimura_fixation_probability(p: ArrayLike, n: int, s: float, *, ploidy: int = 2) -> Array:
    r"""Kimura's fixation probability of an allele at frequency ``p`` (diffusion limit).

    .. math:: u(p) = \frac{1 − e^{−S p}}{1 − e^{−S}},\qquad S = 2N_g s
              \ (= 4Ns\ \text{diploid},\ 2Ns\ \text{haploid}),\qquad u(p) = p\ \text{at}\ s = 0

    For a single new mutant ``p = 1/N_g``.  Evaluated with ``expm1`` in a form that neither
    cancels for small ``|S|`` nor overflows for large negative ``S``.
    """
    ng = gene_copies(n, ploidy)
    s = check_real("s", s)
    pp = _unit_interval("p", p)
    big_s = 2.0 * ng * s
    if big_s == 0.0:
        return np.array(pp, dtype=float)
    a = abs(big_s)
    if big_s > 0:
        return np.asarray(np.expm1(-a * pp) / np.expm1(-a), dtype=float)
    # S < 0: (e^{a p} − 1)/(e^{a} − 1) = e^{a (p − 1)} (1 − e^{−a p})/(1 − e^{−a})
    return np.asarray(np.exp(a * (pp - 1.0)) * np.expm1(-a * pp) / np.expm1(-a), dtype=float)


def heterozygosity_decay(t: ArrayLike, h0: float, n: int, *, ploidy: int = 2) -> Array:
    r"""Expected neutral heterozygosity ``H_t = H_0 (1 − 1/N_g)^t`` (``1 − 1/(2N)`` diploid).

    Exact for the neutral Wright–Fisher chain with ``H = 1 − Σ_k x_k²`` (any number of alleles,
    no mutation); ``t`` in generations.
    """
    ng = gene_copies(n, ploidy)
    h0 = check_positive("h0", h0, allow_zero=True)
    tt = np.asarray(t, dtype=float)
    return np.asarray(h0 * np.exp(tt * math.log1p(-1.0 / ng)), dtype=float)


def neutral_absorption_time(p: ArrayLike, n: int, *, ploidy: int = 2) -> Array:
    r"""Neutral mean time to absorption (loss or fixation) from frequency ``p``, in generations.

    .. math:: \bar t(p) = −2N_g\,[p \ln p + (1 − p)\ln(1 − p)]\quad(−4N[\dots]\ \text{diploid})

    (Kimura & Ohta 1969; diffusion limit).
    """
    ng = gene_copies(n, ploidy)
    pp = _unit_interval("p", p)
    return np.asarray(-2.0 * ng * (ss.xlogy(pp, pp) + ss.xlog1py(1.0 - pp, -pp)), dtype=float)


def neutral_fixation_time(p: ArrayLike, n: int, *, ploidy: int = 2) -> Array:
    r"""Neutral mean time to fixation *given* fixation, from frequency ``p``, in generations.

    .. math:: \bar t_1(p) = −2N_g\,\frac{(1 − p)\ln(1 − p)}{p} \;\xrightarrow{p→0}\; 2N_g

    (``4N`` generations for a new diploid mutant; Kimura & Ohta 1969, diffusion limit).
    """
    ng = gene_copies(n, ploidy)
    pp = _unit_interval("p", p)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = -2.0 * ng * ss.xlog1py(1.0 - pp, -pp) / pp
    return np.asarray(np.where(pp == 0, 2.0 * ng, val), dtype=float)


def sella_hirsh_nu(n: int, *, ploidy: int = 1, model: str = "wright-fisher") -> float:
    r"""Sella & Hirsh (2005) inverse temperature ``ν`` of the weak-mutation genotype walk.

    With log fitness ``F`` (``s_ij = F_j − F_i``) the origin–fixation chain obeys detailed
    balance with ``π ∝ exp(ν F)`` when

    * ``"wright-fisher"``: fixation ``u(s) = (1 − e^{−2s})/(1 − e^{−2N_g s})`` (Kimura's formula at
      ``p = 1/N_g``), ``u(s)/u(−s) = e^{(2N_g − 2)s}``: ``ν = 2N_g − 2`` (``2N − 2`` haploid,
      ``4N − 2`` diploid);
    * ``"moran"`` (haploid, ``n`` individuals): ``u = (1 − r^{−1})/(1 − r^{−n})`` with
      ``r = e^{s}``, ratio ``r^{n − 1}``: ``ν = n − 1``.
    """
    model = check_choice("model", model, SELLA_HIRSH_MODELS)
    if model == "moran":
        if ploidy != 1:
            raise ValueError(f"`ploidy` must be 1 for the Moran model, got {ploidy!r}")
        return float(check_int("n", n, 2) - 1)
    return float(2 * gene_copies(n, ploidy) - 2)


def sella_hirsh_distribution(log_fitness: ArrayLike, nu: float) -> Array:
    r"""Boltzmann law ``π_i = e^{ν F_i}/Σ_j e^{ν F_j}`` over genotypes (Sella & Hirsh 2005).

    It is the stationary law of the a = 0 Fokker–Planck equation (THEORY §3) with loss
    ``H = −F`` and temperature ``T = 1/ν``.
    """
    f = np.asarray(log_fitness, dtype=float)
    if f.ndim != 1 or f.size < 2 or not np.all(np.isfinite(f)):
        raise ValueError(f"`log_fitness` must be a finite 1-D array of ≥ 2 genotypes, got {f!r}")
    nu = check_positive("nu", nu, allow_zero=True)
    return np.asarray(ss.softmax(nu * f), dtype=float)


def wright_fisher_covariance(x: ArrayLike, n: int, *, ploidy: int = 2) -> Array:
    r"""One-generation neutral increment covariance ``Cov(Δx) = (diag x − x xᵀ)/N_g``.

    ``x`` has shape ``(..., K)`` (frequencies summing to 1); returns ``(..., K, K)``.  It is the
    inverse of the Shahshahani metric on the simplex's tangent space, divided by ``N_g``.
    """
    ng = gene_copies(n, ploidy)
    xs = _unit_interval("x", x)
    eye = np.eye(xs.shape[-1])
    return np.asarray((xs[..., :, None] * eye - xs[..., :, None] * xs[..., None, :]) / ng)


def shahshahani_metric(x: ArrayLike) -> Array:
    r"""Shahshahani metric ``g_ij = δ_ij/x_i`` (shape ``(..., K, K)`` for ``x`` ``(..., K)``).

    On the tangent space of the simplex (``Σ dx = 0``) its inverse is ``diag x − x xᵀ``: the
    replicator / Fisher selection response ``Δx = (diag x − x xᵀ) s`` is ``g⁻¹ ∇(s·x)``.
    """
    xs = _unit_interval("x", x)
    if np.any(xs == 0):
        raise ValueError("`x` must be strictly positive for the Shahshahani metric")
    return np.asarray(np.eye(xs.shape[-1]) / xs[..., :, None])
