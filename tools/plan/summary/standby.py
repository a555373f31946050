"""DR summary rows of a region loss: the standby (a replica and its primary), restore or promote."""

from __future__ import annotations

from tools.offline.context import is_engine_generated
from tools.plan.summary.rows import fmt_value, protection_text, summary_row

STANDBY_RPO = "seconds: the replication lag when the region went down; failover is `standby.promote: true` and `pulumi up` on the standby stack (docs/RUNBOOK.md)"
# Cloud SQL: the provider applies the promoted settings only on the run after the promotion
# (components/gcp/replica.py, PROMOTION_NOTE).
STANDBY_RPO_GCP = STANDBY_RPO.replace(
    "and `pulumi up` on the standby stack (docs/RUNBOOK.md)",
    "and two `pulumi up` on the standby stack (backups, PITR and HA come with the second), then "
    "`pulumi preview --expect-no-changes` (docs/DATABASE-FAILOVER.md)",
)


def _primary_instance(name, reference) -> str:
    """The primary's instance as the user knows it: its name, or, when Pulumi auto-names it (the
    offline engine then makes one up), the primary's `database_instance` output."""
    if is_engine_generated(name):
        return f"the auto-named instance of stack `{reference}` (its `database_instance` output)"
    return f"`{fmt_value(name)}` (stack `{reference}`)"


def region_loss_rows(evaluation) -> list[dict[str, str]]:
    """The standby (a replica and its primary) and what losing the whole region costs, per scenario:
    rebuilding from backups in a new stack, or promoting a standby stack's replica."""
    rows: list[dict[str, str]] = []
    reference = next((r.inputs.get("id") for r in evaluation.reads if r.type == "pulumi:pulumi:StackReference"), None)
    for r in evaluation.of_type("gcp:sql/databaseInstance:DatabaseInstance"):
        b = "settings.backupConfiguration"
        if r.input("masterInstanceName"):
            rows.append(
                summary_row(
                    "Standby replica",
                    f"read replica of {_primary_instance(r.input('masterInstanceName'), reference)} in `{fmt_value(r.input('region'))}`; "
                    f"{protection_text(r, r.input('settings.deletionProtectionEnabled'))}",
                    r,
                    "masterInstanceName",
                    "region",
                    "protect",
                )
            )
            rows.append(
                summary_row(
                    "Region-loss RPO, standby promoted", STANDBY_RPO_GCP, r, "masterInstanceName", "instanceType"
                )
            )
            continue
        if r.input("instanceType") == "CLOUD_SQL_INSTANCE" and reference:
            rows.append(
                summary_row(
                    "Standby",
                    f"promoted: the primary of this stack since failover from `{reference}`",
                    r,
                    "instanceType",
                )
            )
        location = r.input(f"{b}.location") or "the multi-region nearest the instance"
        rows.append(
            summary_row(
                "Region-loss RPO, restore from backups",
                f"up to 24 h: the last daily backup, kept in `{location}`; the point-in-time logs stay in the lost region",
                r,
                f"{b}.location",
            )
        )
        rows.append(
            summary_row(
                "Region-loss RPO, standby promoted",
                STANDBY_RPO_GCP.replace("the standby stack", "a standby stack (`astronomer-dr:standby`)"),
                r,
            )
        )
    for r in evaluation.of_type("aws:rds/instance:Instance"):
        if r.input("replicateSourceDb"):
            rows.append(
                summary_row(
                    "Standby replica",
                    f"read replica of `{r.input('replicateSourceDb')}` (stack `{reference}`), key `{fmt_value(r.input('kmsKeyId'))}`; "
                    f"{protection_text(r, r.input('deletionProtection'))}",
                    r,
                    "replicateSourceDb",
                    "kmsKeyId",
                    "protect",
                )
            )
            rows.append(summary_row("Region-loss RPO, standby promoted", STANDBY_RPO, r, "replicateSourceDb"))
            continue
        if reference:
            rows.append(
                summary_row(
                    "Standby",
                    f"promoted: the primary of this stack since failover from `{reference}`",
                    r,
                    "replicateSourceDb",
                )
            )
        replications = [
            x
            for x in evaluation.of_type(
                "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
            )
        ]
        regions = sorted(
            {
                str(x.input("kmsKeyId") or "").split(":")[3]
                for x in replications
                if str(x.input("kmsKeyId") or "").count(":") >= 4
            }
        )
        value = (
            f"minutes: automated backups and transaction logs replicated to `{', '.join(regions)}` (point-in-time restore there)"
            if regions
            else "everything: automated backups stay in the region ⚠️"
        )
        rows.append(summary_row("Region-loss RPO, restore from backups", value, r, "backupRetentionPeriod"))
        rows.append(
            summary_row(
                "Region-loss RPO, standby promoted",
                STANDBY_RPO.replace("the standby stack", "a standby stack (`astronomer-dr:standby`)"),
                r,
            )
        )
    return rows
