"""Every engine through the one run contract of ``quantgeo.solvers.base``.

Each engine is an :class:`~quantgeo.solvers.base.Engine`; each is run with a recorder whose
times start after ``t0`` and must return exactly those times, ``info`` with the common keys, and
results equal to an independent reference within the error of its method:

- split-operator (Strang, order 2) and imaginary time: against ``scipy.sparse.linalg.
  expm_multiply`` / the eigen-decomposition of the same lattice matrix; the error at ``dt`` must
  be the order-2 error, i.e. 4× (within 3…5.3, the O(dt³) remainder) the error at ``dt/2``;
- lattice learning variables (DOP853 at rtol = atol = 1e-10): within E1's 1e-6;
- Langevin ensemble: the exact mean and covariance of the Euler–Maruyama chain, within 4
  computed standard errors (12 comparisons: false alarm ≤ 12·6.3e-5);
- Fokker–Planck (second order in h and dt): the Ornstein–Uhlenbeck mean and variance; the error
  must fall by 4× (within 3…5.3) when h and dt are halved;
- Born ensemble at a = 1: the histogram's distance to |ψ(t)|² within 4 floor standard deviations
  and the walkers' mean within 4 standard errors of ⟨x⟩ of |ψ(t)|².
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.linalg as sla
from scipy.sparse.linalg import expm_multiply

import quantgeo as qg
from quantgeo import Hamiltonian, Lattice, Recorder, coherent
from quantgeo.emergence import BornEnsemble, MadelungLattice
from quantgeo.errors import QuantgeoWarning
from quantgeo.learning import FokkerPlanck, Grid, LangevinEnsemble, LearningProblem
from quantgeo.learning.metric import inverse_metric
from quantgeo.learning.predictions import stationary_covariance
from quantgeo.learning.regimes import cov_se
from quantgeo.potentials import harmonic
from quantgeo.solvers import Engine, ImaginaryTimeSolver, SplitOperatorSolver
from quantgeo.solvers.base import COMMON_INFO_KEYS, Plan, step_plan

T_SPAN = (0.0, 1.0)
TIMES = np.array([0.3, 0.7, 1.0])  # start after t0


@pytest.fixture(scope="module")
def trap() -> Hamiltonian:
    return Hamiltonian(Lattice(128, (-10.0, 10.0)), harmonic(1.0))


@pytest.fixture(scope="module")
def psi0(trap):
    return coherent(trap, center=1.5)


def _exact(ham: Hamiltonian, psi0, times) -> np.ndarray:
    h = ham.to_sparse().tocsc()
    return np.stack([expm_multiply(-1j * t / ham.hbar * h, psi0.data) for t in times])


def _l2(a: np.ndarray, b: np.ndarray, dv: float) -> float:
    return float(np.max(np.sqrt(np.sum(np.abs(a - b) ** 2, axis=-1) * dv)))


def _check_contract(engine, traj, times=TIMES) -> None:
    assert isinstance(engine, Engine)
    np.testing.assert_array_equal(traj.times, times)
    missing = [k for k in COMMON_INFO_KEYS if k not in traj.info]
    assert not missing, missing
    assert traj.info["steps"] > 0 and traj.info["run_time"] >= 0.0


# -- the plan --------------------------------------------------------------------------------
def test_step_plan_lands_on_the_record_times_with_steps_at_most_dt() -> None:
    times = np.array([0.25, 0.25, 0.7, 1.0])
    plan = step_plan(times, 0.0, 0.1)
    assert isinstance(plan, Plan)
    np.testing.assert_array_equal(plan.times, times)
    assert [iv.steps for iv in plan.intervals] == [3, 0, 5, 3]
    for iv in plan.intervals:
        assert iv.steps == 0 or iv.h <= 0.1 * (1 + 1e-12)
        assert iv.t_start + iv.steps * iv.h == pytest.approx(iv.t_end, abs=1e-15)
    with pytest.raises(ValueError, match="record times must be increasing"):
        step_plan([0.5, 0.2], 0.0, 0.1)


def test_a_plain_object_is_not_an_engine() -> None:
    assert not isinstance(object(), Engine)


# -- split-operator and imaginary time --------------------------------------------------------
def _errors_at_dt_and_half(make, ham, psi0, error) -> list[float]:
    """``error(traj)`` of the runs of ``make(ham, dt)`` for dt = 0.02 and 0.01, each checked
    against the contract."""
    errs = []
    for dt in (0.02, 0.01):
        engine = make(ham, dt)
        traj = engine.run(psi0, T_SPAN, recorder=Recorder(TIMES))
        _check_contract(engine, traj)
        errs.append(error(traj))
    return errs


def test_split_operator_through_the_protocol(trap, psi0) -> None:
    exact = _exact(trap, psi0, TIMES)
    errs = _errors_at_dt_and_half(
        SplitOperatorSolver,
        trap,
        psi0,
        lambda traj: _l2(traj.states.reshape(3, -1), exact, trap.lattice.cell_volume),
    )
    assert 3.0 < errs[0] / errs[1] < 5.3, errs


def test_a_record_at_t0_changes_nothing_else(trap, psi0) -> None:
    solver = SplitOperatorSolver(trap, 0.01)
    late = solver.run(psi0, T_SPAN, recorder=Recorder(TIMES))
    full = solver.run(psi0, T_SPAN, recorder=Recorder([0.0, *TIMES]))
    np.testing.assert_array_equal(full.states[1:], late.states)
    np.testing.assert_array_equal(full.states[0], psi0.data)
    assert full.info["steps"] == late.info["steps"]


def _imaginary_energies(ham: Hamiltonian, psi0, taus) -> np.ndarray:
    """⟨H⟩ of e^{−Hτ/ħ}ψ₀ (normalised) by eigen-decomposition of the lattice matrix."""
    e, u = sla.eigh(ham.to_sparse().toarray())
    c2 = np.abs(u.T @ psi0.data) ** 2
    out = []
    for tau in taus:
        w = c2 * np.exp(-2.0 * (e - e[0]) * tau / ham.hbar)
        out.append(float(w @ e / w.sum()))
    return np.array(out)


def test_imaginary_time_through_the_protocol(trap, psi0) -> None:
    exact = _imaginary_energies(trap, psi0, TIMES)

    def error(traj) -> float:
        assert traj.info["energy"] == traj["energy"][-1]
        np.testing.assert_allclose(traj["norm"], 1.0, rtol=1e-13)
        assert np.all(np.diff(traj["energy"]) < 0)  # relaxing
        return float(np.max(np.abs(traj["energy"] - exact)))

    errs = _errors_at_dt_and_half(ImaginaryTimeSolver, trap, psi0, error)
    assert 3.0 < errs[0] / errs[1] < 5.3, errs


def test_relaxation_is_ground_state(trap) -> None:
    """Without ``t_span`` the solver relaxes until converged; ground_state is a thin wrapper
    (identical numbers) and the energy is the lattice ground energy to O(τ⁴)."""
    dtau = 0.01
    traj = ImaginaryTimeSolver(trap, dtau).run()
    gs = SplitOperatorSolver(trap, dtau).ground_state()
    info = traj.info
    assert info["converged"] and gs.converged
    assert (info["energy"], info["steps"], info["residual"]) == (gs.energy, gs.steps, gs.residual)
    np.testing.assert_array_equal(traj.state(-1).data, gs.state.data)
    # what the scenario layer builds by hand: one record at steps·dτ, energy, norm, the state
    np.testing.assert_array_equal(traj.times, [gs.steps * dtau])
    assert traj["energy"][0] == gs.energy and traj["norm"][0] == pytest.approx(1.0, abs=1e-14)
    e0 = sla.eigh(trap.to_sparse().toarray(), eigvals_only=True, subset_by_index=[0, 0])[0]
    # variational and of order 4 in τ (steps large enough that the splitting error dominates
    # the convergence tolerance): E(τ) − E0 = 16/15·(E(τ) − E(τ/2)) up to O(τ⁶)
    e_tau, e_half = (
        ImaginaryTimeSolver(trap, tau, tol=1e-15).run().info["energy"] for tau in (0.1, 0.05)
    )
    assert e_tau > e_half > e0
    assert e_tau - e0 == pytest.approx(16 / 15 * (e_tau - e_half), rel=0.05, abs=0.0)


def test_relaxation_that_does_not_converge_warns(trap, psi0) -> None:
    with pytest.warns(QuantgeoWarning, match="did not converge.*last energy change [1-9]"):
        traj = ImaginaryTimeSolver(trap, 0.01, max_steps=40).run(psi0)
    assert not traj.info["converged"] and traj.info["steps"] == 40
    np.testing.assert_array_equal(traj.times, [40 * 0.01])
    with pytest.warns(QuantgeoWarning, match="did not converge"):
        SplitOperatorSolver(trap, 0.01).ground_state(psi0, max_steps=40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a fixed span is not a relaxation: no warning, converged is reported only
        ImaginaryTimeSolver(trap, 0.01).run(psi0, (0.0, 0.4))


def test_imaginary_time_is_exported_and_validates(trap) -> None:
    assert qg.ImaginaryTimeSolver is ImaginaryTimeSolver and qg.Engine is Engine
    with pytest.raises(ValueError, match="`dtau` must be positive"):
        ImaginaryTimeSolver(trap, 0.0)
    with pytest.raises(ValueError, match="`backend` must be one of 'numba', 'numpy'"):
        ImaginaryTimeSolver(trap, 0.01, backend="cuda")


# -- lattice learning variables and QuTiP ------------------------------------------------------
def test_learning_variables_through_the_protocol(trap, psi0) -> None:
    engine = MadelungLattice(trap)
    traj = engine.run(psi0, T_SPAN, recorder=Recorder(TIMES))
    _check_contract(engine, traj)
    exact = _exact(trap, psi0, TIMES)
    assert _l2(traj.states.reshape(3, -1), exact, trap.lattice.cell_volume) <= 1e-6


@pytest.mark.qutip
def test_qutip_reference_through_the_protocol(trap, psi0) -> None:
    engine = qg.QutipReference(trap)
    traj = engine.run(psi0, T_SPAN, recorder=Recorder(TIMES))
    assert isinstance(engine, Engine)
    np.testing.assert_array_equal(traj.times, TIMES)
    assert "engine" in traj.info and "run_time" in traj.info
    exact = _exact(trap, psi0, TIMES)
    assert _l2(traj.states.reshape(3, -1), exact, trap.lattice.cell_volume) <= 1e-8


# -- learning engines ---------------------------------------------------------------------------
A2 = np.array([[2.0, 0.6], [0.6, 1.0]])
KAPPA2 = np.array([[0.5, -0.25], [-0.25, 1.5]])


def test_langevin_ensemble_through_the_protocol() -> None:
    """Records after t0 (rejected before this contract) equal the chain's exact moments."""
    gamma, a, dt, walkers = 0.8, 0.5, 0.02, 20_000
    prob = LearningProblem.quadratic(A2, KAPPA2)
    ens = LangevinEnsemble(prob, a, gamma=gamma, dt=dt, n_walkers=walkers, seed=4)
    q0 = np.array([1.0, -0.5])
    times = np.array([0.2, 0.5, 1.0])
    traj = ens.run(q0, T_SPAN, recorder=Recorder(times, observables=("mean",)))
    _check_contract(ens, traj, times)
    ginv = inverse_metric(KAPPA2, a, diagonal=False)
    m = np.eye(2) - gamma * dt * ginv @ A2
    diff = gamma**2 * ginv @ KAPPA2 @ ginv
    mean, cov, n_done, failures = q0.copy(), np.zeros((2, 2)), 0, []
    for k, t in enumerate(times):
        for _ in range(round(t / dt) - n_done):
            mean, cov = m @ mean, m @ cov @ m.T + dt * diff
        n_done = round(t / dt)
        q = traj.states[k]
        se = q.std(axis=0, ddof=1) / math.sqrt(walkers)
        c_hat, c_se = cov_se(q)
        failures += [f"mean t={t}" for i in range(2) if abs(q[:, i].mean() - mean[i]) > 4 * se[i]]
        failures += [
            f"cov{i}{j} t={t}"
            for i, j in ((0, 0), (0, 1), (1, 1))
            if abs(c_hat[i, j] - cov[i, j]) > 4 * c_se[i, j]
        ]
    assert not failures, failures
    # the same records from a run that also records t0: identical walkers
    full = ens.run(q0, T_SPAN, recorder=Recorder([0.0, *times], observables=("mean",)))
    np.testing.assert_array_equal(full.states[1:], traj.states)


def test_fokker_planck_through_the_protocol() -> None:
    """1D Ornstein–Uhlenbeck density: mean m₀e^{−Mt}, variance Σ∞ + e^{−2Mt}(Σ₀ − Σ∞)."""
    A, kap, a, gamma = np.array([[1.5]]), np.array([[0.8]]), 0.5, 1.0
    prob = LearningProblem.quadratic(A, kap)
    rate = gamma * float(inverse_metric(kap, a)[0, 0]) * float(A[0, 0])
    s_inf = float(stationary_covariance(A, kap, a, gamma=gamma)[0, 0])
    m0, s0 = 1.0, 0.2
    m_ex = m0 * np.exp(-rate * TIMES)
    s_ex = s_inf + np.exp(-2 * rate * TIMES) * (s0 - s_inf)
    errs = []
    for n, dt in ((100, 0.02), (200, 0.01)):
        grid = Grid([(-5.0, 5.0)], n)
        fp = FokkerPlanck(prob, grid, a, gamma=gamma, dt=dt)
        traj = fp.run(
            grid.gaussian([m0], [[s0]]),
            T_SPAN,
            recorder=Recorder(TIMES, observables=("mean", "cov")),
        )
        _check_contract(fp, traj)
        errs.append(
            float(
                np.max(np.abs(traj["mean"][:, 0] - m_ex))
                + np.max(np.abs(traj["cov"][:, 0, 0] - s_ex))
            )
        )
    assert 3.0 < errs[0] / errs[1] < 5.3, errs


def test_born_ensemble_through_the_protocol(trap, psi0) -> None:
    walkers = 5_000
    ens = BornEnsemble(trap, 1.0, walkers, seed=3)
    obs = ("tv", "floor_mean", "floor_std", "mean")
    traj = ens.run(psi0, T_SPAN, recorder=Recorder(TIMES, observables=obs))
    _check_contract(ens, traj)
    z = (traj["tv"] - traj["floor_mean"]) / traj["floor_std"]
    assert np.all(z <= 4.0), z
    exact = _exact(trap, psi0, TIMES)
    x = trap.lattice.axes[0]
    p = np.abs(exact) ** 2
    p /= p.sum(axis=1, keepdims=True)
    mean = p @ x
    sd = np.sqrt(p @ x**2 - mean**2)
    assert np.all(np.abs(traj["mean"][:, 0] - mean) <= 4 * sd / math.sqrt(walkers))


# -- the shared pieces --------------------------------------------------------------------------
def test_every_engine_rejects_a_reversed_span(trap, psi0) -> None:
    prob = LearningProblem.quadratic(A2, KAPPA2)
    grid = Grid([(-4.0, 4.0), (-4.0, 4.0)], 8)
    cases = [
        (SplitOperatorSolver(trap, 0.01), psi0),
        (ImaginaryTimeSolver(trap, 0.01), psi0),
        (MadelungLattice(trap), psi0),
        (BornEnsemble(trap, 1.0, 100), psi0),
        (LangevinEnsemble(prob, 0.5, n_walkers=10), np.zeros(2)),
        (FokkerPlanck(prob, grid, 0.5), grid.gaussian([0, 0], np.eye(2))),
    ]
    for engine, state in cases:
        with pytest.raises(ValueError, match="`t_span` must"):
            engine.run(state, (1.0, 0.0))


def test_learning_engines_default_to_the_covariant_form() -> None:
    """THEORY §1: the covariant Fokker–Planck form is the model; ``"ito"`` stays an option."""
    from quantgeo.learning.coefficients import langevin_coefficients
    from tests.learning.learning_helpers import state_dependent_problem_1d

    prob = state_dependent_problem_1d()
    grid = Grid([(-4.5, 4.5)], 40)
    fp = FokkerPlanck(prob, grid, 1.0)
    assert fp.convention == "covariant"
    assert LangevinEnsemble(prob, 1.0, n_walkers=10).convention == "covariant"
    cov = FokkerPlanck(prob, grid, 1.0, convention="covariant").operator
    ito = FokkerPlanck(prob, grid, 1.0, convention="ito").operator
    assert (fp.operator != cov).nnz == 0 and (fp.operator != ito).nnz > 0
    pts = grid.points()
    np.testing.assert_array_equal(
        langevin_coefficients(prob, pts, 1.0).drift,
        langevin_coefficients(prob, pts, 1.0, convention="covariant").drift,
    )


def test_one_kernel_selector_and_warmup() -> None:
    from quantgeo._kernels import BACKENDS, FAMILIES, kernels, reference, split, warmup
    from quantgeo.emergence import madelung
    from quantgeo.learning import ensemble
    from quantgeo.solvers import split_operator

    assert split_operator.BACKENDS is BACKENDS is madelung.BACKENDS is ensemble.BACKENDS
    assert kernels("split", "numba") is split and kernels("split", "numpy") is reference
    assert set(FAMILIES) == {"split", "madelung", "learning", "evolution", "learners", "fftw"}
    for fam in FAMILIES:
        assert kernels(fam, "numba").__name__ != kernels(fam, "numpy").__name__
    with pytest.raises(ValueError, match="`family` must be one of"):
        kernels("fft", "numba")
    with pytest.raises(ValueError, match="`backend` must be one of 'numba', 'numpy', got 'cuda'"):
        kernels("split", "cuda")
    warmup()  # everything, once
    assert warmup() == 0.0 and warmup((1, 2)) == 0.0 and madelung.warmup() == 0.0
    with pytest.raises(ValueError, match="`families` must be one of"):
        warmup(("gpu",))


# -- the engines added since: populations and lattice learners ----------------------------------
def test_wright_fisher_through_the_protocol() -> None:
    """Neutral heterozygosity against the exact H_t = H_0(1 − 1/N_g)^t, within 4 standard
    errors of the replicate mean (3 comparisons)."""
    from quantgeo.evolution import WrightFisher, heterozygosity_decay

    gens = np.array([5.0, 10.0, 20.0])
    wf = WrightFisher(50, n_alleles=2, seed=11)
    rec = Recorder(gens, observables=("heterozygosity", "heterozygosity_se"))
    traj = wf.run(np.array([0.5, 0.5]), (0, 20), recorder=rec, replicates=20_000)
    _check_contract(wf, traj, gens)
    exact = heterozygosity_decay(gens, 0.5, 50)
    assert np.all(np.abs(traj["heterozygosity"] - exact) <= 4 * traj["heterozygosity_se"])


def test_kimura_diffusion_through_the_protocol() -> None:
    """Fixed mass after ~40 N generations against Kimura's u(p) (converged grid: the error of
    the node chain at 400 cells is ≤ 1e-5, issue 10's measurement; tolerance 1e-3 leaves room
    for the ~e^{−t/(2N)} mass not yet absorbed)."""
    from quantgeo.evolution import KimuraDiffusion, kimura_fixation_probability

    times = np.array([500.0, 2000.0])
    kd = KimuraDiffusion(50, s=0.01, dt=1.0)
    traj = kd.run(0.3, (0.0, 2000.0), recorder=Recorder(times, observables=("fixed", "lost")))
    _check_contract(kd, traj, times)
    u = float(kimura_fixation_probability(0.3, 50, 0.01))
    assert abs(traj["fixed"][-1] - u) <= 1e-3
    assert abs(traj["fixed"][-1] + traj["lost"][-1] - 1.0) <= 1e-3


def test_lattice_learners_through_the_protocol(trap, psi0) -> None:
    """Bell-jump learners at a = 1: the histogram's distance to |ψ(t)|² within 4 floor
    standard deviations at every record (equivariance)."""
    from quantgeo.emergence import LatticeLearners

    learners = LatticeLearners(trap, 5_000, seed=4)
    obs = ("tv", "floor_mean", "floor_std")
    traj = learners.run(psi0, T_SPAN, recorder=Recorder(TIMES, observables=obs))
    _check_contract(learners, traj)
    z = (traj["tv"] - traj["floor_mean"]) / traj["floor_std"]
    assert np.all(z <= 4.0), z
