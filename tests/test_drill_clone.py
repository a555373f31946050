"""The point-in-time drill on GCP, redesigned around what the provider supports: a Cloud SQL clone
lands in its source's VPC unless it is cross-project, so a GCP PITR drill runs in another project."""

from __future__ import annotations

import pytest

from components.config import RestoreSettings
from components.gcp.database import clone_lands_elsewhere, restore_inputs
from tests.test_restore import AT  # three hours before the session started: inside every window
from tools import drill

GCP = {"gcp:project": "acme-astronomer-prod", "astronomer-dr:cloud": "gcp"}


def test_same_project_clone_gets_no_destination_network():
    """google-beta/services/sql/resource_sql_database_instance.go:1929-1935: `DestinationProject` and
    `DestinationNetwork` are set only `if cloneSourceProject != project`; pulumi-gcp 10's
    DatabaseInstanceCloneArgs has `source_project` but no destination network. So a same-project
    clone of another stack's instance never reaches this stack's VPC, and naming this stack's
    allocated range would name a range of the wrong VPC."""
    foreign = RestoreSettings(label="pitr-x", point_in_time=AT, source_instance="astro-gcp-db-abc")
    clone = restore_inputs(foreign, "astro-gcp-db-abc", "astro-drill-gcp-private-services")["clone"]
    assert clone.allocated_ip_range is None and clone.source_project is None
    assert clone_lands_elsewhere(foreign)

    cross = RestoreSettings(
        label="pitr-x", point_in_time=AT, source_instance="astro-gcp-db-abc", source_project="acme-astronomer-prod"
    )
    clone = restore_inputs(cross, "astro-gcp-db-abc", "astro-drill-gcp-private-services")["clone"]
    assert (
        clone.source_project == "acme-astronomer-prod"
        and clone.allocated_ip_range == "astro-drill-gcp-private-services"
    )
    assert not clone_lands_elsewhere(cross)

    own = RestoreSettings(label="pitr-x", point_in_time=AT)
    assert restore_inputs(own, "astro-gcp-db-abc", "range")["clone"].allocated_ip_range == "range"


def test_backup_restore_names_the_source_project():
    backup = RestoreSettings(
        label="backup-1",
        backup_id="1732094400000",
        source_instance="astro-gcp-db-abc",
        source_project="acme-astronomer-prod",
    )
    context = restore_inputs(backup, "astro-gcp-db-abc", None)["restore_backup_context"]
    assert (context.project, context.instance_id, context.backup_run_id) == (
        "acme-astronomer-prod",
        "astro-gcp-db-abc",
        1732094400000,
    )


def test_gcp_point_in_time_drill_runs_in_another_project():
    with pytest.raises(drill.DrillError, match="lands in its source's VPC"):
        drill.drill_steps("gcp", GCP, at=AT)
    with pytest.raises(drill.DrillError, match="must differ"):
        drill.drill_steps("gcp", GCP, at=AT, project="acme-astronomer-prod")
    with pytest.raises(drill.DrillError, match="for GCP stacks"):
        drill.drill_steps("aws", {"aws:region": "us-east-1"}, at=AT, project="acme-drill")
    shell = [s.shell() for s in drill.drill_steps("gcp", GCP, at=AT, project="acme-drill")]
    assert "pulumi config set gcp:project acme-drill --stack drill-gcp" in shell
    assert (
        "pulumi config set --path astronomer-dr:database.restore.sourceProject acme-astronomer-prod --stack drill-gcp"
        in shell
    )
    # A backup drill restores into an instance created in the drill's VPC: same project is fine.
    assert not [c for c in map(lambda s: s.shell(), drill.drill_steps("gcp", GCP, backup="1")) if "gcp:project" in c]


def test_the_drill_stack_clones_across_projects():
    from tests.test_restore import instances, restored

    evaluation = restored(
        "gcp", pointInTime=AT, sourceInstance="astro-gcp-db-abc", sourceProject="acme-astronomer-prod"
    )
    [new] = [i for label, i in instances(evaluation, "gcp").items() if label != "original"]
    assert new.input("clone.sourceProject") == "acme-astronomer-prod"
    assert new.input("clone.allocatedIpRange")  # the stack's own range: the clone joins this VPC
