"""GCP settings: Cloud SQL, the GKE cluster, its network, the registry bucket and Cloud DNS."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import provider_config
from ..schema import (
    Field,
    Problems,
    at_least,
    between,
    cidr_block,
    cidr_list,
    cidr_prefix,
    dns_label,
    kubernetes_version,
    matches,
    one_of,
    overlapping,
    utc_time,
)
from .backups import BACKUPS_FIELDS, CLUSTER_RESTORE_FIELDS, CLUSTER_RESTORED_FIELDS
from .regions import GCS_MULTI_REGIONS, default_backup_location, gcs_location
from .restores import DatabaseTopology, check_promoted, check_topology, restore_fields, topology_fields
from .shared import (
    GCP_MAX_DISK_GB,
    MIN_BACKUP_RETENTION_DAYS,
    OPTIONAL_OBJECTS,
    PLATFORM_FIELDS,
    PROJECT,
    require_provider_key,
)

# ---- GCP ---------------------------------------------------------------------------------------

# Cloud SQL Enterprise edition keeps at most 7 days of transaction logs: the point-in-time window.
GCP_TRANSACTION_LOG_DAYS = 7

GCP_DATABASE_FIELDS: dict[str, Field] = {
    "backupStartTime": Field("str", "daily backup start, HH:MM UTC", default="03:00", check=utc_time),
    "backupRetentionDays": Field(
        "int",
        "daily backups kept (one a day, so days = backups)",
        default=MIN_BACKUP_RETENTION_DAYS,
        check=between(MIN_BACKUP_RETENTION_DAYS, 365, "Astronomer's DR guidance keeps at least a week"),
    ),
    "pointInTimeRecovery": Field("bool", "keep transaction logs for restores to any second", default=True),
    "tier": Field(
        "str",
        "Cloud SQL machine tier",
        default="db-custom-2-8192",
        check=matches(r"^db-[a-z0-9-]+$", "a Cloud SQL tier such as db-custom-2-8192"),
    ),
    "postgresVersion": Field(
        "str",
        "Cloud SQL Postgres version",
        default="POSTGRES_16",
        check=matches(r"^POSTGRES_\d+$", "a Cloud SQL version such as POSTGRES_16"),
    ),
    "highAvailability": Field("bool", "regional (two-zone) instance with automatic failover", default=True),
    "replicaHighAvailability": Field(
        "bool",
        "standby only: keep the replica regional (two zones) before promotion too, so the promotion changes no availability type (the cost of a second zone all along); needs highAvailability",
        default=False,
    ),
    "diskSizeGb": Field(
        "int",
        "initial disk size; it grows automatically",
        default=50,
        check=between(10, GCP_MAX_DISK_GB, "Cloud SQL holds at most 64 TB"),
    ),
    "backupLocation": Field(
        "str",
        "where backups are stored: a multi-region (us, eu, asia) or a region other than the instance's; default the multi-region holding the instance's region",
        default=None,
        check=matches(
            r"^(us|eu|asia|[a-z]+-[a-z]+\d+)$", "a Cloud SQL backup location: us, eu, asia or a region such as us-east1"
        ),
    ),
    **topology_fields(
        restore_fields(
            source_instance=Field(
                "str",
                "Cloud SQL instance to restore from, when it is not the stack's own primary",
                default=None,
                check=matches(r"^[a-z][a-z0-9-]{0,96}[a-z0-9]$", "a Cloud SQL instance name"),
            ),
            backup_id=Field(
                "str",
                "Cloud SQL backup run id to restore (`gcloud sql backups list --instance <source>`)",
                default=None,
                check=matches(r"^\d{1,20}$", "a Cloud SQL backup run id (digits)"),
            ),
            extra={
                "sourceDeletedAt": Field(
                    "str",
                    "RFC 3339 deletion time of a deleted source instance, as Cloud SQL reports it (fractional seconds kept: it identifies the instance); a point-in-time clone from its retained backups",
                    default=None,
                ),
                "sourceProject": Field(
                    "str",
                    "project of sourceInstance when it is not the stack's: a cross-project clone, which Cloud SQL places in this stack's VPC",
                    default=None,
                    check=matches(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", "a GCP project id"),
                ),
            },
        )
    ),
}


GCP_EXISTING_CLUSTER_FIELDS: dict[str, Field] = {
    "name": Field("str", "name of the GKE cluster to install the platform on", check=dns_label(40)),
    "location": Field(
        "str",
        "region or zone of that cluster",
        check=matches(r"^[a-z]+-[a-z]+\d(-[a-z])?$", "a GCP region or zone such as us-central1"),
    ),
    "network": Field(
        "str",
        "self link or name of the cluster's VPC; it must already have private services access",
        check=matches(r"^\S+$", "a VPC name or self link"),
    ),
}

# NetworkPolicy enforcement on GKE. Dataplane V2 (`datapath_provider: ADVANCED_DATAPATH`) enforces
# them natively but is ForceNew on the cluster (google-beta resource_container_cluster.go), so a
# cluster created without it enables Calico enforcement in place instead (`network_policy`).
GKE_DATAPLANE_V2 = "DATAPLANE_V2"
GKE_CALICO = "CALICO"
GKE_NETWORK_POLICY_MODES = (GKE_DATAPLANE_V2, GKE_CALICO)

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
    "diskSizeGb": Field(
        "int",
        "node boot disk size",
        default=100,
        check=between(50, GCP_MAX_DISK_GB, "a persistent disk holds at most 64 TB"),
    ),
    # google-beta services/container/resource_container_cluster.go: validation.IsCIDRNetwork(28, 28),
    # "must not overlap with any other ranges in use within the cluster's network".
    "masterIpv4CidrBlock": Field(
        "str",
        "/28 for the private control plane",
        default="172.16.0.0/28",
        check=cidr_prefix(28, 28, "GKE takes a /28 for the private control plane"),
    ),
    "masterAuthorizedNetworks": Field(
        "list[str]",
        "CIDR blocks allowed to reach the control plane (empty: any, with credentials)",
        default=(),
        check=cidr_list,
    ),
    "networkPolicy": Field(
        "str",
        "how NetworkPolicies are enforced: DATAPLANE_V2 (new clusters) or CALICO (enabled in place on a cluster created without Dataplane V2)",
        default=GKE_DATAPLANE_V2,
        check=one_of(*GKE_NETWORK_POLICY_MODES),
    ),
    **CLUSTER_RESTORE_FIELDS,
    **CLUSTER_RESTORED_FIELDS,
}

GCP_NETWORK_FIELDS: dict[str, Field] = {
    "subnetCidr": Field("str", "primary range of the node subnet", default="10.10.0.0/20", check=cidr_block),
    "podsCidr": Field("str", "secondary range for pods", default="10.20.0.0/14", check=cidr_block),
    "servicesCidr": Field("str", "secondary range for services", default="10.30.0.0/20", check=cidr_block),
    "privateServicesPrefixLength": Field(
        "int", "size of the range reserved for Cloud SQL private IP", default=16, check=between(8, 24)
    ),
}


def gcs_data_locations(values: tuple[str, ...]) -> str | None:
    if not values:
        return None
    if len(values) != 2 or not all(re.match(r"^[a-z]+-[a-z]+\d+$", v) for v in values):
        return "must be two regions such as [us-central1, us-east1] (a configurable dual-region)"
    return None if values[0] != values[1] else "must be two different regions"


GCP_REGISTRY_FIELDS: dict[str, Field] = {
    "noncurrentVersionDays": Field(
        "int",
        "days a deleted or overwritten registry object is kept as a noncurrent version",
        default=30,
        check=at_least(7, "a week to notice a bad delete"),
    ),
    "location": Field(
        "str",
        "bucket location: the stack's region (default), a dual-region or a multi-region (images survive the region); set it before the bucket is created",
        default=None,
        check=gcs_location,
    ),
    "dataLocations": Field(
        "list[str]",
        "two regions of a configurable dual-region (location must then be US, EU or ASIA)",
        default=(),
        check=gcs_data_locations,
    ),
}

GCP_DNS_FIELDS: dict[str, Field] = {
    "managedZone": Field("str", "Cloud DNS managed zone that holds baseDomain", check=dns_label(63)),
}


@dataclass(frozen=True)
class GcpDatabaseSettings(DatabaseTopology):
    backup_start_time: str
    backup_retention_days: int
    point_in_time_recovery: bool
    tier: str
    postgres_version: str
    high_availability: bool
    disk_size_gb: int
    # A multi-region or another region: where backups outlive the instance's region.
    backup_location: str = "us"
    # A standby's replica REGIONAL before promotion (components/gcp/replica.py); False: ZONAL until then.
    replica_high_availability: bool = False


@dataclass(frozen=True)
class GcpExistingCluster:
    name: str
    location: str
    network: str


@dataclass(frozen=True)
class GcpClusterSettings:
    existing: GcpExistingCluster | None
    kubernetes_version: str
    release_channel: str
    machine_type: str
    min_nodes_per_zone: int
    max_nodes_per_zone: int
    disk_size_gb: int
    master_ipv4_cidr_block: str
    master_authorized_networks: tuple[str, ...]
    network_policy: str = GKE_DATAPLANE_V2


@dataclass(frozen=True)
class GcpNetworkSettings:
    subnet_cidr: str
    pods_cidr: str
    services_cidr: str
    private_services_prefix_length: int


@dataclass(frozen=True)
class GcpRegistrySettings:
    noncurrent_version_days: int
    # None: the stack's region.
    location: str | None = None
    data_locations: tuple[str, ...] = ()


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
    dns: GcpDnsSettings | None
    # A throwaway (drill) stack being torn down: every deletion guard lifted.
    teardown: bool = False


# Object-valued keys of the astronomer-dr namespace on a GCP stack.
GCP_OBJECT_FIELDS: dict[str, Mapping[str, Field]] = {
    "platform": PLATFORM_FIELDS,
    "database": GCP_DATABASE_FIELDS,
    "cluster": GCP_CLUSTER_FIELDS,
    "network": GCP_NETWORK_FIELDS,
    "registry": GCP_REGISTRY_FIELDS,
    "dns": GCP_DNS_FIELDS,
    "backups": BACKUPS_FIELDS,
}


def _check_gcp_ranges(network: dict | None, cluster: dict | None, problems: Problems) -> None:
    """The node subnet, pod and service ranges and the control plane's /28 must not overlap (GKE
    refuses the cluster, after the network was already built). The private services range is
    allocated by Google from free space of the VPC (a prefix length only), so it cannot overlap."""
    if not network:
        return
    ranges = {
        "network.subnetCidr": network["subnet_cidr"],
        "network.podsCidr": network["pods_cidr"],
        "network.servicesCidr": network["services_cidr"],
    }
    if cluster and not cluster["existing"]:
        ranges["cluster.masterIpv4CidrBlock"] = cluster["master_ipv4_cidr_block"]
    pair = overlapping(ranges)
    if pair:
        # Either one may be the edit at fault: both keys are named.
        for one, other in (pair, pair[::-1]):
            problems.add(
                f"{PROJECT}:{one}",
                f"overlaps {other} ({ranges[other]}): every range of the cluster's network must be distinct, got {ranges[one]!r}",
            )


def parse_gcp(
    config: Mapping[str, str], objects: dict[str, dict | None], problems: Problems, now: datetime
) -> GcpSettings | None:
    project = require_provider_key(config, "gcp:project", "the GCP project to rebuild in", problems)
    region = require_provider_key(config, "gcp:region", "the GCP region to rebuild in", problems)
    project = provider_config.check_provider_key(config, "gcp:project", provider_config.gcp_project, problems) or ""
    region = provider_config.check_provider_key(config, "gcp:region", provider_config.gcp_region, problems) or ""
    cluster, database, registry = objects.get("cluster"), objects.get("database"), objects.get("registry")
    _check_gcp_ranges(objects.get("network"), cluster, problems)
    if cluster and cluster["min_nodes_per_zone"] > cluster["max_nodes_per_zone"]:
        problems.add(f"{PROJECT}:cluster.minNodesPerZone", "must not exceed maxNodesPerZone")
    if database and not database["point_in_time_recovery"]:
        # Agrees with the policy pack: cloudsql-point-in-time-recovery is mandatory (policy/README.md),
        # so false would pass `make up` and then fail the CI preview.
        problems.add(
            f"{PROJECT}:database.pointInTimeRecovery",
            "must be true: without transaction logs the newest restorable state is last night's backup, and the "
            "policy pack (cloudsql-point-in-time-recovery, mandatory) refuses it in every preview",
        )
    if database:
        database = {
            **database,
            "restore": check_topology(
                database,
                now=now,
                window=timedelta(days=GCP_TRANSACTION_LOG_DAYS),
                window_what="window of Cloud SQL transaction logs",
                problems=problems,
                pitr_enabled=database["point_in_time_recovery"],
            ),
            "promoted": check_promoted(database, problems, now),
        }
        location = database["backup_location"] or (default_backup_location(region) if region else None)
        if database["backup_location"] and database["backup_location"] == region:
            problems.add(
                f"{PROJECT}:database.backupLocation",
                f"must be a location other than the instance's region {region}: backups there are lost with the region",
            )
        elif region and location is None:
            problems.add(
                f"{PROJECT}:database.backupLocation",
                f"required in {region} (no Cloud SQL multi-region contains it): set a region other than {region}, e.g. its nearest neighbour",
            )
        database["backup_location"] = location
    if registry and registry["data_locations"] and (registry["location"] or "").upper() not in GCS_MULTI_REGIONS:
        problems.add(
            f"{PROJECT}:registry.dataLocations",
            f"needs registry.location set to the multi-region holding both regions ({', '.join(GCS_MULTI_REGIONS)})",
        )
    network = objects.get("network")
    # Every object parsed (dns may be left out); naming the four again narrows them for the settings.
    if problems.items or any(objects.get(k) is None for k in GCP_OBJECT_FIELDS if k not in OPTIONAL_OBJECTS):
        return None
    if network is None or cluster is None or database is None or registry is None:
        return None
    existing, dns = cluster["existing"], objects.get("dns")
    return GcpSettings(
        project=project,
        region=region,
        network=GcpNetworkSettings(**network),
        cluster=GcpClusterSettings(**{**cluster, "existing": GcpExistingCluster(**existing) if existing else None}),
        database=GcpDatabaseSettings(**database),
        registry=GcpRegistrySettings(**registry),
        dns=GcpDnsSettings(**dns) if dns else None,
    )
