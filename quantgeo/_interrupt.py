"""SIGINT and SIGTERM as one exception, :class:`Interrupted`, and the interruption test hook.

The ``quantgeo`` command calls :func:`install` before anything else, so that Ctrl-C (SIGINT) or
a ``kill`` (SIGTERM) at any later point, imports included, raises :class:`Interrupted` (a
:class:`KeyboardInterrupt`): ``finally`` blocks remove temporary files and the command prints
one line and exits with ``128 + signal number`` (130, 143).

Some libraries catch the :class:`KeyboardInterrupt` raised inside a callback and raise another
error instead (``qutip.sesolve``'s ODE integrators raise ``ValueError: Function to integrate
must not return a tuple.``).  The handler therefore also records every signal it receives;
:func:`watch` and the command turn whatever was raised after a signal arrived back into the
interrupt.

Test hook (inert unless set): with ``QUANTGEO_TEST_PAUSE_AT=<point>`` in the environment,
:func:`pause_at` ``(<point>)`` writes the point's name to the file named by
``QUANTGEO_TEST_PAUSE_FILE`` and then waits for a signal.  It makes the interruption tests
deterministic (tests/unit/test_interrupts.py) instead of timing-based.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = [
    "PAUSE_ENV",
    "PAUSE_FILE_ENV",
    "SIGNALS",
    "Interrupted",
    "install",
    "interrupted_by",
    "pause_at",
    "restore",
    "signals_seen",
    "watch",
]

#: Environment variable naming the point at which :func:`pause_at` waits (test hook).
PAUSE_ENV = "QUANTGEO_TEST_PAUSE_AT"
#: Environment variable naming the file :func:`pause_at` writes when it starts waiting.
PAUSE_FILE_ENV = "QUANTGEO_TEST_PAUSE_FILE"

#: The signals the command handles, each as an :class:`Interrupted` with exit 128 + number.
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []  # every signal the handler has seen, in order
_paused: set[str] = set()  # points at which pause_at has already waited


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM received.

    Attributes
    ----------
    signum
        The signal number (2 for SIGINT, 15 for SIGTERM).
    """

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(signal.Signals(self.signum).name)

    @property
    def name(self) -> str:
        """``"SIGINT"`` or ``"SIGTERM"``."""
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        """The shell's convention for a process ended by a signal: ``128 + signum``."""
        return 128 + self.signum


def _handler(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise Interrupted(signum)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def install() -> dict[int, Any]:
    """Make SIGINT and SIGTERM raise :class:`Interrupted`; return the previous handlers (for
    :func:`restore`).

    Main thread only (elsewhere a no-op: Python accepts signal handlers from the main thread
    only).  A signal the parent process set to be ignored (``nohup``, a shell's background
    job) stays ignored, as Python itself does for SIGINT.
    """
    previous: dict[int, Any] = {}
    if _main_thread():
        for sig in SIGNALS:
            current = signal.getsignal(sig)
            if current is not signal.SIG_IGN and current is not _handler:
                previous[sig] = signal.signal(sig, _handler)
    return previous


def restore(previous: dict[int, Any]) -> None:
    """Put back the handlers :func:`install` replaced."""
    if _main_thread():
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def interrupted_by(since: int = 0) -> Interrupted | None:
    """The :class:`Interrupted` of the last signal received after the first ``since`` ones
    (``None`` when none arrived); ``since`` is a count from :func:`signals_seen`."""
    return Interrupted(_received[-1]) if len(_received) > since else None


def signals_seen() -> int:
    """How many signals the handler has received so far (a mark for :func:`interrupted_by`)."""
    return len(_received)


@contextlib.contextmanager
def watch() -> Iterator[None]:
    """Turn any exception raised after a signal arrived inside the block into
    :class:`Interrupted` (chained to it), and raise it too when the block swallowed the
    signal and returned normally.

    When SIGINT still has Python's default handler (library use, main thread), the recording
    handler is installed for the block and the previous one restored afterwards.
    """
    mark = len(_received)
    previous = None
    if _main_thread() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous = signal.signal(signal.SIGINT, _handler)
    try:
        yield
    except Interrupted:
        raise
    except BaseException as exc:
        got = interrupted_by(mark)
        if got is None:
            raise
        raise got from exc
    else:
        # a library that swallowed the interrupt (an integrator catching exceptions in its
        # callback) returns normally: the signal still ends the block
        got = interrupted_by(mark)
        if got is not None:
            raise got
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def pause_at(point: str) -> None:
    """Test hook: wait for a signal at ``point`` when ``QUANTGEO_TEST_PAUSE_AT`` names it.

    Inert (one dictionary look-up) unless the variable is set.  Waits once per process and
    point: writes ``point`` to the file named by ``QUANTGEO_TEST_PAUSE_FILE`` (through a
    rename, so the file is never seen half-written), then sleeps until a signal handler raises.
    """
    if os.environ.get(PAUSE_ENV) != point or point in _paused:
        return
    _paused.add(point)
    ready = os.environ.get(PAUSE_FILE_ENV)
    if ready:
        tmp = f"{ready}.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(point)
        os.replace(tmp, ready)
    while True:  # time.sleep returns early on a signal, whose handler raises
        time.sleep(0.05)
