"""DR summary rows "Watched": for each kind of backup and each replica, the alert that watches it
and where it goes (`astronomer-dr:alerts`, components/alerts.py), or a warning where nothing does."""

from __future__ import annotations

import json

from tools.plan.summary.registry import is_astronomer_release
from tools.plan.summary.rows import summary_row

NOTHING = "nothing watches it: a failure goes unnoticed until a restore needs it ⚠️ (set `astronomer-dr:alerts`, docs/MONITORING.md)"


def _addresses(evaluation) -> list[str]:
    emails = [r.input("endpoint") for r in evaluation.of_type("aws:sns/topicSubscription:TopicSubscription")]
    emails += [
        r.input("labels.email_address")
        for r in evaluation.of_type("gcp:monitoring/notificationChannel:NotificationChannel")
        if r.input("type") == "email"
    ]
    return sorted(e for e in emails if e)


def _policies(evaluation, condition: str, needle: str) -> list:
    """Cloud Monitoring policies with a condition of kind `condition` whose text holds `needle`."""
    found = []
    for policy in evaluation.of_type("gcp:monitoring/alertPolicy:AlertPolicy"):
        for c in policy.input("conditions") or []:
            if needle in json.dumps(c.get(condition) or {}):
                found.append(policy)
                break
    return found


def _alarms(evaluation, metric: str) -> list:
    return [a for a in evaluation.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.input("metricName") == metric]


def watched_rows(evaluation) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    to = ", ".join(f"`{a}`" for a in _addresses(evaluation))
    where = f"to {to}" if to else "to no address ⚠️"

    def row(what: str, alert: str | None, resource, *paths: str) -> None:
        prop = f"Watched: {what}"
        if alert is None or resource is None:
            rows.append({"property": prop, "value": NOTHING, "source": "—"})
        else:
            rows.append(summary_row(prop, f"{alert}, {where}", resource, *paths))

    # The deployments' backups (a Velero Schedule).
    if evaluation.of_type("kubernetes:velero.io/v1:Schedule"):
        releases = [r for r in evaluation.of_type("kubernetes:helm.sh/v3:Release") if is_astronomer_release(r)]
        receivers = [r for r in releases if r.input("values.alertmanager.customReceiver")]
        promql = _policies(evaluation, "conditionPrometheusQueryLanguage", "velero_")
        if receivers:
            row(
                "deployments' backups (Velero)",
                "failed, stale (twice the schedule's interval), empty, location unavailable, kopia maintenance failing: Alertmanager to SNS",
                receivers[0],
                "values.prometheus.additionalAlerts.platform",
                "values.alertmanager.customReceiver",
            )
        elif promql:
            row(
                "deployments' backups (Velero)",
                f"failed, stale (twice the schedule's interval), empty, location unavailable, kopia maintenance failing: {len(promql)} Cloud Monitoring PromQL policies",
                promql[0],
                "conditions",
                "notificationChannels",
            )
        else:
            row("deployments' backups (Velero)", None, None)

    # The database's own backups (a primary: an instance that is no replica).
    primaries = [
        r for r in evaluation.of_type("gcp:sql/databaseInstance:DatabaseInstance") if not r.input("masterInstanceName")
    ] + [r for r in evaluation.of_type("aws:rds/instance:Instance") if not r.input("replicateSourceDb")]
    if primaries:
        logs = _policies(evaluation, "conditionMatchedLog", "cloudsql.instances.automatedBackup")
        rules = [
            r
            for r in evaluation.of_type("aws:cloudwatch/eventRule:EventRule")
            if "aws.rds" in str(r.input("eventPattern") or "")
        ]
        if logs:
            row(
                "database backups",
                "a Cloud SQL automated backup window that failed or is overdue (audit log policy)",
                logs[0],
                "conditions",
            )
        elif rules:
            row(
                "database backups",
                "RDS events that stop backups (backups disabled, failed state, KMS key lost, storage full): EventBridge to SNS",
                rules[0],
                "eventPattern",
            )
        else:
            row("database backups", None, None)

    # A standby's replica.
    replicas = [
        r for r in evaluation.of_type("gcp:sql/databaseInstance:DatabaseInstance") if r.input("masterInstanceName")
    ] + [r for r in evaluation.of_type("aws:rds/instance:Instance") if r.input("replicateSourceDb")]
    if replicas:
        lag = _policies(evaluation, "conditionThreshold", "replica_lag") or _alarms(evaluation, "ReplicaLag")
        if lag:
            threshold = lag[0].input("threshold") or lag[0].input("conditions.0.conditionThreshold.thresholdValue")
            row(
                "standby replica",
                f"replica lag above {threshold:g} s (the RPO of a failover)",
                lag[0],
                "conditions|threshold",
            )
        else:
            row("standby replica", None, None)

    # The registry's replica in another region (S3 replication).
    if evaluation.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        failed = _alarms(evaluation, "OperationsFailedReplication")
        if failed:
            row(
                "registry replica",
                "failed replication operations, replication latency above an hour",
                failed[0],
                "metricName",
            )
        else:
            row("registry replica", None, None)
    return rows
