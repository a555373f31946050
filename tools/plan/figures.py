"""How long each kind of resource takes to create or change: one table of figures, each with its
public source, that the plan's recovery model and docs/RECOVERY-TIME.md share.

A figure belongs to a resource as registered (its type, its chart, its inputs), not to a type
alone: the Velero chart and Astronomer's are both `helm.sh/v3:Release`, and a Cloud SQL instance
created empty, cloned to a point in time, or promoted from a replica take different times.
Figures marked data-dependent are replaced by what the stack declares or the config tells
(`Figure.scales_with` says what; tools/plan/scenarios.py fills them in).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Figure:
    key: str
    what: str
    minutes: float
    source: str
    # Non-empty: the figure grows with data, and this says with what and where its value comes from.
    scales_with: str = ""


_ASTRONOMER_CI = "astronomer/astronomer v2.1.0 bin/helm-install.py"
_VELERO_CONFIG = "vmware-tanzu/velero v1.18.1 pkg/cmd/server/config/config.go:26-27"

FIGURES: tuple[Figure, ...] = (
    Figure(
        "gke-cluster",
        "GKE regional cluster (control plane)",
        6,
        "Google publishes no creation time; the issue's public figure (5-6 min), held until a drill measures it; "
        "DevSecOpsSamples/gke-workload-identity README-standard-cluster.md: a multi-zonal cluster with its nodes "
        "'may take around 7 minutes'",
    ),
    Figure(
        "gke-node-pool",
        "GKE node pool (nodes registered)",
        2,
        "Google publishes no creation time; the issue's public figure (about 2 min), held until a drill measures it",
    ),
    Figure(
        "eks-cluster",
        "EKS cluster (control plane)",
        15,
        "awsdocs/amazon-eks-user-guide 4d52b4d latest/ug/automode/automode-get-started-cli.adoc:306 "
        "('Cluster creation typically takes about 15 minutes'); measured 13-16 min in 21 regions: "
        "https://easontechtalk.com/unofficial-eks-cluster-creation-performance-across-aws-regions",
    ),
    Figure(
        "eks-node-group",
        "EKS managed node group",
        3,
        "awsdocs/amazon-eks-user-guide 4d52b4d latest/ug/networking/eks-networking-add-ons.adoc:2181 "
        "('Node group creation takes several minutes'); the issue's public figure is under 2",
    ),
    Figure(
        "eks-addon",
        "EKS add-on (its pods running)",
        2,
        "a small chart's figure: an add-on is a managed chart whose create waits for its pods (ACTIVE)",
    ),
    Figure("nat-gateway", "NAT gateway", 2, "AWS: NAT gateway pending until available; estimate"),
    Figure(
        "private-services", "Private services access (VPC peering)", 2, "GCP servicenetworking connection; estimate"
    ),
    Figure(
        "small-chart",
        "small chart with its wait (Velero, cluster-autoscaler)",
        2,
        "the issue's public figure: a few pods, helm --wait; pulled from the chart's repository",
    ),
    Figure(
        "astronomer-chart",
        "Astronomer chart install with its hooks",
        10,
        f"{_ASTRONOMER_CI}:18 (HELM_INSTALL_TIMEOUT 10m0s, the install its CI allows)",
    ),
    Figure(
        "pods-ready",
        "pods running after a release or a restore (ready Jobs)",
        2,
        f"{_ASTRONOMER_CI}:244 (wait_for_healthy_pods, max_wait_time=120 s after the install)",
    ),
    Figure(
        "velero-location",
        "Velero backup location available and its backups synced",
        1,
        f"{_VELERO_CONFIG} (defaultBackupSyncPeriod, defaultStoreValidationFrequency: 1 min)",
    ),
    Figure(
        "deployments-restore",
        "Velero restore of the deployments (namespaces and volume data)",
        15,
        "declared: backups.expectedRestoreMinutes (default 15); velero issue #5920 (23 GB volume: 1 h), #6845",
        scales_with="the deployments' volume data: backups.expectedRestoreMinutes",
    ),
    Figure(
        "script-job",
        "a script Job (repoint, checks): one pod, one script",
        1,
        "a pod scheduled on a running node and a short script; estimate",
    ),
    Figure(
        "cloudsql-promotion",
        "Cloud SQL replica promoted (already highly available)",
        5,
        "https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances/promoteReplica "
        "('might cause your instance to restart'); no published duration, estimate",
    ),
    Figure(
        "cloudsql-promotion-then-ha",
        "Cloud SQL replica promoted, then made highly available (two operations)",
        10,
        "https://cloud.google.com/sql/docs/postgres/replication/cross-region-replicas ('Read replicas are not "
        "automatically configured as High Availability (HA) instances when they are promoted'); the provider "
        "promotes, then patches the settings; each an estimated restart",
    ),
    Figure(
        "rds-promotion",
        "RDS read replica promoted",
        5,
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html "
        "('RDS reboots the DB instance ... can take several minutes or longer ..., depending on the size')",
    ),
    Figure(
        "cloudsql-instance",
        "Cloud SQL instance created (HA, empty or a replica)",
        15,
        "estimate: regional HA instance; the drill measures it",
    ),
    Figure(
        "rds-instance", "RDS instance created (Multi-AZ, empty or a replica)", 20, "estimate; the drill measures it"
    ),
    Figure(
        "database-restore",
        "database restored from a backup (a new instance)",
        20,
        "the instance's creation plus its data; estimate from the config (see the stage); the drill measures it",
        scales_with="the database's size and, to a point in time, the logs replayed since the last daily backup",
    ),
    Figure("quick", "anything else (Kubernetes objects, IAM, cloud API calls)", 0.25, "seconds: one API call"),
)
BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}

# Minutes of log replay for each hour of logs after the last daily backup. An assumption of the
# model, not a published figure: an Airflow metadata database writes little, and Postgres replays
# WAL far faster than it was written. A point in time just before the next daily backup replays
# up to 24 hours of logs (the most, charged when the backup's time is unknown).
REPLAY_MINUTES_PER_LOG_HOUR = 0.25
MAX_LOG_HOURS = 24

ASTRONOMER_CHART = "astronomer"

TYPE_FIGURES = {
    "gcp:container/cluster:Cluster": "gke-cluster",
    "gcp:container/nodePool:NodePool": "gke-node-pool",
    "aws:eks/cluster:Cluster": "eks-cluster",
    "aws:eks/nodeGroup:NodeGroup": "eks-node-group",
    "aws:eks/addon:Addon": "eks-addon",
    "aws:ec2/natGateway:NatGateway": "nat-gateway",
    "gcp:servicenetworking/connection:Connection": "private-services",
    "kubernetes:velero.io/v1:Restore": "deployments-restore",
    "kubernetes:velero.io/v1:BackupStorageLocation": "velero-location",
}
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
RDS = "aws:rds/instance:Instance"
RELEASE = "kubernetes:helm.sh/v3:Release"
JOB = "kubernetes:batch/v1:Job"
# The Jobs that wait for pods to run, by the name the program gives them.
READY_JOBS = {"astronomer-ready", "deployments-ready-job"}


def _is_replica(node: Mapping[str, Any] | None) -> bool:
    if node is None:
        return False
    inputs = node["inputs"]
    return bool(inputs.get("masterInstanceName") or inputs.get("replicateSourceDb"))


def _availability(node: Mapping[str, Any] | None) -> Any:
    settings = (node or {}).get("inputs", {}).get("settings")
    return settings.get("availabilityType") if isinstance(settings, Mapping) else None


def _is_restore(node: Mapping[str, Any]) -> bool:
    inputs = node["inputs"]
    return any(inputs.get(k) for k in ("clone", "restoreBackupContext", "restoreToPointInTime", "snapshotIdentifier"))


def figure_key(node: Mapping[str, Any], change: str, before: Mapping[str, Any] | None = None) -> str | None:
    """The figure of `node` for `change` (create, update or same), or None: it costs nothing."""
    if change == "same" or not (node["custom"] or node.get("read")):
        return None
    kind = node["type"]
    if change == "update":
        # Updates that do real work: a promotion, and a chart upgrade (helm upgrade runs the
        # chart's hooks and waits for its pods as an install does). Any other is an API call.
        if kind in (SQL, RDS) and _is_replica(before) and not _is_replica(node):
            if kind == RDS:
                return "rds-promotion"
            return (
                "cloudsql-promotion-then-ha" if _availability(before) != _availability(node) else "cloudsql-promotion"
            )
        if kind != RELEASE:
            return "quick"
    if kind in (SQL, RDS):
        if _is_restore(node):
            return "database-restore"
        return "cloudsql-instance" if kind == SQL else "rds-instance"
    if kind == RELEASE:
        chart = str(node["inputs"].get("chart") or "")
        return "astronomer-chart" if chart == ASTRONOMER_CHART else "small-chart"
    if kind == JOB:
        return "pods-ready" if node["name"] in READY_JOBS else "script-job"
    return TYPE_FIGURES.get(kind, "quick")


def _restore_time(node: Mapping[str, Any]) -> datetime | None:
    inputs = node["inputs"]
    clone, pitr = inputs.get("clone"), inputs.get("restoreToPointInTime")
    text = (clone or {}).get("pointInTime") if isinstance(clone, Mapping) else None
    text = text or ((pitr or {}).get("restoreTime") if isinstance(pitr, Mapping) else None)
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _backup_start(node: Mapping[str, Any]) -> tuple[int, int] | None:
    """The daily backup's start (UTC hour, minute) as the instance declares it: Cloud SQL
    `settings.backupConfiguration.startTime` ("03:00"), RDS `backupWindow` ("03:00-03:30")."""
    inputs = node["inputs"]
    settings = inputs.get("settings")
    text = inputs.get("backupWindow")
    if isinstance(settings, Mapping) and isinstance(settings.get("backupConfiguration"), Mapping):
        text = settings["backupConfiguration"].get("startTime") or text
    if not isinstance(text, str) or not re.match(r"^\d{2}:\d{2}", text):
        return None
    return int(text[:2]), int(text[3:5])


def log_hours(node: Mapping[str, Any]) -> tuple[float, str]:
    """Hours of transaction logs a restore replays after its backup, and how they were found: to a
    point in time, those since the last daily backup before it (from the instance's backup window);
    a day, the most there can be, when the config does not tell; from a backup, none."""
    inputs = node["inputs"]
    if not (inputs.get("clone") or inputs.get("restoreToPointInTime")):
        return 0.0, ""
    moment, start = _restore_time(node), _backup_start(node)
    if moment is None or start is None:
        return float(MAX_LOG_HOURS), f"up to {MAX_LOG_HOURS} h of logs (the daily backup's time unknown)"
    backup = moment.replace(hour=start[0], minute=start[1], second=0, microsecond=0)
    if backup > moment:
        backup -= timedelta(days=1)
    hours = (moment - backup).total_seconds() / 3600
    return hours, f"{hours:.1f} h of logs since the {start[0]:02d}:{start[1]:02d} UTC daily backup"


def database_restore_minutes(node: Mapping[str, Any]) -> tuple[float, str]:
    """A restore's minutes from what the config tells: the instance created from its backup, and
    the logs replayed to the point in time."""
    create = BY_KEY["cloudsql-instance" if node["type"] == SQL else "rds-instance"].minutes
    hours, which = log_hours(node)
    minutes = create + hours * REPLAY_MINUTES_PER_LOG_HOUR
    how = f"instance created from its backup ({create:g} min)"
    if hours:
        how += f" + {which}, replayed at {REPLAY_MINUTES_PER_LOG_HOUR:g} min per hour of logs"
    return minutes, how


def figures_table() -> list[str]:
    """The table as docs/RECOVERY-TIME.md holds it (tests/test_recovery_time.py keeps them equal and prints
    this table when they differ)."""
    from tools.plan.markdown import table

    return table(FIGURE_HEADERS, _rows())


def _rows() -> list[list[str]]:
    return [
        [
            f"`{f.key}`",
            f.what,
            f"{f.minutes:g}",
            f"yes: {f.scales_with}" if f.scales_with else "no",
            f.source,
        ]
        for f in FIGURES
    ]


FIGURE_HEADERS = ["Figure", "What", "Minutes", "Data-dependent", "Source"]
