"""A standby on GCP in a second region: the primary's replica, promoted in place at failover.

Network: the standby shares the primary's VPC (a GCP VPC is global) with its own subnet, pod and
service ranges, router and NAT in its region. Not a VPC of its own peered to the primary's: Cloud
SQL's private IP lives in a service producer network peered to one consumer VPC (private services
access), VPC peering is not transitive, so a cluster in a second, peered VPC could not reach the
replica's private IP; and the replica must sit on the VPC whose private services access it uses.
One VPC, one private services access (global, serving every region), ranges that must not overlap
(checked against the primary's exported ranges).

Registry: the primary's bucket, reached with the primary's Google service account. The primary
binds that account only to its own cluster's registry ServiceAccount
(`<project>.svc.id.goog[<namespace>/<release>-registry-<primary cluster>]`, gcp/registry.py): at
promotion the standby binds it to its own (`<release>-registry-<standby cluster>`, the name its
registry runs as), one more `roles/iam.workloadIdentityUser` member on that one account and nothing
on the bucket (same project: checked). The deployer of the standby needs
`iam.serviceAccounts.setIamPolicy` on that account. The bucket survives the region only in a dual-
or multi-region (`registry.location` on the primary): a regional one is refused before promotion
(components/config/standby.py, `registry_gap`), and at promotion warned about: the promoted
platform then gets a registry bucket and identity of its own in this region, empty (images come
back with `astro deploy` from git) rather than a failover refused.

Cluster: warm (declared all along) or cold (declared at promotion); the platform, its static IP and
its DNS record only at promotion (the record would otherwise take the primary's name over).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import serviceaccount

from ..config import BackupSettings, GcpSettings, PlatformSettings, PrimaryFacts, StandbySettings
from ..platform.chart import registry_service_account_name
from ..platform.component import DatabaseEndpoint
from ..platform.values import GcsRegistryStorage, LoadBalancer
from ..platform.velero_chart import BackupSource, BackupStorage
from ..standby import standby_backup_source
from .backups import BackupBucket, BackupBucketArgs
from .cluster import Cluster, ClusterArgs
from .ingress import Ingress, IngressArgs
from .network import Network, NetworkArgs
from .registry import RegistryStorage, RegistryStorageArgs, workload_identity_member
from .replica import ReplicaDatabase, ReplicaDatabaseArgs
from .versions import resolve_gke_version


def checked(value: str | None, output: str) -> str:
    """A primary's output that check_primary (components/config.py) refused the primary without."""
    assert value is not None, f"the primary's {output} output was checked to be there"
    return value


def standby_registry_identity(
    resource_name: str,
    *,
    project: str,
    namespace: str,
    release_name: str,
    cluster_name: str,
    service_account_email: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> serviceaccount.IAMMember:
    """The promoted standby's registry ServiceAccount allowed to act as the primary's registry account.

    A member added to that account's policy (IAMMember: non-authoritative, the primary's own binding
    stays). Workload Identity tells clusters of a project apart only by the ServiceAccount's name, so
    the member carries this stack's cluster (workload_identity_member)."""
    return serviceaccount.IAMMember(
        resource_name,
        service_account_id=pulumi.Output.from_input(service_account_email).apply(
            lambda email: f"projects/{project}/serviceAccounts/{email}"
        ),
        role="roles/iam.workloadIdentityUser",
        member=workload_identity_member(project, namespace, release_name, cluster_name),
        opts=opts,
    )


@dataclass
class GcpStandbyFoundationArgs:
    settings: GcpSettings
    platform: PlatformSettings
    standby: StandbySettings
    primary: pulumi.Output[PrimaryFacts]
    # Velero: on a warm standby from the start (the primary's bucket, read-only), its own backups once promoted (None: no Velero).
    backups: BackupSettings | None = None
    # The primary's database password (its `database_password` output, secret): the replica's users
    # are the primary's, with their passwords, and stay so once promoted (components/gcp/replica.py).
    primary_password: pulumi.Output[str] | None = None


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

        def _warn(facts: PrimaryFacts) -> PrimaryFacts:
            for warning in facts.warnings:
                pulumi.log.warn(warning, resource=self)
            return facts

        primary = primary.apply(_warn)
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
                password=args.primary_password,
                teardown=settings.teardown,
            ),
            opts=child,
        )

        self.declares_platform = standby.promote
        # Velero runs wherever this stack has a cluster (standby_backups): on a warm standby before
        # promotion with the primary's bucket alone, read-only and synced, so that the restore
        # declared at promotion starts at once; from promotion on it also backs up this stack's own
        # deployments into a bucket of its own (the same identity, given that bucket).
        self.backup_storage = None
        self.backup_source: pulumi.Output[BackupSource] | BackupSource | None = None
        self.backup_own_location = standby.promote
        self.backup_dependencies: list[pulumi.Resource] = []
        self.backup_identity: pulumi.Output[BackupStorage] | None = None
        self.backup_location_dependencies: list[pulumi.Resource] = []
        backup_outputs: dict = {}
        if args.backups is not None and cluster is not None:
            self.backup_source = standby_backup_source(standby, args.backups, primary)
            backups = BackupBucket(
                f"{name}-backups",
                BackupBucketArgs(
                    args.backups,
                    project=settings.project,
                    cluster_name=name,
                    identity_pool_ready=cluster.identity_pool_ready,
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
            self.backup_dependencies = [*cluster.ready, *backups.identity_grants]
            self.backup_location_dependencies = backups.bucket_grants
            if backups.bucket_name is not None:
                backup_outputs = {"backups_bucket": backups.bucket_name}
            # Velero's Kubernetes provider: the cluster's (the platform's too, once promoted).
            self.kubernetes_provider = cluster.provider
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
            # Read on every run, so a primary without it is refused before the day of the failover; and
            # what a standby of this stack (failback) logs in with in turn.
            "database_password": database.password,
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
            promoted_cluster = cluster

            def registry_storage(facts: PrimaryFacts) -> pulumi.Output[GcsRegistryStorage]:
                return self._registry(name, facts, settings, platform, promoted_cluster)

            self.registry_storage: pulumi.Output[GcsRegistryStorage] = primary.apply(registry_storage)
            # What the promoted platform's registry uses (the primary's bucket, or its own).
            self.outputs["registry_bucket"] = self.registry_storage.apply(lambda r: r.bucket)
            self.outputs["registry_service_account"] = self.registry_storage.apply(lambda r: r.service_account_email)
            self.outputs["registry_location"] = primary.apply(lambda p: p.registry_location or settings.region)
            self.load_balancer = ingress.address.apply(lambda ip: LoadBalancer(ip_address=ip))
            self.platform_dependencies = [*cluster.ready, database]
            self.outputs["static_ip"] = ingress.address
        self.register_outputs(self.outputs)

    def _registry(
        self, name: str, facts: PrimaryFacts, settings: GcpSettings, platform: PlatformSettings, cluster: Cluster
    ) -> pulumi.Output[GcsRegistryStorage]:
        """The primary's registry bucket when it outlives the primary's region; else (a gap warned
        about at promotion) a registry bucket and identity of this stack's own, in its region. Known
        only from the primary's facts, so declared inside their apply: a StackReference's outputs are
        known in a preview too, so the preview shows it."""
        if facts.registry_usable:
            email = checked(facts.registry_service_account, "registry_service_account")
            identity = standby_registry_identity(
                f"{name}-registry-workload-identity",
                project=settings.project,
                namespace=platform.namespace,
                release_name=platform.release_name,
                cluster_name=name,
                service_account_email=email,
                opts=pulumi.ResourceOptions(parent=self, depends_on=cluster.identity_pool_ready),
            )
            # The registry starts once its binding exists: its storage waits on it.
            return identity.urn.apply(
                lambda _: GcsRegistryStorage(
                    bucket=checked(facts.registry_bucket, "registry_bucket"),
                    service_account_email=email,
                    # The name the binding names: this cluster's, never the primary's.
                    service_account_name=registry_service_account_name(platform.release_name, name),
                )
            )
        registry = RegistryStorage(
            f"{name}-registry",
            RegistryStorageArgs(
                settings.registry,
                project=settings.project,
                location=settings.region,
                namespace=platform.namespace,
                release_name=platform.release_name,
                cluster_name=name,
                identity_pool_ready=cluster.identity_pool_ready,
                teardown=settings.teardown,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The registry starts once its grants exist: its storage waits on them.
        grants = [g.urn for g in registry.grants]
        return pulumi.Output.all(registry.bucket_name, registry.service_account_email, *grants).apply(
            lambda v: GcsRegistryStorage(
                bucket=v[0], service_account_email=v[1], service_account_name=registry.kubernetes_service_account
            )
        )
