"""Input that would hurt a recovery is refused before any resource, naming the key (issue 11);
what users rightly write is still accepted. Pure: `parse_settings` on the committed stack files'
config with one edit each (tests/stack_inputs.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components.config import load_settings, parse_settings
from components.schema import ConfigError
from tests import pki
from tests.conftest import TLS_SECRETS
from tests.stack_inputs import DELETE, stack_with

CERT, KEY = "astronomer-dr:tlsCertificate", "astronomer-dr:tlsKey"
AT = "2026-11-20T09:30:00Z"


@pytest.fixture(autouse=True)
def tls_secret_keys(monkeypatch):
    from pulumi.runtime import config as runtime_config

    monkeypatch.setattr(runtime_config, "is_config_secret", lambda key: key in TLS_SECRETS)


def refusal_lines(stack: str, changes: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(stack_with(stack, changes), stack)
    return caught.value.problems


def assert_refused(stack: str, changes: dict, key: str, says: str) -> None:
    lines = refusal_lines(stack, changes)
    line = next((line for line in lines if line.startswith(key + ":")), None)
    assert line is not None, f"{key} not named in {lines}"
    assert says in line, line


REFUSED = [
    # database.primary must name an instance a restore of this stack made
    (
        "gcp",
        {"astronomer-dr:database.primary": "pitr-20261120t093001z", "astronomer-dr:database.promoted.pointInTime": AT},
        "astronomer-dr:database.primary",
        "names no instance a restore of this stack made",
    ),
    (
        "aws",
        {"astronomer-dr:database.primary": "pitr-20261120t093000z"},
        "astronomer-dr:database.primary",
        "`promoted` must hold the restore",
    ),
    (
        "aws",
        {"astronomer-dr:database.primary": "backup-nightly-1", "astronomer-dr:database.promoted.backupId": "nightly-2"},
        "astronomer-dr:database.primary",
        "made backup-nightly-2",
    ),
    (
        "gcp",
        {"astronomer-dr:database.promoted.pointInTime": AT},
        "astronomer-dr:database.promoted",
        "only applies with `primary: <label>`",
    ),
    # misspelt namespaces: their keys would be ignored and the defaults apply
    (
        "gcp",
        {"astronmer-dr:database": {"backupRetentionDays": 30}},
        "astronmer-dr:database",
        "did you mean 'astronomer-dr:database'",
    ),
    (
        "aws",
        {"astronomer:platform": {"prometheusReplicas": 3}},
        "astronomer:platform",
        "did you mean 'astronomer-dr:platform'",
    ),
    ("gcp", {"gpc:zone": "us-central1-a"}, "gpc:zone", "did you mean 'gcp:zone'"),
    # provider keys: the key at fault is named (AWS used to blame database.backupReplicaRegion)
    ("gcp", {"gcp:region": "us-central1-a"}, "gcp:region", "not a zone: us-central1"),
    ("gcp", {"gcp:region": "us-centrall1"}, "gcp:region", "did you mean us-central1"),
    ("aws", {"aws:region": "us-east-1a"}, "aws:region", "not a zone: us-east-1"),
    ("aws", {"aws:region": "us-esat-1"}, "aws:region", "did you mean us-east-1"),
    ("gcp", {"gcp:project": "Acme Production"}, "gcp:project", "project id"),
    ("gcp", {"gcp:project": "123456789012"}, "gcp:project", "not a project name or number"),
    # strings: newlines, look-alike characters, DNS names, lengths
    (
        "gcp",
        {"astronomer-dr:platform.baseDomain": "astro.acme.example.com\n"},
        "astronomer-dr:platform.baseDomain",
        "newline",
    ),
    (
        "aws",
        {"astronomer-dr:database.postgresVersion": "１６"},  # noqa: RUF001 -- full-width digits on purpose: the refusal under test
        "astronomer-dr:database.postgresVersion",
        "plain ASCII",
    ),
    (
        "gcp",
        {"astronomer-dr:database.backupStartTime": "０３:００"},  # noqa: RUF001 -- full-width digits on purpose: the refusal under test
        "astronomer-dr:database.backupStartTime",
        "plain ASCII",
    ),
    ("gcp", {"astronomer-dr:database.backupStartTime": "03:00 "}, "astronomer-dr:database.backupStartTime", "spaces"),
    (
        "gcp",
        {"astronomer-dr:platform.baseDomain": "astro_acme.example.com"},
        "astronomer-dr:platform.baseDomain",
        "DNS name",
    ),
    (
        "aws",
        {"astronomer-dr:platform.baseDomain": "ástro.example.com"},
        "astronomer-dr:platform.baseDomain",
        "plain ASCII",
    ),
    ("gcp", {"astronomer-dr:cluster.machineType": ""}, "astronomer-dr:cluster.machineType", "must not be empty"),
    (
        "gcp",
        {"astronomer-dr:database.tier": "db-" + "x" * 300},
        "astronomer-dr:database.tier",
        "at most 255 characters",
    ),
    (
        "aws",
        {"astronomer-dr:cluster.instanceTypes": ["m6i.2xlarge\n"]},
        "astronomer-dr:cluster.instanceTypes[0]",
        "newline",
    ),
    # integers: the clouds' upper bounds
    ("gcp", {"astronomer-dr:database.diskSizeGb": 100_000}, "astronomer-dr:database.diskSizeGb", "64 TB"),
    ("gcp", {"astronomer-dr:cluster.diskSizeGb": 70_000}, "astronomer-dr:cluster.diskSizeGb", "64 TB"),
    ("aws", {"astronomer-dr:cluster.diskSizeGb": 20_000}, "astronomer-dr:cluster.diskSizeGb", "16 TiB"),
    (
        "aws",
        {"astronomer-dr:database.allocatedStorage": 70_000},
        "astronomer-dr:database.allocatedStorage",
        "between 20 and 65536",
    ),
    (
        "gcp",
        {"astronomer-dr:cluster.maxNodesPerZone": 5000},
        "astronomer-dr:cluster.maxNodesPerZone",
        "between 1 and 100",
    ),
    (
        "aws",
        {"astronomer-dr:platform.prometheusReplicas": 4},
        "astronomer-dr:platform.prometheusReplicas",
        "a zone of its own",
    ),
    (
        "aws",
        {"astronomer-dr:registry.noncurrentVersionDays": 10**12},
        "astronomer-dr:registry.noncurrentVersionDays",
        "32-bit",
    ),
    # networks
    ("aws", {"astronomer-dr:network.vpcCidr": "10.40.0.0"}, "astronomer-dr:network.vpcCidr", "prefix length"),
    ("gcp", {"astronomer-dr:network.subnetCidr": "10.10.0.0"}, "astronomer-dr:network.subnetCidr", "prefix length"),
    ("gcp", {"astronomer-dr:network.subnetCidr": "fd00:10::/64"}, "astronomer-dr:network.subnetCidr", "IPv4"),
    ("aws", {"astronomer-dr:network.vpcCidr": "fd00::/56"}, "astronomer-dr:network.vpcCidr", "IPv4"),
    ("gcp", {"astronomer-dr:network.servicesCidr": "0.0.0.0/0"}, "astronomer-dr:network.servicesCidr", "not 0.0.0.0/0"),
    (
        "gcp",
        {"astronomer-dr:network.podsCidr": "10.8.0.0/14"},
        "astronomer-dr:network.podsCidr",
        "overlaps network.subnetCidr",
    ),
    (
        "gcp",
        {"astronomer-dr:network.servicesCidr": "10.20.16.0/20"},
        "astronomer-dr:network.servicesCidr",
        "overlaps network.podsCidr",
    ),
    (
        "gcp",
        {"astronomer-dr:cluster.masterIpv4CidrBlock": "10.10.0.0/28"},
        "astronomer-dr:cluster.masterIpv4CidrBlock",
        "overlaps network.subnetCidr",
    ),
    (
        "gcp",
        {"astronomer-dr:cluster.masterIpv4CidrBlock": "172.16.0.0/24"},
        "astronomer-dr:cluster.masterIpv4CidrBlock",
        "must be a /28 block",
    ),
    (
        "gcp",
        {"astronomer-dr:platform.loadBalancerSourceRanges": ["203.0.113.7"]},
        "astronomer-dr:platform.loadBalancerSourceRanges",
        "203.0.113.7/32",
    ),
    (
        "aws",
        {"astronomer-dr:cluster.publicAccessCidrs": ["2001:db8::/32"]},
        "astronomer-dr:cluster.publicAccessCidrs",
        "IPv4",
    ),
    # instance types the x86_64 STANDARD node image cannot run
    ("aws", {"astronomer-dr:cluster.instanceTypes": ["m7g.2xlarge"]}, "astronomer-dr:cluster.instanceTypes", "arm64"),
    (
        "aws",
        {"astronomer-dr:cluster.instanceTypes": ["m6i.2xlarge", "r8g.xlarge"]},
        "astronomer-dr:cluster.instanceTypes",
        "arm64",
    ),
    ("aws", {"astronomer-dr:cluster.instanceTypes": ["a1.xlarge"]}, "astronomer-dr:cluster.instanceTypes", "arm64"),
    ("aws", {"astronomer-dr:cluster.instanceTypes": ["g5.2xlarge"]}, "astronomer-dr:cluster.instanceTypes", "GPU"),
    ("aws", {"astronomer-dr:cluster.instanceTypes": ["p4d.24xlarge"]}, "astronomer-dr:cluster.instanceTypes", "GPU"),
    (
        "aws",
        {"astronomer-dr:cluster.instanceTypes": ["inf2.xlarge"]},
        "astronomer-dr:cluster.instanceTypes",
        "accelerator",
    ),
    # the policy pack's mandatory point-in-time recovery
    (
        "gcp",
        {"astronomer-dr:database.pointInTimeRecovery": False},
        "astronomer-dr:database.pointInTimeRecovery",
        "cloudsql-point-in-time-recovery",
    ),
    # a float where text is meant: the digits are lost, so say how to store a string
    (
        "gcp",
        {"astronomer-dr:cluster.kubernetesVersion": 1.3},
        "astronomer-dr:cluster.kubernetesVersion",
        "--type string",
    ),
]


@pytest.mark.parametrize(
    "stack, changes, key, says", REFUSED, ids=[f"{c[0]}-{c[2].split(':')[-1]}-{i}" for i, c in enumerate(REFUSED)]
)
def test_refused_with_the_key_named(stack, changes, key, says):
    """Sources of the limits: the GKE control plane range is `validation.IsCIDRNetwork(28, 28)` and
    "must not overlap with any other ranges in use within the cluster's network"
    (hashicorp/terraform-provider-google-beta google-beta/services/container/
    resource_container_cluster.go, `master_ipv4_cidr_block`, line 2348). AWS regions are the
    provider's `pulumi_aws.Region` (pulumi_aws/_enums.py); GCP regions and project ids:
    https://cloud.google.com/compute/docs/regions-zones,
    https://cloud.google.com/resource-manager/docs/creating-managing-projects. Disks: Cloud SQL and
    persistent disks 64 TB (https://cloud.google.com/sql/docs/quotas#storage_limits), gp3 16 TiB
    (https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html), RDS 64 TiB. The node
    image is AL2023_x86_64_STANDARD (components/aws/cluster.py); arm64 and accelerated instances
    need AL2023_ARM_64_STANDARD / _NVIDIA / _NEURON (https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html).
    `--type string`: pulumi/pulumi pkg/cmd/pulumi/config/config.go (the `type` flag) and
    sdk/go/common/resource/config/object.go (`coerce`, from map.go `Map.Set` with --path: "16"
    becomes a number, "0123" stays text)."""
    assert_refused(stack, changes, key, says)


ACCEPTED = [
    ("gcp", {}),
    ("aws", {}),
    # what `pulumi config set --path ... 16` stores (an integer) for text keys
    ("aws", {"astronomer-dr:database.postgresVersion": 16}),
    ("gcp", {"astronomer-dr:database.restore.backupId": 1732094400000}),
    # provider and engine namespaces stay allowed
    (
        "gcp",
        {
            "gcp:zone": "us-central1-a",
            "kubernetes:context": "ops",
            "pulumi:tags": '{"team": "data"}',
            "random:x": "1",
            "tls:y": "2",
        },
    ),
    ("aws", {"aws:profile": "dr", "aws:region": "eu-west-1"}),
    ("aws", {"aws:region": "ap-southeast-5", "astronomer-dr:database.backupReplicaRegion": "ap-southeast-1"}),
    ("gcp", {"gcp:region": "europe-west4", "gcp:project": "acme-dr-2"}),
    # everyone may reach NGINX
    ("gcp", {"astronomer-dr:platform.loadBalancerSourceRanges": ["0.0.0.0/0"]}),
    ("aws", {"astronomer-dr:cluster.publicAccessCidrs": ["203.0.113.7/32", "198.51.100.0/24"]}),
    (
        "gcp",
        {
            "astronomer-dr:cluster.masterIpv4CidrBlock": "172.16.0.16/28",
            "astronomer-dr:network.podsCidr": "10.64.0.0/14",
        },
    ),
    # HA is a cost choice on both clouds (the policies are advisory); x86 families of every kind
    ("aws", {"astronomer-dr:database.highAvailability": False}),
    ("gcp", {"astronomer-dr:database.highAvailability": False}),
    (
        "aws",
        {
            "astronomer-dr:cluster.instanceTypes": [
                "m6i.2xlarge",
                "c6a.4xlarge",
                "r7i.2xlarge",
                "m7i-flex.xlarge",
                "t3.2xlarge",
            ]
        },
    ),
    # a promotion whose label is the promoted restore's
    (
        "gcp",
        {
            "astronomer-dr:database.primary": "pitr-20261120t093000z",
            "astronomer-dr:database.promoted.pointInTime": "2026-11-20T10:30:00+01:00",
        },
    ),
    (
        "aws",
        {
            "astronomer-dr:database.primary": "backup-nightly-2",
            "astronomer-dr:database.promoted.backupId": "rds:nightly-2",
        },
    ),
    ("gcp", {"astronomer-dr:platform.prometheusReplicas": 3, "astronomer-dr:database.diskSizeGb": 65536}),
]


def _ec_parameters_then_key() -> str:
    from cryptography.hazmat.primitives import serialization

    traditional = pki.LEAF_KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + traditional.decode()


# What `openssl ecparam -genkey` writes (parameters, then an EC PRIVATE KEY), and PKCS#8.
ACCEPTED += [("gcp", {KEY: _ec_parameters_then_key()}), ("aws", {KEY: pki.PRIVATE_KEY, CERT: pki.CERTIFICATE})]


@pytest.mark.parametrize("stack, changes", ACCEPTED)
def test_what_users_rightly_write_is_accepted(stack, changes):
    parse_settings(stack_with(stack, changes), stack)


def test_an_invalid_aws_region_blames_aws_region_only():
    lines = refusal_lines("aws", {"aws:region": "us-east-1a"})
    assert [line.split(":")[0] + ":" + line.split(":")[1] for line in lines] == ["aws:region"], lines


def test_an_integer_for_a_text_key_is_taken_as_its_digits():
    """`pulumi config set --path ...postgresVersion 16` stores the integer 16: pulumi/pulumi
    sdk/go/common/resource/config/object.go `coerce` ("strings of base-10 digits that do not begin
    with '0' are coerced to int64"), so its decimal text is exactly what was typed."""
    settings = parse_settings(stack_with("aws", {"astronomer-dr:database.postgresVersion": 16}), "aws")
    assert settings.require_aws().database.postgres_version == "16"


# ---- TLS: parsed with `cryptography` ------------------------------------------------------------


def tls(certificate: str, key: str) -> dict:
    return {CERT: certificate, KEY: key}


OTHER_LEAF, OTHER_KEY = pki.issue(("other.example.org", "*.other.example.org"))
APEX_ONLY, APEX_KEY = pki.issue((pki.BASE_DOMAIN,))
WILDCARD_ONE_UP, WILDCARD_ONE_UP_KEY = pki.issue(("*.acme.example.com",))
NO_SAN, NO_SAN_KEY = pki.issue(())

TLS_REFUSED = [
    (
        tls(pki.cert_pem(OTHER_LEAF, pki.CA), pki.key_pem(OTHER_KEY)),
        CERT,
        "does not cover astro.acme.example.com and *.astro.acme.example.com",
    ),
    (tls(pki.cert_pem(APEX_ONLY), pki.key_pem(APEX_KEY)), CERT, "does not cover *.astro.acme.example.com"),
    (
        tls(pki.cert_pem(WILDCARD_ONE_UP), pki.key_pem(WILDCARD_ONE_UP_KEY)),
        CERT,
        "does not cover *.astro.acme.example.com",
    ),
    (tls(pki.cert_pem(NO_SAN), pki.key_pem(NO_SAN_KEY)), CERT, "browsers ignore the common name"),
    (tls(pki.CERTIFICATE, pki.key_pem(OTHER_KEY)), KEY, "does not match the certificate"),
    (tls(pki.cert_pem(pki.CA, pki.LEAF), pki.PRIVATE_KEY), CERT, "leaf first"),
    (tls(pki.CERTIFICATE, pki.key_pem(pki.LEAF_KEY, password=b"hunter2")), KEY, "encrypted"),
    (tls(pki.CERTIFICATE + pki.PRIVATE_KEY, pki.PRIVATE_KEY), CERT, "holds a private key"),
    (
        tls("-----BEGIN CERTIFICATE-----\nMIIBnot-base64!\n-----END CERTIFICATE-----\n", pki.PRIVATE_KEY),
        CERT,
        "not a PEM certificate chain",
    ),
    (
        tls(pki.CERTIFICATE, "-----BEGIN PRIVATE KEY-----\nMIIEnope\n-----END PRIVATE KEY-----\n"),
        KEY,
        "not a PEM private key",
    ),
    (tls(pki.CERTIFICATE, pki.PRIVATE_KEY + pki.CERTIFICATE), KEY, "belongs in tlsCertificate"),
]


@pytest.mark.parametrize(
    "secrets, key, says", TLS_REFUSED, ids=[f"{k.split(':')[1]}-{i}" for i, (_, k, _) in enumerate(TLS_REFUSED)]
)
def test_tls_material_is_parsed_and_refused_with_the_key_named(secrets, key, says):
    assert_refused("gcp", secrets, key, says)


def test_a_certificate_near_or_past_expiry_warns_but_does_not_refuse():
    now = datetime.now(UTC)
    soon, soon_key = pki.issue((pki.BASE_DOMAIN, f"*.{pki.BASE_DOMAIN}"), not_after=now + timedelta(days=10))
    settings = parse_settings(stack_with("aws", tls(pki.cert_pem(soon, pki.CA), pki.key_pem(soon_key))), "aws")
    [warning] = settings.warnings
    assert warning.startswith(CERT) and "expires at" in warning and ("in 9 days" in warning or "in 10 days" in warning)
    gone, gone_key = pki.issue(
        (pki.BASE_DOMAIN, f"*.{pki.BASE_DOMAIN}"),
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(days=1),
    )
    settings = parse_settings(stack_with("aws", tls(pki.cert_pem(gone, pki.CA), pki.key_pem(gone_key))), "aws")
    assert [w for w in settings.warnings if "expired at" in w and w.startswith(CERT)]
    assert parse_settings(stack_with("aws", {}), "aws").warnings == ()


def test_load_settings_logs_each_warning_with_pulumi_log_warn(monkeypatch):
    import pulumi

    from components.config import stack as config

    now = datetime.now(UTC)
    soon, soon_key = pki.issue((pki.BASE_DOMAIN, f"*.{pki.BASE_DOMAIN}"), not_after=now + timedelta(days=5))
    monkeypatch.setattr(
        config, "all_config", lambda: stack_with("gcp", tls(pki.cert_pem(soon, pki.CA), pki.key_pem(soon_key)))
    )
    monkeypatch.setattr(pulumi, "get_stack", lambda: "gcp")
    logged: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: logged.append(message))
    load_settings()
    assert len(logged) == 1 and logged[0].startswith(CERT) and "renew it soon" in logged[0]


def test_removing_a_namespace_typo_key_leaves_a_clean_stack():
    """The committed files hold only known namespaces (a guard for the namespace check itself)."""
    for stack in ("gcp", "aws"):
        parse_settings(stack_with(stack, {"astronomer-dr:nothing": DELETE}), stack)


def test_a_promoted_primary_can_be_the_source_of_the_next_restore():
    """Promotion, then a later restore from the promoted instance: `promoted` keeps proving the
    primary's label while `restore` declares the next instance."""
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    changes = {
        "astronomer-dr:database.primary": "pitr-20261120t093000z",
        "astronomer-dr:database.promoted.pointInTime": AT,
        "astronomer-dr:database.restore.pointInTime": "2026-12-02T08:00:00Z",
    }
    database = parse_settings(stack_with("gcp", changes), "gcp", now=now).require_gcp().database
    assert database.promoted is not None
    assert database.promoted.label == database.primary == "pitr-20261120t093000z"
    assert database.platform_label == "pitr-20261202t080000z"
    assert database.declared_labels == ("original", "pitr-20261120t093000z", "pitr-20261202t080000z")
