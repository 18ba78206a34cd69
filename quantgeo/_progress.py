"""Progress bars for long runs (tqdm), one policy for every engine.

``progress=None`` shows a bar only when stderr is a terminal; ``True`` forces it on (notebooks,
where stderr is not a tty); ``False`` turns it off.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar", "progress_enabled"]


def progress_enabled(progress: bool | None) -> bool:
    """Whether to show a bar: ``None`` → stderr is a terminal, else ``bool(progress)``."""
    return sys.stderr.isatty() if progress is None else bool(progress)


def progress_bar(total: float, desc: str, progress: bool | None, unit: str = "step") -> Any:
    """A ``tqdm`` bar over ``total`` units — steps, or simulated time with ``unit="t"`` —
    disabled per :func:`progress_enabled`."""
    from tqdm.auto import tqdm

    return tqdm(
        total=total, desc=desc, unit=unit, leave=False, disable=not progress_enabled(progress)
    )
