"""DR summary rows of the cluster and the database the platform uses: what was asked for beside
what the program creates (the version a release channel or EKS chose; after a declared restore,
which instance serves the platform)."""

from __future__ import annotations

import json

from tools.offline.context import is_engine_generated
from tools.plan.summary.rows import fmt_value, summary_row

ORIGINAL_LABEL = "original"  # components/config/restores.py: the instance no restore created


def _asked_version(evaluation) -> str | None:
    try:
        cluster = json.loads(evaluation.config.get("astronomer-dr:cluster") or "{}")
    except ValueError:
        return None
    version = cluster.get("kubernetesVersion") if isinstance(cluster, dict) else None
    return str(version) if version is not None else None


def kubernetes_rows(evaluation) -> list[dict[str, str]]:
    """GKE: `cluster.kubernetesVersion` is the oldest minor accepted and the release channel picks
    the version created (components/gcp/versions.py); EKS: the version asked is created, on the
    support EKS reported for it (components/aws/versions.py)."""
    asked = _asked_version(evaluation)
    asked_text = f"`{asked}` asked (`cluster.kubernetesVersion`)" if asked else "no version asked"
    rows = []
    for r in evaluation.of_type("gcp:container/cluster:Cluster"):
        created = r.input("minMasterVersion")
        channel = r.input("releaseChannel.channel")
        chosen = f"`{fmt_value(created)}` created" if created else "the channel's default created"
        rows.append(
            summary_row(
                "Kubernetes version",
                f"{asked_text}; {chosen}" + (f" (release channel `{channel}`)" if channel else ""),
                r,
                "minMasterVersion",
                "releaseChannel.channel",
            )
        )
    for r in evaluation.of_type("aws:eks/cluster:Cluster"):
        extended = any("is in extended support" in w for w in evaluation.warnings)
        rows.append(
            summary_row(
                "Kubernetes version",
                f"{asked_text}; `{fmt_value(r.input('version'))}` created, in EKS "
                + ("extended support (the extended-support rate) ⚠️" if extended else "standard support")
                + f"; upgrade policy `{fmt_value(r.input('upgradePolicy.supportType'))}`",
                r,
                "version",
                "upgradePolicy.supportType",
            )
        )
    return rows


def platform_database_rows(evaluation) -> list[dict[str, str]]:
    """With a restore declared the stack holds more than one instance: the one the platform uses is
    the stack's `database_label` output. Named by the resource the user declared (the physical name
    of a Cloud SQL instance is Pulumi's auto-name, known only once the stack is up)."""
    instances = [
        r for r in evaluation.of_type("gcp:sql/databaseInstance:DatabaseInstance") if not r.input("masterInstanceName")
    ] + [r for r in evaluation.of_type("aws:rds/instance:Instance") if not r.input("replicateSourceDb")]
    label = evaluation.outputs.get("database_label")
    if len(instances) < 2 or not isinstance(label, str):
        return []
    others = {k for k in (evaluation.outputs.get("database_instances") or {}) if k != ORIGINAL_LABEL}
    if label == ORIGINAL_LABEL:
        used = [r for r in instances if not any(r.name.endswith(f"-{o}") for o in others)]
    else:
        used = [r for r in instances if r.name.endswith(f"-{label}")]
    if len(used) != 1:
        return []
    kept = ", ".join(f"`{r.name}`" for r in instances if r is not used[0])
    physical = used[0].input("name") or used[0].input("identifier")
    name = f"`{used[0].name}`" + (
        f" (`{physical}`)" if physical and not is_engine_generated(physical) and physical != used[0].name else ""
    )
    what = "the original instance" if label == ORIGINAL_LABEL else f"the restored instance (label `{label}`)"
    return [
        {
            "property": "Platform database",
            "value": f"{what} {name}; also kept: {kept}",
            "source": "output `database_label`",
        }
    ]
