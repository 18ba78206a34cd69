"""Exception and warning types of quantgeo.

Every error raised on bad input names the offending argument in backticks, shows the value
received and states what is allowed, e.g. ``"`dt` must be positive, got -0.001"``.  Scenario
errors additionally start with ``file: [table].key``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "LatticeMismatchError",
    "QuantgeoError",
    "QuantgeoWarning",
    "ResourceError",
    "ScenarioError",
    "StabilityError",
]


class QuantgeoError(Exception):
    """Base class of every exception quantgeo raises on purpose."""


class ScenarioError(QuantgeoError, ValueError):
    """A scenario file (or a spec built from one) is invalid.

    Parameters
    ----------
    problems
        One message per problem, each of the form ``"file: [table].key: message"``.  All the
        problems found in a file are reported together.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("\n".join(self.problems))


class StabilityError(QuantgeoError, RuntimeError):
    """Numerical failure during time stepping (non-finite values, norm drift, singular density).

    Attributes
    ----------
    t
        Simulation time at which the failure was detected.
    step
        Index of the time step at which it was detected.
    """

    def __init__(self, message: str, *, t: float, step: int) -> None:
        self.t = float(t)
        self.step = int(step)
        super().__init__(message)


class ResourceError(QuantgeoError, ValueError):
    """A run would need more memory (or more steps, records or sites) than allowed.

    Raised by the pre-flight checks (:mod:`quantgeo._preflight`) before anything big is
    allocated, with one line saying what is needed and which key or argument to change.  A
    ``ValueError`` because the cure is a different input (the CLI exits with status 2), not a
    ``MemoryError``: nothing ran out of memory.

    Attributes
    ----------
    needed, limit
        Bytes the run needs and the limit it exceeds (NaN for a step or record count).
    """

    def __init__(self, message: str, *, needed: float, limit: float) -> None:
        self.needed = float(needed)
        self.limit = float(limit)
        super().__init__(message)


class LatticeMismatchError(QuantgeoError, ValueError):
    """Two objects that must live on the same lattice (or time grid) do not."""


class QuantgeoWarning(UserWarning):
    """Warnings about questionable but not fatal input or results."""
