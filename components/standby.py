"""A standby stack's view of its primary: a StackReference, read from the state backend only.

`PrimaryStack` reads the primary's outputs through a real `pulumi.StackReference` (the engine
answers it from the backend, which docs/CONFIG.md ("State backend") puts outside the region it
protects, so it works while the primary's region is down) and checks them against this stack's settings
(`components.config.check_primary`). `facts` is the one Output every standby resource that matters
takes its primary-derived inputs from: when a check fails it raises a ConfigError naming the key,
and the replica, the promoted instance and the platform are never declared.

`standby_foundation` builds the cloud's standby foundation on it; `__main__.py` declares the
platform on that foundation once it is promoted (`declares_platform`), and Velero wherever the
standby has a cluster (`standby_backup_source`: the bucket it reads).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .config import PRIMARY_EXPORTS, BackupSettings, PrimaryFacts, StackSettings, StandbySettings, check_primary
from .platform.velero_chart import BackupSource
from .schema import ConfigError

# Outputs a standby reads when the primary has them (an AWS registry replica in the standby region).
# A standby's primary may itself be a promoted standby (failback): `standby_promoted` tells.
OPTIONAL_EXPORTS = (
    "registry_replica_bucket",
    "registry_replica_region",
    "registry_replica_kms_key_arn",
    "standby_promoted",
    # Its Velero backups (BACKUP_EXPORTS): required only where this standby reads them (check_primary).
    "backups_bucket",
    "backups_region",
    "backups_kms_key_arn",
)


@dataclass
class PrimaryStackArgs:
    settings: StackSettings


class PrimaryStack(pulumi.ComponentResource):
    facts: pulumi.Output[PrimaryFacts]

    def __init__(self, name: str, args: PrimaryStackArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:standby:PrimaryStack", name, None, opts)
        settings = args.settings
        assert settings.standby is not None
        reference = pulumi.StackReference(
            name, stack_name=settings.standby.primary_stack, opts=pulumi.ResourceOptions(parent=self)
        )
        names = (*PRIMARY_EXPORTS[settings.cloud], *OPTIONAL_EXPORTS)
        # One output at a time: the secrecy of each follows the primary's `secretOutputNames`, so
        # the facts (none of them secret) stay plain while the primary's kubeconfig stays a secret.
        values = pulumi.Output.all(*[reference.get_output(n) for n in names])
        self.facts = values.apply(lambda v: check_primary(settings, dict(zip(names, v, strict=True))))
        # Apart from the facts, so that it alone is secret. GCP: a promoted replica keeps its primary's
        # users with their passwords (components/gcp/replica.py), so the platform logs in with it.
        primary_stack = settings.standby.primary_stack
        self.database_password: pulumi.Output[str] | None = (
            # After the facts: a primary refused for what it is is refused for that first.
            pulumi.Output.secret(
                pulumi.Output.all(self.facts, reference.get_output(DATABASE_PASSWORD_EXPORT)).apply(
                    lambda v: _required_export(v[1], primary_stack)
                )
            )
            if settings.cloud == "gcp"
            else None
        )
        self.register_outputs({"primary_stack": settings.standby.primary_stack})


# A GCP primary's database password, a secret output: what a promoted standby logs in with.
DATABASE_PASSWORD_EXPORT = "database_password"


def _required_export(value: str | None, primary_stack: str) -> str:
    if not value:
        raise ConfigError(
            [
                f"astronomer-dr:standby.primaryStack: {primary_stack} does not export {DATABASE_PASSWORD_EXPORT}: "
                "run `pulumi up` on the primary with this version of the program first"
            ]
        )
    return value


def standby_backup_source(
    standby: StandbySettings, backups: BackupSettings, primary: pulumi.Output[PrimaryFacts]
) -> pulumi.Output[BackupSource] | BackupSource | None:
    """The bucket a standby's Velero reads, read-only (None: none).

    A declared restore's own `sourceBucket` first (another stack's bucket, as on any stack). Else
    the primary's backups bucket (its `backups_*` outputs, through the StackReference): all along on a
    warm standby, so that its location is synced before promotion; on a promoted one while a restore
    is declared (the promotion's restore needs no `sourceBucket`). Its writes into the bucket
    (`restores/`) are granted only while a restore is declared (components/gcp|aws/backups.py)."""
    declared = BackupSource.of(backups)
    if declared is not None:
        return declared
    if (standby.cluster == "warm" and not standby.promote) or backups.restore_backup is not None:
        return primary.apply(_primary_backups)
    return None


def _primary_backups(facts: PrimaryFacts) -> BackupSource:
    # check_primary refuses a primary without them wherever this standby reads them.
    assert facts.backups_bucket, "check_primary: the primary exports backups_bucket"
    return BackupSource(facts.backups_bucket, facts.backups_region, facts.backups_kms_key_arn)


def standby_foundation(settings: StackSettings):
    """The cloud's standby foundation, on the checked facts of the primary."""
    assert settings.standby is not None
    primary = PrimaryStack(f"{settings.name_prefix}-primary", PrimaryStackArgs(settings))
    if settings.cloud == "aws":
        assert settings.aws is not None  # components/config.py: a stack's cloud has its settings
        from .aws.standby import AwsStandbyFoundation, AwsStandbyFoundationArgs

        return AwsStandbyFoundation(
            settings.name_prefix,
            AwsStandbyFoundationArgs(
                settings.require_aws(), settings.platform, settings.standby, primary.facts, settings.backups
            ),
        )
    from .gcp.standby import GcpStandbyFoundation, GcpStandbyFoundationArgs

    assert settings.gcp is not None  # components/config.py: a stack's cloud has its settings

    return GcpStandbyFoundation(
        settings.name_prefix,
        GcpStandbyFoundationArgs(
            settings.require_gcp(),
            settings.platform,
            settings.standby,
            primary.facts,
            settings.backups,
            primary_password=primary.database_password,
        ),
    )
