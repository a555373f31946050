"""The recovery-time model (issue 24): each scenario charges only what it recreates or changes,
per resource, by a figure with its source (tools/plan/figures.py, scenarios.py, docs/RECOVERY-TIME.md).

The primaries' scenarios (cluster lost, database lost) are costed on the plan documents the
plan's tests already evaluate (tests/test_plan.py); here, the model itself on small graphs, the
standby stacks' promotion on the real program, the figures' single table, the config key and the
drill's measured-beside-modelled record.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from components.config.backups import DEFAULT_EXPECTED_RESTORE_MINUTES
from tests.test_velero_config import gcp_config, parse, refusal, tls_secret_keys  # noqa: F401 (autouse fixture)
from tools import drill
from tools.offline import stack_config
from tools.plan.figures import BY_KEY, FIGURES, REPLAY_MINUTES_PER_LOG_HOUR, figure_key, figures_table, log_hours
from tools.plan.scenarios import DEFAULT_RESTORE_MINUTES, ScenarioCost, cost, plan_scenarios

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
RDS = "aws:rds/instance:Instance"
RELEASE = "kubernetes:helm.sh/v3:Release"
RESTORE = "kubernetes:velero.io/v1:Restore"
JOB = "kubernetes:batch/v1:Job"


# ---- the model on small graphs ---------------------------------------------------------------------


def node(name: str, type_: str, deps: tuple[str, ...] = (), **inputs: Any) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:s::p::{type_}::{name}",
        "name": name,
        "type": type_,
        "custom": True,
        "read": False,
        "parent": "",
        "provider": "",
        "dependencies": [f"urn:pulumi:s::p::{t}::{n}" for n, t in (d.split("|") for d in deps)],
        "property_dependencies": {},
        "inputs": inputs,
        "secret_digests": {},
    }


def document(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"resources": list(nodes), "reads": []}


CLUSTER = node("c", "gcp:container/cluster:Cluster")
POOL = node("p", "gcp:container/nodePool:NodePool", ("c|gcp:container/cluster:Cluster",))
BUCKET = node("b", "gcp:storage/bucket:Bucket")
VELERO = node("v", RELEASE, ("p|gcp:container/nodePool:NodePool", "b|gcp:storage/bucket:Bucket"), chart="velero")
ASTRONOMER = node("a", RELEASE, ("v|kubernetes:helm.sh/v3:Release",), chart="astronomer")


def test_nothing_changed_costs_nothing():
    graph = document(CLUSTER, POOL, BUCKET, VELERO, ASTRONOMER)
    result = cost("k", "t", "c", graph, graph)
    assert result.total == 0 and not result.stages and result.survived == 5


def test_what_is_lost_is_created_and_what_survives_costs_nothing_yet_waits():
    """The cluster lost: the cluster and everything in it are recreated; the bucket survives and
    is charged nothing."""
    graph = document(CLUSTER, POOL, BUCKET, VELERO, ASTRONOMER)
    result = cost("k", "t", "c", graph, graph, lost=lambda n: n["type"] != "gcp:storage/bucket:Bucket")
    charged = {s.name: (s.change, s.figure) for s in result.stages.values()}
    assert "b" not in charged and result.survived == 1
    assert charged == {
        "c": ("create", "gke-cluster"),
        "p": ("create", "gke-node-pool"),
        "v": ("create", "small-chart"),
        "a": ("create", "astronomer-chart"),
    }
    assert result.total == pytest.approx(sum(BY_KEY[k].minutes for _, k in charged.values()))
    assert [result.stages[u].name for u in result.critical_path] == ["c", "p", "v", "a"]


def test_a_surviving_resource_still_waits_for_what_it_depends_on():
    """An unchanged resource whose inputs come from a recreated one starts after it (the engine
    registers it once its inputs resolve): it adds no time, and what follows it still waits."""
    middle = node("m", "gcp:serviceaccount/account:Account", ("c|gcp:container/cluster:Cluster",))
    after = node("x", RELEASE, ("m|gcp:serviceaccount/account:Account",), chart="velero")
    graph = document(CLUSTER, middle, after)
    result = cost("k", "t", "c", graph, graph, lost=lambda n: n["name"] in ("c", "x"))
    assert result.total == BY_KEY["gke-cluster"].minutes + BY_KEY["small-chart"].minutes
    assert result.stages[after["urn"]].finish == result.total


@pytest.mark.parametrize(
    "type_, replica, promoted, figure",
    [
        (
            SQL,
            {"masterInstanceName": "primary", "instanceType": "READ_REPLICA_INSTANCE"},
            {"instanceType": "CLOUD_SQL_INSTANCE"},
            "cloudsql-promotion",
        ),
        (RDS, {"replicateSourceDb": "arn:aws:rds:us-east-1:1:db:primary"}, {}, "rds-promotion"),
    ],
)
def test_a_promotion_is_charged_as_a_promotion_not_a_creation(type_, replica, promoted, figure):
    before = document(node("db", type_, **replica))
    after = document(node("db", type_, **promoted))
    [stage] = cost("k", "t", "c", before, after).stages.values()
    assert (stage.change, stage.figure, stage.minutes) == ("update", figure, BY_KEY[figure].minutes)


def test_a_zonal_replica_promoted_into_a_regional_instance_is_charged_both_operations():
    before = document(node("db", SQL, masterInstanceName="p", settings={"availabilityType": "ZONAL"}))
    after = document(node("db", SQL, settings={"availabilityType": "REGIONAL"}))
    [stage] = cost("k", "t", "c", before, after).stages.values()
    assert stage.figure == "cloudsql-promotion-then-ha"
    assert stage.minutes > BY_KEY["cloudsql-promotion"].minutes


def test_an_update_that_is_an_api_call_costs_seconds_and_a_chart_upgrade_its_chart():
    before = document(
        node("alert", "gcp:monitoring/alertPolicy:AlertPolicy", x=1),
        node("a", RELEASE, chart="astronomer", values={"a": 1}),
    )
    after = document(
        node("alert", "gcp:monitoring/alertPolicy:AlertPolicy", x=2),
        node("a", RELEASE, chart="astronomer", values={"a": 2}),
    )
    figures = {s.name: s.figure for s in cost("k", "t", "c", before, after).stages.values()}
    assert figures == {"alert": "quick", "a": "astronomer-chart"}


def test_the_deployments_restore_is_charged_what_the_stack_declares():
    restore = node("r", "kubernetes:velero.io/v1:Restore")
    result = cost("k", "t", "c", None, document(restore), restore_minutes=45)
    [stage] = result.stages.values()
    assert stage.minutes == 45 and stage.data_dependent and "expectedRestoreMinutes: 45 (declared)" in stage.how


def test_a_point_in_time_restore_replays_the_logs_since_the_last_daily_backup_a_backup_none():
    """Log replay from what the config tells: the instance's daily backup start (Cloud SQL
    settings.backupConfiguration.startTime, RDS backupWindow) and the point in time."""
    settings = {"backupConfiguration": {"startTime": "03:00"}}
    clone = node("db", SQL, clone={"pointInTime": "2026-12-05T09:30:00Z"}, settings=settings)
    before_backup = node(
        "db", RDS, restoreToPointInTime={"restoreTime": "2026-12-05T02:00:00Z"}, backupWindow="03:00-03:30"
    )
    unknown = node("db", SQL, clone={"pointInTime": "2026-12-05T09:30:00Z"})
    backup = node("db", SQL, restoreBackupContext={"backupRunId": "1"})
    assert log_hours(clone) == (6.5, "6.5 h of logs since the 03:00 UTC daily backup")
    assert log_hours(before_backup)[0] == 23  # the previous day's backup
    assert log_hours(unknown)[0] == 24 and "unknown" in log_hours(unknown)[1]
    assert log_hours(backup) == (0.0, "")
    [c] = cost("k", "t", "c", None, document(clone)).stages.values()
    [b] = cost("k", "t", "c", None, document(backup)).stages.values()
    assert c.figure == b.figure == "database-restore" and c.data_dependent
    assert b.minutes == BY_KEY["cloudsql-instance"].minutes and "logs" not in b.how
    assert c.minutes == b.minutes + 6.5 * REPLAY_MINUTES_PER_LOG_HOUR and "6.5 h of logs" in c.how


def test_charts_are_told_apart_by_the_release_chart_not_the_type():
    assert figure_key(node("v", RELEASE, chart="velero"), "create") == "small-chart"
    assert figure_key(node("c", RELEASE, chart="cluster-autoscaler"), "create") == "small-chart"
    assert figure_key(node("a", RELEASE, chart="astronomer"), "create") == "astronomer-chart"


# ---- one table: the module, the docs page -----------------------------------------------------


def test_every_figure_has_a_source_and_the_docs_hold_the_same_table():
    assert all(f.source and f.minutes > 0 for f in FIGURES)
    assert len(BY_KEY) == len(FIGURES)
    doc = (ROOT / "docs" / "RECOVERY-TIME.md").read_text()
    block = re.search(r"<!-- figures:[^\n]*-->\n(.*?)<!-- /figures -->", doc, re.S)
    assert block, "docs/RECOVERY-TIME.md lost its figures block"
    expected = "\n".join(figures_table())
    assert block.group(1).strip() == expected, f"paste this table into docs/RECOVERY-TIME.md:\n{expected}"


def test_the_sources_cited_are_the_ones_read():
    """EKS: 'Cluster creation typically takes about 15 minutes' (awsdocs/amazon-eks-user-guide
    latest/ug/automode/automode-get-started-cli.adoc:306). Astronomer's CI installs with HELM_INSTALL_TIMEOUT 10m0s then waits up to 120 s for healthy
    pods (astronomer/astronomer v2.1.0 bin/helm-install.py:18 and :244); Velero's server syncs
    backups and validates locations every minute (vmware-tanzu/velero v1.18.1
    pkg/cmd/server/config/config.go:26-27); RDS reboots a promoted replica and "can take several
    minutes or longer" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html)."""
    assert BY_KEY["astronomer-chart"].minutes == 10 and "helm-install.py:18" in BY_KEY["astronomer-chart"].source
    assert BY_KEY["pods-ready"].minutes == 2 and "max_wait_time=120" in BY_KEY["pods-ready"].source
    assert BY_KEY["velero-location"].minutes == 1 and "config.go:26-27" in BY_KEY["velero-location"].source
    assert "several minutes" in BY_KEY["rds-promotion"].source
    assert "13-16 min" in BY_KEY["eks-cluster"].source and 13 <= BY_KEY["eks-cluster"].minutes <= 16
    assert "about 15 minutes" in BY_KEY["eks-cluster"].source


# ---- backups.expectedRestoreMinutes -------------------------------------------------------------


def test_the_expected_restore_defaults_to_15_minutes_in_the_program_and_the_model():
    assert DEFAULT_EXPECTED_RESTORE_MINUTES == DEFAULT_RESTORE_MINUTES == BY_KEY["deployments-restore"].minutes == 15
    assert parse(gcp_config()).backups.expected_restore_minutes == 15
    assert parse(gcp_config(backups={"expectedRestoreMinutes": 40})).backups.expected_restore_minutes == 40


@pytest.mark.parametrize(
    "value, why",
    [
        (0, "must be between 1 and 1440"),
        (1441, "must be between 1 and 1440"),
        ("15", "expected a whole number"),
        (True, "expected a whole number"),
    ],
)
def test_the_expected_restore_is_refused_out_of_range_naming_the_key(value, why):
    message = refusal(gcp_config(backups={"expectedRestoreMinutes": value}))
    assert "astronomer-dr:backups.expectedRestoreMinutes" in message and why in message


def test_a_typo_of_the_key_suggests_it():
    message = refusal(gcp_config(backups={"expectedRestoreMinute": 20}))
    assert "expectedRestoreMinutes" in message


# ---- the standbys' promotion, on the real program ---------------------------------------------


class _Config:
    def __init__(self, stack: str):
        self.config = stack_config(stack)[0]


@functools.cache
def standby_scenarios(stack: str) -> dict[str, ScenarioCost]:
    from tools.plan.document import to_document
    from tools.plan.evaluate import evaluate_stack

    # As plan_document does: the stack as it is, then its scenarios against it.
    evaluation, _ = evaluate_stack(stack, ROOT, NOW)
    results = plan_scenarios(stack, evaluation, to_document(evaluation), ROOT, NOW, to_document)
    return {r.key: r for r in results}


def _charged(result: ScenarioCost) -> dict[str, tuple[str, str]]:
    """(change, figure) by resource name; Jobs and Releases by their own name (a Job shares its
    name with its ServiceAccount and ConfigMap)."""
    found: dict[str, tuple[str, str]] = {}
    for s in sorted(result.stages.values(), key=lambda s: s.type not in (RELEASE, "kubernetes:batch/v1:Job")):
        found.setdefault(s.name, (s.change, s.figure))
    return found


@pytest.mark.parametrize(
    "stack, cluster, pool",
    [
        ("gcp-standby", "astro-gcp-standby", "astro-gcp-standby-platform"),
        ("aws-standby", "astro-aws-standby", "astro-aws-standby-platform"),
    ],
)
def test_a_warm_standby_promotion_charges_the_promotion_and_the_platform_not_the_cluster(stack, cluster, pool):
    result = standby_scenarios(stack)["region-lost-warm"]
    assert result.error is None, result.error
    charged = _charged(result)
    # The warm cluster and its nodes survive: nothing charged.
    assert cluster not in charged and pool not in charged
    # The GCP replica is zonal until promoted: the promotion is followed by the HA patch.
    promotion = "cloudsql-promotion-then-ha" if stack.startswith("gcp") else "rds-promotion"
    assert charged[f"{cluster}-db"] == ("update", promotion)
    # Velero was pre-staged with the primary's bucket as its synced location (tests/test_standby_prestage.py):
    # its release and that location are not charged; the Restore starts at once.
    assert "velero-release" not in charged and "velero-source" not in charged
    for name, figure in (
        ("velero-restore", "deployments-restore"),
        ("astronomer-release", "astronomer-chart"),
        ("astronomer-ready", "pods-ready"),
        ("deployments-ready-job", "pods-ready"),
    ):
        assert charged[name] == ("create", figure), name
    # The deployments-ready check ends the run, after the restore and the platform, which run alongside.
    by_name = {st.name: st for st in result.stages.values() if st.type in (RESTORE, RELEASE, JOB)}
    ready = by_name["deployments-ready-job"]
    assert result.stages[result.critical_path[-1]] == ready and ready.finish == result.total
    for before in ("velero-restore", "astronomer-release"):
        assert by_name[before].finish <= ready.finish - ready.minutes


@pytest.mark.parametrize(
    "stack, cluster", [("gcp-standby", "gcp:container/cluster:Cluster"), ("aws-standby", "aws:eks/cluster:Cluster")]
)
def test_a_cold_standby_also_creates_its_cluster_and_the_database_still_is_only_promoted(stack, cluster):
    warm, cold = standby_scenarios(stack)["region-lost-warm"], standby_scenarios(stack)["region-lost-cold"]
    assert cold.error is None, cold.error
    created = {s.type for s in cold.stages.values() if s.change == "create"}
    assert cluster in created
    assert not any(s.figure in ("cloudsql-instance", "rds-instance") for s in cold.stages.values())
    assert cold.total > warm.total
    assert any(cold.stages[u].type == cluster for u in cold.critical_path)


# ---- the drill: measured beside modelled ----------------------------------------------------------


def _event(ts: int, kind: str, urn: str, type_: str, op: str = "create") -> dict[str, Any]:
    return {
        "sequence": ts,
        "timestamp": ts,
        kind: {"metadata": {"op": op, "urn": urn, "type": type_, "new": {"type": type_, "urn": urn, "custom": True}}},
    }


def test_the_drill_record_sets_each_step_measured_from_the_event_log_beside_its_figure():
    """Pulumi's engine event log: one EngineEvent a line, `timestamp` Unix seconds, a
    ResourcePreEvent when a step starts and a ResOutputsEvent when it is done (pulumi/pulumi
    sdk/go/common/apitype/events.go: EngineEvent.Timestamp, ResourcePreEvent, ResOutputsEvent)."""
    restore_type = "kubernetes:velero.io/v1:Restore"
    model = cost("drill", "t", "c", None, document(CLUSTER, node("velero-restore", restore_type)))
    drill_urn = lambda u: u.replace("urn:pulumi:s::", "urn:pulumi:drill-s::")  # noqa: E731
    events = [
        _event(1000, "resourcePreEvent", drill_urn(CLUSTER["urn"]), CLUSTER["type"]),
        _event(1000 + 7 * 60, "resOutputsEvent", drill_urn(CLUSTER["urn"]), CLUSTER["type"]),
        _event(1420, "resourcePreEvent", "urn:pulumi:drill-s::p::" + restore_type + "::velero-restore", restore_type),
        _event(
            1420 + 30 * 60,
            "resOutputsEvent",
            "urn:pulumi:drill-s::p::" + restore_type + "::velero-restore",
            restore_type,
        ),
        {
            "sequence": 9,
            "timestamp": 1,
            "resourcePreEvent": {"planning": True, "metadata": {"urn": "urn:pulumi:drill-s::p::x::y"}},
        },
    ]
    table = "\n".join(drill.record_table(events, model))
    assert "| c | `Cluster` | `gke-cluster` | 6 | 7.0 |" in table
    assert "| velero-restore | `Restore` | `deployments-restore` | 15 | 30.0 |" in table
    assert f"**{(3220 - 1000) / 60:.1f} min** measured, **{model.total:.1f} min** modelled" in table
    assert "| y |" not in table  # a preview's planning event is no step


def test_the_drill_restore_writes_its_engine_events_and_record_reads_them(tmp_path, monkeypatch):
    [up] = [
        s
        for s in drill.drill_steps("aws", {"astronomer-dr:cloud": "aws"}, backup="b1")
        if s.argv[:2] == ("pulumi", "up") and s.phase == "restore" and "--refresh" not in s.argv
    ]
    assert up.argv[3:5] == ("--event-log", drill.events_file("aws"))
    monkeypatch.setattr(drill, "PROJECT_DIR", tmp_path)
    with pytest.raises(drill.DrillError, match="run the restore phase first"):
        drill.record("aws", {}, None, "b1", NOW)
    # Git-ignored: a drill's event log never lands in a commit.
    patterns = (ROOT / ".gitignore").read_text().split()
    assert any(fnmatch.fnmatch(drill.events_file("aws"), p) for p in patterns)


@pytest.mark.parametrize("stack", ["gcp-standby", "aws-standby"])
def test_the_runbook_quotes_the_model_for_a_promotion(stack):
    runbook = (ROOT / "docs" / "RUNBOOK.md").read_text()
    [row] = [line for line in runbook.splitlines() if line.startswith("| [The whole region lost]")]
    warm = re.search(rf"warm [^;]*?{stack[:3].upper()} ~(\d+) min", row)
    cold = re.search(rf"cold [^;]*?{stack[:3].upper()} ~(\d+) min", row)
    assert warm and cold, row
    scenarios = standby_scenarios(stack)
    assert round(scenarios["region-lost-warm"].total) == int(warm.group(1))
    assert round(scenarios["region-lost-cold"].total) == int(cold.group(1))


@pytest.mark.parametrize("stack", ["gcp-standby", "aws-standby"])
def test_recovery_time_docs_quote_the_model_for_a_promotion(stack):
    """docs/RECOVERY-TIME.md's "The path today" table, the standby rows (the primaries' rows:
    tests/test_plan.py)."""
    docs = (ROOT / "docs" / "RECOVERY-TIME.md").read_text()
    section = docs[docs.index("## The path today") :]
    column = 2 if stack.startswith("gcp") else 3
    for key, result in standby_scenarios(stack).items():
        [row] = [line for line in section.splitlines() if line.startswith(f"| {result.title} |")]
        assert row.split("|")[column].strip() == f"~{round(result.total)} min", (key, result.total)


@pytest.mark.parametrize("stack", ["gcp-standby", "aws-standby"])
def test_target_region_lost_with_a_warm_standby_within_30_minutes(stack):
    """Issue 24's target, with the deployments' restore at its 15-minute default."""
    result = standby_scenarios(stack)["region-lost-warm"]
    assert any(s.figure == "deployments-restore" and s.minutes == 15 for s in result.stages.values())
    path = " > ".join(
        f"{result.stages[u].name} {result.stages[u].minutes:g}"
        for u in result.critical_path
        if result.stages[u].minutes >= 1
    )
    assert result.total <= 30, f"{stack}: {result.total:g} min: {path}"


def test_scenarios_evaluate_at_the_now_the_plan_was_given_none_included(monkeypatch):
    """Without a `now` the plan's own evaluation keeps the offline engine's defaults (the checked EKS
    calendar, tools/offline/invokes.py EKS_CALENDAR_CHECKED): its scenarios must too, or a shipped
    stack's scenarios fail once the real clock passes a version's end of support while its plan
    does not (seen under faketime +800 days)."""
    import tools.plan.evaluate as evaluate

    seen: list[object] = []
    real = evaluate.evaluate_stack

    def recording(stack, project_dir, now=None, *rest, **kwargs):
        seen.append(now)
        return real(stack, project_dir, now, *rest, **kwargs)

    monkeypatch.setattr(evaluate, "evaluate_stack", recording)
    from tools.plan.document import to_document

    results = plan_scenarios("aws", _Config("aws"), {}, ROOT, None, to_document)
    assert seen and all(n is None for n in seen)
    assert all(r.error is None for r in results), [r.error for r in results]


def test_the_drill_model_restores_the_deployments_only_as_the_drill_does():
    """`--record` costs the drill's own rebuild: the deployments' restore only with `--deployments`
    (deployment_steps), and then stopped (`start: false`: no deployments-ready check) and repointed."""
    config = drill.stack_file_config("gcp")
    at = (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    database_only = {s.figure for s in drill.drill_model("gcp", config, at, None, NOW).stages.values()}
    assert "deployments-restore" not in database_only and "database-restore" in database_only
    with_deployments = drill.drill_model("gcp", config, at, None, NOW, deployments=True).stages.values()
    names = {s.name for s in with_deployments}
    assert "velero-restore" in names and "deployments-ready-job" not in names
    assert any(n.startswith("astronomer-repoint-") for n in names)
