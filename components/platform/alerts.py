"""The deployments' backups watched: Velero's metrics scraped, alert rules on them, and where they go.

Pure functions, one source for each rule: the same rules go into the platform's Prometheus
(chart 2.1.0 `prometheus.additionalAlerts.platform`, with `prometheus.additionalScrapeJobs` to
scrape Velero), and on GCP into Cloud Monitoring PromQL alert policies (components/gcp/alerts.py),
which is what delivers them there without a key. On AWS, the platform's Alertmanager delivers them
to an SNS topic (`alertmanager.customReceiver`, `sns_configs` signed with the pod's IRSA role).

Metric names are Velero v1.18.1's (pkg/metrics/metrics.go; the list the tests hold them to is
tests/velero/metrics-v1.18.1.txt) and kube-state-metrics' (the chart's `kube-state`; the list is
tests/kube_state/namespace-metrics-v2.19.1.txt).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from .. import cron
from ..config import PlatformSettings
from .values import PLATFORM_NAMESPACE_LABEL
from .velero_chart import (
    BACKUP_LOCATION_NAME,
    SCHEDULE_NAME,
    SOURCE_LOCATION_NAME,
    VELERO_NAMESPACE,
    deployment_namespaces,
)

# The scrape job the platform's Prometheus runs against Velero's server pod: the chart's pod
# template labels it `name: velero` and names its metrics port `http-monitoring` (8085)
# (vmware-tanzu/helm-charts, charts/velero/templates/deployment.yaml, tag velero-12.1.0).
VELERO_SCRAPE_JOB = "astronomer-dr-velero"
VELERO_POD_LABELS = {"name": "velero"}
VELERO_METRICS_PORT = "http-monitoring"
# Every DR rule carries this label: Alertmanager routes on it (`DR_RECEIVER`), and the chart's own
# route for `tier: platform` never sees these alerts.
DR_LABEL = "astronomer_dr"
DR_RECEIVER = "astronomer-dr"
# How long kopia maintenance may keep failing before anyone hears: Velero runs it every hour
# (quick) and a full one every day by default (docs v1.18 repository-maintenance.md).
MAINTENANCE_WINDOW = "1d"
# The BackupStorageLocation may be unreachable for a short while (a token refresh, an API blip):
# Velero checks it every minute; a quarter of an hour unavailable is an outage.
LOCATION_FOR = "15m"
# The longest `for` a rule may have: a Cloud Monitoring PromQL condition's retest window (its
# `duration`) is at most 24 hours (https://cloud.google.com/monitoring/alerts/using-promql,
# "Limitations"); the same rules run on AWS's Prometheus, which takes the same.
MAX_FOR_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Rule:
    """One Prometheus alerting rule (https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/)."""

    alert: str
    expr: str
    # Prometheus duration the condition must hold before the alert fires ("0s": at once).
    for_: str
    summary: str
    # The metrics the expression reads (tests hold each to its exporter's own list: Velero's, kube-state-metrics').
    metrics: tuple[str, ...]

    def prometheus(self) -> dict[str, Any]:
        # Annotations are plain text: the chart renders additionalAlerts through Helm's `tpl`
        # (charts/prometheus/templates/prometheus-alerts-configmap.yaml:95), which would evaluate
        # an Alertmanager template such as {{ $labels.schedule }} as Helm's own.
        return {
            "alert": self.alert,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"tier": "platform", "severity": "critical", DR_LABEL: "backup"},
            "annotations": {"summary": self.summary},
        }


# ---- the schedule's interval ------------------------------------------------------------------


@functools.cache
def longest_gap_seconds(schedule: str) -> int:
    """The longest time between two runs of the Schedule, as Velero reads `schedule`
    (components/cron.py, robfig/cron v3 rule for rule; descriptors and `@every` included)."""
    gap = cron.longest_gap(cron.parse(schedule))
    if gap is None:
        raise ValueError(f"cron schedule never runs: {schedule!r}")
    return int(gap.total_seconds())


def _duration(seconds: int) -> str:
    """A Prometheus duration (whole minutes, hours or days)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# ---- the rules --------------------------------------------------------------------------------


def cluster_matcher(cluster: str | None) -> str:
    """The label matcher that scopes a selector to this stack's cluster, to append after its others
    (Managed Service for Prometheus labels every series with `cluster`; one project may hold several)."""
    return f',cluster="{cluster}"' if cluster else ""


def never_succeeded_rule(schedule: str, on_schedule: str) -> Rule:
    """No successful backup of the Schedule since it exists, for twice its longest gap. The gauge
    of the last success exists only once a backup succeeded; the Schedule's counters exist from its
    first reconcile (InitSchedule adds 0 to `velero_backup_attempt_total{schedule}`, velero v1.18.1
    pkg/metrics/metrics.go:495-498, called on every reconcile, pkg/controller/schedule_controller.go:109),
    and its first backup runs at the first cron time after its creation, not at once
    (schedule_controller.go:275-289). A rule waits at most MAX_FOR_SECONDS: a longer wait is asked
    of the data instead, the Schedule's counter having existed that much earlier (`offset`), and a
    Velero never scraped at all is said after a day."""
    stale = 2 * longest_gap_seconds(schedule)
    absent = f"absent(velero_backup_last_successful_timestamp{{{on_schedule}}})"
    summary = f"Velero has reported no successful backup of schedule {SCHEDULE_NAME} for {_duration(stale)} (or is not scraped)"
    if stale <= MAX_FOR_SECONDS:
        return Rule(
            "VeleroBackupNeverSucceeded",
            absent,
            _duration(stale),
            summary,
            ("velero_backup_last_successful_timestamp",),
        )
    metrics = ("velero_backup_last_successful_timestamp", "velero_backup_attempt_total")
    attempts = f"velero_backup_attempt_total{{{on_schedule}}}"
    expr = (
        f"({absent} and on() ({attempts} offset {_duration(stale - MAX_FOR_SECONDS)}))"
        f" or absent_over_time({attempts}[{_duration(MAX_FOR_SECONDS)}])"
    )
    return Rule("VeleroBackupNeverSucceeded", expr, _duration(MAX_FOR_SECONDS), summary, metrics)


def velero_rules(schedule: str, cluster: str | None = None) -> list[Rule]:
    """What tells the operator the deployments' backups are broken, for the Schedule running `schedule`.

    `cluster`: where the series carry a `cluster` label naming their cluster (Managed Service for
    Prometheus's `prometheus_target` resource; one project may hold a primary's and a promoted
    standby's), each rule reads only this stack's cluster."""
    stale = _duration(2 * longest_gap_seconds(schedule))
    scope = cluster_matcher(cluster)
    on_schedule = f'schedule="{SCHEDULE_NAME}"{scope}'
    only_cluster = f'{{cluster="{cluster}"}}' if cluster else ""
    return [
        Rule(
            "VeleroBackupStale",
            # Velero recomputes the gauge from its Backup objects every minute (pkg/controller/backup_controller.go:217).
            f"time() - velero_backup_last_successful_timestamp{{{on_schedule}}} > {2 * longest_gap_seconds(schedule)}",
            "0s",
            f"No successful backup of the Airflow deployments (Velero schedule {SCHEDULE_NAME}) for more than {stale}, twice the schedule's interval",
            ("velero_backup_last_successful_timestamp",),
        ),
        never_succeeded_rule(schedule, on_schedule),
        Rule(
            "VeleroBackupFailed",
            f"increase(velero_backup_failure_total{{{on_schedule}}}[{stale}]) > 0"
            f" or increase(velero_backup_partial_failure_total{{{on_schedule}}}[{stale}]) > 0"
            f" or increase(velero_backup_validation_failure_total{{{on_schedule}}}[{stale}]) > 0",
            "0s",
            f"A backup of the Airflow deployments (Velero schedule {SCHEDULE_NAME}) failed or partially failed: `velero backup describe <name> --details`",
            (
                "velero_backup_failure_total",
                "velero_backup_partial_failure_total",
                "velero_backup_validation_failure_total",
            ),
        ),
        Rule(
            "VeleroBackupEmpty",
            # A backup of nothing is Completed (no namespace matched, a wrong filter): only its item count tells.
            f"velero_backup_items_total{{{on_schedule}}} == 0",
            "0s",
            f"The last backup of schedule {SCHEDULE_NAME} holds no items: it restores nothing",
            ("velero_backup_items_total",),
        ),
        Rule(
            "VeleroBackupLocationUnavailable",
            f'velero_backup_location_status_gauge{{backup_location_name="{BACKUP_LOCATION_NAME}"{scope}}} == 0',
            LOCATION_FOR,
            f"Velero cannot reach its backups bucket (BackupStorageLocation {BACKUP_LOCATION_NAME}): no backup can be written",
            ("velero_backup_location_status_gauge",),
        ),
        Rule(
            "VeleroRepositoryMaintenanceFailing",
            f"increase(velero_repo_maintenance_failure_total{only_cluster}[{MAINTENANCE_WINDOW}]) > 0",
            "0s",
            "Kopia repository maintenance failed in the last day: expired data is not removed and the repository is not checked",
            ("velero_repo_maintenance_failure_total",),
        ),
    ]


# ---- deployment namespaces no backup holds ----------------------------------------------------
#
# kube-state-metrics as chart 2.1.0 runs it (astronomer/astronomer v2.1.0 charts/kube-state/):
# pods labelled `component: kube-state, release: <release>` (templates/kube-state-deployment.yaml:26-33),
# metrics on the port named `scrape`, 8080 (:71-72, values.yaml `ports.scrape`), the namespaces
# collector on (values.yaml `collectors`) with a ClusterRole to list namespaces
# (templates/kube-state-role.yaml: unless the chart's own namespace pools are on), and every
# namespace label exported (values.yaml `extraArgs: --metric-labels-allowlist=namespaces=[*]`).
# The platform's Prometheus scrapes it (charts/prometheus/templates/prometheus-config-configmap.yaml:171-237,
# job `kube-state`, the metrics' own `namespace` label kept).
KUBE_STATE_COMPONENT = "kube-state"
KUBE_STATE_METRICS_PORT = "scrape"
KUBE_STATE_METRICS_PORT_NUMBER = 8080
# The label Houston puts on each deployment namespace it creates: chart v2.1.0
# charts/astronomer/templates/houston/houston-configmap.yaml:102-104
# (`deployments.namespaceManagement.namespaceLabels: {platform-release: <release>}`), the label the
# config syncer copies platform Secrets by (`astronomer.io/commander-sync: platform-release=<release>`,
# charts/astronomer/templates/houston/api/houston-jwt-certificate-secret.yaml:55).
HOUSTON_NAMESPACE_LABEL = "platform-release"
# The other: PLATFORM_NAMESPACE_LABEL, which the program asks for on every deployment namespace
# (`global.namespaceLabels`: Commander's namespace labels, commander-metadata.yaml:20-21, and the
# chart's own pool namespaces, templates/namespaces.yaml).
# Only these two reach Cloud Monitoring (each series ingested is billed).
NAMESPACE_METRICS = ("kube_namespace_created", "kube_namespace_labels")
# A namespace metric missing for this long: the never-backed-up check is blind.
NAMESPACE_METRICS_FOR = "15m"


@dataclass(frozen=True)
class Deployments:
    """Where this platform's Airflow deployments live: what the Schedule backs up, and who labels them."""

    platform_namespace: str
    release_name: str
    # platform.deploymentNamespaces (namespace pools).
    pools: tuple[str, ...] = ()

    @classmethod
    def of(cls, platform: PlatformSettings) -> Deployments:
        return cls(platform.namespace, platform.release_name, tuple(platform.deployment_namespaces))


def kube_state_label(key: str) -> str:
    """The metric label kube-state-metrics gives a Kubernetes label (v2.19.1 internal/store/utils.go
    labelName: `label_` + SanitizeLabelName, then snake case, lower case)."""
    name = re.sub(r"[^a-zA-Z0-9_]", "_", key)
    return "label_" + re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def namespace_regex(patterns: Iterable[str]) -> str:
    """Velero's namespace globs (`*`: any run of characters, docs v1.18 namespace-glob-patterns.md)
    as one RE2 alternation. Namespace names are DNS labels: nothing else needs escaping."""
    patterns = list(patterns)
    for pattern in patterns:
        if not re.fullmatch(r"[a-z0-9-]+\*?", pattern):
            raise ValueError(f"not a namespace name or prefix glob: {pattern!r}")
    return "|".join(p.replace("*", ".*") for p in patterns)


def namespace_rules(schedule: str, deployments: Deployments, cluster: str | None = None) -> list[Rule]:
    """What tells the operator that a deployment namespace is in no backup: its fernet key Secret
    is nowhere else, and a cluster lost now brings it back unreadable (docs/DEPLOYMENTS-RESTORE.md).

    The Schedule's own list (velero_chart.deployment_namespaces) is the one watched: a namespace it
    matches that is older than twice the longest gap between runs (the first run after its
    creation starts within one gap and completes within the next: Velero runs a schedule's backups
    one after another) and younger than the newest completed backup of the Schedule
    (`velero_backup_last_successful_timestamp`, the completion time of the newest Completed backup,
    v1.18.1 pkg/controller/backup_controller.go:214-218, 229-248). And a namespace labelled as this
    platform's deployment namespace that the Schedule does not match at all."""
    gap = 2 * longest_gap_seconds(schedule)
    scope = cluster_matcher(cluster)
    backed_up = namespace_regex(deployment_namespaces(deployments.platform_namespace, deployments.pools))
    created = f'kube_namespace_created{{namespace=~"{backed_up}"{scope}}}'
    last_backup = f'velero_backup_last_successful_timestamp{{schedule="{SCHEDULE_NAME}"{scope}}}'
    # Velero's own and the platform's namespaces are never a deployment's (the Schedule excludes them).
    outside = f"{backed_up}|{deployments.platform_namespace}|{VELERO_NAMESPACE}"
    labelled = " or ".join(
        f'kube_namespace_labels{{{kube_state_label(key)}="{value}",namespace!~"{outside}"{scope}}}'
        for key, value in (
            (HOUSTON_NAMESPACE_LABEL, deployments.release_name),
            (PLATFORM_NAMESPACE_LABEL, deployments.platform_namespace),
        )
    )
    return [
        Rule(
            "DeploymentNamespaceNeverBackedUp",
            # No fallback when Velero reports nothing: VeleroBackupNeverSucceeded says so, and a
            # restarting Velero would otherwise report every namespace.
            f"({created} > on() group_left() max({last_backup})) and on(namespace) (time() - {created} > {gap})",
            "0s",
            f"An Airflow deployment namespace has existed for more than {_duration(gap)} with no completed backup of "
            f"schedule {SCHEDULE_NAME} since: its fernet key is in no backup, and a cluster lost now brings it back unreadable",
            ("kube_namespace_created", "velero_backup_last_successful_timestamp"),
        ),
        Rule(
            "DeploymentNamespaceNotInSchedule",
            labelled,
            "0s",
            f"A namespace labelled as an Airflow deployment of this platform is not in Velero schedule {SCHEDULE_NAME}: "
            "list it in platform.deploymentNamespaces",
            ("kube_namespace_labels",),
        ),
        Rule(
            "DeploymentNamespacesUnwatched",
            # The platform's namespace always exists: without its series kube-state-metrics is not scraped.
            f'absent(kube_namespace_created{{namespace="{deployments.platform_namespace}"{scope}}})',
            NAMESPACE_METRICS_FOR,
            "kube-state-metrics reports no namespace (not running, not scraped, or no right to list namespaces): "
            "a deployment namespace in no backup would go unreported",
            ("kube_namespace_created",),
        ),
    ]


def backup_rules(schedule: str, deployments: Deployments, cluster: str | None = None) -> list[Rule]:
    """Every DR rule on the deployments' backups: one list for both clouds."""
    return [*velero_rules(schedule, cluster), *namespace_rules(schedule, deployments, cluster)]


def kube_state_selector(release_name: str) -> dict[str, str]:
    return {"component": KUBE_STATE_COMPONENT, "release": release_name}


def collector_network_policy(release_name: str, namespaces: Sequence[str]) -> dict[str, Any]:
    """A NetworkPolicy admitting a managed collector's namespaces to kube-state-metrics' port: the
    chart's own admits only its Prometheus (charts/kube-state/templates/kube-state-networkpolicy.yaml),
    and policies add up (a pod is reachable from what any policy selecting it allows)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"{release_name}-kube-state-managed-collection"},
        "spec": {
            "podSelector": {"matchLabels": kube_state_selector(release_name)},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [
                                    {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(namespaces)}
                                ]
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": KUBE_STATE_METRICS_PORT_NUMBER}],
                }
            ],
        },
    }


def source_location_rule(cluster: str | None = None) -> Rule:
    """A warm standby's pre-staged location (the primary's bucket, read-only) unreachable: a
    failover would restore from it. Velero validates every location, ReadOnly included, and sets
    the gauge per location (velero v1.18.1 pkg/controller/backup_storage_location_controller.go:253,
    265-279; pkg/metrics/metrics.go:55, 952-963)."""
    scope = cluster_matcher(cluster)
    return Rule(
        "VeleroSourceLocationUnavailable",
        f'velero_backup_location_status_gauge{{backup_location_name="{SOURCE_LOCATION_NAME}"{scope}}} == 0',
        LOCATION_FOR,
        f"Velero on the standby cannot read the primary's backups bucket (BackupStorageLocation {SOURCE_LOCATION_NAME}): "
        "a failover would not restore the deployments from it",
        ("velero_backup_location_status_gauge",),
    )


# ---- the chart's values -----------------------------------------------------------------------


def velero_scrape_job() -> dict[str, Any]:
    """A Prometheus scrape config for Velero's server pod in its namespace (pod discovery: the
    platform's Prometheus has a ClusterRole on pods, charts/prometheus/templates/prometheus-role.yaml)."""
    keep_labels = [
        {"source_labels": [f"__meta_kubernetes_pod_label_{k}"], "action": "keep", "regex": v}
        for k, v in VELERO_POD_LABELS.items()
    ]
    return {
        "job_name": VELERO_SCRAPE_JOB,
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [VELERO_NAMESPACE]}}],
        "relabel_configs": [
            *keep_labels,
            {
                "source_labels": ["__meta_kubernetes_pod_container_port_name"],
                "action": "keep",
                "regex": VELERO_METRICS_PORT,
            },
        ],
    }


@dataclass(frozen=True)
class SnsReceiver:
    """AWS: Alertmanager publishes to this topic, signed (SigV4) with the IRSA role of its pod."""

    topic_arn: str
    region: str
    role_arn: str


def alertmanager_service_account(release_name: str) -> str:
    """Named explicitly in the values, so that the IRSA trust's subject is known before the release."""
    return f"{release_name}-alertmanager"


def alerting_values(
    schedule: str | None,
    deployments: Deployments,
    sns: SnsReceiver | None,
    collector_namespaces: Sequence[str] = (),
) -> dict[str, Any]:
    """The chart's values: Velero scraped and the backup rules (when this stack runs Velero), on AWS
    the receiver delivering every DR alert to the SNS topic (no secret: IRSA signs the requests), and
    where a managed collector scrapes kube-state-metrics from other namespaces (GCP), the
    NetworkPolicy that lets it, as one of the release's own objects (`astronomer.extraObjects`,
    charts/astronomer/templates/extra-objects.yaml)."""
    values: dict[str, Any] = {}
    if schedule is not None:
        values["prometheus"] = {
            "additionalScrapeJobs": [velero_scrape_job()],
            # A YAML list in a block string (charts/prometheus/values.yaml: additionalAlerts).
            "additionalAlerts": {
                "platform": yaml.safe_dump(
                    [r.prometheus() for r in backup_rules(schedule, deployments)], sort_keys=False, width=1_000_000
                )
            },
        }
        if collector_namespaces:
            values["astronomer"] = {
                "extraObjects": [collector_network_policy(deployments.release_name, collector_namespaces)]
            }
    if sns is not None:
        values["alertmanager"] = {
            "serviceAccount": {
                "create": True,
                "name": alertmanager_service_account(deployments.release_name),
                "annotations": {"eks.amazonaws.com/role-arn": sns.role_arn},
            },
            # Routes before the chart's own (alertmanager-configmap.yaml: customRoutes first, then tier routes).
            "customRoutes": [{"receiver": DR_RECEIVER, "match": {DR_LABEL: "backup"}}],
            "customReceiver": [
                {
                    "name": DR_RECEIVER,
                    "sns_configs": [
                        {"topic_arn": sns.topic_arn, "sigv4": {"region": sns.region}, "send_resolved": True}
                    ],
                }
            ],
        }
    return values
