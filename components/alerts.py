"""The DR posture watched: the cloud's alerts for this stack, and the platform values that go with them.

`dr_alerts` declares, when `astronomer-dr:alerts` is set, the cloud's alert component on what this
stack holds (components/aws/alerts.py, components/gcp/alerts.py) and returns the values the
Astronomer release takes (components/platform/alerts.py: Velero scraped, its rules, and on AWS the
receiver). Without the key nothing is declared: `load_settings` has warned once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from .config import StackSettings
from .platform.alerts import Deployments, alerting_values


@dataclass
class DrAlerts:
    # Values for the Astronomer release (None: no platform values to add).
    values: pulumi.Output[dict[str, Any]] | None
    # What the alerts watch (for outputs and the plan).
    watched: list[str] = field(default_factory=list)


def dr_alerts(
    settings: StackSettings,
    foundation: Any,
    velero_runs: bool,
    velero_dependencies: Sequence[pulumi.Resource] = (),
    # A warm standby's Velero before promotion (no Schedule): on GCP its read-only location is watched.
    velero_prestaged: bool = False,
) -> DrAlerts:
    schedule = settings.backups.schedule if settings.backups is not None and velero_runs else None
    if settings.alerts is None:
        return DrAlerts(values=None)
    outputs = foundation.outputs
    # A standby before promotion: its database is the primary's replica.
    replica = outputs.get("database_instance") if "replica_of" in outputs else None
    backed_up = [] if replica is not None else [outputs["database_instance"]]
    name = f"{settings.name_prefix}-alerts"
    deployments = Deployments.of(settings.platform)
    if settings.cloud == "aws":
        from .aws.alerts import AlertmanagerIdentity, AwsAlerts, AwsAlertsArgs, RegistryReplication
        from .aws.registry import replication_rule_id

        aws = settings.require_aws()
        replication = None
        if settings.standby is None and aws.registry.replica_region and "registry_replica_bucket" in outputs:
            replication = RegistryReplication(
                source_bucket=outputs["registry_bucket"],
                replica_bucket=outputs["registry_replica_bucket"],
                rule_id=replication_rule_id(aws.registry.replica_region),
            )
        oidc = getattr(foundation, "oidc", None)
        alerts = AwsAlerts(
            name,
            AwsAlertsArgs(
                settings.alerts,
                region=aws.region,
                database_instances=[replica] if replica is not None else backed_up,
                replica_instance=replica,
                registry_replication=replication,
                alertmanager=AlertmanagerIdentity(
                    oidc[0], oidc[1], settings.platform.namespace, settings.platform.release_name
                )
                if oidc is not None and schedule is not None
                else None,
            ),
        )
        receiver = alerts.receiver
        values = (
            receiver.apply(lambda r: alerting_values(schedule, deployments, r))
            if receiver is not None
            else pulumi.Output.from_input(alerting_values(schedule, deployments, None))
        )
        return DrAlerts(values=values, watched=alerts.watched)

    from .gcp.alerts import MANAGED_COLLECTOR_NAMESPACES, GcpAlerts, GcpAlertsArgs

    gcp = settings.require_gcp()
    alerts_gcp = GcpAlerts(
        name,
        GcpAlertsArgs(
            settings.alerts,
            project=gcp.project,
            backup_instances=backed_up,
            replica_instance=replica,
            velero_schedule=schedule,
            deployments=deployments,
            velero_prestaged=velero_prestaged,
            kubernetes_provider=getattr(foundation, "kubernetes_provider", None),
            cluster_name=outputs.get("cluster_name", ""),
            depends_on=list(velero_dependencies),
        ),
    )
    # Managed collection scrapes kube-state-metrics from its own namespace, through the chart's NetworkPolicies.
    values = pulumi.Output.from_input(alerting_values(schedule, deployments, None, MANAGED_COLLECTOR_NAMESPACES))
    return DrAlerts(values=values, watched=alerts_gcp.watched)
