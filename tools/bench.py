"""`make bench`: what evaluating each stack offline costs, against importing the SDKs it uses.

Each measurement runs in a fresh interpreter (import caches would flatter a second run). The
evaluation run reports which SDK modules it loaded; the baseline run imports exactly those, so
the ratio is the program's own cost on top of the SDKs it cannot avoid.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SDK_PREFIXES = ("pulumi", "pulumi_gcp", "pulumi_aws", "pulumi_kubernetes", "pulumi_random", "yaml")
RUNS = 3

EVALUATE = """
import json, sys, time, warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
start = time.perf_counter()
from tests.conftest import evaluate_stack
evaluation = evaluate_stack(sys.argv[1])
seconds = time.perf_counter() - start
assert evaluation.error is None, evaluation.error
prefixes = tuple(sys.argv[2].split(","))
modules = sorted(m for m in sys.modules if m.split(".")[0] in prefixes)
print(json.dumps({"seconds": seconds, "resources": len(evaluation.resources), "modules": modules}))
"""

IMPORT = """
import importlib, json, sys, time, warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
modules = json.loads(sys.stdin.read())
start = time.perf_counter()
for name in modules:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def _run(code: str, *args: str, stdin: str = "") -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=PROJECT_DIR,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(stack: str) -> dict:
    evaluations = [_run(EVALUATE, stack, ",".join(SDK_PREFIXES)) for _ in range(RUNS)]
    modules = evaluations[0]["modules"]
    imports = [_run(IMPORT, stdin=json.dumps(modules))["seconds"] for _ in range(RUNS)]
    evaluate_s = statistics.median(e["seconds"] for e in evaluations)
    import_s = statistics.median(imports)
    return {
        "stack": stack,
        "resources": evaluations[0]["resources"],
        "sdk_import_s": import_s,
        "evaluate_s": evaluate_s,
        "ratio": evaluate_s / import_s,
    }


def main(argv: list[str]) -> int:
    from tools.stackfile import stack_names

    stacks = argv or stack_names(PROJECT_DIR)  # a running drill's stack file is not a project stack
    print(
        f"median of {RUNS} fresh interpreters each; evaluate = import SDKs + run the program under the offline engine"
    )
    print(f"{'stack':<8} {'resources':>9} {'SDK import':>11} {'evaluate':>9} {'ratio':>6}")
    started = time.perf_counter()
    for stack in stacks:
        m = measure(stack)
        print(
            f"{m['stack']:<8} {m['resources']:>9} {m['sdk_import_s']:>10.2f}s {m['evaluate_s']:>8.2f}s {m['ratio']:>5.2f}x"
        )
    print(f"({time.perf_counter() - started:.1f}s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
