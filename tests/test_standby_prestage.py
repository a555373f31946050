"""A warm standby pre-staged for failover (issue 24, item 6): Velero installed before promotion with
the primary's backups bucket as its only, ReadOnly location, already synced; at promotion the
Restore waits for nothing the promotion creates (the database promotion included). And the
replica's availability chosen ahead (GCP `database.replicaHighAvailability`; AWS Multi-AZ already).

Velero v1.18.1 (vmware-tanzu/velero tag v1.18.1, 26ef8fa7) facts these tests hold the program to:
- every BackupStorageLocation is synced, ReadOnly included: pkg/controller/backup_sync_controller.go
  Reconcile (:80-252) lists the location's backups into Backup objects with no access-mode check and
  sets status.lastSyncedTime (:248-250), what the location's `pulumi.com/waitFor` waits on;
- a ReadOnly location never gets a backup (backup_controller.go:466-469: a validation error) nor
  loses one (gc_controller.go:162-168; backup_deletion_controller.go:200);
- a Restore finds its Backup object by name and the location through the Backup's own
  spec.storageLocation (restore_controller.go:474-497; missing: FailedValidation, :391-393), so it
  needs only the location it reads;
- at its end a restore uploads its log into that location (restore_controller.go:637-639); a failed
  upload is a Velero error, and errors make it PartiallyFailed (:677-684): the `restores/` writes
  are needed while a restore is declared, and granted only then.
"""

from __future__ import annotations

import functools
import json

import pytest

from components.config import check_primary, parse_settings
from components.platform.velero_chart import LOCATION_WAIT_FOR, SOURCE_LOCATION_NAME, WAIT_FOR
from components.schema import ConfigError
from tests.test_restore import committed
from tests.test_standby import (
    aws_standby,
    gcp_standby,
    primary_outputs,
    secret_tls,  # noqa: F401 (the fixture: TLS secrets read as secrets)
    standby,
    standby_config,
)
from tests.test_velero import assert_valid_spec

LOCATION = "kubernetes:velero.io/v1:BackupStorageLocation"
RELEASE = "kubernetes:helm.sh/v3:Release"
RESTORE = "kubernetes:velero.io/v1:Restore"
SCHEDULE = "kubernetes:velero.io/v1:Schedule"
REFERENCE = {"gcp": "organization/astronomer-dr/gcp", "aws": "organization/astronomer-dr/aws"}


def unpromoted(cloud: str):
    return gcp_standby() if cloud == "gcp" else aws_standby()


@functools.cache
def promoted(cloud: str):
    """The runbook's promotion: `standby.promote: true` and `cluster.restore.backup: latest`, no
    sourceBucket (the pre-staged location's bucket, the primary's, is the default)."""
    stack = f"{cloud}-standby"
    evaluation = standby(
        stack,
        cloud,
        **{
            "astronomer-dr:standby": {"primaryStack": REFERENCE[cloud], "promote": True, "cluster": "warm"},
            "astronomer-dr:cluster": {**committed(stack, "cluster"), "restore": {"backup": "latest"}},
        },
    )
    if evaluation.error is not None:
        raise AssertionError(f"{stack} failed to evaluate: {evaluation.error}") from evaluation.error
    return evaluation


def aws_allowed(policy: str) -> set[tuple[str, str]]:
    statements = json.loads(policy)["Statement"]
    return {
        (action, resource)
        for s in statements
        for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    }


def velero_grants(evaluation, cloud: str) -> set[tuple]:
    """What the standby's Velero identity is granted on buckets and keys."""
    if cloud == "gcp":
        return {
            (g.input("bucket"), g.input("role"), g.input("condition.expression"))
            for g in evaluation.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
            if g.name.startswith("astro-gcp-standby-backups")
        }
    role = "astro-aws-standby-backups"
    return {
        allowed
        for p in evaluation.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.input("role") == role
        for allowed in aws_allowed(p.input("policy"))
    }


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_a_warm_standby_runs_velero_with_the_primarys_bucket_read_only_and_nothing_of_its_own(cloud):
    """Before promotion: Velero's release, one location (the primary's bucket, ReadOnly, not the
    default, waited on until synced), no Schedule (nothing written into the primary's bucket, and
    no backups of its own: no bucket, no location, no `backups_bucket` output), no Restore. On AWS
    the bucket is read where it lives, `backups_region` (the primary's `backups.location`, never its
    region; not replicated, components/aws/buckets.py has no replication): here the standby's own.
    Velero runs without a default location: it only warns (velero v1.18.1
    pkg/controller/backup_storage_location_controller.go:299-300) and never makes another location the
    default (ensureSingleDefaultBSL, :331-373), so the source stays `default: false`."""
    evaluation, outputs = unpromoted(cloud), primary_outputs(cloud)
    assert [r.name for r in evaluation.of_type(RELEASE) if r.name.startswith("velero")] == ["velero-release"]
    [location] = evaluation.of_type(LOCATION)
    spec = location.input("spec")
    assert_valid_spec("BackupStorageLocation", spec)
    assert location.input("metadata.name") == SOURCE_LOCATION_NAME
    assert location.input("metadata.annotations") == {WAIT_FOR: LOCATION_WAIT_FOR}
    assert (spec["accessMode"], spec["default"]) == ("ReadOnly", False)
    assert spec["objectStorage"] == {"bucket": outputs["backups_bucket"]}
    if cloud == "aws":
        assert spec["config"] == {"region": outputs["backups_region"], "kmsKeyId": outputs["backups_kms_key_arn"]}
        assert outputs["backups_region"] == evaluation.outputs["region"] != outputs["region"]
    assert not evaluation.of_type(SCHEDULE) and not evaluation.of_type(RESTORE)
    assert "backups_bucket" not in evaluation.outputs
    bucket_types = ("gcp:storage/bucket:Bucket", "aws:s3/bucket:Bucket")
    assert not [r for r in evaluation.resources if r.type in bucket_types and "backups" in r.name]


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_before_promotion_velero_may_only_read_the_primarys_bucket(cloud):
    """Least privilege: list and read that one bucket (and, on S3, decrypt with its one key); no write
    anywhere, `restores/` included, until a restore is declared (module docstring)."""
    outputs = primary_outputs(cloud)
    bucket = outputs["backups_bucket"]
    if cloud == "gcp":
        assert velero_grants(unpromoted(cloud), cloud) == {
            (bucket, "roles/storage.objectViewer", None),
            (bucket, "roles/storage.legacyBucketReader", None),
        }
        return
    arn = f"arn:aws:s3:::{bucket}"
    assert velero_grants(unpromoted(cloud), cloud) == {
        ("s3:ListBucket", arn),
        ("s3:GetObject", f"{arn}/*"),
        ("kms:Decrypt", outputs["backups_kms_key_arn"]),
    }


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_at_promotion_the_restore_reads_the_prestaged_location_and_writes_only_its_files(cloud):
    """The promotion adds the restore's writes on the primary's bucket (`restores/` only) and the
    standby's own bucket, location and Schedule (after the restore); the pre-staged location and
    Velero's release are unchanged (no upgrade restarting Velero, no new sync)."""
    before, after, outputs = unpromoted(cloud), promoted(cloud), primary_outputs(cloud)
    for kind, name in ((RELEASE, "velero-release"), (LOCATION, "velero-source")):
        assert after.one(kind, name).inputs == before.one(kind, name).inputs, name
    restore = after.one(RESTORE)
    assert after.one(LOCATION, "velero-source").urn in restore.dependencies
    own = after.one(LOCATION, "velero-location")
    assert own.input("spec.objectStorage.bucket") == after.outputs["backups_bucket"] != outputs["backups_bucket"]
    assert {restore.urn, own.urn} <= set(after.one(SCHEDULE).dependencies)
    bucket = outputs["backups_bucket"]
    added = velero_grants(after, cloud) - velero_grants(before, cloud)
    if cloud == "gcp":
        assert {g for g in added if g[0] == bucket} == {
            (
                bucket,
                "roles/storage.objectUser",
                f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/restores/")',
            )
        }
    else:
        arn, key = f"arn:aws:s3:::{bucket}", outputs["backups_kms_key_arn"]
        assert {a for a in added if a[1].startswith(arn) or a[1] == key} == {
            ("s3:PutObject", f"{arn}/restores/*"),
            ("s3:DeleteObject", f"{arn}/restores/*"),
            ("s3:AbortMultipartUpload", f"{arn}/restores/*"),
            ("kms:GenerateDataKey", key),
        }


def _waits_for(evaluation, resource) -> set[str]:
    """Every URN `resource` waits for, transitively; a component stands for its children too."""
    by_urn = {r.urn: r for r in evaluation.resources}
    children: dict[str, list[str]] = {}
    for r in evaluation.resources:
        children.setdefault(r.parent, []).append(r.urn)
    seen: set[str] = set()
    todo = list(resource.dependencies)
    while todo:
        urn = todo.pop()
        if urn in seen:
            continue
        seen.add(urn)
        todo += children.get(urn, [])
        if urn in by_urn:
            todo += by_urn[urn].dependencies
    return seen


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_at_promotion_the_restore_waits_for_nothing_the_promotion_creates_nor_the_database(cloud):
    """Of what the promotion adds, the Restore waits (through Velero's release) for the one grant
    of the restore's own writes only: not for the standby's new bucket, its location or its
    grants, and not for the database, whose promotion runs alongside (Pulumi starts a resource's
    step once the resources it depends on are done)."""
    before, after = unpromoted(cloud), promoted(cloud)
    restore = after.one(RESTORE)
    waits = _waits_for(after, restore)
    new = {r.urn for r in after.resources} - {r.urn for r in before.resources}
    writes = {
        "gcp": ("gcp:storage/bucketIAMMember:BucketIAMMember", "astro-gcp-standby-backups-source-restores"),
        "aws": ("aws:iam/rolePolicy:RolePolicy", "astro-aws-standby-backups-irsa-source"),
    }[cloud]
    grant = after.one(*writes).urn
    assert waits & new <= {grant}
    database = after.one("gcp:sql/databaseInstance:DatabaseInstance" if cloud == "gcp" else "aws:rds/instance:Instance")
    assert database.urn not in waits
    # The platform waits for the database, not for the restore: they run alongside
    # (tests/test_restore_alongside.py); the deployments-ready check waits for both.
    platform = after.one(RELEASE, "astronomer-release")
    assert database.urn in _waits_for(after, platform) and restore.urn not in _waits_for(after, platform)
    ready = after.one("kubernetes:batch/v1:Job", "deployments-ready-job")
    assert {restore.urn, platform.urn} <= _waits_for(after, ready)


@pytest.mark.usefixtures("secret_tls")
@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_an_unpromoted_standby_refuses_a_deployments_restore(cloud):
    config = standby_config(f"{cloud}-standby")
    cluster = json.loads(config["astronomer-dr:cluster"])
    config["astronomer-dr:cluster"] = json.dumps({**cluster, "restore": {"backup": "latest"}})
    with pytest.raises(ConfigError, match=r"astronomer-dr:cluster\.restore: only with standby\.promote: true"):
        parse_settings(config, f"{cloud}-standby")


@pytest.mark.usefixtures("secret_tls")
@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_a_warm_standby_refuses_a_primary_that_exports_no_backups_bucket(cloud):
    """Refused naming the fix (the primary's `pulumi up`), before promotion; on AWS a bucket in
    the primary's own region is refused too (it would be lost with it)."""
    settings = parse_settings(standby_config(f"{cloud}-standby"), f"{cloud}-standby")
    exports = dict(primary_outputs(cloud))
    with pytest.raises(ConfigError, match="does not export backups_bucket: run `pulumi up` on the primary"):
        check_primary(settings, {**exports, "backups_bucket": None})
    assert check_primary(settings, exports).backups_bucket == exports["backups_bucket"]
    if cloud == "aws":
        with pytest.raises(ConfigError, match="backups bucket is in its own region us-east-1"):
            check_primary(settings, {**exports, "backups_region": "us-east-1"})
    cold = parse_settings(standby_config(f"{cloud}-standby", cluster="cold"), f"{cloud}-standby")
    assert check_primary(cold, {**exports, "backups_bucket": None}).backups_bucket is None


# ---- the replica's availability before promotion ----------------------------------------------------

INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"


def _with_database(stack: str, **changes) -> dict[str, str]:
    config = standby_config(stack)
    config["astronomer-dr:database"] = json.dumps({**json.loads(config["astronomer-dr:database"]), **changes})
    return config


@pytest.mark.usefixtures("secret_tls")
def test_replica_high_availability_is_a_standby_key_that_needs_high_availability():
    settings = parse_settings(_with_database("gcp-standby", replicaHighAvailability=True), "gcp-standby")
    assert settings.require_gcp().database.replica_high_availability is True
    assert (
        parse_settings(standby_config("gcp-standby"), "gcp-standby").require_gcp().database.replica_high_availability
        is False
    )
    with pytest.raises(ConfigError, match=r"database\.replicaHighAvailability: needs database\.highAvailability: true"):
        parse_settings(
            _with_database("gcp-standby", replicaHighAvailability=True, highAvailability=False), "gcp-standby"
        )
    primary = {
        k: v
        for k, v in _with_database("gcp-standby", replicaHighAvailability=True).items()
        if k != "astronomer-dr:standby"
    }
    with pytest.raises(ConfigError, match=r"database\.replicaHighAvailability: only with a standby"):
        parse_settings(primary, "gcp")
    # A GCP key: AWS's replica is Multi-AZ with database.highAvailability already (below).
    with pytest.raises(ConfigError, match=r"database\.replicaHighAvailability"):
        parse_settings(_with_database("aws-standby", replicaHighAvailability=True), "aws-standby")


def test_a_regional_replica_is_promoted_without_an_availability_change():
    """`database.replicaHighAvailability: true`: the replica is registered REGIONAL, and the
    promoted instance's settings are REGIONAL too, so no run of the promotion changes it. The
    provider keeps a replica's `availability_type` in place (google-beta 93c65b2d,
    services/sql/resource_sql_database_instance.go: schema :452-465, Optional with default ZONAL and no
    ForceNew; the CustomizeDiff's ForceNewIf list :253-270 does not name it) and, after PromoteReplica,
    reads it from the API for every non-pool instance (:3383-3393): the promoting run's patch
    (built from that read, docs/DATABASE-FAILOVER.md) sends REGIONAL back. Only backups and PITR are
    left to the second run."""
    from components.gcp.replica import PROMOTION_NOTE, promotion_note, replica_args

    evaluation = standby(
        "gcp-standby",
        "gcp",
        **{"astronomer-dr:database": {**committed("gcp-standby", "database"), "replicaHighAvailability": True}},
    )
    assert evaluation.error is None, evaluation.error
    regional, zonal = evaluation.one(INSTANCE), gcp_standby().one(INSTANCE)
    assert (regional.input("settings.availabilityType"), zonal.input("settings.availabilityType")) == (
        "REGIONAL",
        "ZONAL",
    )
    # Nothing else of the replica differs: the choice costs a second zone, not another replica.
    differing = {k for k, v in regional.input("settings").items() if zonal.input("settings").get(k) != v}
    assert differing == {"availabilityType"} and regional.urn == zonal.urn

    settings = parse_settings(_with_database("gcp-standby", replicaHighAvailability=True), "gcp-standby")
    database = settings.require_gcp().database
    before, after = (
        replica_args(database, "us-east4", "network", "source", promote=promote)["settings"]
        for promote in (False, True)
    )
    assert before.availability_type == after.availability_type == "REGIONAL"
    assert "regional already" in promotion_note(database) and "zonal" in PROMOTION_NOTE


def test_the_aws_replica_is_multi_az_before_promotion_already():
    """AWS needs no such key: the RDS replica takes `database.highAvailability` as `multi_az` from the
    start, the promoted instance keeps it, so promoting changes no Multi-AZ. The provider creates a
    read replica with it (hashicorp/terraform-provider-aws internal/service/rds/instance.go,
    resourceInstanceCreate's `replicate_source_db` branch: `input.MultiAZ` of
    CreateDBInstanceReadReplicaInput from `multi_az`) and `multi_az` is Optional+Computed, not ForceNew
    (its schema there): an in-place setting either way."""
    replica, promoted_instance = (
        aws_standby().one("aws:rds/instance:Instance"),
        promoted("aws").one("aws:rds/instance:Instance"),
    )
    assert replica.input("multiAz") is True and promoted_instance.input("multiAz") is True
    assert replica.urn == promoted_instance.urn


# ---- the pre-staged location watched ------------------------------------------------------------


def test_the_prestaged_location_is_watched_on_gcp():
    """Velero validates every location, ReadOnly included, and sets `velero_backup_location_status_gauge`
    per location (velero v1.18.1 pkg/controller/backup_storage_location_controller.go:253, 265-279;
    pkg/metrics/metrics.go:55, 952-963; the name is in Velero's own list, tests/velero/metrics-v1.18.1.txt).
    On GCP, Cloud Monitoring evaluates it from Managed Prometheus (the PodMonitoring the promoted
    stack keeps, same name). AWS delivers Velero's alerts through the platform's Prometheus and
    Alertmanager, which a standby runs only once promoted: nothing there before."""
    from components.platform.alerts import LOCATION_FOR, source_location_rule
    from tests.test_alerts import velero_metrics

    rule = source_location_rule("astro-gcp-standby")
    assert set(rule.metrics) <= velero_metrics() and rule.for_ == LOCATION_FOR
    evaluation = gcp_standby()
    [policy] = [p for p in evaluation.of_type("gcp:monitoring/alertPolicy:AlertPolicy") if p.name.endswith(rule.alert)]
    [condition] = policy.input("conditions")
    assert condition["conditionPrometheusQueryLanguage"]["query"] == (
        'velero_backup_location_status_gauge{backup_location_name="source",cluster="astro-gcp-standby"} == 0'
    )
    monitoring = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"
    assert evaluation.one(monitoring).urn == promoted("gcp").one(monitoring).urn
    assert not [a for a in aws_standby().resources if "velero" in a.name.lower() and "alert" in a.type.lower()]


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_the_plan_says_the_unpromoted_standby_is_pre_staged_not_unprotected(cloud):
    """The DR summary of a warm standby before promotion: Velero reads the primary's bucket, nothing
    is restored yet, and no "not backed up" warning (the standby runs no deployment)."""
    from tools.plan.summary import dr_summary

    rows = {r["property"]: r["value"] for r in dr_summary(unpromoted(cloud))}
    assert "Velero is pre-staged" in rows["Airflow deployments"] and "⚠️" not in rows["Airflow deployments"]
    assert "read-only here" in rows["Deployments restorable from"]
    assert "Deployments restored from" not in rows
    promoted_rows = {r["property"] for r in dr_summary(promoted(cloud))}
    assert "Deployments restored from" in promoted_rows
