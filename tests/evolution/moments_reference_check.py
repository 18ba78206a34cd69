"""Wright's stationary density against moments-popgen, in its own venv (not collected here).

moments pins scipy < 1.17, so it lives in a virtual environment of its own:
``tests/evolution/run_moments_check.sh`` creates it and runs this file.  moments'
``steady_state_1D_reversible(n, gamma, theta_fd, theta_bd)`` is the stationary sample frequency
spectrum of ``n`` genes under reversible mutation (``θ = 4Nu``) and genic selection
``γ = 2Ns``; Wright's density with ``4Nu = θ_fd``, ``4Nv = θ_bd``, ``4Ns = 2γ`` gives it as
``P(k) = ∫ C(n, k) x^k (1 − x)^{n−k} p(x) dx`` (QUADPACK here).  Tolerance 1e-12: the
parameters are exactly representable in single precision (moments reads them as floats) and
both sides are double-precision linear algebra or quadrature.
"""

from __future__ import annotations

import moments
import numpy as np
import pytest
from scipy import integrate, stats

from quantgeo.evolution import wright_stationary_density


@pytest.mark.parametrize(
    ("theta_f", "theta_b", "gamma"),
    [(1.0, 2.0, 0.0), (1.0, 2.0, 1.5), (0.5, 0.75, -2.0), (2.0, 1.5, 5.0)],
)
def test_moments_steady_state_is_wright(theta_f, theta_b, gamma):
    n_sample, n = 20, 100
    fs = np.asarray(
        moments.LinearSystem_1D.steady_state_1D_reversible(
            n_sample, gamma=gamma, theta_fd=theta_f, theta_bd=theta_b
        )
    )
    u, v, s = theta_f / (4 * n), theta_b / (4 * n), 2 * gamma / (4 * n)

    def weight(x: float, k: int) -> float:
        return float(
            stats.binom.pmf(k, n_sample, x) * wright_stationary_density(x, n, s=s, u=u, v=v)
        )

    ref = np.array(
        [
            integrate.quad(weight, 0, 1, args=(k,), limit=200, epsabs=1e-14, epsrel=1e-12)[0]
            for k in range(n_sample + 1)
        ]
    )
    np.testing.assert_allclose(fs, ref, atol=1e-12)
