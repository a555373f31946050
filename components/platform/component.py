"""The Astronomer platform on any Kubernetes: namespace, the secrets the chart reads, the release.

Cloud-agnostic: the cloud components hand it a Kubernetes provider, a database endpoint, the
registry's object storage and how NGINX is exposed. It never reads config.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
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
from .script_job import assigned_name, cluster_script_home, script_job
from .values import PLATFORM_NAMESPACE_LABEL, LoadBalancer, RegistryStorage, helm_values, restoring_values

# After a restore: the Job that points Houston's Airflow deployments at the restored database
# (components/platform/repoint_job.py, run as a script by the official Python image), pulled by
# digest: the `python:3.13-alpine` image index (Python 3.13.15, Alpine 3.24.2) as Docker's
# official-images record lists it (docker-library/repo-info, repos/python/remote/3.13-alpine.md,
# commit 27b273677675a1ecbe5671d65986aa5dfe618a4f). The tag only documents; the digest decides.
REPOINT_NAME = "astronomer-dr-repoint"
REPOINT_IMAGE = "python:3.13-alpine@sha256:79e7a9b9ff1cbceff819f856fb374477792a5967759d94df266de7b7b4120e6f"
REPOINT_SCRIPT = Path(__file__).with_name("repoint_job.py")
REPOINT_TIMEOUT_SECONDS = 900
# The second run, after the release and its hooks.
REPOINT_AFTER_SUFFIX = "-after"
# The narrowest grant that does the job: find the deployment namespaces, rewrite their connection
# Secrets, restart their workloads (exactly the calls repoint_job.main makes). Cluster-wide because
# Houston creates a namespace per deployment, which the program cannot name in advance (and a
# Velero restore brings back namespaces no config names). Bound to a ServiceAccount in a namespace
# of its own (repoint_namespace) and declared only while a repointing is (`database.restore`, a
# standby's promotion with `cluster.restore`, or `cluster.restore.previousDatabaseHosts`): the
# runbook's next step after the restore (promoting it, dropping `cluster.restore`) deletes the
# namespace, the binding and the role with it.
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


def repoint_namespace(platform_namespace: str) -> str:
    """Where the repoint Job runs: nothing else does. Not `<platform namespace>-...`, which the Job
    takes for an Airflow deployment's namespace (repoint_job.deployment_namespaces)."""
    return f"dr-repoint-{platform_namespace}"


def repoint_label(database: DatabaseEndpoint) -> str | None:
    """What names a repointing (its Job runs once per name), or None when there is nothing to repoint.

    A restored database names it by its label. Deployments restored from another stack onto this
    stack's original database (`cluster.restore.previousDatabaseHosts` without `database.restore`)
    name it by the hosts they are moved off: another set of hosts is another repointing."""
    if not database.restoring or not database.previous_hosts:
        return None
    if database.label != ORIGINAL_LABEL:
        return database.label
    if not database.repoint_hosts:
        return None
    digest = hashlib.sha256(",".join(sorted(set(database.repoint_hosts))).encode()).hexdigest()[:8]
    return f"hosts-{digest}"


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
    # The hosts `cluster.restore.previousDatabaseHosts` names (plain config strings): they name the
    # repointing of deployments restored onto the original database (repoint_label).
    repoint_hosts: Sequence[str] = ()


@dataclass
class RepointJobs:
    """The repoint Job before the release (after a Velero restore: once it completed, alongside the
    release), and how to declare the one after it."""

    before: batch_v1.Job
    make_after: Callable[[helm_v3.Release], batch_v1.Job]


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
    # A declared Velero restore of the deployments, checked (Velero.restore_completed): the repoint
    # Jobs wait for it, the release does not (it runs alongside, Houston's upgrade hook off).
    restored_deployments: Sequence[pulumi.Input[pulumi.Resource]] = field(default_factory=list)
    # Values that watch the DR posture (components/platform/alerts.py: Velero scraped, its rules,
    # the DR receiver), merged over the rest; None: none.
    alerting: pulumi.Input[dict[str, Any]] | None = None
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
    # After a restore: the Job that repoints the Airflow deployments before the release (or once a
    # declared Velero restore completed, alongside it), and the one that repoints them again after
    # it (None otherwise).
    repoint: batch_v1.Job | None
    repoint_after: batch_v1.Job | None
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
                args.alerting or {},
            ).apply(
                # Each layer merged over the ones before it.
                lambda v: functools.reduce(
                    merged,
                    [
                        helm_values(
                            settings, registry=v[0], load_balancer=v[1], registry_http_secret=v[2], database_host=v[3]
                        ),
                        identity_values(settings.release_name, v[4]),
                        v[5],
                        restoring_values() if args.restored_deployments else {},
                    ],
                )
            )
        )
        # Before the release rolls the platform's pods onto the restored database, the Airflow
        # deployments are repointed; a failure here stops the run with everything on the old one.
        # Deployments Velero is restoring are repointed once the restore completed, alongside the
        # release: nothing in it writes to them meanwhile (Houston's upgrade hook is off).
        restoring = bool(args.restored_deployments)
        repoint = self._repoint(
            name,
            settings,
            args.database,
            [namespace, bootstrap, *args.depends_on, *args.restored_deployments],
            k8s_opts,
        )
        self.repoint = repoint.before if repoint else None

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
                    *([self.repoint] if self.repoint and not restoring else []),
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
        # And again once the release (with its hooks) is done: Houston's `upgrade-deployments` hook
        # (post-install/post-upgrade) re-upgrades every deployment through Helm, which re-renders its
        # connection Secrets from values Houston builds; whatever host they carry, this run is the
        # last writer, and finds nothing to change when Houston already wrote the new host.
        self.repoint_after = repoint.make_after(release) if repoint else None
        self.register_outputs({"namespace": self.namespace, "release_name": self.release_name, "url": self.url})

    def _repoint(
        self,
        name: str,
        settings: PlatformSettings,
        database: DatabaseEndpoint,
        after: Sequence[pulumi.Input[pulumi.Resource]],
        k8s_opts: pulumi.ResourceOptions,
    ) -> RepointJobs | None:
        """The repoint ServiceAccount, its grant and its script in a namespace of their own, and the
        Job before the release; `repoint_after` adds the Job after it. None without a repointing."""
        label = repoint_label(database)
        if label is None:
            return None
        labels = {"app.kubernetes.io/name": REPOINT_NAME, "app.kubernetes.io/managed-by": "astronomer-dr"}
        # Its own namespace: the ServiceAccount's cluster-wide grant is usable by whoever can create a
        # pod where it lives, and nothing but this Job runs here (the platform's namespace runs
        # Houston, its hooks and every platform component).
        home = cluster_script_home(
            resource_name=lambda kind: f"{name}-repoint",
            namespace=repoint_namespace(settings.namespace),
            account=REPOINT_NAME,
            cluster_role=f"{REPOINT_NAME}-{settings.namespace}",
            rules=REPOINT_RULES,
            script_file="repoint.py",
            script_text=REPOINT_SCRIPT.read_text(),
            labels=labels,
            what="the repoint namespace",
            opts=k8s_opts,
        )
        old_hosts = pulumi.Output.all(*database.previous_hosts).apply(lambda hosts: ",".join(sorted(set(hosts))))
        env: dict[str, pulumi.Input[str]] = {
            "NEW_HOST": database.host,
            "OLD_HOSTS": old_hosts,
            "PLATFORM_NAMESPACE": settings.namespace,
            "NAMESPACE_LABEL": PLATFORM_NAMESPACE_LABEL,
            "DEPLOYMENT_NAMESPACES": ",".join(settings.deployment_namespaces),
            "RESTORE_LABEL": label,
            "PYTHONDONTWRITEBYTECODE": "1",
        }

        def job(
            suffix: str, depends_on: Sequence[pulumi.Input[pulumi.Resource]], extra_env: dict[str, pulumi.Input[str]]
        ) -> batch_v1.Job:
            return script_job(
                f"{name}-repoint-{label}{suffix}",
                job_name=f"{REPOINT_NAME}-{label}{suffix}",
                namespace=home.namespace,
                labels=labels,
                account=REPOINT_NAME,
                script_file="repoint.py",
                image=REPOINT_IMAGE,
                env={**env, **extra_env},
                requests={"cpu": "50m", "memory": "64Mi"},
                limits={"memory": "128Mi"},
                backoff_limit=2,
                deadline_seconds=REPOINT_TIMEOUT_SECONDS,
                # Pulumi waits for a Job to complete: what depends on it starts only once it succeeded.
                # A changed template replaces the Job (immutable), under the same name: the old one goes first.
                opts=pulumi.ResourceOptions.merge(
                    k8s_opts,
                    pulumi.ResourceOptions(
                        depends_on=[*depends_on, *home.ready], delete_before_replace=bool(extra_env)
                    ),
                ),
            )

        def after_release(release: helm_v3.Release) -> batch_v1.Job:
            # Every revision of the release runs Houston's hook again (post-upgrade): so does this Job,
            # the revision being in its template, while the repointing is declared.
            return job(
                REPOINT_AFTER_SUFFIX, [release, before], {"RELEASE_REVISION": release.status.revision.apply(str)}
            )

        before = job("", after, {})
        return RepointJobs(before=before, make_after=after_release)

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
            # Pulumi waits for the Job to complete, as long as its deadline (script_job.await_timeout).
            opts=pulumi.ResourceOptions.merge(
                k8s_opts,
                pulumi.ResourceOptions(
                    depends_on=[release, account, binding, script],
                    delete_before_replace=True,
                ),
            ),
        )
