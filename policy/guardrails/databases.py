"""Guardrails for the databases: Cloud SQL and RDS primaries (backups, point-in-time recovery,
backups that outlive the instance, deletion protection, private networking, TLS) and their
cross-region read replicas (a standby's database)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy

from .common import (
    _KIND,
    ADVISORY,
    CLOUDSQL,
    MIN_BACKUPS,
    MIN_LOG_DAYS,
    RDS,
    UNKNOWN,
    _below,
    _blank,
    _items,
    _msg,
    _not_true,
    _resource_policy,
    _set,
    _show,
    _snake,
    get,
)

# --------------------------------------------------------------------------------------------
# Cloud SQL
# --------------------------------------------------------------------------------------------

_SQL = _KIND[CLOUDSQL]


def _cloudsql_primary(props: Mapping[str, Any]) -> bool:
    """Read replicas cannot have their own backups, PITR or final backup (the API rejects them);
    their primary carries those. Deletion protection, network and TLS still apply to them."""
    master = get(props, "masterInstanceName")
    return _blank(master) and get(props, "instanceType") != "READ_REPLICA_INSTANCE"


def _cloudsql_backups(p: Mapping[str, Any], n: str) -> Iterator[str]:
    bc = "settings.backupConfiguration"
    enabled = get(p, "settings", "backupConfiguration", "enabled")
    if _not_true(enabled):
        yield _msg(
            _SQL, n, f"automated backups are off (`{bc}.enabled` is {_show(enabled)})", _set(f"{bc}.enabled", True)
        )
    start = get(p, "settings", "backupConfiguration", "startTime")
    if _blank(start):
        yield _msg(
            _SQL, n, f"no backup window (`{bc}.startTime` is unset)", _set(f"{bc}.startTime", "03:00") + " (UTC HH:MM)"
        )
    kept = get(p, "settings", "backupConfiguration", "backupRetentionSettings", "retainedBackups")
    if _below(kept, MIN_BACKUPS):
        yield _msg(
            _SQL,
            n,
            f"fewer than {MIN_BACKUPS} automated backups retained "
            f"(`{bc}.backupRetentionSettings.retainedBackups` is {_show(kept)})",
            _set(f"{bc}.backupRetentionSettings.retainedBackups", MIN_BACKUPS, minimum=True),
        )


def _cloudsql_pitr(p: Mapping[str, Any], n: str) -> Iterator[str]:
    bc = "settings.backupConfiguration"
    pitr = get(p, "settings", "backupConfiguration", "pointInTimeRecoveryEnabled")
    if _not_true(pitr):
        yield _msg(
            _SQL,
            n,
            f"point-in-time recovery is off (`{bc}.pointInTimeRecoveryEnabled` is {_show(pitr)})",
            _set(f"{bc}.pointInTimeRecoveryEnabled", True),
        )
    days = get(p, "settings", "backupConfiguration", "transactionLogRetentionDays")
    if _below(days, MIN_LOG_DAYS):
        yield _msg(
            _SQL,
            n,
            f"transaction logs for point-in-time recovery kept fewer than "
            f"{MIN_LOG_DAYS} days (`{bc}.transactionLogRetentionDays` is {_show(days)})",
            _set(f"{bc}.transactionLogRetentionDays", MIN_LOG_DAYS, minimum=True),
        )


def _cloudsql_survive_deletion(p: Mapping[str, Any], n: str) -> Iterator[str]:
    retain = get(p, "settings", "retainBackupsOnDelete")
    if _not_true(retain):
        yield _msg(
            _SQL,
            n,
            f"its backups are deleted together with the instance (`settings.retainBackupsOnDelete` is {_show(retain)})",
            _set("settings.retainBackupsOnDelete", True),
        )
    final = get(p, "settings", "finalBackupConfig", "enabled")
    if _not_true(final):
        yield _msg(
            _SQL,
            n,
            "no final backup is taken when the instance is deleted "
            f"(`settings.finalBackupConfig.enabled` is {_show(final)})",
            _set("settings.finalBackupConfig.enabled", True)
            + f" and `settings.finalBackupConfig.retentionDays` to {MIN_BACKUPS} or more",
        )
    days = get(p, "settings", "finalBackupConfig", "retentionDays")
    if days is not None and _below(days, MIN_BACKUPS):
        yield _msg(
            _SQL,
            n,
            f"the final backup is kept fewer than {MIN_BACKUPS} days "
            f"(`settings.finalBackupConfig.retentionDays` is {_show(days)})",
            _set("settings.finalBackupConfig.retentionDays", MIN_BACKUPS, minimum=True),
        )


def _cloudsql_deletion_protection(p: Mapping[str, Any], n: str) -> Iterator[str]:
    api = get(p, "settings", "deletionProtectionEnabled")
    if _not_true(api):
        yield _msg(
            _SQL,
            n,
            f"the Cloud SQL API lets anyone delete it (`settings.deletionProtectionEnabled` is {_show(api)})",
            _set("settings.deletionProtectionEnabled", True),
        )
    pulumi_side = get(p, "deletionProtection")
    if pulumi_side is False:
        yield _msg(
            _SQL,
            n,
            "Pulumi-side deletion protection is switched off (`deletionProtection` is false)",
            _set("deletionProtection", True) + " or remove it (it defaults to true)",
        )


def _cloudsql_private_ip(p: Mapping[str, Any], n: str) -> Iterator[str]:
    ip = "settings.ipConfiguration"
    ipv4 = get(p, "settings", "ipConfiguration", "ipv4Enabled")
    if ipv4 is not UNKNOWN and ipv4 is not False:
        yield _msg(
            _SQL,
            n,
            f"it has a public IPv4 address (`{ip}.ipv4Enabled` is {_show(ipv4)}; the provider defaults it to true)",
            _set(f"{ip}.ipv4Enabled", False),
        )
    network = get(p, "settings", "ipConfiguration", "privateNetwork")
    psc = get(p, "settings", "ipConfiguration", "pscConfigs")
    psc_on = psc is UNKNOWN or any(c is UNKNOWN or get(c, "pscEnabled") in (True, UNKNOWN) for c in _items(psc))
    if _blank(network) and not psc_on:
        yield _msg(
            _SQL,
            n,
            f"it has no private IP (`{ip}.privateNetwork` is unset)",
            f"set `{ip}.privateNetwork` to the VPC's self link, e.g. "
            f'"projects/<project>/global/networks/<vpc>" (Python SDK: '
            f"`{_snake(ip)}.private_network=network.self_link`), with private services "
            "access peered to that VPC",
        )


_SSL_MODES = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")


def _cloudsql_ssl(p: Mapping[str, Any], n: str) -> Iterator[str]:
    mode = get(p, "settings", "ipConfiguration", "sslMode")
    if mode is not UNKNOWN and mode not in _SSL_MODES:
        yield _msg(
            _SQL,
            n,
            f"unencrypted connections are accepted (`settings.ipConfiguration.sslMode` is {_show(mode)})",
            _set("settings.ipConfiguration.sslMode", "ENCRYPTED_ONLY") + ' (or "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")',
        )


def _cloudsql_regional(p: Mapping[str, Any], n: str) -> Iterator[str]:
    kind = get(p, "settings", "availabilityType")
    if kind is not UNKNOWN and kind != "REGIONAL":
        yield _msg(
            _SQL,
            n,
            "it runs in a single zone: a zone outage stops the platform until a "
            f"restore (`settings.availabilityType` is {_show(kind)}). Regional HA "
            "doubles the instance cost, so this is advisory",
            _set("settings.availabilityType", "REGIONAL"),
        )


# --------------------------------------------------------------------------------------------
# RDS
# --------------------------------------------------------------------------------------------

_RDS = _KIND[RDS]


def _rds_primary(props: Mapping[str, Any]) -> bool:
    """Read replicas have no final snapshot and take their recovery from the source instance."""
    return _blank(get(props, "replicateSourceDb"))


def _rds_backups(p: Mapping[str, Any], n: str) -> Iterator[str]:
    days = get(p, "backupRetentionPeriod")
    if _below(days, MIN_BACKUPS):
        yield _msg(
            _RDS,
            n,
            f"automated backups kept fewer than {MIN_BACKUPS} days "
            f"(`backupRetentionPeriod` is {_show(days)}; 0 disables backups and "
            "point-in-time restore)",
            _set("backupRetentionPeriod", MIN_BACKUPS, minimum=True),
        )
    window = get(p, "backupWindow")
    if _blank(window):
        yield _msg(
            _RDS,
            n,
            "no backup window (`backupWindow` is unset; AWS picks a random one)",
            _set("backupWindow", "03:00-04:00") + " (UTC hh24:mi-hh24:mi, not overlapping `maintenanceWindow`)",
        )


def _rds_survive_deletion(p: Mapping[str, Any], n: str) -> Iterator[str]:
    delete = get(p, "deleteAutomatedBackups")
    if delete is not UNKNOWN and delete is not False:
        yield _msg(
            _RDS,
            n,
            "its automated backups are deleted together with the instance "
            f"(`deleteAutomatedBackups` is {_show(delete)}; it defaults to true)",
            _set("deleteAutomatedBackups", False),
        )
    skip = get(p, "skipFinalSnapshot")
    if skip is True:
        yield _msg(
            _RDS,
            n,
            "no final snapshot is taken when the instance is deleted (`skipFinalSnapshot` is true)",
            _set("skipFinalSnapshot", False),
        )
    ident = get(p, "finalSnapshotIdentifier")
    if _blank(ident):
        yield _msg(
            _RDS,
            n,
            "no final snapshot name (`finalSnapshotIdentifier` is unset, so a "
            "delete fails or, with skipFinalSnapshot, loses the data)",
            _set("finalSnapshotIdentifier", f"{n}-final"),
        )


def _rds_deletion_protection(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "deletionProtection")
    if _not_true(value):
        yield _msg(
            _RDS,
            n,
            f"the AWS API lets anyone delete it (`deletionProtection` is {_show(value)})",
            _set("deletionProtection", True),
        )


def _rds_encrypted(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "storageEncrypted")
    if _not_true(value):
        yield _msg(
            _RDS,
            n,
            "storage, backups and snapshots are unencrypted "
            f"(`storageEncrypted` is {_show(value)}; it cannot be turned on later "
            "without a snapshot-and-restore)",
            _set("storageEncrypted", True) + " (optionally with `kmsKeyId`)",
        )


def _rds_multi_az(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "multiAz")
    if _not_true(value):
        yield _msg(
            _RDS, n, f"it runs in a single Availability Zone (`multiAz` is {_show(value)})", _set("multiAz", True)
        )


def _rds_not_public(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "publiclyAccessible")
    if value is True:
        yield _msg(
            _RDS,
            n,
            "it has a public endpoint (`publiclyAccessible` is true)",
            _set("publiclyAccessible", False) + " and keep it in private subnets",
        )


# --------------------------------------------------------------------------------------------
# Read replicas (a standby's database): protected like a primary, promotable, encrypted in place
# --------------------------------------------------------------------------------------------

_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:(rds|kms):([a-z0-9-]+):")


def _cloudsql_replica(props: Mapping[str, Any]) -> bool:
    return not _blank(get(props, "masterInstanceName"))


def _cloudsql_replica_protected(p: Mapping[str, Any], n: str) -> Iterator[str]:
    for path in (("deletionProtection",), ("settings", "deletionProtectionEnabled")):
        value = get(p, *path)
        if _not_true(value):
            yield _msg(
                _SQL,
                n,
                "a standby replica is the data after a region loss and must be guarded "
                f"like its primary (`{'.'.join(path)}` is {_show(value)})",
                _set(".".join(path), True),
            )


def _cloudsql_replica_promotable(p: Mapping[str, Any], n: str) -> Iterator[str]:
    """google-beta promotes a replica only when `instance_type` changes from READ_REPLICA_INSTANCE
    to CLOUD_SQL_INSTANCE (sql/resource_sql_database_instance.go, isReplicaPromoteRequested);
    without it declared, removing `masterInstanceName` promotes nothing."""
    kind = get(p, "instanceType")
    if kind is not UNKNOWN and kind != "READ_REPLICA_INSTANCE":
        yield _msg(
            _SQL,
            n,
            "it is a read replica without `instanceType` READ_REPLICA_INSTANCE, so "
            f"failover by config cannot promote it (`instanceType` is {_show(kind)})",
            _set("instanceType", "READ_REPLICA_INSTANCE"),
        )


def _rds_replica(props: Mapping[str, Any]) -> bool:
    return not _blank(get(props, "replicateSourceDb"))


def _rds_replica_encrypted_in_its_region(p: Mapping[str, Any], n: str) -> Iterator[str]:
    """A cross-region replica (source given by ARN) of an encrypted instance needs `kmsKeyId`, a
    key of the replica's own region; `storageEncrypted` is ignored there (pulumi_aws
    rds/instance.py, docs of `replicate_source_db`, `kms_key_id`, `storage_encrypted`)."""
    source, key = get(p, "replicateSourceDb"), get(p, "kmsKeyId")
    source_region = _ARN_REGION.match(source) if isinstance(source, str) else None
    if source_region is None:
        return
    if _blank(key):
        yield _msg(
            _RDS,
            n,
            "it replicates across regions without a key of its own region (`kmsKeyId` is unset)",
            _set("kmsKeyId", "<KMS key ARN in the replica's region>"),
        )
    elif isinstance(key, str) and (m := _ARN_REGION.match(key)) and m.group(2) == source_region.group(2):
        yield _msg(
            _RDS,
            n,
            f"its `kmsKeyId` is in the source's region {m.group(2)}, which the replica must survive",
            _set("kmsKeyId", "<KMS key ARN in the replica's region>"),
        )
    value = get(p, "deletionProtection")
    if _not_true(value):
        yield _msg(
            _RDS,
            n,
            "a standby replica is the data after a region loss and must be guarded "
            f"like its primary (`deletionProtection` is {_show(value)})",
            _set("deletionProtection", True),
        )


POLICIES: list[Policy] = [
    # Cloud SQL
    _resource_policy(
        "cloudsql-automated-backups",
        f"Cloud SQL instances take daily backups in a set window and keep at least {MIN_BACKUPS}.",
        [CLOUDSQL],
        _cloudsql_backups,
        applies=_cloudsql_primary,
    ),
    _resource_policy(
        "cloudsql-point-in-time-recovery",
        f"Cloud SQL instances have point-in-time recovery with at least {MIN_LOG_DAYS} days of transaction logs.",
        [CLOUDSQL],
        _cloudsql_pitr,
        applies=_cloudsql_primary,
    ),
    _resource_policy(
        "cloudsql-backups-survive-deletion",
        "Cloud SQL backups are kept, and a final backup taken, when the instance is deleted.",
        [CLOUDSQL],
        _cloudsql_survive_deletion,
        applies=_cloudsql_primary,
    ),
    _resource_policy(
        "cloudsql-deletion-protection",
        "Cloud SQL instances have deletion protection at the API.",
        [CLOUDSQL],
        _cloudsql_deletion_protection,
    ),
    _resource_policy(
        "cloudsql-private-ip-only",
        "Cloud SQL instances have a private IP and no public IP.",
        [CLOUDSQL],
        _cloudsql_private_ip,
    ),
    _resource_policy(
        "cloudsql-ssl-required", "Cloud SQL instances refuse unencrypted connections.", [CLOUDSQL], _cloudsql_ssl
    ),
    _resource_policy(
        "cloudsql-regional-ha",
        "Cloud SQL primaries are regional (HA across zones). Advisory: a cost choice.",
        [CLOUDSQL],
        _cloudsql_regional,
        level=ADVISORY,
        applies=_cloudsql_primary,
    ),
    # RDS
    _resource_policy(
        "rds-automated-backups",
        f"RDS instances keep automated backups at least {MIN_BACKUPS} days, in a set window.",
        [RDS],
        _rds_backups,
        applies=_rds_primary,
    ),
    _resource_policy(
        "rds-backups-survive-deletion",
        "RDS automated backups are kept, and a final snapshot taken, when the instance is deleted.",
        [RDS],
        _rds_survive_deletion,
        applies=_rds_primary,
    ),
    _resource_policy(
        "rds-deletion-protection", "RDS instances have deletion protection.", [RDS], _rds_deletion_protection
    ),
    _resource_policy("rds-storage-encrypted", "RDS storage is encrypted.", [RDS], _rds_encrypted),
    # Advisory, like cloudsql-regional-ha: a standby is availability, not recoverability (restores
    # come from backups), and config accepts `database.highAvailability: false` on both clouds.
    _resource_policy(
        "rds-multi-az",
        "RDS primaries are Multi-AZ. Advisory: a cost choice.",
        [RDS],
        _rds_multi_az,
        level=ADVISORY,
        applies=_rds_primary,
    ),
    _resource_policy("rds-not-public", "RDS instances are not publicly accessible.", [RDS], _rds_not_public),
    # Read replicas (standby)
    _resource_policy(
        "cloudsql-replica-protected",
        "Cloud SQL read replicas are deletion-protected at the API and in the provider.",
        [CLOUDSQL],
        _cloudsql_replica_protected,
        applies=_cloudsql_replica,
    ),
    _resource_policy(
        "cloudsql-replica-promotable",
        "Cloud SQL read replicas declare instanceType READ_REPLICA_INSTANCE, so that a "
        "config change can promote them. Advisory: not every replica is a standby.",
        [CLOUDSQL],
        _cloudsql_replica_promotable,
        level=ADVISORY,
        applies=_cloudsql_replica,
    ),
    _resource_policy(
        "rds-replica-protected-and-encrypted-in-its-region",
        "Cross-region RDS read replicas are deletion-protected and encrypted with a key of their own region.",
        [RDS],
        _rds_replica_encrypted_in_its_region,
        applies=_rds_replica,
    ),
]
