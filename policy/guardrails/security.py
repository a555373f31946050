"""Security guardrails (issue 12): enforced NetworkPolicies, least-privileged nodes, nodes that
roll without an outage, IMDSv2, TLS to S3; and the exposure choices (advisory: reaching the platform
from anywhere is the user's call)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ReportViolation, StackValidationArgs, StackValidationPolicy

from .buckets import S3_KIND, bucket_keys, targets_bucket
from .common import (
    ADVISORY,
    HELM_RELEASE,
    MANDATORY,
    S3_BUCKETS,
    UNKNOWN,
    Check,
    as_number,
    get,
    is_blank,
    list_items,
    resource_policy,
    set_hint,
    show_value,
    unwrap,
    violation_message,
)
from .release import HELM_KIND, is_astronomer

# --------------------------------------------------------------------------------------------
# Security (issue 12): enforced NetworkPolicies, least-privileged nodes, nodes that roll, TLS to
# S3; and the exposure choices (advisory: reaching the platform from anywhere is the user's call)
# --------------------------------------------------------------------------------------------

GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_ADDON = "aws:eks/addon:Addon"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
S3_BUCKET_POLICY = frozenset({"aws:s3/bucketPolicy:BucketPolicy"})
_ANYWHERE = {"0.0.0.0/0", "::/0"}


def _open_to_all(cidrs: Any) -> bool:
    """No list (or an empty one) or a list containing 0.0.0.0/0: reachable from anywhere."""
    if cidrs is UNKNOWN:
        return False
    values = [c for c in list_items(cidrs) if isinstance(c, str)]
    return not values or any(c in _ANYWHERE for c in values)


def _gke_network_policy(p: Mapping[str, Any], n: str) -> Iterator[str]:
    datapath = get(p, "datapathProvider")
    enabled = get(p, "networkPolicy", "enabled")
    if datapath in ("ADVANCED_DATAPATH", UNKNOWN) or enabled in (True, UNKNOWN):
        return
    yield violation_message(
        "GKE cluster",
        n,
        "NetworkPolicies are accepted but not enforced (no Dataplane V2, "
        "no network policy enforcement): the chart's default-deny and "
        "per-component policies do nothing",
        set_hint("datapathProvider", "ADVANCED_DATAPATH") + " on a new cluster (ForceNew), or "
        '`networkPolicy: {enabled: true, provider: "CALICO"}` with '
        "`addonsConfig.networkPolicyConfig.disabled: false` on an existing one",
    )


def _gke_node_identity(p: Mapping[str, Any], n: str) -> Iterator[str]:
    account = get(p, "nodeConfig", "serviceAccount")
    if account is UNKNOWN:
        return
    if (
        is_blank(account)
        or account == "default"
        or (isinstance(account, str) and account.endswith("-compute@developer.gserviceaccount.com"))
    ):
        yield violation_message(
            "GKE node pool",
            n,
            f"the nodes run as the Compute Engine default service account "
            f"(`nodeConfig.serviceAccount` is {show_value(account)})",
            "set `nodeConfig.serviceAccount` to a dedicated service account holding only "
            "`roles/container.defaultNodeServiceAccount` on the project",
        )


def _fixed_name(path: str, kind: str, prefix_input: str) -> Check:
    def check(p: Mapping[str, Any], n: str) -> Iterator[str]:
        name = get(p, path)
        if isinstance(name, str) and name:
            yield violation_message(
                kind,
                n,
                f"it has a fixed name (`{path}` is {show_value(name)}), so any change the "
                "provider must replace it for deletes every node before the new "
                "ones exist",
                f'remove `{path}` and set `{prefix_input}` (e.g. "platform-"): the '
                "replacement is then created before the old one is deleted",
            )

    return check


def _eks_node_group_template(p: Mapping[str, Any], n: str) -> Iterator[str]:
    template = get(p, "launchTemplate")
    if template is UNKNOWN:
        return
    if is_blank(template) or (is_blank(get(p, "launchTemplate", "id")) and is_blank(get(p, "launchTemplate", "name"))):
        yield violation_message(
            "EKS node group",
            n,
            "it has no launch template, so its nodes accept IMDSv1 and pods can read the node role's credentials",
            "set `launchTemplate: {id, version}` to a template with "
            '`metadataOptions.httpTokens: "required"` and '
            "`metadataOptions.httpPutResponseHopLimit: 1`",
        )


def _launch_template_imdsv2(p: Mapping[str, Any], n: str) -> Iterator[str]:
    tokens = get(p, "metadataOptions", "httpTokens")
    hops = get(p, "metadataOptions", "httpPutResponseHopLimit")
    if tokens is not UNKNOWN and tokens != "required":
        yield violation_message(
            "launch template",
            n,
            f"IMDSv1 is allowed (`metadataOptions.httpTokens` is {show_value(tokens)})",
            set_hint("metadataOptions.httpTokens", "required"),
        )
    number = as_number(hops)
    if hops is not UNKNOWN and (number is None or number > 1):
        yield violation_message(
            "launch template",
            n,
            f"pods can reach the instance metadata service "
            f"(`metadataOptions.httpPutResponseHopLimit` is {show_value(hops)})",
            set_hint("metadataOptions.httpPutResponseHopLimit", 1),
        )


def _validate_eks_network_policy(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    addons = [r for r in args.resources if r.resource_type == EKS_ADDON and get(r.props, "addonName") == "vpc-cni"]
    for cluster in (r for r in args.resources if r.resource_type == EKS_CLUSTER):
        enforced = False
        for addon in addons:
            raw = get(addon.props, "configurationValues")
            if raw is UNKNOWN:
                enforced = True
                break
            try:
                config = json.loads(raw) if isinstance(raw, str) and raw else {}
            except ValueError:
                config = {}
            if str(config.get("enableNetworkPolicy", "")).lower() == "true":
                enforced = True
                break
        if not enforced:
            report_violation(
                violation_message(
                    "EKS cluster",
                    cluster.name,
                    "NetworkPolicies are accepted but not enforced: no `vpc-cni` add-on "
                    'with `enableNetworkPolicy` "true"',
                    "declare an `aws.eks.Addon` `vpc-cni` with `configurationValues` "
                    '\'{"enableNetworkPolicy": "true"}\'',
                ),
                cluster.urn,
            )


def _denies_insecure_transport(policy_json: Any) -> bool | None:
    """True/False for a bucket policy document; None while it is unknown."""
    if policy_json is UNKNOWN:
        return None
    try:
        document = json.loads(policy_json) if isinstance(policy_json, str) else unwrap(policy_json)
    except ValueError:
        return False
    statements = (document or {}).get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
            continue
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        value = condition.get("aws:SecureTransport")
        values = [str(v).lower() for v in (value if isinstance(value, list) else [value])] if value is not None else []
        if values == ["false"] and statement.get("Principal") in ("*", {"AWS": "*"}):
            return True
    return False


def _validate_s3_tls(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    policies_ = [r for r in args.resources if r.resource_type in S3_BUCKET_POLICY]
    for bucket in (r for r in args.resources if r.resource_type in S3_BUCKETS):
        keys = bucket_keys(bucket)
        judged: list[bool | None] = []
        for policy in policies_:
            target = get(policy.props, "bucket")
            if target is UNKNOWN and not targets_bucket(policy, bucket, keys):
                judged.append(None)  # not known until the update: not judged
            elif targets_bucket(policy, bucket, keys):
                judged.append(_denies_insecure_transport(get(policy.props, "policy")))
        if any(j is not False for j in judged):
            continue
        report_violation(
            violation_message(
                S3_KIND,
                bucket.name,
                "it answers plain HTTP: no bucket policy denies requests with `aws:SecureTransport` false",
                "attach an `aws.s3.BucketPolicy` whose document has a Deny statement for "
                'Principal "*", Action "s3:*" on the bucket and its objects, with '
                'Condition {Bool: {aws:SecureTransport: "false"}}',
            ),
            bucket.urn,
        )


def _gke_control_plane_exposure(p: Mapping[str, Any], n: str) -> Iterator[str]:
    if get(p, "privateClusterConfig", "enablePrivateEndpoint") in (True, UNKNOWN):
        return
    blocks = get(p, "masterAuthorizedNetworksConfig", "cidrBlocks")
    if blocks is UNKNOWN:
        return
    cidrs = [get(b, "cidrBlock") for b in list_items(blocks)]
    if _open_to_all(cidrs):
        yield violation_message(
            "GKE cluster",
            n,
            "the Kubernetes API is reachable from anywhere (credentials still "
            "required): a choice that keeps recovery possible from wherever "
            "the operator is",
            "list the operators' and CI's ranges in "
            "`masterAuthorizedNetworksConfig.cidrBlocks` (stack config "
            "`cluster.masterAuthorizedNetworks`)",
        )


def _eks_endpoint_exposure(p: Mapping[str, Any], n: str) -> Iterator[str]:
    public = get(p, "vpcConfig", "endpointPublicAccess")
    if public is False or public is UNKNOWN:
        return
    cidrs = get(p, "vpcConfig", "publicAccessCidrs")
    if _open_to_all(cidrs):
        yield violation_message(
            "EKS cluster",
            n,
            "the public Kubernetes API endpoint is open to 0.0.0.0/0 "
            "(credentials still required): a choice that keeps recovery "
            "possible from wherever the operator is",
            "list the operators' and CI's ranges in `vpcConfig.publicAccessCidrs` (stack "
            "config `cluster.publicAccessCidrs`), or turn the public endpoint off",
        )


def _helm_nginx_exposure(p: Mapping[str, Any], n: str) -> Iterator[str]:
    if get(p, "values", "nginx", "privateLoadBalancer") in (True, UNKNOWN):
        return
    ranges = get(p, "values", "nginx", "loadBalancerSourceRanges")
    if _open_to_all(ranges):
        yield violation_message(
            HELM_KIND,
            n,
            "NGINX is an internet-facing load balancer with no source ranges: the "
            "platform's UI and APIs are reachable from anywhere (a choice)",
            "set `values.nginx.loadBalancerSourceRanges` (stack config "
            "`platform.loadBalancerSourceRanges`) or `values.nginx.privateLoadBalancer` true",
        )


POLICIES: list[Policy] = [
    resource_policy(
        "gke-network-policy-enforced",
        "GKE clusters enforce NetworkPolicies (Dataplane V2 or Calico).",
        [GKE_CLUSTER],
        _gke_network_policy,
    ),
    StackValidationPolicy(
        name="eks-network-policy-enforced",
        description='EKS clusters enforce NetworkPolicies: a vpc-cni add-on with enableNetworkPolicy "true".',
        validate=_validate_eks_network_policy,
        enforcement_level=MANDATORY,
    ),
    resource_policy(
        "gke-node-dedicated-service-account",
        "GKE node pools run as a dedicated service account, not the Compute Engine default one.",
        [GKE_NODE_POOL],
        _gke_node_identity,
    ),
    resource_policy(
        "gke-node-pool-rolls-without-outage",
        "GKE node pools have no fixed name, so a replacement is created before the old pool is deleted.",
        [GKE_NODE_POOL],
        _fixed_name("name", "GKE node pool", "namePrefix"),
    ),
    resource_policy(
        "eks-node-group-rolls-without-outage",
        "EKS node groups have no fixed name, so a replacement is created before the old group is deleted.",
        [EKS_NODE_GROUP],
        _fixed_name("nodeGroupName", "EKS node group", "nodeGroupNamePrefix"),
    ),
    resource_policy(
        "eks-node-group-launch-template",
        "EKS node groups use a launch template (where IMDSv2 is required).",
        [EKS_NODE_GROUP],
        _eks_node_group_template,
    ),
    resource_policy(
        "launch-template-imdsv2",
        "Launch templates require IMDSv2 with a hop limit of 1.",
        [LAUNCH_TEMPLATE],
        _launch_template_imdsv2,
    ),
    StackValidationPolicy(
        name="s3-bucket-denies-insecure-transport",
        description="Every S3 bucket has a bucket policy denying requests without TLS (aws:SecureTransport false).",
        validate=_validate_s3_tls,
        enforcement_level=MANDATORY,
    ),
    resource_policy(
        "gke-control-plane-exposure",
        "Advisory: the GKE control plane is reachable from anywhere (a choice).",
        [GKE_CLUSTER],
        _gke_control_plane_exposure,
        level=ADVISORY,
    ),
    resource_policy(
        "eks-public-endpoint-exposure",
        "Advisory: the EKS public endpoint is open to 0.0.0.0/0 (a choice).",
        [EKS_CLUSTER],
        _eks_endpoint_exposure,
        level=ADVISORY,
    ),
    resource_policy(
        "astronomer-nginx-exposure",
        "Advisory: NGINX is internet-facing with no source ranges (a choice).",
        [HELM_RELEASE],
        _helm_nginx_exposure,
        level=ADVISORY,
        applies=is_astronomer,
    ),
]
