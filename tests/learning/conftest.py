"""Shared fixtures of the learning tests."""

from __future__ import annotations

import numpy as np
import pytest

#: Seed of every random draw in these tests (walker noise is seeded per engine).
SEED = 20250611


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator (same numbers in every test run)."""
    return np.random.default_rng(SEED)
