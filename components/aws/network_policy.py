"""NetworkPolicy enforcement on EKS: the managed VPC CNI add-on with its network policy agent.

Chart 2.1.0 ships default-deny and ~20 NetworkPolicies; EKS's VPC CNI accepts and ignores them
until `enableNetworkPolicy` is set in the add-on's configuration ("Restrict Pod network traffic
with Kubernetes network policies", https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html:
`--configuration-values '{"enableNetworkPolicy": "true"}'`; the value is a string in the add-on's
configuration schema). The add-on is created before the nodes, so every node starts with the
agent (EKS installs a self-managed VPC CNI with the cluster; OVERWRITE adopts it).
"""

from __future__ import annotations

import json

import pulumi
from pulumi_aws import eks

from .kms import TAGS

VPC_CNI_ADDON = "vpc-cni"
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true"}


def vpc_cni_configuration() -> str:
    return json.dumps(VPC_CNI_CONFIGURATION, sort_keys=True)


def vpc_cni_addon(name: str, cluster_name: pulumi.Input[str], parent: pulumi.Resource) -> eks.Addon:
    return eks.Addon(
        f"{name}-vpc-cni",
        cluster_name=cluster_name,
        addon_name=VPC_CNI_ADDON,
        configuration_values=vpc_cni_configuration(),
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        tags=TAGS,
        opts=pulumi.ResourceOptions(parent=parent),
    )
