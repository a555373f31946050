"""Locations, regions and names as the clouds check them (issue 21, items 2 and 3).

Each refusal names its key; the accepted counterparts stay accepted. The facts' sources are in
their modules' docstrings (components/config/gcs_locations.py, components/aws_partitions.py) and
in each test below.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from components import aws_partitions, provider_config
from components.config import parse_settings
from components.config.backups import bucket_name_problem, host_list
from components.config.gcs_locations import GCS_DUAL_REGIONS, GCS_REGIONS, gcs_location
from components.config.restores import check_promoted
from components.schema import Problems
from tests.stack_inputs import DELETE, stack_with
from tests.test_input_refusals import AT, assert_refused, tls_secret_keys  # noqa: F401 (autouse fixture)
from tools.offline import MOCK_AWS_ACCOUNT
from tools.offline.outputs import mock_kms_key_id

KEY_ARN = f"arn:aws:kms:us-east-2:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id('other')}"


def accepted(stack: str, changes: dict):
    return parse_settings(stack_with(stack, changes), stack)


# ---- item 2: locations and regions from real lists ------------------------------------------


def test_the_gcs_location_facts():
    """https://cloud.google.com/storage/docs/locations: each predefined dual-region is two regions
    of one geography, every one a region of the list; the regions are Google Cloud's."""
    for code, pair in GCS_DUAL_REGIONS.items():
        assert len(set(pair)) == 2 and all(region in GCS_REGIONS for region in pair), code
    assert GCS_REGIONS == provider_config.GCP_REGIONS
    for good in ("US", "EU", "ASIA", "NAM4", "EUR4", "ASIA1", "us-east4", "europe-west4"):
        assert gcs_location(good) is None, good
    for bad in ("NAM5", "EUR9", "us-east9", "mars-north1", "US-EAST4", "nam4"):
        assert gcs_location(bad) is not None, bad
    assert "did you mean us-east4?" in (gcs_location("us-eats4") or "")


@pytest.mark.parametrize(
    "stack, changes, key",
    [
        ("gcp", {"astronomer-dr:backups.location": "us-east9"}, "astronomer-dr:backups.location"),
        ("gcp", {"astronomer-dr:registry.location": "europe-west99"}, "astronomer-dr:registry.location"),
        ("gcp", {"astronomer-dr:backups.location": "NAM5"}, "astronomer-dr:backups.location"),
    ],
)
def test_a_gcs_location_outside_the_list_is_refused(stack, changes, key):
    assert_refused(stack, changes, key, "must be a region (us-central1), a dual-region")


def test_a_dual_region_and_another_region_are_accepted():
    assert accepted("gcp", {"astronomer-dr:backups.location": "NAM4"}).backups.location == "NAM4"
    assert accepted("gcp", {"astronomer-dr:backups.location": "us-east4"}).backups.location == "us-east4"
    # The shipped gcp's registry is a configurable dual-region of US: a predefined one replaces both keys.
    eur4 = {"astronomer-dr:registry.location": "EUR4", "astronomer-dr:registry.dataLocations": DELETE}
    assert accepted("gcp", eur4).gcp.registry.location == "EUR4"


def test_every_region_the_provider_knows_has_one_partition():
    """partitions.json regionRegex (aws/aws-sdk-js-v3 packages/util-endpoints/src/lib/aws/partitions.json):
    each region of pulumi_aws.Region matches exactly one partition's regex."""
    for region in provider_config.aws_regions():
        matching = [p for p, rx in aws_partitions.PARTITION_REGION_REGEX.items() if re.match(rx, region)]
        assert len(matching) == 1, (region, matching)
    assert aws_partitions.partition_of("us-gov-west-1") == "aws-us-gov"
    assert aws_partitions.partition_of("cn-north-1") == "aws-cn"
    assert aws_partitions.partition_of("us-isob-east-1") == "aws-iso-b"
    assert aws_partitions.partition_of("us-east-2") == "aws"


@pytest.mark.parametrize(
    "stack, changes, key",
    [
        ("aws", {"astronomer-dr:backups.location": "us-gov-west-1"}, "astronomer-dr:backups.location"),
        ("aws", {"astronomer-dr:registry.replicaRegion": "cn-north-1"}, "astronomer-dr:registry.replicaRegion"),
        (
            "aws",
            {"astronomer-dr:database.backupReplicaRegion": "us-iso-east-1"},
            "astronomer-dr:database.backupReplicaRegion",
        ),
        (
            "aws",
            {
                "astronomer-dr:cluster.restore": {
                    "backup": "latest",
                    "sourceBucket": "acme-other-backups",
                    "sourceRegion": "us-gov-east-1",
                    "sourceKmsKeyArn": KEY_ARN,
                }
            },
            "astronomer-dr:cluster.restore.sourceRegion",
        ),
        ("aws", {"aws:region": "cn-northwest-1"}, "aws:region"),
    ],
)
def test_a_region_of_another_partition_is_refused(stack, changes, key):
    """The program writes arn:aws: ARNs (components/aws/backups.py, standby.py, iam.py)."""
    assert_refused(stack, changes, key, "partition")


def test_a_made_up_source_region_is_refused_and_a_real_one_accepted():
    restore = {"backup": "latest", "sourceBucket": "acme-other-backups", "sourceKmsKeyArn": KEY_ARN}
    assert_refused(
        "aws",
        {"astronomer-dr:cluster.restore": {**restore, "sourceRegion": "us-east-9"}},
        "astronomer-dr:cluster.restore.sourceRegion",
        "must be an AWS region",
    )
    settings = accepted("aws", {"astronomer-dr:cluster.restore": {**restore, "sourceRegion": "us-east-2"}})
    assert settings.backups.source_region == "us-east-2"


# ---- item 3: names as the clouds check them ---------------------------------------------------


@pytest.mark.parametrize(
    "cloud, name, ok",
    [
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
        ("aws", "acme-other-backups", True),
        ("aws", "acme.backups", True),
        ("aws", "acme_backups", False),  # no underscore in S3
        ("aws", "acme..backups", False),
        ("aws", "192.168.5.4", False),
        ("aws", "xn--acme", False),
        ("aws", "acme-s3alias", False),
        ("aws", "a" * 64, False),
        # https://cloud.google.com/storage/docs/buckets#naming
        ("gcp", "acme_other_backups", True),
        ("gcp", "acme.example.com", True),
        ("gcp", "goog-backups", False),
        ("gcp", "my-google-backups", False),
        ("gcp", "a" * 64, False),  # 63 without dots
        ("gcp", ".".join(["a" * 60] * 3), True),  # up to 222 with dots
        ("gcp", "a..b", False),
        ("gcp", "10.0.0.1", False),
    ],
)
def test_bucket_names(cloud, name, ok):
    assert (bucket_name_problem(cloud, name) is None) == ok, bucket_name_problem(cloud, name)


def test_a_source_bucket_is_held_to_its_clouds_rules():
    assert_refused(
        "aws",
        {
            "astronomer-dr:cluster.restore": {
                "backup": "latest",
                "sourceBucket": "acme_other_backups",
                "sourceRegion": "us-east-2",
                "sourceKmsKeyArn": KEY_ARN,
            }
        },
        "astronomer-dr:cluster.restore.sourceBucket",
        "must be an S3 bucket name",
    )
    assert_refused(
        "gcp",
        {"astronomer-dr:cluster.restore": {"backup": "latest", "sourceBucket": "google-backups"}},
        "astronomer-dr:cluster.restore.sourceBucket",
        "not containing 'google'",
    )


def test_the_source_key_is_in_the_source_region_of_the_commercial_partition():
    """An SSE-KMS key is in its bucket's region
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html); key ids are
    UUIDs or `mrk-` ids (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-id)."""
    restore = {"backup": "latest", "sourceBucket": "acme-other-backups", "sourceRegion": "us-east-2"}
    west = KEY_ARN.replace("us-east-2", "us-west-2")
    assert_refused(
        "aws",
        {"astronomer-dr:cluster.restore": {**restore, "sourceKmsKeyArn": west}},
        "astronomer-dr:cluster.restore.sourceKmsKeyArn",
        "is a key of us-west-2, and sourceRegion is us-east-2",
    )
    for bad in (KEY_ARN.replace("arn:aws:", "arn:aws-cn:"), KEY_ARN.rsplit("/", 1)[0] + "/alias/backups"):
        assert_refused(
            "aws",
            {"astronomer-dr:cluster.restore": {**restore, "sourceKmsKeyArn": bad}},
            "astronomer-dr:cluster.restore.sourceKmsKeyArn",
            "commercial partition",
        )
    mrk = KEY_ARN.rsplit("/", 1)[0] + "/mrk-" + "0123456789abcdef" * 2
    assert accepted("aws", {"astronomer-dr:cluster.restore": {**restore, "sourceKmsKeyArn": mrk}}).backups


@pytest.mark.parametrize(
    "arn, says",
    [
        ("arn:aws-us-gov:iam::123456789012:role/ci", "commercial partition"),
        ("arn:aws:iam::123456789012:role//ci", "path segments not empty"),
        ("arn:aws:iam::123456789012:role/" + "r" * 65, "name 1-64 characters"),
        ("arn:aws:sts::123456789012:assumed-role/ci/session", "not an assumed-role session"),
    ],
)
def test_cluster_admins_are_iam_principals_as_iam_names_them(arn, says):
    """IAM name requirements: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
    (role and user names 64 characters); a path is `/` or segments between slashes
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html, Path)."""
    assert_refused("aws", {"astronomer-dr:cluster.admins": [arn]}, "astronomer-dr:cluster.admins", says)


def test_a_role_with_a_path_is_an_admin():
    arn = "arn:aws:iam::123456789012:role/ops/ci/deploy"
    assert accepted("aws", {"astronomer-dr:cluster.admins": [arn]}).aws.cluster.admins == (arn,)


def test_previous_database_hosts_are_addresses_or_dns_names():
    """RFC 1035 2.3.4 (labels of at most 63, names of 253), RFC 3696 2 (a top-level label is not
    all digits): 10.0.0.256 is a bad address, not a name."""
    assert (
        host_list(
            ("10.250.0.9", "fd00::5", "db.internal.example.com", "astro-aws-db.c0mock.us-east-1.rds.amazonaws.com")
        )
        is None
    )
    for bad in (
        "10.0.0.256",
        "db_host",
        "-db.example.com",
        "a" * 64 + ".example.com",
        "db..example.com",
        "DB.example.com",
    ):
        assert host_list((bad,)) is not None, bad


@pytest.mark.parametrize(
    "reference, ok",
    [
        ("organization/astronomer-dr/aws", True),
        ("acme-corp/astronomer-dr/aws", True),
        ("acme_corp/astronomer-dr/prod.us-east-1", True),
        ("ac/astronomer-dr/aws", False),  # an organization is at least 3 characters
        ("acme.corp/astronomer-dr/aws", False),  # no dot in an organization
        ("-acme/astronomer-dr/aws", False),
        ("acme/astronomer-dr/" + "s" * 101, False),  # a stack name is at most 100
        ("acme/astronomer-dr/aws stack", False),
    ],
)
def test_primary_stack_by_pulumis_rules(reference, ok):
    """pulumi/pulumi 1b5949891b3c: pkg/backend/httpstate/backend.go l.140 stackOwnerRegexp,
    pkg/backend/diy/store.go l.168-173 (`organization`), sdk/go/common/tokens/stack_name.go
    ParseStackName (1-100 of [A-Za-z0-9_.-])."""
    changes = {"astronomer-dr:standby.primaryStack": reference}
    if ok:
        assert accepted("aws-standby", changes).standby.primary_stack == reference
    else:
        assert_refused(
            "aws-standby", changes, "astronomer-dr:standby.primaryStack", "must be <organization>/<project>/<stack>"
        )


def test_a_promoted_restore_is_of_a_moment_already_past():
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    db = {"primary": "pitr-20261120t093000z", "promoted": {"point_in_time": AT}}
    problems = Problems()
    assert check_promoted(db, problems, now) is not None and not problems.items
    future = {"primary": "pitr-20261121t093000z", "promoted": {"point_in_time": "2026-11-21T09:30:00Z"}}
    assert check_promoted(future, problems, now) is None
    assert problems.items == [
        "astronomer-dr:database.promoted.pointInTime: is in the future (now 2026-11-20T10:00:00Z): "
        "no restore can have been made of it, got '2026-11-21T09:30:00Z'"
    ]


# ---- item 4: what a stack accepts, it honours ---------------------------------------------------


@pytest.mark.parametrize(
    "stack, key, value",
    [
        ("aws-standby", "astronomer-dr:registry.replicaRegion", "us-east-2"),
        ("aws-standby", "astronomer-dr:registry.noncurrentVersionDays", 60),
        ("gcp-standby", "astronomer-dr:registry.location", "US"),
        ("gcp-standby", "astronomer-dr:registry.dataLocations", ["us-east4", "us-east1"]),
    ],
)
def test_registry_keys_on_a_standby_are_refused_not_ignored(stack, key, value):
    """components/aws/standby.py and components/gcp/standby.py read no registry setting of the
    standby: its registry serves the primary's bucket (GCP) or the primary's S3 replica (AWS)."""
    assert_refused(stack, {key: value}, key, "not with a standby: its registry serves the primary's")
    assert accepted(stack, {}).standby is not None  # the committed standby files set none


def test_a_standby_keeps_its_backups_out_of_its_primarys_region_too():
    """Issue 21: the Velero bucket outlives the region failed over from (checked against the
    primary's `region` output, components/config/standby.py check_primary)."""
    from components.config.standby import check_primary
    from components.schema import ConfigError
    from tests.test_standby import gcp_primary_exports

    primary_region = gcp_primary_exports()["region"]
    settings = accepted("gcp-standby", {"astronomer-dr:backups.location": primary_region})
    with pytest.raises(ConfigError) as caught:
        check_primary(settings, gcp_primary_exports())
    assert f"astronomer-dr:backups.location: must not be the primary's region {primary_region}" in str(caught.value)
    # Another region, and the default multi-region, are accepted.
    assert check_primary(accepted("gcp-standby", {"astronomer-dr:backups.location": "us-west1"}), gcp_primary_exports())
    assert check_primary(accepted("gcp-standby", {}), gcp_primary_exports())
