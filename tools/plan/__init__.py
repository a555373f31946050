"""The offline plan: what `pulumi up --stack STACK` would build, without the CLI or a cloud.

`python -m tools.plan STACK` (see cli.py for the options). One module per thing the plan prints:

    evaluate.py   the stack evaluated offline (tools/offline/), placeholders for encrypted values
    document.py   the plan document (`--json`): resources, inputs with secrets masked, the DR summary
    tree.py       the resource tree
    summary/      the DR summary: database, registry, standby (region loss), deployments, security rows
    recovery.py   the recovery order: waves, estimates, critical path, Mermaid graph
    figures.py    how long each resource takes to create or change, each figure with its source
    scenarios.py  recovery time per disaster scenario: only what it recreates or changes is charged
    page.py       the whole plan in Markdown (markdown.py: code spans and tables)
    diff.py       what changed between two plan documents
    against.py    `--diff-against REF`: a git worktree, both trees evaluated in one fresh interpreter, compared
    trees.py      that interpreter: each tree's plan document in turn, the first tree's modules dropped
    cli.py        the command line (`__main__.py` runs it)
"""

from tools.plan.against import PlanError, compare, run_diff
from tools.plan.cli import main
from tools.plan.diff import diff_evaluations, diff_is_empty, diff_values, render_diff
from tools.plan.document import (
    missing_stack_document,
    plan_document,
    to_document,
    unknown_stack_message,
)
from tools.plan.evaluate import MASKED, TOOLS_ROOT, evaluate_stack, placeholder_for, placeholder_tls
from tools.plan.page import render_plan
from tools.plan.recovery import (
    RecoveryOrder,
    _minutes,
    mermaid_id,
    predecessors,
    recovery_order,
    render_mermaid,
    render_recovery,
)
from tools.plan.summary import dr_summary
from tools.plan.summary.database import CLOUD_SQL_DELETED_RESTORE
from tools.plan.tree import render_tree

__all__ = [
    "CLOUD_SQL_DELETED_RESTORE",
    "MASKED",
    "TOOLS_ROOT",
    "PlanError",
    "RecoveryOrder",
    "_minutes",
    "compare",
    "diff_evaluations",
    "diff_is_empty",
    "diff_values",
    "dr_summary",
    "evaluate_stack",
    "main",
    "mermaid_id",
    "missing_stack_document",
    "placeholder_for",
    "placeholder_tls",
    "plan_document",
    "predecessors",
    "recovery_order",
    "render_diff",
    "render_mermaid",
    "render_plan",
    "render_recovery",
    "render_tree",
    "run_diff",
    "to_document",
    "unknown_stack_message",
]
