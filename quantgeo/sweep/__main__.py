"""``python -m quantgeo.sweep …``: the ``quantgeo sweep`` command (also under
``mpiexec -n P python -m mpi4py.futures -m quantgeo.sweep …``)."""

from __future__ import annotations

import sys

from quantgeo.sweep.cli import build_parser, main

# The guard matters: MPI and spawned workers re-import the main module as "__mp_main__".
if __name__ == "__main__":
    sys.exit(main(build_parser().parse_args()))
