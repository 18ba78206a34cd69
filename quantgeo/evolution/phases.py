r"""Phase diagram of "the emergence of efficient learning" (THEORY §3, issue 10).

The order parameter is the width of the a = ½ window of the
:class:`~quantgeo.learning.CrossoverMetric` (sum or product law) as a function of ``εζ``:

* panel 1: ``f_½(εζ)`` (fraction of directions with ``|a_eff − ½| < δ`` for a log-uniform
  spectrum over ``decades`` decades centred on ``κ* = √(ε/ζ)``; analytic ``min(1, w/decades)``
  and counted on a sampled spectrum), the exact window width ``w`` and its asymptote, and heat
  maps of ``a_eff`` over ``(εζ, κ/κ*)`` for each law;
* panel 2: the learning speed — iterations of :class:`~quantgeo.learning.CovariantGD` with the
  crossover metric (exact minibatch κ) until ``H − H_min ≤ tol·(H_0 − H_min)`` on an
  ill-conditioned minibatch quadratic (``κ ∝ A``, condition number ``condition``), against
  ``εζ``, with the pure powers a = 0, ½, 1 as reference lines.

Protocol of panel 2 (the same for every metric, so the comparison is fair): ``κ*`` sits at the
geometric centre of the κ spectrum (``ε = √(εζ)·κ*``, ``ζ = √(εζ)/κ*``); the learning rate is
``lr = lr_fraction · 2/λ_max(g⁻¹A)`` (a fixed fraction of the deterministic stability limit,
``g`` at the minimum); the start ``q_0`` puts equal loss in every eigen-direction of ``A``;
runs that do not reach ``tol`` within ``max_steps`` are reported at ``max_steps`` and flagged.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._io import atomic_path, atomic_write_text, jsonable
from quantgeo._validation import check_int, check_positive
from quantgeo.learning.crossover import LAWS, CrossoverMetric
from quantgeo.learning.losses import ill_conditioned_quadratic
from quantgeo.learning.optimizers import CovariantGD

__all__ = ["PhaseDiagram", "phases"]

Array = NDArray[np.float64]
REFERENCE_A: tuple[float, ...] = (0.0, 0.5, 1.0)


@dataclass(frozen=True)
class PhaseDiagram:
    """Result of :func:`phases` (every array indexed like :attr:`eps_zeta`)."""

    eps_zeta: Array
    delta: float
    decades: float
    f_half: dict[str, Array]
    f_half_sampled: dict[str, Array]
    width: dict[str, Array]
    width_asymptotic: Array
    iterations: dict[str, Array]
    converged: dict[str, NDArray[np.bool_]]
    reference_iterations: dict[float, float]
    reference_converged: dict[float, bool]
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Per law: the fastest converged ``εζ`` (``None`` if none converged), ``f_½`` there, the
        widest window, the spread ``max/min`` of the converged iteration counts, and whether the
        fastest learning falls inside the a = ½ phase (``f_½ ≥ ½`` at the fastest ``εζ``)."""
        out: dict[str, Any] = {}
        for law, it in self.iterations.items():
            ok = self.converged[law]
            j = int(np.argmax(self.f_half[law]))
            row: dict[str, Any] = {
                "widest_window_eps_zeta": float(self.eps_zeta[j]),
                "iterations_at_widest": float(it[j]),
                "fastest_eps_zeta": None,
            }
            if ok.any():
                masked = np.where(ok, it, np.inf)
                i = int(np.argmin(masked))
                row.update(
                    fastest_eps_zeta=float(self.eps_zeta[i]),
                    fastest_iterations=float(it[i]),
                    f_half_at_fastest=float(self.f_half[law][i]),
                    iteration_spread=float(it[ok].max() / it[ok].min()),
                    fastest_inside_half_phase=bool(self.f_half[law][i] >= 0.5),
                )
            out[law] = row
        out["reference_iterations"] = {str(a): v for a, v in self.reference_iterations.items()}
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (what :meth:`save_json` writes)."""
        return jsonable(
            {
                "eps_zeta": self.eps_zeta,
                "delta": self.delta,
                "decades": self.decades,
                "f_half": self.f_half,
                "f_half_sampled": self.f_half_sampled,
                "window_width_decades": self.width,
                "window_width_asymptotic": self.width_asymptotic,
                "iterations": self.iterations,
                "converged": self.converged,
                "reference_iterations": {str(a): v for a, v in self.reference_iterations.items()},
                "reference_converged": {str(a): v for a, v in self.reference_converged.items()},
                "settings": self.settings,
                "summary": self.summary(),
            }
        )

    def save_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as indented JSON (atomically)."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")


def _metric_for(law: str, ez: float, kstar: float) -> CrossoverMetric:
    r = math.sqrt(ez)
    return CrossoverMetric(r * kstar, r / kstar, law=law)


def _iterations(
    metric: CrossoverMetric | float,
    g_at_min: Array,
    loss: Any,
    q0: Array,
    tol: float,
    batch: int,
    lr_fraction: float,
    max_steps: int,
    seeds: Sequence[int],
) -> tuple[float, bool]:
    lam = np.linalg.eigvals(np.linalg.solve(g_at_min, loss.A)).real
    lr = lr_fraction * 2.0 / float(lam.max())
    opt = CovariantGD(metric, lr, moments="exact", kappa=lambda q: loss.kappa(q, batch), eps=0.0)
    h0 = loss.value(q0) - loss.h_min
    runs = [
        opt.minimize(loss, q0, max_steps, batch_size=batch, seed=s, tol=tol * h0) for s in seeds
    ]
    return float(np.median([r.n_steps for r in runs])), all(r.converged for r in runs)


def phases(
    *,
    eps_zeta: ArrayLike | None = None,
    laws: Sequence[str] = LAWS,
    delta: float = 0.1,
    decades: float = 8.0,
    spectrum_size: int = 1000,
    dim: int = 7,
    condition: float = 1e4,
    noise_scale: float = 1e-2,
    batch_size: int = 10,
    lr_fraction: float = 0.25,
    tol: float = 1e-2,
    max_steps: int = 2000,
    seeds: Sequence[int] = (0,),
    figure: str | os.PathLike[str] | None = None,
    json_path: str | os.PathLike[str] | None = None,
) -> PhaseDiagram:
    """Compute the phase diagram (module docstring); optionally write the PNG and the JSON.

    Parameters
    ----------
    eps_zeta
        Values of ``εζ`` (default ``logspace(−10, 6, 17)``).
    laws
        ``"sum"`` and/or ``"product"``.
    delta, decades, spectrum_size
        Window half-width ``δ`` in ``a_eff``; decades and size of the sampled log-uniform
        spectrum of panel 1 (seeded, ``default_rng(0)``).
    dim, condition, noise_scale, batch_size
        The minibatch problem: :func:`~quantgeo.learning.ill_conditioned_quadratic` with
        ``κ = noise_scale·A/batch_size``.
    lr_fraction, tol, max_steps, seeds
        Panel 2 protocol (module docstring); the median over ``seeds`` of the iterations.
    figure, json_path
        Output files (``None``: not written).
    """
    ez = np.logspace(-10, 6, 17) if eps_zeta is None else np.asarray(eps_zeta, dtype=float)
    if ez.ndim != 1 or ez.size < 1 or np.any(~np.isfinite(ez)) or np.any(ez <= 0):
        raise ValueError(f"`eps_zeta` must be a 1-D array of positive numbers, got {eps_zeta!r}")
    laws = list(laws)
    for law in laws:
        if law not in LAWS:
            raise ValueError(
                f"`laws` entries must be one of {', '.join(map(repr, LAWS))}, got {law!r}"
            )
    delta = check_positive("delta", delta)
    decades = check_positive("decades", decades)
    spectrum_size = check_int("spectrum_size", spectrum_size, 2)
    tol = check_positive("tol", tol)
    lr_fraction = check_positive("lr_fraction", lr_fraction)
    max_steps = check_int("max_steps", max_steps)
    batch = check_int("batch_size", batch_size)
    loss = ill_conditioned_quadratic(
        check_int("dim", dim, 2), condition, noise_scale=check_positive("noise_scale", noise_scale)
    )
    curv, vec = np.linalg.eigh(loss.A)
    q0 = vec @ (1.0 / np.sqrt(curv))  # equal initial loss in every eigen-direction
    kap_min = loss.kappa(loss.minimizer, batch)
    kvals = np.linalg.eigvalsh(kap_min)
    kstar = float(np.sqrt(kvals.min() * kvals.max()))
    rng = np.random.default_rng(0)
    sample = kstar * 10.0 ** rng.uniform(-decades / 2, decades / 2, spectrum_size)

    f_half: dict[str, Array] = {}
    f_samp: dict[str, Array] = {}
    width: dict[str, Array] = {}
    iters: dict[str, Array] = {}
    conv: dict[str, NDArray[np.bool_]] = {}
    for law in laws:
        mets = [_metric_for(law, float(x), kstar) for x in ez]
        f_half[law] = np.array([m.f_half(delta=delta, decades=decades) for m in mets])
        f_samp[law] = np.array([m.f_half(sample, delta=delta) for m in mets])
        width[law] = np.array([m.window_width(delta) for m in mets])
        res = [
            _iterations(m, m.metric(kap_min), loss, q0, tol, batch, lr_fraction, max_steps, seeds)
            for m in mets
        ]
        iters[law] = np.array([r[0] for r in res])
        conv[law] = np.array([r[1] for r in res])
    ref_it: dict[float, float] = {}
    ref_ok: dict[float, bool] = {}
    for a in REFERENCE_A:
        lam, v = np.linalg.eigh(kap_min)
        g = (v * lam**a) @ v.T
        ref_it[a], ref_ok[a] = _iterations(
            a, g, loss, q0, tol, batch, lr_fraction, max_steps, seeds
        )
    asym = np.abs(np.log10(ez)) - 2 * math.log10((1 - 2 * delta) / (2 * delta))
    settings = {
        "dim": dim,
        "condition": condition,
        "noise_scale": noise_scale,
        "batch_size": batch,
        "lr_fraction": lr_fraction,
        "tol": tol,
        "max_steps": max_steps,
        "seeds": list(seeds),
        "kappa_star": kstar,
        "kappa_range": [float(kvals.min()), float(kvals.max())],
        "spectrum_size": spectrum_size,
    }
    diagram = PhaseDiagram(
        ez, delta, decades, f_half, f_samp, width, asym, iters, conv, ref_it, ref_ok, settings
    )
    if json_path is not None:
        diagram.save_json(json_path)
    if figure is not None:
        fig = _phases_figure(diagram)
        with atomic_path(Path(figure)) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
    return diagram


def _phases_figure(d: PhaseDiagram) -> Any:
    """The phase-diagram figure (labelled axes, a caption line with the protocol's settings)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    laws = list(d.iterations)
    fig = Figure(figsize=(6.0 * (1 + len(laws)) / 1.5, 8.0))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1 + len(laws))
    ax = fig.add_subplot(grid[0, 0])
    tw = ax.twinx()
    for law, style in zip(laws, ("-", "--"), strict=False):
        ax.semilogx(d.eps_zeta, d.f_half[law], style, color="C0", label=f"f_½ {law} (analytic)")
        ax.semilogx(d.eps_zeta, d.f_half_sampled[law], "o", mfc="none", color="C0", ms=4)
        tw.semilogx(d.eps_zeta, d.width[law], style, color="C3", label=f"width {law}")
    tw.semilogx(d.eps_zeta, np.maximum(d.width_asymptotic, 0), ":", color="C3", label="asymptote")
    ax.set_xlabel("εζ  (crossover-metric parameter product, dimensionless)")
    ax.set_ylabel(f"fraction f_½ (|a_eff − ½| < {d.delta:g}, {d.decades:g} decades)", color="C0")
    tw.set_ylabel("window width [decades of κ]", color="C3")
    ax.legend(loc="upper right", fontsize=7)
    tw.legend(loc="center right", fontsize=7)
    ax.set_title("order parameter")
    lez = np.linspace(np.log10(d.eps_zeta.min()) - 1, np.log10(d.eps_zeta.max()) + 1, 161)
    lk = np.linspace(-d.decades / 2 - 2, d.decades / 2 + 2, 161)
    for i, law in enumerate(laws):
        h = fig.add_subplot(grid[0, 1 + i])
        img = np.empty((lk.size, lez.size))
        for j, x in enumerate(lez):
            m = _metric_for(law, 10.0**x, 1.0)
            img[:, j] = m.a_eff(10.0**lk)
        im = h.imshow(
            img, origin="lower", aspect="auto", extent=(lez[0], lez[-1], lk[0], lk[-1]),
            cmap="coolwarm", vmin=0, vmax=1,
        )  # fmt: skip
        h.contour(lez, lk, np.abs(img - 0.5), levels=[d.delta], colors="k", linewidths=0.8)
        h.set_xlabel("log₁₀ εζ")
        h.set_ylabel("log₁₀ κ/κ*")
        h.set_title(f"a_eff, {law} law (black: |a_eff − ½| = {d.delta:g})")
        fig.colorbar(im, ax=h, label="a_eff  (dimensionless)")
    sp = fig.add_subplot(grid[1, :])
    for law, mk in zip(laws, ("o-", "s--"), strict=False):
        sp.loglog(d.eps_zeta, d.iterations[law], mk, label=f"crossover, {law} law")
        bad = ~d.converged[law]
        sp.loglog(d.eps_zeta[bad], d.iterations[law][bad], "x", color="k")
    for a, it in d.reference_iterations.items():
        sp.axhline(it, ls=":", color="grey")
        sp.text(d.eps_zeta[0], it, f" a = {a:g}", va="bottom", fontsize=8)
    sp.set_xlabel("εζ  (dimensionless)")
    sp.set_ylabel(f"iterations to {d.settings['tol']:g}·H₀ (x: not reached)")
    sp.set_title(
        f"learning speed, ill-conditioned minibatch quadratic (cond {d.settings['condition']:g})"
    )
    sp.legend(fontsize=8)
    st = d.settings
    caption = (
        f"CovariantGD with the crossover metric vs the pure powers a = 0, ½, 1: dim "
        f"{st.get('dim')}, condition {st.get('condition', 0):g}, lr = "
        f"{st.get('lr_fraction', 0):g}·2/λmax(g⁻¹A), batch {st.get('batch_size')}, at most "
        f"{st.get('max_steps')} steps; f_½ counted on {st.get('spectrum_size')} sampled κ."
    )
    fig.supxlabel(caption, fontsize=8)
    fig.tight_layout()
    return fig
