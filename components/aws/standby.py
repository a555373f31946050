"""A standby on AWS in a second region: the primary's replica, promoted in place at failover.

Network: a VPC of its own in the standby's region (VPCs are regional; nothing is peered: the
replica streams from the primary over RDS's own cross-region replication). Cluster: warm (declared
all along) or cold (declared at promotion). Registry: the primary's S3 replica in this region
(`registry.replicaRegion` on the primary), reached by an IRSA role of the standby's cluster scoped
to that bucket and its key; declared with the platform at promotion. A primary without that
replica is refused before promotion (components/config/standby.py, `registry_gap`); at promotion
it is warned about and the platform gets a registry bucket of its own in this region, empty
(images come back with `astro deploy`), rather than a failover refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws.get_caller_identity import get_caller_identity_output
from pulumi_aws.provider import Provider as AwsProvider

from ..config import AwsSettings, BackupSettings, PlatformSettings, PrimaryFacts, StandbySettings
from ..platform.chart import registry_service_account_name
from ..platform.component import DatabaseEndpoint
from ..platform.values import LoadBalancer, S3RegistryStorage
from ..platform.velero_chart import BackupSource, BackupStorage
from ..standby import standby_backup_source
from .backups import BackupBucket, BackupBucketArgs
from .buckets import bucket_name, private_bucket
from .cluster import Cluster, ClusterArgs
from .iam import service_account_role
from .ingress import nlb_annotations
from .network import Network, NetworkArgs
from .registry import registry_policy_statements
from .replica import ReplicaDatabase, ReplicaDatabaseArgs
from .versions import resolve_eks_version


@dataclass(frozen=True)
class RegistryReplica:
    """The primary's registry replica in the standby's region: what the promoted standby's registry serves."""

    bucket: str
    kms_key_arn: str

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}"


def registry_replica(facts: PrimaryFacts) -> RegistryReplica:
    """The primary's registry replica (check_primary: usable, `PrimaryFacts.registry_usable`)."""
    bucket, key = facts.registry_replica_bucket, facts.registry_replica_kms_key_arn
    assert bucket and key, "check_primary refuses a promotion whose primary keeps no registry replica here"
    return RegistryReplica(bucket=bucket, kms_key_arn=key)


@dataclass
class AwsStandbyFoundationArgs:
    settings: AwsSettings
    platform: PlatformSettings
    standby: StandbySettings
    primary: pulumi.Output[PrimaryFacts]
    # Velero: on a warm standby from the start (the primary's bucket, read-only), its own backups once promoted (None: no Velero).
    backups: BackupSettings | None = None


class AwsStandbyFoundation(pulumi.ComponentResource):
    def __init__(self, name: str, args: AwsStandbyFoundationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/standby:AwsStandbyFoundation", name, None, opts)
        settings, platform, standby, primary = args.settings, args.platform, args.standby, args.primary
        child = pulumi.ResourceOptions(parent=self)
        # Asked of EKS like the primary's (versions.py), before anything is declared: refused when
        # no longer offered, warned about in extended support.
        version = resolve_eks_version(settings.cluster.kubernetes_version) if standby.declares_cluster else None

        def _warn(facts: PrimaryFacts) -> PrimaryFacts:
            for warning in facts.warnings:
                pulumi.log.warn(warning, resource=self)
            return facts

        primary = primary.apply(_warn)
        network = Network(name, NetworkArgs(settings.network, cluster_name=name), opts=child)
        cluster = None
        if standby.declares_cluster:
            cluster = Cluster(
                name,
                ClusterArgs(
                    settings.cluster, name, settings.region, network, teardown=settings.teardown, version=version
                ),
                opts=child,
            )
        # One provider per other region the promoted stack writes to (backup replicas, Velero's bucket).
        providers: dict[str, AwsProvider] = {}
        if standby.promote:
            regions = {settings.database.backup_replica_region, *([args.backups.location] if args.backups else [])}
            providers = {
                region: AwsProvider(f"{name}-{region}", region=region, opts=child) for region in sorted(regions)
            }
        backup_provider = providers.get(settings.database.backup_replica_region)
        database = ReplicaDatabase(
            f"{name}-db",
            ReplicaDatabaseArgs(
                settings.database,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                source_arn=primary.apply(lambda p: p.database_instance),
                promote=standby.promote,
                client_security_group_id=cluster.security_group_id if cluster is not None else None,
                backup_provider=backup_provider,
                teardown=settings.teardown,
            ),
            opts=child,
        )

        self.declares_platform = standby.promote
        # Who the platform's pods are to IAM (IRSA), once promoted: the DR alerts' Alertmanager role trusts it.
        self.oidc = (
            (cluster.oidc_provider_arn, cluster.oidc_issuer_url) if cluster is not None and standby.promote else None
        )
        # Velero runs wherever this stack has a cluster (standby_backups): on a warm standby before
        # promotion with the primary's bucket alone, read-only and synced, so that the restore
        # declared at promotion starts at once; from promotion on it also backs up this stack's own
        # deployments into a bucket of its own (the same IRSA role, given that bucket).
        self.backup_storage = None
        self.backup_source: pulumi.Output[BackupSource] | BackupSource | None = None
        self.backup_own_location = standby.promote
        self.backup_dependencies: list[pulumi.Resource] = []
        self.restore_dependencies: list[pulumi.Resource] = []
        self.backup_identity: pulumi.Output[BackupStorage] | None = None
        self.backup_location_dependencies: list[pulumi.Resource] = []
        backup_outputs: dict = {}
        if args.backups is not None and cluster is not None:
            self.backup_source = standby_backup_source(standby, args.backups, primary)
            backups = BackupBucket(
                f"{name}-backups",
                BackupBucketArgs(
                    args.backups,
                    oidc_provider_arn=cluster.oidc_provider_arn,
                    oidc_issuer_url=cluster.oidc_issuer_url,
                    provider=providers.get(args.backups.location),
                    teardown=settings.teardown,
                    own_bucket=standby.promote,
                    source=self.backup_source,
                ),
                opts=child,
            )
            self.backup_storage = backups.storage
            # Velero and its pre-staged location wait for its identity only; its own location (from
            # promotion on) for its bucket too: the restore at promotion never waits for that bucket.
            self.backup_identity = backups.identity
            # Velero's chart needs nodes and its identity; only the Restore needs volumes
            # provisioned (the EBS CSI add-on, its StorageClass) and room to grow (as on a primary).
            self.backup_dependencies = [
                *(r for r in cluster.ready if r not in cluster.volumes),
                *backups.identity_grants,
            ]
            self.restore_dependencies = [*cluster.volumes, *cluster.room]
            self.backup_location_dependencies = backups.bucket_grants
            backup_outputs = {"backups_role_arn": backups.role_arn}
            if backups.bucket_name is not None:
                backup_outputs |= {
                    "backups_bucket": backups.bucket_name,
                    "backups_kms_key_arn": backups.kms_key_arn,
                    "backups_region": args.backups.location,
                }
            # Velero's Kubernetes provider: the cluster's (the platform's too, once promoted).
            self.kubernetes_provider = cluster.provider
        self.outputs = {
            "standby_of": standby.primary_stack,
            "standby_promoted": standby.promote,
            "standby_cluster": standby.cluster,
            "database_instance": database.identifier,
            "database_address": database.address,
            "database_label": database.label,
            "database_arn": database.arn,
            "database_version": settings.database.postgres_version,
            "database_backup_replica_region": settings.database.backup_replica_region,
            "registry_bucket": primary.apply(lambda p: p.registry_replica_bucket),
        }
        self.outputs.update(backup_outputs)
        if not standby.promote:
            self.outputs["replica_of"] = primary.apply(lambda p: p.database_instance)
        if cluster is not None:
            self.outputs.update({"cluster_name": cluster.name, "kubeconfig": cluster.kubeconfig})
        if standby.promote:
            assert cluster is not None
            invoke = pulumi.InvokeOutputOptions(parent=self)
            promoted_cluster = cluster
            replica = primary.apply(lambda p: self._registry(name, p, settings, promoted_cluster))
            role, grant = service_account_role(
                f"{name}-registry-irsa",
                role_name=f"{name}-registry",
                description="Astronomer registry pods (IRSA) on the standby: its registry bucket and its key only",
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer_url=cluster.oidc_issuer_url,
                namespace=platform.namespace,
                service_account=registry_service_account_name(platform.release_name),
                policy_name="registry-bucket",
                statements=replica.apply(lambda r: registry_policy_statements(r.bucket_arn, r.kms_key_arn)),
                opts=child,
                invoke=invoke,
            )
            self.kubernetes_provider = cluster.provider
            self.database = DatabaseEndpoint(
                host=database.address,
                username=database.username,
                password=database.password,
                label=database.label,
                # Deployments restored from the primary (Velero) still name its host: the platform's
                # repoint Job rewrites it to the promoted instance's (components/platform/repoint_job.py).
                previous_hosts=[primary.apply(lambda p: p.database_host)],
                # The repoint Job (and its grant) exists only while that restore is being carried out.
                restoring=args.backups is not None and args.backups.restore_backup is not None,
            )
            self.registry_storage = pulumi.Output.all(replica, role.arn).apply(
                lambda v: S3RegistryStorage(
                    bucket=v[0].bucket,
                    region=settings.region,
                    kms_key_arn=v[0].kms_key_arn,
                    role_arn=v[1],
                )
            )
            self.load_balancer = pulumi.Output.from_input(
                LoadBalancer(service_annotations=nlb_annotations(private=platform.private_load_balancer))
            )
            self.platform_dependencies = [*cluster.ready, grant, database]
            self.outputs["registry_role_arn"] = role.arn
            # What the promoted platform's registry uses (the primary's replica, or its own bucket).
            self.outputs["registry_bucket"] = replica.apply(lambda r: r.bucket)
        self.register_outputs(self.outputs)

    def _registry(
        self, name: str, facts: PrimaryFacts, settings: AwsSettings, cluster: Cluster
    ) -> pulumi.Output[RegistryReplica] | RegistryReplica:
        """The primary's registry replica in this region; else (a gap warned about at promotion) a
        registry bucket of this stack's own, in its region, empty. Known only from the primary's
        facts, so declared inside their apply: a StackReference's outputs are known in a preview
        too, so the preview shows it."""
        if facts.registry_usable:
            return registry_replica(facts)
        # The bucket and key of the primary's registry (components/aws/registry.py), in this region;
        # the IRSA role above is the one granted them.
        bucket = private_bucket(
            f"{name}-registry",
            physical_name=get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id.apply(
                lambda account: bucket_name(f"{name}-registry", account, settings.region)
            ),
            purpose="registry images",
            noncurrent_version_days=settings.registry.noncurrent_version_days,
            teardown=settings.teardown,
            opts=pulumi.ResourceOptions(parent=self),
            invoke=pulumi.InvokeOutputOptions(parent=self),
        )
        return pulumi.Output.all(bucket.bucket.bucket, bucket.key.arn).apply(
            lambda v: RegistryReplica(bucket=v[0], kms_key_arn=v[1])
        )
