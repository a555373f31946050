"""Velero backups of the Airflow deployments and a declared restore of them (both clouds)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .. import cron, provider_config
from ..schema import Field, Problems, between, cron_schedule, matches, velero_backup_name
from .regions import AWS_BACKUP_REPLICA_REGIONS, aws_region, default_backup_location, gcs_location
from .shared import PROJECT

# ---- Airflow deployments: Velero backups and a declared restore (both clouds) -------------------
#
# `backups` says how often the deployment namespaces are backed up, how long backups are kept and
# where the backups bucket lives; `cluster.restore` declares a Velero Restore into a new cluster.

DEFAULT_BACKUP_SCHEDULE = "0 * * * *"
MIN_DEPLOYMENT_BACKUP_DAYS = 7
MAX_RETENTION_DAYS = 365
LATEST_BACKUP = "latest"
# What a restore of the deployments takes, for the plan's recovery-time model (tools/plan/
# scenarios.py): Velero's file-system restore grows with the volume data, from minutes to over an
# hour for tens of GB (velero issues #5920, #6845); a drill measures it. A day is far beyond any
# restore the program waits for (components/platform/velero_chart.py RESTORE_TIMEOUT).
DEFAULT_EXPECTED_RESTORE_MINUTES = 15
MAX_EXPECTED_RESTORE_MINUTES = 24 * 60

BACKUPS_FIELDS: dict[str, Field] = {
    "schedule": Field(
        "str",
        "cron expression (UTC) of the deployments' backups; default hourly",
        default=DEFAULT_BACKUP_SCHEDULE,
        check=cron_schedule,
    ),
    "retentionDays": Field(
        "int",
        "days each backup is kept (Velero's ttl)",
        default=MIN_DEPLOYMENT_BACKUP_DAYS,
        check=between(MIN_DEPLOYMENT_BACKUP_DAYS, MAX_RETENTION_DAYS, "a week to notice a loss, as for the database"),
    ),
    "expectedRestoreMinutes": Field(
        "int",
        "minutes a restore of the deployments takes (their volume data; measure it with a drill): the plan's recovery-time model charges it",
        default=DEFAULT_EXPECTED_RESTORE_MINUTES,
        check=between(1, MAX_EXPECTED_RESTORE_MINUTES, "a day at most"),
    ),
    "location": Field(
        "str",
        "where the backups bucket lives, outside the stack's region: GCS multi- or dual-region (default the multi-region holding gcp:region) / S3 region (default database.backupReplicaRegion); set it before the bucket exists",
        default=None,
    ),
}


# A DNS name as resolvers take it (RFC 1035 2.3.4: labels of 1-63 letters, digits and hyphens, not
# starting or ending with a hyphen, 253 characters in all; RFC 3696 2: a top-level label is not all
# digits, so 10.0.0.256 is a bad address, not a name). Lowercase: the repoint Job compares hosts as
# the deployments' connection strings hold them, which is how the clouds return them.
_DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)


def _host_problem(v: str) -> str | None:
    try:
        ipaddress.ip_address(v)
        return None
    except ValueError:
        pass
    labels = v.split(".")
    if len(v) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return "an IP address or a lowercase DNS name"
    return None


def host_list(values: tuple[str, ...]) -> str | None:
    bad = [v for v in values if _host_problem(v)]
    return (
        f"every entry must be a database host name or IP address: an IP address or a lowercase DNS name ({', '.join(bad)} is not)"
        if bad
        else None
    )


# S3 bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html,
# general purpose buckets): 3-63 lowercase letters, digits, dots and hyphens, beginning and ending
# with a letter or digit, no two adjacent dots, not an IP address, none of the reserved prefixes
# and suffixes.
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
_S3_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# Cloud Storage bucket names (https://cloud.google.com/storage/docs/buckets#naming): lowercase
# letters, digits, hyphens, underscores and dots, beginning and ending with a letter or digit;
# 3-63 characters, or up to 222 with dots, each dot-separated part at most 63; not an IP address;
# not beginning with "goog" nor containing "google".
_GCS_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]", re.ASCII)


def _is_ip(v: str) -> bool:
    try:
        ipaddress.ip_address(v)
    except ValueError:
        return False
    return True


def bucket_name_problem(cloud: str, v: str) -> str | None:
    """Why `v` is no bucket name on `cloud`, as its storage service checks names, or None."""
    if cloud == "aws":
        if not _S3_BUCKET.fullmatch(v) or ".." in v:
            return "must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no '..'"
        if _is_ip(v) or v.startswith(_S3_PREFIXES) or v.endswith(_S3_SUFFIXES):
            return f"must be an S3 bucket name: not an IP address, no prefix {', '.join(_S3_PREFIXES)}, no suffix {', '.join(_S3_SUFFIXES)}"
        return None
    parts = v.split(".")
    if not _GCS_BUCKET.fullmatch(v) or (len(parts) == 1 and len(v) > 63) or any(len(p) > 63 or not p for p in parts):
        return "must be a Cloud Storage bucket name: 3-63 lowercase letters, digits, '-', '_' and '.' (up to 222 with dots, 63 between two), starting and ending with a letter or digit"
    if _is_ip(v) or v.startswith("goog") or "google" in v:
        return (
            "must be a Cloud Storage bucket name: not an IP address, not starting with 'goog', not containing 'google'"
        )
    return None


# A KMS key ARN of the commercial partition (components/aws_partitions.py): the bucket's key, in
# the bucket's region (an S3 bucket's SSE-KMS key lives in the bucket's region:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html). A key id is a
# UUID or a multi-Region key's `mrk-` id (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-id).
_KMS_KEY_ARN = re.compile(
    r"arn:aws:kms:([a-z0-9-]+):\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
    re.ASCII,
)


def kms_key_arn(v: str) -> str | None:
    match = _KMS_KEY_ARN.fullmatch(v)
    if not match:
        return "must be a KMS key ARN of the commercial partition such as arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    return aws_region(match.group(1))


def restore_source_problems(cloud: str, restore: Mapping[str, Any], problems: Problems) -> bool:
    """Issue 21: the source bucket by its cloud's naming rules, and on AWS its key in its region."""
    key = f"{PROJECT}:cluster.restore"
    before = len(problems.items)
    bucket = restore.get("source_bucket")
    why = bucket_name_problem(cloud, bucket) if bucket else None
    if why:
        problems.add(f"{key}.sourceBucket", f"{why}, got {bucket!r}")
    arn, region = restore.get("source_kms_key_arn"), restore.get("source_region")
    match = _KMS_KEY_ARN.fullmatch(arn) if arn else None
    if match and region and match.group(1) != region:
        problems.add(
            f"{key}.sourceKmsKeyArn",
            f"is a key of {match.group(1)}, and sourceRegion is {region}: the bucket's key is in the bucket's region, got {arn!r}",
        )
    return len(problems.items) == before


CLUSTER_RESTORE_FIELDS: dict[str, Field] = {
    "restore": Field(
        "object",
        "restore the Airflow deployments from a Velero backup into this cluster alongside the platform release",
        default=None,
        fields={
            "backup": Field(
                "str", "`latest` (the newest backup of the schedule) or a Velero backup name", check=velero_backup_name
            ),
            "sourceBucket": Field(
                "str",
                "restore from another stack's backups bucket (its `backups_bucket` output), read-only: a drill, a standby or another region's stack",
                default=None,
                check=matches(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$", "a GCS or S3 bucket name"),
            ),
            "sourceRegion": Field("str", "AWS: the region of sourceBucket", default=None, check=aws_region),
            "sourceKmsKeyArn": Field(
                "str",
                "AWS: the KMS key of sourceBucket (its stack's `backups_kms_key_arn` output)",
                default=None,
                check=kms_key_arn,
            ),
            "previousDatabaseHosts": Field(
                "list[str]",
                "database hosts the restored deployments may still point at when they come from another stack (the lost stack's database address): the repoint Job rewrites them to this stack's database",
                default=(),
                check=host_list,
            ),
            "start": Field(
                "bool",
                "start the restored deployments (false: every workload comes back at zero replicas, its pods held unscheduled and its Jobs suspended, until the operator starts them; drills restore with false)",
                default=True,
            ),
        },
    ),
}


def recorded_backup_name(v: str) -> str | None:
    if v == LATEST_BACKUP:
        return "must name the backup the restore took (`pulumi stack output deployments_restore_backup`), not `latest`"
    return velero_backup_name(v)


# A completed restore, recorded (as `database.promoted` records an applied database restore): the
# program declares no Restore for it, so nothing restores again when Velero deletes the Restore
# object with its expired backup (velero v1.18.1 pkg/controller/backup_deletion_controller.go:373-393)
# and a `pulumi up --refresh` finds it gone.
CLUSTER_RESTORED_FIELDS: dict[str, Field] = {
    "restored": Field(
        "object",
        "a completed deployments restore, recorded: rename the applied `restore` block to `restored` and set `backup` to the backup it took; declares nothing",
        default=None,
        fields={
            "backup": Field(
                "str",
                "the backup the restore took (`pulumi stack output deployments_restore_backup`)",
                check=recorded_backup_name,
            ),
            "sourceBucket": Field("str", "the bucket it came from, if another stack's", default=None),
            "sourceRegion": Field("str", "AWS: the region of sourceBucket", default=None),
            "sourceKmsKeyArn": Field("str", "AWS: the KMS key of sourceBucket", default=None),
            "previousDatabaseHosts": Field("list[str]", "the hosts the restore repointed", default=()),
        },
    ),
}


@dataclass(frozen=True)
class BackupSettings:
    """Velero backups of the Airflow deployment namespaces, and the declared restore, if any."""

    schedule: str
    retention_days: int
    # GCS location (multi-, dual- or another region) or S3 region of the backups bucket.
    location: str
    # `latest` or a Velero backup name: the Restore declared by `cluster.restore`; None: no restore.
    restore_backup: str | None = None
    # False: the restored deployments come back stopped (cluster.restore.start).
    restore_start: bool = True
    # Database hosts of another stack that the restored deployments may point at.
    previous_database_hosts: tuple[str, ...] = ()
    # Another stack's backups bucket to restore from (read-only), its region and key on AWS.
    source_bucket: str | None = None
    source_region: str | None = None
    source_kms_key_arn: str | None = None
    # The backup a completed, recorded restore took (cluster.restored): no Restore is declared.
    restored_backup: str | None = None
    # What a restore of the deployments takes (the plan's recovery-time model; nothing waits on it).
    expected_restore_minutes: int = DEFAULT_EXPECTED_RESTORE_MINUTES
    # Its bucket when another stack's (read by the deployer to say when the record can go; Velero
    # keeps no grant there once the restore is recorded).
    restored_source_bucket: str | None = None
    restored_source_region: str | None = None

    @property
    def ttl(self) -> str:
        """Velero's ttl (a Go duration) for retentionDays."""
        return f"{self.retention_days * 24}h0m0s"


def schedule_keeps_a_backup(raw: Mapping[str, object], problems: Problems) -> bool:
    """A backup must exist at all times: the longest gap between two firings of the schedule
    (components/cron.py, as Velero reads it) must be shorter than the time each backup is kept
    (Velero's ttl). At a gap as long as the ttl the last backup expires as the next one starts,
    and a backup takes minutes to complete."""
    schedule, days = raw["schedule"], raw["retention_days"]
    assert isinstance(schedule, str) and isinstance(days, int)
    gap = cron.longest_gap(cron.parse(schedule))
    if gap is not None and gap >= timedelta(days=days):
        needed = gap.days + 1
        fix = (
            f"set backups.retentionDays to {needed} or more, or back up more often"
            if needed <= MAX_RETENTION_DAYS
            else "back up more often"
        )
        problems.add(
            f"{PROJECT}:backups.schedule",
            f"{schedule!r} leaves up to {_span(gap)} between two backups, each kept {days} days "
            f"(backups.retentionDays): for part of that time no backup exists; {fix}",
        )
        return False
    return True


def _span(gap: timedelta) -> str:
    hours, minutes = gap.seconds // 3600, gap.seconds % 3600 // 60
    return " ".join(
        part
        for part in (
            f"{gap.days} days" if gap.days else "",
            f"{hours} h" if hours else "",
            f"{minutes} min" if minutes else "",
        )
        if part
    )


def parse_backups(
    cloud: str, config: Mapping[str, str], objects: dict[str, dict | None], problems: Problems
) -> BackupSettings | None:
    """The backups settings; takes `restore` out of the cluster object (it is not a cluster setting)."""
    cluster, raw = objects.get("cluster"), objects.get("backups")
    restore = cluster.pop("restore", None) if cluster else None
    restored = cluster.pop("restored", None) if cluster else None
    if raw is None:
        return None
    if restore and restored:
        problems.add(
            f"{PROJECT}:cluster.restored",
            f"records the restore of {restored['backup']}, already applied to this cluster: remove `restore` "
            "(a second restore into the same cluster finds the deployments there and restores no volume data), "
            "or, to restore again, first empty the deployment namespaces (docs/DEPLOYMENTS-RESTORE.md, "
            '"A retry") and remove `restored`',
        )
        return None
    if not schedule_keeps_a_backup(raw, problems):
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
                problems.add(
                    key,
                    f"must be a dual- or multi-region, or a region other than gcp:region ({region}): backups there are lost with the region",
                )
                return None
        else:
            multi = default_backup_location(region) if region else None
            if region and multi is None:
                problems.add(
                    key, f"required in {region} (no GCS multi-region contains it): set a dual-region or another region"
                )
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
                problems.add(
                    key, f"must be a region other than aws:region ({region}): backups there are lost with the region"
                )
                return None
        else:
            database = objects.get("database") or {}
            location = database.get("backup_replica_region") or AWS_BACKUP_REPLICA_REGIONS.get(region) or ""
            if region and not location:
                problems.add(
                    key, f"required in {region} (no default pair): name a second region for the backups bucket"
                )
                return None
    if restore and not restore_source_problems(cloud, restore, problems):
        return None
    if restore and restore["source_bucket"] and cloud == "aws":
        for field_name, key_name in (("source_region", "sourceRegion"), ("source_kms_key_arn", "sourceKmsKeyArn")):
            if not restore[field_name]:
                problems.add(
                    f"{PROJECT}:cluster.restore.{key_name}",
                    "required on AWS with sourceBucket (the bucket's region and KMS key)",
                )
                return None
    elif restore and cloud == "gcp":
        for field_name, key_name in (("source_region", "sourceRegion"), ("source_kms_key_arn", "sourceKmsKeyArn")):
            if restore[field_name]:
                problems.add(f"{PROJECT}:cluster.restore.{key_name}", "only applies on AWS")
                return None
    if restored and restored["source_bucket"] and cloud == "aws" and not restored["source_region"]:
        problems.add(
            f"{PROJECT}:cluster.restored.sourceRegion",
            "required on AWS with sourceBucket (keep the keys of the `restore` block it was renamed from)",
        )
        return None
    if restore and not restore["source_bucket"] and (restore["source_region"] or restore["source_kms_key_arn"]):
        problems.add(f"{PROJECT}:cluster.restore.sourceBucket", "required with sourceRegion / sourceKmsKeyArn")
        return None
    return BackupSettings(
        schedule=raw["schedule"],
        retention_days=raw["retention_days"],
        expected_restore_minutes=raw["expected_restore_minutes"],
        location=location,
        restore_backup=restore["backup"] if restore else None,
        restore_start=restore["start"] if restore else True,
        previous_database_hosts=restore["previous_database_hosts"] if restore else (),
        source_bucket=restore["source_bucket"] if restore else None,
        source_region=restore["source_region"] if restore else None,
        source_kms_key_arn=restore["source_kms_key_arn"] if restore else None,
        restored_backup=restored["backup"] if restored else None,
        restored_source_bucket=restored["source_bucket"] if restored else None,
        restored_source_region=restored["source_region"] if restored else None,
    )
