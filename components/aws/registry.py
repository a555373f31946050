"""Registry storage: a protected, versioned, KMS-encrypted S3 bucket and a keyless identity scoped to it.

The registry keeps every deploy image and would lose them with its disk; in a bucket they survive
the cluster. Its pods reach the bucket through IRSA: an IAM role that trusts only the chart's
registry ServiceAccount and may touch only this bucket and its key. No access keys anywhere.

With `registry.replicaRegion`, S3 replicates every new image version to a bucket in that second
region (versioned, encrypted with a key of that region, protected): images survive the region.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import iam, s3
from pulumi_aws.get_caller_identity import get_caller_identity_output
from pulumi_aws.provider import Provider as AwsProvider

from ..config import AwsRegistrySettings
from ..platform.chart import registry_service_account_name
from .buckets import PrivateBucket, bucket_name, private_bucket
from .iam import policy_document, service_account_role, service_principal_trust
from .kms import TAGS

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
# What S3 replication needs (AWS's documented minimum): read the source's versions, write replicas.
REPLICATION_SOURCE_BUCKET_ACTIONS = ("s3:GetReplicationConfiguration", "s3:ListBucket")
REPLICATION_SOURCE_OBJECT_ACTIONS = (
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
)
REPLICATION_REPLICA_OBJECT_ACTIONS = ("s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags")


@dataclass
class RegistryStorageArgs:
    settings: AwsRegistrySettings
    region: str
    namespace: str
    release_name: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    # A provider for `settings.replica_region` (required when it is set).
    replica_provider: AwsProvider | None = None
    # A throwaway stack being torn down: the buckets (and every image in them) may be deleted.
    teardown: bool = False


def registry_policy_statements(bucket_arn: str, key_arn: str) -> list[iam.GetPolicyDocumentStatementArgs]:
    objects = f"{bucket_arn}/*"
    return [
        iam.GetPolicyDocumentStatementArgs(
            sid="Bucket", effect="Allow", actions=list(BUCKET_ACTIONS), resources=[bucket_arn]
        ),
        iam.GetPolicyDocumentStatementArgs(
            sid="Objects", effect="Allow", actions=list(OBJECT_ACTIONS), resources=[objects]
        ),
        iam.GetPolicyDocumentStatementArgs(
            sid="BucketKey", effect="Allow", actions=list(KMS_ACTIONS), resources=[key_arn]
        ),
    ]


def replication_policy_statements(
    source_arn: str, source_key_arn: str, replica_arn: str, replica_key_arn: str
) -> list[iam.GetPolicyDocumentStatementArgs]:
    """Least privilege for S3 replication: these two buckets and these two keys only."""
    statement = iam.GetPolicyDocumentStatementArgs
    return [
        statement(
            sid="SourceBucket", effect="Allow", actions=list(REPLICATION_SOURCE_BUCKET_ACTIONS), resources=[source_arn]
        ),
        statement(
            sid="SourceObjects",
            effect="Allow",
            actions=list(REPLICATION_SOURCE_OBJECT_ACTIONS),
            resources=[f"{source_arn}/*"],
        ),
        statement(
            sid="ReplicaObjects",
            effect="Allow",
            actions=list(REPLICATION_REPLICA_OBJECT_ACTIONS),
            resources=[f"{replica_arn}/*"],
        ),
        statement(sid="SourceKey", effect="Allow", actions=["kms:Decrypt"], resources=[source_key_arn]),
        statement(
            sid="ReplicaKey",
            effect="Allow",
            actions=["kms:Encrypt", "kms:GenerateDataKey"],
            resources=[replica_key_arn],
        ),
    ]


def replication_rule_id(region: str) -> str:
    return f"registry-to-{region}"


class RegistryStorage(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    # The replica bucket in `registry.replicaRegion` (None without one).
    replica_bucket_name: pulumi.Output[str] | None
    replica_kms_key_arn: pulumi.Output[str] | None
    # What the registry needs before it starts: its role's permissions.
    grants: list[pulumi.Resource]

    def __init__(self, name: str, args: RegistryStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/registry:RegistryStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = get_caller_identity_output(opts=invoke).account_id

        source = self._bucket(name, name, account_id, args.region, args, child)

        role, policy = service_account_role(
            f"{name}-irsa",
            role_name=name,
            description="Astronomer registry pods (IRSA): the registry bucket and its key only",
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer_url=args.oidc_issuer_url,
            namespace=args.namespace,
            service_account=registry_service_account_name(args.release_name),
            policy_name="registry-bucket",
            statements=pulumi.Output.all(source.bucket.arn, source.key.arn).apply(
                lambda arns: registry_policy_statements(*arns)
            ),
            opts=child,
            invoke=invoke,
        )

        self.replica_bucket_name = None
        self.replica_kms_key_arn = None
        # The replication rule whose metrics are watched (components/aws/alerts.py); None without a replica.
        self.replication_rule_id: str | None = None
        replica_region = args.settings.replica_region
        if replica_region:
            assert args.replica_provider is not None, "registry.replicaRegion needs a provider for that region"
            in_replica = pulumi.ResourceOptions(parent=self, provider=args.replica_provider)
            replica = self._bucket(f"{name}-replica", name, account_id, replica_region, args, in_replica)
            self._replication(name, source, replica, replica_region, invoke)
            self.replica_bucket_name = replica.bucket.bucket
            self.replica_kms_key_arn = replica.key.arn
            self.replication_rule_id = replication_rule_id(replica_region)

        self.bucket_name = source.bucket.bucket
        self.bucket_arn = source.bucket.arn
        self.kms_key_arn = source.key.arn
        self.role_arn = role.arn
        self.grants = [policy]
        self.register_outputs({"bucket_name": self.bucket_name, "role_arn": self.role_arn})

    def _bucket(
        self,
        resource_name: str,
        name: str,
        account_id: pulumi.Output[str],
        region: str,
        args: RegistryStorageArgs,
        opts: pulumi.ResourceOptions,
    ) -> PrivateBucket:
        """The registry's private bucket (components/aws/buckets.py) in `region` (the provider in
        `opts` decides where it is created)."""
        return private_bucket(
            resource_name,
            physical_name=account_id.apply(lambda account: bucket_name(name, account, region)),
            purpose="registry images",
            noncurrent_version_days=args.settings.noncurrent_version_days,
            teardown=args.teardown,
            opts=opts,
            invoke=pulumi.InvokeOutputOptions(parent=self),
        )

    def _replication(
        self, name: str, source: PrivateBucket, replica: PrivateBucket, region: str, invoke: pulumi.InvokeOutputOptions
    ) -> None:
        """Every new object version of the source is copied to the replica, re-encrypted with the
        replica region's key. Deletes are not replicated: the replica keeps what the source loses."""
        child = pulumi.ResourceOptions(parent=self)
        role = iam.Role(
            f"{name}-replication",
            name=f"{name}-replication",
            description=f"S3 replication of the registry bucket to {region}: these two buckets and keys only",
            assume_role_policy=service_principal_trust("s3.amazonaws.com", invoke),
            tags=TAGS,
            opts=child,
        )
        policy = iam.RolePolicy(
            f"{name}-replication",
            name="registry-replication",
            role=role.id,
            policy=policy_document(
                pulumi.Output.all(source.bucket.arn, source.key.arn, replica.bucket.arn, replica.key.arn).apply(
                    lambda arns: replication_policy_statements(*arns)
                ),
                invoke,
            ),
            opts=child,
        )
        s3.BucketReplicationConfig(
            name,
            bucket=source.bucket.id,
            role=role.arn,
            rules=[
                s3.BucketReplicationConfigRuleArgs(
                    id=replication_rule_id(region),
                    status="Enabled",
                    filter=s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    delete_marker_replication=s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Disabled"
                    ),
                    source_selection_criteria=s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=replica.bucket.arn,
                        storage_class="STANDARD",
                        # Per-rule CloudWatch metrics (OperationsFailedReplication, ReplicationLatency),
                        # which the DR alerts watch; S3 Replication Time Control is not needed for them
                        # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html).
                        metrics=s3.BucketReplicationConfigRuleDestinationMetricsArgs(status="Enabled"),
                        encryption_configuration=s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=replica.key.arn
                        ),
                    ),
                )
            ],
            # S3 refuses a replication rule until both buckets are versioned and the role may act.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[source.versioning, replica.versioning, policy]),
        )
