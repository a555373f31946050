"""Backups that outlive the instance and the region, and registry images that outlive the region."""

from __future__ import annotations

import json

import pytest

from tests.test_restore import AT, AT_LABEL, RDS, SQL, evaluated, instances, restored
from tools.offline import MOCK_AWS_ACCOUNT
from tools.offline.outputs import mock_kms_key_id

REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
PROVIDER = "pulumi:providers:aws"
KMS = "aws:kms/key:Key"
S3 = "aws:s3/bucket:Bucket"
GCS = "gcp:storage/bucket:Bucket"


def provider_region(evaluation, resource) -> str:
    [provider] = [p for p in evaluation.of_type(PROVIDER) if resource.provider.startswith(p.urn + "::")]
    return provider.input("region")


def document(resource, key: str) -> dict:
    return json.loads(resource.input(key))


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


# ---- GCP ---------------------------------------------------------------------------------------


def test_gcp_backups_live_in_a_multi_region_and_outlive_the_instance():
    for instance in instances(restored("gcp", pointInTime=AT), "gcp").values():
        settings = instance.input("settings")
        assert settings["backupConfiguration"]["location"] == "us"  # us-central1's multi-region: survives the region
        assert settings["retainBackupsOnDelete"] is True
        assert settings["finalBackupConfig"] == {"enabled": True, "retentionDays": 30}


def test_gcp_backup_location_is_configurable():
    assert (
        evaluated("gcp", {"backupLocation": "us-east1"}).one(SQL).input("settings.backupConfiguration.location")
        == "us-east1"
    )


def test_gcp_registry_bucket_stays_regional_by_default_and_takes_a_multi_or_dual_region():
    regional = evaluated("gcp", registry={"noncurrentVersionDays": 30})
    assert regional.one(GCS, "astro-gcp-registry").input("location") == "us-central1"
    # The shipped stack: a configurable dual-region of its region and its standby's.
    shipped = evaluated("gcp").one(GCS, "astro-gcp-registry")
    assert shipped.input("location") == "US"
    assert shipped.input("customPlacementConfig") == {"dataLocations": ["US-CENTRAL1", "US-EAST4"]}
    multi = evaluated("gcp", registry={"location": "US"}).one(GCS, "astro-gcp-registry")
    assert multi.input("location") == "US" and multi.input("customPlacementConfig") is None
    dual = evaluated("gcp", registry={"location": "US", "dataLocations": ["us-central1", "us-east1"]}).one(
        GCS, "astro-gcp-registry"
    )
    assert dual.input("customPlacementConfig") == {"dataLocations": ["US-CENTRAL1", "US-EAST1"]}
    assert dual.protect is True and dual.input("versioning") == {"enabled": True}


# ---- AWS: automated backups replicated to a second region ---------------------------------------


def test_aws_automated_backups_are_replicated_to_the_paired_region_encrypted_there():
    evaluation = evaluated("aws")
    [replication] = evaluation.of_type(REPLICATION)
    database = evaluation.one(RDS)
    assert provider_region(evaluation, replication) == "us-west-2"
    assert replication.input("sourceDbInstanceArn") == f"arn:aws:rds:us-east-1:{MOCK_AWS_ACCOUNT}:db:astro-aws-db"
    assert database.urn in replication.property_dependencies["sourceDbInstanceArn"]
    assert replication.input("retentionPeriod") == 7 >= 7
    key = evaluation.one(KMS, "astro-aws-db-backups-us-west-2")
    assert provider_region(evaluation, key) == "us-west-2"
    assert (
        replication.input("kmsKeyId")
        == f"arn:aws:kms:us-west-2:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id('astro-aws-db-backups-us-west-2')}"
    )
    assert key.protect is True and key.input("enableKeyRotation") is True
    assert evaluation.outputs["database_backup_replica_region"] == "us-west-2"
    # And they outlive the instance in its own region.
    assert database.input("deleteAutomatedBackups") is False and database.input("skipFinalSnapshot") is False


def test_aws_replica_region_and_retention_follow_the_config():
    evaluation = evaluated("aws", {"backupReplicaRegion": "us-east-2", "backupRetentionDays": 14})
    [replication] = evaluation.of_type(REPLICATION)
    assert provider_region(evaluation, replication) == "us-east-2"
    assert replication.input("retentionPeriod") == 14


def test_aws_every_declared_instance_replicates_its_backups():
    evaluation = restored("aws", pointInTime=AT)
    sources = {r.input("sourceDbInstanceArn").rsplit(":", 1)[-1] for r in evaluation.of_type(REPLICATION)}
    assert sources == {"astro-aws-db", f"astro-aws-db-{AT_LABEL}"}
    assert len(evaluation.of_type(PROVIDER)) == 1  # one provider per second region


# ---- AWS: registry replication ------------------------------------------------------------------

REPLICA_BUCKET = f"astro-aws-registry-{MOCK_AWS_ACCOUNT}-us-west-2"
SOURCE_BUCKET = f"astro-aws-registry-{MOCK_AWS_ACCOUNT}-us-east-1"


def test_aws_registry_is_not_replicated_by_default():
    evaluation = evaluated("aws", registry={"noncurrentVersionDays": 30})
    assert [b.input("bucket") for b in evaluation.of_type(S3) if "registry" in b.name] == [SOURCE_BUCKET]
    assert evaluation.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []


@pytest.fixture(scope="module")
def replicated():
    return evaluated("aws", registry={"replicaRegion": "us-west-2"})


def test_aws_registry_replica_bucket_is_versioned_encrypted_private_and_protected_in_its_region(replicated):
    replica = replicated.one(S3, "astro-aws-registry-replica")
    assert (
        replica.input("bucket") == REPLICA_BUCKET and replica.protect is True and replica.input("forceDestroy") is False
    )
    assert provider_region(replicated, replica) == "us-west-2"
    key = replicated.one(KMS, "astro-aws-registry-replica-key")
    assert key.protect is True and provider_region(replicated, key) == "us-west-2"
    settings = {
        "aws:s3/bucketVersioning:BucketVersioning": ("versioningConfiguration", {"status": "Enabled"}),
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ("restrictPublicBuckets", True),
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ("rule", {"objectOwnership": "BucketOwnerEnforced"}),
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
            "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId",
            f"arn:aws:kms:us-west-2:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id('astro-aws-registry-replica-key')}",
        ),
    }
    for type_token, (key_path, value) in settings.items():
        resource = replicated.one(type_token, "astro-aws-registry-replica")
        assert resource.input("bucket") == REPLICA_BUCKET and resource.input(key_path) == value, type_token
        assert provider_region(replicated, resource) == "us-west-2"
    assert replicated.one("aws:s3/bucketVersioning:BucketVersioning", "astro-aws-registry-replica").protect is True
    assert replicated.outputs["registry_replica_bucket"] == REPLICA_BUCKET


def test_aws_registry_replication_rule(replicated):
    config = replicated.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert config.input("bucket") == SOURCE_BUCKET
    assert config.provider == replicated.one(S3, "astro-aws-registry").provider  # the source region's
    [rule] = config.input("rules")
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
    assert rule["deleteMarkerReplication"] == {"status": "Disabled"}  # the replica keeps what the source loses
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    assert rule["destination"] == {
        "bucket": f"arn:aws:s3:::{REPLICA_BUCKET}",
        "storageClass": "STANDARD",
        # Replication metrics, which the registry-replication alarms read (components/aws/alerts.py).
        "metrics": {"status": "Enabled"},
        "encryptionConfiguration": {
            "replicaKmsKeyId": f"arn:aws:kms:us-west-2:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id('astro-aws-registry-replica-key')}"
        },
    }
    for versioning in (
        v for v in replicated.of_type("aws:s3/bucketVersioning:BucketVersioning") if "registry" in v.name
    ):
        assert versioning.urn in config.dependencies


def test_aws_registry_replication_role_is_least_privilege(replicated):
    role = replicated.one("aws:iam/role:Role", "astro-aws-registry-replication")
    [trust] = document(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    replication = replicated.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert replication.input("role") == f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:role/astro-aws-registry-replication"
    policy = replicated.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-registry-replication")
    granted: dict[str, set] = {}
    for statement in document(policy, "policy")["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        for resource in as_list(statement["Resource"]):
            assert "*" not in resource.replace(f"{SOURCE_BUCKET}/*", "").replace(f"{REPLICA_BUCKET}/*", "")
            granted.setdefault(resource, set()).update(as_list(statement["Action"]))
    assert granted == {
        f"arn:aws:s3:::{SOURCE_BUCKET}": {"s3:GetReplicationConfiguration", "s3:ListBucket"},
        f"arn:aws:s3:::{SOURCE_BUCKET}/*": {
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionTagging",
        },
        f"arn:aws:s3:::{REPLICA_BUCKET}/*": {"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"},
        f"arn:aws:kms:us-east-1:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id('astro-aws-registry-key')}": {"kms:Decrypt"},
        f"arn:aws:kms:us-west-2:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id('astro-aws-registry-replica-key')}": {
            "kms:Encrypt",
            "kms:GenerateDataKey",
        },
    }
    # The registry pods' own role is unchanged: the source bucket and its key only.
    irsa = replicated.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-registry-irsa")
    assert REPLICA_BUCKET not in irsa.input("policy")


def test_aws_one_provider_serves_both_replicas_in_the_same_region(replicated):
    [provider] = replicated.of_type(PROVIDER)
    assert provider.input("region") == "us-west-2"


def test_aws_registry_replication_is_watched(replicated):
    """S3 replication metrics (`OperationsFailedReplication`, `ReplicationLatency` in AWS/S3, per
    SourceBucket, DestinationBucket and RuleId: https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html),
    enabled on the rule without S3 Replication Time Control
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html)."""
    [rule] = replicated.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig").input("rules")
    assert rule["destination"]["metrics"] == {"status": "Enabled"} and "replicationTime" not in rule["destination"]
    dimensions = {"SourceBucket": SOURCE_BUCKET, "DestinationBucket": REPLICA_BUCKET, "RuleId": rule["id"]}
    alarms = {
        a.input("metricName"): a
        for a in replicated.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.name.startswith("astro-aws-alerts-registry-replication")
    }
    assert set(alarms) == {"OperationsFailedReplication", "ReplicationLatency"}
    for alarm in alarms.values():
        assert alarm.input("namespace") == "AWS/S3" and alarm.input("dimensions") == dimensions
        assert alarm.input("alarmActions") == [f"arn:aws:sns:us-east-1:{MOCK_AWS_ACCOUNT}:astro-aws-alerts"]
