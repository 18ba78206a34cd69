"""Keep Numba's on-disk cache honest across kernel modules.

Numba's ``cache=True`` keys a compiled function on the modification stamp of the file that
defines it, and folds the code of every jitted function it calls into the same cache entry.
A change to a *called* function in another file is therefore not seen: the caller keeps
running the old code from its cache (a documented limitation, numba/numba#1833).  quantgeo's
kernels call across modules (:mod:`.fftw` inlines the passes of :mod:`.split`,
:mod:`.evolution` draws through :mod:`.binomial`), so after an edit or a partial upgrade a
stale cache would silently compute with code that is no longer in the source.

:func:`drop_stale` closes that gap: a kernel module calls it at the end of its import, naming
the modules its kernels call into; when one of those files is not the one the module's cache
entries were compiled against, the entries are deleted, so Numba compiles afresh on the next
call (and caches the new code).  It costs a few ``stat`` calls and one small read per import.
"""

from __future__ import annotations

import json
import logging
import os
import sys
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


def _stamps(depends_on: Iterable[ModuleType]) -> dict[str, list[int]]:
    """``{module name: [mtime_ns, size]}`` of the files of ``depends_on``."""
    out = {}
    for m in depends_on:
        if m.__file__:
            st = os.stat(m.__file__)
            out[m.__name__] = [st.st_mtime_ns, st.st_size]
    return out


def drop_stale(name: str, depends_on: Iterable[str]) -> list[Path]:
    """Delete ``module``'s Numba cache entries unless they were compiled against the files of
    ``depends_on`` as they are now.

    The stamps (modification time and size, as Numba uses for a file of its own) of the
    dependencies are kept beside the cache, in ``<module>.deps.json``; when they differ —
    newer or older: a file restored by ``cp -p``, ``rsync -t`` or an archive counts — or are
    missing while entries exist, the module's ``.nbi`` indexes and ``.nbc`` data are deleted
    and the stamps written anew.

    Parameters
    ----------
    name
        A kernel module's ``__name__``, the module fully defined (call this at the end of its
        body).
    depends_on
        Names of the (imported) modules whose jitted functions its kernels call, directly or
        through each other: list the whole chain.

    Returns
    -------
    list of Path
        The files deleted (empty when the cache is current, absent or not writable).
    """
    module = sys.modules[name]
    source = getattr(module, "__file__", None)
    folder = _cache_dir(module)
    if source is None or folder is None or not folder.is_dir():
        return []
    stem = Path(source).stem
    sidecar = folder / f"{stem}.deps.json"
    deps = [sys.modules[d] for d in depends_on]
    now = _stamps(deps)
    try:
        if json.loads(sidecar.read_text()) == now:
            return []
    except (OSError, ValueError):
        pass  # no stamps yet (a new cache, or one older than this check), or unreadable
    dropped = []
    for entry in [*folder.glob(f"{stem}.*.nbi"), *folder.glob(f"{stem}.*.nbc")]:
        try:
            entry.unlink()
            dropped.append(entry)
        except OSError:  # another process dropped it first, or a read-only cache
            continue
    from quantgeo._io import atomic_write_text

    try:
        atomic_write_text(sidecar, json.dumps(now))  # a reader sees the old stamps or the new
    except OSError:
        pass  # a read-only cache: Numba cannot write to it either
    if dropped:
        names = ", ".join(m.__name__ for m in deps)
        _log.info(
            "dropped %d stale Numba cache files of %s (%s changed)",
            len(dropped),
            module.__name__,
            names,
        )
    return dropped
