"""Facts about the Astronomer chart that the program depends on: the one place each is written.

Source: astronomer/astronomer v2.1.0 (see docs/DEVELOPING.md, "The platform (both clouds)").
"""

from __future__ import annotations

# The release's defaults live below config and platform alike; the platform reads them here too.
from ..release_defaults import DEFAULT_CHART_VERSION, DEFAULT_NAMESPACE, DEFAULT_RELEASE_NAME

__all__ = ["DEFAULT_CHART_VERSION", "DEFAULT_NAMESPACE", "DEFAULT_RELEASE_NAME"]

CHART_NAME = "astronomer"
CHART_REPOSITORY = "https://helm.astronomer.io"

# Secrets the chart reads but does not make when its in-cluster Postgres is off.
BOOTSTRAP_SECRET_NAME = "astronomer-bootstrap"
BOOTSTRAP_SECRET_KEY = "connection"
# The chart's default `global.tlsSecret`; we name it explicitly in the values as well.
TLS_SECRET_NAME = "astronomer-tls"

POSTGRES_PORT = 5432
# Both clouds' databases refuse unencrypted connections; `require` encrypts without needing the
# cloud's CA bundle in every pod.
DATABASE_SSL_MODE = "require"

# A full platform install pulls ~30 images and runs the database bootstrap hook; Astronomer's
# own installs take 10-20 minutes on a fresh cluster.
HELM_TIMEOUT_SECONDS = 1800


def registry_service_account_name(release_name: str, cluster: str | None = None) -> str:
    """The ServiceAccount the chart's registry runs as (`registry.serviceAccount.create: true` with
    `registry.serviceAccount.name`). With `cluster`, the name carries the cluster's: on GKE every
    cluster of a project shares one Workload Identity pool, so only the name tells them apart."""
    return f"{release_name}-registry" + (f"-{cluster}" if cluster else "")


# `global.plane.mode`: the chart's default, `unified`, runs the control and the data plane in one
# release. The program sets it explicitly (values.py) because NGINX's Service name depends on it.
PLANE_MODE = "unified"
PLANE_MODES = ("control", "data", "unified")


def nginx_service_name(release_name: str, plane_mode: str = PLANE_MODE) -> str:
    """NGINX's LoadBalancer Service: `<release>-cp-nginx` in control and unified mode, `<release>-dp-nginx` in data mode.

    Chart 2.1.0, charts/nginx/templates/controlplane/nginx-cp-service.yaml:4-8 and
    dataplane/nginx-dp-service.yaml:4-8 (`{{ .Release.Name }}-cp-{{ template "nginx.name" . }}`,
    the nginx subchart's name being `nginx`).
    """
    if plane_mode not in PLANE_MODES:
        raise ValueError(f"unknown plane mode {plane_mode!r}; the chart knows {PLANE_MODES}")
    return f"{release_name}-{'dp' if plane_mode == 'data' else 'cp'}-nginx"
