"""astronomer-dr: rebuild an Astronomer Software platform with `pulumi up`.

Wiring only: read settings, build the cloud's foundation, build the platform on it, export.
"""

import dataclasses

import pulumi

from components.alerts import dr_alerts
from components.config import load_settings
from components.platform.component import AstronomerPlatform, PlatformArgs

settings = load_settings()

# Each cloud's SDK is imported by its own stack only: importing both would double evaluation time.
if settings.standby is not None:
    # A standby in a second region: the primary's replica; the platform only once promoted.
    from components.standby import standby_foundation

    foundation = standby_foundation(settings)
elif settings.cloud == "aws":
    from components.aws.foundation import AwsFoundation, AwsFoundationArgs

    foundation = AwsFoundation(
        settings.name_prefix,
        AwsFoundationArgs(
            settings.require_aws(), settings.platform, settings.backups, settings.adopted.database_password
        ),
    )
else:
    from components.gcp.foundation import GcpFoundation, GcpFoundationArgs

    foundation = GcpFoundation(
        settings.name_prefix,
        GcpFoundationArgs(
            settings.require_gcp(), settings.platform, settings.backups, settings.adopted.database_password
        ),
    )

# Velero backs up the Airflow deployments; a declared restore brings them back alongside the platform.
velero = None
# A warm standby runs Velero before promotion with its primary's bucket alone, read-only (no bucket,
# location or Schedule of its own until promoted); a cold one gets Velero with promotion.
if settings.backups is not None and foundation.backup_storage is not None:
    from components.platform.velero import Velero, VeleroArgs

    # How a declared restore reads the bucket it restores from (the cloud's storage invokes).
    if settings.cloud == "aws":
        from components.aws.backups import S3_BACKUPS as backup_reader
    else:
        from components.gcp.backups import GCS_BACKUPS as backup_reader

    velero = Velero(
        "velero",
        VeleroArgs(
            settings=settings.backups,
            platform=settings.platform,
            storage=foundation.backup_storage,
            kubernetes_provider=foundation.kubernetes_provider,
            reader=backup_reader,
            depends_on=foundation.backup_dependencies,
            # AWS: the EBS CSI add-on, its StorageClass and the autoscaler, which only the Restore needs.
            restore_depends_on=getattr(foundation, "restore_dependencies", []),
            source=getattr(foundation, "backup_source", None),
            own_location=getattr(foundation, "backup_own_location", True),
            identity=getattr(foundation, "backup_identity", None),
            location_depends_on=getattr(foundation, "backup_location_dependencies", []),
        ),
    )
    if velero.restore_backup is not None:
        # What `cluster.restored.backup` records once the restore completed.
        pulumi.export("deployments_restore_backup", velero.restore_backup)
    if velero.restored is not None:
        # When the record of a completed restore (cluster.restored) can go.
        pulumi.export("deployments_restored", velero.restored)

# Deployments restored from another stack's backups still point at that stack's database: the
# repoint Job rewrites the hosts `cluster.restore.previousDatabaseHosts` names, too.
declares_platform = getattr(foundation, "declares_platform", True)
database = foundation.database if declares_platform else None
if database is not None and settings.backups is not None and settings.backups.previous_database_hosts:
    # A repointing to carry out while that restore is declared: the Job and its grant exist only then.
    # Whether or not a database restore is declared: deployments of another stack restored onto this
    # stack's own database still name that stack's host (the Job is then named after those hosts).
    database = dataclasses.replace(
        database,
        previous_hosts=[*database.previous_hosts, *settings.backups.previous_database_hosts],
        restoring=True,
        repoint_hosts=settings.backups.previous_database_hosts,
    )

# The DR posture watched (docs/MONITORING.md): every alert to `astronomer-dr:alerts`.
alerts = dr_alerts(
    settings,
    foundation,
    # Velero's rules watch its Schedule: none on a standby before promotion.
    velero_runs=velero is not None and velero.schedule is not None,
    velero_dependencies=[velero] if velero else [],
    velero_prestaged=velero is not None and velero.schedule is None,
)

platform = (
    None
    if database is None
    else AstronomerPlatform(
        "astronomer",
        PlatformArgs(
            settings=settings.platform,
            tls=settings.tls,
            kubernetes_provider=foundation.kubernetes_provider,
            database=database,
            registry_storage=foundation.registry_storage,
            load_balancer=foundation.load_balancer,
            depends_on=foundation.platform_dependencies,
            # Waited for by the repoint Jobs only: the release runs alongside the restore.
            restored_deployments=velero.restore_completed if velero else [],
            alerting=alerts.values,
            adopted=settings.adopted,
        ),
    )
)

# A restore with `cluster.restore.start: true` is done when the restored deployments run.
if (
    platform is not None
    and velero is not None
    and velero.restore_name
    and settings.backups is not None
    and settings.backups.restore_start
):
    from components.platform.deployments_ready import DeploymentsReady, DeploymentsReadyArgs

    DeploymentsReady(
        "deployments-ready",
        DeploymentsReadyArgs(
            platform=settings.platform,
            restore_name=velero.restore_name,
            kubernetes_provider=foundation.kubernetes_provider,
            depends_on=[
                platform.ready,
                *([platform.repoint_after] if platform.repoint_after else []),
                *velero.restore_completed,
            ],
        ),
    )

if platform is not None:
    pulumi.export("platform_url", platform.url)
    # What a standby (failback) or a restore of this stack's deployments into another stack
    # (cluster.restore.previousDatabaseHosts) names as the old database host.
    pulumi.export("database_host", foundation.database.host)
for key, value in foundation.outputs.items():
    pulumi.export(key, value)
# What a standby in a second region reads of this stack (StackReference; components/standby.py).
pulumi.export("cloud", settings.cloud)
pulumi.export("region", settings.region)
pulumi.export("platform_namespace", settings.platform.namespace)
pulumi.export("platform_release", settings.platform.release_name)

if settings.cloud == "aws" and platform is not None:
    # AWS names NGINX's load balancer only once its Service exists, so its DNS follows the release.
    from components.aws.ingress import Ingress, IngressArgs

    ingress = Ingress(
        f"{settings.name_prefix}-ingress",
        IngressArgs(
            base_domain=settings.platform.base_domain,
            dns=settings.require_aws().dns,
            kubernetes_provider=foundation.kubernetes_provider,
            service=platform.ingress_service,
            # Once the platform is up (the ready Job): NGINX's Service then has its load balancer.
            release=platform.ready,
        ),
    )
    pulumi.export("load_balancer_hostname", ingress.hostname)
