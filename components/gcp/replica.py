"""The standby's database on GCP: a cross-region Cloud SQL read replica of the primary, promoted in place.

One `gcp.sql.DatabaseInstance` resource, the same URN before and after failover:

- standby (`promote: false`): `master_instance_name` is the primary's instance and `instance_type`
  `READ_REPLICA_INSTANCE`. Cloud SQL streams the primary's WAL to it (RPO: the replication lag,
  seconds). A replica takes no backups of its own (its primary's are the backups), so it carries
  only what a replica can: deletion protection twice, the private network, TLS, the disk. Zonal,
  unless `database.replicaHighAvailability` keeps it regional (replica_availability_type).
- promoted (`promote: true`): `master_instance_name` is gone and `instance_type` is
  `CLOUD_SQL_INSTANCE`. The provider (google-beta, sql/resource_sql_database_instance.go) reads
  that change of `instance_type` as a promotion: its CustomizeDiff clears `master_instance_name`
  and `replica_configuration` without a replacement, and its Update calls `Instances.PromoteReplica`
  before patching the settings. The settings are then `instance_args`, the same builder as every
  primary's: backups in a location outside the region, PITR, retention, retained backups and a
  final backup after deletion, regional HA. The provider applies them only on the run after the
  promotion (PROMOTION_NOTE): a promotion is two `pulumi up`, then `--expect-no-changes`.

What must not change across the promotion, because the provider replaces the instance when it
does (ForceNew): `region`, `name` (left to Pulumi's auto-name, kept in state), `project`,
`encryption_key_name`; the builder sets the first the same both ways and the others never.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_gcp import sql

from ..config import GcpDatabaseSettings
from .database import DATABASE_USER, instance_args

STANDBY_LABEL = "standby"
# The provider promotes, re-reads the instance, then builds the settings patch from what it read
# (google-beta services/sql/resource_sql_database_instance.go at 93c65b2d: PromoteReplica :2962,
# resourceSqlDatabaseInstanceRead :2986, which `d.Set("settings", ...)` from the API :2651;
# `desiredSetting := d.Get("settings")` :3053, and the SDK's Get reads what Set wrote before the plan:
# terraform-plugin-sdk v2.40.1, which the provider's go.mod pins, helper/schema/resource_data.go:195-196
# `GetOk` reads `getSourceSet`, the top of the levels state < config < diff < set, :627-633). The
# Update of that run sends the replica's settings back (no backups, no PITR, ZONAL :3392/:3412); the
# next run's diff applies ours. Upstream's promotion tests are skipped (hashicorp/terraform-provider-google#20975).
PROMOTION_RUNS = 2


def _promotion_note(left: str) -> str:
    return (
        f"standby: a run that promotes the replica leaves Cloud SQL's replica settings ({left}): the "
        "provider patches the instance from what it reads after PromoteReplica. Run `pulumi up` once more, then "
        "`pulumi preview --expect-no-changes` must pass (docs/DATABASE-FAILOVER.md)"
    )


PROMOTION_NOTE = _promotion_note("no backups, no PITR, zonal")
# Cloud SQL's instance types (sqladmin v1 SqlInstanceType): the provider promotes on this change.
READ_REPLICA = "READ_REPLICA_INSTANCE"
PRIMARY = "CLOUD_SQL_INSTANCE"


def replica_availability_type(settings: GcpDatabaseSettings) -> str:
    """The replica's availability type before promotion.

    `settings.availability_type` is an in-place setting on a replica as on any instance: Optional,
    default ZONAL, not ForceNew, and no CustomizeDiff forces a replacement on it (google-beta
    services/sql/resource_sql_database_instance.go at 93c65b2d, schema :452-465; the ForceNewIf
    list :253-270 names `master_instance_name` and `replica_configuration.0.cascadable_replica`
    only), so choosing it on a running standby patches the replica. The read after PromoteReplica
    takes the availability from the API for every non-pool instance (:3383-3393): a REGIONAL
    replica comes back REGIONAL, and the promoting run's patch (PROMOTION_NOTE) keeps it."""
    return "REGIONAL" if settings.replica_high_availability else "ZONAL"


def promotion_note(settings: GcpDatabaseSettings) -> str:
    """What the promoting run leaves for the next one: backups and PITR; HA too unless the replica
    was REGIONAL already (replica_availability_type)."""
    if settings.replica_high_availability:
        return _promotion_note("no backups, no PITR; regional already")
    return PROMOTION_NOTE


def replica_args(
    settings: GcpDatabaseSettings,
    region: str,
    network: pulumi.Input[str],
    source_instance: pulumi.Input[str],
    promote: bool,
    guarded: bool = True,
    keep_backups: bool = True,
) -> dict[str, Any]:
    """The standby instance's inputs: a replica of `source_instance`, or, promoted, a primary's."""
    primary = instance_args(settings, region, network, STANDBY_LABEL, guarded=guarded, keep_backups=keep_backups)
    if promote:
        return {**primary, "instance_type": PRIMARY}
    full = primary["settings"]
    return dict(
        region=region,
        database_version=settings.postgres_version,
        deletion_protection=guarded,
        master_instance_name=source_instance,
        instance_type=READ_REPLICA,
        settings=sql.DatabaseInstanceSettingsArgs(
            tier=settings.tier,
            edition="ENTERPRISE",
            # ZONAL by default: HA comes with the promotion's second run (an in-place patch), while
            # until then the primary is the one serving. `database.replicaHighAvailability`: REGIONAL
            # all along, so the promotion sends REGIONAL back (the provider patches what it read) and
            # no run changes the availability (replica_availability_type).
            availability_type=replica_availability_type(settings),
            disk_type="PD_SSD",
            disk_size=settings.disk_size_gb,
            disk_autoresize=True,
            deletion_protection_enabled=guarded,
            # A replica has no backups of its own: the primary's are the backups until failover.
            backup_configuration=sql.DatabaseInstanceSettingsBackupConfigurationArgs(enabled=False),
            ip_configuration=full.ip_configuration,
            insights_config=full.insights_config,
            user_labels=full.user_labels,
        ),
    )


@dataclass
class ReplicaDatabaseArgs:
    settings: GcpDatabaseSettings
    region: str
    # The primary's VPC, which the standby shares (private IP of a replica lives in that network).
    network: pulumi.Input[str]
    # The primary's instance name, from its stack outputs (checked; see components/standby.py).
    source_instance: pulumi.Input[str]
    promote: bool
    # The primary's database password (secret): the replica's `astronomer` user is the primary's.
    password: pulumi.Input[str] | None = None
    teardown: bool = False


class ReplicaDatabase(pulumi.ComponentResource):
    label: str
    instance_name: pulumi.Output[str]
    connection_name: pulumi.Output[str]
    private_ip_address: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]
    instances: dict[str, Any]
    previous_hosts: list[pulumi.Output[str]]

    def __init__(self, name: str, args: ReplicaDatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/replica:ReplicaDatabase", name, None, opts)
        guarded = not args.teardown
        inputs = replica_args(
            args.settings,
            args.region,
            args.network,
            args.source_instance,
            args.promote,
            guarded=guarded,
            keep_backups=guarded,
        )
        instance = sql.DatabaseInstance(name, **inputs, opts=pulumi.ResourceOptions(parent=self, protect=guarded))
        if args.promote:
            pulumi.log.info(promotion_note(args.settings), resource=self)
        # No `sql.User` here: a replica carries its primary's roles with their passwords (physical
        # replication of the whole instance), and declaring the user on the promoted instance would be
        # an unconditional `Users.Insert` of a user that exists (google-beta
        # services/sql/resource_sql_user.go, resourceSqlUserCreate ~313-385: no existence check, no
        # fallback to Update). The platform logs in as the primary's user, with the primary's password.
        if args.password is None:
            raise ValueError("a GCP standby's replica needs its primary's database password (components/standby.py)")
        self.password = pulumi.Output.secret(args.password)
        self.username = pulumi.Output.from_input(DATABASE_USER)
        self.label = STANDBY_LABEL
        self.instance_name = instance.name
        self.connection_name = instance.connection_name
        self.private_ip_address = instance.private_ip_address
        self.instances = {STANDBY_LABEL: instance}
        self.previous_hosts = []
        self.register_outputs({"instance_name": self.instance_name, "promoted": args.promote})
