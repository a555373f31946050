"""A GCS bucket for data the program must never lose (the registry's images, Velero's backups of
the Airflow deployments): uniform access, public access prevention enforced, versioning with
noncurrent versions kept for a while, soft delete, and two deletion guards (Pulumi `protect` and
the provider's `deletion_policy: PREVENT`), lifted only when a drill stack is torn down.

GCS serves the JSON API over HTTPS only, and with public access prevention nothing is served
without credentials: there is no per-bucket TLS switch to set (docs/CONFIG.md, "Security and exposure").
"""

from __future__ import annotations

import pulumi
from pulumi_gcp import storage

# Soft delete keeps deleted objects (and a deleted bucket) restorable: GCS's own deletion guard.
SOFT_DELETE_SECONDS = 30 * 24 * 3600


def private_bucket(
    resource_name: str,
    *,
    project: str,
    location: str,
    noncurrent_version_days: int,
    app: str,
    teardown: bool,
    parent: pulumi.Resource,
    placement: storage.BucketCustomPlacementConfigArgs | None = None,
) -> storage.Bucket:
    """The bucket `<project>-<resource_name>` (63 characters at most) in `location`, set at creation:
    a bucket never changes location (a new one would be needed)."""
    guarded = not teardown
    return storage.Bucket(
        resource_name,
        name=f"{project}-{resource_name}"[:63].rstrip("-"),
        location=location,
        custom_placement_config=placement,
        storage_class="STANDARD",
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=storage.BucketVersioningArgs(enabled=True),
        soft_delete_policy=storage.BucketSoftDeletePolicyArgs(retention_duration_seconds=SOFT_DELETE_SECONDS),
        # Overwritten and deleted objects stay recoverable for a while, then stop costing money.
        lifecycle_rules=[
            storage.BucketLifecycleRuleArgs(
                action=storage.BucketLifecycleRuleActionArgs(type="Delete"),
                condition=storage.BucketLifecycleRuleConditionArgs(
                    with_state="ARCHIVED",
                    days_since_noncurrent_time=noncurrent_version_days,
                ),
            )
        ],
        force_destroy=not guarded,
        # The provider refuses to delete it even if Pulumi's protect is lifted by mistake.
        deletion_policy="PREVENT" if guarded else "DELETE",
        labels={"app": app, "managed-by": "astronomer-dr"},
        opts=pulumi.ResourceOptions(parent=parent, protect=guarded),
    )
