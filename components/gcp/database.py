"""Cloud SQL for Postgres: the platform's whole operational state, so every DR setting lives here.

Regional HA, private IP only, TLS required, daily backups kept for at least a week in a location
that outlives the region, point-in-time recovery, deletion protection at the API and in Pulumi, and
backups that outlive the instance.

A stack can hold several instances, each with a label (see `components/config/restores.py`, "declared
restores"): the original, and instances restored from it. Every instance is built by the same
`instance_args`, so a restored instance has every DR setting of the original; only the create-only
restore inputs (`clone`, `restore_backup_context`) differ, and those are ignored after creation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_random as random
from pulumi_gcp import sql

from ..config import GCP_TRANSACTION_LOG_DAYS, ORIGINAL_LABEL, GcpDatabaseSettings, RestoreSettings

DATABASE_USER = "astronomer"
# Cloud SQL Enterprise edition keeps at most 7 days of transaction logs.
TRANSACTION_LOG_RETENTION_DAYS = GCP_TRANSACTION_LOG_DAYS
# How long the final backup taken at deletion is kept: a month to notice and recover.
FINAL_BACKUP_RETENTION_DAYS = 30
# Characters a generated password may use beyond letters and digits. It includes the ones that
# break an unencoded URL, so the bootstrap connection string is always built by encoding.
PASSWORD_SPECIALS = "@:/#%!-_"
# Inputs that only mean something when an instance is created (they start a clone or a restore).
# Ignored afterwards, so removing `restore` from the config changes nothing on the instance.
RESTORE_INPUTS = ["clone", "restore_backup_context"]


@dataclass
class DatabaseArgs:
    settings: GcpDatabaseSettings
    region: str
    # Self link or id of the VPC the instance gets its private IP in.
    network: pulumi.Input[str]
    # Private services access on that VPC, when this stack creates it.
    depends_on: Sequence[pulumi.Resource] = ()
    # The private services range a clone takes its address from (None: any range of the VPC).
    allocated_ip_range: pulumi.Input[str] | None = None
    # A throwaway stack being torn down: no deletion guards, no backups kept after deletion.
    teardown: bool = False
    # An adopted installation's password (secret config): kept, so its users keep working.
    adopted_password: str | None = None


def backup_configuration(settings: GcpDatabaseSettings) -> sql.DatabaseInstanceSettingsBackupConfigurationArgs:
    return sql.DatabaseInstanceSettingsBackupConfigurationArgs(
        enabled=True,
        start_time=settings.backup_start_time,
        # A multi-region (or another region): backups survive the loss of the instance's region.
        location=settings.backup_location,
        point_in_time_recovery_enabled=settings.point_in_time_recovery,
        transaction_log_retention_days=TRANSACTION_LOG_RETENTION_DAYS if settings.point_in_time_recovery else None,
        # One automated backup a day, so a count of N keeps N days.
        backup_retention_settings=sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
            retained_backups=settings.backup_retention_days,
            retention_unit="COUNT",
        ),
    )


def instance_args(
    settings: GcpDatabaseSettings,
    region: str,
    network: pulumi.Input[str],
    label: str,
    guarded: bool = True,
    keep_backups: bool = True,
) -> dict[str, Any]:
    """The inputs of every instance, the original and each restored one alike: all the DR settings.

    guarded: deletion protection in the provider and at the API (off only to retire an instance).
    keep_backups: retained backups and a final backup after deletion (off only in a teardown).
    """
    return dict(
        region=region,
        database_version=settings.postgres_version,
        deletion_protection=guarded,
        settings=sql.DatabaseInstanceSettingsArgs(
            tier=settings.tier,
            edition="ENTERPRISE",
            availability_type="REGIONAL" if settings.high_availability else "ZONAL",
            disk_type="PD_SSD",
            disk_size=settings.disk_size_gb,
            disk_autoresize=True,
            deletion_protection_enabled=guarded,
            retain_backups_on_delete=keep_backups,
            final_backup_config=sql.DatabaseInstanceSettingsFinalBackupConfigArgs(
                enabled=keep_backups, retention_days=FINAL_BACKUP_RETENTION_DAYS if keep_backups else None
            ),
            backup_configuration=backup_configuration(settings),
            ip_configuration=sql.DatabaseInstanceSettingsIpConfigurationArgs(
                ipv4_enabled=False,
                private_network=network,
                ssl_mode="ENCRYPTED_ONLY",
            ),
            insights_config=sql.DatabaseInstanceSettingsInsightsConfigArgs(query_insights_enabled=True),
            user_labels={"app": "astronomer", "managed-by": "astronomer-dr", "astronomer-dr-instance": label},
        ),
    )


def restore_inputs(
    restore: RestoreSettings, source_instance: pulumi.Input[str], allocated_ip_range: pulumi.Input[str] | None
) -> dict[str, Any]:
    """What makes a new instance a restore: a point-in-time clone, or a backup run restored into it.

    A clone lands in the VPC of its source unless it is cross-project: the provider sets the clone's
    destination network only when `source_project` differs from the instance's project
    (terraform-provider-google-beta google-beta/services/sql/resource_sql_database_instance.go:1929-1935),
    and pulumi-gcp 10's `clone` has no destination network. So the clone's address is taken from
    this stack's range only when it lands in this stack's VPC: a clone of the stack's own primary,
    or a cross-project one. A backup run is restored into an instance created first with this
    stack's settings, network included, so it works across VPCs and projects alike.
    """
    if restore.point_in_time:
        lands_here = restore.source_instance is None or restore.source_project is not None
        return {
            "clone": sql.DatabaseInstanceCloneArgs(
                source_instance_name=source_instance,
                source_project=restore.source_project,
                point_in_time=restore.point_in_time,
                source_instance_deletion_time=restore.source_deleted_at,
                allocated_ip_range=allocated_ip_range if lands_here else None,
            )
        }
    assert restore.backup_id is not None  # components/config.py: a restore names a point in time or a backup run
    return {
        "restore_backup_context": sql.DatabaseInstanceRestoreBackupContextArgs(
            backup_run_id=int(restore.backup_id), instance_id=source_instance, project=restore.source_project
        )
    }


def clone_lands_elsewhere(restore: RestoreSettings) -> bool:
    """A same-project clone of another stack's instance: Cloud SQL puts it in that instance's VPC."""
    return bool(restore.point_in_time and restore.source_instance and not restore.source_project)


@dataclass
class Instance:
    label: str
    name: pulumi.Output[str]
    connection_name: pulumi.Output[str]
    private_ip_address: pulumi.Output[str]
    user: sql.User


class Database(pulumi.ComponentResource):
    # The instance the platform uses (the restored one while a restore is declared).
    label: str
    instance_name: pulumi.Output[str]
    connection_name: pulumi.Output[str]
    private_ip_address: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]
    # Every declared instance by label, and the addresses of those the platform no longer uses.
    instances: dict[str, Instance]
    previous_hosts: list[pulumi.Output[str]]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/database:Database", name, None, opts)
        settings = args.settings

        # One password for every instance: a clone carries the users of its source, and the user
        # each instance declares below sets it again, so the bootstrap secret is always right.
        secret_password: pulumi.Output[str] = pulumi.Output.secret(
            args.adopted_password
            if args.adopted_password is not None
            else random.RandomPassword(
                f"{name}-password",
                length=32,
                special=True,
                override_special=PASSWORD_SPECIALS,
                opts=pulumi.ResourceOptions(parent=self),
            ).result
        )

        self.instances = {}
        for label in settings.declared_labels:
            self.instances[label] = self._instance(name, label, args, secret_password)

        self.label = settings.platform_label
        platform = self.instances[self.label]
        self.instance_name = platform.name
        self.connection_name = platform.connection_name
        self.private_ip_address = platform.private_ip_address
        self.username = platform.user.name
        self.password = secret_password
        self.previous_hosts = [i.private_ip_address for label, i in self.instances.items() if label != self.label]
        if settings.restore is not None:
            pulumi.log.info(
                f"database: the platform uses the restored instance '{settings.restore.label}'. Once it is verified, "
                f"promote it: replace `restore` with `primary: {settings.restore.label}` (docs/RUNBOOK.md). Run "
                f"`pulumi up --refresh` once the restore exists: a backup restore resets the instance's backup "
                f"configuration to Cloud SQL's defaults, which the provider sees (and sets back to ours) only on a refresh",
                resource=self,
            )
        self.register_outputs(
            {
                "label": self.label,
                "instance_name": self.instance_name,
                "connection_name": self.connection_name,
                "private_ip_address": self.private_ip_address,
            }
        )

    def _instance(self, name: str, label: str, args: DatabaseArgs, password: pulumi.Output[str]) -> Instance:
        settings = args.settings
        guarded = settings.guarded(label) and not args.teardown
        inputs = instance_args(
            settings, args.region, args.network, label, guarded=guarded, keep_backups=not args.teardown
        )
        restored = label != ORIGINAL_LABEL
        if settings.restore is not None and label == settings.restore.label:
            source = settings.restore.source_instance or self.instances[settings.primary].name
            inputs.update(restore_inputs(settings.restore, source, args.allocated_ip_range))
            if clone_lands_elsewhere(settings.restore):
                pulumi.log.warn(
                    f"database: '{label}' is a point-in-time clone of {source} in the same project: Cloud SQL creates it "
                    "in the VPC of that instance, not this stack's (only a cross-project clone, `restore.sourceProject`, "
                    "is placed here). If that VPC is not this stack's, restore a backupId or clone from another project",
                    resource=self,
                )
        # No explicit name: Cloud SQL reserves a deleted instance's name for a week, and a rebuild
        # must not wait for that. Pulumi's auto-name suffix is kept in state, so it stays stable.
        resource_name = f"{name}-{label}" if restored else name
        instance = sql.DatabaseInstance(
            resource_name,
            **inputs,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=guarded,
                depends_on=list(args.depends_on),
                ignore_changes=list(RESTORE_INPUTS) if restored else None,
            ),
        )
        # Built-in users get cloudsqlsuperuser, which the chart's bootstrapper needs to create
        # databases. On a clone the user already exists with the source's password; declaring it
        # sets the generated password again, so the connection never depends on the source's state.
        user = sql.User(
            f"{resource_name}-user",
            instance=instance.name,
            name=DATABASE_USER,
            password=password,
            # Postgres refuses to drop a role that owns objects; deleting the instance removes it anyway.
            deletion_policy="ABANDON",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return Instance(
            label=label,
            name=instance.name,
            connection_name=instance.connection_name,
            private_ip_address=instance.private_ip_address,
            user=user,
        )
