"""docs/RUNBOOK.md: one section per scenario, each with the command, what comes back, RPO and RTO."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

RUNBOOK = Path(__file__).resolve().parent.parent / "docs" / "RUNBOOK.md"
SCENARIOS = [
    "The cluster lost",
    "The platform release broken",
    "The database lost or corrupted: point in time",
    "The database lost or corrupted: backup id",
    "The whole region lost",
    "Registry objects deleted (bucket versions)",
    "Prometheus data (not restored)",
    "Redis (never restored)",
]
PROCEDURES = ["Promoting a restored instance", "Retiring the original", "Drill"]


def sections() -> dict[str, str]:
    text = RUNBOOK.read_text()
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


@pytest.mark.parametrize("title", SCENARIOS + PROCEDURES)
def test_the_runbook_has_a_section_per_scenario(title):
    assert title in sections(), f"missing section '## {title}'"


@pytest.mark.parametrize("title", SCENARIOS[:6])
def test_each_recovery_says_what_to_run_what_comes_back_and_rpo_rto(title):
    body = sections()[title]
    assert "```bash" in body or "`pulumi " in body, title
    assert "RPO" in body and "RTO" in body, title


def test_the_summary_table_lists_every_scenario_with_rpo_and_rto():
    text = RUNBOOK.read_text()
    table = text[text.index("| Scenario |") : text.index("## The cluster lost")]
    assert "RPO" in table and "RTO" in table
    for title in SCENARIOS:
        assert title.split(" (")[0].split(":")[0] in table, title


def test_the_runbook_names_the_config_keys_and_commands_the_program_uses():
    text = RUNBOOK.read_text()
    for needle in (
        "astronomer-dr:database.restore.pointInTime",
        "astronomer-dr:database.restore.backupId",
        "astronomer-dr:database.primary",
        "astronomer-dr:database.keepOriginal",
        "astronomer-dr:database.unprotect",
        "sourceAutomatedBackupsArn",
        "sourceDeletedAt",
        "backupReplicaRegion",
        "replicaRegion",
        "make drill STACK=",
        "astronomer-dr:teardown",
        "pgbouncer-config",
        "pulumi preview --stack gcp --expect-no-changes",
        "Never remove `restore` without setting `primary`",
    ):
        assert needle in text, needle
