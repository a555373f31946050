"""Helm values for the Astronomer chart, built by pure functions from typed settings.

Every key written here exists in chart 2.1.0's default values (tests check that against a copy
of them): Helm silently ignores a misspelt key, and a DR setting that is silently dropped is the
worst kind of bug.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import PlatformSettings
from .chart import DATABASE_SSL_MODE, PLANE_MODE, TLS_SECRET_NAME, registry_service_account_name


@dataclass(frozen=True)
class GcsRegistryStorage:
    """Registry images in a GCS bucket, reached with GKE Workload Identity (no key file)."""

    bucket: str
    service_account_email: str
    # The registry's Kubernetes ServiceAccount, named for this stack's cluster (gcp/registry.py).
    service_account_name: str | None = None

    def registry_values(self) -> dict[str, Any]:
        return {"gcs": {"enabled": True, "bucket": self.bucket, "useKeyfile": False}}

    def service_account_annotations(self) -> dict[str, str]:
        return {"iam.gke.io/gcp-service-account": self.service_account_email}

    def kubernetes_service_account(self, release_name: str) -> str:
        return self.service_account_name or registry_service_account_name(release_name)


@dataclass(frozen=True)
class S3RegistryStorage:
    """Registry images in an S3 bucket encrypted with a KMS key, reached with IRSA (no access keys).

    Access keys set in these values would be written in plain text into a ConfigMap, so the
    chart's `accesskey`/`secretkey` stay empty and the pod's role does the work.
    """

    bucket: str
    region: str
    kms_key_arn: str
    role_arn: str

    def registry_values(self) -> dict[str, Any]:
        return {
            "s3": {
                "enabled": True,
                "bucket": self.bucket,
                "region": self.region,
                "encrypt": True,
                "keyid": self.kms_key_arn,
            }
        }

    def service_account_annotations(self) -> dict[str, str]:
        return {"eks.amazonaws.com/role-arn": self.role_arn}

    def kubernetes_service_account(self, release_name: str) -> str:
        # IRSA's trust names the cluster's own OIDC provider: another cluster's tokens never match.
        return registry_service_account_name(release_name)


RegistryStorage = GcsRegistryStorage | S3RegistryStorage

# On every platform pod (`global.podAnnotations`): a fingerprint of the database host, so that
# pointing the platform at a restored instance rolls every pod, and each re-reads its connection.
DATABASE_ANNOTATION = "astronomer-dr/database"
# On every Airflow deployment namespace (`global.namespaceLabels`): which platform it belongs to,
# so the repoint Job after a restore finds the namespaces to rewrite.
PLATFORM_NAMESPACE_LABEL = "astronomer-dr/platform"


def database_fingerprint(host: str) -> str:
    """Not secret (a hash of a private address), stable, and different for every host."""
    return hashlib.sha256(host.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LoadBalancer:
    """How the cloud exposes NGINX: a reserved address (GCP) and/or Service annotations (AWS NLB)."""

    ip_address: str | None = None
    service_annotations: Mapping[str, str] = field(default_factory=dict)


def prometheus_affinity(release_name: str) -> dict[str, Any]:
    """Keeps Prometheus replicas in different zones, so one zone's loss leaves a full copy of metrics.

    The chart ships a PodDisruptionBudget but no anti-affinity. The selector is the StatefulSet's
    own pod labels (tier, component, release).
    """
    return {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {
                        "matchLabels": {"tier": "monitoring", "component": "prometheus", "release": release_name}
                    },
                    "topologyKey": "topology.kubernetes.io/zone",
                }
            ]
        }
    }


def helm_values(
    platform: PlatformSettings,
    registry: RegistryStorage,
    load_balancer: LoadBalancer,
    registry_http_secret: str,
    database_host: str | None = None,
) -> dict[str, Any]:
    """The complete values for one Astronomer release."""
    nginx: dict[str, Any] = {
        "privateLoadBalancer": platform.private_load_balancer,
        "loadBalancerSourceRanges": list(platform.load_balancer_source_ranges),
        "ingressAnnotations": dict(load_balancer.service_annotations),
    }
    if load_balancer.ip_address:
        nginx["loadBalancerIP"] = load_balancer.ip_address
    return {
        "global": {
            "baseDomain": platform.base_domain,
            "tlsSecret": TLS_SECRET_NAME,
            # Explicit, because NGINX's Service name (chart.nginx_service_name) depends on it.
            "plane": {"mode": PLANE_MODE},
            # The platform's state lives in the managed, backed-up database, never in the cluster.
            "postgresql": {"enabled": False},
            "ssl": {"enabled": True, "mode": DATABASE_SSL_MODE},
            # The Houston hooks' bootstrappers (houston-upgrade-deployments, houston-cp-refresh) ask
            # for TLS only through this key, which the chart's default values leave out; without it
            # they connect in plain text, the database refuses, and the failed hook fails the release.
            "sslmodeEnabled": True,
            "namespaceLabels": {PLATFORM_NAMESPACE_LABEL: platform.namespace},
            **({"podAnnotations": {DATABASE_ANNOTATION: database_fingerprint(database_host)}} if database_host else {}),
        },
        "astronomer": {
            "registry": {
                # Pinned: unset, the chart renders a new random secret on every upgrade and
                # in-flight pushes and pulls fail.
                "httpSecret": registry_http_secret,
                **registry.registry_values(),
                "serviceAccount": {
                    "create": True,
                    "name": registry.kubernetes_service_account(platform.release_name),
                    "annotations": registry.service_account_annotations(),
                },
            }
        },
        "prometheus": {
            "replicas": platform.prometheus_replicas,
            # Replicas are active/passive with independent gaps; pin each Grafana/Houston client to one.
            "sessionAffinity": "ClientIP",
            "affinity": prometheus_affinity(platform.release_name),
        },
        "nginx": nginx,
    }


def restoring_values() -> dict[str, Any]:
    """Merged over the rest while a Velero restore of the deployments is declared: the release then
    runs alongside the restore, and Houston's `upgrade-deployments` hook (post-install/post-upgrade,
    on by default: chart v2.1.0 charts/astronomer/templates/houston/helm-hooks/
    houston-upgrade-deployments-job.yaml:4,20) would Helm-upgrade every deployment Houston's database
    lists while Velero is still restoring their namespaces and volumes. Off until the restore is
    retired; the release's next revision runs it again."""
    return {"astronomer": {"houston": {"upgradeDeployments": {"enabled": False}}}}
