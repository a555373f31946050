"""How GKE enforces the chart's NetworkPolicies (chart 2.1.0 ships default-deny and ~20 policies;
without enforcement they are accepted and ignored).

* DATAPLANE_V2: `datapath_provider = ADVANCED_DATAPATH`. GKE's recommended dataplane enforces
  NetworkPolicies natively. It is ForceNew on the cluster (google-beta
  resource_container_cluster.go, `datapath_provider`), so it is chosen when a cluster is created.
* CALICO: `network_policy {enabled, provider = CALICO}` with the `network_policy_config` add-on.
  Both update in place (resource_container_cluster.go, `d.HasChange("network_policy")`); GKE then
  recreates the nodes pool by pool, with the pool's surge upgrade settings. This is how a cluster
  created before this program enforced policies gets enforcement without being replaced.
"""

from __future__ import annotations

from typing import Any

from pulumi_gcp import container

from ..config import GKE_CALICO, GKE_DATAPLANE_V2

ADVANCED_DATAPATH = "ADVANCED_DATAPATH"


def network_policy_args(mode: str) -> dict[str, Any]:
    """Cluster arguments that make NetworkPolicies enforced, for `cluster.networkPolicy`."""
    if mode == GKE_DATAPLANE_V2:
        return {"datapath_provider": ADVANCED_DATAPATH}
    if mode == GKE_CALICO:
        return {
            "network_policy": container.ClusterNetworkPolicyArgs(enabled=True, provider=GKE_CALICO),
            "addons_config": container.ClusterAddonsConfigArgs(
                network_policy_config=container.ClusterAddonsConfigNetworkPolicyConfigArgs(disabled=False)
            ),
        }
    raise ValueError(f"unknown network policy mode {mode!r}")
