"""docs/CONFIG.md and the runbook stay true to the Velero code: every key documented, the procedures named."""

from __future__ import annotations

from pathlib import Path

from components.config import BACKUPS_FIELDS, CLUSTER_RESTORE_FIELDS

ROOT = Path(__file__).resolve().parent.parent


def test_config_reference_documents_every_backups_and_restore_key():
    readme = (ROOT / "docs" / "CONFIG.md").read_text()
    for key in BACKUPS_FIELDS:
        assert f"`backups.{key}`" in readme, key
    assert "`cluster.restore`" in readme
    restore = CLUSTER_RESTORE_FIELDS["restore"].fields
    assert restore is not None  # an object field: its keys
    for key in restore:
        assert key in readme, key
    for output in ("backups_bucket", "database_host", "backups_kms_key_arn", "backups_region"):
        assert f"`{output}`" in readme, output


def test_runbook_restores_the_deployments_with_no_manual_step():
    runbook = (ROOT / "docs" / "RUNBOOK.md").read_text()
    cluster_lost = runbook[runbook.index("## The cluster lost") : runbook.index("## The platform release broken")]
    assert "(manual)" not in cluster_lost
    assert "pulumi config set --path astronomer-dr:cluster.restore.backup latest --stack gcp" in cluster_lost
    assert "life cycle" in cluster_lost and "Which deployments came back" in cluster_lost
    region = runbook[runbook.index("## The whole region lost") : runbook.index("## Registry objects deleted")]
    for needle in ("cluster.restore.sourceBucket", "previousDatabaseHosts", "backups_bucket", "database_host"):
        assert needle in region, needle
    # The recovery paths (promote a standby, or restore into a new stack) have no manual step; the
    # failback afterwards is a planned, documented procedure with steps of its own.
    recovery = region[: region.index("**Failback**")] + region[region.index("### Without a standby") :]
    assert "by hand" not in recovery
    assert "DEPLOYMENTS=1" in runbook
