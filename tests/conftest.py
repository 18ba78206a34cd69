"""Shared fixtures: a seeded generator and small reference helpers; the hypothesis profiles."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import numpy as np
import pytest

try:  # the moments check runs these tests in a venv of its own, without hypothesis
    from hypothesis import settings
except ImportError:  # pragma: no cover
    settings = None

# CI runs the same examples every time (derandomize): a CI run cannot fail on a draw nobody has
# seen before, and a failure there reproduces locally with HYPOTHESIS_PROFILE=ci.  Developers
# keep the random profile, which explores new inputs on every run (and stores failures in the
# example database).
if settings is not None:
    settings.register_profile("ci", derandomize=True, print_blob=True)
    settings.register_profile("dev")
    settings.load_profile(
        os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
    )


# fft="auto" caches its decisions and FFTW's wisdom (quantgeo.solvers.fft.cache_dir): a test
# run, and the CLI subprocesses it starts, use a folder of their own, not the user's cache.
if not os.environ.get("QUANTGEO_CACHE_DIR"):
    os.environ["QUANTGEO_CACHE_DIR"] = tempfile.mkdtemp(prefix="quantgeo-test-cache-")
    atexit.register(shutil.rmtree, os.environ["QUANTGEO_CACHE_DIR"], ignore_errors=True)


@pytest.fixture
def rng() -> np.random.Generator:
    """Seeded generator: every random test is reproducible."""
    return np.random.default_rng(20261123)


@pytest.fixture
def own_fft_cache(tmp_path, monkeypatch):
    """The test reads and writes its own FFT cache folder (``fft="auto"`` decisions, FFTW
    wisdom), with the FFT module's per-process state cleared before and after."""
    from quantgeo.solvers import fft as fftmod

    monkeypatch.setenv("QUANTGEO_CACHE_DIR", str(tmp_path / "cache"))
    fftmod.clear_process_state()
    yield
    fftmod.clear_process_state()


def chi_square(counts: np.ndarray, pmf: np.ndarray) -> tuple[float, int]:
    """Pearson's statistic and its degrees of freedom for ``counts`` against ``pmf``, with the
    tails pooled until every bin expects ≥ 5 (Cochran)."""
    expected = counts.sum() * pmf
    keep = np.flatnonzero(expected >= 5)
    a, b = keep[0], keep[-1]
    obs = np.concatenate([[counts[:a].sum()], counts[a : b + 1], [counts[b + 1 :].sum()]])
    exp = np.concatenate([[expected[:a].sum()], expected[a : b + 1], [expected[b + 1 :].sum()]])
    ok = exp > 0
    return float(np.sum((obs[ok] - exp[ok]) ** 2 / exp[ok])), int(ok.sum()) - 1


def fit_order(dts: np.ndarray, errors: np.ndarray) -> float:
    """Least-squares slope of log(error) against log(dt)."""
    return float(np.polyfit(np.log(dts), np.log(errors), 1)[0])
