"""RDS for PostgreSQL: the platform's whole operational state, so every DR setting lives here.

Multi-AZ, encrypted with its own KMS key, private subnets only, reachable on 5432 from the cluster
alone, TLS forced, daily backups kept at least a week in a fixed window, backups and a final
snapshot that outlive the instance, automated backups replicated to a second region (encrypted with
a key of that region), deletion protection at the API and in Pulumi.

A stack can hold several instances, each with a label (see `components/config/restores.py`, "declared
restores"): the original, and instances restored from it. Every instance is built by the same
`instance_args` and shares the key, subnets, firewall, parameters and password, so a restored
instance has every DR setting of the original; only the create-only restore inputs
(`restore_to_point_in_time`, `snapshot_identifier`) differ, and those are ignored after creation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_random as random
from pulumi_aws import ec2, kms, rds, vpc
from pulumi_aws.provider import Provider as AwsProvider

from ..config import ORIGINAL_LABEL, AwsDatabaseSettings, RestoreSettings
from ..platform.chart import POSTGRES_PORT
from .kms import TAGS, customer_key

# The RDS master user: rds_superuser, which the chart's bootstrapper needs to create databases.
DATABASE_USER = "astronomer"
# RDS refuses `/`, `@`, `"`, `'` and spaces in master passwords. The rest still includes characters
# that break an unencoded URL (`#`, `%`, `:`), so the bootstrap connection string is always encoded.
PASSWORD_SPECIALS = "#%:!-_+=~"
BACKUP_WINDOW_MINUTES = 30  # the shortest window RDS accepts
MAINTENANCE_GAP_MINUTES = 60  # between the end of the backup window and the start of maintenance
MAINTENANCE_WINDOW_MINUTES = 60
MAINTENANCE_DAY = 6  # Sunday (Monday is 0)
# Inputs that only mean something when an instance is created (they start a restore). Ignored
# afterwards, so removing `restore` from the config changes nothing on the instance.
RESTORE_INPUTS = ["restore_to_point_in_time", "snapshot_identifier"]
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class RdsWindows:
    backup: str  # "hh24:mi-hh24:mi", daily, UTC
    maintenance: str  # "ddd:hh24:mi-ddd:hh24:mi", weekly, UTC


def _clock(minutes: int) -> str:
    minutes %= _MINUTES_PER_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _weekly(minutes: int) -> str:
    minutes %= 7 * _MINUTES_PER_DAY
    return f"{_DAYS[minutes // _MINUTES_PER_DAY]}:{_clock(minutes)}"


def rds_windows(backup_start_time: str) -> RdsWindows:
    """The daily backup window opening at `backup_start_time` (HH:MM UTC), and a weekly Sunday
    maintenance window an hour after it closes, so the two never overlap on any day."""
    hours, minutes = (int(part) for part in backup_start_time.split(":"))
    start = hours * 60 + minutes
    backup = f"{_clock(start)}-{_clock(start + BACKUP_WINDOW_MINUTES)}"
    maintenance_start = (
        MAINTENANCE_DAY * _MINUTES_PER_DAY
        + (start + BACKUP_WINDOW_MINUTES + MAINTENANCE_GAP_MINUTES) % _MINUTES_PER_DAY
    )
    maintenance = f"{_weekly(maintenance_start)}-{_weekly(maintenance_start + MAINTENANCE_WINDOW_MINUTES)}"
    return RdsWindows(backup=backup, maintenance=maintenance)


def parameter_group_family(postgres_version: str) -> str:
    """`16` and `16.6` both belong to the `postgres16` family."""
    return f"postgres{postgres_version.split('.')[0]}"


def auto_minor_version_upgrade(postgres_version: str) -> bool:
    """A major version takes RDS's minor upgrades; a pinned minor must not drift from the program."""
    return "." not in postgres_version


def final_snapshot_identifier(instance_identifier: str) -> str:
    """Stable, so a rebuilt program names the same snapshot; a second delete collides instead of overwriting."""
    return f"{instance_identifier}-final"


@dataclass
class DatabaseArgs:
    settings: AwsDatabaseSettings
    vpc_id: pulumi.Input[str]
    # Private subnets in at least two zones (Multi-AZ places the standby in another one).
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    # The EKS cluster security group: the only source admitted on 5432.
    client_security_group_id: pulumi.Input[str]
    # A provider for `settings.backup_replica_region`: automated backups are replicated there.
    replica_provider: AwsProvider | None = None
    # A throwaway stack being torn down: no deletion guards, no backups kept after deletion.
    teardown: bool = False
    # An adopted installation's master password (secret config): kept, so its users keep working.
    adopted_password: str | None = None


def instance_identifier(name: str, label: str) -> str:
    """`<prefix>-db` for the original, `<prefix>-db-<label>` for a restored instance."""
    return name if label == ORIGINAL_LABEL else f"{name}-{label}"


def instance_args(
    settings: AwsDatabaseSettings,
    identifier: str,
    *,
    kms_key_arn: pulumi.Input[str] | None,
    password: pulumi.Input[str],
    subnet_group: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    parameter_group: pulumi.Input[str],
    guarded: bool = True,
    keep_backups: bool = True,
) -> dict[str, Any]:
    """The inputs of every instance, the original and each restored one alike: all the DR settings.

    guarded: deletion protection at the API (off only to retire an instance).
    keep_backups: retained automated backups and a final snapshot (off only in a teardown).
    kms_key_arn: None for a restored instance, which keeps its backup's key (`restored_key_arn`).
    """
    windows = rds_windows(settings.backup_start_time)
    return dict(
        identifier=identifier,
        engine="postgres",
        engine_version=settings.postgres_version,
        auto_minor_version_upgrade=auto_minor_version_upgrade(settings.postgres_version),
        instance_class=settings.instance_class,
        storage_type="gp3",
        allocated_storage=settings.allocated_storage,
        max_allocated_storage=settings.max_allocated_storage,
        multi_az=settings.high_availability,
        # `pulumi up` of a recovery tool means now, not at the next maintenance window: ModifyDBInstance
        # defers every change otherwise (terraform-provider-aws instance.go, resourceInstanceUpdate:
        # `ApplyImmediately: d.Get("apply_immediately")`). A change that needs a reboot reboots now.
        apply_immediately=True,
        # A major version in config (16 -> 17) is an upgrade RDS refuses without this flag; the new
        # family's parameter group is a new resource (its name has the family), created first.
        allow_major_version_upgrade=True,
        storage_encrypted=True,
        kms_key_id=kms_key_arn,
        # A restore keeps the source's master user; the same password is set again on it.
        username=DATABASE_USER,
        password=password,
        port=POSTGRES_PORT,
        db_subnet_group_name=subnet_group,
        vpc_security_group_ids=[security_group_id],
        publicly_accessible=False,
        parameter_group_name=parameter_group,
        backup_retention_period=settings.backup_retention_days,
        backup_window=windows.backup,
        maintenance_window=windows.maintenance,
        copy_tags_to_snapshot=True,
        # Backups outlive the instance, and deleting it leaves a final snapshot.
        delete_automated_backups=not keep_backups,
        skip_final_snapshot=not keep_backups,
        final_snapshot_identifier=final_snapshot_identifier(identifier) if keep_backups else None,
        deletion_protection=guarded,
        enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
        tags=TAGS,
    )


def restore_inputs(restore: RestoreSettings, source_identifier: pulumi.Input[str] | None) -> dict[str, Any]:
    """What makes a new instance a restore: a point in time of a source (or of its retained or
    replicated automated backups), or a snapshot."""
    if restore.point_in_time:
        by_arn = restore.source_automated_backups_arn
        return {
            "restore_to_point_in_time": rds.InstanceRestoreToPointInTimeArgs(
                restore_time=restore.point_in_time,
                source_db_instance_identifier=None if by_arn else source_identifier,
                source_db_instance_automated_backups_arn=by_arn,
            )
        }
    return {"snapshot_identifier": restore.backup_id}


def restored_key_arn(stack_key_arn: pulumi.Input[str], restored: bool) -> pulumi.Input[str] | None:
    """The `kms_key_id` to declare: the stack's key for an instance this stack creates, none for a
    restored one.

    RDS restores take no key: RestoreDBInstanceToPointInTime and RestoreDBInstanceFromDBSnapshot
    have no KmsKeyId, so a restored instance is encrypted with its backup's key, and the provider
    sends `kms_key_id` only to CreateDBInstance (terraform-provider-aws
    internal/service/rds/instance.go, resourceInstanceCreate) while `kms_key_id` is ForceNew.
    Declaring the stack's key on a restore of backups encrypted with another key (a replicated
    backup: the lost stack's key in this region) would make every later preview replace the
    protected instance (hashicorp/terraform-provider-aws#15390). Left out, the key is read back
    from the instance and nothing differs.
    """
    return None if restored else stack_key_arn


def restored_allocated_storage(allocated_storage: int, restored: bool) -> int | None:
    """The `allocated_storage` to declare: none on a restored instance, which takes its backup's size.

    After a snapshot restore the provider sends `allocated_storage` in a ModifyDBInstance
    (instance.go, resourceInstanceCreate, the `snapshot_identifier` branch); a snapshot of an instance
    that storage autoscaling grew is larger than the configured size, and RDS refuses to shrink
    ("Invalid storage size"). Left out, the restored instance keeps the snapshot's size and still
    grows up to `max_allocated_storage`.
    """
    return None if restored else allocated_storage


@dataclass
class InstancePlumbing:
    subnet_group: rds.SubnetGroup
    security_group: ec2.SecurityGroup
    parameter_group: rds.ParameterGroup
    password: pulumi.Output[str]


def instance_plumbing(
    name: str,
    *,
    role: str,
    settings: AwsDatabaseSettings,
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
    vpc_id: pulumi.Input[str],
    client_security_group_id: pulumi.Input[str] | None,
    ingress_suffix: str,
    opts: pulumi.ResourceOptions,
    adopted_password: str | None = None,
) -> InstancePlumbing:
    """What an RDS instance of this program stands on, the primary's and a standby replica's alike:
    private subnets, a security group admitting Postgres from the EKS cluster only (no rule until
    there is a cluster), a parameter group that requires TLS, and the master password.

    `role` starts each description; descriptions are ForceNew on security groups, so each caller's
    stays what it was."""
    subnets = rds.SubnetGroup(
        name, name=name, description=f"{role}: private subnets only", subnet_ids=subnet_ids, tags=TAGS, opts=opts
    )
    firewall = ec2.SecurityGroup(
        name,
        name=name,
        description=f"{role}: Postgres from the EKS cluster only",
        vpc_id=vpc_id,
        tags={**TAGS, "Name": name},
        opts=opts,
    )
    if client_security_group_id is not None:
        vpc.SecurityGroupIngressRule(
            f"{name}-{ingress_suffix}",
            security_group_id=firewall.id,
            referenced_security_group_id=client_security_group_id,
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            description="Postgres from the EKS cluster security group (nodes and pods)",
            opts=opts,
        )
    family = parameter_group_family(settings.postgres_version)
    parameters = rds.ParameterGroup(
        f"{name}-{family}",
        # The family is in the name: a major upgrade creates the new group before dropping the old.
        name=f"{name}-{family}",
        family=family,
        description=f"{role}: TLS required",
        parameters=[rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1")],
        tags=TAGS,
        opts=opts,
    )
    # An adopted installation's master password (secret config) is kept, so its users keep working.
    password = (
        adopted_password
        if adopted_password is not None
        else random.RandomPassword(
            f"{name}-password", length=32, special=True, override_special=PASSWORD_SPECIALS, opts=opts
        ).result
    )
    return InstancePlumbing(subnets, firewall, parameters, pulumi.Output.secret(password))


@dataclass
class Instance:
    label: str
    identifier: pulumi.Output[str]
    address: pulumi.Output[str]
    arn: pulumi.Output[str]


class Database(pulumi.ComponentResource):
    # The instance the platform uses (the restored one while a restore is declared).
    label: str
    identifier: pulumi.Output[str]
    address: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]
    # Every declared instance by label, and the addresses of those the platform no longer uses.
    instances: dict[str, Instance]
    previous_hosts: list[pulumi.Output[str]]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/database:Database", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        kept = not args.teardown

        # Protected: snapshots and automated backups are unreadable without it.
        key = customer_key(
            f"{name}-key",
            description=f"{name}: RDS storage, automated backups and snapshots",
            alias=name,
            opts=child,
            protect=kept,
        )
        replica_key = self._replica_key(name, args) if args.replica_provider is not None else None

        plumbing = instance_plumbing(
            name,
            role="Astronomer platform database",
            settings=settings,
            subnet_ids=args.subnet_ids,
            vpc_id=args.vpc_id,
            client_security_group_id=args.client_security_group_id,
            ingress_suffix="postgres-from-cluster",
            opts=child,
            adopted_password=args.adopted_password,
        )
        subnets, firewall, parameters = plumbing.subnet_group, plumbing.security_group, plumbing.parameter_group
        secret_password = plumbing.password
        shared = dict(
            kms_key_arn=key.arn,
            password=secret_password,
            subnet_group=subnets.name,
            security_group_id=firewall.id,
            parameter_group=parameters.name,
        )

        self.instances = {}
        platform_instance = None
        for label in settings.declared_labels:
            instance = self._instance(name, label, args, shared, replica_key)
            if label == settings.platform_label:
                platform_instance = instance

        self.label = settings.platform_label
        platform = self.instances[self.label]
        self.identifier = platform.identifier
        self.address = platform.address
        assert platform_instance is not None  # the platform's label is always declared
        self.endpoint = platform_instance.endpoint
        self.username = platform_instance.username
        self.password = secret_password
        self.previous_hosts = [i.address for label, i in self.instances.items() if label != self.label]
        if settings.restore is not None:
            pulumi.log.info(
                f"database: the platform uses the restored instance '{settings.restore.label}'. Once it is verified, "
                f"promote it: replace `restore` with `primary: {settings.restore.label}` (docs/RUNBOOK.md). Run "
                f"`pulumi up --refresh` once the restore exists: RDS starts a point-in-time restore with default "
                f"backup settings, and the provider sets ours only when it sees them differ",
                resource=self,
            )
        self.register_outputs({"label": self.label, "identifier": self.identifier, "address": self.address})

    def _replica_key(self, name: str, args: DatabaseArgs) -> kms.Key:
        """A key in the replica region: replicated backups are encrypted there, with a key that
        survives the loss of the stack's region. Protected: they are unreadable without it."""
        region = args.settings.backup_replica_region
        in_replica = pulumi.ResourceOptions(parent=self, provider=args.replica_provider)
        return customer_key(
            f"{name}-backups-{region}",
            description=f"{name}: RDS automated backups replicated to {region}",
            alias=f"{name}-backups",
            opts=in_replica,
            protect=not args.teardown,
        )

    def _instance(
        self, name: str, label: str, args: DatabaseArgs, shared: dict[str, Any], replica_key: kms.Key | None
    ) -> rds.Instance:
        settings = args.settings
        guarded = settings.guarded(label) and not args.teardown
        identifier = instance_identifier(name, label)
        restored = label != ORIGINAL_LABEL
        inputs = instance_args(
            settings,
            identifier,
            **{**shared, "kms_key_arn": restored_key_arn(shared["kms_key_arn"], restored)},
            guarded=guarded,
            keep_backups=not args.teardown,
        )
        inputs["allocated_storage"] = restored_allocated_storage(settings.allocated_storage, restored)
        if settings.restore is not None and label == settings.restore.label:
            source: pulumi.Input[str] | None = settings.restore.source_instance
            if source is None and not settings.restore.source_automated_backups_arn:
                source = self.instances[settings.primary].identifier
            inputs.update(restore_inputs(settings.restore, source))
            if settings.restore.source_automated_backups_arn:
                pulumi.log.warn(
                    f"database: '{label}' is restored from automated backups encrypted with the key of the "
                    "instance they came from (for replicated backups: the lost stack's key in this region), and "
                    "stays encrypted with it: keep that key (never destroy the stack that holds it). To move to "
                    "this stack's key later: snapshot it, copy the snapshot with this stack's key, restore that "
                    "copy with `backupId` (docs/RUNBOOK.md)",
                    resource=self,
                )
        instance = rds.Instance(
            identifier,
            **inputs,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=guarded,
                ignore_changes=list(RESTORE_INPUTS) if restored else None,
            ),
        )
        if replica_key is not None:
            # Created in the destination region (the provider's); RDS copies every automated backup
            # and the transaction logs there, so point-in-time restore works without this region.
            rds.InstanceAutomatedBackupsReplication(
                f"{identifier}-backups",
                source_db_instance_arn=instance.arn,
                retention_period=settings.backup_retention_days,
                kms_key_id=replica_key.arn,
                # Its inputs are all ForceNew, and an instance replicates to one region at a time: a
                # replacement must stop the running replication (the provider's delete calls
                # StopDBInstanceAutomatedBackupsReplication, which keeps the backups already copied)
                # before it starts the new one.
                opts=pulumi.ResourceOptions(parent=self, provider=args.replica_provider, delete_before_replace=True),
            )
        self.instances[label] = Instance(
            label=label, identifier=instance.identifier, address=instance.address, arn=instance.arn
        )
        return instance
