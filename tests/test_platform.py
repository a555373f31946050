"""The cloud-agnostic platform: pure Helm values, the bootstrap connection string, chart keys."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from components.config import PlatformSettings
from components.platform.chart import DEFAULT_CHART_VERSION, registry_service_account_name
from components.platform.connection import bootstrap_connection
from components.platform.values import GcsRegistryStorage, LoadBalancer, S3RegistryStorage, helm_values
from components.schema import SUPPORTED_KUBERNETES_MINORS

CHART_DIR = Path(__file__).parent / "chart" / f"astronomer-{DEFAULT_CHART_VERSION}"
SUBCHARTS = ("astronomer", "nginx", "prometheus", "alertmanager")

# Keys chart 2.1.0's templates read that its default values files leave out.
TEMPLATE_ONLY_KEYS = {
    # registry-statefulset.yaml: REGISTRY_HTTP_SECRET from .Values.registry.httpSecret, else randAlphaNum.
    "astronomer.registry.httpSecret",
    # houston-upgrade-deployments-job.yaml:107 and houston-cp-refresh-job.yaml:126:
    # `{{ if .Values.global.sslmodeEnabled }}` sets the bootstrapper's SSLMODE.
    "global.sslmodeEnabled",
}
# Values whose keys are data (annotation names, Kubernetes affinity), not chart keys.
FREE_FORM = ("annotations", "ingressAnnotations", "affinity", "podAnnotations", "namespaceLabels")

PLATFORM = PlatformSettings(
    base_domain="astro.example.com",
    chart_version="2.1.0",
    namespace="astronomer",
    release_name="astro",
    prometheus_replicas=3,
    load_balancer_source_ranges=("203.0.113.0/24",),
    private_load_balancer=False,
)
GCS = GcsRegistryStorage(bucket="acme-registry", service_account_email="registry@acme.iam.gserviceaccount.com")
S3 = S3RegistryStorage(
    bucket="acme-registry",
    region="us-east-1",
    kms_key_arn="arn:aws:kms:us-east-1:111122223333:key/abc",
    role_arn="arn:aws:iam::111122223333:role/registry",
)


def chart_defaults() -> dict[str, Any]:
    tree = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    for sub in SUBCHARTS:
        sub_defaults = yaml.safe_load((CHART_DIR / "charts" / sub / "values.yaml").read_text())
        tree[sub] = deep_merge(sub_defaults, tree.get(sub) or {})
    return tree


def deep_merge(base: Mapping, override: Mapping) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def value_paths(values: Mapping[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        paths.append(path)
        if isinstance(value, Mapping) and key not in FREE_FORM:
            paths.extend(value_paths(value, f"{path}."))
    return paths


def has_path(tree: Mapping[str, Any], path: str) -> bool:
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def assert_keys_exist_in_chart(values: Mapping[str, Any]) -> None:
    defaults = chart_defaults()
    missing = [p for p in value_paths(values) if p not in TEMPLATE_ONLY_KEYS and not has_path(defaults, p)]
    assert missing == [], f"keys chart {DEFAULT_CHART_VERSION} does not have (Helm would ignore them): {missing}"


def test_values_for_gcs():
    values = helm_values(PLATFORM, GCS, LoadBalancer(ip_address="203.0.113.20"), "http-secret")
    assert values["global"]["baseDomain"] == "astro.example.com"
    assert values["global"]["tlsSecret"] == "astronomer-tls"
    assert values["global"]["postgresql"] == {"enabled": False}
    assert values["global"]["ssl"] == {"enabled": True, "mode": "require"}
    registry = values["astronomer"]["registry"]
    assert registry["gcs"] == {"enabled": True, "bucket": "acme-registry", "useKeyfile": False}
    assert "s3" not in registry
    assert registry["httpSecret"] == "http-secret"
    assert registry["serviceAccount"] == {
        "create": True,
        "name": "astro-registry",
        "annotations": {"iam.gke.io/gcp-service-account": "registry@acme.iam.gserviceaccount.com"},
    }
    prometheus = values["prometheus"]
    assert prometheus["replicas"] == 3
    assert prometheus["sessionAffinity"] == "ClientIP"
    term = prometheus["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["topologyKey"] == "topology.kubernetes.io/zone"
    assert term["labelSelector"]["matchLabels"] == {"tier": "monitoring", "component": "prometheus", "release": "astro"}
    assert values["nginx"]["loadBalancerIP"] == "203.0.113.20"
    assert values["nginx"]["loadBalancerSourceRanges"] == ["203.0.113.0/24"]
    assert_keys_exist_in_chart(values)


def test_values_for_s3_use_irsa_and_no_access_keys():
    nlb = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
    values = helm_values(PLATFORM, S3, LoadBalancer(service_annotations=nlb), "http-secret")
    registry = values["astronomer"]["registry"]
    assert registry["s3"] == {
        "enabled": True,
        "bucket": "acme-registry",
        "region": "us-east-1",
        "encrypt": True,
        "keyid": "arn:aws:kms:us-east-1:111122223333:key/abc",
    }
    assert "accesskey" not in registry["s3"] and "secretkey" not in registry["s3"]
    assert registry["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/registry"
    }
    assert values["nginx"]["ingressAnnotations"] == nlb
    assert "loadBalancerIP" not in values["nginx"]
    assert_keys_exist_in_chart(values)


def test_key_check_catches_a_typo():
    """The check above is only worth something if it fails on the typo Astronomer's own example shipped."""
    with pytest.raises(AssertionError, match=r"nginx.perserveSourceIP"):
        assert_keys_exist_in_chart({"nginx": {"perserveSourceIP": True}})


def test_registry_service_account_name_is_the_charts():
    assert registry_service_account_name("astronomer") == "astronomer-registry"


@pytest.mark.parametrize("password", ["p@ss:w/rd#50%", "plain", "a b+c?d&e=f", "%40%3A"])
def test_bootstrap_connection_round_trips(password):
    url = bootstrap_connection(user="astronomer", password=password, host="10.0.0.5")
    parts = urlsplit(url)
    assert parts.scheme == "postgres"
    assert parts.hostname == "10.0.0.5" and parts.port == 5432
    assert parts.username is not None and parts.password is not None
    assert unquote(parts.username) == "astronomer"
    assert unquote(parts.password) == password
    assert parts.path == ""  # the bootstrapper creates its own databases


def test_bootstrap_connection_refuses_an_empty_host():
    with pytest.raises(ValueError):
        bootstrap_connection(user="u", password="p", host="")


def test_supported_kubernetes_versions_match_the_chart():
    metadata = yaml.safe_load((CHART_DIR / "metadata.yaml").read_text())
    tested = sorted({int(v.split(".")[1]) for v in metadata["test_k8s_versions"]})
    assert tuple(tested) == SUPPORTED_KUBERNETES_MINORS
