"""Facts about Velero and its chart that the program depends on, and the pure functions that turn
settings into the chart's values and into Velero objects. The one place each fact is written.

Sources (tests/velero/ holds the facts with their lines): the `velero` chart 12.1.0 of
vmware-tanzu/helm-charts (charts/velero, app version 1.18.1) and Velero v1.18.1's CRDs
(config/crd/v1/bases) and docs (site/content/docs/v1.18).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import LATEST_BACKUP, BackupSettings

VELERO_CHART_NAME = "velero"
VELERO_CHART_REPOSITORY = "https://vmware-tanzu.github.io/helm-charts"
# Exact: chart 12.1.0 ships Velero v1.18.1 (Chart.yaml appVersion; values.yaml image.tag).
VELERO_CHART_VERSION = "12.1.0"
VELERO_NAMESPACE = "velero"
VELERO_RELEASE_NAME = "velero"
VELERO_SERVICE_ACCOUNT = "velero"
VELERO_API_VERSION = "velero.io/v1"

# The object-store plugin of each cloud, pinned to the release Velero's own upgrade guide pairs
# with 1.18 (site/content/docs/main/upgrade-to-1.18.md: velero-plugin-for-aws:v1.14.0; the GCP
# plugin is released in step). The chart copies plugins from init containers into /target.
PLUGIN_IMAGES = {
    "gcp": "velero/velero-plugin-for-gcp:v1.14.0",
    "aws": "velero/velero-plugin-for-aws:v1.14.0",
}

# The BackupStorageLocation the program declares (the chart's own is off: `backupsEnabled: false`),
# so that `pulumi up` can wait until Velero has read the bucket before a restore.
BACKUP_LOCATION_NAME = "default"
# Another stack's bucket a declared restore reads from (cluster.restore.sourceBucket).
SOURCE_LOCATION_NAME = "source"
# One Schedule for every Airflow deployment namespace. Its name is what `latest` restores from
# (Restore.spec.scheduleName), so it is the same in every stack that shares a backups bucket.
SCHEDULE_NAME = "astronomer-deployments"
RESOURCE_POLICY_NAME = "astronomer-deployments-policy"
RESOURCE_POLICY_KEY = "policy.yaml"

# Redis holds only in-flight Celery messages: its volume is never backed up. The Airflow chart's
# redis-statefulset.yaml (apache/airflow chart/templates/redis/) selects `tier: airflow, component:
# redis`; its volumeClaimTemplate has no labels of its own, and the StatefulSet controller labels
# the PVCs it creates with the selector's labels, which the volume policy matches.
REDIS_PVC_LABELS = {"tier": "airflow", "component": "redis"}

# A Restore's phases (velero.io_restores.yaml, status.phase enum). `pulumi up` waits for a
# terminal one, then fails unless it is Completed.
RESTORE_TERMINAL_PHASES = ("Completed", "PartiallyFailed", "Failed", "FailedValidation")
RESTORE_SUCCEEDED = "Completed"
# pulumi-kubernetes >= 4.24 reads `pulumi.com/waitFor` as RFC 9535 JSONPath (CHANGELOG 4.24.0).
WAIT_FOR = "pulumi.com/waitFor"
RESTORE_WAIT_FOR = "jsonpath={.status[?" + " || ".join(f"@ == '{p}'" for p in RESTORE_TERMINAL_PHASES) + "]}"
# Velero sets status.lastSyncedTime once it has listed the location's backups into the cluster.
LOCATION_WAIT_FOR = "jsonpath={.status.lastSyncedTime}"
RESTORE_TIMEOUT = "2h"
LOCATION_TIMEOUT = "15m"


@dataclass(frozen=True)
class BackupStorage:
    """Where Velero keeps backups and how its pods reach it without a key (from the cloud)."""

    provider: str
    bucket: str
    # BackupStorageLocation.spec.config of the provider's plugin (region, kmsKeyId, serviceAccount).
    config: Mapping[str, str] = field(default_factory=dict)
    # On Velero's ServiceAccount: Workload Identity / IRSA.
    service_account_annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def plugin_image(self) -> str:
        return PLUGIN_IMAGES[self.provider]


def deployment_namespaces(platform_namespace: str) -> list[str]:
    """Every Airflow deployment namespace of this platform, including future ones.

    Houston names a deployment's namespace `<platform namespace>-<release>` unless namespace pools
    or free-form names are on (chart v2.1.0 charts/prometheus/templates/prometheus-config-configmap.yaml
    relabels `^<Release.Namespace>-(.*$)` to the deployment's release). Velero accepts globs in
    includedNamespaces (docs v1.18 namespace-glob-patterns.md).
    """
    return [f"{platform_namespace}-*"]


def velero_values(storage: BackupStorage) -> dict[str, Any]:
    """The chart's values: the cloud's plugin, keyless identity, file-system backup by the node agent."""
    return {
        "initContainers": [
            {
                "name": f"velero-plugin-for-{storage.provider}",
                "image": storage.plugin_image,
                "imagePullPolicy": "IfNotPresent",
                "volumeMounts": [{"mountPath": "/target", "name": "plugins"}],
            }
        ],
        # No key anywhere: the pods' identity comes from the ServiceAccount annotation.
        "credentials": {"useSecret": False},
        "serviceAccount": {
            "server": {
                "create": True,
                "name": VELERO_SERVICE_ACCOUNT,
                "annotations": dict(storage.service_account_annotations),
            }
        },
        # The program declares the BackupStorageLocation itself (it waits on its sync).
        "backupsEnabled": False,
        # File-system backup only: no cloud disk snapshots, so no compute/EC2 permissions.
        "snapshotsEnabled": False,
        "deployNodeAgent": True,
        "configuration": {"uploaderType": "kopia", "defaultBackupStorageLocation": BACKUP_LOCATION_NAME},
        "upgradeCRDs": True,
        "cleanUpCRDs": False,
    }


def backup_location_spec(storage: BackupStorage) -> dict[str, Any]:
    return {
        "provider": storage.provider,
        "default": True,
        "accessMode": "ReadWrite",
        "objectStorage": {"bucket": storage.bucket},
        "config": dict(storage.config),
    }


def source_location_spec(storage: BackupStorage, backups: BackupSettings) -> dict[str, Any]:
    """Another stack's backups bucket, read-only (Velero never writes or deletes there): the source of a restore."""
    if storage.provider == "aws":
        config = {"region": backups.source_region or ""}
    else:
        config = {k: v for k, v in storage.config.items() if k == "serviceAccount"}
    return {
        "provider": storage.provider,
        "default": False,
        "accessMode": "ReadOnly",
        "objectStorage": {"bucket": backups.source_bucket},
        "config": config,
    }


def resource_policy() -> str:
    """Velero resource policies (docs v1.18 resource-filtering.md, volumePolicies): skip Redis's PVC
    (pvcLabels) and every emptyDir (volumeTypes): scratch space by definition, and Redis's own
    volume when its persistence is off (the Airflow chart's redis-statefulset.yaml then mounts an
    emptyDir `redis-db`)."""
    labels = "".join(f"        {k}: {v}\n" for k, v in REDIS_PVC_LABELS.items())
    return (
        "version: v1\nvolumePolicies:\n"
        f"  - conditions:\n      pvcLabels:\n{labels}    action:\n      type: skip\n"
        "  - conditions:\n      volumeTypes:\n        - emptyDir\n    action:\n      type: skip\n"
    )


def schedule_spec(backups: BackupSettings, platform_namespace: str) -> dict[str, Any]:
    """Every resource of every deployment namespace, their pod volumes by file-system backup."""
    return {
        "schedule": backups.schedule,
        "useOwnerReferencesInBackup": False,
        "template": {
            "includedNamespaces": deployment_namespaces(platform_namespace),
            "excludedNamespaces": [platform_namespace, VELERO_NAMESPACE],
            "defaultVolumesToFsBackup": True,
            "snapshotVolumes": False,
            "storageLocation": BACKUP_LOCATION_NAME,
            "ttl": backups.ttl,
            "resourcePolicy": {"kind": "configmap", "name": RESOURCE_POLICY_NAME},
        },
    }


def restore_name(backup: str) -> str:
    """The Restore's name: stable per declared backup, at most 63 characters (Velero labels with it)."""
    name = f"{SCHEDULE_NAME}-{backup}" if backup == LATEST_BACKUP else f"restore-{backup}"
    if len(name) <= 63:
        return name
    return f"{name[:56].rstrip('-.')}-{hashlib.sha256(backup.encode()).hexdigest()[:6]}"


def restore_spec(backup: str) -> dict[str, Any]:
    """`latest`: the newest completed backup of the schedule (Velero fills backupName from scheduleName)."""
    source = {"scheduleName": SCHEDULE_NAME} if backup == LATEST_BACKUP else {"backupName": backup}
    return {**source, "existingResourcePolicy": "none", "restorePVs": True}


def restore_failure(name: str, status: Mapping[str, Any] | None) -> str | None:
    """None when the restore completed (or its status is not known yet, in a preview); else why not."""
    if not status or not status.get("phase"):
        return None
    phase = status["phase"]
    if phase == RESTORE_SUCCEEDED:
        return None
    progress = status.get("progress") or {}
    parts = [
        f"Velero restore {name} ended {phase}",
        f"{_count(status.get('errors', 0))} error(s), {_count(status.get('warnings', 0))} warning(s)",
        f"{_count(progress.get('itemsRestored', 0))} of {_count(progress.get('totalItems', '?'))} items restored",
    ]
    if status.get("failureReason"):
        parts.append(f"failure reason: {status['failureReason']}")
    if status.get("validationErrors"):
        parts.append("validation errors: " + "; ".join(status["validationErrors"]))
    parts.append(f"see `velero restore describe {name} --details` and `velero restore logs {name}`")
    return ". ".join(parts)


def _count(value: Any) -> str:
    """Counts as Velero writes them; the engine hands every number over as a float."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
