"""Where each cloud keeps data outside a stack's region: GCS and Cloud SQL multi-regions, AWS backup pairs.

The database's backups, the registry bucket and the Velero backups bucket all default from these.
"""

from __future__ import annotations

from .. import provider_config
from .gcs_locations import GCS_DUAL_REGIONS, GCS_MULTI_REGIONS, gcs_location

__all__ = ["GCS_DUAL_REGIONS", "GCS_MULTI_REGIONS", "gcs_location"]

# Cloud SQL multi-regions for backups, by region prefix: backups there survive the region.
GCP_BACKUP_MULTI_REGIONS = (("us-", "us"), ("europe-", "eu"), ("asia-", "asia"))


def default_backup_location(region: str) -> str | None:
    """The Cloud SQL multi-region that contains `region`, if one does."""
    return next((multi for prefix, multi in GCP_BACKUP_MULTI_REGIONS if region.startswith(prefix)), None)


def aws_region(v: str) -> str | None:
    return provider_config.aws_region(v)


# The second region a stack's backups go to when `database.backupReplicaRegion` is not set: the
# nearest region of the same geography where RDS replicates automated backups. Other regions must
# name theirs (AWS lists the supported pairs under "cross-Region automated backups").
AWS_BACKUP_REPLICA_REGIONS = {
    "us-east-1": "us-west-2",
    "us-east-2": "us-west-2",
    "us-west-1": "us-east-1",
    "us-west-2": "us-east-1",
    "eu-west-1": "eu-central-1",
    "eu-west-2": "eu-west-1",
    "eu-west-3": "eu-central-1",
    "eu-central-1": "eu-west-1",
    "eu-north-1": "eu-west-1",
    "ap-southeast-1": "ap-southeast-2",
    "ap-southeast-2": "ap-southeast-1",
}
