"""Stack config, read and validated in one place, turned into typed settings.

`load_settings()` is the only function in the program that reads Pulumi config. It runs before
any resource is declared and raises `ConfigError` naming every bad key at once. Components
receive the frozen dataclasses below and never read config themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import pulumi
from pulumi.runtime import config as runtime_config

from .platform.chart import DEFAULT_CHART_VERSION, DEFAULT_NAMESPACE, DEFAULT_RELEASE_NAME
from .schema import (
    ConfigError,
    Field,
    Problems,
    at_least,
    between,
    cidr_block,
    cidr_list,
    dns_label,
    domain_name,
    exact_version,
    kubernetes_version,
    matches,
    one_of,
    parse_object,
    unknown_key_message,
    utc_time,
)

PROJECT = "astronomer-dr"

# ---- the facts every cloud shares --------------------------------------------------------------

# Helm's release name prefixes every object the chart makes (e.g. `<release>-registry`);
# Astronomer caps it so the longest derived names stay valid Kubernetes names.
RELEASE_NAME_MAX = 12
MIN_BACKUP_RETENTION_DAYS = 7
MIN_PROMETHEUS_REPLICAS = 2

PLATFORM_FIELDS: dict[str, Field] = {
    "baseDomain": Field("str", "DNS name the platform is served under (app.<baseDomain>, houston.<baseDomain>, ...)", check=domain_name),
    "chartVersion": Field("str", "exact Astronomer chart version", default=DEFAULT_CHART_VERSION, check=exact_version),
    "namespace": Field("str", "Kubernetes namespace of the platform release", default=DEFAULT_NAMESPACE, check=dns_label(63)),
    "releaseName": Field("str", "Helm release name", default=DEFAULT_RELEASE_NAME, check=dns_label(RELEASE_NAME_MAX)),
    "prometheusReplicas": Field(
        "int",
        "Prometheus replicas; each scrapes everything, so losing one loses no metrics",
        default=2,
        check=at_least(MIN_PROMETHEUS_REPLICAS, "Prometheus data is not backed up; a second replica is its redundancy"),
    ),
    "loadBalancerSourceRanges": Field("list[str]", "CIDR blocks allowed to reach NGINX (empty: everyone)", default=(), check=cidr_list),
    "privateLoadBalancer": Field("bool", "serve NGINX on an internal load balancer", default=False),
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


# ---- GCP ---------------------------------------------------------------------------------------

GCP_DATABASE_FIELDS: dict[str, Field] = {
    "backupStartTime": Field("str", "daily backup start, HH:MM UTC", default="03:00", check=utc_time),
    "backupRetentionDays": Field(
        "int",
        "daily backups kept (one a day, so days = backups)",
        default=MIN_BACKUP_RETENTION_DAYS,
        check=between(MIN_BACKUP_RETENTION_DAYS, 365, "Astronomer's DR guidance keeps at least a week"),
    ),
    "pointInTimeRecovery": Field("bool", "keep transaction logs for restores to any second", default=True),
    "tier": Field("str", "Cloud SQL machine tier", default="db-custom-2-8192", check=matches(r"^db-[a-z0-9-]+$", "a Cloud SQL tier such as db-custom-2-8192")),
    "postgresVersion": Field("str", "Cloud SQL Postgres version", default="POSTGRES_16", check=matches(r"^POSTGRES_\d+$", "a Cloud SQL version such as POSTGRES_16")),
    "highAvailability": Field("bool", "regional (two-zone) instance with automatic failover", default=True),
    "diskSizeGb": Field("int", "initial disk size; it grows automatically", default=50, check=at_least(10)),
}

GCP_EXISTING_CLUSTER_FIELDS: dict[str, Field] = {
    "name": Field("str", "name of the GKE cluster to install the platform on", check=dns_label(40)),
    "location": Field("str", "region or zone of that cluster", check=matches(r"^[a-z]+-[a-z]+\d(-[a-z])?$", "a GCP region or zone such as us-central1")),
    "network": Field("str", "self link or name of the cluster's VPC; it must already have private services access", check=matches(r"^\S+$", "a VPC name or self link")),
}

GCP_CLUSTER_FIELDS: dict[str, Field] = {
    "existing": Field(
        "object",
        "use this existing cluster instead of creating one (when only the platform was lost)",
        default=None,
        fields=GCP_EXISTING_CLUSTER_FIELDS,
    ),
    "kubernetesVersion": Field("str", "minimum control-plane version", default="1.33", check=kubernetes_version),
    "releaseChannel": Field(
        "str",
        "GKE release channel",
        default="STABLE",
        check=one_of("UNSPECIFIED", "RAPID", "REGULAR", "STABLE", "EXTENDED"),
    ),
    "machineType": Field("str", "machine type of the platform node pool", default="e2-standard-8"),
    "minNodesPerZone": Field("int", "autoscaler minimum per zone", default=1, check=between(1, 100)),
    "maxNodesPerZone": Field("int", "autoscaler maximum per zone", default=3, check=between(1, 100)),
    "diskSizeGb": Field("int", "node boot disk size", default=100, check=at_least(50)),
    "masterIpv4CidrBlock": Field("str", "/28 for the private control plane", default="172.16.0.0/28", check=cidr_block),
    "masterAuthorizedNetworks": Field("list[str]", "CIDR blocks allowed to reach the control plane (empty: any, with credentials)", default=(), check=cidr_list),
}

GCP_NETWORK_FIELDS: dict[str, Field] = {
    "subnetCidr": Field("str", "primary range of the node subnet", default="10.10.0.0/20", check=cidr_block),
    "podsCidr": Field("str", "secondary range for pods", default="10.20.0.0/14", check=cidr_block),
    "servicesCidr": Field("str", "secondary range for services", default="10.30.0.0/20", check=cidr_block),
    "privateServicesPrefixLength": Field("int", "size of the range reserved for Cloud SQL private IP", default=16, check=between(8, 24)),
}

GCP_REGISTRY_FIELDS: dict[str, Field] = {
    "noncurrentVersionDays": Field(
        "int",
        "days a deleted or overwritten registry object is kept as a noncurrent version",
        default=30,
        check=at_least(7, "a week to notice a bad delete"),
    ),
}

GCP_DNS_FIELDS: dict[str, Field] = {
    "managedZone": Field("str", "Cloud DNS managed zone that holds baseDomain", check=dns_label(63)),
}


@dataclass(frozen=True)
class GcpDatabaseSettings:
    backup_start_time: str
    backup_retention_days: int
    point_in_time_recovery: bool
    tier: str
    postgres_version: str
    high_availability: bool
    disk_size_gb: int


@dataclass(frozen=True)
class GcpExistingCluster:
    name: str
    location: str
    network: str


@dataclass(frozen=True)
class GcpClusterSettings:
    existing: Optional[GcpExistingCluster]
    kubernetes_version: str
    release_channel: str
    machine_type: str
    min_nodes_per_zone: int
    max_nodes_per_zone: int
    disk_size_gb: int
    master_ipv4_cidr_block: str
    master_authorized_networks: tuple[str, ...]


@dataclass(frozen=True)
class GcpNetworkSettings:
    subnet_cidr: str
    pods_cidr: str
    services_cidr: str
    private_services_prefix_length: int


@dataclass(frozen=True)
class GcpRegistrySettings:
    noncurrent_version_days: int


@dataclass(frozen=True)
class GcpDnsSettings:
    managed_zone: str


@dataclass(frozen=True)
class GcpSettings:
    project: str
    region: str
    network: GcpNetworkSettings
    cluster: GcpClusterSettings
    database: GcpDatabaseSettings
    registry: GcpRegistrySettings
    dns: Optional[GcpDnsSettings]


# ---- AWS ---------------------------------------------------------------------------------------

# RDS keeps automated backups (and point-in-time restore) for at most 35 days.
RDS_MAX_BACKUP_RETENTION_DAYS = 35


def eks_version(v: str) -> Optional[str]:
    """A Kubernetes version in the chart's range, written as EKS takes it (major.minor only)."""
    message = kubernetes_version(v)
    if message:
        return message
    return None if re.match(r"^1\.\d+$", v) else "must be major.minor, e.g. 1.33 (EKS picks the patch release)"


def vpc_cidr(v: str) -> Optional[str]:
    message = cidr_block(v)
    if message:
        return message
    prefix = int(v.split("/")[1])
    return None if 16 <= prefix <= 22 else "must be a /16 to /22 block (it is split into three private and three public subnets)"


# Graviton families (m7g, c6gn, r6gd, t4g, g5g, ...): arm64, which the x86_64 node image cannot run.
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*\.")


def x86_instance_types(values: tuple[str, ...]) -> Optional[str]:
    if not values:
        return "must list at least one EC2 instance type"
    bad = [v for v in values if not re.match(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$", v)]
    if bad:
        return f"every entry must be an EC2 instance type such as m6i.2xlarge ({', '.join(bad)} is not)"
    arm = [v for v in values if _GRAVITON.match(v)]
    if arm:
        return f"must be x86_64 instance types: the node group runs the AL2023 x86_64 image ({', '.join(arm)} is Graviton/arm64)"
    return None


AWS_DATABASE_FIELDS: dict[str, Field] = {
    "backupStartTime": Field("str", "daily backup start, HH:MM UTC (the 30-minute backup window opens here)", default="03:00", check=utc_time),
    "backupRetentionDays": Field(
        "int",
        "days automated backups and point-in-time restore reach back",
        default=MIN_BACKUP_RETENTION_DAYS,
        check=between(MIN_BACKUP_RETENTION_DAYS, RDS_MAX_BACKUP_RETENTION_DAYS, "Astronomer's DR guidance keeps at least a week; RDS keeps at most 35 days"),
    ),
    "instanceClass": Field("str", "RDS instance class", default="db.m6i.large", check=matches(r"^db\.[a-z0-9-]+\.[a-z0-9]+$", "an RDS instance class such as db.m6i.large")),
    "allocatedStorage": Field("int", "initial storage in GiB (gp3)", default=50, check=between(20, 65536)),
    "maxAllocatedStorage": Field("int", "storage autoscaling ceiling in GiB", default=500, check=between(20, 65536)),
    "postgresVersion": Field(
        "str",
        "RDS PostgreSQL engine version: a major version (16) takes RDS's minor upgrades; a full one (16.6) pins it",
        default="16",
        check=matches(r"^\d{2}(\.\d+)?$", "an RDS PostgreSQL version such as 16 or 16.6"),
    ),
    "highAvailability": Field("bool", "Multi-AZ: a synchronous standby in another zone with automatic failover", default=True),
}

AWS_EXISTING_CLUSTER_FIELDS: dict[str, Field] = {
    "name": Field(
        "str",
        "name of the EKS cluster to install the platform on; it must have an IAM OIDC provider (IRSA)",
        check=matches(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", "an EKS cluster name (letters, digits, '-' and '_', at most 100)"),
    ),
}

AWS_CLUSTER_FIELDS: dict[str, Field] = {
    "existing": Field(
        "object",
        "use this existing cluster instead of creating one (when only the platform was lost)",
        default=None,
        fields=AWS_EXISTING_CLUSTER_FIELDS,
    ),
    "kubernetesVersion": Field("str", "EKS Kubernetes version", default="1.33", check=eks_version),
    "endpointPrivateAccess": Field("bool", "serve the Kubernetes API inside the VPC", default=True),
    "endpointPublicAccess": Field("bool", "serve the Kubernetes API on a public endpoint (needed to run pulumi from outside the VPC)", default=True),
    "publicAccessCidrs": Field("list[str]", "CIDR blocks allowed to reach the public endpoint (empty: any, with credentials)", default=(), check=cidr_list),
    "instanceTypes": Field("list[str]", "EC2 instance types of the platform node group", default=("m6i.2xlarge",), check=x86_instance_types),
    "minNodes": Field("int", "node group minimum", default=3, check=between(1, 100)),
    "maxNodes": Field("int", "node group maximum", default=6, check=between(1, 100)),
    "desiredNodes": Field("int", "node group size at creation and on every update", default=3, check=between(1, 100)),
    "diskSizeGb": Field("int", "node root volume size", default=100, check=at_least(50)),
}

AWS_NETWORK_FIELDS: dict[str, Field] = {
    "vpcCidr": Field("str", "VPC range, split into three private and three public subnets", default="10.40.0.0/16", check=vpc_cidr),
    "singleNatGateway": Field("bool", "one NAT gateway for all zones (cheaper; losing its zone cuts the others' egress)", default=False),
}

AWS_REGISTRY_FIELDS: dict[str, Field] = {
    "noncurrentVersionDays": Field(
        "int",
        "days a deleted or overwritten registry object is kept as a noncurrent version",
        default=30,
        check=at_least(7, "a week to notice a bad delete"),
    ),
}

AWS_DNS_FIELDS: dict[str, Field] = {
    "hostedZoneId": Field("str", "Route53 hosted zone that holds baseDomain", check=matches(r"^Z[A-Z0-9]{1,31}$", "a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ")),
}


@dataclass(frozen=True)
class AwsDatabaseSettings:
    backup_start_time: str
    backup_retention_days: int
    instance_class: str
    allocated_storage: int
    max_allocated_storage: int
    postgres_version: str
    high_availability: bool


@dataclass(frozen=True)
class AwsExistingCluster:
    name: str


@dataclass(frozen=True)
class AwsClusterSettings:
    existing: Optional[AwsExistingCluster]
    kubernetes_version: str
    endpoint_private_access: bool
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    instance_types: tuple[str, ...]
    min_nodes: int
    max_nodes: int
    desired_nodes: int
    disk_size_gb: int


@dataclass(frozen=True)
class AwsNetworkSettings:
    vpc_cidr: str
    single_nat_gateway: bool


@dataclass(frozen=True)
class AwsRegistrySettings:
    noncurrent_version_days: int


@dataclass(frozen=True)
class AwsDnsSettings:
    hosted_zone_id: str


@dataclass(frozen=True)
class AwsSettings:
    region: str
    network: AwsNetworkSettings
    cluster: AwsClusterSettings
    database: AwsDatabaseSettings
    registry: AwsRegistrySettings
    dns: Optional[AwsDnsSettings]


# ---- the whole stack ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StackSettings:
    cloud: str
    # Prefix of every physical name: derived from the stack, stable across runs, never a timestamp.
    name_prefix: str
    platform: PlatformSettings
    tls: TlsSettings
    gcp: Optional[GcpSettings] = None
    aws: Optional[AwsSettings] = None


# Object-valued keys of the astronomer-dr namespace, per cloud.
OBJECT_KEYS: dict[str, dict[str, Mapping[str, Field]]] = {
    "gcp": {
        "platform": PLATFORM_FIELDS,
        "database": GCP_DATABASE_FIELDS,
        "cluster": GCP_CLUSTER_FIELDS,
        "network": GCP_NETWORK_FIELDS,
        "registry": GCP_REGISTRY_FIELDS,
        "dns": GCP_DNS_FIELDS,
    },
    "aws": {
        "platform": PLATFORM_FIELDS,
        "database": AWS_DATABASE_FIELDS,
        "cluster": AWS_CLUSTER_FIELDS,
        "network": AWS_NETWORK_FIELDS,
        "registry": AWS_REGISTRY_FIELDS,
        "dns": AWS_DNS_FIELDS,
    },
}
SUPPORTED_CLOUDS = tuple(OBJECT_KEYS)
# Keys of the namespace that must hold secrets, and how to set them.
SECRET_KEYS = (TLS_CERTIFICATE_KEY, TLS_KEY_KEY)
OPTIONAL_OBJECTS = ("dns",)


def all_config() -> dict[str, str]:
    """Every config value the engine handed the program, keyed 'namespace:key'."""
    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def _is_secret(key: str) -> bool:
    return runtime_config.is_config_secret(key) or key in runtime_config.get_config_secret_keys_env()


def _decode(full_key: str, raw: Any, problems: Problems) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        problems.add(full_key, f"expected a YAML object in the stack file, got the string {raw!r}")
        return None


def _tls(config: Mapping[str, str], problems: Problems) -> Optional[TlsSettings]:
    values: dict[str, str] = {}
    markers = {TLS_CERTIFICATE_KEY: "-----BEGIN CERTIFICATE-----", TLS_KEY_KEY: "PRIVATE KEY-----"}
    for key, marker in markers.items():
        full = f"{PROJECT}:{key}"
        command = f"pulumi config set --secret {full} -- \"$(cat <file.pem>)\""
        if full not in config:
            problems.add(full, f"required: PEM for <baseDomain> and *.<baseDomain>; set it with `{command}`")
        elif not _is_secret(full):
            problems.add(full, f"must be a secret (it would sit in plain text in the stack file); set it with `{command}`")
        elif marker not in config[full]:
            problems.add(full, f"must be PEM text containing '{marker}'")
        else:
            values[key] = config[full]
    if len(values) != len(markers):
        return None
    return TlsSettings(certificate=values[TLS_CERTIFICATE_KEY], private_key=values[TLS_KEY_KEY])


def _require_provider_key(config: Mapping[str, str], key: str, what: str, problems: Problems) -> str:
    value = config.get(key)
    if not value:
        problems.add(key, f"required: {what}; set it with `pulumi config set {key} <value>`")
        return ""
    return value


def _gcp(config: Mapping[str, str], objects: dict[str, Optional[dict]], problems: Problems) -> Optional[GcpSettings]:
    project = _require_provider_key(config, "gcp:project", "the GCP project to rebuild in", problems)
    region = _require_provider_key(config, "gcp:region", "the GCP region to rebuild in", problems)
    cluster = objects.get("cluster")
    if cluster and cluster["min_nodes_per_zone"] > cluster["max_nodes_per_zone"]:
        problems.add(f"{PROJECT}:cluster.minNodesPerZone", "must not exceed maxNodesPerZone")
    if problems.items or any(objects.get(k) is None for k in OBJECT_KEYS["gcp"] if k not in OPTIONAL_OBJECTS):
        return None
    existing = cluster["existing"]
    return GcpSettings(
        project=project,
        region=region,
        network=GcpNetworkSettings(**objects["network"]),
        cluster=GcpClusterSettings(**{**cluster, "existing": GcpExistingCluster(**existing) if existing else None}),
        database=GcpDatabaseSettings(**objects["database"]),
        registry=GcpRegistrySettings(**objects["registry"]),
        dns=GcpDnsSettings(**objects["dns"]) if objects.get("dns") else None,
    )


def _aws(config: Mapping[str, str], objects: dict[str, Optional[dict]], problems: Problems) -> Optional[AwsSettings]:
    region = _require_provider_key(config, "aws:region", "the AWS region to rebuild in", problems)
    cluster, database = objects.get("cluster"), objects.get("database")
    key = f"{PROJECT}:cluster"
    if cluster:
        if cluster["min_nodes"] > cluster["max_nodes"]:
            problems.add(f"{key}.minNodes", "must not exceed maxNodes")
        elif not cluster["min_nodes"] <= cluster["desired_nodes"] <= cluster["max_nodes"]:
            problems.add(f"{key}.desiredNodes", "must be between minNodes and maxNodes")
        if not (cluster["endpoint_private_access"] or cluster["endpoint_public_access"]):
            problems.add(f"{key}.endpointPublicAccess", "endpointPrivateAccess and endpointPublicAccess cannot both be false")
        if cluster["public_access_cidrs"] and not cluster["endpoint_public_access"]:
            problems.add(f"{key}.publicAccessCidrs", "only applies with endpointPublicAccess: true")
    if database and database["allocated_storage"] > database["max_allocated_storage"]:
        problems.add(f"{PROJECT}:database.maxAllocatedStorage", "must be at least allocatedStorage")
    if problems.items or any(objects.get(k) is None for k in OBJECT_KEYS["aws"] if k not in OPTIONAL_OBJECTS):
        return None
    existing = cluster["existing"]
    return AwsSettings(
        region=region,
        network=AwsNetworkSettings(**objects["network"]),
        cluster=AwsClusterSettings(**{**cluster, "existing": AwsExistingCluster(**existing) if existing else None}),
        database=AwsDatabaseSettings(**database),
        registry=AwsRegistrySettings(**objects["registry"]),
        dns=AwsDnsSettings(**objects["dns"]) if objects.get("dns") else None,
    )


# GKE cluster names stop at 40 characters; the longest name built on the prefix adds 15.
NAME_PREFIX_MAX = 25


def name_prefix(stack: str, problems: Problems) -> str:
    prefix = f"astro-{stack.lower()}"
    message = dns_label(NAME_PREFIX_MAX)(prefix)
    if message:
        problems.add("stack name", f"'astro-<stack>' names every cloud resource and {message}; got {prefix!r}")
    return prefix


def parse_settings(config: Mapping[str, str], stack: str) -> StackSettings:
    """Pure: turns the raw config map ('namespace:key' -> string) into settings or raises ConfigError."""
    problems = Problems()
    prefix_value = name_prefix(stack, problems)
    prefix = f"{PROJECT}:"
    ours = {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}

    cloud = ours.get("cloud")
    if cloud not in SUPPORTED_CLOUDS:
        problems.add(f"{prefix}cloud", f"required: one of {', '.join(SUPPORTED_CLOUDS)}, got {cloud!r}")
        raise ConfigError(problems.items)

    object_fields = OBJECT_KEYS[cloud]
    known = ["cloud", *object_fields, *SECRET_KEYS]
    for key in ours:
        if key not in known:
            problems.add(prefix + key, unknown_key_message(key, known))

    objects: dict[str, Optional[dict]] = {}
    for key, fields in object_fields.items():
        full = prefix + key
        if key in OPTIONAL_OBJECTS and key not in ours:
            objects[key] = None
            continue
        raw = _decode(full, ours.get(key), problems)
        objects[key] = parse_object(full, raw, fields, problems)

    tls = _tls(config, problems)
    gcp_settings = _gcp(config, objects, problems) if cloud == "gcp" else None
    aws_settings = _aws(config, objects, problems) if cloud == "aws" else None
    problems.raise_if_any()
    assert tls is not None and objects["platform"] is not None
    return StackSettings(
        cloud=cloud,
        name_prefix=prefix_value,
        platform=PlatformSettings(**objects["platform"]),
        tls=tls,
        gcp=gcp_settings,
        aws=aws_settings,
    )


def load_settings() -> StackSettings:
    """Reads this stack's config. The only place in the program that touches Pulumi config."""
    return parse_settings(all_config(), pulumi.get_stack())
