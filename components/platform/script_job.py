"""A Job that runs one of this package's standard-library Python scripts (repoint_job.py,
ready_job.py) from a ConfigMap, under the pinned Python image, as an unprivileged pod with a
read-only root filesystem and its own ServiceAccount. The platform component declares that
ServiceAccount and ConfigMap (both named `account`) and the RBAC each script needs."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

SCRIPTS_DIR = "/scripts"
# The `nobody` user of the image: no script needs more.
RUN_AS_USER = 65534


def script_job(
    resource_name: str,
    *,
    job_name: str,
    namespace: pulumi.Input[str],
    labels: Mapping[str, str],
    account: str,
    script_file: str,
    image: str,
    env: Mapping[str, pulumi.Input[str]],
    requests: Mapping[str, str],
    limits: Mapping[str, str],
    backoff_limit: int,
    deadline_seconds: int,
    opts: pulumi.ResourceOptions,
) -> k8s.batch.v1.Job:
    """The Job `job_name` running `python /scripts/<script_file>` as ServiceAccount `account`, with
    the script mounted from the ConfigMap `account`; its container is named after the script."""
    meta = k8s.meta.v1.ObjectMetaArgs
    return k8s.batch.v1.Job(
        resource_name,
        metadata=meta(name=job_name, namespace=namespace, labels=dict(labels)),
        spec=k8s.batch.v1.JobSpecArgs(
            backoff_limit=backoff_limit,
            active_deadline_seconds=deadline_seconds,
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=meta(labels=dict(labels)),
                spec=k8s.core.v1.PodSpecArgs(
                    service_account_name=account,
                    automount_service_account_token=True,
                    restart_policy="Never",
                    security_context=k8s.core.v1.PodSecurityContextArgs(
                        run_as_non_root=True,
                        run_as_user=RUN_AS_USER,
                        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                    ),
                    containers=[
                        k8s.core.v1.ContainerArgs(
                            name=script_file.removesuffix(".py"),
                            image=image,
                            command=["python", f"{SCRIPTS_DIR}/{script_file}"],
                            env=[k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in env.items()],
                            volume_mounts=[
                                k8s.core.v1.VolumeMountArgs(name="script", mount_path=SCRIPTS_DIR, read_only=True)
                            ],
                            security_context=k8s.core.v1.SecurityContextArgs(
                                allow_privilege_escalation=False,
                                read_only_root_filesystem=True,
                                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                            ),
                            resources=k8s.core.v1.ResourceRequirementsArgs(
                                requests=dict(requests), limits=dict(limits)
                            ),
                        )
                    ],
                    volumes=[
                        k8s.core.v1.VolumeArgs(
                            name="script", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=account)
                        )
                    ],
                ),
            ),
        ),
        opts=opts,
    )
