"""Who may administer the EKS cluster besides its creator: `cluster.admins`.

With `authentication_mode = API` only access entries admit IAM principals, and the only one EKS
makes is the cluster creator's (bootstrap_cluster_creator_admin_permissions). Each principal in
`cluster.admins` gets an access entry (type STANDARD) and the AmazonEKSClusterAdminPolicy access
policy on the whole cluster ("Associate access policies with access entries",
https://docs.aws.amazon.com/eks/latest/userguide/access-policies.html): CI roles and a second
operator can then reach Kubernetes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pulumi
from pulumi_aws import eks

from .kms import TAGS

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


def cluster_admin_policy_arn(partition: str) -> str:
    """EKS access policies live in the partition's `aws` account, under cluster-access-policy/."""
    return f"arn:{partition}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}"


def partition_of(arn: str) -> str:
    return arn.split(":")[1]


def admin_key(principal_arn: str) -> str:
    """A stable resource name per principal (ARNs hold characters URNs should not)."""
    return hashlib.sha256(principal_arn.encode()).hexdigest()[:10]


def cluster_admins(
    name: str, cluster: eks.Cluster, principals: Sequence[str], parent: pulumi.Resource
) -> list[pulumi.Resource]:
    created: list[pulumi.Resource] = []
    policy_arn = cluster.arn.apply(lambda arn: cluster_admin_policy_arn(partition_of(arn)))
    for principal in principals:
        key = admin_key(principal)
        entry = eks.AccessEntry(
            f"{name}-admin-{key}",
            cluster_name=cluster.name,
            principal_arn=principal,
            type="STANDARD",
            tags=TAGS,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        association = eks.AccessPolicyAssociation(
            f"{name}-admin-{key}",
            cluster_name=cluster.name,
            principal_arn=entry.principal_arn,
            policy_arn=policy_arn,
            access_scope=eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        created += [entry, association]
    return created
