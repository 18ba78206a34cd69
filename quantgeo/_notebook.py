"""Inline display of written movies in Jupyter (``AnimationResult._repr_html_``)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

__all__ = ["movie_html"]


def movie_html(path: Path, size: tuple[int, int], writer: str) -> str:
    """The movie at ``path`` embedded as base64 data in HTML.

    An MP4 (``writer == "ffmpeg"``) becomes an HTML5 ``<video>`` (controls, autoplay, loop);
    a GIF an animated ``<img>``, which every browser plays without a script.  Files above
    matplotlib's ``animation.embed_limit`` (MB, 20 by default: the limit matplotlib's own
    ``to_html5_video``/``to_jshtml`` use) are named, not embedded.

    Parameters
    ----------
    path
        The movie file.
    size
        ``(width, height)`` in pixels.
    writer
        ``"ffmpeg"`` (MP4) or ``"pillow"`` (GIF).
    """
    from matplotlib import rcParams

    data = path.read_bytes()
    name = html.escape(path.name)
    limit = float(rcParams["animation.embed_limit"]) * 2**20
    if len(data) > limit:
        return (
            f"<p>{name}: {len(data) / 2**20:.1f} MiB, above matplotlib's animation.embed_limit "
            f"({limit / 2**20:g} MiB); open the file or raise the limit</p>"
        )
    b64 = base64.b64encode(data).decode("ascii")
    w, h = size
    if writer == "ffmpeg":
        return (
            f'<video width="{w}" height="{h}" controls autoplay loop muted playsinline '
            f'title="{name}" src="data:video/mp4;base64,{b64}"></video>'
        )
    return f'<img width="{w}" height="{h}" alt="{name}" src="data:image/gif;base64,{b64}">'
