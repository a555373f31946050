"""Everything on AWS that the platform stands on, wired together in recovery order."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from ..config import AwsSettings, PlatformSettings
from ..platform.component import DatabaseEndpoint
from ..platform.values import LoadBalancer, S3RegistryStorage
from .cluster import Cluster, ClusterArgs
from .database import Database, DatabaseArgs
from .ingress import nlb_annotations
from .network import Network, NetworkArgs
from .registry import RegistryStorage, RegistryStorageArgs


@dataclass
class AwsFoundationArgs:
    settings: AwsSettings
    platform: PlatformSettings


class AwsFoundation(pulumi.ComponentResource):
    def __init__(self, name: str, args: AwsFoundationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/foundation:AwsFoundation", name, None, opts)
        settings, platform = args.settings, args.platform
        child = pulumi.ResourceOptions(parent=self)

        existing = settings.cluster.existing
        cluster_name = existing.name if existing else name
        network = None if existing else Network(name, NetworkArgs(settings.network, cluster_name=cluster_name), opts=child)
        cluster = Cluster(name, ClusterArgs(settings.cluster, cluster_name, settings.region, network), opts=child)
        database = Database(
            f"{name}-db",
            DatabaseArgs(
                settings.database,
                # An existing cluster's database goes into that cluster's VPC and subnets.
                vpc_id=cluster.vpc_id if existing else network.vpc_id,
                subnet_ids=cluster.subnet_ids if existing else network.private_subnet_ids,
                client_security_group_id=cluster.security_group_id,
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
            ),
            opts=child,
        )

        self.kubernetes_provider = cluster.provider
        self.database = DatabaseEndpoint(host=database.address, username=database.username, password=database.password)
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
            "registry_bucket": registry.bucket_name,
            "registry_role_arn": registry.role_arn,
        }
        self.register_outputs(self.outputs)
