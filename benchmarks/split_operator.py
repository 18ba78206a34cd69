"""Split-operator benchmark: prints ratios measured in one run.

(a) solver time per Strang step / bare FFT-pair time (rocket-fft inside Numba, same array and
    threads) for 4096 (1D), 512² (2D), 64³ (3D);
(b) speed-up over a plain NumPy split-operator loop (512²);
(c) speed-up over qutip.sesolve at equal accuracy (both ≤ 1e-6 from the exact solution by
    eigendecomposition) on 1D N = 1024 and 2D 48×48;
(d) Numba compile time, cold and from cache.

Usage: python benchmarks/split_operator.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json

from quantgeo._bench import format_rows, run_benchmarks


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer steps")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    rows = run_benchmarks(quick=args.quick)
    print(format_rows(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
