"""The deployments' backups watched: Velero's metrics scraped, alert rules on them, and where they go.

Pure functions, one source for each rule: the same rules go into the platform's Prometheus
(chart 2.1.0 `prometheus.additionalAlerts.platform`, with `prometheus.additionalScrapeJobs` to
scrape Velero), and on GCP into Cloud Monitoring PromQL alert policies (components/gcp/alerts.py),
which is what delivers them there without a key. On AWS, the platform's Alertmanager delivers them
to an SNS topic (`alertmanager.customReceiver`, `sns_configs` signed with the pod's IRSA role).

Metric names are Velero v1.18.1's (pkg/metrics/metrics.go; the list the tests hold them to is
tests/velero/metrics-v1.18.1.txt).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import yaml

from .velero_chart import BACKUP_LOCATION_NAME, SCHEDULE_NAME, SOURCE_LOCATION_NAME, VELERO_NAMESPACE

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


@dataclass(frozen=True)
class Rule:
    """One Prometheus alerting rule (https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/)."""

    alert: str
    expr: str
    # Prometheus duration the condition must hold before the alert fires ("0s": at once).
    for_: str
    summary: str
    # The Velero metrics the expression reads (tests hold them to Velero's own list).
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

_FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _expand(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if match is None:
            raise ValueError(f"not a cron field: {text!r}")
        start, end = (
            (low, high) if match.group(1) == "*" else (int(match.group(2)), int(match.group(3) or match.group(2)))
        )
        if match.group(4) and match.group(1) != "*" and match.group(3) is None:
            end = high  # `5/15`: from 5 to the end, every 15
        values.update(range(start, end + 1, int(match.group(4) or 1)))
    return frozenset(values)


@functools.cache
def longest_gap_seconds(schedule: str) -> int:
    """The longest time between two consecutive runs of a five-field cron schedule (UTC), over two
    years (leap day and every weekday alignment included). Cron's rule: when both day-of-month and
    day-of-week are restricted, a day matching either runs."""
    fields = schedule.split()
    minute, hour, dom, month, dow = (_expand(f, lo, hi) for f, (lo, hi) in zip(fields, _FIELD_RANGES, strict=True))
    dow = frozenset(d % 7 for d in dow)  # 7 is Sunday too
    times = sorted(h * 60 + m for h in hour for m in minute)
    dom_any, dow_any = fields[2] == "*", fields[4] == "*"
    start = date(2027, 1, 1)
    days = []
    for offset in range(731):
        day = start + timedelta(days=offset)
        if day.month not in month:
            continue
        in_dom, in_dow = day.day in dom, (day.isoweekday() % 7) in dow
        if (in_dom or in_dow) if not (dom_any or dow_any) else (in_dom and in_dow):
            days.append(offset)
    if not days or not times:
        raise ValueError(f"cron schedule never runs: {schedule!r}")
    gap = max((b - a for a, b in itertools.pairwise(times)), default=0)
    for a, b in itertools.pairwise(days):
        gap = max(gap, (b - a) * 1440 - times[-1] + times[0])
    if len(days) == 1:
        gap = max(gap, 1440)
    return gap * 60


def _duration(seconds: int) -> str:
    """A Prometheus duration (whole minutes, hours or days)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# ---- the rules --------------------------------------------------------------------------------


def velero_rules(schedule: str, cluster: str | None = None) -> list[Rule]:
    """What tells the operator the deployments' backups are broken, for the Schedule running `schedule`.

    `cluster`: where the series carry a `cluster` label naming their cluster (Managed Service for
    Prometheus's `prometheus_target` resource; one project may hold a primary's and a promoted
    standby's), each rule reads only this stack's cluster."""
    stale = _duration(2 * longest_gap_seconds(schedule))
    scope = f',cluster="{cluster}"' if cluster else ""
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
        Rule(
            "VeleroBackupNeverSucceeded",
            # The gauge exists only once a backup of the schedule has succeeded: none for that long is the same outage.
            f"absent(velero_backup_last_successful_timestamp{{{on_schedule}}})",
            stale,
            f"Velero has reported no successful backup of schedule {SCHEDULE_NAME} for {stale} (or is not scraped)",
            ("velero_backup_last_successful_timestamp",),
        ),
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


def source_location_rule(cluster: str | None = None) -> Rule:
    """A warm standby's pre-staged location (the primary's bucket, read-only) unreachable: a
    failover would restore from it. Velero validates every location, ReadOnly included, and sets
    the gauge per location (velero v1.18.1 pkg/controller/backup_storage_location_controller.go:253,
    265-279; pkg/metrics/metrics.go:55, 952-963)."""
    scope = f',cluster="{cluster}"' if cluster else ""
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


def alerting_values(schedule: str | None, release_name: str, sns: SnsReceiver | None) -> dict[str, Any]:
    """The chart's values: Velero scraped and its rules (when this stack runs Velero), and on AWS the
    receiver delivering every DR alert to the SNS topic. No secret: IRSA signs the requests."""
    values: dict[str, Any] = {}
    if schedule is not None:
        values["prometheus"] = {
            "additionalScrapeJobs": [velero_scrape_job()],
            # A YAML list in a block string (charts/prometheus/values.yaml: additionalAlerts).
            "additionalAlerts": {
                "platform": yaml.safe_dump(
                    [r.prometheus() for r in velero_rules(schedule)], sort_keys=False, width=1_000_000
                )
            },
        }
    if sns is not None:
        values["alertmanager"] = {
            "serviceAccount": {
                "create": True,
                "name": alertmanager_service_account(release_name),
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
