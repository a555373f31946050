"""The offline plan: what `pulumi up --stack STACK` would build, without the CLI or a cloud.

    python -m tools.plan gcp                          # Markdown: resource tree, DR summary, recovery order
    python -m tools.plan gcp --json                   # machine output (secrets masked)
    python -m tools.plan gcp --diff-against origin/main   # only what changed against a git revision

It runs the real `__main__.py` with the stack's real config under the offline engine of
`tools/offline/` (the one the tests use). Values a real stack file holds encrypted (`secure:`
entries, and the secret keys the program requires, `components.config.SECRET_KEYS`) are replaced
by placeholders that pass the program's validation, so the plan needs no passphrase or KMS.

`--diff-against REF` checks REF out into a temporary `git worktree`, evaluates REF's program and
then the working tree's in one fresh Python process, every module of REF's tree dropped before the
working tree's program runs (so the two trees' `components` packages never share a module cache;
the SDK modules are imported once), always with THIS checkout's `tools` code, and prints the
resources added and removed and the input properties that changed. It prints nothing when nothing
changed.

Exit codes: 0 success (also when REF's program fails to evaluate: that is reported, not fatal),
1 the working tree's program fails to evaluate, 2 bad usage (no git repository, unknown REF).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from tools.plan.against import PlanError, run_diff
from tools.plan.document import plan_document, unknown_stack_message
from tools.plan.evaluate import TOOLS_ROOT
from tools.plan.page import render_plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="stack name: Pulumi.<stack>.yaml is evaluated")
    parser.add_argument(
        "--json", action="store_true", help="print the machine-readable plan (or diff) instead of Markdown"
    )
    parser.add_argument("--diff-against", metavar="REF", help="print only what changed since git revision REF")
    parser.add_argument(
        "--project-dir", type=Path, default=TOOLS_ROOT, help="the program to evaluate (default: this checkout)"
    )
    parser.add_argument("--output", type=Path, help="write to this file instead of stdout")
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()

    try:
        if args.diff_against:
            text, code = run_diff(args.stack, args.diff_against, project_dir, as_json=args.json)
            if code == 0 and not text:
                # stdout stays empty for scripts (.github/scripts/offline-plan-comment.sh); a person is told.
                print(
                    f"tools.plan: no changes: stack {args.stack} evaluates to the same resources, inputs and outputs as at {args.diff_against}",
                    file=sys.stderr,
                )
        else:
            if not (project_dir / f"Pulumi.{args.stack}.yaml").is_file():
                raise PlanError(unknown_stack_message(args.stack, project_dir))
            # Today, for the clouds' version calendars too (tools/offline/invokes.py): a Kubernetes
            # version leaving EKS standard support shows in the plan as it will in `pulumi up`.
            document = plan_document(args.stack, project_dir, now=datetime.now(UTC))
            text = json.dumps(document, indent=2, default=str) if args.json else render_plan(document)
            code = 1 if document["error"] else 0
            # stdout may be a file (`> plan.md`): what needs a person's eyes also goes to stderr.
            for warning in document.get("warnings") or []:
                print(f"warning: {warning}", file=sys.stderr)
            if document["error"]:
                print(f"tools.plan: stack {args.stack} fails to evaluate: {document['error']}", file=sys.stderr)
    except PlanError as exc:
        print(f"tools.plan: {exc}", file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(text + ("\n" if text else ""))
    elif text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return code
