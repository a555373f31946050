"""Facts about cluster-autoscaler on EKS that the program depends on, and the pure functions that
turn them into the chart's values and the IAM statements of its role. The one place each is written.

Sources (tests/autoscaler/ holds the facts with their commits): the `cluster-autoscaler` chart
9.59.0 of kubernetes/autoscaler (cluster-autoscaler/charts/cluster-autoscaler), its AWS cloud
provider's README (cluster-autoscaler/cloudprovider/aws/README.md, "IAM Policy", "Auto-Discovery
Setup") and FAQ (cluster-autoscaler/FAQ.md); the image tag per Kubernetes minor is in versions.py.
"""

from __future__ import annotations

from typing import Any

from pulumi_aws import iam

from .versions import CLUSTER_AUTOSCALER_IMAGE

AUTOSCALER_CHART_NAME = "cluster-autoscaler"
AUTOSCALER_CHART_REPOSITORY = "https://kubernetes.github.io/autoscaler"
# Exact: the chart's own default image is its appVersion (1.35.0); the program sets the tag of
# the cluster's minor instead (versions.cluster_autoscaler_tag).
AUTOSCALER_CHART_VERSION = "9.59.0"
AUTOSCALER_NAMESPACE = "kube-system"
AUTOSCALER_RELEASE_NAME = "cluster-autoscaler"
# The chart's `fullnameOverride` and ServiceAccount name: what the EKS guide's `kubectl -n
# kube-system scale deployment/cluster-autoscaler` steps name, and what the IRSA trust admits.
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"

# Auto-discovery: cluster-autoscaler scales the Auto Scaling groups carrying both tag keys (AWS
# README, "Auto-Discovery Setup"; the chart's autoDiscovery.tags default). EKS tags the group of
# every managed node group with them (EKS user guide, managed-node-groups.adoc: "Amazon EKS tags
# managed node group resources so that they are configured to use the Kubernetes Cluster
# Autoscaler"), the cluster's key with the value `owned` (the guide's former cluster-autoscaler
# page listed `k8s.io/cluster-autoscaler/<cluster-name>: owned`, `k8s.io/cluster-autoscaler/enabled: true`).
DISCOVERY_ENABLED_TAG = "k8s.io/cluster-autoscaler/enabled"
OWNED = "owned"

# The AWS README's "Full Cluster Autoscaler Features Policy (Recommended)", for auto-discovery
# and dynamic instance types: read-only calls, which take no resource-level permission...
DISCOVERY_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
# ...one read of the managed node group (labels and taints of a group at zero nodes), scoped here
# to this cluster's group...
NODEGROUP_ACTIONS = ("eks:DescribeNodegroup",)
# ...and the two calls that change a group, which the README asks to restrict "by tag based
# conditionals": only groups tagged as this cluster's own (the EKS guide's policy conditioned
# them on `aws:ResourceTag/k8s.io/cluster-autoscaler/<cluster>: owned`).
SCALING_ACTIONS = (
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
)

# The resources of the AWS example deployment (cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml);
# the chart sets none. Requests equal to limits: the Guaranteed QoS class, the last evicted under
# node pressure.
RESOURCES = {"requests": {"cpu": "100m", "memory": "600Mi"}, "limits": {"cpu": "100m", "memory": "600Mi"}}
# The same example's security contexts: non-root, no privilege escalation, read-only root.
POD_SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "runAsUser": 65534,
    "fsGroup": 65534,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
}


def cluster_tag(cluster_name: str) -> str:
    """The tag key naming the cluster an Auto Scaling group belongs to."""
    return f"k8s.io/cluster-autoscaler/{cluster_name}"


def autoscaler_policy_statements(cluster_name: str, node_group_arn: str) -> list[iam.GetPolicyDocumentStatementArgs]:
    """The README's actions and no others; what changes a group only on this cluster's groups."""
    return [
        iam.GetPolicyDocumentStatementArgs(
            sid="Discover", effect="Allow", actions=list(DISCOVERY_ACTIONS), resources=["*"]
        ),
        iam.GetPolicyDocumentStatementArgs(
            sid="NodeGroup", effect="Allow", actions=list(NODEGROUP_ACTIONS), resources=[node_group_arn]
        ),
        iam.GetPolicyDocumentStatementArgs(
            sid="ScaleOwnGroups",
            effect="Allow",
            actions=list(SCALING_ACTIONS),
            resources=["*"],
            conditions=[
                iam.GetPolicyDocumentStatementConditionArgs(
                    test="StringEquals", variable=f"aws:ResourceTag/{cluster_tag(cluster_name)}", values=[OWNED]
                )
            ],
        ),
    ]


def autoscaler_values(cluster_name: str, region: str, role_arn: str, image_tag: str) -> dict[str, Any]:
    """The chart's values: AWS auto-discovery of this cluster's groups, the image of the cluster's
    minor, keyless identity (IRSA). Scale-down keeps cluster-autoscaler's defaults (FAQ, "What
    types of pods can prevent CA from removing a node?"): it respects PodDisruptionBudgets and
    never removes a node running a pod with local storage, a kube-system pod without a budget, a
    pod no controller owns (a KubernetesExecutor task) or one annotated `safe-to-evict: "false"`."""
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        # Renders --node-group-auto-discovery=asg:tag=<autoDiscovery.tags> (the chart's default
        # tags: the enabled key and this cluster's key); without a clusterName the chart renders
        # no Deployment at all (templates/deployment.yaml, first line).
        "autoDiscovery": {"clusterName": cluster_name},
        "fullnameOverride": AUTOSCALER_RELEASE_NAME,
        "image": {"repository": CLUSTER_AUTOSCALER_IMAGE, "tag": image_tag},
        "rbac": {
            "serviceAccount": {
                "create": True,
                "name": AUTOSCALER_SERVICE_ACCOUNT,
                "annotations": {IRSA_ANNOTATION: role_arn},
            }
        },
        "resources": RESOURCES,
        "securityContext": POD_SECURITY_CONTEXT,
        "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
    }
