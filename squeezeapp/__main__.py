"""`python -m squeezeapp` is the same as the `squeezeapp` command."""

import sys

from squeezeapp.cli.main import main

sys.exit(main())
