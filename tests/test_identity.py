"""The platform's identity pinned: Houston's JWT signing pair and the control plane id.

Chart 2.1.0 facts (astronomer/astronomer v2.1.0): houston-jwt-certificate-secret.yaml renders the
pair only with `houston.jwks.generation.enabled` (default true), as a pre-install hook with
`before-hook-creation`, into Secrets named by `houston.jwtSigningKeySecretName` /
`jwtSigningCertificateSecretName` (default `<release>-houston-jwt-signing-key|certificate`,
_helpers.yaml) with keys `tls.key` / `tls.crt`; the certificate carries
`astronomer.io/commander-sync: platform-release=<release>`. cp-identity-secret.yaml takes
`global.controlPlaneHA.cpId`, else an existing Secret, else uuidv4.
"""

from __future__ import annotations

import pytest

from components.platform.identity import identity_values, jwt_certificate_secret_name, jwt_key_secret_name, merged
from tests.conftest import committed_stack, secret_leaks
from tests.test_platform import assert_keys_exist_in_chart, chart_defaults
from tools.offline import MOCK_JWT_CERT, MOCK_JWT_KEY, MOCK_UUID, Secret

SECRET = "kubernetes:core/v1:Secret"


def test_identity_values_are_chart_keys_and_turn_the_charts_generation_off():
    values = identity_values("astronomer", MOCK_UUID)
    assert_keys_exist_in_chart(values)
    defaults = chart_defaults()
    assert defaults["astronomer"]["houston"]["jwks"]["generation"]["enabled"] is True  # the chart would mint its own
    assert values["astronomer"]["houston"]["jwks"] == {"generation": {"enabled": False}}
    assert defaults["global"]["controlPlaneHA"]["cpId"] is None  # a uuidv4 at every fresh install


def test_secret_names_are_the_charts_defaults():
    """The Commander JWKS hook (commander-jwks-hooks.yaml) names `<release>-houston-jwt-signing-certificate` itself."""
    assert jwt_key_secret_name("astro") == "astro-houston-jwt-signing-key"
    assert jwt_certificate_secret_name("astro") == "astro-houston-jwt-signing-certificate"


def test_merged_keeps_both_sides():
    assert merged({"global": {"a": 1}, "x": 1}, {"global": {"b": 2}}) == {"global": {"a": 1, "b": 2}, "x": 1}


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_jwt_secrets_exist_before_the_release_and_are_named_in_its_values(stack):
    evaluation = committed_stack(stack)
    key = evaluation.one(SECRET, "astronomer-identity-jwt-key")
    certificate = evaluation.one(SECRET, "astronomer-identity-jwt-certificate")
    assert (
        key.input("metadata.name") == "astronomer-houston-jwt-signing-key"
        and key.input("metadata.namespace") == "astronomer"
    )
    assert certificate.input("metadata.name") == "astronomer-houston-jwt-signing-certificate"
    assert isinstance(key.inputs["stringData"], Secret) and key.input("stringData") == {"tls.key": MOCK_JWT_KEY}
    assert certificate.input("stringData") == {"tls.crt": MOCK_JWT_CERT}
    assert certificate.input("metadata.annotations") == {"astronomer.io/commander-sync": "platform-release=astronomer"}
    release = evaluation.one("kubernetes:helm.sh/v3:Release", "astronomer-release")
    assert key.urn in release.dependencies and certificate.urn in release.dependencies
    houston = release.input("values.astronomer.houston")
    assert houston["jwtSigningKeySecretName"] == key.input("metadata.name")
    assert houston["jwtSigningCertificateSecretName"] == certificate.input("metadata.name")
    assert houston["jwks"] == {"generation": {"enabled": False}}
    assert release.input("values.global.controlPlaneHA.cpId") == MOCK_UUID
    assert secret_leaks(evaluation, "MOCK-JWT-SIGNING-KEY") == []


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_pair_is_generated_once_like_the_charts(stack):
    evaluation = committed_stack(stack)
    key = evaluation.one("tls:index/privateKey:PrivateKey")
    assert (key.input("algorithm"), key.input("rsaBits")) == ("RSA", 2048)
    assert "privateKeyPem" in key.additional_secret_outputs  # kept secret in state
    certificate = evaluation.one("tls:index/selfSignedCert:SelfSignedCert")
    assert certificate.input("subject.commonName") == "astronomer-houston"
    assert certificate.input("dnsNames") == ["astronomer-houston.astronomer", "astronomer-houston.astronomer.svc"]
    assert certificate.input("validityPeriodHours") == 3650 * 24
    assert isinstance(certificate.inputs["privateKeyPem"], Secret)
