r"""Where a :class:`~quantgeo.recording.Recorder` keeps the states it stores: one copy each,
in RAM up to a budget and streamed to a temporary file beyond it.

Each recorded state is copied once, into one preallocated ``(n_t, *shape)`` block (the
recorder knows ``n_t`` from its schedule), so a trajectory of ``n_t`` states of ``b`` bytes
holds :math:`n_t b` bytes, not the :math:`2 n_t b` of a list of copies stacked at the end.

When :math:`n_t b` exceeds the budget the states are appended to an anonymous temporary file
(:func:`tempfile.TemporaryFile`: on POSIX the file has no name from the moment it is created, on
Windows it is deleted when closed) with ordinary writes, which do not count in the process's
resident memory, and :meth:`StateStore.finish` maps it as a copy-on-write ``numpy.memmap``:
:attr:`Trajectory.states <quantgeo.recording.Trajectory.states>` then reads lazily, page by
page, and the disk space is returned when the last view of the states is released.  Nothing is
ever left on disk, whether the run ends normally, raises or is interrupted (Ctrl-C, ``kill``).

Why a raw memmap and not HDF5: the states are written once, in order, and read back by
index; a flat file mapped by NumPy does exactly that with no dependency, and every consumer of
``Trajectory.states`` (indexing, iteration, ``np.asarray``, ``save``, ``to_xarray``,
``compare``) works on a ``numpy.memmap`` unchanged.  Saving a trajectory to ``.h5`` remains
:meth:`Trajectory.save <quantgeo.recording.Trajectory.save>`'s job.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._validation import format_bytes

__all__ = ["BUDGET_ENV_VAR", "DEFAULT_BUDGET", "StateStore", "default_budget", "resolve_budget"]

#: Largest default budget of the states a recorder keeps in RAM (1 GiB).
DEFAULT_BUDGET = 2**30
#: Environment variable holding the budget (``"512MiB"``), read when none is given.
BUDGET_ENV_VAR = "QUANTGEO_MEMORY_BUDGET"
# the default budget is at most this fraction of the memory available when the run starts
_AVAILABLE_FRACTION = 0.25
# in RAM without a schedule: start with this many states and grow by half each time
_FIRST_CAPACITY = 16


def env_budget() -> int | None:
    """Bytes of ``$QUANTGEO_MEMORY_BUDGET`` (a size such as ``"512MiB"``), ``None`` when unset."""
    from quantgeo._preflight import parse_size

    env = os.environ.get(BUDGET_ENV_VAR, "").strip()
    return parse_size(env, BUDGET_ENV_VAR) if env else None


def default_budget() -> int:
    """``$QUANTGEO_MEMORY_BUDGET`` when set, else ``min(1 GiB, ¼ of the available memory)``."""
    from quantgeo._preflight import available_memory

    env = env_budget()
    if env is not None:
        return env
    avail = available_memory()
    if avail is None:
        return DEFAULT_BUDGET
    return int(min(DEFAULT_BUDGET, _AVAILABLE_FRACTION * avail))


def resolve_budget(budget: str | float | None, name: str = "memory_budget") -> int | None:
    """Bytes of a budget given as bytes or a size string (``"512MiB"``); ``None`` stays
    ``None`` (the default, :func:`default_budget`, is read when the run starts)."""
    if budget is None:
        return None
    from quantgeo._preflight import parse_size

    if isinstance(budget, bool) or not isinstance(budget, int | float | str):
        raise TypeError(
            f"`{name}` must be a number of bytes or a size such as '512MiB', got "
            f"{type(budget).__name__}"
        )
    if isinstance(budget, int | float) and not budget >= 0:
        raise ValueError(f"`{name}` must be ≥ 0 bytes, got {budget!r}")
    if budget == 0:
        return 0  # everything streams
    return parse_size(budget, name)


class StateStore:
    """Append-only store of equally shaped states: RAM up to ``budget`` bytes, then disk.

    Parameters
    ----------
    capacity
        Number of states expected (the recorder's schedule), or ``None`` when unknown.  More
        states may come (the block grows), fewer (it is trimmed).
    budget
        Largest number of bytes of states kept in RAM; above it the states stream to disk.
    spill_dir
        Directory of the temporary file (default: :func:`tempfile.gettempdir`, i.e.
        ``$TMPDIR``; choose a disk, not a RAM-backed ``tmpfs``).
    """

    def __init__(self, capacity: int | None, budget: int, spill_dir: str | None = None) -> None:
        self.capacity = capacity
        self.budget = int(budget)
        self.spill_dir = spill_dir
        self.count = 0
        self._shape: tuple[int, ...] = ()
        self._dtype: np.dtype[Any] = np.dtype(np.float64)
        self._buf: NDArray[Any] | None = None
        self._file: IO[bytes] | None = None

    @property
    def streaming(self) -> bool:
        """Whether the states go to disk."""
        return self._file is not None

    @property
    def frame_bytes(self) -> int:
        """Bytes of one state (0 before the first)."""
        return int(np.prod(self._shape, dtype=np.int64)) * self._dtype.itemsize if self.count else 0

    def append(self, state: Any) -> None:
        """Copy ``state`` (an array or an object with ``.data``) into the store."""
        arr = np.asarray(state)
        if self.count == 0:
            self._start(arr)
        elif arr.shape != self._shape:
            raise ValueError(
                f"stored states must all have one shape: state {self.count} has shape "
                f"{arr.shape}, the first had {self._shape}"
            )
        elif not np.can_cast(arr.dtype, self._dtype, "safe"):
            self._widen(arr.dtype)
        if self._file is None and self._buf is not None and self.count == len(self._buf):
            self._grow()  # may cross the budget and open the file
        if self._file is not None:
            self._file.write(np.ascontiguousarray(arr, dtype=self._dtype).data)
        else:
            assert self._buf is not None
            self._buf[self.count] = arr
        self.count += 1

    def finish(self) -> NDArray[Any] | None:
        """The stored states, ``(count, *shape)`` (``None`` when there are none): an array in
        RAM, or a copy-on-write ``numpy.memmap`` of the temporary file.  The store is empty
        afterwards."""
        buf, fh, n = self._buf, self._file, self.count
        self._buf, self._file, self.count = None, None, 0
        if n == 0:
            if fh is not None:
                fh.close()
            return None
        if fh is None:
            assert buf is not None
            if len(buf) != n:
                # in place (realloc): no second block, unlike buf[:n].copy()
                buf.resize((n, *self._shape), refcheck=False)
            return buf
        try:
            fh.flush()
            # the map holds the file open (mmap duplicates the descriptor): closing it is safe
            return np.memmap(fh, dtype=self._dtype, mode="c", shape=(n, *self._shape))
        finally:
            fh.close()

    def discard(self) -> None:
        """Drop whatever was stored (a run that failed)."""
        if self._file is not None:
            self._file.close()
        self._buf, self._file, self.count = None, None, 0

    def describe(self) -> dict[str, Any]:
        """``{"states_storage": "ram"|"disk", "memory_budget": bytes}`` (``Trajectory.info`` of
        a streamed run has them)."""
        return {
            "states_storage": "disk" if self.streaming else "ram",
            "memory_budget": self.budget,
        }

    # -- internals -------------------------------------------------------------------------
    def _start(self, arr: NDArray[Any]) -> None:
        self._shape, self._dtype = arr.shape, arr.dtype
        frame = max(1, arr.nbytes)
        expected = self.capacity if self.capacity else _FIRST_CAPACITY
        if expected * frame > self.budget:
            self._open_file()
            self._check_disk(expected * frame)
        else:
            self._buf = np.empty((expected, *self._shape), dtype=self._dtype)

    def _open_file(self) -> None:
        try:
            self._file = tempfile.TemporaryFile(prefix="quantgeo-states-", dir=self.spill_dir)
        except OSError as exc:
            raise OSError(
                f"cannot create the temporary file of the streamed states in "
                f"{self.spill_dir or tempfile.gettempdir()!r} ({exc}); set `spill_dir` or "
                f"$TMPDIR to a writable disk, or raise `memory_budget` "
                f"(now {format_bytes(self.budget)})"
            ) from exc

    def _check_disk(self, nbytes: float) -> None:
        """Refuse (before writing) a stream the disk cannot hold; the file is closed."""
        from quantgeo.errors import ResourceError

        where = self.spill_dir or tempfile.gettempdir()
        try:
            free = shutil.disk_usage(where).free
        except OSError:
            return
        if nbytes > free:
            self.discard()
            raise ResourceError(
                f"needs {format_bytes(nbytes)} of disk in {where!r} to stream the stored "
                f"states (free: {format_bytes(free)}); set `spill_dir` (or $TMPDIR) to a "
                "larger disk, record less often or pass `store_states=False`",
                needed=float(nbytes),
                limit=float(free),
            )

    def _grow(self) -> None:
        assert self._buf is not None
        n = len(self._buf)
        new = max(n + 1, n + n // 2)
        if new * self.frame_bytes > self.budget:
            # spill what is in RAM to the file and continue there
            buf, self._buf = self._buf, None
            self._open_file()
            assert self._file is not None
            self._file.write(np.ascontiguousarray(buf[: self.count]).data)
            del buf
        else:
            self._buf.resize((new, *self._shape), refcheck=False)

    def _widen(self, dtype: np.dtype[Any]) -> None:
        # a state of a wider dtype (float after int …): what np.stack would have given
        wide = np.result_type(self._dtype, dtype)
        if self._file is not None:
            raise TypeError(
                f"streamed states must keep one dtype: state {self.count} is {dtype}, the first "
                f"were {self._dtype}"
            )
        assert self._buf is not None
        self._buf = self._buf.astype(wide)
        self._dtype = wide
