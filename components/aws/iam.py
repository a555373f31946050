"""IAM documents, always built with the provider's policy-document function (never string templates).

Also the IRSA facts: which `sub` and `aud` a Kubernetes ServiceAccount's token carries, and how an
OIDC issuer URL is written in a trust-policy condition key.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_aws import iam

from .kms import TAGS

# The audience EKS writes into projected ServiceAccount tokens for STS.
STS_AUDIENCE = "sts.amazonaws.com"
# AWS managed policies live in the account `aws` of each partition.
MANAGED_POLICY_PREFIX = "arn:aws:iam::aws:policy/"
# Regions outside the commercial partition, by prefix (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
PARTITIONS = (("us-gov-", "aws-us-gov"), ("cn-", "aws-cn"))


def partition_of(region: str | None) -> str:
    """The ARN partition of a region: `aws-us-gov` for GovCloud, `aws-cn` for China, else `aws`."""
    for prefix, partition in PARTITIONS:
        if region and region.startswith(prefix):
            return partition
    return "aws"


def managed_policy(name: str, region: str | None = None) -> str:
    """An AWS managed policy's ARN in the partition of `region` (GovCloud's differ: arn:aws-us-gov:...)."""
    return f"arn:{partition_of(region)}:iam::aws:policy/{name}"


def issuer_host(issuer_url: str) -> str:
    """`https://oidc.eks.<region>.amazonaws.com/id/<ID>` as condition keys name it: without the scheme."""
    return issuer_url.removeprefix("https://").rstrip("/")


def service_account_subject(namespace: str, service_account: str) -> str:
    """The `sub` claim of a Kubernetes ServiceAccount token."""
    return f"system:serviceaccount:{namespace}:{service_account}"


def policy_document(
    statements: pulumi.Input[Sequence[iam.GetPolicyDocumentStatementArgs]],
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[str]:
    """The JSON of `statements`. A statement's fields are plain strings (the SDK's statement args take
    no Outputs), so statements that name resources are built inside an `Output.apply` of their ARNs."""
    return iam.get_policy_document_output(statements=statements, opts=opts).json


def service_principal_trust(service: str, opts: pulumi.InvokeOutputOptions | None = None) -> pulumi.Output[str]:
    """Trust policy letting an AWS service (eks.amazonaws.com, ec2.amazonaws.com) assume a role."""
    return policy_document(
        [
            iam.GetPolicyDocumentStatementArgs(
                effect="Allow",
                actions=["sts:AssumeRole"],
                principals=[iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=[service])],
            )
        ],
        opts,
    )


def service_account_trust(
    oidc_provider_arn: pulumi.Input[str],
    issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[str]:
    """IRSA trust policy admitting exactly one ServiceAccount's tokens, and only those meant for STS."""
    statements = pulumi.Output.all(oidc_provider_arn, issuer_url).apply(
        lambda v: [service_account_statement(v[0], issuer_host(v[1]), namespace, service_account)]
    )
    return policy_document(statements, opts)


def service_account_statement(
    oidc_provider_arn: str, host: str, namespace: str, service_account: str
) -> iam.GetPolicyDocumentStatementArgs:
    """The IRSA trust statement: web identities of the OIDC provider `host`, for one ServiceAccount and STS."""
    return iam.GetPolicyDocumentStatementArgs(
        effect="Allow",
        actions=["sts:AssumeRoleWithWebIdentity"],
        principals=[iam.GetPolicyDocumentStatementPrincipalArgs(type="Federated", identifiers=[oidc_provider_arn])],
        conditions=[
            iam.GetPolicyDocumentStatementConditionArgs(
                test="StringEquals",
                variable=f"{host}:sub",
                values=[service_account_subject(namespace, service_account)],
            ),
            iam.GetPolicyDocumentStatementConditionArgs(
                test="StringEquals",
                variable=f"{host}:aud",
                values=[STS_AUDIENCE],
            ),
        ],
    )


def irsa_role(
    name: str,
    *,
    role_name: str,
    description: str,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
    opts: pulumi.ResourceOptions,
    invoke: pulumi.InvokeOutputOptions,
) -> iam.Role:
    """An IRSA role only `namespace/service_account` may assume (`service_account_trust`), no policy
    yet: a warm standby's Velero role before its bucket exists (components/aws/backups.py)."""
    return iam.Role(
        name,
        name=role_name,
        description=description,
        assume_role_policy=service_account_trust(
            oidc_provider_arn, oidc_issuer_url, namespace, service_account, invoke
        ),
        tags=TAGS,
        opts=opts,
    )


def service_account_role(
    name: str,
    *,
    role_name: str,
    description: str,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
    policy_name: str,
    statements: pulumi.Input[Sequence[iam.GetPolicyDocumentStatementArgs]],
    opts: pulumi.ResourceOptions,
    invoke: pulumi.InvokeOutputOptions,
) -> tuple[iam.Role, iam.RolePolicy]:
    """An IRSA role only `namespace/service_account` may assume (`service_account_trust`), and its one
    inline policy `policy_name` granting `statements`; both resources are named `name`."""
    role = irsa_role(
        name,
        role_name=role_name,
        description=description,
        oidc_provider_arn=oidc_provider_arn,
        oidc_issuer_url=oidc_issuer_url,
        namespace=namespace,
        service_account=service_account,
        opts=opts,
        invoke=invoke,
    )
    policy = iam.RolePolicy(name, name=policy_name, role=role.id, policy=policy_document(statements, invoke), opts=opts)
    return role, policy


def deny_insecure_transport(bucket_arn: str) -> iam.GetPolicyDocumentStatementArgs:
    """A bucket-policy statement refusing every request not sent over TLS, whoever sends it.

    S3 answers plain HTTP unless a bucket policy denies `aws:SecureTransport = false` (AWS: "Security
    best practices for Amazon S3", enforce encryption of data in transit,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html). A Deny
    for every principal is not a public grant, so the public access block still allows it.
    """
    return iam.GetPolicyDocumentStatementArgs(
        sid="DenyInsecureTransport",
        effect="Deny",
        principals=[iam.GetPolicyDocumentStatementPrincipalArgs(type="*", identifiers=["*"])],
        actions=["s3:*"],
        resources=[bucket_arn, f"{bucket_arn}/*"],
        conditions=[
            iam.GetPolicyDocumentStatementConditionArgs(test="Bool", variable="aws:SecureTransport", values=["false"])
        ],
    )
