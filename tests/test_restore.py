"""Declared restores: config refusals, the restored instance on both clouds, promotion, retirement.

Pure config checks use a fixed `now`; the stack evaluations run the real program under the offline
engine with restore times relative to the current time (the program checks them against it).
"""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from components.config import (
    LABEL_MAX,
    ORIGINAL_LABEL,
    parse_rfc3339,
    parse_settings,
    restore_label,
)
from components.schema import ConfigError
from policy.policies import validate_resources
from tests.conftest import TLS_SECRETS, bootstrap_connection_url, evaluate_stack, secret_leaks
from tests.test_policy_program import as_policy_resources
from tools.offline import MOCK_PASSWORD, Evaluation, Secret, evaluate, reveal, stack_config

PROJECT_DIR = Path(__file__).resolve().parent.parent
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
RDS = "aws:rds/instance:Instance"
SQL_USER = "gcp:sql/user:User"
JOB = "kubernetes:batch/v1:Job"
INSTANCE = {"gcp": SQL, "aws": RDS}
# Inputs that only apply when an instance is created, as the engine names them.
CREATE_ONLY = {"gcp": {"clone", "restoreBackupContext"}, "aws": {"restoreToPointInTime", "snapshotIdentifier"}}

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# For evaluations: a time well inside both clouds' windows, the same for the whole session.
AT_TIME = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
AT = AT_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
AT_LABEL = restore_label(point_in_time=AT_TIME)


def committed(stack: str, key: str) -> dict[str, Any]:
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return dict(document["config"].get(f"astronomer-dr:{key}") or {})


@functools.cache
def _evaluated(stack: str, overrides_json: str) -> Evaluation:
    return evaluate_stack(stack, **json.loads(overrides_json))


def evaluated(stack: str, database: dict | None = None, **objects: dict) -> Evaluation:
    """The committed stack with `database` keys changed (None removes a key) and whole objects replaced."""
    overrides: dict[str, Any] = {f"astronomer-dr:{k}": v for k, v in objects.items()}
    if database is not None:
        db = {**committed(stack, "database"), **database}
        overrides["astronomer-dr:database"] = {k: v for k, v in db.items() if v is not None}
    evaluation = _evaluated(stack, json.dumps(overrides, sort_keys=True))
    if evaluation.error is not None:
        raise AssertionError(f"{stack} failed to evaluate: {evaluation.error}") from evaluation.error
    return evaluation


def restored(stack: str, **restore: Any) -> Evaluation:
    return evaluated(stack, {"restore": restore})


def instances(evaluation: Evaluation, stack: str) -> dict[str, Any]:
    """Registered database instances by label (the original has the component's own name)."""
    found = {}
    for r in evaluation.of_type(INSTANCE[stack]):
        match = re.match(rf"^astro-{stack}-db(?:-(.+))?$", r.name)
        assert match, r.name
        found[match.group(1) or ORIGINAL_LABEL] = r
    return found


def without(inputs: dict, keys: set[str]) -> dict:
    return {k: v for k, v in reveal(inputs).items() if k not in keys}


# ---- config: labels and times -------------------------------------------------------------------


def gcp_config(**database: Any) -> dict[str, str]:
    return {
        "gcp:project": "acme-prod",
        "gcp:region": "us-central1",
        "astronomer-dr:cloud": "gcp",
        "astronomer-dr:platform": json.dumps({"baseDomain": "astro.example.com"}),
        "astronomer-dr:database": json.dumps(database),
        **TLS_SECRETS,
    }


def aws_config(region: str = "us-east-1", registry: dict | None = None, **database: Any) -> dict[str, str]:
    config = {
        "aws:region": region,
        "astronomer-dr:cloud": "aws",
        "astronomer-dr:platform": json.dumps({"baseDomain": "astro.example.com"}),
        "astronomer-dr:database": json.dumps(database),
        **TLS_SECRETS,
    }
    if registry is not None:
        config["astronomer-dr:registry"] = json.dumps(registry)
    return config


@pytest.fixture(autouse=True)
def tls_secret_keys(monkeypatch):
    from pulumi.runtime import config as runtime_config

    monkeypatch.setattr(runtime_config, "is_config_secret", lambda key: key in TLS_SECRETS)


def parse(config: dict[str, str], stack: str = "gcp", now: datetime = NOW):
    return parse_settings(config, stack, now=now)


def refusal(config: dict[str, str], stack: str = "gcp") -> str:
    with pytest.raises(ConfigError) as caught:
        parse(config, stack)
    return str(caught.value)


def test_point_in_time_labels_are_utc_and_stable():
    assert restore_label(point_in_time=parse_rfc3339("2026-11-20T09:30:00Z")[0]) == "pitr-20261120t093000z"
    # The same instant written with an offset is the same restore, the same instance.
    assert restore_label(point_in_time=parse_rfc3339("2026-11-20T10:30:00+01:00")[0]) == "pitr-20261120t093000z"


@pytest.mark.parametrize(
    "backup_id, label",
    [
        ("1732094400000", "backup-1732094400000"),
        ("rds:astro-aws-db-2026-11-20", "backup-astro-aws-db-2026-11-20"),
        ("arn:aws:rds:us-east-1:111122223333:snapshot:before-upgrade", "backup-before-upgrade"),
        ("My__Snapshot--X", "backup-my-snapshot-x"),
    ],
)
def test_backup_labels_are_sanitized(backup_id, label):
    assert restore_label(backup_id=backup_id) == label


def test_long_backup_labels_are_bounded_unique_and_valid_rds_identifiers():
    a = restore_label(backup_id="rds:astro-aws-db-2026-11-20-03-00-and-a-very-long-suffix")
    b = restore_label(backup_id="rds:astro-aws-db-2026-11-20-03-00-and-a-very-long-suffiy")
    assert a != b and len(a) <= LABEL_MAX and len(b) <= LABEL_MAX
    # `<prefix>-db-<label>` with the longest prefix (25) is a valid RDS identifier.
    identifier = f"{'a' * 25}-db-{a}"
    assert len(identifier) <= 63 and "--" not in identifier and not identifier.endswith("-")


def test_a_restore_is_parsed_and_becomes_the_platforms_database():
    database = parse(gcp_config(restore={"pointInTime": "2026-11-20T10:30:00+01:00"})).gcp.database
    assert database.restore.point_in_time == "2026-11-20T09:30:00Z"
    assert database.restore.label == "pitr-20261120t093000z"
    assert database.platform_label == "pitr-20261120t093000z"
    assert database.declared_labels == ("original", "pitr-20261120t093000z")


def test_a_numeric_backup_id_is_taken_as_text():
    """YAML `backupId: 1732094400000` (or `config set --path`) arrives as a number."""
    database = parse(gcp_config(restore={"backupId": 1732094400000})).gcp.database
    assert database.restore.backup_id == "1732094400000"
    assert database.restore.label == "backup-1732094400000"


def test_a_deleted_source_is_restored_relative_to_its_deletion():
    # 9 days ago is outside the window from now, inside the 7 days before the deletion.
    restore = {
        "pointInTime": "2026-11-11T12:00:00Z",
        "sourceInstance": "astro-gcp-db-1a2b3c4",
        "sourceDeletedAt": "2026-11-14T08:00:00Z",
    }
    database = parse(gcp_config(restore=restore)).gcp.database
    assert database.restore.source_deleted_at == "2026-11-14T08:00:00Z"


def test_aws_window_is_the_backup_retention():
    ten_days = "2026-11-10T12:00:00Z"
    assert parse(aws_config(backupRetentionDays=14, restore={"pointInTime": ten_days}), "aws").aws.database.restore
    message = refusal(aws_config(backupRetentionDays=7, restore={"pointInTime": ten_days}), "aws")
    assert "astronomer-dr:database.restore.pointInTime: is older than the 7-day backup retention" in message


def test_promotion_and_retirement_settings():
    database = parse(
        gcp_config(
            primary="pitr-20261120t093000z", promoted={"pointInTime": "2026-11-20T09:30:00Z"}, keepOriginal=False
        )
    ).gcp.database
    assert database.platform_label == "pitr-20261120t093000z"
    assert database.declared_labels == ("pitr-20261120t093000z",)
    database = parse(
        gcp_config(
            primary="pitr-20261120t093000z",
            promoted={"pointInTime": "2026-11-20T09:30:00Z"},
            unprotect=["original"],
            keepRestored=["backup-1"],
        )
    ).gcp.database
    assert database.declared_labels == ("original", "pitr-20261120t093000z", "backup-1")
    assert not database.guarded("original") and database.guarded("pitr-20261120t093000z")


GCP_REFUSALS = [
    ({"restore": {"pointInTime": "2026-11-21T09:30:00Z"}}, "restore.pointInTime", "is in the future"),
    (
        {"restore": {"pointInTime": "2026-11-12T09:30:00Z"}},
        "restore.pointInTime",
        "older than the 7-day window of Cloud SQL transaction logs",
    ),
    ({"restore": {"pointInTime": "2026-11-12T09:30:00Z"}}, "restore.pointInTime", "primary: pitr-20261112t093000z"),
    ({"restore": {"pointInTime": "20 Nov 2026 09:30"}}, "restore.pointInTime", "RFC 3339"),
    ({"restore": {"pointInTime": "2026-11-31T09:30:00Z"}}, "restore.pointInTime", "not a valid date"),
    ({"restore": {"pointInTime": "2026-11-20T09:30:00"}}, "restore.pointInTime", "must include a timezone"),
    ({"restore": {"pointInTime": "2026-11-20T09:30:00.5Z"}}, "restore.pointInTime", "whole seconds"),
    (
        {"restore": {"pointInTime": "2026-11-20T09:30:00Z", "backupId": "1"}},
        "restore",
        "exactly one of pointInTime or backupId, not both",
    ),
    ({"restore": {}}, "restore", "set exactly one of pointInTime"),
    ({"restore": {"sourceInstance": "astro-gcp-db-1"}}, "restore", "set exactly one of pointInTime"),
    ({"restore": {"pointIntime": "2026-11-20T09:30:00Z"}}, "restore.pointIntime", "did you mean 'pointInTime'"),
    ({"restore": {"backupID": "1"}}, "restore.backupID", "did you mean 'backupId'"),
    (
        {"restore": {"pointInTime": "2026-11-20T09:30:00Z"}, "pointInTimeRecovery": False},
        "restore.pointInTime",
        "needs database.pointInTimeRecovery: true",
    ),
    ({"restore": {"backupId": "latest"}}, "restore.backupId", "backup run id"),
    (
        {"restore": {"backupId": "1", "sourceDeletedAt": "2026-11-19T00:00:00Z"}},
        "restore.sourceDeletedAt",
        "only applies with pointInTime",
    ),
    (
        {"restore": {"pointInTime": "2026-11-19T09:30:00Z", "sourceDeletedAt": "2026-11-21T00:00:00Z"}},
        "restore.sourceDeletedAt",
        "is in the future",
    ),
    (
        {"restore": {"pointInTime": "2026-11-19T09:30:00Z", "sourceDeletedAt": "2026-11-18T00:00:00Z"}},
        "restore.pointInTime",
        "is after sourceDeletedAt",
    ),
    (
        {"restore": {"pointInTime": "2026-11-05T09:30:00Z", "sourceDeletedAt": "2026-11-18T00:00:00Z"}},
        "restore.pointInTime",
        "before sourceDeletedAt",
    ),
    (
        {"restore": {"pointInTime": "2026-11-19T09:30:00Z", "sourceDeletedAt": "yesterday"}},
        "restore.sourceDeletedAt",
        "RFC 3339",
    ),
    (
        {"restore": {"pointInTime": "2026-11-19T09:30:00Z", "sourceInstance": "Bad_Name"}},
        "restore.sourceInstance",
        "Cloud SQL instance name",
    ),
    ({"primary": "my-restore"}, "primary", "instance label"),
    (
        {"primary": "pitr-20261120t093000z", "restore": {"pointInTime": "2026-11-20T09:30:00Z"}},
        "restore",
        "already the primary",
    ),
    ({"keepRestored": ["backup-1"], "restore": {"backupId": "1"}}, "restore", "already declared (keepRestored)"),
    ({"keepOriginal": False}, "keepOriginal", "the original is the platform's database"),
    (
        {"keepOriginal": False, "restore": {"pointInTime": "2026-11-20T09:30:00Z"}},
        "restore.sourceInstance",
        "required with keepOriginal: false",
    ),
    ({"unprotect": ["original"]}, "unprotect", "must not name the platform's database (original)"),
    ({"primary": "backup-7", "unprotect": ["backup-7"]}, "unprotect", "must not name the platform's database"),
    ({"keepRestored": ["original"]}, "keepRestored", "the original is kept with keepOriginal"),
    ({"backupLocation": "us-central1"}, "backupLocation", "other than the instance's region"),
    ({"backupLocation": "mars"}, "backupLocation", "Cloud SQL backup location"),
]


@pytest.mark.parametrize("database, key, says", GCP_REFUSALS, ids=[f"{k}:{s}" for _, k, s in GCP_REFUSALS])
def test_gcp_refusals_name_the_key(database, key, says):
    message = refusal(gcp_config(**database))
    line = next((line for line in message.splitlines() if f"astronomer-dr:database.{key}:" in line), None)
    assert line is not None, f"database.{key} not named in:\n{message}"
    assert says in line, line


AWS_REFUSALS = [
    ({"restore": {"pointInTime": "2026-11-21T09:30:00Z"}}, "restore.pointInTime", "is in the future"),
    (
        {"restore": {"pointInTime": "2026-11-12T09:30:00Z"}},
        "restore.pointInTime",
        "older than the 7-day backup retention",
    ),
    ({"restore": {"pointInTime": "2026-11-20 09:30"}}, "restore.pointInTime", "RFC 3339"),
    ({"restore": {"pointInTime": "2026-11-20T09:30:00Z", "backupId": "snap"}}, "restore", "not both"),
    (
        {"restore": {"pointInTime": "2026-11-20T09:30:00Z", "sourceDeletedAt": "2026-11-20T00:00:00Z"}},
        "restore.sourceDeletedAt",
        "unknown key",
    ),
    ({"restore": {"backupId": "arn:aws:rds:us-east-1:1:snapshot:x"}}, "restore.backupId", "RDS snapshot identifier"),
    (
        {
            "restore": {
                "backupId": "snap",
                "sourceAutomatedBackupsArn": "arn:aws:rds:us-west-2:111122223333:auto-backup:ab-abc123",
            }
        },
        "restore.sourceAutomatedBackupsArn",
        "only applies with pointInTime",
    ),
    (
        {
            "restore": {
                "pointInTime": "2026-11-20T09:30:00Z",
                "sourceInstance": "astro-aws-db",
                "sourceAutomatedBackupsArn": "arn:aws:rds:us-west-2:111122223333:auto-backup:ab-abc123",
            }
        },
        "restore.sourceAutomatedBackupsArn",
        "not both",
    ),
    (
        {"restore": {"pointInTime": "2026-11-20T09:30:00Z", "sourceAutomatedBackupsArn": "ab-abc123"}},
        "restore.sourceAutomatedBackupsArn",
        "automated backups ARN",
    ),
    (
        {"restore": {"pointInTime": "2026-11-20T09:30:00Z", "sourceInstance": "db--x"}},
        "restore.sourceInstance",
        "RDS instance identifier",
    ),
    ({"backupReplicaRegion": "us-east-1"}, "backupReplicaRegion", "other than aws:region"),
    ({"backupReplicaRegion": "west"}, "backupReplicaRegion", "AWS region"),
]


@pytest.mark.parametrize("database, key, says", AWS_REFUSALS, ids=[f"{k}:{s}" for _, k, s in AWS_REFUSALS])
def test_aws_refusals_name_the_key(database, key, says):
    message = refusal(aws_config(**database), "aws")
    line = next((line for line in message.splitlines() if f"astronomer-dr:database.{key}:" in line), None)
    assert line is not None, f"database.{key} not named in:\n{message}"
    assert says in line, line


def test_region_dependent_defaults_are_refused_where_they_do_not_exist():
    config = {**gcp_config(), "gcp:region": "australia-southeast1"}
    assert "astronomer-dr:database.backupLocation: required in australia-southeast1" in refusal(config)
    assert "astronomer-dr:database.backupReplicaRegion: required in ap-south-1" in refusal(
        aws_config(region="ap-south-1"), "aws"
    )
    assert (
        parse(
            aws_config(region="ap-south-1", backupReplicaRegion="ap-southeast-1"), "aws"
        ).aws.database.backup_replica_region
        == "ap-southeast-1"
    )


def test_registry_replica_and_placement_refusals():
    assert "astronomer-dr:registry.replicaRegion: must be a region other than aws:region" in refusal(
        aws_config(registry={"replicaRegion": "us-east-1"}), "aws"
    )
    config = gcp_config()
    config["astronomer-dr:registry"] = json.dumps({"dataLocations": ["us-central1", "us-east1"]})
    assert "astronomer-dr:registry.dataLocations: needs registry.location" in refusal(config)
    config["astronomer-dr:registry"] = json.dumps({"location": "moon"})
    assert "astronomer-dr:registry.location: must be a region" in refusal(config)


def test_teardown_is_refused_outside_drill_stacks():
    config = {**gcp_config(), "astronomer-dr:teardown": "true"}
    assert "astronomer-dr:teardown: only a throwaway stack named drill-<name>" in refusal(config, "gcp")
    assert parse(config, "drill-gcp").gcp.teardown is True
    assert parse(gcp_config(), "drill-gcp").gcp.teardown is False


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError):
        parse_settings(gcp_config(), "gcp", now=datetime(2026, 11, 20))


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_a_refused_restore_declares_nothing(stack):
    evaluation = evaluate_stack(
        stack,
        **{
            "astronomer-dr:database": {
                **committed(stack, "database"),
                "restore": {"pointInTime": "2099-01-01T00:00:00Z"},
            }
        },
    )
    assert isinstance(evaluation.error, ConfigError), evaluation.error
    assert "astronomer-dr:database.restore.pointInTime: is in the future" in str(evaluation.error)
    assert evaluation.resources == [] and evaluation.reads == []


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_committed_stack_files_declare_no_restore(stack):
    database = committed(stack, "database")
    assert not {"restore", "primary", "keepOriginal", "keepRestored", "unprotect"} & set(database)
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    assert "astronomer-dr:teardown" not in document["config"]


# ---- GCP: the restored instance ----------------------------------------------------------------


def test_gcp_point_in_time_clones_the_primary_into_a_new_instance():
    evaluation = restored("gcp", pointInTime=AT)
    found = instances(evaluation, "gcp")
    assert set(found) == {ORIGINAL_LABEL, AT_LABEL}
    original, new = found[ORIGINAL_LABEL], found[AT_LABEL]
    assert new.input("clone") == {
        "sourceInstanceName": "astro-gcp-db-mock1234",  # the original's name, from its outputs
        "pointInTime": AT,
        "allocatedIpRange": "astro-gcp-private-services",
    }
    assert original.urn in new.property_dependencies["clone"]
    assert new.input("restoreBackupContext") is None
    # The damaged original stays declared, protected, unchanged.
    assert original.protect is True and original.input("clone") is None
    assert without(original.inputs, set()) == without(evaluated("gcp").one(SQL).inputs, set())


def test_gcp_restored_instance_has_every_dr_setting_of_the_original():
    found = instances(restored("gcp", pointInTime=AT), "gcp")
    original, new = found[ORIGINAL_LABEL], found[AT_LABEL]
    settings, original_settings = dict(new.input("settings")), dict(original.input("settings"))
    assert settings.pop("userLabels")["astronomer-dr-instance"] == AT_LABEL
    original_settings.pop("userLabels")
    assert (
        settings == original_settings
    )  # backups, location, PITR, HA, private IP, TLS, protection, retained/final backups
    assert without(new.inputs, CREATE_ONLY["gcp"] | {"settings"}) == without(original.inputs, {"settings"})
    assert new.protect is True and new.input("deletionProtection") is True
    assert set(new.ignore_changes) == CREATE_ONLY["gcp"]
    assert "name" not in new.inputs  # auto-named, like the original


def test_gcp_restore_of_a_backup_run():
    found = instances(restored("gcp", backupId="1732094400000", sourceInstance="astro-old-db-1a2b3c4"), "gcp")
    new = found["backup-1732094400000"]
    assert new.input("restoreBackupContext") == {"backupRunId": 1732094400000, "instanceId": "astro-old-db-1a2b3c4"}
    assert new.input("clone") is None


def test_gcp_clone_of_a_deleted_instance():
    deleted = (AT_TIME + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = instances(
        restored("gcp", pointInTime=AT, sourceInstance="astro-gcp-db-gone", sourceDeletedAt=deleted), "gcp"
    )
    assert found[AT_LABEL].input("clone.sourceInstanceDeletionTime") == deleted
    assert found[AT_LABEL].input("clone.sourceInstanceName") == "astro-gcp-db-gone"


def test_gcp_restored_instance_has_the_user_with_the_same_generated_password():
    evaluation = restored("gcp", pointInTime=AT)
    users = {u.name: u for u in evaluation.of_type(SQL_USER)}
    assert set(users) == {"astro-gcp-db-user", f"astro-gcp-db-{AT_LABEL}-user"}
    user = users[f"astro-gcp-db-{AT_LABEL}-user"]
    assert user.input("name") == "astronomer" and user.input("instance") == f"astro-gcp-db-{AT_LABEL}-mock1234"
    assert isinstance(user.inputs["password"], Secret) and user.input("password") == MOCK_PASSWORD
    assert len(evaluation.of_type("random:index/randomPassword:RandomPassword")) == 2  # db password + registry secret


# ---- AWS: the restored instance ----------------------------------------------------------------


def test_aws_point_in_time_restores_the_primary_into_a_new_instance():
    found = instances(restored("aws", pointInTime=AT), "aws")
    assert set(found) == {ORIGINAL_LABEL, AT_LABEL}
    original, new = found[ORIGINAL_LABEL], found[AT_LABEL]
    assert new.input("identifier") == f"astro-aws-db-{AT_LABEL}"
    assert new.input("restoreToPointInTime") == {"restoreTime": AT, "sourceDbInstanceIdentifier": "astro-aws-db"}
    assert new.input("snapshotIdentifier") is None
    assert new.input("finalSnapshotIdentifier") == f"astro-aws-db-{AT_LABEL}-final"
    # Every DR setting of the original; the same key, subnets, firewall, parameters and password.
    # Except the key and the size: a restore keeps its backup's (tests/test_provider_facts.py).
    differs = {"identifier", "finalSnapshotIdentifier", "kmsKeyId", "allocatedStorage"} | CREATE_ONLY["aws"]
    assert without(new.inputs, differs) == without(original.inputs, differs)
    assert new.input("kmsKeyId") is None and original.input("kmsKeyId")
    assert new.input("allocatedStorage") is None and original.input("allocatedStorage")
    assert isinstance(new.inputs["password"], Secret) and new.input("password") == MOCK_PASSWORD
    assert new.protect is True and new.input("deletionProtection") is True
    assert set(new.ignore_changes) == CREATE_ONLY["aws"]
    assert original.protect is True and original.input("restoreToPointInTime") is None


def test_aws_restore_of_a_snapshot():
    found = instances(restored("aws", backupId="rds:astro-aws-db-2026-11-20-03-00"), "aws")
    label = restore_label(backup_id="rds:astro-aws-db-2026-11-20-03-00")
    assert label.startswith("backup-astro-aws-db-2026-11-") and len(label) <= LABEL_MAX  # bounded, with a hash
    new = found[label]
    assert new.input("snapshotIdentifier") == "rds:astro-aws-db-2026-11-20-03-00"
    assert new.input("restoreToPointInTime") is None


def test_aws_restore_from_retained_or_replicated_automated_backups():
    arn = "arn:aws:rds:us-west-2:111122223333:auto-backup:ab-0123456789abcdefghij"
    found = instances(restored("aws", pointInTime=AT, sourceAutomatedBackupsArn=arn), "aws")
    assert found[AT_LABEL].input("restoreToPointInTime") == {
        "restoreTime": AT,
        "sourceDbInstanceAutomatedBackupsArn": arn,
    }


# ---- both clouds: the platform follows, promotion, retirement ------------------------------------

# The restored RDS instance's endpoint; a restored Cloud SQL instance's address the engine derives (below).
NEW_AWS_HOST = f"astro-aws-db-{AT_LABEL}.c0mockabcdef.us-east-1.rds.amazonaws.com"
OLD_HOST = {"gcp": "10.99.0.3", "aws": "astro-aws-db.c0mockabcdef.us-east-1.rds.amazonaws.com"}


def restored_host(evaluation: Evaluation, stack: str) -> str:
    """The address the offline engine gave the restored instance."""
    if stack == "aws":
        return NEW_AWS_HOST
    from tools.offline import _sql_private_ip

    return _sql_private_ip(f"astro-gcp-db-{AT_LABEL}")


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_bootstrap_secret_points_at_the_restored_instance(stack):
    evaluation = restored(stack, pointInTime=AT)
    url = bootstrap_connection_url(evaluation)
    assert url.hostname == restored_host(evaluation, stack) != OLD_HOST[stack]
    assert unquote(url.username) == "astronomer" and unquote(url.password) == MOCK_PASSWORD
    assert bootstrap_connection_url(evaluated(stack)).hostname == OLD_HOST[stack]
    assert evaluation.outputs["database_label"] == AT_LABEL
    assert set(evaluation.outputs["database_instances"]) == {ORIGINAL_LABEL, AT_LABEL}
    assert evaluated(stack).outputs["database_label"] == ORIGINAL_LABEL
    assert secret_leaks(evaluation, MOCK_PASSWORD) == []


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_promotion_declares_the_same_instance_with_the_same_inputs(stack):
    """Renaming `restore` to `promoted` and setting `primary: <label>` changes nothing but the create-only inputs, and
    drops the repoint Job with its cluster-wide grant, which exist only while a restore does."""
    during = restored(stack, pointInTime=AT)
    after = evaluated(stack, {"primary": AT_LABEL, "promoted": {"pointInTime": AT}})
    repoint = {r.urn for r in during.resources if r.name.startswith("astronomer-repoint")}
    assert len(repoint) == 7  # Namespace, ServiceAccount, ClusterRole, ClusterRoleBinding, ConfigMap, the two Jobs
    before_urns = {r.urn: r for r in during.resources if r.urn not in repoint}
    after_urns = {r.urn: r for r in after.resources}
    assert set(before_urns) == set(after_urns)  # nothing created; nothing deleted but the repoint Job and its grant
    new = instances(during, stack)[AT_LABEL]
    for urn, resource in before_urns.items():
        ignored = CREATE_ONLY[stack] if urn == new.urn else set()
        assert without(resource.inputs, ignored) == without(after_urns[urn].inputs, ignored), resource.name
        assert resource.protect == after_urns[urn].protect and resource.ignore_changes == after_urns[urn].ignore_changes
    promoted = after.by_urn(new.urn)
    assert not CREATE_ONLY[stack] & set(promoted.inputs)  # the restore inputs are gone ...
    assert set(promoted.ignore_changes) == CREATE_ONLY[stack]  # ... and ignored, so no replacement
    assert after.outputs["database_label"] == AT_LABEL
    assert bootstrap_connection_url(after).hostname == bootstrap_connection_url(during).hostname


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_retiring_the_original_lifts_its_guards_then_stops_declaring_it(stack):
    unprotected = instances(
        evaluated(stack, {"primary": AT_LABEL, "promoted": {"pointInTime": AT}, "unprotect": [ORIGINAL_LABEL]}), stack
    )
    original = unprotected[ORIGINAL_LABEL]
    assert original.protect is False and original.input("deletionProtection") is False
    if stack == "gcp":
        assert original.input("settings.deletionProtectionEnabled") is False
        assert original.input("settings.retainBackupsOnDelete") is True  # its backups still outlive it
        assert original.input("settings.finalBackupConfig.enabled") is True
    else:
        assert original.input("deleteAutomatedBackups") is False and original.input("skipFinalSnapshot") is False
    assert unprotected[AT_LABEL].protect is True

    retired = evaluated(stack, {"primary": AT_LABEL, "promoted": {"pointInTime": AT}, "keepOriginal": False})
    assert set(instances(retired, stack)) == {AT_LABEL}
    assert [j for j in retired.of_type(JOB) if "repoint" in j.name] == []  # no old host left to repoint from


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_restored_stacks_pass_every_mandatory_policy(stack):
    for evaluation in (
        restored(stack, pointInTime=AT),
        evaluated(stack, {"primary": AT_LABEL, "promoted": {"pointInTime": AT}}),
    ):
        assert [v for v in validate_resources(as_policy_resources(evaluation)) if v.mandatory] == []


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_teardown_of_a_drill_stack_lifts_every_deletion_guard(stack):
    config, _secret_keys = stack_config(stack)
    config["astronomer-dr:teardown"] = "true"
    evaluation = evaluate(f"drill-{stack}", config=config, secrets=TLS_SECRETS)
    assert evaluation.error is None, evaluation.error
    assert [r.name for r in evaluation.resources if r.protect] == []
    for r in evaluation.resources:
        assert r.input("deletionProtection") in (None, False), r.name
        assert r.input("forceDestroy") in (None, True), r.name
    if stack == "gcp":
        assert evaluation.one(SQL).input("settings.deletionProtectionEnabled") is False
        assert {b.input("deletionPolicy") for b in evaluation.of_type("gcp:storage/bucket:Bucket")} == {"DELETE"}
    else:
        assert evaluation.one(RDS).input("skipFinalSnapshot") is True
