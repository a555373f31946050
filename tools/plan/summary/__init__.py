"""The DR summary of the plan: what a disaster would cost and where the copies are, read from the
inputs the program registers (secrets revealed only for the fields shown).

One module per group of rows: database.py, cluster.py (versions, the platform's database), registry.py, standby.py, deployments.py, watched.py, security.py
(rows.py: what they share)."""

from __future__ import annotations

from tools.plan.summary.cluster import kubernetes_rows, platform_database_rows
from tools.plan.summary.database import cloud_sql_rows, rds_rows
from tools.plan.summary.deployments import deployment_rows
from tools.plan.summary.registry import bucket_rows, is_astronomer_release
from tools.plan.summary.rows import fmt_value, summary_row
from tools.plan.summary.security import security_rows
from tools.plan.summary.standby import region_loss_rows
from tools.plan.summary.watched import watched_rows


def dr_summary(evaluation) -> list[dict[str, str]]:
    """What a disaster would cost and where the copies are, read from what the program registers."""
    rows: list[dict[str, str]] = []
    for r in evaluation.of_type("gcp:sql/databaseInstance:DatabaseInstance"):
        if not r.input("masterInstanceName"):
            rows += cloud_sql_rows(r)
    replications = evaluation.of_type("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    for r in evaluation.of_type("aws:rds/instance:Instance"):
        if not r.input("replicateSourceDb"):
            rows += rds_rows(r, replications)
    rows += platform_database_rows(evaluation)
    rows += region_loss_rows(evaluation)
    if not rows:
        rows.append({"property": "Database", "value": "no Cloud SQL or RDS instance is registered ⚠️", "source": "—"})
    rows += kubernetes_rows(evaluation)
    releases = [r for r in evaluation.of_type("kubernetes:helm.sh/v3:Release") if is_astronomer_release(r)]
    for r in releases:
        replicas = r.input("values.prometheus.replicas")
        rows.append(
            summary_row(
                "Prometheus replicas",
                f"{fmt_value(replicas) if replicas is not None else 'chart default'} (metrics are not backed up; each replica holds a full copy)",
                r,
                "values.prometheus.replicas",
            )
        )
        backend, bucket = "", None
        for kind in ("gcs", "s3", "azure"):
            if r.input(f"values.astronomer.registry.{kind}.enabled"):
                backend, bucket = (
                    kind,
                    r.input(f"values.astronomer.registry.{kind}.bucket")
                    or r.input(f"values.astronomer.registry.{kind}.container"),
                )
                break
        label = {"gcs": "Google Cloud Storage", "s3": "Amazon S3", "azure": "Azure Blob Storage"}.get(backend)
        value = f"{label}, bucket `{bucket}`" if label else "the registry pod's volume: images die with the cluster ⚠️"
        rows.append(summary_row("Registry backend", value, r, f"values.astronomer.registry.{backend or 'gcs|s3'}"))
        rows += bucket_rows(evaluation, backend, bucket)
        rows.append(summary_row("Chart version", f"`{fmt_value(r.input('version'))}`", r, "version"))
    standby = (
        any(r.type == "pulumi:pulumi:StackReference" for r in evaluation.reads)
        and evaluation.outputs.get("standby_promoted") is False
    )
    if not releases and standby:
        rows.append(
            {
                "property": "Platform release",
                "value": "declared at promotion (a standby: the replica cannot serve it)",
                "source": "output `standby_promoted`",
            }
        )
    elif not releases:
        rows.append(
            {"property": "Platform release", "value": "no `astronomer` Helm release is registered ⚠️", "source": "—"}
        )
    if releases or (standby and evaluation.of_type("kubernetes:velero.io/v1:BackupStorageLocation")):
        rows += deployment_rows(evaluation)
    return rows + watched_rows(evaluation) + security_rows(evaluation, releases)
