"""``python -m kg`` runs the ``exokg`` command."""

import sys

from exokg.cli import main

sys.exit(main())
