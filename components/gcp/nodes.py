"""The GKE platform node pool and its own Google identity: facts and the resources they become.

Two things decided here, each from the provider's schema or GKE's documentation:

* A change must roll, never empty the cluster. In google-beta's resource_container_node_pool.go,
  `name`, `name_prefix` and `initial_node_count` are ForceNew, as are `node_config.service_account`
  and `oauth_scopes`; `machine_type`, `disk_size_gb` and `disk_type` update in place (GKE rolls the
  nodes with surge upgrades). A fixed name makes create-before-delete impossible (the new pool
  would take the old one's name), so the pool is named from a prefix: a replacement creates the
  new pool first, and only then is the old one drained and deleted. `initial_node_count` only
  sizes the pool at creation (the autoscaler owns the size after that), so a later change of
  `minNodesPerZone` is ignored there and applied to the autoscaler's bounds in place.
* The nodes run as a dedicated service account holding only the role GKE documents for nodes
  (`roles/container.defaultNodeServiceAccount`), never the Compute Engine default account.
  Pods get their own identity through Workload Identity (`GKE_METADATA`), never the node's.
"""

from __future__ import annotations

import re

import pulumi
from pulumi_gcp import container, projects, serviceaccount

from ..config import GcpClusterSettings

# "Grant the minimum required role for GKE": node service accounts need at least this role on
# the project (https://cloud.google.com/kubernetes-engine/docs/how-to/service-accounts and
# https://cloud.google.com/kubernetes-engine/security/configure-node-service-accounts).
NODE_SERVICE_ACCOUNT_ROLES = ("roles/container.defaultNodeServiceAccount",)
# With a dedicated service account, access is decided by IAM; GKE's guidance keeps this scope.
NODE_OAUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
# At most 14 characters: the provider then appends a 26-character timestamp and counter, and the
# pool's name stays within GKE's 40 (resource_container_node_pool.go, name_prefix ValidateFunc).
POOL_NAME_PREFIX = "platform-"
NAME_PREFIX_FULL_UUID_MAX = 14
# Surge upgrades: one extra node at a time, no node taken away before its replacement is up.
MAX_SURGE = 1
MAX_UNAVAILABLE = 0
# Sizes the pool at creation only (ForceNew): later changes would replace the pool for nothing.
CREATION_ONLY_INPUTS = ("initialNodeCount",)


def account_id(name: str) -> str:
    """A valid service account id (6-30 chars, [a-z][-a-z0-9]*[a-z0-9]) derived from a resource name."""
    base = re.sub(r"[^a-z0-9-]", "-", name.lower())[:30].rstrip("-")
    return base if len(base) >= 6 else f"{base}-nodes"


def node_service_account(
    name: str, project: str, parent: pulumi.Resource
) -> tuple[serviceaccount.Account, list[pulumi.Resource]]:
    """The nodes' own service account and its project role(s)."""
    child = pulumi.ResourceOptions(parent=parent)
    account = serviceaccount.Account(
        f"{name}-nodes",
        account_id=account_id(f"{name}-nodes"),
        display_name="Astronomer platform GKE nodes",
        description="GKE node identity: logging, monitoring and metrics only (roles/container.defaultNodeServiceAccount).",
        opts=child,
    )
    grants: list[pulumi.Resource] = [
        projects.IAMMember(
            f"{name}-nodes-{role.rsplit('.', 1)[-1]}",
            project=project,
            role=role,
            member=account.member,
            opts=child,
        )
        for role in NODE_SERVICE_ACCOUNT_ROLES
    ]
    return account, grants


def platform_node_pool(
    name: str,
    settings: GcpClusterSettings,
    cluster: container.Cluster,
    region: str,
    project: str,
    parent: pulumi.Resource,
) -> container.NodePool:
    """The `platform` pool: regional, autoscaled, shielded, surge-upgraded, replaced create-first."""
    account, grants = node_service_account(name, project, parent)
    return container.NodePool(
        f"{name}-platform",
        name_prefix=POOL_NAME_PREFIX,
        cluster=cluster.id,
        location=region,
        autoscaling=container.NodePoolAutoscalingArgs(
            min_node_count=settings.min_nodes_per_zone,
            max_node_count=settings.max_nodes_per_zone,
        ),
        initial_node_count=settings.min_nodes_per_zone,
        management=container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
        upgrade_settings=container.NodePoolUpgradeSettingsArgs(
            strategy="SURGE", max_surge=MAX_SURGE, max_unavailable=MAX_UNAVAILABLE
        ),
        node_config=container.NodePoolNodeConfigArgs(
            machine_type=settings.machine_type,
            disk_size_gb=settings.disk_size_gb,
            disk_type="pd-balanced",
            service_account=account.email,
            oauth_scopes=list(NODE_OAUTH_SCOPES),
            # Pods get their own Google identity, never the node's.
            workload_metadata_config=container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
            shielded_instance_config=container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_integrity_monitoring=True
            ),
            labels={"astronomer.io/pool": "platform"},
        ),
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=grants,
            ignore_changes=list(CREATION_ONLY_INPUTS),
            # Explicit: the replacement pool exists before the old one is drained.
            delete_before_replace=False,
        ),
    )
