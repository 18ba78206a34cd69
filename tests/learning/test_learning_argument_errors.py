"""Learning-side arguments: the documented range of ``a``, optimiser states of the wrong size,
integer checks, and the grid's face selectors against an independent construction."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo.learning import CovariantGD, Grid, LangevinEnsemble, LearningProblem, Quadratic
from quantgeo.learning.moments import EMAMoments
from tests.learning.learning_helpers import A2, KAPPA2


@pytest.mark.parametrize("a", [-0.1, 1.5])
def test_covariant_gd_refuses_a_outside_unit_interval(a: float) -> None:
    with pytest.raises(ValueError, match=rf"`a` must lie in \[0, 1\] .*got {a}"):
        CovariantGD(a, lr=0.1)


def test_covariant_gd_accepts_the_ends() -> None:
    assert CovariantGD(0.0, lr=0.1).a == 0.0
    assert CovariantGD(1.0, lr=0.1).a == 1.0


@pytest.mark.parametrize(
    ("kwargs", "part"),
    [
        ({}, r"moments\.m2 is \(3,\), `q` of size 2 needs \(2,\)"),
        ({"beta1": 0.9}, r"momentum is \(3,\), `q` of size 2 needs \(2,\)"),
        ({"moments": "ema-full"}, r"moments\.m2 is \(3, 3\), `q` of size 2 needs \(2, 2\)"),
        ({"centered": True}, r"moments\.m2 is \(3,\)"),
    ],
)
def test_optimiser_state_of_another_size(kwargs: dict, part: str) -> None:
    opt = CovariantGD(0.5, lr=0.1, **kwargs)
    state = opt.init(np.zeros(3))
    for call in (opt.step, opt.direction):
        with pytest.raises(ValueError, match=r"`state` was made for another size.*" + part):
            call(np.ones(2), np.ones(2), state)


def test_optimiser_state_of_another_optimiser() -> None:
    state = CovariantGD(0.5, lr=0.1, beta1=0.9).init(np.zeros(2))
    with pytest.raises(ValueError, match=r"`state` .* its momentum is \(2,\), .* needs None"):
        CovariantGD(0.5, lr=0.1).step(np.ones(2), np.ones(2), state)
    with pytest.raises(TypeError, match=r"`state` must be an OptState, got tuple"):
        CovariantGD(0.5, lr=0.1).step(np.ones(2), np.ones(2), (0, None))


def test_integer_arguments_name_themselves() -> None:
    quad = LearningProblem.quadratic(A2, KAPPA2)
    with pytest.raises(ValueError, match=r"`seed` must be a non-negative integer, got -1"):
        LangevinEnsemble(quad, 0.5, seed=-1)
    with pytest.raises(ValueError, match=r"`n_walkers` must be an integer ≥ 2, got 2\.0"):
        LangevinEnsemble(quad, 0.5, n_walkers=2.0)  # type: ignore[arg-type]
    opt = CovariantGD(0.5, lr=0.1)
    loss = Quadratic(np.eye(2))
    with pytest.raises(ValueError, match=r"`steps` must be a non-negative integer, got -1"):
        opt.minimize(loss, np.ones(2), -1)
    with pytest.raises(ValueError, match=r"`record_every` must be a positive integer, got 0"):
        opt.minimize(loss, np.ones(2), 1, record_every=0)
    with pytest.raises(ValueError, match=r"`batch_size` must be a positive integer or None"):
        opt.minimize(loss, np.ones(2), 1, batch_size=0)
    with pytest.raises(ValueError, match=r"`dim` must be a positive integer, got 0"):
        EMAMoments(0.9).init(0)
    with pytest.raises(ValueError, match=r"`factor` must be a positive integer, got 0"):
        Grid([(0.0, 1.0)], 8).coarsen(0)


@pytest.mark.parametrize("shape", [(7,), (3, 4)])
def test_interior_faces_match_cell_differences(shape: tuple[int, ...]) -> None:
    bounds = [(-1.0, 2.0), (0.0, 1.0)][: len(shape)]
    grid = Grid(bounds, shape)
    p = np.arange(grid.size, dtype=float) ** 1.5  # any cell values
    for ax in range(grid.ndim):
        left, right, points = grid.interior_faces(ax)
        cells = p.reshape(shape)
        below = np.take(cells, np.arange(shape[ax] - 1), axis=ax)
        above = np.take(cells, np.arange(1, shape[ax]), axis=ax)
        np.testing.assert_array_equal(left @ p, below.ravel())
        np.testing.assert_array_equal(right @ p, above.ravel())
        np.testing.assert_array_equal((right - left) @ p, np.diff(cells, axis=ax).ravel())
        # face centres: the interior edges along `ax`, the cell centres along the other axis
        expect_shape = list(shape)
        expect_shape[ax] -= 1
        assert points.shape == (*expect_shape, grid.ndim)
        for o, (lo, hi) in enumerate(bounds):
            n = shape[o]
            want = np.arange(1, n) / n if o == ax else (np.arange(n) + 0.5) / n
            np.testing.assert_allclose(
                np.unique(points[..., o]), lo + (hi - lo) * want, rtol=0, atol=1e-14
            )


def test_grid_and_lattice_share_the_box_geometry() -> None:
    from quantgeo.lattice import Lattice

    grid = Grid([(-1.0, 2.0), (0.0, 1.0)], (3, 4))
    lat = Lattice((3, 4), [(-1.0, 2.0), (0.0, 1.0)])
    assert grid.ndim == lat.ndim == 2 and grid.size == lat.size == 12
    assert grid.lengths == lat.lengths == (3.0, 1.0)
    assert grid.cell_volume == lat.cell_volume == 0.25
    assert isinstance(grid.spacing, np.ndarray) and isinstance(lat.spacing, tuple)
    np.testing.assert_array_equal(grid.spacing, lat.spacing)
