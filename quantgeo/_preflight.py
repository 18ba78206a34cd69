r"""Pre-flight resource checks: estimate a run's memory and size before allocating anything.

Every engine's ``run`` (and :func:`~quantgeo.scenario.run_scenario`, before it builds the
system) adds up what the run will hold — working states, recorded observables and states,
walkers, random draws, factor caches — in an :class:`Estimate` of named byte counts, and
:func:`check_memory` refuses it with a one-line :class:`~quantgeo.errors.ResourceError` when the
total exceeds the limit, saying what is needed and which key or argument to change::

    big.toml: [record].every: needs 29.8 GiB to store 4·10⁸ records of 10 numbers; raise
    `[record].every` or shorten the run (available memory: 7.52 GiB)

The limit is, in this order: the ``limit`` argument (``--max-memory``, ``max_memory=``), the
environment variable :data:`ENV_VAR` (``QUANTGEO_MAX_MEMORY=4GiB``; the CLI option sets it so
that sweep workers inherit it), else the memory available now (``MemAvailable`` of
``/proc/meminfo``, else ``os.sysconf("SC_AVPHYS_PAGES")``; no check when neither exists).

Sizes that no memory could hold are refused whatever the limit: more than :data:`MAX_STEPS`
time steps or :data:`MAX_RECORDS` record times (:func:`check_count`).

Why the estimates may be trusted to a factor 2: they count the arrays an engine allocates
(for the split-operator solver including the transient arrays of the factor build, measured),
the Python objects of each record (:data:`RECORD_OVERHEAD`, :data:`VALUE_OVERHEAD`, measured
with :mod:`tracemalloc`), the final ``np.stack`` of the recorded observables' lists, which holds
both copies at once, and the stored states (one copy each, in RAM only up to the recorder's
``memory_budget``: beyond it they stream to a temporary file, :mod:`quantgeo._statestore`).
What they leave out — FFT plans, interpreter overhead, the spread of the
per-object sizes — is a bounded fraction, and the test suite checks that the estimate of real
runs lies within a factor 2 of their measured peak (1.1–1.2 is measured).  Records and working
arrays do not peak at the same moment (the factors are built before the first record), so
their sum is an upper bound, never more than twice the larger of the two.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quantgeo._validation import check_span, format_bytes
from quantgeo.errors import ResourceError

__all__ = [
    "ENV_VAR",
    "MAX_RECORDS",
    "MAX_STEPS",
    "RECORD_OVERHEAD",
    "VALUE_OVERHEAD",
    "Estimate",
    "available_memory",
    "check_count",
    "check_memory",
    "check_run",
    "fmt_count",
    "memory_limit",
    "parse_size",
    "record_count",
    "record_items",
    "recorder_count",
    "run_estimate",
    "states_budget",
]

#: Most time steps of one run (10⁹: hours of the fastest kernel on a workstation).
MAX_STEPS = 10**9
#: Most record times of one run (10⁷: each record is a few Python objects, ~0.5 kB).
MAX_RECORDS = 10**7
#: Environment variable holding a memory limit (``"4GiB"``, ``"500MB"``).
ENV_VAR = "QUANTGEO_MAX_MEMORY"
#: Bytes per record time besides the values: the step-plan interval, the time (float and list
#: slot), the schedule entry and the output time (tracemalloc: 163 B per record of nothing).
RECORD_OVERHEAD = 200
#: Bytes per recorded number besides its data: the 0-d array object, its buffer and list slot
#: (tracemalloc: 180–280 B per scalar observable per record, less when there are several).
VALUE_OVERHEAD = 180

_UNITS = {
    "": 1,
    "b": 1,
    "k": 2**10,
    "kb": 10**3,
    "kib": 2**10,
    "m": 2**20,
    "mb": 10**6,
    "mib": 2**20,
    "g": 2**30,
    "gb": 10**9,
    "gib": 2**30,
    "t": 2**40,
    "tb": 10**12,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$")
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Item:
    """``nbytes`` bytes ``what`` (``"to store 4·10⁸ records of 10 numbers"``); ``fix`` says
    which key or argument to change (``"raise `[record].every`"``)."""

    what: str
    nbytes: float
    fix: str = ""
    #: The scenario key that sizes it (``"[record].every"``), named first in the message.
    key: str = ""


@dataclass
class Estimate:
    """Named byte counts of one run; :attr:`total` is their sum."""

    items: list[Item] = field(default_factory=list)
    #: Time steps and record times of the run, and what to change when there are too many.
    steps: float = 0.0
    records: float = 0.0
    steps_fix: str = ""
    records_fix: str = ""

    def add(self, what: str, nbytes: float, fix: str = "", key: str = "") -> Estimate:
        """Add ``nbytes`` (a float: products of huge sizes must not overflow); returns self."""
        self.items.append(Item(what, float(nbytes), fix, key))
        return self

    def extend(self, items: Sequence[Item]) -> Estimate:
        """Add several items; returns self."""
        self.items.extend(items)
        return self

    @property
    def total(self) -> float:
        """Bytes in all."""
        return float(sum(i.nbytes for i in self.items))

    @property
    def largest(self) -> Item | None:
        """The biggest item (``None`` when empty)."""
        return max(self.items, key=lambda i: i.nbytes, default=None)


def fmt_count(n: float) -> str:
    """``12,345`` below 10⁵, else ``4·10⁸`` / ``2.5·10¹²`` (three significant digits)."""
    if not math.isfinite(n):
        return str(n)
    if abs(n) < 1e5:
        return f"{round(n):,}"
    exp = math.floor(math.log10(abs(n)))
    mant = f"{n / 10**exp:.3g}"
    if mant == "10":
        mant, exp = "1", exp + 1
    return ("" if mant == "1" else mant + "·") + "10" + str(exp).translate(_SUPERSCRIPT)


def parse_size(text: str | float, name: str = "--max-memory") -> int:
    """Bytes of a size such as ``"4GiB"``, ``"500MB"``, ``"2g"`` or ``1048576``.

    Decimal units ``kB MB GB TB`` are powers of 1000; binary ``KiB MiB GiB TiB`` and the bare
    letters ``K M G T`` (as ``ulimit`` and ``docker`` read them) powers of 1024; no unit is
    bytes.  Case is ignored.  Raises ``ValueError`` naming ``name``.
    """
    if isinstance(text, bool):
        raise ValueError(f"`{name}` must be a size such as '4GiB' or '500MB', got {text!r}")
    if isinstance(text, int | float):
        value, unit = float(text), ""
    else:
        m = _SIZE.match(str(text))
        if m is None or m.group(2).lower() not in _UNITS:
            raise ValueError(
                f"`{name}` must be a size such as '4GiB', '500MB' or '2G' (units: B, kB, MB, "
                f"GB, TB, KiB, MiB, GiB, TiB), got {text!r}"
            )
        value, unit = float(m.group(1)), m.group(2).lower()
    nbytes = value * _UNITS[unit]
    if not math.isfinite(nbytes) or nbytes < 1 or nbytes > 2.0**63:
        raise ValueError(f"`{name}` must be between 1 B and 8 EiB, got {text!r}")
    return int(nbytes)


def available_memory() -> int | None:
    """Bytes of memory available now: ``MemAvailable`` of ``/proc/meminfo`` (what the kernel
    can give without swapping), else free pages × page size; ``None`` when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def memory_limit(limit: str | float | None = None) -> tuple[float | None, str]:
    """``(bytes, label)`` of the limit in force: ``limit``, else :data:`ENV_VAR`, else the
    available memory (``(None, "")`` when none is known)."""
    if limit is not None:
        return float(parse_size(limit, "max_memory")), "limit `max_memory`"
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return float(parse_size(env, ENV_VAR)), "limit --max-memory"
    avail = available_memory()
    return (None, "") if avail is None else (float(avail), "available memory")


def check_memory(estimate: Estimate, limit: str | float | None = None, where: str = "") -> None:
    """Raise :class:`~quantgeo.errors.ResourceError` when ``estimate.total`` exceeds the limit
    (:func:`memory_limit`).

    The one-line message starts with ``where`` (``"file: [record].every: "`` from a scenario,
    ``"SplitOperatorSolver.run: "`` from the API), states the total, the largest item and its
    fix, and the limit.
    """
    cap, label = memory_limit(limit)
    total = estimate.total
    if cap is None or total <= cap:
        return
    big = estimate.largest
    assert big is not None
    part = "" if big.nbytes >= 0.995 * total else f", {format_bytes(big.nbytes)} of it"
    fix = f"; {big.fix}" if big.fix else ""
    key = f"{big.key}: " if big.key else ""
    raise ResourceError(
        f"{where}{key}needs {format_bytes(total)}{part} {big.what}{fix} "
        f"({label}: {format_bytes(cap)})",
        needed=total,
        limit=cap,
    )


def check_count(n: float, maximum: int, what: str, fix: str, where: str = "") -> None:
    """Raise :class:`~quantgeo.errors.ResourceError` when ``n`` (steps, records, frames) is
    above ``maximum``: ``"<where>5·10¹⁰ time steps, above the limit 10⁹; raise `dt`"``."""
    if not n <= maximum:  # NaN too
        raise ResourceError(
            f"{where}{fmt_count(n)} {what}, above the limit {fmt_count(maximum)}; {fix}",
            needed=float("nan"),
            limit=float("nan"),
        )


def record_count(
    t_span: tuple[float, float], *, times: Any = None, every: float | None = None
) -> float:
    """Record times a :class:`~quantgeo.recording.Recorder` will take over ``t_span``,
    counted without building them (a float: it may be astronomically large); with ``every``
    an upper bound, one more than the schedule when the span is a multiple of ``every``."""
    if times is not None:
        return float(len(times))
    t0, t1 = float(t_span[0]), float(t_span[1])
    if every is None:
        return 2.0 if t1 != t0 else 1.0
    ratio = abs(t1 - t0) / float(every) * (1 + 1e-12)
    n = math.floor(ratio) if math.isfinite(ratio) else math.inf
    return float(n) + 2.0


def recorder_count(recorder: Any, t_span: tuple[float, float]) -> float:
    """:func:`record_count` of a :class:`~quantgeo.recording.Recorder`."""
    return record_count(
        t_span, times=getattr(recorder, "_times", None), every=getattr(recorder, "every", None)
    )


def record_items(
    n_records: float,
    n_values: int,
    *,
    state_bytes: float = 0.0,
    value_bytes: float = 8.0,
    fix: str,
    key: str = "",
    budget: float | None = None,
) -> list[Item]:
    """Items of ``n_records`` records of ``n_values`` numbers (``value_bytes`` each) and, when
    ``state_bytes``, one stored state each.

    Recorded values are kept in lists and stacked into arrays at the end, so both copies exist
    at once: each counts twice.  Stored states are copied once into one block, in RAM up to
    ``budget`` bytes (``None``: no limit) and streamed to disk beyond it.
    """
    values = n_records * (RECORD_OVERHEAD + n_values * (VALUE_OVERHEAD + 2 * value_bytes))
    items = [
        Item(f"to store {fmt_count(n_records)} records of {n_values} numbers", values, fix, key)
    ]
    if state_bytes:
        in_ram = n_records * state_bytes
        if budget is not None and in_ram > budget:
            in_ram = budget + state_bytes  # the rest streams; one state passes through RAM
        items.append(
            Item(
                f"to store {fmt_count(n_records)} states of {format_bytes(state_bytes)}",
                in_ram + VALUE_OVERHEAD,
                fix,
                key,
            )
        )
    return items


def run_estimate(
    t_span: Any,
    recorder: Any,
    dt: float | None,
    *,
    state_bytes: float,
    working: Mapping[str, float | tuple[float, str]],
    records_fix: str = "record less often (`Recorder(every=…)`) or pass `store_states=False`",
    steps_fix: str = "raise `dt` or shorten `t_span`",
) -> Estimate:
    """The :class:`Estimate` of an engine's fixed-step run over ``t_span`` with ``recorder``.

    ``working`` maps what the engine holds during the run (``"for 2 working states"``) to bytes
    or to ``(bytes, fix)``, ``fix`` naming the argument that sizes it;
    the records count the recorder's observables as numbers of 16 bytes and, when it stores
    states, one state of ``state_bytes`` each.  ``dt = None``: no step count (adaptive).
    """
    t0, t1 = check_span(t_span)
    est = Estimate()
    for what, size in working.items():
        nbytes, fix = size if isinstance(size, tuple) else (size, "")
        est.add(what, nbytes, fix)
    n_rec = recorder_count(recorder, (t0, t1))
    n_values = len(getattr(recorder, "observables", ())) + len(getattr(recorder, "e_ops", ()))
    store = bool(getattr(recorder, "store_states", False))
    est.extend(
        record_items(
            n_rec,
            n_values,
            state_bytes=state_bytes if store else 0.0,
            value_bytes=16.0,
            fix=records_fix,
            budget=states_budget(recorder) if store else None,
        )
    )
    est.records, est.records_fix = n_rec, records_fix
    if dt is not None:
        est.steps, est.steps_fix = abs(t1 - t0) / float(dt), steps_fix
    return est


def states_budget(recorder: Any) -> float | None:
    """Bytes of stored states ``recorder`` (or a ``[record]`` spec) keeps in RAM when a budget
    was chosen — its ``memory_budget``, else :data:`~quantgeo._statestore.BUDGET_ENV_VAR` —
    and ``None`` under the default budget.

    Under the default the run streams too, but the estimate counts every stored state: a
    trajectory larger than the memory limit is refused unless a budget is named, so that tens
    of GB are never written to the temporary directory unasked.
    """
    from quantgeo._statestore import env_budget

    budget = getattr(recorder, "memory_budget", None)
    if budget is None:
        env = env_budget()
        return None if env is None else float(env)
    return float(budget)


def check_run(estimate: Estimate, where: str, limit: str | float | None = None) -> None:
    """The step and record counts of ``estimate`` (:func:`check_count` against
    :data:`MAX_STEPS` and :data:`MAX_RECORDS`), then its memory (:func:`check_memory`)."""
    check_count(estimate.steps, MAX_STEPS, "time steps", estimate.steps_fix, where)
    check_count(estimate.records, MAX_RECORDS, "record times", estimate.records_fix, where)
    check_memory(estimate, limit, where)
