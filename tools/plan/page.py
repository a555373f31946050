"""The whole plan in Markdown: the resource tree, the DR summary and the recovery order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.plan.markdown import table
from tools.plan.recovery import render_recovery
from tools.plan.scenarios import render_scenarios
from tools.plan.tree import render_tree


def render_plan(document: Mapping[str, Any]) -> str:
    stack = document["stack"]
    lines = [f"## Offline plan: stack `{stack}`", ""]
    if document.get("missing"):
        return "\n".join([*lines, f"Nothing to plan: {document['missing']}.", ""])
    if document["error"]:
        what = (
            "The stack file cannot be read"
            if document.get("stack_file_error")
            else "The program fails to evaluate for this stack"
        )
        lines += [f"**{what}:**", "", "```text", document["error"], "```", ""]
        return "\n".join(lines)
    resources = document["resources"]
    custom = sum(1 for r in resources if r["custom"])
    about = (
        f"The program evaluated offline ({custom} resources in {len(resources) - custom} components"
        + (
            f", {len(document['reads'])} existing resource{'s' if len(document['reads']) != 1 else ''} read"
            if document.get("reads")
            else ""
        )
        + (f", in {document['seconds']:.1f} s" if document.get("seconds") is not None else "")
        + "): no cloud state is read, so this is what a full rebuild creates, not a `pulumi preview` of changes."
    )
    if document["placeholders"]:
        about += (
            " Placeholders stand in for the encrypted config: "
            + ", ".join(f"`{k}`" for k in document["placeholders"])
            + "."
        )
    lines += [about, ""]
    if document.get("warnings"):
        lines += ["### Warnings", "", "What `pulumi up` would warn about for this stack:", ""]
        lines += [f"- ⚠️ {' '.join(w.split())}" for w in document["warnings"]]
        lines += [""]
    lines += ["### Resource tree", ""]
    lines += render_tree(document)
    lines += [
        "",
        "### Disaster recovery summary",
        "",
        "Read from the inputs the program registers, not from the stack file.",
        "",
    ]
    lines += table(
        ["Property", "Value", "Derived from"],
        ([r["property"], r["value"], r["source"]] for r in document["dr_summary"]),
    )
    scenarios = render_scenarios(document)
    lines += ["", *([*scenarios, ""] if scenarios else []), *render_recovery(document), ""]
    return "\n".join(lines)
