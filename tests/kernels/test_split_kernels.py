"""Every split-operator kernel equals its NumPy twin to ≤ 1e-12."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo._kernels import reference, split

SHAPES = [(64,), (16, 12), (8, 6, 10)]


def _random_state(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _unit_phases(rng: np.random.Generator, shape: tuple[int, ...] | int) -> np.ndarray:
    """``g = e^{iθ} − 1``: the kernels apply factors as ψ + ψ·g."""
    return np.exp(1j * rng.uniform(-np.pi, np.pi, shape)) - 1.0


def _kinetic(rng: np.random.Generator, shape: tuple[int, ...], n: int) -> tuple[np.ndarray, ...]:
    rest = int(np.prod(shape[:-1]))
    k_rest = _unit_phases(rng, (n, rest)) if rest > 1 else np.zeros((n, 1), complex)
    return k_rest, _unit_phases(rng, (n, shape[-1]))


@pytest.mark.parametrize("shape", SHAPES)
def test_apply_factor_matches_twin(rng, shape):
    a = _random_state(rng, shape)
    b = _random_state(rng, shape)
    x, y = a.copy(), a.copy()
    split.apply_factor(x, b)
    reference.apply_factor(y, b)
    assert np.max(np.abs(x - y)) <= 1e-12 * np.max(np.abs(y))


@pytest.mark.parametrize("shape", SHAPES)
def test_apply_kinetic_matches_twin_and_outer_product(rng, shape):
    spec = _random_state(rng, shape)
    k_rest, k_last = _kinetic(rng, shape, 1)
    x, y = spec.copy(), spec.copy()
    split.apply_kinetic(x, k_rest[0], k_last[0])
    reference.apply_kinetic(y, k_rest[0], k_last[0])
    assert np.max(np.abs(x - y)) <= 1e-12 * np.max(np.abs(y))
    full = np.outer(1 + k_rest[0], 1 + k_last[0]).reshape(shape)
    assert np.max(np.abs(x - spec * full)) <= 1e-13 * np.max(np.abs(x))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("workers", [1, 2])
def test_kinetic_step_matches_twin(rng, shape, workers):
    psi = _random_state(rng, shape)
    k_rest, k_last = _kinetic(rng, shape, 1)
    x, y = psi.copy(), psi.copy()
    split.kinetic_step(x, k_rest[0], k_last[0], workers)
    reference.kinetic_step(y, k_rest[0], k_last[0], workers)
    assert np.max(np.abs(x - y)) <= 1e-12 * np.max(np.abs(y))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("stages", [1, 3])
def test_split_evolve_matches_twin(rng, shape, stages):
    psi = _random_state(rng, shape)
    v = np.stack([_unit_phases(rng, shape) for _ in range(stages + 2)])
    k_rest, k_last = _kinetic(rng, shape, 2)
    v_index = np.arange(stages + 1, dtype=np.int64)
    k_index = rng.integers(0, 2, stages).astype(np.int64)
    x, y = psi.copy(), psi.copy()
    split.split_evolve(x, v, k_rest, k_last, v_index, k_index, stages + 1, 7, 1)
    reference.split_evolve(y, v, k_rest, k_last, v_index, k_index, stages + 1, 7, 1)
    # Unit-modulus factors: the error of 7 steps is a few ulps per FFT pass.
    assert np.max(np.abs(x - y)) <= 1e-12 * np.max(np.abs(y))


def test_kernels_write_in_place(rng):
    psi = _random_state(rng, (32,))
    before = psi.ctypes.data
    split.kinetic_step(psi, np.zeros(1, complex), np.zeros(32, complex), 1)
    assert psi.ctypes.data == before


@pytest.mark.parametrize("shape", SHAPES)
def test_fft_pair_matches_twin(rng, shape):
    psi = _random_state(rng, shape)
    x, y = psi.copy(), psi.copy()
    split.fft_pair(x, 3, 1)
    reference.fft_pair(y, 3, 1)
    assert np.max(np.abs(x - y)) <= 1e-12 * np.max(np.abs(y))
    assert np.max(np.abs(x - psi)) <= 1e-13 * np.max(np.abs(psi))


@pytest.mark.parametrize("shape", SHAPES)
def test_apply_kinetic_scaled_matches_twin_and_unscaled(rng, shape):
    spec = _random_state(rng, shape)
    k_rest, k_last = _kinetic(rng, shape, 1)
    x, y, z = spec.copy(), spec.copy(), spec.copy()
    scale = 1.0 / spec.size
    split.apply_kinetic_scaled(x, k_rest[0], k_last[0], scale)
    reference.apply_kinetic_scaled(y, k_rest[0], k_last[0], scale)
    assert np.max(np.abs(x - y)) <= 1e-12 * np.max(np.abs(y))
    split.apply_kinetic(z, k_rest[0], k_last[0])
    assert np.max(np.abs(x - z * scale)) <= 1e-15 * np.max(np.abs(x))
