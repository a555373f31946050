"""DR summary rows of the Airflow deployments: their Velero backups and restore."""

from __future__ import annotations

from tools.plan.summary.rows import fmt_value, summary_row

# How the program's warning for the backup a restore chose opens (components/platform/velero_chart.py
# RESTORE_CAVEATS; tests/test_velero_scope.py holds them equal). Written here: the plan never imports
# the program's modules, which it may evaluate from another tree (tools/plan/evaluate.py).
RESTORE_CAVEATS = "what the deployments restore cannot bring back"


def deployment_rows(evaluation) -> list[dict[str, str]]:
    """The Airflow deployments (their namespaces, Secrets, Helm records, volumes): Velero's schedule,
    where its backups live, and a declared restore."""
    schedules = evaluation.of_type("kubernetes:velero.io/v1:Schedule")
    locations = evaluation.of_type("kubernetes:velero.io/v1:BackupStorageLocation")
    if not schedules and locations and all(loc.input("spec.accessMode") == "ReadOnly" for loc in locations):
        # A warm standby before promotion: Velero pre-staged on its primary's bucket, nothing of its own to back up.
        rows = [
            summary_row(
                "Airflow deployments",
                "none run here before promotion; Velero is pre-staged, reading the primary's backups "
                "(below), so a failover's restore starts at once; this stack backs up its own from promotion on",
                locations[0],
                "spec.accessMode",
            )
        ]
    elif not schedules:
        return [
            {
                "property": "Airflow deployments",
                "value": "not backed up: a lost cluster loses every deployment's namespace, Secrets and fernet key ⚠️",
                "source": "—",
            }
        ]
    else:
        rows = []
    for r in schedules:
        t = "spec.template"
        namespaces = ", ".join(f"`{n}`" for n in r.input(f"{t}.includedNamespaces") or ["*"])
        ttl = r.input(f"{t}.ttl")
        days = (
            f"{float(ttl.split('h')[0]) / 24:g} days"
            if ttl and ttl.split("h")[0].isdigit()
            else f"ttl `{fmt_value(ttl)}` ⚠️"
        )
        volumes = (
            "their volumes by file-system backup" if r.input(f"{t}.defaultVolumesToFsBackup") else "no volume data ⚠️"
        )
        rows.append(
            summary_row(
                "Airflow deployments",
                f"namespaces {namespaces} backed up by Velero on `{fmt_value(r.input('spec.schedule'))}` (UTC), each backup kept {days}; every resource, {volumes} (Redis skipped)",
                r,
                "spec.schedule",
                f"{t}.ttl",
                f"{t}.includedNamespaces",
            )
        )
    for location in locations:
        name = location.input("spec.objectStorage.bucket")
        where = location.input("spec.config.region")
        buckets = [b for b in evaluation.of_type("gcp:storage/bucket:Bucket") if b.input("name") == name]
        buckets += [b for b in evaluation.of_type("aws:s3/bucket:Bucket") if b.input("bucket") == name]
        if not buckets and location.input("spec.accessMode") == "ReadOnly":
            # Another stack's bucket (cluster.restore.sourceBucket): read, never written; it is
            # protected by the stack that declares it, not this one.
            region = f" in `{fmt_value(where)}`" if where else ""
            rows.append(
                summary_row(
                    "Deployments restored from"
                    if evaluation.of_type("kubernetes:velero.io/v1:Restore")
                    else "Deployments restorable from",
                    f"bucket `{fmt_value(name)}`{region}, another stack's, read-only here (`spec.accessMode: ReadOnly`): protected by the stack that declares it",
                    location,
                    "spec.objectStorage.bucket",
                    "spec.accessMode",
                )
            )
            continue
        if buckets and where is None:
            where = buckets[0].input("location")
        protect = ", Pulumi `protect` " + ("on" if buckets and buckets[0].protect else "OFF ⚠️")
        rows.append(
            summary_row(
                "Deployments' backups live",
                f"bucket `{fmt_value(name)}` in `{fmt_value(where)}`{protect}",
                location,
                "spec.objectStorage.bucket",
                "spec.config",
            )
        )
    for restore in evaluation.of_type("kubernetes:velero.io/v1:Restore"):
        backup = restore.input("spec.backupName")
        namespaces = ", ".join(f"`{n}`" for n in restore.input("spec.includedNamespaces") or ["*"])
        cluster = (
            "no cluster-scoped object"
            if restore.input("spec.includeClusterResources") is False
            else "cluster-scoped objects too ⚠️"
        )
        once = "" if "spec" in restore.ignore_changes else "; re-run on a change ⚠️"
        # The program's warning for the backup it chose (components/platform/velero.py): its age, and
        # the deployments it cannot give back as they were.
        caveats = [w for w in evaluation.warnings if w.startswith(RESTORE_CAVEATS)]
        cannot = f" {caveats[0][0].upper()}{caveats[0][1:]}" if caveats else ""
        rows.append(
            summary_row(
                "Deployments restore (declared)",
                f"Velero restore `{fmt_value(restore.input('metadata.name'))}` of backup `{fmt_value(backup)}` "
                f"(chosen before it runs), into namespaces {namespaces} only, {cluster}; finished before the "
                f"platform release{once}. Once it completed, record it: rename `cluster.restore` to "
                f"`cluster.restored` with `backup: {fmt_value(backup)}` (a refresh then never restores again).{cannot}",
                restore,
                "spec",
            )
        )
    recorded = evaluation.outputs.get("deployments_restored")
    if recorded:
        rows.append(
            {
                "property": "Deployments restore (recorded)",
                "value": f"nothing declared, nothing restored again; {recorded}",
                "source": "`cluster.restored`",
            }
        )
    return rows
