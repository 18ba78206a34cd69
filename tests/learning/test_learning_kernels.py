"""Numba kernel vs NumPy twin (≤ 1e-12), and one kernel step vs the eigh-based coefficients.

Both draw their normals from a ``numpy.random.Generator`` passed in; equally seeded generators
must give the same increments (row-major ``standard_normal((n, d))`` per step).
"""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo._kernels import learning as kern
from quantgeo._kernels import learning_reference as ref
from quantgeo.learning import LangevinEnsemble, LearningProblem, langevin_coefficients
from quantgeo.learning.metric import matrix_function
from quantgeo.recording import Recorder
from tests.learning.conftest import SEED
from tests.learning.learning_helpers import (
    A2,
    KAPPA2,
    state_dependent_problem,
    state_dependent_problem_1d,
)

PROBLEMS = {
    "1d": state_dependent_problem_1d,
    "2d-full": lambda: state_dependent_problem(full=True),
    "2d-diag": lambda: state_dependent_problem(full=False),
    "2d-const": lambda: LearningProblem.quadratic(A2, KAPPA2),
}


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("a", [0.0, 0.25, 0.5, 1.0])
@pytest.mark.parametrize("covariant", [False, True])
def test_kernel_equals_numpy_twin(
    rng: np.random.Generator, name: str, a: float, covariant: bool
) -> None:
    prob = PROBLEMS[name]()
    ptr, pw, cf = prob.packed()
    q0 = rng.standard_normal((500, prob.dim))
    g1, g2 = np.random.default_rng(SEED + 1), np.random.default_rng(SEED + 1)
    q1, q2 = q0.copy(), q0.copy()
    kern.langevin_em(q1, g1, 80, 0.01, 0.8, a, 1.3, 1e-3, ptr, pw, cf, covariant)
    ref.langevin_em(q2, g2, 80, 0.01, 0.8, a, 1.3, 1e-3, ptr, pw, cf, covariant)
    assert np.abs(q1 - q0).max() > 0.05
    assert np.abs(q1 - q2).max() <= 1e-12 * np.abs(q2).max()
    # both consumed exactly the 80·500·d normals of the stream
    assert g1.bit_generator.state == g2.bit_generator.state
    expect = np.random.default_rng(SEED + 1)
    expect.standard_normal((80, 500, prob.dim))
    assert g1.bit_generator.state == expect.bit_generator.state


@pytest.mark.parametrize("name", ["1d", "2d-full"])
def test_kernel_split_into_calls_is_one_stream(rng: np.random.Generator, name: str) -> None:
    """Steps split over several calls with one generator == all steps in one call, bitwise
    (the driver's chunking cannot change a run)."""
    prob = PROBLEMS[name]()
    ptr, pw, cf = prob.packed()
    q0 = rng.standard_normal((300, prob.dim))  # 300: a full block and a partial one
    q1, q2 = q0.copy(), q0.copy()
    kern.langevin_em(q1, np.random.default_rng(3), 20, 0.01, 0.8, 0.5, 1.3, 1e-3, ptr, pw, cf, True)
    g = np.random.default_rng(3)
    for m in (7, 0, 13):
        kern.langevin_em(q2, g, m, 0.01, 0.8, 0.5, 1.3, 1e-3, ptr, pw, cf, True)
    np.testing.assert_array_equal(q1, q2)


@pytest.mark.parametrize("name", ["1d", "2d-full"])
@pytest.mark.parametrize("a", [0.0, 0.5, 0.75, 1.0])
@pytest.mark.parametrize("convention", ["ito", "covariant"])
def test_one_step_matches_coefficients(
    rng: np.random.Generator, name: str, a: float, convention: str
) -> None:
    """q' = q + β(q) dt + S(q) ξ √dt with β from langevin_coefficients (eigh, Daleckii–Krein)
    and S = −γ g⁻¹ κ^{1/2} (scipy-free matrix functions via eigh)."""
    prob = PROBLEMS[name]()
    d = prob.dim
    gamma, c, eps, dt = 0.8, 1.3, 1e-3, 0.01
    q0 = rng.standard_normal((300, d))
    # the increments the kernel draws: NumPy's stream of an equally seeded generator
    xi = np.random.default_rng(SEED + 2).standard_normal((1, 300, d))
    q1 = q0.copy()
    ptr, pw, cf = prob.packed()
    g = np.random.default_rng(SEED + 2)
    kern.langevin_em(q1, g, 1, dt, gamma, a, c, eps, ptr, pw, cf, convention == "covariant")
    co = langevin_coefficients(prob, q0, a, gamma=gamma, c=c, eps=eps, convention=convention)
    kap = prob.kappa_at(q0)
    root = matrix_function(kap, np.sqrt, diagonal=False)
    ginv = matrix_function(kap, lambda lam: 1.0 / (c * (lam + eps) ** a), diagonal=False)
    noise = -gamma * np.einsum("nij,njk,nk->ni", ginv, root, xi[0])
    expect = q0 + co.drift * dt + noise * np.sqrt(dt)
    np.testing.assert_allclose(q1, expect, rtol=1e-11, atol=1e-12)
    # the noise term has covariance D dt
    np.testing.assert_allclose(
        np.einsum("nij,njk,nlk->nil", ginv, root, np.einsum("nij,njk->nik", ginv, root)) * gamma**2,
        co.diffusion,
        rtol=1e-11,
        atol=1e-13,
    )


def test_ensemble_backends_agree_and_are_reproducible() -> None:
    prob = state_dependent_problem(full=True)
    runs = []
    for backend in ("numba", "numpy", "numba"):
        ens = LangevinEnsemble(
            prob, 0.5, dt=0.01, n_walkers=2000, seed=7, backend=backend, convention="covariant"
        )
        tr = ens.run(
            np.array([0.5, -0.5]),
            (0.0, 0.5),
            recorder=Recorder(observables=("mean",), store_states=True),
        )
        runs.append(tr.states[-1])
    assert np.abs(runs[0] - runs[1]).max() <= 1e-12 * np.abs(runs[1]).max()
    np.testing.assert_array_equal(runs[0], runs[2])
