"""A standby stack in a second region: the replica, its promotion in place, and the refusals.

The standby stacks are evaluated with the primary's outputs supplied to their StackReference: the
committed primary stack is evaluated first and its exports (secrets still secret) are what the
offline engine answers for the `pulumi:pulumi:StackReference` read, as the engine answers it from
the backend.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import unquote

import pytest

from components.config import BACKUP_EXPORTS, PRIMARY_EXPORTS, check_primary, parse_settings
from components.schema import ConfigError
from tests.conftest import TLS_SECRETS, committed_stack
from tests.test_restore import committed
from tools.offline import Secret, evaluate, reveal, stack_config, stack_reference_state

GCP_REFERENCE = "organization/astronomer-dr/gcp"
INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"


def primary_outputs(primary: str) -> dict:
    """The shipped primary's outputs (aws keeps its registry replica in aws-standby's region)."""
    return committed_stack(primary).outputs


def standby(stack: str, primary: str, **overrides):
    """The standby stack as committed (plus TLS secrets), its StackReference answered with the
    shipped `primary` stack's outputs."""
    reference = f"organization/astronomer-dr/{primary}"
    return evaluate(
        stack, secrets=TLS_SECRETS, overrides=overrides, stack_outputs={reference: primary_outputs(primary)}
    )


def failover_overrides(stack: str, primary: str, promote: bool) -> dict:
    """At promotion the runbook also declares the deployments' restore from the primary's Velero
    bucket (read-only), with the names the primary exports (docs/RUNBOOK.md, "With a standby")."""
    if not promote:
        return {}
    outputs = primary_outputs(primary)
    restore = {"backup": "latest", "sourceBucket": outputs["backups_bucket"]}
    if primary == "aws":
        restore |= {"sourceRegion": outputs["backups_region"], "sourceKmsKeyArn": outputs["backups_kms_key_arn"]}
    return {"astronomer-dr:cluster": {**committed(stack, "cluster"), "restore": restore}}


@functools.cache
def gcp_standby(promote: bool = False, cluster: str = "warm"):
    evaluation = standby(
        "gcp-standby",
        "gcp",
        **{"astronomer-dr:standby": {"primaryStack": GCP_REFERENCE, "promote": promote, "cluster": cluster}},
        **failover_overrides("gcp-standby", "gcp", promote),
    )
    if evaluation.error is not None:
        raise AssertionError(f"gcp-standby failed to evaluate: {evaluation.error}") from evaluation.error
    return evaluation


# ---- the offline engine answers a StackReference read the way the engine does -------------------


def test_stack_reference_state_is_what_the_sdk_reads():
    """The engine's StackReference read returns `name`, `outputs` (secret values still secret) and
    `secretOutputNames` (pulumi SDK, pulumi/stack_reference.py: the resource's properties `name`,
    `outputs`, `secret_output_names`, the last translated from `secretOutputNames`)."""
    from pulumi.runtime import rpc

    state = stack_reference_state("o/p/s", {"region": "us-central1", "kubeconfig": Secret("apiVersion: v1")})
    assert state["name"] == "o/p/s"
    assert state["secretOutputNames"] == ["kubeconfig"]
    assert state["outputs"]["region"] == "us-central1"
    assert rpc.is_rpc_secret(state["outputs"]["kubeconfig"])


def test_the_standby_reads_its_primary_through_a_stack_reference():
    evaluation = gcp_standby()
    [read] = [r for r in evaluation.reads if r.type == "pulumi:pulumi:StackReference"]
    assert read.inputs["id"] == GCP_REFERENCE
    # The primary's kubeconfig stays a secret in the standby too; the facts it uses are plain.
    replica = evaluation.one(INSTANCE)
    assert not isinstance(replica.inputs["masterInstanceName"], Secret)


def test_the_primary_exports_what_the_standby_needs():
    outputs = committed_stack("gcp").outputs
    assert set(PRIMARY_EXPORTS["gcp"]) <= set(outputs)
    assert outputs["cloud"] == "gcp" and outputs["region"] == "us-central1"
    assert outputs["network"].endswith("/global/networks/astro-gcp-vpc")


# ---- GCP: the replica ------------------------------------------------------------------------------


def test_the_replica_follows_the_primary_instance_across_regions():
    """A Cloud SQL read replica: `master_instance_name` the primary's instance, `instance_type`
    READ_REPLICA_INSTANCE (google-beta sql/resource_sql_database_instance.go, schema of
    `master_instance_name` and `instance_type`, and the provider's acceptance config
    `testGoogleSqlDatabaseInstanceConfig_withReplica` in resource_sql_database_instance_test.go).
    The replica has no backups of its own (`backup_configuration.enabled = false`, as that test's
    replicas): its primary's are the backups until failover."""
    primary = committed_stack("gcp").one(INSTANCE)
    replica = gcp_standby().one(INSTANCE)
    assert replica.input("masterInstanceName") == committed_stack("gcp").outputs["database_instance"]
    assert replica.input("instanceType") == "READ_REPLICA_INSTANCE"
    assert replica.input("region") == "us-east4" != primary.input("region")
    assert replica.input("databaseVersion") == primary.input("databaseVersion")
    assert replica.input("settings.backupConfiguration.enabled") is False
    # The replica is on the primary's (global) VPC: the standby shares it.
    assert replica.input("settings.ipConfiguration.privateNetwork") == committed_stack("gcp").outputs["network"]
    assert replica.input("settings.ipConfiguration.ipv4Enabled") is False
    assert replica.input("settings.ipConfiguration.sslMode") == "ENCRYPTED_ONLY"


def test_the_replica_is_protected_twice():
    replica = gcp_standby().one(INSTANCE)
    assert replica.protect
    assert replica.input("deletionProtection") is True
    assert replica.input("settings.deletionProtectionEnabled") is True


def test_the_standby_shares_the_primary_vpc_with_its_own_subnet():
    """GCP VPCs are global; private services access (Cloud SQL's private IP) is one peering per VPC
    and VPC peering is not transitive, so the standby's cluster and replica live on the primary's
    VPC rather than on a peered VPC of their own (components/gcp/standby.py)."""
    evaluation = gcp_standby()
    assert not evaluation.of_type("gcp:compute/network:Network")
    assert not evaluation.of_type("gcp:servicenetworking/connection:Connection")
    subnet = evaluation.one("gcp:compute/subnetwork:Subnetwork")
    assert subnet.input("region") == "us-east4"
    assert subnet.input("network") == committed_stack("gcp").outputs["network"]
    cluster = evaluation.one("gcp:container/cluster:Cluster")
    assert cluster.input("network") == committed_stack("gcp").outputs["network"]


def test_warm_by_default_cold_declares_no_cluster_and_neither_the_platform():
    warm = gcp_standby()
    assert warm.of_type("gcp:container/cluster:Cluster")
    cold = gcp_standby(cluster="cold")
    assert not cold.of_type("gcp:container/cluster:Cluster")
    # The warm cluster runs Velero, pre-staged (tests/test_standby_prestage.py); neither the platform.
    assert [r.name for r in warm.of_type("kubernetes:helm.sh/v3:Release")] == ["velero-release"]
    assert not cold.of_type("kubernetes:helm.sh/v3:Release")
    for evaluation in (warm, cold):
        assert not evaluation.of_type("gcp:sql/user:User")  # a replica is read-only
        assert "platform_url" not in evaluation.outputs
        assert evaluation.outputs["standby_promoted"] is False


# ---- GCP: failover ---------------------------------------------------------------------------------


def test_promotion_keeps_the_same_resource_and_drops_the_replica_source():
    """The provider promotes when `instance_type` changes from READ_REPLICA_INSTANCE to
    CLOUD_SQL_INSTANCE with `master_instance_name` and `replica_configuration` absent from the
    config (google-beta sql/resource_sql_database_instance.go: `isReplicaPromoteRequested`,
    `checkPromoteConfigurationsAndUpdateDiff` clears both in the diff; `validatePromoteConfigurations`
    refuses either still set). Removing `master_instance_name` alone promotes nothing (Optional +
    Computed; acceptance test ..._ReplicaPromoteSkippedWithNoMasterInstanceNameAndNoReplicaConfigurationPresent)."""
    replica = gcp_standby().one(INSTANCE)
    promoted = gcp_standby(promote=True, cluster="cold").one(INSTANCE)
    assert promoted.urn == replica.urn
    assert promoted.input("instanceType") == "CLOUD_SQL_INSTANCE"
    assert "masterInstanceName" not in promoted.inputs and "replicaConfiguration" not in promoted.inputs


def test_promotion_changes_no_field_that_forces_a_new_instance():
    """ForceNew on google_sql_database_instance: `region`, `name`, `project`, `encryption_key_name`
    (google-beta sql/resource_sql_database_instance.go schema); `master_instance_name` is ForceNew
    through a CustomizeDiff except on promotion, where the diff clears it instead."""
    replica = gcp_standby().one(INSTANCE)
    promoted = gcp_standby(promote=True, cluster="cold").one(INSTANCE)
    assert promoted.input("region") == replica.input("region")
    for force_new in ("name", "project", "encryptionKeyName"):
        assert promoted.input(force_new) == replica.input(force_new) is None
    assert promoted.protect and promoted.input("deletionProtection") is True


def test_the_promoted_instance_has_every_dr_setting_of_a_primary():
    """After promotion the instance is built by the primary's `instance_args`: backups outside the
    region, PITR with 7 days of logs, retention, retained and final backups, regional HA. The
    provider promotes before it patches the settings (google-beta resourceSqlDatabaseInstanceUpdate:
    `Instances.PromoteReplica` at the replicaDRByPromote case precedes `Instances.Update`)."""
    primary = committed_stack("gcp").one(INSTANCE).input("settings")
    promoted = gcp_standby(promote=True, cluster="cold").one(INSTANCE).input("settings")
    differing = {k for k in set(primary) | set(promoted) if primary.get(k) != promoted.get(k)}
    # Only the labels (which instance) and the network path (the same VPC, by self link) may differ.
    assert differing <= {"userLabels", "ipConfiguration"}
    assert promoted["backupConfiguration"]["enabled"] is True
    assert promoted["backupConfiguration"]["pointInTimeRecoveryEnabled"] is True
    assert promoted["backupConfiguration"]["location"] == "us"
    assert promoted["availabilityType"] == "REGIONAL"
    assert promoted["retainBackupsOnDelete"] is True and promoted["finalBackupConfig"]["enabled"] is True


def test_the_platform_is_declared_on_promotion_pointing_at_the_promoted_instance():
    from tests.conftest import bootstrap_connection_url

    evaluation = gcp_standby(promote=True, cluster="cold")
    assert evaluation.of_type("gcp:container/cluster:Cluster")  # cold: created now
    assert evaluation.one("kubernetes:helm.sh/v3:Release", "astronomer-release")
    # No user declared on the promoted instance: it logs in as the primary's user, replicated with its
    # password (components/gcp/replica.py), which the primary exports as a secret.
    assert evaluation.of_type("gcp:sql/user:User") == []
    url = bootstrap_connection_url(evaluation)
    primary_password = reveal(committed_stack("gcp").outputs["database_password"])
    assert url.username == "astronomer" and unquote(url.password or "") == primary_password
    assert isinstance(committed_stack("gcp").outputs["database_password"], Secret)
    host = url.hostname
    assert (
        host.startswith("10.99.") and host != committed_stack("gcp").outputs["database_host"]
    )  # the promoted instance's
    # Deployments restored from the primary name its host: the repoint Job rewrites it to the promoted one.
    [job] = [
        j
        for j in evaluation.of_type("kubernetes:batch/v1:Job")
        if j.name.startswith("astronomer-repoint") and not j.name.endswith("-after")
    ]
    env = {e["name"]: e.get("value") for e in job.input("spec.template.spec.containers.0.env")}
    assert env["OLD_HOSTS"] == committed_stack("gcp").outputs["database_host"] and env["NEW_HOST"] == host
    assert evaluation.outputs["standby_promoted"] is True and evaluation.outputs["platform_url"]
    assert "replica_of" not in evaluation.outputs


def test_failover_reads_only_the_backend():
    """Nothing in the failover path reads the primary's cloud: the only thing of the primary the
    promoted stack touches is its StackReference (a backend read), and no invoke looks it up."""
    evaluation = gcp_standby(promote=True, cluster="cold")
    assert [r.type for r in evaluation.reads] == ["pulumi:pulumi:StackReference"]
    assert not [token for token, _ in evaluation.invokes if "sql" in token or "compute" in token]


# ---- refusals --------------------------------------------------------------------------------------


@pytest.fixture()
def secret_tls(monkeypatch):
    from pulumi.runtime import config as runtime_config

    monkeypatch.setattr(runtime_config, "is_config_secret", lambda key: key in TLS_SECRETS)


def standby_config(stack: str = "gcp-standby", **standby_overrides) -> dict[str, str]:
    config, _ = stack_config(stack)
    value = json.loads(config["astronomer-dr:standby"])
    value.update(standby_overrides)
    for key in [k for k, v in value.items() if v is None]:
        del value[key]
    return {**config, "astronomer-dr:standby": json.dumps(value), **TLS_SECRETS}


@pytest.mark.parametrize(
    "overrides, key, says",
    [
        ({"primaryStack": None, "promote": True}, "astronomer-dr:standby.primaryStack", "required with promote: true"),
        ({"primaryStack": None}, "astronomer-dr:standby.primaryStack", "required"),
        ({"primaryStack": "gcp"}, "astronomer-dr:standby.primaryStack", "<organization>/<project>/<stack>"),
        (
            {"primaryStack": "organization/other-project/gcp"},
            "astronomer-dr:standby.primaryStack",
            "project astronomer-dr",
        ),
        (
            {"primaryStack": "organization/astronomer-dr/gcp-standby"},
            "astronomer-dr:standby.primaryStack",
            "names this stack",
        ),
        ({"cluster": "hot"}, "astronomer-dr:standby.cluster", "warm"),
    ],
)
def test_config_refuses_a_bad_standby_with_the_key_named(secret_tls, overrides, key, says):
    with pytest.raises(ConfigError) as caught:
        parse_settings(standby_config(**overrides), "gcp-standby")
    assert f"{key}:" in str(caught.value) and says in str(caught.value)


def test_a_standby_refuses_database_restores_and_an_existing_cluster(secret_tls):
    config = standby_config()
    config["astronomer-dr:database"] = json.dumps(
        {**json.loads(config["astronomer-dr:database"]), "restore": {"backupId": "1"}}
    )
    config["astronomer-dr:cluster"] = json.dumps(
        {
            **json.loads(config["astronomer-dr:cluster"]),
            "existing": {"name": "c", "location": "us-east4", "network": "vpc"},
        }
    )
    with pytest.raises(ConfigError) as caught:
        parse_settings(config, "gcp-standby")
    assert "astronomer-dr:database.restore:" in str(caught.value)
    assert "astronomer-dr:cluster.existing:" in str(caught.value)


def gcp_primary_exports(**changes):
    names = (*PRIMARY_EXPORTS["gcp"], *BACKUP_EXPORTS["gcp"])
    return {**{k: committed_stack("gcp").outputs[k] for k in names}, **changes}


@pytest.mark.parametrize(
    "changes, key, says",
    [
        ({"cloud": "aws"}, "astronomer-dr:standby.primaryStack", "is a aws stack"),
        ({"region": "us-east4"}, "gcp:region", "primary's own region"),
        ({"project": "another-project"}, "gcp:project", "primary's project"),
        ({"database_version": "POSTGRES_15"}, "astronomer-dr:database.postgresVersion", "POSTGRES_15"),
        ({"network_ranges": ["10.11.0.0/16"]}, "astronomer-dr:network.subnetCidr", "overlaps"),
        ({"network": None}, "astronomer-dr:standby.primaryStack", "does not export network"),
        ({"platform_release": "astro"}, "astronomer-dr:platform.releaseName", "astronomer/astro"),
        ({"standby_promoted": False}, "astronomer-dr:standby.primaryStack", "standby that is not promoted"),
    ],
)
def test_what_needs_the_primary_is_refused_with_the_key_named(secret_tls, changes, key, says):
    settings = parse_settings(standby_config(), "gcp-standby")
    with pytest.raises(ConfigError) as caught:
        check_primary(settings, gcp_primary_exports(**changes))
    assert f"{key}:" in str(caught.value) and says in str(caught.value)


def test_a_primary_of_another_cloud_stops_the_run_before_the_replica_is_declared():
    """The refusal that needs the reference's outputs fails the run inside the facts every standby
    resource that matters takes its inputs from: no instance, no cluster, no platform."""
    evaluation = evaluate(
        "gcp-standby", secrets=TLS_SECRETS, stack_outputs={GCP_REFERENCE: committed_stack("aws").outputs}
    )
    assert isinstance(evaluation.error, ConfigError) or "astronomer-dr:standby.primaryStack" in str(evaluation.error)
    assert "is a aws stack" in str(evaluation.error)
    assert not evaluation.of_type(INSTANCE)
    assert not evaluation.of_type("gcp:container/cluster:Cluster")


# ---- AWS ---------------------------------------------------------------------------------------

AWS_REFERENCE = "organization/astronomer-dr/aws"
RDS = "aws:rds/instance:Instance"


@functools.cache
def aws_standby(promote: bool = False, cluster: str = "warm"):
    evaluation = standby(
        "aws-standby",
        "aws",
        **{"astronomer-dr:standby": {"primaryStack": AWS_REFERENCE, "promote": promote, "cluster": cluster}},
        **failover_overrides("aws-standby", "aws", promote),
    )
    if evaluation.error is not None:
        raise AssertionError(f"aws-standby failed to evaluate: {evaluation.error}") from evaluation.error
    return evaluation


def test_the_rds_replica_is_cross_region_from_the_primary_arn_with_a_key_of_its_region():
    """A cross-region replica's source is the source's ARN, and a cross-region replica of an
    encrypted instance needs `kms_key_id`, the destination region's key; `storage_encrypted` is
    ignored there (pulumi_aws 7.51.1 rds/instance.py, docs of `replicate_source_db`, `kms_key_id`
    and `storage_encrypted`, from terraform-provider-aws website/docs/r/db_instance.html.markdown).
    `username` "cannot be specified for a replica" (same docs), and `engine`, `engine_version`,
    `username`, `db_name` are ConflictsWith `replicate_source_db` in the provider's schema
    (hashicorp/terraform-provider-aws internal/service/rds/instance.go)."""
    primary_arn = primary_outputs("aws")["database_arn"]
    replica = aws_standby().one(RDS)
    assert replica.input("replicateSourceDb") == primary_arn and primary_arn.startswith("arn:aws:rds:us-east-1:")
    key = aws_standby().one("aws:kms/key:Key", "astro-aws-standby-db-key")
    assert replica.input("kmsKeyId").startswith("arn:aws:kms:us-west-2:") and key.protect
    for inherited in ("engine", "engineVersion", "username", "dbName", "password", "allocatedStorage"):
        assert inherited not in replica.inputs, inherited


def test_the_rds_replica_is_protected_twice_and_carries_its_backups_already():
    """Backups on the replica before promotion: AWS recommends enabling them and completing one
    before promoting (RDS API reference, PromoteReadReplica), and with retention and window the
    same on both sides the promotion needs no modification of them."""
    replica = aws_standby().one(RDS)
    assert replica.protect and replica.input("deletionProtection") is True
    assert replica.input("backupRetentionPeriod") == 7 and replica.input("deleteAutomatedBackups") is False
    assert replica.input("skipFinalSnapshot") is False and replica.input("multiAz") is True
    assert not aws_standby().of_type("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    # No platform before promotion; the warm cluster runs its node autoscaler and Velero, pre-staged.
    releases = sorted(r.name for r in aws_standby().of_type("kubernetes:helm.sh/v3:Release"))
    assert releases == ["astro-aws-standby-autoscaler-release", "velero-release"]


def test_rds_promotion_is_removing_the_source_on_the_same_resource():
    """ "Removing the `replicate_source_db` attribute from an existing RDS Replicate database managed
    by the provider will promote the database to a fully standalone database" (pulumi_aws 7.51.1
    rds/instance.py); the provider's update calls PromoteReadReplica with the configured
    `backup_retention_period` and `backup_window` (terraform-provider-aws
    internal/service/rds/instance.go, resourceInstanceUpdate, `d.HasChange("replicate_source_db")`).
    ForceNew there: `identifier`, `kms_key_id`, `storage_encrypted`, `engine`, `username`, `db_name`."""
    replica = aws_standby().one(RDS)
    promoted = aws_standby(promote=True, cluster="cold").one(RDS)
    assert promoted.urn == replica.urn
    assert "replicateSourceDb" not in promoted.inputs
    for force_new in ("identifier", "kmsKeyId", "storageEncrypted", "engine", "username", "dbName"):
        assert promoted.input(force_new) == replica.input(force_new), force_new
    assert isinstance(promoted.inputs["password"], Secret)


def test_the_promoted_rds_instance_has_every_dr_setting_of_a_primary():
    primary = committed_stack("aws").one(RDS)
    promoted = aws_standby(promote=True, cluster="cold").one(RDS)
    for setting in (
        "backupRetentionPeriod",
        "backupWindow",
        "maintenanceWindow",
        "multiAz",
        "deletionProtection",
        "deleteAutomatedBackups",
        "skipFinalSnapshot",
        "copyTagsToSnapshot",
        "storageEncrypted",
        "publiclyAccessible",
        "autoMinorVersionUpgrade",
        "enabledCloudwatchLogsExports",
    ):
        assert promoted.input(setting) == primary.input(setting), setting
    [replication] = aws_standby(promote=True, cluster="cold").of_type(
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
    )
    # A third region: neither the standby's (us-west-2) nor the lost primary's (us-east-1).
    assert replication.input("kmsKeyId").startswith("arn:aws:kms:us-east-2:")
    assert replication.provider.endswith("astro-aws-standby-us-east-2-id")


def test_the_aws_platform_is_declared_on_promotion_on_the_registry_replica():
    evaluation = aws_standby(promote=True, cluster="cold")
    assert evaluation.of_type("aws:eks/cluster:Cluster")
    release = evaluation.one("kubernetes:helm.sh/v3:Release", "astronomer-release")
    s3 = release.input("values.astronomer.registry.s3")
    assert s3["bucket"] == primary_outputs("aws")["registry_replica_bucket"]
    assert s3["region"] == "us-west-2"
    policy = evaluation.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-standby-registry-irsa")
    assert primary_outputs("aws")["registry_replica_bucket"] in policy.input("policy")
    [job] = [
        j
        for j in evaluation.of_type("kubernetes:batch/v1:Job")
        if j.name.startswith("astronomer-repoint") and not j.name.endswith("-after")
    ]
    env = {e["name"]: e.get("value") for e in job.input("spec.template.spec.containers.0.env")}
    assert env["OLD_HOSTS"] == primary_outputs("aws")["database_address"] and ".us-west-2." in env["NEW_HOST"]


def test_the_promoted_aws_standby_autoscales_its_own_node_group_in_its_region():
    """The standby's cluster gets the same cluster-autoscaler as a primary's (components/aws/cluster.py):
    its own IRSA role, discovering and scaling only groups tagged as the standby cluster's."""
    evaluation = aws_standby(promote=True, cluster="cold")
    release = evaluation.one("kubernetes:helm.sh/v3:Release", "astro-aws-standby-autoscaler-release")
    values = release.input("values")
    assert values["autoDiscovery"] == {"clusterName": "astro-aws-standby"} and values["awsRegion"] == "us-west-2"
    role = evaluation.one("aws:iam/role:Role", "astro-aws-standby-autoscaler-irsa")
    assert values["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(
        f":role/{role.input('name')}"
    )
    policy = json.loads(
        evaluation.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-standby-autoscaler-irsa").input("policy")
    )
    [scale] = [s for s in policy["Statement"] if s["Sid"] == "ScaleOwnGroups"]
    assert scale["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/astro-aws-standby": "owned"}
    }
    assert evaluation.one("aws:eks/nodeGroup:NodeGroup").ignore_changes == ["scalingConfig.desiredSize"]
    # As on a primary (tests/test_restore_alongside.py): Velero's chart does not wait for room to
    # grow, only a declared Restore does (its restored pods are what need it).
    assert release.urn not in evaluation.one("kubernetes:helm.sh/v3:Release", "velero-release").dependencies
    [restore] = evaluation.of_type("kubernetes:velero.io/v1:Restore")
    assert release.urn in restore.dependencies
    csi = evaluation.one("aws:eks/addon:Addon", "astro-aws-standby-ebs-csi")
    assert csi.urn in restore.dependencies
    assert csi.urn not in evaluation.one("kubernetes:helm.sh/v3:Release", "velero-release").dependencies


def test_aws_refusals_that_need_the_primary(secret_tls):
    settings = parse_settings(standby_config("aws-standby", promote=True), "aws-standby")
    exports = {
        k: primary_outputs("aws").get(k)
        for k in (
            *PRIMARY_EXPORTS["aws"],
            "registry_replica_bucket",
            "registry_replica_region",
            "registry_replica_kms_key_arn",
            *BACKUP_EXPORTS["aws"],
        )
    }
    # A missing registry replica is refused before promotion and only warned about at promotion
    # (tests/test_standby_failover.py).
    unpromoted = parse_settings(standby_config("aws-standby"), "aws-standby")
    for gap in ({"registry_replica_region": None}, {"registry_replica_kms_key_arn": None}):
        with pytest.raises(ConfigError, match=r"registry\.replicaRegion: us-west-2 on the primary"):
            check_primary(unpromoted, {**exports, **gap})
        assert check_primary(settings, {**exports, **gap}).warnings
    cases: list[tuple[dict[str, str | None], str, str]] = [
        ({"cloud": "gcp"}, "astronomer-dr:standby.primaryStack", "is a gcp stack"),
        ({"region": "us-west-2"}, "aws:region", "primary's own region"),
        ({"database_version": "15"}, "astronomer-dr:database.postgresVersion", "major version 15"),
    ]
    for changes, key, says in cases:
        with pytest.raises(ConfigError) as caught:
            check_primary(settings, {**exports, **changes})
        assert f"{key}:" in str(caught.value) and says in str(caught.value), (changes, str(caught.value))
    third = parse_settings(
        {
            **standby_config("aws-standby", promote=True),
            "astronomer-dr:database": json.dumps(
                {
                    **json.loads(stack_config("aws-standby")[0]["astronomer-dr:database"]),
                    "backupReplicaRegion": "us-east-1",
                }
            ),
        },
        "aws-standby",
    )
    with pytest.raises(ConfigError) as caught:
        check_primary(third, exports)
    assert "astronomer-dr:database.backupReplicaRegion:" in str(caught.value)


# ---- the policy pack checks a replica's protections -------------------------------------------


def policy_input(evaluation):
    return [
        {"type": r.type, "name": r.name, "urn": r.urn, "props": reveal(r.inputs), "protect": r.protect}
        for r in evaluation.resources
        if r.custom
    ]


def test_the_standby_replicas_pass_the_policy_pack():
    from policy.policies import validate_resources

    for evaluation in (gcp_standby(), aws_standby()):
        violations = [
            v for v in validate_resources(policy_input(evaluation)) if "replica" in v.policy or "protected" in v.policy
        ]
        assert violations == [], violations


@pytest.mark.parametrize(
    "evaluation, type_, change, policy",
    [
        ("gcp", INSTANCE, {"instanceType": None}, "cloudsql-replica-promotable"),
        ("gcp", INSTANCE, {"deletionProtection": False}, "cloudsql-replica-protected"),
        ("aws", RDS, {"kmsKeyId": None}, "rds-replica-protected-and-encrypted-in-its-region"),
        (
            "aws",
            RDS,
            {"kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/k"},
            "rds-replica-protected-and-encrypted-in-its-region",
        ),
        ("aws", RDS, {"deletionProtection": False}, "rds-replica-protected-and-encrypted-in-its-region"),
    ],
)
def test_the_policy_pack_catches_an_unguarded_replica(evaluation, type_, change, policy):
    from policy.policies import validate_resources

    replica = (gcp_standby() if evaluation == "gcp" else aws_standby()).one(type_)
    props = {k: v for k, v in {**reveal(replica.inputs), **change}.items() if v is not None}
    names = {
        v.policy for v in validate_resources([{"type": type_, "name": replica.name, "props": props, "protect": True}])
    }
    assert policy in names


# ---- the offline plan's DR summary ------------------------------------------------------------


def test_the_plan_shows_the_standby_and_the_region_loss_rpo_per_scenario():
    from tools.plan import dr_summary

    def rows(evaluation):
        return {row["property"]: row["value"] for row in dr_summary(evaluation)}

    replica = rows(gcp_standby())
    assert (
        "read replica of the auto-named instance of stack `organization/astronomer-dr/gcp`"
        in replica["Standby replica"]
        and "organization/astronomer-dr/gcp" in replica["Standby replica"]
    )
    assert replica["Region-loss RPO, standby promoted"].startswith("seconds")
    # Cloud SQL: two runs, then no changes (docs/DATABASE-FAILOVER.md); RDS: one.
    assert "two `pulumi up`" in replica["Region-loss RPO, standby promoted"]
    assert "--expect-no-changes" in replica["Region-loss RPO, standby promoted"]
    assert replica["Platform release"].startswith("declared at promotion")
    primary = rows(committed_stack("gcp"))
    assert (
        primary["Region-loss RPO, restore from backups"].startswith("up to 24 h")
        and "`us`" in primary["Region-loss RPO, restore from backups"]
    )
    assert primary["Region-loss RPO, standby promoted"].startswith("seconds")
    aws = rows(committed_stack("aws"))
    assert "replicated to `us-west-2`" in aws["Region-loss RPO, restore from backups"]
    assert "two `pulumi up`" not in aws["Region-loss RPO, standby promoted"]
    promoted = rows(gcp_standby(promote=True, cluster="cold"))
    assert promoted["Standby"].startswith("promoted") and "Standby replica" not in promoted
    assert rows(aws_standby())["Standby replica"].startswith("read replica of `arn:aws:rds:us-east-1:")


def test_the_runbook_fails_over_to_the_standby_and_keeps_the_backup_path():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "RUNBOOK.md").read_text()
    section = text[text.index("## The whole region lost") : text.index("## Registry objects deleted")]
    for needle in (
        "astronomer-dr:standby.promote true",
        "astronomer-dr:cluster.restore",
        "Failback",
        "activation-policy=NEVER",  # fencing the returning primary
        "### Without a standby: restore from backups",
        "astronomer-dr:database.restore.backupId",
        "RPO",
        "RTO",
        "drill-standby",
    ):
        assert needle in section, needle


def test_failback_a_standby_of_the_promoted_standby_in_the_original_region(secret_tls):
    """Failback (runbook): a new standby in the original region follows the promoted standby,
    whose outputs carry everything a primary exports."""
    promoted = gcp_standby(promote=True, cluster="cold").outputs
    config = standby_config(primaryStack="organization/astronomer-dr/gcp-standby")
    config["gcp:region"] = "us-central1"
    config["astronomer-dr:network"] = json.dumps(
        {"subnetCidr": "10.12.0.0/20", "podsCidr": "10.36.0.0/14", "servicesCidr": "10.30.32.0/20"}
    )
    config["astronomer-dr:cluster"] = json.dumps(
        {**json.loads(config["astronomer-dr:cluster"]), "masterIpv4CidrBlock": "172.16.0.32/28"}
    )
    settings = parse_settings(config, "gcp-return")
    exports = (*PRIMARY_EXPORTS["gcp"], *BACKUP_EXPORTS["gcp"], "standby_promoted")
    facts = check_primary(settings, {k: promoted.get(k) for k in exports})
    # The return standby is warm: its Velero reads the promoted standby's own backups bucket.
    assert facts.backups_bucket == promoted["backups_bucket"]
    assert facts.database_instance == promoted["database_instance"] and facts.region == "us-east4"


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_velero_comes_with_promotion_and_restores_the_primarys_deployments_read_only(cloud):
    """Before promotion a cold standby runs no platform and no Velero: no backups bucket, no repoint
    grant (a warm one runs Velero pre-staged: tests/test_standby_prestage.py). At promotion it
    restores the deployments from the primary's backups bucket through a ReadOnly
    BackupStorageLocation (Velero's CRD: spec.accessMode ReadOnly), alongside the platform
    (tests/test_restore_alongside.py), and gets a backups bucket of its own."""
    before = gcp_standby(cluster="cold") if cloud == "gcp" else aws_standby(cluster="cold")
    assert not [r for r in before.resources if r.type.startswith("kubernetes:velero.io")]
    assert not [r for r in before.resources if r.name.endswith("-backups")]
    after = gcp_standby(promote=True, cluster="cold") if cloud == "gcp" else aws_standby(promote=True, cluster="cold")
    locations = {
        r.input("spec.objectStorage.bucket"): r.input("spec.accessMode")
        for r in after.of_type("kubernetes:velero.io/v1:BackupStorageLocation")
    }
    assert locations.get(primary_outputs(cloud)["backups_bucket"]) == "ReadOnly"
    assert after.outputs["backups_bucket"] != primary_outputs(cloud)["backups_bucket"]
    [restore] = after.of_type("kubernetes:velero.io/v1:Restore")
    release = after.one("kubernetes:helm.sh/v3:Release", "astronomer-release")
    assert restore.urn not in release.dependencies
    assert release.input("values.astronomer.houston.upgradeDeployments.enabled") is False


# ---- the DR alerts once promoted (issue 20): the standby's own backups are watched ---------------


def test_a_promoted_gcp_standby_watches_its_own_backups_not_a_replica():
    evaluation = gcp_standby(promote=True, cluster="cold")
    names = {r.name for r in evaluation.of_type("gcp:monitoring/alertPolicy:AlertPolicy")}
    assert "astro-gcp-standby-alerts-sql-backup-0" in names and "astro-gcp-standby-alerts-replica-lag" not in names
    assert {n for n in names if "-velero-" in n}  # Velero runs from promotion on
    [release] = [r for r in evaluation.of_type("kubernetes:helm.sh/v3:Release") if r.name == "astronomer-release"]
    assert release.input("values.prometheus.additionalScrapeJobs.0.job_name") == "astronomer-dr-velero"


def test_a_promoted_aws_standby_delivers_velero_alerts_through_its_own_alertmanager():
    evaluation = aws_standby(promote=True, cluster="cold")
    assert not [a for a in evaluation.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if "replica-lag" in a.name]
    role = evaluation.one("aws:iam/role:Role", "astro-aws-standby-alerts-alertmanager")
    assert "system:serviceaccount:astronomer:astronomer-alertmanager" in role.input("assumeRolePolicy")
    [release] = [r for r in evaluation.of_type("kubernetes:helm.sh/v3:Release") if r.name == "astronomer-release"]
    [receiver] = release.input("values.alertmanager.customReceiver")
    assert receiver["sns_configs"][0]["topic_arn"].endswith(":astro-aws-standby-alerts")
    rule = json.loads(evaluation.one("aws:cloudwatch/eventRule:EventRule").input("eventPattern"))
    assert rule["detail"]["SourceIdentifier"] == [evaluation.outputs["database_instance"]]
