"""`cluster.restore.start`: a real recovery ends when the restored deployments run; a drill's
restored deployments come back stopped. Velero facts are v1.18.1's (vmware-tanzu/velero tag
v1.18.1), Helm's v3.21.4's (helm/helm), the Airflow chart's apache/airflow's
(commit 008b07561f2b1d8cc13786e6187f388336896fb8), cited in each test."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from components.platform import deployments_ready_job as job
from components.platform.deployments_ready import DEPLOYMENTS_READY_NAME, DEPLOYMENTS_READY_RULES
from components.platform.script_job import await_timeout
from components.platform.velero_chart import (
    STATEFULSET_POD_LABEL,
    STOPPED_GATE,
    STOPPED_MODIFIERS_KEY,
    STOPPED_MODIFIERS_NAME,
    restore_spec,
    stopped_modifiers,
)
from tests.test_config import gcp_config, parse, refusal, tls_secret_keys  # noqa: F401 (autouse fixture)
from tests.test_restore import AT, committed, evaluated
from tests.test_velero import OTHER_KEY, RESTORE, _cluster, assert_valid_spec
from tests.test_velero_restore import declared
from tools.drill import deployment_steps
from tools.offline.backups import good_backup

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
JOB = "kubernetes:batch/v1:Job"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
COMPONENT = "astronomer-dr:platform/deployments_ready:DeploymentsReady"


@functools.cache
def stopped(stack: str):
    """`from_another_stack` (tests/test_velero.py) with `start: false`."""
    backup = {"gcp": "latest", "aws": good_backup(datetime.now(UTC))}[stack]
    restore: dict[str, Any] = {
        "backup": backup,
        "sourceBucket": "acme-other-backups",
        "previousDatabaseHosts": ["10.250.0.9"],
        "start": False,
    }
    if stack == "aws":
        restore |= {"sourceRegion": "us-east-2", "sourceKmsKeyArn": OTHER_KEY}
    return evaluated(stack, {"restore": {"pointInTime": AT}}, cluster={**_cluster(stack), "restore": restore})


# ---- the contract --------------------------------------------------------------------------------


def test_start_defaults_to_true_and_is_a_bool_refused_otherwise_with_its_key():
    assert parse(gcp_config(cluster={"restore": {"backup": "latest"}})).backups.restore_start is True
    assert parse(gcp_config(cluster={"restore": {"backup": "latest", "start": False}})).backups.restore_start is False
    message = refusal(gcp_config(cluster={"restore": {"backup": "latest", "start": "maybe"}}))
    assert "astronomer-dr:cluster.restore.start" in message


# ---- start: false --------------------------------------------------------------------------------


def test_the_stopped_modifiers_are_what_velero_reads():
    """Velero reads one key of the ConfigMap (internal/resourcemodifiers/resource_modifiers.go:66-84),
    strictly unmarshalled (:193-199; JSON is YAML), version `v1` and non-empty rules
    (resource_modifiers_validator.go:52-55), one patch kind per rule (:38), a merge patch as
    `patchData` text (json_merge_patch.go:13), conditions by `groupResource` glob and labelSelector
    (resource_modifiers.go:46-52, 114-147)."""
    document = json.loads(stopped_modifiers())
    assert set(document) == {"version", "resourceModifierRules"} and document["version"] == "v1"
    patched = {}
    for rule in document["resourceModifierRules"]:
        assert set(rule) == {"conditions", "mergePatches"}
        assert set(rule["conditions"]) <= {
            "groupResource",
            "labelSelector",
            "namespaces",
            "resourceNameRegex",
            "matches",
        }
        [patch] = rule["mergePatches"]
        patched[rule["conditions"]["groupResource"]] = (json.loads(patch["patchData"]), rule["conditions"])
    assert patched["deployments.apps"][0] == {"spec": {"replicas": 0}}
    assert patched["replicasets.apps"][0] == {"spec": {"replicas": 0}}
    assert patched["jobs.batch"][0] == patched["cronjobs.batch"][0] == {"spec": {"suspend": True}}
    pods, conditions = patched["pods"]
    assert pods == {"spec": {"schedulingGates": [{"name": STOPPED_GATE}]}}
    # StatefulSet pods stay ungated: volume data is restored only into pods Velero creates, by their
    # init container (pkg/restore/restore.go:1732-1738).
    assert conditions["labelSelector"] == {
        "matchExpressions": [{"key": STATEFULSET_POD_LABEL, "operator": "DoesNotExist"}]
    }
    assert "statefulsets.apps" not in patched


def test_a_stopped_restore_names_its_modifiers_and_matches_the_crd():
    """Restore.spec.resourceModifier is a TypedLocalObjectReference (velero.io_restores.yaml,
    tests/velero/crds-v1.18.1/restore.json), kind compared case-insensitively to `configmap`
    (pkg/controller/restore_controller.go:408; resource_modifiers.go:37), read from the Restore's
    namespace (:410)."""
    spec = restore_spec("b", "astronomer", start=False)
    assert_valid_spec("Restore", spec)
    assert spec["resourceModifier"] == {"kind": "configmap", "name": STOPPED_MODIFIERS_NAME}
    assert "resourceModifier" not in restore_spec("b", "astronomer")


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_offline_a_stopped_restore_registers_its_modifiers_and_no_wait(stack):
    evaluation = stopped(stack)
    restore = evaluation.one(RESTORE)
    assert restore.input("spec.resourceModifier") == {"kind": "configmap", "name": STOPPED_MODIFIERS_NAME}
    [modifiers] = [c for c in evaluation.of_type(CONFIG_MAP) if c.input("metadata.name") == STOPPED_MODIFIERS_NAME]
    assert modifiers.input("metadata.namespace") == "velero"
    assert json.loads(modifiers.input("data")[STOPPED_MODIFIERS_KEY]) == json.loads(stopped_modifiers())
    assert not evaluation.of_type(COMPONENT)
    assert not [j for j in evaluation.of_type(JOB) if j.input("metadata.name") == DEPLOYMENTS_READY_NAME]


# ---- start: true ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_offline_a_started_restore_waits_until_the_deployments_run(stack):
    evaluation = declared(stack)
    assert evaluation.one(RESTORE).input("spec.resourceModifier") is None
    assert not [c for c in evaluation.of_type(CONFIG_MAP) if c.input("metadata.name") == STOPPED_MODIFIERS_NAME]
    [ready] = [j for j in evaluation.of_type(JOB) if j.input("metadata.name") == DEPLOYMENTS_READY_NAME]
    env = {e["name"]: e["value"] for e in ready.input("spec.template.spec.containers")[0]["env"]}
    assert env["PLATFORM_NAMESPACE"] == committed(stack, "platform").get("namespace", "astronomer")
    deadline = ready.input("spec.activeDeadlineSeconds")
    assert int(env["TIMEOUT_SECONDS"]) < deadline
    [role] = [r for r in evaluation.of_type(CLUSTER_ROLE) if DEPLOYMENTS_READY_NAME in r.input("metadata.name")]
    verbs = {v for rule in role.input("rules") for v in rule["verbs"]}
    assert verbs == {"list"}, "read-only"
    assert {r["resources"][0] for r in role.input("rules")} == {res for _, res, _ in DEPLOYMENTS_READY_RULES}


def test_no_restore_no_deployments_wait(gcp):
    """Without a declared restore the Job, its grant and its namespace do not exist."""
    assert not gcp.of_type(COMPONENT)


def test_the_wait_outlasts_the_scripts_deadline():
    """pulumi-kubernetes waits 10 minutes for a Job unless told (provider/pkg/await/job.go)."""
    from components.platform.deployments_ready import DEPLOYMENTS_READY_TIMEOUT_SECONDS

    assert int(await_timeout(DEPLOYMENTS_READY_TIMEOUT_SECONDS + 120).removesuffix("m")) * 60 > (
        DEPLOYMENTS_READY_TIMEOUT_SECONDS + 120
    )


# ---- the drill -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_the_drill_restores_the_deployments_stopped(cloud):
    steps = deployment_steps("prod", {"astronomer-dr:cloud": cloud}, ("--stack", "drill"))
    [start] = [s for s in steps if "astronomer-dr:cluster.restore.start" in s.argv]
    assert start.argv[-3:] == ("false", "--stack", "drill")


# ---- the script ----------------------------------------------------------------------------------


def workload(component: str, wanted: int, available: int, kind_name: str = "") -> dict:
    return {
        "metadata": {"name": kind_name or f"r-{component}", "labels": {"component": component}},
        "spec": {"replicas": wanted},
        "status": {"availableReplicas": available},
    }


def pod(component: str, **status: Any) -> dict:
    return {"metadata": {"name": f"r-{component}-0", "labels": {"component": component}}, "status": status}


def test_a_deployment_runs_when_its_scheduler_and_webserver_are_available():
    """The chart labels them `component: scheduler` / `webserver` (`api-server` on Airflow 3),
    Deployment or StatefulSet (apache/airflow chart/templates/scheduler/scheduler-deployment.yaml:51-57)."""
    assert job.deployment_problems("astronomer-a", [workload("scheduler", 1, 1), workload("webserver", 1, 1)], []) == []
    assert (
        job.deployment_problems("astronomer-a", [workload("scheduler", 2, 2), workload("api-server", 1, 1)], []) == []
    )
    # Hibernating (zero replicas) is not a failure.
    assert job.deployment_problems("astronomer-a", [workload("scheduler", 0, 0), workload("webserver", 0, 0)], []) == []
    assert job.deployment_problems("astronomer-a", [workload("webserver", 1, 1)], []) == [
        "astronomer-a: no scheduler workload"
    ]


def test_it_says_why_from_the_pods_status():
    pulling = pod(
        "scheduler",
        phase="Pending",
        containerStatuses=[
            {"name": "scheduler", "state": {"waiting": {"reason": "ImagePullBackOff", "message": "no such image"}}}
        ],
    )
    unschedulable = pod(
        "webserver",
        phase="Pending",
        conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes"}],
    )
    problems = job.deployment_problems(
        "astronomer-a", [workload("scheduler", 1, 0), workload("webserver", 1, 0)], [pulling, unschedulable]
    )
    assert "ImagePullBackOff (scheduler): no such image" in problems[0] and "r-scheduler" in problems[0]
    assert "Pending, Unschedulable: 0/3 nodes" in problems[1]
    crashing = pod(
        "scheduler",
        phase="Running",
        containerStatuses=[{"name": "scheduler", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
    )
    assert job.pod_reason(crashing) == "pod r-scheduler-0 CrashLoopBackOff (scheduler)"


def record(release: str, version: int, status: str) -> dict:
    """A Helm record's metadata as helm's Secrets driver labels it (pkg/storage/driver/secrets.go:212-235)
    and names it (pkg/storage/storage.go:35, 251: sh.helm.release.v1.<release>.v<version>)."""
    return {
        "metadata": {
            "name": f"sh.helm.release.v1.{release}.v{version}",
            "labels": {"owner": "helm", "name": release, "status": status, "version": str(version)},
        }
    }


def test_a_helm_record_restored_pending_is_named_with_its_fix():
    """A pending newest record makes every upgrade fail (helm v3.21.4 pkg/action/upgrade.go:218-220,
    pkg/release/status.go:46-49: pending-install|upgrade|rollback); rollback does not check it
    (pkg/action/rollback.go:100-134) and targets a revision that exists."""
    records = [record("a", 3, "superseded"), record("a", 4, "deployed"), record("a", 5, "pending-upgrade")]
    [found] = job.pending_helm_records("astronomer-a", records)
    assert found.endswith("helm -n astronomer-a rollback a 4") and "pending-upgrade at revision 5" in found
    [fresh] = job.pending_helm_records("astronomer-b", [record("b", 1, "pending-install")])
    assert fresh.endswith("kubectl -n astronomer-b delete secret sh.helm.release.v1.b.v1")
    assert job.pending_helm_records("astronomer-a", [record("a", 4, "deployed")]) == []


class FakeApi:
    def __init__(self, objects: dict[str, list[dict]]):
        self.objects = objects
        self.metadata_only: list[bool] = []

    def get(self, path: str, metadata_only: bool = False) -> dict | None:
        if "/secrets" in path:
            self.metadata_only.append(metadata_only)
        base = path.split("?")[0]
        return {"items": self.objects.get(base, [])}


def cluster(scheduler_available: int, helm: list[dict]) -> FakeApi:
    ns = "astronomer-a"
    return FakeApi(
        {
            "/api/v1/namespaces": [{"metadata": {"name": n}} for n in ("astronomer", ns, "kube-system", "pool-1")],
            f"/apis/apps/v1/namespaces/{ns}/deployments": [
                workload("scheduler", 1, scheduler_available),
                workload("webserver", 1, 1),
            ],
            f"/api/v1/namespaces/{ns}/secrets": helm,
            "/apis/apps/v1/namespaces/pool-1/deployments": [workload("scheduler", 1, 1), workload("webserver", 1, 1)],
        }
    )


def test_the_job_ends_when_they_run_and_fails_at_its_deadline_naming_them(capsys):
    env = {"PLATFORM_NAMESPACE": "astronomer", "DEPLOYMENT_NAMESPACES": "pool-1", "TIMEOUT_SECONDS": "60"}
    api = cluster(1, [record("a", 2, "deployed")])
    assert job.main(env, api, sleep=lambda s: None, clock=lambda: 0.0) == 0
    assert api.metadata_only == [True, True] or all(api.metadata_only)
    assert "2 restored deployments run: astronomer-a, pool-1" in capsys.readouterr().out
    ticks = iter(range(0, 1000, 30))
    assert job.main(env, cluster(0, []), sleep=lambda s: None, clock=lambda: float(next(ticks))) == 1
    assert "astronomer-a: scheduler r-scheduler 0/1 available: not yet available" in capsys.readouterr().err


def test_a_pending_helm_record_fails_after_its_grace_not_the_whole_deadline(capsys):
    env = {"PLATFORM_NAMESPACE": "astronomer", "TIMEOUT_SECONDS": "3600"}
    ticks = iter(range(0, 10000, 60))
    calls: list[float] = []
    assert (
        job.main(
            env, cluster(1, [record("a", 1, "pending-install")]), sleep=calls.append, clock=lambda: float(next(ticks))
        )
        == 1
    )
    assert len(calls) * job.POLL_SECONDS < 3600 and "delete secret sh.helm.release.v1.a.v1" in capsys.readouterr().err
