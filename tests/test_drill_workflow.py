"""The monthly drill (issue 20, item 4): .github/workflows/drill.yml and .github/scripts/drill.sh.

The workflow follows the others' conventions, which tests/test_ci_security.py holds for every
workflow (pinned actions, credentials only behind an environment, the stack matrix from
stacks.sh); here: its schedule, its environment, its phases, and what the script runs and records
(with `make` and `pulumi` replaced by recorders on PATH)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "drill.yml").read_text())
SCRIPTS = ROOT / ".github" / "scripts"


def test_the_drill_runs_monthly_and_by_hand():
    [schedule] = WORKFLOW["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert minute.isdigit() and hour.isdigit()
    assert day.isdigit() and (month, weekday) == ("*", "*")  # once a month
    assert WORKFLOW["on"]["workflow_dispatch"]["inputs"]["stack"]["type"] == "string"
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert WORKFLOW["concurrency"] == {"group": "drill", "cancel-in-progress": False}


def test_each_primary_is_drilled_in_its_protected_environment_restore_check_teardown():
    job = WORKFLOW["jobs"]["drill"]
    assert job["environment"] == {"name": "drill-${{ matrix.stack }}"}
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["strategy"]["fail-fast"] is False
    runs = [s.get("run", "") for s in job["steps"]]
    at = next(r for r in runs if r.startswith('echo "AT='))
    assert "date -u -d '2 hours ago'" in at and "$GITHUB_ENV" in at
    phases = [r.split()[-1] for r in runs if r.startswith("bash .github/scripts/drill.sh")]
    assert phases == ["restore", "check", "teardown"]
    teardown = next(s for s in job["steps"] if s.get("run", "").endswith("drill.sh teardown"))
    assert teardown["if"] == "always() && steps.restore.outcome != 'skipped'"
    listing = next(s for s in WORKFLOW["jobs"]["stacks"]["steps"] if s.get("id") == "list")
    assert listing["env"]["PRIMARIES_ONLY"] == "1"


def test_only_primary_stacks_are_listed():
    result = subprocess.run(
        ["bash", str(SCRIPTS / "stacks.sh")], capture_output=True, text=True, env={**os.environ, "PRIMARIES_ONLY": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(result.stdout)) == ["aws", "gcp"]


def project(tmp_path: Path, make_exit: int = 0) -> tuple[Path, dict[str, str]]:
    """A copy of the scripts and stack files, with `make` and `pulumi` recording their arguments."""
    (tmp_path / ".github" / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPTS / "drill.sh", tmp_path / ".github" / "scripts" / "drill.sh")
    for stack in ("gcp", "aws"):
        shutil.copy(ROOT / f"Pulumi.{stack}.yaml", tmp_path / f"Pulumi.{stack}.yaml")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, code in (("make", make_exit), ("pulumi", 0)):
        script = bin_dir / tool
        script.write_text(
            f'#!/usr/bin/env bash\necho "{tool} $*" >> "{tmp_path}/calls"\necho "database_instance  astro-drill-gcp-db"\nexit {code}\n'
        )
        script.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "AT": "2026-12-05T06:00:00Z",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    return tmp_path, env


def drill(cwd: Path, env: dict[str, str], stack: str, phase: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", ".github/scripts/drill.sh", phase],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**env, "STACK": stack},
    )


def test_a_gcp_restore_runs_make_drill_into_the_drill_project_and_records_rto_and_outputs(tmp_path):
    cwd, env = project(tmp_path)
    result = drill(cwd, {**env, "DRILL_GCP_PROJECT": "acme-drill"}, "gcp", "restore")
    assert result.returncode == 0, result.stdout + result.stderr
    calls = (cwd / "calls").read_text().splitlines()
    assert calls == [
        "make drill STACK=gcp AT=2026-12-05T06:00:00Z PHASE=restore DEPLOYMENTS=1 RUN=1 PROJECT=acme-drill",
        "pulumi stack output --stack drill-gcp",
        # measured beside modelled (tools/drill.py --record), into the summary
        "make -s --no-print-directory drill STACK=gcp AT=2026-12-05T06:00:00Z DEPLOYMENTS=1 RECORD=1",
    ]
    summary = (cwd / "summary.md").read_text()
    assert "| Restore point (AT) | `2026-12-05T06:00:00Z` |" in summary
    assert "| Measured RTO (restore phase) | 0 min " in summary
    assert "| Phase `restore` | passed in " in summary
    assert "database_instance  astro-drill-gcp-db" in summary  # what came back


def test_a_failed_phase_fails_the_job_and_says_so(tmp_path):
    cwd, env = project(tmp_path, make_exit=3)
    result = drill(cwd, env, "aws", "check")
    assert result.returncode == 3
    assert (cwd / "calls").read_text().splitlines() == [
        "make drill STACK=aws AT=2026-12-05T06:00:00Z PHASE=check DEPLOYMENTS=1 RUN=1"
    ]
    assert "| Phase `check` | **FAILED** (exit 3) in " in (cwd / "summary.md").read_text()


@pytest.mark.parametrize("phase", ["restore", "teardown"])
def test_a_gcp_drill_without_its_project_stops_naming_the_variable(tmp_path, phase):
    cwd, env = project(tmp_path)
    result = drill(cwd, {k: v for k, v in env.items() if k != "DRILL_GCP_PROJECT"}, "gcp", phase)
    assert result.returncode == 1 and "DRILL_GCP_PROJECT" in result.stdout
    assert not (cwd / "calls").exists()


def test_the_docs_say_how_you_learn_a_backup_is_broken_and_set_up_the_drill():
    from components.platform.alerts import velero_rules

    doc = (ROOT / "docs" / "MONITORING.md").read_text()
    assert "## How you learn a backup is broken" in doc and "## Monthly drill" in doc
    for rule in velero_rules("0 * * * *"):
        assert f"`{rule.alert}`" in doc, rule.alert
    [schedule] = WORKFLOW["on"]["schedule"]
    assert schedule["cron"] == "17 6 3 * *" and "3rd of every month at 06:17 UTC" in doc
    assert "| `drill-<stack>` | `main` only |" in doc and "`DRILL_GCP_PROJECT`" in doc
