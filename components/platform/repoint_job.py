"""Points the Airflow deployments Houston created at a restored database. Runs once per restore.

After a restore the platform's own pods follow the `astronomer-bootstrap` Secret (the program rolls
them), but each Airflow deployment keeps its connection in Secrets of its own namespace, which
Houston wrote with the old database host: `<release>-pgbouncer-config` (pgbouncer.ini, per
Astronomer's disaster-recovery guide) and, when a deployment connects without PgBouncer, its
`<release>-metadata` / `<release>-airflow-metadata` and `-result-backend` connection Secrets.

This script rewrites the old host(s) to the new one in exactly those Secrets, in the namespaces of
this platform's deployments: named `<platform namespace>-<release>` as Houston names them, or listed
in `platform.deploymentNamespaces` (namespace pools). A label is never enough: anyone allowed to
label a namespace could set it and have this Job rewrite and restart what runs there. Namespaces
that carry the platform's label (`global.namespaceLabels`) but are neither named nor listed are
reported, not touched. It then restarts the Deployments and StatefulSets of each namespace it changed (Redis excepted: it
holds only in-flight Celery messages). A second run finds nothing left to rewrite and restarts
nothing, so it is safe to repeat.

It runs in the cluster as a Kubernetes Job (image python, standard library only), authenticated as
its ServiceAccount; or by hand from a workstation through `kubectl proxy` (set KUBE_API, see
docs/RUNBOOK.md). The functions above `Kubernetes` are pure and unit-tested.
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
import sys
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

# Secrets of an Airflow deployment that hold its database host.
SECRET_SUFFIXES = ("-pgbouncer-config", "-metadata", "-result-backend")
# Workloads never restarted: Redis holds only in-flight Celery messages.
SKIP_WORKLOAD_SUFFIXES = ("-redis",)
RESTART_ANNOTATION = "astronomer-dr/restarted-for"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def host_pattern(host: str) -> re.Pattern[str]:
    """`host` as a whole host name or address: 10.0.0.3 never matches inside 10.0.0.31 or x10.0.0.3."""
    return re.compile(r"(?<![\w.-])" + re.escape(host) + r"(?![\w-]|\.\w)")


def rewrite(text: str, old_hosts: Iterable[str], new_host: str) -> str:
    for old in old_hosts:
        if old and old != new_host:
            text = host_pattern(old).sub(new_host, text)
    return text


def rewrite_secret_data(data: Mapping[str, str], old_hosts: Iterable[str], new_host: str) -> dict[str, str]:
    """The base64 values of `data` (a Secret's `data`) that change, re-encoded; {} when none does."""
    old_hosts = list(old_hosts)
    changed = {}
    for key, encoded in data.items():
        try:
            text = base64.b64decode(encoded).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue  # binary data: never a connection string
        new_text = rewrite(text, old_hosts, new_host)
        if new_text != text:
            changed[key] = base64.b64encode(new_text.encode("utf-8")).decode("ascii")
    return changed


def is_connection_secret(name: str) -> bool:
    return name.endswith(SECRET_SUFFIXES)


def deployment_namespaces(
    namespaces: Iterable[Mapping[str, Any]], platform_namespace: str, label_key: str, listed: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """(namespaces of this platform's Airflow deployments, labelled namespaces left alone).

    Selected: named `<platform namespace>-...` (Houston's naming; a namespace cannot be renamed,
    and creating one is a cluster-level right) or listed explicitly. Never on a label alone."""
    listed = set(listed)
    found, labelled_only = [], []
    for namespace in namespaces:
        metadata = namespace.get("metadata") or {}
        name = metadata.get("name", "")
        labels = metadata.get("labels") or {}
        if name.startswith(f"{platform_namespace}-") or name in listed:
            found.append(name)
        elif labels.get(label_key) == platform_namespace:
            labelled_only.append(name)
    return sorted(found), sorted(labelled_only)


def restart_patch(label: str) -> dict[str, Any]:
    """A pod-template annotation naming the restore: a second run patches the same value, no restart."""
    return {"spec": {"template": {"metadata": {"annotations": {RESTART_ANNOTATION: label}}}}}


def restartable(name: str) -> bool:
    return not name.endswith(SKIP_WORKLOAD_SUFFIXES)


class Api(Protocol):
    """The two calls `main` makes: list a collection's items, PATCH an object."""

    def items(self, path: str) -> list[dict]: ...

    def request(self, method: str, path: str, body: dict) -> dict: ...


class Kubernetes:
    """The few API calls the Job makes, as its ServiceAccount."""

    def __init__(self, server: str, token: str, context: ssl.SSLContext):
        self.server, self.token, self.context = server, token, context

    @classmethod
    def in_cluster(cls) -> Kubernetes:
        with open(f"{SERVICE_ACCOUNT_DIR}/token") as f:
            token = f.read().strip()
        context = ssl.create_default_context(cafile=f"{SERVICE_ACCOUNT_DIR}/ca.crt")
        host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        return cls(f"https://{host}:{port}", token, context)

    @classmethod
    def through_proxy(cls, url: str) -> Kubernetes:
        """From a workstation: `kubectl proxy` (KUBE_API=http://127.0.0.1:8001) carries your credentials."""
        return cls(url.rstrip("/"), "", ssl.create_default_context())

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/merge-patch+json"
        request = urllib.request.Request(self.server + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def items(self, path: str) -> list[dict]:
        return self.request("GET", path).get("items") or []


def main(env: Mapping[str, str] = os.environ, api: Api | None = None) -> int:
    new_host = env["NEW_HOST"]
    old_hosts = [h for h in env.get("OLD_HOSTS", "").split(",") if h and h != new_host]
    platform_namespace, label_key, label = env["PLATFORM_NAMESPACE"], env["NAMESPACE_LABEL"], env["RESTORE_LABEL"]
    if not old_hosts:
        print("no previous database host to replace")
        return 0
    api = api or (Kubernetes.through_proxy(env["KUBE_API"]) if env.get("KUBE_API") else Kubernetes.in_cluster())
    listed = [n for n in env.get("DEPLOYMENT_NAMESPACES", "").split(",") if n]
    namespaces, labelled_only = deployment_namespaces(
        api.items("/api/v1/namespaces"), platform_namespace, label_key, listed
    )
    for name in labelled_only:
        print(
            f"{name}: labelled for this platform but neither named {platform_namespace}-* nor in platform.deploymentNamespaces; not touched"
        )
    print(
        f"restore {label}: {len(old_hosts)} previous host(s) -> {new_host}; deployment namespaces: {namespaces or 'none'}"
    )
    for namespace in namespaces:
        rewritten = []
        for secret in api.items(f"/api/v1/namespaces/{namespace}/secrets"):
            name = secret["metadata"]["name"]
            if not is_connection_secret(name):
                continue
            patch = rewrite_secret_data(secret.get("data") or {}, old_hosts, new_host)
            if patch:
                api.request("PATCH", f"/api/v1/namespaces/{namespace}/secrets/{name}", {"data": patch})
                rewritten.append(name)
        if not rewritten:
            print(f"{namespace}: nothing points at a previous host")
            continue
        restarted = []
        for kind in ("deployments", "statefulsets"):
            for workload in api.items(f"/apis/apps/v1/namespaces/{namespace}/{kind}"):
                name = workload["metadata"]["name"]
                if restartable(name):
                    api.request("PATCH", f"/apis/apps/v1/namespaces/{namespace}/{kind}/{name}", restart_patch(label))
                    restarted.append(f"{kind}/{name}")
        print(f"{namespace}: rewrote {', '.join(rewritten)}; restarted {', '.join(restarted) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
