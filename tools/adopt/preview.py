"""Refusing what would hurt: a preview after the import may replace or delete no data-bearing resource.

`pulumi preview --json` prints a PreviewDigest (pulumi/pulumi pkg/display/json.go:32): `steps`,
each a PreviewStep (json.go:59) with `op`, `urn`, `oldState`/`newState` (apitype.ResourceV3,
sdk/go/common/apitype/core.go:405-468, with `type` and `protect`) and `replaceReasons`, the
properties forcing a replacement. The ops that remove the resource that exists are `delete` and
the replacement ops (pkg/resource/deploy/step.go:2236-2250; IsReplacementStep, :2276).

Data-bearing means what the program protects (`protect=True` in its own resource graph), or what
the state marks protected (`pulumi import` protects what it imports unless told not to).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tools.adopt.importfile import engine_urns
from tools.offline import Registered

# step.go:2236-2250: every op that deletes or replaces the resource the stack holds.
REMOVING_OPS = frozenset(
    {
        "delete",
        "replace",
        "create-replacement",
        "delete-replaced",
        "read-replacement",
        "discard-replaced",
        "remove-pending-replace",
        "import-replacement",
    }
)

# Which config key decides a property that forces a replacement, per resource type. A property
# absent here has no key: the installation cannot be adopted in place (adopt by recovery).
ALIGN_WITH: dict[str, dict[str, str]] = {
    "gcp:sql/databaseInstance:DatabaseInstance": {
        "name": "astronomer-dr:adopt.databaseInstance",
        "databaseVersion": "astronomer-dr:database.postgresVersion",
        "region": "gcp:region",
        "project": "gcp:project",
    },
    "gcp:storage/bucket:Bucket": {
        "name": "astronomer-dr:adopt.registryBucket or astronomer-dr:adopt.backupsBucket",
        "location": "astronomer-dr:registry.location or astronomer-dr:backups.location",
        "project": "gcp:project",
    },
    "gcp:compute/address:Address": {
        "name": "the address's name (adopt it under the program's name)",
        "region": "gcp:region",
    },
    "aws:rds/instance:Instance": {
        "identifier": "astronomer-dr:adopt.databaseInstance",
        "engine": "astronomer-dr:database.postgresVersion",
        "kmsKeyId": "none: an RDS instance's encryption key cannot change; adopt by recovery",
        "storageEncrypted": "none: RDS cannot encrypt an instance in place; adopt by recovery",
        "dbSubnetGroupName": "none: adopt the instance's own subnet group, or adopt by recovery",
        "username": "none: RDS cannot rename its master user (the program's is `astronomer`); adopt by recovery",
    },
    "aws:s3/bucket:Bucket": {
        "bucket": "astronomer-dr:adopt.registryBucket or astronomer-dr:adopt.backupsBucket",
    },
    "aws:kms/key:Key": {"customerMasterKeySpec": "none: a key's spec cannot change; adopt by recovery"},
}


def protected_urns(resources: Sequence[Registered], stack: str, project: str) -> set[str]:
    """The engine's URNs (what a preview prints) of what the program registers with protect=True."""
    real = engine_urns(list(resources), stack, project)
    return {real[r.urn] for r in resources if r.protect}


def _state(step: Mapping[str, Any]) -> Mapping[str, Any]:
    return step.get("oldState") or step.get("newState") or {}


def refusals(preview: Mapping[str, Any], protected: set[str]) -> list[str]:
    """One sentence per step that would replace or delete a data-bearing resource."""
    found = []
    for step in preview.get("steps") or []:
        op = step.get("op")
        urn = step.get("urn", "")
        if op not in REMOVING_OPS:
            continue
        state = _state(step)
        if urn not in protected and not (step.get("oldState") or {}).get("protect"):
            continue
        type_token = state.get("type") or urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1]
        reasons = list(step.get("replaceReasons") or [])
        keys = ALIGN_WITH.get(type_token, {})
        if op == "delete":
            found.append(
                f"{urn}: delete of a data-bearing resource the program does not declare under that name "
                "(its logical name or parent differs from the import file's: rewrite the file with `make adopt`)"
            )
            continue
        advice = (
            "; ".join(
                f"{reason}: set {keys[reason]}"
                if reason in keys
                else f"{reason}: no config key sets it, adopt by recovery (docs/ADOPTION.md)"
                for reason in reasons
            )
            or "no property named: run `pulumi preview --diff` to see it"
        )
        found.append(f"{urn}: {op} of a data-bearing resource; {advice}")
    return found
