"""Velero: the Airflow deployments' backups and their declared restore, on both clouds.

Values are checked against the velero chart's own defaults and the Velero objects against Velero's
CRD schemas (tests/velero/, with their sources); the stacks are checked for what they register.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import NonCallableMock

import jsonschema
import pytest
import yaml

from components.config import BackupSettings
from components.platform.velero import RestoreFailed, VeleroObject, _checked
from components.platform.velero_chart import (
    LOCATION_WAIT_FOR,
    PLUGIN_IMAGES,
    RESTORE_TERMINAL_PHASES,
    RESTORE_WAIT_FOR,
    SCHEDULE_NAME,
    VELERO_CHART_NAME,
    VELERO_CHART_REPOSITORY,
    VELERO_CHART_VERSION,
    BackupStorage,
    backup_location_spec,
    resource_policy,
    restore_failure,
    restore_name,
    restore_spec,
    schedule_spec,
    velero_values,
)
from tests.conftest import committed_stack, said
from tests.test_restore import evaluated
from tools.offline import MOCK_AWS_ACCOUNT
from tools.offline.backups import good_backup
from tools.offline.outputs import mock_kms_key_id

FACTS = Path(__file__).parent / "velero"
CHART_DIR = FACTS / f"velero-{VELERO_CHART_VERSION}"
CRDS = FACTS / "crds-v1.18.1"
RELEASE = "kubernetes:helm.sh/v3:Release"
SCHEDULE = "kubernetes:velero.io/v1:Schedule"
RESTORE = "kubernetes:velero.io/v1:Restore"
LOCATION = "kubernetes:velero.io/v1:BackupStorageLocation"

GCS = BackupStorage(
    provider="gcp",
    bucket="acme-backups",
    config={"serviceAccount": "velero@acme.iam.gserviceaccount.com"},
    service_account_annotations={"iam.gke.io/gcp-service-account": "velero@acme.iam.gserviceaccount.com"},
)
S3 = BackupStorage(
    provider="aws",
    bucket="acme-backups",
    config={"region": "us-west-2", "kmsKeyId": "arn:aws:kms:us-west-2:111122223333:key/abc"},
    service_account_annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/velero"},
)
BACKUPS = BackupSettings(schedule="0 * * * *", retention_days=7, location="US")


# ---- the chart's values ---------------------------------------------------------------------------


def chart_defaults() -> dict[str, Any]:
    return yaml.safe_load((CHART_DIR / "values.yaml").read_text())


def unknown_keys(values: Mapping[str, Any], defaults: Any, prefix: str = "") -> list[str]:
    """Keys the chart's defaults do not have; below a default that is not a map (a list, null, {})
    the values are data (annotations, init containers) and are not chart keys."""
    missing = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if not isinstance(defaults, Mapping) or key not in defaults:
            missing.append(path)
        elif isinstance(value, Mapping) and isinstance(defaults[key], Mapping) and defaults[key]:
            missing.extend(unknown_keys(value, defaults[key], f"{path}."))
    return missing


@pytest.mark.parametrize("storage", [GCS, S3], ids=["gcp", "aws"])
def test_every_values_key_exists_in_the_chart(storage):
    """velero chart 12.1.0 values.yaml (tests/velero/velero-12.1.0): Helm ignores unknown keys."""
    assert unknown_keys(velero_values(storage), chart_defaults()) == []


def test_key_check_catches_a_typo():
    assert unknown_keys({"credentials": {"useSecrets": False}}, chart_defaults()) == ["credentials.useSecrets"]


def test_chart_version_and_what_its_defaults_would_do():
    """Chart.yaml 12.1.0 ships Velero 1.18.1 (image.tag v1.18.1). Its defaults would use a static
    credentials Secret (credentials.useSecret: true), create its own BackupStorageLocation and
    VolumeSnapshotLocation and no node agent: each of those is overridden on purpose."""
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    assert (chart["name"], chart["version"], chart["appVersion"]) == (VELERO_CHART_NAME, VELERO_CHART_VERSION, "1.18.1")
    defaults = chart_defaults()
    assert defaults["image"]["tag"] == "v1.18.1"
    assert defaults["credentials"]["useSecret"] is True
    assert (defaults["backupsEnabled"], defaults["snapshotsEnabled"], defaults["deployNodeAgent"]) == (
        True,
        True,
        False,
    )
    values = velero_values(GCS)
    assert values["credentials"] == {"useSecret": False}
    assert (values["backupsEnabled"], values["snapshotsEnabled"], values["deployNodeAgent"]) == (False, False, True)
    # The chart's deployment copies plugins from init containers that mount its `plugins` volume at
    # /target (values.yaml, initContainers example).
    assert "mountPath: /target" in (CHART_DIR / "values.yaml").read_text()
    [plugin] = values["initContainers"]
    assert plugin["volumeMounts"] == [{"mountPath": "/target", "name": "plugins"}]


@pytest.mark.parametrize("storage", [GCS, S3], ids=["gcp", "aws"])
def test_plugin_is_the_clouds_and_pinned(storage):
    [plugin] = velero_values(storage)["initContainers"]
    assert plugin["image"] == PLUGIN_IMAGES[storage.provider]
    assert plugin["image"].rsplit(":", 1)[1] == "v1.14.2"  # an exact tag, never latest
    assert velero_values(storage)["serviceAccount"]["server"]["annotations"] == dict(
        storage.service_account_annotations
    )


# ---- Velero's objects against its CRD schemas --------------------------------------------------


def crd(kind: str) -> dict[str, Any]:
    return json.loads((CRDS / f"{kind.lower()}.json").read_text())


def closed(schema: Any) -> Any:
    """The schema with unknown fields refused where it declares its properties (the API server
    would prune them silently)."""
    if isinstance(schema, dict):
        out = {k: closed(v) for k, v in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [closed(v) for v in schema]
    return schema


def assert_valid_spec(kind: str, spec: dict[str, Any]) -> None:
    schema = closed(crd(kind)["openAPIV3Schema"]["properties"]["spec"])
    jsonschema.validate(spec, schema)


def test_schedule_matches_the_crd():
    spec = schedule_spec(BACKUPS, "astronomer")
    assert_valid_spec("Schedule", spec)
    template = spec["template"]
    assert spec["schedule"] == "0 * * * *"
    assert template["ttl"] == "168h0m0s"
    assert template["includedNamespaces"] == ["astronomer-*"]
    assert template["defaultVolumesToFsBackup"] is True and template["snapshotVolumes"] is False


def test_schema_check_refuses_an_unknown_field():
    with pytest.raises(jsonschema.ValidationError):
        assert_valid_spec("Schedule", {**schedule_spec(BACKUPS, "astronomer"), "retention": "7d"})


def test_ttl_follows_retention_days():
    assert schedule_spec(BackupSettings("30 2 * * *", 14, "US"), "astronomer")["template"]["ttl"] == "336h0m0s"


def test_restore_matches_the_crd_and_names_its_backup():
    """velero.io_restores.yaml; exactly one of backupName and scheduleName (velero v1.18.1
    pkg/controller/restore_controller.go:338-342). The program always names the backup: with
    scheduleName Velero takes the newest Completed backup (restore_controller.go:367-388, 443-463),
    an empty one included."""
    spec = restore_spec("astronomer-deployments-20261120093000", "astronomer")
    assert_valid_spec("Restore", spec)
    assert spec["backupName"] == "astronomer-deployments-20261120093000" and "scheduleName" not in spec


def test_restore_phases_and_status_fields_are_velero_s():
    status = crd("Restore")["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert set(RESTORE_TERMINAL_PHASES) <= set(status["phase"]["enum"])
    assert {"errors", "warnings", "failureReason", "validationErrors", "progress"} <= set(status)
    assert {"itemsRestored", "totalItems"} <= set(status["progress"]["properties"])


@pytest.mark.parametrize("storage", [GCS, S3], ids=["gcp", "aws"])
def test_backup_location_matches_the_crd(storage):
    assert_valid_spec("BackupStorageLocation", backup_location_spec(storage))
    status = crd("BackupStorageLocation")["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert "lastSyncedTime" in status  # what the program waits for: Velero has listed the bucket


def test_redis_volumes_are_skipped_by_a_volume_policy():
    """Velero docs v1.18 resource-filtering.md: volumePolicies with pvcLabels / volumeTypes conditions and a
    skip action. apache/airflow chart/templates/redis/redis-statefulset.yaml: selector tier=airflow,
    component=redis (the PVCs' labels); an emptyDir `redis-db` without persistence."""
    policy = yaml.safe_load(resource_policy())
    assert policy == {
        "version": "v1",
        "volumePolicies": [
            {"conditions": {"pvcLabels": {"tier": "airflow", "component": "redis"}}, "action": {"type": "skip"}},
            {"conditions": {"volumeTypes": ["emptyDir"]}, "action": {"type": "skip"}},
        ],
    }


def test_restore_names_are_stable_and_short():
    assert restore_name("latest") == "astronomer-deployments-latest"
    assert restore_name("astronomer-deployments-20261120093000") == "restore-astronomer-deployments-20261120093000"
    long = restore_name("x" * 200)
    assert len(long) <= 63 and long == restore_name("x" * 200)


def test_wait_annotations_use_the_rfc9535_jsonpath_of_pulumi_kubernetes():
    """pulumi-kubernetes CHANGELOG 4.24.0: waitFor takes RFC 9535 JSONPath, e.g.
    jsonpath={.status[?@ == 'Running' || @ == 'Succeeded' ]}; requirements pin >= 4.34."""
    assert RESTORE_WAIT_FOR == (
        "jsonpath={.status[?@ == 'Completed' || @ == 'PartiallyFailed' || @ == 'Failed' || @ == 'FailedValidation']}"
    )
    assert LOCATION_WAIT_FOR == "jsonpath={.status.lastSyncedTime}"
    requirement = next(
        line for line in Path("requirements.in").read_text().splitlines() if line.startswith("pulumi-kubernetes")
    )
    assert ">=4.34" in requirement


def test_a_failed_restore_stops_the_run_with_velero_s_phase_and_counts():
    status = {
        "phase": "PartiallyFailed",
        "errors": 3,
        "warnings": 1,
        "progress": {"totalItems": 120, "itemsRestored": 117},
    }
    message = said(restore_failure("astronomer-deployments-latest", status))
    assert "ended PartiallyFailed" in message and "3 error(s), 1 warning(s)" in message and "117 of 120" in message
    assert "velero restore describe astronomer-deployments-latest --details" in message
    with pytest.raises(RestoreFailed, match=r"FailedValidation.*No backups found for schedule"):
        _checked(
            NonCallableMock(spec=VeleroObject),
            "r",
            {"phase": "FailedValidation", "validationErrors": ["No backups found for schedule"]},
            "astronomer",
        )
    assert restore_failure("r", {"phase": "Completed"}) is None
    assert restore_failure("r", None) is None  # preview: not known yet


# ---- what the stacks register -----------------------------------------------------------------


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_velero_is_a_pinned_release_in_its_namespace(stack):
    evaluation = committed_stack(stack)
    release = evaluation.one(RELEASE, "velero-release")
    assert release.input("chart") == VELERO_CHART_NAME and release.input("version") == VELERO_CHART_VERSION
    assert release.input("repositoryOpts.repo") == VELERO_CHART_REPOSITORY
    assert release.input("namespace") == "velero" and release.input("atomic") is True
    values = release.input("values")
    assert values["credentials"] == {"useSecret": False}
    assert values["initContainers"][0]["image"] == PLUGIN_IMAGES[stack]
    assert "secretContents" not in json.dumps(values)


def test_gcp_backups_bucket_is_protected_twice_and_outside_the_region():
    evaluation = committed_stack("gcp")
    bucket = evaluation.one("gcp:storage/bucket:Bucket", "astro-gcp-backups")
    assert (
        bucket.protect is True and bucket.input("deletionPolicy") == "PREVENT" and bucket.input("forceDestroy") is False
    )
    assert bucket.input("location") == "US"  # us-central1's multi-region
    assert bucket.input("versioning") == {"enabled": True}
    assert bucket.input("publicAccessPrevention") == "enforced" and bucket.input("uniformBucketLevelAccess") is True
    assert bucket.input("softDeletePolicy.retentionDurationSeconds") >= 7 * 24 * 3600
    assert bucket.input("name") != evaluation.one("gcp:storage/bucket:Bucket", "astro-gcp-registry").input("name")
    assert evaluation.outputs["backups_bucket"] == bucket.input("name")


def test_gcp_velero_identity_is_keyless_and_scoped_to_the_bucket():
    evaluation = committed_stack("gcp")
    bucket = evaluation.one("gcp:storage/bucket:Bucket", "astro-gcp-backups").input("name")
    account = evaluation.one("gcp:serviceaccount/account:Account", "astro-gcp-backups-identity")
    email = f"{account.input('accountId')}@acme-astronomer-prod.iam.gserviceaccount.com"
    grants = [
        g
        for g in evaluation.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
        if g.name.startswith("astro-gcp-backups")
    ]
    assert {g.input("role") for g in grants} == {"roles/storage.objectAdmin", "roles/storage.legacyBucketReader"}
    assert {g.input("bucket") for g in grants} == {bucket} and {g.input("member") for g in grants} == {
        f"serviceAccount:{email}"
    }
    identity = evaluation.one("gcp:serviceaccount/iAMMember:IAMMember", "astro-gcp-backups-workload-identity")
    # Per cluster (item 2 of issue 19): another cluster's Velero in the project is another principal.
    cluster = evaluation.one("gcp:container/cluster:Cluster").input("name")
    assert identity.input("member") == f"serviceAccount:acme-astronomer-prod.svc.id.goog[velero/velero-{cluster}]"
    assert identity.input("role") == "roles/iam.workloadIdentityUser"
    sign = evaluation.one("gcp:serviceaccount/iAMMember:IAMMember", "astro-gcp-backups-sign")
    assert sign.input("member") == f"serviceAccount:{email}"  # only on itself
    # No project-level role for Velero (the only project-level grant is the GKE nodes' own role).
    assert not [
        r
        for r in evaluation.resources
        if r.type.startswith(("gcp:projects/", "gcp:organizations/")) and "backups" in r.name
    ]
    values = evaluation.one(RELEASE, "velero-release").input("values")
    assert values["serviceAccount"]["server"]["annotations"] == {"iam.gke.io/gcp-service-account": email}
    assert values["serviceAccount"]["server"]["name"] == f"velero-{cluster}"
    location = evaluation.one(LOCATION)
    assert (
        location.input("spec.config") == {"serviceAccount": email}
        and location.input("spec.objectStorage.bucket") == bucket
    )


AWS_BUCKET = f"astro-aws-backups-{MOCK_AWS_ACCOUNT}-us-west-2"
AWS_BUCKET_ARN = f"arn:aws:s3:::{AWS_BUCKET}"
AWS_KEY_ARN = f"arn:aws:kms:us-west-2:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id('astro-aws-backups-key')}"


def aws_region_of(evaluation, resource) -> str:
    [provider] = [p for p in evaluation.of_type("pulumi:providers:aws") if resource.provider.startswith(p.urn + "::")]
    return provider.input("region")


def test_aws_backups_bucket_is_protected_encrypted_and_in_the_backup_region():
    evaluation = committed_stack("aws")
    bucket = evaluation.one("aws:s3/bucket:Bucket", "astro-aws-backups")
    assert bucket.input("bucket") == AWS_BUCKET and bucket.protect is True and bucket.input("forceDestroy") is False
    assert aws_region_of(evaluation, bucket) == "us-west-2"  # database.backupReplicaRegion
    key = evaluation.one("aws:kms/key:Key", "astro-aws-backups-key")
    assert key.protect is True and aws_region_of(evaluation, key) == "us-west-2"
    assert evaluation.one("aws:s3/bucketVersioning:BucketVersioning", "astro-aws-backups").protect is True
    block = evaluation.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "astro-aws-backups")
    assert all(
        block.input(k) is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    [rule] = evaluation.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "astro-aws-backups"
    ).input("rules")
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": AWS_KEY_ARN}
    [statement] = json.loads(evaluation.one("aws:s3/bucketPolicy:BucketPolicy", "astro-aws-backups").input("policy"))[
        "Statement"
    ]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == [AWS_BUCKET_ARN, f"{AWS_BUCKET_ARN}/*"]
    assert evaluation.outputs["backups_bucket"] == AWS_BUCKET


def test_aws_velero_role_trusts_only_velero_and_reaches_only_its_bucket_and_key():
    evaluation = committed_stack("aws")
    role = evaluation.one("aws:iam/role:Role", "astro-aws-backups-irsa")
    [trust] = json.loads(role.input("assumeRolePolicy"))["Statement"]
    assert list(trust["Condition"]["StringEquals"].values()) in (
        ["system:serviceaccount:velero:velero", "sts.amazonaws.com"],
        ["sts.amazonaws.com", "system:serviceaccount:velero:velero"],
    )
    statements = json.loads(evaluation.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-backups-irsa").input("policy"))[
        "Statement"
    ]
    resources = {s["Sid"]: s["Resource"] for s in statements}
    assert resources == {"Bucket": AWS_BUCKET_ARN, "Objects": f"{AWS_BUCKET_ARN}/*", "BucketKey": AWS_KEY_ARN}
    assert not any(
        a.startswith("ec2:")
        for s in statements
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    )
    values = evaluation.one(RELEASE, "velero-release").input("values")
    assert values["serviceAccount"]["server"]["annotations"] == {
        "eks.amazonaws.com/role-arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:role/astro-aws-backups"
    }
    assert evaluation.one(LOCATION).input("spec.config") == {"region": "us-west-2", "kmsKeyId": AWS_KEY_ARN}


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_schedule_backs_up_every_deployment_namespace_hourly_for_a_week(stack):
    evaluation = committed_stack(stack)
    schedule = evaluation.one(SCHEDULE)
    assert schedule.input("metadata.name") == SCHEDULE_NAME and schedule.input("metadata.namespace") == "velero"
    assert schedule.input("spec.schedule") == "0 * * * *"
    assert schedule.input("spec.template.ttl") == "168h0m0s"
    assert schedule.input("spec.template.includedNamespaces") == ["astronomer-*"]
    location = evaluation.one(LOCATION)
    assert location.urn in schedule.dependencies
    assert location.input("metadata.annotations") == {"pulumi.com/waitFor": LOCATION_WAIT_FOR}
    assert evaluation.one(RELEASE, "velero-release").urn in location.dependencies
    assert evaluation.of_type(RESTORE) == []  # no Restore unless declared


def test_schedule_follows_the_config():
    evaluation = evaluated("gcp", backups={"schedule": "15 */4 * * *", "retentionDays": 30, "location": "NAM4"})
    schedule = evaluation.one(SCHEDULE)
    assert schedule.input("spec.schedule") == "15 */4 * * *" and schedule.input("spec.template.ttl") == "720h0m0s"
    assert evaluation.one("gcp:storage/bucket:Bucket", "astro-gcp-backups").input("location") == "NAM4"


@pytest.mark.parametrize("stack,backup", [("gcp", "latest"), ("aws", good_backup(datetime.now(UTC)))])
def test_a_declared_restore_runs_after_velero_read_the_bucket_alongside_the_platform(stack, backup):
    evaluation = from_another_stack(stack)
    restore = evaluation.one(RESTORE)
    assert restore.input("metadata.namespace") == "velero" and restore.input("metadata.name") == restore_name(backup)
    assert restore.input("metadata.annotations") == {"pulumi.com/waitFor": RESTORE_WAIT_FOR}
    assert restore.input("spec") == restore_spec(good_backup(datetime.now(UTC)), "astronomer")
    # Velero -> the location it reads (the other stack's), synced -> the Restore -> the Schedule;
    # the Astronomer release alongside (tests/test_restore_alongside.py). Not this stack's own
    # location: Velero finds the backup through the Backup object's own location (velero v1.18.1
    # pkg/controller/restore_controller.go:474-497).
    assert evaluation.one(LOCATION, "velero-source").urn in restore.dependencies
    assert evaluation.one(LOCATION, "velero-location").urn not in restore.dependencies
    schedule = evaluation.one(SCHEDULE)
    assert {restore.urn, evaluation.one(LOCATION, "velero-location").urn} <= set(schedule.dependencies)
    assert restore.urn not in evaluation.one(RELEASE, "astronomer-release").dependencies


def _cluster(stack: str) -> dict:
    from tests.test_restore import committed

    return committed(stack, "cluster")


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_deployments_from_another_stack_are_repointed_after_the_restore(stack):
    """A restore into another region's stack: the restored deployments' Secrets name the lost
    stack's database host (its `database_host` output), which the repoint Job rewrites once the
    Velero restore completed, alongside the platform release (tests/test_restore_alongside.py)."""
    evaluation = from_another_stack(stack)
    [job] = [
        j
        for j in evaluation.of_type("kubernetes:batch/v1:Job")
        if j.name.startswith("astronomer-repoint") and not j.name.endswith("-after")
    ]
    env = {e["name"]: e["value"] for e in job.input("spec.template.spec.containers.0.env")}
    assert "10.250.0.9" in env["OLD_HOSTS"].split(",")
    assert evaluation.one(RESTORE).urn in job.dependencies
    assert job.urn not in evaluation.one(RELEASE, "astronomer-release").dependencies


def test_the_database_host_is_an_output():
    assert committed_stack("aws").outputs["database_host"] == committed_stack("aws").outputs["database_address"]


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_a_restore_from_another_stacks_bucket_reads_it_and_writes_only_its_own_files(stack):
    """cluster.restore.sourceBucket: a second, ReadOnly BackupStorageLocation (velero.io_backupstoragelocations.yaml
    accessMode enum) the Restore waits on. Velero still writes the restore's log and results into the
    backup's location when the restore ends (velero v1.18.1 pkg/controller/restore_controller.go:638,
    771, 791, 811, 831; a failed upload is a Velero error: PartiallyFailed) and its finalizer deletes
    them (restore_controller.go:722-752, pkg/persistence/object_store.go:584-600), all under
    `restores/<restore>/` (pkg/persistence/object_store_layout.go:38-39, 68-70, 100-114). So: read
    everything, write and delete under `restores/` only, never under `backups/`."""
    evaluation = from_another_stack(stack)
    source = evaluation.one(LOCATION, "velero-source")
    spec = source.input("spec")
    assert_valid_spec("BackupStorageLocation", spec)
    assert (
        spec["accessMode"] == "ReadOnly"
        and spec["default"] is False
        and spec["objectStorage"] == {"bucket": "acme-other-backups"}
    )
    assert source.urn in evaluation.one(RESTORE).dependencies
    if stack == "gcp":
        grants = [
            g
            for g in evaluation.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
            if g.input("bucket") == "acme-other-backups"
        ]
        unconditional = {g.input("role") for g in grants if not g.input("condition")}
        assert unconditional == {"roles/storage.objectViewer", "roles/storage.legacyBucketReader"}
        [restores] = [g for g in grants if g.input("condition")]
        assert restores.input("role") == "roles/storage.objectUser"
        assert restores.input("condition.expression") == (
            'resource.name.startsWith("projects/_/buckets/acme-other-backups/objects/restores/")'
        )
        # Member resources only: none replaces the other stack's bucket policy.
        assert not evaluation.of_type("gcp:storage/bucketIAMPolicy:BucketIAMPolicy")
        assert not evaluation.of_type("gcp:storage/bucketIAMBinding:BucketIAMBinding")
    else:
        assert spec["config"] == {
            "region": "us-east-2",
            "kmsKeyId": OTHER_KEY,
        }
        statements = json.loads(
            evaluation.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-backups-irsa-source").input("policy")
        )["Statement"]
        allowed = {
            (a, r)
            for s in statements
            for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
            for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        }
        bucket, key = "arn:aws:s3:::acme-other-backups", OTHER_KEY
        assert allowed == {
            ("s3:ListBucket", bucket),
            ("s3:GetObject", f"{bucket}/*"),
            ("s3:PutObject", f"{bucket}/restores/*"),
            ("s3:DeleteObject", f"{bucket}/restores/*"),
            ("s3:AbortMultipartUpload", f"{bucket}/restores/*"),
            ("kms:Decrypt", key),
            ("kms:GenerateDataKey", key),
        }
        assert (
            evaluation.outputs["backups_kms_key_arn"] == AWS_KEY_ARN
            and evaluation.outputs["backups_region"] == "us-west-2"
        )


OTHER_KEY = f"arn:aws:kms:us-east-2:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id('other')}"


def from_another_stack(stack: str):
    """A stack restoring another stack's deployments: its bucket, its database host, and a restored database."""
    from tests.test_restore import AT

    backup = {"gcp": "latest", "aws": good_backup(datetime.now(UTC))}[stack]
    restore = {"backup": backup, "sourceBucket": "acme-other-backups", "previousDatabaseHosts": ["10.250.0.9"]}
    if stack == "aws":
        restore |= {
            "sourceRegion": "us-east-2",
            "sourceKmsKeyArn": OTHER_KEY,
        }
    return evaluated(stack, {"restore": {"pointInTime": AT}}, cluster={**_cluster(stack), "restore": restore})


def test_a_failed_restore_stops_pulumi_up_before_what_needs_the_deployments(monkeypatch):
    """The Restore as a PartiallyFailed Velero leaves it: the run fails with Velero's phase and counts,
    and neither the Schedule nor the deployments-ready check is registered (the release runs
    alongside the restore: whether it is installed depends on timing)."""
    from tests.conftest import evaluate_stack
    from tools import offline

    status = {
        "phase": "PartiallyFailed",
        "errors": 2,
        "warnings": 0,
        "progress": {"totalItems": 80, "itemsRestored": 78},
    }
    monkeypatch.setitem(offline.RESOURCE_OUTPUTS, RESTORE, lambda args, ctx: {"status": status})
    evaluation = evaluate_stack(
        "gcp", **{"astronomer-dr:cluster": {**_cluster("gcp"), "restore": {"backup": "latest"}}}
    )
    assert isinstance(evaluation.error, RestoreFailed)
    assert "ended PartiallyFailed. 2 error(s), 0 warning(s). 78 of 80 items restored" in str(evaluation.error)
    assert evaluation.of_type(RESTORE) != []
    assert [j for j in evaluation.of_type("kubernetes:batch/v1:Job") if j.name.startswith("deployments-ready")] == []
    assert evaluation.of_type(SCHEDULE) == []
