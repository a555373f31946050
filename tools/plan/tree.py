"""The resource tree of the plan, in Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.plan.markdown import code_span


def _markers(node: Mapping[str, Any]) -> str:
    marks = []
    if node.get("read"):
        marks.append("read (existing resource)")
    elif not node["custom"]:
        marks.append("component")
    if node["protect"]:
        marks.append("🔒 protect")
    if node.get("retain_on_delete"):
        marks.append("retained on delete")
    return (" — " + ", ".join(marks)) if marks else ""


def render_tree(document: Mapping[str, Any]) -> list[str]:
    nodes = [*document["resources"], *document.get("reads", [])]
    urns = {n["urn"] for n in nodes}
    children: dict[str, list[Mapping[str, Any]]] = {}
    for n in nodes:
        children.setdefault(n["parent"] if n["parent"] in urns else "", []).append(n)

    def sort_key(n: Mapping[str, Any]) -> tuple:
        return (bool(n["custom"]), n["type"], n["name"])

    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for n in sorted(children.get(parent, []), key=sort_key):
            lines.append(f"{'  ' * depth}- **{n['name']}** {code_span(n['type'])}{_markers(n)}")
            walk(n["urn"], depth + 1)

    walk("", 0)
    return lines
