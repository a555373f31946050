"""Everything on AWS that the platform stands on, wired together in recovery order."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws.provider import Provider as AwsProvider

from ..config import AwsSettings, BackupSettings, PlatformSettings
from ..platform.component import DatabaseEndpoint
from ..platform.values import LoadBalancer, S3RegistryStorage
from .backups import BackupBucket, BackupBucketArgs
from .cluster import Cluster, ClusterArgs
from .database import Database, DatabaseArgs
from .ingress import nlb_annotations
from .network import Network, NetworkArgs
from .registry import RegistryStorage, RegistryStorageArgs
from .versions import resolve_eks_version


@dataclass
class AwsFoundationArgs:
    settings: AwsSettings
    platform: PlatformSettings
    # Velero's backups of the Airflow deployments: their bucket and identity (None: no Velero).
    backups: BackupSettings | None = None
    # An adopted installation's database password (secret config), kept instead of generated.
    adopted_database_password: str | None = None


class AwsFoundation(pulumi.ComponentResource):
    def __init__(self, name: str, args: AwsFoundationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/foundation:AwsFoundation", name, None, opts)
        settings, platform = args.settings, args.platform
        child = pulumi.ResourceOptions(parent=self)

        existing = settings.cluster.existing
        cluster_name = existing.name if existing else name
        # Asked of EKS before anything is declared: a version it no longer offers is refused here.
        version = None if existing else resolve_eks_version(settings.cluster.kubernetes_version)
        network = (
            None if existing else Network(name, NetworkArgs(settings.network, cluster_name=cluster_name), opts=child)
        )
        cluster = Cluster(
            name,
            ClusterArgs(
                settings.cluster, cluster_name, settings.region, network, teardown=settings.teardown, version=version
            ),
            opts=child,
        )
        # One provider per second region (backup replicas, registry replica). An explicit provider
        # takes its credentials from the environment (AWS_PROFILE, AWS_* variables, instance role),
        # not from `aws:` stack config.
        backups_region = args.backups.location if args.backups else None
        wanted = (settings.database.backup_replica_region, settings.registry.replica_region, backups_region)
        replica_regions = sorted({region for region in wanted if region is not None})
        providers: dict[str | None, AwsProvider] = {
            region: AwsProvider(f"{name}-{region}", region=region, opts=child) for region in replica_regions
        }
        database = Database(
            f"{name}-db",
            DatabaseArgs(
                settings.database,
                # An existing cluster's database goes into that cluster's VPC and subnets.
                vpc_id=cluster.vpc_id if network is None else network.vpc_id,
                subnet_ids=cluster.subnet_ids if network is None else network.private_subnet_ids,
                client_security_group_id=cluster.security_group_id,
                replica_provider=providers[settings.database.backup_replica_region],
                teardown=settings.teardown,
                adopted_password=args.adopted_database_password,
            ),
            opts=child,
        )
        registry = RegistryStorage(
            f"{name}-registry",
            RegistryStorageArgs(
                settings.registry,
                region=settings.region,
                namespace=platform.namespace,
                release_name=platform.release_name,
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer_url=cluster.oidc_issuer_url,
                replica_provider=providers.get(settings.registry.replica_region),
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
                    oidc_provider_arn=cluster.oidc_provider_arn,
                    oidc_issuer_url=cluster.oidc_issuer_url,
                    provider=providers[backups_region],
                    teardown=settings.teardown,
                ),
                opts=child,
            )
        # Where Velero keeps backups and what it needs first (None without backups): its chart needs
        # nodes and its grants; only a declared Restore needs volumes provisioned and room to grow.
        self.backup_storage = backups.storage if backups else None
        self.backup_dependencies = (
            [*(r for r in cluster.ready if r not in cluster.volumes), *backups.grants] if backups else []
        )
        self.restore_dependencies = [*cluster.volumes, *cluster.room] if backups else []

        self.kubernetes_provider = cluster.provider
        # Who the platform's pods are to IAM (IRSA): the DR alerts' Alertmanager role trusts it.
        self.oidc: tuple[pulumi.Output[str], pulumi.Output[str]] | None = (
            cluster.oidc_provider_arn,
            cluster.oidc_issuer_url,
        )
        self.database = DatabaseEndpoint(
            host=database.address,
            username=database.username,
            password=database.password,
            label=database.label,
            previous_hosts=database.previous_hosts,
            restoring=settings.database.restore is not None,
        )
        self.registry_storage = pulumi.Output.all(registry.bucket_name, registry.kms_key_arn, registry.role_arn).apply(
            lambda v: S3RegistryStorage(bucket=v[0], region=settings.region, kms_key_arn=v[1], role_arn=v[2])
        )
        self.load_balancer = pulumi.Output.from_input(
            LoadBalancer(service_annotations=nlb_annotations(private=platform.private_load_balancer))
        )
        self.platform_dependencies = [*cluster.ready, *registry.grants]
        self.outputs = {
            "cluster_name": cluster.name,
            "kubeconfig": cluster.kubeconfig,
            "database_instance": database.identifier,
            "database_address": database.address,
            # The label to promote a restore with (`primary: <label>`), and every declared instance.
            "database_label": database.label,
            "database_instances": {label: i.identifier for label, i in database.instances.items()},
            "database_backup_replica_region": settings.database.backup_replica_region,
            "registry_bucket": registry.bucket_name,
            "registry_role_arn": registry.role_arn,
            **(
                {"registry_replica_bucket": registry.replica_bucket_name}
                if registry.replica_bucket_name is not None
                else {}
            ),
            # What a standby in a second region needs (components/standby.py): a cross-region
            # replica's source is the instance's ARN; the registry's replica serves the standby.
            "database_arn": database.instances[database.label].arn,
            "database_version": settings.database.postgres_version,
            **(
                {
                    "registry_replica_region": settings.registry.replica_region,
                    "registry_replica_kms_key_arn": registry.replica_kms_key_arn,
                }
                if registry.replica_bucket_name is not None
                else {}
            ),
            **(
                {
                    "backups_bucket": backups.bucket_name,
                    "backups_role_arn": backups.role_arn,
                    "backups_kms_key_arn": backups.kms_key_arn,
                    "backups_region": backups_region,
                }
                if backups
                else {}
            ),
        }
        self.register_outputs(self.outputs)
