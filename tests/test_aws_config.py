"""AWS config parsing and the pure functions behind the AWS stack (no engine involved)."""

from __future__ import annotations

import ipaddress
import json
import re

import pytest

from components.aws.cluster import kubeconfig
from components.aws.database import (
    RdsWindows,
    auto_minor_version_upgrade,
    final_snapshot_identifier,
    parameter_group_family,
    rds_windows,
)
from components.aws.iam import issuer_host, service_account_subject
from components.aws.ingress import nlb_annotations
from components.aws.network import subnet_cidrs, subnet_tags
from components.aws.registry import bucket_name
from components.config import NAME_PREFIX_MAX, AwsExistingCluster, parse_settings, x86_instance_types
from components.schema import ConfigError
from tests.conftest import TLS_SECRETS


def aws_config(**objects) -> dict[str, str]:
    """A minimal valid AWS config; keyword arguments replace whole objects (None removes)."""
    config = {
        "aws:region": "eu-west-1",
        "astronomer-dr:cloud": "aws",
        "astronomer-dr:platform": json.dumps({"baseDomain": "astro.example.com"}),
    }
    for key, value in objects.items():
        full = f"astronomer-dr:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = json.dumps(value)
    return config


@pytest.fixture(autouse=True)
def tls_secret_keys(monkeypatch):
    from pulumi.runtime import config as runtime_config

    monkeypatch.setattr(runtime_config, "is_config_secret", lambda key: key in TLS_SECRETS)


def parse(config: dict[str, str]):
    return parse_settings({**config, **TLS_SECRETS}, "aws")


def refusal(config: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(config)
    return str(caught.value)


# ---- config ------------------------------------------------------------------------------------


def test_defaults_are_the_dr_policy():
    settings = parse(aws_config())
    assert settings.cloud == "aws" and settings.gcp is None
    aws = settings.aws
    assert aws.region == "eu-west-1"
    database = aws.database
    assert database.backup_start_time == "03:00"
    assert database.backup_retention_days == 7
    assert database.high_availability is True
    assert database.postgres_version == "16"
    assert database.allocated_storage <= database.max_allocated_storage
    cluster = aws.cluster
    assert cluster.existing is None
    assert cluster.kubernetes_version == "1.33"
    assert cluster.min_nodes <= cluster.desired_nodes <= cluster.max_nodes
    assert cluster.endpoint_private_access is True
    assert aws.network.single_nat_gateway is False
    assert aws.registry.noncurrent_version_days == 30
    assert aws.dns is None


def test_existing_cluster_and_dns_are_parsed():
    settings = parse(aws_config(cluster={"existing": {"name": "shared_eks-1"}}, dns={"hostedZoneId": "Z123ABC"}))
    assert settings.aws.cluster.existing == AwsExistingCluster(name="shared_eks-1")
    assert settings.aws.dns.hosted_zone_id == "Z123ABC"


def test_every_problem_is_reported_at_once():
    message = refusal(
        {
            **aws_config(
                database={"backupRetentionDays": 3, "backupStartTime": "25:00"}, cluster={"kubernetesVersion": "1.30"}
            ),
            "aws:region": "",
        }
    )
    for key in ("database.backupRetentionDays", "database.backupStartTime", "cluster.kubernetesVersion", "aws:region"):
        assert key in message
    assert "4 problem(s)" in message


def test_gcp_keys_are_unknown_on_aws_with_the_aws_key_suggested():
    message = refusal(aws_config(cluster={"maxNodesPerZone": 3}))
    assert "cluster.maxNodesPerZone: unknown key; did you mean 'maxNodes'?" in message


def test_aws_region_is_required():
    config = aws_config()
    del config["aws:region"]
    assert (
        "aws:region: required: the AWS region to rebuild in; set it with `pulumi config set aws:region <value>`"
        in refusal(config)
    )


@pytest.mark.parametrize(
    "types,ok",
    [
        (("m6i.2xlarge",), True),
        (("m7i-flex.xlarge", "c6a.4xlarge"), True),
        (("g5.xlarge",), False),  # GPU: the STANDARD image has no NVIDIA driver (tests/test_input_refusals.py)
        (("m7g.2xlarge",), False),
        (("c6gn.xlarge",), False),
        (("r6gd.large",), False),
        (("t4g.medium",), False),
        (("g5g.xlarge",), False),
        (("M6I.large",), False),
        ((), False),
    ],
)
def test_instance_types_must_be_x86(types, ok):
    assert (x86_instance_types(types) is None) is ok


# ---- RDS windows -------------------------------------------------------------------------------

WEEK = 7 * 24 * 60
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def weekly(point: str) -> int:
    day, clock = point.split(":", 1)
    return DAYS.index(day) * 24 * 60 + minutes(clock)


@pytest.mark.parametrize(
    "start,backup,maintenance",
    [
        ("03:00", "03:00-03:30", "sun:04:30-sun:05:30"),
        ("00:00", "00:00-00:30", "sun:01:30-sun:02:30"),
        ("22:30", "22:30-23:00", "sun:00:00-sun:01:00"),
        ("23:45", "23:45-00:15", "sun:01:15-sun:02:15"),
        ("21:50", "21:50-22:20", "sun:23:20-mon:00:20"),
    ],
)
def test_rds_windows(start, backup, maintenance):
    assert rds_windows(start) == RdsWindows(backup=backup, maintenance=maintenance)


def test_rds_windows_never_overlap_for_any_start_time():
    for start in range(24 * 60):
        windows = rds_windows(f"{start // 60:02d}:{start % 60:02d}")
        assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", windows.backup)
        assert re.fullmatch(
            r"(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d-(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d", windows.maintenance
        )
        backup_start, backup_end = (minutes(t) for t in windows.backup.split("-"))
        assert backup_start == start and (backup_end - backup_start) % (24 * 60) == 30
        m_start, m_end = (weekly(p) for p in windows.maintenance.split("-"))
        assert (m_end - m_start) % WEEK == 60
        maintenance = {(m_start + i) % WEEK for i in range(60)}
        backups = {(day * 24 * 60 + start + i) % WEEK for day in range(7) for i in range(30)}
        assert not maintenance & backups, start


def test_database_version_helpers():
    assert parameter_group_family("16") == parameter_group_family("16.6") == "postgres16"
    assert auto_minor_version_upgrade("16") is True
    assert auto_minor_version_upgrade("16.6") is False
    assert final_snapshot_identifier("astro-prod-db") == "astro-prod-db-final"


# ---- network, IRSA, ingress, kubeconfig --------------------------------------------------------


@pytest.mark.parametrize("vpc", ["10.40.0.0/16", "172.20.0.0/20", "10.0.8.0/22"])
def test_subnets_are_disjoint_and_inside_the_vpc(vpc):
    private, public = subnet_cidrs(vpc)
    assert len(private) == len(public) == 3
    networks = [ipaddress.IPv4Network(c) for c in private + public]
    for i, a in enumerate(networks):
        assert a.subnet_of(ipaddress.IPv4Network(vpc))
        for b in networks[i + 1 :]:
            assert not a.overlaps(b)
    assert networks[0].prefixlen == ipaddress.ip_network(vpc).prefixlen + 2


def test_subnet_tags():
    assert subnet_tags("astro-prod", public=True, name="x")["kubernetes.io/role/elb"] == "1"
    private = subnet_tags("astro-prod", public=False, name="x")
    assert private["kubernetes.io/role/internal-elb"] == "1"
    assert private["kubernetes.io/cluster/astro-prod"] == "shared"


def test_irsa_facts():
    assert issuer_host("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/") == "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    assert (
        service_account_subject("astronomer", "astronomer-registry")
        == "system:serviceaccount:astronomer:astronomer-registry"
    )


def test_nlb_annotations():
    assert nlb_annotations(private=False) == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    }
    assert nlb_annotations(private=True)["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"


def test_kubeconfig_execs_aws_eks_get_token():
    config = json.loads(kubeconfig("astro-prod", "https://ABC.gr7.eu-west-1.eks.amazonaws.com", "Q0E=", "eu-west-1"))
    assert config["current-context"] == "astro-prod"
    assert config["clusters"][0]["cluster"] == {
        "server": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
        "certificate-authority-data": "Q0E=",
    }
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "astro-prod",
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ]


def test_bucket_name_fits_s3_for_the_longest_prefix_and_region():
    name = bucket_name("a" * NAME_PREFIX_MAX + "-registry", "123456789012", "ap-southeast-5")
    assert len(name) <= 63
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", name)
