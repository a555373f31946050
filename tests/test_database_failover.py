"""What the engines do at failover and after a restore (issue 19, items 3, 9-12, 14, 15).

Each test cites the engine's, provider's or chart's source (or the cloud's documentation) for the
behaviour it relies on; the program's side is asserted on what the real `__main__.py` registers
under the offline engine.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest

from components.config import parse_rfc3339
from components.config.restores import deletion_time_utc, earliest_second
from components.gcp.cluster import MINOR_UPGRADE_HOLD_START
from components.gcp.replica import PROMOTION_NOTE, PROMOTION_RUNS
from components.platform.component import (
    REPOINT_TIMEOUT_SECONDS,
    DatabaseEndpoint,
    repoint_label,
    repoint_namespace,
)
from components.platform.script_job import AWAIT_MARGIN_SECONDS, await_timeout
from components.schema import ConfigError
from tests.conftest import committed_stack
from tests.test_restore import AT, AT_LABEL, OLD_HOST, committed, evaluated, parse, refusal, restored
from tests.test_restore import gcp_config as restore_gcp_config
from tests.test_standby import gcp_standby
from tools.offline import Secret, evaluate, reveal
from tools.offline.records import Evaluation, Registered

JOB = "kubernetes:batch/v1:Job"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
CLUSTER_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
IAM_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
OTHER_HOST = "10.250.0.9"


def minutes(timeout: str) -> int:
    assert timeout.endswith("m"), timeout
    return int(timeout[:-1])


@functools.cache
def onto_original(stack: str):
    """Another stack's deployments restored onto this stack's own database: `cluster.restore` with
    `previousDatabaseHosts`, no `database.restore`."""
    restore = {"backup": "latest", "sourceBucket": "acme-other-backups", "previousDatabaseHosts": [OTHER_HOST]}
    if stack == "aws":
        from tests.test_velero import AWS_KEY_ARN

        restore |= {"sourceRegion": "us-west-2", "sourceKmsKeyArn": AWS_KEY_ARN}
    return evaluated(stack, cluster={**committed(stack, "cluster"), "restore": restore})


def repoint_jobs(evaluation: Evaluation) -> dict[str, Registered]:
    return {j.name: j for j in evaluation.of_type(JOB) if j.name.startswith("astronomer-repoint")}


def env_of(job) -> dict[str, str]:
    return {e["name"]: e["value"] for e in job.input("spec.template.spec.containers.0.env")}


# ---- item 3: a promoted GCP standby's registry has an identity of its own ---------------------------


def test_the_promoted_standbys_registry_runs_as_its_own_bound_service_account():
    """GKE Workload Identity tells the clusters of a project apart only by `[namespace/KSA]`
    (https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity, "identity
    sameness"); the primary binds its registry account to `<release>-registry-<primary cluster>`
    only (components/gcp/registry.py). At promotion the standby adds one member, for the KSA its
    own registry runs as, on that one account: roles/iam.workloadIdentityUser, nothing on the bucket."""
    primary = committed_stack("gcp")
    promoted = gcp_standby(promote=True, cluster="cold")
    email = primary.outputs["registry_service_account"]
    [binding] = [m for m in promoted.of_type(IAM_MEMBER) if m.name.endswith("registry-workload-identity")]
    assert binding.input("serviceAccountId") == f"projects/acme-astronomer-prod/serviceAccounts/{email}"
    assert binding.input("role") == "roles/iam.workloadIdentityUser"
    ksa = "astronomer-registry-astro-gcp-standby"
    assert binding.input("member") == f"serviceAccount:acme-astronomer-prod.svc.id.goog[astronomer/{ksa}]"
    # The release's registry runs as exactly that KSA, annotated with the primary's account.
    account = promoted.one(RELEASE, "astronomer-release").input("values.astronomer.registry.serviceAccount")
    assert account == {
        "create": True,
        "name": ksa,
        "annotations": {"iam.gke.io/gcp-service-account": email},
    }
    # Not the primary's KSA; and the standby grants nothing on the primary's registry bucket.
    [primary_binding] = [m for m in primary.of_type(IAM_MEMBER) if m.name.endswith("registry-workload-identity")]
    assert primary_binding.input("member") != binding.input("member")
    assert not [
        g
        for g in promoted.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
        if g.input("bucket") == primary.outputs["registry_bucket"]
    ]
    # The binding waits for the identity pool (the cluster) and the release waits for the binding.
    cluster = promoted.one("gcp:container/cluster:Cluster")
    assert cluster.urn in binding.dependencies
    assert binding.urn in promoted.one(RELEASE, "astronomer-release").dependencies


def test_before_promotion_the_standby_binds_no_registry_identity():
    assert not [m for m in gcp_standby().of_type(IAM_MEMBER) if m.name.endswith("registry-workload-identity")]


# ---- item 9: previousDatabaseHosts repoint without a database restore -------------------------------


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_previous_hosts_alone_repoint_the_restored_deployments_onto_the_original_database(stack):
    """`cluster.restore.previousDatabaseHosts` without `database.restore`: the deployments restored
    from another stack's backups name that stack's host; the repoint Job moves them to this stack's
    own (original) database. Named after the hosts: another set of hosts is another repointing."""
    evaluation = onto_original(stack)
    jobs = repoint_jobs(evaluation)
    [label] = {env_of(j)["RESTORE_LABEL"] for j in jobs.values()}
    assert label.startswith("hosts-") and set(jobs) == {
        f"astronomer-repoint-{label}",
        f"astronomer-repoint-{label}-after",
    }
    env = env_of(jobs[f"astronomer-repoint-{label}"])
    assert env["OLD_HOSTS"] == OTHER_HOST and env["NEW_HOST"] == OLD_HOST[stack]
    # Another set of hosts is another repointing (another Job name); the order of hosts does not matter.
    endpoint = DatabaseEndpoint(host="10.0.0.1", username="u", password="p", previous_hosts=["a"], restoring=True)
    assert repoint_label(dataclasses.replace(endpoint, repoint_hosts=(OTHER_HOST,))) == label
    assert repoint_label(dataclasses.replace(endpoint, repoint_hosts=("10.250.0.10",))) != label
    assert repoint_label(dataclasses.replace(endpoint, repoint_hosts=("b", "a"))) == repoint_label(
        dataclasses.replace(endpoint, repoint_hosts=("a", "b"))
    )
    assert repoint_label(endpoint) is None  # the original database and no configured hosts: nothing to repoint
    assert repoint_label(dataclasses.replace(endpoint, label=AT_LABEL)) == AT_LABEL


def test_no_previous_hosts_no_repoint_on_the_original_database():
    evaluation = evaluated("gcp", cluster={**committed("gcp", "cluster"), "restore": {"backup": "latest"}})
    assert repoint_jobs(evaluation) == {}
    assert not [r for r in evaluation.resources if r.name.startswith("astronomer-repoint")]


# ---- item 10: every Job is awaited at least as long as it may run -----------------------------------


def test_the_await_timeout_covers_the_deadline():
    """pulumi-kubernetes waits `DefaultJobTimeoutMins = 10` minutes for a Job unless the resource's
    customTimeouts say otherwise (provider/pkg/await/job.go:79 and :131, `getTimeout` in
    awaiters.go:76-81 prefers the resource's timeout; v4.32.0 and main at 94977969, unchanged since
    af862bb of 2026-03-09)."""
    for deadline in (1, 59, 60, 900, 1620):
        assert minutes(await_timeout(deadline)) * 60 >= deadline + AWAIT_MARGIN_SECONDS
        assert minutes(await_timeout(deadline)) * 60 < deadline + AWAIT_MARGIN_SECONDS + 60
    assert minutes(await_timeout(REPOINT_TIMEOUT_SECONDS)) > 10


@pytest.mark.parametrize(
    "evaluation",
    [
        pytest.param(lambda: committed_stack("gcp"), id="gcp"),
        pytest.param(lambda: committed_stack("aws"), id="aws"),
        pytest.param(lambda: restored("gcp", pointInTime=AT), id="gcp-restore"),
        pytest.param(lambda: onto_original("aws"), id="aws-previous-hosts"),
        pytest.param(lambda: gcp_standby(promote=True, cluster="cold"), id="gcp-standby-promoted"),
    ],
)
def test_every_job_the_stacks_register_is_awaited_as_long_as_it_may_run(evaluation):
    jobs = evaluation().of_type(JOB)
    assert jobs
    for job in jobs:
        deadline = job.input("spec.activeDeadlineSeconds")
        assert deadline, f"{job.name} has no activeDeadlineSeconds"
        for operation in ("create", "update"):
            assert minutes(job.custom_timeouts[operation]) * 60 >= deadline, (job.name, job.custom_timeouts)


# ---- item 11: the repoint grant's ServiceAccount lives where nothing else runs ----------------------


def test_the_repoint_runs_in_a_namespace_of_its_own():
    """Whoever can create a pod in a namespace can run it as any ServiceAccount there
    (https://kubernetes.io/docs/concepts/security/rbac-good-practices/, "Workload creation"): the
    ServiceAccount holding the cluster-wide grant is alone in a namespace nothing else uses, which the
    Job does not take for a deployment's (repoint_job.deployment_namespaces: `<platform ns>-*`)."""
    evaluation = restored("gcp", pointInTime=AT)
    home = repoint_namespace("astronomer")
    assert not home.startswith("astronomer-")
    namespace = evaluation.one(NAMESPACE, "astronomer-repoint")
    assert namespace.input("metadata.name") == home
    in_home = [r for r in evaluation.resources if r.input("metadata.namespace") == home]
    assert {r.type.rsplit(":", 1)[-1] for r in in_home} == {"ServiceAccount", "ConfigMap", "Job"}
    assert all(r.name.startswith("astronomer-repoint") for r in in_home)
    binding = evaluation.one(CLUSTER_BINDING)
    assert binding.input("subjects") == [{"kind": "ServiceAccount", "name": "astronomer-dr-repoint", "namespace": home}]
    # Gone with the restore: the namespace (and everything in it), the role and its binding.
    promoted = evaluated("gcp", {"primary": AT_LABEL, "promoted": {"pointInTime": AT}})
    assert not [r for r in promoted.resources if r.name.startswith("astronomer-repoint")]


# ---- item 12: the repoint writes last ------------------------------------------------------------------


def ancestors(evaluation, urn: str) -> set[str]:
    """Every registered resource `urn` waits for, directly or not (reads such as a StackReference end a path)."""
    registered = {r.urn: r for r in evaluation.resources}
    seen: set[str] = set()
    todo = [urn]
    while todo:
        for dep in registered[todo.pop()].dependencies:
            if dep not in seen and dep in registered:
                seen.add(dep)
                todo.append(dep)
    return seen


@pytest.mark.parametrize(
    "evaluation",
    [
        pytest.param(lambda: restored("gcp", pointInTime=AT), id="gcp-restore"),
        pytest.param(lambda: gcp_standby(promote=True, cluster="cold"), id="gcp-standby-promoted"),
        pytest.param(lambda: onto_original("aws"), id="aws-previous-hosts"),
    ],
)
def test_the_repoint_runs_before_the_release_and_again_after_it(evaluation):
    """Houston's `upgrade-deployments` hook (astronomer v2.1.0 charts/astronomer/templates/houston/
    helm-hooks/houston-upgrade-deployments-job.yaml:4,20: enabled by default, `post-install,
    post-upgrade`) runs `yarn upgrade-deployments` (:58), a Helm upgrade of every deployment, whose
    chart renders the `-metadata` and `-pgbouncer-config` Secrets from `data.metadataConnection`
    (apache/airflow chart/templates/secrets/metadata-connection-secret.yaml: `$metadataHost :=
    .Values.data.metadataConnection.host`, and pgbouncer-config-secret.yaml; astronomer/airflow-chart
    1.18.8 wraps that chart, Chart.yaml `dependencies: airflow 1.17.16-astro`).
    Houston builds that connection from DEPLOYMENTS__DATABASE__CONNECTION (the `<release>-houston-backend`
    Secret, charts/astronomer/templates/_helpers.yaml houston_environment), whose host its code (not
    public) may or may not take from the restored database. Helm waits for hook Jobs before the release
    completes (helm pkg/action/hooks.go execHook), so a Job depending on the release runs after the
    hook: the repoint is the last writer whatever Houston wrote, and finds nothing if it wrote the new host.
    With a Velero restore declared the first run waits for the restore instead, alongside the release
    whose upgrade hook is then off (tests/test_restore_alongside.py)."""
    found = evaluation()
    jobs = repoint_jobs(found)
    [before] = [j for n, j in jobs.items() if not n.endswith("-after")]
    [after] = [j for n, j in jobs.items() if n.endswith("-after")]
    release = found.one(RELEASE, "astronomer-release")
    velero_restore = found.of_type("kubernetes:velero.io/v1:Restore")
    assert (before.urn in ancestors(found, release.urn)) is not bool(velero_restore)
    assert release.urn in after.dependencies and before.urn in after.dependencies
    # The same repointing, run again with every revision of the release (Houston's hook is post-upgrade too).
    assert {k: v for k, v in env_of(after).items() if k != "RELEASE_REVISION"} == env_of(before)
    assert env_of(after)["RELEASE_REVISION"] and after.delete_before_replace
    assert after.input("metadata.name") == before.input("metadata.name") + "-after"
    assert len(after.input("metadata.name")) <= 63


# ---- item 14: GKE holds minor upgrades until the version's end of support ---------------------------


def test_the_cluster_holds_minor_upgrades_until_end_of_support():
    """google-beta services/container/resource_container_cluster.go: maintenance_exclusion schema
    (~1427-1464: scope NO_MINOR_UPGRADES, end_time_behavior UNTIL_END_OF_SUPPORT), expand (~6380-6390:
    with end_time_behavior no end time is sent), flatten (~8299-8305: none read back, so no drift).
    The API: UNTIL_END_OF_SUPPORT "means the exclusion will be in effect until the end of the support
    of the cluster's current version" (Container v1 MaintenanceExclusionOptions.EndTimeBehavior). The
    start lies in the past, as in the provider's acceptance test
    TestAccContainerCluster_withMaintenanceExclusionOptions_untilEndOfSupport (start 2019-05-01,
    resource_container_cluster_test.go ~4123-4138, ~12115-12123). No window is needed: windows and
    exclusions are configured "separately and independently"
    (https://cloud.google.com/kubernetes-engine/docs/concepts/maintenance-windows-and-exclusions)."""
    for evaluation in (committed_stack("gcp"), gcp_standby(promote=True, cluster="cold")):
        cluster = evaluation.one("gcp:container/cluster:Cluster")
        assert cluster.input("maintenancePolicy.maintenanceExclusions") == [
            {
                "exclusionName": "hold-minor-upgrades",
                "startTime": MINOR_UPGRADE_HOLD_START,
                "exclusionOptions": {"scope": "NO_MINOR_UPGRADES", "endTimeBehavior": "UNTIL_END_OF_SUPPORT"},
            }
        ]
        assert "endTime" not in cluster.input("maintenancePolicy.maintenanceExclusions.0")
    assert parse_rfc3339(MINOR_UPGRADE_HOLD_START)[1] is None


# ---- item 15: a deletion time as Cloud SQL reports it ---------------------------------------------------


def test_a_deletion_time_with_fractional_seconds_is_passed_on_as_reported():
    """The clone API identifies a deleted source by its deletion time (CloneContext
    sourceInstanceDeletionTime; gcloud: "This is used to identify the instance if it has been
    deleted", example '2012-11-15T16:19:00.094Z',
    https://cloud.google.com/sdk/gcloud/reference/sql/instances/get-latest-recovery-time), a
    google.protobuf.Timestamp (RFC 3339, fractions allowed): never rounded."""
    restore = {
        "pointInTime": "2026-11-11T12:00:00Z",
        "sourceInstance": "astro-gcp-db-1a2b3c4",
        "sourceDeletedAt": "2026-11-14T08:00:00.094Z",
    }
    database = parse(restore_gcp_config(restore=restore)).gcp.database
    assert database.restore.source_deleted_at == "2026-11-14T08:00:00.094Z"
    assert deletion_time_utc("2026-11-14T09:00:00.123456789+01:00") == "2026-11-14T08:00:00.123456789Z"
    # The point in time stays whole seconds (its label is made of it) and may equal the deletion's second.
    same_second = {**restore, "pointInTime": "2026-11-14T08:00:00Z"}
    assert parse(restore_gcp_config(restore=same_second)).gcp.database.restore.point_in_time == "2026-11-14T08:00:00Z"
    after = {**restore, "pointInTime": "2026-11-14T08:00:01Z"}
    assert "is after sourceDeletedAt" in refusal(restore_gcp_config(restore=after))
    assert "whole seconds" in refusal(restore_gcp_config(restore={**restore, "pointInTime": "2026-11-11T12:00:00.5Z"}))


def test_the_earliest_restorable_second_rounds_up():
    moment, _ = parse_rfc3339("2026-11-14T08:00:00.094Z", fractions=True)
    assert moment is not None and earliest_second(moment).isoformat() == "2026-11-14T08:00:01+00:00"
    whole, _ = parse_rfc3339("2026-11-14T08:00:00Z")
    assert whole is not None and earliest_second(whole) == whole


# ---- item 4: a GCP promotion is two runs; the promoted instance keeps its primary's user -------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "DATABASE-FAILOVER.md"


def test_a_gcp_promotion_is_two_runs_then_no_changes():
    """google-beta services/sql/resource_sql_database_instance.go at 93c65b2d: Update promotes
    (`Instances.PromoteReplica`, :2962), re-reads (`resourceSqlDatabaseInstanceRead`, :2986, which
    `d.Set("settings", flattenSettings(...))` from the API, :2651; availability and backups as read,
    :3392, :3412), then patches `desiredSetting := d.Get("settings")` (:3053). terraform-plugin-sdk
    v2.40.1 (the provider's go.mod) helper/schema/resource_data.go: `GetOk` reads `getSourceSet`
    (:195-196), the level `Set` writes (:338), above the plan's (levels state < config < diff < set,
    :627-633); `GetChange`/`HasChange` read `getSourceDiff` (:185-186). So the promoting run sends back the replica's
    settings and the next run applies ours; upstream's promotion tests are skipped (#20975,
    resource_sql_database_instance_test.go:489, :3712...). The runbook's steps say exactly that."""
    assert PROMOTION_RUNS == 2
    text = DOC.read_text()
    steps = [line.split("#")[0].strip() for line in text.split("```bash")[1].split("```")[0].splitlines()]
    assert steps[-4:] == [
        "pulumi preview --stack gcp-standby --diff",
        "pulumi up --stack gcp-standby",
        "pulumi up --stack gcp-standby",
        "pulumi preview --stack gcp-standby --expect-no-changes",
    ]
    assert "pulumi up` once more" in PROMOTION_NOTE and "--expect-no-changes" in PROMOTION_NOTE


def test_the_promoted_gcp_instance_declares_no_user_and_logs_in_as_its_primarys():
    """A replica copies its primary's roles and passwords; `gcp.sql.User` creation is an
    unconditional `Users.Insert` (google-beta services/sql/resource_sql_user.go, resourceSqlUserCreate
    ~313-385: no existence check, no fallback to Update), so no user is declared on the replica, before
    or after promotion; the primary's password (its secret `database_password` output) is what the
    promoted platform logs in with, and the standby re-exports it for a standby of its own."""
    primary = committed_stack("gcp")
    for evaluation in (gcp_standby(), gcp_standby(promote=True, cluster="cold")):
        assert evaluation.of_type("gcp:sql/user:User") == []
        assert isinstance(evaluation.outputs["database_password"], Secret)
        assert reveal(evaluation.outputs["database_password"]) == reveal(primary.outputs["database_password"])
    assert not [r for r in gcp_standby().resources if r.type == "random:index/randomPassword:RandomPassword"]


def test_a_primary_without_its_password_export_is_refused_before_any_failover():
    from tests.conftest import TLS_SECRETS
    from tests.test_standby import GCP_REFERENCE

    outputs = {k: v for k, v in committed_stack("gcp").outputs.items() if k != "database_password"}
    evaluation = evaluate("gcp-standby", secrets=TLS_SECRETS, stack_outputs={GCP_REFERENCE: outputs})
    assert isinstance(evaluation.error, ConfigError)
    assert "astronomer-dr:standby.primaryStack:" in str(evaluation.error)
    assert "does not export database_password" in str(evaluation.error)


def test_an_rds_promotion_applies_every_setting_in_the_same_run():
    """terraform-provider-aws internal/service/rds/instance.go, resourceInstanceUpdate: removing
    `replicate_source_db` calls `PromoteReadReplica` with the configured `backup_retention_period`
    and `backup_window`, waits for the instance, then sends every other changed argument in a
    `ModifyDBInstance` of the same update (`HasChangesExcept(..., "replicate_source_db", ...)`,
    `dbInstancePopulateModify` from the plan, `ApplyImmediately: d.Get("apply_immediately")`), with
    no re-read in between. So one run, provided the change is applied now, not at the next
    maintenance window: `apply_immediately` is declared."""
    from tests.test_standby import aws_standby

    promoted = aws_standby(promote=True, cluster="cold").one("aws:rds/instance:Instance")
    assert "replicateSourceDb" not in promoted.inputs
    assert promoted.input("applyImmediately") is True
    assert promoted.input("backupRetentionPeriod") and promoted.input("backupWindow")
    assert promoted.input("multiAz") is True
