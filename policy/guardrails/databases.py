"""Guardrails for the databases: Cloud SQL and RDS primaries (backups, point-in-time recovery,
backups that outlive the instance, deletion protection, private networking, TLS) and their
cross-region read replicas (a standby's database)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy

from .common import (
    ADVISORY,
    CLOUDSQL,
    KIND,
    MIN_BACKUPS,
    MIN_LOG_DAYS,
    RDS,
    UNKNOWN,
    get,
    is_below,
    is_blank,
    list_items,
    not_true,
    resource_policy,
    set_hint,
    show_value,
    to_snake_case,
    violation_message,
)

# --------------------------------------------------------------------------------------------
# Cloud SQL
# --------------------------------------------------------------------------------------------

_SQL = KIND[CLOUDSQL]


def _cloudsql_primary(props: Mapping[str, Any]) -> bool:
    """Read replicas cannot have their own backups, PITR or final backup (the API rejects them);
    their primary carries those. Deletion protection, network and TLS still apply to them."""
    master = get(props, "masterInstanceName")
    return is_blank(master) and get(props, "instanceType") != "READ_REPLICA_INSTANCE"


def _cloudsql_backups(p: Mapping[str, Any], n: str) -> Iterator[str]:
    bc = "settings.backupConfiguration"
    enabled = get(p, "settings", "backupConfiguration", "enabled")
    if not_true(enabled):
        yield violation_message(
            _SQL,
            n,
            f"automated backups are off (`{bc}.enabled` is {show_value(enabled)})",
            set_hint(f"{bc}.enabled", True),
        )
    start = get(p, "settings", "backupConfiguration", "startTime")
    if is_blank(start):
        yield violation_message(
            _SQL,
            n,
            f"no backup window (`{bc}.startTime` is unset)",
            set_hint(f"{bc}.startTime", "03:00") + " (UTC HH:MM)",
        )
    kept = get(p, "settings", "backupConfiguration", "backupRetentionSettings", "retainedBackups")
    if is_below(kept, MIN_BACKUPS):
        yield violation_message(
            _SQL,
            n,
            f"fewer than {MIN_BACKUPS} automated backups retained "
            f"(`{bc}.backupRetentionSettings.retainedBackups` is {show_value(kept)})",
            set_hint(f"{bc}.backupRetentionSettings.retainedBackups", MIN_BACKUPS, minimum=True),
        )


def _cloudsql_pitr(p: Mapping[str, Any], n: str) -> Iterator[str]:
    bc = "settings.backupConfiguration"
    pitr = get(p, "settings", "backupConfiguration", "pointInTimeRecoveryEnabled")
    if not_true(pitr):
        yield violation_message(
            _SQL,
            n,
            f"point-in-time recovery is off (`{bc}.pointInTimeRecoveryEnabled` is {show_value(pitr)})",
            set_hint(f"{bc}.pointInTimeRecoveryEnabled", True),
        )
    days = get(p, "settings", "backupConfiguration", "transactionLogRetentionDays")
    if is_below(days, MIN_LOG_DAYS):
        yield violation_message(
            _SQL,
            n,
            f"transaction logs for point-in-time recovery kept fewer than "
            f"{MIN_LOG_DAYS} days (`{bc}.transactionLogRetentionDays` is {show_value(days)})",
            set_hint(f"{bc}.transactionLogRetentionDays", MIN_LOG_DAYS, minimum=True),
        )


def _cloudsql_survive_deletion(p: Mapping[str, Any], n: str) -> Iterator[str]:
    retain = get(p, "settings", "retainBackupsOnDelete")
    if not_true(retain):
        yield violation_message(
            _SQL,
            n,
            f"its backups are deleted together with the instance (`settings.retainBackupsOnDelete` is {show_value(retain)})",
            set_hint("settings.retainBackupsOnDelete", True),
        )
    final = get(p, "settings", "finalBackupConfig", "enabled")
    if not_true(final):
        yield violation_message(
            _SQL,
            n,
            "no final backup is taken when the instance is deleted "
            f"(`settings.finalBackupConfig.enabled` is {show_value(final)})",
            set_hint("settings.finalBackupConfig.enabled", True)
            + f" and `settings.finalBackupConfig.retentionDays` to {MIN_BACKUPS} or more",
        )
    days = get(p, "settings", "finalBackupConfig", "retentionDays")
    if days is not None and is_below(days, MIN_BACKUPS):
        yield violation_message(
            _SQL,
            n,
            f"the final backup is kept fewer than {MIN_BACKUPS} days "
            f"(`settings.finalBackupConfig.retentionDays` is {show_value(days)})",
            set_hint("settings.finalBackupConfig.retentionDays", MIN_BACKUPS, minimum=True),
        )


def _cloudsql_deletion_protection(p: Mapping[str, Any], n: str) -> Iterator[str]:
    api = get(p, "settings", "deletionProtectionEnabled")
    if not_true(api):
        yield violation_message(
            _SQL,
            n,
            f"the Cloud SQL API lets anyone delete it (`settings.deletionProtectionEnabled` is {show_value(api)})",
            set_hint("settings.deletionProtectionEnabled", True),
        )
    pulumi_side = get(p, "deletionProtection")
    if pulumi_side is False:
        yield violation_message(
            _SQL,
            n,
            "Pulumi-side deletion protection is switched off (`deletionProtection` is false)",
            set_hint("deletionProtection", True) + " or remove it (it defaults to true)",
        )


def _cloudsql_private_ip(p: Mapping[str, Any], n: str) -> Iterator[str]:
    ip = "settings.ipConfiguration"
    ipv4 = get(p, "settings", "ipConfiguration", "ipv4Enabled")
    if ipv4 is not UNKNOWN and ipv4 is not False:
        yield violation_message(
            _SQL,
            n,
            f"it has a public IPv4 address (`{ip}.ipv4Enabled` is {show_value(ipv4)}; the provider defaults it to true)",
            set_hint(f"{ip}.ipv4Enabled", False),
        )
    network = get(p, "settings", "ipConfiguration", "privateNetwork")
    psc = get(p, "settings", "ipConfiguration", "pscConfigs")
    psc_on = psc is UNKNOWN or any(c is UNKNOWN or get(c, "pscEnabled") in (True, UNKNOWN) for c in list_items(psc))
    if is_blank(network) and not psc_on:
        yield violation_message(
            _SQL,
            n,
            f"it has no private IP (`{ip}.privateNetwork` is unset)",
            f"set `{ip}.privateNetwork` to the VPC's self link, e.g. "
            f'"projects/<project>/global/networks/<vpc>" (Python SDK: '
            f"`{to_snake_case(ip)}.private_network=network.self_link`), with private services "
            "access peered to that VPC",
        )


_SSL_MODES = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")


def _cloudsql_ssl(p: Mapping[str, Any], n: str) -> Iterator[str]:
    mode = get(p, "settings", "ipConfiguration", "sslMode")
    if mode is not UNKNOWN and mode not in _SSL_MODES:
        yield violation_message(
            _SQL,
            n,
            f"unencrypted connections are accepted (`settings.ipConfiguration.sslMode` is {show_value(mode)})",
            set_hint("settings.ipConfiguration.sslMode", "ENCRYPTED_ONLY")
            + ' (or "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")',
        )


def _cloudsql_regional(p: Mapping[str, Any], n: str) -> Iterator[str]:
    kind = get(p, "settings", "availabilityType")
    if kind is not UNKNOWN and kind != "REGIONAL":
        yield violation_message(
            _SQL,
            n,
            "it runs in a single zone: a zone outage stops the platform until a "
            f"restore (`settings.availabilityType` is {show_value(kind)}). Regional HA "
            "doubles the instance cost, so this is advisory",
            set_hint("settings.availabilityType", "REGIONAL"),
        )


# --------------------------------------------------------------------------------------------
# RDS
# --------------------------------------------------------------------------------------------

_RDS = KIND[RDS]


def _rds_primary(props: Mapping[str, Any]) -> bool:
    """Read replicas have no final snapshot and take their recovery from the source instance."""
    return is_blank(get(props, "replicateSourceDb"))


def _rds_backups(p: Mapping[str, Any], n: str) -> Iterator[str]:
    days = get(p, "backupRetentionPeriod")
    if is_below(days, MIN_BACKUPS):
        yield violation_message(
            _RDS,
            n,
            f"automated backups kept fewer than {MIN_BACKUPS} days "
            f"(`backupRetentionPeriod` is {show_value(days)}; 0 disables backups and "
            "point-in-time restore)",
            set_hint("backupRetentionPeriod", MIN_BACKUPS, minimum=True),
        )
    window = get(p, "backupWindow")
    if is_blank(window):
        yield violation_message(
            _RDS,
            n,
            "no backup window (`backupWindow` is unset; AWS picks a random one)",
            set_hint("backupWindow", "03:00-04:00") + " (UTC hh24:mi-hh24:mi, not overlapping `maintenanceWindow`)",
        )


def _rds_survive_deletion(p: Mapping[str, Any], n: str) -> Iterator[str]:
    delete = get(p, "deleteAutomatedBackups")
    if delete is not UNKNOWN and delete is not False:
        yield violation_message(
            _RDS,
            n,
            "its automated backups are deleted together with the instance "
            f"(`deleteAutomatedBackups` is {show_value(delete)}; it defaults to true)",
            set_hint("deleteAutomatedBackups", False),
        )
    skip = get(p, "skipFinalSnapshot")
    if skip is True:
        yield violation_message(
            _RDS,
            n,
            "no final snapshot is taken when the instance is deleted (`skipFinalSnapshot` is true)",
            set_hint("skipFinalSnapshot", False),
        )
    ident = get(p, "finalSnapshotIdentifier")
    if is_blank(ident):
        yield violation_message(
            _RDS,
            n,
            "no final snapshot name (`finalSnapshotIdentifier` is unset, so a "
            "delete fails or, with skipFinalSnapshot, loses the data)",
            set_hint("finalSnapshotIdentifier", f"{n}-final"),
        )


def _rds_deletion_protection(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "deletionProtection")
    if not_true(value):
        yield violation_message(
            _RDS,
            n,
            f"the AWS API lets anyone delete it (`deletionProtection` is {show_value(value)})",
            set_hint("deletionProtection", True),
        )


def _rds_encrypted(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "storageEncrypted")
    if not_true(value):
        yield violation_message(
            _RDS,
            n,
            "storage, backups and snapshots are unencrypted "
            f"(`storageEncrypted` is {show_value(value)}; it cannot be turned on later "
            "without a snapshot-and-restore)",
            set_hint("storageEncrypted", True) + " (optionally with `kmsKeyId`)",
        )


def _rds_multi_az(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "multiAz")
    if not_true(value):
        yield violation_message(
            _RDS,
            n,
            f"it runs in a single Availability Zone (`multiAz` is {show_value(value)})",
            set_hint("multiAz", True),
        )


def _rds_not_public(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "publiclyAccessible")
    if value is True:
        yield violation_message(
            _RDS,
            n,
            "it has a public endpoint (`publiclyAccessible` is true)",
            set_hint("publiclyAccessible", False) + " and keep it in private subnets",
        )


# --------------------------------------------------------------------------------------------
# Read replicas (a standby's database): protected like a primary, promotable, encrypted in place
# --------------------------------------------------------------------------------------------

_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:(rds|kms):([a-z0-9-]+):")


def _cloudsql_replica(props: Mapping[str, Any]) -> bool:
    return not is_blank(get(props, "masterInstanceName"))


def _cloudsql_replica_protected(p: Mapping[str, Any], n: str) -> Iterator[str]:
    for path in (("deletionProtection",), ("settings", "deletionProtectionEnabled")):
        value = get(p, *path)
        if not_true(value):
            yield violation_message(
                _SQL,
                n,
                "a standby replica is the data after a region loss and must be guarded "
                f"like its primary (`{'.'.join(path)}` is {show_value(value)})",
                set_hint(".".join(path), True),
            )


def _cloudsql_replica_promotable(p: Mapping[str, Any], n: str) -> Iterator[str]:
    """google-beta promotes a replica only when `instance_type` changes from READ_REPLICA_INSTANCE
    to CLOUD_SQL_INSTANCE (sql/resource_sql_database_instance.go, isReplicaPromoteRequested);
    without it declared, removing `masterInstanceName` promotes nothing."""
    kind = get(p, "instanceType")
    if kind is not UNKNOWN and kind != "READ_REPLICA_INSTANCE":
        yield violation_message(
            _SQL,
            n,
            "it is a read replica without `instanceType` READ_REPLICA_INSTANCE, so "
            f"failover by config cannot promote it (`instanceType` is {show_value(kind)})",
            set_hint("instanceType", "READ_REPLICA_INSTANCE"),
        )


def _rds_replica(props: Mapping[str, Any]) -> bool:
    return not is_blank(get(props, "replicateSourceDb"))


def _rds_replica_encrypted_in_its_region(p: Mapping[str, Any], n: str) -> Iterator[str]:
    """A cross-region replica (source given by ARN) of an encrypted instance needs `kmsKeyId`, a
    key of the replica's own region; `storageEncrypted` is ignored there (pulumi_aws
    rds/instance.py, docs of `replicate_source_db`, `kms_key_id`, `storage_encrypted`)."""
    source, key = get(p, "replicateSourceDb"), get(p, "kmsKeyId")
    source_region = _ARN_REGION.match(source) if isinstance(source, str) else None
    if source_region is None:
        return
    if is_blank(key):
        yield violation_message(
            _RDS,
            n,
            "it replicates across regions without a key of its own region (`kmsKeyId` is unset)",
            set_hint("kmsKeyId", "<KMS key ARN in the replica's region>"),
        )
    elif isinstance(key, str) and (m := _ARN_REGION.match(key)) and m.group(2) == source_region.group(2):
        yield violation_message(
            _RDS,
            n,
            f"its `kmsKeyId` is in the source's region {m.group(2)}, which the replica must survive",
            set_hint("kmsKeyId", "<KMS key ARN in the replica's region>"),
        )
    value = get(p, "deletionProtection")
    if not_true(value):
        yield violation_message(
            _RDS,
            n,
            "a standby replica is the data after a region loss and must be guarded "
            f"like its primary (`deletionProtection` is {show_value(value)})",
            set_hint("deletionProtection", True),
        )


POLICIES: list[Policy] = [
    # Cloud SQL
    resource_policy(
        "cloudsql-automated-backups",
        f"Cloud SQL instances take daily backups in a set window and keep at least {MIN_BACKUPS}.",
        [CLOUDSQL],
        _cloudsql_backups,
        applies=_cloudsql_primary,
    ),
    resource_policy(
        "cloudsql-point-in-time-recovery",
        f"Cloud SQL instances have point-in-time recovery with at least {MIN_LOG_DAYS} days of transaction logs.",
        [CLOUDSQL],
        _cloudsql_pitr,
        applies=_cloudsql_primary,
    ),
    resource_policy(
        "cloudsql-backups-survive-deletion",
        "Cloud SQL backups are kept, and a final backup taken, when the instance is deleted.",
        [CLOUDSQL],
        _cloudsql_survive_deletion,
        applies=_cloudsql_primary,
    ),
    resource_policy(
        "cloudsql-deletion-protection",
        "Cloud SQL instances have deletion protection at the API.",
        [CLOUDSQL],
        _cloudsql_deletion_protection,
    ),
    resource_policy(
        "cloudsql-private-ip-only",
        "Cloud SQL instances have a private IP and no public IP.",
        [CLOUDSQL],
        _cloudsql_private_ip,
    ),
    resource_policy(
        "cloudsql-ssl-required", "Cloud SQL instances refuse unencrypted connections.", [CLOUDSQL], _cloudsql_ssl
    ),
    resource_policy(
        "cloudsql-regional-ha",
        "Cloud SQL primaries are regional (HA across zones). Advisory: a cost choice.",
        [CLOUDSQL],
        _cloudsql_regional,
        level=ADVISORY,
        applies=_cloudsql_primary,
    ),
    # RDS
    resource_policy(
        "rds-automated-backups",
        f"RDS instances keep automated backups at least {MIN_BACKUPS} days, in a set window.",
        [RDS],
        _rds_backups,
        applies=_rds_primary,
    ),
    resource_policy(
        "rds-backups-survive-deletion",
        "RDS automated backups are kept, and a final snapshot taken, when the instance is deleted.",
        [RDS],
        _rds_survive_deletion,
        applies=_rds_primary,
    ),
    resource_policy(
        "rds-deletion-protection", "RDS instances have deletion protection.", [RDS], _rds_deletion_protection
    ),
    resource_policy("rds-storage-encrypted", "RDS storage is encrypted.", [RDS], _rds_encrypted),
    # Advisory, like cloudsql-regional-ha: a standby is availability, not recoverability (restores
    # come from backups), and config accepts `database.highAvailability: false` on both clouds.
    resource_policy(
        "rds-multi-az",
        "RDS primaries are Multi-AZ. Advisory: a cost choice.",
        [RDS],
        _rds_multi_az,
        level=ADVISORY,
        applies=_rds_primary,
    ),
    resource_policy("rds-not-public", "RDS instances are not publicly accessible.", [RDS], _rds_not_public),
    # Read replicas (standby)
    resource_policy(
        "cloudsql-replica-protected",
        "Cloud SQL read replicas are deletion-protected at the API and in the provider.",
        [CLOUDSQL],
        _cloudsql_replica_protected,
        applies=_cloudsql_replica,
    ),
    resource_policy(
        "cloudsql-replica-promotable",
        "Cloud SQL read replicas declare instanceType READ_REPLICA_INSTANCE, so that a "
        "config change can promote them. Advisory: not every replica is a standby.",
        [CLOUDSQL],
        _cloudsql_replica_promotable,
        level=ADVISORY,
        applies=_cloudsql_replica,
    ),
    resource_policy(
        "rds-replica-protected-and-encrypted-in-its-region",
        "Cross-region RDS read replicas are deletion-protected and encrypted with a key of their own region.",
        [RDS],
        _rds_replica_encrypted_in_its_region,
        applies=_rds_replica,
    ),
]
