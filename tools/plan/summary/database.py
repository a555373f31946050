"""DR summary rows of the databases: Cloud SQL and RDS primaries (backups, RPO, retention,
protection, restores)."""

from __future__ import annotations

from typing import Any

from tools.plan.summary.rows import fmt_value, protection_text, summary_row


def cloud_sql_rows(r) -> list[dict[str, str]]:
    b = "settings.backupConfiguration"
    enabled, pitr = r.input(f"{b}.enabled"), r.input(f"{b}.pointInTimeRecoveryEnabled")
    log_days = r.input(f"{b}.transactionLogRetentionDays")
    if enabled and pitr:
        rpo = f"seconds to minutes: point-in-time recovery to any moment of the last {fmt_value(log_days or 7)} days (transaction logs)"
    elif enabled:
        rpo = "up to 24 h: the last daily backup (point-in-time recovery is off) ⚠️"
    else:
        rpo = "none: automated backups are off, a rebuild starts with an empty database ⚠️"
    retained, unit = (
        r.input(f"{b}.backupRetentionSettings.retainedBackups"),
        r.input(f"{b}.backupRetentionSettings.retentionUnit"),
    )
    retention = f"{fmt_value(retained)} daily backups" if retained is not None else "Cloud SQL default (7 backups)"
    if unit and unit != "COUNT":
        retention += f" ({unit})"
    location = r.input(f"{b}.location")
    region = r.input("region")
    where = (
        f"`{location}`"
        if location
        else f"Cloud SQL's default: the multi-region nearest the instance region `{fmt_value(region)}`"
    )
    final_enabled, final_days = (
        r.input("settings.finalBackupConfig.enabled"),
        r.input("settings.finalBackupConfig.retentionDays"),
    )
    final = f"taken, kept {fmt_value(final_days)} days" if final_enabled else "none ⚠️"
    kept = r.input("settings.retainBackupsOnDelete")
    return [
        summary_row(
            "Recovery point objective", rpo, r, f"{b}.pointInTimeRecoveryEnabled", f"{b}.transactionLogRetentionDays"
        ),
        summary_row("Backup retention", retention, r, f"{b}.backupRetentionSettings"),
        summary_row(
            "Backup window",
            f"daily from {fmt_value(r.input(f'{b}.startTime'))} UTC (a 4-hour window)",
            r,
            f"{b}.startTime",
        ),
        summary_row("Where backups live", where, r, f"{b}.location", "region"),
        summary_row(
            "Recovery point objective, region lost", _cloud_sql_region_rpo(enabled, location), r, f"{b}.location"
        ),
        summary_row(
            "Backups after the instance is deleted",
            "kept" if kept else "deleted with the instance ⚠️",
            r,
            "settings.retainBackupsOnDelete",
        ),
        summary_row("Final backup on delete", final, r, "settings.finalBackupConfig"),
        summary_row(
            "What this program restores after a deletion",
            CLOUD_SQL_DELETED_RESTORE,
            r,
            "settings.retainBackupsOnDelete",
        ),
        summary_row(
            "Deletion protection",
            protection_text(r, r.input("settings.deletionProtectionEnabled")),
            r,
            "settings.deletionProtectionEnabled",
            "protect",
        ),
        summary_row(
            "High availability", fmt_value(r.input("settings.availabilityType")), r, "settings.availabilityType"
        ),
    ]


# Issue 10, item 15: a deleted instance's retained and final backups are `projects/<p>/backups/<uid>`;
# the provider's `restore_backup_context` takes a backup run id of an instance (google-beta
# resource_sql_database_instance.go:1594-1617), and its clone a deleted source's deletion time.
CLOUD_SQL_DELETED_RESTORE = (
    "a point in time within the transaction-log window before the deletion (`restore.sourceDeletedAt`); "
    "its retained and final backups (`projects/<p>/backups/<uid>`) only by hand with gcloud into the restored "
    "instance (docs/RUNBOOK.md), not through `backupId`"
)


def _cloud_sql_region_rpo(enabled: Any, location: Any) -> str:
    """Cloud SQL's transaction logs stay in the instance's region; `backupConfiguration.location`
    moves only the daily backups (https://cloud.google.com/sql/docs/postgres/backup-recovery/backups#custom-locations)."""
    if not enabled:
        return "none: automated backups are off ⚠️"
    where = f"`{location}`" if location else "Cloud SQL's default multi-region"
    return f"up to 24 h: the last daily backup, kept in {where} (point-in-time logs stay in the instance's region)"


def rds_rows(r, replications: list) -> list[dict[str, str]]:
    days = r.input("backupRetentionPeriod") or 0
    if days:
        rpo = f"about 5 minutes: point-in-time restore to any moment of the last {fmt_value(days)} days (RDS ships transaction logs every 5 minutes)"
    else:
        rpo = "none: automated backups are off (backupRetentionPeriod 0) ⚠️"
    region = r.input("region")
    where = f"the instance's region{f' `{region}`' if region else ''} (RDS automated backups)"
    for replication in replications:
        where += (
            f"; replicated by `{replication.name}`, kept {fmt_value(replication.input('retentionPeriod') or 7)} days"
        )
    kept = r.input("deleteAutomatedBackups") is False
    final_id = r.input("finalSnapshotIdentifier")
    final = f"snapshot `{final_id}`" if final_id and not r.input("skipFinalSnapshot") else "none ⚠️"
    return [
        summary_row("Recovery point objective", rpo, r, "backupRetentionPeriod"),
        summary_row(
            "Recovery point objective, region lost",
            "minutes: the replicated automated backups and transaction logs in the replica region"
            if replications and days
            else "nothing outside the instance's region ⚠️ (set database.backupReplicaRegion)",
            r,
            "backupRetentionPeriod",
        ),
        summary_row("Backup retention", f"{fmt_value(days)} days", r, "backupRetentionPeriod"),
        summary_row("Backup window", f"{fmt_value(r.input('backupWindow'))} UTC", r, "backupWindow"),
        summary_row("Where backups live", where, r, "region"),
        summary_row(
            "Backups after the instance is deleted",
            "kept until their retention ends"
            if kept
            else "deleted with the instance ⚠️ (deleteAutomatedBackups defaults to true)",
            r,
            "deleteAutomatedBackups",
        ),
        summary_row("Final backup on delete", final, r, "skipFinalSnapshot", "finalSnapshotIdentifier"),
        summary_row(
            "Deletion protection", protection_text(r, r.input("deletionProtection")), r, "deletionProtection", "protect"
        ),
        summary_row("High availability", "Multi-AZ" if r.input("multiAz") else "single AZ", r, "multiAz"),
    ]
