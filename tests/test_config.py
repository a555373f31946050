"""Config parsing: defaults are the DR policy, and bad input is refused with the key named."""

from __future__ import annotations

import json

import pytest

from components.config import parse_settings
from components.schema import ConfigError, closest_key
from tests.conftest import TLS_SECRETS, evaluate_stack


def gcp_config(**objects) -> dict[str, str]:
    """A minimal valid GCP config; keyword arguments replace whole objects (None removes)."""
    config = {
        "gcp:project": "acme-prod",
        "gcp:region": "us-central1",
        "astronomer-dr:cloud": "gcp",
        "astronomer-dr:platform": json.dumps({"baseDomain": "astro.example.com"}),
        "astronomer-dr:database": json.dumps({}),
        "astronomer-dr:cluster": json.dumps({}),
        "astronomer-dr:network": json.dumps({}),
        "astronomer-dr:registry": json.dumps({}),
    }
    for key, value in objects.items():
        full = f"astronomer-dr:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    return config


@pytest.fixture(autouse=True)
def tls_secret_keys(monkeypatch):
    """parse_settings reads secret-ness from the runtime, as the CLI sets it."""
    from pulumi.runtime import config as runtime_config

    monkeypatch.setattr(runtime_config, "is_config_secret", lambda key: key in TLS_SECRETS)


def parse(config: dict[str, str], stack: str = "gcp"):
    return parse_settings({**config, **TLS_SECRETS}, stack)


def refusal(config: dict[str, str], stack: str = "gcp") -> str:
    with pytest.raises(ConfigError) as caught:
        parse(config, stack)
    return str(caught.value)


def test_defaults_are_the_dr_policy():
    settings = parse(gcp_config())
    platform, database = settings.platform, settings.gcp.database
    assert (platform.chart_version, platform.namespace, platform.release_name) == ("2.1.0", "astronomer", "astronomer")
    assert platform.prometheus_replicas == 2
    assert database.backup_retention_days == 7
    assert database.point_in_time_recovery is True
    assert database.high_availability is True
    assert database.backup_start_time == "03:00"
    assert settings.gcp.cluster.existing is None
    assert settings.gcp.dns is None
    assert settings.name_prefix == "astro-gcp"


def test_existing_cluster_and_dns_are_parsed():
    settings = parse(
        gcp_config(
            cluster={
                "existing": {
                    "name": "shared",
                    "location": "us-central1",
                    "network": "projects/p/global/networks/shared",
                }
            },
            dns={"managedZone": "astro-zone"},
        )
    )
    assert settings.gcp.cluster.existing.name == "shared"
    assert settings.gcp.dns.managed_zone == "astro-zone"


@pytest.mark.parametrize(
    "objects, key, says",
    [
        # wrong types
        (
            {"database": {"backupRetentionDays": "7"}},
            "astronomer-dr:database.backupRetentionDays",
            "expected a whole number",
        ),
        (
            {"database": {"pointInTimeRecovery": "yes"}},
            "astronomer-dr:database.pointInTimeRecovery",
            "expected true or false",
        ),
        (
            {"platform": {"baseDomain": "astro.example.com", "prometheusReplicas": 2.5}},
            "astronomer-dr:platform.prometheusReplicas",
            "whole number",
        ),
        ({"platform": "astro.example.com"}, "astronomer-dr:platform", "expected a YAML object"),
        (
            {"cluster": {"masterAuthorizedNetworks": "10.0.0.0/8"}},
            "astronomer-dr:cluster.masterAuthorizedNetworks",
            "list of strings",
        ),
        # negatives and minimums
        ({"database": {"backupRetentionDays": -1}}, "astronomer-dr:database.backupRetentionDays", "between 7 and 365"),
        ({"database": {"backupRetentionDays": 6}}, "astronomer-dr:database.backupRetentionDays", "between 7 and 365"),
        ({"database": {"diskSizeGb": -5}}, "astronomer-dr:database.diskSizeGb", "between 10 and"),
        (
            {"platform": {"baseDomain": "astro.example.com", "prometheusReplicas": 1}},
            "astronomer-dr:platform.prometheusReplicas",
            "between 2 and",
        ),
        (
            {"cluster": {"minNodesPerZone": 4, "maxNodesPerZone": 2}},
            "astronomer-dr:cluster.minNodesPerZone",
            "must not exceed maxNodesPerZone",
        ),
        # malformed times
        ({"database": {"backupStartTime": "3am"}}, "astronomer-dr:database.backupStartTime", "HH:MM"),
        ({"database": {"backupStartTime": "24:00"}}, "astronomer-dr:database.backupStartTime", "HH:MM"),
        ({"database": {"backupStartTime": "03:60"}}, "astronomer-dr:database.backupStartTime", "HH:MM"),
        # names and versions
        (
            {"platform": {"baseDomain": "astro.example.com", "releaseName": "astronomer-prod"}},
            "astronomer-dr:platform.releaseName",
            "at most 12 characters",
        ),
        (
            {"platform": {"baseDomain": "astro.example.com", "releaseName": "Astro"}},
            "astronomer-dr:platform.releaseName",
            "lowercase",
        ),
        ({"platform": {"baseDomain": "not a domain"}}, "astronomer-dr:platform.baseDomain", "DNS name"),
        (
            {"platform": {"baseDomain": "astro.example.com", "chartVersion": "^2.1"}},
            "astronomer-dr:platform.chartVersion",
            "exact chart version",
        ),
        ({"platform": {}}, "astronomer-dr:platform.baseDomain", "required"),
        ({"cluster": {"kubernetesVersion": "1.30"}}, "astronomer-dr:cluster.kubernetesVersion", "1.31 to 1.35"),
        ({"cluster": {"kubernetesVersion": "1.36"}}, "astronomer-dr:cluster.kubernetesVersion", "1.31 to 1.35"),
        ({"cluster": {"releaseChannel": "FAST"}}, "astronomer-dr:cluster.releaseChannel", "one of UNSPECIFIED, RAPID"),
        ({"network": {"subnetCidr": "10.0.0.1/20"}}, "astronomer-dr:network.subnetCidr", "CIDR"),
        ({"cluster": {"existing": {"name": "shared"}}}, "astronomer-dr:cluster.existing.location", "required"),
        # unknown keys: typos are never ignored
        (
            {"database": {"backupRetentionDay": 14}},
            "astronomer-dr:database.backupRetentionDay",
            "did you mean 'backupRetentionDays'",
        ),
        (
            {"platform": {"baseDomain": "astro.example.com", "prometheusReplica": 3}},
            "astronomer-dr:platform.prometheusReplica",
            "did you mean 'prometheusReplicas'",
        ),
        ({"databse": {}}, "astronomer-dr:databse", "did you mean 'database'"),
    ],
)
def test_bad_input_is_refused_with_the_key_named(objects, key, says):
    message = refusal(gcp_config(**objects))
    line = next((line for line in message.splitlines() if key + ":" in line), None)
    assert line is not None, f"{key} not named in:\n{message}"
    assert says in line


def test_every_problem_is_reported_at_once():
    message = refusal(gcp_config(database={"backupRetentionDays": 3, "backupStartTime": "25:00", "tierr": "x"}))
    for key in ("backupRetentionDays", "backupStartTime", "tierr"):
        assert f"astronomer-dr:database.{key}:" in message


def test_provider_keys_and_cloud_are_required():
    config = gcp_config()
    del config["gcp:project"]
    assert "gcp:project: required" in refusal(config)
    config = gcp_config()
    config["astronomer-dr:cloud"] = "azure"
    assert "astronomer-dr:cloud: required: one of gcp" in refusal(config)


def test_tls_must_be_secret_and_present():
    with pytest.raises(ConfigError) as caught:
        parse_settings(
            {**gcp_config(), "astronomer-dr:tlsCertificate": TLS_SECRETS["astronomer-dr:tlsCertificate"]}, "gcp"
        )
    message = str(caught.value)
    assert "astronomer-dr:tlsKey: required" in message and "pulumi config set --secret astronomer-dr:tlsKey" in message

    from pulumi.runtime import config as runtime_config

    plaintext = {**gcp_config(), **TLS_SECRETS}
    original = runtime_config.is_config_secret
    try:
        runtime_config.is_config_secret = lambda k: False
        with pytest.raises(ConfigError) as caught:
            parse_settings(plaintext, "gcp")
    finally:
        runtime_config.is_config_secret = original
    assert "astronomer-dr:tlsKey: must be a secret" in str(caught.value)


def test_long_stack_names_are_refused_before_they_break_cloud_names():
    assert "stack name" in refusal(gcp_config(), stack="a-very-long-environment-name-x")


def test_closest_key_is_case_insensitive():
    assert closest_key("BackupStartTime", ["backupStartTime", "tier"]) == "backupStartTime"
    assert closest_key("zzz", ["backupStartTime", "tier"]) is None


@pytest.mark.parametrize(
    "override, key",
    [
        ({"astronomer-dr:database": {"backupRetentionDays": 3}}, "astronomer-dr:database.backupRetentionDays"),
        ({"astronomer-dr:database": {"backupStartTime": "3:00pm"}}, "astronomer-dr:database.backupStartTime"),
        (
            {"astronomer-dr:platform": {"baseDomain": "astro.example.com", "releaseName": "astronomer-2026"}},
            "astronomer-dr:platform.releaseName",
        ),
        ({"astronomer-dr:platfrom": {"baseDomain": "astro.example.com"}}, "astronomer-dr:platfrom"),
        ({"astronomer-dr:cluster": {"minNodesPerZone": -1}}, "astronomer-dr:cluster.minNodesPerZone"),
    ],
)
def test_the_program_refuses_before_declaring_anything(override, key):
    evaluation = evaluate_stack("gcp", **override)
    assert isinstance(evaluation.error, ConfigError), evaluation.error
    assert key in str(evaluation.error)
    assert evaluation.resources == []
