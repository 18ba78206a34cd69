"""Animations: real GIFs (frame count, frames differ), MP4 when ffmpeg is present, atomic
output, streaming writer, and memory that does not grow with the number of frames."""

from __future__ import annotations

import io
import itertools
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantgeo import cli
from quantgeo.animation import (
    FrameRenderer,
    GifWriter,
    animate,
    animate_trajectory,
    frames_of,
    mp4_available,
)
from quantgeo.scenario import load_scenario, scenario_from_text

pytestmark = pytest.mark.animation

FREE = """
[scenario]
name = "free"
description = "free packet"

[lattice]
shape = 128
bounds = [-20.0, 20.0]

[hamiltonian]
kinetic = "spectral"

[hamiltonian.potential]
type = "harmonic"
omega = 0.2

[initial_state]
type = "coherent"
center = -3.0
momentum = 1.0

[solver]
dt = 0.05
t_end = 4.0

[expect]
max_norm_drift = 1e-10

[animation]
frames = 12
fps = 10
dpi = 50
"""

SLIT = """
[scenario]
name = "slit"
description = "2D"

[lattice]
shape = [48, 48]
bounds = [[-8.0, 8.0], [-8.0, 8.0]]

[hamiltonian]
kinetic = "spectral"

[hamiltonian.potential]
type = "double_slit"
separation = 3.0
slit_width = 1.0
thickness = 0.7

[initial_state]
type = "gaussian"
center = [-4.0, 0.0]
width = [1.0, 2.0]
momentum = [3.0, 0.0]

[solver]
dt = 0.02
t_end = 2.0

[expect]
max_norm_drift = 1e-10

[animation]
frames = 8
size = [3.0, 3.0]
dpi = 50
"""


def distinct_frames(frames: list[np.ndarray]) -> bool:
    return all(not np.array_equal(a, b) for a, b in itertools.pairwise(frames))


def test_1d_gif_frame_count_and_motion(tmp_path: Path) -> None:
    sc = scenario_from_text(FREE, "free.toml")
    out = tmp_path / "free.gif"
    res = animate(sc, out)
    assert res.frames == 12 and res.writer == "pillow" and res.path == out
    with Image.open(out) as im:
        assert im.n_frames == 12
        assert im.size == res.size == (320, 200)
        assert im.info["duration"] == 100 and im.info["loop"] == 0
    frames = list(frames_of(out))
    assert len(frames) == 12 and distinct_frames(frames)
    assert not [p for p in tmp_path.iterdir() if p.name != "free.gif"]


def test_2d_gif_with_phase_hue(tmp_path: Path) -> None:
    sc = scenario_from_text(SLIT, "slit.toml")
    out = tmp_path / "slit.gif"
    res = animate(sc, out, frames=6, fps=5)
    frames = list(frames_of(out))
    assert res.frames == len(frames) == 6 and distinct_frames(frames)
    hues = frames[2].reshape(-1, 3).astype(int)
    assert len({tuple(c) for c in hues[::7]}) > 30, "phase shows as many hues"


@pytest.mark.skipif(not mp4_available(), reason="imageio-ffmpeg not installed")
def test_mp4_when_ffmpeg_is_present(tmp_path: Path) -> None:
    import imageio_ffmpeg

    sc = scenario_from_text(FREE, "free.toml")
    out = tmp_path / "free.mp4"
    res = animate(sc, out, frames=10)
    assert res.writer == "ffmpeg" and out.stat().st_size > 1000
    n_frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert n_frames == 10


def test_overlay_analytic_and_qutip(tmp_path: Path) -> None:
    sc = scenario_from_text(FREE, "free.toml")
    a = animate(sc, tmp_path / "a.gif", frames=3, overlay="analytic")
    q = animate(sc, tmp_path / "q.gif", frames=3, overlay="qutip")
    assert a.frames == q.frames == 3
    rabi = FREE.replace('kinetic = "spectral"', 'kinetic = "lattice"')
    with pytest.raises(ValueError, match="closed-form"):
        animate(scenario_from_text(rabi, "r.toml"), tmp_path / "x.gif", overlay="analytic")


def test_failure_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sc = scenario_from_text(FREE, "free.toml")
    calls = {"n": 0}
    real = FrameRenderer.render

    def flaky(self, t, psi):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("boom")
        return real(self, t, psi)

    monkeypatch.setattr(FrameRenderer, "render", flaky)
    with pytest.raises(RuntimeError, match="boom"):
        animate(sc, tmp_path / "x.gif")
    assert list(tmp_path.iterdir()) == []


def test_bad_requests(tmp_path: Path) -> None:
    sc = scenario_from_text(FREE, "free.toml")
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        animate(sc, tmp_path / "x.avi")
    imag = FREE.replace("t_end = 4.0", 'mode = "imaginary"').replace(
        "max_norm_drift = 1e-10", '[[expect.analytic]]\ncheck = "ground_energy"\ntolerance = 1.0'
    )
    with pytest.raises(ValueError, match="mode = 'real'"):
        animate(scenario_from_text(imag, "i.toml"), tmp_path / "x.gif")


def test_gif_writer_streams_exact_palette_frames() -> None:
    buf = io.BytesIO()
    w = GifWriter(buf, (16, 8), fps=25)
    frames = []
    for k in range(4):
        f = np.zeros((8, 16, 3), np.uint8)
        f[:, : 4 * (k + 1)] = (255, 0, 0)
        f[:, 4 * (k + 1) :] = (0, 0, 255)
        frames.append(f)
        w.append(f)
    w.close()
    buf.seek(0)
    with Image.open(buf) as im:
        assert im.n_frames == 4 and im.size == (16, 8)
        for k, frame in enumerate(__import__("PIL.ImageSequence", fromlist=["x"]).Iterator(im)):
            assert np.array_equal(np.asarray(frame.convert("RGB")), frames[k])
    with pytest.raises(ValueError, match="shape"):
        GifWriter(io.BytesIO(), (4, 4), 10).append(np.zeros((5, 4, 3), np.uint8))


def test_animate_trajectory(tmp_path: Path) -> None:
    sc = scenario_from_text(FREE + "\n[record]\nevery = 0.5\n", "free.toml")
    result = sc.run()
    assert result.trajectory is not None
    res = animate_trajectory(
        result.trajectory, sc.build().hamiltonian, tmp_path / "t.gif", spec=sc.animation
    )
    assert res.frames == len(result.trajectory)


def test_memory_does_not_grow_with_frames(tmp_path: Path) -> None:
    sc = scenario_from_text(SLIT, "slit.toml")
    animate(sc, tmp_path / "warm.gif", frames=2)  # imports, fonts, kernels
    peaks = []
    for n in (5, 25):
        tracemalloc.start()
        animate(sc, tmp_path / f"m{n}.gif", frames=n)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.3 * peaks[0] + 2e6, peaks


def test_cli_animate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "free.toml"
    p.write_text(FREE, encoding="utf-8")
    out = tmp_path / "cli.gif"
    assert (
        cli.main(["animate", str(p), "-o", str(out), "--frames", "4", "--fps", "8", "--dpi", "40"])
        == 0
    )
    assert "4 frames" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames == 4 and im.info["duration"] == 120
    assert cli.main(["animate", str(p), "-o", str(tmp_path / "x.webm")]) == cli.EXIT_USAGE


def test_bundled_scenario_animates(tmp_path: Path) -> None:
    from quantgeo.scenario import bundled_scenarios_dir

    d = bundled_scenarios_dir()
    assert d is not None
    sc = load_scenario(d / "talbot_ring.toml", fast=True)
    assert animate(sc, tmp_path / "talbot.gif", frames=3, dpi=40).frames == 3


PEAK = """
import resource, sys
from quantgeo.animation import animate
from quantgeo.scenario import load_scenario
sc = load_scenario(sys.argv[1], overrides={"lattice.shape": [256, 256]})
animate(sc, sys.argv[2], frames=int(sys.argv[3]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
def test_peak_rss_of_a_2d_movie_does_not_scale_with_frames(tmp_path: Path) -> None:
    import subprocess
    import sys

    from quantgeo.scenario import bundled_scenarios_dir

    d = bundled_scenarios_dir()
    assert d is not None
    peaks = {}
    for n in (20, 200):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                PEAK,
                str(d / "double_slit_2d.toml"),
                str(tmp_path / f"{n}.gif"),
                str(n),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        peaks[n] = int(out.stdout.split()[-1]) / 1024  # MiB
    # 180 more frames of 600×600 px would be ≥ 190 MiB if kept; the solver's bounded cache of
    # phase factors (≤ 9 step sizes × 4 MiB at 256²) is all that may differ.
    assert peaks[200] - peaks[20] < 48, peaks


def test_reference_overlay_follows_the_packet_around_the_ring() -> None:
    """Issue 14: in talbot_ring at t = 6.336 the packet centre 1.5 + 3t has wrapped around
    the box; the dashed reference must still be the analytic |ψ|² (the ring's sum over
    images), equal to the exact evolution of the run's own initial state.  The split-operator
    step is exact for V = 0, so the two agree to the initial tails cut at the box edges."""
    from quantgeo.analytic import SpectralPropagator, free_gaussian
    from quantgeo.animation import AnimationOptions, _overlay
    from quantgeo.scenario import bundled_scenarios_dir

    d = bundled_scenarios_dir()
    assert d is not None
    built = load_scenario(d / "talbot_ring.toml", fast=True).build()
    t = 6.336
    ref = _overlay(built, "analytic", np.array([0.0, t]))
    assert ref is not None
    spec = AnimationOptions(dpi=40, size=(3.0, 2.0))
    r = FrameRenderer(built.hamiltonian, spec, overlay=ref, state0=built.state0.data, t0=0.0)
    exact = SpectralPropagator(built.hamiltonian).states(built.state0, [t])[0]
    r.render(t, exact)
    drawn = np.asarray(r.lines["reference"].get_ydata())
    rho = np.abs(exact) ** 2
    assert rho.max() > 1.0  # a sharp fractional revival, not a flat curve
    assert np.abs(drawn - rho).max() < 1e-9 * rho.max()
    lat = built.lattice
    analytic = free_gaussian(lat, t, 1.5, 0.15, 3.0, period=lat.lengths)
    assert np.array_equal(drawn, np.abs(analytic) ** 2)
    r.close()


def test_2d_frame_shows_the_phase_colour_wheel() -> None:
    """Issue 14: the legend disc in the rendered frame has hue arg/2π and brightness r at
    known points, the same map as the frame's image (matplotlib's HSV conversion is the
    independent reference)."""
    from matplotlib.colors import hsv_to_rgb, rgb_to_hsv

    from quantgeo._colorwheel import WHEEL_PIXELS
    from quantgeo.animation import AnimationOptions

    built = scenario_from_text(SLIT, "slit.toml").build()
    r = FrameRenderer(
        built.hamiltonian, AnimationOptions(dpi=100), state0=built.state0.data, t0=0.0
    )
    img = r.render(0.0, built.state0.data).astype(float) / 255
    box = r.wheel.get_window_extent()
    height = img.shape[0]
    # data → pixel: the disc [-1, 1]² sits inside the wheel axes' limits [-1.5, 1.5]²
    (x0, x1), (y0, y1) = r.wheel.get_xlim(), r.wheel.get_ylim()
    # a pixel of the disc image is 2/WHEEL_PIXELS wide: hue and brightness vary by about that
    tol = 2 * 2.0 / WHEEL_PIXELS + 2 / 255
    for phi in np.linspace(0.0, 2 * np.pi, 12, endpoint=False):
        for rad in (0.45, 0.8):
            u, v = rad * np.cos(phi), rad * np.sin(phi)
            px = box.x0 + (u - x0) / (x1 - x0) * box.width
            py = box.y0 + (v - y0) / (y1 - y0) * box.height
            rgb = img[round(height - py), round(px)]
            want = hsv_to_rgb([phi / (2 * np.pi), 1.0, rad])
            hsv = rgb_to_hsv(rgb)
            dh = abs((hsv[0] - phi / (2 * np.pi) + 0.5) % 1.0 - 0.5)
            assert dh < tol and abs(hsv[2] - rad) < tol, (phi, rad, rgb, want)
    # outside the disc: the figure's white background
    cy = box.y0 + box.height / 2
    assert np.all(img[round(height - cy), round(box.x0 + 2)] == 1.0)
    r.close()


def test_result_plays_inline_in_a_notebook(tmp_path: Path) -> None:
    """Issue 14: animate() still writes the file and returns an AnimationResult, which
    Jupyter shows through _repr_html_ with the movie's own bytes embedded."""
    import base64
    import re

    import matplotlib

    sc = scenario_from_text(FREE, "free.toml")
    gif = animate(sc, tmp_path / "a.gif", frames=3, dpi=40)
    page = gif._repr_html_()
    assert page.startswith("<img")
    m = re.search(r'src="data:image/gif;base64,([^"]+)"', page)
    assert m is not None and base64.b64decode(m.group(1)) == (tmp_path / "a.gif").read_bytes()
    with matplotlib.rc_context({"animation.embed_limit": 1e-6}):  # 1 byte: named, not embedded
        assert "embed_limit" in gif._repr_html_() and "base64" not in gif._repr_html_()
    if mp4_available():
        mp4 = animate(sc, tmp_path / "a.mp4", frames=3, dpi=40)
        page = mp4._repr_html_()
        m = re.search(r'<video [^>]*src="data:video/mp4;base64,([^"]+)"', page)
        assert m is not None and base64.b64decode(m.group(1)) == (tmp_path / "a.mp4").read_bytes()
