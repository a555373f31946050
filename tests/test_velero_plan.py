"""The offline plan's DR summary names the Airflow deployments: how often, how long, where, and a declared restore."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from tests.conftest import committed_stack
from tests.test_velero import from_another_stack
from tools import plan
from tools.offline.backups import good_backup


def summary(evaluation) -> dict[str, str]:
    return {row["property"]: row["value"] for row in plan.dr_summary(evaluation)}


@pytest.mark.parametrize("stack,where", [("gcp", "`US`"), ("aws", "`us-west-2`")])
def test_the_deployments_are_in_the_dr_summary(stack, where):
    rows = summary(committed_stack(stack))
    assert "`astronomer-*`" in rows["Airflow deployments"] and "`0 * * * *`" in rows["Airflow deployments"]
    assert "kept 7 days" in rows["Airflow deployments"]
    assert rows["Deployments' backups live"].endswith(f"in {where}, Pulumi `protect` on")
    assert "Deployments restore (declared)" not in rows


def test_a_declared_restore_is_in_the_dr_summary():
    """The plan names the backup chosen before the restore runs, its scope, and how to record it."""
    rows = summary(from_another_stack("gcp"))
    row = rows["Deployments restore (declared)"]
    assert row.startswith(
        f"Velero restore `astronomer-deployments-latest` of backup `{good_backup(datetime.now(UTC))}` (chosen before it runs)"
    )
    assert "into namespaces `astronomer-*` only, no cluster-scoped object" in row and "⚠️" not in row
    assert "rename `cluster.restore` to `cluster.restored`" in row


def test_a_recorded_restore_says_when_its_line_can_go():
    from tests.test_velero_restore import _with

    rows = summary(
        _with("gcp", restored={"backup": good_backup(datetime.now(UTC)), "sourceBucket": "acme-other-backups"})
    )
    assert "Deployments restore (declared)" not in rows
    assert rows["Deployments restore (recorded)"].startswith("nothing declared, nothing restored again; backup ")
    assert "`cluster.restored` can go after" in rows["Deployments restore (recorded)"]


def test_no_schedule_is_flagged():
    evaluation = copy.deepcopy(committed_stack("gcp"))
    evaluation.resources = [r for r in evaluation.resources if r.type != "kubernetes:velero.io/v1:Schedule"]
    assert "⚠️" in summary(evaluation)["Airflow deployments"]
