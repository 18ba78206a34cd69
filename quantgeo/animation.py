r"""Wavefunction animations rendered while the solver runs.

Frames are drawn by a :class:`FrameRenderer` from each state handed to a
:class:`~quantgeo.recording.Recorder` callback and streamed to the output file at once, so the
memory used does not grow with the number of frames (the recorder keeps no states).

- **1D**: top panel :math:`|\psi|^2` with the potential V on a second axis (clipped to the
  energy range of the state) and an optional reference :math:`|\psi_\mathrm{ref}|^2` (dashed);
  bottom panel :math:`\mathrm{Re}\,\psi`, :math:`\mathrm{Im}\,\psi` and :math:`\pm|\psi|`.
- **2D**: the phase :math:`\arg\psi` as hue and the density as brightness
  (:math:`\sqrt{\rho/\rho_\max} = |\psi|/|\psi|_\max`, so the tails stay visible), with
  optional contours of V and a colour-wheel legend of that map (:mod:`quantgeo._colorwheel`).
  3D lattices show the mid-plane of the last axis.

The movie files (GIF through Pillow, frames quantised to 256 colours and appended one by one;
MP4 through ``imageio-ffmpeg`` when installed; both written atomically) are
:mod:`quantgeo._video`'s; its public names are re-exported here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._colorwheel import add_phase_wheel, phase_rgb
from quantgeo._options import check_options, option
from quantgeo._video import (
    GifWriter,
    Mp4Writer,
    _format,
    _open_sink,
    frames_of,
    mp4_available,
    open_writer,
)

if TYPE_CHECKING:
    from quantgeo.hamiltonian import Hamiltonian

__all__ = [
    "AnimationOptions",
    "AnimationResult",
    "FrameRenderer",
    "GifWriter",
    "Mp4Writer",
    "animate",
    "animate_trajectory",
    "frames_of",
    "mp4_available",
    "open_writer",
]

RGB = NDArray[np.uint8]
CArray = NDArray[np.complex128]

_CURVES = ("density", "real", "imag", "potential")


@dataclass(frozen=True)
class AnimationOptions:
    """How a movie is rendered: defaults, units and ranges (checked at construction)."""

    fps: int = option(20, unit="1/s", doc="Frames per second of the movie", ge=1)
    dpi: int = option(100, unit="dots/inch", doc="Resolution of the rendered frames", ge=10)
    frames: int = option(
        100,
        unit="frames",
        doc="Number of frames, equally spaced over [t_start, t_end]",
        ge=2,
        le=10**6,
    )
    t_end: float | None = option(
        None, unit="time", doc="End time of the movie (default: [solver].t_end)"
    )
    size: tuple[float, float] = option((6.4, 4.0), unit="inch", doc="Figure [width, height]")
    overlay: str = option(
        "auto",
        doc="Reference curve (1D): 'analytic', 'qutip', 'none' or 'auto' (analytic when known)",
        choices=("auto", "analytic", "qutip", "none"),
    )
    curves: tuple[str, ...] = option(_CURVES, doc="1D curves: |ψ|², Re ψ, Im ψ, V", choices=_CURVES)
    potential_contour: bool = option(True, doc="2D: draw contours of V over the density")
    normalize: str = option(
        "frame",
        doc="2D brightness: each 'frame' scaled to its maximum, or 'initial' (fixed scale)",
        choices=("frame", "initial"),
    )

    def __post_init__(self) -> None:
        check_options(self)


# =============================================================================================
# Rendering
# =============================================================================================
def _energy_window(v: NDArray[np.float64], energy: float) -> tuple[float, float]:
    """Potential range worth showing: up to 2.5× the state's energy above the minimum."""
    vmin, vmax = float(v.min()), float(v.max())
    span = max(energy - vmin, 1e-12)
    top = min(vmax, vmin + 2.5 * span)
    if top <= vmin:
        top = vmin + 1.0
    return vmin, top


class FrameRenderer:
    """Draw states of one lattice into RGB frames with matplotlib (Agg, no pyplot state).

    Parameters
    ----------
    ham
        The Hamiltonian (lattice, V(x, t) and ħ).
    spec
        :class:`AnimationOptions` (size, dpi, curves, contour, normalisation).
    title
        Title prefix (the time is appended).
    overlay
        ``ref(t) -> ψ`` drawn as a dashed reference density (1D), or ``None``.
    state0
        Initial state: fixes the axis ranges and the ``"initial"`` brightness scale.
    t0
        Time of ``state0`` (for a time-dependent V and the reference overlay).
    """

    def __init__(
        self,
        ham: Hamiltonian,
        spec: AnimationOptions,
        *,
        title: str = "",
        overlay: Callable[[float], CArray] | None = None,
        state0: CArray | None = None,
        t0: float = 0.0,
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.ham, self.spec, self.title, self.overlay = ham, spec, title, overlay
        lat = ham.lattice
        self.ndim = lat.ndim
        self.fig = Figure(figsize=spec.size, dpi=spec.dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        psi0 = state0 if state0 is not None else np.zeros(lat.shape, complex)
        self._energy0 = float(
            np.real(np.vdot(psi0, ham.apply(psi0, t0))) / max(np.vdot(psi0, psi0).real, 1e-300)
        )
        if self.ndim == 1:
            self._setup_1d(psi0, t0)
        else:
            self._setup_2d(psi0, t0)

    # -- 1D ---------------------------------------------------------------------------------
    def _setup_1d(self, psi0: CArray, t0: float) -> None:
        lat, spec = self.ham.lattice, self.spec
        x = lat.axes[0]
        self.x = x
        ax_d, ax_w = self.fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
        self.ax_d, self.ax_w = ax_d, ax_w
        rho0 = np.abs(psi0) ** 2
        amp0 = float(np.abs(psi0).max()) or 1.0
        self._rho_top = 1.15 * float(rho0.max()) or 1.0
        self._amp_top = 1.15 * amp0
        curves = set(spec.curves)
        self.lines: dict[str, Any] = {}
        if "density" in curves:
            (self.lines["density"],) = ax_d.plot(x, rho0, color="k", lw=1.4, label="|ψ|²")
        if self.overlay is not None:
            (self.lines["reference"],) = ax_d.plot(
                x,
                np.abs(self.overlay(t0)) ** 2,
                color="tab:orange",
                lw=1.2,
                ls="--",
                label="reference |ψ|²",
            )
        ax_d.set_ylim(0, self._rho_top)
        ax_d.set_ylabel("density")
        v = self.ham.potential_values(t0)
        flat = not self.ham.time_dependent and float(np.ptp(v)) == 0.0
        if "potential" in curves and not flat:
            self.ax_v = ax_d.twinx()
            (self.lines["potential"],) = self.ax_v.plot(x, v, color="0.55", lw=1.0, label="V")
            self.ax_v.set_ylim(*_energy_window(v, self._energy0))
            self.ax_v.set_ylabel("V", color="0.45")
        if "real" in curves:
            (self.lines["real"],) = ax_w.plot(x, psi0.real, color="tab:blue", lw=1.0, label="Re ψ")
        if "imag" in curves:
            (self.lines["imag"],) = ax_w.plot(x, psi0.imag, color="tab:red", lw=1.0, label="Im ψ")
        if "real" in curves or "imag" in curves:
            (self.lines["envelope"],) = ax_w.plot(x, np.abs(psi0), color="0.6", lw=0.8, label="|ψ|")
        ax_w.set_ylim(-self._amp_top, self._amp_top)
        ax_w.set_xlabel("x")
        ax_w.set_ylabel("ψ")
        ax_d.set_xlim(x[0], x[-1])
        handles = [
            ln
            for ln in self.lines.values()
            if ln.get_label() and not ln.get_label().startswith("_")
        ]
        ax_d.legend(
            handles=[h for h in handles if h.axes is not ax_w], loc="upper right", fontsize=7
        )
        if "real" in curves or "imag" in curves:
            ax_w.legend(loc="upper right", fontsize=7, ncol=3)
        # the per-frame title is set after the layout: reserve its room now, or it is clipped
        ax_d.set_title(f"{self.title}  t = 0", fontsize=9)
        self.fig.tight_layout()

    def _draw_1d(self, t: float, psi: CArray) -> None:
        rho = np.abs(psi) ** 2
        top = float(rho.max())
        if top > self._rho_top:
            self._rho_top = 1.15 * top
            self.ax_d.set_ylim(0, self._rho_top)
        amp = float(np.sqrt(top))
        if amp > self._amp_top:
            self._amp_top = 1.15 * amp
            self.ax_w.set_ylim(-self._amp_top, self._amp_top)
        ln = self.lines
        if "density" in ln:
            ln["density"].set_ydata(rho)
        if "reference" in ln and self.overlay is not None:
            ln["reference"].set_ydata(np.abs(self.overlay(t)) ** 2)
        if "potential" in ln and self.ham.time_dependent:
            ln["potential"].set_ydata(self.ham.potential_values(t))
        if "real" in ln:
            ln["real"].set_ydata(psi.real)
        if "imag" in ln:
            ln["imag"].set_ydata(psi.imag)
        if "envelope" in ln:
            ln["envelope"].set_ydata(np.sqrt(rho))
        self.ax_d.set_title(f"{self.title}  t = {t:.4g}", fontsize=9)

    # -- 2D ---------------------------------------------------------------------------------
    def _plane(self, arr: NDArray[Any]) -> NDArray[Any]:
        if arr.ndim == 3:
            return arr[:, :, arr.shape[2] // 2]
        return arr

    def _setup_2d(self, psi0: CArray, t0: float) -> None:
        lat, spec = self.ham.lattice, self.spec
        ax = self.fig.subplots(1, 1)
        self.ax = ax
        (x0, x1), (y0, y1) = lat.bounds[0], lat.bounds[1]
        self._scale0 = float(np.abs(self._plane(psi0)).max()) or 1.0
        self.image = ax.imshow(
            self._rgb_2d(self._plane(psi0)),
            origin="lower",
            extent=(x0, x1, y0, y1),
            interpolation="nearest",
            aspect="equal",
        )
        if spec.potential_contour:
            v = self._plane(self.ham.potential_values(t0))
            if float(v.max() - v.min()) > 0:
                lo, hi = _energy_window(v, self._energy0)
                levels = np.linspace(lo, hi, 6)[1:-1]
                xs, ys = lat.axes[0], lat.axes[1]
                ax.contour(xs, ys, v.T, levels=levels, colors="w", linewidths=0.6, alpha=0.6)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title(f"{self.title}  t = 0", fontsize=9)  # room for the per-frame title
        self.fig.tight_layout(rect=(0.0, 0.0, 0.8, 1.0))  # the right fifth holds the legend
        self.wheel = add_phase_wheel(self.fig, ax)

    def _rgb_2d(self, psi: CArray) -> NDArray[np.float64]:
        amp = float(np.abs(psi).max())
        scale = self._scale0 if self.spec.normalize == "initial" else (amp or 1.0)
        return phase_rgb(psi, scale).transpose(1, 0, 2)

    def _draw_2d(self, t: float, psi: CArray) -> None:
        self.image.set_data(self._rgb_2d(self._plane(psi)))
        self.ax.set_title(f"{self.title}  t = {t:.4g}", fontsize=9)

    # -- public -----------------------------------------------------------------------------
    def render(self, t: float, psi: CArray) -> RGB:
        """Draw the state ``psi`` (site values) at time ``t``; return an RGB uint8 image."""
        if self.ndim == 1:
            self._draw_1d(t, psi)
        else:
            self._draw_2d(t, psi)
        self.canvas.draw()
        buf = np.asarray(self.canvas.buffer_rgba())
        return np.array(buf[..., :3], dtype=np.uint8)

    def close(self) -> None:
        """Release the figure."""
        self.fig.clear()


# =============================================================================================
# Driving a run
# =============================================================================================
@dataclass(frozen=True)
class AnimationResult:
    """What :func:`animate` wrote.

    Attributes
    ----------
    path
        The movie file.
    frames
        Frames written.
    size
        ``(width, height)`` in pixels.
    fps
        Frames per second.
    writer
        ``"pillow"`` (GIF) or ``"ffmpeg"`` (MP4).
    seconds
        Wall time of the whole run, and of rendering/encoding alone.
    """

    path: Path
    frames: int
    size: tuple[int, int]
    fps: int
    writer: str
    seconds: float
    render_seconds: float

    def _repr_html_(self) -> str:
        """Jupyter's inline view (:func:`quantgeo._notebook.movie_html`)."""
        from quantgeo._notebook import movie_html

        return movie_html(self.path, self.size, self.writer)


def animate(
    scenario: Any,
    path: str | Path,
    *,
    fps: int | None = None,
    dpi: int | None = None,
    frames: int | None = None,
    t_end: float | None = None,
    overlay: str | None = None,
    progress: bool = False,
) -> AnimationResult:
    """Run ``scenario`` and write an animation of ψ to ``path`` (``.gif`` or ``.mp4``).

    Frames are equally spaced over ``[t_start, t_end]`` and rendered inside a recorder
    callback while the solver runs (``store_states=False``).

    Parameters
    ----------
    scenario
        A real-time Schrödinger scenario (``[solver].mode = "real"``): ``name``, ``meta``,
        ``solver``, ``animation`` (:class:`AnimationOptions`) and ``build()`` are used.
    path
        Output file; the suffix picks the writer.
    fps, dpi, frames, t_end, overlay
        Override ``[animation]``.
    progress
        tqdm progress bar of the solver.

    Raises
    ------
    ValueError
        For an unsupported scenario, output suffix or overlay.
    """
    from dataclasses import replace

    from quantgeo.recording import Recorder

    if scenario.meta.kind != "schrodinger" or scenario.solver is None:
        raise ValueError(
            f"{scenario.name}: only Schrödinger scenarios can be animated "
            f"(kind = {scenario.meta.kind!r})"
        )
    if scenario.solver.mode != "real":
        raise ValueError(f"{scenario.name}: animations need [solver].mode = 'real'")
    target = Path(path)
    fmt = _format(target)
    given: dict[str, Any] = {
        "fps": fps,
        "dpi": dpi,
        "frames": frames,
        "t_end": t_end,
        "overlay": overlay,
    }
    from quantgeo.scenario.run import preflight

    spec = replace(scenario.animation, **{k: v for k, v in given.items() if v is not None})
    preflight(scenario, reference=False, store_states=False)  # before anything big is built
    built = scenario.build()
    t0, t1 = built.t_span
    end = spec.t_end if spec.t_end is not None else t1
    if not end > t0:
        raise ValueError(f"animation t_end must be > t_start = {t0}, got {end}")
    times = np.linspace(t0, end, spec.frames)
    ref = _overlay(built, spec.overlay, times)
    start = time.perf_counter()
    renderer = FrameRenderer(
        built.hamiltonian, spec, title=scenario.name, overlay=ref, state0=built.state0.data, t0=t0
    )

    def run(draw: Callable[[float, CArray], None]) -> None:
        recorder = Recorder(
            times,
            observables=(),
            store_states=False,
            callbacks=[lambda t, state: draw(t, state.data)],
        )
        built.solver.run(built.state0, (t0, end), recorder=recorder, progress=progress)

    return _write_movie(renderer, target, fmt, spec.fps, start, run)


def _write_movie(
    renderer: FrameRenderer,
    target: Path,
    fmt: str,
    fps: int,
    start: float,
    drive: Callable[[Callable[[float, CArray], None]], None],
) -> AnimationResult:
    """Stream every frame that ``drive`` hands to ``draw(t, psi)`` into ``target``."""
    render_time = 0.0
    with _open_sink(target, fmt, fps) as sink:

        def draw(t: float, psi: CArray) -> None:
            nonlocal render_time
            r0 = time.perf_counter()
            sink.append(renderer.render(t, psi))
            render_time += time.perf_counter() - r0

        drive(draw)
        n = sink.frames
    size = (int(renderer.fig.bbox.width), int(renderer.fig.bbox.height))
    renderer.close()
    writer = "pillow" if fmt == "gif" else "ffmpeg"
    return AnimationResult(target, n, size, fps, writer, time.perf_counter() - start, render_time)


def _overlay(built: Any, mode: str, times: NDArray[np.float64]) -> Callable[[float], CArray] | None:
    if built.lattice.ndim != 1 or mode == "none":
        if mode in ("analytic", "qutip") and built.lattice.ndim != 1:
            raise ValueError("a reference overlay is drawn for 1D lattices only")
        return None
    if mode in ("auto", "analytic"):
        fn = built.analytic_state()
        if fn is None and mode == "analytic":
            raise ValueError(
                "no closed-form ψ(x, t) for this scenario (free Gaussian or trap coherent state "
                "with kinetic = 'spectral'); use overlay = 'qutip' or 'none'"
            )
        return fn
    # QuTiP states at the frame times (1D: frames × N complex numbers).
    from quantgeo.recording import Recorder

    traj = built.reference_engine().run(
        built.state0, (float(times[0]), float(times[-1])), recorder=Recorder(times, observables=())
    )
    states = traj.states

    def ref(t: float) -> CArray:  # the record nearest to t (the frame times are the records)
        return states[int(np.argmin(np.abs(traj.times - t)))]

    return ref


def animate_trajectory(
    traj: Any,
    ham: Hamiltonian,
    path: str | Path,
    *,
    spec: AnimationOptions | None = None,
    title: str = "",
) -> AnimationResult:
    """Write a movie of the states stored in a :class:`~quantgeo.recording.Trajectory`.

    For runs that already stored their states (``Recorder(store_states=True)``); long runs should
    use :func:`animate`, which renders while the solver runs.
    """
    if traj.states is None:
        raise ValueError("the trajectory stored no states; use animate() to render during the run")
    spec = spec if spec is not None else AnimationOptions()
    target = Path(path)
    fmt = _format(target)
    start = time.perf_counter()
    renderer = FrameRenderer(ham, spec, title=title, state0=traj.states[0], t0=float(traj.times[0]))

    def replay(draw: Callable[[float, CArray], None]) -> None:
        for t, psi in zip(traj.times, traj.states, strict=True):
            draw(float(t), psi)

    return _write_movie(renderer, target, fmt, spec.fps, start, replay)
