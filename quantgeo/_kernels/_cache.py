"""Keep Numba's on-disk cache honest across kernel modules.

Numba's ``cache=True`` keys a compiled function on the modification stamp of the file that
defines it, and folds the code of every jitted function it calls into the same cache entry.
A change to a *called* function in another file is therefore not seen: the caller keeps
running the old code from its cache (a documented limitation, numba/numba#1833).  quantgeo's
kernels call across modules (:mod:`.fftw` inlines the passes of :mod:`.split`,
:mod:`.evolution` draws through :mod:`.binomial`), so after an edit or a partial upgrade a
stale cache would silently compute with code that is no longer in the source.

:func:`drop_stale` closes that gap: a kernel module calls it at the end of its import, naming
the modules its kernels call into, and every cache index of the module written before the
last change to one of those files is deleted, so Numba compiles afresh on the next call (and
caches the new code).  It costs a few ``stat`` calls per import.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["drop_stale"]

_log = logging.getLogger("quantgeo")


def _cache_dir(module: ModuleType) -> Path | None:
    """The directory Numba caches ``module``'s jitted functions in (``None`` if none is)."""
    for value in vars(module).values():
        cache: Any = getattr(value, "_cache", None)  # set by Dispatcher.enable_caching
        path = getattr(cache, "cache_path", None)
        if path:
            return Path(path)
    return None


def drop_stale(module: ModuleType, depends_on: Iterable[ModuleType]) -> list[Path]:
    """Delete ``module``'s Numba cache indexes older than any file in ``depends_on``.

    Parameters
    ----------
    module
        A kernel module, fully defined (call this at the end of its body with
        ``sys.modules[__name__]``).
    depends_on
        The modules whose jitted functions ``module``'s kernels call (directly or through
        each other: list the whole chain).

    Returns
    -------
    list of Path
        The index files deleted (empty when the cache is current, absent or not writable).
    """
    source = getattr(module, "__file__", None)
    folder = _cache_dir(module)
    if source is None or folder is None or not folder.is_dir():
        return []
    newest = max((os.stat(m.__file__).st_mtime for m in depends_on if m.__file__), default=0.0)
    dropped = []
    for index in folder.glob(f"{Path(source).stem}.*.nbi"):
        try:
            if index.stat().st_mtime < newest:
                index.unlink()
                dropped.append(index)
        except OSError:  # another process dropped it first, or a read-only cache
            continue
    if dropped:
        names = ", ".join(m.__name__ for m in depends_on)
        _log.info(
            "dropped %d stale Numba cache entries of %s (%s changed)",
            len(dropped),
            module.__name__,
            names,
        )
    return dropped
