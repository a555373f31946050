"""The recovery order: waves, estimates and the critical path of a rebuild from nothing, and
their Markdown (tables and a Mermaid graph)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.plan.figures import BY_KEY, Figure, database_restore_minutes, figure_key
from tools.plan.markdown import code_span, table

# A figure this long or longer is drawn on its own in the graph.
SLOW_MINUTES = 2.0


def short_type(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def _figure(node: Mapping[str, Any]) -> Figure | None:
    key = figure_key(node, "create")
    return BY_KEY[key] if key else None


def _minutes(node: Mapping[str, Any]) -> float:
    """What creating `node` takes in a rebuild from nothing (tools/plan/figures.py)."""
    key = figure_key(node, "create")
    if key is None:
        return 0.0
    return database_restore_minutes(node)[0] if key == "database-restore" else BY_KEY[key].minutes


def _provider_urn(reference: str) -> str:
    return reference.rsplit("::", 1)[0] if reference else ""


@dataclass
class RecoveryOrder:
    waves: list[list[str]]  # URNs of custom resources (and reads), wave by wave
    critical_path: list[str]  # URNs, first to last
    finish: dict[str, float]  # earliest finish (minutes) per URN
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def total_minutes(self) -> float:
        return max(self.finish.values(), default=0.0)


def predecessors(node: Mapping[str, Any], known: Mapping[str, Any]) -> set[str]:
    """What must exist before this resource: dependencies, property dependencies, provider, parent."""
    found = set(node["dependencies"])
    for urns in node.get("property_dependencies", {}).values():
        found.update(urns)
    found.add(_provider_urn(node.get("provider") or ""))
    found.add(node.get("parent") or "")
    found.discard(node["urn"])
    return {u for u in found if u in known}


def recovery_order(
    document: Mapping[str, Any], minutes: Callable[[Mapping[str, Any]], float] | None = None
) -> RecoveryOrder:
    """Dependency waves (topological levels over dependencies and parents) and the critical path.

    Components take no time and are not a wave of their own: a child waits for what its parent
    component waits for. Reads (`Resource.get`) count as work: they need what they read to exist.
    `minutes`: what each resource costs (default: a rebuild from nothing, `_minutes`); one that
    survives costs 0 but still starts after what it depends on (its inputs come from them).
    """
    cost = minutes or _minutes
    nodes = {n["urn"]: n for n in [*document["resources"], *document.get("reads", [])]}
    preds = {urn: predecessors(n, nodes) for urn, n in nodes.items()}
    successors: dict[str, list[str]] = {urn: [] for urn in nodes}
    for urn, ps in preds.items():
        for p in ps:
            successors[p].append(urn)
    remaining = {urn: len(ps) for urn, ps in preds.items()}
    ready = sorted(urn for urn, count in remaining.items() if count == 0)
    order: list[str] = []
    while ready:
        urn = ready.pop(0)
        order.append(urn)
        for s in successors[urn]:
            remaining[s] -= 1
            if remaining[s] == 0:
                ready.append(s)
    if len(order) != len(nodes):
        cycle = sorted(nodes[u]["name"] for u, c in remaining.items() if c)
        raise ValueError(f"dependency cycle among {cycle}")

    def is_work(urn: str) -> bool:
        return bool(nodes[urn]["custom"] or nodes[urn].get("read"))

    level: dict[str, int] = {}
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for urn in order:
        level[urn] = max((level[p] + (1 if is_work(p) else 0) for p in preds[urn]), default=0)
        start_from = max(preds[urn], key=lambda p: (finish[p], nodes[p]["urn"]), default=None)
        start = finish[start_from] if start_from else 0.0
        via[urn] = start_from
        finish[urn] = start + cost(nodes[urn])

    work = [u for u in order if is_work(u)]
    waves: list[list[str]] = [[] for _ in range(max((level[u] for u in work), default=-1) + 1)]
    for urn in work:
        waves[level[urn]].append(urn)
    waves = [sorted(w, key=lambda u: (nodes[u]["type"], nodes[u]["name"])) for w in waves if w]

    path: list[str] = []
    cursor = max(work, key=lambda u: (finish[u], u), default=None)
    while cursor is not None:
        if is_work(cursor):
            path.append(cursor)
        cursor = via[cursor]
    path.reverse()
    return RecoveryOrder(waves=waves, critical_path=path, finish={u: finish[u] for u in work}, nodes=nodes)


def minutes_text(minutes: float) -> str:
    if minutes < 1:
        return f"~{round(minutes * 60)} s"
    return f"~{minutes:.0f} min" if float(minutes).is_integer() else f"~{minutes:.1f} min"


def mermaid_id(raw: str, taken: set[str]) -> str:
    """A Mermaid node id: letters, digits and underscores, never a keyword, unique."""
    base = "n_" + (re.sub(r"[^A-Za-z0-9_]+", "_", raw).strip("_") or "node")
    candidate, i = base, 2
    while candidate in taken:
        candidate, i = f"{base}_{i}", i + 1
    taken.add(candidate)
    return candidate


def _mermaid_label(text: str) -> str:
    return (
        '"'
        + text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("#lt;br/#gt;", "<br/>")
        + '"'
    )


def render_mermaid(order: RecoveryOrder) -> list[str]:
    """Waves as subgraphs; slow and critical resources drawn alone, the rest grouped per type."""
    nodes, critical = order.nodes, set(order.critical_path)
    taken: set[str] = set()
    node_ids: dict[str, str] = {}
    lines = ["```mermaid", "graph TD"]
    firsts: list[str] = []
    slow_ids, critical_ids = [], []
    for k, wave in enumerate(order.waves, start=1):
        lines.append(f'  subgraph wave_{k}["Wave {k}"]')
        groups: dict[str, list[str]] = {}
        for urn in wave:
            n = nodes[urn]
            slow = _minutes(n) >= SLOW_MINUTES
            if slow or urn in critical:
                nid = mermaid_id(f"{short_type(n['type'])}_{n['name']}", taken)
                node_ids[urn] = nid
                lines.append(
                    f"    {nid}[{_mermaid_label(n['name'] + '<br/>' + short_type(n['type']) + ' · ' + minutes_text(_minutes(n)))}]"
                )
                if slow:
                    slow_ids.append(nid)
                if urn in critical:
                    critical_ids.append(nid)
                if len(firsts) < k:
                    firsts.append(nid)
            else:
                groups.setdefault(short_type(n["type"]), []).append(urn)
        for type_name, members in sorted(groups.items()):
            nid = mermaid_id(f"wave{k}_{type_name}", taken)
            for urn in members:
                node_ids[urn] = nid
            label = (
                nodes[members[0]]["name"] + "<br/>" + type_name if len(members) == 1 else f"{type_name} ×{len(members)}"  # noqa: RUF001 (the plan prints a multiplication sign)
            )
            lines.append(f"    {nid}[{_mermaid_label(label)}]")
            if len(firsts) < k:
                firsts.append(nid)
        lines.append("  end")
    # Keep the waves stacked top-down even where no critical edge links them.
    for a, b in itertools.pairwise(firsts):
        lines.append(f"  {a} ~~~ {b}")
    for a, b in itertools.pairwise(order.critical_path):
        lines.append(f"  {node_ids[a]} ==> {node_ids[b]}")
    lines.append("  classDef slow fill:#fde7c9,stroke:#c77700")
    lines.append("  classDef critical stroke:#c0392b,stroke-width:3px")
    if slow_ids:
        lines.append(f"  class {','.join(slow_ids)} slow")
    if critical_ids:
        lines.append(f"  class {','.join(critical_ids)} critical")
    lines.append("```")
    return lines


def render_recovery(document: Mapping[str, Any]) -> list[str]:
    order = recovery_order(document)
    nodes, critical = order.nodes, set(order.critical_path)
    used = sorted({f for f in map(_figure, nodes.values()) if f is not None}, key=lambda f: (-f.minutes, f.key))
    lines = ["### Recovery order", ""]
    lines += [
        "A full rebuild from nothing, as the engine would schedule it: each wave needs only resources of "
        "earlier waves (dependencies, providers and parent components). Each resource is charged its "
        "figure (tools/plan/figures.py, docs/RECOVERY-TIME.md); the scenarios above charge only what "
        "each disaster recreates.",
        "",
    ]
    lines += table(
        ["Figure", "What", "Minutes", "Source"],
        [[code_span(f.key), f.what, f"{f.minutes:g}", f.source] for f in used],
    )
    lines += ["", "#### Waves", ""]
    rows = []
    for k, wave in enumerate(order.waves, start=1):
        names = []
        for urn in wave:
            n = nodes[urn]
            text = f"{n['name']} ({short_type(n['type'])})"
            names.append(f"**{text}**" if urn in critical else text)
        rows.append([str(k), str(len(wave)), ", ".join(names)])
    lines += table(["Wave", "Resources", "Which (critical path in bold)"], rows)
    lines += ["", f"#### Critical path: {minutes_text(order.total_minutes)}", ""]
    rows = []
    for i, urn in enumerate(order.critical_path, start=1):
        n = nodes[urn]
        rows.append(
            [
                str(i),
                f"**{n['name']}**",
                code_span(n["type"]),
                minutes_text(_minutes(n)),
                minutes_text(order.finish[urn]),
            ]
        )
    lines += table(["Step", "Resource", "Type", "Estimate", "Done after"], rows)
    lines += ["", *render_mermaid(order)]
    return lines
