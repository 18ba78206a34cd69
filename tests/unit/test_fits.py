"""The measurements the scenario checks make (``analytic.fit_period``,
``analytic.two_slit_fringe_spacing``) and the ``potentials.double_slit`` wall, against closed
forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantgeo import Lattice
from quantgeo.analytic import fit_period, two_slit_fringe_spacing
from quantgeo.potentials import double_slit


def test_fit_period_of_a_sampled_sinusoid(rng: np.random.Generator) -> None:
    # Noise-free a + b cos(ωt + φ): the three-parameter least squares is exact at the true ω, so
    # only the bounded Brent search limits the result: it stops at a bracket of √ε·ω
    # (√ε ≈ 1.5e-8), hence rel = 2√ε.
    for _ in range(5):
        omega = rng.uniform(0.5, 3.0)
        t = np.linspace(0.0, 10 * 2 * np.pi / omega, 801)
        y = 0.3 + 0.7 * np.cos(omega * t + rng.uniform(0, 2 * np.pi))
        assert fit_period(t, y) == pytest.approx(2 * np.pi / omega, rel=2 * math.sqrt(2.2e-16))


def test_fit_period_without_oscillation_is_nan() -> None:
    t = np.linspace(0.0, 1.0, 50)
    assert math.isnan(fit_period(t, t**2))


def _two_slit_spectrum(dk: float, d: float) -> tuple[np.ndarray, np.ndarray]:
    """|F(k)|²·4cos²(kd/2) with a Gaussian single-slit envelope F, on a grid of step dk."""
    k = dk * np.arange(-int(12 / d / dk), int(12 / d / dk) + 1) + 0.37 * dk
    return k, np.exp(-((0.4 * d * k) ** 2)) * 4 * np.cos(k * d / 2) ** 2


def test_two_slit_fringe_spacing_converges_to_2pi_over_d() -> None:
    # The minima sit exactly at (2n+1)π/d; the parabolic vertex through three samples of
    # g(k)(k − k₀)² is off by O(dk²) (from the envelope's slope), so halving dk divides the
    # error by ≈ 4.
    d = 1.7
    exact = 2 * np.pi / d
    errors = []
    for dk in (exact / 40, exact / 80, exact / 160):
        errors.append(abs(two_slit_fringe_spacing(*_two_slit_spectrum(dk, d), d) - exact))
    assert 3.0 < errors[0] / errors[1] < 5.0
    assert 3.0 < errors[1] / errors[2] < 5.0


def test_two_slit_fringe_spacing_needs_resolved_fringes() -> None:
    d = 1.0
    k, pk = _two_slit_spectrum(np.pi / d, d)  # two samples per fringe
    with pytest.raises(ValueError, match="too few transverse wavenumbers"):
        two_slit_fringe_spacing(k, pk, d)


def test_double_slit_wall_and_openings() -> None:
    lat = Lattice((40, 64), ((-5.0, 5.0), (-8.0, 8.0)))
    v = double_slit(3.0, 1.0, position=1.0, thickness=0.5, height=7.0).values(lat)
    x, y = (np.broadcast_to(c, lat.shape) for c in lat.coordinates())
    wall = np.abs(x - 1.0) < 0.25
    opening = (np.abs(y - 1.5) < 0.5) | (np.abs(y + 1.5) < 0.5)
    np.testing.assert_array_equal(v, np.where(wall & ~opening, 7.0, 0.0))
    assert 0 < np.count_nonzero(wall & opening) < np.count_nonzero(wall)
    with pytest.raises(ValueError, match="2D lattice"):
        double_slit(3.0, 1.0).values(Lattice(32, (-5, 5)))
    with pytest.raises(ValueError, match="`slit_width` must be smaller"):
        double_slit(1.0, 1.0)
