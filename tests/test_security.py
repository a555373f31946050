"""Security review fixes (issue 12) on what both stacks register: buckets refuse plain HTTP, the
registry's identity is scoped to this stack, the repoint Job's grant exists only during a restore."""

from __future__ import annotations

import json

import pytest

from tests.conftest import evaluate_stack
from tests.test_restore import evaluated

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def replicated():
    return evaluated("aws", registry={"replicaRegion": "us-west-2"})


def test_every_s3_bucket_refuses_plain_http(replicated):
    """S3 serves plain HTTP unless a bucket policy denies `aws:SecureTransport: false` ("Enforce
    encryption of data in transit", https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html).
    The registry bucket, its replica and the Velero backups bucket get one; a Deny for `*` is not a
    public grant, so the complete public access block does not refuse it."""
    buckets = replicated.of_type(BUCKET)
    assert len(buckets) == 3
    policies = {p.name: p for p in replicated.of_type(BUCKET_POLICY)}
    for bucket in buckets:
        policy = policies[bucket.name]
        assert policy.input("bucket") == bucket.input("bucket")
        [statement] = as_list(json.loads(policy.input("policy"))["Statement"])
        arn = f"arn:aws:s3:::{bucket.input('bucket')}"
        # terraform-provider-aws iam/policy_model.go writes a lone {"*": ["*"]} principal as "*".
        assert (statement["Sid"], statement["Effect"], statement["Principal"]) == ("DenyInsecureTransport", "Deny", "*")
        assert statement["Action"] == "s3:*"
        assert sorted(as_list(statement["Resource"])) == sorted([arn, f"{arn}/*"])
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        # The replica's policy goes through the replica region's provider, like its bucket.
        assert policy.provider == bucket.provider


# ---- the repoint Job (issue 12 items 4 and 10) -------------------------------------------------

from components.platform.component import REPOINT_IMAGE  # noqa: E402
from tests.test_restore import AT, AT_LABEL, restored  # noqa: E402

JOB = "kubernetes:batch/v1:Job"


def repoint_jobs(evaluation):
    """The repoint Job(s): the ready Job (`astronomer-ready`) is declared on every stack."""
    return [j for j in evaluation.of_type(JOB) if j.name.startswith("astronomer-repoint")]


RBAC = (
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)


def test_repoint_image_is_pinned_by_digest():
    """docker-library/repo-info repos/python/remote/3.13-alpine.md (commit 27b27367) records the
    `python:3.13-alpine` image index as sha256:79e7a9b9...: a tag can move, a digest cannot."""
    name, _, digest = REPOINT_IMAGE.partition("@")
    assert name == "python:3.13-alpine"
    assert digest == "sha256:79e7a9b9ff1cbceff819f856fb374477792a5967759d94df266de7b7b4120e6f"
    # The repoint before the release and the one after it: the same pinned image.
    [job, after] = repoint_jobs(restored("gcp", pointInTime=AT))
    [container] = job.input("spec.template.spec.containers")
    assert container["image"] == REPOINT_IMAGE == after.input("spec.template.spec.containers.0.image")


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_cluster_wide_grant_exists_only_while_a_restore_is_declared(stack):
    during = restored(stack, pointInTime=AT)
    assert all(len(during.of_type(t)) == 1 for t in RBAC)
    promoted = evaluated(stack, {"primary": AT_LABEL, "promoted": {"pointInTime": AT}})
    assert repoint_jobs(promoted) == [] and all(promoted.of_type(t) == [] for t in RBAC)
    assert not [r for r in promoted.resources if r.name.startswith("astronomer-repoint")]


# One evaluation for the config-dependent checks below (each evaluation costs about a second):
# an existing cluster, a restore, listed deployment namespaces, NGINX source ranges.
VARIANT_PLATFORM = {
    "baseDomain": "astro.acme.example.com",
    "deploymentNamespaces": ["pool-a", "pool-b"],
    "loadBalancerSourceRanges": ["198.51.100.0/24"],
}
VARIANT_CLUSTER = {"existing": {"name": "shared-gke", "location": "us-central1", "network": "shared-vpc"}}


def variant():
    return evaluated("gcp", {"restore": {"pointInTime": AT}}, platform=VARIANT_PLATFORM, cluster=VARIANT_CLUSTER)


def test_listed_deployment_namespaces_reach_the_job():
    evaluation = variant()
    [job, after] = repoint_jobs(evaluation)
    [container] = job.input("spec.template.spec.containers")
    env = {e["name"]: e["value"] for e in container["env"]}
    assert container["env"] == [
        e for e in after.input("spec.template.spec.containers.0.env") if e["name"] != "RELEASE_REVISION"
    ]
    assert env["DEPLOYMENT_NAMESPACES"] == "pool-a,pool-b"
    bad = evaluate_stack(
        "gcp",
        **{"astronomer-dr:platform": {"baseDomain": "astro.acme.example.com", "deploymentNamespaces": ["Pool_A"]}},
    )
    assert "astronomer-dr:platform.deploymentNamespaces" in str(bad.error)


# ---- the registry's Workload Identity (issue 12 item 10) ----------------------------------------

from components.gcp.registry import workload_identity_member  # noqa: E402
from components.platform.values import GcsRegistryStorage  # noqa: E402


def test_registry_identity_is_scoped_to_this_stacks_cluster(gcp):
    """Every GKE cluster of a project shares the pool `<project>.svc.id.goog` and a principal names
    only `[namespace/ServiceAccount]` ("identity sameness",
    https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity). The chart names the
    registry's ServiceAccount from `registry.serviceAccount.name` when set (chart 2.1.0
    templates/_helpers.yaml:212 `default (printf "%s-registry" .Release.Name) .Values.registry.serviceAccount.name`),
    so the name carries the cluster's and a drill cluster's registry matches nothing here."""
    binding = gcp.one("gcp:serviceaccount/iAMMember:IAMMember", "astro-gcp-registry-workload-identity")
    values = gcp.one("kubernetes:helm.sh/v3:Release", "astronomer-release").input(
        "values.astronomer.registry.serviceAccount"
    )
    assert binding.input("member") == f"serviceAccount:acme-astronomer-prod.svc.id.goog[astronomer/{values['name']}]"
    assert values["name"] == "astronomer-registry-astro-gcp"
    production = workload_identity_member("acme-astronomer-prod", "astronomer", "astronomer", "astro-gcp")
    drill = workload_identity_member("acme-astronomer-prod", "astronomer", "astronomer", "astro-drill-gcp")
    assert production != drill


def test_an_existing_clusters_name_scopes_the_identity():
    evaluation = variant()
    binding = evaluation.one("gcp:serviceaccount/iAMMember:IAMMember", "astro-gcp-registry-workload-identity")
    assert (
        binding.input("member")
        == "serviceAccount:acme-astronomer-prod.svc.id.goog[astronomer/astronomer-registry-shared-gke]"
    )
    assert GcsRegistryStorage("b", "e").kubernetes_service_account("astronomer") == "astronomer-registry"


# ---- exposure is an explicit choice the plan shows (issue 12 item 7) ----------------------------

from tests.conftest import committed_stack  # noqa: E402
from tools import plan  # noqa: E402


def summary_of(evaluation) -> dict[str, str]:
    return {row["property"]: row["value"] for row in plan.dr_summary(evaluation)}


@pytest.mark.parametrize(
    "stack, key", [("gcp", "cluster.masterAuthorizedNetworks"), ("aws", "cluster.publicAccessCidrs")]
)
def test_the_plan_shows_the_default_exposure_as_a_choice(stack, key):
    rows = summary_of(committed_stack(stack))
    assert (
        rows["Exposure: Kubernetes API"].startswith("public endpoint, from anywhere")
        and key in rows["Exposure: Kubernetes API"]
    )
    assert rows["Exposure: NGINX (UI, APIs, registry)"].startswith("internet-facing, from anywhere")
    assert rows["NetworkPolicies"].startswith("enforced")
    assert "pod spec" in rows["Registry httpSecret"]


def test_the_plan_shows_chosen_ranges():
    from tests.test_nodes import gcp_changed

    assert summary_of(gcp_changed())["Exposure: Kubernetes API"] == "public endpoint, from `203.0.113.0/24`"
    assert summary_of(gcp_changed())["NetworkPolicies"] == "enforced (CALICO)"
    assert summary_of(variant())["Exposure: NGINX (UI, APIs, registry)"] == "internet-facing, from `198.51.100.0/24`"
    assert summary_of(committed_stack("aws"))["Node metadata (IMDS)"] == "tokens required, hop limit 1"
