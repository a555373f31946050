"""DR guardrails for the Astronomer platform: the policies of the ``astronomer-dr-guardrails`` pack.

Importing this module has no side effects: it only defines policies. ``policy/__main__.py`` builds
the ``PolicyPack`` (whose constructor starts a gRPC server and blocks forever).

Policies read resources the way the Pulumi engine hands them to a policy pack:

* resource policies (``Analyze``) get the resource's *inputs*, stack policies (``AnalyzeStack``) get
  its *outputs*; both with the engine's camelCase property names, numbers as floats, wrapped in
  pulumi_policy's unknown-checking proxies (``Mapping``/``Sequence``, not ``dict``/``list``), and
  any value that is unknown during preview raises ``UnknownValueError`` when read;
* Terraform-bridged blocks with MaxItems=1 (Cloud SQL ``settings``, ``backupConfiguration``,
  ``ipConfiguration``, ``backupRetentionSettings``, ``finalBackupConfig``, GCS ``versioning`` ...)
  arrive as objects from today's SDKs and provider, but as one-element lists in states and
  programs written against older provider schemas or raw Terraform shapes. ``unwrap`` turns a
  one-element list into its element, and ``get`` applies it at every step of a path.

A value that is unknown during preview is not judged (the same policy runs again on ``pulumi up``,
when it is known); it counts as "set" for the checks that only need a value to be present.

``validate_resources`` runs every policy over plain resource dicts exactly as the engine would
(same argument objects, same property deserialisation), for tests.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

__all__ = [
    "PACK_NAME",
    "ENFORCEMENT_LEVEL",
    "POLICIES",
    "Violation",
    "validate_resources",
    "unwrap",
    "get",
    "UNKNOWN",
]

PACK_NAME = "astronomer-dr-guardrails"
# Default for the pack; every policy below also sets its own level explicitly.
ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY
MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

MIN_BACKUPS = 7  # retained automated backups / RDS retention days
MIN_LOG_DAYS = 7  # Cloud SQL transaction-log (PITR) retention days
MIN_PROMETHEUS_REPLICAS = 2

# Resource type tokens.
CLOUDSQL = "gcp:sql/databaseInstance:DatabaseInstance"
RDS = "aws:rds/instance:Instance"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
S3_BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
S3_VERSIONING = frozenset({"aws:s3/bucketVersioning:BucketVersioning",
                           "aws:s3/bucketVersioningV2:BucketVersioningV2"})
S3_PUBLIC_ACCESS_BLOCK = frozenset({"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"})
S3_SSE = frozenset({
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
})
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
DATABASES = frozenset({CLOUDSQL, RDS})
BUCKETS = frozenset({GCS_BUCKET}) | S3_BUCKETS

_KIND = {CLOUDSQL: "Cloud SQL instance", RDS: "RDS instance", GCS_BUCKET: "GCS bucket",
         HELM_RELEASE: "Helm release",
         **{t: "S3 bucket" for t in S3_BUCKETS},
         **{t: "S3 BucketVersioning" for t in S3_VERSIONING},
         **{t: "S3 BucketPublicAccessBlock" for t in S3_PUBLIC_ACCESS_BLOCK},
         **{t: "S3 BucketServerSideEncryptionConfiguration" for t in S3_SSE}}


# --------------------------------------------------------------------------------------------
# Reading engine-shaped properties
# --------------------------------------------------------------------------------------------

class _Unknown:
    """A value the engine does not know yet (preview). Never equal to anything but itself."""

    def __repr__(self) -> str:
        return "<unknown during preview>"


UNKNOWN = _Unknown()
_UNKNOWN_SENTINELS = frozenset({UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE,
                                UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE, UNKNOWN_ARCHIVE_VALUE,
                                UNKNOWN_OBJECT_VALUE})


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def unwrap(value: Any) -> Any:
    """A MaxItems=1 block in either shape: a one-element list becomes its element, an empty list
    becomes None; anything else (an object, a scalar, a longer list) is returned as it is.
    Returns ``UNKNOWN`` if the element is unknown during preview."""
    if _is_list(value):
        if len(value) == 0:
            return None
        if len(value) == 1:
            try:
                return value[0]
            except UnknownValueError:
                return UNKNOWN
    return value


def get(obj: Any, *path: str) -> Any:
    """``obj[path[0]][path[1]]...`` with ``unwrap`` applied to every block on the way.

    Returns None when a key is absent (or a block is null/empty), ``UNKNOWN`` when the value, or a
    block on the way, is unknown during preview. The final value is returned as it is (a real
    list such as ``authorizedNetworks`` stays a list)."""
    cur = obj
    try:
        for key in path:
            cur = unwrap(cur)
            if cur is UNKNOWN or (isinstance(cur, str) and cur in _UNKNOWN_SENTINELS):
                return UNKNOWN
            if not isinstance(cur, Mapping) or key not in cur:
                return None
            cur = cur[key]
    except UnknownValueError:
        return UNKNOWN
    if isinstance(cur, str) and cur in _UNKNOWN_SENTINELS:
        return UNKNOWN
    return cur


def _items(value: Any) -> List[Any]:
    """The elements of a list value (``UNKNOWN`` for unknown ones); [] if it is not a list."""
    if not _is_list(value):
        return []
    out = []
    for i in range(len(value)):
        try:
            item = value[i]
        except UnknownValueError:
            item = UNKNOWN
        out.append(UNKNOWN if isinstance(item, str) and item in _UNKNOWN_SENTINELS else item)
    return out


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _blank(value: Any) -> bool:
    """Not set: None or an empty/whitespace string. Unknown counts as set."""
    return value is None or (isinstance(value, str) and not value.strip())


def _not_true(value: Any) -> bool:
    return value is not UNKNOWN and value is not True


def _below(value: Any, minimum: float) -> bool:
    if value is UNKNOWN:
        return False
    number = _number(value)
    return number is None or number < minimum


# --------------------------------------------------------------------------------------------
# Messages: what is wrong, and the exact input and value that fix it
# --------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(path: str) -> str:
    return ".".join(_CAMEL.sub(r"_\1", part).lower() for part in path.split("."))


def _json(value: Any) -> str:
    return json.dumps(value)


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if _is_list(value) or isinstance(value, Mapping):
        try:
            return _json(_plain(value))
        except (TypeError, ValueError):
            return repr(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _json(value) if isinstance(value, (bool, int, float, str)) else repr(value)


def _plain(value: Any) -> Any:
    """A JSON-able copy of an engine value (unknowns shown as null)."""
    try:
        if isinstance(value, Mapping):
            return {k: _plain(value[k]) for k in value}
        if _is_list(value):
            return [_plain(value[i]) for i in range(len(value))]
    except UnknownValueError:
        return None
    return None if value is UNKNOWN else value


def _set(path: str, value: Any, minimum: bool = False) -> str:
    """Fix hint: the engine (camelCase) input path and the Python SDK (snake_case) spelling."""
    more = " or more" if minimum else ""
    py = repr(value) if not isinstance(value, str) else json.dumps(value)
    return f"set `{path}` to {_json(value)}{more} (Python SDK: `{_snake(path)}={py}`)"


def _msg(kind: str, name: str, problem: str, fix: str) -> str:
    return f"{kind} '{name}': {problem}. Fix: {fix}."


# --------------------------------------------------------------------------------------------
# Policy construction
# --------------------------------------------------------------------------------------------

Check = Callable[[Mapping[str, Any], str], Iterator[str]]


def _resource_policy(name: str, description: str, types: Iterable[str], check: Check,
                     level: EnforcementLevel = MANDATORY,
                     applies: Optional[Callable[[Mapping[str, Any]], bool]] = None
                     ) -> ResourceValidationPolicy:
    """A ResourceValidationPolicy that runs ``check(props, name)`` on resources of ``types`` and
    reports each message it yields."""
    types = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        if applies is not None and not applies(args.props):
            return
        for message in check(args.props, args.name):
            report_violation(message, None)

    return ResourceValidationPolicy(name=name, description=description, validate=validate,
                                    enforcement_level=level)


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
        yield _msg(_SQL, n, f"automated backups are off (`{bc}.enabled` is {_show(enabled)})",
                   _set(f"{bc}.enabled", True))
    start = get(p, "settings", "backupConfiguration", "startTime")
    if _blank(start):
        yield _msg(_SQL, n, f"no backup window (`{bc}.startTime` is unset)",
                   _set(f"{bc}.startTime", "03:00") + " (UTC HH:MM)")
    kept = get(p, "settings", "backupConfiguration", "backupRetentionSettings", "retainedBackups")
    if _below(kept, MIN_BACKUPS):
        yield _msg(_SQL, n, f"fewer than {MIN_BACKUPS} automated backups retained "
                            f"(`{bc}.backupRetentionSettings.retainedBackups` is {_show(kept)})",
                   _set(f"{bc}.backupRetentionSettings.retainedBackups", MIN_BACKUPS, minimum=True))


def _cloudsql_pitr(p: Mapping[str, Any], n: str) -> Iterator[str]:
    bc = "settings.backupConfiguration"
    pitr = get(p, "settings", "backupConfiguration", "pointInTimeRecoveryEnabled")
    if _not_true(pitr):
        yield _msg(_SQL, n, f"point-in-time recovery is off "
                            f"(`{bc}.pointInTimeRecoveryEnabled` is {_show(pitr)})",
                   _set(f"{bc}.pointInTimeRecoveryEnabled", True))
    days = get(p, "settings", "backupConfiguration", "transactionLogRetentionDays")
    if _below(days, MIN_LOG_DAYS):
        yield _msg(_SQL, n, f"transaction logs for point-in-time recovery kept fewer than "
                            f"{MIN_LOG_DAYS} days (`{bc}.transactionLogRetentionDays` is {_show(days)})",
                   _set(f"{bc}.transactionLogRetentionDays", MIN_LOG_DAYS, minimum=True))


def _cloudsql_survive_deletion(p: Mapping[str, Any], n: str) -> Iterator[str]:
    retain = get(p, "settings", "retainBackupsOnDelete")
    if _not_true(retain):
        yield _msg(_SQL, n, "its backups are deleted together with the instance "
                            f"(`settings.retainBackupsOnDelete` is {_show(retain)})",
                   _set("settings.retainBackupsOnDelete", True))
    final = get(p, "settings", "finalBackupConfig", "enabled")
    if _not_true(final):
        yield _msg(_SQL, n, "no final backup is taken when the instance is deleted "
                            f"(`settings.finalBackupConfig.enabled` is {_show(final)})",
                   _set("settings.finalBackupConfig.enabled", True)
                   + f" and `settings.finalBackupConfig.retentionDays` to {MIN_BACKUPS} or more")
    days = get(p, "settings", "finalBackupConfig", "retentionDays")
    if days is not None and _below(days, MIN_BACKUPS):
        yield _msg(_SQL, n, f"the final backup is kept fewer than {MIN_BACKUPS} days "
                            f"(`settings.finalBackupConfig.retentionDays` is {_show(days)})",
                   _set("settings.finalBackupConfig.retentionDays", MIN_BACKUPS, minimum=True))


def _cloudsql_deletion_protection(p: Mapping[str, Any], n: str) -> Iterator[str]:
    api = get(p, "settings", "deletionProtectionEnabled")
    if _not_true(api):
        yield _msg(_SQL, n, "the Cloud SQL API lets anyone delete it "
                            f"(`settings.deletionProtectionEnabled` is {_show(api)})",
                   _set("settings.deletionProtectionEnabled", True))
    pulumi_side = get(p, "deletionProtection")
    if pulumi_side is False:
        yield _msg(_SQL, n, "Pulumi-side deletion protection is switched off "
                            "(`deletionProtection` is false)",
                   _set("deletionProtection", True) + " or remove it (it defaults to true)")


def _cloudsql_private_ip(p: Mapping[str, Any], n: str) -> Iterator[str]:
    ip = "settings.ipConfiguration"
    ipv4 = get(p, "settings", "ipConfiguration", "ipv4Enabled")
    if ipv4 is not UNKNOWN and ipv4 is not False:
        yield _msg(_SQL, n, f"it has a public IPv4 address (`{ip}.ipv4Enabled` is {_show(ipv4)}; "
                            "the provider defaults it to true)",
                   _set(f"{ip}.ipv4Enabled", False))
    network = get(p, "settings", "ipConfiguration", "privateNetwork")
    psc = get(p, "settings", "ipConfiguration", "pscConfigs")
    psc_on = psc is UNKNOWN or any(
        c is UNKNOWN or get(c, "pscEnabled") in (True, UNKNOWN) for c in _items(psc))
    if _blank(network) and not psc_on:
        yield _msg(_SQL, n, f"it has no private IP (`{ip}.privateNetwork` is unset)",
                   f"set `{ip}.privateNetwork` to the VPC's self link, e.g. "
                   f"\"projects/<project>/global/networks/<vpc>\" (Python SDK: "
                   f"`{_snake(ip)}.private_network=network.self_link`), with private services "
                   "access peered to that VPC")


_SSL_MODES = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")


def _cloudsql_ssl(p: Mapping[str, Any], n: str) -> Iterator[str]:
    mode = get(p, "settings", "ipConfiguration", "sslMode")
    if mode is not UNKNOWN and mode not in _SSL_MODES:
        yield _msg(_SQL, n, "unencrypted connections are accepted "
                            f"(`settings.ipConfiguration.sslMode` is {_show(mode)})",
                   _set("settings.ipConfiguration.sslMode", "ENCRYPTED_ONLY")
                   + " (or \"TRUSTED_CLIENT_CERTIFICATE_REQUIRED\")")


def _cloudsql_regional(p: Mapping[str, Any], n: str) -> Iterator[str]:
    kind = get(p, "settings", "availabilityType")
    if kind is not UNKNOWN and kind != "REGIONAL":
        yield _msg(_SQL, n, "it runs in a single zone: a zone outage stops the platform until a "
                            f"restore (`settings.availabilityType` is {_show(kind)}). Regional HA "
                            "doubles the instance cost, so this is advisory",
                   _set("settings.availabilityType", "REGIONAL"))


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
        yield _msg(_RDS, n, f"automated backups kept fewer than {MIN_BACKUPS} days "
                            f"(`backupRetentionPeriod` is {_show(days)}; 0 disables backups and "
                            "point-in-time restore)",
                   _set("backupRetentionPeriod", MIN_BACKUPS, minimum=True))
    window = get(p, "backupWindow")
    if _blank(window):
        yield _msg(_RDS, n, "no backup window (`backupWindow` is unset; AWS picks a random one)",
                   _set("backupWindow", "03:00-04:00") + " (UTC hh24:mi-hh24:mi, not overlapping "
                   "`maintenanceWindow`)")


def _rds_survive_deletion(p: Mapping[str, Any], n: str) -> Iterator[str]:
    delete = get(p, "deleteAutomatedBackups")
    if delete is not UNKNOWN and delete is not False:
        yield _msg(_RDS, n, "its automated backups are deleted together with the instance "
                            f"(`deleteAutomatedBackups` is {_show(delete)}; it defaults to true)",
                   _set("deleteAutomatedBackups", False))
    skip = get(p, "skipFinalSnapshot")
    if skip is True:
        yield _msg(_RDS, n, "no final snapshot is taken when the instance is deleted "
                            "(`skipFinalSnapshot` is true)",
                   _set("skipFinalSnapshot", False))
    ident = get(p, "finalSnapshotIdentifier")
    if _blank(ident):
        yield _msg(_RDS, n, "no final snapshot name (`finalSnapshotIdentifier` is unset, so a "
                            "delete fails or, with skipFinalSnapshot, loses the data)",
                   _set("finalSnapshotIdentifier", f"{n}-final"))


def _rds_deletion_protection(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "deletionProtection")
    if _not_true(value):
        yield _msg(_RDS, n, f"the AWS API lets anyone delete it (`deletionProtection` is {_show(value)})",
                   _set("deletionProtection", True))


def _rds_encrypted(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "storageEncrypted")
    if _not_true(value):
        yield _msg(_RDS, n, "storage, backups and snapshots are unencrypted "
                            f"(`storageEncrypted` is {_show(value)}; it cannot be turned on later "
                            "without a snapshot-and-restore)",
                   _set("storageEncrypted", True) + " (optionally with `kmsKeyId`)")


def _rds_multi_az(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "multiAz")
    if _not_true(value):
        yield _msg(_RDS, n, f"it runs in a single Availability Zone (`multiAz` is {_show(value)})",
                   _set("multiAz", True))


def _rds_not_public(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "publiclyAccessible")
    if value is True:
        yield _msg(_RDS, n, "it has a public endpoint (`publiclyAccessible` is true)",
                   _set("publiclyAccessible", False) + " and keep it in private subnets")


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
            yield _msg(_SQL, n, "a standby replica is the data after a region loss and must be guarded "
                                f"like its primary (`{'.'.join(path)}` is {_show(value)})",
                       _set(".".join(path), True))


def _cloudsql_replica_promotable(p: Mapping[str, Any], n: str) -> Iterator[str]:
    """google-beta promotes a replica only when `instance_type` changes from READ_REPLICA_INSTANCE
    to CLOUD_SQL_INSTANCE (sql/resource_sql_database_instance.go, isReplicaPromoteRequested);
    without it declared, removing `masterInstanceName` promotes nothing."""
    kind = get(p, "instanceType")
    if kind is not UNKNOWN and kind != "READ_REPLICA_INSTANCE":
        yield _msg(_SQL, n, "it is a read replica without `instanceType` READ_REPLICA_INSTANCE, so "
                            f"failover by config cannot promote it (`instanceType` is {_show(kind)})",
                   _set("instanceType", "READ_REPLICA_INSTANCE"))


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
        yield _msg(_RDS, n, "it replicates across regions without a key of its own region "
                            "(`kmsKeyId` is unset)", _set("kmsKeyId", "<KMS key ARN in the replica's region>"))
    elif isinstance(key, str) and (m := _ARN_REGION.match(key)) and m.group(2) == source_region.group(2):
        yield _msg(_RDS, n, f"its `kmsKeyId` is in the source's region {m.group(2)}, which the replica "
                            "must survive", _set("kmsKeyId", "<KMS key ARN in the replica's region>"))
    value = get(p, "deletionProtection")
    if _not_true(value):
        yield _msg(_RDS, n, "a standby replica is the data after a region loss and must be guarded "
                            f"like its primary (`deletionProtection` is {_show(value)})",
                   _set("deletionProtection", True))


# --------------------------------------------------------------------------------------------
# GCS buckets
# --------------------------------------------------------------------------------------------

_GCS = _KIND[GCS_BUCKET]
_KMS_KEY = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")


def _gcs_versioning(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "versioning", "enabled")
    if _not_true(value):
        yield _msg(_GCS, n, "object versioning is off, so an overwrite or delete loses the "
                            f"object (`versioning.enabled` is {_show(value)})",
                   _set("versioning.enabled", True))


def _gcs_public_access(p: Mapping[str, Any], n: str) -> Iterator[str]:
    pap = get(p, "publicAccessPrevention")
    if pap is not UNKNOWN and pap != "enforced":
        yield _msg(_GCS, n, "public access is not blocked "
                            f"(`publicAccessPrevention` is {_show(pap)}; unset means \"inherited\")",
                   _set("publicAccessPrevention", "enforced"))
    ubla = get(p, "uniformBucketLevelAccess")
    if _not_true(ubla):
        yield _msg(_GCS, n, "object ACLs can grant access around the bucket's IAM "
                            f"(`uniformBucketLevelAccess` is {_show(ubla)})",
                   _set("uniformBucketLevelAccess", True))


_GCS_ENFORCEMENT = ("customerManagedEncryptionEnforcementConfig",
                    "customerSuppliedEncryptionEnforcementConfig",
                    "googleManagedEncryptionEnforcementConfig")


def _gcs_encryption(p: Mapping[str, Any], n: str) -> Iterator[str]:
    block = get(p, "encryption")
    if block is None or block is UNKNOWN:
        return  # Google-managed encryption at rest: always on, nothing to configure.
    key = get(p, "encryption", "defaultKmsKeyName")
    others = [k for k in _GCS_ENFORCEMENT if get(p, "encryption", k) is not None]
    note = ("Cloud Storage always encrypts objects at rest with Google-managed keys, so a bucket "
            "without an `encryption` block passes; this policy only rejects a malformed block")
    if not isinstance(unwrap(block), Mapping):
        yield _msg(_GCS, n, f"`encryption` is not an object ({_show(block)}). {note}",
                   "remove `encryption`, or set `encryption.defaultKmsKeyName` to "
                   "\"projects/<p>/locations/<loc>/keyRings/<ring>/cryptoKeys/<key>\"")
    elif _blank(key) and key is not UNKNOWN and not others:
        yield _msg(_GCS, n, f"the `encryption` block is empty (no `defaultKmsKeyName`). {note}",
                   "remove `encryption`, or set `encryption.defaultKmsKeyName` to "
                   "\"projects/<p>/locations/<loc>/keyRings/<ring>/cryptoKeys/<key>\" "
                   "(Python SDK: `encryption={\"default_kms_key_name\": key.id}`)")
    elif isinstance(key, str) and key.strip() and not _KMS_KEY.match(key):
        yield _msg(_GCS, n, f"`encryption.defaultKmsKeyName` is not a Cloud KMS key name "
                            f"({_show(key)}). {note}",
                   "set `encryption.defaultKmsKeyName` to "
                   "\"projects/<p>/locations/<loc>/keyRings/<ring>/cryptoKeys/<key>\" "
                   "(Python SDK: `default_kms_key_name=crypto_key.id`)")


def _gcs_no_force_destroy(p: Mapping[str, Any], n: str) -> Iterator[str]:
    if get(p, "forceDestroy") is True:
        yield _msg(_GCS, n, "deleting the bucket would delete every object in it "
                            "(`forceDestroy` is true)",
                   _set("forceDestroy", False) + " or remove it")


# --------------------------------------------------------------------------------------------
# S3 buckets (pulumi-aws 7: the bucket and its settings are separate resources)
# --------------------------------------------------------------------------------------------

_S3 = "S3 bucket"
_PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
_SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def _s3_no_force_destroy(p: Mapping[str, Any], n: str) -> Iterator[str]:
    if get(p, "forceDestroy") is True:
        yield _msg(_S3, n, "deleting the bucket would delete every object in it "
                           "(`forceDestroy` is true)",
                   _set("forceDestroy", False) + " or remove it")


def _versioning_problem(p: Mapping[str, Any]) -> Optional[str]:
    status = get(p, "versioningConfiguration", "status")
    if status is UNKNOWN or status == "Enabled":
        return None
    return f"`versioningConfiguration.status` is {_show(status)}"


def _pab_problem(p: Mapping[str, Any]) -> Optional[str]:
    off = [f for f in _PAB_FLAGS if _not_true(get(p, f))]
    if not off:
        return None
    return "not true: " + ", ".join(f"`{f}`" for f in off)


def _sse_problem(p: Mapping[str, Any]) -> Optional[str]:
    rules = get(p, "rules")
    if rules is UNKNOWN:
        return None
    if not _items(rules):
        return "`rules` is empty"
    for index, rule in enumerate(_items(rules)):
        algorithm = get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if algorithm is not UNKNOWN and algorithm not in _SSE_ALGORITHMS:
            return (f"`rules[{index}].applyServerSideEncryptionByDefault.sseAlgorithm` is "
                    f"{_show(algorithm)}")
    return None


_VERSIONING_FIX = _set("versioningConfiguration.status", "Enabled")
_PAB_FIX = ("set `blockPublicAcls`, `blockPublicPolicy`, `ignorePublicAcls` and "
            "`restrictPublicBuckets` all to true (Python SDK: `block_public_acls=True, "
            "block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True`)")
_SSE_FIX = ("set `rules` to [{\"applyServerSideEncryptionByDefault\": {\"sseAlgorithm\": "
            "\"aws:kms\"}}] (or \"AES256\"; Python SDK: `rules=[{\"apply_server_side_encryption_"
            "by_default\": {\"sse_algorithm\": \"aws:kms\"}}]`)")


def _s3_versioning(p: Mapping[str, Any], n: str) -> Iterator[str]:
    problem = _versioning_problem(p)
    if problem:
        yield _msg(_KIND["aws:s3/bucketVersioning:BucketVersioning"], n,
                   f"versioning of bucket {_show(get(p, 'bucket'))} is not on ({problem})", _VERSIONING_FIX)


def _s3_public_access(p: Mapping[str, Any], n: str) -> Iterator[str]:
    problem = _pab_problem(p)
    if problem:
        yield _msg(_KIND["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"], n,
                   f"public access to bucket {_show(get(p, 'bucket'))} is not fully blocked ({problem})",
                   _PAB_FIX)


def _s3_encryption(p: Mapping[str, Any], n: str) -> Iterator[str]:
    problem = _sse_problem(p)
    if problem:
        yield _msg("S3 BucketServerSideEncryptionConfiguration", n,
                   f"no valid default encryption for bucket {_show(get(p, 'bucket'))} ({problem})",
                   _SSE_FIX)


# (types, what, problem-finder, how to add one) for the stack-level S3 companion check.
_S3_COMPANIONS = (
    (S3_VERSIONING, "`aws.s3.BucketVersioning` with status \"Enabled\"", _versioning_problem,
     "add `aws.s3.BucketVersioning(..., bucket=<bucket>.id, versioning_configuration="
     "{\"status\": \"Enabled\"})`"),
    (S3_PUBLIC_ACCESS_BLOCK, "`aws.s3.BucketPublicAccessBlock` with all four flags true",
     _pab_problem,
     "add `aws.s3.BucketPublicAccessBlock(..., bucket=<bucket>.id, block_public_acls=True, "
     "block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)`"),
    (S3_SSE, "valid `aws.s3.BucketServerSideEncryptionConfiguration`", _sse_problem,
     "add `aws.s3.BucketServerSideEncryptionConfiguration(..., bucket=<bucket>.id, rules=[{"
     "\"apply_server_side_encryption_by_default\": {\"sse_algorithm\": \"aws:kms\"}}])`"),
)


def _bucket_keys(bucket: PolicyResource) -> set:
    keys = set()
    for prop in ("bucket", "id"):
        value = get(bucket.props, prop)
        if isinstance(value, str) and value:
            keys.add(value)
    return keys


def _targets(companion: PolicyResource, bucket: PolicyResource, keys: set) -> bool:
    """The companion's `bucket` input names this bucket: by value (the bucket's name or id), or,
    when the value is unknown during preview, by the engine's property dependency on it."""
    if any(dep.urn == bucket.urn for dep in companion.property_dependencies.get("bucket", [])):
        return True
    value = get(companion.props, "bucket")
    return isinstance(value, str) and value in keys


def _validate_s3_companions(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets = [r for r in args.resources if r.resource_type in S3_BUCKETS]
    for bucket in buckets:
        keys = _bucket_keys(bucket)
        for types, what, problem_of, how in _S3_COMPANIONS:
            linked = [r for r in args.resources
                      if r.resource_type in types and _targets(r, bucket, keys)]
            if any(problem_of(r.props) is None for r in linked):
                continue
            found = "; ".join(f"'{r.name}': {problem_of(r.props)}" for r in linked)
            problem = f"it has no {what} linked by its `bucket` input" + (
                f" (found {found})" if found else "")
            report_violation(_msg(_S3, bucket.name, problem, how), bucket.urn)


# --------------------------------------------------------------------------------------------
# The Astronomer Helm release
# --------------------------------------------------------------------------------------------

_HELM = "Helm release"
_EXACT_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                           r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$")


def _is_astronomer(props: Mapping[str, Any]) -> bool:
    """`chart` is "astronomer", "<repo alias>/astronomer", an OCI/URL ending in /astronomer, or
    an astronomer-<version>.tgz archive."""
    chart = get(props, "chart")
    if not isinstance(chart, str):
        return False
    last = chart.rstrip("/").rsplit("/", 1)[-1]
    return last == "astronomer" or bool(re.match(r"^astronomer-\d[^/]*\.tgz$", last))


def _helm_prometheus(p: Mapping[str, Any], n: str) -> Iterator[str]:
    replicas = get(p, "values", "prometheus", "replicas")
    if _below(replicas, MIN_PROMETHEUS_REPLICAS):
        yield _msg(_HELM, n, "Prometheus runs a single replica (`values.prometheus.replicas` is "
                             f"{_show(replicas)}; the chart default is 1)",
                   f"set `values.prometheus.replicas` to {MIN_PROMETHEUS_REPLICAS} or more (and "
                   "`values.prometheus.sessionAffinity` to \"ClientIP\", with `affinity` spreading "
                   "the pods across zones)")


def _helm_registry(p: Mapping[str, Any], n: str) -> Iterator[str]:
    reg = "values.astronomer.registry"
    enabled = [store for store in ("gcs", "s3")
               if get(p, "values", "astronomer", "registry", store, "enabled") in (True, UNKNOWN)]
    if not enabled:
        yield _msg(_HELM, n, "the image registry stores images on a pod volume that a rebuild "
                             f"loses (neither `{reg}.gcs.enabled` nor `{reg}.s3.enabled` is true)",
                   f"set `{reg}.gcs.enabled` to true with `{reg}.gcs.bucket` (GCP) or "
                   f"`{reg}.s3.enabled` to true with `{reg}.s3.bucket` and `{reg}.s3.region` (AWS)")
        return
    for store in enabled:
        bucket = get(p, "values", "astronomer", "registry", store, "bucket")
        if _blank(bucket):
            yield _msg(_HELM, n, f"`{reg}.{store}.enabled` is true but `{reg}.{store}.bucket` is "
                                 "unset", f"set `{reg}.{store}.bucket` to the registry bucket's name")


def _helm_external_db(p: Mapping[str, Any], n: str) -> Iterator[str]:
    enabled = get(p, "values", "global", "postgresql", "enabled")
    if enabled is not UNKNOWN and enabled is not False:
        yield _msg(_HELM, n, "the platform database is not declared external "
                             f"(`values.global.postgresql.enabled` is {_show(enabled)}; an "
                             "in-cluster PostgreSQL dies with the cluster)",
                   "set `values.global.postgresql.enabled` to false explicitly and provide the "
                   "`astronomer-bootstrap` Secret pointing at Cloud SQL / RDS")
    legacy = get(p, "values", "global", "postgresqlEnabled")
    if legacy is True:
        yield _msg(_HELM, n, "`values.global.postgresqlEnabled` (the 0.x/1.x key) is true",
                   "remove `values.global.postgresqlEnabled` and set "
                   "`values.global.postgresql.enabled` to false")


def _helm_pinned(p: Mapping[str, Any], n: str) -> Iterator[str]:
    chart = get(p, "chart")
    if isinstance(chart, str) and chart.endswith(".tgz"):
        return  # a chart archive is one exact version
    version = get(p, "version")
    if version is UNKNOWN:
        return
    if not isinstance(version, str) or not _EXACT_SEMVER.match(version.strip()):
        yield _msg(_HELM, n, "the chart version is not pinned "
                             f"(`version` is {_show(version)}; a range or an empty version lets a "
                             "rebuild install a different chart)",
                   _set("version", "2.1.0") + " (an exact MAJOR.MINOR.PATCH version)")


# --------------------------------------------------------------------------------------------
# Velero: the Airflow deployments' backups
# --------------------------------------------------------------------------------------------

VELERO_SCHEDULE = "kubernetes:velero.io/v1:Schedule"
MIN_DEPLOYMENT_BACKUP_HOURS = 7 * 24
_GO_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def go_duration_hours(text: str) -> Optional[float]:
    """Hours in a Go duration as Velero's ttl takes it (`168h0m0s`, `720h`, `90m`); None if not one."""
    match = _GO_DURATION.match(text or "")
    if not match or not any(match.groups()):
        return None
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return h + m / 60 + s / 3600


def _velero_schedule_retention(p: Mapping[str, Any], n: str) -> Iterator[str]:
    ttl = get(p, "spec", "template", "ttl")
    if ttl is UNKNOWN:
        return
    hours = go_duration_hours(ttl) if isinstance(ttl, str) else None
    if hours is None or hours < MIN_DEPLOYMENT_BACKUP_HOURS:
        yield _msg("Velero schedule", n,
                   f"its backups are kept {_show(ttl) if ttl is not None else 'for the server default'}, "
                   f"less than {MIN_DEPLOYMENT_BACKUP_HOURS // 24} days (or not set explicitly)",
                   _set("spec.template.ttl", f"{MIN_DEPLOYMENT_BACKUP_HOURS}h0m0s", minimum=True))


# --------------------------------------------------------------------------------------------
# Stack level: protect
# --------------------------------------------------------------------------------------------

def _validate_protected(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for r in args.resources:
        if r.resource_type not in DATABASES and r.resource_type not in BUCKETS:
            continue
        if r.opts is not None and r.opts.protect:
            continue
        kind = _KIND.get(r.resource_type, r.resource_type)
        report_violation(
            _msg(kind, r.name, "it is not protected, so `pulumi destroy` or a refactor that drops "
                               "it from the program deletes it",
                 "register it with the resource option `protect: true` (Python SDK: "
                 "`opts=pulumi.ResourceOptions(protect=True)`), or run `pulumi state protect "
                 f"'{r.urn}'`"),
            r.urn)


# --------------------------------------------------------------------------------------------
# The policies
# --------------------------------------------------------------------------------------------

POLICIES: List[Policy] = [
    # Cloud SQL
    _resource_policy("cloudsql-automated-backups",
                     f"Cloud SQL instances take daily backups in a set window and keep at least "
                     f"{MIN_BACKUPS}.", [CLOUDSQL], _cloudsql_backups, applies=_cloudsql_primary),
    _resource_policy("cloudsql-point-in-time-recovery",
                     f"Cloud SQL instances have point-in-time recovery with at least "
                     f"{MIN_LOG_DAYS} days of transaction logs.", [CLOUDSQL], _cloudsql_pitr,
                     applies=_cloudsql_primary),
    _resource_policy("cloudsql-backups-survive-deletion",
                     "Cloud SQL backups are kept, and a final backup taken, when the instance is "
                     "deleted.", [CLOUDSQL], _cloudsql_survive_deletion, applies=_cloudsql_primary),
    _resource_policy("cloudsql-deletion-protection",
                     "Cloud SQL instances have deletion protection at the API.", [CLOUDSQL],
                     _cloudsql_deletion_protection),
    _resource_policy("cloudsql-private-ip-only",
                     "Cloud SQL instances have a private IP and no public IP.", [CLOUDSQL],
                     _cloudsql_private_ip),
    _resource_policy("cloudsql-ssl-required",
                     "Cloud SQL instances refuse unencrypted connections.", [CLOUDSQL],
                     _cloudsql_ssl),
    _resource_policy("cloudsql-regional-ha",
                     "Cloud SQL primaries are regional (HA across zones). Advisory: a cost choice.",
                     [CLOUDSQL], _cloudsql_regional, level=ADVISORY, applies=_cloudsql_primary),
    # RDS
    _resource_policy("rds-automated-backups",
                     f"RDS instances keep automated backups at least {MIN_BACKUPS} days, in a set "
                     "window.", [RDS], _rds_backups, applies=_rds_primary),
    _resource_policy("rds-backups-survive-deletion",
                     "RDS automated backups are kept, and a final snapshot taken, when the "
                     "instance is deleted.", [RDS], _rds_survive_deletion, applies=_rds_primary),
    _resource_policy("rds-deletion-protection", "RDS instances have deletion protection.", [RDS],
                     _rds_deletion_protection),
    _resource_policy("rds-storage-encrypted", "RDS storage is encrypted.", [RDS], _rds_encrypted),
    # Advisory, like cloudsql-regional-ha: a standby is availability, not recoverability (restores
    # come from backups), and config accepts `database.highAvailability: false` on both clouds.
    _resource_policy("rds-multi-az", "RDS primaries are Multi-AZ. Advisory: a cost choice.", [RDS],
                     _rds_multi_az, level=ADVISORY, applies=_rds_primary),
    _resource_policy("rds-not-public", "RDS instances are not publicly accessible.", [RDS],
                     _rds_not_public),
    # Read replicas (standby)
    _resource_policy("cloudsql-replica-protected",
                     "Cloud SQL read replicas are deletion-protected at the API and in the provider.",
                     [CLOUDSQL], _cloudsql_replica_protected, applies=_cloudsql_replica),
    _resource_policy("cloudsql-replica-promotable",
                     "Cloud SQL read replicas declare instanceType READ_REPLICA_INSTANCE, so that a "
                     "config change can promote them. Advisory: not every replica is a standby.",
                     [CLOUDSQL], _cloudsql_replica_promotable, level=ADVISORY, applies=_cloudsql_replica),
    _resource_policy("rds-replica-protected-and-encrypted-in-its-region",
                     "Cross-region RDS read replicas are deletion-protected and encrypted with a key "
                     "of their own region.", [RDS], _rds_replica_encrypted_in_its_region,
                     applies=_rds_replica),
    # GCS
    _resource_policy("gcs-bucket-versioning", "GCS buckets have object versioning on.",
                     [GCS_BUCKET], _gcs_versioning),
    _resource_policy("gcs-bucket-public-access-blocked",
                     "GCS buckets enforce public access prevention and uniform bucket-level "
                     "access.", [GCS_BUCKET], _gcs_public_access),
    _resource_policy("gcs-bucket-encryption",
                     "GCS buckets are encrypted at rest (always true; a malformed `encryption` "
                     "block is rejected).", [GCS_BUCKET], _gcs_encryption),
    _resource_policy("gcs-bucket-no-force-destroy", "GCS buckets do not set forceDestroy.",
                     [GCS_BUCKET], _gcs_no_force_destroy),
    # S3
    _resource_policy("s3-bucket-no-force-destroy", "S3 buckets do not set forceDestroy.",
                     S3_BUCKETS, _s3_no_force_destroy),
    _resource_policy("s3-bucket-versioning-enabled",
                     "S3 BucketVersioning resources have status Enabled.", S3_VERSIONING,
                     _s3_versioning),
    _resource_policy("s3-public-access-block-complete",
                     "S3 BucketPublicAccessBlock resources set all four flags to true.",
                     S3_PUBLIC_ACCESS_BLOCK, _s3_public_access),
    _resource_policy("s3-bucket-encryption-valid",
                     "S3 server-side encryption configurations have a rule with a valid "
                     "algorithm.", S3_SSE, _s3_encryption),
    StackValidationPolicy(
        name="s3-bucket-companions",
        description="Every S3 bucket has versioning Enabled, a complete public access block and a "
                    "server-side encryption configuration (separate resources in pulumi-aws 7).",
        validate=_validate_s3_companions, enforcement_level=MANDATORY),
    # Astronomer Helm release
    _resource_policy("astronomer-prometheus-ha",
                     f"The Astronomer release runs Prometheus with at least "
                     f"{MIN_PROMETHEUS_REPLICAS} replicas.", [HELM_RELEASE], _helm_prometheus,
                     applies=_is_astronomer),
    _resource_policy("astronomer-registry-object-storage",
                     "The Astronomer registry stores images in a GCS or S3 bucket.",
                     [HELM_RELEASE], _helm_registry, applies=_is_astronomer),
    _resource_policy("astronomer-external-database",
                     "The Astronomer release uses an external database "
                     "(global.postgresql.enabled: false).", [HELM_RELEASE], _helm_external_db,
                     applies=_is_astronomer),
    _resource_policy("astronomer-chart-version-pinned",
                     "The Astronomer chart version is pinned to an exact version.",
                     [HELM_RELEASE], _helm_pinned, applies=_is_astronomer),
    # Velero
    _resource_policy("velero-schedule-keeps-a-week",
                     f"Velero schedules keep each backup at least {MIN_DEPLOYMENT_BACKUP_HOURS // 24} days "
                     "(spec.template.ttl).", [VELERO_SCHEDULE], _velero_schedule_retention),
    # Stack level
    StackValidationPolicy(
        name="dr-resources-protected",
        description="Every database (Cloud SQL, RDS) and registry bucket (GCS, S3) is protected.",
        validate=_validate_protected, enforcement_level=MANDATORY),
]


# --------------------------------------------------------------------------------------------
# Running the pack without the engine (tests)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Violation:
    """One diagnostic, as the engine would print it (its message is prefixed by the policy's
    description there)."""

    policy: str
    enforcement_level: EnforcementLevel
    urn: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == MANDATORY


def _engine_props(props: Optional[Mapping[str, Any]]) -> Mapping[str, Any]:
    """Props as the pack's gRPC server builds them: protobuf Struct -> dict (numbers become
    floats) -> deserialize_properties -> unknown-checking proxy."""
    struct = struct_pb2.Struct()
    struct.update(dict(props or {}))
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def _options(resource: Mapping[str, Any]) -> PolicyResourceOptions:
    return PolicyResourceOptions(bool(resource.get("protect", False)), [], None, [],
                                 PolicyCustomTimeouts(0, 0, 0), [], resource.get("parent"))


def _run(policy: Policy, args: Any, level: EnforcementLevel, default_urn: str,
         out: List[Violation]) -> None:
    def report_violation(message: str, urn: Optional[str] = None) -> None:
        out.append(Violation(policy.name, level, urn or default_urn, message))

    try:
        result = policy.validate(args, report_violation)  # type: ignore[attr-defined]
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(result)
            finally:
                loop.close()
    except UnknownValueError as e:  # what the engine reports instead
        out.append(Violation(policy.name, ADVISORY, "",
                             f"can't run policy '{policy.name}' during preview: {e.message}"))


def validate_resources(resources: Iterable[Mapping[str, Any]], *,
                       policies: Optional[Iterable[Policy]] = None) -> List[Violation]:
    """Run every resource policy on every resource, then every stack policy on all of them, the
    way the engine does (ResourceValidationArgs / StackValidationArgs / PolicyResource built from
    engine-shaped properties). Returns every violation, advisory ones included.

    A resource is a dict::

        {"type": "gcp:sql/databaseInstance:DatabaseInstance",   # type token
         "name": "astro-db",                                    # resource name
         "urn": "urn:pulumi:gcp::astronomer-dr::...::astro-db", # optional (made up if absent)
         "props": {...},        # inputs, camelCase (e.g. MockResourceArgs.inputs)
         "protect": True,       # optional, default False
         # optional, for the stack policies (the engine gives them outputs, not inputs):
         "outputs": {...},      # merged over props, e.g. {"id": ...} returned by the mock
         "parent": urn, "dependencies": [urn, ...],
         "property_dependencies": {"bucket": [urn, ...]}}
    """
    items: List[Dict[str, Any]] = []
    for r in resources:
        item = dict(r)
        item.setdefault("urn", f"urn:pulumi:stack::project::{item['type']}::{item['name']}")
        items.append(item)

    out: List[Violation] = []
    for policy in (POLICIES if policies is None else list(policies)):
        level = policy.enforcement_level or ENFORCEMENT_LEVEL
        if level == EnforcementLevel.DISABLED:
            continue
        if level == EnforcementLevel.REMEDIATE:
            level = MANDATORY
        if isinstance(policy, ResourceValidationPolicy):
            for r in items:
                args = ResourceValidationArgs(r["type"], _engine_props(r.get("props")), r["urn"],
                                              r["name"], _options(r), None, None, {})
                _run(policy, args, level, r["urn"], out)
        elif isinstance(policy, StackValidationPolicy):
            _run(policy, StackValidationArgs(_stack_resources(items), None, {}), level, "", out)
    return out


def _stack_resources(items: List[Dict[str, Any]]) -> List[PolicyResource]:
    by_urn: Dict[str, PolicyResource] = {}
    for r in items:
        props = {**(r.get("props") or {}), **(r.get("outputs") or {})}
        by_urn[r["urn"]] = PolicyResource(r["type"], _engine_props(props), r["urn"], r["name"],
                                          _options(r), None, None, [], {})
    for r in items:
        res = by_urn[r["urn"]]
        res.parent = by_urn.get(r.get("parent") or "")
        res.dependencies = [by_urn[u] for u in r.get("dependencies", []) if u in by_urn]
        res.property_dependencies = {k: [by_urn[u] for u in v if u in by_urn]
                                     for k, v in (r.get("property_dependencies") or {}).items()}
    return list(by_urn.values())


# --------------------------------------------------------------------------------------------
# Security (issue 12): enforced NetworkPolicies, least-privileged nodes, nodes that roll, TLS to
# S3; and the exposure choices (advisory: reaching the platform from anywhere is the user's call)
# --------------------------------------------------------------------------------------------

GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_ADDON = "aws:eks/addon:Addon"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
S3_BUCKET_POLICY = frozenset({"aws:s3/bucketPolicy:BucketPolicy"})
_ANYWHERE = {"0.0.0.0/0", "::/0"}


def _open_to_all(cidrs: Any) -> bool:
    """No list (or an empty one) or a list containing 0.0.0.0/0: reachable from anywhere."""
    if cidrs is UNKNOWN:
        return False
    values = [c for c in _items(cidrs) if isinstance(c, str)]
    return not values or any(c in _ANYWHERE for c in values)


def _gke_network_policy(p: Mapping[str, Any], n: str) -> Iterator[str]:
    datapath = get(p, "datapathProvider")
    enabled = get(p, "networkPolicy", "enabled")
    if datapath in ("ADVANCED_DATAPATH", UNKNOWN) or enabled in (True, UNKNOWN):
        return
    yield _msg("GKE cluster", n, "NetworkPolicies are accepted but not enforced (no Dataplane V2, "
                                 "no network policy enforcement): the chart's default-deny and "
                                 "per-component policies do nothing",
               _set("datapathProvider", "ADVANCED_DATAPATH") + " on a new cluster (ForceNew), or "
               "`networkPolicy: {enabled: true, provider: \"CALICO\"}` with "
               "`addonsConfig.networkPolicyConfig.disabled: false` on an existing one")


def _gke_node_identity(p: Mapping[str, Any], n: str) -> Iterator[str]:
    account = get(p, "nodeConfig", "serviceAccount")
    if account is UNKNOWN:
        return
    if _blank(account) or account == "default" or (isinstance(account, str) and account.endswith("-compute@developer.gserviceaccount.com")):
        yield _msg("GKE node pool", n, f"the nodes run as the Compute Engine default service account "
                                       f"(`nodeConfig.serviceAccount` is {_show(account)})",
                   "set `nodeConfig.serviceAccount` to a dedicated service account holding only "
                   "`roles/container.defaultNodeServiceAccount` on the project")


def _fixed_name(path: str, kind: str, prefix_input: str) -> Check:
    def check(p: Mapping[str, Any], n: str) -> Iterator[str]:
        name = get(p, path)
        if isinstance(name, str) and name:
            yield _msg(kind, n, f"it has a fixed name (`{path}` is {_show(name)}), so any change the "
                                "provider must replace it for deletes every node before the new "
                                "ones exist",
                       f"remove `{path}` and set `{prefix_input}` (e.g. \"platform-\"): the "
                       "replacement is then created before the old one is deleted")
    return check


def _eks_node_group_template(p: Mapping[str, Any], n: str) -> Iterator[str]:
    template = get(p, "launchTemplate")
    if template is UNKNOWN:
        return
    if _blank(template) or (_blank(get(p, "launchTemplate", "id")) and _blank(get(p, "launchTemplate", "name"))):
        yield _msg("EKS node group", n, "it has no launch template, so its nodes accept IMDSv1 and "
                                        "pods can read the node role's credentials",
                   "set `launchTemplate: {id, version}` to a template with "
                   "`metadataOptions.httpTokens: \"required\"` and "
                   "`metadataOptions.httpPutResponseHopLimit: 1`")


def _launch_template_imdsv2(p: Mapping[str, Any], n: str) -> Iterator[str]:
    tokens = get(p, "metadataOptions", "httpTokens")
    hops = get(p, "metadataOptions", "httpPutResponseHopLimit")
    if tokens is not UNKNOWN and tokens != "required":
        yield _msg("launch template", n, f"IMDSv1 is allowed (`metadataOptions.httpTokens` is {_show(tokens)})",
                   _set("metadataOptions.httpTokens", "required"))
    number = _number(hops)
    if hops is not UNKNOWN and (number is None or number > 1):
        yield _msg("launch template", n, f"pods can reach the instance metadata service "
                                         f"(`metadataOptions.httpPutResponseHopLimit` is {_show(hops)})",
                   _set("metadataOptions.httpPutResponseHopLimit", 1))


def _validate_eks_network_policy(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    addons = [r for r in args.resources if r.resource_type == EKS_ADDON and get(r.props, "addonName") == "vpc-cni"]
    for cluster in (r for r in args.resources if r.resource_type == EKS_CLUSTER):
        enforced = False
        for addon in addons:
            raw = get(addon.props, "configurationValues")
            if raw is UNKNOWN:
                enforced = True
                break
            try:
                config = json.loads(raw) if isinstance(raw, str) and raw else {}
            except ValueError:
                config = {}
            if str(config.get("enableNetworkPolicy", "")).lower() == "true":
                enforced = True
                break
        if not enforced:
            report_violation(_msg("EKS cluster", cluster.name,
                                  "NetworkPolicies are accepted but not enforced: no `vpc-cni` add-on "
                                  "with `enableNetworkPolicy` \"true\"",
                                  "declare an `aws.eks.Addon` `vpc-cni` with `configurationValues` "
                                  "'{\"enableNetworkPolicy\": \"true\"}'"), cluster.urn)


def _denies_insecure_transport(policy_json: Any) -> Optional[bool]:
    """True/False for a bucket policy document; None while it is unknown."""
    if policy_json is UNKNOWN:
        return None
    try:
        document = json.loads(policy_json) if isinstance(policy_json, str) else unwrap(policy_json)
    except ValueError:
        return False
    statements = (document or {}).get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
            continue
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        value = condition.get("aws:SecureTransport")
        values = [str(v).lower() for v in (value if isinstance(value, list) else [value])] if value is not None else []
        if values == ["false"] and statement.get("Principal") in ("*", {"AWS": "*"}):
            return True
    return False


def _validate_s3_tls(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    policies_ = [r for r in args.resources if r.resource_type in S3_BUCKET_POLICY]
    for bucket in (r for r in args.resources if r.resource_type in S3_BUCKETS):
        keys = _bucket_keys(bucket)
        judged = []
        for policy in policies_:
            target = get(policy.props, "bucket")
            if target is UNKNOWN and not _targets(policy, bucket, keys):
                judged.append(None)  # not known until the update: not judged
            elif _targets(policy, bucket, keys):
                judged.append(_denies_insecure_transport(get(policy.props, "policy")))
        if any(j is not False for j in judged):
            continue
        report_violation(_msg(_S3, bucket.name, "it answers plain HTTP: no bucket policy denies "
                                                "requests with `aws:SecureTransport` false",
                              "attach an `aws.s3.BucketPolicy` whose document has a Deny statement for "
                              "Principal \"*\", Action \"s3:*\" on the bucket and its objects, with "
                              "Condition {Bool: {aws:SecureTransport: \"false\"}}"), bucket.urn)


def _gke_control_plane_exposure(p: Mapping[str, Any], n: str) -> Iterator[str]:
    if get(p, "privateClusterConfig", "enablePrivateEndpoint") in (True, UNKNOWN):
        return
    blocks = get(p, "masterAuthorizedNetworksConfig", "cidrBlocks")
    if blocks is UNKNOWN:
        return
    cidrs = [get(b, "cidrBlock") for b in _items(blocks)]
    if _open_to_all(cidrs):
        yield _msg("GKE cluster", n, "the Kubernetes API is reachable from anywhere (credentials still "
                                     "required): a choice that keeps recovery possible from wherever "
                                     "the operator is", "list the operators' and CI's ranges in "
                                     "`masterAuthorizedNetworksConfig.cidrBlocks` (stack config "
                                     "`cluster.masterAuthorizedNetworks`)")


def _eks_endpoint_exposure(p: Mapping[str, Any], n: str) -> Iterator[str]:
    public = get(p, "vpcConfig", "endpointPublicAccess")
    if public is False or public is UNKNOWN:
        return
    cidrs = get(p, "vpcConfig", "publicAccessCidrs")
    if _open_to_all(cidrs):
        yield _msg("EKS cluster", n, "the public Kubernetes API endpoint is open to 0.0.0.0/0 "
                                     "(credentials still required): a choice that keeps recovery "
                                     "possible from wherever the operator is",
                   "list the operators' and CI's ranges in `vpcConfig.publicAccessCidrs` (stack "
                   "config `cluster.publicAccessCidrs`), or turn the public endpoint off")


def _helm_nginx_exposure(p: Mapping[str, Any], n: str) -> Iterator[str]:
    if get(p, "values", "nginx", "privateLoadBalancer") in (True, UNKNOWN):
        return
    ranges = get(p, "values", "nginx", "loadBalancerSourceRanges")
    if _open_to_all(ranges):
        yield _msg(_HELM, n, "NGINX is an internet-facing load balancer with no source ranges: the "
                             "platform's UI and APIs are reachable from anywhere (a choice)",
                   "set `values.nginx.loadBalancerSourceRanges` (stack config "
                   "`platform.loadBalancerSourceRanges`) or `values.nginx.privateLoadBalancer` true")


POLICIES.extend([
    _resource_policy("gke-network-policy-enforced",
                     "GKE clusters enforce NetworkPolicies (Dataplane V2 or Calico).",
                     [GKE_CLUSTER], _gke_network_policy),
    StackValidationPolicy(
        name="eks-network-policy-enforced",
        description="EKS clusters enforce NetworkPolicies: a vpc-cni add-on with "
                    "enableNetworkPolicy \"true\".",
        validate=_validate_eks_network_policy, enforcement_level=MANDATORY),
    _resource_policy("gke-node-dedicated-service-account",
                     "GKE node pools run as a dedicated service account, not the Compute Engine "
                     "default one.", [GKE_NODE_POOL], _gke_node_identity),
    _resource_policy("gke-node-pool-rolls-without-outage",
                     "GKE node pools have no fixed name, so a replacement is created before the old "
                     "pool is deleted.", [GKE_NODE_POOL],
                     _fixed_name("name", "GKE node pool", "namePrefix")),
    _resource_policy("eks-node-group-rolls-without-outage",
                     "EKS node groups have no fixed name, so a replacement is created before the old "
                     "group is deleted.", [EKS_NODE_GROUP],
                     _fixed_name("nodeGroupName", "EKS node group", "nodeGroupNamePrefix")),
    _resource_policy("eks-node-group-launch-template",
                     "EKS node groups use a launch template (where IMDSv2 is required).",
                     [EKS_NODE_GROUP], _eks_node_group_template),
    _resource_policy("launch-template-imdsv2",
                     "Launch templates require IMDSv2 with a hop limit of 1.",
                     [LAUNCH_TEMPLATE], _launch_template_imdsv2),
    StackValidationPolicy(
        name="s3-bucket-denies-insecure-transport",
        description="Every S3 bucket has a bucket policy denying requests without TLS "
                    "(aws:SecureTransport false).",
        validate=_validate_s3_tls, enforcement_level=MANDATORY),
    _resource_policy("gke-control-plane-exposure",
                     "Advisory: the GKE control plane is reachable from anywhere (a choice).",
                     [GKE_CLUSTER], _gke_control_plane_exposure, level=ADVISORY),
    _resource_policy("eks-public-endpoint-exposure",
                     "Advisory: the EKS public endpoint is open to 0.0.0.0/0 (a choice).",
                     [EKS_CLUSTER], _eks_endpoint_exposure, level=ADVISORY),
    _resource_policy("astronomer-nginx-exposure",
                     "Advisory: NGINX is internet-facing with no source ranges (a choice).",
                     [HELM_RELEASE], _helm_nginx_exposure, level=ADVISORY, applies=_is_astronomer),
])
