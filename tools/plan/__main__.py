"""`python -m tools.plan STACK`: the offline plan (see tools/plan/cli.py)."""

import sys

from tools.plan.cli import main

sys.exit(main())
