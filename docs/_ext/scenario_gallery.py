"""The scenario gallery: one rendered frame of each bundled scenario (``scenarios/*.toml``).

At ``builder-inited`` every bundled scenario is run in fast mode (its ``[fast]`` overrides,
``scenario_gallery_fast``) without the QuTiP baseline, and one picture is written to
``_gallery/<name>.png`` in the source folder:

- ``schrodinger``, real time: the last frame of the scenario's animation
  (:func:`quantgeo.animation.animate` with two frames: the initial state and ``t_end``; the 1D
  frames carry the analytic reference overlay when the scenario has one);
- ``schrodinger``, imaginary time: the converged state drawn by
  :class:`quantgeo.animation.FrameRenderer`;
- the other kinds: the figure of the quantity their checks measure (total-variation distance
  against its sampling floor, the three-way L2 errors, fixation against Kimura, …).

A picture is rendered again only when its key changes: the scenario file, the fast flag, this
file and every source file of the ``quantgeo`` package (so a cached picture is always the one
the current code draws).  The ``scenario-gallery`` directive then lays out one section per
scenario: its frame, its description and the commands that reproduce it.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

GALLERY_DIR = "_gallery"
SIZE = (6.4, 4.0)  # inch, as AnimationOptions.size
DPI = 100

#: Per scenario: ``at`` the time of the frame as a fraction of the animation span (default 1:
#: its last frame), ``fast`` False where the fast mode drops what the figure shows and the full
#: run takes seconds.
SETTINGS: dict[str, dict[str, Any]] = {
    "absorbing_boundary": {"at": 0.3},  # at t_end the absorber has taken the whole packet
    "talbot_ring": {"at": 0.25},  # a quarter of the Talbot time: two copies (at T: a revival)
    "wright_fisher_fixation": {"fast": False},  # fast mode keeps 4Ns = 2 only
}


# =============================================================================================
# Figures of the kinds other than schrodinger: f(scenario, result) -> matplotlib Figure
# =============================================================================================
def _figure() -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    return fig, fig.subplots(1, 1)


def _tv_members(sc: Any, res: Any) -> Any:
    """born_ensemble, lattice_learners: TV(histogram, |ψ(t)|²) of each exponent a."""
    fig, ax = _figure()
    members = res.info.get("born") or res.info.get("learners")
    for m in members:
        t = np.asarray(m["times"])
        ax.plot(t, m["tv"], marker="o", label=f"a = {m['a']:g}")
    m0 = members[0]
    t = np.asarray(m0["times"])
    lo = np.asarray(m0["floor_mean"]) - 2 * np.asarray(m0["floor_std"])
    hi = np.asarray(m0["floor_mean"]) + 2 * np.asarray(m0["floor_std"])
    ax.fill_between(t, lo, hi, color="0.8", label="sampling floor ± 2σ")
    ax.set_xlabel("t [time]")
    ax.set_ylabel("total variation to |ψ(t)|²ΔV")
    ax.set_ylim(bottom=0)
    ax.legend()
    ax.set_title(f"{sc.name}: {m0['walkers']} walkers per member", fontsize=9)
    return fig


def _emergence(sc: Any, res: Any) -> Any:
    """emergence_three_way: the pairwise L2 distances of the three engines."""
    fig, ax = _figure()
    traj = res.trajectory
    for name, values in traj.observables.items():
        ax.semilogy(traj.times, np.maximum(np.asarray(values), 1e-17), marker=".", label=name)
    ax.set_xlabel("t [time]")
    ax.set_ylabel("L2 distance of ψ [—]")
    ax.legend(fontsize=8)
    ax.set_title(f"{sc.name}: learning variables vs split-operator vs QuTiP", fontsize=9)
    return fig


def _fixation(sc: Any, res: Any) -> Any:
    """wright_fisher_fixation: fixed fraction against Kimura's probability."""
    fig, ax = _figure()
    rows = sorted(res.info["fixation"], key=lambda r: r["scaled_selection"])
    s4 = np.array([r["scaled_selection"] for r in rows])
    ax.errorbar(
        s4,
        [r["fixed"] for r in rows],
        yerr=[2 * r["se"] for r in rows],
        fmt="o",
        capsize=3,
        label="replicates (± 2 SE)",
    )
    grid = np.linspace(min(s4.min(), 0.0) - 1, s4.max() + 1, 200)
    ax.plot(s4, [r["kimura"] for r in rows], "k_", ms=14, label="Kimura")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel("4Ns [—]")
    ax.set_ylabel("fixation probability of A")
    ax.legend()
    ax.set_title(sc.name, fontsize=9)
    return fig


def _heterozygosity(sc: Any, res: Any) -> Any:
    """neutral_heterozygosity: H(t) of the replicates against H₀(1 − 1/N_g)^t."""
    fig, ax = _figure()
    h = res.info["heterozygosity"]
    t = np.asarray(h["times"])
    ax.errorbar(t, h["mean"], yerr=2 * np.asarray(h["se"]), fmt="o", capsize=3, label="± 2 SE")
    ax.plot(t, h["reference"], "k-", label="H₀(1 − 1/N_g)^t")
    ax.set_xlabel("t [generations]")
    ax.set_ylabel("heterozygosity H [—]")
    ax.legend()
    ax.set_title(sc.name, fontsize=9)
    return fig


def _stationary(sc: Any, res: Any) -> Any:
    """wright_stationary: the histogram of the replicates against Wright's bin masses."""
    fig, ax = _figure()
    st = res.info["stationary"]
    edges = np.asarray(st["edges"])
    ax.stairs(st["histogram"], edges, fill=True, alpha=0.5, label="replicates")
    ax.stairs(st["wright"], edges, color="k", lw=1.3, label="Wright's density, binned")
    ax.set_xlabel("frequency x of allele A [—]")
    ax.set_ylabel("fraction of replicates per bin")
    ax.legend()
    ax.set_title(f"{sc.name}: TV = {st['tv']:.3g} (floor {st['floor_mean']:.3g})", fontsize=9)
    return fig


def _crossover(sc: Any, res: Any) -> Any:
    """crossover_window: the a = ½ window κ− < κ < κ+ against εζ."""
    fig, ax = _figure()
    rows = sorted(res.info["crossover"], key=lambda r: r["eps_zeta"])
    ez = np.array([r["eps_zeta"] for r in rows])
    lo = np.array([r["edges"][0] for r in rows])
    hi = np.array([r["edges"][1] for r in rows])
    zeta = float(sc.extra["crossover"]["zeta"])
    ax.fill_between(ez, lo, hi, alpha=0.4, label="|a_eff − ½| < δ")
    ax.plot(ez, np.sqrt(ez) / zeta, "k--", lw=1, label="κ* = √(ε/ζ)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("εζ [—]")
    ax.set_ylabel("κ [1/ζ]")
    ax.legend()
    ax.set_title(f"{sc.name}: law = {sc.extra['crossover']['law']!r}", fontsize=9)
    return fig


FIGURES: dict[str, Callable[[Any, Any], Any]] = {
    "born_ensemble": _tv_members,
    "lattice_learners": _tv_members,
    "emergence_three_way": _emergence,
    "wright_fisher_fixation": _fixation,
    "neutral_heterozygosity": _heterozygosity,
    "wright_stationary": _stationary,
    "crossover_window": _crossover,
}


# =============================================================================================
# Rendering
# =============================================================================================
def _save_rgb(rgb: np.ndarray, png: Path) -> None:
    from PIL import Image

    Image.fromarray(np.asarray(rgb, dtype=np.uint8)).save(png)


def _save_figure(fig: Any, png: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(png, dpi=DPI)


def _real_time(sc: Any) -> bool:
    return sc.solver is not None and sc.solver.mode == "real"


def render(path: Path, png: Path, *, fast: bool = True) -> None:
    """Run the scenario ``path`` and write its gallery picture to ``png``."""
    from quantgeo.scenario import load_scenario, run_scenario

    settings = SETTINGS.get(path.stem, {})
    sc = load_scenario(path, fast=fast and settings.get("fast", True))
    kind = sc.meta.kind
    if kind == "schrodinger" and _real_time(sc):
        from quantgeo.animation import animate, frames_of

        t0, t1 = sc.build().t_span  # as animate() spans the movie
        end = sc.animation.t_end if sc.animation.t_end is not None else t1
        with tempfile.TemporaryDirectory() as tmp:
            movie = Path(tmp) / f"{sc.name}.gif"
            animate(sc, movie, frames=2, dpi=DPI, t_end=t0 + settings.get("at", 1.0) * (end - t0))
            *_, last = frames_of(movie)
            _save_rgb(last, png)
    elif kind == "schrodinger":
        from quantgeo.animation import FrameRenderer

        res = run_scenario(sc, reference=False, store_states=True)
        traj = res.trajectory
        if traj is None or traj.states is None:
            raise RuntimeError(f"{sc.name}: {res.error or 'no states recorded'}")
        psi, t = traj.states[-1], float(traj.times[-1])
        built = sc.build()
        renderer = FrameRenderer(
            built.hamiltonian, sc.animation, title=f"{sc.name} (imaginary time)", state0=psi
        )
        _save_rgb(renderer.render(t, psi), png)
        renderer.close()
    else:
        res = run_scenario(sc, reference=False)
        if res.error:
            raise RuntimeError(f"{sc.name}: {res.error}")
        _save_figure(FIGURES[kind](sc, res), png)


def _source_digest() -> str:
    """Hash of this file and every source file of the quantgeo package."""
    import quantgeo

    h = hashlib.sha256(Path(__file__).read_bytes())
    root = Path(quantgeo.__file__).parent
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def bundled() -> list[Path]:
    """The bundled scenario files, sorted by name."""
    from quantgeo.scenario import bundled_scenarios_dir

    folder = bundled_scenarios_dir()
    if folder is None:
        raise RuntimeError("the bundled scenarios (quantgeo.scenarios) are not installed")
    return sorted(Path(folder).glob("*.toml"))


def build_gallery(srcdir: Path, *, fast: bool = True) -> dict[str, bool]:
    """Render the picture of every bundled scenario not yet cached; name → rendered now."""
    out = srcdir / GALLERY_DIR
    out.mkdir(exist_ok=True)
    digest = _source_digest()
    done: dict[str, bool] = {}
    for path in bundled():
        # the settings are part of this file, hence of the digest
        key = hashlib.sha256(f"{digest}:{fast}:".encode() + path.read_bytes()).hexdigest()
        png, stamp = out / f"{path.stem}.png", out / f"{path.stem}.key"
        if png.exists() and stamp.exists() and stamp.read_text() == key:
            done[path.stem] = False
            continue
        render(path, png, fast=fast)
        stamp.write_text(key)
        done[path.stem] = True
    for stale in out.glob("*.png"):  # scenarios that were removed
        if stale.stem not in done:
            stale.unlink()
            stale.with_suffix(".key").unlink(missing_ok=True)
    return done


def _builder_inited(app: Any) -> None:
    from sphinx.util import logging as sphinx_logging

    done = build_gallery(Path(app.srcdir), fast=app.config.scenario_gallery_fast)
    fresh = sum(done.values())
    sphinx_logging.getLogger(__name__).info(
        f"scenario gallery: {fresh} rendered, {len(done) - fresh} cached"
    )


def _escape(text: str) -> str:
    """Plain text as reStructuredText: the descriptions use ``|x|``, ``*`` and ``_`` freely."""
    return re.sub(r"([\\`*_|\[\]<>])", r"\\\1", text)


class ScenarioGallery(SphinxDirective):
    """``.. scenario-gallery::``: one section per bundled scenario with its picture."""

    has_content = False

    def run(self) -> list[Any]:
        from quantgeo.scenario import load_scenario

        lines: list[str] = []
        for path in bundled():
            sc = load_scenario(path)
            title = f"``{path.stem}``"
            what = "animation frame" if sc.meta.kind == "schrodinger" else "figure"
            fast = self.config.scenario_gallery_fast and SETTINGS.get(path.stem, {}).get(
                "fast", True
            )
            mode, flag = ("fast mode", " --fast") if fast else ("full run", "")
            desc = _escape(" ".join(sc.meta.description.split())) or "(no description)"
            lines += [
                f".. _gallery-{path.stem}:",
                "",
                title,
                "-" * len(title),
                "",
                f".. figure:: /{GALLERY_DIR}/{path.stem}.png",
                f"   :alt: {path.stem}: {what}",
                "   :width: 100%",
                "",
                f"   kind ``{sc.meta.kind}``, {mode}: {what}.",
                "",
                desc,
                "",
                ".. code-block:: console",
                "",
                f"   quantgeo run scenarios/{path.name}{flag}",
            ]
            if sc.meta.kind == "schrodinger" and _real_time(sc):
                lines.append(f"   quantgeo animate scenarios/{path.name} -o {path.stem}.gif")
            lines.append("")
            self.env.note_dependency(str(path))
        node = nodes.section()  # a holder: its children (one section per scenario) are returned
        nested_parse_with_titles(self.state, StringList(lines, self.get_source_info()[0]), node)
        return node.children


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("scenario_gallery_fast", True, "env", bool)
    app.connect("builder-inited", _builder_inited)
    app.add_directive("scenario-gallery", ScenarioGallery)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
