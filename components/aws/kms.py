"""Customer-managed KMS keys: one per kind of data, rotated yearly, with a recoverable deletion window."""

from __future__ import annotations

import pulumi
from pulumi_aws import kms

# Tags on every AWS resource the program makes.
TAGS = {"app": "astronomer", "managed-by": "astronomer-dr"}
# A scheduled key deletion can be cancelled for this long: deleting a key makes its data unreadable.
KMS_DELETION_WINDOW_DAYS = 30


def customer_key(
    resource_name: str,
    *,
    description: str,
    alias: str,
    opts: pulumi.ResourceOptions,
    protect: bool = False,
) -> kms.Key:
    """A rotated key and its alias (`alias/<alias>`); `protect` for keys whose loss loses data.

    `opts` carries parent and provider (the region) for both; only the key is protected.
    """
    key = kms.Key(
        resource_name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
        tags=TAGS,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=protect)),
    )
    kms.Alias(resource_name, name=f"alias/{alias}", target_key_id=key.key_id, opts=opts)
    return key
