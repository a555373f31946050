"""Velero on any Kubernetes: backups of every Airflow deployment namespace, and a declared restore.

Cloud-agnostic: the cloud components hand it the backups bucket and the keyless identity to reach
it (`BackupStorage`). Order on a rebuild: Velero's release -> its BackupStorageLocation, waited on
until Velero has read the bucket -> the declared Restore (and what provisions its volumes), waited
on until it ends (and `pulumi up` fails unless it completed) -> the Schedule, and what needs the
restored deployments (`restore_completed`: the repoint Jobs, the deployments-ready check). The
Astronomer release does not wait for it: it runs alongside, Houston's hook that upgrades every
deployment turned off while a restore is declared (components/platform/component.py).
A restore from another stack's bucket waits only for that bucket's (read-only) location. A warm
standby runs Velero before promotion with that location alone (its primary's bucket, `own_location`
False): no bucket, location or Schedule of its own until promoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_kubernetes.core import v1 as core_v1
from pulumi_kubernetes.helm import v3 as helm_v3
from pulumi_kubernetes.meta import v1 as meta_v1
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from ..config import BackupSettings, PlatformSettings
from ..config import stack as config_stack
from .velero_chart import (
    BACKUP_LOCATION_NAME,
    LOCATION_TIMEOUT,
    LOCATION_WAIT_FOR,
    RESOURCE_POLICY_KEY,
    RESOURCE_POLICY_NAME,
    RESTORE_TIMEOUT,
    RESTORE_WAIT_FOR,
    SCHEDULE_NAME,
    SOURCE_LOCATION_NAME,
    STOPPED_MODIFIERS_KEY,
    STOPPED_MODIFIERS_NAME,
    VELERO_API_VERSION,
    VELERO_CHART_NAME,
    VELERO_CHART_REPOSITORY,
    VELERO_CHART_VERSION,
    VELERO_NAMESPACE,
    VELERO_RELEASE_NAME,
    WAIT_FOR,
    BackupReader,
    BackupSource,
    BackupStorage,
    backup_location_spec,
    find_backup,
    record_status,
    resource_policy,
    restore_caveats,
    restore_failure,
    restore_name,
    restore_spec,
    schedule_spec,
    source_location_spec,
    stopped_modifiers,
    velero_values,
)

VELERO_HELM_TIMEOUT_SECONDS = 900


class RestoreFailed(pulumi.RunError):
    """The declared Velero restore ended in another phase than Completed."""


class VeleroObject(pulumi.CustomResource):
    """A Velero custom resource whose `status` is read back (the generic CustomResource exposes none)."""

    status: pulumi.Output[Any]

    def __init__(self, name: str, kind: str, metadata: Any, spec: Any, opts: pulumi.ResourceOptions):
        props = {"apiVersion": VELERO_API_VERSION, "kind": kind, "metadata": metadata, "spec": spec, "status": None}
        super().__init__(f"kubernetes:{VELERO_API_VERSION}:{kind}", name, props, opts)


@dataclass
class VeleroArgs:
    settings: BackupSettings
    platform: PlatformSettings
    storage: pulumi.Input[BackupStorage]
    kubernetes_provider: KubernetesProvider
    # How the cloud reads a bucket's backups (components/gcp|aws/backups.py): a declared restore
    # names the backup it takes, chosen before anything runs.
    reader: BackupReader | None = None
    # Cloud resources Velero needs first (node pool, the bucket grants and the identity binding).
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    # What only a declared Restore needs besides (volume provisioning, room to grow): the pod volumes
    # it restores are provisioned through them; Velero's own pods claim none.
    restore_depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    # Another stack's bucket, read-only: its location is declared while this is given (None: the
    # declared restore's `sourceBucket`, BackupSource.of). A warm standby gives its primary's before
    # promotion, so that the location is synced when the restore is declared.
    source: pulumi.Input[BackupSource] | None = None
    # False: no bucket of its own yet (a warm standby before promotion): no default location, no Schedule.
    own_location: bool = True
    # Velero's identity without the bucket (None: `storage`), and what only its own location needs
    # (its bucket's grants): a warm standby's release, pre-staged location and restore never wait
    # for the bucket its promotion creates.
    identity: pulumi.Input[BackupStorage] | None = None
    location_depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class Velero(pulumi.ComponentResource):
    release: helm_v3.Release
    schedule: VeleroObject | None
    restore: VeleroObject | None
    # What must wait for the restored deployments (the repoint Jobs, the deployments-ready check):
    # the restore, checked. Empty without a declared restore.
    restore_completed: list[pulumi.Input[pulumi.Resource]]

    def __init__(self, name: str, args: VeleroArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:platform/velero:Velero", name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        meta = meta_v1.ObjectMetaArgs
        labels = {"app.kubernetes.io/managed-by": "astronomer-dr"}

        namespace = core_v1.Namespace(
            f"{name}-namespace", metadata=meta(name=VELERO_NAMESPACE, labels=labels), opts=k8s_opts
        )
        policy = core_v1.ConfigMap(
            f"{name}-policy",
            metadata=meta(name=RESOURCE_POLICY_NAME, namespace=VELERO_NAMESPACE, labels=labels),
            data={RESOURCE_POLICY_KEY: resource_policy()},
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[namespace])),
        )
        storage = pulumi.Output.from_input(args.storage)
        identity = pulumi.Output.from_input(args.identity) if args.identity is not None else storage
        self.release = helm_v3.Release(
            f"{name}-release",
            helm_v3.ReleaseArgs(
                name=VELERO_RELEASE_NAME,
                chart=VELERO_CHART_NAME,
                version=VELERO_CHART_VERSION,
                repository_opts=helm_v3.RepositoryOptsArgs(repo=VELERO_CHART_REPOSITORY),
                namespace=VELERO_NAMESPACE,
                values=identity.apply(velero_values),
                atomic=True,
                cleanup_on_fail=True,
                timeout=VELERO_HELM_TIMEOUT_SECONDS,
                max_history=10,
            ),
            opts=pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=[namespace, *args.depends_on])
            ),
        )
        # Created once the chart installed the CRDs; created only when Velero has listed the bucket.
        location_opts = pulumi.ResourceOptions.merge(
            k8s_opts,
            pulumi.ResourceOptions(
                depends_on=[self.release], custom_timeouts=pulumi.CustomTimeouts(create=LOCATION_TIMEOUT)
            ),
        )
        own_location_opts = pulumi.ResourceOptions.merge(
            location_opts, pulumi.ResourceOptions(depends_on=list(args.location_depends_on))
        )

        def backup_location(suffix: str, location_name: str, spec: Any, opts: pulumi.ResourceOptions) -> VeleroObject:
            return VeleroObject(
                f"{name}-{suffix}",
                "BackupStorageLocation",
                meta(
                    name=location_name,
                    namespace=VELERO_NAMESPACE,
                    labels=labels,
                    annotations={WAIT_FOR: LOCATION_WAIT_FOR},
                ),
                spec,
                opts,
            )

        location = (
            backup_location("location", BACKUP_LOCATION_NAME, storage.apply(backup_location_spec), own_location_opts)
            if args.own_location
            else None
        )

        # The source location lives while the restore is declared (a recorded restore needs none), or
        # all along on a warm standby (pre-staged).
        source = args.source if args.source is not None else BackupSource.of(args.settings)
        source_location = (
            backup_location(
                "source",
                SOURCE_LOCATION_NAME,
                pulumi.Output.all(identity, source).apply(lambda v: source_location_spec(v[0], v[1])),
                location_opts,
            )
            if source is not None
            else None
        )

        self.restore = None
        self.restore_name: str | None = None
        self.restore_completed = []
        after_restore: list[pulumi.Input[pulumi.Resource]] = [policy, *([location] if location else [])]
        self.restore_backup: pulumi.Output[str] | None = None
        if args.settings.restore_backup:
            read_location = source_location or location
            assert read_location is not None, "a restore is declared only where Velero has a location to read"
            restore_id = self.restore_name = restore_name(args.settings.restore_backup)
            chosen = self._chosen_backup(args, storage, source)
            self.restore_backup = chosen
            start = args.settings.restore_start
            # `cluster.restore.start: false`: the patches Velero applies to what it restores, read
            # when the restore starts (restore_controller.go:408-423): created before the Restore.
            modifiers = (
                []
                if start
                else [
                    core_v1.ConfigMap(
                        f"{name}-stopped",
                        metadata=meta(name=STOPPED_MODIFIERS_NAME, namespace=VELERO_NAMESPACE, labels=labels),
                        data={STOPPED_MODIFIERS_KEY: stopped_modifiers()},
                        opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[namespace])),
                    )
                ]
            )
            self.restore = restore = VeleroObject(
                f"{name}-restore",
                "Restore",
                meta(
                    name=restore_id, namespace=VELERO_NAMESPACE, labels=labels, annotations={WAIT_FOR: RESTORE_WAIT_FOR}
                ),
                chosen.apply(
                    lambda backup: restore_spec(
                        backup, args.platform.namespace, start=start, pools=args.platform.deployment_namespaces
                    )
                ),
                pulumi.ResourceOptions.merge(
                    k8s_opts,
                    pulumi.ResourceOptions(
                        # The one location it reads (Velero finds the backup through it): the
                        # source, which a warm standby pre-staged and synced before promotion, is
                        # not held up by this stack's own location.
                        depends_on=[read_location, *modifiers, *args.restore_depends_on],
                        custom_timeouts=pulumi.CustomTimeouts(create=RESTORE_TIMEOUT),
                        # The backup is chosen once: a newer backup later never changes a declared restore.
                        ignore_changes=["spec"],
                        # Recording the restore (cluster.restored) drops it from the program: the
                        # object, its log and results stay (deleting it would delete them, restore_controller.go:722-752).
                        retain_on_delete=True,
                    ),
                ),
            )
            # Resolves to the Restore only if it completed: what depends on it never starts otherwise.
            checked = restore.status.apply(
                lambda status: _checked(
                    restore, restore_id, status, args.platform.namespace, args.platform.deployment_namespaces
                )
            )
            self.restore_completed = [checked]
            after_restore.append(checked)

        # A recorded restore declares nothing; what it still stands for is read from its bucket.
        self.restored: pulumi.Output[str] | None = None
        if args.settings.restored_backup and args.reader:
            self.restored = self._record(args, storage)

        # After a restore, never before: a new schedule backs up at its first cron time (velero v1.18.1
        # schedule_controller.go:275-289), within the hour by default, and an empty backup
        # would become the `latest` a retried restore reads. None without a bucket of its own.
        self.schedule = (
            VeleroObject(
                f"{name}-schedule",
                "Schedule",
                meta(name=SCHEDULE_NAME, namespace=VELERO_NAMESPACE, labels=labels),
                schedule_spec(args.settings, args.platform.namespace, args.platform.deployment_namespaces),
                pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=after_restore)),
            )
            if location is not None
            else None
        )
        self.register_outputs(
            {
                "namespace": VELERO_NAMESPACE,
                "schedule": SCHEDULE_NAME if self.schedule is not None else None,
                "restore": self.restore_name,
                "restore_backup": self.restore_backup,
                "restored": self.restored,
            }
        )

    def _record(self, args: VeleroArgs, storage: pulumi.Output[BackupStorage]) -> pulumi.Output[str]:
        settings, reader, backup = args.settings, args.reader, args.settings.restored_backup
        assert reader and backup
        source = settings.restored_source_bucket
        bucket: pulumi.Input[str] = source or storage.apply(_own_bucket)
        region = settings.restored_source_region if source else settings.location
        return pulumi.Output.from_input(bucket).apply(
            lambda name: record_status(reader, backup, name, region, config_stack.utc_now())
        )

    def _chosen_backup(
        self,
        args: VeleroArgs,
        storage: pulumi.Output[BackupStorage],
        source: pulumi.Input[BackupSource] | None,
    ) -> pulumi.Output[str]:
        """The backup the declared restore takes, read from the bucket before anything is declared
        (a preview shows it); the run stops with the reason when none holds the deployments."""
        settings = args.settings
        wanted = settings.restore_backup
        reader = args.reader
        assert wanted and reader, "a declared restore reads its bucket"
        # Another stack's bucket is read without waiting for this stack's own.
        read_from = (
            pulumi.Output.from_input(source).apply(lambda s: (s.bucket, s.region))
            if source is not None
            else storage.apply(lambda s: (_own_bucket(s), settings.location))
        )

        def choose(name: str, region: str | None) -> str:
            now = config_stack.utc_now()
            record, skipped = find_backup(reader, wanted, name, region, now)
            passed = f"; newer ones passed over: {'; '.join(skipped)}" if skipped else ""
            pulumi.log.info(f"deployments restore: {record.describe(now)} from bucket {name}{passed}", resource=self)
            pulumi.log.warn(restore_caveats(record, now), resource=self)
            return record.name

        return read_from.apply(lambda where: choose(*where))


def _own_bucket(storage: BackupStorage) -> str:
    assert storage.bucket is not None, "a stack reads its own bucket only once it has one"
    return storage.bucket


def _checked(
    restore: VeleroObject, name: str, status: dict | None, platform_namespace: str, pools: Sequence[str] = ()
) -> VeleroObject:
    why = restore_failure(name, status, platform_namespace, pools)
    if why:
        raise RestoreFailed(why)
    return restore
