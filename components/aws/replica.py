"""The standby's database on AWS: a cross-region RDS read replica of the primary, promoted in place.

One `aws.rds.Instance`, the same URN before and after failover:

- standby (`promote: false`): `replicate_source_db` is the primary's ARN (a cross-region source is
  given by ARN) and `kms_key_id` a key of the standby's region (a cross-region replica of an
  encrypted instance needs the destination region's key; `storage_encrypted` is ignored there).
  What a replica inherits from its source is not set: `engine`, `engine_version`, `username`
  ("cannot be specified for a replica"), `password`, `allocated_storage`.
- promoted (`promote: true`): `replicate_source_db` is removed, which the provider turns into
  `PromoteReadReplica` with the configured `backup_retention_period` and `backup_window`; the
  password becomes this stack's own; automated backups are then replicated to a third region
  (`database.backupReplicaRegion`, neither this region nor the lost one).

Identical on both sides, because the provider replaces the instance when they change (ForceNew):
`identifier`, `kms_key_id`, `storage_encrypted`; never set on either: `engine`, `username`,
`db_name`, `availability_zone`. Multi-AZ, backups (retention and window), deletion protection, the
final snapshot and the kept automated backups are the same both ways, so promotion is one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_aws import rds
from pulumi_aws.provider import Provider as AwsProvider

from ..config import AwsDatabaseSettings
from .database import DATABASE_USER, instance_args, instance_plumbing
from .kms import customer_key

STANDBY_LABEL = "standby"
# Inherited from the source by a replica, and refused or meaningless on one; left unset on both
# sides of the promotion so that none of them (several ForceNew) ever shows a diff.
INHERITED_FROM_SOURCE = ("engine", "engine_version", "username", "db_name", "allocated_storage")


def replica_args(
    settings: AwsDatabaseSettings,
    identifier: str,
    *,
    source_arn: pulumi.Input[str],
    promote: bool,
    kms_key_arn: pulumi.Input[str],
    password: pulumi.Input[str],
    subnet_group: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    parameter_group: pulumi.Input[str],
    guarded: bool = True,
    keep_backups: bool = True,
) -> dict[str, Any]:
    """The standby instance's inputs: a replica of `source_arn`, or, promoted, a primary's."""
    inputs = instance_args(
        settings,
        identifier,
        kms_key_arn=kms_key_arn,
        password=password,
        subnet_group=subnet_group,
        security_group_id=security_group_id,
        parameter_group=parameter_group,
        guarded=guarded,
        keep_backups=keep_backups,
    )
    for key in INHERITED_FROM_SOURCE:
        inputs.pop(key, None)
    if promote:
        return inputs
    inputs.pop("password")
    return {**inputs, "replicate_source_db": source_arn}


@dataclass
class ReplicaDatabaseArgs:
    settings: AwsDatabaseSettings
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    # The primary's instance ARN, from its stack outputs (checked; see components/standby.py).
    source_arn: pulumi.Input[str]
    promote: bool
    # The standby cluster's security group (None while a cold standby has no cluster).
    client_security_group_id: pulumi.Input[str] | None = None
    # A provider for `settings.backup_replica_region` (needed once promoted).
    backup_provider: AwsProvider | None = None
    teardown: bool = False


class ReplicaDatabase(pulumi.ComponentResource):
    label: str
    identifier: pulumi.Output[str]
    address: pulumi.Output[str]
    arn: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(self, name: str, args: ReplicaDatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/replica:ReplicaDatabase", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        kept = not args.teardown

        # The standby region's key: the replica, its backups and snapshots are unreadable without it.
        key = customer_key(
            f"{name}-key",
            description=f"{name}: RDS replica storage, backups and snapshots",
            alias=name,
            opts=child,
            protect=kept,
        )
        plumbing = instance_plumbing(
            name,
            role="Astronomer platform database (standby)",
            settings=settings,
            subnet_ids=args.subnet_ids,
            vpc_id=args.vpc_id,
            client_security_group_id=args.client_security_group_id,
            ingress_suffix="from-cluster",
            opts=child,
        )
        subnets, firewall, parameters = plumbing.subnet_group, plumbing.security_group, plumbing.parameter_group
        self.password = plumbing.password

        inputs = replica_args(
            settings,
            name,
            source_arn=args.source_arn,
            promote=args.promote,
            kms_key_arn=key.arn,
            password=self.password,
            subnet_group=subnets.name,
            security_group_id=firewall.id,
            parameter_group=parameters.name,
            guarded=kept,
            keep_backups=kept,
        )
        instance = rds.Instance(name, **inputs, opts=pulumi.ResourceOptions(parent=self, protect=kept))

        if args.promote:
            # A primary now: its automated backups go to a third region, under a key of that region.
            assert args.backup_provider is not None, "a promoted standby replicates its backups"
            region = settings.backup_replica_region
            in_third = pulumi.ResourceOptions(parent=self, provider=args.backup_provider)
            backup_key = customer_key(
                f"{name}-backups-{region}",
                description=f"{name}: RDS automated backups replicated to {region}",
                alias=f"{name}-backups",
                opts=in_third,
                protect=kept,
            )
            rds.InstanceAutomatedBackupsReplication(
                f"{name}-backups",
                source_db_instance_arn=instance.arn,
                retention_period=settings.backup_retention_days,
                kms_key_id=backup_key.arn,
                opts=in_third,
            )

        self.label = STANDBY_LABEL
        self.identifier = instance.identifier
        self.address = instance.address
        self.arn = instance.arn
        # The master user is the primary's (a replica inherits it): the same name on both clouds' stacks.
        self.username = pulumi.Output.from_input(DATABASE_USER)
        self.register_outputs({"identifier": self.identifier, "address": self.address, "promoted": args.promote})
