"""Progress bars for long runs (tqdm), one policy for every engine.

``progress=None`` shows a bar when stderr is a terminal or the code runs in a Jupyter kernel;
``True`` forces it on; ``False`` turns it off.  Bars come from ``tqdm.auto``: a widget in a
notebook (with ipywidgets installed; a text bar otherwise), text in a terminal.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["in_notebook", "progress_bar", "progress_enabled"]


def progress_enabled(progress: bool | None) -> bool:
    """Whether to show a bar: ``None`` → stderr is a terminal or a Jupyter kernel runs the
    code, else ``bool(progress)``."""
    if progress is not None:
        return bool(progress)
    return sys.stderr.isatty() or in_notebook()


def in_notebook() -> bool:
    """Whether a Jupyter (IPython) kernel runs this code; never imports IPython itself."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)()
    return shell is not None and hasattr(shell, "kernel")


def progress_bar(total: float, desc: str, progress: bool | None, unit: str = "step") -> Any:
    """A ``tqdm`` bar over ``total`` units — steps, or simulated time with ``unit="t"`` —
    disabled per :func:`progress_enabled`."""
    from tqdm.auto import tqdm

    return tqdm(
        total=total, desc=desc, unit=unit, leave=False, disable=not progress_enabled(progress)
    )
