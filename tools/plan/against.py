"""`--diff-against REF`: REF checked out in a temporary git worktree, both trees evaluated one after
the other in one fresh interpreter with this checkout's tools (tools/plan/trees.py), then compared."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tools.plan.diff import diff_evaluations, diff_is_empty, render_diff
from tools.plan.document import missing_stack_document
from tools.plan.evaluate import TOOLS_ROOT
from tools.plan.markdown import code_span


class PlanError(Exception):
    """Bad usage: no repository, unknown revision."""


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise PlanError(f"git {' '.join(args)}: {(result.stderr or result.stdout).strip()}")
    return result.stdout.strip()


def _spawn(stack: str, trees: list[tuple[Path, Path]]) -> subprocess.Popen[str]:
    """This checkout's tools, in one fresh interpreter, writing each (tree, output)'s plan document
    in turn (tools/plan/trees.py)."""
    command = [sys.executable, "-m", "tools.plan.trees", stack, *(str(p) for pair in trees for p in pair)]
    return subprocess.Popen(command, cwd=TOOLS_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _read(output: Path, stack: str, returncode: int, stderr: str) -> dict[str, Any]:
    try:
        return json.loads(output.read_text())
    except (OSError, ValueError):
        tail = "\n".join((stderr or "").strip().splitlines()[-15:])
        return {
            **missing_stack_document(stack, ""),
            "missing": None,
            "error": f"the plan process failed (exit {returncode}):\n{tail}",
        }


def _documents(stack: str, trees: list[Path], scratch: Path) -> list[dict[str, Any]]:
    """The plan document of each tree. The trees with the stack file are evaluated one after the
    other in one fresh interpreter: the SDK modules, most of an evaluation's time, are imported
    once, and each tree's `components` only from that tree (tools/plan/trees.py)."""
    documents: list[dict[str, Any] | Path] = []
    for i, tree in enumerate(trees):
        if (tree / f"Pulumi.{stack}.yaml").is_file():
            documents.append(scratch / f"plan-{i}.json")
        else:
            documents.append(missing_stack_document(stack, f"no Pulumi.{stack}.yaml"))
    # A tree whose program and stack files are those of a tree already listed evaluates to the same
    # document (the plan, its recovery scenarios included): it is evaluated once and copied.
    evaluated: list[tuple[Path, Path]] = []
    copies: list[tuple[Path, Path]] = []
    seen: dict[str, Path] = {}
    for tree, output in zip(trees, documents, strict=True):
        if not isinstance(output, Path):
            continue
        digest = program_digest(tree)
        if digest in seen:
            copies.append((seen[digest], output))
        else:
            seen[digest] = output
            evaluated.append((tree, output))
    if not evaluated:
        return [d for d in documents if isinstance(d, dict)]
    process = _spawn(stack, evaluated)
    _, stderr = process.communicate()
    for source, copy in copies:
        if source.is_file():
            shutil.copyfile(source, copy)
    return [_read(d, stack, process.returncode, stderr) if isinstance(d, Path) else d for d in documents]


def program_digest(tree: Path) -> str:
    """What an offline evaluation of `tree` reads: the program (`__main__.py`, every file under
    `components/`), the project file and the stack files (a standby reads its primary's)."""
    files = [tree / "__main__.py", tree / "Pulumi.yaml", *sorted(tree.glob("Pulumi.*.yaml"))]
    files += sorted(p for p in (tree / "components").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(tree)).encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()


def run_diff(stack: str, ref: str, project_dir: Path = TOOLS_ROOT, as_json: bool = False) -> tuple[str, int]:
    """(text, exit code) of `--diff-against REF` for the working tree at `project_dir`."""
    project_dir = project_dir.resolve()
    top = Path(_git(project_dir, "rev-parse", "--show-toplevel")).resolve()
    relative = project_dir.relative_to(top)
    try:
        commit = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except PlanError:
        raise PlanError(f"{ref!r} is not a commit of the repository at {top} (fetch it first?)") from None
    with tempfile.TemporaryDirectory(prefix="astronomer-dr-plan-") as scratch:
        tree = Path(scratch) / "tree"
        _git(top, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        try:
            old, new = _documents(stack, [tree / relative, project_dir], Path(scratch))
        finally:
            subprocess.run(["git", "-C", str(top), "worktree", "remove", "--force", str(tree)], capture_output=True)
            subprocess.run(["git", "-C", str(top), "worktree", "prune"], capture_output=True)

    return compare(stack, ref, old, new, as_json)


def compare(
    stack: str, ref: str, old: Mapping[str, Any], new: Mapping[str, Any], as_json: bool = False
) -> tuple[str, int]:
    """(text, exit code) for the plan documents of REF (`old`) and the working tree (`new`)."""
    if new["error"]:
        message = f"## Offline plan diff: stack `{stack}`\n\n**The program in the working tree fails to evaluate for this stack:**\n\n```text\n{new['error']}\n```\n"
        return (json.dumps({"stack": stack, "ref": ref, "error": new["error"]}, indent=2) if as_json else message), 1
    if old["error"]:
        message = (
            f"## Offline plan diff: stack `{stack}`\n\n**The program at {code_span(ref)} fails to evaluate for this stack**, "
            f"so there is nothing to compare with (the working tree evaluates: {len(new['resources'])} resources):\n\n"
            f"```text\n{old['error']}\n```\n"
        )
        return (
            json.dumps({"stack": stack, "ref": ref, "ref_error": old["error"]}, indent=2) if as_json else message
        ), 0
    if old.get("missing") and new.get("missing"):
        raise PlanError(f"no stack named {stack!r} at {ref} nor in the working tree (no Pulumi.{stack}.yaml)")
    diff = diff_evaluations(old, new)
    if as_json:
        return json.dumps({"ref": ref, "changed_anything": not diff_is_empty(diff), **diff}, indent=2, default=str), 0
    text = render_diff(diff, ref)
    if text and old.get("missing"):
        text = f"Stack `{stack}` does not exist at {code_span(ref)}: everything is new.\n\n" + text
    elif text and new.get("missing"):
        text = f"Stack `{stack}` is gone from the working tree.\n\n" + text
    return text, 0
