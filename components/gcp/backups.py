"""The Airflow deployments' backups on GCP: a protected GCS bucket outside the region, and Velero's
keyless identity scoped to it.

Velero writes the backups of every deployment namespace here (components/platform/velero.py). The
bucket is separate from the registry's, lives in a multi- or dual-region by default (it survives the
stack's region), keeps overwritten and deleted objects, and is protected twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import serviceaccount, storage

from ..config import BackupSettings
from ..platform.velero_chart import VELERO_NAMESPACE, VELERO_SERVICE_ACCOUNT, BackupStorage
from .buckets import private_bucket
from .cluster import workload_pool
from .registry import service_account_id

# velero-plugin-for-gcp README ("Set permissions for Velero"): objectAdmin on the bucket; its custom
# role of compute.* permissions is "required by Velero to manage snapshot resources", and this
# program uses file-system backup only (no VolumeSnapshotLocation), so no project-level role.
BACKUP_BUCKET_ROLES = ("roles/storage.objectAdmin", "roles/storage.legacyBucketReader")
# Another stack's bucket, restored from: read only.
SOURCE_BUCKET_ROLES = ("roles/storage.objectViewer", "roles/storage.legacyBucketReader")
# Signed URLs for `velero backup logs` / `velero restore describe --details` with Workload
# Identity: the plugin signs as the account named in the location's `serviceAccount` config, which
# needs iam.serviceAccounts.signBlob on itself (README, note under the role's permissions).
SIGN_ROLE = "roles/iam.serviceAccountTokenCreator"
# Overwritten or deleted backup files are kept this long beyond a backup's own retention.
NONCURRENT_DAYS = 30


@dataclass
class BackupBucketArgs:
    settings: BackupSettings
    project: str
    identity_pool_ready: Sequence[pulumi.Resource] = ()
    teardown: bool = False


def backup_bucket_location(settings: BackupSettings) -> str:
    """GCS takes multi- and dual-region names in upper case (US, EU, NAM4)."""
    return settings.location.upper() if "-" not in settings.location else settings.location


class BackupBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    service_account_email: pulumi.Output[str]
    storage: pulumi.Output[BackupStorage]
    grants: list[pulumi.Resource]

    def __init__(self, name: str, args: BackupBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/backups:BackupBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = private_bucket(
            name,
            project=args.project,
            location=backup_bucket_location(args.settings),
            noncurrent_version_days=NONCURRENT_DAYS,
            app="velero",
            teardown=args.teardown,
            parent=self,
        )
        account = serviceaccount.Account(
            f"{name}-identity",
            account_id=service_account_id(name),
            display_name="Velero (Workload Identity)",
            description="Used by Velero to write and read the Airflow deployments' backups in the backups bucket.",
            opts=child,
        )
        self.grants = [
            storage.BucketIAMMember(
                f"{name}-{role.rsplit('.', 1)[-1]}", bucket=bucket.name, role=role, member=account.member, opts=child
            )
            for role in BACKUP_BUCKET_ROLES
        ]
        # A restore from another stack's bucket: read it, never write (the location is ReadOnly too).
        if args.settings.source_bucket:
            self.grants += [
                storage.BucketIAMMember(
                    f"{name}-source-{role.rsplit('.', 1)[-1]}",
                    bucket=args.settings.source_bucket,
                    role=role,
                    member=account.member,
                    opts=child,
                )
                for role in SOURCE_BUCKET_ROLES
            ]
        self.grants.append(
            serviceaccount.IAMMember(
                f"{name}-sign", service_account_id=account.name, role=SIGN_ROLE, member=account.member, opts=child
            )
        )
        self.grants.append(
            serviceaccount.IAMMember(
                f"{name}-workload-identity",
                service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=f"serviceAccount:{workload_pool(args.project)}[{VELERO_NAMESPACE}/{VELERO_SERVICE_ACCOUNT}]",
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.identity_pool_ready)),
            )
        )
        self.bucket_name = bucket.name
        self.service_account_email = account.email
        self.storage = pulumi.Output.all(bucket.name, account.email).apply(
            lambda v: BackupStorage(
                provider="gcp",
                bucket=v[0],
                config={"serviceAccount": v[1]},
                service_account_annotations={"iam.gke.io/gcp-service-account": v[1]},
            )
        )
        self.register_outputs({"bucket_name": self.bucket_name, "service_account_email": self.service_account_email})
