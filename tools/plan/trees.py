"""`python -m tools.plan.trees STACK TREE OUTPUT [TREE OUTPUT ...]`: the plan document (`--json`)
of each tree, one after the other, in this interpreter; what `--diff-against` starts (against.py).

Each tree's program imports its own `components`. Between two trees every module loaded from the
first is dropped and the first leaves `sys.path`, so the second imports only its own modules;
the SDK modules, the same for both, are imported once (most of an evaluation's time).
"""

from __future__ import annotations

import gc
import importlib
import json
import sys
import traceback
from pathlib import Path

from tools.plan.document import missing_stack_document, plan_document


def _forget_tree(tree: Path) -> None:
    """Drops every module loaded from `tree` (its `components`, whatever else it put on sys.path)
    and takes `tree` off sys.path. The running code, `tools` and `__main__`, stays."""

    def from_tree(location: object) -> bool:
        return isinstance(location, str) and tree in Path(location).resolve().parents

    def locations(module: object) -> list[object]:
        try:  # a namespace package's __path__ is computed from its parent's
            return [getattr(module, "__file__", None), *list(getattr(module, "__path__", None) or [])]
        except Exception:
            return []

    # Found first, then dropped: a namespace package's path needs its parent still loaded.
    drop = [
        name
        for name, module in list(sys.modules.items())
        if not (name == "__main__" or name == "tools" or name.startswith("tools."))
        and any(from_tree(location) for location in locations(module))
    ]
    for name in drop:
        del sys.modules[name]
    sys.path[:] = [entry for entry in sys.path if not entry or Path(entry).resolve() != tree]
    importlib.invalidate_caches()


def write_documents(stack: str, trees: list[tuple[Path, Path]]) -> None:
    """Writes each (tree, output) pair's plan document as `python -m tools.plan STACK --json` prints it."""
    for i, (tree, output) in enumerate(trees):
        tree = tree.resolve()
        try:
            text = json.dumps(plan_document(stack, tree), indent=2, default=str)
        except Exception:  # a failure of the tools, not of the program: reported for this tree only
            tail = "\n".join(traceback.format_exc().strip().splitlines()[-15:])
            document = {**missing_stack_document(stack, ""), "missing": None}
            text = json.dumps({**document, "error": f"the plan process failed (exit 1):\n{tail}"}, indent=2)
        output.write_text(text + "\n")
        if i < len(trees) - 1:
            _forget_tree(tree)


def main(argv: list[str]) -> int:
    stack, *rest = argv
    if not rest or len(rest) % 2:
        print("usage: python -m tools.plan.trees STACK TREE OUTPUT [TREE OUTPUT ...]", file=sys.stderr)
        return 2
    write_documents(stack, [(Path(rest[i]), Path(rest[i + 1])) for i in range(0, len(rest), 2)])
    return 0


if __name__ == "__main__":
    # As in tools/plan/__main__.py: a short process that imports the SDKs; no cyclic collections.
    gc.disable()
    sys.exit(main(sys.argv[1:]))
