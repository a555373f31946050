"""cluster-autoscaler on an EKS cluster this program creates: room for what a restore brings back.

Without it the managed node group stays at its desired size (EKS user guide,
create-managed-node-group.adoc: "Amazon EKS doesn't automatically scale your node group in or
out"), so restored Airflow deployments compete with the platform for the same nodes. With it,
pending pods add nodes up to `cluster.maxNodes`, and nodes left idle are removed down to
`cluster.minNodes`. The engine is the kept one (kubernetes/autoscaler's chart, pinned); its AWS
identity is an IRSA role only its ServiceAccount may assume, allowed the AWS README's actions,
the scaling ones only on this cluster's own Auto Scaling groups (autoscaler_chart.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_kubernetes.helm import v3 as helm_v3
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from .autoscaler_chart import (
    AUTOSCALER_CHART_NAME,
    AUTOSCALER_CHART_REPOSITORY,
    AUTOSCALER_CHART_VERSION,
    AUTOSCALER_NAMESPACE,
    AUTOSCALER_RELEASE_NAME,
    AUTOSCALER_SERVICE_ACCOUNT,
    autoscaler_policy_statements,
    autoscaler_values,
)
from .iam import service_account_role
from .versions import cluster_autoscaler_tag

AUTOSCALER_HELM_TIMEOUT_SECONDS = 600


@dataclass
class ClusterAutoscalerArgs:
    cluster_name: pulumi.Input[str]
    region: str
    # The cluster's Kubernetes version (major.minor): which cluster-autoscaler release runs.
    kubernetes_version: str
    # The managed node group it scales (its ARN scopes eks:DescribeNodegroup).
    node_group_arn: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    kubernetes_provider: KubernetesProvider
    # What its pod needs first: nodes to run on.
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class ClusterAutoscaler(pulumi.ComponentResource):
    release: helm_v3.Release
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/autoscaler:ClusterAutoscaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)

        statements = pulumi.Output.all(args.cluster_name, args.node_group_arn).apply(
            lambda v: autoscaler_policy_statements(v[0], v[1])
        )
        role, grant = service_account_role(
            f"{name}-irsa",
            role_name=name,
            description="cluster-autoscaler (IRSA): scales only this cluster's managed node groups",
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer_url=args.oidc_issuer_url,
            namespace=AUTOSCALER_NAMESPACE,
            service_account=AUTOSCALER_SERVICE_ACCOUNT,
            policy_name="scale-node-groups",
            statements=statements,
            opts=child,
            invoke=invoke,
        )
        tag = cluster_autoscaler_tag(args.kubernetes_version)
        values = pulumi.Output.all(args.cluster_name, role.arn).apply(
            lambda v: autoscaler_values(v[0], args.region, v[1], tag)
        )
        self.release = helm_v3.Release(
            f"{name}-release",
            helm_v3.ReleaseArgs(
                name=AUTOSCALER_RELEASE_NAME,
                chart=AUTOSCALER_CHART_NAME,
                version=AUTOSCALER_CHART_VERSION,
                repository_opts=helm_v3.RepositoryOptsArgs(repo=AUTOSCALER_CHART_REPOSITORY),
                namespace=AUTOSCALER_NAMESPACE,
                values=values,
                atomic=True,
                cleanup_on_fail=True,
                timeout=AUTOSCALER_HELM_TIMEOUT_SECONDS,
                max_history=10,
            ),
            # The grant first: a pod without its permissions would only log AccessDenied.
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.kubernetes_provider, depends_on=[*args.depends_on, grant]
            ),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": role.arn, "image_tag": tag, "chart_version": AUTOSCALER_CHART_VERSION})
