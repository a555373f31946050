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


# ---- the runbook under stress: per-cloud procedures of commands that can be pasted -------------


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def subsections(body: str, marker: str) -> dict[str, str]:
    parts = re.split(rf"^{marker} (.+)$", body, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def commands(text: str) -> list[str]:
    """Every command line of the bash blocks, comments and continuations joined."""
    lines = []
    for block in bash_blocks(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#\s.*$", "", line.strip())
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


@pytest.mark.parametrize(
    ("title", "gcp", "aws"),
    [
        ("The cluster lost", "--stack gcp", "--stack aws"),
        ("The database lost or corrupted: point in time", "--stack gcp", "--stack aws"),
        ("The database lost or corrupted: backup id", "--stack gcp", "--stack aws"),
        ("Drill", "STACK=gcp", "STACK=aws"),
    ],
)
def test_each_disaster_has_a_gcp_and_an_aws_procedure(title, gcp, aws):
    body = sections()[title]
    blocks = bash_blocks(body)
    assert any(gcp in b and "aws " not in b for b in blocks), f"{title}: no GCP procedure"
    assert any(aws in b and "gcloud " not in b for b in blocks), f"{title}: no AWS procedure"


def test_the_region_lost_has_gcp_and_aws_procedures_with_and_without_a_standby():
    region = sections()["The whole region lost"]
    parts = subsections(region, "###")
    for part, (gcp, aws) in {
        "With a standby: promote": ("--stack gcp-standby", "--stack aws-standby"),
        "Without a standby: restore from backups": ("--stack gcp-east", "--stack aws-west"),
    }.items():
        clouds = subsections(parts[part], "####")
        assert gcp in "".join(bash_blocks(clouds["GCP"])), part
        assert aws in "".join(bash_blocks(clouds["AWS"])), part


def restoring(stack: str):
    """The committed primary of `stack`'s cloud with `cluster.restore: {backup: latest}` declared."""
    from tests.test_restore import committed, evaluated

    cloud = "aws" if "aws" in stack else "gcp"
    return evaluated(cloud, cluster={**committed(cloud, "cluster"), "restore": {"backup": "latest"}})


def test_every_stack_output_the_runbook_reads_is_one_the_program_exports(gcp, aws):
    """`pulumi stack output <name>` of a gcp* / aws* stack names an output of the real program
    (evaluated offline): the kubeconfig is `kubeconfig` (components/gcp/foundation.py,
    components/aws/foundation.py), a typo would fail in the middle of a recovery."""
    text = RUNBOOK.read_text()
    read = re.findall(r"pulumi stack output (\w+)(?: --show-secrets)? --stack ([\w-]+)", text)
    assert read
    for name, stack in read:
        exported = (aws if "aws" in stack else gcp).outputs
        if name == "deployments_restore_backup":
            # Exported only while a restore is declared, which is when the runbook reads it.
            exported = restoring(stack).outputs
        assert name in exported, f"pulumi stack output {name} --stack {stack}: not an output of the program"
    assert ("kubeconfig", "gcp") in read and ("kubeconfig", "aws") in read


def test_kubectl_and_velero_get_the_kubeconfig_from_the_stack_or_the_cloud():
    """The kubeconfig output is a secret (`pulumi stack output --show-secrets`); the clouds' CLIs
    build the same from the cluster's name (`gcloud container clusters get-credentials`,
    https://cloud.google.com/sdk/gcloud/reference/container/clusters/get-credentials;
    `aws eks update-kubeconfig`, https://docs.aws.amazon.com/cli/latest/reference/eks/update-kubeconfig.html)."""
    body = sections()["kubectl and velero: the kubeconfig"]
    lines = commands(body)
    for stack in ("gcp", "aws"):
        assert any(
            line.startswith("mkdir -p ~/.kube && pulumi stack output kubeconfig --show-secrets --stack " + stack)
            for line in lines
        ), stack
    assert any(line.startswith("gcloud container clusters get-credentials ") for line in lines)
    assert any(line.startswith("aws eks update-kubeconfig --name ") for line in lines)


def test_the_lost_cluster_is_forgotten_before_it_is_rebuilt():
    """Pulumi's state still holds the lost cluster's Kubernetes objects, and the Kubernetes provider
    refuses to read them from a cluster that does not answer unless PULUMI_K8S_DELETE_UNREACHABLE is
    "true", with which it drops them from the state (pulumi/pulumi-kubernetes v4.32.0,
    provider/pkg/provider/provider.go lines 619-633 read the variable; Read, lines 1917-1941: the
    unreachable cluster's resource is deleted from state, otherwise "failed to read resource state
    due to unreachable cluster"). So each cloud's procedure refreshes with it before `pulumi up`."""
    body = sections()["The cluster lost"]
    procedures = subsections(body, "###")
    for cloud, stack in (("GCP", "gcp"), ("AWS", "aws")):
        lines = commands(procedures[cloud])
        refresh = lines.index(f"PULUMI_K8S_DELETE_UNREACHABLE=true pulumi refresh --stack {stack} --yes")
        assert refresh < lines.index(f"pulumi up --stack {stack}"), cloud


def test_a_declared_cluster_restore_is_removed_once_it_completed():
    """A Restore left declared is not inert: Velero's GC controller asks for an expired backup's
    deletion (vmware-tanzu/velero v1.18.1, pkg/controller/gc_controller.go lines 133 and 200), the
    backup deletion controller then deletes every Restore whose spec.backupName is that backup
    (pkg/controller/backup_deletion_controller.go lines 383-390), and a Restore of `latest` has its
    backupName filled from the schedule (pkg/controller/restore_controller.go line 384). A later
    `pulumi up --refresh` sees it gone and creates it again. So every procedure that declares
    `cluster.restore` removes it again, and the runbook no longer says it does nothing more."""
    text = RUNBOOK.read_text()
    assert "does nothing more" not in text
    lines = commands(text)
    declared = [
        m.group(1)
        for line in lines
        if (
            m := re.match(r"pulumi config set --path astronomer-dr:cluster\.restore\.backup \S+ --stack ([\w-]+)", line)
        )
    ]
    assert len(declared) >= 6  # the cluster lost, a standby promoted, a new stack: each on both clouds
    for stack in declared:
        rm = f"pulumi config rm --path astronomer-dr:cluster.restore --stack {stack}"
        assert rm in lines, stack
        after = lines[lines.index(rm) + 1 :]
        assert f"pulumi up --stack {stack}" in after, f"{stack}: no `pulumi up` after removing the restore"


def test_a_database_restore_is_followed_by_the_refreshing_second_run():
    """A restored instance starts with the cloud's default backup settings, which the provider sees
    only on a refresh (components/gcp/database.py and components/aws/database.py say so in their
    log line): every procedure that declares a database restore runs `pulumi up --refresh` after
    its `pulumi up`."""
    lines = commands(RUNBOOK.read_text())
    declared = [
        (i, m.group(1))
        for i, line in enumerate(lines)
        if (m := re.match(r"pulumi config set --path astronomer-dr:database\.restore\.\w+ .* --stack ([\w-]+)$", line))
    ]
    assert {"gcp", "aws", "gcp-east", "aws-west"} <= {stack for _, stack in declared}
    for i, stack in declared:
        up = lines.index(f"pulumi up --stack {stack}", i)
        assert lines[up + 1] == f"pulumi up --refresh --stack {stack}", (stack, lines[up : up + 2])


def test_an_aws_restore_from_another_bucket_names_its_region_and_key():
    """On AWS `cluster.restore.sourceBucket` is refused without `sourceRegion` and `sourceKmsKeyArn`
    (components/config/backups.py): every AWS stack the runbook points at another bucket gets all
    three, from the other stack's outputs, as `pulumi config set --path` lines."""
    lines = commands(RUNBOOK.read_text())
    for line in lines:
        m = re.match(
            r"pulumi config set --path astronomer-dr:cluster\.restore\.sourceBucket .* --stack ([\w-]+)$", line
        )
        if m and "aws" in m.group(1):
            stack = m.group(1)
            for key, output in (("sourceRegion", "backups_region"), ("sourceKmsKeyArn", "backups_kms_key_arn")):
                assert any(
                    line.startswith(f"pulumi config set --path astronomer-dr:cluster.restore.{key} ")
                    and f"pulumi stack output {output} --stack aws" in line
                    and line.endswith(f"--stack {stack}")
                    for line in lines
                ), (stack, key)


def test_the_old_region_is_fenced_with_commands_for_each_cloud():
    """Fencing stops the old database and scales the old nodes to zero, with the clouds' CLIs:
    - GKE: `gcloud container clusters update NAME --no-enable-autoscaling --node-pool POOL`
      (https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-autoscaler, "Disabling
      autoscaling"; otherwise pending pods make the autoscaler add nodes back), then
      `gcloud container clusters resize NAME --node-pool POOL --num-nodes 0 --region R` (the size is
      per zone for a regional pool; https://cloud.google.com/sdk/gcloud/reference/container/clusters/resize);
      Cloud SQL `gcloud sql instances patch --activation-policy=NEVER` stops the instance.
    - EKS: `aws eks update-nodegroup-config --scaling-config minSize=0,maxSize=1,desiredSize=0`
      (https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupScalingConfig.html: minSize and
      desiredSize may be 0, maxSize at least 1); `aws rds stop-db-instance`, which RDS undoes after
      seven days (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html).
    The names come from the old stack's outputs, in the state backend."""
    region = sections()["The whole region lost"]
    fence = subsections(region, "###")["Fencing the old region"]
    lines = commands(fence)
    joined = "\n".join(lines)
    assert "--activation-policy=NEVER" in joined
    assert re.search(r"gcloud container node-pools list --cluster \"\$CLUSTER\" --region \"\$REGION\"", joined)
    assert re.search(
        r"gcloud container clusters update \"\$CLUSTER\" --node-pool \"\$POOL\" --no-enable-autoscaling", joined
    )
    assert re.search(
        r"gcloud container clusters resize \"\$CLUSTER\" --node-pool \"\$POOL\" --num-nodes 0 .*--quiet", joined
    )
    assert "aws rds stop-db-instance --db-instance-identifier" in joined
    assert "aws eks list-nodegroups --cluster-name" in joined
    assert "--scaling-config minSize=0,maxSize=1,desiredSize=0" in joined
    assert "seven days" in fence and "Do not `pulumi up` the old\nstack" in fence


def test_no_runbook_command_carries_a_fixed_date_or_an_example_project():
    """A pasted command must work on any day: times are computed (`date -u -d ...`) or left as
    `<placeholders>`; example names (acme-drill, a 2026 snapshot) are placeholders too."""
    for line in commands(RUNBOOK.read_text()):
        assert not re.search(r"20\d\d-\d\d-\d\dT", line), line
        assert "acme" not in line and "2026" not in line, line
