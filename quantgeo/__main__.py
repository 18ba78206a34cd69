"""``python -m quantgeo`` runs the ``quantgeo`` command (as ``python -m quantgeo.cli``)."""

import sys

# SIGINT/SIGTERM handling first, before anything heavier is imported (quantgeo.cli.main
# installs it again, for the console script)
from quantgeo._interrupt import Interrupted, install

install()
try:
    from quantgeo.cli import main
except Interrupted as exc:
    sys.stderr.write(f"quantgeo: interrupted ({exc.name}); no partial output was left\n")
    sys.exit(exc.exit_status)

sys.exit(main())
