"""Registry storage: a protected, versioned, KMS-encrypted S3 bucket and a keyless identity scoped to it.

The registry keeps every deploy image and would lose them with its disk; in a bucket they survive
the cluster. Its pods reach the bucket through IRSA: an IAM role that trusts only the chart's
registry ServiceAccount and may touch only this bucket and its key. No access keys anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..config import AwsRegistrySettings
from ..platform.chart import registry_service_account_name
from .iam import policy_document, service_account_trust

# What the registry's S3 storage driver calls (Astronomer's documented list): on the bucket ...
BUCKET_ACTIONS = ("s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads")
# ... and on its objects.
OBJECT_ACTIONS = (
    "s3:PutObject",
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:ListMultipartUploadParts",
    "s3:AbortMultipartUpload",
)
# SSE-KMS: writing (also each multipart part) needs a data key, reading needs to decrypt it.
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
KMS_DELETION_WINDOW_DAYS = 30
TAGS = {"app": "astronomer", "managed-by": "astronomer-dr"}


@dataclass
class RegistryStorageArgs:
    settings: AwsRegistrySettings
    region: str
    namespace: str
    release_name: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]


def bucket_name(name: str, account_id: str, region: str) -> str:
    """Globally unique and derived, never random: a rebuild from the same stack finds the same bucket."""
    return f"{name}-{account_id}-{region}"


def registry_policy_statements(bucket_arn: pulumi.Input[str], key_arn: pulumi.Input[str]) -> list[aws.iam.GetPolicyDocumentStatementArgs]:
    objects = pulumi.Output.concat(bucket_arn, "/*")
    return [
        aws.iam.GetPolicyDocumentStatementArgs(sid="Bucket", effect="Allow", actions=list(BUCKET_ACTIONS), resources=[bucket_arn]),
        aws.iam.GetPolicyDocumentStatementArgs(sid="Objects", effect="Allow", actions=list(OBJECT_ACTIONS), resources=[objects]),
        aws.iam.GetPolicyDocumentStatementArgs(sid="BucketKey", effect="Allow", actions=list(KMS_ACTIONS), resources=[key_arn]),
    ]


class RegistryStorage(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    # What the registry needs before it starts: its role's permissions.
    grants: list[pulumi.Resource]

    def __init__(self, name: str, args: RegistryStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/registry:RegistryStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)

        # Protected: every image in the bucket is unreadable without it.
        key = aws.kms.Key(
            f"{name}-key",
            description=f"{name}: registry images (S3 SSE-KMS)",
            enable_key_rotation=True,
            deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
            tags=TAGS,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.kms.Alias(f"{name}-key", name=f"alias/{name}", target_key_id=key.key_id, opts=child)

        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        bucket = aws.s3.Bucket(
            name,
            bucket=account_id.apply(lambda account: bucket_name(name, account, args.region)),
            force_destroy=False,
            tags=TAGS,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # Protected: deleting this resource would suspend versioning on the bucket.
        versioning = aws.s3.BucketVersioning(
            name,
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                    # One data key per bucket rather than per object: far fewer KMS calls.
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        # Overwritten and deleted images stay recoverable for a while, then stop costing money.
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="noncurrent-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.settings.noncurrent_version_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )

        role = aws.iam.Role(
            f"{name}-irsa",
            name=name,
            description="Astronomer registry pods (IRSA): the registry bucket and its key only",
            assume_role_policy=service_account_trust(
                args.oidc_provider_arn,
                args.oidc_issuer_url,
                args.namespace,
                registry_service_account_name(args.release_name),
                invoke,
            ),
            tags=TAGS,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-irsa",
            name="registry-bucket",
            role=role.id,
            policy=policy_document(registry_policy_statements(bucket.arn, key.arn), invoke),
            opts=child,
        )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.kms_key_arn = key.arn
        self.role_arn = role.arn
        self.grants = [policy]
        self.register_outputs({"bucket_name": self.bucket_name, "role_arn": self.role_arn})
