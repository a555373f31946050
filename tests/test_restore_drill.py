"""`make drill`: the restore drill's steps (tools/drill.py), built purely and run only when asked."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime

import pytest

from tools import drill

GCP = {"gcp:project": "acme", "astronomer-dr:cloud": "gcp", "astronomer-dr:database": {"tier": "db-custom-4-16384"}}


def commands(steps) -> list[str]:
    return [step.shell() for step in steps]


def test_drill_restores_checks_and_tears_down_a_throwaway_stack():
    steps = drill.drill_steps("gcp", GCP, at="2026-11-20T09:30:00Z", project="acme-drill")
    shell = commands(steps)
    assert shell[0] == "SOURCE=$(pulumi stack output database_instance --stack gcp)"
    assert "pulumi stack init drill-gcp --copy-config-from gcp" in shell
    assert (
        "pulumi config set --path astronomer-dr:database.restore.pointInTime 2026-11-20T09:30:00Z --stack drill-gcp"
        in shell
    )
    assert 'pulumi config set --path astronomer-dr:database.restore.sourceInstance "$SOURCE" --stack drill-gcp' in shell
    assert "pulumi config set --path astronomer-dr:database.keepOriginal false --stack drill-gcp" in shell
    # The check proves the promotion changes nothing; the applied restore is kept as `promoted`.
    assert (
        "pulumi config set --path astronomer-dr:database.promoted.pointInTime 2026-11-20T09:30:00Z --stack drill-gcp"
        in shell
    )
    assert shell.index("pulumi config rm --path astronomer-dr:database.restore --stack drill-gcp") < shell.index(
        'pulumi config set --path astronomer-dr:database.primary "$LABEL" --stack drill-gcp'
    )
    assert shell.count("pulumi preview --refresh --expect-no-changes --stack drill-gcp") == 2
    assert "pulumi up --yes --refresh --stack drill-gcp" in shell  # what the restore reset is set again
    # The teardown lifts the guards (a drill-* stack only), applies, destroys, forgets.
    assert shell[-4:] == [
        "pulumi config set astronomer-dr:teardown true --stack drill-gcp",
        "pulumi up --yes --stack drill-gcp",
        "pulumi destroy --yes --stack drill-gcp",
        "pulumi stack rm --yes drill-gcp",
    ]
    assert [s.phase for s in steps] == sorted((s.phase for s in steps), key=drill.PHASES.index)
    # Nothing touches the drilled stack but reading its output.
    assert [
        c for c in shell if "--stack gcp" in c and "database_instance" not in c and "copy-config-from" not in c
    ] == []


def test_drill_of_a_backup_and_without_dns():
    shell = commands(
        drill.drill_steps(
            "aws", {"astronomer-dr:dns": {"hostedZoneId": "Z1"}}, backup="rds:astro-aws-db-2026-11-20-03-00"
        )
    )
    assert "pulumi config rm astronomer-dr:dns --stack drill-aws" in shell
    assert (
        "pulumi config set --path astronomer-dr:database.restore.backupId rds:astro-aws-db-2026-11-20-03-00 --stack drill-aws"
        in shell
    )
    assert not [c for c in shell if "pointInTime" in c]


@pytest.mark.parametrize(
    "stack, config, at, backup, says",
    [
        ("gcp", GCP, None, None, "exactly one of AT"),
        ("gcp", GCP, "2026-11-20T09:30:00Z", "1", "exactly one of AT"),
        ("gcp", GCP, "2026-11-20 09:30", None, "RFC 3339"),
        ("gcp", GCP, "2026-11-20T09:30:00", None, "timezone"),
        ("drill-gcp", GCP, "2026-11-20T09:30:00Z", None, "already a drill stack"),
        (
            "gcp",
            {"astronomer-dr:cluster": {"existing": {"name": "shared"}}},
            "2026-11-20T09:30:00Z",
            None,
            "existing cluster",
        ),
    ],
)
def test_drill_refusals(stack, config, at, backup, says):
    with pytest.raises(drill.DrillError, match=says):
        drill.drill_steps(stack, config, at=at, backup=backup)


def test_printing_runs_nothing(capsys, monkeypatch):
    """AT is checked against the `now` main is given, so the test holds at any date."""
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("a printed drill must not run anything"))
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert drill.main(["gcp", "--at", "2026-11-20T09:30:00Z", "--project", "acme-drill"], now=now) == 0
    out = capsys.readouterr().out
    assert "Printed only: run with RUN=1" in out and "pulumi up --yes --stack drill-gcp" in out
    argv = ["gcp", "--at", "2026-11-20T09:30:00Z", "--project", "acme-drill", "--phase", "teardown"]
    assert drill.main(argv, now=now) == 0
    assert "pulumi stack init" not in capsys.readouterr().out


def test_running_substitutes_captured_outputs_and_stops_at_the_first_failure():
    calls = []

    def runner(argv, **kwargs):
        calls.append(argv)
        if argv[:3] == ["pulumi", "stack", "output"] and "database_instance" in argv:
            return subprocess.CompletedProcess(argv, 0, stdout="astro-gcp-db-1a2b3c4\n")
        if argv[:3] == ["pulumi", "stack", "output"] and "database_label" in argv:
            return subprocess.CompletedProcess(argv, 0, stdout="pitr-20261120t093000z\n")
        if argv[:2] == ["pulumi", "preview"]:
            return subprocess.CompletedProcess(argv, 255)
        return subprocess.CompletedProcess(argv, 0, stdout="")

    steps = drill.drill_steps("gcp", GCP, at="2026-11-20T09:30:00Z", project="acme-drill")
    assert drill.run(steps, runner=runner, out=io.StringIO()) == 255
    assert [
        "pulumi",
        "config",
        "set",
        "--path",
        "astronomer-dr:database.restore.sourceInstance",
        "astro-gcp-db-1a2b3c4",
        "--stack",
        "drill-gcp",
    ] in calls
    assert calls[-1][:2] == ["pulumi", "preview"]  # stopped there: nothing destroyed
    assert not [c for c in calls if "destroy" in c]


def test_makefile_has_the_drill_target():
    makefile = (drill.PROJECT_DIR / "Makefile").read_text()
    assert (
        "\ndrill: dev " in makefile and "-m tools.drill $(STACK)" in makefile and "$(filter 1,$(RUN)),--run" in makefile
    )


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_drill_of_the_deployments_reads_the_stacks_backups_and_repoints_them(cloud):
    """DEPLOYMENTS=1: cluster.restore from the drilled stack's bucket (read-only), its database host
    rewritten to the drill's database, and the declaration dropped again before the promotion check."""
    config = {"astronomer-dr:cloud": cloud}
    steps = drill.drill_steps(cloud, config, at="2026-11-20T09:30:00Z", deployments=True)
    shell = commands(steps)
    on = f"--stack drill-{cloud}"
    assert f"BACKUPS=$(pulumi stack output backups_bucket --stack {cloud})" in shell
    assert f"HOST=$(pulumi stack output database_host --stack {cloud})" in shell
    assert f"pulumi config set --path astronomer-dr:cluster.restore.backup latest {on}" in shell
    assert f'pulumi config set --path astronomer-dr:cluster.restore.sourceBucket "$BACKUPS" {on}' in shell
    assert f"pulumi config set --path 'astronomer-dr:cluster.restore.previousDatabaseHosts[0]' \"$HOST\" {on}" in shell
    assert (f'pulumi config set --path astronomer-dr:cluster.restore.sourceKmsKeyArn "$KEY" {on}' in shell) == (
        cloud == "aws"
    )
    first_up = shell.index(f"pulumi up --yes {on}")
    assert (
        shell.index(f'pulumi config set --path astronomer-dr:cluster.restore.sourceBucket "$BACKUPS" {on}') < first_up
    )
    drop = shell.index(f"pulumi config rm --path astronomer-dr:cluster.restore {on}")
    assert shell[drop + 1] == f"pulumi up --yes {on}" and drop < shell.index(
        f"pulumi config rm --path astronomer-dr:database.restore {on}"
    )
    # Still nothing written to the drilled stack: only its outputs are read.
    assert [
        c for c in shell if f"--stack {cloud}" in c and "stack output" not in c and "copy-config-from" not in c
    ] == []
    # Without DEPLOYMENTS the drill is unchanged.
    assert not [
        c for c in commands(drill.drill_steps(cloud, config, at="2026-11-20T09:30:00Z")) if "cluster.restore" in c
    ]
