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
from ..platform.velero_chart import (
    BACKUPS_PREFIX,
    RESTORES_PREFIX,
    VELERO_NAMESPACE,
    BackupReader,
    BackupSource,
    BackupStorage,
    velero_service_account,
)
from .buckets import private_bucket
from .cluster import workload_pool
from .registry import service_account_id

# velero-plugin-for-gcp README ("Set permissions for Velero"): objectAdmin on the bucket; its custom
# role of compute.* permissions is "required by Velero to manage snapshot resources", and this
# program uses file-system backup only (no VolumeSnapshotLocation), so no project-level role.
BACKUP_BUCKET_ROLES = ("roles/storage.objectAdmin", "roles/storage.legacyBucketReader")
# Another stack's bucket, restored from: read every object (the backups)...
SOURCE_BUCKET_ROLES = ("roles/storage.objectViewer", "roles/storage.legacyBucketReader")
# ...and create, overwrite and delete objects under `restores/` only: a restore's log and results,
# which Velero uploads when the restore ends and its finalizer deletes with the Restore
# (velero v1.18.1 pkg/controller/restore_controller.go:638, 722-752). An IAM condition on the
# object's name (https://cloud.google.com/iam/docs/conditions-resource-attributes, Cloud Storage:
# `projects/_/buckets/<bucket>/objects/<object>`) scopes the role; listing is the bucket's
# permission, which the unconditional objectViewer grants. objectUser: create, get, update,
# delete objects and multipart uploads, nothing on the bucket or its IAM policy.
SOURCE_RESTORES_ROLE = "roles/storage.objectUser"
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
    # The GKE cluster Velero runs in: its Kubernetes ServiceAccount carries the name.
    cluster_name: str
    identity_pool_ready: Sequence[pulumi.Resource] = ()
    teardown: bool = False
    # False: no bucket of its own yet (a warm standby before promotion), the identity and its grants
    # on `source` only; the same identity gets the bucket at promotion.
    own_bucket: bool = True
    # Another stack's bucket Velero reads (None: the declared restore's `sourceBucket`, if any).
    source: pulumi.Input[BackupSource] | None = None


def restores_expression(bucket: str) -> str:
    """Objects under `restores/` of one bucket, in IAM's resource name for a Cloud Storage object."""
    return f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/{RESTORES_PREFIX}")'


def restores_condition(bucket: pulumi.Input[str]) -> storage.BucketIAMMemberConditionArgs:
    return storage.BucketIAMMemberConditionArgs(
        title="velero-restore-files",
        description="Velero's restore logs and results only (restores/), never a backup",
        expression=pulumi.Output.from_input(bucket).apply(restores_expression),
    )


def _list_keys(bucket: str, region: str | None) -> list[str]:
    found = storage.get_bucket_objects(bucket=bucket, prefix=BACKUPS_PREFIX, match_glob="backups/*/velero-backup.json")
    return [o.name for o in found.bucket_objects]


def _read(bucket: str, region: str | None, key: str) -> str:
    return storage.get_bucket_object_content(bucket=bucket, name=key).content


# GCS through the provider's data sources (google_storage_bucket_objects, _object_content).
GCS_BACKUPS = BackupReader(list_keys=_list_keys, read=_read)


def backup_bucket_location(settings: BackupSettings) -> str:
    """GCS takes multi- and dual-region names in upper case (US, EU, NAM4)."""
    return settings.location.upper() if "-" not in settings.location else settings.location


class BackupBucket(pulumi.ComponentResource):
    # None: no bucket of its own yet (own_bucket False).
    bucket_name: pulumi.Output[str] | None
    service_account_email: pulumi.Output[str]
    storage: pulumi.Output[BackupStorage]
    identity: pulumi.Output[BackupStorage]
    grants: list[pulumi.Resource]

    def __init__(self, name: str, args: BackupBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/backups:BackupBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = (
            private_bucket(
                name,
                project=args.project,
                location=backup_bucket_location(args.settings),
                noncurrent_version_days=NONCURRENT_DAYS,
                app="velero",
                teardown=args.teardown,
                parent=self,
            )
            if args.own_bucket
            else None
        )
        account = serviceaccount.Account(
            f"{name}-identity",
            account_id=service_account_id(name),
            display_name="Velero (Workload Identity)",
            description="Used by Velero to write and read the Airflow deployments' backups in the backups bucket.",
            opts=child,
        )
        # What Velero's own location needs (its bucket's grants), apart from what Velero itself
        # needs (identity_grants): a warm standby's pre-staged Velero never waits for its bucket.
        self.bucket_grants: list[pulumi.Resource] = (
            [
                storage.BucketIAMMember(
                    f"{name}-{role.rsplit('.', 1)[-1]}",
                    bucket=bucket.name,
                    role=role,
                    member=account.member,
                    opts=child,
                )
                for role in BACKUP_BUCKET_ROLES
            ]
            if bucket is not None
            else []
        )
        # Another stack's bucket: read it, and, while a restore is declared, write only a restore's
        # own files. Granted from here, by the reading stack: in a region loss the bucket's own
        # stack cannot run. Member resources (non-authoritative: they add one binding and keep the
        # rest of the bucket's policy), so the deployer needs storage.buckets.getIamPolicy/setIamPolicy
        # on that bucket, and destroying this stack removes only these bindings.
        self.identity_grants: list[pulumi.Resource] = []
        source = args.source if args.source is not None else BackupSource.of(args.settings)
        if source is not None:
            source_bucket = pulumi.Output.from_input(source).apply(lambda s: s.bucket)
            self.identity_grants += [
                storage.BucketIAMMember(
                    f"{name}-source-{role.rsplit('.', 1)[-1]}",
                    bucket=source_bucket,
                    role=role,
                    member=account.member,
                    opts=child,
                )
                for role in SOURCE_BUCKET_ROLES
            ]
            # The writes a restore does (its log and results), only while one is declared: a warm
            # standby's pre-staged location reads and never writes until then.
            if args.settings.restore_backup is not None:
                self.identity_grants.append(
                    storage.BucketIAMMember(
                        f"{name}-source-restores",
                        bucket=source_bucket,
                        role=SOURCE_RESTORES_ROLE,
                        member=account.member,
                        condition=restores_condition(source_bucket),
                        opts=child,
                    )
                )
        # Per cluster: a drill's or a standby's Velero in the same project is another principal.
        kubernetes_account = velero_service_account(args.cluster_name)
        self.identity_grants.append(
            serviceaccount.IAMMember(
                f"{name}-sign", service_account_id=account.name, role=SIGN_ROLE, member=account.member, opts=child
            )
        )
        self.identity_grants.append(
            serviceaccount.IAMMember(
                f"{name}-workload-identity",
                service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=f"serviceAccount:{workload_pool(args.project)}[{VELERO_NAMESPACE}/{kubernetes_account}]",
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.identity_pool_ready)),
            )
        )
        self.grants = [*self.bucket_grants, *self.identity_grants]
        self.bucket_name = bucket.name if bucket is not None else None
        self.service_account_email = account.email
        # Velero's identity alone (no bucket): what its release and a read-only location take.
        self.identity = account.email.apply(
            lambda email: BackupStorage(
                provider="gcp",
                bucket=None,
                config={"serviceAccount": email},
                service_account_annotations={"iam.gke.io/gcp-service-account": email},
                service_account=kubernetes_account,
            )
        )
        self.storage = pulumi.Output.all(self.bucket_name, account.email).apply(
            lambda v: BackupStorage(
                provider="gcp",
                bucket=v[0],
                config={"serviceAccount": v[1]},
                service_account_annotations={"iam.gke.io/gcp-service-account": v[1]},
                service_account=kubernetes_account,
            )
        )
        self.register_outputs({"bucket_name": self.bucket_name, "service_account_email": self.service_account_email})
