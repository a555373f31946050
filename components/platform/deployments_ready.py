"""After a declared restore with `cluster.restore.start: true`: `pulumi up` ends only when every
restored Airflow deployment runs (components/platform/deployments_ready_job.py), and fails naming
those that do not, and why, and every Helm record restored mid-operation.

Declared only while the restore is: recording it (`cluster.restored`) deletes the Job, its grant
and its namespace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
from pulumi_kubernetes.core import v1 as core_v1
from pulumi_kubernetes.meta import v1 as meta_v1
from pulumi_kubernetes.provider import Provider as KubernetesProvider
from pulumi_kubernetes.rbac import v1 as rbac_v1

from ..config import PlatformSettings
from .component import REPOINT_IMAGE, assigned_name
from .script_job import script_job

DEPLOYMENTS_READY_NAME = "astronomer-dr-deployments-ready"
DEPLOYMENTS_READY_SCRIPT = Path(__file__).with_name("deployments_ready_job.py")
# Long enough for the restored deployments' images to be pulled onto new nodes and their
# schedulers to pass the chart's startup probe after the repoint Job restarted them.
DEPLOYMENTS_READY_TIMEOUT_SECONDS = 1800
# Read-only, the calls deployments_ready_job.survey makes. Cluster-wide because the restored
# namespaces are not known before the restore (as the repoint Job's grant); Secrets read through
# metadata-only lists (the script never asks for their data, though RBAC cannot forbid it: `list`
# is the finest verb), and only while the restore is declared, in a namespace nothing else runs in.
DEPLOYMENTS_READY_RULES = (
    ("", "namespaces", ("list",)),
    ("", "pods", ("list",)),
    ("", "secrets", ("list",)),
    ("apps", "deployments", ("list",)),
    ("apps", "statefulsets", ("list",)),
)


def deployments_ready_namespace(platform_namespace: str) -> str:
    """Where the Job runs: not `<platform namespace>-...`, which it takes for a deployment's."""
    return f"dr-ready-{platform_namespace}"


@dataclass
class DeploymentsReadyArgs:
    platform: PlatformSettings
    # The restore it follows (its name labels the Job: another restore runs it again).
    restore_name: str
    kubernetes_provider: KubernetesProvider
    # The platform up and the deployments repointed: what the deployments need to run.
    depends_on: Sequence[pulumi.Input[pulumi.Resource]] = field(default_factory=list)


class DeploymentsReady(pulumi.ComponentResource):
    job: pulumi.Resource

    def __init__(self, name: str, args: DeploymentsReadyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:platform/deployments_ready:DeploymentsReady", name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        meta = meta_v1.ObjectMetaArgs
        settings = args.platform
        labels = {"app.kubernetes.io/name": DEPLOYMENTS_READY_NAME, "app.kubernetes.io/managed-by": "astronomer-dr"}
        home = deployments_ready_namespace(settings.namespace)
        namespace = core_v1.Namespace(f"{name}-namespace", metadata=meta(name=home, labels=labels), opts=k8s_opts)
        home_name = namespace.metadata.apply(lambda m: assigned_name(m.name, "the deployments-ready namespace"))
        account = core_v1.ServiceAccount(
            f"{name}-account",
            metadata=meta(name=DEPLOYMENTS_READY_NAME, namespace=home_name, labels=labels),
            automount_service_account_token=False,
            opts=k8s_opts,
        )
        role = rbac_v1.ClusterRole(
            f"{name}-role",
            metadata=meta(name=f"{DEPLOYMENTS_READY_NAME}-{settings.namespace}", labels=labels),
            rules=[
                rbac_v1.PolicyRuleArgs(api_groups=[group], resources=[resource], verbs=list(verbs))
                for group, resource, verbs in DEPLOYMENTS_READY_RULES
            ],
            opts=k8s_opts,
        )
        binding = rbac_v1.ClusterRoleBinding(
            f"{name}-binding",
            metadata=meta(name=f"{DEPLOYMENTS_READY_NAME}-{settings.namespace}", labels=labels),
            role_ref=rbac_v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name
            ),
            subjects=[rbac_v1.SubjectArgs(kind="ServiceAccount", name=DEPLOYMENTS_READY_NAME, namespace=home)],
            opts=k8s_opts,
        )
        script = core_v1.ConfigMap(
            f"{name}-script",
            metadata=meta(name=DEPLOYMENTS_READY_NAME, namespace=home_name, labels=labels),
            data={"deployments_ready.py": DEPLOYMENTS_READY_SCRIPT.read_text()},
            opts=k8s_opts,
        )
        self.job = script_job(
            f"{name}-job",
            job_name=DEPLOYMENTS_READY_NAME,
            namespace=home_name,
            labels=labels,
            account=DEPLOYMENTS_READY_NAME,
            script_file="deployments_ready.py",
            image=REPOINT_IMAGE,
            env={
                "PLATFORM_NAMESPACE": settings.namespace,
                "DEPLOYMENT_NAMESPACES": ",".join(settings.deployment_namespaces),
                "TIMEOUT_SECONDS": str(DEPLOYMENTS_READY_TIMEOUT_SECONDS),
                "RESTORE": args.restore_name,
                "PYTHONDONTWRITEBYTECODE": "1",
            },
            requests={"cpu": "20m", "memory": "48Mi"},
            limits={"memory": "96Mi"},
            backoff_limit=0,
            # The script's own deadline, and the pod's start: Pulumi waits as long (await_timeout).
            deadline_seconds=DEPLOYMENTS_READY_TIMEOUT_SECONDS + 120,
            opts=pulumi.ResourceOptions.merge(
                k8s_opts,
                pulumi.ResourceOptions(
                    depends_on=[*args.depends_on, account, binding, script], delete_before_replace=True
                ),
            ),
        )
        self.register_outputs({"namespace": home, "job": DEPLOYMENTS_READY_NAME})
