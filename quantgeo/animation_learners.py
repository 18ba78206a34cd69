r"""Animations of the lattice learners (:class:`~quantgeo.emergence.LatticeLearners`).

Frames are drawn at the learners' record times from the state the learners hand to a
:class:`~quantgeo.recording.Recorder` callback and streamed at once to the GIF/MP4 writers of
:mod:`quantgeo.animation` (nothing is kept in memory between frames):

- **1D**: the learners' histogram :math:`h_n/(M\Delta V)` as bars (one per site, a filled step
  patch) over the curve
  :math:`|\psi_n(t)|^2` (normalised on the lattice) of the split-operator ψ that guides them;
  the title carries the total-variation distance and the sampling floor's mean at that time.
- **2D**: up to ``dots`` learners (a fixed random subset, the same learners in every frame) as
  dots over the image of :math:`|\psi(t)|^2`.  A learner sits on a site; its dot is drawn at the
  site plus a fixed offset uniform in the cell (``jitter``, in units of the spacing) so that
  learners on one site do not hide each other.  3D lattices show the mid-plane of the last axis
  and the learners within it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._validation import check_int, check_positive, check_span
from quantgeo._video import _format, _open_sink
from quantgeo.animation import AnimationOptions, AnimationResult

if TYPE_CHECKING:
    from quantgeo.emergence.learners import LatticeLearners
    from quantgeo.scenario.specs import Scenario
    from quantgeo.wavefunction import Wavefunction

__all__ = ["LearnerRenderer", "animate_learner_scenario", "animate_learners"]

RGB = NDArray[np.uint8]
FArray = NDArray[np.float64]


class LearnerRenderer:
    """Draw the learners' state at a record time into an RGB frame (matplotlib Agg).

    Parameters
    ----------
    engine
        The :class:`~quantgeo.emergence.LatticeLearners` whose states are drawn.
    spec
        Frame size and dpi (:class:`~quantgeo.animation.AnimationOptions`).
    dots
        Largest number of learners drawn as dots (2D/3D).
    jitter
        Offset of a dot inside its cell, in units of the spacing (0: on the site).
    seed
        Seed of the subset of learners drawn and of their offsets.
    title
        Title prefix (the time, TV and floor are appended).
    """

    def __init__(
        self,
        engine: LatticeLearners,
        spec: AnimationOptions,
        *,
        dots: int = 2000,
        jitter: float = 0.8,
        seed: int = 0,
        title: str = "",
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.lattice = engine.ham.lattice
        self.learners = engine.learners
        self.spec, self.title = spec, title
        self.dots = check_int("dots", dots, 1)
        if not 0.0 <= float(jitter) <= 1.0:
            raise ValueError(f"`jitter` must lie in [0, 1], got {jitter!r}")
        rng = np.random.default_rng(seed)
        m = self.learners
        self._pick = np.sort(rng.choice(m, size=min(m, self.dots), replace=False))
        spacing = np.asarray(self.lattice.spacing, dtype=float)
        self._offset = float(jitter) * (rng.random((self._pick.size, self.lattice.ndim)) - 0.5)
        self._offset *= spacing[None, :]
        self.fig = Figure(figsize=spec.size, dpi=spec.dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.subplots(1, 1)
        self._artists: dict[str, Any] = {}
        self._top = 0.0

    # -- 1D ---------------------------------------------------------------------------------
    def _draw_1d(self, t: float, state: Any) -> None:
        lat, ax = self.lattice, self.ax
        dv = lat.cell_volume
        x = lat.axes[0]
        hist = np.asarray(state.hist, dtype=float).ravel() / dv
        target = np.asarray(state.target, dtype=float).ravel() / dv
        top = max(float(hist.max()), float(target.max()))
        if "bars" not in self._artists:
            # one filled step patch (a bar per site, edges at the cell boundaries): one artist
            # to update per frame instead of one rectangle per site
            self._edges = np.append(x - 0.5 * lat.spacing[0], x[-1] + 0.5 * lat.spacing[0])
            self._artists["bars"] = ax.stairs(
                hist, self._edges, fill=True, color="tab:blue", alpha=0.55, label="learners"
            )
            (self._artists["curve"],) = ax.plot(x, target, color="k", lw=1.3, label="|ψ(t)|²")
            ax.set_xlim(x[0], x[-1])
            ax.set_xlabel("x")
            ax.set_ylabel("density")
            ax.legend(loc="upper right", fontsize=7)
        else:
            self._artists["bars"].set_data(hist, self._edges)
            self._artists["curve"].set_ydata(target)
        if top > self._top:
            self._top = 1.15 * top
            ax.set_ylim(0.0, self._top)

    # -- 2D / 3D ----------------------------------------------------------------------------
    def _plane(self, arr: FArray) -> FArray:
        return arr[:, :, arr.shape[2] // 2] if arr.ndim == 3 else arr

    def _draw_2d(self, t: float, state: Any) -> None:
        lat, ax = self.lattice, self.ax
        image = self._plane(np.asarray(state.target, dtype=float).reshape(lat.shape))
        sites = np.asarray(state.sites)[self._pick]
        idx = np.unravel_index(sites, lat.shape)
        pos = np.stack([a[i] for a, i in zip(lat.axes, idx, strict=True)], axis=1)
        pos = pos + self._offset
        if lat.ndim == 3:  # the learners in the mid-plane of the last axis
            pos = pos[idx[2] == lat.shape[2] // 2]
        if "image" not in self._artists:
            (x0, x1), (y0, y1) = lat.bounds[0], lat.bounds[1]
            self._artists["image"] = ax.imshow(
                image.T,
                origin="lower",
                extent=(x0, x1, y0, y1),
                interpolation="nearest",
                aspect="equal",
                cmap="magma",
            )
            self._artists["dots"] = ax.scatter(
                pos[:, 0], pos[:, 1], s=1.5, c="cyan", linewidths=0, alpha=0.6
            )
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        else:
            self._artists["image"].set_data(image.T)
            self._artists["dots"].set_offsets(pos[:, :2])
        self._artists["image"].set_clim(0.0, float(image.max()) or 1.0)

    # -- public -----------------------------------------------------------------------------
    def render(self, t: float, state: Any) -> RGB:
        """Draw the learners' state at time ``t``; return an RGB uint8 image."""
        first = not self._artists
        if self.lattice.ndim == 1:
            self._draw_1d(t, state)
        else:
            self._draw_2d(t, state)
        from quantgeo.emergence.born import total_variation

        tv = total_variation(state.hist, state.target)
        self.ax.set_title(
            f"{self.title}  t = {t:.4g}   M = {self.learners}   TV = {tv:.4f}   "
            f"floor = {state.floor[0]:.4f}",
            fontsize=8,
        )
        if first:
            self.fig.tight_layout()
        self.canvas.draw()
        buf = np.asarray(self.canvas.buffer_rgba())
        return np.array(buf[..., :3], dtype=np.uint8)

    def close(self) -> None:
        """Release the figure."""
        self.fig.clear()


def animate_learners(
    engine: LatticeLearners,
    state0: Wavefunction | NDArray[np.complex128],
    t_span: tuple[float, float],
    path: str | Path,
    *,
    every: float = 0.1,
    spec: AnimationOptions | None = None,
    dots: int = 2000,
    jitter: float = 0.8,
    title: str = "lattice learners",
    progress: bool | None = None,
) -> AnimationResult:
    """Run the learners over ``t_span`` and stream one frame per record time into ``path``.

    Parameters
    ----------
    engine
        A :class:`~quantgeo.emergence.LatticeLearners` (its seed fixes the frames).
    state0, t_span
        As :meth:`LatticeLearners.run`.
    path
        ``.gif`` (Pillow) or ``.mp4`` (imageio-ffmpeg), written atomically.
    every
        Frame interval (time units); a multiple of the engine's ``refresh``.
    spec
        Frame size, dpi and fps (:class:`~quantgeo.animation.AnimationOptions`).
    dots, jitter, title
        See :class:`LearnerRenderer`.

    Returns
    -------
    AnimationResult
        Path, frame count (one per record time: ``t0, t0 + every, …``), size and timings.
    """
    from quantgeo.emergence.learners import LatticeLearners
    from quantgeo.recording import Recorder

    if not isinstance(engine, LatticeLearners):
        raise TypeError(f"`engine` must be a LatticeLearners, got {type(engine).__name__}")
    check_span(t_span)
    check_positive("every", every)
    spec = spec if spec is not None else AnimationOptions()
    target = Path(path)
    fmt = _format(target)
    start = time.perf_counter()
    renderer = LearnerRenderer(
        engine, spec, dots=dots, jitter=jitter, seed=engine.seed or 0, title=title
    )
    render_time = 0.0
    with _open_sink(target, fmt, spec.fps) as sink:

        def draw(t: float, state: Any) -> None:
            nonlocal render_time
            r0 = time.perf_counter()
            sink.append(renderer.render(t, state))
            render_time += time.perf_counter() - r0

        callbacks: list[Callable[[float, Any], None]] = [draw]
        rec = Recorder(
            every=every, observables=("floor_mean",), store_states=False, callbacks=callbacks
        )
        engine.run(state0, t_span, recorder=rec, progress=progress)
        n = sink.frames
    size = (int(renderer.fig.bbox.width), int(renderer.fig.bbox.height))
    renderer.close()
    writer = "pillow" if fmt == "gif" else "ffmpeg"
    return AnimationResult(
        target, n, size, spec.fps, writer, time.perf_counter() - start, render_time
    )


def animate_learner_scenario(
    scenario: Scenario,
    path: str | Path,
    *,
    a: float = 1.0,
    dots: int = 2000,
    progress: bool | None = None,
) -> AnimationResult:
    """Movie of one learner run of a ``lattice_learners`` scenario (for ``quantgeo animate``).

    The ``[learners]`` table sets the engine (M, seed, refresh, …) and the span
    (``[animation].t_end`` overrides its end); ``[animation]`` sets size, dpi and fps.  About
    ``[animation].frames`` frames: the frame interval is the span over ``frames − 1`` rounded up
    to a multiple of ``refresh`` (records sit on the refresh grid).

    Parameters
    ----------
    scenario
        A loaded scenario of kind ``lattice_learners``.
    path
        ``.gif`` or ``.mp4``.
    a
        Exponent of the member drawn (default 1: Bell's process).
    dots
        Largest number of learners drawn as dots (2D/3D).
    """
    import math

    from quantgeo.emergence.learners import LatticeLearners
    from quantgeo.scenario.build import build_system

    if scenario.meta.kind != "lattice_learners":
        raise ValueError(
            f"`scenario` must be of kind 'lattice_learners', got kind = {scenario.meta.kind!r}"
        )
    v = scenario.extra["learners"]
    _, ham, state0, _ = build_system(scenario)
    seed = v["seed"] if v["seed"] is not None else scenario.meta.seed
    engine = LatticeLearners(
        ham,
        v["learners"],
        seed,
        a,
        refresh=v["refresh"],
        rule=v["rule"],
        solver_dt=v["solver_dt"],
        scheme=v["scheme"],
        floor_draws=v["floor_draws"],
        backend=v["backend"],
    )
    spec = scenario.animation
    t0 = float(v["t_start"])
    t1 = float(spec.t_end) if spec.t_end is not None else float(v["t_end"])
    span = t1 - t0
    if span <= 0:
        raise ValueError(f"`[animation].t_end` must be > t_start = {t0:g}, got {t1:g}")
    h = float(v["refresh"])
    every = h * max(1, math.ceil(span / (spec.frames - 1) / h - 1e-9))
    t1 = t0 + every * math.floor(span / every + 1e-9)
    return animate_learners(
        engine,
        state0,
        (t0, t1),
        path,
        every=every,
        spec=spec,
        dots=dots,
        title=f"{scenario.name}: a = {a:g}",
        progress=progress,
    )
