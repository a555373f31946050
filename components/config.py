"""Stack config, read and validated in one place, turned into typed settings.

`load_settings()` is the only function in the program that reads Pulumi config. It runs before
any resource is declared and raises `ConfigError` naming every bad key at once. Components
receive the frozen dataclasses below and never read config themselves.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional

import pulumi
from pulumi.runtime import config as runtime_config

from .platform.chart import DEFAULT_CHART_VERSION, DEFAULT_NAMESPACE, DEFAULT_RELEASE_NAME
from . import provider_config
from .schema import (
    ConfigError,
    Field,
    Problems,
    at_least,
    between,
    cidr_block,
    cron_schedule,
    cidr_list,
    cidr_prefix,
    dns_label,
    domain_name,
    exact_version,
    kubernetes_version,
    matches,
    one_of,
    overlapping,
    parse_object,
    unknown_key_message,
    utc_time,
    velero_backup_name,
)

PROJECT = "astronomer-dr"

# ---- the facts every cloud shares --------------------------------------------------------------

# Helm's release name prefixes every object the chart makes (e.g. `<release>-registry`);
# Astronomer caps it so the longest derived names stay valid Kubernetes names.
RELEASE_NAME_MAX = 12
MIN_BACKUP_RETENTION_DAYS = 7
MIN_PROMETHEUS_REPLICAS = 2
# Replicas are required to run in different zones (components/platform/values.py,
# `prometheus_affinity`), and the node pools span three zones (a GKE regional pool's default:
# https://cloud.google.com/kubernetes-engine/docs/concepts/regional-clusters;
# components/aws/network.py ZONE_COUNT): a fourth replica would stay Pending and the atomic
# release would time out, failing the recovery.
MAX_PROMETHEUS_REPLICAS = 3
# Largest disks the clouds make: a Cloud SQL instance or a persistent disk holds at most 64 TB
# (https://cloud.google.com/sql/docs/quotas#storage_limits, https://cloud.google.com/compute/docs/disks),
# an EBS gp3 volume 16 TiB (https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html).
GCP_MAX_DISK_GB = 65536
EBS_GP3_MAX_GIB = 16384

def namespace_list(values: tuple[str, ...]) -> Optional[str]:
    for value in values:
        message = dns_label(63)(value)
        if message:
            return f"every entry must be a Kubernetes namespace name: {value!r} {message}"
    return None


PLATFORM_FIELDS: dict[str, Field] = {
    "baseDomain": Field("str", "DNS name the platform is served under (app.<baseDomain>, houston.<baseDomain>, ...)", check=domain_name),
    "chartVersion": Field("str", "exact Astronomer chart version", default=DEFAULT_CHART_VERSION, check=exact_version),
    "namespace": Field("str", "Kubernetes namespace of the platform release", default=DEFAULT_NAMESPACE, check=dns_label(63)),
    "releaseName": Field("str", "Helm release name", default=DEFAULT_RELEASE_NAME, check=dns_label(RELEASE_NAME_MAX)),
    "prometheusReplicas": Field(
        "int",
        "Prometheus replicas; each scrapes everything, so losing one loses no metrics",
        default=2,
        check=between(
            MIN_PROMETHEUS_REPLICAS,
            MAX_PROMETHEUS_REPLICAS,
            "Prometheus data is not backed up: a second replica is its redundancy; each replica needs a zone of its own, and the nodes span three",
        ),
    ),
    "loadBalancerSourceRanges": Field("list[str]", "CIDR blocks allowed to reach NGINX (empty: everyone)", default=(), check=cidr_list),
    "privateLoadBalancer": Field("bool", "serve NGINX on an internal load balancer", default=False),
    "deploymentNamespaces": Field(
        "list[str]",
        "Airflow deployment namespaces not named <namespace>-<release> (namespace pools) that the repoint Job rewrites after a restore",
        default=(),
        check=namespace_list,
    ),
}

TLS_CERTIFICATE_KEY = "tlsCertificate"
TLS_KEY_KEY = "tlsKey"


@dataclass(frozen=True)
class PlatformSettings:
    base_domain: str
    chart_version: str
    namespace: str
    release_name: str
    prometheus_replicas: int
    load_balancer_source_ranges: tuple[str, ...]
    private_load_balancer: bool
    # Deployment namespaces outside Houston's `<namespace>-<release>` naming (namespace pools).
    deployment_namespaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class TlsSettings:
    """PEM certificate chain and private key for <baseDomain> and *.<baseDomain>.

    Plain strings so that parsing stays pure; whoever hands them to a resource wraps them in
    `pulumi.Output.secret` (see `secret_outputs`). Kept out of repr so they never reach a log.
    """

    certificate: str = field(repr=False)
    private_key: str = field(repr=False)

    def secret_outputs(self) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        return pulumi.Output.secret(self.certificate), pulumi.Output.secret(self.private_key)


# ---- declared restores (both clouds) ------------------------------------------------------------
#
# Every database instance of a stack has a label. The first one is `original`; a restore creates a
# NEW instance labelled after what it restores (`pitr-20261120t093000z`, `backup-<id>`), named
# `<prefix>-db-<label>`. While `database.restore` is set the platform uses the restored instance;
# promotion replaces `restore` with `primary: <label>`, which declares the same resource with the
# same inputs (the create-only restore inputs are ignored), so nothing is replaced or destroyed.

ORIGINAL_LABEL = "original"
# `<prefix>-db-<label>` must stay a valid RDS identifier (63 characters) for the longest prefix.
LABEL_MAX = 34
_LABEL = re.compile(r"^(original|pitr-\d{8}t\d{6}z|backup-[a-z0-9]+(-[a-z0-9]+)*)$")
_RFC3339 = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})?$"
)
RFC3339_EXAMPLE = "2026-11-20T09:30:00Z"


def instance_label(v: str) -> Optional[str]:
    if len(v) <= LABEL_MAX and _LABEL.match(v):
        return None
    return (
        "must be an instance label as the program exports it (`pulumi stack output database_label`): "
        "original, pitr-YYYYMMDDtHHMMSSz or backup-<id>"
    )


def label_list(values: tuple[str, ...]) -> Optional[str]:
    bad = [v for v in values if instance_label(v)]
    return f"every entry must be an instance label (original, pitr-..., backup-...); {', '.join(bad)} is not" if bad else None


def parse_rfc3339(text: str) -> tuple[Optional[datetime], Optional[str]]:
    """(UTC time, None) or (None, why it is refused): RFC 3339, whole seconds, with a timezone."""
    match = _RFC3339.match(text)
    if not match:
        return None, f"must be an RFC 3339 time with a timezone, such as {RFC3339_EXAMPLE}"
    if not match.group("zone"):
        return None, f"must include a timezone (Z or +HH:MM): without one the time is ambiguous; e.g. {RFC3339_EXAMPLE}"
    if match.group("fraction"):
        return None, "must be whole seconds (restores are to the second)"
    zone = "+00:00" if match.group("zone") in ("Z", "z") else match.group("zone")
    try:
        moment = datetime.fromisoformat(f"{match.group('date')}T{match.group('time')}{zone}")
    except ValueError:
        return None, f"is not a valid date and time; e.g. {RFC3339_EXAMPLE}"
    return moment.astimezone(timezone.utc), None


def rfc3339_utc(moment: datetime) -> str:
    """How both clouds' APIs take a restore time: UTC with a `Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def restore_label(point_in_time: Optional[datetime] = None, backup_id: Optional[str] = None) -> str:
    """The stable label of the instance a restore creates: its name, its outputs and its Job derive from it."""
    if point_in_time is not None:
        return "pitr-" + point_in_time.astimezone(timezone.utc).strftime("%Y%m%dt%H%M%Sz")
    assert backup_id, "a restore has a point in time or a backup id"
    identifier = backup_id.rsplit(":", 1)[-1] if backup_id.startswith("arn:") else backup_id.removeprefix("rds:")
    slug = re.sub(r"[^a-z0-9]+", "-", identifier.lower()).strip("-") or "x"
    label = f"backup-{slug}"
    if len(label) > LABEL_MAX:
        digest = hashlib.sha256(backup_id.encode()).hexdigest()[:6]
        label = f"backup-{slug[: LABEL_MAX - len('backup-') - 7].rstrip('-')}-{digest}"
    return label


@dataclass(frozen=True)
class RestoreSettings:
    """One declared restore: exactly one of point_in_time (RFC 3339 UTC) and backup_id."""

    label: str
    point_in_time: Optional[str] = None
    backup_id: Optional[str] = None
    # The instance to restore from when it is not the stack's own primary.
    source_instance: Optional[str] = None
    # GCP: when the source instance was deleted (a PITR clone from its retained backups).
    source_deleted_at: Optional[str] = None
    # AWS: the retained (or replicated) automated backups of a deleted (or lost) source.
    source_automated_backups_arn: Optional[str] = None
    # GCP: the project of `source_instance` when it is not the stack's (a cross-project clone or
    # restore: the only clone the provider places in this stack's VPC).
    source_project: Optional[str] = None


@dataclass(frozen=True, kw_only=True)
class DatabaseTopology:
    """Which instances a stack declares and which one the platform uses (base of both clouds' settings)."""

    restore: Optional[RestoreSettings] = None
    primary: str = ORIGINAL_LABEL
    # The restore `primary` came from (its pointInTime or backupId): the record that proves the label
    # names an instance a restore of this stack made. None while the original is the primary.
    promoted: Optional[RestoreSettings] = None
    keep_original: bool = True
    keep_restored: tuple[str, ...] = ()
    unprotect: tuple[str, ...] = ()

    @property
    def platform_label(self) -> str:
        """The instance the platform's bootstrap secret points at: the restore while it is declared."""
        return self.restore.label if self.restore else self.primary

    @property
    def declared_labels(self) -> tuple[str, ...]:
        """Every instance the program declares, the original first and the restore last."""
        labels: list[str] = [ORIGINAL_LABEL] if self.keep_original else []
        for label in (self.primary, *sorted(self.keep_restored)):
            if label != ORIGINAL_LABEL and label not in labels:
                labels.append(label)
        if self.restore and self.restore.label not in labels:
            labels.append(self.restore.label)
        return tuple(labels)

    def guarded(self, label: str) -> bool:
        """False for an instance whose deletion guards the user lifted to retire it."""
        return label not in self.unprotect


def _restore_fields(source_instance: Field, extra: Mapping[str, Field], backup_id: Field) -> dict[str, Field]:
    return {
        "pointInTime": Field("str", f"RFC 3339 time to restore to, e.g. {RFC3339_EXAMPLE}", default=None),
        "backupId": backup_id,
        "sourceInstance": source_instance,
        **extra,
    }


def _topology_fields(restore_fields: Mapping[str, Field]) -> dict[str, Field]:
    return {
        "restore": Field(
            "object",
            "a declared restore: a new instance from a point in time or a backup, which the platform then uses",
            default=None,
            fields=restore_fields,
        ),
        "primary": Field("str", "label of the instance that is the platform's database (after promoting a restore)", default=ORIGINAL_LABEL, check=instance_label),
        "promoted": Field(
            "object",
            "the restore `primary` was promoted from (the former `restore` block, renamed): its label must be `primary`",
            default=None,
            fields=restore_fields,
        ),
        "keepOriginal": Field("bool", "keep the original instance declared (false deletes it once `unprotect` lifted its guards)", default=True),
        "keepRestored": Field("list[str]", "labels of earlier restored instances to keep declared", default=(), check=label_list),
        "unprotect": Field("list[str]", "labels of instances whose deletion guards are lifted, so that they can be retired", default=(), check=label_list),
    }


def _check_topology(
    db: dict[str, Any],
    *,
    now: datetime,
    window: timedelta,
    window_what: str,
    problems: Problems,
    pitr_enabled: bool = True,
) -> Optional[RestoreSettings]:
    """Cross-key checks of restore, primary, keepOriginal, keepRestored and unprotect; the parsed restore."""
    key = f"{PROJECT}:database"
    raw = db.get("restore")
    primary = db["primary"]
    restore: Optional[RestoreSettings] = None
    if raw is not None:
        restore = _check_restore(raw, now=now, window=window, window_what=window_what, problems=problems, pitr_enabled=pitr_enabled)
    if restore is not None:
        if restore.label == primary:
            problems.add(f"{key}.restore", f"this restore ({restore.label}) is already the primary: rename `restore` to `promoted` (keep `primary: {restore.label}`)")
        elif restore.label in db["keep_restored"]:
            problems.add(f"{key}.restore", f"an instance labelled {restore.label} is already declared (keepRestored): restore to another time or backup")
        if not db["keep_original"] and primary == ORIGINAL_LABEL and not (restore.source_instance or restore.source_automated_backups_arn):
            problems.add(
                f"{key}.restore.sourceInstance",
                "required with keepOriginal: false and primary: original: the original is not declared, so name the instance to restore from",
            )
    platform = restore.label if restore is not None else (None if raw is not None else primary)
    if not db["keep_original"] and raw is None and primary == ORIGINAL_LABEL:
        problems.add(f"{key}.keepOriginal", "the original is the platform's database (primary: original): promote a restored instance first (primary: <label>)")
    if ORIGINAL_LABEL in db["keep_restored"]:
        problems.add(f"{key}.keepRestored", "lists restored instances only; the original is kept with keepOriginal")
    if platform is not None and platform in db["unprotect"]:
        problems.add(f"{key}.unprotect", f"must not name the platform's database ({platform}): its guards are what keep it")
    return restore


def _check_promoted(db: dict[str, Any], problems: Problems) -> Optional[RestoreSettings]:
    """`primary: <label>` must name an instance a restore of this stack made: the label the kept
    restore form (`promoted`) produces. A label typed by hand (one second off in `pitr-...`) would
    otherwise declare a new, empty instance and point the platform at it."""
    key = f"{PROJECT}:database"
    primary, raw = db["primary"], db.get("promoted")
    if primary == ORIGINAL_LABEL:
        if raw is not None:
            problems.add(f"{key}.promoted", "only applies with `primary: <label>` (the restore that label came from)")
        return None
    how = "rename the applied `restore` block to `promoted` when you set `primary` (docs/RUNBOOK.md, \"Promoting a restored instance\")"
    if raw is None:
        problems.add(
            f"{key}.primary",
            f"names a restored instance ({primary}), so `promoted` must hold the restore it came from: {how}. "
            "The label alone cannot be checked, and a label no restore made would declare a new, empty database. "
            "A stack promoted before this rule: add `promoted` with the pointInTime or backupId of the restore "
            "whose label `pulumi stack output database_label` shows",
        )
        return None
    point_text, backup_id = raw.get("point_in_time"), raw.get("backup_id")
    if bool(point_text) == bool(backup_id):
        problems.add(f"{key}.promoted", "set exactly one of pointInTime or backupId: the restore `primary` was promoted from")
        return None
    moment = None
    if point_text:
        moment, why = parse_rfc3339(point_text)
        if why:
            problems.add(f"{key}.promoted.pointInTime", f"{why}, got {point_text!r}")
            return None
    label = restore_label(point_in_time=moment, backup_id=backup_id)
    if label != primary:
        problems.add(
            f"{key}.primary",
            f"names no instance a restore of this stack made: the promoted restore ({point_text or backup_id}) made {label}; "
            f"set `primary: {label}` (`pulumi stack output database_label`), got {primary!r}",
        )
        return None
    return RestoreSettings(
        label=label,
        point_in_time=rfc3339_utc(moment) if moment is not None else None,
        backup_id=backup_id,
        source_instance=raw.get("source_instance"),
        source_deleted_at=raw.get("source_deleted_at"),
        source_automated_backups_arn=raw.get("source_automated_backups_arn"),
    )


def _check_restore(
    raw: dict[str, Any], *, now: datetime, window: timedelta, window_what: str, problems: Problems, pitr_enabled: bool
) -> Optional[RestoreSettings]:
    key = f"{PROJECT}:database.restore"
    before = len(problems.items)
    point_text, backup_id = raw.get("point_in_time"), raw.get("backup_id")
    deleted_text, backups_arn = raw.get("source_deleted_at"), raw.get("source_automated_backups_arn")
    if point_text and backup_id:
        problems.add(key, "set exactly one of pointInTime or backupId, not both")
    elif not point_text and not backup_id:
        problems.add(key, f"set exactly one of pointInTime (RFC 3339, e.g. {RFC3339_EXAMPLE}) or backupId")
    if backup_id and deleted_text:
        problems.add(f"{key}.sourceDeletedAt", "only applies with pointInTime (a point-in-time clone of a deleted instance)")
    if backup_id and backups_arn:
        problems.add(f"{key}.sourceAutomatedBackupsArn", "only applies with pointInTime (a point-in-time restore from retained automated backups)")
    if backups_arn and raw.get("source_instance"):
        problems.add(f"{key}.sourceAutomatedBackupsArn", "give sourceInstance or sourceAutomatedBackupsArn, not both")
    if raw.get("source_project") and not raw.get("source_instance"):
        problems.add(f"{key}.sourceProject", "needs sourceInstance: the instance of that project to restore from")

    moment = deleted_at = None
    if point_text:
        moment, why = parse_rfc3339(point_text)
        if why:
            problems.add(f"{key}.pointInTime", f"{why}, got {point_text!r}")
        elif not pitr_enabled:
            problems.add(f"{key}.pointInTime", "needs database.pointInTimeRecovery: true (without transaction logs only a backupId can be restored)")
    if deleted_text:
        deleted_at, why = parse_rfc3339(deleted_text)
        if why:
            problems.add(f"{key}.sourceDeletedAt", f"{why}, got {deleted_text!r}")
        elif deleted_at > now:
            problems.add(f"{key}.sourceDeletedAt", f"is in the future (now is {rfc3339_utc(now)}), got {deleted_text!r}")
    if moment is not None:
        # A deleted source's transaction logs end at its deletion; a live one's at now.
        end = deleted_at if deleted_at is not None else now
        end_what = "sourceDeletedAt" if deleted_at is not None else f"now ({rfc3339_utc(now)})"
        if moment > now:
            problems.add(f"{key}.pointInTime", f"is in the future (now is {rfc3339_utc(now)}), got {point_text!r}")
        elif moment > end:
            problems.add(f"{key}.pointInTime", f"is after sourceDeletedAt ({rfc3339_utc(end)}): the deleted instance has no later data, got {point_text!r}")
        elif moment < end - window:
            problems.add(
                f"{key}.pointInTime",
                f"is older than the {window.days}-day {window_what} before {end_what}: the earliest restorable time is "
                f"{rfc3339_utc(end - window)}; restore a backupId instead, got {point_text!r}. If this restore was already "
                f"applied, promote it: rename `restore` to `promoted` and set `primary: {restore_label(point_in_time=moment)}`",
            )
    if len(problems.items) != before:
        return None
    return RestoreSettings(
        label=restore_label(point_in_time=moment, backup_id=backup_id),
        point_in_time=rfc3339_utc(moment) if moment is not None else None,
        backup_id=backup_id,
        source_instance=raw.get("source_instance"),
        source_deleted_at=rfc3339_utc(deleted_at) if deleted_at is not None else None,
        source_automated_backups_arn=backups_arn,
        source_project=raw.get("source_project"),
    )


# ---- Airflow deployments: Velero backups and a declared restore (both clouds) -------------------
#
# `backups` says how often the deployment namespaces are backed up, how long backups are kept and
# where the backups bucket lives; `cluster.restore` declares a Velero Restore into a new cluster.

DEFAULT_BACKUP_SCHEDULE = "0 * * * *"
MIN_DEPLOYMENT_BACKUP_DAYS = 7
LATEST_BACKUP = "latest"

BACKUPS_FIELDS: dict[str, Field] = {
    "schedule": Field("str", "cron expression (UTC) of the deployments' backups; default hourly", default=DEFAULT_BACKUP_SCHEDULE, check=cron_schedule),
    "retentionDays": Field(
        "int",
        "days each backup is kept (Velero's ttl)",
        default=MIN_DEPLOYMENT_BACKUP_DAYS,
        check=between(MIN_DEPLOYMENT_BACKUP_DAYS, 365, "a week to notice a loss, as for the database"),
    ),
    "location": Field(
        "str",
        "where the backups bucket lives, outside the stack's region: GCS multi- or dual-region (default the multi-region holding gcp:region) / S3 region (default database.backupReplicaRegion); set it before the bucket exists",
        default=None,
    ),
}

def aws_region_name(v: str) -> Optional[str]:
    return None if re.match(r"^[a-z]{2}(-gov)?-[a-z]+-\d$", v) else "must be an AWS region such as us-west-2"


_HOST = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def host_list(values: tuple[str, ...]) -> Optional[str]:
    bad = [v for v in values if not _HOST.match(v)]
    return f"every entry must be a database host name or IP address ({', '.join(bad)} is not)" if bad else None


CLUSTER_RESTORE_FIELDS: dict[str, Field] = {
    "restore": Field(
        "object",
        "restore the Airflow deployments from a Velero backup into this cluster before the platform starts",
        default=None,
        fields={
            "backup": Field("str", "`latest` (the newest backup of the schedule) or a Velero backup name", check=velero_backup_name),
            "sourceBucket": Field(
                "str",
                "restore from another stack's backups bucket (its `backups_bucket` output), read-only: a drill, a standby or another region's stack",
                default=None,
                check=matches(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$", "a GCS or S3 bucket name"),
            ),
            "sourceRegion": Field("str", "AWS: the region of sourceBucket", default=None, check=aws_region_name),
            "sourceKmsKeyArn": Field(
                "str",
                "AWS: the KMS key of sourceBucket (its stack's `backups_kms_key_arn` output)",
                default=None,
                check=matches(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[a-zA-Z0-9-]+$", "a KMS key ARN"),
            ),
            "previousDatabaseHosts": Field(
                "list[str]",
                "database hosts the restored deployments may still point at when they come from another stack (the lost stack's database address): the repoint Job rewrites them to this stack's database",
                default=(),
                check=host_list,
            ),
        },
    ),
}


# ---- GCP ---------------------------------------------------------------------------------------

# Cloud SQL Enterprise edition keeps at most 7 days of transaction logs: the point-in-time window.
GCP_TRANSACTION_LOG_DAYS = 7

GCP_DATABASE_FIELDS: dict[str, Field] = {
    "backupStartTime": Field("str", "daily backup start, HH:MM UTC", default="03:00", check=utc_time),
    "backupRetentionDays": Field(
        "int",
        "daily backups kept (one a day, so days = backups)",
        default=MIN_BACKUP_RETENTION_DAYS,
        check=between(MIN_BACKUP_RETENTION_DAYS, 365, "Astronomer's DR guidance keeps at least a week"),
    ),
    "pointInTimeRecovery": Field("bool", "keep transaction logs for restores to any second", default=True),
    "tier": Field("str", "Cloud SQL machine tier", default="db-custom-2-8192", check=matches(r"^db-[a-z0-9-]+$", "a Cloud SQL tier such as db-custom-2-8192")),
    "postgresVersion": Field("str", "Cloud SQL Postgres version", default="POSTGRES_16", check=matches(r"^POSTGRES_\d+$", "a Cloud SQL version such as POSTGRES_16")),
    "highAvailability": Field("bool", "regional (two-zone) instance with automatic failover", default=True),
    "diskSizeGb": Field("int", "initial disk size; it grows automatically", default=50, check=between(10, GCP_MAX_DISK_GB, "Cloud SQL holds at most 64 TB")),
    "backupLocation": Field(
        "str",
        "where backups are stored: a multi-region (us, eu, asia) or a region other than the instance's; default the multi-region holding the instance's region",
        default=None,
        check=matches(r"^(us|eu|asia|[a-z]+-[a-z]+\d+)$", "a Cloud SQL backup location: us, eu, asia or a region such as us-east1"),
    ),
    **_topology_fields(
        _restore_fields(
            source_instance=Field(
                "str",
                "Cloud SQL instance to restore from, when it is not the stack's own primary",
                default=None,
                check=matches(r"^[a-z][a-z0-9-]{0,96}[a-z0-9]$", "a Cloud SQL instance name"),
            ),
            backup_id=Field(
                "str",
                "Cloud SQL backup run id to restore (`gcloud sql backups list --instance <source>`)",
                default=None,
                check=matches(r"^\d{1,20}$", "a Cloud SQL backup run id (digits)"),
            ),
            extra={
                "sourceDeletedAt": Field("str", "RFC 3339 deletion time of a deleted source instance (a point-in-time clone from its retained backups)", default=None),
                "sourceProject": Field(
                    "str",
                    "project of sourceInstance when it is not the stack's: a cross-project clone, which Cloud SQL places in this stack's VPC",
                    default=None,
                    check=matches(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", "a GCP project id"),
                ),
            },
        )
    ),
}

# Cloud SQL multi-regions for backups, by region prefix: backups there survive the region.
GCP_BACKUP_MULTI_REGIONS = (("us-", "us"), ("europe-", "eu"), ("asia-", "asia"))


def default_backup_location(region: str) -> Optional[str]:
    """The Cloud SQL multi-region that contains `region`, if one does."""
    return next((multi for prefix, multi in GCP_BACKUP_MULTI_REGIONS if region.startswith(prefix)), None)


GCP_EXISTING_CLUSTER_FIELDS: dict[str, Field] = {
    "name": Field("str", "name of the GKE cluster to install the platform on", check=dns_label(40)),
    "location": Field("str", "region or zone of that cluster", check=matches(r"^[a-z]+-[a-z]+\d(-[a-z])?$", "a GCP region or zone such as us-central1")),
    "network": Field("str", "self link or name of the cluster's VPC; it must already have private services access", check=matches(r"^\S+$", "a VPC name or self link")),
}

# NetworkPolicy enforcement on GKE. Dataplane V2 (`datapath_provider: ADVANCED_DATAPATH`) enforces
# them natively but is ForceNew on the cluster (google-beta resource_container_cluster.go), so a
# cluster created without it enables Calico enforcement in place instead (`network_policy`).
GKE_DATAPLANE_V2 = "DATAPLANE_V2"
GKE_CALICO = "CALICO"
GKE_NETWORK_POLICY_MODES = (GKE_DATAPLANE_V2, GKE_CALICO)

GCP_CLUSTER_FIELDS: dict[str, Field] = {
    "existing": Field(
        "object",
        "use this existing cluster instead of creating one (when only the platform was lost)",
        default=None,
        fields=GCP_EXISTING_CLUSTER_FIELDS,
    ),
    "kubernetesVersion": Field("str", "minimum control-plane version", default="1.33", check=kubernetes_version),
    "releaseChannel": Field(
        "str",
        "GKE release channel",
        default="STABLE",
        check=one_of("UNSPECIFIED", "RAPID", "REGULAR", "STABLE", "EXTENDED"),
    ),
    "machineType": Field("str", "machine type of the platform node pool", default="e2-standard-8"),
    "minNodesPerZone": Field("int", "autoscaler minimum per zone", default=1, check=between(1, 100)),
    "maxNodesPerZone": Field("int", "autoscaler maximum per zone", default=3, check=between(1, 100)),
    "diskSizeGb": Field("int", "node boot disk size", default=100, check=between(50, GCP_MAX_DISK_GB, "a persistent disk holds at most 64 TB")),
    # google-beta services/container/resource_container_cluster.go: validation.IsCIDRNetwork(28, 28),
    # "must not overlap with any other ranges in use within the cluster's network".
    "masterIpv4CidrBlock": Field("str", "/28 for the private control plane", default="172.16.0.0/28", check=cidr_prefix(28, 28, "GKE takes a /28 for the private control plane")),
    "masterAuthorizedNetworks": Field("list[str]", "CIDR blocks allowed to reach the control plane (empty: any, with credentials)", default=(), check=cidr_list),
    "networkPolicy": Field(
        "str",
        "how NetworkPolicies are enforced: DATAPLANE_V2 (new clusters) or CALICO (enabled in place on a cluster created without Dataplane V2)",
        default=GKE_DATAPLANE_V2,
        check=one_of(*GKE_NETWORK_POLICY_MODES),
    ),
    **CLUSTER_RESTORE_FIELDS,
}

GCP_NETWORK_FIELDS: dict[str, Field] = {
    "subnetCidr": Field("str", "primary range of the node subnet", default="10.10.0.0/20", check=cidr_block),
    "podsCidr": Field("str", "secondary range for pods", default="10.20.0.0/14", check=cidr_block),
    "servicesCidr": Field("str", "secondary range for services", default="10.30.0.0/20", check=cidr_block),
    "privateServicesPrefixLength": Field("int", "size of the range reserved for Cloud SQL private IP", default=16, check=between(8, 24)),
}

GCS_MULTI_REGIONS = ("US", "EU", "ASIA")
GCS_DUAL_REGIONS = ("NAM4", "EUR4", "EUR5", "EUR7", "EUR8", "ASIA1")


def gcs_location(v: str) -> Optional[str]:
    if v in GCS_MULTI_REGIONS or v in GCS_DUAL_REGIONS or re.match(r"^[a-z]+-[a-z]+\d+$", v):
        return None
    return f"must be a region (us-central1), a dual-region ({', '.join(GCS_DUAL_REGIONS)}) or a multi-region ({', '.join(GCS_MULTI_REGIONS)})"


def gcs_data_locations(values: tuple[str, ...]) -> Optional[str]:
    if not values:
        return None
    if len(values) != 2 or not all(re.match(r"^[a-z]+-[a-z]+\d+$", v) for v in values):
        return "must be two regions such as [us-central1, us-east1] (a configurable dual-region)"
    return None if values[0] != values[1] else "must be two different regions"


GCP_REGISTRY_FIELDS: dict[str, Field] = {
    "noncurrentVersionDays": Field(
        "int",
        "days a deleted or overwritten registry object is kept as a noncurrent version",
        default=30,
        check=at_least(7, "a week to notice a bad delete"),
    ),
    "location": Field(
        "str",
        "bucket location: the stack's region (default), a dual-region or a multi-region (images survive the region); set it before the bucket is created",
        default=None,
        check=gcs_location,
    ),
    "dataLocations": Field(
        "list[str]",
        "two regions of a configurable dual-region (location must then be US, EU or ASIA)",
        default=(),
        check=gcs_data_locations,
    ),
}

GCP_DNS_FIELDS: dict[str, Field] = {
    "managedZone": Field("str", "Cloud DNS managed zone that holds baseDomain", check=dns_label(63)),
}


@dataclass(frozen=True)
class GcpDatabaseSettings(DatabaseTopology):
    backup_start_time: str
    backup_retention_days: int
    point_in_time_recovery: bool
    tier: str
    postgres_version: str
    high_availability: bool
    disk_size_gb: int
    # A multi-region or another region: where backups outlive the instance's region.
    backup_location: str = "us"


@dataclass(frozen=True)
class GcpExistingCluster:
    name: str
    location: str
    network: str


@dataclass(frozen=True)
class GcpClusterSettings:
    existing: Optional[GcpExistingCluster]
    kubernetes_version: str
    release_channel: str
    machine_type: str
    min_nodes_per_zone: int
    max_nodes_per_zone: int
    disk_size_gb: int
    master_ipv4_cidr_block: str
    master_authorized_networks: tuple[str, ...]
    network_policy: str = GKE_DATAPLANE_V2


@dataclass(frozen=True)
class GcpNetworkSettings:
    subnet_cidr: str
    pods_cidr: str
    services_cidr: str
    private_services_prefix_length: int


@dataclass(frozen=True)
class GcpRegistrySettings:
    noncurrent_version_days: int
    # None: the stack's region.
    location: Optional[str] = None
    data_locations: tuple[str, ...] = ()


@dataclass(frozen=True)
class GcpDnsSettings:
    managed_zone: str


@dataclass(frozen=True)
class GcpSettings:
    project: str
    region: str
    network: GcpNetworkSettings
    cluster: GcpClusterSettings
    database: GcpDatabaseSettings
    registry: GcpRegistrySettings
    dns: Optional[GcpDnsSettings]
    # A throwaway (drill) stack being torn down: every deletion guard lifted.
    teardown: bool = False


# ---- AWS ---------------------------------------------------------------------------------------

# RDS keeps automated backups (and point-in-time restore) for at most 35 days.
RDS_MAX_BACKUP_RETENTION_DAYS = 35


def eks_version(v: str) -> Optional[str]:
    """A Kubernetes version in the chart's range, written as EKS takes it (major.minor only)."""
    message = kubernetes_version(v)
    if message:
        return message
    return None if re.match(r"^1\.\d+$", v) else "must be major.minor, e.g. 1.33 (EKS picks the patch release)"


vpc_cidr = cidr_prefix(16, 22, "it is split into three private and three public subnets")


def aws_region(v: str) -> Optional[str]:
    return provider_config.aws_region(v)


# The second region a stack's backups go to when `database.backupReplicaRegion` is not set: the
# nearest region of the same geography where RDS replicates automated backups. Other regions must
# name theirs (AWS lists the supported pairs under "cross-Region automated backups").
AWS_BACKUP_REPLICA_REGIONS = {
    "us-east-1": "us-west-2",
    "us-east-2": "us-west-2",
    "us-west-1": "us-east-1",
    "us-west-2": "us-east-1",
    "eu-west-1": "eu-central-1",
    "eu-west-2": "eu-west-1",
    "eu-west-3": "eu-central-1",
    "eu-central-1": "eu-west-1",
    "eu-north-1": "eu-west-1",
    "ap-southeast-1": "ap-southeast-2",
    "ap-southeast-2": "ap-southeast-1",
}


# The node group runs the AL2023_x86_64_STANDARD image (components/aws/cluster.py, `ami_type`). EKS
# has separate AMI types for arm64 (AL2023_ARM_64_STANDARD) and for accelerators
# (AL2023_x86_64_NVIDIA, AL2023_x86_64_NEURON): https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html
# Graviton families (m7g, c6gn, r8g, t4g, g5g, im4gn, ...) and a1 are arm64; Apple mac families are
# not EKS nodes.
_GRAVITON = re.compile(r"^([a-z]+\d+g[a-z]*|a1|mac\d*[a-z0-9-]*)\.", re.ASCII)
# NVIDIA GPU (p*, g*, gr6), Habana (dl*), Inferentia/Trainium (inf*, trn*), FPGA (f*), video (vt*).
_ACCELERATED = re.compile(r"^(p\d+[a-z]*|g\d+[a-z]*|gr\d+[a-z]*|dl\d+[a-z]*|inf\d+[a-z]*|trn\d+[a-z]*|f\d+[a-z]*|vt\d+[a-z]*)\.", re.ASCII)


def x86_instance_types(values: tuple[str, ...]) -> Optional[str]:
    if not values:
        return "must list at least one EC2 instance type"
    bad = [v for v in values if not re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9]+", v, re.ASCII)]
    if bad:
        return f"every entry must be an EC2 instance type such as m6i.2xlarge ({', '.join(bad)} is not)"
    arm = [v for v in values if _GRAVITON.match(v)]
    if arm:
        return f"must be x86_64 instance types: the node group runs the AL2023 x86_64 image ({', '.join(arm)} is Graviton/arm64)"
    accelerated = [v for v in values if _ACCELERATED.match(v)]
    if accelerated:
        return (
            f"must be general-purpose x86_64 instance types: the node group runs the AL2023_x86_64_STANDARD image, "
            f"without GPU or accelerator drivers ({', '.join(accelerated)} needs the NVIDIA or Neuron image)"
        )
    return None


# An EKS access entry's principal: an IAM role or user of this partition's IAM, never an STS
# assumed-role session (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
_IAM_PRINCIPAL = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$")
_STS_SESSION = re.compile(r"^arn:aws(-[a-z]+)*:sts::\d{12}:assumed-role/")


def iam_principal_arns(values: tuple[str, ...]) -> Optional[str]:
    sessions = [v for v in values if _STS_SESSION.match(v)]
    if sessions:
        return f"must name the IAM role, not an assumed-role session ({sessions[0]}): use arn:aws:iam::<account>:role/<name>"
    bad = [v for v in values if not _IAM_PRINCIPAL.match(v)]
    if bad:
        return f"every entry must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/ci-deploy ({bad[0]} is not)"
    if len(set(values)) != len(values):
        return "lists a principal twice (EKS allows one access entry per principal)"
    return None


AWS_DATABASE_FIELDS: dict[str, Field] = {
    "backupStartTime": Field("str", "daily backup start, HH:MM UTC (the 30-minute backup window opens here)", default="03:00", check=utc_time),
    "backupRetentionDays": Field(
        "int",
        "days automated backups and point-in-time restore reach back",
        default=MIN_BACKUP_RETENTION_DAYS,
        check=between(MIN_BACKUP_RETENTION_DAYS, RDS_MAX_BACKUP_RETENTION_DAYS, "Astronomer's DR guidance keeps at least a week; RDS keeps at most 35 days"),
    ),
    "instanceClass": Field("str", "RDS instance class", default="db.m6i.large", check=matches(r"^db\.[a-z0-9-]+\.[a-z0-9]+$", "an RDS instance class such as db.m6i.large")),
    "allocatedStorage": Field("int", "initial storage in GiB (gp3)", default=50, check=between(20, 65536)),
    "maxAllocatedStorage": Field("int", "storage autoscaling ceiling in GiB", default=500, check=between(20, 65536)),
    "postgresVersion": Field(
        "str",
        "RDS PostgreSQL engine version: a major version (16) takes RDS's minor upgrades; a full one (16.6) pins it",
        default="16",
        check=matches(r"^\d{2}(\.\d+)?$", "an RDS PostgreSQL version such as 16 or 16.6"),
    ),
    "highAvailability": Field("bool", "Multi-AZ: a synchronous standby in another zone with automatic failover", default=True),
    "backupReplicaRegion": Field(
        "str",
        "second region automated backups are replicated to (they survive the loss of the stack's region); default the region paired with aws:region",
        default=None,
        check=aws_region,
    ),
    **_topology_fields(
        _restore_fields(
            source_instance=Field(
                "str",
                "RDS instance identifier to restore from, when it is not the stack's own primary",
                default=None,
                check=matches(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$", "an RDS instance identifier"),
            ),
            backup_id=Field(
                "str",
                "RDS snapshot identifier or ARN to restore (`aws rds describe-db-snapshots`)",
                default=None,
                check=matches(
                    r"^(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:(rds:)?[a-zA-Z][a-zA-Z0-9-]*|(rds:)?[a-zA-Z][a-zA-Z0-9-]{0,254})$",
                    "an RDS snapshot identifier (my-snapshot, rds:my-db-2026-11-20-03-00) or snapshot ARN",
                ),
            ),
            extra={
                "sourceAutomatedBackupsArn": Field(
                    "str",
                    "ARN of the retained or replicated automated backups of a deleted or lost source instance",
                    default=None,
                    check=matches(r"^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:auto-backup:ab-[a-z0-9]+$", "an RDS automated backups ARN (arn:aws:rds:<region>:<account>:auto-backup:ab-...)"),
                ),
            },
        )
    ),
}

AWS_EXISTING_CLUSTER_FIELDS: dict[str, Field] = {
    "name": Field(
        "str",
        "name of the EKS cluster to install the platform on; it must have an IAM OIDC provider (IRSA)",
        check=matches(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", "an EKS cluster name (letters, digits, '-' and '_', at most 100)"),
    ),
}

AWS_CLUSTER_FIELDS: dict[str, Field] = {
    "existing": Field(
        "object",
        "use this existing cluster instead of creating one (when only the platform was lost)",
        default=None,
        fields=AWS_EXISTING_CLUSTER_FIELDS,
    ),
    "kubernetesVersion": Field("str", "EKS Kubernetes version", default="1.33", check=eks_version),
    "endpointPrivateAccess": Field("bool", "serve the Kubernetes API inside the VPC", default=True),
    "endpointPublicAccess": Field("bool", "serve the Kubernetes API on a public endpoint (needed to run pulumi from outside the VPC)", default=True),
    "publicAccessCidrs": Field("list[str]", "CIDR blocks allowed to reach the public endpoint (empty: any, with credentials)", default=(), check=cidr_list),
    "instanceTypes": Field("list[str]", "EC2 instance types of the platform node group", default=("m6i.2xlarge",), check=x86_instance_types),
    "minNodes": Field("int", "node group minimum", default=3, check=between(1, 100)),
    "maxNodes": Field("int", "node group maximum", default=6, check=between(1, 100)),
    "desiredNodes": Field("int", "node group size at creation and on every update", default=3, check=between(1, 100)),
    "diskSizeGb": Field("int", "node root volume size", default=100, check=between(50, EBS_GP3_MAX_GIB, "a gp3 volume holds at most 16 TiB")),
    "admins": Field(
        "list[str]",
        "IAM roles or users (ARNs) given cluster admin through an EKS access entry each (CI roles, other operators); not the identity that creates the cluster, which EKS already admits",
        default=(),
        check=iam_principal_arns,
    ),
    **CLUSTER_RESTORE_FIELDS,
}

AWS_NETWORK_FIELDS: dict[str, Field] = {
    "vpcCidr": Field("str", "VPC range, split into three private and three public subnets", default="10.40.0.0/16", check=vpc_cidr),
    "singleNatGateway": Field("bool", "one NAT gateway for all zones (cheaper; losing its zone cuts the others' egress)", default=False),
}

AWS_REGISTRY_FIELDS: dict[str, Field] = {
    "noncurrentVersionDays": Field(
        "int",
        "days a deleted or overwritten registry object is kept as a noncurrent version",
        default=30,
        check=at_least(7, "a week to notice a bad delete"),
    ),
    "replicaRegion": Field(
        "str",
        "replicate registry images to a bucket in this second region (survives the loss of the stack's region); none by default",
        default=None,
        check=aws_region,
    ),
}

AWS_DNS_FIELDS: dict[str, Field] = {
    "hostedZoneId": Field("str", "Route53 hosted zone that holds baseDomain", check=matches(r"^Z[A-Z0-9]{1,31}$", "a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ")),
}


@dataclass(frozen=True)
class AwsDatabaseSettings(DatabaseTopology):
    backup_start_time: str
    backup_retention_days: int
    instance_class: str
    allocated_storage: int
    max_allocated_storage: int
    postgres_version: str
    high_availability: bool
    # Where automated backups are replicated: they survive the loss of the stack's region.
    backup_replica_region: str = "us-west-2"


@dataclass(frozen=True)
class AwsExistingCluster:
    name: str


@dataclass(frozen=True)
class AwsClusterSettings:
    existing: Optional[AwsExistingCluster]
    kubernetes_version: str
    endpoint_private_access: bool
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    instance_types: tuple[str, ...]
    min_nodes: int
    max_nodes: int
    desired_nodes: int
    disk_size_gb: int
    # IAM principals given cluster admin through access entries.
    admins: tuple[str, ...] = ()


@dataclass(frozen=True)
class AwsNetworkSettings:
    vpc_cidr: str
    single_nat_gateway: bool


@dataclass(frozen=True)
class AwsRegistrySettings:
    noncurrent_version_days: int
    # A second region holding a replica of every image; None: no replica.
    replica_region: Optional[str] = None


@dataclass(frozen=True)
class AwsDnsSettings:
    hosted_zone_id: str


@dataclass(frozen=True)
class AwsSettings:
    region: str
    network: AwsNetworkSettings
    cluster: AwsClusterSettings
    database: AwsDatabaseSettings
    registry: AwsRegistrySettings
    dns: Optional[AwsDnsSettings]
    # A throwaway (drill) stack being torn down: every deletion guard lifted.
    teardown: bool = False


# ---- a standby stack in a second region (both clouds) ------------------------------------------
#
# `astronomer-dr:standby = {primaryStack: <org>/astronomer-dr/<stack>, promote: false}` makes a stack
# the primary's standby: a cross-region read replica of the primary's database, the network (and,
# warm, the cluster) in its own region, the platform not yet declared. `promote: true` and
# `pulumi up` fail over: the same replica resource is promoted and gets every DR setting of a
# primary, and the platform comes up on it (docs/RUNBOOK.md, "The whole region lost").
#
# Two kinds of refusals. What the stack's own config shows is refused here, before any resource
# exists. What needs the primary's facts (its cloud, region, project, database version, network
# ranges) can only be known from the StackReference, whose outputs the engine answers after the
# program has started: `check_primary` below refuses those, as a ConfigError naming the key, inside
# the one Output every standby resource that matters takes its inputs from (components/standby.py),
# so the replica, the promoted instance, the cluster and the platform are never declared on a bad
# reference.

STANDBY_KEY = "standby"
STANDBY_CLUSTER_MODES = ("warm", "cold")
# Warm by default: the failover's RTO target is minutes, and creating a regional GKE or EKS control
# plane plus nodes at failover adds 10-20 minutes while the whole region's customers fail over into
# the same second region (README, "A standby in a second region"). Cold is the cheaper choice.
DEFAULT_STANDBY_CLUSTER = "warm"
_STACK_REFERENCE = re.compile(r"^(?P<org>[A-Za-z0-9][A-Za-z0-9_.-]*)/(?P<project>[A-Za-z0-9_.-]+)/(?P<stack>[A-Za-z0-9_.-]+)$")

STANDBY_FIELDS: dict[str, Field] = {
    "primaryStack": Field("str", "fully qualified name of the primary's stack, <organization>/astronomer-dr/<stack> (DIY backends: organization/astronomer-dr/<stack>)", default=None),
    "promote": Field("bool", "fail over: promote the replica to this stack's primary database and bring the platform up on it", default=False),
    "cluster": Field("str", "warm: the cluster exists before failover (faster); cold: created at promotion (cheaper)", default=DEFAULT_STANDBY_CLUSTER, check=one_of(*STANDBY_CLUSTER_MODES)),
}


@dataclass(frozen=True)
class StandbySettings:
    primary_stack: str
    promote: bool = False
    cluster: str = DEFAULT_STANDBY_CLUSTER

    @property
    def declares_cluster(self) -> bool:
        """A warm standby's cluster exists all along; a cold one's only once promoted."""
        return self.promote or self.cluster == "warm"


# Keys a standby refuses: its one database is the replica, not a topology of restores, and its
# cluster is its own (a primary's `cluster.existing` would be in the wrong region).
_STANDBY_DATABASE_KEYS = {"restore": None, "primary": ORIGINAL_LABEL, "keep_original": True, "keep_restored": (), "unprotect": ()}


def _standby(ours: Mapping[str, Any], stack: str, objects: Mapping[str, Optional[dict]], problems: Problems) -> Optional[StandbySettings]:
    full = f"{PROJECT}:{STANDBY_KEY}"
    if STANDBY_KEY not in ours:
        return None
    raw = _decode(full, ours.get(STANDBY_KEY), problems)
    parsed = parse_object(full, raw, STANDBY_FIELDS, problems)
    if parsed is None:
        return None
    before = len(problems.items)
    reference = parsed["primary_stack"]
    key = f"{full}.primaryStack"
    if not reference:
        if parsed["promote"]:
            problems.add(key, "required with promote: true: promotion turns the replica of the primary named here into this stack's database; e.g. organization/astronomer-dr/gcp")
        else:
            problems.add(key, "required: the primary's stack, e.g. organization/astronomer-dr/gcp (its outputs are read through a StackReference)")
    else:
        match = _STACK_REFERENCE.match(reference)
        if not match:
            problems.add(key, f"must be <organization>/<project>/<stack> (a fully qualified stack name, e.g. organization/{PROJECT}/gcp), got {reference!r}")
        elif match.group("project") != PROJECT:
            problems.add(key, f"must name a stack of project {PROJECT} (the standby reads that project's exports), got project {match.group('project')!r}")
        elif match.group("stack") == stack:
            problems.add(key, f"names this stack ({stack}): a standby replicates another stack, in another region")
    database = objects.get("database") or {}
    for snake, default in _STANDBY_DATABASE_KEYS.items():
        if database and database.get(snake) != default:
            camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), snake)
            problems.add(f"{PROJECT}:database.{camel}", "not with a standby: its one database is the primary's replica (promoted with standby.promote)")
    cluster = objects.get("cluster") or {}
    if cluster.get("existing"):
        problems.add(f"{PROJECT}:cluster.existing", "not with a standby: the standby's cluster is its own, in its region (standby.cluster: warm or cold)")
    if len(problems.items) != before:
        return None
    return StandbySettings(primary_stack=reference, promote=parsed["promote"], cluster=parsed["cluster"])


@dataclass(frozen=True)
class PrimaryFacts:
    """What a standby needs of its primary, read from the primary's stack outputs (backend only)."""

    cloud: str
    region: str
    # GCP: the instance's name; AWS: its ARN (a cross-region replica's source must be the ARN).
    database_instance: str
    database_version: str
    # Where the platform's deployments reach the primary: restored deployments still name it.
    database_host: str
    # GCP only: the project, the global VPC the standby shares, its ranges, and the registry.
    project: Optional[str] = None
    network: Optional[str] = None
    network_ranges: tuple[str, ...] = ()
    registry_bucket: Optional[str] = None
    registry_location: Optional[str] = None
    registry_service_account: Optional[str] = None
    # AWS only: the registry's replica in the standby's region, when the primary keeps one.
    registry_replica_bucket: Optional[str] = None
    registry_replica_region: Optional[str] = None
    registry_replica_kms_key_arn: Optional[str] = None
    platform_namespace: Optional[str] = None
    platform_release: Optional[str] = None


# The outputs a primary exports for its standby (__main__.py and each cloud's foundation).
PRIMARY_EXPORTS = {
    "gcp": ("cloud", "region", "database_instance", "database_host", "database_version", "project", "network", "network_ranges",
            "registry_bucket", "registry_location", "registry_service_account", "platform_namespace", "platform_release"),
    "aws": ("cloud", "region", "database_arn", "database_address", "database_version", "platform_namespace", "platform_release"),
}


def _overlapping(ours: Mapping[str, str], theirs: tuple[str, ...]) -> list[tuple[str, str]]:
    import ipaddress

    found = []
    for key, cidr in ours.items():
        for other in theirs:
            if ipaddress.ip_network(cidr, strict=False).overlaps(ipaddress.ip_network(other, strict=False)):
                found.append((key, other))
    return found


def check_primary(settings: StackSettings, exports: Mapping[str, Any]) -> PrimaryFacts:
    """Pure: the primary's outputs (as the StackReference reads them) checked against this standby.

    Raises ConfigError naming the key: a primary of another cloud, one in this stack's own region,
    outputs missing (a primary not yet updated to export them), a database version that differs,
    and per cloud what would collide with or depend on the lost region.
    """
    assert settings.standby is not None
    problems = Problems()
    reference = f"{PROJECT}:{STANDBY_KEY}.primaryStack"
    name = settings.standby.primary_stack
    cloud = exports.get("cloud")
    if cloud is not None and cloud != settings.cloud:
        problems.add(reference, f"{name} is a {cloud} stack and this one is {settings.cloud}: a standby replicates its primary's database within one cloud")
        problems.raise_if_any()
    if exports.get("standby_promoted") is False:
        problems.add(reference, f"{name} is a standby that is not promoted: a standby follows a primary (or a promoted standby), not another replica")
        problems.raise_if_any()
    missing = [k for k in PRIMARY_EXPORTS[settings.cloud] if exports.get(k) is None]
    if missing:
        problems.add(reference, f"{name} does not export {', '.join(missing)}: run `pulumi up` on the primary with this version of the program first")
        problems.raise_if_any()
    region = settings.gcp.region if settings.gcp else settings.aws.region
    region_key = "gcp:region" if settings.gcp else "aws:region"
    if exports["region"] == region:
        problems.add(region_key, f"is the primary's own region ({region}, {name}): a standby must be in a second region to survive the loss of the first")
    if settings.gcp:
        db = settings.gcp.database
        if db.postgres_version != exports["database_version"]:
            problems.add(f"{PROJECT}:database.postgresVersion", f"must be the primary's version {exports['database_version']} (a replica runs its primary's version), got {db.postgres_version}")
        if db.backup_location == exports["region"]:
            problems.add(f"{PROJECT}:database.backupLocation", f"must not be the primary's region {exports['region']}: after failover the promoted instance's backups must live outside the lost region")
        if exports["project"] != settings.gcp.project:
            problems.add("gcp:project", f"must be the primary's project {exports['project']}: the standby shares its VPC, its private services access and its Workload Identity pool")
        net = settings.gcp.network
        ours = {"network.subnetCidr": net.subnet_cidr, "network.podsCidr": net.pods_cidr, "network.servicesCidr": net.services_cidr,
                "cluster.masterIpv4CidrBlock": settings.gcp.cluster.master_ipv4_cidr_block}
        for key, other in _overlapping(ours, tuple(exports["network_ranges"])):
            problems.add(f"{PROJECT}:{key}", f"overlaps the primary's range {other}: both stacks share one VPC, so every range must be distinct")
    else:
        db = settings.aws.database
        if db.backup_replica_region == exports["region"]:
            problems.add(f"{PROJECT}:database.backupReplicaRegion", f"must not be the primary's region {exports['region']}: after failover backups must be replicated to a third region, not the lost one")
        # The standby's registry serves the primary's S3 replica in this region. Needed at promotion
        # (warned about before it: components/aws/standby.py), when the primary can no longer add it.
        if settings.standby.promote and (exports.get("registry_replica_region") != region or not exports.get("registry_replica_bucket")):
            problems.add(reference, f"{name} keeps no registry replica in {region}: set registry.replicaRegion: {region} on the primary (S3 replication; the standby's registry serves that replica)")
        if db.postgres_version.split(".")[0] != str(exports["database_version"]).split(".")[0]:
            problems.add(f"{PROJECT}:database.postgresVersion", f"must be the primary's major version {exports['database_version']} (a replica runs its primary's engine), got {db.postgres_version}")
    if (exports["platform_namespace"], exports["platform_release"]) != (settings.platform.namespace, settings.platform.release_name):
        problems.add(f"{PROJECT}:platform.releaseName", f"namespace and release name must be the primary's ({exports['platform_namespace']}/{exports['platform_release']}): the registry identity grants and the Velero backups name them")
    problems.raise_if_any()
    return PrimaryFacts(
        cloud=cloud,
        region=exports["region"],
        database_instance=exports["database_instance"] if settings.gcp else exports["database_arn"],
        database_version=str(exports["database_version"]),
        database_host=exports["database_host"] if settings.gcp else exports["database_address"],
        project=exports.get("project"),
        network=exports.get("network"),
        network_ranges=tuple(exports.get("network_ranges") or ()),
        registry_bucket=exports.get("registry_bucket"),
        registry_location=exports.get("registry_location"),
        registry_service_account=exports.get("registry_service_account"),
        registry_replica_bucket=exports.get("registry_replica_bucket"),
        registry_replica_region=exports.get("registry_replica_region"),
        registry_replica_kms_key_arn=exports.get("registry_replica_kms_key_arn"),
        platform_namespace=exports["platform_namespace"],
        platform_release=exports["platform_release"],
    )


@dataclass(frozen=True)
class BackupSettings:
    """Velero backups of the Airflow deployment namespaces, and the declared restore, if any."""

    schedule: str
    retention_days: int
    # GCS location (multi-, dual- or another region) or S3 region of the backups bucket.
    location: str
    # `latest` or a Velero backup name: the Restore declared by `cluster.restore`; None: no restore.
    restore_backup: Optional[str] = None
    # Database hosts of another stack that the restored deployments may point at.
    previous_database_hosts: tuple[str, ...] = ()
    # Another stack's backups bucket to restore from (read-only), its region and key on AWS.
    source_bucket: Optional[str] = None
    source_region: Optional[str] = None
    source_kms_key_arn: Optional[str] = None

    @property
    def ttl(self) -> str:
        """Velero's ttl (a Go duration) for retentionDays."""
        return f"{self.retention_days * 24}h0m0s"


def _backups(
    cloud: str, config: Mapping[str, str], objects: dict[str, Optional[dict]], problems: Problems
) -> Optional[BackupSettings]:
    """The backups settings; takes `restore` out of the cluster object (it is not a cluster setting)."""
    cluster, raw = objects.get("cluster"), objects.get("backups")
    restore = cluster.pop("restore", None) if cluster else None
    if raw is None:
        return None
    key = f"{PROJECT}:backups.location"
    location = raw["location"]
    # A region that is no region is refused on its own key (provider_config): no default from it.
    if cloud == "gcp":
        region = config.get("gcp:region") or ""
        region = "" if provider_config.gcp_region(region) else region
        if location is not None:
            why = gcs_location(location)
            if why:
                problems.add(key, f"{why}, got {location!r}")
                return None
            if location.lower() == region.lower():
                problems.add(key, f"must be a dual- or multi-region, or a region other than gcp:region ({region}): backups there are lost with the region")
                return None
        else:
            multi = default_backup_location(region) if region else None
            if region and multi is None:
                problems.add(key, f"required in {region} (no GCS multi-region contains it): set a dual-region or another region")
                return None
            location = multi.upper() if multi else ""
    else:
        region = config.get("aws:region") or ""
        region = "" if provider_config.aws_region(region) else region
        if location is not None:
            why = aws_region(location)
            if why:
                problems.add(key, f"{why}, got {location!r}")
                return None
            if location == region:
                problems.add(key, f"must be a region other than aws:region ({region}): backups there are lost with the region")
                return None
        else:
            database = objects.get("database") or {}
            location = database.get("backup_replica_region") or AWS_BACKUP_REPLICA_REGIONS.get(region) or ""
            if region and not location:
                problems.add(key, f"required in {region} (no default pair): name a second region for the backups bucket")
                return None
    if restore and restore["source_bucket"] and cloud == "aws":
        for field_name, key_name in (("source_region", "sourceRegion"), ("source_kms_key_arn", "sourceKmsKeyArn")):
            if not restore[field_name]:
                problems.add(f"{PROJECT}:cluster.restore.{key_name}", "required on AWS with sourceBucket (the bucket's region and KMS key)")
                return None
    elif restore and cloud == "gcp":
        for field_name, key_name in (("source_region", "sourceRegion"), ("source_kms_key_arn", "sourceKmsKeyArn")):
            if restore[field_name]:
                problems.add(f"{PROJECT}:cluster.restore.{key_name}", "only applies on AWS")
                return None
    if restore and not restore["source_bucket"] and (restore["source_region"] or restore["source_kms_key_arn"]):
        problems.add(f"{PROJECT}:cluster.restore.sourceBucket", "required with sourceRegion / sourceKmsKeyArn")
        return None
    return BackupSettings(
        schedule=raw["schedule"],
        retention_days=raw["retention_days"],
        location=location,
        restore_backup=restore["backup"] if restore else None,
        previous_database_hosts=restore["previous_database_hosts"] if restore else (),
        source_bucket=restore["source_bucket"] if restore else None,
        source_region=restore["source_region"] if restore else None,
        source_kms_key_arn=restore["source_kms_key_arn"] if restore else None,
    )


# ---- the whole stack ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StackSettings:
    cloud: str
    # Prefix of every physical name: derived from the stack, stable across runs, never a timestamp.
    name_prefix: str
    platform: PlatformSettings
    tls: TlsSettings
    gcp: Optional[GcpSettings] = None
    aws: Optional[AwsSettings] = None
    # What deserves a look but does not stop a recovery (a certificate about to expire);
    # `load_settings` logs each with pulumi.log.warn.
    warnings: tuple[str, ...] = ()
    # A standby stack in a second region (see "a standby stack" below); None: a primary.
    standby: Optional["StandbySettings"] = None
    # Velero backups of the Airflow deployments (and a declared restore).
    backups: Optional[BackupSettings] = None


# Object-valued keys of the astronomer-dr namespace, per cloud.
OBJECT_KEYS: dict[str, dict[str, Mapping[str, Field]]] = {
    "gcp": {
        "platform": PLATFORM_FIELDS,
        "database": GCP_DATABASE_FIELDS,
        "cluster": GCP_CLUSTER_FIELDS,
        "network": GCP_NETWORK_FIELDS,
        "registry": GCP_REGISTRY_FIELDS,
        "dns": GCP_DNS_FIELDS,
        "backups": BACKUPS_FIELDS,
    },
    "aws": {
        "platform": PLATFORM_FIELDS,
        "database": AWS_DATABASE_FIELDS,
        "cluster": AWS_CLUSTER_FIELDS,
        "network": AWS_NETWORK_FIELDS,
        "registry": AWS_REGISTRY_FIELDS,
        "dns": AWS_DNS_FIELDS,
        "backups": BACKUPS_FIELDS,
    },
}
SUPPORTED_CLOUDS = tuple(OBJECT_KEYS)
# Keys of the namespace that must hold secrets, and how to set them.
SECRET_KEYS = (TLS_CERTIFICATE_KEY, TLS_KEY_KEY)
OPTIONAL_OBJECTS = ("dns",)


def all_config() -> dict[str, str]:
    """Every config value the engine handed the program, keyed 'namespace:key'."""
    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def _is_secret(key: str) -> bool:
    return runtime_config.is_config_secret(key) or key in runtime_config.get_config_secret_keys_env()


def _decode(full_key: str, raw: Any, problems: Problems) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        problems.add(full_key, f"expected a YAML object in the stack file, got the string {raw!r}")
        return None


def _tls(config: Mapping[str, str], problems: Problems) -> Optional[TlsSettings]:
    values: dict[str, str] = {}
    markers = {TLS_CERTIFICATE_KEY: "-----BEGIN CERTIFICATE-----", TLS_KEY_KEY: "PRIVATE KEY-----"}
    for key, marker in markers.items():
        full = f"{PROJECT}:{key}"
        command = f"pulumi config set --secret {full} -- \"$(cat <file.pem>)\""
        if full not in config:
            problems.add(full, f"required: PEM for <baseDomain> and *.<baseDomain>; set it with `{command}`")
        elif not _is_secret(full):
            problems.add(full, f"must be a secret (it would sit in plain text in the stack file); set it with `{command}`")
        elif marker not in config[full]:
            problems.add(full, f"must be PEM text containing '{marker}'")
        else:
            values[key] = config[full]
    if len(values) != len(markers):
        return None
    return TlsSettings(certificate=values[TLS_CERTIFICATE_KEY], private_key=values[TLS_KEY_KEY])


def _check_tls_material(tls: Optional[TlsSettings], platform: Optional[dict], now: datetime, problems: Problems) -> list[str]:
    """Parses the chain and key (components/tls_material.py); returns the warnings."""
    if tls is None:
        return []
    from .tls_material import check_tls

    found, warnings = check_tls(tls.certificate, tls.private_key, platform["base_domain"] if platform else None, now)
    for key, why in found.items():
        problems.add(f"{PROJECT}:{key}", why)
    return warnings


def _require_provider_key(config: Mapping[str, str], key: str, what: str, problems: Problems) -> str:
    value = config.get(key)
    if not value:
        problems.add(key, f"required: {what}; set it with `pulumi config set {key} <value>`")
        return ""
    return value


def _check_gcp_ranges(network: Optional[dict], cluster: Optional[dict], problems: Problems) -> None:
    """The node subnet, pod and service ranges and the control plane's /28 must not overlap (GKE
    refuses the cluster, after the network was already built). The private services range is
    allocated by Google from free space of the VPC (a prefix length only), so it cannot overlap."""
    if not network:
        return
    ranges = {
        "network.subnetCidr": network["subnet_cidr"],
        "network.podsCidr": network["pods_cidr"],
        "network.servicesCidr": network["services_cidr"],
    }
    if cluster and not cluster["existing"]:
        ranges["cluster.masterIpv4CidrBlock"] = cluster["master_ipv4_cidr_block"]
    pair = overlapping(ranges)
    if pair:
        # Either one may be the edit at fault: both keys are named.
        for one, other in (pair, pair[::-1]):
            problems.add(f"{PROJECT}:{one}", f"overlaps {other} ({ranges[other]}): every range of the cluster's network must be distinct, got {ranges[one]!r}")


def _gcp(config: Mapping[str, str], objects: dict[str, Optional[dict]], problems: Problems, now: datetime) -> Optional[GcpSettings]:
    project = _require_provider_key(config, "gcp:project", "the GCP project to rebuild in", problems)
    region = _require_provider_key(config, "gcp:region", "the GCP region to rebuild in", problems)
    project = provider_config.check_provider_key(config, "gcp:project", provider_config.gcp_project, problems) or ""
    region = provider_config.check_provider_key(config, "gcp:region", provider_config.gcp_region, problems) or ""
    cluster, database, registry = objects.get("cluster"), objects.get("database"), objects.get("registry")
    _check_gcp_ranges(objects.get("network"), cluster, problems)
    if cluster and cluster["min_nodes_per_zone"] > cluster["max_nodes_per_zone"]:
        problems.add(f"{PROJECT}:cluster.minNodesPerZone", "must not exceed maxNodesPerZone")
    if database and not database["point_in_time_recovery"]:
        # Agrees with the policy pack: cloudsql-point-in-time-recovery is mandatory (policy/README.md),
        # so false would pass `make up` and then fail the CI preview.
        problems.add(
            f"{PROJECT}:database.pointInTimeRecovery",
            "must be true: without transaction logs the newest restorable state is last night's backup, and the "
            "policy pack (cloudsql-point-in-time-recovery, mandatory) refuses it in every preview",
        )
    if database:
        database = {**database, "restore": _check_topology(
            database,
            now=now,
            window=timedelta(days=GCP_TRANSACTION_LOG_DAYS),
            window_what="window of Cloud SQL transaction logs",
            problems=problems,
            pitr_enabled=database["point_in_time_recovery"],
        ), "promoted": _check_promoted(database, problems)}
        location = database["backup_location"] or (default_backup_location(region) if region else None)
        if database["backup_location"] and database["backup_location"] == region:
            problems.add(f"{PROJECT}:database.backupLocation", f"must be a location other than the instance's region {region}: backups there are lost with the region")
        elif region and location is None:
            problems.add(f"{PROJECT}:database.backupLocation", f"required in {region} (no Cloud SQL multi-region contains it): set a region other than {region}, e.g. its nearest neighbour")
        database["backup_location"] = location
    if registry and registry["data_locations"] and (registry["location"] or "").upper() not in GCS_MULTI_REGIONS:
        problems.add(f"{PROJECT}:registry.dataLocations", f"needs registry.location set to the multi-region holding both regions ({', '.join(GCS_MULTI_REGIONS)})")
    if problems.items or any(objects.get(k) is None for k in OBJECT_KEYS["gcp"] if k not in OPTIONAL_OBJECTS):
        return None
    existing = cluster["existing"]
    return GcpSettings(
        project=project,
        region=region,
        network=GcpNetworkSettings(**objects["network"]),
        cluster=GcpClusterSettings(**{**cluster, "existing": GcpExistingCluster(**existing) if existing else None}),
        database=GcpDatabaseSettings(**database),
        registry=GcpRegistrySettings(**registry),
        dns=GcpDnsSettings(**objects["dns"]) if objects.get("dns") else None,
    )


def _aws(config: Mapping[str, str], objects: dict[str, Optional[dict]], problems: Problems, now: datetime) -> Optional[AwsSettings]:
    region = _require_provider_key(config, "aws:region", "the AWS region to rebuild in", problems)
    # A region that is not one names aws:region, not the keys whose defaults derive from it.
    region = provider_config.check_provider_key(config, "aws:region", provider_config.aws_region, problems) or ""
    cluster, database, registry = objects.get("cluster"), objects.get("database"), objects.get("registry")
    key = f"{PROJECT}:cluster"
    if cluster:
        if cluster["min_nodes"] > cluster["max_nodes"]:
            problems.add(f"{key}.minNodes", "must not exceed maxNodes")
        elif not cluster["min_nodes"] <= cluster["desired_nodes"] <= cluster["max_nodes"]:
            problems.add(f"{key}.desiredNodes", "must be between minNodes and maxNodes")
        if not (cluster["endpoint_private_access"] or cluster["endpoint_public_access"]):
            problems.add(f"{key}.endpointPublicAccess", "endpointPrivateAccess and endpointPublicAccess cannot both be false")
        if cluster["public_access_cidrs"] and not cluster["endpoint_public_access"]:
            problems.add(f"{key}.publicAccessCidrs", "only applies with endpointPublicAccess: true")
        if cluster["admins"] and cluster["existing"]:
            problems.add(f"{key}.admins", "only applies to a cluster this program creates (an existing cluster's access entries are managed where the cluster is)")
    if database and database["allocated_storage"] > database["max_allocated_storage"]:
        problems.add(f"{PROJECT}:database.maxAllocatedStorage", "must be at least allocatedStorage")
    if database:
        database = {**database, "restore": _check_topology(
            database,
            now=now,
            window=timedelta(days=database["backup_retention_days"]),
            window_what="backup retention (database.backupRetentionDays)",
            problems=problems,
        ), "promoted": _check_promoted(database, problems)}
        replica = database["backup_replica_region"] or AWS_BACKUP_REPLICA_REGIONS.get(region)
        if region and replica == region:
            problems.add(f"{PROJECT}:database.backupReplicaRegion", f"must be a region other than aws:region ({region}): replicated backups must survive its loss")
        elif region and replica is None:
            problems.add(f"{PROJECT}:database.backupReplicaRegion", f"required in {region} (no default pair): name the second region RDS replicates automated backups to")
        database["backup_replica_region"] = replica
    if registry and region and registry["replica_region"] == region:
        problems.add(f"{PROJECT}:registry.replicaRegion", f"must be a region other than aws:region ({region})")
    if problems.items or any(objects.get(k) is None for k in OBJECT_KEYS["aws"] if k not in OPTIONAL_OBJECTS):
        return None
    existing = cluster["existing"]
    return AwsSettings(
        region=region,
        network=AwsNetworkSettings(**objects["network"]),
        cluster=AwsClusterSettings(**{**cluster, "existing": AwsExistingCluster(**existing) if existing else None}),
        database=AwsDatabaseSettings(**database),
        registry=AwsRegistrySettings(**registry),
        dns=AwsDnsSettings(**objects["dns"]) if objects.get("dns") else None,
    )


# GKE cluster names stop at 40 characters; the longest name built on the prefix adds 15.
NAME_PREFIX_MAX = 25


def name_prefix(stack: str, problems: Problems) -> str:
    prefix = f"astro-{stack.lower()}"
    message = dns_label(NAME_PREFIX_MAX)(prefix)
    if message:
        problems.add("stack name", f"'astro-<stack>' names every cloud resource and {message}; got {prefix!r}")
    return prefix


# `astronomer-dr:teardown: true` lifts every deletion guard so that `pulumi destroy` can remove a
# throwaway stack. Refused on any stack not named like one, so it can never reach production.
TEARDOWN_KEY = "teardown"
DRILL_STACK_PREFIX = "drill-"


def _teardown(ours: Mapping[str, Any], stack: str, problems: Problems) -> bool:
    full = f"{PROJECT}:{TEARDOWN_KEY}"
    raw = ours.get(TEARDOWN_KEY)
    if raw is None:
        return False
    value = raw if isinstance(raw, bool) else {"true": True, "false": False}.get(str(raw).strip().lower())
    if value is None:
        problems.add(full, f"expected true or false, got {raw!r}")
        return False
    if value and not stack.startswith(DRILL_STACK_PREFIX):
        problems.add(full, f"only a throwaway stack named {DRILL_STACK_PREFIX}<name> may be torn down (it lifts every deletion guard); this stack is {stack!r}")
        return False
    return value


def _numeric_backup_id_as_text(raw: Any) -> Any:
    """A Cloud SQL backup run id is digits: written unquoted in YAML (or set with `config set --path`)
    it arrives as a number. It is an identifier, so it is taken as its text."""
    restore = raw.get("restore") if isinstance(raw, dict) else None
    if isinstance(restore, dict) and isinstance(restore.get("backupId"), int) and not isinstance(restore["backupId"], bool):
        return {**raw, "restore": {**restore, "backupId": str(restore["backupId"])}}
    return raw


def parse_settings(config: Mapping[str, str], stack: str, now: Optional[datetime] = None) -> StackSettings:
    """Pure: turns the raw config map ('namespace:key' -> string) into settings or raises ConfigError.

    `now` (timezone-aware; default the current UTC time) is what restore times are checked against.
    """
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    problems = Problems()
    provider_config.check_namespaces(config, problems, PROJECT)
    prefix_value = name_prefix(stack, problems)
    prefix = f"{PROJECT}:"
    ours = {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}

    cloud = ours.get("cloud")
    if cloud not in SUPPORTED_CLOUDS:
        problems.add(f"{prefix}cloud", f"required: one of {', '.join(SUPPORTED_CLOUDS)}, got {cloud!r}")
        raise ConfigError(problems.items)

    object_fields = OBJECT_KEYS[cloud]
    known = ["cloud", *object_fields, *SECRET_KEYS, TEARDOWN_KEY, STANDBY_KEY]
    for key in ours:
        if key not in known:
            problems.add(prefix + key, unknown_key_message(key, known))

    objects: dict[str, Optional[dict]] = {}
    for key, fields in object_fields.items():
        full = prefix + key
        if key in OPTIONAL_OBJECTS and key not in ours:
            objects[key] = None
            continue
        raw = _decode(full, ours.get(key), problems)
        if key == "database":
            raw = _numeric_backup_id_as_text(raw)
        objects[key] = parse_object(full, raw, fields, problems)

    tls = _tls(config, problems)
    warnings = _check_tls_material(tls, objects.get("platform"), now, problems)
    teardown = _teardown(ours, stack, problems)
    standby = _standby(ours, stack, objects, problems)
    backups = _backups(cloud, config, objects, problems)
    gcp_settings = _gcp(config, objects, problems, now) if cloud == "gcp" else None
    aws_settings = _aws(config, objects, problems, now) if cloud == "aws" else None
    problems.raise_if_any()
    if teardown:
        gcp_settings = replace(gcp_settings, teardown=True) if gcp_settings else None
        aws_settings = replace(aws_settings, teardown=True) if aws_settings else None
    assert tls is not None and objects["platform"] is not None
    return StackSettings(
        cloud=cloud,
        name_prefix=prefix_value,
        platform=PlatformSettings(**objects["platform"]),
        tls=tls,
        gcp=gcp_settings,
        aws=aws_settings,
        warnings=tuple(warnings),
        standby=standby,
        backups=backups,
    )


def restore_request_problems(
    cloud: str, database: Optional[Mapping[str, Any]], restore: Mapping[str, Any], now: Optional[datetime] = None
) -> list[str]:
    """What the program would refuse about `restore` set on a stack whose `database` object (as in
    its stack file) is given: the same fields and the same window checks as `parse_settings`.
    For tools (the drill) that build a restore before any `pulumi up`. The source instance is
    taken as given (the drill reads it from the stack's outputs)."""
    now = now or datetime.now(timezone.utc)
    problems = Problems()
    if cloud not in SUPPORTED_CLOUDS:
        return [f"{PROJECT}:cloud: required: one of {', '.join(SUPPORTED_CLOUDS)}, got {cloud!r}"]
    raw = dict(database) if isinstance(database, Mapping) else {}
    raw["restore"] = {**(raw.get("restore") if isinstance(raw.get("restore"), dict) else {}), **restore, "sourceInstance": "drill-source"}
    raw["keepOriginal"] = False
    parsed = parse_object(f"{PROJECT}:database", _numeric_backup_id_as_text(raw), OBJECT_KEYS[cloud]["database"], problems)
    if parsed is not None:
        if cloud == "gcp":
            window, what, pitr = timedelta(days=GCP_TRANSACTION_LOG_DAYS), "window of Cloud SQL transaction logs", parsed["point_in_time_recovery"]
        else:
            window, what, pitr = timedelta(days=parsed["backup_retention_days"]), "backup retention (database.backupRetentionDays)", True
        _check_topology(parsed, now=now, window=window, window_what=what, problems=problems, pitr_enabled=pitr)
    return problems.items


def load_settings() -> StackSettings:
    """Reads this stack's config. The only place in the program that touches Pulumi config."""
    settings = parse_settings(all_config(), pulumi.get_stack(), now=datetime.now(timezone.utc))
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    return settings
