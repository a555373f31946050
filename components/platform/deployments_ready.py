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
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from ..config import PlatformSettings
from .component import REPOINT_IMAGE
from .script_job import cluster_script_home, script_job

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
        settings = args.platform
        labels = {"app.kubernetes.io/name": DEPLOYMENTS_READY_NAME, "app.kubernetes.io/managed-by": "astronomer-dr"}
        home = cluster_script_home(
            resource_name=lambda kind: f"{name}-{kind}",
            namespace=deployments_ready_namespace(settings.namespace),
            account=DEPLOYMENTS_READY_NAME,
            cluster_role=f"{DEPLOYMENTS_READY_NAME}-{settings.namespace}",
            rules=DEPLOYMENTS_READY_RULES,
            script_file="deployments_ready.py",
            script_text=DEPLOYMENTS_READY_SCRIPT.read_text(),
            labels=labels,
            what="the deployments-ready namespace",
            opts=k8s_opts,
        )
        self.job = script_job(
            f"{name}-job",
            job_name=DEPLOYMENTS_READY_NAME,
            namespace=home.namespace,
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
                pulumi.ResourceOptions(depends_on=[*args.depends_on, *home.ready], delete_before_replace=True),
            ),
        )
        self.register_outputs(
            {"namespace": deployments_ready_namespace(settings.namespace), "job": DEPLOYMENTS_READY_NAME}
        )
