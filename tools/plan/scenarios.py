"""Recovery time per disaster scenario: what each one recreates or changes, charged by its figure.

A scenario is a config change the runbook prescribes (docs/RUNBOOK.md): the program is evaluated
offline before (what exists) and after (the scenario's config). A resource the "after" graph
registers that did not exist, or was lost with the disaster, is created; one whose inputs changed
is updated (only a promotion does real work); the rest survive and cost nothing, though they still
wait for what they depend on. The RTO is the longest path through the "after" graph.

    cost(before, after, lost)   the pure model: each resource's change, figure and minutes
    plan_scenarios(...)         evaluates the scenarios a stack has and costs them
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tools.offline.stack import PROJECT_NAME as PROJECT
from tools.plan.figures import BY_KEY, database_restore_minutes, figure_key
from tools.plan.recovery import recovery_order

# `backups.expectedRestoreMinutes` when the stack declares none: the figure's own minutes
# (tests/test_recovery_time.py holds it equal to the config's default).
DEFAULT_RESTORE_MINUTES = BY_KEY["deployments-restore"].minutes

# What is lost with the cluster: the cluster and what lives in it or is attached to it (node
# pools, node groups, add-ons), every Kubernetes object, and the OIDC provider whose URL is the
# cluster's own issuer. Buckets, databases, IAM, keys and the network survive.
_LOST_WITH_CLUSTER_PREFIXES = ("kubernetes:", "pulumi:providers:kubernetes", "gcp:container/", "aws:eks/")
_LOST_WITH_CLUSTER_TYPES = {"aws:iam/openIdConnectProvider:OpenIdConnectProvider"}


def lost_with_the_cluster(node: Mapping[str, Any]) -> bool:
    kind = node["type"]
    return kind.startswith(_LOST_WITH_CLUSTER_PREFIXES) or kind in _LOST_WITH_CLUSTER_TYPES


@dataclass
class Stage:
    urn: str
    name: str
    type: str
    change: str  # create, update
    figure: str
    minutes: float
    how: str  # the figure's source, or how a data-dependent figure was estimated
    data_dependent: bool
    finish: float = 0.0


@dataclass
class ScenarioCost:
    key: str
    title: str
    change: str
    total: float
    stages: dict[str, Stage]  # by URN: every resource that costs time
    critical_path: list[str]  # URNs of stages, first to last
    survived: int
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def _nodes(document: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    if not document:
        return {}
    return {n["urn"]: n for n in [*document["resources"], *document.get("reads", [])]}


def _changed(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a["inputs"] != b["inputs"] or a.get("secret_digests") != b.get("secret_digests")


def cost(
    key: str,
    title: str,
    change_text: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    lost: Callable[[Mapping[str, Any]], bool] | None = None,
    restore_minutes: float = DEFAULT_RESTORE_MINUTES,
) -> ScenarioCost:
    """The scenario's RTO: `after` (a plan document) costed against `before` (None: nothing
    exists), resources for which `lost` is true counted as gone."""
    old = _nodes(before)
    stages: dict[str, Stage] = {}
    survived = 0
    for urn, node in _nodes(after).items():
        previous = old.get(urn)
        if previous is None or (lost is not None and lost(previous)):
            change = "create"
        elif _changed(previous, node):
            change = "update"
        else:
            change = "same"
        fkey = figure_key(node, change, previous)
        if fkey is None:
            if node["custom"] or node.get("read"):
                survived += 1
            continue
        figure = BY_KEY[fkey]
        minutes, how = figure.minutes, figure.source
        if fkey == "deployments-restore":
            minutes = restore_minutes
            how = f"backups.expectedRestoreMinutes: {restore_minutes:g}" + (
                " (the default)" if restore_minutes == DEFAULT_RESTORE_MINUTES else " (declared)"
            )
        elif fkey == "database-restore":
            minutes, how = database_restore_minutes(node)
        stages[urn] = Stage(urn, node["name"], node["type"], change, fkey, minutes, how, bool(figure.scales_with))
    order = recovery_order(after, lambda n: stages[n["urn"]].minutes if n["urn"] in stages else 0.0)
    for urn, stage in stages.items():
        stage.finish = order.finish.get(urn, stage.minutes)
    path = [u for u in order.critical_path if u in stages]
    return ScenarioCost(key, title, change_text, order.total_minutes, stages, path, survived)


# ---- the scenarios a stack has ------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    change: str  # the config change, as the runbook prescribes it
    overrides: dict[str, Any]  # stack-file keys for the "after" evaluation
    before_overrides: dict[str, Any] | None = None  # None: the stack as it is
    lost: Callable[[Mapping[str, Any]], bool] | None = None


def _object(config: Mapping[str, str], key: str) -> dict[str, Any]:
    raw = config.get(f"{PROJECT}:{key}")
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def expected_restore_minutes(config: Mapping[str, str]) -> float:
    """`backups.expectedRestoreMinutes` as the stack declares it (the program validated it)."""
    value = _object(config, "backups").get("expectedRestoreMinutes")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else DEFAULT_RESTORE_MINUTES


def scenarios(config: Mapping[str, str], primary_outputs: Mapping[str, Any] | None, now: datetime) -> list[Scenario]:
    """The runbook's scenarios for this stack: a standby's promotion (warm and cold), or a
    primary's cluster and database losses."""
    cloud = config.get(f"{PROJECT}:cloud", "")
    cluster, database, standby = (_object(config, k) for k in ("cluster", "database", "standby"))
    if standby:
        outputs = primary_outputs or {}
        restore: dict[str, Any] = {"backup": "latest"}
        if outputs.get("backups_bucket"):
            restore["sourceBucket"] = outputs["backups_bucket"]
        if cloud == "aws" and outputs.get("backups_region"):
            restore |= {
                "sourceRegion": outputs["backups_region"],
                "sourceKmsKeyArn": outputs.get("backups_kms_key_arn"),
            }
        found = []
        current = (bool(standby.get("promote", False)), standby.get("cluster", "warm"))
        for mode in ("warm", "cold"):
            # The stack as it is when it already is that unpromoted standby: its own evaluation serves.
            before = (
                None
                if current == (False, mode)
                else {f"{PROJECT}:standby": {**standby, "promote": False, "cluster": mode}}
            )
            after = {
                f"{PROJECT}:standby": {**standby, "promote": True, "cluster": mode},
                f"{PROJECT}:cluster": {**cluster, "restore": restore},
            }
            found.append(
                Scenario(
                    f"region-lost-{mode}",
                    f"Region lost: {mode} standby promoted",
                    "`standby.promote: true` and `cluster.restore` (the primary's backups bucket)"
                    + ("" if standby.get("cluster", "warm") == mode else f"; a `{mode}` standby (this stack is not)"),
                    after,
                    before,
                )
            )
        return found
    point = (now.astimezone(UTC) - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    point_text = point.strftime("%Y-%m-%dT%H:%M:%SZ")
    backup_id = "1732094400000" if cloud == "gcp" else "rds:astro-db-2026-12-01-03-00"
    # As the runbook's new stack restores: GCP the lost instance's daily backup, AWS the replicated
    # automated backups to their latest restorable time; no empty instance of its own.
    new_stack_restore = (
        {"backupId": backup_id, "sourceInstance": "the-lost-primary-db"}
        if cloud == "gcp"
        else {
            "pointInTime": point_text,
            "sourceAutomatedBackupsArn": "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-lostprimary",
        }
    )
    return [
        Scenario(
            "cluster-lost",
            "Cluster lost",
            "`cluster.restore: {backup: latest}`",
            {f"{PROJECT}:cluster": {**cluster, "restore": {"backup": "latest"}}},
            lost=lost_with_the_cluster,
        ),
        Scenario(
            "database-point-in-time",
            "Database lost: point in time",
            "`database.restore.pointInTime`",
            {
                f"{PROJECT}:database": {
                    **database,
                    "restore": {"pointInTime": point_text},
                }
            },
        ),
        Scenario(
            "database-backup",
            "Database lost: backup id",
            "`database.restore.backupId`",
            {f"{PROJECT}:database": {**database, "restore": {"backupId": backup_id}}},
        ),
        # Without a standby, a new stack in another region restores both (runbook, "The whole
        # region lost"): nothing survives, every resource is created.
        Scenario(
            "region-lost-new-stack",
            "Region lost: no standby, a new stack",
            "a new stack in another region with `database.restore` (`keepOriginal: false`) and `cluster.restore`",
            {
                f"{PROJECT}:database": {**database, "keepOriginal": False, "restore": new_stack_restore},
                f"{PROJECT}:cluster": {**cluster, "restore": {"backup": "latest"}},
            },
            lost=_everything,
        ),
    ]


def _everything(_node: Mapping[str, Any]) -> bool:
    return True


def plan_scenarios(
    stack: str,
    evaluation: Any,
    document: Mapping[str, Any],
    project_dir: Path,
    now: datetime | None,
    to_document: Callable[[Any], dict[str, Any]],
) -> list[ScenarioCost]:
    """Evaluates and costs each scenario of `stack`, `document` being its plan as it is."""
    from tools.plan.evaluate import evaluate_stack

    # The evaluations take `now` as given: None keeps the offline engine's own defaults (the real
    # clock for the program, the checked EKS calendar), as the stack's own evaluation had them.
    at = now or datetime.now(UTC)
    config = evaluation.config
    standby = _object(config, "standby")
    stack_outputs = None
    primary_outputs = None
    if standby.get("primaryStack"):
        reference = standby["primaryStack"]
        primary_name = reference.rsplit("/", 1)[-1]
        if (project_dir / f"Pulumi.{primary_name}.yaml").is_file():
            primary, _ = evaluate_stack(primary_name, project_dir, now)
            if primary.error is None:
                primary_outputs = primary.outputs
                stack_outputs = {reference: primary.outputs}
    restore_minutes = expected_restore_minutes(config)
    results = []
    for scenario in scenarios(config, primary_outputs, at):
        before_doc: Mapping[str, Any] | None = document
        error = None
        if scenario.before_overrides is not None:
            before, _ = evaluate_stack(stack, project_dir, now, scenario.before_overrides, stack_outputs)
            error = before.error
            before_doc = None if error else to_document(before)
        after, _ = evaluate_stack(stack, project_dir, now, scenario.overrides, stack_outputs)
        error = error or after.error
        if error is not None:
            results.append(
                ScenarioCost(
                    scenario.key, scenario.title, scenario.change, 0.0, {}, [], 0, str(error) or type(error).__name__
                )
            )
            continue
        results.append(
            cost(
                scenario.key,
                scenario.title,
                scenario.change,
                before_doc,
                to_document(after),
                scenario.lost,
                restore_minutes,
            )
        )
    return results


def as_json(result: ScenarioCost) -> dict[str, Any]:
    return {
        "key": result.key,
        "title": result.title,
        "change": result.change,
        "rto_minutes": round(result.total, 2),
        "error": result.error,
        "survived": result.survived,
        "critical_path": [
            {
                "name": s.name,
                "type": s.type,
                "change": s.change,
                "figure": s.figure,
                "minutes": s.minutes,
                "done_after": round(s.finish, 2),
                "source": s.how,
                "data_dependent": s.data_dependent,
            }
            for s in (result.stages[u] for u in result.critical_path)
        ],
        "stages": sorted(
            (
                {"name": s.name, "type": s.type, "change": s.change, "figure": s.figure, "minutes": s.minutes}
                for s in result.stages.values()
            ),
            key=lambda d: (d["type"], d["name"]),
        ),
    }


def render_scenarios(document: Mapping[str, Any]) -> list[str]:
    """Each scenario's RTO, its critical path stage by stage with figure and source."""
    from tools.plan.markdown import code_span, table
    from tools.plan.recovery import minutes_text

    results = document.get("recovery") or []
    if not results:
        return []
    lines = ["### Recovery time per scenario", ""]
    lines += [
        "Each scenario is the runbook's config change, evaluated offline against the stack as it is: "
        "only what it creates or changes costs time (figures: docs/RECOVERY-TIME.md); what survives "
        "costs nothing. Data-dependent stages are marked 📦 with where their figure comes from.",
        "",
    ]
    lines += table(
        ["Scenario", "Config change", "RTO (model)", "Resources created / changed", "Surviving"],
        [
            [
                r["title"],
                r["change"],
                f"fails to evaluate: {r['error']}" if r["error"] else f"**{minutes_text(r['rto_minutes'])}**",
                str(len(r["stages"])),
                str(r["survived"]),
            ]
            for r in results
        ],
    )
    for r in results:
        if r["error"]:
            continue
        lines += ["", f"#### {r['title']}: {minutes_text(r['rto_minutes'])}", ""]
        lines += table(
            ["Step", "Resource", "Change", "Figure", "Minutes", "Done after", "Source"],
            [
                [
                    str(i),
                    f"{s['name']} ({code_span(s['type'].rsplit(':', 1)[-1])})",
                    s["change"],
                    code_span(s["figure"]) + (" 📦" if s["data_dependent"] else ""),
                    f"{s['minutes']:g}",
                    minutes_text(s["done_after"]),
                    s["source"],
                ]
                for i, s in enumerate(r["critical_path"], start=1)
            ],
        )
    return lines
