"""Peak memory of stored trajectories and of ``quantgeo animate`` (issue 13, targets R6).

Every case runs in a fresh child process and its peak resident set is read by the parent from
``os.wait4`` (``ru_maxrss`` of that child alone; the parent imports nothing heavy, so the
child's peak is not the parent's inherited one) and, on Linux, from the child's own ``VmHWM``
(the high-water mark of the child's address space after ``exec``).

Cases:

* ``import``: ``import quantgeo`` and a solver at the size (the floor every case pays);
* ``store``: ``Recorder(store_states=True)`` over F frames of n² (states in RAM), and the same
  with ``memory_budget=0`` (streamed to a temporary file).  Per-frame cost = (peak − the
  ``store_states=False`` peak) / F, compared with the state size 16 n² bytes: one copy is 1.0;
* ``animate``: ``quantgeo animate`` of the 2D double slit at n² with F frames (frames rendered
  and written one at a time, no stored states), and with F/10 frames: the per-frame cost is
  the difference over the frames between them.  Target R6: 1024² with 200 frames under 1 GiB.

Usage: python benchmarks/memory.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MiB = 2**20

_STORE = """
import sys, json
import quantgeo as qg
from quantgeo.potentials import harmonic
n, frames, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lat = qg.Lattice((n, n), (-8.0, 8.0))
ham = qg.Hamiltonian(lat, harmonic(1.0))
solver = qg.SplitOperatorSolver(ham, 1e-3, error_samples=0)
psi = qg.gaussian(lat, center=(1.0, 0.0), width=0.8)
if mode != "import":
    budget = {"ram": 2**62, "disk": 0, "none": None}[mode]
    rec = qg.Recorder(
        every=1e-3, observables=("norm",), store_states=mode != "none", memory_budget=budget
    )
    traj = solver.run(psi, (0.0, 1e-3 * (frames - 1)), recorder=rec, progress=False)
    assert mode == "none" or traj.states.shape == (frames, n, n), traj.states.shape
"""


def _hwm() -> str:
    return (
        "\ntry:\n    print(json.dumps({'hwm': [int(l.split()[1]) * 1024 for l in "
        "open('/proc/self/status') if l.startswith('VmHWM')][0]}))\n"
        "except OSError:\n    print('{}')\n"
    )


def peak_of(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd`` as a fresh child; its peak RSS (bytes) from ``wait4`` and its own VmHWM."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fo, stderr=fe)
        # os.wait4, not Popen.wait: it returns the rusage of this child alone
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err.decode()[-2000:]}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    res: dict[str, Any] = {"maxrss": usage.ru_maxrss * scale}
    for line in out.decode().splitlines()[::-1]:
        if line.startswith("{"):
            res.update(json.loads(line))
            break
    return res


def store_case(n: int, frames: int, mode: str) -> dict[str, Any]:
    code = _STORE + _hwm()
    return peak_of([sys.executable, "-c", code, str(n), str(frames), mode])


def animate_case(n: int, frames: int, out_dir: str) -> dict[str, Any]:
    target = os.path.join(out_dir, f"movie_{n}_{frames}.mp4")
    cmd = [
        sys.executable,
        "-m",
        "quantgeo",
        "animate",
        "scenarios/double_slit_2d.toml",
        "-q",
        "--set",
        f"lattice.shape=[{n},{n}]",
        "--t-end",
        "1.0",
        "--frames",
        str(frames),
        "-o",
        target,
    ]
    res = peak_of(cmd)
    res["movie_bytes"] = os.path.getsize(target)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="512² animation, 100 frames")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    out: dict[str, Any] = {}

    n, frames = 512, 200
    state = 16 * n * n
    rows = {mode: store_case(n, frames, mode) for mode in ("import", "none", "ram", "disk")}
    base = rows["none"]["maxrss"]
    print(f"\nstored states: {frames} frames of {n}² ({state / MiB:.0f} MiB each)")
    print(f"{'case':>34} {'peak RSS [MiB]':>15} {'per frame / state':>18}")
    labels = {
        "import": "import + solver",
        "none": "run, store_states=False",
        "ram": "store_states=True (RAM)",
        "disk": "store_states=True, memory_budget=0",
    }
    for mode, r in rows.items():
        per = (r["maxrss"] - base) / frames / state if mode in ("ram", "disk") else float("nan")
        r["per_frame_over_state"] = per
        print(f"{labels[mode]:>34} {r['maxrss'] / MiB:>15.0f} {per:>18.3f}")
    out["store"] = {"n": n, "frames": frames, "state_bytes": state, "rows": rows}

    n, frames = (512, 100) if args.quick else (1024, 200)
    few = max(2, frames // 10)
    state = 16 * n * n
    with tempfile.TemporaryDirectory() as tmp:
        many_r, few_r = animate_case(n, frames, tmp), animate_case(n, few, tmp)
    per = (many_r["maxrss"] - few_r["maxrss"]) / (frames - few)
    peak = many_r["maxrss"]
    print(f"\nquantgeo animate, 2D double slit at {n}², t_end = 1, fresh child process")
    print(f"  {few:>4} frames: peak RSS {few_r['maxrss'] / MiB:.0f} MiB")
    print(f"  {frames:>4} frames: peak RSS {peak / MiB:.0f} MiB")
    print(
        f"  per frame: {per / MiB:+.2f} MiB = {per / state:+.3f} × the {state / MiB:.0f} MiB "
        "state (0: memory does not grow with the frames)"
    )
    if n == 1024 and frames == 200:
        ok = peak < 2**30
        print(f"  R6 (1024², 200 frames under 1 GiB): {'ok' if ok else 'MISS'}")
    out["animate"] = {"n": n, "frames": frames, "few": few_r, "many": many_r, "per_frame": per}
    if args.json:
        from quantgeo.cli._common import write_json  # atomic, strict JSON

        write_json(args.json, out)


if __name__ == "__main__":
    main()
