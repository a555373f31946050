"""A private S3 bucket for data the program must never lose (the registry's images and their
replica, Velero's backups of the Airflow deployments): its own protected KMS key, versioning,
SSE-KMS with bucket keys, the full public access block, BucketOwnerEnforced, TLS only, and a
lifecycle that keeps noncurrent versions for a while and aborts abandoned uploads.

The bucket, its versioning and its key are protected (and force_destroy is off) unless the stack
is a drill being torn down; the provider in `opts` decides the region.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import kms, s3

from .iam import deny_insecure_transport, policy_document
from .kms import TAGS, customer_key

# Multipart uploads a client abandoned are aborted (and stop costing) after a week.
ABORT_INCOMPLETE_UPLOADS_DAYS = 7


def bucket_name(name: str, account_id: str, region: str) -> str:
    """Globally unique and derived, never random: a rebuild from the same stack finds the same bucket."""
    return f"{name}-{account_id}-{region}"


@dataclass
class PrivateBucket:
    bucket: s3.Bucket
    key: kms.Key
    versioning: s3.BucketVersioning


def private_bucket(
    resource_name: str,
    *,
    physical_name: pulumi.Input[str],
    purpose: str,
    noncurrent_version_days: int,
    teardown: bool,
    opts: pulumi.ResourceOptions,
    invoke: pulumi.InvokeOutputOptions,
) -> PrivateBucket:
    """The bucket `physical_name` and everything that keeps its data (see the module docstring)."""
    guarded = not teardown
    protected = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=guarded))
    # Protected: every object in the bucket is unreadable without it.
    key = customer_key(
        f"{resource_name}-key",
        description=f"{resource_name}: {purpose} (S3 SSE-KMS)",
        alias=resource_name,
        opts=opts,
        protect=guarded,
    )
    bucket = s3.Bucket(resource_name, bucket=physical_name, force_destroy=not guarded, tags=TAGS, opts=protected)
    s3.BucketOwnershipControls(
        resource_name,
        bucket=bucket.id,
        rule=s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    public_access_block = s3.BucketPublicAccessBlock(
        resource_name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    # Plain HTTP refused for everyone; S3 refuses a policy while the public access block is being written.
    s3.BucketPolicy(
        resource_name,
        bucket=bucket.id,
        policy=policy_document(bucket.arn.apply(lambda arn: [deny_insecure_transport(arn)]), invoke),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[public_access_block])),
    )
    # Protected: deleting this resource would suspend versioning on the bucket.
    versioning = s3.BucketVersioning(
        resource_name,
        bucket=bucket.id,
        versioning_configuration=s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=protected,
    )
    s3.BucketServerSideEncryptionConfiguration(
        resource_name,
        bucket=bucket.id,
        rules=[
            s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn
                ),
                # One data key per bucket rather than per object: far fewer KMS calls.
                bucket_key_enabled=True,
            )
        ],
        opts=opts,
    )
    # Overwritten and deleted objects stay recoverable for a while, then stop costing money.
    s3.BucketLifecycleConfiguration(
        resource_name,
        bucket=bucket.id,
        rules=[
            s3.BucketLifecycleConfigurationRuleArgs(
                id="noncurrent-versions",
                status="Enabled",
                filter=s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=noncurrent_version_days
                ),
                abort_incomplete_multipart_upload=s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
                ),
            )
        ],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[versioning])),
    )
    return PrivateBucket(bucket=bucket, key=key, versioning=versioning)
