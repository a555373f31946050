"""The Astronomer platform on any Kubernetes: namespace, the secrets the chart reads, the release.

Cloud-agnostic: the cloud components hand it a Kubernetes provider, a database endpoint, the
registry's object storage and how NGINX is exposed. It never reads config.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_random as random
from pulumi_kubernetes.batch import v1 as batch_v1
from pulumi_kubernetes.core import v1 as core_v1
from pulumi_kubernetes.helm import v3 as helm_v3
from pulumi_kubernetes.meta import v1 as meta_v1
from pulumi_kubernetes.provider import Provider as KubernetesProvider
from pulumi_kubernetes.rbac import v1 as rbac_v1

from ..config import ORIGINAL_LABEL, AdoptedSecrets, PlatformSettings, TlsSettings
from .chart import (
    BOOTSTRAP_SECRET_KEY,
    BOOTSTRAP_SECRET_NAME,
    CHART_NAME,
    CHART_REPOSITORY,
    HELM_TIMEOUT_SECONDS,
    TLS_SECRET_NAME,
    nginx_service_name,
)
from .connection import bootstrap_connection
from .identity import PlatformIdentity, PlatformIdentityArgs, identity_values, merged
from .script_job import script_job
from .values import PLATFORM_NAMESPACE_LABEL, LoadBalancer, RegistryStorage, helm_values

# After a restore: the Job that points Houston's Airflow deployments at the restored database
# (components/platform/repoint_job.py, run as a script by the official Python image), pulled by
# digest: the `python:3.13-alpine` image index (Python 3.13.15, Alpine 3.24.2) as Docker's
# official-images record lists it (docker-library/repo-info, repos/python/remote/3.13-alpine.md,
# commit 27b273677675a1ecbe5671d65986aa5dfe618a4f). The tag only documents; the digest decides.
REPOINT_NAME = "astronomer-dr-repoint"
REPOINT_IMAGE = "python:3.13-alpine@sha256:79e7a9b9ff1cbceff819f856fb374477792a5967759d94df266de7b7b4120e6f"
REPOINT_SCRIPT = Path(__file__).with_name("repoint_job.py")
REPOINT_TIMEOUT_SECONDS = 900
# The narrowest grant that does the job: find the deployment namespaces, rewrite their connection
# Secrets, restart their workloads (exactly the calls repoint_job.main makes). Cluster-wide because
# Houston creates a namespace per deployment, which the program cannot name in advance; declared
# only while a restore is (`database.restore`), so promoting the restore deletes it.
REPOINT_RULES = (
    ("", "namespaces", ("list",)),
    ("", "secrets", ("list", "patch")),
    ("apps", "deployments", ("list", "patch")),
    ("apps", "statefulsets", ("list", "patch")),
)
# After each install or upgrade: the Job that waits until the platform is really up
# (components/platform/ready_job.py): the release itself is installed without Helm's wait.
READY_NAME = "astronomer-dr-ready"
READY_SCRIPT = Path(__file__).with_name("ready_job.py")
READY_TIMEOUT_SECONDS = 1500
# Read-only, in the platform's namespace only.
READY_RULES = (
    ("apps", "deployments", ("list",)),
    ("apps", "statefulsets", ("list",)),
    ("apps", "daemonsets", ("list",)),
    ("", "services", ("get",)),
)


def assigned_name(name: str | None, what: str) -> str:
    """The name this program gave a Kubernetes object, read back: the SDK types it optional because
    the API can generate one, but every object here is created with its name set."""
    if name is None:
        raise ValueError(f"{what} has no name: it is created with one, so the provider read back something else")
    return name


@dataclass
class DatabaseEndpoint:
    """Where the platform's Postgres is and who it logs in as; `password` must be a secret Output."""

    host: pulumi.Input[str]
    username: pulumi.Input[str]
    password: pulumi.Input[str]
    # The label of the instance (`original`, or a restored one) and the hosts of the other declared
    # instances: the ones Airflow deployments may still point at after a restore.
    label: str = ORIGINAL_LABEL
    previous_hosts: Sequence[pulumi.Input[str]] = ()
    # A restore is declared (`database.restore`): the repoint Job and its grant exist only then.
    restoring: bool = False


@dataclass
class PlatformArgs:
    settings: PlatformSettings
    tls: TlsSettings
    kubernetes_provider: KubernetesProvider
    database: DatabaseEndpoint
    registry_storage: pulumi.Input[RegistryStorage]
    load_balancer: pulumi.Input[LoadBalancer]
    # Cloud resources the release needs in place first (node pool, registry identity grants).
    depends_on: Sequence[pulumi.Input[pulumi.Resource]] = field(default_factory=list)
    # A running installation's JWT pair and registry http secret, kept instead of generated.
    adopted: AdoptedSecrets = field(default_factory=AdoptedSecrets)


class AstronomerPlatform(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    release_name: pulumi.Output[str]
    url: str
    # The Helm release, for what must wait until the platform is deployed.
    release: helm_v3.Release
    # "<namespace>/<release>-cp-nginx": NGINX's LoadBalancer Service, which the chart names after
    # the release and the plane mode. Taken from the release's status, so it resolves only once the release is deployed.
    ingress_service: pulumi.Output[str]
    # After a restore: the Job that repoints the Airflow deployments (None otherwise).
    repoint: batch_v1.Job | None
    # Completes once every workload of the release has rolled out and NGINX has its address: what
    # must wait until the platform is really up (the release itself is installed without Helm's wait).
    ready: batch_v1.Job

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:platform:AstronomerPlatform", name, None, opts)
        settings = args.settings
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)

        namespace = core_v1.Namespace(
            f"{name}-namespace",
            metadata=meta_v1.ObjectMetaArgs(name=settings.namespace),
            opts=k8s_opts,
        )
        namespace_name = namespace.metadata.apply(lambda m: assigned_name(m.name, "the platform's namespace"))

        connection: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(args.database.username, args.database.password, args.database.host).apply(
                lambda v: bootstrap_connection(user=v[0], password=v[1], host=v[2])
            )
        )
        bootstrap = core_v1.Secret(
            f"{name}-bootstrap",
            metadata=meta_v1.ObjectMetaArgs(name=BOOTSTRAP_SECRET_NAME, namespace=namespace_name),
            type="Opaque",
            string_data={BOOTSTRAP_SECRET_KEY: connection},
            opts=k8s_opts,
        )
        certificate, private_key = args.tls.secret_outputs()
        tls = core_v1.Secret(
            f"{name}-tls",
            metadata=meta_v1.ObjectMetaArgs(name=TLS_SECRET_NAME, namespace=namespace_name),
            type="kubernetes.io/tls",
            string_data={"tls.crt": certificate, "tls.key": private_key},
            opts=k8s_opts,
        )

        # Pinned so upgrades keep the registry's shared secret; random state keeps it stable.
        adopted = args.adopted
        registry_http_secret: pulumi.Output[str] = (
            pulumi.Output.secret(adopted.registry_http_secret)
            if adopted.registry_http_secret is not None
            else random.RandomPassword(
                f"{name}-registry-http-secret", length=48, special=False, opts=pulumi.ResourceOptions(parent=self)
            ).result
        )
        adopted_jwt = (
            (adopted.jwt_key, adopted.jwt_certificate)
            if adopted.jwt_key is not None and adopted.jwt_certificate is not None
            else None
        )
        # Houston's JWT signing pair and the control plane id, generated once (state) and pinned.
        identity = PlatformIdentity(
            f"{name}-identity",
            PlatformIdentityArgs(
                settings.release_name, namespace_name, settings.namespace, args.kubernetes_provider, adopted_jwt
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        values: pulumi.Output[dict[str, Any]] = pulumi.Output.secret(
            pulumi.Output.all(
                args.registry_storage,
                args.load_balancer,
                registry_http_secret,
                args.database.host,
                identity.control_plane_id,
            ).apply(
                lambda v: merged(
                    helm_values(
                        settings, registry=v[0], load_balancer=v[1], registry_http_secret=v[2], database_host=v[3]
                    ),
                    identity_values(settings.release_name, v[4]),
                )
            )
        )
        # Before the release rolls the platform's pods onto the restored database, the Airflow
        # deployments are repointed; a failure here stops the run with everything on the old one.
        self.repoint = self._repoint(
            name, settings, args.database, namespace_name, [namespace, bootstrap, *args.depends_on], k8s_opts
        )

        release = helm_v3.Release(
            f"{name}-release",
            helm_v3.ReleaseArgs(
                name=settings.release_name,
                chart=CHART_NAME,
                version=settings.chart_version,
                repository_opts=helm_v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
                namespace=namespace_name,
                values=values,
                # Installed as Astronomer's CI installs it (bin/helm-install.py): no `--wait`, so the
                # `post-install` hooks (Houston's migrations) run as soon as the objects exist, not
                # after every pod is ready; `atomic` would force the wait. Helm still waits for the
                # hooks, and the ready Job below waits for the platform. A failed install stays a
                # failed release that the next `pulumi up` upgrades.
                skip_await=True,
                cleanup_on_fail=True,
                timeout=HELM_TIMEOUT_SECONDS,
                max_history=10,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.kubernetes_provider,
                depends_on=[
                    bootstrap,
                    tls,
                    *identity.secrets,
                    *args.depends_on,
                    *([self.repoint] if self.repoint else []),
                ],
            ),
        )

        self.namespace = namespace_name
        self.release_name = release.name.apply(lambda n: assigned_name(n, "the platform's Helm release"))
        self.url = f"https://app.{settings.base_domain}"
        self.release = release
        self.ingress_service = pulumi.Output.concat(
            release.status.namespace, "/", release.status.name.apply(nginx_service_name)
        )
        self.ready = self._ready_gate(name, settings, namespace_name, release, k8s_opts)
        self.register_outputs({"namespace": self.namespace, "release_name": self.release_name, "url": self.url})

    def _repoint(
        self,
        name: str,
        settings: PlatformSettings,
        database: DatabaseEndpoint,
        namespace: pulumi.Input[str],
        after: Sequence[pulumi.Input[pulumi.Resource]],
        k8s_opts: pulumi.ResourceOptions,
    ) -> batch_v1.Job | None:
        """A Job named after the restore, so it runs once per restore; none for the original, and
        none once the restore is promoted (its grant is cluster-wide: it must not outlive the work)."""
        if not database.restoring or database.label == ORIGINAL_LABEL or not database.previous_hosts:
            return None
        meta = meta_v1.ObjectMetaArgs
        labels = {"app.kubernetes.io/name": REPOINT_NAME, "app.kubernetes.io/managed-by": "astronomer-dr"}
        account = core_v1.ServiceAccount(
            f"{name}-repoint",
            metadata=meta(name=REPOINT_NAME, namespace=namespace, labels=labels),
            automount_service_account_token=False,
            opts=k8s_opts,
        )
        role = rbac_v1.ClusterRole(
            f"{name}-repoint",
            metadata=meta(name=f"{REPOINT_NAME}-{settings.namespace}", labels=labels),
            rules=[
                rbac_v1.PolicyRuleArgs(api_groups=[group], resources=[resource], verbs=list(verbs))
                for group, resource, verbs in REPOINT_RULES
            ],
            opts=k8s_opts,
        )
        binding = rbac_v1.ClusterRoleBinding(
            f"{name}-repoint",
            metadata=meta(name=f"{REPOINT_NAME}-{settings.namespace}", labels=labels),
            role_ref=rbac_v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name
            ),
            subjects=[rbac_v1.SubjectArgs(kind="ServiceAccount", name=REPOINT_NAME, namespace=settings.namespace)],
            opts=k8s_opts,
        )
        script = core_v1.ConfigMap(
            f"{name}-repoint",
            metadata=meta(name=REPOINT_NAME, namespace=namespace, labels=labels),
            data={"repoint.py": REPOINT_SCRIPT.read_text()},
            opts=k8s_opts,
        )
        old_hosts = pulumi.Output.all(*database.previous_hosts).apply(lambda hosts: ",".join(sorted(set(hosts))))
        env: dict[str, pulumi.Input[str]] = {
            "NEW_HOST": database.host,
            "OLD_HOSTS": old_hosts,
            "PLATFORM_NAMESPACE": settings.namespace,
            "NAMESPACE_LABEL": PLATFORM_NAMESPACE_LABEL,
            "DEPLOYMENT_NAMESPACES": ",".join(settings.deployment_namespaces),
            "RESTORE_LABEL": database.label,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        return script_job(
            f"{name}-repoint-{database.label}",
            job_name=f"{REPOINT_NAME}-{database.label}",
            namespace=namespace,
            labels=labels,
            account=REPOINT_NAME,
            script_file="repoint.py",
            image=REPOINT_IMAGE,
            env=env,
            requests={"cpu": "50m", "memory": "64Mi"},
            limits={"memory": "128Mi"},
            backoff_limit=2,
            deadline_seconds=REPOINT_TIMEOUT_SECONDS,
            # Pulumi waits for a Job to complete: the release after it starts only once it succeeded.
            opts=pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=[*after, account, binding, script])
            ),
        )

    def _ready_gate(
        self,
        name: str,
        settings: PlatformSettings,
        namespace: pulumi.Input[str],
        release: helm_v3.Release,
        k8s_opts: pulumi.ResourceOptions,
    ) -> batch_v1.Job:
        """A Job that runs after each revision of the release and completes when the platform is up.

        The revision is in the pod template, so a new revision replaces the Job (a Job's template is
        immutable: pulumi-kubernetes provider/pkg/provider/diff.go:178-184) and it runs again; the name
        is fixed, so the old one is deleted first.
        """
        meta = meta_v1.ObjectMetaArgs
        labels = {"app.kubernetes.io/name": READY_NAME, "app.kubernetes.io/managed-by": "astronomer-dr"}
        account = core_v1.ServiceAccount(
            f"{name}-ready",
            metadata=meta(name=READY_NAME, namespace=namespace, labels=labels),
            automount_service_account_token=False,
            opts=k8s_opts,
        )
        role = rbac_v1.Role(
            f"{name}-ready",
            metadata=meta(name=READY_NAME, namespace=namespace, labels=labels),
            rules=[
                rbac_v1.PolicyRuleArgs(api_groups=[group], resources=[resource], verbs=list(verbs))
                for group, resource, verbs in READY_RULES
            ],
            opts=k8s_opts,
        )
        binding = rbac_v1.RoleBinding(
            f"{name}-ready",
            metadata=meta(name=READY_NAME, namespace=namespace, labels=labels),
            role_ref=rbac_v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name),
            subjects=[rbac_v1.SubjectArgs(kind="ServiceAccount", name=READY_NAME, namespace=settings.namespace)],
            opts=k8s_opts,
        )
        script = core_v1.ConfigMap(
            f"{name}-ready",
            metadata=meta(name=READY_NAME, namespace=namespace, labels=labels),
            data={"ready.py": READY_SCRIPT.read_text()},
            opts=k8s_opts,
        )
        env: dict[str, pulumi.Input[str]] = {
            "NAMESPACE": settings.namespace,
            "NGINX_SERVICE": nginx_service_name(settings.release_name),
            "TIMEOUT_SECONDS": str(READY_TIMEOUT_SECONDS),
            "RELEASE_REVISION": release.status.revision.apply(str),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        return script_job(
            f"{name}-ready",
            job_name=READY_NAME,
            namespace=namespace,
            labels=labels,
            account=READY_NAME,
            script_file="ready.py",
            image=REPOINT_IMAGE,
            env=env,
            requests={"cpu": "20m", "memory": "48Mi"},
            limits={"memory": "96Mi"},
            backoff_limit=1,
            deadline_seconds=READY_TIMEOUT_SECONDS + 120,
            # Pulumi waits for the Job to complete (its default wait is 10 minutes: give it the Job's deadline).
            opts=pulumi.ResourceOptions.merge(
                k8s_opts,
                pulumi.ResourceOptions(
                    depends_on=[release, account, binding, script],
                    delete_before_replace=True,
                    custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m"),
                ),
            ),
        )
