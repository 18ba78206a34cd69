"""One unordered map over any executor: ``concurrent.futures``, a Dask client, MPI.

The design follows QuTiP 5's ``parallel_map``: the sweep hands a picklable module-level function
and its tasks to :func:`map_unordered`, which yields ``(index, outcome)`` as tasks finish:

- any :class:`concurrent.futures.Executor` (``ProcessPoolExecutor``, ``ThreadPoolExecutor``,
  ``mpi4py.futures.MPIPoolExecutor``): ``submit`` + ``as_completed``;
- a Dask ``distributed.Client``: ``client.map`` + ``as_completed(..., with_results=True)``
  (which gathers finished results in batches; measured faster than the client's
  ``get_executor().map``);
- ``"serial"``: in this process, one task after another (no pickling; for debugging and as the
  baseline of the throughput benchmark).

:func:`make_executor` builds the executors of the ``quantgeo sweep --executor`` choices.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
from collections.abc import Callable, Generator, Sequence
from typing import Any

from quantgeo._validation import check_int

__all__ = ["EXECUTORS", "ExecutorHandle", "is_dask_client", "make_executor", "map_unordered"]

#: The ``--executor`` choices.
EXECUTORS = ("processes", "dask", "mpi", "serial")

#: Install line printed when an optional engine is missing.
_INSTALL = 'pip install "quantgeo[sweep]"'


def is_dask_client(obj: Any) -> bool:
    """Whether ``obj`` is a Dask ``distributed.Client`` (checked without importing Dask)."""
    return type(obj).__module__.split(".")[0] == "distributed" and hasattr(obj, "gather")


def _ignore_sigint() -> None:
    # Ctrl-C in a terminal signals the whole process group: only the driver handles it, so a
    # worker never dies half-way through a task and breaks the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_pool(workers: int | None = None) -> cf.ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` with ``workers`` processes (default: one per core).

    Workers start from a fresh interpreter (``forkserver`` where available, else ``spawn``):
    never a fork of a driver that may hold threads, and they ignore SIGINT.
    """
    n = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, or_none=True)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_ignore_sigint)


def stop_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel pending tasks and end the workers now (on Ctrl-C): no task result is awaited."""
    pool.shutdown(wait=False, cancel_futures=True)
    terminate = getattr(pool, "terminate_workers", None)  # Python ≥ 3.14
    if terminate is not None:
        terminate()
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        p.terminate()
    for p in procs:
        p.join(timeout=10)


def map_unordered(
    executor: Any,
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    keys: Sequence[str] | None = None,
) -> Generator[tuple[int, Any], None, None]:
    """Yield ``(i, fn(tasks[i]))`` in order of completion.

    An exception raised by ``fn`` or by the executor for one task is yielded as that task's
    outcome (an ``Exception`` instance), so one bad task never stops the others.  When the
    generator is closed early (Ctrl-C in the consumer), pending tasks are cancelled.

    Parameters
    ----------
    executor
        ``"serial"``, a :class:`concurrent.futures.Executor` or a Dask ``distributed.Client``.
    fn
        A picklable module-level function of one task.
    tasks
        The tasks.
    keys
        Dask task keys (unique, e.g. the point hashes); ignored by other executors.
    """
    if isinstance(executor, str) and executor == "serial":
        for i, task in enumerate(tasks):
            try:
                out = fn(task)
            except Exception as exc:  # isolated like a remote failure
                out = exc
            yield i, out
        return
    if is_dask_client(executor):
        yield from _map_dask(executor, fn, tasks, keys)
        return
    if not isinstance(executor, cf.Executor):
        raise TypeError(
            "`executor` must be None, 'serial', a concurrent.futures.Executor (processes, "
            f"threads, mpi4py.futures.MPIPoolExecutor) or a distributed.Client, got "
            f"{type(executor).__name__}"
        )
    futures: dict[cf.Future[Any], int] = {}
    try:
        for i, task in enumerate(tasks):
            futures[executor.submit(fn, task)] = i
        for fut in cf.as_completed(futures):
            try:
                out = fut.result()
            except Exception as exc:
                out = exc
            yield futures[fut], out
    finally:
        for fut in futures:
            fut.cancel()


def _map_dask(
    client: Any, fn: Callable[[Any], Any], tasks: Sequence[Any], keys: Sequence[str] | None
) -> Generator[tuple[int, Any], None, None]:
    from distributed import as_completed

    names = list(keys) if keys is not None else None
    futures = client.map(fn, list(tasks), key=names, pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    try:
        done = as_completed(futures, with_results=True, raise_errors=False)
        for fut, out in done:
            yield index[fut.key], out if not isinstance(out, BaseException) else _as_exc(out)
    finally:
        client.cancel(futures)


def _as_exc(err: BaseException) -> Exception:
    return err if isinstance(err, Exception) else RuntimeError(f"{type(err).__name__}: {err}")


class ExecutorHandle:
    """An executor made by :func:`make_executor` and how to release it.

    Attributes
    ----------
    executor
        What :func:`map_unordered` accepts.
    workers
        Number of workers (``None`` when the remote side decides).
    kind
        One of :data:`EXECUTORS`.
    """

    def __init__(
        self, executor: Any, kind: str, workers: int | None, close: Callable[[], None]
    ) -> None:
        self.executor, self.kind, self.workers, self._close = executor, kind, workers, close

    def close(self) -> None:
        """Release the executor (shut down the pool, close the client and local cluster)."""
        self._close()


def make_executor(
    kind: str = "processes",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    timeout: float = 30.0,
) -> ExecutorHandle:
    """Build the executor of a ``--executor`` choice.

    Parameters
    ----------
    kind
        ``"processes"`` (``ProcessPoolExecutor``, one worker per core by default), ``"dask"``
        (a ``distributed.Client`` of ``scheduler``, or of a ``LocalCluster`` on 127.0.0.1 with
        ``workers`` single-threaded worker processes), ``"mpi"`` (``MPIPoolExecutor``: run under
        ``mpiexec -n P python -m mpi4py.futures -m quantgeo.sweep …``) or ``"serial"``.
    workers
        Worker count for ``processes`` and a local Dask cluster (ignored otherwise).
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``), only with ``"dask"``.
    timeout
        Seconds to wait for the Dask scheduler before giving up.

    Raises
    ------
    ValueError
        Unknown ``kind``, ``scheduler`` without ``"dask"``.
    ConnectionError
        The scheduler could not be reached within ``timeout``.
    ImportError
        Dask or mpi4py is not installed (naming the install command).
    """
    if kind not in EXECUTORS:
        raise ValueError(f"`executor` must be one of {', '.join(EXECUTORS)}, got {kind!r}")
    if scheduler is not None and kind != "dask":
        raise ValueError(f"`scheduler` needs executor 'dask', got executor {kind!r}")
    if kind == "serial":
        return ExecutorHandle("serial", kind, 1, lambda: None)
    if kind == "processes":
        n = (os.cpu_count() or 1) if workers is None else workers
        pool = default_pool(n)
        return ExecutorHandle(pool, kind, n, lambda: pool.shutdown(wait=True))
    if kind == "dask":
        return _dask_client(workers, scheduler, timeout)
    return _mpi_pool()


def _dask_client(workers: int | None, scheduler: str | None, timeout: float) -> ExecutorHandle:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(f"executor 'dask' needs Dask distributed: {_INSTALL} ({exc})") from exc
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(
                f"`scheduler`: could not reach the Dask scheduler at {scheduler!r} within "
                f"{timeout:g} s ({type(exc).__name__}: {exc}); start one with `dask scheduler` "
                "and give its tcp://HOST:PORT address"
            ) from exc
        return ExecutorHandle(client, "dask", None, client.close)
    n = (os.cpu_count() or 1) if workers is None else workers
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return ExecutorHandle(client, "dask", n, close)


def _mpi_pool() -> ExecutorHandle:
    try:
        from mpi4py.futures import MPIPoolExecutor
    except ImportError as exc:
        raise ImportError(
            f"executor 'mpi' needs mpi4py and a system MPI: {_INSTALL} and e.g. "
            f"`apt-get install openmpi-bin libopenmpi-dev` ({exc})"
        ) from exc
    pool = MPIPoolExecutor()
    size = getattr(pool, "num_workers", None)
    return ExecutorHandle(pool, "mpi", size, lambda: pool.shutdown(wait=True))
