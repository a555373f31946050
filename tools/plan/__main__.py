"""`python -m tools.plan STACK`: the offline plan (see tools/plan/cli.py)."""

import gc
import sys

from tools.plan.cli import main

# A plan process evaluates one stack (a standby: and its primary) and exits. Most of its time is
# importing the SDK modules the stack's resource types live in, hundreds of thousands of objects
# that the cyclic collector would walk again and again while they load (a fifth of the run); the
# little cyclic garbage an evaluation leaves is freed at exit (the same peak memory, measured).
gc.disable()

sys.exit(main())
