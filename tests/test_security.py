"""Security review fixes (issue 12) on what both stacks register: buckets refuse plain HTTP, the
registry's identity is scoped to this stack, the repoint Job's grant exists only during a restore."""

from __future__ import annotations

import json

import pytest

from tests.test_restore import evaluated

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def replicated():
    return evaluated("aws", registry={"replicaRegion": "us-west-2"})


def test_every_s3_bucket_refuses_plain_http(replicated):
    """S3 serves plain HTTP unless a bucket policy denies `aws:SecureTransport: false` ("Enforce
    encryption of data in transit", https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html).
    Both the registry bucket and its replica get one; a Deny for `*` is not a public grant, so the
    complete public access block does not refuse it."""
    buckets = replicated.of_type(BUCKET)
    assert len(buckets) == 2
    policies = {p.name: p for p in replicated.of_type(BUCKET_POLICY)}
    for bucket in buckets:
        policy = policies[bucket.name]
        assert policy.input("bucket") == bucket.input("bucket")
        [statement] = as_list(json.loads(policy.input("policy"))["Statement"])
        arn = f"arn:aws:s3:::{bucket.input('bucket')}"
        # terraform-provider-aws iam/policy_model.go writes a lone {"*": ["*"]} principal as "*".
        assert (statement["Sid"], statement["Effect"], statement["Principal"]) == ("DenyInsecureTransport", "Deny", "*")
        assert statement["Action"] == "s3:*"
        assert sorted(as_list(statement["Resource"])) == sorted([arn, f"{arn}/*"])
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        # The replica's policy goes through the replica region's provider, like its bucket.
        assert policy.provider == bucket.provider
