"""A declared deployments restore does what was asked, once: which backup it takes, what it may
restore, what it may write in another stack's bucket, and its life cycle up to its record.

Facts are Velero v1.18.1's (vmware-tanzu/velero tag v1.18.1, commit
26ef8fa7df68dfa9ab8aa4669b8ac47340b0c510), cited file:line in each test.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from components.config import parse_settings
from components.platform.velero_chart import (
    BackupReader,
    NoBackupToRestore,
    backup_names,
    find_backup,
    parse_backup_metadata,
    record_status,
    restore_failure,
    restore_spec,
    velero_service_account,
    why_not_restorable,
)
from components.schema import ConfigError
from tests.conftest import TLS_SECRETS
from tests.test_restore import committed
from tests.test_velero import LOCATION, RELEASE, RESTORE, SCHEDULE, assert_valid_spec, closed, crd, from_another_stack
from tools.offline import Evaluation, evaluate
from tools.offline.backups import (
    empty_backup,
    expired_backup,
    fixture_bucket,
    good_backup,
)

NOW = datetime.now(UTC)
GRANT = "gcp:storage/bucketIAMMember:BucketIAMMember"


def reader_of(objects: dict[str, str]) -> BackupReader:
    """A bucket as the storage invokes see it (keys, then one object's text)."""
    return BackupReader(list_keys=lambda bucket, region: list(objects), read=lambda bucket, region, key: objects[key])


# ---- what a backup's metadata says, and which backup `latest` means -----------------------------


def test_the_fixture_backups_are_velero_backup_objects():
    """`backups/<name>/velero-backup.json` is the Backup object, status included (velero v1.18.1
    pkg/persistence/object_store_layout.go:72-74; written by pkg/persistence/object_store.go
    PutBackup). The offline engine's three backups validate against Velero's Backup CRD
    (config/crd/v1/bases/velero.io_backups.yaml, tests/velero/crds-v1.18.1/backup.json), unknown
    fields refused, and status carries what the program reads: phase (Completed among its enum),
    progress.itemsBackedUp, completionTimestamp, expiration (backup_controller.go:405-411)."""
    schema = closed(crd("Backup")["openAPIV3Schema"])
    for key, text in fixture_bucket(NOW).items():
        if key.endswith("velero-backup.json"):
            jsonschema.validate(json.loads(text), schema)
    status = crd("Backup")["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert "Completed" in status["phase"]["enum"]
    assert {"itemsBackedUp", "totalItems"} <= set(status["progress"]["properties"])
    assert {"completionTimestamp", "expiration", "startTimestamp"} <= set(status)


def test_an_empty_backup_is_completed_yet_never_restored():
    """A schedule whose namespace glob matches nothing backs up nothing and fails nothing: Velero
    marks it Completed with 0 items (pkg/util/collections/includes_excludes.go:266-268, a glob is
    not "everything"; pkg/controller/backup_controller.go:663-664 counts the items). Velero's own
    `scheduleName` restore would take it: mostRecentCompletedBackup keeps the newest Completed
    (pkg/controller/restore_controller.go:367-388, 443-463). The program passes it over."""
    [empty] = [
        parse_backup_metadata(empty_backup(NOW), t)
        for k, t in fixture_bucket(NOW).items()
        if k.startswith(f"backups/{empty_backup(NOW)}/velero-backup.json")
    ]
    assert empty.phase == "Completed" and empty.items == 0
    assert "empty" in (why_not_restorable(empty, NOW) or "")
    record, skipped = find_backup(reader_of(fixture_bucket(NOW)), "latest", "b", None, NOW)
    assert record.name == good_backup(NOW) and record.items == 412
    assert skipped == [f"{empty_backup(NOW)}: empty (no deployment namespace existed when it ran)"]
    # Names sort by time: `<schedule>-<yyyyMMddHHmmss>` (pkg/apis/velero/v1/schedule_types.go:138-140).
    assert backup_names(fixture_bucket(NOW)) == [empty_backup(NOW), good_backup(NOW), expired_backup(NOW)]


def test_an_expired_or_missing_backup_is_refused_with_what_was_found():
    """An expired backup is deleted by Velero's GC; a named one that is empty, expired or absent, or
    a bucket with no qualifying backup, is a refusal that names what it saw."""
    only_bad = fixture_bucket(NOW, names=[empty_backup(NOW), expired_backup(NOW)])
    with pytest.raises(NoBackupToRestore) as refused:
        find_backup(reader_of(only_bad), "latest", "acme-other-backups", None, NOW)
    text = str(refused.value)
    assert "acme-other-backups" in text and f"{expired_backup(NOW)}: expired" in text and "empty" in text
    for name in (empty_backup(NOW), expired_backup(NOW), "astronomer-deployments-20200101000000"):
        with pytest.raises(NoBackupToRestore, match=f"backup {name} is not in bucket"):
            find_backup(reader_of(fixture_bucket(NOW)), name, "b", None, NOW)
    assert find_backup(reader_of(fixture_bucket(NOW)), good_backup(NOW), "b", None, NOW)[0].name == good_backup(NOW)


@functools.cache
def declared(stack: str):
    return from_another_stack(stack)


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_offline_latest_restores_the_newest_backup_holding_the_deployments(stack):
    """End to end with the storage invokes answered as the clouds do (tools/offline/backups.py: an
    expired, a good, a newer empty backup): the Restore names the good backup (`backupName`, never
    `scheduleName`), and the stack exports it. GCS: objects list with a match glob, every page
    (hashicorp/terraform-provider-google-beta v7.45.0
    google-beta/services/storage/data_source_google_storage_bucket_objects.go:86-119), then the
    object's content as text (data_source_storage_bucket_object_content.go:96-103); S3: the `backups/` common prefixes, then the object with `download_body`
    (the plugin uploads without a Content-Type, so the provider leaves `body` empty otherwise:
    pulumi_aws/s3/get_object.py docstring)."""
    evaluation = declared(stack)
    restore = evaluation.one(RESTORE)
    assert restore.input("spec.backupName") == good_backup(NOW) and restore.input("spec.scheduleName") is None
    assert evaluation.outputs["deployments_restore_backup"] == good_backup(NOW)
    invokes = [(t, a) for t, a in evaluation.invokes if "bucket" in a and a["bucket"] == "acme-other-backups"]
    if stack == "gcp":
        assert invokes[0][0] == "gcp:storage/getBucketObjects:getBucketObjects"
        assert invokes[0][1]["matchGlob"] == "backups/*/velero-backup.json"
    else:
        assert invokes[0][0] == "aws:s3/getObjects:getObjects" and invokes[0][1]["delimiter"] == "/"
        assert invokes[0][1]["region"] == "us-east-2"
        assert all(a["downloadBody"] == "true" for t, a in invokes if t == "aws:s3/getObject:getObject")


def test_the_preview_says_which_backup_and_why_newer_ones_were_passed_over(monkeypatch):
    """Before anything runs (the choice is an invoke, answered in a preview too) the program says
    which backup it restores: name, age, items, namespaces, and each newer backup it passed over."""
    import pulumi

    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "info", lambda message, *a, **k: said.append(message))
    evaluation = evaluate(
        "gcp",
        secrets=TLS_SECRETS,
        overrides={
            "astronomer-dr:cluster": {
                **committed("gcp", "cluster"),
                "restore": {"backup": "latest", "sourceBucket": "acme-other-backups"},
            }
        },
        now=NOW,
    )
    assert evaluation.error is None, evaluation.error
    [message] = [m for m in said if m.startswith("deployments restore:")]
    assert f"backup {good_backup(NOW)} (Completed, " in message and "412 items of namespaces astronomer-*" in message
    assert "d " in message and "h " in message  # its age
    assert f"{empty_backup(NOW)}: empty" in message and "from bucket acme-other-backups" in message


def test_offline_no_backup_holding_the_deployments_is_a_refusal_before_any_restore():
    """A bucket whose backups are all empty or expired: the run stops with the reason; no Restore,
    no Schedule, no platform release is registered."""
    evaluation = evaluate(
        "gcp",
        secrets=TLS_SECRETS,
        overrides={
            "astronomer-dr:cluster": {
                **committed("gcp", "cluster"),
                "restore": {"backup": "latest", "sourceBucket": "acme-other-backups"},
            }
        },
        buckets={"acme-other-backups": fixture_bucket(NOW, names=[empty_backup(NOW), expired_backup(NOW)])},
        now=NOW,
    )
    assert isinstance(evaluation.error, NoBackupToRestore)
    assert "is not in bucket acme-other-backups" in str(evaluation.error)
    assert evaluation.of_type(RESTORE) == [] and evaluation.of_type(SCHEDULE) == []
    assert [r for r in evaluation.of_type(RELEASE) if r.name == "astronomer-release"] == []


# ---- what a restore may bring back ----------------------------------------------------------------


def test_the_restore_brings_back_deployment_namespaces_only_and_no_cluster_scoped_object():
    """includeClusterResources false: every cluster-scoped item is skipped (velero v1.18.1
    pkg/restore/restore.go:2270-2273; unset with specific namespaces skips them too, 2275-2278), so a
    tampered bucket brings no ClusterRoleBinding. A deployment needs none: astronomer/airflow-chart's
    only cluster-scoped template is an OpenShift SecurityContextConstraints behind `sccEnabled`
    (templates/airflow-scc-anyuid.yaml, commit 5e969eb3a34185790cd60d38f909658aaf87f1e3); Velero
    creates the namespaces from the backup's Namespace objects and the volumes from their claims.
    No resource is excluded: leaving out persistentvolumeclaims or persistentvolumes stops the
    file-system volume restores (restore.go:1735-1740)."""
    spec = restore_spec("astronomer-deployments-20261120000000", "astronomer")
    assert_valid_spec("Restore", spec)
    assert spec["includeClusterResources"] is False
    assert spec["includedNamespaces"] == ["astronomer-*"]
    assert spec["excludedNamespaces"] == ["astronomer", "velero"]
    assert "excludedResources" not in spec and "includedResources" not in spec
    assert spec["restorePVs"] is True
    restore = declared("gcp").one(RESTORE)
    assert restore.input("spec.includeClusterResources") is False
    assert restore.input("spec.includedNamespaces") == ["astronomer-*"]


def test_a_failed_restore_says_how_to_retry_from_clean_namespaces():
    """Velero restores a volume's data only into a pod it creates (velero v1.18.1
    pkg/restore/restore.go:1733-1740, restorePodVolumeBackups after the pod's creation) and leaves
    existing objects alone (existingResourcePolicy none): a retry over the first attempt's pods could
    report Completed with empty DAG volumes. The failure says how to start clean: delete the
    Restore (its finalizer removes its files: restore_controller.go:722-752), delete the deployment
    namespaces (never the platform's: `<platform>-` prefix), refresh so the program declares it anew."""
    message = restore_failure("astronomer-deployments-latest", {"phase": "PartiallyFailed"}, "astronomer")
    assert message is not None
    assert "`velero restore delete astronomer-deployments-latest --confirm`" in message
    assert "grep '^namespace/astronomer-' | xargs -r kubectl delete --wait" in message
    assert "`pulumi up --refresh`" in message


# ---- the grants of a restore from another stack's bucket ----------------------------------------


def _velero_grants_on(evaluation, bucket: str) -> set[tuple[str, str | None]]:
    return {
        (g.input("role"), (g.input("condition") or {}).get("expression"))
        for g in evaluation.of_type(GRANT)
        if g.input("bucket") == bucket
    }


def test_gcp_standby_promotion_grants_exactly_what_a_restore_from_the_primary_bucket_needs():
    """A promoted standby restores from the primary's bucket: read it (objectViewer,
    legacyBucketReader), write and delete only under `restores/` (restore_controller.go:638, 722-752;
    object_store_layout.go:100-114), through member resources (non-authoritative: the primary's
    bucket policy keeps its other bindings). Its Velero is its own cluster's principal."""
    from tests.test_standby import gcp_standby, primary_outputs

    evaluation = gcp_standby(promote=True, cluster="cold")
    bucket = primary_outputs("gcp")["backups_bucket"]
    assert _velero_grants_on(evaluation, bucket) == {
        ("roles/storage.objectViewer", None),
        ("roles/storage.legacyBucketReader", None),
        (
            "roles/storage.objectUser",
            f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/restores/")',
        ),
    }
    identity = evaluation.one(
        "gcp:serviceaccount/iAMMember:IAMMember", "astro-gcp-standby-backups-workload-identity"
    ).input("member")
    primary_identity = primary_outputs("gcp").get("cluster_name")
    assert identity.endswith("[velero/velero-astro-gcp-standby]") and primary_identity != "astro-gcp-standby"
    assert evaluation.one(RESTORE).input("spec.backupName") == good_backup(NOW)


def test_aws_standby_promotion_grants_exactly_what_a_restore_from_the_primary_bucket_needs():
    from tests.test_standby import aws_standby, primary_outputs

    evaluation = aws_standby(promote=True, cluster="cold")
    outputs = primary_outputs("aws")
    [policy] = [
        p for p in evaluation.of_type("aws:iam/rolePolicy:RolePolicy") if p.input("name") == "velero-source-backups"
    ]
    statements = json.loads(policy.input("policy"))["Statement"]
    arn = f"arn:aws:s3:::{outputs['backups_bucket']}"
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["SourceRestoreFiles"]["Resource"] == f"{arn}/restores/*"
    assert by_sid["SourceObjects"]["Action"] == "s3:GetObject" and by_sid["SourceObjects"]["Resource"] == f"{arn}/*"
    # Decrypt to read the backups; a data key for the restore's own files (declared here).
    assert (by_sid["SourceKey"]["Action"], by_sid["SourceKeyWrite"]["Action"]) == ("kms:Decrypt", "kms:GenerateDataKey")
    assert by_sid["SourceKey"]["Resource"] == by_sid["SourceKeyWrite"]["Resource"] == outputs["backups_kms_key_arn"]
    source = evaluation.one(LOCATION, "velero-source").input("spec.config")
    assert source == {"region": outputs["backups_region"], "kmsKeyId": outputs["backups_kms_key_arn"]}


def test_gke_velero_principals_differ_per_cluster():
    """Every GKE cluster of a project shares the pool `<project>.svc.id.goog` and a principal names
    only `[namespace/ServiceAccount]` (https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity,
    "identity sameness"): the chart's default `velero` would make a drill's or standby's Velero the
    same principal. The chart runs the server and the node agent as `serviceAccount.server.name`
    (vmware-tanzu/helm-charts velero-12.1.0 charts/velero/templates/_helpers.tpl:37-43,
    deployment.yaml:71, node-agent-daemonset.yaml:64)."""
    assert velero_service_account("astro-gcp") != velero_service_account("astro-gcp-drill")
    assert velero_service_account("astro-gcp") == "velero-astro-gcp"


# ---- the life cycle: declared -> completed -> recorded -> a refresh restores nothing again -------


def _with(stack: str, **cluster) -> Evaluation:
    return evaluate(
        stack,
        secrets=TLS_SECRETS,
        overrides={"astronomer-dr:cluster": {**committed(stack, "cluster"), **cluster}},
        now=NOW,
    )


def test_restore_life_cycle_declared_completed_recorded_and_never_again():
    """Velero deletes every Restore naming a backup when that backup expires (velero v1.18.1
    pkg/controller/backup_deletion_controller.go:373-393); a `pulumi up --refresh` then finds it
    gone. So: declared, the Restore is created once (its spec never updated: ignore_changes) and
    retained when dropped from the program (retain_on_delete: deleting it would delete its log and
    results, restore_controller.go:722-752). Completed, the stack exports the backup it took.
    Recorded (`cluster.restored`), nothing is declared: no Restore, no source location, no grant on
    the other bucket, so no refresh can restore again; the stack says when the record can go."""
    source = {"sourceBucket": "acme-other-backups"}
    # declared
    evaluation = declared("gcp")
    restore = evaluation.one(RESTORE)
    assert restore.retain_on_delete and restore.ignore_changes == ["spec"]
    # completed (the offline Velero answers Completed)
    taken = evaluation.outputs["deployments_restore_backup"]
    # recorded
    recorded = _with("gcp", restored={"backup": taken, **source})
    assert recorded.error is None, recorded.error
    assert recorded.of_type(RESTORE) == []
    assert [loc.name for loc in recorded.of_type(LOCATION)] == ["velero-location"]
    assert _velero_grants_on(recorded, "acme-other-backups") == set()
    expires = (datetime.fromisoformat(NOW.strftime("%Y-%m-%d")).replace(tzinfo=UTC) - timedelta(days=1)) + timedelta(
        days=7
    )
    assert recorded.outputs["deployments_restored"] == (
        f"backup {taken} (restored; declares nothing) is kept until {expires:%Y-%m-%dT%H:%M:%SZ}: "
        "`cluster.restored` can go after that"
    )
    # the backup expired and Velero deleted it with its Restore; a refresh: still nothing declared
    gone = evaluate(
        "gcp",
        secrets=TLS_SECRETS,
        overrides={"astronomer-dr:cluster": {**committed("gcp", "cluster"), "restored": {"backup": taken, **source}}},
        buckets={"acme-other-backups": fixture_bucket(NOW, names=[empty_backup(NOW)])},
        now=NOW,
    )
    assert gone.error is None and gone.of_type(RESTORE) == []
    assert gone.outputs["deployments_restored"].endswith("(expired): `cluster.restored` can go")
    assert recorded.one(SCHEDULE) is not None


def test_a_record_refuses_a_second_restore_and_latest():
    base = {**json.loads(json.dumps(committed("gcp", "cluster")))}
    with pytest.raises(ConfigError) as refused:
        parse_settings(
            _config({**base, "restore": {"backup": "latest"}, "restored": {"backup": good_backup(NOW)}}), "gcp", now=NOW
        )
    assert "cluster.restored" in str(refused.value) and "empty the deployment namespaces" in str(refused.value)
    with pytest.raises(ConfigError, match="not `latest`"):
        parse_settings(_config({**base, "restored": {"backup": "latest"}}), "gcp", now=NOW)


def test_an_aws_record_keeps_its_bucket_s_region():
    """The record's bucket is read in its region (S3 answers another region's bucket with a redirect)."""
    from tools.offline import stack_config

    config, _ = stack_config("aws")
    cluster = {**committed("aws", "cluster"), "restored": {"backup": good_backup(NOW), "sourceBucket": "acme-b"}}
    with pytest.raises(ConfigError, match=r"cluster.restored.sourceRegion: required on AWS with sourceBucket"):
        parse_settings({**config, **TLS_SECRETS, "astronomer-dr:cluster": json.dumps(cluster)}, "aws", now=NOW)


def test_record_status_reads_the_expiration():
    objects = fixture_bucket(NOW)
    assert "can go after" in record_status(reader_of(objects), good_backup(NOW), "b", None, NOW)
    assert record_status(reader_of(objects), expired_backup(NOW), "b", None, NOW).startswith(
        f"backup {expired_backup(NOW)} expired at"
    )


def _config(cluster: dict) -> dict[str, str]:
    from tools.offline import stack_config

    config, _ = stack_config("gcp")
    return {**config, **TLS_SECRETS, "astronomer-dr:cluster": json.dumps(cluster)}


def test_the_restore_guide_documents_every_key_and_the_retry_the_program_prints():
    from pathlib import Path

    from components.config.backups import CLUSTER_RESTORE_FIELDS, CLUSTER_RESTORED_FIELDS
    from components.platform.velero_chart import PLUGIN_IMAGES, retry_steps

    guide = (Path(__file__).resolve().parent.parent / "docs" / "DEPLOYMENTS-RESTORE.md").read_text()
    for fields in (CLUSTER_RESTORE_FIELDS["restore"].fields, CLUSTER_RESTORED_FIELDS["restored"].fields):
        assert fields is not None
        for key in fields:
            assert f"`{key}`" in guide, key
    for command in retry_steps("astronomer-deployments-latest", "astronomer", ["pool-b", "pool-a"]).split("`")[1::2]:
        if command != "pulumi up --refresh":
            assert command in guide, command
    for image in PLUGIN_IMAGES.values():
        assert image in guide
    for output in ("deployments_restore_backup", "deployments_restored"):
        assert f"`{output}`" in guide
