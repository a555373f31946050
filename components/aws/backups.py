"""The Airflow deployments' backups on AWS: a protected, KMS-encrypted S3 bucket in a second region,
and Velero's keyless identity (IRSA) scoped to that bucket and its key.

Velero writes the backups of every deployment namespace here (components/platform/velero.py). The
bucket is separate from the registry's and lives in `backups.location` (default
`database.backupReplicaRegion`): it survives the loss of the stack's region. It only accepts TLS.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
from pulumi_aws import iam, s3
from pulumi_aws.get_caller_identity import get_caller_identity_output
from pulumi_aws.provider import Provider as AwsProvider

from ..config import BackupSettings
from ..platform.velero_chart import (
    BACKUPS_PREFIX,
    RESTORES_PREFIX,
    VELERO_NAMESPACE,
    VELERO_SERVICE_ACCOUNT,
    BackupReader,
    BackupSource,
    BackupStorage,
)
from .buckets import bucket_name, private_bucket
from .iam import irsa_role, policy_document

# velero-plugin-for-aws README ("Set permissions for Velero"): these on the bucket's objects and
# ListBucket on the bucket. Its ec2:* statement is for volume snapshots, which this program does
# not take (file-system backup only), so it is left out.
BUCKET_ACTIONS = ("s3:ListBucket",)
OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
# SSE-KMS with the location's `kmsKeyId`: a data key to write, decrypt to read.
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
NONCURRENT_DAYS = 30
# Another stack's bucket, restored from: list it and read every object (the backups); while a
# restore is declared, write and delete only under `restores/`, where a restore uploads its log and
# results and whence its finalizer deletes them (velero v1.18.1 pkg/controller/restore_controller.go:638,
# 722-752); the plugin's upload may be multipart. Its key: decrypt the backups (SSE-KMS objects are
# read with kms:Decrypt), and a data key for the restore's files only while a restore is declared.
SOURCE_READ_ACTIONS = ("s3:GetObject",)
SOURCE_RESTORES_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
SOURCE_KMS_READ_ACTIONS = ("kms:Decrypt",)
SOURCE_KMS_WRITE_ACTIONS = ("kms:GenerateDataKey",)
# S3 lists at most 1,000 keys a page; the data source pages up to this many (a year of hourly backups).
MAX_BACKUPS_LISTED = 10_000


def _list_keys(bucket: str, region: str | None) -> list[str]:
    found = s3.get_objects(
        bucket=bucket, prefix=BACKUPS_PREFIX, delimiter="/", max_keys=MAX_BACKUPS_LISTED, region=region
    )
    return list(found.common_prefixes)


def _read(bucket: str, region: str | None, key: str) -> str:
    # `download_body`: the body whatever the Content-Type (the plugin sets none, so `body` would be empty).
    found = s3.get_object(bucket=bucket, key=key, region=region, download_body="true")
    return base64.b64decode(found.body_base64 or "").decode()


# S3 through the provider's data sources (aws_s3_objects, aws_s3_object).
S3_BACKUPS = BackupReader(list_keys=_list_keys, read=_read)


def source_policy_statements(
    bucket: str, key_arn: str, restore_writes: bool = True
) -> list[iam.GetPolicyDocumentStatementArgs]:
    """Velero's grants on another stack's bucket and key: read the backups; with `restore_writes`
    (a restore declared), write a restore's files."""
    statement = iam.GetPolicyDocumentStatementArgs
    arn = f"arn:aws:s3:::{bucket}"
    read = [
        statement(sid="SourceBucket", effect="Allow", actions=list(BUCKET_ACTIONS), resources=[arn]),
        statement(sid="SourceObjects", effect="Allow", actions=list(SOURCE_READ_ACTIONS), resources=[f"{arn}/*"]),
        statement(sid="SourceKey", effect="Allow", actions=list(SOURCE_KMS_READ_ACTIONS), resources=[key_arn]),
    ]
    if not restore_writes:
        return read
    return [
        *read,
        statement(
            sid="SourceRestoreFiles",
            effect="Allow",
            actions=list(SOURCE_RESTORES_ACTIONS),
            resources=[f"{arn}/{RESTORES_PREFIX}*"],
        ),
        statement(sid="SourceKeyWrite", effect="Allow", actions=list(SOURCE_KMS_WRITE_ACTIONS), resources=[key_arn]),
    ]


def _source_key(source: BackupSource) -> str:
    assert source.kms_key_arn, "an S3 source names its key (config: sourceKmsKeyArn; a primary: backups_kms_key_arn)"
    return source.kms_key_arn


@dataclass
class BackupBucketArgs:
    settings: BackupSettings
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    # A provider for `settings.location` (the bucket and its key live there); None without own_bucket.
    provider: AwsProvider | None
    teardown: bool = False
    # False: no bucket of its own yet (a warm standby before promotion), the IRSA role and its grants
    # on `source` only; the same role gets the bucket at promotion.
    own_bucket: bool = True
    # Another stack's bucket Velero reads (None: the declared restore's `sourceBucket`, if any).
    source: pulumi.Input[BackupSource] | None = None


def velero_policy_statements(bucket_arn: str, key_arn: str) -> list[iam.GetPolicyDocumentStatementArgs]:
    statement = iam.GetPolicyDocumentStatementArgs
    return [
        statement(sid="Bucket", effect="Allow", actions=list(BUCKET_ACTIONS), resources=[bucket_arn]),
        statement(
            sid="Objects",
            effect="Allow",
            actions=list(OBJECT_ACTIONS),
            resources=[f"{bucket_arn}/*"],
        ),
        statement(sid="BucketKey", effect="Allow", actions=list(KMS_ACTIONS), resources=[key_arn]),
    ]


class BackupBucket(pulumi.ComponentResource):
    # None: no bucket of its own yet (own_bucket False).
    bucket_name: pulumi.Output[str] | None
    kms_key_arn: pulumi.Output[str] | None
    role_arn: pulumi.Output[str]
    storage: pulumi.Output[BackupStorage]
    identity: pulumi.Output[BackupStorage]
    grants: list[pulumi.Resource]

    def __init__(self, name: str, args: BackupBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/backups:BackupBucket", name, None, opts)
        region = args.settings.location
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        description = "Velero (IRSA): the backups bucket and its key only"

        # The same role whether or not the bucket exists yet: a warm standby's promotion only adds
        # its bucket's policy to it.
        role = irsa_role(
            f"{name}-irsa",
            role_name=name,
            description=description,
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer_url=args.oidc_issuer_url,
            namespace=VELERO_NAMESPACE,
            service_account=VELERO_SERVICE_ACCOUNT,
            opts=child,
            invoke=invoke,
        )
        self.bucket_grants: list[pulumi.Resource] = []
        stored = None
        if args.own_bucket:
            assert args.provider is not None, "the backups bucket is created in backups.location"
            account_id = get_caller_identity_output(opts=invoke).account_id
            stored = private_bucket(
                name,
                physical_name=account_id.apply(lambda account: bucket_name(name, account, region)),
                purpose="Velero backups",
                noncurrent_version_days=NONCURRENT_DAYS,
                teardown=args.teardown,
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
                invoke=invoke,
            )
            bucket, key = stored.bucket, stored.key
            # What Velero's own location needs, apart from what Velero itself needs (identity_grants).
            statements = pulumi.Output.all(bucket.arn, key.arn).apply(lambda arns: velero_policy_statements(*arns))
            policy = iam.RolePolicy(
                f"{name}-irsa",
                name="velero-backups",
                role=role.id,
                policy=policy_document(statements, invoke),
                opts=child,
            )
            self.bucket_grants = [policy]

        # Another stack's bucket: an identity policy of this stack's role (IAM evaluates it with the
        # bucket's policy, which only refuses plain HTTP), so nothing is set on the other stack's
        # bucket or key. The restore's writes only while a restore is declared.
        self.identity_grants: list[pulumi.Resource] = []
        source = args.source if args.source is not None else BackupSource.of(args.settings)
        if source is not None:
            writes = args.settings.restore_backup is not None
            self.identity_grants.append(
                iam.RolePolicy(
                    f"{name}-irsa-source",
                    name="velero-source-backups",
                    role=role.id,
                    policy=policy_document(
                        pulumi.Output.from_input(source).apply(
                            lambda s: source_policy_statements(s.bucket, _source_key(s), restore_writes=writes)
                        ),
                        invoke,
                    ),
                    opts=child,
                )
            )

        self.grants = [*self.bucket_grants, *self.identity_grants]
        self.bucket_name = stored.bucket.bucket if stored is not None else None
        self.kms_key_arn = stored.key.arn if stored is not None else None
        self.role_arn = role.arn
        self.storage = pulumi.Output.all(self.bucket_name, self.kms_key_arn, role.arn).apply(
            lambda v: BackupStorage(
                provider="aws",
                bucket=v[0],
                config={"region": region, "kmsKeyId": v[1]} if v[0] else {},
                service_account_annotations={"eks.amazonaws.com/role-arn": v[2]},
            )
        )
        # Velero's identity alone (no bucket): what its release and a read-only location take.
        self.identity = role.arn.apply(
            lambda arn: BackupStorage(
                provider="aws", bucket=None, service_account_annotations={"eks.amazonaws.com/role-arn": arn}
            )
        )
        self.register_outputs({"bucket_name": self.bucket_name, "role_arn": self.role_arn})
