"""The platform picks up a restored database: pods roll on a host fingerprint, and a Job repoints the
Airflow deployments' own connection Secrets (components/platform/repoint_job.py)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from components.platform import repoint_job
from components.platform.component import REPOINT_RULES
from components.platform.values import (
    DATABASE_ANNOTATION,
    PLATFORM_NAMESPACE_LABEL,
    LoadBalancer,
    database_fingerprint,
    helm_values,
)
from tests.conftest import bootstrap_connection_url
from tests.test_platform import GCS, PLATFORM, chart_defaults, has_path
from tests.test_restore import AT, AT_LABEL, OLD_HOST, evaluated, restored, restored_host

RELEASE = "kubernetes:helm.sh/v3:Release"
JOB = "kubernetes:batch/v1:Job"
SCRIPT = Path(repoint_job.__file__)


# ---- the pod roll ------------------------------------------------------------------------------


def test_values_carry_a_fingerprint_of_the_database_host_and_the_namespace_label():
    values = helm_values(PLATFORM, GCS, LoadBalancer(), "secret", database_host="10.0.0.5")
    assert values["global"]["podAnnotations"] == {DATABASE_ANNOTATION: database_fingerprint("10.0.0.5")}
    assert values["global"]["namespaceLabels"] == {PLATFORM_NAMESPACE_LABEL: PLATFORM.namespace}
    assert database_fingerprint("10.0.0.5") != database_fingerprint("10.0.0.6")
    assert len(database_fingerprint("10.0.0.5")) == 16 and "10.0.0.5" not in str(values["global"]["podAnnotations"])
    assert "podAnnotations" not in helm_values(PLATFORM, GCS, LoadBalancer(), "secret")["global"]
    # Both keys exist in chart 2.1.0's global values (Helm would silently ignore a typo).
    defaults = chart_defaults()
    assert has_path(defaults, "global.podAnnotations") and has_path(defaults, "global.namespaceLabels")


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_release_rolls_its_pods_when_the_database_host_changes(stack):
    before = evaluated(stack).one(RELEASE, "astronomer-release").input("values.global.podAnnotations")
    after = restored(stack, pointInTime=AT).one(RELEASE, "astronomer-release").input("values.global.podAnnotations")
    assert before == {DATABASE_ANNOTATION: database_fingerprint(OLD_HOST[stack])}
    assert after == {
        DATABASE_ANNOTATION: database_fingerprint(bootstrap_connection_url(restored(stack, pointInTime=AT)).hostname)
    }
    assert before != after


# ---- the repoint Job ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_no_repoint_job_without_a_restore(stack):
    evaluation = evaluated(stack)
    assert [j.name for j in evaluation.of_type(JOB)] == ["astronomer-ready"]  # the platform's ready gate only
    assert not [r for r in evaluation.resources if "repoint" in r.name]


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_repoint_job_runs_once_per_restore_before_the_release(stack):
    evaluation = restored(stack, pointInTime=AT)
    job = evaluation.one(JOB, f"astronomer-repoint-{AT_LABEL}")
    assert job.name == f"astronomer-repoint-{AT_LABEL}"
    assert job.input("metadata.name") == f"astronomer-dr-repoint-{AT_LABEL}" and len(job.input("metadata.name")) <= 57
    assert job.input("metadata.namespace") == "dr-repoint-astronomer"
    [container] = job.input("spec.template.spec.containers")
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["NEW_HOST"] == restored_host(evaluation, stack)
    assert env["OLD_HOSTS"] == OLD_HOST[stack]
    assert (env["PLATFORM_NAMESPACE"], env["NAMESPACE_LABEL"], env["RESTORE_LABEL"]) == (
        "astronomer",
        PLATFORM_NAMESPACE_LABEL,
        AT_LABEL,
    )
    assert container["command"] == ["python", "/scripts/repoint.py"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    spec = job.input("spec.template.spec")
    assert spec["serviceAccountName"] == "astronomer-dr-repoint" and spec["restartPolicy"] == "Never"
    assert spec["securityContext"]["runAsNonRoot"] is True
    script = evaluation.one("kubernetes:core/v1:ConfigMap", "astronomer-repoint")
    assert script.input("data")["repoint.py"] == SCRIPT.read_text()
    # It runs after its permissions and the new bootstrap Secret exist, and before the release rolls.
    binding = evaluation.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
    bootstrap = next(
        r for r in evaluation.of_type("kubernetes:core/v1:Secret") if r.input("metadata.name") == "astronomer-bootstrap"
    )
    assert {binding.urn, script.urn, bootstrap.urn} <= set(job.dependencies)
    assert job.urn in evaluation.one(RELEASE, "astronomer-release").dependencies


def test_the_repoint_job_may_do_exactly_what_it_needs():
    evaluation = restored("gcp", pointInTime=AT)
    role = evaluation.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
    assert role.input("metadata.name") == "astronomer-dr-repoint-astronomer"
    rules = {(r["apiGroups"][0], r["resources"][0]): set(r["verbs"]) for r in role.input("rules")}
    assert rules == {
        ("", "namespaces"): {"list"},
        ("", "secrets"): {"list", "patch"},  # exactly the calls repoint_job.main makes
        ("apps", "deployments"): {"list", "patch"},
        ("apps", "statefulsets"): {"list", "patch"},
    }
    assert len(role.input("rules")) == len(REPOINT_RULES)
    binding = evaluation.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
    assert binding.input("roleRef") == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "astronomer-dr-repoint-astronomer",
    }
    assert binding.input("subjects") == [
        {"kind": "ServiceAccount", "name": "astronomer-dr-repoint", "namespace": "dr-repoint-astronomer"}
    ]


# ---- the script ---------------------------------------------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_host_is_rewritten_only_as_a_whole_host():
    old, new = "10.99.0.3", "10.99.7.9"
    assert repoint_job.rewrite("host=10.99.0.3 port=5432", [old], new) == "host=10.99.7.9 port=5432"
    assert repoint_job.rewrite("postgresql://u:p@10.99.0.3:5432/db", [old], new) == "postgresql://u:p@10.99.7.9:5432/db"
    for untouched in ("host=10.99.0.31", "host=110.99.0.3", "host=10.99.0.3.nip.io", "host=x-10.99.0.3"):
        assert repoint_job.rewrite(untouched, [old], new) == untouched
    rds = "astro-aws-db.c0mock.us-east-1.rds.amazonaws.com"
    assert repoint_job.rewrite(f"@{rds}:5432", [rds], "b.rds") == "@b.rds:5432"
    assert repoint_job.rewrite(f"@other-{rds}:5432", [rds], "b.rds") == f"@other-{rds}:5432"


def test_secret_data_is_rewritten_key_by_key():
    data = {
        "pgbouncer.ini": b64("[databases]\nd = host=10.99.0.3 dbname=d"),
        "users.txt": b64('"u" "md5x"'),
        "bin": "////",
    }
    assert repoint_job.rewrite_secret_data(data, ["10.99.0.3"], "10.99.7.9") == {
        "pgbouncer.ini": b64("[databases]\nd = host=10.99.7.9 dbname=d")
    }
    assert repoint_job.rewrite_secret_data(data, ["10.1.1.1"], "10.99.7.9") == {}


def test_deployment_namespaces_are_named_after_the_platform_or_listed_never_selected_by_a_label():
    """Anyone allowed to label a namespace could set the platform's label (issue 12, item 10): a
    label alone selects nothing; it is only reported."""
    namespaces: list[dict[str, Any]] = [
        {"metadata": {"name": "astronomer"}},
        {"metadata": {"name": "astronomer-quasar-1234"}},
        {"metadata": {"name": "pool-a", "labels": {PLATFORM_NAMESPACE_LABEL: "astronomer"}}},
        {"metadata": {"name": "pool-b", "labels": {PLATFORM_NAMESPACE_LABEL: "other"}}},
        {"metadata": {"name": "pool-c"}},
        {"metadata": {"name": "kube-system"}},
    ]
    assert repoint_job.deployment_namespaces(namespaces, "astronomer", PLATFORM_NAMESPACE_LABEL) == (
        ["astronomer-quasar-1234"],
        ["pool-a"],
    )
    assert repoint_job.deployment_namespaces(
        namespaces, "astronomer", PLATFORM_NAMESPACE_LABEL, ["pool-a", "pool-c"]
    ) == (["astronomer-quasar-1234", "pool-a", "pool-c"], [])


class FakeApi:
    """The Kubernetes API the Job talks to, in memory."""

    def __init__(self):
        ini = "[databases]\nquasar-1234-metadata = host=10.99.0.3 port=5432 dbname=quasar_1234_airflow"
        self.secrets = {
            ("astronomer-quasar-1234", "quasar-1234-pgbouncer-config"): {"pgbouncer.ini": b64(ini)},
            ("astronomer-quasar-1234", "quasar-1234-airflow-metadata"): {
                "connection": b64("postgresql://u:p@quasar-1234-pgbouncer:6543/m")
            },
            ("astronomer-quasar-1234", "quasar-1234-fernet-key"): {"fernet-key": b64("10.99.0.3")},
            ("astronomer-nova-5678", "nova-5678-metadata"): {"connection": b64("postgresql://u:p@10.99.0.3:5432/n")},
        }
        self.workloads = {
            "astronomer-quasar-1234": {
                "deployments": ["quasar-1234-scheduler", "quasar-1234-pgbouncer"],
                "statefulsets": ["quasar-1234-worker", "quasar-1234-redis"],
            },
            "astronomer-nova-5678": {"deployments": ["nova-5678-scheduler"], "statefulsets": []},
        }
        self.patches: list[tuple[str, dict]] = []

    def items(self, path: str) -> list[dict]:
        parts = path.strip("/").split("/")
        if path == "/api/v1/namespaces":
            return [
                {"metadata": {"name": n}}
                for n in ("astronomer", "astronomer-quasar-1234", "astronomer-nova-5678", "default")
            ]
        if parts[-1] == "secrets":
            return [
                {"metadata": {"name": name}, "data": dict(data)}
                for (ns, name), data in self.secrets.items()
                if ns == parts[3]
            ]
        return [{"metadata": {"name": name}} for name in self.workloads[parts[4]][parts[5]]]

    def request(self, method: str, path: str, body: dict) -> dict:
        assert method == "PATCH"
        self.patches.append((path, body))
        parts = path.strip("/").split("/")
        if parts[-2] == "secrets":
            self.secrets[(parts[3], parts[-1])].update(body["data"])
        return {}


ENV = {
    "NEW_HOST": "10.99.7.9",
    "OLD_HOSTS": "10.99.0.3",
    "PLATFORM_NAMESPACE": "astronomer",
    "NAMESPACE_LABEL": PLATFORM_NAMESPACE_LABEL,
    "RESTORE_LABEL": "pitr-20261120t093000z",
}


def test_the_job_rewrites_connection_secrets_and_restarts_what_reads_them(capsys):
    api = FakeApi()
    assert repoint_job.main(ENV, api) == 0
    decoded = {key: base64.b64decode(data[next(iter(data))]).decode() for key, data in api.secrets.items()}
    assert "host=10.99.7.9 " in decoded[("astronomer-quasar-1234", "quasar-1234-pgbouncer-config")]
    assert decoded[("astronomer-nova-5678", "nova-5678-metadata")] == "postgresql://u:p@10.99.7.9:5432/n"
    assert decoded[("astronomer-quasar-1234", "quasar-1234-fernet-key")] == "10.99.0.3"  # not a connection Secret
    restarted = sorted(
        path.rsplit("/", 2)[-2] + "/" + path.rsplit("/", 1)[-1] for path, body in api.patches if "/apis/apps/" in path
    )
    assert restarted == [
        "deployments/nova-5678-scheduler",
        "deployments/quasar-1234-pgbouncer",
        "deployments/quasar-1234-scheduler",
        "statefulsets/quasar-1234-worker",  # Redis is never restarted
    ]
    for path, body in api.patches:
        if "/apis/apps/" in path:
            assert body == repoint_job.restart_patch("pitr-20261120t093000z")
    # A second run finds nothing to rewrite and restarts nothing.
    api.patches.clear()
    assert repoint_job.main(ENV, api) == 0
    assert api.patches == []


def test_the_job_without_a_previous_host_does_nothing():
    api = FakeApi()
    assert repoint_job.main({**ENV, "OLD_HOSTS": "10.99.7.9"}, api) == 0
    assert api.patches == []


def test_the_script_needs_only_the_standard_library():
    import ast

    tree = ast.parse(SCRIPT.read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= {"__future__", "base64", "collections", "json", "os", "re", "ssl", "sys", "urllib", "typing"}
