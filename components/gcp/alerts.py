"""GCP: every DR alert is a Cloud Monitoring alert policy sending to email notification channels.

Keyless by construction: Cloud Monitoring itself evaluates and sends, so nothing in the cluster
holds a credential (the platform's Alertmanager could only email through an SMTP server, with a
password that would have to live in the cluster).

- The deployments' backups: Velero's metrics are collected by Google Cloud Managed Service for
  Prometheus (a PodMonitoring in Velero's namespace; managed collection is on in the cluster,
  components/gcp/cluster.py), the namespace metrics of the platform's kube-state-metrics too (a
  ClusterPodMonitoring), and the rules of components/platform/alerts.py run as PromQL conditions.
- The database: a log-based policy on the System Event audit log Cloud SQL writes for every
  automated backup window (`cloudsql.instances.automatedBackup`; its `windowStatus` says whether
  the backup succeeded, failed or is overdue); on a standby, a threshold on the replica's lag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_gcp import monitoring
from pulumi_kubernetes.apiextensions import CustomResource
from pulumi_kubernetes.meta import v1 as meta_v1
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from ..config import REPLICA_LAG_RPO_SECONDS, AlertSettings
from ..platform.alerts import (
    KUBE_STATE_METRICS_PORT,
    NAMESPACE_METRICS,
    VELERO_METRICS_PORT,
    VELERO_POD_LABELS,
    Deployments,
    Rule,
    backup_rules,
    kube_state_selector,
    source_location_rule,
    velero_rules,
)
from ..platform.velero_chart import VELERO_NAMESPACE

# https://cloud.google.com/sql/docs/postgres/backup-recovery/view-audit-logs-for-automated-backups
BACKUP_LOG_METHOD = "cloudsql.instances.automatedBackup"
# Statuses of a backup run (Cloud SQL Admin API, SqlBackupRunStatus): SUCCESSFUL, or SKIPPED when the
# instance was idle, are fine; FAILED and OVERDUE (no backup across the window) are what to hear about.
BACKUP_OK_STATUSES = ("SUCCESSFUL", "SKIPPED")
# https://cloud.google.com/monitoring/api/metrics_gcp (cloudsql): seconds the replica is behind.
REPLICA_LAG_METRIC = "cloudsql.googleapis.com/database/replication/replica_lag"
# Managed Service for Prometheus's scrape resource (monitoring.googleapis.com/v1, PodMonitoring:
# https://cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed#gmp-pod-monitoring).
POD_MONITORING_API = "monitoring.googleapis.com/v1"
# Where managed collection runs its collectors: GKE's managed install in gke-gmp-system (the namespace
# GKE operators list its collector pods in; no Google reference page at hand states it), the
# operator's own manifests in gmp-system (GoogleCloudPlatform/prometheus-engine manifests/operator.yaml,
# DaemonSet `collector`, not on the host network). What the NetworkPolicy beside kube-state-metrics
# admits; were it wrong, the scrape fails and DeploymentNamespacesUnwatched fires within 15 minutes.
MANAGED_COLLECTOR_NAMESPACES = ("gke-gmp-system", "gmp-system")


def backup_log_filter(project: str, instance: str) -> str:
    ok = "|".join(BACKUP_OK_STATUSES)
    return (
        f'logName="projects/{project}/logs/cloudaudit.googleapis.com%2Fsystem_event"'
        f' AND protoPayload.methodName="{BACKUP_LOG_METHOD}"'
        f' AND resource.type="cloudsql_database" AND resource.labels.database_id="{project}:{instance}"'
        # The entry of a window carries its status (`metadata.windowStatus`): present, and neither
        # successful nor skipped. An entry without it is no window's verdict and alerts nobody.
        f" AND protoPayload.metadata.windowStatus:*"
        f' AND NOT protoPayload.metadata.windowStatus=~"{ok}"'
    )


def replica_lag_filter(project: str, instance: str) -> str:
    return (
        f'metric.type="{REPLICA_LAG_METRIC}" AND resource.type="cloudsql_database"'
        f' AND resource.labels.database_id="{project}:{instance}"'
    )


def seconds(duration: str) -> str:
    """A Prometheus duration (`15m`, `2h`, `0s`) as Cloud Monitoring's `<n>s`."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return f"{int(duration[:-1]) * units[duration[-1]]}s"


def pod_monitoring_spec() -> dict:
    return {
        "selector": {"matchLabels": dict(VELERO_POD_LABELS)},
        "endpoints": [{"port": VELERO_METRICS_PORT, "interval": "60s"}],
    }


def kube_state_monitoring_spec(release_name: str) -> dict:
    """A ClusterPodMonitoring of the chart's kube-state-metrics, as Google's own example for it
    (GoogleCloudPlatform/prometheus-engine examples/kube-state-metrics/kube-state-metrics.yaml:305-327,
    commit 2ffde4ec7b7e4ca1da4e32f36b692945b78a60e4): `targetLabels.metadata: []` so the metrics'
    own `namespace` label is kept (a PodMonitoring always sets `namespace` to the scraped pod's,
    pkg/operator/apis/monitoring/v1/pod_config.go:180-185, and the metric's becomes
    `exported_namespace`; a ClusterPodMonitoring adds it only unless `metadata` is set, :254-270);
    project, location and cluster are always set (:212-231); field names: pod_types.go:227-331. Only the
    namespace metrics are kept: each series ingested is billed. Not GKE's managed kube-state-metrics:
    a curated set of workload and storage metrics
    (https://cloud.google.com/kubernetes-engine/docs/how-to/kube-state-metrics), turned on per
    cluster; the chart's runs on every cluster of both clouds, the one the AWS rules read too."""
    return {
        "selector": {"matchLabels": kube_state_selector(release_name)},
        "endpoints": [
            {
                "port": KUBE_STATE_METRICS_PORT,
                "interval": "60s",
                "metricRelabeling": [
                    {"action": "keep", "sourceLabels": ["__name__"], "regex": "|".join(NAMESPACE_METRICS)}
                ],
            }
        ],
        "targetLabels": {"metadata": []},
    }


@dataclass
class GcpAlertsArgs:
    settings: AlertSettings
    project: str
    # The instances whose automated backups are watched (a primary's; a promoted standby's).
    backup_instances: Sequence[pulumi.Input[str]] = ()
    # A standby's replica: its lag (None on a primary or once promoted).
    replica_instance: pulumi.Input[str] | None = None
    # Velero's schedule and the cluster it runs in (None where Velero does not run).
    velero_schedule: str | None = None
    # Where the deployments live (the namespace rules; None: only Velero's).
    deployments: Deployments | None = None
    # A warm standby's Velero before promotion (no schedule): its read-only location is watched.
    velero_prestaged: bool = False
    kubernetes_provider: KubernetesProvider | None = None
    # The GKE cluster Velero runs in: its series carry it as the label `cluster`.
    cluster_name: pulumi.Input[str] = ""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class GcpAlerts(pulumi.ComponentResource):
    watched: list[str]

    def __init__(self, name: str, args: GcpAlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/alerts:GcpAlerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        channels = [
            monitoring.NotificationChannel(
                f"{name}-email-{index}",
                project=args.project,
                type="email",
                display_name=f"{name}: {address}",
                labels={"email_address": address},
                opts=child,
            ).id
            for index, address in enumerate(args.settings.emails)
        ]
        self.watched = []

        def policy(suffix: str, title: str, condition: monitoring.AlertPolicyConditionArgs, log: bool = False) -> None:
            monitoring.AlertPolicy(
                f"{name}-{suffix}",
                project=args.project,
                display_name=f"{name}: {title}",
                combiner="OR",
                conditions=[condition],
                notification_channels=channels,
                severity="CRITICAL",
                documentation=monitoring.AlertPolicyDocumentationArgs(
                    content=f"{title}. docs/MONITORING.md, 'How you learn a backup is broken'.",
                    mime_type="text/markdown",
                ),
                # A log-based policy must say how often it may notify.
                alert_strategy=monitoring.AlertPolicyAlertStrategyArgs(
                    notification_rate_limit=monitoring.AlertPolicyAlertStrategyNotificationRateLimitArgs(period="3600s")
                )
                if log
                else None,
                opts=child,
            )

        for index, instance in enumerate(args.backup_instances):
            policy(
                f"sql-backup-{index}",
                "a Cloud SQL automated backup failed or did not run",
                monitoring.AlertPolicyConditionArgs(
                    display_name="automated backup window not successful",
                    condition_matched_log=monitoring.AlertPolicyConditionConditionMatchedLogArgs(
                        filter=pulumi.Output.from_input(instance).apply(lambda i: backup_log_filter(args.project, i))
                    ),
                ),
                log=True,
            )
            self.watched.append("sql-backup")
        if args.replica_instance is not None:
            policy(
                "replica-lag",
                f"the standby's replica is more than {REPLICA_LAG_RPO_SECONDS} s behind its primary",
                monitoring.AlertPolicyConditionArgs(
                    display_name="replica lag above the RPO",
                    condition_threshold=monitoring.AlertPolicyConditionConditionThresholdArgs(
                        filter=pulumi.Output.from_input(args.replica_instance).apply(
                            lambda i: replica_lag_filter(args.project, i)
                        ),
                        comparison="COMPARISON_GT",
                        threshold_value=REPLICA_LAG_RPO_SECONDS,
                        duration="300s",
                        aggregations=[
                            monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                                alignment_period="60s", per_series_aligner="ALIGN_MAX"
                            )
                        ],
                    ),
                ),
            )
            self.watched.append("replica-lag")
        velero_runs = args.velero_schedule is not None or args.velero_prestaged
        if velero_runs and args.kubernetes_provider is not None and args.cluster_name:
            CustomResource(
                f"{name}-velero-metrics",
                api_version=POD_MONITORING_API,
                kind="PodMonitoring",
                metadata=meta_v1.ObjectMetaArgs(name="velero", namespace=VELERO_NAMESPACE),
                spec=pod_monitoring_spec(),
                opts=pulumi.ResourceOptions(
                    parent=self, provider=args.kubernetes_provider, depends_on=list(args.depends_on)
                ),
            )
            schedule = args.velero_schedule
            deployments = args.deployments if schedule is not None else None
            if deployments is not None:
                CustomResource(
                    f"{name}-kube-state-metrics",
                    api_version=POD_MONITORING_API,
                    kind="ClusterPodMonitoring",
                    metadata=meta_v1.ObjectMetaArgs(name=f"{deployments.release_name}-kube-state-namespaces"),
                    spec=kube_state_monitoring_spec(deployments.release_name),
                    opts=pulumi.ResourceOptions(
                        parent=self, provider=args.kubernetes_provider, depends_on=list(args.depends_on)
                    ),
                )

            def rules(cluster: str | None = None) -> list[Rule]:
                # Before promotion only the pre-staged location: there is no Schedule to watch yet.
                if schedule is None:
                    return [source_location_rule(cluster)]
                if deployments is None:
                    return velero_rules(schedule, cluster)
                return backup_rules(schedule, deployments, cluster)

            queries = pulumi.Output.from_input(args.cluster_name).apply(
                lambda cluster: {r.alert: r.expr for r in rules(cluster)}
            )
            for rule in rules():
                policy(f"velero-{rule.alert}", rule.summary, promql_condition(rule, queries[rule.alert]))
            self.watched.append("velero" if schedule is not None else "velero-source")
        self.register_outputs({"watched": self.watched})


def promql_condition(rule: Rule, query: pulumi.Input[str]) -> monitoring.AlertPolicyConditionArgs:
    """`rule` as a Cloud Monitoring PromQL condition; `query` is its expression scoped to this stack's cluster."""
    return monitoring.AlertPolicyConditionArgs(
        display_name=rule.alert,
        condition_prometheus_query_language=monitoring.AlertPolicyConditionConditionPrometheusQueryLanguageArgs(
            query=query,
            duration=seconds(rule.for_),
            evaluation_interval="60s",
            alert_rule=rule.alert,
            rule_group="astronomer-dr-velero",
        ),
    )
