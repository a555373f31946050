"""What changed between two plan documents: resources added and removed, input properties that
changed (secrets compared by digest), and its Markdown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tools.plan.document import flatten, to_document
from tools.plan.evaluate import MASKED
from tools.plan.markdown import code_span, table
from tools.plan.summary.rows import fmt_value


@dataclass(frozen=True)
class _SecretLeaf:
    digest: str


def _flat_with_secrets(values: Any, digests: Mapping[str, str]) -> dict[str, Any]:
    """Flattened masked values, each masked secret replaced by the digests of its own leaves."""
    flat = {p: v for p, v in flatten(values).items() if p}  # an empty top level has no leaves
    out: dict[str, Any] = {}
    for path, value in flat.items():
        inside = (
            {p: d for p, d in digests.items() if p == path or p.startswith(path + ".") or p.startswith(path + "[")}
            if value == MASKED
            else {}
        )
        if inside:
            out.update({p: _SecretLeaf(d) for p, d in inside.items()})
        else:
            out[path] = value
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal as the engine would see it: 7 and 7.0 are the same number, true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _change(path: str, old: Any, new: Any, missing: object) -> dict[str, Any]:
    change: dict[str, Any] = {"path": path}
    secret = isinstance(old, _SecretLeaf) or isinstance(new, _SecretLeaf)
    if old is not missing:
        change["old"] = MASKED if isinstance(old, _SecretLeaf) else old
    if new is not missing:
        change["new"] = MASKED if isinstance(new, _SecretLeaf) else new
    if secret:
        change["secret"] = True
    return change


def diff_values(
    old: Any, new: Any, old_digests: Mapping[str, str] = {}, new_digests: Mapping[str, str] = {}
) -> list[dict[str, Any]]:
    """Changed leaves by dotted path: `{"path", "old", "new"}`, a side left out when absent."""
    a, b = _flat_with_secrets(old, old_digests), _flat_with_secrets(new, new_digests)
    missing = object()
    changes = []
    for path in [*a, *(p for p in b if p not in a)]:
        x, y = a.get(path, missing), b.get(path, missing)
        if x is missing or y is missing or not _same(x, y):
            changes.append(_change(path, x, y, missing))
    return changes


def _names(urns: Iterable[str]) -> list[str]:
    return [u.rsplit("::", 1)[-1] for u in urns]


def _as_document(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else to_document(value)


def diff_evaluations(old: Any, new: Any) -> dict[str, Any]:
    """Pure: what changed from `old` to `new` (plan documents or tools.offline Evaluations).

    Resources are matched by URN, as the engine matches them: a renamed or re-parented resource is
    one removed and one added. Changed inputs are listed leaf by leaf (secret leaves as `[secret]`),
    then changed options (`protect`, `retainOnDelete`, dependencies).
    """
    old, new = _as_document(old), _as_document(new)
    before = {r["urn"]: r for r in old["resources"]}
    after = {r["urn"]: r for r in new["resources"]}
    changed = []
    for urn, r in after.items():
        if urn not in before:
            continue
        b = before[urn]
        changes = diff_values(b["inputs"], r["inputs"], b.get("secret_digests", {}), r.get("secret_digests", {}))
        for option, key in (("protect", "protect"), ("retainOnDelete", "retain_on_delete")):
            if bool(b.get(key)) != bool(r.get(key)):
                changes.append({"path": f"({option})", "old": bool(b.get(key)), "new": bool(r.get(key))})
        if sorted(b["dependencies"]) != sorted(r["dependencies"]):
            changes.append(
                {"path": "(dependencies)", "old": _names(b["dependencies"]), "new": _names(r["dependencies"])}
            )
        if changes:
            changed.append({"urn": urn, "type": r["type"], "name": r["name"], "changes": changes})
    summary = lambda r: {k: r[k] for k in ("urn", "type", "name", "parent", "custom", "protect")}  # noqa: E731
    return {
        "stack": new.get("stack") or old.get("stack"),
        "added": [summary(r) for urn, r in after.items() if urn not in before],
        "removed": [summary(r) for urn, r in before.items() if urn not in after],
        "changed": changed,
        "outputs": diff_values(
            old.get("outputs", {}),
            new.get("outputs", {}),
            old.get("output_secret_digests", {}),
            new.get("output_secret_digests", {}),
        ),
        "recovery": recovery_changes(old.get("recovery") or [], new.get("recovery") or []),
    }


def recovery_changes(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Scenarios whose modelled RTO changed (tools/plan/scenarios.py): a change that lengthens
    the critical path shows in the diff, with the stage that now finishes last."""
    before = {r["key"]: r for r in old}
    changes = []
    for r in new:
        b = before.get(r["key"])
        if b is None or b["rto_minutes"] == r["rto_minutes"]:
            continue
        last = r["critical_path"][-1]["name"] if r["critical_path"] else ""
        changes.append(
            {"key": r["key"], "title": r["title"], "old": b["rto_minutes"], "new": r["rto_minutes"], "last": last}
        )
    return changes


def diff_is_empty(diff: Mapping[str, Any]) -> bool:
    return not (diff["added"] or diff["removed"] or diff["changed"] or diff["outputs"] or diff.get("recovery"))


def _value_text(change: Mapping[str, Any], side: str) -> str:
    if side not in change:
        return "(absent)"
    value = change[side]
    if change.get("secret") and value == MASKED:
        return "[secret]"
    text = fmt_value(value)
    if len(text) > 160:
        text = text[:157] + "…"
    return code_span(text)


def render_diff(diff: Mapping[str, Any], ref: str) -> str:
    """Markdown of a diff; empty when nothing changed."""
    if diff_is_empty(diff):
        return ""
    counts = f"**{len(diff['added'])} to add, {len(diff['removed'])} to remove, {len(diff['changed'])} to change**"
    lines = [
        f"## Offline plan diff: stack `{diff['stack']}`",
        "",
        f"{counts} against {code_span(ref)}, from evaluating both programs offline. Resources are matched by URN: "
        "a renamed or re-parented resource shows as removed and added (the engine would replace it unless it has an alias).",
        "",
    ]
    for title, key in (("Added", "added"), ("Removed", "removed")):
        if diff[key]:
            lines += [f"### {title}", ""]
            lines += table(
                ["Resource", "Type", "Parent", "Protect"],
                (
                    [
                        f"**{r['name']}**",
                        code_span(r["type"]),
                        r["parent"].rsplit("::", 1)[-1],
                        "🔒" if r["protect"] else "",
                    ]
                    for r in diff[key]
                ),
            )
            lines.append("")
    if diff["changed"]:
        lines += ["### Changed", ""]
        for r in diff["changed"]:
            secret_note = any(c.get("secret") for c in r["changes"])
            lines += [f"#### **{r['name']}** {code_span(r['type'])}", ""]
            lines += table(
                ["Property", "Old", "New"],
                ([code_span(c["path"]), _value_text(c, "old"), _value_text(c, "new")] for c in r["changes"]),
            )
            if secret_note:
                lines += [
                    "",
                    "`[secret]`: a value inside an input the program marks secret changed; its value is not shown.",
                ]
            lines.append("")
    if diff.get("recovery"):
        lines += ["### Recovery time (model)", ""]
        lines += table(
            ["Scenario", "Old RTO", "New RTO", "Change"],
            (
                [c["title"], f"{c['old']:g} min", f"{c['new']:g} min", f"{c['new'] - c['old']:+g} min"]
                for c in diff["recovery"]
            ),
        )
        lines.append("")
    if diff["outputs"]:
        lines += ["### Stack outputs", ""]
        lines += table(
            ["Output", "Old", "New"],
            ([code_span(c["path"]), _value_text(c, "old"), _value_text(c, "new")] for c in diff["outputs"]),
        )
        lines.append("")
    return "\n".join(lines)
