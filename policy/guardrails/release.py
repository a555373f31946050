"""Guardrails for the release: the ``astronomer`` Helm release (HA Prometheus, registry in object
storage, external database, a pinned chart) and Velero's schedules for the Airflow deployments."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy

from .common import (
    HELM_RELEASE,
    MIN_PROMETHEUS_REPLICAS,
    UNKNOWN,
    get,
    is_below,
    is_blank,
    resource_policy,
    set_hint,
    show_value,
    violation_message,
)

# --------------------------------------------------------------------------------------------
# The Astronomer Helm release
# --------------------------------------------------------------------------------------------

HELM_KIND = "Helm release"
_EXACT_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)


def is_astronomer(props: Mapping[str, Any]) -> bool:
    """`chart` is "astronomer", "<repo alias>/astronomer", an OCI/URL ending in /astronomer, or
    an astronomer-<version>.tgz archive."""
    chart = get(props, "chart")
    if not isinstance(chart, str):
        return False
    last = chart.rstrip("/").rsplit("/", 1)[-1]
    return last == "astronomer" or bool(re.match(r"^astronomer-\d[^/]*\.tgz$", last))


def _helm_prometheus(p: Mapping[str, Any], n: str) -> Iterator[str]:
    replicas = get(p, "values", "prometheus", "replicas")
    if is_below(replicas, MIN_PROMETHEUS_REPLICAS):
        yield violation_message(
            HELM_KIND,
            n,
            "Prometheus runs a single replica (`values.prometheus.replicas` is "
            f"{show_value(replicas)}; the chart default is 1)",
            f"set `values.prometheus.replicas` to {MIN_PROMETHEUS_REPLICAS} or more (and "
            '`values.prometheus.sessionAffinity` to "ClientIP", with `affinity` spreading '
            "the pods across zones)",
        )


def _helm_registry(p: Mapping[str, Any], n: str) -> Iterator[str]:
    reg = "values.astronomer.registry"
    enabled = [
        store
        for store in ("gcs", "s3")
        if get(p, "values", "astronomer", "registry", store, "enabled") in (True, UNKNOWN)
    ]
    if not enabled:
        yield violation_message(
            HELM_KIND,
            n,
            "the image registry stores images on a pod volume that a rebuild "
            f"loses (neither `{reg}.gcs.enabled` nor `{reg}.s3.enabled` is true)",
            f"set `{reg}.gcs.enabled` to true with `{reg}.gcs.bucket` (GCP) or "
            f"`{reg}.s3.enabled` to true with `{reg}.s3.bucket` and `{reg}.s3.region` (AWS)",
        )
        return
    for store in enabled:
        bucket = get(p, "values", "astronomer", "registry", store, "bucket")
        if is_blank(bucket):
            yield violation_message(
                HELM_KIND,
                n,
                f"`{reg}.{store}.enabled` is true but `{reg}.{store}.bucket` is unset",
                f"set `{reg}.{store}.bucket` to the registry bucket's name",
            )


def _helm_external_db(p: Mapping[str, Any], n: str) -> Iterator[str]:
    enabled = get(p, "values", "global", "postgresql", "enabled")
    if enabled is not UNKNOWN and enabled is not False:
        yield violation_message(
            HELM_KIND,
            n,
            "the platform database is not declared external "
            f"(`values.global.postgresql.enabled` is {show_value(enabled)}; an "
            "in-cluster PostgreSQL dies with the cluster)",
            "set `values.global.postgresql.enabled` to false explicitly and provide the "
            "`astronomer-bootstrap` Secret pointing at Cloud SQL / RDS",
        )
    legacy = get(p, "values", "global", "postgresqlEnabled")
    if legacy is True:
        yield violation_message(
            HELM_KIND,
            n,
            "`values.global.postgresqlEnabled` (the 0.x/1.x key) is true",
            "remove `values.global.postgresqlEnabled` and set `values.global.postgresql.enabled` to false",
        )


def _helm_pinned(p: Mapping[str, Any], n: str) -> Iterator[str]:
    chart = get(p, "chart")
    if isinstance(chart, str) and chart.endswith(".tgz"):
        return  # a chart archive is one exact version
    version = get(p, "version")
    if version is UNKNOWN:
        return
    if not isinstance(version, str) or not _EXACT_SEMVER.match(version.strip()):
        yield violation_message(
            HELM_KIND,
            n,
            "the chart version is not pinned "
            f"(`version` is {show_value(version)}; a range or an empty version lets a "
            "rebuild install a different chart)",
            set_hint("version", "2.1.0") + " (an exact MAJOR.MINOR.PATCH version)",
        )


# --------------------------------------------------------------------------------------------
# Velero: the Airflow deployments' backups
# --------------------------------------------------------------------------------------------

VELERO_SCHEDULE = "kubernetes:velero.io/v1:Schedule"
MIN_DEPLOYMENT_BACKUP_HOURS = 7 * 24
_GO_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def go_duration_hours(text: str) -> float | None:
    """Hours in a Go duration as Velero's ttl takes it (`168h0m0s`, `720h`, `90m`); None if not one."""
    match = _GO_DURATION.match(text or "")
    if not match or not any(match.groups()):
        return None
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return h + m / 60 + s / 3600


def _velero_schedule_retention(p: Mapping[str, Any], n: str) -> Iterator[str]:
    ttl = get(p, "spec", "template", "ttl")
    if ttl is UNKNOWN:
        return
    hours = go_duration_hours(ttl) if isinstance(ttl, str) else None
    if hours is None or hours < MIN_DEPLOYMENT_BACKUP_HOURS:
        yield violation_message(
            "Velero schedule",
            n,
            f"its backups are kept {show_value(ttl) if ttl is not None else 'for the server default'}, "
            f"less than {MIN_DEPLOYMENT_BACKUP_HOURS // 24} days (or not set explicitly)",
            set_hint("spec.template.ttl", f"{MIN_DEPLOYMENT_BACKUP_HOURS}h0m0s", minimum=True),
        )


POLICIES: list[Policy] = [
    # Astronomer Helm release
    resource_policy(
        "astronomer-prometheus-ha",
        f"The Astronomer release runs Prometheus with at least {MIN_PROMETHEUS_REPLICAS} replicas.",
        [HELM_RELEASE],
        _helm_prometheus,
        applies=is_astronomer,
    ),
    resource_policy(
        "astronomer-registry-object-storage",
        "The Astronomer registry stores images in a GCS or S3 bucket.",
        [HELM_RELEASE],
        _helm_registry,
        applies=is_astronomer,
    ),
    resource_policy(
        "astronomer-external-database",
        "The Astronomer release uses an external database (global.postgresql.enabled: false).",
        [HELM_RELEASE],
        _helm_external_db,
        applies=is_astronomer,
    ),
    resource_policy(
        "astronomer-chart-version-pinned",
        "The Astronomer chart version is pinned to an exact version.",
        [HELM_RELEASE],
        _helm_pinned,
        applies=is_astronomer,
    ),
    # Velero
    resource_policy(
        "velero-schedule-keeps-a-week",
        f"Velero schedules keep each backup at least {MIN_DEPLOYMENT_BACKUP_HOURS // 24} days (spec.template.ttl).",
        [VELERO_SCHEDULE],
        _velero_schedule_retention,
    ),
]
