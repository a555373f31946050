"""The offline plan's DR summary names the Airflow deployments: how often, how long, where, and a declared restore."""

from __future__ import annotations

import copy

import pytest

from tests.conftest import committed_stack
from tests.test_velero import from_another_stack
from tools import plan


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
    rows = summary(from_another_stack("gcp"))
    assert rows["Deployments restore (declared)"].startswith(
        "Velero restore `astronomer-deployments-latest` of the newest backup"
    )


def test_no_schedule_is_flagged():
    evaluation = copy.deepcopy(committed_stack("gcp"))
    evaluation.resources = [r for r in evaluation.resources if r.type != "kubernetes:velero.io/v1:Schedule"]
    assert "⚠️" in summary(evaluation)["Airflow deployments"]
