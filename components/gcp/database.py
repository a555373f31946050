"""Cloud SQL for Postgres: the platform's whole operational state, so every DR setting lives here.

Regional HA, private IP only, TLS required, daily backups kept for at least a week, point-in-time
recovery, deletion protection at the API and in Pulumi, and backups that outlive the instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from ..config import GcpDatabaseSettings

DATABASE_USER = "astronomer"
# Cloud SQL Enterprise edition keeps at most 7 days of transaction logs.
TRANSACTION_LOG_RETENTION_DAYS = 7
# How long the final backup taken at deletion is kept: a month to notice and recover.
FINAL_BACKUP_RETENTION_DAYS = 30
# Characters a generated password may use beyond letters and digits. It includes the ones that
# break an unencoded URL, so the bootstrap connection string is always built by encoding.
PASSWORD_SPECIALS = "@:/#%!-_"


@dataclass
class DatabaseArgs:
    settings: GcpDatabaseSettings
    region: str
    # Self link or id of the VPC the instance gets its private IP in.
    network: pulumi.Input[str]
    # Private services access on that VPC, when this stack creates it.
    depends_on: Sequence[pulumi.Resource] = ()


def backup_configuration(settings: GcpDatabaseSettings) -> gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs:
    return gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
        enabled=True,
        start_time=settings.backup_start_time,
        point_in_time_recovery_enabled=settings.point_in_time_recovery,
        transaction_log_retention_days=TRANSACTION_LOG_RETENTION_DAYS if settings.point_in_time_recovery else None,
        # One automated backup a day, so a count of N keeps N days.
        backup_retention_settings=gcp.sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
            retained_backups=settings.backup_retention_days,
            retention_unit="COUNT",
        ),
    )


class Database(pulumi.ComponentResource):
    instance_name: pulumi.Output[str]
    connection_name: pulumi.Output[str]
    private_ip_address: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/database:Database", name, None, opts)
        settings = args.settings

        # No explicit name: Cloud SQL reserves a deleted instance's name for a week, and a rebuild
        # must not wait for that. Pulumi's auto-name suffix is kept in state, so it stays stable.
        instance = gcp.sql.DatabaseInstance(
            name,
            region=args.region,
            database_version=settings.postgres_version,
            deletion_protection=True,
            settings=gcp.sql.DatabaseInstanceSettingsArgs(
                tier=settings.tier,
                edition="ENTERPRISE",
                availability_type="REGIONAL" if settings.high_availability else "ZONAL",
                disk_type="PD_SSD",
                disk_size=settings.disk_size_gb,
                disk_autoresize=True,
                deletion_protection_enabled=True,
                retain_backups_on_delete=True,
                final_backup_config=gcp.sql.DatabaseInstanceSettingsFinalBackupConfigArgs(
                    enabled=True, retention_days=FINAL_BACKUP_RETENTION_DAYS
                ),
                backup_configuration=backup_configuration(settings),
                ip_configuration=gcp.sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,
                    private_network=args.network,
                    ssl_mode="ENCRYPTED_ONLY",
                ),
                insights_config=gcp.sql.DatabaseInstanceSettingsInsightsConfigArgs(query_insights_enabled=True),
                user_labels={"app": "astronomer", "managed-by": "astronomer-dr"},
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=True, depends_on=list(args.depends_on)),
        )

        password = random.RandomPassword(
            f"{name}-password",
            length=32,
            special=True,
            override_special=PASSWORD_SPECIALS,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Built-in users get cloudsqlsuperuser, which the chart's bootstrapper needs to create databases.
        user = gcp.sql.User(
            f"{name}-user",
            instance=instance.name,
            name=DATABASE_USER,
            password=pulumi.Output.secret(password.result),
            # Postgres refuses to drop a role that owns objects; deleting the instance removes it anyway.
            deletion_policy="ABANDON",
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.instance_name = instance.name
        self.connection_name = instance.connection_name
        self.private_ip_address = instance.private_ip_address
        self.username = user.name
        self.password = pulumi.Output.secret(password.result)
        self.register_outputs(
            {
                "instance_name": self.instance_name,
                "connection_name": self.connection_name,
                "private_ip_address": self.private_ip_address,
            }
        )
