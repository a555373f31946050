"""What the deployments' backups cover and how long a restore is waited on (issue 23, items 3, 4, 6)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from components.config.shared import check_deployment_namespaces
from components.platform.velero_chart import (
    FS_BACKUP_TIMEOUT,
    RESTORE_CAVEATS,
    RESTORE_ITEMS_ALLOWANCE,
    RESTORE_TIMEOUT,
    BackupRecord,
    deployment_namespaces,
    restore_caveats,
)
from components.schema import Problems
from tests.test_restore import committed, evaluated
from tests.test_velero import CHART_DIR, assert_valid_spec
from tools.plan.summary import deployments as plan_deployments

SCHEDULE = "kubernetes:velero.io/v1:Schedule"
RESTORE = "kubernetes:velero.io/v1:Restore"
RELEASE = "kubernetes:helm.sh/v3:Release"
POOLS = ["pool-b", "pool-a"]


def pooled():
    """A GCP stack with namespace pools declaring a restore of its latest backup."""
    platform = {**committed("gcp", "platform"), "deploymentNamespaces": POOLS}
    return evaluated("gcp", platform=platform, cluster={**committed("gcp", "cluster"), "restore": {"backup": "latest"}})


def go_seconds(value: str) -> int:
    h, m, s = re.fullmatch(r"(\d+)h(\d+)m(\d+)s", value).groups()  # type: ignore[union-attr]
    return int(h) * 3600 + int(m) * 60 + int(s)


def test_pool_namespaces_are_backed_up_and_restored_from_one_list():
    """Houston places deployments in the pre-created namespaces of a namespace pool whatever their
    names (astronomer/astronomer v2.1.0 charts/astronomer/templates/houston/houston-configmap.yaml:107-113):
    the Schedule and the Restore both take `<ns>-*` and every listed pool namespace."""
    evaluation = pooled()
    expected = ["astronomer-*", "pool-a", "pool-b"]
    assert deployment_namespaces("astronomer", POOLS) == expected
    schedule, restore = evaluation.one(SCHEDULE), evaluation.one(RESTORE)
    assert schedule.input("spec.template.includedNamespaces") == expected
    assert restore.input("spec.includedNamespaces") == expected
    assert_valid_spec("Schedule", schedule.input("spec"))
    assert_valid_spec("Restore", restore.input("spec"))


def test_a_pool_namespace_is_never_the_platform_or_a_system_one():
    for name in ("astronomer", "kube-system", "velero"):
        problems = Problems()
        check_deployment_namespaces({"namespace": "astronomer", "deployment_namespaces": (name,)}, problems)
        assert problems.items and problems.items[0].startswith("astronomer-dr:platform.deploymentNamespaces")
    problems = Problems()
    check_deployment_namespaces({"namespace": "astronomer", "deployment_namespaces": ("pool-a",)}, problems)
    assert problems.items == []


def test_pulumi_waits_for_the_restore_at_least_as_long_as_velero_may_take():
    """Velero waits for the pod volume restores up to `--fs-backup-timeout` (v1.18.1
    pkg/restore/restore.go:245-260; default 240 min, pkg/cmd/server/config/config.go:28, 228), set
    from the chart's `configuration.fsBackupTimeout` (velero-12.1.0 values.yaml:484,
    templates/deployment.yaml:103-104). The program sets that value and waits longer."""
    evaluation = pooled()
    values = evaluation.one(RELEASE, "velero-release").input("values")
    assert "fsBackupTimeout:" in (CHART_DIR / "values.yaml").read_text()
    fs = go_seconds(values["configuration"]["fsBackupTimeout"])
    assert fs == FS_BACKUP_TIMEOUT.total_seconds() >= timedelta(minutes=240).total_seconds()
    restore = evaluation.one(RESTORE)
    assert restore.custom_timeouts["create"] == RESTORE_TIMEOUT
    assert go_seconds(RESTORE_TIMEOUT) >= fs + RESTORE_ITEMS_ALLOWANCE.total_seconds()


def test_the_restore_says_what_it_cannot_bring_back_before_it_runs():
    """The chosen backup's age and the two cases (fernet key: apache/airflow
    chart/templates/secrets/fernetkey-secret.yaml:23-47, a pre-install hook from randAlphaNum)."""
    now = datetime(2026, 12, 5, 12, tzinfo=UTC)
    record = BackupRecord(
        "astronomer-deployments-20261205090000", "Completed", 10, now - timedelta(hours=3), None, None
    )
    text = restore_caveats(record, now)
    assert text.startswith(RESTORE_CAVEATS) and "0d 3h 0m old" in text
    assert "fernet key" in text and "comes back running" in text
    warnings = [w for w in pooled().warnings if w.startswith(RESTORE_CAVEATS)]
    assert len(warnings) == 1 and "fernet key" in warnings[0]
    assert plan_deployments.RESTORE_CAVEATS == RESTORE_CAVEATS


def test_a_retry_deletes_every_namespace_the_restore_includes_the_pools_too(monkeypatch):
    """A retry starts from none of the namespaces the Restore includes: Velero restores volume data
    only into pods it creates (velero v1.18.1 pkg/restore/restore.go:1733-1740) and leaves existing
    objects alone (existingResourcePolicy none), so a pool namespace left from the first attempt
    would come back with empty volumes. The failed run names the `<ns>-*` prefix and each pool."""
    from components.platform.velero import RestoreFailed
    from components.platform.velero_chart import retry_steps
    from tools import offline

    steps = retry_steps("r", "astronomer", POOLS)
    commands = steps.split("`")[1::2]
    assert commands == [
        "velero restore delete r --confirm",
        "kubectl get namespaces -o name | grep '^namespace/astronomer-' | xargs -r kubectl delete --wait",
        "kubectl delete namespace --ignore-not-found --wait pool-a pool-b",
        "pulumi up --refresh",
    ]
    assert "kubectl delete namespace" not in retry_steps("r", "astronomer")

    monkeypatch.setitem(offline.RESOURCE_OUTPUTS, RESTORE, lambda args, ctx: {"status": {"phase": "Failed"}})
    platform = {**committed("gcp", "platform"), "deploymentNamespaces": POOLS}
    cluster = {**committed("gcp", "cluster"), "restore": {"backup": "latest"}}
    from tests.conftest import evaluate_stack

    evaluation = evaluate_stack("gcp", **{"astronomer-dr:platform": platform, "astronomer-dr:cluster": cluster})
    assert isinstance(evaluation.error, RestoreFailed)
    assert "`kubectl delete namespace --ignore-not-found --wait pool-a pool-b`" in str(evaluation.error)


def test_the_platform_s_volumes_are_not_backed_up_and_the_guides_say_what_comes_back_empty():
    """Item 7, decided against: Elasticsearch restores no copy of its data directories ("There are
    no supported methods to restore any data from a filesystem-level backup",
    https://www.elastic.co/guide/en/elasticsearch/reference/7.12/backup-cluster.html), Velero
    restores file-system data only into pods it creates (v1.18.1 pkg/restore/restore.go:1732-1738),
    which the release's StatefulSets are not. The Schedule never includes the platform namespace,
    Velero runs without CSI snapshots (no `EnableCSI` feature, pkg/apis/velero/v1/constants.go:41),
    and the runbook's table and the restore guide say what comes back empty and why."""
    from pathlib import Path

    from components.platform.velero_chart import BackupStorage, velero_values

    evaluation = pooled()
    template = evaluation.one(SCHEDULE).input("spec.template")
    assert "astronomer" in template["excludedNamespaces"] and template["snapshotVolumes"] is False
    values = velero_values(BackupStorage(provider="gcp", bucket="b"))
    assert values["snapshotsEnabled"] is False and "features" not in values["configuration"]
    docs = Path(__file__).resolve().parent.parent / "docs"
    runbook = (docs / "RUNBOOK.md").read_text()
    table = runbook[runbook.index("## What comes back, and from where") : runbook.index("Data is protected twice")]
    for row in ("| Airflow task logs", "| Alertmanager silences", "| Prometheus metrics"):
        line = next(line for line in table.splitlines() if line.startswith(row))
        assert "**Not restored.**" in line, row
    assert "DEPLOYMENTS-RESTORE.md#task-logs-metrics-and-silences-not-backed-up" in table
    guide = (docs / "DEPLOYMENTS-RESTORE.md").read_text()
    assert "### Task logs, metrics and silences: not backed up" in guide
    assert "https://www.astronomer.io/docs/software/disaster-recovery" in guide
