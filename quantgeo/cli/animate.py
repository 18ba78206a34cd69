"""``quantgeo animate``: render a movie of ψ while the solver runs."""

from __future__ import annotations

import argparse
from typing import Any

from quantgeo.cli import _common
from quantgeo.cli._common import EXIT_OK, load, out, progress

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser, scen: argparse.ArgumentParser) -> None:
    """Add ``animate`` to the sub-parsers ``sub``."""
    p = sub.add_parser(
        "animate",
        parents=[common, scen],
        help="render an animation of ψ (GIF via Pillow, MP4 via imageio-ffmpeg)",
        description="Run the scenario and render frames while the solver runs (memory does not "
        "grow with the number of frames). 1D: |ψ|², Re ψ, Im ψ, V and an optional reference; "
        "2D: density with phase as hue and contours of V.",
    )
    p.add_argument("-o", "--output", required=True, help="output movie: out.gif or out.mp4")
    p.add_argument("--fps", type=int, help="frames per second (default: [animation].fps)")
    p.add_argument("--dpi", type=int, help="resolution (default: [animation].dpi)")
    p.add_argument("--frames", type=int, help="number of frames (default: [animation].frames)")
    p.add_argument("--t-end", type=float, help="end time of the movie (default: [solver].t_end)")
    p.add_argument(
        "--overlay",
        choices=("auto", "analytic", "qutip", "none"),
        help="1D reference curve (default: [animation].overlay)",
    )
    _common.add_max_memory(p)  # pre-flight memory limit
    p.set_defaults(func=_cmd_animate)


def _cmd_animate(args: argparse.Namespace) -> int:
    from quantgeo._io import check_file_target
    from quantgeo.animation import animate

    sc = load(args.file, args)
    check_file_target(args.output, option="-o")
    if sc.meta.kind == "lattice_learners":
        # the learners' own movie: histogram bars over |ψ|² (1D), learner dots (2D/3D)
        from quantgeo.animation_learners import animate_learner_scenario

        given = [
            f"--{name.replace('_', '-')}"
            for name in ("fps", "dpi", "frames", "t_end", "overlay")
            if getattr(args, name) is not None
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)}: a lattice_learners movie takes its settings from "
                "[animation]; use --set animation.KEY=VALUE (no overlay: the bars are drawn "
                "over |ψ|²)"
            )
        res = animate_learner_scenario(sc, args.output, progress=progress(args))
    else:
        res = animate(
            sc,
            args.output,
            fps=args.fps,
            dpi=args.dpi,
            frames=args.frames,
            t_end=args.t_end,
            overlay=args.overlay,
            progress=progress(args),
        )
    if not args.quiet:
        out(
            f"wrote {res.path} ({res.frames} frames, {res.size[0]}×{res.size[1]} px, "
            f"{res.fps} fps, "
            f"{res.writer}) in {res.seconds:.1f} s ({res.render_seconds:.1f} s rendering)"
        )
    return EXIT_OK
