"""Whether EKS still offers the configured Kubernetes version, and on which support.

EKS keeps a minor version in standard support for 14 months after its release, then in extended
support (at a higher price per cluster hour) for 12 more, then no longer creates clusters at it
(https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html). The cluster's upgrade
policy says what happens at the end of standard support: `EXTENDED` (the API's default) keeps the
version, `STANDARD` lets EKS upgrade the control plane itself
(https://docs.aws.amazon.com/eks/latest/userguide/view-upgrade-policy.html). The program pins
`EXTENDED`: an upgrade EKS makes on its own happens outside Pulumi's state and can take the
cluster past the versions chart 2.1.0 supports. A version in extended support is still created,
with a warning (cost, end date); one EKS no longer offers is refused before anything is declared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..schema import ConfigError

VERSION_KEY = "astronomer-dr:cluster.kubernetesVersion"
STANDARD_SUPPORT = "STANDARD_SUPPORT"
EXTENDED_SUPPORT = "EXTENDED_SUPPORT"
# The cluster's `upgrade_policy.support_type`.
UPGRADE_POLICY = "EXTENDED"


@dataclass(frozen=True)
class EksVersion:
    """One entry of `aws.eks.get_cluster_versions` (DescribeClusterVersions)."""

    version: str
    status: str
    end_of_standard_support: str = ""
    end_of_extended_support: str = ""


@dataclass(frozen=True)
class EksVersionDecision:
    version: str
    support_type: str
    # Set when the version is in extended support: what to tell whoever runs `pulumi up`.
    warning: str | None = None


def check_eks_version(requested: str, offered: Iterable[EksVersion]) -> EksVersionDecision:
    by_version = {v.version: v for v in offered}
    found = by_version.get(requested)
    supported = sorted(
        (v.version for v in by_version.values() if v.status in (STANDARD_SUPPORT, EXTENDED_SUPPORT)),
        key=lambda v: tuple(int(p) for p in v.split(".")),
    )
    if found is None or found.status not in (STANDARD_SUPPORT, EXTENDED_SUPPORT):
        status = "not offered" if found is None else f"{found.status.lower().replace('_', ' ')}"
        raise ConfigError(
            [
                f"{VERSION_KEY}: EKS no longer creates clusters at {requested} ({status}); it offers {', '.join(supported)} "
                f"(the chart supports 1.31-1.35)"
            ]
        )
    warning = None
    if found.status == EXTENDED_SUPPORT:
        standard = [v for v in supported if by_version[v].status == STANDARD_SUPPORT]
        warning = (
            f"EKS {requested} is in extended support (standard support ended {found.end_of_standard_support or 'already'}; "
            f"extended support ends {found.end_of_extended_support or 'within a year'}): the cluster costs the "
            f"extended-support rate. Versions in standard support: {', '.join(standard) or 'none'}."
        )
    return EksVersionDecision(version=requested, support_type=UPGRADE_POLICY, warning=warning)


def resolve_eks_version(requested: str) -> EksVersionDecision:
    """Asks EKS (synchronously, so a refusal comes before any resource is declared)."""
    import pulumi
    from pulumi_aws import eks

    result = eks.get_cluster_versions(cluster_type="eks", include_all=True)
    decision = check_eks_version(
        requested,
        (
            EksVersion(
                v.cluster_version, v.version_status, v.end_of_standard_support_date, v.end_of_extended_support_date
            )
            for v in result.cluster_versions
        ),
    )
    if decision.warning:
        pulumi.log.warn(decision.warning)
    return decision


# cluster-autoscaler simulates kube-scheduler with the scheduler code of its own minor, so it runs
# the release of the cluster's Kubernetes minor, the newest one ("we recommend that users always
# use the _latest_ Cluster Autoscaler release that corresponds to the minor version of Kubernetes
# that their cluster is running": kubernetes/autoscaler cluster-autoscaler/README.md, "Releases").
# One entry per minor the config accepts (schema.SUPPORTED_KUBERNETES_MINORS); the tags are
# kubernetes/autoscaler's release tags (tests/autoscaler/releases.txt).
CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"
CLUSTER_AUTOSCALER_RELEASES = {
    "1.31": "1.31.5",
    "1.32": "1.32.7",
    "1.33": "1.33.6",
    "1.34": "1.34.5",
    "1.35": "1.35.2",
}


def cluster_autoscaler_tag(kubernetes_version: str) -> str:
    """The image tag of the cluster-autoscaler release for a cluster at `kubernetes_version`
    (major.minor, as EKS takes it; config refuses a minor outside CLUSTER_AUTOSCALER_RELEASES)."""
    minor = ".".join(kubernetes_version.split(".")[:2])
    return f"v{CLUSTER_AUTOSCALER_RELEASES[minor]}"
