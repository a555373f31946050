"""AWS settings: RDS, the EKS cluster and its nodes, the VPC, the registry bucket and Route53."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import provider_config
from ..schema import Field, Problems, at_least, between, cidr_list, cidr_prefix, kubernetes_version, matches, utc_time
from .backups import BACKUPS_FIELDS, CLUSTER_RESTORE_FIELDS, CLUSTER_RESTORED_FIELDS
from .regions import AWS_BACKUP_REPLICA_REGIONS, aws_region
from .restores import DatabaseTopology, check_promoted, check_topology, restore_fields, topology_fields
from .shared import (
    EBS_GP3_MAX_GIB,
    MIN_BACKUP_RETENTION_DAYS,
    OPTIONAL_OBJECTS,
    PLATFORM_FIELDS,
    PROJECT,
    require_provider_key,
)

# ---- AWS ---------------------------------------------------------------------------------------

# RDS keeps automated backups (and point-in-time restore) for at most 35 days.
RDS_MAX_BACKUP_RETENTION_DAYS = 35


def eks_version(v: str) -> str | None:
    """A Kubernetes version in the chart's range, written as EKS takes it (major.minor only)."""
    message = kubernetes_version(v)
    if message:
        return message
    return None if re.match(r"^1\.\d+$", v) else "must be major.minor, e.g. 1.33 (EKS picks the patch release)"


vpc_cidr = cidr_prefix(16, 22, "it is split into three private and three public subnets")


# The node group runs the AL2023_x86_64_STANDARD image (components/aws/cluster.py, `ami_type`). EKS
# has separate AMI types for arm64 (AL2023_ARM_64_STANDARD) and for accelerators
# (AL2023_x86_64_NVIDIA, AL2023_x86_64_NEURON): https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html
# Graviton families (m7g, c6gn, r8g, t4g, g5g, im4gn, ...) and a1 are arm64; Apple mac families are
# not EKS nodes.
_GRAVITON = re.compile(r"^([a-z]+\d+g[a-z]*|a1|mac\d*[a-z0-9-]*)\.", re.ASCII)
# NVIDIA GPU (p*, g*, gr6), Habana (dl*), Inferentia/Trainium (inf*, trn*), FPGA (f*), video (vt*).
_ACCELERATED = re.compile(
    r"^(p\d+[a-z]*|g\d+[a-z]*|gr\d+[a-z]*|dl\d+[a-z]*|inf\d+[a-z]*|trn\d+[a-z]*|f\d+[a-z]*|vt\d+[a-z]*)\.", re.ASCII
)


def x86_instance_types(values: tuple[str, ...]) -> str | None:
    if not values:
        return "must list at least one EC2 instance type"
    bad = [v for v in values if not re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9]+", v, re.ASCII)]
    if bad:
        return f"every entry must be an EC2 instance type such as m6i.2xlarge ({', '.join(bad)} is not)"
    arm = [v for v in values if _GRAVITON.match(v)]
    if arm:
        return f"must be x86_64 instance types: the node group runs the AL2023 x86_64 image ({', '.join(arm)} is Graviton/arm64)"
    accelerated = [v for v in values if _ACCELERATED.match(v)]
    if accelerated:
        return (
            f"must be general-purpose x86_64 instance types: the node group runs the AL2023_x86_64_STANDARD image, "
            f"without GPU or accelerator drivers ({', '.join(accelerated)} needs the NVIDIA or Neuron image)"
        )
    return None


# An EKS access entry's principal: an IAM role or user of this partition's IAM, never an STS
# assumed-role session (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
# Issue 21: the commercial partition (the program's other ARNs are arn:aws:, components/aws_partitions.py),
# a path of non-empty segments, and IAM's lengths: a role or user name of 1-64 characters of
# [\w+=,.@-] (the path's limit, 512, is beyond the 255 characters every config string may hold)
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html,
# "IAM name requirements"; https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html, Path and RoleName).
_IAM_PRINCIPAL = re.compile(r"^arn:aws:iam::\d{12}:(role|user)(/[\w+=,.@-]+)*/[\w+=,.@-]{1,64}$", re.ASCII)
_IAM_OTHER_PARTITION = re.compile(r"^arn:aws-[a-z-]+:iam::")
_STS_SESSION = re.compile(r"^arn:aws(-[a-z]+)*:sts::\d{12}:assumed-role/")


def iam_principal_arns(values: tuple[str, ...]) -> str | None:
    sessions = [v for v in values if _STS_SESSION.match(v)]
    if sessions:
        return f"must name the IAM role, not an assumed-role session ({sessions[0]}): use arn:aws:iam::<account>:role/<name>"
    other = [v for v in values if _IAM_OTHER_PARTITION.match(v)]
    if other:
        return f"must be principals of the commercial partition (arn:aws:iam::...): the program's other ARNs are arn:aws: ({other[0]} is not)"
    bad = [v for v in values if not _IAM_PRINCIPAL.match(v)]
    if bad:
        return f"every entry must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/ci-deploy, its path segments not empty and its name 1-64 characters ({bad[0]} is not)"
    if len(set(values)) != len(values):
        return "lists a principal twice (EKS allows one access entry per principal)"
    return None


AWS_DATABASE_FIELDS: dict[str, Field] = {
    "backupStartTime": Field(
        "str", "daily backup start, HH:MM UTC (the 30-minute backup window opens here)", default="03:00", check=utc_time
    ),
    "backupRetentionDays": Field(
        "int",
        "days automated backups and point-in-time restore reach back",
        default=MIN_BACKUP_RETENTION_DAYS,
        check=between(
            MIN_BACKUP_RETENTION_DAYS,
            RDS_MAX_BACKUP_RETENTION_DAYS,
            "Astronomer's DR guidance keeps at least a week; RDS keeps at most 35 days",
        ),
    ),
    "instanceClass": Field(
        "str",
        "RDS instance class",
        default="db.m6i.large",
        check=matches(r"^db\.[a-z0-9-]+\.[a-z0-9]+$", "an RDS instance class such as db.m6i.large"),
    ),
    "allocatedStorage": Field("int", "initial storage in GiB (gp3)", default=50, check=between(20, 65536)),
    "maxAllocatedStorage": Field("int", "storage autoscaling ceiling in GiB", default=500, check=between(20, 65536)),
    "postgresVersion": Field(
        "str",
        "RDS PostgreSQL engine version: a major version (16) takes RDS's minor upgrades; a full one (16.6) pins it",
        default="16",
        check=matches(r"^\d{2}(\.\d+)?$", "an RDS PostgreSQL version such as 16 or 16.6"),
    ),
    "highAvailability": Field(
        "bool", "Multi-AZ: a synchronous standby in another zone with automatic failover", default=True
    ),
    "backupReplicaRegion": Field(
        "str",
        "second region automated backups are replicated to (they survive the loss of the stack's region); default the region paired with aws:region",
        default=None,
        check=aws_region,
    ),
    **topology_fields(
        restore_fields(
            source_instance=Field(
                "str",
                "RDS instance identifier to restore from, when it is not the stack's own primary",
                default=None,
                check=matches(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$", "an RDS instance identifier"),
            ),
            backup_id=Field(
                "str",
                "RDS snapshot identifier or ARN to restore (`aws rds describe-db-snapshots`)",
                default=None,
                check=matches(
                    r"^(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:(rds:)?[a-zA-Z][a-zA-Z0-9-]*|(rds:)?[a-zA-Z][a-zA-Z0-9-]{0,254})$",
                    "an RDS snapshot identifier (my-snapshot, rds:my-db-2026-11-20-03-00) or snapshot ARN",
                ),
            ),
            extra={
                "sourceAutomatedBackupsArn": Field(
                    "str",
                    "ARN of the retained or replicated automated backups of a deleted or lost source instance",
                    default=None,
                    check=matches(
                        r"^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:auto-backup:ab-[a-z0-9]+$",
                        "an RDS automated backups ARN (arn:aws:rds:<region>:<account>:auto-backup:ab-...)",
                    ),
                ),
            },
        )
    ),
}

AWS_EXISTING_CLUSTER_FIELDS: dict[str, Field] = {
    "name": Field(
        "str",
        "name of the EKS cluster to install the platform on; it must have an IAM OIDC provider (IRSA)",
        check=matches(
            r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", "an EKS cluster name (letters, digits, '-' and '_', at most 100)"
        ),
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
    "endpointPublicAccess": Field(
        "bool",
        "serve the Kubernetes API on a public endpoint (needed to run pulumi from outside the VPC)",
        default=True,
    ),
    "publicAccessCidrs": Field(
        "list[str]",
        "CIDR blocks allowed to reach the public endpoint (empty: any, with credentials)",
        default=(),
        check=cidr_list,
    ),
    "instanceTypes": Field(
        "list[str]", "EC2 instance types of the platform node group", default=("m6i.2xlarge",), check=x86_instance_types
    ),
    "minNodes": Field(
        "int", "node group minimum: cluster-autoscaler never removes nodes below it", default=3, check=between(1, 100)
    ),
    "maxNodes": Field(
        "int",
        "node group maximum: the most nodes cluster-autoscaler adds for pending pods (restored deployments)",
        default=6,
        check=between(1, 100),
    ),
    "desiredNodes": Field(
        "int",
        "node group size at creation; then cluster-autoscaler's (later changes are ignored)",
        default=3,
        check=between(1, 100),
    ),
    "diskSizeGb": Field(
        "int",
        "node root volume size",
        default=100,
        check=between(50, EBS_GP3_MAX_GIB, "a gp3 volume holds at most 16 TiB"),
    ),
    "admins": Field(
        "list[str]",
        "IAM roles or users (ARNs) given cluster admin through an EKS access entry each (CI roles, other operators); not the identity that creates the cluster, which EKS already admits",
        default=(),
        check=iam_principal_arns,
    ),
    **CLUSTER_RESTORE_FIELDS,
    **CLUSTER_RESTORED_FIELDS,
}

AWS_NETWORK_FIELDS: dict[str, Field] = {
    "vpcCidr": Field(
        "str", "VPC range, split into three private and three public subnets", default="10.40.0.0/16", check=vpc_cidr
    ),
    "singleNatGateway": Field(
        "bool", "one NAT gateway for all zones (cheaper; losing its zone cuts the others' egress)", default=False
    ),
}

AWS_REGISTRY_FIELDS: dict[str, Field] = {
    "noncurrentVersionDays": Field(
        "int",
        "days a deleted or overwritten registry object is kept as a noncurrent version",
        default=30,
        check=at_least(7, "a week to notice a bad delete"),
    ),
    "replicaRegion": Field(
        "str",
        "replicate registry images to a bucket in this second region (survives the loss of the stack's region); none by default",
        default=None,
        check=aws_region,
    ),
}

AWS_DNS_FIELDS: dict[str, Field] = {
    "hostedZoneId": Field(
        "str",
        "Route53 hosted zone that holds baseDomain",
        check=matches(r"^Z[A-Z0-9]{1,31}$", "a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ"),
    ),
}


@dataclass(frozen=True)
class AwsDatabaseSettings(DatabaseTopology):
    backup_start_time: str
    backup_retention_days: int
    instance_class: str
    allocated_storage: int
    max_allocated_storage: int
    postgres_version: str
    high_availability: bool
    # Where automated backups are replicated: they survive the loss of the stack's region.
    backup_replica_region: str = "us-west-2"


@dataclass(frozen=True)
class AwsExistingCluster:
    name: str


@dataclass(frozen=True)
class AwsClusterSettings:
    existing: AwsExistingCluster | None
    kubernetes_version: str
    endpoint_private_access: bool
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    instance_types: tuple[str, ...]
    min_nodes: int
    max_nodes: int
    desired_nodes: int
    disk_size_gb: int
    # IAM principals given cluster admin through access entries.
    admins: tuple[str, ...] = ()


@dataclass(frozen=True)
class AwsNetworkSettings:
    vpc_cidr: str
    single_nat_gateway: bool


@dataclass(frozen=True)
class AwsRegistrySettings:
    noncurrent_version_days: int
    # A second region holding a replica of every image; None: no replica.
    replica_region: str | None = None


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
    dns: AwsDnsSettings | None
    # A throwaway (drill) stack being torn down: every deletion guard lifted.
    teardown: bool = False


# Object-valued keys of the astronomer-dr namespace on an AWS stack.
AWS_OBJECT_FIELDS: dict[str, Mapping[str, Field]] = {
    "platform": PLATFORM_FIELDS,
    "database": AWS_DATABASE_FIELDS,
    "cluster": AWS_CLUSTER_FIELDS,
    "network": AWS_NETWORK_FIELDS,
    "registry": AWS_REGISTRY_FIELDS,
    "dns": AWS_DNS_FIELDS,
    "backups": BACKUPS_FIELDS,
}


def parse_aws(
    config: Mapping[str, str], objects: dict[str, dict | None], problems: Problems, now: datetime
) -> AwsSettings | None:
    region = require_provider_key(config, "aws:region", "the AWS region to rebuild in", problems)
    # A region that is not one names aws:region, not the keys whose defaults derive from it.
    region = provider_config.check_provider_key(config, "aws:region", provider_config.aws_region, problems) or ""
    cluster, database, registry = objects.get("cluster"), objects.get("database"), objects.get("registry")
    key = f"{PROJECT}:cluster"
    if cluster:
        if cluster["min_nodes"] > cluster["max_nodes"]:
            problems.add(f"{key}.minNodes", "must not exceed maxNodes")
        elif not cluster["min_nodes"] <= cluster["desired_nodes"] <= cluster["max_nodes"]:
            problems.add(f"{key}.desiredNodes", "must be between minNodes and maxNodes")
        if not (cluster["endpoint_private_access"] or cluster["endpoint_public_access"]):
            problems.add(
                f"{key}.endpointPublicAccess", "endpointPrivateAccess and endpointPublicAccess cannot both be false"
            )
        if cluster["public_access_cidrs"] and not cluster["endpoint_public_access"]:
            problems.add(f"{key}.publicAccessCidrs", "only applies with endpointPublicAccess: true")
        if cluster["admins"] and cluster["existing"]:
            problems.add(
                f"{key}.admins",
                "only applies to a cluster this program creates (an existing cluster's access entries are managed where the cluster is)",
            )
    if database and database["allocated_storage"] > database["max_allocated_storage"]:
        problems.add(f"{PROJECT}:database.maxAllocatedStorage", "must be at least allocatedStorage")
    if database:
        database = {
            **database,
            "restore": check_topology(
                database,
                now=now,
                window=timedelta(days=database["backup_retention_days"]),
                window_what="backup retention (database.backupRetentionDays)",
                problems=problems,
            ),
            "promoted": check_promoted(database, problems, now),
        }
        replica = database["backup_replica_region"] or AWS_BACKUP_REPLICA_REGIONS.get(region)
        if region and replica == region:
            problems.add(
                f"{PROJECT}:database.backupReplicaRegion",
                f"must be a region other than aws:region ({region}): replicated backups must survive its loss",
            )
        elif region and replica is None:
            problems.add(
                f"{PROJECT}:database.backupReplicaRegion",
                f"required in {region} (no default pair): name the second region RDS replicates automated backups to",
            )
        database["backup_replica_region"] = replica
    if registry and region and registry["replica_region"] == region:
        problems.add(f"{PROJECT}:registry.replicaRegion", f"must be a region other than aws:region ({region})")
    network = objects.get("network")
    # Every object parsed (dns may be left out); naming the four again narrows them for the settings.
    if problems.items or any(objects.get(k) is None for k in AWS_OBJECT_FIELDS if k not in OPTIONAL_OBJECTS):
        return None
    if network is None or cluster is None or database is None or registry is None:
        return None
    existing, dns = cluster["existing"], objects.get("dns")
    return AwsSettings(
        region=region,
        network=AwsNetworkSettings(**network),
        cluster=AwsClusterSettings(**{**cluster, "existing": AwsExistingCluster(**existing) if existing else None}),
        database=AwsDatabaseSettings(**database),
        registry=AwsRegistrySettings(**registry),
        dns=AwsDnsSettings(**dns) if dns else None,
    )
