"""Registry storage: a protected, versioned GCS bucket and a keyless identity scoped to it.

The registry keeps every deploy image and would lose them with its disk; in a bucket they survive
the cluster. Its pods reach the bucket as a Google service account through Workload Identity.
With `registry.location` a dual- or multi-region (or `dataLocations`, a configurable dual-region),
the images also survive the loss of the stack's region.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import serviceaccount, storage

from ..config import GcpRegistrySettings
from ..platform.chart import registry_service_account_name
from .buckets import private_bucket
from .cluster import workload_pool

# objectAdmin: read, write, delete and list images. legacyBucketReader: bucket metadata, which the
# registry's GCS driver reads. Astronomer also lists legacyBucketOwner, but that role can change
# the bucket's IAM policy, which the registry never needs.
REGISTRY_BUCKET_ROLES = ("roles/storage.objectAdmin", "roles/storage.legacyBucketReader")


@dataclass
class RegistryStorageArgs:
    settings: GcpRegistrySettings
    project: str
    location: str
    namespace: str
    release_name: str
    # The GKE cluster the registry runs in (ours, or the existing one): scopes its identity.
    cluster_name: str
    # The Workload Identity binding fails until the project's identity pool exists (see Cluster).
    identity_pool_ready: Sequence[pulumi.Resource] = ()
    # A throwaway stack being torn down: the bucket (and every image in it) may be deleted.
    teardown: bool = False


def bucket_placement(
    settings: GcpRegistrySettings, region: str
) -> tuple[str, storage.BucketCustomPlacementConfigArgs | None]:
    """The bucket's location: the stack's region, or a dual-/multi-region whose images survive it."""
    location = settings.location or region
    if not settings.data_locations:
        return location, None
    return location.upper(), storage.BucketCustomPlacementConfigArgs(
        data_locations=[r.upper() for r in settings.data_locations]
    )


def service_account_id(name: str) -> str:
    """A valid service account id (6-30 chars, [a-z][-a-z0-9]*[a-z0-9]) derived from a resource name."""
    base = re.sub(r"[^a-z0-9-]", "-", name.lower())[:30].rstrip("-")
    return base if len(base) >= 6 else f"{base}-registry"


def workload_identity_member(project: str, namespace: str, release_name: str, cluster: str) -> str:
    """The Kubernetes ServiceAccount the chart's registry runs as, seen as a Google principal.

    Every GKE cluster of a project shares the pool `<project>.svc.id.goog`, and a principal names
    only `[namespace/ServiceAccount]` ("identity sameness",
    https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity): with the chart's
    default name, a drill cluster in the same project would be this bucket's objectAdmin. The
    ServiceAccount's name carries this stack's cluster, so no other stack's registry matches."""
    sa = registry_service_account_name(release_name, cluster)
    return f"serviceAccount:{workload_pool(project)}[{namespace}/{sa}]"


class RegistryStorage(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    service_account_email: pulumi.Output[str]
    # Grants the registry needs before it starts.
    grants: list[pulumi.Resource]

    def __init__(self, name: str, args: RegistryStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/registry:RegistryStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Set when the bucket is created: a bucket never changes location (a new one would be needed).
        location, placement = bucket_placement(args.settings, args.location)

        bucket = private_bucket(
            name,
            project=args.project,
            location=location,
            placement=placement,
            noncurrent_version_days=args.settings.noncurrent_version_days,
            app="astronomer",
            teardown=args.teardown,
            parent=self,
        )

        account = serviceaccount.Account(
            f"{name}-identity",
            account_id=service_account_id(name),
            display_name="Astronomer registry (Workload Identity)",
            description="Used by the Astronomer registry pods to store images in the registry bucket.",
            opts=child,
        )
        self.grants = [
            storage.BucketIAMMember(
                f"{name}-{role.rsplit('.', 1)[-1]}",
                bucket=bucket.name,
                role=role,
                member=account.member,
                opts=child,
            )
            for role in REGISTRY_BUCKET_ROLES
        ]
        self.grants.append(
            serviceaccount.IAMMember(
                f"{name}-workload-identity",
                service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=workload_identity_member(args.project, args.namespace, args.release_name, args.cluster_name),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.identity_pool_ready)),
            )
        )

        self.bucket_name = bucket.name
        self.service_account_email = account.email
        self.kubernetes_service_account = registry_service_account_name(args.release_name, args.cluster_name)
        self.register_outputs({"bucket_name": self.bucket_name, "service_account_email": self.service_account_email})
