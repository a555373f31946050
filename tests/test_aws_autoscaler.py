"""EKS node autoscaling: cluster-autoscaler's chart, its IRSA identity and grants, and the node
group it scales (issue 23, item 4).

The chart's values are checked against its own defaults, the IAM policy against the AWS README's
recommended policy, the image tags against kubernetes/autoscaler's releases (tests/autoscaler/,
with their sources); the committed aws stack is checked for what it registers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from components.aws.autoscaler_chart import (
    AUTOSCALER_CHART_NAME,
    AUTOSCALER_CHART_REPOSITORY,
    AUTOSCALER_CHART_VERSION,
    AUTOSCALER_NAMESPACE,
    AUTOSCALER_SERVICE_ACCOUNT,
    DISCOVERY_ENABLED_TAG,
    IRSA_ANNOTATION,
    OWNED,
    SCALING_ACTIONS,
    autoscaler_policy_statements,
    autoscaler_values,
    cluster_tag,
)
from components.aws.nodes import AUTOSCALED_INPUTS
from components.aws.versions import CLUSTER_AUTOSCALER_IMAGE, CLUSTER_AUTOSCALER_RELEASES, cluster_autoscaler_tag
from components.schema import SUPPORTED_KUBERNETES_MINORS
from tests.test_velero import unknown_keys
from tools.offline import MOCK_AWS_ACCOUNT

FACTS = Path(__file__).parent / "autoscaler"
CHART_DIR = FACTS / f"cluster-autoscaler-{AUTOSCALER_CHART_VERSION}"
ASTRONOMER_VALUES = Path(__file__).parent / "chart" / "astronomer-2.1.0" / "values.yaml"
RELEASE = "kubernetes:helm.sh/v3:Release"
COMPONENT = "astronomer-dr:aws/autoscaler:ClusterAutoscaler"
GROUP = "aws:eks/nodeGroup:NodeGroup"
ROLE_ARN = f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:role/astro-aws-autoscaler"
VALUES = autoscaler_values("astro-aws", "us-east-1", ROLE_ARN, "v1.33.6")


def chart_defaults() -> dict[str, Any]:
    return yaml.safe_load((CHART_DIR / "values.yaml").read_text())


def readme_policy() -> dict[str, Any]:
    return json.loads((FACTS / "aws-iam-policy.json").read_text())


def actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def policy_of(statements) -> list[dict[str, Any]]:
    """The statement args as IAM writes them (Sid, Action, Resource, Condition)."""
    return [
        {
            "Sid": s.sid,
            "Action": s.actions,
            "Resource": s.resources,
            "Condition": {c.test: {c.variable: c.values} for c in (s.conditions or [])},
        }
        for s in statements
    ]


# ---- the chart and its values ---------------------------------------------------------------


def test_every_values_key_exists_in_the_chart():
    """cluster-autoscaler chart 9.59.0 values.yaml (tests/autoscaler/): Helm ignores unknown keys."""
    assert unknown_keys(VALUES, chart_defaults()) == []


def test_key_check_catches_a_typo():
    typo = {"rbac": {"serviceAccounts": {"name": "x"}}, "autoDiscovery": {"clustername": "x"}}
    assert unknown_keys(typo, chart_defaults()) == ["rbac.serviceAccounts", "autoDiscovery.clustername"]


def test_chart_is_pinned_and_its_default_image_is_overridden():
    """Chart.yaml 9.59.0 (kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0) ships app
    version 1.35.0 and values.yaml `image.tag: v1.35.0`: on a 1.33 cluster the default would run a
    1.35 scheduler simulation (cluster-autoscaler/README.md, "Releases": run the release of the
    cluster's minor). The repository is the chart's default image repository."""
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    assert (chart["name"], chart["version"], chart["appVersion"]) == (AUTOSCALER_CHART_NAME, "9.59.0", "1.35.0")
    defaults = chart_defaults()
    assert defaults["image"] == {
        "repository": CLUSTER_AUTOSCALER_IMAGE,
        "tag": "v1.35.0",
        "pullPolicy": "IfNotPresent",
        "pullSecrets": [],
    }
    assert VALUES["image"] == {"repository": CLUSTER_AUTOSCALER_IMAGE, "tag": "v1.33.6"}
    # The chart's README installs from this repository (`helm repo add autoscaler ...`).
    assert AUTOSCALER_CHART_REPOSITORY == "https://kubernetes.github.io/autoscaler"


def test_auto_discovery_finds_the_groups_eks_tags_for_this_cluster():
    """The chart renders `--node-group-auto-discovery=asg:tag=<autoDiscovery.tags>` once
    autoDiscovery.clusterName is set (templates/deployment.yaml lines 88-89; with no clusterName it
    renders no Deployment, line 1); its default tags are the two keys the AWS README's
    "Auto-Discovery Setup" names and EKS puts on every managed node group's Auto Scaling group
    (EKS user guide latest/ug/nodes/managed-node-groups.adoc line 51; the key/value table in
    doc_source/cluster-autoscaler.md lines 110-113 of awsdocs/amazon-eks-user-guide at 31e7649cc5c5:
    `k8s.io/cluster-autoscaler/<cluster-name>: owned`, `k8s.io/cluster-autoscaler/enabled: true`)."""
    tags = chart_defaults()["autoDiscovery"]["tags"]
    rendered = [t.replace("{{ .Values.autoDiscovery.clusterName }}", "astro-aws") for t in tags]
    assert rendered == [DISCOVERY_ENABLED_TAG, cluster_tag("astro-aws")]
    assert VALUES["autoDiscovery"] == {"clusterName": "astro-aws"} and VALUES["cloudProvider"] == "aws"
    assert VALUES["awsRegion"] == "us-east-1"


def test_keyless_identity_on_the_service_account_the_role_trusts():
    """The chart's README, "AWS - IAM Roles for Service Accounts (IRSA)": the role ARN goes in
    `rbac.serviceAccount.annotations`; the ServiceAccount is named `rbac.serviceAccount.name`
    (templates/_helpers.tpl, cluster-autoscaler.serviceAccountName). No key anywhere."""
    assert VALUES["rbac"]["serviceAccount"] == {
        "create": True,
        "name": AUTOSCALER_SERVICE_ACCOUNT,
        "annotations": {IRSA_ANNOTATION: ROLE_ARN},
    }
    defaults = chart_defaults()
    assert (defaults["awsAccessKeyID"], defaults["awsSecretAccessKey"]) == ("", "")
    assert not {k for k in VALUES if k.startswith("awsAccess") or k.startswith("awsSecret")}


def test_scale_down_keeps_the_defaults_that_protect_the_platform():
    """Scale-down is left to cluster-autoscaler's defaults (FAQ.md at cluster-autoscaler-1.33.6,
    lines 90-129, 1112, 1126-1127): a node is not removed while it runs a pod with a restrictive
    PodDisruptionBudget, local storage, no owning controller (a KubernetesExecutor task pod) or
    `safe-to-evict: "false"`; `skip-nodes-with-local-storage` and `skip-nodes-with-system-pods`
    default to true. The program passes no extraArgs, and the chart's defaults set none of those
    flags. The Astronomer chart 2.1.0 gives its platform components PodDisruptionBudgets
    (values.yaml `global.podDisruptionBudgets.enabled: true`; e.g. houston-pod-disruption-budget.yaml,
    prometheus-pod-disruption-budget.yaml: maxUnavailable 1), which cluster-autoscaler's
    evictions respect; the chart keeps its own pod at system-cluster-critical."""
    assert "extraArgs" not in VALUES
    defaults = chart_defaults()
    assert set(defaults["extraArgs"]) == {"logtostderr", "stderrthreshold", "v"}
    assert defaults["priorityClassName"] == "system-cluster-critical"
    assert defaults["podDisruptionBudget"]["maxUnavailable"] == 1
    astronomer = yaml.safe_load(ASTRONOMER_VALUES.read_text())
    assert astronomer["global"]["podDisruptionBudgets"] == {"enabled": True}


def test_the_pod_runs_as_the_aws_example_deployment_does():
    """cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml (tag cluster-autoscaler-1.33.6):
    100m/600Mi requests and limits, non-root 65534, no privilege escalation, read-only root."""
    assert VALUES["resources"]["requests"] == VALUES["resources"]["limits"] == {"cpu": "100m", "memory": "600Mi"}
    assert VALUES["securityContext"]["runAsNonRoot"] is True
    assert VALUES["containerSecurityContext"]["readOnlyRootFilesystem"] is True
    assert VALUES["containerSecurityContext"]["allowPrivilegeEscalation"] is False


# ---- which release runs on which cluster ----------------------------------------------------


def newest_releases() -> dict[str, str]:
    """Kubernetes minor -> newest cluster-autoscaler release, from tests/autoscaler/releases.txt."""
    found: dict[str, str] = {}
    for line in (FACTS / "releases.txt").read_text().splitlines():
        m = re.match(r"^cluster-autoscaler-(1\.(\d+))\.(\d+) [0-9a-f]{40} \d{4}-\d{2}-\d{2}$", line)
        if m:
            found[m.group(1)] = f"{m.group(1)}.{m.group(3)}"
    return found


def test_one_release_per_minor_the_config_accepts_the_newest_of_that_minor():
    """cluster-autoscaler/README.md ("Releases"): versions match Kubernetes minors exactly since
    1.12, and users should run the latest release of their cluster's minor."""
    minors = {f"1.{m}" for m in SUPPORTED_KUBERNETES_MINORS}
    assert set(CLUSTER_AUTOSCALER_RELEASES) == minors
    assert newest_releases() == CLUSTER_AUTOSCALER_RELEASES
    for minor in minors:
        assert cluster_autoscaler_tag(minor).startswith(f"v{minor}.")


def test_the_release_runs_the_image_of_the_clusters_own_version(aws):
    version = aws.one("aws:eks/cluster:Cluster").input("version")
    values = aws.one(RELEASE, "astro-aws-autoscaler-release").input("values")
    assert values["image"]["tag"] == cluster_autoscaler_tag(version) == f"v{CLUSTER_AUTOSCALER_RELEASES[version]}"


# ---- the IAM policy -------------------------------------------------------------------------


def test_the_policy_grants_the_readme_s_actions_and_no_others():
    """cloudprovider/aws/README.md at cluster-autoscaler-1.33.6, "Full Cluster Autoscaler Features
    Policy (Recommended)" (lines 41-68, tests/autoscaler/aws-iam-policy.json): the actions of
    auto-discovery and dynamic instance types; its second statement holds the two that change a group."""
    readme = readme_policy()["Statement"]
    ours = policy_of(autoscaler_policy_statements("astro-aws", "arn:aws:eks:us-east-1:1:nodegroup/astro-aws-platform"))
    assert actions(ours) == actions(readme)
    assert set(readme[1]["Action"]) == set(SCALING_ACTIONS)


def test_only_this_clusters_groups_can_be_scaled_or_shrunk():
    """The README asks that the scaling actions be restricted "by tag based conditionals"; the
    EKS guide's policy (awsdocs/amazon-eks-user-guide doc_source/autoscaling.md line 53 in the
    parent of commit d4c2035d0799, 2023-05-08, which removed it) conditioned them on `aws:ResourceTag/k8s.io/cluster-autoscaler/<cluster>:
    owned`. A group of another cluster in the account does not carry this cluster's key."""
    statements = policy_of(autoscaler_policy_statements("astro-aws", "arn:ng"))
    scaling = [s for s in statements if set(s["Action"]) & set(SCALING_ACTIONS)]
    assert len(scaling) == 1
    [scale] = scaling
    assert set(scale["Action"]) == set(SCALING_ACTIONS)
    assert scale["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/astro-aws": [OWNED]}}
    [describe] = [s for s in statements if s["Action"] == ["eks:DescribeNodegroup"]]
    assert describe["Resource"] == ["arn:ng"]
    unconditioned = [s for s in statements if not s["Condition"] and s["Resource"] == ["*"]]
    assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in actions(unconditioned))


def test_the_registered_role_trusts_only_the_autoscaler_and_holds_the_policy(aws):
    role = aws.one("aws:iam/role:Role", "astro-aws-autoscaler-irsa")
    assert role.input("name") == "astro-aws-autoscaler"
    [trust] = json.loads(role.input("assumeRolePolicy"))["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert sorted(trust["Condition"]["StringEquals"].values()) == [
        "sts.amazonaws.com",
        f"system:serviceaccount:{AUTOSCALER_NAMESPACE}:{AUTOSCALER_SERVICE_ACCOUNT}",
    ]
    policy = json.loads(aws.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-autoscaler-irsa").input("policy"))
    assert actions(policy["Statement"]) == actions(readme_policy()["Statement"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ScaleOwnGroups"]["Condition"] == {
        "StringEquals": {f"aws:ResourceTag/{cluster_tag('astro-aws')}": OWNED}
    }
    group_arn = f"arn:aws:eks:us-east-1:{MOCK_AWS_ACCOUNT}:nodegroup/astro-aws-platform"
    assert by_sid["NodeGroup"]["Resource"] == group_arn


# ---- what the aws stack registers -----------------------------------------------------------


def test_the_release_is_pinned_in_kube_system_with_the_role_on_its_service_account(aws):
    release = aws.one(RELEASE, "astro-aws-autoscaler-release")
    assert release.input("chart") == AUTOSCALER_CHART_NAME and release.input("version") == AUTOSCALER_CHART_VERSION
    assert release.input("repositoryOpts") == {"repo": AUTOSCALER_CHART_REPOSITORY}
    assert release.input("namespace") == AUTOSCALER_NAMESPACE
    assert release.input("atomic") is True
    values = release.input("values")
    assert unknown_keys(values, chart_defaults()) == []
    assert values["autoDiscovery"] == {"clusterName": aws.one("aws:eks/cluster:Cluster").input("name")}
    assert values["rbac"]["serviceAccount"]["annotations"] == {IRSA_ANNOTATION: ROLE_ARN}
    assert values["awsRegion"] == "us-east-1"
    [component] = aws.of_type(COMPONENT)
    assert release.parent == component.urn


def test_it_starts_on_the_nodes_with_its_grant_and_comes_before_what_is_restored(aws):
    """A declared restore waits for it: restored pods that do not fit add nodes instead of taking
    the platform's (tests/test_restore_alongside.py). Velero's chart does not, nor the platform: it
    fits in minNodes and comes up even if the autoscaler cannot (an image pull failing, say)."""
    release = aws.one(RELEASE, "astro-aws-autoscaler-release")
    grant = aws.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-autoscaler-irsa")
    assert {aws.one(GROUP).urn, grant.urn} <= set(release.dependencies)
    assert release.urn not in aws.one(RELEASE, "velero-release").dependencies
    assert release.urn not in aws.one(RELEASE, "astronomer-release").dependencies


def test_the_node_group_size_is_the_autoscaler_s_after_creation(aws):
    """pulumi_aws 7.51.1 eks/node_group.py, "Ignoring Changes to Desired Size": `ignore_changes=
    ["scalingConfig.desiredSize"]` creates the group at its initial size and leaves the count to
    whoever scales it later. The path is the engine's (camelCase) and names a real input; the
    bounds stay Pulumi's (cluster.minNodes / maxNodes of Pulumi.aws.yaml)."""
    group = aws.one(GROUP)
    assert group.ignore_changes == list(AUTOSCALED_INPUTS) == ["scalingConfig.desiredSize"]
    assert group.input("scalingConfig") == {"minSize": 3, "maxSize": 6, "desiredSize": 3}


# ---- the docs say what the code does ---------------------------------------------------------

DOC = (Path(__file__).parent.parent / "docs" / "AUTOSCALING.md").read_text()


def test_the_docs_name_the_pinned_chart_and_the_image_of_each_minor():
    assert f"**{AUTOSCALER_CHART_VERSION}** from `{AUTOSCALER_CHART_REPOSITORY}`" in DOC
    rows = dict(re.findall(r"^  \| (1\.\d+) \| v(1\.\d+\.\d+) \|$", DOC, re.MULTILINE))
    assert rows == CLUSTER_AUTOSCALER_RELEASES


def test_the_docs_list_every_granted_action_and_the_tag_condition():
    granted = actions(policy_of(autoscaler_policy_statements("c", "arn")))
    for action in granted:
        name = action.split(":")[1]
        assert f"`{action}`" in DOC or f"`{name}`" in DOC, action
    assert f"`{cluster_tag('<cluster>')}: {OWNED}`" in DOC
