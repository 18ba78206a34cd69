"""``python -m quantgeo`` runs the ``quantgeo`` command (as ``python -m quantgeo.cli``)."""

import sys

from quantgeo.cli import main

sys.exit(main())
