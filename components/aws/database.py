"""RDS for PostgreSQL: the platform's whole operational state, so every DR setting lives here.

Multi-AZ, encrypted with its own KMS key, private subnets only, reachable on 5432 from the cluster
alone, TLS forced, daily backups kept at least a week in a fixed window, backups and a final
snapshot that outlive the instance, deletion protection at the API and in Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from ..config import AwsDatabaseSettings
from ..platform.chart import POSTGRES_PORT

# The RDS master user: rds_superuser, which the chart's bootstrapper needs to create databases.
DATABASE_USER = "astronomer"
# RDS refuses `/`, `@`, `"`, `'` and spaces in master passwords. The rest still includes characters
# that break an unencoded URL (`#`, `%`, `:`), so the bootstrap connection string is always encoded.
PASSWORD_SPECIALS = "#%:!-_+=~"
BACKUP_WINDOW_MINUTES = 30  # the shortest window RDS accepts
MAINTENANCE_GAP_MINUTES = 60  # between the end of the backup window and the start of maintenance
MAINTENANCE_WINDOW_MINUTES = 60
MAINTENANCE_DAY = 6  # Sunday (Monday is 0)
KMS_DELETION_WINDOW_DAYS = 30
TAGS = {"app": "astronomer", "managed-by": "astronomer-dr"}
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
    maintenance_start = MAINTENANCE_DAY * _MINUTES_PER_DAY + (start + BACKUP_WINDOW_MINUTES + MAINTENANCE_GAP_MINUTES) % _MINUTES_PER_DAY
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


class Database(pulumi.ComponentResource):
    identifier: pulumi.Output[str]
    address: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/database:Database", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        windows = rds_windows(settings.backup_start_time)

        # Protected: snapshots and automated backups are unreadable without it.
        key = aws.kms.Key(
            f"{name}-key",
            description=f"{name}: RDS storage, automated backups and snapshots",
            enable_key_rotation=True,
            deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
            tags=TAGS,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.kms.Alias(f"{name}-key", name=f"alias/{name}", target_key_id=key.key_id, opts=child)

        subnets = aws.rds.SubnetGroup(
            name,
            name=name,
            description="Astronomer platform database: private subnets only",
            subnet_ids=args.subnet_ids,
            tags=TAGS,
            opts=child,
        )
        firewall = aws.ec2.SecurityGroup(
            name,
            name=name,
            description="Astronomer platform database: Postgres from the EKS cluster only",
            vpc_id=args.vpc_id,
            tags={**TAGS, "Name": name},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-postgres-from-cluster",
            security_group_id=firewall.id,
            referenced_security_group_id=args.client_security_group_id,
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            description="Postgres from the EKS cluster security group (nodes and pods)",
            opts=child,
        )
        family = parameter_group_family(settings.postgres_version)
        parameters = aws.rds.ParameterGroup(
            f"{name}-{family}",
            # The family is in the name: a major upgrade creates the new group before dropping the old.
            name=f"{name}-{family}",
            family=family,
            description="Astronomer platform database: TLS required",
            parameters=[aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1")],
            tags=TAGS,
            opts=child,
        )

        password = random.RandomPassword(
            f"{name}-password",
            length=32,
            special=True,
            override_special=PASSWORD_SPECIALS,
            opts=child,
        )
        secret_password = pulumi.Output.secret(password.result)

        instance = aws.rds.Instance(
            name,
            identifier=name,
            engine="postgres",
            engine_version=settings.postgres_version,
            auto_minor_version_upgrade=auto_minor_version_upgrade(settings.postgres_version),
            instance_class=settings.instance_class,
            storage_type="gp3",
            allocated_storage=settings.allocated_storage,
            max_allocated_storage=settings.max_allocated_storage,
            multi_az=settings.high_availability,
            storage_encrypted=True,
            kms_key_id=key.arn,
            username=DATABASE_USER,
            password=secret_password,
            port=POSTGRES_PORT,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[firewall.id],
            publicly_accessible=False,
            parameter_group_name=parameters.name,
            backup_retention_period=settings.backup_retention_days,
            backup_window=windows.backup,
            maintenance_window=windows.maintenance,
            copy_tags_to_snapshot=True,
            # Backups outlive the instance, and deleting it leaves a final snapshot.
            delete_automated_backups=False,
            skip_final_snapshot=False,
            final_snapshot_identifier=final_snapshot_identifier(name),
            deletion_protection=True,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            tags=TAGS,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )

        self.identifier = instance.identifier
        self.address = instance.address
        self.endpoint = instance.endpoint
        self.username = instance.username
        self.password = secret_password
        self.register_outputs({"identifier": self.identifier, "address": self.address})
