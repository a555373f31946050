"""Nodes roll without an outage, run as least-privileged identities, and enforce NetworkPolicies;
EKS admits the principals of `cluster.admins` (issue 10 items 13 and 17, issue 12 items 3 and 5)."""

from __future__ import annotations

import functools
import json

import pytest

from components.aws.access import CLUSTER_ADMIN_POLICY, admin_key, cluster_admin_policy_arn
from components.aws.network_policy import vpc_cni_configuration
from components.aws.nodes import GROUP_NAME_PREFIX, GROUP_NAME_PREFIX_MAX
from components.config import GKE_CALICO
from components.gcp.nodes import NAME_PREFIX_FULL_UUID_MAX, POOL_NAME_PREFIX, account_id
from tests.conftest import evaluate_stack

POOL = "gcp:container/nodePool:NodePool"
GKE = "gcp:container/cluster:Cluster"
GROUP = "aws:eks/nodeGroup:NodeGroup"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"

CI_ROLE = "arn:aws:iam::123456789012:role/ci-deploy"
OPERATOR = "arn:aws:iam::123456789012:user/second-operator"


# One evaluation with every cluster change at once (each evaluation costs about a second).
CHANGED_CLUSTER = {
    "kubernetesVersion": "1.33",
    "releaseChannel": "STABLE",
    "machineType": "e2-standard-16",
    "minNodesPerZone": 2,
    "maxNodesPerZone": 3,
    "networkPolicy": GKE_CALICO,
    "masterAuthorizedNetworks": ["203.0.113.0/24"],
}


@functools.cache
def gcp_changed():
    evaluation = evaluate_stack("gcp", **{"astronomer-dr:cluster": CHANGED_CLUSTER})
    assert evaluation.error is None, evaluation.error
    return evaluation


@functools.cache
def aws_with_admins():
    cluster = {
        "kubernetesVersion": "1.33",
        "instanceTypes": ["m6i.2xlarge"],
        "minNodes": 3,
        "maxNodes": 6,
        "desiredNodes": 3,
        "diskSizeGb": 100,
        "admins": [CI_ROLE, OPERATOR],
    }
    evaluation = evaluate_stack("aws", **{"astronomer-dr:cluster": cluster})
    assert evaluation.error is None, evaluation.error
    return evaluation


# ---- GKE: the node pool ------------------------------------------------------------------------


def test_gke_pool_is_named_from_a_prefix_so_a_replacement_is_created_first(gcp):
    """google-beta resource_container_node_pool.go: `name`, `name_prefix` and `initial_node_count`
    are ForceNew; `name_prefix` at most 14 characters gets the full unique suffix (expandNodePool:
    `len(p) > 14` -> ReducedPrefixedUniqueId). A fixed name would make the replacement collide
    with the pool it replaces, so it could only be deleted first: every node gone at once."""
    pool = gcp.one(POOL)
    assert pool.input("name") is None
    assert pool.input("namePrefix") == POOL_NAME_PREFIX and len(POOL_NAME_PREFIX) <= NAME_PREFIX_FULL_UUID_MAX
    assert pool.delete_before_replace is False


def test_gke_min_nodes_is_an_autoscaler_bound_never_a_replacement(gcp):
    """`initial_node_count` is ForceNew and only sizes a new pool ("Changing this will force
    recreation of the resource", resource_container_node_pool.go); the autoscaler's bounds update
    in place. So the pool ignores later changes of it."""
    pool = gcp.one(POOL)
    assert pool.ignore_changes == ["initialNodeCount"]
    changed = gcp_changed().one(POOL)
    assert changed.input("autoscaling") == {"minNodeCount": 2, "maxNodeCount": 3}
    assert changed.ignore_changes == ["initialNodeCount"]


def test_gke_machine_and_disk_changes_roll_with_surge(gcp):
    """machine_type, disk_size_gb and disk_type carry no ForceNew in google-beta node_config.go
    (nodePoolNodeConfigUpdate applies them): GKE rolls the nodes with the pool's upgrade settings,
    one surge node at a time and none taken away first."""
    pool = gcp.one(POOL)
    assert pool.input("upgradeSettings") == {"strategy": "SURGE", "maxSurge": 1, "maxUnavailable": 0}
    changed = gcp_changed().one(POOL)
    assert changed.input("nodeConfig.machineType") == "e2-standard-16"
    assert changed.input("namePrefix") == POOL_NAME_PREFIX


def test_gke_nodes_run_as_a_dedicated_least_privileged_service_account(gcp):
    """ "At a minimum, these node service accounts must have the Kubernetes Engine Default Node
    Service Account (roles/container.defaultNodeServiceAccount) role on your project"
    (https://cloud.google.com/kubernetes-engine/security/configure-node-service-accounts).
    `node_config.service_account` is ForceNew (node_config.go): set once, on a prefix-named pool."""
    account = gcp.one("gcp:serviceaccount/account:Account", "astro-gcp-nodes")
    email = f"{account.input('accountId')}@acme-astronomer-prod.iam.gserviceaccount.com"
    pool = gcp.one(POOL)
    assert pool.input("nodeConfig.serviceAccount") == email
    assert pool.input("nodeConfig.workloadMetadataConfig.mode") == "GKE_METADATA"
    [grant] = gcp.of_type("gcp:projects/iAMMember:IAMMember")
    assert (grant.input("project"), grant.input("role"), grant.input("member")) == (
        "acme-astronomer-prod",
        "roles/container.defaultNodeServiceAccount",
        f"serviceAccount:{email}",
    )
    assert grant.urn in pool.dependencies
    assert len(account_id("astro-a-very-long-stack-name-nodes")) <= 30


# ---- GKE: NetworkPolicy enforcement ------------------------------------------------------------


def test_gke_enforces_network_policies_with_dataplane_v2(gcp):
    """Dataplane V2 enforces NetworkPolicies natively; `datapath_provider` is ForceNew
    (google-beta resource_container_cluster.go), so new clusters get it at creation."""
    cluster = gcp.one(GKE)
    assert cluster.input("datapathProvider") == "ADVANCED_DATAPATH"
    assert cluster.input("networkPolicy") is None


def test_gke_cluster_created_without_dataplane_v2_enables_calico_in_place():
    """`network_policy` and the `network_policy_config` add-on update in place
    (resource_container_cluster.go: `d.HasChange("network_policy")` in Update), unlike the
    datapath: the migration for a cluster that exists already."""
    cluster = gcp_changed().one(GKE)
    assert cluster.input("datapathProvider") is None
    assert cluster.input("networkPolicy") == {"enabled": True, "provider": "CALICO"}
    assert cluster.input("addonsConfig.networkPolicyConfig") == {"disabled": False}


def test_gke_network_policy_mode_is_validated():
    evaluation = evaluate_stack("gcp", **{"astronomer-dr:cluster": {"networkPolicy": "CILIUM"}})
    assert "astronomer-dr:cluster.networkPolicy" in str(evaluation.error)
    assert "DATAPLANE_V2, CALICO" in str(evaluation.error)


# ---- EKS: the node group and its launch template ------------------------------------------------


def test_eks_nodes_require_imdsv2_with_hop_limit_1(aws):
    """EKS best practices, "Restrict access to the instance profile assigned to the worker node"
    (https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html):
    IMDSv2 required and a hop limit of 1, through the node group's launch template."""
    template = aws.one(TEMPLATE)
    assert template.input("metadataOptions") == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }
    group = aws.one(GROUP)
    assert group.input("launchTemplate.version") == "1"
    assert group.input("launchTemplate.id") == "astro-aws-platform-id"


def test_eks_disk_changes_are_a_template_version_rolled_in_place(aws):
    """terraform-provider-aws internal/service/eks/node_group.go: `disk_size` is ForceNew, the launch
    template's `version` is not (Update calls UpdateNodegroupVersion, a rolling update of
    `max_unavailable` nodes). So the disk is in the template, and the group sets no disk_size."""
    [mapping] = aws.one(TEMPLATE).input("blockDeviceMappings")
    assert mapping == {
        "deviceName": "/dev/xvda",
        "ebs": {"volumeSize": 100, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"},
    }
    assert aws.one(TEMPLATE).input("updateDefaultVersion") is True
    group = aws.one(GROUP)
    assert group.input("diskSize") is None
    assert group.input("updateConfig") == {"maxUnavailable": 1}


def test_eks_group_is_named_from_a_prefix_so_a_replacement_is_created_first(aws):
    """node_group.go: `instance_types`, `ami_type`, `capacity_type` and `node_group_name(_prefix)`
    are ForceNew. With a generated name the new group is created (and ACTIVE) before the old one
    is deleted; a fixed `node_group_name` would collide."""
    group = aws.one(GROUP)
    assert group.input("nodeGroupName") is None
    assert group.input("nodeGroupNamePrefix") == GROUP_NAME_PREFIX and len(GROUP_NAME_PREFIX) <= GROUP_NAME_PREFIX_MAX
    assert group.delete_before_replace is False
    assert aws.one(TEMPLATE).input("name") is None and aws.one(TEMPLATE).input("namePrefix") == "astro-aws-platform-"


def test_eks_vpc_cni_enforces_network_policies_before_nodes_join(aws):
    """https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html:
    `--configuration-values '{"enableNetworkPolicy": "true"}'` (a string in the schema)."""
    addon = aws.one(ADDON, "astro-aws-vpc-cni")
    assert addon.input("addonName") == "vpc-cni"
    assert json.loads(addon.input("configurationValues")) == {"enableNetworkPolicy": "true"}
    assert addon.input("configurationValues") == vpc_cni_configuration()
    assert addon.input("resolveConflictsOnCreate") == "OVERWRITE"
    assert addon.urn in aws.one(GROUP).dependencies


# ---- EKS: cluster.admins -----------------------------------------------------------------------


def test_no_access_entries_without_admins(aws):
    assert aws.of_type(ENTRY) == [] and aws.of_type(ASSOCIATION) == []


def test_each_admin_gets_an_access_entry_and_the_cluster_admin_policy():
    """https://docs.aws.amazon.com/eks/latest/userguide/access-policies.html: access policy ARNs are
    `arn:<partition>:eks::aws:cluster-access-policy/<name>`; AmazonEKSClusterAdminPolicy with an
    access scope of type `cluster` is cluster-admin."""
    evaluation = aws_with_admins()
    entries = {e.input("principalArn"): e for e in evaluation.of_type(ENTRY)}
    assert set(entries) == {CI_ROLE, OPERATOR}
    for principal, entry in entries.items():
        assert entry.input("clusterName") == "astro-aws" and entry.input("type") == "STANDARD"
        association = evaluation.one(ASSOCIATION, f"astro-aws-admin-{admin_key(principal)}")
        assert association.input("principalArn") == principal
        assert association.input("policyArn") == f"arn:aws:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}"
        assert association.input("accessScope") == {"type": "cluster"}
        assert entry.urn in association.dependencies
    assert (
        cluster_admin_policy_arn("aws-us-gov")
        == "arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )


@pytest.mark.parametrize(
    "admins, message",
    [
        (["arn:aws:sts::123456789012:assumed-role/ci/session"], "not an assumed-role session"),
        (["ci-deploy"], "IAM role or user ARN"),
        ([CI_ROLE, CI_ROLE], "lists a principal twice"),
    ],
)
def test_admins_are_validated(admins, message):
    evaluation = evaluate_stack("aws", **{"astronomer-dr:cluster": {"admins": admins}})
    assert "astronomer-dr:cluster.admins" in str(evaluation.error) and message in str(evaluation.error)


def test_admins_do_not_apply_to_an_existing_cluster():
    evaluation = evaluate_stack(
        "aws", **{"astronomer-dr:cluster": {"existing": {"name": "shared"}, "admins": [CI_ROLE]}}
    )
    assert "astronomer-dr:cluster.admins" in str(
        evaluation.error
    ) and "only applies to a cluster this program creates" in str(evaluation.error)
