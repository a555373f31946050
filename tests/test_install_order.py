"""Install order: the release goes in without Helm's wait, as Astronomer's CI installs it, and a Job
then waits until the platform is really up (components/platform/ready_job.py)."""

from __future__ import annotations

from components.platform import ready_job
from components.platform.component import READY_RULES
from tests.conftest import said

RELEASE = "kubernetes:helm.sh/v3:Release"
JOB = "kubernetes:batch/v1:Job"


def test_release_is_installed_without_wait_so_post_install_migrations_run(gcp):
    """astronomer/astronomer v2.1.0: Houston's migrations are `helm.sh/hook: pre-upgrade,post-install`
    (charts/astronomer/templates/houston/helm-hooks/houston-db-migration-job.yaml:19); Helm runs
    post-install hooks after waiting for every resource when `--wait` is set, and `--atomic` sets it
    (helm pkg/action/install.go: `i.Wait = i.Wait || i.Atomic`). pulumi-kubernetes passes
    `Wait = !skipAwait` and `Atomic` straight to Helm (provider/pkg/provider/helm_release.go:608,618).
    Upstream's CI installs without `--wait` and waits for the pods afterwards (bin/helm-install.py:190-200, 336).
    Hooks are waited for either way (helm pkg/action/hooks.go execHook: WatchUntilReady)."""
    release = gcp.one(RELEASE, "astronomer-release")
    assert release.input("skipAwait") is True
    assert not release.input("atomic") and not release.input("waitForJobs")


def test_pulumi_up_waits_for_the_ready_job_after_each_revision(gcp):
    """pulumi-kubernetes waits for a Job to complete; a Job's template is immutable, so a new revision
    in it replaces the Job (provider/pkg/provider/diff.go:178-184), deleting the fixed-name one first."""
    job = gcp.one(JOB, "astronomer-ready")
    assert gcp.one(RELEASE, "astronomer-release").urn in job.dependencies
    assert job.delete_before_replace is True
    env = {e["name"]: e["value"] for e in job.input("spec.template.spec.containers.0.env")}
    assert env["RELEASE_REVISION"] == "1"
    assert env["NGINX_SERVICE"] == "astronomer-cp-nginx" and env["NAMESPACE"] == "astronomer"
    assert job.input("spec.template.spec.securityContext.runAsNonRoot") is True


def test_ready_job_reads_only_its_namespace(gcp):
    role = gcp.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "astronomer-ready")
    assert role.input("metadata.namespace") == "astronomer"
    verbs = {v for rule in role.input("rules") for v in rule["verbs"]}
    assert verbs <= {"get", "list"}
    assert [r for r in READY_RULES if r[1] == "services"] == [("", "services", ("get",))]
    assert not [r for r in gcp.resources if r.type.endswith("ClusterRole") and "ready" in r.name]


def deployment(name, want=2, ready=2, updated=2, generation=1, observed=1):
    return {
        "metadata": {"name": name, "generation": generation},
        "spec": {"replicas": want},
        "status": {"observedGeneration": observed, "availableReplicas": ready, "updatedReplicas": updated},
    }


SERVICE_UP = {"status": {"loadBalancer": {"ingress": [{"hostname": "nlb.example"}]}}}


def test_rollout_judgement():
    assert ready_job.workload_pending("deployments", deployment("houston")) is None
    assert "1/2 ready" in said(ready_job.workload_pending("deployments", deployment("houston", ready=1)))
    assert "not yet observed" in said(ready_job.workload_pending("deployments", deployment("houston", generation=2)))
    sts = {
        "metadata": {"name": "prometheus"},
        "spec": {"replicas": 2},
        "status": {"readyReplicas": 2, "updatedReplicas": 2, "currentRevision": "a", "updateRevision": "b"},
    }
    assert "in progress" in said(ready_job.workload_pending("statefulsets", sts))
    assert ready_job.service_pending(None, "astro-cp-nginx") == "service/astro-cp-nginx: not found"
    assert "no load balancer" in said(ready_job.service_pending({"status": {}}, "astro-cp-nginx"))
    assert ready_job.service_pending(SERVICE_UP, "astro-cp-nginx") is None


class FakeApi:
    def __init__(self, rounds):
        self.rounds, self.calls = rounds, 0

    def get(self, path):
        state = self.rounds[min(self.calls // 4, len(self.rounds) - 1)]
        self.calls += 1
        if "/services/" in path:
            return state["service"]
        kind = path.rsplit("/", 1)[-1]
        return {"items": state.get(kind, [])}


ENV = {"NAMESPACE": "astronomer", "NGINX_SERVICE": "astronomer-cp-nginx", "TIMEOUT_SECONDS": "60"}


def test_main_waits_until_everything_is_up():
    api = FakeApi(
        [
            {"deployments": [deployment("houston", ready=0)], "service": {"status": {}}},
            {"deployments": [deployment("houston")], "service": SERVICE_UP},
        ]
    )
    sleeps: list[float] = []
    assert ready_job.main(ENV, api=api, sleep=sleeps.append, clock=lambda: 0) == 0
    assert sleeps == [ready_job.POLL_SECONDS]


def test_main_fails_at_the_deadline(capsys):
    api = FakeApi([{"deployments": [deployment("houston", ready=0)], "service": SERVICE_UP}])
    times = iter([0, 61])
    assert ready_job.main(ENV, api=api, sleep=lambda s: None, clock=lambda: next(times)) == 1
    assert "deployments/houston: 0/2 ready" in capsys.readouterr().err
