"""A standby on GCP in a second region: the primary's replica, promoted in place at failover.

Network: the standby shares the primary's VPC (a GCP VPC is global) with its own subnet, pod and
service ranges, router and NAT in its region. Not a VPC of its own peered to the primary's: Cloud
SQL's private IP lives in a service producer network peered to one consumer VPC (private services
access), VPC peering is not transitive, so a cluster in a second, peered VPC could not reach the
replica's private IP; and the replica must sit on the VPC whose private services access it uses.
One VPC, one private services access (global, serving every region), ranges that must not overlap
(checked against the primary's exported ranges).

Registry: the primary's bucket, reached with the primary's Google service account. Its Workload
Identity binding names `<project>.svc.id.goog[<namespace>/<release>-registry]`, the project's one
identity pool, so the standby cluster's registry pods get it too (same project, same namespace and
release: checked). The bucket survives the region only in a dual- or multi-region
(`registry.location` on the primary); a regional bucket is warned about (images come back with
`astro deploy` from git).

Cluster: warm (declared all along) or cold (declared at promotion); the platform, its static IP and
its DNS record only at promotion (the record would otherwise take the primary's name over).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi

from ..config import BackupSettings, GcpSettings, PlatformSettings, PrimaryFacts, StandbySettings
from ..platform.component import DatabaseEndpoint
from ..platform.values import GcsRegistryStorage, LoadBalancer
from .backups import BackupBucket, BackupBucketArgs
from .cluster import Cluster, ClusterArgs
from .ingress import Ingress, IngressArgs
from .network import Network, NetworkArgs
from .replica import ReplicaDatabase, ReplicaDatabaseArgs
from .versions import resolve_gke_version

_SINGLE_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")


def checked(value: str | None, output: str) -> str:
    """A primary's output that check_primary (components/config.py) refused the primary without."""
    assert value is not None, f"the primary's {output} output was checked to be there"
    return value


def registry_survives_region(location: str) -> bool:
    """A GCS location other than a single region (a dual- or multi-region) outlives one region."""
    return not _SINGLE_REGION.match(location.lower())


@dataclass
class GcpStandbyFoundationArgs:
    settings: GcpSettings
    platform: PlatformSettings
    standby: StandbySettings
    primary: pulumi.Output[PrimaryFacts]
    # Velero's backups of the deployments once promoted (None: no Velero).
    backups: BackupSettings | None = None


class GcpStandbyFoundation(pulumi.ComponentResource):
    def __init__(self, name: str, args: GcpStandbyFoundationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/standby:GcpStandbyFoundation", name, None, opts)
        settings, platform, standby, primary = args.settings, args.platform, args.standby, args.primary
        child = pulumi.ResourceOptions(parent=self)
        # Chosen from what the channel offers, like the primary's (versions.py), before anything is
        # declared: a channel without a version in the chart's range is refused here.
        version = (
            resolve_gke_version(
                settings.cluster.release_channel, settings.cluster.kubernetes_version, settings.project, settings.region
            )
            if standby.declares_cluster
            else None
        )

        def _warn_registry(facts: PrimaryFacts) -> PrimaryFacts:
            if not registry_survives_region(checked(facts.registry_location, "registry_location")):
                pulumi.log.warn(
                    f"standby: the primary's registry bucket is in {facts.registry_location} only; its images are lost with "
                    "that region (redeploy with `astro deploy`). Set registry.location to a dual- or multi-region on the "
                    "primary before its bucket is created (README, 'A standby in a second region')",
                    resource=self,
                )
            return facts

        primary = primary.apply(_warn_registry)
        network = Network(
            name,
            NetworkArgs(
                settings.network, settings.region, shared_vpc=primary.apply(lambda p: checked(p.network, "network"))
            ),
            opts=child,
        )
        cluster = None
        if standby.declares_cluster:
            cluster = Cluster(
                name,
                ClusterArgs(
                    settings.cluster,
                    settings.project,
                    settings.region,
                    network,
                    teardown=settings.teardown,
                    kubernetes_version=version,
                ),
                opts=child,
            )
        database = ReplicaDatabase(
            f"{name}-db",
            ReplicaDatabaseArgs(
                settings.database,
                region=settings.region,
                network=network.network_id,
                source_instance=primary.apply(lambda p: p.database_instance),
                promote=standby.promote,
                teardown=settings.teardown,
            ),
            opts=child,
        )

        self.declares_platform = standby.promote
        # Velero runs where the platform does: from promotion on, this stack backs up its own
        # deployments into a bucket of its own (the primary's bucket is read through
        # cluster.restore.sourceBucket to bring them back); before it, there is nothing to back up.
        self.backup_storage = None
        self.backup_dependencies: list[pulumi.Resource] = []
        backup_outputs: dict = {}
        if standby.promote and args.backups is not None and cluster is not None:
            backups = BackupBucket(
                f"{name}-backups",
                BackupBucketArgs(
                    args.backups,
                    project=settings.project,
                    identity_pool_ready=cluster.identity_pool_ready,
                    teardown=settings.teardown,
                ),
                opts=child,
            )
            self.backup_storage = backups.storage
            self.backup_dependencies = [*cluster.ready, *backups.grants]
            backup_outputs = {"backups_bucket": backups.bucket_name}
        self.outputs = {
            "standby_of": standby.primary_stack,
            "standby_promoted": standby.promote,
            "standby_cluster": standby.cluster,
            "database_instance": database.instance_name,
            "database_connection_name": database.connection_name,
            "database_label": database.label,
            "registry_bucket": primary.apply(lambda p: p.registry_bucket),
            "project": settings.project,
            "network": network.network_self_link,
            "network_ranges": [
                settings.network.subnet_cidr,
                settings.network.pods_cidr,
                settings.network.services_cidr,
                settings.cluster.master_ipv4_cidr_block,
            ],
            "database_version": settings.database.postgres_version,
            "registry_location": primary.apply(lambda p: p.registry_location),
            "registry_service_account": primary.apply(lambda p: p.registry_service_account),
        }
        self.outputs.update(backup_outputs)
        if not standby.promote:
            self.outputs["replica_of"] = primary.apply(lambda p: p.database_instance)
        if cluster is not None:
            self.outputs.update({"cluster_name": cluster.name, "kubeconfig": cluster.kubeconfig})
        if standby.promote:
            assert cluster is not None
            ingress = Ingress(
                f"{name}-ingress",
                IngressArgs(
                    region=settings.region,
                    base_domain=platform.base_domain,
                    dns=settings.dns,
                    internal_subnet=network.subnet_self_link if platform.private_load_balancer else None,
                    teardown=settings.teardown,
                ),
                opts=child,
            )
            self.kubernetes_provider = cluster.provider
            self.database = DatabaseEndpoint(
                host=database.private_ip_address,
                username=database.username,
                password=database.password,
                label=database.label,
                # Deployments restored from the primary (Velero) still name its host: the platform's
                # repoint Job rewrites it to the promoted instance's (components/platform/repoint_job.py).
                previous_hosts=[primary.apply(lambda p: p.database_host)],
                # The repoint Job (and its grant) exists only while that restore is being carried out.
                restoring=args.backups is not None and args.backups.restore_backup is not None,
            )
            self.registry_storage = primary.apply(
                lambda p: GcsRegistryStorage(
                    bucket=checked(p.registry_bucket, "registry_bucket"),
                    service_account_email=checked(p.registry_service_account, "registry_service_account"),
                )
            )
            self.load_balancer = ingress.address.apply(lambda ip: LoadBalancer(ip_address=ip))
            self.platform_dependencies = [*cluster.ready, database]
            self.outputs["static_ip"] = ingress.address
        self.register_outputs(self.outputs)
