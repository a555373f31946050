"""Failover is never refused for what peacetime could have caught (issue 18, item 4).

What only a promotion needs of the primary, its images (GCP: a registry bucket that outlives the
primary's region; AWS: the registry's S3 replica in the standby's region), is refused when the
standby is created and on every `up` before promotion, naming the fix on the primary. At promotion
the primary's region may be gone, so the same gap is a warning and the promotion goes ahead with a
registry of the standby's own, in its region, empty. Refusals kept at promotion: what would do harm
(a primary of another cloud, promoting into the primary's region).

Each case runs the real program under the offline engine, the standby's StackReference answered
with the outputs of its primary evaluated with the gap.
"""

from __future__ import annotations

import functools
import json

import pytest

from components.schema import ConfigError
from tests.conftest import TLS_SECRETS
from tools.offline import evaluate, stack_config

REFERENCE = {"gcp": "organization/astronomer-dr/gcp", "aws": "organization/astronomer-dr/aws"}
GCS = "gcp:storage/bucket:Bucket"
S3 = "aws:s3/bucket:Bucket"


@functools.cache
def primary_with_a_gap(cloud: str):
    """The shipped primary with its registry as before issue 18: GCP regional, AWS without replica."""
    evaluation = evaluate(
        cloud,
        secrets=TLS_SECRETS,
        overrides={"astronomer-dr:registry": {"noncurrentVersionDays": 30}},
        stack_outputs={},
    )
    assert evaluation.error is None, evaluation.error
    return evaluation


@functools.cache
def standby_of_a_primary_with_a_gap(cloud: str, promote: bool):
    stack = f"{cloud}-standby"
    standby = {**json.loads(stack_config(stack)[0]["astronomer-dr:standby"]), "promote": promote}
    return evaluate(
        stack,
        secrets=TLS_SECRETS,
        overrides={"astronomer-dr:standby": standby},
        stack_outputs={REFERENCE[cloud]: primary_with_a_gap(cloud).outputs},
    )


def test_the_gaps_are_real():
    assert primary_with_a_gap("gcp").outputs["registry_location"] == "us-central1"
    assert "registry_replica_region" not in primary_with_a_gap("aws").outputs


@pytest.mark.parametrize(
    "cloud, fix",
    [
        ("gcp", "set registry.location on the primary to a dual- or multi-region"),
        ("aws", "set registry.replicaRegion: us-west-2 on the primary"),
    ],
)
def test_before_promotion_the_gap_is_refused_naming_the_fix_on_the_primary(cloud, fix):
    evaluation = standby_of_a_primary_with_a_gap(cloud, False)
    assert isinstance(evaluation.error, ConfigError), evaluation.error
    message = str(evaluation.error)
    assert "astronomer-dr:standby.primaryStack:" in message and fix in message
    assert "while the primary's region is up" in message
    # The replica, the database a promotion would turn it into, is never declared on a refused reference.
    replica_types = ("gcp:sql/databaseInstance:DatabaseInstance", "aws:rds/instance:Instance")
    assert not [r for r in evaluation.resources if r.type in replica_types]


def test_at_promotion_gcp_warns_and_gives_the_platform_a_registry_of_its_own():
    evaluation = standby_of_a_primary_with_a_gap("gcp", True)
    assert evaluation.error is None, evaluation.error
    [warning] = evaluation.warnings
    assert "registry bucket is in us-central1 only" in warning and "Promoting anyway" in warning
    assert "astro deploy" in warning
    bucket = evaluation.one(GCS, "astro-gcp-standby-registry")
    assert bucket.input("location") == "us-east4" and bucket.protect is True
    assert bucket.input("versioning") == {"enabled": True}
    account = evaluation.one("gcp:serviceaccount/account:Account", "astro-gcp-standby-registry-identity")
    binding = evaluation.one("gcp:serviceaccount/iAMMember:IAMMember", "astro-gcp-standby-registry-workload-identity")
    assert binding.input("member").endswith("[astronomer/astronomer-registry-astro-gcp-standby]")
    [release] = [r for r in evaluation.of_type("kubernetes:helm.sh/v3:Release") if r.name == "astronomer-release"]
    assert release.input("values.astronomer.registry.gcs.bucket") == bucket.input("name")
    assert account.urn in binding.dependencies
    assert evaluation.outputs["registry_bucket"] == bucket.input("name")


def test_at_promotion_aws_warns_and_gives_the_platform_a_registry_of_its_own():
    evaluation = standby_of_a_primary_with_a_gap("aws", True)
    assert evaluation.error is None, evaluation.error
    [warning] = evaluation.warnings
    assert "keeps no registry replica in us-west-2" in warning and "Promoting anyway" in warning
    bucket = evaluation.one(S3, "astro-aws-standby-registry")
    name = bucket.input("bucket")
    assert name.startswith("astro-aws-standby-registry-") and name.endswith("-us-west-2")
    assert bucket.protect is True and bucket.input("forceDestroy") is False
    key = evaluation.one("aws:kms/key:Key", "astro-aws-standby-registry-key")
    assert key.protect is True
    policy = evaluation.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-standby-registry-irsa")
    assert f"arn:aws:s3:::{name}" in policy.input("policy")
    [release] = [r for r in evaluation.of_type("kubernetes:helm.sh/v3:Release") if r.name == "astronomer-release"]
    assert release.input("values.astronomer.registry.s3.bucket") == name
    assert evaluation.outputs["registry_bucket"] == name
