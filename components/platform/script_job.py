"""A Job that runs one of this package's standard-library Python scripts (repoint_job.py,
ready_job.py) from a ConfigMap, under the pinned Python image, as an unprivileged pod with a
read-only root filesystem and its own ServiceAccount. That ServiceAccount and the ConfigMap are
both named `account`: `cluster_script_home` declares them, with a namespace of their own and a
cluster-wide grant, for the repoint and deployments-ready Jobs; the platform component declares the
ready Job's, with a grant in the platform's namespace only."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_kubernetes.batch import v1 as batch_v1
from pulumi_kubernetes.core import v1 as core_v1
from pulumi_kubernetes.meta import v1 as meta_v1
from pulumi_kubernetes.rbac import v1 as rbac_v1

SCRIPTS_DIR = "/scripts"
# What pulumi-kubernetes waits for a Job beyond the Job's own deadline (the pod's image pull and
# scheduling count against the deadline too, so this only covers the API's reporting lag).
AWAIT_MARGIN_SECONDS = 120
# The `nobody` user of the image: no script needs more.
RUN_AS_USER = 65534


def assigned_name(name: str | None, what: str) -> str:
    """The name this program gave a Kubernetes object, read back: the SDK types it optional because
    the API can generate one, but every object here is created with its name set."""
    if name is None:
        raise ValueError(f"{what} has no name: it is created with one, so the provider read back something else")
    return name


@dataclass(frozen=True)
class ScriptHome:
    """Where a script Job with a cluster-wide grant runs: its namespace (read back) and what the Job
    waits for (its ServiceAccount, the binding of its grant, its script)."""

    namespace: pulumi.Output[str]
    ready: tuple[pulumi.Resource, ...]


def cluster_script_home(
    *,
    resource_name: Callable[[str], str],
    namespace: str,
    account: str,
    cluster_role: str,
    rules: Sequence[tuple[str, str, Sequence[str]]],
    script_file: str,
    script_text: str,
    labels: Mapping[str, str],
    what: str,
    opts: pulumi.ResourceOptions,
) -> ScriptHome:
    """A namespace of its own, where nothing else runs, for a Job whose ServiceAccount holds a
    cluster-wide grant: whoever can create a pod in a namespace can run it as any ServiceAccount
    there. The ServiceAccount (`account`), the ClusterRole `cluster_role` of `rules` (group,
    resource, verbs) bound to it, and the script's ConfigMap (also named `account`, as script_job
    mounts it). `resource_name(kind)` names each resource (kinds: namespace, account, role, binding,
    script)."""
    meta = meta_v1.ObjectMetaArgs
    home = core_v1.Namespace(resource_name("namespace"), metadata=meta(name=namespace, labels=labels), opts=opts)
    home_name = home.metadata.apply(lambda m: assigned_name(m.name, what))
    service_account = core_v1.ServiceAccount(
        resource_name("account"),
        metadata=meta(name=account, namespace=home_name, labels=labels),
        automount_service_account_token=False,
        opts=opts,
    )
    role = rbac_v1.ClusterRole(
        resource_name("role"),
        metadata=meta(name=cluster_role, labels=labels),
        rules=[
            rbac_v1.PolicyRuleArgs(api_groups=[group], resources=[resource], verbs=list(verbs))
            for group, resource, verbs in rules
        ],
        opts=opts,
    )
    binding = rbac_v1.ClusterRoleBinding(
        resource_name("binding"),
        metadata=meta(name=cluster_role, labels=labels),
        role_ref=rbac_v1.RoleRefArgs(
            api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name
        ),
        subjects=[rbac_v1.SubjectArgs(kind="ServiceAccount", name=account, namespace=namespace)],
        opts=opts,
    )
    script = core_v1.ConfigMap(
        resource_name("script"),
        metadata=meta(name=account, namespace=home_name, labels=labels),
        data={script_file: script_text},
        opts=opts,
    )
    return ScriptHome(namespace=home_name, ready=(service_account, binding, script))


def await_timeout(deadline_seconds: int) -> str:
    """How long Pulumi waits for a Job that may run `deadline_seconds`: at least that long.

    pulumi-kubernetes waits 10 minutes for a Job unless `customTimeouts` says otherwise
    (provider/pkg/await/job.go: `DefaultJobTimeoutMins = 10`, `getTimeout(DefaultJobTimeoutMins * 60)`;
    awaiters.go `getTimeout` prefers the resource's timeout), so a Job allowed to run longer would be
    reported failed while it still runs."""
    minutes = -(-(deadline_seconds + AWAIT_MARGIN_SECONDS) // 60)
    return f"{minutes}m"


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
) -> batch_v1.Job:
    """The Job `job_name` running `python /scripts/<script_file>` as ServiceAccount `account`, with
    the script mounted from the ConfigMap `account`; its container is named after the script.
    Pulumi waits for it as long as its deadline allows it to run (`await_timeout`)."""
    meta = meta_v1.ObjectMetaArgs
    timeout = await_timeout(deadline_seconds)
    opts = pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout))
    )
    return batch_v1.Job(
        resource_name,
        metadata=meta(name=job_name, namespace=namespace, labels=dict(labels)),
        spec=batch_v1.JobSpecArgs(
            backoff_limit=backoff_limit,
            active_deadline_seconds=deadline_seconds,
            template=core_v1.PodTemplateSpecArgs(
                metadata=meta(labels=dict(labels)),
                spec=core_v1.PodSpecArgs(
                    service_account_name=account,
                    automount_service_account_token=True,
                    restart_policy="Never",
                    security_context=core_v1.PodSecurityContextArgs(
                        run_as_non_root=True,
                        run_as_user=RUN_AS_USER,
                        seccomp_profile=core_v1.SeccompProfileArgs(type="RuntimeDefault"),
                    ),
                    containers=[
                        core_v1.ContainerArgs(
                            name=script_file.removesuffix(".py"),
                            image=image,
                            command=["python", f"{SCRIPTS_DIR}/{script_file}"],
                            env=[core_v1.EnvVarArgs(name=k, value=v) for k, v in env.items()],
                            volume_mounts=[
                                core_v1.VolumeMountArgs(name="script", mount_path=SCRIPTS_DIR, read_only=True)
                            ],
                            security_context=core_v1.SecurityContextArgs(
                                allow_privilege_escalation=False,
                                read_only_root_filesystem=True,
                                capabilities=core_v1.CapabilitiesArgs(drop=["ALL"]),
                            ),
                            resources=core_v1.ResourceRequirementsArgs(requests=dict(requests), limits=dict(limits)),
                        )
                    ],
                    volumes=[
                        core_v1.VolumeArgs(name="script", config_map=core_v1.ConfigMapVolumeSourceArgs(name=account))
                    ],
                ),
            ),
        ),
        opts=opts,
    )
