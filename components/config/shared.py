"""Shared facts and parsing: the project's name, the platform and TLS settings, names and teardown.

What every cloud shares, and the small parsers `parse_settings` (components/config/stack.py) runs
for each stack whatever its cloud: the TLS secrets, the name prefix, a throwaway stack's teardown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pulumi

from .. import pulumi_internals
from ..release_defaults import DEFAULT_CHART_VERSION, DEFAULT_NAMESPACE, DEFAULT_RELEASE_NAME
from ..schema import Field, Problems, between, cidr_list, dns_label, domain_name, exact_version

PROJECT = "astronomer-dr"

# ---- the facts every cloud shares --------------------------------------------------------------

# Helm's release name prefixes every object the chart makes (e.g. `<release>-registry`);
# Astronomer caps it so the longest derived names stay valid Kubernetes names.
RELEASE_NAME_MAX = 12
MIN_BACKUP_RETENTION_DAYS = 7
MIN_PROMETHEUS_REPLICAS = 2
# Replicas are required to run in different zones (components/platform/values.py,
# `prometheus_affinity`), and the node pools span three zones (a GKE regional pool's default:
# https://cloud.google.com/kubernetes-engine/docs/concepts/regional-clusters;
# components/aws/network.py ZONE_COUNT): a fourth replica would stay Pending and the atomic
# release would time out, failing the recovery.
MAX_PROMETHEUS_REPLICAS = 3
# Largest disks the clouds make: a Cloud SQL instance or a persistent disk holds at most 64 TB
# (https://cloud.google.com/sql/docs/quotas#storage_limits, https://cloud.google.com/compute/docs/disks),
# an EBS gp3 volume 16 TiB (https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html).
GCP_MAX_DISK_GB = 65536
EBS_GP3_MAX_GIB = 16384


def namespace_list(values: tuple[str, ...]) -> str | None:
    for value in values:
        message = dns_label(63)(value)
        if message:
            return f"every entry must be a Kubernetes namespace name: {value!r} {message}"
    return None


PLATFORM_FIELDS: dict[str, Field] = {
    "baseDomain": Field(
        "str", "DNS name the platform is served under (app.<baseDomain>, houston.<baseDomain>, ...)", check=domain_name
    ),
    "chartVersion": Field("str", "exact Astronomer chart version", default=DEFAULT_CHART_VERSION, check=exact_version),
    "namespace": Field(
        "str", "Kubernetes namespace of the platform release", default=DEFAULT_NAMESPACE, check=dns_label(63)
    ),
    "releaseName": Field("str", "Helm release name", default=DEFAULT_RELEASE_NAME, check=dns_label(RELEASE_NAME_MAX)),
    "prometheusReplicas": Field(
        "int",
        "Prometheus replicas; each scrapes everything, so losing one loses no metrics",
        default=2,
        check=between(
            MIN_PROMETHEUS_REPLICAS,
            MAX_PROMETHEUS_REPLICAS,
            "Prometheus data is not backed up: a second replica is its redundancy; each replica needs a zone of its own, and the nodes span three",
        ),
    ),
    "loadBalancerSourceRanges": Field(
        "list[str]", "CIDR blocks allowed to reach NGINX (empty: everyone)", default=(), check=cidr_list
    ),
    "privateLoadBalancer": Field("bool", "serve NGINX on an internal load balancer", default=False),
    "deploymentNamespaces": Field(
        "list[str]",
        "Airflow deployment namespaces not named <namespace>-<release> (namespace pools): backed up and restored by Velero with the <namespace>-* ones, and rewritten by the repoint Job after a restore",
        default=(),
        check=namespace_list,
    ),
}

TLS_CERTIFICATE_KEY = "tlsCertificate"
TLS_KEY_KEY = "tlsKey"


@dataclass(frozen=True)
class PlatformSettings:
    base_domain: str
    chart_version: str
    namespace: str
    release_name: str
    prometheus_replicas: int
    load_balancer_source_ranges: tuple[str, ...]
    private_load_balancer: bool
    # Deployment namespaces outside Houston's `<namespace>-<release>` naming (namespace pools).
    deployment_namespaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class TlsSettings:
    """PEM certificate chain and private key for <baseDomain> and *.<baseDomain>.

    Plain strings so that parsing stays pure; whoever hands them to a resource wraps them in
    `pulumi.Output.secret` (see `secret_outputs`). Kept out of repr so they never reach a log.
    """

    certificate: str = field(repr=False)
    private_key: str = field(repr=False)

    def secret_outputs(self) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        return pulumi.Output.secret(self.certificate), pulumi.Output.secret(self.private_key)


# Keys of the namespace that must hold secrets, and how to set them.
SECRET_KEYS = (TLS_CERTIFICATE_KEY, TLS_KEY_KEY)
# Object-valued keys a stack may leave out.
OPTIONAL_OBJECTS = ("dns",)


def is_secret(key: str) -> bool:
    """Whether the engine handed the program `key` as a secret (pulumi_internals: no public API)."""
    return pulumi_internals.is_config_secret(key)


def decode_object(full_key: str, raw: Any, problems: Problems) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        problems.add(full_key, f"expected a YAML object in the stack file, got the string {raw!r}")
        return None


def parse_tls(config: Mapping[str, str], problems: Problems) -> TlsSettings | None:
    values: dict[str, str] = {}
    markers = {TLS_CERTIFICATE_KEY: "-----BEGIN CERTIFICATE-----", TLS_KEY_KEY: "PRIVATE KEY-----"}
    for key, marker in markers.items():
        full = f"{PROJECT}:{key}"
        command = f'pulumi config set --secret {full} -- "$(cat <file.pem>)"'
        if full not in config:
            problems.add(full, f"required: PEM for <baseDomain> and *.<baseDomain>; set it with `{command}`")
        elif not is_secret(full):
            problems.add(
                full, f"must be a secret (it would sit in plain text in the stack file); set it with `{command}`"
            )
        elif marker not in config[full]:
            problems.add(full, f"must be PEM text containing '{marker}'")
        else:
            values[key] = config[full]
    if len(values) != len(markers):
        return None
    return TlsSettings(certificate=values[TLS_CERTIFICATE_KEY], private_key=values[TLS_KEY_KEY])


def check_tls_material(tls: TlsSettings | None, platform: dict | None, now: datetime, problems: Problems) -> list[str]:
    """Parses the chain and key (components/tls_material.py); returns the warnings."""
    if tls is None:
        return []
    from ..tls_material import check_tls

    found, warnings = check_tls(tls.certificate, tls.private_key, platform["base_domain"] if platform else None, now)
    for key, why in found.items():
        problems.add(f"{PROJECT}:{key}", why)
    return warnings


# Namespaces a deployment never lives in: the cluster's own and Velero's (a backup of one would
# restore the cluster's system objects, or Velero's Backups and Restores, into another cluster).
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease", "velero")


def check_deployment_namespaces(platform: dict | None, problems: Problems) -> None:
    """`platform.deploymentNamespaces` names deployment namespaces only: never the platform's own
    (excluded from every backup: the Helm release rebuilds it) nor a system one."""
    if not platform:
        return
    platform_namespace = platform["namespace"]
    for name in platform["deployment_namespaces"]:
        if name == platform_namespace or name in SYSTEM_NAMESPACES:
            problems.add(
                f"{PROJECT}:platform.deploymentNamespaces",
                f"{name!r} is {'the platform namespace' if name == platform_namespace else 'a system namespace'}, "
                f"never an Airflow deployment's; list only namespace-pool namespaces (not {', '.join((platform_namespace, *SYSTEM_NAMESPACES))})",
            )


def require_provider_key(config: Mapping[str, str], key: str, what: str, problems: Problems) -> str:
    value = config.get(key)
    if not value:
        problems.add(key, f"required: {what}; set it with `pulumi config set {key} <value>`")
        return ""
    return value


# GKE cluster names stop at 40 characters; the longest name built on the prefix adds 15.
NAME_PREFIX_MAX = 25


def name_prefix(stack: str, problems: Problems) -> str:
    prefix = f"astro-{stack.lower()}"
    message = dns_label(NAME_PREFIX_MAX)(prefix)
    if message:
        problems.add("stack name", f"'astro-<stack>' names every cloud resource and {message}; got {prefix!r}")
    return prefix


# `astronomer-dr:teardown: true` lifts every deletion guard so that `pulumi destroy` can remove a
# throwaway stack. Refused on any stack not named like one, so it can never reach production.
TEARDOWN_KEY = "teardown"
DRILL_STACK_PREFIX = "drill-"


def parse_teardown(ours: Mapping[str, Any], stack: str, problems: Problems) -> bool:
    full = f"{PROJECT}:{TEARDOWN_KEY}"
    raw = ours.get(TEARDOWN_KEY)
    if raw is None:
        return False
    value = raw if isinstance(raw, bool) else {"true": True, "false": False}.get(str(raw).strip().lower())
    if value is None:
        problems.add(full, f"expected true or false, got {raw!r}")
        return False
    if value and not stack.startswith(DRILL_STACK_PREFIX):
        problems.add(
            full,
            f"only a throwaway stack named {DRILL_STACK_PREFIX}<name> may be torn down (it lifts every deletion guard); this stack is {stack!r}",
        )
        return False
    return value
