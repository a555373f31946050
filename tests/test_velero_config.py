"""`astronomer-dr:backups` and `astronomer-dr:cluster.restore`: defaults, and bad input refused with the key named."""

from __future__ import annotations

import pytest

from components.schema import cron_schedule, velero_backup_name
from tests.test_config import gcp_config, parse, refusal, tls_secret_keys  # noqa: F401 (autouse fixture)


def aws_config(**objects):
    config = {k: v for k, v in gcp_config(**objects).items() if not k.startswith("gcp:")}
    config.update({"aws:region": "us-east-1", "astronomer-dr:cloud": "aws"})
    return config


def test_defaults_back_up_hourly_for_a_week_outside_the_region():
    gcp = parse(gcp_config()).backups
    assert (gcp.schedule, gcp.retention_days, gcp.ttl, gcp.location, gcp.restore_backup) == (
        "0 * * * *",
        7,
        "168h0m0s",
        "US",
        None,
    )
    assert parse(aws_config(), "aws").backups.location == "us-west-2"  # database.backupReplicaRegion's default
    assert parse(aws_config(database={"backupReplicaRegion": "us-east-2"}), "aws").backups.location == "us-east-2"


def test_restore_is_read_from_the_cluster_object():
    settings = parse(gcp_config(cluster={"restore": {"backup": "latest"}}))
    assert settings.backups.restore_backup == "latest"
    assert not hasattr(settings.gcp.cluster, "restore")
    named = parse(aws_config(cluster={"restore": {"backup": "astronomer-deployments-20261120093000"}}), "aws")
    assert named.backups.restore_backup == "astronomer-deployments-20261120093000"


@pytest.mark.parametrize(
    "objects,key,says",
    [
        ({"backups": {"retentionDays": 6}}, "astronomer-dr:backups.retentionDays", "between 7 and 365"),
        ({"backups": {"schedule": "hourly"}}, "astronomer-dr:backups.schedule", "five-field cron"),
        ({"backups": {"schedule": "0 25 * * *"}}, "astronomer-dr:backups.schedule", "hour '25' ends above 23"),
        ({"backups": {"location": "us-central1"}}, "astronomer-dr:backups.location", "lost with the region"),
        ({"backups": {"location": "MARS"}}, "astronomer-dr:backups.location", "multi-region"),
        ({"backups": {"retention": 7}}, "astronomer-dr:backups.retention", "did you mean 'retentionDays'"),
        ({"cluster": {"restore": {"backup": "Latest!"}}}, "astronomer-dr:cluster.restore.backup", "`latest`"),
        ({"cluster": {"restore": {}}}, "astronomer-dr:cluster.restore.backup", "required"),
        (
            {"cluster": {"restore": {"backupName": "x"}}},
            "astronomer-dr:cluster.restore.backupName",
            "did you mean 'backup'",
        ),
        (
            {"cluster": {"restore": {"backup": "latest", "previousDatabaseHosts": ["db host"]}}},
            "astronomer-dr:cluster.restore.previousDatabaseHosts",
            "host name or IP",
        ),
    ],
)
def test_bad_input_is_refused_with_the_key_named(objects, key, says):
    message = refusal(gcp_config(**objects))
    line = next((line for line in message.splitlines() if key + ":" in line), None)
    assert line is not None, f"{key} not named in:\n{message}"
    assert says in line


def test_a_source_bucket_on_aws_needs_its_region_and_key():
    message = refusal(aws_config(cluster={"restore": {"backup": "latest", "sourceBucket": "other-backups"}}), "aws")
    assert "astronomer-dr:cluster.restore.sourceRegion: required on AWS with sourceBucket" in message
    message = refusal(
        gcp_config(
            cluster={"restore": {"backup": "latest", "sourceBucket": "acme-other-backups", "sourceRegion": "us-east-2"}}
        )
    )
    assert "astronomer-dr:cluster.restore.sourceRegion: only applies on AWS" in message
    settings = parse(
        gcp_config(cluster={"restore": {"backup": "latest", "sourceBucket": "acme-other-backups"}})
    ).backups
    assert settings.source_bucket == "acme-other-backups"


def test_aws_location_must_leave_the_region():
    message = refusal(aws_config(backups={"location": "us-east-1"}), "aws")
    assert "astronomer-dr:backups.location: must be a region other than aws:region (us-east-1)" in message


@pytest.mark.parametrize("good", ["0 * * * *", "*/30 * * * *", "15 2,14 * * 1-5", "0 3 1 * 0", "@hourly"])
def test_cron_accepts_five_fields(good):
    assert cron_schedule(good) is None


@pytest.mark.parametrize("bad", ["@hour", "0 * * *", "60 * * * *", "0 * * * * *", "0 * 0 * *"])
def test_cron_refuses_the_rest(bad):
    assert cron_schedule(bad) is not None


def test_backup_names():
    assert velero_backup_name("latest") is None and velero_backup_name("astronomer-deployments-20261120093000") is None
    assert velero_backup_name("Bad_Name") is not None
