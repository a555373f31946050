"""Facts about the providers and cloud APIs that a real `pulumi up` depends on and the mocks cannot see.

Sources: hashicorp/terraform-provider-google-beta at 93c65b2d (2026-08-21), which pulumi-gcp 10
bridges; hashicorp/terraform-provider-aws (pulumi-aws 7); the clouds' documentation (URLs below).
The offline engine (tools/offline.py) answers the invokes these decisions use the way the clouds
do, so the stack tests below exercise the real decisions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components.aws.versions import EXTENDED_SUPPORT, STANDARD_SUPPORT, EksVersion, check_eks_version
from components.gcp.versions import ChannelOffer, choose_gke_version
from components.schema import ConfigError
from tests.conftest import evaluate_stack, said
from tools.offline import EKS_CLUSTER_VERSIONS, GKE_SERVER_CONFIG
from tools.offline.invokes import EKS_CALENDAR_CHECKED, eks_version_status


def offer(channel: str) -> ChannelOffer:
    """A channel's offer from the offline engine's GetServerConfig (the provider's prefix semantics)."""
    data = GKE_SERVER_CONFIG["channels"][channel]
    return ChannelOffer(
        default=data["defaultVersion"],
        newest=lambda prefix: next((v for v in data["validVersions"] if v.startswith(prefix)), None),
    )


# ---- GKE: the version comes from what the release channel offers --------------------------------


def test_gke_takes_the_channels_default_when_the_chart_supports_it():
    """resource_container_cluster.go:3203 sends `min_master_version` as `InitialClusterVersion`;
    with a release channel GKE creates only versions that channel offers
    (https://cloud.google.com/kubernetes-engine/docs/concepts/release-channels). STABLE's default
    (1.34) is newer than the configured minimum (1.33), which STABLE no longer offers."""
    assert choose_gke_version("STABLE", "1.33", offer("STABLE")) == "1.34.5-gke.1176000"
    assert choose_gke_version("REGULAR", "1.33", offer("REGULAR")) == "1.35.3-gke.1524000"
    assert choose_gke_version("EXTENDED", "1.32", offer("EXTENDED")) == "1.34.5-gke.1176000"


def test_gke_past_the_charts_range_falls_back_to_the_nearest_offered_version():
    """A channel whose default the chart does not support (1.36) may still offer 1.35: the
    provider's `release_channel_latest_version` queried with `version_prefix` says so
    (data_source_google_container_engine_versions.go:152-160)."""
    channel = ChannelOffer(
        default="1.36.3-gke.1521000",
        newest=lambda p: next(
            (v for v in ["1.36.3-gke.1521000", "1.35.4-gke.1297000", "1.34.6-gke.1314000"] if v.startswith(p)), None
        ),
    )
    assert choose_gke_version("REGULAR", "1.33", channel) == "1.35.4-gke.1297000"


def test_gke_refuses_a_channel_without_a_version_in_range():
    """RAPID has moved past 1.35 (chart 2.1.0 metadata.yaml: tested on 1.31-1.35)."""
    with pytest.raises(ConfigError, match=r"cluster.releaseChannel: GKE's RAPID channel offers no version from 1.33"):
        choose_gke_version("RAPID", "1.33", offer("RAPID"))
    # A minimum newer than anything STABLE offers is refused too, naming both keys.
    with pytest.raises(ConfigError, match=r"kubernetesVersion"):
        choose_gke_version("STABLE", "1.35", offer("STABLE"))


def test_gke_exact_version_must_be_offered():
    assert choose_gke_version("STABLE", "1.34.6-gke.1314000", offer("STABLE")) == "1.34.6-gke.1314000"
    with pytest.raises(ConfigError, match=r"does not offer 1.33.9-gke.1402000"):
        choose_gke_version("STABLE", "1.33.9-gke.1402000", offer("STABLE"))


def test_gke_without_a_channel_uses_the_static_default():
    """UNSPECIFIED: GetServerConfig's defaultClusterVersion and validMasterVersions apply."""
    from components.gcp.versions import channel_offer

    data = {
        "default_cluster_version": GKE_SERVER_CONFIG["defaultClusterVersion"],
        "valid_master_versions": GKE_SERVER_CONFIG["validMasterVersions"],
    }
    assert (
        choose_gke_version("UNSPECIFIED", "1.33", channel_offer("UNSPECIFIED", lambda prefix: data))
        == "1.34.6-gke.1314000"
    )


def test_gke_stack_creates_at_what_the_channel_offers(gcp):
    """The committed stack (STABLE, kubernetesVersion 1.33) asks GKE once, for its region."""
    cluster = gcp.one("gcp:container/cluster:Cluster")
    assert cluster.input("minMasterVersion") == GKE_SERVER_CONFIG["channels"]["STABLE"]["defaultVersion"]
    # Only the initial version: afterwards the channel upgrades (and the provider only ever upgrades
    # towards min_master_version, resource_container_cluster.go:4918-4934), so a moving default is
    # no change to show.
    assert cluster.ignore_changes in (["min_master_version"], ["minMasterVersion"])
    asked = [a for t, a in gcp.invokes if t == "gcp:container/getEngineVersions:getEngineVersions"]
    assert asked == [{"location": "us-central1", "project": "acme-astronomer-prod"}]


def test_gke_stack_refuses_rapid_before_declaring_anything():
    evaluation = evaluate_stack(
        "gcp", **{"astronomer-dr:cluster": {"kubernetesVersion": "1.33", "releaseChannel": "RAPID"}}
    )
    assert isinstance(evaluation.error, ConfigError), evaluation.error
    assert "RAPID channel offers no version" in str(evaluation.error)
    assert not [r for r in evaluation.resources if r.custom]


# ---- EKS: standard or extended support of the version ----------------------------------------


def eks_offer(at: datetime = EKS_CALENDAR_CHECKED) -> list[EksVersion]:
    return [
        EksVersion(v, eks_version_status(std, ext, at), f"{std}T00:00:00Z", f"{ext}T00:00:00Z")
        for v, released, std, ext in EKS_CLUSTER_VERSIONS
        if released <= at.date().isoformat()
    ]


def test_eks_version_in_standard_support_is_created_without_warning():
    decision = check_eks_version("1.35", eks_offer())
    assert (decision.version, decision.support_type, decision.warning) == ("1.35", "EXTENDED", None)


def test_eks_version_in_extended_support_is_created_with_a_warning():
    """https://docs.aws.amazon.com/eks/latest/userguide/view-upgrade-policy.html: 14 months of
    standard support, then 12 of extended support at a higher price; with upgrade policy STANDARD
    EKS upgrades the cluster itself at the end of standard support, with EXTENDED (the API's
    default) it stays. The program pins EXTENDED so no upgrade happens outside Pulumi's state."""
    decision = check_eks_version("1.33", eks_offer())
    assert decision.support_type == "EXTENDED"
    assert "extended support" in said(decision.warning) and "standard support: 1.35, 1.36." in said(decision.warning)


@pytest.mark.parametrize("version", ["1.30", "1.29"])
def test_eks_refuses_a_version_it_no_longer_offers(version):
    with pytest.raises(ConfigError, match=rf"cluster.kubernetesVersion: EKS no longer creates clusters at {version}"):
        check_eks_version(version, eks_offer())


def test_eks_stack_pins_the_upgrade_policy(aws):
    cluster = aws.one("aws:eks/cluster:Cluster")
    assert cluster.input("upgradePolicy") == {"supportType": "EXTENDED"}
    assert any(t == "aws:eks/getClusterVersions:getClusterVersions" for t, _ in aws.invokes)


def test_offline_eks_data_is_consistent():
    """The offline answer follows the documented rule: standard support ends 14 months after release."""
    from datetime import date

    for version, released, standard, extended in EKS_CLUSTER_VERSIONS:
        r, s, e = (date.fromisoformat(d) for d in (released, standard, extended))
        assert (s.year - r.year) * 12 + s.month - r.month == 14 and (e.year - s.year) * 12 + e.month - s.month == 12
        for day, expected in ((s - timedelta(days=1), STANDARD_SUPPORT), (s, EXTENDED_SUPPORT), (e, "UNSUPPORTED")):
            moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            assert eks_version_status(standard, extended, moment) == expected, (version, day)


# ---- AWS: a restored instance keeps its backup's key ------------------------------------------


def test_restored_rds_instances_never_declare_the_stack_key():
    """terraform-provider-aws internal/service/rds/instance.go (resourceInstanceCreate): `kms_key_id`
    is ForceNew and is sent only with CreateDBInstance (`input.KmsKeyId`); the RestoreDBInstanceToPointInTime
    and RestoreDBInstanceFromDBSnapshot inputs have no KmsKeyId, so a restore keeps its backup's key
    and a declared key that differs replaces the instance on the next preview
    (hashicorp/terraform-provider-aws#15390). Promotion (`primary`) keeps it undeclared."""
    from components.aws.database import restored_key_arn
    from tests.test_restore import AT, AT_LABEL, evaluated, instances, restored

    assert restored_key_arn("arn:aws:kms:us-east-1:1:key/k", restored=True) is None
    assert restored_key_arn("arn:aws:kms:us-east-1:1:key/k", restored=False) == "arn:aws:kms:us-east-1:1:key/k"
    arn = "arn:aws:rds:us-west-2:111122223333:auto-backup:ab-0123456789abcdefghij"
    during = instances(restored("aws", pointInTime=AT, sourceAutomatedBackupsArn=arn), "aws")
    after = instances(evaluated("aws", {"primary": AT_LABEL, "promoted": {"pointInTime": AT}}), "aws")
    assert during[AT_LABEL].input("kmsKeyId") is None and after[AT_LABEL].input("kmsKeyId") is None
    assert during["original"].input("kmsKeyId", "").startswith("arn:aws:kms:")
    assert during[AT_LABEL].input("storageEncrypted") is True


# ---- GCP: an existing cluster's network and subnet ---------------------------------------------


def test_cloud_sql_private_network_is_always_the_network_id():
    """google-beta/services/sql/resource_sql_database_instance.go:47 (`privateNetworkLinkRegex`:
    `^(?:http(?:s)?://.+/)?projects/(...)/global/networks/(...)$`) is the `private_network`
    ValidateFunc (:671): a plain VPC name fails the plan."""
    import re

    from components.gcp.network import network_id

    provider_regex = re.compile(
        r"^(?:http(?:s)?://.+/)?projects/([^/]+)/global/networks/((?:[a-z](?:[-a-z0-9]*[a-z0-9])?))$"
    )
    for given in (
        "shared",
        "projects/acme/global/networks/shared",
        "https://www.googleapis.com/compute/v1/projects/acme/global/networks/shared",
    ):
        assert provider_regex.match(network_id("acme", given)), given
    assert network_id("p", "shared") == "projects/p/global/networks/shared"
    assert (
        network_id("p", "https://www.googleapis.com/compute/v1/projects/acme/global/networks/shared")
        == "projects/acme/global/networks/shared"
    )
    with pytest.raises(ConfigError, match=r"cluster.existing.network"):
        network_id("p", "regions/x/subnetworks/y")


def test_existing_cluster_by_network_name_with_a_private_load_balancer():
    """The address for an internal load balancer is INTERNAL and reserved in the nodes' subnet: for an
    existing cluster, the subnetwork GKE reports (resource_container_cluster.go:3785 sets it from
    NetworkConfig.Subnetwork, a relative path the address's `subnetwork` accepts:
    resource_compute_address.go:1052-1057 ParseRegionalFieldValue)."""
    existing = {"existing": {"name": "shared", "location": "us-central1", "network": "shared"}}
    evaluation = evaluate_stack(
        "gcp",
        **{
            "astronomer-dr:cluster": existing,
            "astronomer-dr:platform": {**_gcp_platform(), "privateLoadBalancer": True},
        },
    )
    assert evaluation.error is None, evaluation.error
    sql = evaluation.one("gcp:sql/databaseInstance:DatabaseInstance")
    assert (
        sql.input("settings.ipConfiguration.privateNetwork") == "projects/acme-astronomer-prod/global/networks/shared"
    )
    address = evaluation.one("gcp:compute/address:Address")
    assert address.input("addressType") == "INTERNAL"
    assert address.input("subnetwork") == "projects/acme-astronomer-prod/regions/us-central1/subnetworks/existing-nodes"
    assert address.input("networkTier") is None


def _gcp_platform() -> dict:
    from pathlib import Path

    import yaml

    stack = yaml.safe_load((Path(__file__).parent.parent / "Pulumi.gcp.yaml").read_text())
    return dict(stack["config"]["astronomer-dr:platform"])


# ---- AWS: what `pulumi up` means for RDS -------------------------------------------------------


def test_rds_changes_apply_now_and_major_upgrades_are_allowed(aws):
    """terraform-provider-aws internal/service/rds/instance.go, resourceInstanceUpdate:
    ModifyDBInstance gets `ApplyImmediately: d.Get("apply_immediately")` (false: "instance changes
    will be applied in next maintenance window") and `AllowMajorVersionUpgrade` only from
    `allow_major_version_upgrade`; RDS refuses a major engine version change without it."""
    db = aws.one("aws:rds/instance:Instance")
    assert db.input("applyImmediately") is True
    assert db.input("allowMajorVersionUpgrade") is True


def test_major_upgrade_creates_the_new_familys_parameter_group_first():
    """The group's name carries the family, so 16 -> 17 is a new resource (created before the
    instance is updated to it) and the old group is deleted after, never replaced in place."""
    from tests.test_restore import evaluated

    after = evaluated("aws", {"postgresVersion": "17"})
    [group] = after.of_type("aws:rds/parameterGroup:ParameterGroup")
    assert (group.name, group.input("name"), group.input("family")) == ("astro-aws-db-postgres17",) * 2 + (
        "postgres17",
    )
    db = after.one("aws:rds/instance:Instance")
    assert db.input("engineVersion") == "17" and group.urn in db.dependencies


def test_restored_instances_take_their_snapshots_size():
    """instance.go resourceInstanceCreate, `snapshot_identifier` branch: `allocated_storage` goes
    into a ModifyDBInstance after the restore; a snapshot grown by storage autoscaling is larger than
    the configured size and RDS refuses to shrink. The `allocated_storage` DiffSuppressFunc
    (`oldInt > newInt && mas > newInt`) keeps a grown original quiet; a restored one sends none.
    RDS's refusal: "InvalidParameterCombination: Invalid storage size for engine name postgres and
    storage type gp3" (ministryofjustice/cloud-platform-user-guide#1911); unset, a snapshot restore
    takes the snapshot's size (Bayer-Group/cloudformation-template-generator#172)."""
    from components.aws.database import restored_allocated_storage
    from tests.test_restore import instances, restored

    assert (
        restored_allocated_storage(50, restored=True) is None and restored_allocated_storage(50, restored=False) == 50
    )
    found = instances(restored("aws", backupId="rds:astro-aws-db-2026-11-20-03-00"), "aws")
    [label] = [k for k in found if k != "original"]
    assert found[label].input("allocatedStorage") is None
    assert found[label].input("maxAllocatedStorage") == found["original"].input("maxAllocatedStorage")


# ---- restores: what the provider cannot set at creation is set by a refresh ----------------------


def test_restore_flow_refreshes_what_the_restore_reset():
    """google-beta resource_sql_database_instance.go:2059-2073: after RestoreBackup the create returns
    without reading the instance back, and Cloud SQL resets the target's backup configuration to
    defaults (https://cloud.google.com/sql/docs/postgres/backup-recovery/restoring: "the target
    instance's backup configurations are set to default values"). terraform-provider-aws instance.go:
    the RestoreDBInstanceToPointInTime branch sends no backup retention or window. So a restore is
    followed by `pulumi up --refresh`, and the drill checks with a refresh."""
    from tools import drill

    steps = drill.drill_steps("aws", {"aws:region": "us-east-1"}, at="2026-11-20T09:30:00Z")
    shell = [s.shell() for s in steps]
    up = shell.index(f"pulumi up --yes --event-log {drill.events_file('aws')} --stack drill-aws")
    assert shell[up + 1] == "pulumi up --yes --refresh --stack drill-aws"
    assert all("--refresh" in c for c in shell if c.startswith("pulumi preview"))


def test_backup_replication_is_replaced_stop_then_start(aws):
    """terraform-provider-aws internal/service/rds/instance_automated_backups_replication.go:
    `source_db_instance_arn`, `retention_period` and `kms_key_id` are ForceNew, and delete calls
    StopDBInstanceAutomatedBackupsReplication (the copied backups stay until their retention ends).
    Create-before-delete would StartDBInstanceAutomatedBackupsReplication on an instance that already
    replicates, which RDS refuses; delete-before-replace stops it first."""
    replication = aws.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    assert replication.delete_before_replace is True


def test_backup_id_is_a_backup_run_id_not_a_backup_name():
    """google-beta resource_sql_database_instance.go:1594-1617: `restore_backup_context` takes
    `backup_run_id` (an integer), `instance_id` and `project` only; a deleted instance's retained
    and final backups are `projects/<p>/backups/<uid>`, which it cannot name. The program refuses
    such a name (the runbook gives the gcloud path) and the DR summary says what it restores."""
    from components.config import GCP_DATABASE_FIELDS
    from tools.plan import CLOUD_SQL_DELETED_RESTORE

    restore = GCP_DATABASE_FIELDS["restore"].fields
    assert restore is not None  # an object field: its keys
    backup_id = restore["backupId"]
    assert backup_id.check is not None
    assert backup_id.check("1732094400000") is None
    assert "backup run id" in said(backup_id.check("projects/acme/backups/0f1e2d3c-uid"))
    assert "not through `backupId`" in CLOUD_SQL_DELETED_RESTORE


def test_eks_subnets_avoid_zones_without_eks(aws):
    """https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html: cluster subnets cannot be
    in use1-az3 (us-east-1), usw1-az2 (us-west-1) or cac1-az3 (ca-central-1)
    (UnsupportedAvailabilityZoneException). Names map to IDs per account, so they are excluded by ID."""
    from components.aws.network import EKS_UNSUPPORTED_ZONE_IDS

    [asked] = [a for t, a in aws.invokes if t == "aws:index/getAvailabilityZones:getAvailabilityZones"]
    assert set(asked["excludeZoneIds"]) == set(EKS_UNSUPPORTED_ZONE_IDS) >= {"use1-az3", "usw1-az2", "cac1-az3"}
    zones = {s.input("availabilityZone") for s in aws.of_type("aws:ec2/subnet:Subnet")}
    assert zones == {"us-east-1a", "us-east-1b", "us-east-1d"}  # us-east-1c is use1-az3 here


# ---- smaller facts (item 19) ------------------------------------------------------------------


def test_private_services_range_is_explicit_clear_of_the_cluster_ranges(gcp):
    """GCP allocates a VPC_PEERING range without `address` from free space at creation; nothing made
    it wait for the subnet's ranges. The address is chosen clear of them and is ForceNew
    (google-beta compute GlobalAddress `address`), so an allocated one is kept (ignore_changes)."""
    import ipaddress

    from components.config import GcpNetworkSettings
    from components.gcp.network import private_services_address

    settings = GcpNetworkSettings(
        subnet_cidr="10.10.0.0/20",
        pods_cidr="10.20.0.0/14",
        services_cidr="10.30.0.0/20",
        private_services_prefix_length=16,
    )
    assert private_services_address(settings) == "10.0.0.0"
    crowded = GcpNetworkSettings(
        subnet_cidr="10.0.0.0/9",
        pods_cidr="10.128.0.0/9",
        services_cidr="172.20.0.0/20",
        private_services_prefix_length=20,
    )
    block = ipaddress.ip_network(f"{private_services_address(crowded)}/20")
    assert not any(block.overlaps(ipaddress.ip_network(c)) for c in ("10.0.0.0/8", "172.20.0.0/20", "172.16.0.0/28"))

    address = gcp.one("gcp:compute/globalAddress:GlobalAddress")
    subnet = gcp.one("gcp:compute/subnetwork:Subnetwork")
    assert (address.input("address"), address.input("prefixLength")) == ("10.0.0.0", 16)
    assert subnet.urn in address.dependencies and "address" in address.ignore_changes


def test_private_services_connection_is_abandoned_not_deleted(gcp):
    """google-beta servicenetworking Connection `deletion_policy`: ABANDON leaves the peering to go
    with the VPC; deleting it fails while a Cloud SQL instance still uses it (a drill's teardown)."""
    assert gcp.one("gcp:servicenetworking/connection:Connection").input("deletionPolicy") == "ABANDON"


def test_managed_policy_arns_follow_the_partition(aws):
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html: the partition is `aws`,
    `aws-us-gov` (GovCloud) or `aws-cn`; a managed policy's ARN carries it."""
    from components.aws.iam import managed_policy

    assert (
        managed_policy("AmazonEKSClusterPolicy", "us-gov-west-1")
        == "arn:aws-us-gov:iam::aws:policy/AmazonEKSClusterPolicy"
    )
    assert managed_policy("AmazonEKSClusterPolicy", "cn-north-1") == "arn:aws-cn:iam::aws:policy/AmazonEKSClusterPolicy"
    assert managed_policy("AmazonEKSClusterPolicy", "us-east-1") == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    arns = {a.input("policyArn") for a in aws.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert arns and all(a.startswith("arn:aws:iam::aws:policy/") for a in arns if "::aws:policy/" in a)
