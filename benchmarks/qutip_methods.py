"""QuTiP at its best: quantgeo against every applicable ``qutip.sesolve`` method at equal accuracy.

For each size (default: 1D N = 1024, 2D 48×48, 3D 20³ and a shaken trap in 1D N = 1024, whose
QobjEvo rules out ``diag`` and ``krylov``) every QuTiP method (adams, bdf, vern9, dop853,
krylov with krylov_dim tuned, diag with its eigendecomposition timed) and every registered
quantgeo scheme (strang, yoshida4/6, suzuki4, kahan-li6/8, suzuki-umeno8, blanes-moan4/6; dt and
then the fft backend) is searched for its cheapest setting that reaches a relative L2
error ≤ 1e-6 against the exact states (expm_multiply; commutator-free Magnus for the driven
trap) at all 11 record times of t ∈ [0, 10].  The kept settings are timed in interleaved
rounds; the table gives the medians and the ratio of QuTiP's fastest method to quantgeo's
fastest scheme.  The logic lives in quantgeo._qutip_bench (also behind
``quantgeo bench --qutip-methods all``).

Usage: python benchmarks/qutip_methods.py [--quick] [--sizes 1024 48x48 ...] [--rounds 5]
       [--methods adams diag ...] [--json FILE] [--cold]

Between runs of one problem quantgeo keeps what does not change (FFTW plans by shape, the
factors by the values they are built from, the phase check's measures of the initial state);
``--cold`` empties those before every timed quantgeo run, as for the first run of a problem.
"""

from __future__ import annotations

import argparse
import os

from quantgeo._qutip_bench import METHODS, format_methods, run_qutip_methods, to_json


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--sizes", nargs="+", help="e.g. 1024 48x48 20x20x20 driven:1024")
    parser.add_argument("--rounds", type=int, help="interleaved timing rounds (default 5)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="quantgeo reuses nothing between runs (FFTW plans, factors, phase measures)",
    )
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = run_qutip_methods(
        args.sizes, quick=args.quick, methods=args.methods, rounds=args.rounds, cold=args.cold
    )
    print(format_methods(rows))
    print(f"load average (1 min) at start: {load:.2f}, cores: {os.cpu_count()}")
    if args.json:
        from quantgeo.cli._common import write_json  # atomic, strict JSON

        write_json(args.json, to_json(rows))


if __name__ == "__main__":
    main()
