"""The plan says what the operator needs (issue 18, item 5): its warnings in the Markdown, the
Kubernetes version chosen beside the one asked for, no engine-made name, the instance the platform
uses after a declared restore, another stack's read-only bucket not taken for one of this stack's,
errors on stderr, a stack name suggested whatever its case.

The evaluations are the suite's cached ones (tests/conftest.py, tests/test_standby.py,
tests/test_standby_failover.py, tests/test_restore.py): no new full evaluation but the one
failing stack of the CLI test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.conftest import committed_stack
from tests.test_restore import AT, AT_LABEL, restored
from tests.test_standby import aws_standby, gcp_standby
from tests.test_standby_failover import standby_of_a_primary_with_a_gap
from tools.offline import GKE_SERVER_CONFIG
from tools.offline.context import MOCK_NAME_SUFFIX
from tools.plan import main, plan_document, render_plan, to_document, unknown_stack_message
from tools.plan.evaluate import TOOLS_ROOT


def rows(evaluation) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in to_document(evaluation)["dr_summary"]:
        found.setdefault(row["property"], []).append(row["value"])
    return found


def test_the_warnings_are_a_section_of_the_markdown_plan():
    """The program logs them with pulumi.log.warn; the engine keeps them (Evaluation.warnings)."""
    evaluation = standby_of_a_primary_with_a_gap("aws", True)
    document = to_document(evaluation)
    assert document["warnings"] == evaluation.warnings and len(document["warnings"]) == 1
    page = render_plan(document)
    section = page[page.index("### Warnings") : page.index("### Resource tree")]
    assert "keeps no registry replica in us-west-2" in section and "Promoting anyway" in section
    assert "### Warnings" not in render_plan(to_document(committed_stack("aws")))


def test_gke_the_version_created_is_shown_beside_the_one_asked_for():
    """components/gcp/versions.py: with a release channel, `1.33` is the oldest minor accepted and
    the channel's default (within the chart's range) is created."""
    stable_default = GKE_SERVER_CONFIG["channels"]["STABLE"]["defaultVersion"]
    [value] = rows(committed_stack("gcp"))["Kubernetes version"]
    assert value == (
        f"`1.33` asked (`cluster.kubernetesVersion`); `{stable_default}` created (release channel `STABLE`)"
    )


def test_eks_the_version_created_is_shown_beside_the_one_asked_for_with_its_support():
    [value] = rows(committed_stack("aws"))["Kubernetes version"]
    assert value.startswith("`1.35` asked (`cluster.kubernetesVersion`); `1.35` created, in EKS standard support")


def test_no_name_the_offline_engine_made_up_reaches_the_summary():
    """A Cloud SQL instance's name is Pulumi's auto-name (`-mock1234` offline): the standby's row
    names what the user knows instead, the primary's `database_instance` output."""
    for evaluation in (committed_stack("gcp-standby"), gcp_standby(promote=True), committed_stack("gcp")):
        summary = json.dumps(to_document(evaluation)["dr_summary"])
        assert MOCK_NAME_SUFFIX not in summary, evaluation.stack
    [replica] = rows(committed_stack("gcp-standby"))["Standby replica"]
    assert replica.startswith(
        "read replica of the auto-named instance of stack `organization/astronomer-dr/gcp` (its `database_instance` output)"
    )


def test_with_a_restore_declared_the_summary_says_which_instance_the_platform_uses():
    for cloud in ("gcp", "aws"):
        evaluation = restored(cloud, pointInTime=AT)
        [value] = rows(evaluation)["Platform database"]
        assert value.startswith(f"the restored instance (label `{AT_LABEL}`) `astro-{cloud}-db-{AT_LABEL}`"), value
        assert value.endswith(f"also kept: `astro-{cloud}-db`")
        assert MOCK_NAME_SUFFIX not in value
    assert "Platform database" not in rows(committed_stack("gcp"))


def test_another_stacks_read_only_source_bucket_is_not_one_of_this_stacks_unprotected_buckets():
    """cluster.restore.sourceBucket: Velero reads the primary's bucket through a ReadOnly
    BackupStorageLocation (vmware-tanzu/velero v1.18.1,
    site/content/docs/v1.18/api-types/backupstoragelocation.md:106: `accessMode`, `ReadWrite` or
    `ReadOnly`); the bucket is declared, and protected, by the stack that owns it."""
    for evaluation in (gcp_standby(promote=True), aws_standby(promote=True)):
        found = rows(evaluation)
        [source] = found["Deployments restored from"]
        assert "another stack's, read-only here" in source and "⚠️" not in source
        assert all("OFF" not in value for value in found["Deployments' backups live"])


def test_a_failing_plan_says_so_on_stderr(capsys, tmp_path, monkeypatch):
    """stdout may be redirected to a file: the error must still reach the person. The plan of the
    shipped aws stack evaluated in June 2028, when EKS no longer offers 1.35 (its extended support
    ended 2028-03-27), fails for real."""
    import tools.plan.cli as cli

    def in_june_2028(stack, project_dir, now):
        assert now.tzinfo is not None  # the CLI evaluates at today's moment; this test moves it
        return plan_document(stack, project_dir, now=datetime(2028, 6, 1, tzinfo=UTC))

    monkeypatch.setattr(cli, "plan_document", in_june_2028)
    out = tmp_path / "plan.md"
    code = main(["aws", "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "tools.plan: stack aws fails to evaluate:" in err
    assert "cluster.kubernetesVersion: EKS no longer creates clusters at 1.35" in err
    assert "fails to evaluate" in out.read_text()


def test_a_stack_name_is_suggested_whatever_its_case():
    assert unknown_stack_message("GCP", TOOLS_ROOT).endswith("did you mean gcp?")
    assert unknown_stack_message("AWS-Standby", TOOLS_ROOT).endswith("did you mean aws-standby?")
    assert unknown_stack_message("Gcp-Stanby", TOOLS_ROOT).endswith("did you mean gcp-standby?")
