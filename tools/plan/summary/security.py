"""DR summary rows of exposure and isolation: the choices the stack makes."""

from __future__ import annotations

import json
from typing import Any

from tools.plan.summary.rows import fmt_value, summary_row

# ---- exposure and isolation: the choices the stack makes, shown where a reviewer reads the plan -


def _reach(cidrs: Any) -> str | None:
    """None when reachable from anywhere, else the ranges."""
    values = [c for c in cidrs or [] if isinstance(c, str)]
    if not values or any(c in ("0.0.0.0/0", "::/0") for c in values):
        return None
    return ", ".join(f"`{c}`" for c in values)


def security_rows(evaluation, releases: list) -> list[dict[str, str]]:
    """Who can reach the Kubernetes API and NGINX (an explicit choice: open keeps recovery possible
    from anywhere), whether NetworkPolicies are enforced, what the nodes may reach."""
    rows: list[dict[str, str]] = []
    for r in evaluation.of_type("gcp:container/cluster:Cluster"):
        if r.input("privateClusterConfig.enablePrivateEndpoint"):
            value = "private endpoint only (inside the VPC)"
        else:
            ranges = _reach([b.get("cidrBlock") for b in r.input("masterAuthorizedNetworksConfig.cidrBlocks") or []])
            value = (
                f"public endpoint, from {ranges}"
                if ranges
                else "public endpoint, from anywhere, credentials still required (an explicit choice: `cluster.masterAuthorizedNetworks`)"
            )
        rows.append(
            summary_row("Exposure: Kubernetes API", value, r, "privateClusterConfig", "masterAuthorizedNetworksConfig")
        )
        if r.input("datapathProvider") == "ADVANCED_DATAPATH":
            enforcement = "enforced (Dataplane V2)"
        elif r.input("networkPolicy.enabled"):
            enforcement = f"enforced ({fmt_value(r.input('networkPolicy.provider'))})"
        else:
            enforcement = "NOT enforced: the chart's policies are inert ⚠️"
        rows.append(summary_row("NetworkPolicies", enforcement, r, "datapathProvider", "networkPolicy"))
    for r in evaluation.of_type("aws:eks/cluster:Cluster"):
        if not r.input("vpcConfig.endpointPublicAccess"):
            value = "private endpoint only (inside the VPC)"
        else:
            ranges = _reach(r.input("vpcConfig.publicAccessCidrs"))
            value = (
                f"public endpoint, from {ranges}"
                if ranges
                else "public endpoint, from anywhere, credentials still required (an explicit choice: `cluster.publicAccessCidrs`)"
            )
        rows.append(
            summary_row(
                "Exposure: Kubernetes API", value, r, "vpcConfig.endpointPublicAccess", "vpcConfig.publicAccessCidrs"
            )
        )
        cni = [a for a in evaluation.of_type("aws:eks/addon:Addon") if a.input("addonName") == "vpc-cni"]
        enforced = any(
            str(json.loads(a.input("configurationValues") or "{}").get("enableNetworkPolicy")).lower() == "true"
            for a in cni
        )
        rows.append(
            summary_row(
                "NetworkPolicies",
                "enforced (VPC CNI network policy agent)"
                if enforced
                else "NOT enforced: the chart's policies are inert ⚠️",
                cni[0] if cni else r,
                "configurationValues",
            )
        )
        admins = [e.input("principalArn") for e in evaluation.of_type("aws:eks/accessEntry:AccessEntry")]
        who = "the identity that created the cluster" + (
            f", and {', '.join(f'`{a}`' for a in admins)}" if admins else " only (`cluster.admins` adds others)"
        )
        rows.append(summary_row("Cluster admins", who, r, "accessConfig"))
    for t in evaluation.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        tokens, hops = t.input("metadataOptions.httpTokens"), t.input("metadataOptions.httpPutResponseHopLimit")
        ok = tokens == "required" and hops == 1
        rows.append(
            summary_row(
                "Node metadata (IMDS)",
                f"tokens {fmt_value(tokens)}, hop limit {fmt_value(hops)}" + ("" if ok else " ⚠️"),
                t,
                "metadataOptions",
            )
        )
    for p in evaluation.of_type("gcp:container/nodePool:NodePool"):
        rows.append(
            summary_row(
                "Node identity", f"`{fmt_value(p.input('nodeConfig.serviceAccount'))}`", p, "nodeConfig.serviceAccount"
            )
        )
    for r in releases:
        if r.input("values.nginx.privateLoadBalancer"):
            value = "internal load balancer (inside the VPC)"
        else:
            ranges = _reach(r.input("values.nginx.loadBalancerSourceRanges"))
            value = (
                f"internet-facing, from {ranges}"
                if ranges
                else "internet-facing, from anywhere (an explicit choice: `platform.loadBalancerSourceRanges` or `privateLoadBalancer`)"
            )
        rows.append(
            summary_row(
                "Exposure: NGINX (UI, APIs, registry)",
                value,
                r,
                "values.nginx.privateLoadBalancer",
                "values.nginx.loadBalancerSourceRanges",
            )
        )
        if r.input("values.astronomer.registry.httpSecret") is not None:
            rows.append(
                summary_row(
                    "Registry httpSecret",
                    "pinned, in the registry pod spec (chart 2.1.0): readable by whoever may read Deployments in the platform namespace",
                    r,
                    "values.astronomer.registry.httpSecret",
                )
            )
    return rows
