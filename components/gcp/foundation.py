"""Everything on GCP that the platform stands on, wired together in recovery order."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from ..config import BackupSettings, GcpSettings, PlatformSettings
from ..platform.component import DatabaseEndpoint
from ..platform.values import GcsRegistryStorage, LoadBalancer
from .backups import BackupBucket, BackupBucketArgs
from .cluster import Cluster, ClusterArgs
from .database import Database, DatabaseArgs
from .ingress import Ingress, IngressArgs
from .network import Network, NetworkArgs, network_id
from .registry import RegistryStorage, RegistryStorageArgs
from .versions import resolve_gke_version


@dataclass
class GcpFoundationArgs:
    settings: GcpSettings
    platform: PlatformSettings
    # Velero's backups of the Airflow deployments: their bucket and identity (None: no Velero).
    backups: BackupSettings | None = None
    # An adopted installation's database password (secret config), kept instead of generated.
    adopted_database_password: str | None = None


class GcpFoundation(pulumi.ComponentResource):
    def __init__(self, name: str, args: GcpFoundationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/foundation:GcpFoundation", name, None, opts)
        settings, platform = args.settings, args.platform
        child = pulumi.ResourceOptions(parent=self)

        existing = settings.cluster.existing
        # Asked of GKE before anything is declared: a channel without a version in the chart's range
        # is refused here, not after the network exists.
        kubernetes_version = (
            None
            if existing
            else resolve_gke_version(
                settings.cluster.release_channel, settings.cluster.kubernetes_version, settings.project, settings.region
            )
        )
        network = None if existing else Network(name, NetworkArgs(settings.network, settings.region), opts=child)
        # The database's private network: the existing cluster's, or the one declared here (with
        # its private services range, which the instance waits for).
        database_network: pulumi.Input[str]
        database_depends_on: list[pulumi.Resource] = []
        allocated_ip_range: pulumi.Input[str] | None = None
        network_link: pulumi.Input[str]
        if existing:
            database_network = network_id(settings.project, existing.network)
            network_link = existing.network
        else:
            assert network is not None
            database_network = network.network_id
            if network.private_services_access is not None:  # always, on a primary's own VPC
                database_depends_on.append(network.private_services_access)
            allocated_ip_range = network.private_services_range_name
            network_link = network.network_self_link
        cluster = Cluster(
            name,
            ClusterArgs(
                settings.cluster,
                settings.project,
                settings.region,
                network,
                teardown=settings.teardown,
                kubernetes_version=kubernetes_version,
            ),
            opts=child,
        )
        database = Database(
            f"{name}-db",
            DatabaseArgs(
                settings.database,
                region=settings.region,
                network=database_network,
                depends_on=database_depends_on,
                allocated_ip_range=allocated_ip_range,
                teardown=settings.teardown,
                adopted_password=args.adopted_database_password,
            ),
            opts=child,
        )
        registry = RegistryStorage(
            f"{name}-registry",
            RegistryStorageArgs(
                settings.registry,
                project=settings.project,
                location=settings.region,
                namespace=platform.namespace,
                release_name=platform.release_name,
                cluster_name=existing.name if existing else name,
                identity_pool_ready=cluster.identity_pool_ready,
                teardown=settings.teardown,
            ),
            opts=child,
        )
        ingress = Ingress(
            f"{name}-ingress",
            IngressArgs(
                region=settings.region,
                base_domain=platform.base_domain,
                dns=settings.dns,
                # An internal address in the nodes' subnet (the existing cluster's, or ours).
                internal_subnet=cluster.subnetwork if platform.private_load_balancer else None,
                teardown=settings.teardown,
            ),
            opts=child,
        )

        backups = None
        if args.backups is not None:
            backups = BackupBucket(
                f"{name}-backups",
                BackupBucketArgs(
                    args.backups,
                    project=settings.project,
                    cluster_name=existing.name if existing else name,
                    identity_pool_ready=cluster.identity_pool_ready,
                    teardown=settings.teardown,
                ),
                opts=child,
            )
        # Where Velero keeps backups and what it needs first (None without backups).
        self.backup_storage = backups.storage if backups else None
        self.backup_dependencies = [*cluster.ready, *backups.grants] if backups else []

        self.kubernetes_provider = cluster.provider
        self.database = DatabaseEndpoint(
            host=database.private_ip_address,
            username=database.username,
            password=database.password,
            label=database.label,
            previous_hosts=database.previous_hosts,
            restoring=settings.database.restore is not None,
        )
        self.registry_storage = pulumi.Output.all(registry.bucket_name, registry.service_account_email).apply(
            lambda v: GcsRegistryStorage(
                bucket=v[0], service_account_email=v[1], service_account_name=registry.kubernetes_service_account
            )
        )
        self.load_balancer = ingress.address.apply(lambda ip: LoadBalancer(ip_address=ip))
        self.platform_dependencies = [*cluster.ready, *registry.grants]
        self.outputs = {
            "cluster_name": cluster.name,
            "kubeconfig": cluster.kubeconfig,
            "database_instance": database.instance_name,
            "database_connection_name": database.connection_name,
            # The label to promote a restore with (`primary: <label>`), and every declared instance.
            "database_label": database.label,
            "database_instances": {label: i.name for label, i in database.instances.items()},
            "registry_bucket": registry.bucket_name,
            "static_ip": ingress.address,
            # What a standby in a second region needs (components/standby.py): it shares this
            # project's global VPC (its ranges must not overlap these) and the registry bucket.
            "project": settings.project,
            "network": network_link,
            "network_ranges": []
            if existing
            else [
                settings.network.subnet_cidr,
                settings.network.pods_cidr,
                settings.network.services_cidr,
                settings.cluster.master_ipv4_cidr_block,
            ],
            "database_version": settings.database.postgres_version,
            "registry_location": settings.registry.location or settings.region,
            "registry_service_account": registry.service_account_email,
            # Secret: what a promoted standby logs in with (its replica carries this user; components/gcp/replica.py).
            "database_password": database.password,
            **({"backups_bucket": backups.bucket_name} if backups else {}),
        }
        self.register_outputs(self.outputs)
