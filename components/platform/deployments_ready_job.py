"""Waits until every restored Airflow deployment runs: its scheduler and webserver (api-server on
Airflow 3) available. Runs once per declared restore with `cluster.restore.start: true`, after the
platform is up and the deployments repointed, so that `pulumi up` ends only when they run.

Which namespaces: those of this platform's deployments, named `<platform namespace>-<release>` as
Houston names them, or listed in `platform.deploymentNamespaces` (the rule of repoint_job.py).
Which workloads: the Airflow chart labels its scheduler `component: scheduler` and its webserver
`component: webserver` (`api-server` on Airflow 3), Deployment or StatefulSet (apache/airflow
chart/templates/scheduler/scheduler-deployment.yaml:57-62, webserver/webserver-deployment.yaml,
api-server/api-server-deployment.yaml). A workload at zero replicas is one the deployment runs
stopped (hibernating), not one that failed.

It fails naming each deployment that is not up and why, read from its pods' status (Pending and
unschedulable, ImagePullBackOff, CrashLoopBackOff ...), and each Helm record restored in a pending
state: Helm refuses every later upgrade of such a release ("another operation
(install/upgrade/rollback) is in progress", helm v3.21.4 pkg/action/upgrade.go:218-220,
pkg/release/status.go:46-49; helm#7653, helm#4558), Houston's included. Rollback has no such check
(pkg/action/rollback.go:100-134), so it names `helm rollback` to the last deployed revision, or the
pending record's Secret to delete when there is none. It reads only metadata of Secrets (the
records' labels, helm pkg/storage/driver/secrets.go:212-235), never their data.

Image python, standard library only, authenticated as its ServiceAccount (read-only grants). The
functions above `Kubernetes` are pure and unit-tested.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# The chart's `component` label of what must run for a deployment to be up.
COMPONENTS = ("scheduler", "webserver", "api-server")
REQUIRED = ("scheduler",)
SERVING = ("webserver", "api-server")
PENDING_STATUSES = ("pending-install", "pending-upgrade", "pending-rollback")
ROLLBACK_TARGETS = ("deployed", "superseded")
POLL_SECONDS = 15
# A pending record may be a live operation (Houston upgrades every deployment after the platform's
# upgrade): reported as blocking once it has stayed pending this long.
HELM_GRACE_SECONDS = 600
# Container waiting reasons that say why a pod does not run.
WAITING_REASONS = (
    "ImagePullBackOff",
    "ErrImagePull",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
)


def deployment_namespaces(names: Iterable[str], platform_namespace: str, listed: Iterable[str]) -> list[str]:
    listed = set(listed)
    return sorted(n for n in names if n.startswith(f"{platform_namespace}-") or n in listed)


def workload_state(workload: Mapping[str, Any]) -> tuple[int, int]:
    """(wanted, available) replicas of a Deployment or StatefulSet."""
    spec, status = workload.get("spec") or {}, workload.get("status") or {}
    wanted = spec.get("replicas", 1)
    available = status.get("availableReplicas", status.get("readyReplicas", 0)) or 0
    return wanted, available


def pod_reason(pod: Mapping[str, Any]) -> str | None:
    """Why a pod does not run, from its status, or None when nothing says."""
    status = pod.get("status") or {}
    name = (pod.get("metadata") or {}).get("name", "?")
    for container in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in WAITING_REASONS:
            message = f": {waiting['message']}" if waiting.get("message") else ""
            return f"pod {name} {waiting['reason']} ({container.get('name')}){message}"
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return (
                f"pod {name} Pending, {condition.get('reason', 'unscheduled')}: {condition.get('message', '')}".rstrip(
                    ": "
                )
            )
    if status.get("phase") == "Pending":
        return f"pod {name} Pending"
    return None


def deployment_problems(
    namespace: str, workloads: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]
) -> list[str]:
    """What keeps the deployment in `namespace` from running (empty when it runs)."""
    by_component: dict[str, list[Mapping[str, Any]]] = {}
    for w in workloads:
        component = ((w.get("metadata") or {}).get("labels") or {}).get("component")
        if component in COMPONENTS:
            by_component.setdefault(component, []).append(w)
    reasons_by_component: dict[str, list[str]] = {}
    for pod in pods:
        component = ((pod.get("metadata") or {}).get("labels") or {}).get("component")
        reason = pod_reason(pod)
        if component and reason:
            reasons_by_component.setdefault(component, []).append(reason)
    problems = []
    missing = [c for c in REQUIRED if c not in by_component]
    if not any(c in by_component for c in SERVING):
        missing.append("/".join(SERVING))
    problems += [f"{namespace}: no {c} workload" for c in missing]
    for component, found in sorted(by_component.items()):
        for w in found:
            wanted, available = workload_state(w)
            if available < wanted:
                why = "; ".join(reasons_by_component.get(component, [])) or "not yet available"
                name = (w.get("metadata") or {}).get("name", "?")
                problems.append(f"{namespace}: {component} {name} {available}/{wanted} available: {why}")
    return problems


def pending_helm_records(namespace: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each release of `namespace` whose newest Helm record is pending, with the command that frees it.

    `records` are the metadata of the namespace's Secrets labelled `owner=helm`."""
    by_release: dict[str, list[tuple[int, str, str]]] = {}
    for record in records:
        meta = record.get("metadata") or {}
        labels = meta.get("labels") or {}
        try:
            version = int(labels.get("version", ""))
        except ValueError:
            continue
        by_release.setdefault(labels.get("name", "?"), []).append(
            (version, str(labels.get("status", "")), str(meta.get("name", "?")))
        )
    found = []
    for release, versions in sorted(by_release.items()):
        version, status, secret = max(versions)
        if status not in PENDING_STATUSES:
            continue
        targets = [v for v, s, _ in versions if s in ROLLBACK_TARGETS and v < version]
        fix = (
            f"helm -n {namespace} rollback {release} {max(targets)}"
            if targets
            else f"kubectl -n {namespace} delete secret {secret}"
        )
        found.append(
            f"{namespace}: Helm release {release} restored {status} at revision {version}: "
            f"every upgrade is refused until freed: {fix}"
        )
    return found


class Api(Protocol):
    def get(self, path: str, metadata_only: bool = False) -> dict | None: ...


class Kubernetes:
    def __init__(self, server: str, token: str, context: ssl.SSLContext):
        self.server, self.token, self.context = server, token, context

    @classmethod
    def in_cluster(cls) -> Kubernetes:
        with open(f"{SERVICE_ACCOUNT_DIR}/token") as f:
            token = f.read().strip()
        context = ssl.create_default_context(cafile=f"{SERVICE_ACCOUNT_DIR}/ca.crt")
        host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        return cls(f"https://{host}:{port}", token, context)

    def get(self, path: str, metadata_only: bool = False) -> dict | None:
        # Metadata only: the API server returns a PartialObjectMetadataList, no Secret's data.
        accept = (
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" if metadata_only else "application/json"
        )
        request = urllib.request.Request(
            self.server + path, headers={"Accept": accept, "Authorization": f"Bearer {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise


def items(api: Api, path: str, metadata_only: bool = False) -> list[dict]:
    return list((api.get(path, metadata_only) or {}).get("items") or [])


def survey(api: Api, platform_namespace: str, listed: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """(namespaces, what keeps their deployments from running, pending Helm records)."""
    names = [(n.get("metadata") or {}).get("name", "") for n in items(api, "/api/v1/namespaces")]
    namespaces = deployment_namespaces(names, platform_namespace, listed)
    components = urllib.parse.quote(f"component in ({','.join(COMPONENTS)})")
    problems, helm = [], []
    for ns in namespaces:
        workloads = [
            w for kind in ("deployments", "statefulsets") for w in items(api, f"/apis/apps/v1/namespaces/{ns}/{kind}")
        ]
        pods = items(api, f"/api/v1/namespaces/{ns}/pods?labelSelector={components}")
        problems += deployment_problems(ns, workloads, pods)
        records = items(api, f"/api/v1/namespaces/{ns}/secrets?labelSelector=owner%3Dhelm", metadata_only=True)
        helm += pending_helm_records(ns, records)
    return namespaces, problems, helm


def main(
    env: Mapping[str, str] = os.environ,
    api: Api | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    platform_namespace = env["PLATFORM_NAMESPACE"]
    listed = [n for n in env.get("DEPLOYMENT_NAMESPACES", "").split(",") if n]
    start = clock()
    deadline = start + int(env.get("TIMEOUT_SECONDS", "1800"))
    api = api or Kubernetes.in_cluster()
    while True:
        namespaces, problems, helm = survey(api, platform_namespace, listed)
        if not problems and not helm:
            print(f"{len(namespaces)} restored deployments run: {', '.join(namespaces) or 'none'}")
            return 0
        # A restored pending record never clears by itself: no reason to wait the whole deadline.
        if clock() >= deadline or (helm and clock() >= start + HELM_GRACE_SECONDS):
            print("restored deployments not running:\n  " + "\n  ".join(problems + helm), file=sys.stderr)
            return 1
        print(f"{len(problems)} not running yet: {'; '.join(problems[:3])}{' ...' if len(problems) > 3 else ''}")
        sleep(POLL_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
