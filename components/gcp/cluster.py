"""The GKE cluster: regional, private nodes, Workload Identity, a platform node pool.

Or, with `cluster.existing`, a reference to a cluster someone else manages. Either way it ends in
a Kubernetes provider for the platform.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import container
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from ..config import GcpClusterSettings
from .network import Network
from .network_policy import network_policy_args
from .nodes import platform_node_pool


@dataclass
class ClusterArgs:
    settings: GcpClusterSettings
    project: str
    region: str
    # None with an existing cluster.
    network: Network | None
    # A throwaway stack being torn down: the cluster may be deleted.
    teardown: bool = False
    # The version to create at, chosen from what the release channel offers (versions.py).
    kubernetes_version: str | None = None


def kubeconfig(name: str, endpoint: str, ca_certificate: str) -> str:
    """A kubeconfig that authenticates with gcloud's GKE plugin: no long-lived credential in state."""
    return f"""apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: https://{endpoint}
    certificate-authority-data: {ca_certificate}
contexts:
- name: {name}
  context:
    cluster: {name}
    user: {name}
current-context: {name}
users:
- name: {name}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin)
      provideClusterInfo: true
"""


# The release channel may move the control plane to any minor it offers; the chart is tested on
# SUPPORTED_KUBERNETES_MINORS only. A maintenance exclusion scoped NO_MINOR_UPGRADES keeps the
# cluster on its minor (patches still apply) until that minor's end of support, when GKE upgrades
# regardless (EndTimeBehavior UNTIL_END_OF_SUPPORT: "in effect until the end of the support of the
# cluster's current version": GKE API v1 MaintenanceExclusionOptions.EndTimeBehavior, as its
# reference documents it, e.g. https://documentation.s3ns.fr/dotnet/docs/reference/Google.Cloud.Container.V1/latest/Google.Cloud.Container.V1.MaintenanceExclusionOptions.Types.EndTimeBehavior).
# The provider sends no end time with that behaviour and reads none back, so nothing drifts
# (google-beta services/container/resource_container_cluster.go: schema ~1427-1464, expand ~6380-6390,
# flatten ~8299-8305). A fixed start in the past: the exclusion holds from creation on, and a start
# taken from the clock would change on every run. GKE accepts a past start (the provider's
# acceptance test TestAccContainerCluster_withMaintenanceExclusionOptions_untilEndOfSupport creates
# a cluster with start 2019-05-01T00:00:00Z, resource_container_cluster_test.go ~4123-4138, ~12115-12123).
# No maintenance window is needed with it: "You can configure maintenance windows and maintenance
# exclusions separately and independently"
# (https://cloud.google.com/kubernetes-engine/docs/concepts/maintenance-windows-and-exclusions).
MINOR_UPGRADE_HOLD = "hold-minor-upgrades"
MINOR_UPGRADE_HOLD_START = "2026-01-01T00:00:00Z"


def maintenance_policy() -> container.ClusterMaintenancePolicyArgs:
    """No automatic minor upgrade (the chart's tested range), patches and node upgrades as usual."""
    return container.ClusterMaintenancePolicyArgs(
        maintenance_exclusions=[
            container.ClusterMaintenancePolicyMaintenanceExclusionArgs(
                exclusion_name=MINOR_UPGRADE_HOLD,
                start_time=MINOR_UPGRADE_HOLD_START,
                exclusion_options=container.ClusterMaintenancePolicyMaintenanceExclusionExclusionOptionsArgs(
                    scope="NO_MINOR_UPGRADES", end_time_behavior="UNTIL_END_OF_SUPPORT"
                ),
            )
        ]
    )


def workload_pool(project: str) -> str:
    return f"{project}.svc.id.goog"


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    provider: KubernetesProvider
    # The nodes' subnet: where an internal load balancer's address is reserved.
    subnetwork: pulumi.Output[str]
    # What the platform must wait for: the node pool that will run it (empty for an existing cluster).
    ready: list[pulumi.Resource]
    # What IAM bindings to `<project>.svc.id.goog` principals must wait for: the project's Workload
    # Identity pool exists only once a cluster with Workload Identity does (empty for an existing one).
    identity_pool_ready: list[pulumi.Resource]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/cluster:Cluster", name, None, opts)
        settings = args.settings
        if settings.existing is not None:
            existing = container.get_cluster_output(
                name=settings.existing.name,
                location=settings.existing.location,
                project=args.project,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            cluster_name = existing.name
            endpoint = existing.endpoint
            self.subnetwork = existing.subnetwork
            ca = existing.master_auths.apply(lambda auths: auths[0].cluster_ca_certificate)
            self.ready = []
            self.identity_pool_ready = []
        else:
            assert args.network is not None
            cluster_name, endpoint, ca = self._create(name, args, args.network)
            self.subnetwork = args.network.subnet_self_link

        self.name = pulumi.Output.from_input(cluster_name)
        self.endpoint = pulumi.Output.from_input(endpoint)
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.name, self.endpoint, ca).apply(lambda v: kubeconfig(v[0], v[1], v[2]))
        )
        self.provider = KubernetesProvider(
            f"{name}-kubernetes",
            kubeconfig=self.kubeconfig,
            # Resources land in the namespaces they name, never in a kubeconfig default.
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": self.name, "endpoint": self.endpoint})

    def _create(self, name: str, args: ClusterArgs, network: Network):
        settings = args.settings
        authorized = (
            container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                        cidr_block=cidr, display_name=f"allowed-{i}"
                    )
                    for i, cidr in enumerate(settings.master_authorized_networks)
                ]
            )
            if settings.master_authorized_networks
            else None
        )
        cluster = container.Cluster(
            name,
            name=name,
            location=args.region,  # regional: control plane and nodes in every zone
            network=network.network_self_link,
            subnetwork=network.subnet_self_link,
            min_master_version=args.kubernetes_version,
            release_channel=container.ClusterReleaseChannelArgs(channel=settings.release_channel),
            maintenance_policy=maintenance_policy(),
            remove_default_node_pool=True,
            initial_node_count=1,
            deletion_protection=not args.teardown,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=network.pods_range_name,
                services_secondary_range_name=network.services_range_name,
            ),
            private_cluster_config=container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=False,
                master_ipv4_cidr_block=settings.master_ipv4_cidr_block,
            ),
            master_authorized_networks_config=authorized,
            workload_identity_config=container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=workload_pool(args.project)
            ),
            # The chart's NetworkPolicies are enforced (components/gcp/network_policy.py).
            **network_policy_args(settings.network_policy),
            # Managed collection (Google Cloud Managed Service for Prometheus): Velero's metrics reach
            # Cloud Monitoring, whose PromQL alert policies email the DR alerts with no key to hold
            # (components/gcp/alerts.py).
            monitoring_config=container.ClusterMonitoringConfigArgs(
                managed_prometheus=container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True)
            ),
            # The version matters at creation (GKE's initial version, versions.py); afterwards the
            # release channel upgrades the cluster, and the channel's moving default must not show
            # as a change on every preview.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["min_master_version"]),
        )
        nodes = platform_node_pool(name, settings, cluster, args.region, args.project, parent=self)
        self.ready = [nodes]
        self.identity_pool_ready = [cluster]
        ca = cluster.master_auth.apply(lambda auth: auth.cluster_ca_certificate)
        return cluster.name, cluster.endpoint, ca
