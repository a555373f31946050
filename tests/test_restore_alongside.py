"""A declared deployments restore runs alongside the platform's release (issue 24, item 5).

Only what needs the restored deployments waits for Velero's Restore: the repoint Jobs and the
deployments-ready check. Houston's upgrade hook, the one writer of the chart that would touch the
deployments while Velero restores them, is off while a restore is declared. On AWS, Velero's chart
no longer waits for what provisions volumes: only the Restore does.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.platform.values import restoring_values
from tests.conftest import committed_stack
from tests.test_database_failover import ancestors
from tests.test_restore import committed, evaluated
from tests.test_velero import RELEASE, RESTORE, from_another_stack
from tools.offline import Evaluation

JOB = "kubernetes:batch/v1:Job"
CHART_VALUES = Path(__file__).parent / "chart" / "astronomer-2.1.0" / "charts" / "astronomer" / "values.yaml"
HOOK = "astronomer.houston.upgradeDeployments.enabled"


@functools.cache
def restore_only(stack: str) -> Evaluation:
    """`cluster.restore` alone: this stack's own latest backup, onto its own database (no repoint)."""
    return evaluated(stack, cluster={**committed(stack, "cluster"), "restore": {"backup": "latest"}})


def declared(stack: str, repoint: bool) -> Evaluation:
    """A declared restore with a repointing (another stack's deployments onto a restored database) or without."""
    return from_another_stack(stack) if repoint else restore_only(stack)


def lookup(values: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(values, dict) or part not in values:
            return None
        values = values[part]
    return values


def velero_urns(evaluation: Evaluation) -> set[str]:
    return {
        r.urn
        for r in evaluation.resources
        if r.type.startswith("kubernetes:velero.io/") or r.name.startswith("velero-") or r.type.endswith("Velero")
    }


def release_of(evaluation: Evaluation):
    return evaluation.one(RELEASE, "astronomer-release")


def test_the_hook_the_program_turns_off_is_the_chart_s_upgrade_deployments_hook():
    """astronomer/astronomer v2.1.0 charts/astronomer/values.yaml:332-340 (vendored in tests/chart):
    `houston.upgradeDeployments.enabled: true` by default ("Automatically upgrade Airflow deployments
    ... This runs as a Job after helm upgrades"); the hook renders only with it
    (charts/astronomer/templates/houston/helm-hooks/houston-upgrade-deployments-job.yaml:4), as
    `helm.sh/hook: post-upgrade,post-install` (:20), and runs `yarn upgrade-deployments` (:137): a
    Helm upgrade of every deployment Houston's database lists. The umbrella chart passes a subchart
    its values under the subchart's name (`astronomer`)."""
    defaults = yaml.safe_load(CHART_VALUES.read_text())
    assert defaults["houston"]["upgradeDeployments"]["enabled"] is True
    assert lookup(restoring_values(), HOOK) is False
    assert lookup(restoring_values(), "astronomer.houston.upgradeDeployments") == {"enabled": False}


@pytest.mark.parametrize("repoint", [True, False], ids=["repoint", "no-repoint"])
@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_release_runs_alongside_a_declared_restore(stack, repoint):
    """The release waits for nothing of Velero's, and Houston's upgrade hook is off while the restore
    is declared. Why that is safe:
    - Velero restores a backup's items in its own order, namespaces first, then PVCs, Secrets,
      ConfigMaps, pods (velero v1.18.1 pkg/cmd/server/config/config.go:107-135, defaultRestorePriorities),
      and a pod's volume data only into the pod it created, through the init container its restore
      action adds (pkg/restore/restore.go:1739-1743, restorePodVolumeBackups :1895-1925); the restore
      ends only once every pod volume restore did (restore.go:674-690). A Helm upgrade of a deployment
      meanwhile (the hook: houston-upgrade-deployments-job.yaml:4,20,137) would find namespaces and
      Helm records not yet restored, or replace a pod whose volume is being restored: both off the
      table with the hook off (chart values.yaml:335-337).
    - The chart's other hooks touch only the platform's own database and namespace: Houston's
      migrations (`pre-upgrade,post-install`, houston-db-migration-job.yaml:19) and the control-plane
      refresh, rendered only with `global.controlPlaneHA.enabled` (houston-cp-refresh-job.yaml:24,39).
      The config syncer that copies Secrets into deployment namespaces is a CronJob, not a hook
      (templates/config-syncer/config-syncer-cronjob.yaml:4-8), and writes what the platform holds:
      Velero leaves an object that exists alone (Restore `existingResourcePolicy: none`).
    - Velero restores no cluster-scoped object (`includeClusterResources: false`) and the deployments
      need no CRD of the chart: its Airflow operator is off by default (values.yaml:102-110,
      `global.airflowOperator.enabled: false`), so no restored object waits for the release.
    Houston's own code is not public: what it does at startup is not established here; its hook is
    what the chart shows running against the deployments, and it is the one turned off."""
    evaluation = declared(stack, repoint)
    release = release_of(evaluation)
    restore = evaluation.one(RESTORE)
    waited = ancestors(evaluation, release.urn)
    assert restore.urn not in waited
    assert not waited & velero_urns(evaluation)
    assert lookup(release.input("values"), HOOK) is False


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_without_a_restore_the_hook_runs_as_the_chart_ships_it(stack):
    """No declared restore: the chart's default (`enabled: true`, values.yaml:337) stays, and the
    release still waits for nothing of Velero's."""
    evaluation = committed_stack(stack)
    release = release_of(evaluation)
    assert lookup(release.input("values"), "astronomer.houston.upgradeDeployments") is None
    assert not ancestors(evaluation, release.urn) & velero_urns(evaluation)
    assert evaluation.of_type(RESTORE) == []
    assert not [j for j in evaluation.of_type(JOB) if j.name.startswith(("astronomer-repoint", "deployments-ready"))]


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_repoint_waits_for_the_restore_and_the_second_run_for_the_release(stack):
    """The repoint Job rewrites the restored deployments' connection Secrets and restarts their
    workloads (components/platform/repoint_job.py): it needs them restored, and a restart during the
    restore would replace a pod whose volume Velero is still restoring (restore.go:1739-1743). So
    the first run waits for the checked Restore and no longer precedes the release (the hook that
    made that order matter is off); the second run still follows the release and its hooks (Helm
    waits for hook Jobs: helm pkg/action/hooks.go execHook) and the first run."""
    evaluation = declared(stack, repoint=True)
    release = release_of(evaluation)
    restore = evaluation.one(RESTORE)
    jobs = {j.name: j for j in evaluation.of_type(JOB) if j.name.startswith("astronomer-repoint")}
    [before] = [j for n, j in jobs.items() if not n.endswith("-after")]
    [after] = [j for n, j in jobs.items() if n.endswith("-after")]
    assert restore.urn in before.dependencies
    assert before.urn not in ancestors(evaluation, release.urn)
    assert release.urn in after.dependencies and before.urn in after.dependencies


@pytest.mark.parametrize("repoint", [True, False], ids=["repoint", "no-repoint"])
@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_deployments_ready_check_waits_for_the_restore_the_platform_and_the_repoint(stack, repoint):
    """`cluster.restore.start: true` (the default): the check that the restored deployments run
    (components/platform/deployments_ready_job.py) needs them restored (directly, no longer through
    the release), the platform up (the ready Job), and, with a repointing, its last run."""
    evaluation = declared(stack, repoint)
    [check] = [j for j in evaluation.of_type(JOB) if j.name.startswith("deployments-ready")]
    waited = ancestors(evaluation, check.urn)
    assert evaluation.one(RESTORE).urn in waited
    assert evaluation.one(JOB, "astronomer-ready").urn in waited
    repoints = {j.urn for j in evaluation.of_type(JOB) if j.name.startswith("astronomer-repoint")}
    assert (repoints <= waited and len(repoints) == 2) if repoint else not repoints


VOLUMES = (("aws:eks/addon:Addon", "astro-aws-ebs-csi"), ("kubernetes:storage.k8s.io/v1:StorageClass", None))
AUTOSCALER = (RELEASE, "astro-aws-autoscaler-release")


@pytest.mark.parametrize("restore", [True, False], ids=["restore", "no-restore"])
def test_aws_velero_waits_for_nodes_and_grants_only_the_restore_for_volumes(restore):
    """What in Velero needs the EBS CSI driver: only a file-system restore. Velero's own pods claim
    no volume (vmware-tanzu/helm-charts velero-12.1.0 charts/velero/templates/deployment.yaml:285-290
    emptyDirs, node-agent-daemonset.yaml:83-93 hostPath and emptyDir), and the program takes no
    snapshots (`snapshotsEnabled: false`). A restore re-provisions each volume that has a pod volume
    backup instead of restoring its PV (velero v1.18.1 pkg/restore/restore.go:1277-1283), its claim
    reset for dynamic provisioning (:1441-1450), which on EKS only the EBS CSI driver does through the
    program's default StorageClass (`ebs.csi.aws.com`, WaitForFirstConsumer: components/aws/cluster.py);
    the data mover needs the restored pod on a node (pkg/exposer/pod_volume.go:142-144), which it
    reaches only once its volumes are provisioned and attached. The autoscaler gives the restored
    deployments room (components/aws/cluster.py `room`): only the Restore waits for it too."""
    evaluation = restore_only("aws") if restore else committed_stack("aws")
    chart = ancestors(evaluation, evaluation.one(RELEASE, "velero-release").urn)
    volumes = [evaluation.one(*v) if v[1] else evaluation.one(v[0]) for v in VOLUMES]
    autoscaler = evaluation.one(*AUTOSCALER)
    assert not {v.urn for v in [*volumes, autoscaler]} & chart
    assert evaluation.one("aws:eks/nodeGroup:NodeGroup").urn in chart
    assert evaluation.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-backups-irsa").urn in chart
    # The platform still waits for volume provisioning: Prometheus, Elasticsearch, Alertmanager claim volumes.
    platform = ancestors(evaluation, release_of(evaluation).urn)
    assert all(v.urn in platform for v in volumes)
    if restore:
        restore_object = evaluation.one(RESTORE)
        assert {v.urn for v in [*volumes, autoscaler]} <= set(restore_object.dependencies)
    else:
        assert evaluation.of_type(RESTORE) == []


def test_gcp_velero_and_its_restore_wait_for_the_node_pool():
    """GKE provisions persistent disks through its built-in Compute Engine PD CSI driver, part of the
    cluster: nothing to move, the Restore waits for the node pool through Velero's chart."""
    evaluation = restore_only("gcp")
    pool = evaluation.one("gcp:container/nodePool:NodePool").urn
    assert pool in ancestors(evaluation, evaluation.one(RELEASE, "velero-release").urn)
    assert pool in ancestors(evaluation, evaluation.one(RESTORE).urn)
