"""Learner animations: the histogram as bars over |ψ(t)|² (1D), learner dots over the density
image (2D), streamed to a GIF with one frame per record time."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from quantgeo import Hamiltonian, Lattice, coherent
from quantgeo.animation import AnimationOptions, frames_of
from quantgeo.animation_learners import LearnerRenderer, animate_learners
from quantgeo.emergence import LatticeLearners
from quantgeo.potentials import harmonic

pytestmark = pytest.mark.animation

SPEC = AnimationOptions(size=(3.2, 2.4), dpi=50)


def _check_movie(result, path, frames):
    assert result.frames == frames
    images = list(frames_of(path))
    assert len(images) == frames
    w, h = result.size
    assert images[0].shape == (h, w, 3)
    # the learners move: every frame differs from the previous one
    for a, b in itertools.pairwise(images):
        assert np.any(a != b)


def test_1d_gif_has_one_frame_per_record(tmp_path):
    ham = Hamiltonian(Lattice(64, (-8.0, 8.0)), harmonic(1.0))
    psi0 = coherent(ham, center=2.0)
    path = tmp_path / "learners_1d.gif"
    res = animate_learners(LatticeLearners(ham, 2000, 1), psi0, (0.0, 0.5), path, every=0.1,
                           spec=SPEC)  # fmt: skip
    _check_movie(res, path, 6)
    assert res.writer == "pillow" and path.exists()


def test_2d_gif_draws_learner_dots(tmp_path):
    lat = Lattice((24, 16), ((-6.0, 6.0), (-3.0, 3.0)))
    ham = Hamiltonian(lat, harmonic(1.0), mass=(1.0, 4.0))
    psi0 = coherent(ham, center=(1.5, 0.5), momentum=(0.0, 1.0))
    path = tmp_path / "learners_2d.gif"
    res = animate_learners(LatticeLearners(ham, 3000, 2), psi0, (0.0, 0.4), path, every=0.1,
                           spec=SPEC, dots=500)  # fmt: skip
    _check_movie(res, path, 5)


def test_bad_arguments(tmp_path):
    ham = Hamiltonian(Lattice(32, (-8.0, 8.0)), harmonic(1.0))
    eng = LatticeLearners(ham, 100, 1)
    with pytest.raises(TypeError, match="`engine` must be a LatticeLearners"):
        animate_learners(object(), coherent(ham), (0.0, 0.1), tmp_path / "x.gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"output must end in \.gif or \.mp4"):
        animate_learners(eng, coherent(ham), (0.0, 0.1), tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"`jitter` must lie in \[0, 1\]"):
        LearnerRenderer(eng, SPEC, jitter=2.0)
    with pytest.raises(ValueError, match="`dots`"):
        LearnerRenderer(eng, SPEC, dots=0)


def test_bundled_scenario_movie(tmp_path):
    """``animate_learner_scenario``: the [learners] engine, about [animation].frames frames."""
    from quantgeo.animation_learners import animate_learner_scenario
    from quantgeo.scenario import find_scenarios, load_scenario

    path = next(p for p in find_scenarios() if p.stem == "lattice_learners")
    sc = load_scenario(path, fast=True, overrides={"animation.frames": 6, "animation.dpi": 40})
    res = animate_learner_scenario(sc, tmp_path / "crowd.gif", dots=300)
    # span 2.5 over 5 intervals: one frame every 0.5 (a multiple of refresh = 0.02)
    _check_movie(res, tmp_path / "crowd.gif", 6)
    with pytest.raises(ValueError, match="kind 'lattice_learners'"):
        other = next(p for p in find_scenarios() if p.stem == "free_packet")
        animate_learner_scenario(load_scenario(other, fast=True), tmp_path / "x.gif")
