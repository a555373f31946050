"""Velero's node agent sized for a restore (issue 24, item 7): how many pod volumes each node
restores at once, and the resources of the data-mover pod each one runs in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.platform import velero_chart
from components.platform.velero_chart import (
    DATA_MOVER_RESOURCES,
    NODE_AGENT_CONFIG_KEY,
    NODE_AGENT_LOAD_CONCURRENCY,
    VELERO_RELEASE_NAME,
    node_agent_config,
    node_agent_config_map,
    restore_spec,
    velero_values,
)
from tests.conftest import committed_stack
from tests.test_velero import CHART_DIR, FACTS, GCS, RELEASE, S3, crd

PROJECT = Path(__file__).parent.parent
NODE_AGENT_FACTS = json.loads((FACTS / "node-agent-config-v1.18.1.json").read_text())

# vCPUs and memory (GiB) of the node types the shipped stacks run: e2-standard-8 (8 vCPUs, 32 GB:
# https://cloud.google.com/compute/docs/general-purpose-machines#e2-standard), m6i.2xlarge
# (8 vCPUs, 32 GiB: https://aws.amazon.com/ec2/instance-types/m6i/).
SHIPPED_NODES = {"e2-standard-8": (8, 32), "m6i.2xlarge": (8, 32)}


def cpus(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def gib(quantity: str) -> float:
    units = {"Mi": 1 / 1024, "Gi": 1.0}
    return float(quantity[:-2]) * units[quantity[-2:]]


@pytest.mark.parametrize("storage", [GCS, S3], ids=["gcp", "aws"])
def test_the_node_agent_reads_its_configmap_from_the_chart(storage):
    """velero-12.1.0 renders each `configMaps` entry as ConfigMap `<fullname>-<key>` in the release's
    namespace (templates/configmaps.yaml:1-17); fullname is the release name when it contains the
    chart's name (templates/_helpers.tpl:14-25: `velero`). `nodeAgent.extraArgs` is appended to the
    node agent's arguments (templates/node-agent-daemonset.yaml:112-133), which takes the ConfigMap's
    name in `--node-agent-configmap` (velero v1.18.1 pkg/cmd/cli/nodeagent/server.go:125), reads it
    once, at startup, and fails to start without it (server.go:260-262, 650-663): Helm creates
    ConfigMaps before DaemonSets (helm v3.21.4 pkg/releaseutil/kind_sorter.go:31-56, InstallOrder).
    The ConfigMap holds one key, its JSON (pkg/nodeagent/node_agent.go:139-165)."""
    values = velero_values(storage)
    [(key, entry)] = values["configMaps"].items()
    assert values["nodeAgent"] == {"extraArgs": [f"--node-agent-configmap={VELERO_RELEASE_NAME}-{key}"]}
    assert list(entry) == ["data"] and list(entry["data"]) == [NODE_AGENT_CONFIG_KEY]
    assert json.loads(entry["data"][NODE_AGENT_CONFIG_KEY]) == node_agent_config()
    defaults = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    assert defaults["configMaps"] == {} and defaults["nodeAgent"]["extraArgs"] == []


def test_every_key_is_one_velero_reads():
    """Velero decodes the ConfigMap with encoding/json, which drops unknown keys silently: each key
    written is a json tag of v1.18.1's NodeAgentConfigs, LoadConcurrency or PodResources
    (tests/velero/node-agent-config-v1.18.1.json, pkg/types/node_agent.go:25-34, 77-107,
    pkg/util/kube/pod.go:43-50)."""
    config = node_agent_config()
    assert set(config) <= set(NODE_AGENT_FACTS["NodeAgentConfigs"])
    assert set(config["loadConcurrency"]) <= set(NODE_AGENT_FACTS["LoadConcurrency"])
    assert set(config["podResources"]) <= set(NODE_AGENT_FACTS["PodResources"])
    assert isinstance(config["loadConcurrency"]["globalConfig"], int)


def test_each_node_restores_four_volumes_at_once_instead_of_one():
    """Without the ConfigMap each node agent runs one data path at a time (server.go:80
    `defaultDataPathConcurrentNum = 1`, :268, :684-700; pkg/datapath/manager.go:66-71), and every
    other PodVolumeRestore of the node waits, requeued every 5 s
    (pkg/controller/pod_volume_restore_controller.go:326-331): a node holding many deployments'
    volumes restores them one after another. `globalConfig` applies to every node and must be at
    least 1 (docs v1.18 supported-configmaps/node-agent-configmap.md:61-106; server.go:692-697)."""
    assert node_agent_config()["loadConcurrency"] == {"globalConfig": NODE_AGENT_LOAD_CONCURRENCY}
    assert NODE_AGENT_LOAD_CONCURRENCY == 4


def test_data_mover_pods_fit_beside_the_platform_on_the_shipped_nodes():
    """Each volume restore runs in a data-mover pod on the node of the pod it restores into (v1.18.1
    pkg/exposer/pod_volume.go:187-201), bound there by `NodeName` (:531) without the scheduler, so
    the kubelet refuses it if the node cannot fit its requests: requests stay small. Without
    `podResources` it is BestEffort (node-agent-configmap.md:250), the first evicted on a busy node.
    Requests never exceed limits (Velero ignores the whole section otherwise, :249-251). Limits: the
    concurrent pods use at most the node's vCPUs; each may use 4 GiB, over the 2.2 GB Kopia peaked at
    with 4 million files (docs v1.18 performance-guidance.md:88-95; 1 GiB was an OOM at 2 million,
    :125-132), and Kopia used at most 1.4 CPUs with 4 cores (:148-155). The shipped stacks' node types
    are the ones sized for."""
    resources = DATA_MOVER_RESOURCES
    assert cpus(resources["cpuRequest"]) <= cpus(resources["cpuLimit"])
    assert gib(resources["memoryRequest"]) <= gib(resources["memoryLimit"])
    assert gib(resources["memoryLimit"]) > 2.2 and cpus(resources["cpuLimit"]) >= 1.4
    gcp = yaml.safe_load((PROJECT / "Pulumi.gcp.yaml").read_text())["config"]["astronomer-dr:cluster"]
    aws = yaml.safe_load((PROJECT / "Pulumi.aws.yaml").read_text())["config"]["astronomer-dr:cluster"]
    for node in (gcp["machineType"], *aws["instanceTypes"]):
        vcpus, memory = SHIPPED_NODES[node]
        load = NODE_AGENT_LOAD_CONCURRENCY
        assert load * cpus(resources["cpuLimit"]) <= vcpus
        assert load * gib(resources["memoryLimit"]) <= memory / 2
        # What the restore reserves on a node: an eighth of its CPUs, a sixteenth of its memory.
        assert load * cpus(resources["cpuRequest"]) <= vcpus / 8
        assert load * gib(resources["memoryRequest"]) <= memory / 16


def test_a_changed_configuration_restarts_the_node_agent(monkeypatch):
    """The node agent reads its ConfigMap only at startup (docs v1.18 node-agent-concurrency.md:11-12):
    the name carries the content's hash, so another content is another `--node-agent-configmap`
    argument, a new pod template, and the DaemonSet rolls its pods."""
    key, _ = node_agent_config_map()
    assert key == node_agent_config_map()[0] and key.startswith("node-agent-")
    monkeypatch.setattr(velero_chart, "NODE_AGENT_LOAD_CONCURRENCY", NODE_AGENT_LOAD_CONCURRENCY + 1)
    assert node_agent_config_map()[0] != key


def test_the_restore_leaves_kopia_s_parallel_downloads_to_the_node_s_size():
    """v1.18.1's Restore has `uploaderConfig.parallelFilesDownload` and `writeSparseFiles`
    (config/crd/v1/bases/velero.io_restores.yaml:441-454). Kopia downloads `runtime.NumCPU()` files at
    once unless `parallelFilesDownload` says otherwise (pkg/uploader/kopia/snapshot.go:423-440): the
    node's CPUs, which already follows the node type; a fixed number would not. Sparse writes save
    disk on files with holes, which DAG and log volumes do not hold; off, as Velero's default."""
    schema = crd("Restore")["openAPIV3Schema"]["properties"]["spec"]["properties"]["uploaderConfig"]
    assert set(schema["properties"]) == {"parallelFilesDownload", "writeSparseFiles"}
    assert "uploaderConfig" not in restore_spec("astronomer-deployments-20261120093000", "astronomer")


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_both_clouds_run_the_node_agent_sized_for_the_restore(stack):
    values = committed_stack(stack).one(RELEASE, "velero-release").input("values")
    key, entry = node_agent_config_map()
    assert values["configMaps"] == {key: entry}
    assert values["nodeAgent"]["extraArgs"] == [f"--node-agent-configmap=velero-{key}"]
    assert values["deployNodeAgent"] is True
