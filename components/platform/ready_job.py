"""Waits until the Astronomer platform is really up: every workload of the release rolled out and
NGINX's load balancer has an address. Runs as a Job after each install or upgrade of the release.

Why a Job: the release is installed the way Astronomer's own CI installs it (bin/helm-install.py at
v2.1.0: `helm install` without `--wait`, then a loop until every pod in the namespace is Running or
Succeeded, failed Job pods ignored). With `--wait` (which `--atomic` forces, helm
pkg/action/install.go: `i.Wait = i.Wait || i.Atomic`) Helm runs the `post-install` hooks only after
every resource is ready, and Houston's database migrations are a `post-install` hook
(charts/astronomer/templates/houston/helm-hooks/houston-db-migration-job.yaml:19): an install whose
readiness needs the migrated schema would wait out its timeout and roll back. Without `--wait` Helm
still waits for every hook Job to complete (helm pkg/action/hooks.go, execHook:
`KubeClient.WatchUntilReady(resources, timeout)` after creating each hook), so a failed migration
still fails the release. Pulumi waits for this Job to complete, so `pulumi up` still ends only when
the platform serves.

Image python, standard library only, authenticated as its ServiceAccount (a Role in the platform's
namespace: read workloads and Services). The functions above `main` are pure and unit-tested.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
WORKLOAD_KINDS = ("deployments", "statefulsets", "daemonsets")
POLL_SECONDS = 10


def workload_pending(kind: str, workload: Mapping[str, Any]) -> str | None:
    """Why a workload has not finished rolling out (as `kubectl rollout status` judges it), or None."""
    metadata, spec, status = workload.get("metadata") or {}, workload.get("spec") or {}, workload.get("status") or {}
    name = f"{kind}/{metadata.get('name', '?')}"
    if status.get("observedGeneration", 0) < metadata.get("generation", 0):
        return f"{name}: spec not yet observed"
    if kind == "daemonsets":
        want = status.get("desiredNumberScheduled", 0)
        updated, ready = status.get("updatedNumberScheduled", 0), status.get("numberAvailable", 0)
    else:
        want = spec.get("replicas", 1)
        updated = status.get("updatedReplicas", 0)
        ready = status.get("availableReplicas" if kind == "deployments" else "readyReplicas", 0)
    if updated < want or ready < want:
        return f"{name}: {ready}/{want} ready, {updated}/{want} updated"
    if (
        kind == "statefulsets"
        and status.get("currentRevision") != status.get("updateRevision")
        and status.get("updateRevision")
    ):
        return f"{name}: update to {status.get('updateRevision')} in progress"
    return None


def service_pending(service: Mapping[str, Any] | None, name: str) -> str | None:
    """A LoadBalancer Service is up once the cloud has given it an address (IP or hostname)."""
    if service is None:
        return f"service/{name}: not found"
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if not any(i.get("ip") or i.get("hostname") for i in ingress):
        return f"service/{name}: no load balancer address yet"
    return None


def pending(
    workloads: Iterable[tuple[str, Mapping[str, Any]]], service: Mapping[str, Any] | None, service_name: str
) -> list[str]:
    found = [p for kind, w in workloads if (p := workload_pending(kind, w))]
    lb = service_pending(service, service_name)
    return found + ([lb] if lb else [])


class Api(Protocol):
    """The one call `main` makes: GET a path, None when it is not found."""

    def get(self, path: str) -> dict | None: ...


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

    def get(self, path: str) -> dict | None:
        request = urllib.request.Request(
            self.server + path, headers={"Accept": "application/json", "Authorization": f"Bearer {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise


def main(
    env: Mapping[str, str] = os.environ,
    api: Api | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    namespace, service_name = env["NAMESPACE"], env["NGINX_SERVICE"]
    deadline = clock() + int(env.get("TIMEOUT_SECONDS", "1500"))
    api = api or Kubernetes.in_cluster()
    print(f"waiting for the platform in {namespace} (revision {env.get('RELEASE_REVISION', '?')})")
    while True:
        workloads = [
            (kind, w)
            for kind in WORKLOAD_KINDS
            for w in ((api.get(f"/apis/apps/v1/namespaces/{namespace}/{kind}") or {}).get("items") or [])
        ]
        service = api.get(f"/api/v1/namespaces/{namespace}/services/{service_name}")
        left = pending(workloads, service, service_name)
        if not left:
            print(f"platform up: {len(workloads)} workloads rolled out, {service_name} has its address")
            return 0
        if clock() >= deadline:
            print("timed out; still waiting for:\n  " + "\n  ".join(left), file=sys.stderr)
            return 1
        print(f"{len(left)} not ready: {', '.join(left[:5])}{' ...' if len(left) > 5 else ''}")
        sleep(POLL_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
