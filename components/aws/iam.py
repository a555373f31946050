"""IAM documents, always built with the provider's policy-document function (never string templates).

Also the IRSA facts: which `sub` and `aud` a Kubernetes ServiceAccount's token carries, and how an
OIDC issuer URL is written in a trust-policy condition key.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

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
    statements: Sequence[aws.iam.GetPolicyDocumentStatementArgs], opts: pulumi.InvokeOutputOptions | None = None
) -> pulumi.Output[str]:
    return aws.iam.get_policy_document_output(statements=list(statements), opts=opts).json


def service_principal_trust(service: str, opts: pulumi.InvokeOutputOptions | None = None) -> pulumi.Output[str]:
    """Trust policy letting an AWS service (eks.amazonaws.com, ec2.amazonaws.com) assume a role."""
    return policy_document(
        [
            aws.iam.GetPolicyDocumentStatementArgs(
                effect="Allow",
                actions=["sts:AssumeRole"],
                principals=[aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=[service])],
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
    host = pulumi.Output.from_input(issuer_url).apply(issuer_host)
    return policy_document(
        [
            aws.iam.GetPolicyDocumentStatementArgs(
                effect="Allow",
                actions=["sts:AssumeRoleWithWebIdentity"],
                principals=[
                    aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Federated", identifiers=[oidc_provider_arn])
                ],
                conditions=[
                    aws.iam.GetPolicyDocumentStatementConditionArgs(
                        test="StringEquals",
                        variable=host.apply(lambda h: f"{h}:sub"),
                        values=[service_account_subject(namespace, service_account)],
                    ),
                    aws.iam.GetPolicyDocumentStatementConditionArgs(
                        test="StringEquals",
                        variable=host.apply(lambda h: f"{h}:aud"),
                        values=[STS_AUDIENCE],
                    ),
                ],
            )
        ],
        opts,
    )


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> aws.iam.GetPolicyDocumentStatementArgs:
    """A bucket-policy statement refusing every request not sent over TLS, whoever sends it.

    S3 answers plain HTTP unless a bucket policy denies `aws:SecureTransport = false` (AWS: "Security
    best practices for Amazon S3", enforce encryption of data in transit,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html). A Deny
    for every principal is not a public grant, so the public access block still allows it.
    """
    return aws.iam.GetPolicyDocumentStatementArgs(
        sid="DenyInsecureTransport",
        effect="Deny",
        principals=[aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="*", identifiers=["*"])],
        actions=["s3:*"],
        resources=[bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        conditions=[
            aws.iam.GetPolicyDocumentStatementConditionArgs(
                test="Bool", variable="aws:SecureTransport", values=["false"]
            )
        ],
    )
