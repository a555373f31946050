"""Facts about Velero and its chart that the program depends on, and the pure functions that turn
settings into the chart's values and into Velero objects. The one place each fact is written.

Sources (tests/velero/ holds the facts with their lines): the `velero` chart 12.1.0 of
vmware-tanzu/helm-charts (charts/velero, app version 1.18.1) and Velero v1.18.1's CRDs
(config/crd/v1/bases) and docs (site/content/docs/v1.18).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pulumi

from ..config import LATEST_BACKUP, BackupSettings

VELERO_CHART_NAME = "velero"
VELERO_CHART_REPOSITORY = "https://vmware-tanzu.github.io/helm-charts"
# Exact: chart 12.1.0 ships Velero v1.18.1 (Chart.yaml appVersion; values.yaml image.tag).
VELERO_CHART_VERSION = "12.1.0"
VELERO_NAMESPACE = "velero"
VELERO_RELEASE_NAME = "velero"
# The chart's default name for Velero's ServiceAccount; on GKE the program names it per cluster
# (velero_service_account) so that no other cluster's Velero is the same Google principal.
VELERO_SERVICE_ACCOUNT = "velero"
VELERO_API_VERSION = "velero.io/v1"

# The object-store plugin of each cloud: the newest final release of the v1.14 line, the one the
# plugins' own READMEs pair with Velero v1.18.x (velero-io/velero-plugin-for-gcp|aws, README.md
# "Compatibility"). Tags v1.14.2 (gcp d1d8fedb463b6cfcf8b9e6a014afd75a69ccd3ee, aws
# 5463822fd77bc1c2a1151ee76c830ad979ff2781, June 2026) carry dependency CVE fixes over v1.14.0 and
# v1.14.1; the repositories' push workflow (.github/workflows/push.yml) publishes `velero/<plugin>:<tag>`
# on a tag. Pinned by tag: no source reachable here states the images' digests, and a digest is
# never invented (`crane digest velero/velero-plugin-for-gcp:v1.14.2` gives it, to pin).
# The chart copies plugins from init containers into /target.
PLUGIN_IMAGES = {
    "gcp": "velero/velero-plugin-for-gcp:v1.14.2",
    "aws": "velero/velero-plugin-for-aws:v1.14.2",
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
# `cluster.restore.start: false`: Velero resource modifiers (docs v1.18
# restore-resource-modifiers.md) applied to each item as it is created, after the restore item
# actions (pkg/restore/restore.go:1462-1463), from a ConfigMap of one key
# (internal/resourcemodifiers/resource_modifiers.go:66-84) named by Restore.spec.resourceModifier
# with kind `configmap` (resource_modifiers.go:37; pkg/controller/restore_controller.go:408-423).
STOPPED_MODIFIERS_NAME = "astronomer-deployments-stopped"
STOPPED_MODIFIERS_KEY = "modifiers.yaml"
# Held on every restored pod that is not a StatefulSet's: the scheduler never binds a pod while it
# has a gate (Kubernetes Pod Scheduling Readiness, GA in 1.30: kubernetes.io/docs/concepts/
# scheduling-eviction/pod-scheduling-readiness/), so none of its containers ever starts.
STOPPED_GATE = "astronomer-dr.io/restored-stopped"
# The label the StatefulSet controller puts on each of its pods (kubernetes
# pkg/controller/statefulset/stateful_set_utils.go, `apps.StatefulSetPodNameLabel`).
STATEFULSET_POD_LABEL = "statefulset.kubernetes.io/pod-name"
LOCATION_TIMEOUT = "15m"


def go_duration(value: timedelta) -> str:
    """A whole-second duration as Go's time.Duration prints it (`4h0m0s`): what Velero's flags and
    Pulumi's customTimeouts both parse (time.ParseDuration)."""
    seconds = int(value.total_seconds())
    return f"{seconds // 3600}h{seconds % 3600 // 60}m{seconds % 60}s"


# How long Velero lets the file-system (kopia) restore of the pod volumes run before it gives up:
# the server flag `--fs-backup-timeout` (velero v1.18.1 pkg/cmd/server/config/config.go:28, 228:
# `defaultPodVolumeOperationTimeout = 240 * time.Minute`), which the chart passes from
# `configuration.fsBackupTimeout` (velero-12.1.0 charts/velero/values.yaml:484,
# templates/deployment.yaml:103-104). A restore waits up to that long for its volumes
# (pkg/restore/restore.go:245-260 `context.WithTimeout(..., podVolumeTimeout)`, :674-690). Set
# explicitly, Velero's own default, so the program's wait below is derived from the value Velero runs with.
FS_BACKUP_TIMEOUT = timedelta(hours=4)
# Before the volume wait: every item restored one by one, each wait bounded by Velero's
# `--resource-timeout` (10 min, config.go:44, 247) and a namespace still terminating by
# `--terminating-resource-timeout` (10 min, config.go:29, 238); then the restore is finalized.
RESTORE_ITEMS_ALLOWANCE = timedelta(hours=1)
# `pulumi up` waits for the Restore's terminal phase at least as long as Velero may take, so a
# restore that Velero would still complete is never reported as a failed `pulumi up`.
RESTORE_TIMEOUT = go_duration(FS_BACKUP_TIMEOUT + RESTORE_ITEMS_ALLOWANCE)


# The node agent's data path, sized for a restore. Since v1.17 each file-system backup and restore of
# a pod volume runs in a data-mover pod of its own on the node of the pod it serves (velero v1.18.1
# pkg/exposer/pod_volume.go:187-201, `NodeName` set at :531, so the scheduler never places it), and
# each node agent runs `loadConcurrency` of them at once: 1 unless its ConfigMap says otherwise
# (pkg/cmd/cli/nodeagent/server.go:80, 268, 684-700; pkg/datapath/manager.go:66-71; a PodVolumeRestore
# past the limit waits, pkg/controller/pod_volume_restore_controller.go:326-331). One volume at a
# time per node is what makes a restore of many deployments long. The node agent reads the ConfigMap
# named by `--node-agent-configmap` once, at startup (server.go:125, 260, 650-663; docs v1.18
# node-agent-concurrency.md:11-12), one JSON key (pkg/nodeagent/node_agent.go:139-165).
# Four per node: the shipped nodes have 8 vCPUs and 32 GiB (e2-standard-8, m6i.2xlarge), and Kopia
# peaked at 1.4 CPUs moving one volume with 4 cores available (docs v1.18 performance-guidance.md:148-155,
# Velero's only published figures, measured on backups).
NODE_AGENT_LOAD_CONCURRENCY = 4
# Each data-mover pod's resources (`podResources`, docs v1.18 supported-configmaps/node-agent-configmap.md:226-251;
# pkg/util/kube/pod.go:43-50). Unset they run BestEffort: the first evicted on a node busy with the
# platform and the restored deployments. Small requests, because the pod is bound to its node
# without the scheduler, and the kubelet rejects a pod its node cannot fit. Limits with room: 2 CPUs
# each (4 x 2 = the node's 8 at most), 4 GiB each, over the 2.2 GB Kopia peaked at with 4 million files
# (performance-guidance.md:88-95; 1 GiB was an OOM at 2 million, :125-132). Kopia downloads as many
# files at once as the node has CPUs unless the Restore says otherwise (pkg/uploader/kopia/snapshot.go:423-440,
# `uploaderConfig.parallelFilesDownload`): left to that, which follows the node's size.
DATA_MOVER_RESOURCES = {"cpuRequest": "250m", "cpuLimit": "2", "memoryRequest": "512Mi", "memoryLimit": "4Gi"}
NODE_AGENT_CONFIG_KEY = "node-agent.json"


def node_agent_config() -> dict[str, Any]:
    """The node agent's ConfigMap content (pkg/types/node_agent.go:25-34, 77-107)."""
    return {"loadConcurrency": {"globalConfig": NODE_AGENT_LOAD_CONCURRENCY}, "podResources": DATA_MOVER_RESOURCES}


def node_agent_config_map() -> tuple[str, dict[str, Any]]:
    """The chart's `configMaps` entry for it: (key, entry). The chart names the ConfigMap
    `<fullname>-<key>` (velero-12.1.0 templates/configmaps.yaml:1-17; fullname is the release name
    `velero`, templates/_helpers.tpl:14-25). The key carries the content's hash: a changed
    configuration changes the node agent's argument, so its pods restart and read it."""
    text = json.dumps(node_agent_config(), sort_keys=True)
    return f"node-agent-{hashlib.sha256(text.encode()).hexdigest()[:8]}", {"data": {NODE_AGENT_CONFIG_KEY: text}}


@dataclass(frozen=True)
class BackupStorage:
    """Where Velero keeps backups and how its pods reach it without a key (from the cloud)."""

    provider: str
    # None: no bucket of its own yet (a warm standby before promotion reads its primary's only).
    bucket: str | None
    # BackupStorageLocation.spec.config of the provider's plugin (region, kmsKeyId, serviceAccount).
    config: Mapping[str, str] = field(default_factory=dict)
    # On Velero's ServiceAccount: Workload Identity / IRSA.
    service_account_annotations: Mapping[str, str] = field(default_factory=dict)
    # The Kubernetes ServiceAccount Velero (server and node agent) runs as: the name the cloud's
    # identity binding trusts.
    service_account: str = VELERO_SERVICE_ACCOUNT

    @property
    def plugin_image(self) -> str:
        return PLUGIN_IMAGES[self.provider]


@dataclass(frozen=True)
class BackupSource:
    """Another stack's backups bucket, read-only: the source of a restore (cluster.restore.sourceBucket),
    or on a warm standby the primary's bucket, its location pre-staged before promotion."""

    bucket: str
    # AWS: the bucket's region and the key its objects are encrypted with (its stack's
    # `backups_region`, `backups_kms_key_arn`); None on GCS.
    region: str | None = None
    kms_key_arn: str | None = None

    @staticmethod
    def of(backups: BackupSettings) -> BackupSource | None:
        """The source a declared restore names in the config (None: the stack's own bucket)."""
        if not (backups.source_bucket and backups.restore_backup):
            return None
        return BackupSource(backups.source_bucket, backups.source_region, backups.source_kms_key_arn)


def velero_service_account(cluster: str) -> str:
    """Velero's ServiceAccount on a GKE cluster: every cluster of a project shares one Workload
    Identity pool, and a principal names only `[namespace/ServiceAccount]`, so the name carries the
    cluster's (as the registry's does, components/platform/chart.py registry_service_account_name)."""
    return f"{VELERO_SERVICE_ACCOUNT}-{cluster}"


def deployment_namespaces(platform_namespace: str, pools: Iterable[str] = ()) -> list[str]:
    """Every Airflow deployment namespace of this platform, including future ones: what the Schedule
    backs up and the Restore brings back (one list for both).

    Houston names a deployment's namespace `<platform namespace>-<release>` unless namespace pools
    or free-form names are on (chart v2.1.0 charts/prometheus/templates/prometheus-config-configmap.yaml
    relabels `^<Release.Namespace>-(.*$)` to the deployment's release). Velero accepts globs in
    includedNamespaces (docs v1.18 namespace-glob-patterns.md). With namespace pools Houston places
    deployments in the pre-created namespaces it is given (chart v2.1.0
    charts/astronomer/templates/houston/houston-configmap.yaml:107-113, `preCreatedNamespaces` from
    `global.namespaceManagement.namespacePools.namespaces.names`), whatever their names:
    `platform.deploymentNamespaces` lists them, and they are backed up and restored by name.
    """
    return [f"{platform_namespace}-*", *sorted(set(pools))]


def velero_values(storage: BackupStorage) -> dict[str, Any]:
    """The chart's values: the cloud's plugin, keyless identity, file-system backup by the node agent."""
    config_key, config_map = node_agent_config_map()
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
                "name": storage.service_account,
                "annotations": dict(storage.service_account_annotations),
            }
        },
        # The program declares the BackupStorageLocation itself (it waits on its sync).
        "backupsEnabled": False,
        # File-system backup only: no cloud disk snapshots, so no compute/EC2 permissions.
        "snapshotsEnabled": False,
        "deployNodeAgent": True,
        "configuration": {
            "uploaderType": "kopia",
            "defaultBackupStorageLocation": BACKUP_LOCATION_NAME,
            "fsBackupTimeout": go_duration(FS_BACKUP_TIMEOUT),
        },
        "upgradeCRDs": True,
        "cleanUpCRDs": False,
        # Sized for a restore (node_agent_config): the chart creates the ConfigMap in the same
        # release, before the DaemonSet whose node agents read it at startup.
        "configMaps": {config_key: config_map},
        "nodeAgent": {"extraArgs": [f"--node-agent-configmap={VELERO_RELEASE_NAME}-{config_key}"]},
    }


def backup_location_spec(storage: BackupStorage) -> dict[str, Any]:
    assert storage.bucket is not None, "the default location is declared with a bucket of its own"
    return {
        "provider": storage.provider,
        "default": True,
        "accessMode": "ReadWrite",
        "objectStorage": {"bucket": storage.bucket},
        "config": dict(storage.config),
    }


def source_location_spec(storage: BackupStorage, source: BackupSource) -> dict[str, Any]:
    """Another stack's backups bucket, the source of a restore. ReadOnly: Velero lists its backups into
    the cluster like any location's (velero v1.18.1 pkg/controller/backup_sync_controller.go:80-252,
    no access-mode check) but never writes a backup there (backup_controller.go:466-469) nor deletes
    one (gc_controller.go:162-168, backup_deletion_controller.go:200). A restore still writes its log
    and results under `restores/<restore>/` and deletes them with the Restore (the grants allow
    exactly that, and only while a restore is declared). On S3 those files are encrypted with the
    source bucket's key, as its own stack writes them."""
    if storage.provider == "aws":
        config = {"region": source.region or "", "kmsKeyId": source.kms_key_arn or ""}
    else:
        config = {k: v for k, v in storage.config.items() if k == "serviceAccount"}
    return {
        "provider": storage.provider,
        "default": False,
        "accessMode": "ReadOnly",
        "objectStorage": {"bucket": source.bucket},
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


def schedule_spec(backups: BackupSettings, platform_namespace: str, pools: Iterable[str] = ()) -> dict[str, Any]:
    """Every resource of every deployment namespace (`pools`: platform.deploymentNamespaces), their
    pod volumes by file-system backup."""
    return {
        "schedule": backups.schedule,
        "useOwnerReferencesInBackup": False,
        "template": {
            "includedNamespaces": deployment_namespaces(platform_namespace, pools),
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


def stopped_modifiers() -> str:
    """The resource modifiers of a restore whose deployments come back stopped.

    Velero restores every pod that had not finished and every Job without a completion time
    (pkg/restore/restore.go:2154-2177, isCompleted), Jobs with their controller-uid stripped
    (pkg/restore/actions/job_action.go:55-58, velero#8801): KubernetesExecutor task pods
    (bare pods, labelled `kubernetes_executor: "True"` by the cncf.kubernetes provider's
    pod_generator) would run again with production connections. Velero strips every
    ownerReference (restore.go:2114-2116), so the Deployments and ReplicaSets restored at zero
    adopt their restored pods and delete them; until then (and for bare pods, for good) the gate
    keeps every container from starting. Jobs and CronJobs come back suspended.

    StatefulSets keep their replicas and their pods stay ungated: a volume's data is restored only
    into a pod Velero itself creates (restore.go:1732-1738), through the init container the pod
    volume restore action adds; a gated pod never runs it, and a StatefulSet at zero would adopt
    and delete its restored pods during the restore (docs/DEPLOYMENTS-RESTORE.md says which run).
    """
    rules = [
        {"conditions": {"groupResource": group}, "mergePatches": [{"patchData": json.dumps(patch)}]}
        for group, patch in (
            ("deployments.apps", {"spec": {"replicas": 0}}),
            ("replicasets.apps", {"spec": {"replicas": 0}}),
            ("jobs.batch", {"spec": {"suspend": True}}),
            ("cronjobs.batch", {"spec": {"suspend": True}}),
        )
    ]
    rules.append(
        {
            "conditions": {
                "groupResource": "pods",
                "labelSelector": {"matchExpressions": [{"key": STATEFULSET_POD_LABEL, "operator": "DoesNotExist"}]},
            },
            "mergePatches": [{"patchData": json.dumps({"spec": {"schedulingGates": [{"name": STOPPED_GATE}]}})}],
        }
    )
    return json.dumps({"version": "v1", "resourceModifierRules": rules}, indent=2)


def restore_spec(
    backup_name: str, platform_namespace: str, start: bool = True, pools: Iterable[str] = ()
) -> dict[str, Any]:
    """The one backup chosen before anything runs (`backupName`, never `scheduleName`: Velero would
    take the newest Completed backup, an empty one included), into the deployment namespaces only.

    `includeClusterResources: false`: no cluster-scoped object is restored (Velero v1.18.1
    pkg/restore/restore.go:2270-2273), so a tampered bucket cannot bring a ClusterRoleBinding. A
    deployment needs none: the namespaces are created from the backup's own Namespace objects and the
    volumes are provisioned from their claims. PersistentVolumeClaims and PersistentVolumes stay
    included as resources: excluding either stops the file-system volume restores (restore.go:1736-1738).
    """
    spec: dict[str, Any] = {
        "backupName": backup_name,
        "includedNamespaces": deployment_namespaces(platform_namespace, pools),
        "excludedNamespaces": [platform_namespace, VELERO_NAMESPACE],
        "includeClusterResources": False,
        "existingResourcePolicy": "none",
        "restorePVs": True,
    }
    if not start:
        spec["resourceModifier"] = {"kind": "configmap", "name": STOPPED_MODIFIERS_NAME}
    return spec


# ---- which backup a restore takes ---------------------------------------------------------------
#
# Velero keeps each backup's Backup object, status included, as JSON at `backups/<name>/velero-backup.json`
# in the location (pkg/persistence/object_store_layout.go:72-74); the schedule names its backups
# `<schedule>-<UTC yyyyMMddHHmmss>` (pkg/apis/velero/v1/schedule_types.go TimestampedName), so
# their names sort by time. The program reads those objects (the cloud's own storage invokes) before
# declaring a Restore, and names the chosen backup in it.

BACKUPS_PREFIX = "backups/"
# Where a restore writes its log, results and resource list, and what its finalizer deletes
# (object_store_layout.go:38-39, 68-70, 100-114; object_store.go:584-621).
RESTORES_PREFIX = "restores/"
BACKUP_METADATA = "velero-backup.json"
BACKUP_COMPLETED = "Completed"
SCHEDULE_NAME_LABEL = "velero.io/schedule-name"


@dataclass(frozen=True)
class BackupRecord:
    """What `velero-backup.json` says about one backup."""

    name: str
    phase: str
    items: int
    # UTC; None when Velero did not write it.
    completed: datetime | None
    expires: datetime | None
    schedule: str | None
    included_namespaces: tuple[str, ...] = ()

    def age(self, now: datetime) -> str:
        if self.completed is None:
            return "age unknown"
        minutes = int((now - self.completed).total_seconds() // 60)
        return f"{minutes // 1440}d {minutes % 1440 // 60}h {minutes % 60}m old" if minutes >= 0 else "in the future"

    def describe(self, now: datetime) -> str:
        namespaces = ", ".join(self.included_namespaces) or "every namespace"
        return f"backup {self.name} ({self.phase}, {self.age(now)}, {self.items} items of namespaces {namespaces})"


@dataclass(frozen=True)
class BackupReader:
    """How the cloud reads a bucket (its storage invokes): the keys under `backups/`, and one object's text.
    Both take (bucket, region); the region matters on S3 only."""

    list_keys: Callable[[str, str | None], Iterable[str]]
    read: Callable[[str, str | None, str], str]


def backup_metadata_key(backup: str) -> str:
    return f"{BACKUPS_PREFIX}{backup}/{BACKUP_METADATA}"


def backup_names(keys: Iterable[str]) -> list[str]:
    """The backups among object keys or `backups/<name>/` prefixes, newest first (the schedule's
    names sort by time)."""
    names = {k[len(BACKUPS_PREFIX) :].split("/", 1)[0] for k in keys if k.startswith(BACKUPS_PREFIX)}
    return sorted((n for n in names if n), reverse=True)


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def parse_backup_metadata(name: str, text: str) -> BackupRecord:
    """A Backup object as Velero stores it (pkg/apis/velero/v1/backup_types.go: status.phase,
    status.progress.itemsBackedUp, status.completionTimestamp, status.expiration)."""
    backup = json.loads(text)
    status = backup.get("status") or {}
    progress = status.get("progress") or {}
    return BackupRecord(
        name=name,
        phase=status.get("phase") or "",
        items=int(progress.get("itemsBackedUp") or 0),
        completed=_time(status.get("completionTimestamp")),
        expires=_time(status.get("expiration")),
        schedule=((backup.get("metadata") or {}).get("labels") or {}).get(SCHEDULE_NAME_LABEL),
        included_namespaces=tuple((backup.get("spec") or {}).get("includedNamespaces") or ()),
    )


# Opens the warning a declared restore gives before anything runs (the plan's deployments row finds it by it).
RESTORE_CAVEATS = "what the deployments restore cannot bring back"


def restore_caveats(record: BackupRecord, now: datetime) -> str:
    """What the chosen backup cannot give back, said before the restore runs: the backup is a moment.

    A deployment created after it is not in it. Its Airflow database is (the platform's database is
    restored on its own), but its fernet key is not: the Airflow chart makes `<release>-fernet-key`
    in a `pre-install` hook from `randAlphaNum 32` (apache/airflow chart/templates/secrets/fernetkey-secret.yaml:23-47,
    commit 0cc17e45, the chart astronomer/airflow-chart 1.18.8 depends on, values.yaml:457 reading it), and a hook's
    object is in no Helm record: installed again, the deployment gets a new key, and the connections
    and variables its database holds encrypted no longer decrypt. A deployment deleted after the
    backup is in it: it comes back running."""
    completed = record.completed.strftime("%Y-%m-%dT%H:%M:%SZ") if record.completed else "at an unknown time"
    return (
        f"{RESTORE_CAVEATS}: backup {record.name} completed {completed} ({record.age(now)}). "
        "A deployment created after it is not in it: installed again it gets a new fernet key (the Airflow "
        "chart's pre-install hook Secret `<release>-fernet-key`, random, in no Helm record), and its stored "
        "connections and variables no longer decrypt: re-enter them, or put back the old key if kept elsewhere. "
        "A deployment deleted after it comes back running: delete it again once the platform is up "
        '(docs/DEPLOYMENTS-RESTORE.md, "What a restore cannot bring back")'
    )


def why_not_restorable(record: BackupRecord, now: datetime) -> str | None:
    """None for a backup that holds the deployments: Completed, not expired, with items.

    An empty backup is Completed too: a namespace glob that matches nothing backs up nothing and
    fails nothing (pkg/util/collections/includes_excludes.go, pkg/backup/backup.go)."""
    if record.phase != BACKUP_COMPLETED:
        return f"{record.phase or 'no phase'}"
    if record.expires is not None and record.expires <= now:
        return "expired (Velero deletes it)"
    if record.items == 0:
        return "empty (no deployment namespace existed when it ran)"
    return None


class NoBackupToRestore(pulumi.RunError):
    """No backup in the bucket qualifies for the declared restore."""


def choose_backup(
    wanted: str, records: Iterable[BackupRecord], now: datetime, bucket: str
) -> tuple[BackupRecord, list[str]]:
    """The backup a declared restore takes, and why each newer one was passed over.

    `records`: the candidates newest first (for `latest` the schedule's backups, else the one named).
    `latest` takes the newest that holds the deployments; a named backup must hold them. Refuses
    (NoBackupToRestore) rather than restore nothing."""
    skipped: list[str] = []
    for record in records:
        if wanted == LATEST_BACKUP and record.schedule not in (None, SCHEDULE_NAME):
            continue
        why = why_not_restorable(record, now)
        if why is None:
            return record, skipped
        skipped.append(f"{record.name}: {why}")
    what = "the newest backup holding the deployments" if wanted == LATEST_BACKUP else f"backup {wanted}"
    seen = "; ".join(skipped) if skipped else "no such backup there"
    raise NoBackupToRestore(
        f"cluster.restore.backup: {what} is not in bucket {bucket} ({seen}). Nothing was restored: "
        "name another backup (`velero backup get`, or the bucket's backups/ folder) or another sourceBucket"
    )


def record_status(reader: BackupReader, backup: str, bucket: str, region: str | None, now: datetime) -> str:
    """What a recorded restore (cluster.restored) still means: while its backup exists Velero keeps
    the Restore object; when the backup expires Velero deletes both (backup_deletion_controller.go:373-393),
    and the record has nothing left to stand for."""
    if backup not in backup_names(reader.list_keys(bucket, region)):
        return f"backup {backup} is gone from bucket {bucket} (expired): `cluster.restored` can go"
    record = parse_backup_metadata(backup, reader.read(bucket, region, backup_metadata_key(backup)))
    until = record.expires.strftime("%Y-%m-%dT%H:%M:%SZ") if record.expires else "its expiration"
    if record.expires is not None and record.expires <= now:
        return f"backup {backup} expired at {until}: `cluster.restored` can go"
    return f"backup {backup} (restored; declares nothing) is kept until {until}: `cluster.restored` can go after that"


def find_backup(
    reader: BackupReader, wanted: str, bucket: str, region: str | None, now: datetime
) -> tuple[BackupRecord, list[str]]:
    """Lists the bucket once, then reads backups' metadata newest first until one qualifies."""
    names = backup_names(reader.list_keys(bucket, region))
    if wanted == LATEST_BACKUP:
        names = [n for n in names if n.startswith(f"{SCHEDULE_NAME}-")]
    else:
        names = [n for n in names if n == wanted]
    records = (parse_backup_metadata(n, reader.read(bucket, region, backup_metadata_key(n))) for n in names)
    return choose_backup(wanted, records, now, bucket)


def retry_steps(name: str, platform_namespace: str, pools: Iterable[str] = ()) -> str:
    """How to retry a failed restore. Velero restores a pod's volume data only into pods it creates
    (velero v1.18.1 pkg/restore/restore.go:1733-1740) and skips what exists (existingResourcePolicy
    none), so a retry into the first attempt's namespaces could complete with empty volumes: it starts
    from none of the namespaces the Restore includes (deployment_namespaces: the `<ns>-*` ones and
    the namespace pools, by name), and a new Restore (the failed one deleted, a refresh forgets it)."""
    named = sorted(set(pools))
    pool_step = (
        f"`kubectl delete namespace --ignore-not-found --wait {' '.join(named)}` (the namespace pools), "
        if named
        else ""
    )
    return (
        f"to retry, start from clean deployment namespaces: `velero restore delete {name} --confirm`, "
        f"`kubectl get namespaces -o name | grep '^namespace/{platform_namespace}-' | xargs -r kubectl delete --wait`, "
        f"{pool_step}"
        'then `pulumi up --refresh` (docs/DEPLOYMENTS-RESTORE.md, "A retry")'
    )


def restore_failure(
    name: str, status: Mapping[str, Any] | None, platform_namespace: str | None = None, pools: Iterable[str] = ()
) -> str | None:
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
    if platform_namespace:
        parts.append(retry_steps(name, platform_namespace, pools))
    return ". ".join(parts)


def _count(value: Any) -> str:
    """Counts as Velero writes them; the engine hands every number over as a float."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
