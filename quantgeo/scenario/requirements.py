"""What each closed-form check requires of a scenario, reported at load time on the check's
``[expect.analytic.N].check`` key (or on the offending key of another table)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from quantgeo.hamiltonian import MAX_DENSE_SITES
from quantgeo.scenario.checker import Checker, ok
from quantgeo.scenario.schema import BAD, TIME_DEPENDENT_POTENTIALS

if TYPE_CHECKING:
    from quantgeo.scenario.checks import CheckDef

__all__ = ["Draft", "analytic_ground_energy", "check_requirements"]

#: ``need(condition, message)``: report ``message`` on the check's ``check`` key unless true.
Need = Callable[[bool, str], None]


@dataclass(frozen=True)
class Draft:
    """The validated values a check's requirements look at (``BAD`` where reported)."""

    ck: Checker
    need: Need
    vals: dict[str, Any]
    d: dict[str, Any]

    @property
    def ham(self) -> dict[str, Any]:
        return self.d["hamiltonian"]

    @property
    def sol(self) -> dict[str, Any]:
        return self.d["solver"]

    @property
    def init(self) -> dict[str, Any]:
        return self.d["initial_state"]

    @property
    def lattice(self) -> dict[str, Any]:
        return self.d["lattice"]

    @property
    def ptypes(self) -> list[str]:
        return [t for _, t, _ in self.d["potentials"] if t != "zero"]

    @property
    def itype(self) -> Any:
        return self.d["itype"]

    @property
    def ndim(self) -> int | None:
        return self.d["ndim"]

    @property
    def spectral(self) -> bool:
        return bool(self.ham["kinetic"] == "spectral")

    def term(self, kind: str) -> dict[str, Any]:
        """Values of the first potential term of type ``kind``."""
        return next(v for _, t, v in self.d["potentials"] if t == kind)


def first(v: Any) -> Any:
    """The first entry of a per-axis value (a number or a tuple of numbers)."""
    return v[0] if isinstance(v, tuple) else v


def analytic_ground_energy(kinetic: str, ptypes: Sequence[str]) -> bool:
    """Whether Σħω/2 is the exact ground energy: spectral kinetic model, one harmonic trap."""
    return kinetic == "spectral" and list(ptypes) == ["harmonic"]


def req_free(r: Draft) -> None:
    r.need(
        r.spectral, "needs [hamiltonian].kinetic = 'spectral' (the analytic packet is for ħ²k²/2m)"
    )
    r.need(not r.ptypes, f"needs no potential (zero), got {r.ptypes}")
    r.need(r.itype == "gaussian", f"needs [initial_state].type = 'gaussian', got {r.itype!r}")


def req_coherent(r: Draft) -> None:
    ptypes, itype = r.ptypes, r.itype
    r.need(r.spectral, "needs [hamiltonian].kinetic = 'spectral'")
    r.need(ptypes == ["harmonic"], f"needs exactly one harmonic potential, got {ptypes}")
    r.need(itype == "coherent", f"needs [initial_state].type = 'coherent', got {itype!r}")
    if ptypes == ["harmonic"] and itype == "coherent":
        trap, init, n = r.term("harmonic"), r.init, r.ndim or 1
        if ok(trap["omega"], init.get("omega", BAD)) and not np.allclose(
            np.broadcast_to(trap["omega"], (n,)), np.broadcast_to(init["omega"], (n,))
        ):
            r.ck.add(
                "initial_state",
                "omega",
                f"must equal the trap's omega {trap['omega']} for check 'coherent_state'",
            )


def req_driven(r: Draft) -> None:
    r.need(
        r.spectral,
        "needs [hamiltonian].kinetic = 'spectral' (Ehrenfest is exact only for ħ²k²/2m)",
    )
    r.need(r.ptypes == ["shaken_trap"], f"needs exactly one shaken_trap potential, got {r.ptypes}")
    r.need(
        r.itype in ("coherent", "gaussian"),
        f"needs a coherent or gaussian initial state, got {r.itype!r}",
    )


def req_rabi(r: Draft) -> None:
    shape = r.lattice["shape"]
    r.need(shape == (2,), f"needs a two-site lattice (shape = 2), got {shape}")
    r.need(not TIME_DEPENDENT_POTENTIALS.intersection(r.ptypes), "needs a static potential")


def req_talbot(r: Draft) -> None:
    ndim, lat, ham, sol = r.ndim, r.lattice, r.ham, r.sol
    r.need(ndim == 1, f"needs a 1D lattice, got {ndim}D")
    r.need(r.spectral, "needs [hamiltonian].kinetic = 'spectral' (revivals need E ∝ n²)")
    r.need(not r.ptypes, f"needs no potential, got {r.ptypes}")
    if ndim == 1 and ok(lat["shape"]):
        r.need(lat["shape"][0] % 2 == 0, "needs an even number of sites (half-revival shift)")
    if ndim == 1 and ok(lat["bounds"], ham["mass"], ham["hbar"], sol["t_start"], sol["t_end"]):
        from quantgeo.analytic import talbot_time

        lo, hi = lat["bounds"][0]
        tr = talbot_time(hi - lo, first(ham["mass"]), ham["hbar"])
        if sol["t_end"] is not None and sol["t_end"] - sol["t_start"] < tr * (1 - 1e-12):
            r.ck.add(
                "solver",
                "t_end",
                f"must reach the revival time t_start + T_R = {sol['t_start'] + tr:.12g} "
                "for check 'talbot_revival'",
            )


def req_barrier(r: Draft) -> None:
    ndim, ptypes, itype = r.ndim, r.ptypes, r.itype
    r.need(ndim == 1, f"needs a 1D lattice, got {ndim}D")
    r.need(ptypes == ["barrier"], f"needs exactly one barrier potential, got {ptypes}")
    r.need(itype == "gaussian", f"needs a gaussian initial state, got {itype!r}")
    if not (ptypes == ["barrier"] and itype == "gaussian" and ndim == 1):
        return
    bar, init = r.term("barrier"), r.init
    if ok(bar["center"], bar["width"], init["center"], init["width"], init["momentum"]):
        c0, w0 = first(init["center"]), first(init["width"])
        if not c0 + 6 * w0 < bar["center"] - bar["width"] / 2:
            r.ck.add(
                "initial_state",
                "center",
                "the packet must start left of the barrier (center + 6·width < "
                "barrier edge) for check 'barrier_transmission'",
            )
        if not first(init["momentum"]) > 0:
            r.ck.add(
                "initial_state",
                "momentum",
                "must be > 0 (towards the barrier) for check 'barrier_transmission'",
            )


def req_tunnelling(r: Draft) -> None:
    r.need(r.ptypes == ["double_well"], f"needs exactly one double_well potential, got {r.ptypes}")
    if r.itype == "eigenstate" and ok(r.init.get("n", BAD)):
        r.need(
            tuple(sorted(r.init["n"])) == (0, 1),
            f"needs [initial_state] n = [0, 1], got {list(r.init['n'])}",
        )
    else:
        r.need(False, f"needs [initial_state].type = 'eigenstate' with n = [0, 1], got {r.itype!r}")


def req_ground(r: Draft, *, fidelity: bool) -> None:
    reference = r.vals.get("reference")
    use_eigh = fidelity or reference == "eigh"
    if not fidelity and reference in ("auto", "analytic"):
        analytic_ok = analytic_ground_energy(r.ham["kinetic"], r.ptypes)
        if reference == "analytic":
            r.need(
                analytic_ok,
                "with reference = 'analytic' needs kinetic = 'spectral' and one harmonic potential",
            )
        use_eigh = not analytic_ok
    size = r.d["size"]
    if use_eigh and size is not None and r.spectral and size > MAX_DENSE_SITES:
        r.need(
            False,
            f"needs eigh: kinetic = 'spectral' allows up to {MAX_DENSE_SITES} sites, "
            f"the lattice has {size}",
        )


def req_slit(r: Draft) -> None:
    r.need(r.ndim == 2, f"needs a 2D lattice, got {r.ndim}D")
    r.need("double_slit" in r.ptypes, f"needs a double_slit potential, got {r.ptypes}")


def check_requirements(
    ck: Checker, label: str, cdef: CheckDef, vals: dict[str, Any], d: dict[str, Any]
) -> None:
    """Report the scenario settings a closed-form check cannot work with."""

    def need(cond: bool, msg: str) -> None:
        if not cond:
            ck.add(label, "check", f"{cdef.name!r} {msg}")

    need(d["solver"]["mode"] == cdef.mode, f"needs [solver].mode = {cdef.mode!r}")
    if cdef.requires is not None:
        cdef.requires(Draft(ck, need, vals, d))
    if cdef.absorber is not None:
        need(
            (d["absorber"] is not None) == cdef.absorber,
            "needs [solver.absorber]" if cdef.absorber else "needs no [solver.absorber]",
        )
