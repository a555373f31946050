"""Tests for the astronomer-dr-guardrails policy pack (policy/).

Every policy: a compliant resource passes, and each single broken setting is reported with a
message that names the input to set. Resources go through `validate_resources`, which builds the
same argument objects the pack's gRPC server builds; one test checks it against that server.
"""

import copy
import json
import runpy
from pathlib import Path

import pulumi_policy
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import policies
from policy.policies import UNKNOWN, get, unwrap, validate_resources

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
MANDATORY = pulumi_policy.EnforcementLevel.MANDATORY
ADVISORY = pulumi_policy.EnforcementLevel.ADVISORY
DELETE = object()

CLOUDSQL = "gcp:sql/databaseInstance:DatabaseInstance"
RDS = "aws:rds/instance:Instance"
GCS = "gcp:storage/bucket:Bucket"
S3 = "aws:s3/bucket:Bucket"
S3_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
S3_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
HELM = "kubernetes:helm.sh/v3:Release"


def urn(type_, name):
    return f"urn:pulumi:test::astronomer-dr::{type_}::{name}"


def resource(type_, name, props, protect=True, **extra):
    return {"type": type_, "name": name, "urn": urn(type_, name), "props": props, "protect": protect, **extra}


def mutate(props, path, value):
    """Deep copy of props with the dotted path set to value (DELETE removes the key)."""
    out = copy.deepcopy(props)
    *parents, last = path.split(".")
    cur = out
    for key in parents:
        cur = cur.setdefault(key, {})
    if value is DELETE:
        cur.pop(last, None)
    else:
        cur[last] = value
    return out


def summary(violations):
    return [(v.policy, v.enforcement_level.value, v.message) for v in violations]


# --------------------------------------------------------------------------------------------
# Compliant resources
# --------------------------------------------------------------------------------------------

CLOUDSQL_OK = {
    "databaseVersion": "POSTGRES_16",
    "region": "us-central1",
    "deletionProtection": True,
    "settings": {
        "tier": "db-custom-2-7680",
        "availabilityType": "REGIONAL",
        "deletionProtectionEnabled": True,
        "retainBackupsOnDelete": True,
        "finalBackupConfig": {"enabled": True, "retentionDays": 30},
        "backupConfiguration": {
            "enabled": True,
            "startTime": "03:00",
            "pointInTimeRecoveryEnabled": True,
            "transactionLogRetentionDays": 7,
            "backupRetentionSettings": {"retainedBackups": 14, "retentionUnit": "COUNT"},
        },
        "ipConfiguration": {
            "ipv4Enabled": False,
            "privateNetwork": "projects/p/global/networks/astro-vpc",
            "sslMode": "ENCRYPTED_ONLY",
            "authorizedNetworks": [],
        },
    },
}


def list_shaped(props):
    """The same Cloud SQL inputs with every MaxItems=1 block as a one-element list (old states,
    raw Terraform shapes)."""
    out = copy.deepcopy(props)
    settings = out.get("settings")
    if isinstance(settings, dict):
        for block in ("backupConfiguration", "ipConfiguration", "finalBackupConfig"):
            if isinstance(settings.get(block), dict):
                if block == "backupConfiguration" and isinstance(settings[block].get("backupRetentionSettings"), dict):
                    settings[block]["backupRetentionSettings"] = [settings[block]["backupRetentionSettings"]]
                settings[block] = [settings[block]]
        out["settings"] = [settings]
    return out


SHAPES = {"object": lambda p: p, "list": list_shaped}

RDS_OK = {
    "engine": "postgres",
    "engineVersion": "16.4",
    "instanceClass": "db.m6g.large",
    "allocatedStorage": 100,
    "backupRetentionPeriod": 14,
    "backupWindow": "03:00-04:00",
    "deleteAutomatedBackups": False,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "astro-db-final",
    "deletionProtection": True,
    "storageEncrypted": True,
    "multiAz": True,
    "publiclyAccessible": False,
}

GCS_OK = {
    "name": "astro-registry",
    "location": "US",
    "versioning": {"enabled": True},
    "publicAccessPrevention": "enforced",
    "uniformBucketLevelAccess": True,
    "forceDestroy": False,
}

HELM_OK = {
    "chart": "astronomer",
    "version": "2.1.0",
    "namespace": "astronomer",
    "repositoryOpts": {"repo": "https://helm.astronomer.io"},
    "values": {
        "global": {"baseDomain": "astro.example.com", "postgresql": {"enabled": False}},
        "prometheus": {"replicas": 2},
        "astronomer": {"registry": {"gcs": {"enabled": True, "bucket": "astro-registry", "useKeyfile": False}}},
        # Exposure chosen explicitly (the advisory astronomer-nginx-exposure stays quiet).
        "nginx": {"loadBalancerSourceRanges": ["203.0.113.0/24"]},
    },
}


TLS_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::astro-registry", "arn:aws:s3:::astro-registry/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def s3_stack(bucket_props=None, versioning=None, pab=None, sse=None, drop=()):
    """An S3 bucket and its three companions, linked by `bucket` = the bucket's name."""
    parts = {
        "bucket": resource(S3, "registry", bucket_props or {"bucket": "astro-registry", "forceDestroy": False}),
        "versioning": resource(
            S3_VERSIONING,
            "registry-versioning",
            versioning or {"bucket": "astro-registry", "versioningConfiguration": {"status": "Enabled"}},
            protect=False,
        ),
        "pab": resource(
            S3_PAB,
            "registry-pab",
            pab
            or {
                "bucket": "astro-registry",
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            protect=False,
        ),
        "sse": resource(
            S3_SSE,
            "registry-sse",
            sse
            or {
                "bucket": "astro-registry",
                "rules": [
                    {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": True}
                ],
            },
            protect=False,
        ),
        # TLS only (tests/test_policy_security.py): the policy document as the provider renders it.
        "tls": resource(
            "aws:s3/bucketPolicy:BucketPolicy",
            "registry-tls",
            {"bucket": "astro-registry", "policy": json.dumps(TLS_ONLY_POLICY)},
            protect=False,
        ),
    }
    return [r for key, r in parts.items() if key not in drop]


# --------------------------------------------------------------------------------------------
# Compliant resources pass
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_compliant_cloudsql_passes(shape):
    assert summary(validate_resources([resource(CLOUDSQL, "db", SHAPES[shape](CLOUDSQL_OK))])) == []


@pytest.mark.parametrize(
    "resources",
    [
        pytest.param([resource(RDS, "db", RDS_OK)], id="rds"),
        pytest.param([resource(GCS, "registry", GCS_OK)], id="gcs"),
        pytest.param(
            [resource(GCS, "registry", {**GCS_OK, "versioning": [{"enabled": True}]})], id="gcs-list-shaped-versioning"
        ),
        pytest.param(
            [
                resource(
                    GCS,
                    "registry",
                    {
                        **GCS_OK,
                        "encryption": {
                            "defaultKmsKeyName": "projects/p/locations/us/keyRings/astro/cryptoKeys/registry"
                        },
                    },
                )
            ],
            id="gcs-cmek",
        ),
        pytest.param(s3_stack(), id="s3"),
        pytest.param([resource(HELM, "astronomer", HELM_OK, protect=False)], id="helm-gcs"),
        pytest.param(
            [
                resource(
                    HELM,
                    "astronomer",
                    mutate(
                        HELM_OK,
                        "values.astronomer.registry",
                        {"s3": {"enabled": True, "bucket": "astro-registry", "region": "us-east-1"}},
                    ),
                    protect=False,
                )
            ],
            id="helm-s3",
        ),
        pytest.param(
            [resource(HELM, "astronomer", {**HELM_OK, "chart": "astronomer/astronomer"}, protect=False)],
            id="helm-repo-alias",
        ),
    ],
)
def test_compliant_resources_pass(resources):
    assert summary(validate_resources(resources)) == []


def test_other_resources_are_ignored():
    resources = [
        resource(HELM, "cert-manager", {"chart": "cert-manager", "version": "", "values": {}}, protect=False),
        resource("gcp:compute/network:Network", "vpc", {}, protect=False),
        resource("aws:ec2/vpc:Vpc", "vpc", {}, protect=False),
    ]
    assert summary(validate_resources(resources)) == []


# --------------------------------------------------------------------------------------------
# Each single broken setting is reported
# --------------------------------------------------------------------------------------------

S = "settings"
BC = "settings.backupConfiguration"
IP = "settings.ipConfiguration"

CLOUDSQL_BROKEN = [
    # (path, value, policy, text the message must contain)
    (f"{BC}.enabled", False, "cloudsql-automated-backups", "`settings.backupConfiguration.enabled` to true"),
    (f"{BC}.startTime", DELETE, "cloudsql-automated-backups", "`settings.backupConfiguration.startTime`"),
    (
        f"{BC}.backupRetentionSettings.retainedBackups",
        6,
        "cloudsql-automated-backups",
        "`settings.backupConfiguration.backupRetentionSettings.retainedBackups` to 7 or more",
    ),
    (f"{BC}.backupRetentionSettings", DELETE, "cloudsql-automated-backups", "retainedBackups"),
    (
        f"{BC}.pointInTimeRecoveryEnabled",
        False,
        "cloudsql-point-in-time-recovery",
        "`settings.backupConfiguration.pointInTimeRecoveryEnabled` to true",
    ),
    (
        f"{BC}.transactionLogRetentionDays",
        3,
        "cloudsql-point-in-time-recovery",
        "`settings.backupConfiguration.transactionLogRetentionDays` to 7 or more",
    ),
    (
        f"{S}.retainBackupsOnDelete",
        DELETE,
        "cloudsql-backups-survive-deletion",
        "`settings.retainBackupsOnDelete` to true",
    ),
    (
        f"{S}.finalBackupConfig.enabled",
        False,
        "cloudsql-backups-survive-deletion",
        "`settings.finalBackupConfig.enabled` to true",
    ),
    (
        f"{S}.finalBackupConfig.retentionDays",
        1,
        "cloudsql-backups-survive-deletion",
        "`settings.finalBackupConfig.retentionDays` to 7 or more",
    ),
    (
        f"{S}.deletionProtectionEnabled",
        False,
        "cloudsql-deletion-protection",
        "`settings.deletionProtectionEnabled` to true",
    ),
    ("deletionProtection", False, "cloudsql-deletion-protection", "`deletionProtection` to true"),
    (f"{IP}.ipv4Enabled", True, "cloudsql-private-ip-only", "`settings.ipConfiguration.ipv4Enabled` to false"),
    (f"{IP}.ipv4Enabled", DELETE, "cloudsql-private-ip-only", "defaults it to true"),
    (f"{IP}.privateNetwork", DELETE, "cloudsql-private-ip-only", "`settings.ipConfiguration.privateNetwork`"),
    (
        f"{IP}.sslMode",
        "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
        "cloudsql-ssl-required",
        '`settings.ipConfiguration.sslMode` to "ENCRYPTED_ONLY"',
    ),
    (f"{IP}.sslMode", DELETE, "cloudsql-ssl-required", "ENCRYPTED_ONLY"),
    (f"{S}.availabilityType", "ZONAL", "cloudsql-regional-ha", '`settings.availabilityType` to "REGIONAL"'),
]


def _ids(cases):
    return [f"{c[0]}={'<deleted>' if c[1] is DELETE else c[1]!r}" for c in cases]


def assert_single(violations, policy, text, level=MANDATORY):
    assert [(v.policy, v.enforcement_level) for v in violations] == [(policy, level)], summary(violations)
    message = violations[0].message
    assert text in message, message
    assert "Fix: " in message, message
    assert (
        "Python SDK" in message
        or "`values." in message
        or "add `aws.s3" in message
        or "remove `" in message
        or "protect" in message
    ), message


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("path,value,policy,text", CLOUDSQL_BROKEN, ids=_ids(CLOUDSQL_BROKEN))
def test_cloudsql_broken_setting_is_reported(shape, path, value, policy, text):
    props = SHAPES[shape](mutate(CLOUDSQL_OK, path, value))
    violations = validate_resources([resource(CLOUDSQL, "db", props)])
    level = ADVISORY if policy == "cloudsql-regional-ha" else MANDATORY
    assert_single(violations, policy, text, level)
    assert violations[0].urn == urn(CLOUDSQL, "db")


def test_cloudsql_read_replica_skips_backup_policies_only():
    replica = mutate(CLOUDSQL_OK, f"{S}.backupConfiguration", {"enabled": False})
    replica = mutate(replica, f"{S}.retainBackupsOnDelete", DELETE)
    replica = mutate(replica, f"{S}.finalBackupConfig", DELETE)
    replica = mutate(replica, f"{S}.availabilityType", "ZONAL")
    replica["masterInstanceName"] = "astro-db"
    replica["instanceType"] = "READ_REPLICA_INSTANCE"
    assert summary(validate_resources([resource(CLOUDSQL, "db-replica", replica)])) == []
    public = mutate(replica, f"{IP}.ipv4Enabled", True)
    assert_single(
        validate_resources([resource(CLOUDSQL, "db-replica", public)]), "cloudsql-private-ip-only", "ipv4Enabled"
    )


def test_cloudsql_private_service_connect_counts_as_private():
    props = mutate(CLOUDSQL_OK, f"{IP}.privateNetwork", DELETE)
    props = mutate(props, f"{IP}.pscConfigs", [{"pscEnabled": True, "allowedConsumerProjects": ["p"]}])
    assert summary(validate_resources([resource(CLOUDSQL, "db", props)])) == []


def test_values_unknown_during_preview_are_not_judged():
    props = mutate(CLOUDSQL_OK, f"{IP}.privateNetwork", UNKNOWN_STRING_VALUE)
    props = mutate(props, f"{S}.deletionProtectionEnabled", UNKNOWN_BOOLEAN_VALUE)
    assert summary(validate_resources([resource(CLOUDSQL, "db", props)])) == []
    helm = mutate(HELM_OK, "values.astronomer.registry.gcs.bucket", UNKNOWN_STRING_VALUE)
    assert summary(validate_resources([resource(HELM, "astronomer", helm, protect=False)])) == []


RDS_BROKEN = [
    ("backupRetentionPeriod", 1, "rds-automated-backups", "`backupRetentionPeriod` to 7 or more"),
    ("backupRetentionPeriod", 0, "rds-automated-backups", "`backupRetentionPeriod` to 7 or more"),
    ("backupWindow", DELETE, "rds-automated-backups", "`backupWindow`"),
    ("deleteAutomatedBackups", True, "rds-backups-survive-deletion", "`deleteAutomatedBackups` to false"),
    ("deleteAutomatedBackups", DELETE, "rds-backups-survive-deletion", "defaults to true"),
    ("skipFinalSnapshot", True, "rds-backups-survive-deletion", "`skipFinalSnapshot` to false"),
    ("finalSnapshotIdentifier", DELETE, "rds-backups-survive-deletion", "`finalSnapshotIdentifier`"),
    ("deletionProtection", False, "rds-deletion-protection", "`deletionProtection` to true"),
    ("deletionProtection", DELETE, "rds-deletion-protection", "`deletionProtection` to true"),
    ("storageEncrypted", False, "rds-storage-encrypted", "`storageEncrypted` to true"),
    ("multiAz", False, "rds-multi-az", "`multiAz` to true"),
    ("multiAz", DELETE, "rds-multi-az", "`multiAz` to true"),
    ("publiclyAccessible", True, "rds-not-public", "`publiclyAccessible` to false"),
]


@pytest.mark.parametrize("path,value,policy,text", RDS_BROKEN, ids=_ids(RDS_BROKEN))
def test_rds_broken_setting_is_reported(path, value, policy, text):
    violations = validate_resources([resource(RDS, "db", mutate(RDS_OK, path, value))])
    assert_single(violations, policy, text, ADVISORY if policy == "rds-multi-az" else MANDATORY)


GCS_BROKEN = [
    ("versioning.enabled", False, "gcs-bucket-versioning", "`versioning.enabled` to true"),
    ("versioning", DELETE, "gcs-bucket-versioning", "`versioning.enabled` to true"),
    (
        "publicAccessPrevention",
        "inherited",
        "gcs-bucket-public-access-blocked",
        '`publicAccessPrevention` to "enforced"',
    ),
    ("publicAccessPrevention", DELETE, "gcs-bucket-public-access-blocked", '"enforced"'),
    ("uniformBucketLevelAccess", False, "gcs-bucket-public-access-blocked", "`uniformBucketLevelAccess` to true"),
    ("forceDestroy", True, "gcs-bucket-no-force-destroy", "`forceDestroy` to false"),
    ("encryption", {}, "gcs-bucket-encryption", "always encrypts objects at rest"),
    ("encryption", {"defaultKmsKeyName": "registry-key"}, "gcs-bucket-encryption", "not a Cloud KMS key name"),
]


@pytest.mark.parametrize("path,value,policy,text", GCS_BROKEN, ids=_ids(GCS_BROKEN))
def test_gcs_broken_setting_is_reported(path, value, policy, text):
    violations = validate_resources([resource(GCS, "registry", mutate(GCS_OK, path, value))])
    assert_single(violations, policy, text)


HELM_BROKEN = [
    ("values.prometheus.replicas", 1, "astronomer-prometheus-ha", "`values.prometheus.replicas` to 2 or more"),
    ("values.prometheus.replicas", DELETE, "astronomer-prometheus-ha", "chart default is 1"),
    (
        "values.astronomer.registry.gcs.enabled",
        False,
        "astronomer-registry-object-storage",
        "`values.astronomer.registry.gcs.enabled` to true",
    ),
    (
        "values.astronomer.registry.gcs.bucket",
        DELETE,
        "astronomer-registry-object-storage",
        "`values.astronomer.registry.gcs.bucket`",
    ),
    (
        "values.global.postgresql.enabled",
        True,
        "astronomer-external-database",
        "`values.global.postgresql.enabled` to false",
    ),
    ("values.global.postgresql", DELETE, "astronomer-external-database", "`values.global.postgresql.enabled` to false"),
    ("values.global.postgresqlEnabled", True, "astronomer-external-database", "postgresqlEnabled"),
    ("version", "^2.1.0", "astronomer-chart-version-pinned", '`version` to "2.1.0"'),
    ("version", "~2.1", "astronomer-chart-version-pinned", '`version` to "2.1.0"'),
    ("version", ">=2.1.0", "astronomer-chart-version-pinned", '`version` to "2.1.0"'),
    ("version", "2.1", "astronomer-chart-version-pinned", '`version` to "2.1.0"'),
    ("version", "2.1.x", "astronomer-chart-version-pinned", '`version` to "2.1.0"'),
    ("version", "", "astronomer-chart-version-pinned", '`version` to "2.1.0"'),
    ("version", DELETE, "astronomer-chart-version-pinned", '`version` to "2.1.0"'),
]


@pytest.mark.parametrize("path,value,policy,text", HELM_BROKEN, ids=_ids(HELM_BROKEN))
def test_helm_broken_setting_is_reported(path, value, policy, text):
    props = mutate(HELM_OK, path, value)
    assert_single(validate_resources([resource(HELM, "astronomer", props, protect=False)]), policy, text)


def _pab(**flags):
    return {
        "bucket": "astro-registry",
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
        **flags,
    }


COMPANIONS = "s3-bucket-companions"
S3_BROKEN = [
    pytest.param(
        s3_stack(bucket_props={"bucket": "astro-registry", "forceDestroy": True}),
        {"s3-bucket-no-force-destroy"},
        "`forceDestroy` to false",
        id="forceDestroy",
    ),
    pytest.param(
        s3_stack(versioning={"bucket": "astro-registry", "versioningConfiguration": {"status": "Suspended"}}),
        {"s3-bucket-versioning-enabled", COMPANIONS},
        '"Suspended"',
        id="versioning-suspended",
    ),
    *[
        pytest.param(
            s3_stack(pab=_pab(**{flag: False})),
            {"s3-public-access-block-complete", COMPANIONS},
            f"`{flag}`",
            id=f"{flag}-false",
        )
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ],
    pytest.param(
        s3_stack(pab={k: v for k, v in _pab().items() if k != "ignorePublicAcls"}),
        {"s3-public-access-block-complete", COMPANIONS},
        "`ignorePublicAcls`",
        id="pab-flag-unset",
    ),
    pytest.param(
        s3_stack(
            sse={
                "bucket": "astro-registry",
                "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "none"}}],
            }
        ),
        {"s3-bucket-encryption-valid", COMPANIONS},
        "sseAlgorithm",
        id="sse-bad-algorithm",
    ),
    pytest.param(
        s3_stack(sse={"bucket": "astro-registry", "rules": []}),
        {"s3-bucket-encryption-valid", COMPANIONS},
        "`rules` is empty",
        id="sse-no-rules",
    ),
    pytest.param(s3_stack(drop=("versioning",)), {COMPANIONS}, "BucketVersioning", id="no-versioning"),
    pytest.param(s3_stack(drop=("pab",)), {COMPANIONS}, "BucketPublicAccessBlock", id="no-public-access-block"),
    pytest.param(s3_stack(drop=("sse",)), {COMPANIONS}, "BucketServerSideEncryptionConfiguration", id="no-sse"),
    pytest.param(
        s3_stack(versioning={"bucket": "some-other-bucket", "versioningConfiguration": {"status": "Enabled"}}),
        {COMPANIONS},
        "BucketVersioning",
        id="versioning-for-another-bucket",
    ),
]


@pytest.mark.parametrize("resources,expected,text", S3_BROKEN)
def test_s3_broken_setting_is_reported(resources, expected, text):
    violations = validate_resources(resources)
    assert {v.policy for v in violations} == expected, summary(violations)
    assert len(violations) == len(expected), summary(violations)
    assert all(v.mandatory for v in violations)
    assert all(text in v.message and "Fix: " in v.message for v in violations), summary(violations)
    for v in violations:
        if v.policy == COMPANIONS:
            assert v.urn == urn(S3, "registry")


def test_s3_companion_linked_by_bucket_id_output():
    """Under a real engine `bucket` holds the bucket's id (stack policies see outputs)."""
    resources = s3_stack(bucket_props={"bucketPrefix": "astro-registry-"})
    resources[0]["outputs"] = {"id": "astro-registry-20260810", "bucket": "astro-registry-20260810"}
    for companion in resources[1:]:
        companion["props"] = {**companion["props"], "bucket": "astro-registry-20260810"}
    assert summary(validate_resources(resources)) == []


def test_s3_companion_linked_by_property_dependency_when_unknown_in_preview():
    resources = s3_stack()
    for companion in resources[1:]:
        companion["props"] = {**companion["props"], "bucket": UNKNOWN_STRING_VALUE}
    unlinked = validate_resources(resources)
    assert {v.policy for v in unlinked} == {COMPANIONS} and len(unlinked) == 3, summary(unlinked)
    for companion in resources[1:]:
        companion["property_dependencies"] = {"bucket": [urn(S3, "registry")]}
    assert summary(validate_resources(resources)) == []


# --------------------------------------------------------------------------------------------
# Stack level: protect
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "type_,props",
    [
        pytest.param(CLOUDSQL, CLOUDSQL_OK, id="cloudsql"),
        pytest.param(RDS, RDS_OK, id="rds"),
        pytest.param(GCS, GCS_OK, id="gcs"),
    ],
)
def test_unprotected_database_or_bucket_is_reported(type_, props):
    violations = validate_resources([resource(type_, "thing", props, protect=False)])
    assert_single(violations, "dr-resources-protected", "protect=True")
    assert violations[0].urn == urn(type_, "thing")


def test_unprotected_s3_bucket_is_reported():
    resources = s3_stack()
    resources[0]["protect"] = False
    violations = validate_resources(resources)
    assert_single(violations, "dr-resources-protected", "`protect: true`")
    assert violations[0].urn == urn(S3, "registry")


def test_stack_policy_reports_every_unprotected_resource():
    resources = [
        resource(CLOUDSQL, "db", CLOUDSQL_OK, protect=False),
        resource(GCS, "registry", GCS_OK, protect=False),
        resource(GCS, "kept", GCS_OK, protect=True),
    ]
    violations = validate_resources(resources)
    assert sorted(v.urn for v in violations) == sorted([urn(CLOUDSQL, "db"), urn(GCS, "registry")])
    assert {v.policy for v in violations} == {"dr-resources-protected"}


# --------------------------------------------------------------------------------------------
# Helpers, the pack, and agreement with the pack's own gRPC server
# --------------------------------------------------------------------------------------------


def test_unwrap_and_get_handle_both_shapes_and_unknowns():
    assert unwrap([{"a": 1}]) == {"a": 1}
    assert unwrap({"a": 1}) == {"a": 1}
    assert unwrap([]) is None
    assert unwrap([1, 2]) == [1, 2]
    assert unwrap("ab") == "ab"
    obj = {"settings": {"backupConfiguration": {"enabled": True}}}
    lst = {"settings": [{"backupConfiguration": [{"enabled": True}]}]}
    for props in (obj, lst, unknown_checking_proxy(copy.deepcopy(lst))):
        assert get(props, "settings", "backupConfiguration", "enabled") is True
        assert get(props, "settings", "missing", "enabled") is None
    proxied = unknown_checking_proxy({"settings": {"tier": UNKNOWN_STRING_VALUE}})
    assert get(proxied, "settings", "tier") is UNKNOWN
    assert get({"settings": UNKNOWN_STRING_VALUE}, "settings", "tier") is UNKNOWN


def test_policy_names_are_unique_and_levels_explicit():
    names = [p.name for p in policies.POLICIES]
    assert len(names) == len(set(names))
    assert all(p.enforcement_level in (MANDATORY, ADVISORY) for p in policies.POLICIES)
    advisory = {p.name for p in policies.POLICIES if p.enforcement_level == ADVISORY}
    assert advisory == {
        "cloudsql-regional-ha",
        "rds-multi-az",
        "cloudsql-replica-promotable",
        "gke-control-plane-exposure",
        "eks-public-endpoint-exposure",
        "astronomer-nginx-exposure",
    }


def test_readme_table_lists_every_policy_with_its_level():
    text = (POLICY_DIR / "README.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] in {p.name for p in policies.POLICIES}:
            rows[cells[0]] = cells
    for p in policies.POLICIES:
        assert p.name in rows, p.name
        assert p.enforcement_level is not None, p.name
        assert p.enforcement_level.value in [c.lower() for c in rows[p.name]], rows[p.name]


def test_policies_module_never_builds_a_pack(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("policies.py must not construct PolicyPack")

    monkeypatch.setattr(pulumi_policy, "PolicyPack", boom)
    monkeypatch.setattr(pulumi_policy.policy, "PolicyPack", boom)
    namespace = runpy.run_path(str(POLICY_DIR / "policies.py"))
    assert [p.name for p in namespace["POLICIES"]] == [p.name for p in policies.POLICIES]


def test_main_builds_the_pack_from_policies(monkeypatch):
    calls = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: calls.append(kwargs))
    runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="__main__")
    assert len(calls) == 1
    assert calls[0]["name"] == "astronomer-dr-guardrails" == policies.PACK_NAME
    assert [p.name for p in calls[0]["policies"]] == [p.name for p in policies.POLICIES]
    assert calls[0]["enforcement_level"] == MANDATORY


def test_pack_files():
    yaml_text = (POLICY_DIR / "PulumiPolicy.yaml").read_text()
    assert "name: python" in yaml_text and "virtualenv: venv" in yaml_text
    reqs = (POLICY_DIR / "requirements.in").read_text().split()  # requirements.txt: its hash lock
    assert "pulumi-policy>=1.21,<2" in reqs and "pulumi>=3.272,<4" in reqs


def _struct(props):
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


def test_validate_resources_matches_the_pack_server():
    """The same resources through the SDK's own gRPC servicer (what `pulumi preview` talks to)
    give the same diagnostics."""
    servicer = _PolicyAnalyzerServicer(policies.PACK_NAME, "0.1.0", policies.POLICIES, policies.ENFORCEMENT_LEVEL)
    info = servicer.GetAnalyzerInfo(None, None)
    assert [p.name for p in info.policies] == [p.name for p in policies.POLICIES]

    broken = list_shaped(mutate(mutate(CLOUDSQL_OK, f"{IP}.sslMode", DELETE), f"{BC}.transactionLogRetentionDays", 1))
    request = proto.AnalyzeRequest(
        type=CLOUDSQL,
        properties=_struct(broken),
        urn=urn(CLOUDSQL, "db"),
        name="db",
        options=proto.AnalyzerResourceOptions(protect=True),
    )
    server: list[tuple[str, ...]] = [
        (d.policyName, d.message.split("\n", 1)[1]) for d in servicer.Analyze(request, None).diagnostics
    ]
    ours: list[tuple[str, ...]] = [
        (v.policy, v.message) for v in validate_resources([resource(CLOUDSQL, "db", broken)])
    ]
    assert server == ours and len(ours) == 2

    stack = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=GCS,
                properties=_struct(GCS_OK),
                urn=urn(GCS, "registry"),
                name="registry",
                options=proto.AnalyzerResourceOptions(protect=False),
            )
        ]
    )
    server = [
        (d.policyName, d.urn, d.message.split("\n", 1)[1]) for d in servicer.AnalyzeStack(stack, None).diagnostics
    ]
    ours = [
        (v.policy, v.urn, v.message) for v in validate_resources([resource(GCS, "registry", GCS_OK, protect=False)])
    ]
    assert server == ours and len(ours) == 1
