"""Facts about chart 2.1.0 that a real install depends on and the mocks cannot see.

Each fact is cited to astronomer/astronomer at tag v2.1.0 (file and line). The tests apply it to the
values the program really produces (the pure `helm_values`), so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from components.config import PlatformSettings
from components.platform.chart import DATABASE_SSL_MODE, PLANE_MODE, nginx_service_name
from components.platform.values import GcsRegistryStorage, LoadBalancer, helm_values

PLATFORM = PlatformSettings(
    base_domain="astro.example.com",
    chart_version="2.1.0",
    namespace="astronomer",
    release_name="astro",
    prometheus_replicas=2,
    load_balancer_source_ranges=(),
    private_load_balancer=False,
)
VALUES = helm_values(
    PLATFORM,
    GcsRegistryStorage(bucket="b", service_account_email="r@p.iam.gserviceaccount.com"),
    LoadBalancer(ip_address="203.0.113.20"),
    "http-secret",
)
# values.yaml:393-400 (chart defaults the program's values are merged onto).
CHART_SSL_DEFAULTS = {"enabled": False, "mode": "prefer", "grafana": {"sslmode": "require"}}


def lookup(values: Mapping[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def merged_values() -> dict[str, Any]:
    """Our values over the chart's `global.ssl` defaults, as Helm merges them."""
    merged = {**VALUES, "global": {**VALUES["global"], "ssl": {**CHART_SSL_DEFAULTS, **VALUES["global"]["ssl"]}}}
    return merged


# Every container of chart 2.1.0 that runs the db-bootstrapper image (or reads the database) with
# the condition that gives it an SSL mode and where that mode comes from (None: hard-coded
# "require"). Found with `git grep -n "dbBootstrapper.image\|BOOTSTRAP_DB" v2.1.0 -- charts`.
BOOTSTRAPPERS = [
    ("charts/astronomer/templates/houston/api/houston-deployment.yaml:116", "global.ssl.enabled", "global.ssl.mode"),
    (
        "charts/astronomer/templates/houston/worker/houston-worker-deployment.yaml:113",
        "global.ssl.enabled",
        "global.ssl.mode",
    ),
    (
        "charts/astronomer/templates/houston/helm-hooks/houston-db-migration-job.yaml:103",
        "global.ssl.enabled",
        "global.ssl.mode",
    ),
    (
        "charts/astronomer/templates/houston/helm-hooks/houston-upgrade-deployments-job.yaml:107",
        "global.sslmodeEnabled",
        None,
    ),
    ("charts/astronomer/templates/houston/helm-hooks/houston-cp-refresh-job.yaml:126", "global.sslmodeEnabled", None),
    ("charts/astronomer/templates/commander/commander-deployment.yaml:100", "global.ssl.enabled", "global.ssl.mode"),
    ("charts/grafana/templates/grafana-deployment.yaml:104", "global.ssl.enabled", "global.ssl.grafana.sslmode"),
]


@pytest.mark.parametrize(
    "template, condition, mode_key", BOOTSTRAPPERS, ids=[b[0].split("/")[-1] for b in BOOTSTRAPPERS]
)
def test_every_bootstrapper_asks_the_database_for_tls(template, condition, mode_key):
    """Both clouds' databases refuse plain connections (Cloud SQL ENCRYPTED_ONLY, RDS rds.force_ssl).

    A bootstrapper without SSLMODE fails; in a hook that fails the whole release (and an `atomic`
    one would uninstall the platform). The two Houston hooks read `global.sslmodeEnabled`, a key absent from the
    chart's default values (houston-upgrade-deployments-job.yaml:107-109 sets SSLMODE=require).
    """
    values = merged_values()
    assert lookup(values, condition) is True, f"{template}: {condition} is not set, so no SSLMODE"
    mode = "require" if mode_key is None else lookup(values, mode_key)
    assert mode in ("require", "verify-ca", "verify-full"), f"{template}: SSLMODE {mode!r} allows plain text"


def test_the_ssl_mode_is_require():
    assert VALUES["global"]["ssl"] == {"enabled": True, "mode": DATABASE_SSL_MODE} and DATABASE_SSL_MODE == "require"


def test_nginx_service_name_follows_the_plane_mode():
    """chart 2.1.0 charts/nginx/templates/controlplane/nginx-cp-service.yaml:4,8 (control or unified:
    `{{ .Release.Name }}-cp-{{ template "nginx.name" . }}`) and dataplane/nginx-dp-service.yaml:4,8
    (data: `-dp-`); `nginx.name` is the subchart's name, `nginx` (_helpers.tpl:5-7)."""
    assert nginx_service_name("astronomer") == "astronomer-cp-nginx"
    assert nginx_service_name("astro", "control") == "astro-cp-nginx"
    assert nginx_service_name("astro", "data") == "astro-dp-nginx"
    with pytest.raises(ValueError):
        nginx_service_name("astro", "hybrid")


def test_values_pin_the_plane_mode_the_service_name_assumes():
    """values.yaml:14-15: `global.plane.mode` defaults to `unified`; the program writes it anyway."""
    assert VALUES["global"]["plane"] == {"mode": PLANE_MODE} and PLANE_MODE == "unified"
