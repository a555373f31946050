"""The Astronomer platform on any Kubernetes: namespace, the secrets the chart reads, the release.

Cloud-agnostic: the cloud components hand it a Kubernetes provider, a database endpoint, the
registry's object storage and how NGINX is exposed. It never reads config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from ..config import PlatformSettings, TlsSettings
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
from .values import LoadBalancer, RegistryStorage, helm_values


@dataclass
class DatabaseEndpoint:
    """Where the platform's Postgres is and who it logs in as; `password` must be a secret Output."""

    host: pulumi.Input[str]
    username: pulumi.Input[str]
    password: pulumi.Input[str]


@dataclass
class PlatformArgs:
    settings: PlatformSettings
    tls: TlsSettings
    kubernetes_provider: k8s.Provider
    database: DatabaseEndpoint
    registry_storage: pulumi.Input[RegistryStorage]
    load_balancer: pulumi.Input[LoadBalancer]
    # Cloud resources the release needs in place first (node pool, registry identity grants).
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class AstronomerPlatform(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    release_name: pulumi.Output[str]
    url: str
    # The Helm release, for what must wait until the platform is deployed.
    release: k8s.helm.v3.Release
    # "<namespace>/<release>-nginx": NGINX's LoadBalancer Service, which the chart names after the
    # release. Taken from the release's status, so it resolves only once the release is deployed.
    ingress_service: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:platform:AstronomerPlatform", name, None, opts)
        settings = args.settings
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=settings.namespace),
            opts=k8s_opts,
        )
        namespace_name = namespace.metadata.apply(lambda m: m.name)

        connection = pulumi.Output.secret(
            pulumi.Output.all(args.database.username, args.database.password, args.database.host).apply(
                lambda v: bootstrap_connection(user=v[0], password=v[1], host=v[2])
            )
        )
        bootstrap = k8s.core.v1.Secret(
            f"{name}-bootstrap",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=BOOTSTRAP_SECRET_NAME, namespace=namespace_name),
            type="Opaque",
            string_data={BOOTSTRAP_SECRET_KEY: connection},
            opts=k8s_opts,
        )
        certificate, private_key = args.tls.secret_outputs()
        tls = k8s.core.v1.Secret(
            f"{name}-tls",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TLS_SECRET_NAME, namespace=namespace_name),
            type="kubernetes.io/tls",
            string_data={"tls.crt": certificate, "tls.key": private_key},
            opts=k8s_opts,
        )

        # Pinned so upgrades keep the registry's shared secret; random state keeps it stable.
        registry_http_secret = random.RandomPassword(
            f"{name}-registry-http-secret",
            length=48,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        values = pulumi.Output.secret(
            pulumi.Output.all(args.registry_storage, args.load_balancer, registry_http_secret.result).apply(
                lambda v: helm_values(settings, registry=v[0], load_balancer=v[1], registry_http_secret=v[2])
            )
        )

        release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name=settings.release_name,
                chart=CHART_NAME,
                version=settings.chart_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
                namespace=namespace_name,
                values=values,
                # A failed install or upgrade rolls back instead of leaving a half-platform.
                atomic=True,
                cleanup_on_fail=True,
                timeout=HELM_TIMEOUT_SECONDS,
                wait_for_jobs=True,
                max_history=10,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.kubernetes_provider,
                depends_on=[bootstrap, tls, *args.depends_on],
            ),
        )

        self.namespace = namespace_name
        self.release_name = release.name
        self.url = f"https://app.{settings.base_domain}"
        self.release = release
        self.ingress_service = pulumi.Output.concat(
            release.status.namespace, "/", release.status.name.apply(nginx_service_name)
        )
        self.register_outputs(
            {"namespace": self.namespace, "release_name": self.release_name, "url": self.url}
        )
