"""What a backups bucket holds for the storage invokes a declared restore makes (GCS objects list
and content, S3 objects and object), shaped as Velero writes it and as the providers return it.

Velero stores each backup's Backup object, status included, at `backups/<name>/velero-backup.json`
(vmware-tanzu/velero v1.18.1 pkg/persistence/object_store_layout.go:72-74), named
`<schedule>-<UTC yyyyMMddHHmmss>` (pkg/apis/velero/v1/schedule_types.go:138-140), its status
written by the backup controller (pkg/controller/backup_controller.go:405-411: progress,
expiration = start + ttl). Unless a test says otherwise every bucket holds the same three backups
of the hourly schedule, dated from the evaluation's clock: an expired one, a good one and a newer
EMPTY one (Completed with 0 items: the deployments' namespaces were gone when it ran).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

SCHEDULE = "astronomer-deployments"
TTL = timedelta(days=7)


def _anchor(now: datetime) -> datetime:
    """Midnight UTC the day before `now`: every fixture backup is in the past, and a test session
    reads the same names unless it straddles midnight."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)


def backup_name(started: datetime) -> str:
    return f"{SCHEDULE}-{started.astimezone(UTC).strftime('%Y%m%d%H%M%S')}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def backup_metadata(name: str, started: datetime, items: int, phase: str = "Completed") -> str:
    """velero-backup.json as Velero writes it (the fields the program reads, and their neighbours)."""
    backup: dict[str, Any] = {
        "kind": "Backup",
        "apiVersion": "velero.io/v1",
        "metadata": {
            "name": name,
            "namespace": "velero",
            "labels": {"velero.io/schedule-name": SCHEDULE, "velero.io/storage-location": "default"},
        },
        "spec": {
            "includedNamespaces": ["astronomer-*"],
            "excludedNamespaces": ["astronomer", "velero"],
            "ttl": f"{int(TTL.total_seconds() // 3600)}h0m0s",
            "storageLocation": "default",
            "defaultVolumesToFsBackup": True,
        },
        "status": {
            "version": 1,
            "formatVersion": "1.1.0",
            "phase": phase,
            "expiration": _stamp(started + TTL),
            "startTimestamp": _stamp(started),
            "completionTimestamp": _stamp(started + timedelta(minutes=4)),
            "progress": {"totalItems": items, "itemsBackedUp": items},
        },
    }
    return json.dumps(backup)


def fixture_backups(now: datetime) -> dict[str, tuple[datetime, int]]:
    """name -> (started, items): expired, good, then a newer empty backup."""
    anchor = _anchor(now)
    return {
        backup_name(anchor - timedelta(days=10)): (anchor - timedelta(days=10), 398),
        backup_name(anchor): (anchor, 412),
        backup_name(anchor + timedelta(hours=12)): (anchor + timedelta(hours=12), 0),
    }


def good_backup(now: datetime) -> str:
    return backup_name(_anchor(now))


def empty_backup(now: datetime) -> str:
    return backup_name(_anchor(now) + timedelta(hours=12))


def expired_backup(now: datetime) -> str:
    return backup_name(_anchor(now) - timedelta(days=10))


def fixture_bucket(now: datetime, names: list[str] | None = None) -> dict[str, str]:
    """Object key -> content of a backups bucket (only `names` of the fixture's backups, if given)."""
    objects = {}
    for name, (started, items) in fixture_backups(now).items():
        if names is None or name in names:
            objects[f"backups/{name}/velero-backup.json"] = backup_metadata(name, started, items)
            objects[f"backups/{name}/{name}.tar.gz"] = "<tarball>"
    return objects


def bucket_objects(buckets: Mapping[str, Mapping[str, str]] | None, now: datetime, bucket: str) -> Mapping[str, str]:
    if buckets is None:
        return fixture_bucket(now)
    return buckets.get(bucket, {})


def _glob(pattern: str, key: str) -> bool:
    """GCS matchGlob: `*` matches within one path segment."""
    import re

    regex = "".join("[^/]*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, key) is not None


def gcs_objects(args, ctx) -> dict:
    """google_storage_bucket_objects: every object matching prefix and matchGlob (all pages)."""
    bucket, prefix, glob = args.args["bucket"], args.args.get("prefix") or "", args.args.get("matchGlob")
    keys = sorted(k for k in bucket_objects(ctx.buckets, ctx.clock, bucket) if k.startswith(prefix))
    keys = [k for k in keys if glob is None or _glob(glob, k)]
    return {
        "id": bucket,
        "bucket": bucket,
        "prefix": prefix,
        "matchGlob": glob,
        "bucketObjects": [
            {
                "name": k,
                "contentType": "application/octet-stream",
                "mediaLink": f"https://storage.googleapis.com/download/storage/v1/b/{bucket}/o/{k}?alt=media",
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}/o/{k}",
                "storageClass": "STANDARD",
            }
            for k in keys
        ],
    }


def gcs_object_content(args, ctx) -> dict:
    bucket, name = args.args["bucket"], args.args["name"]
    objects = bucket_objects(ctx.buckets, ctx.clock, bucket)
    if name not in objects:
        raise Exception(
            f"Error retrieving storage bucket object: googleapi: Error 404: No such object: {bucket}/{name}"
        )
    content = objects[name]
    return {
        "id": f"{bucket}-{name}",
        "bucket": bucket,
        "name": name,
        "content": content,
        "contentBase64": base64.b64encode(content.encode()).decode(),
    }


def s3_objects(args, ctx) -> dict:
    """aws_s3_objects: keys under prefix; with a delimiter, the common prefixes instead."""
    bucket, prefix, delimiter = args.args["bucket"], args.args.get("prefix") or "", args.args.get("delimiter")
    keys = sorted(k for k in bucket_objects(ctx.buckets, ctx.clock, bucket) if k.startswith(prefix))
    prefixes: list[str] = []
    if delimiter:
        rest = [k for k in keys if delimiter in k[len(prefix) :]]
        prefixes = sorted({prefix + k[len(prefix) :].split(delimiter, 1)[0] + delimiter for k in rest})
        keys = [k for k in keys if k not in rest]
    return {
        "id": bucket,
        "bucket": bucket,
        "prefix": prefix,
        "delimiter": delimiter,
        "keys": keys,
        "commonPrefixes": prefixes,
        "owners": [],
    }


def s3_object(args, ctx) -> dict:
    bucket, key = args.args["bucket"], args.args["key"]
    objects = bucket_objects(ctx.buckets, ctx.clock, bucket)
    if key not in objects:
        raise Exception(f"reading S3 Object ({key}): couldn't find resource")
    content = objects[key]
    # Velero's plugin uploads without a Content-Type: `body` only with download_body, as body_base64.
    download = args.args.get("downloadBody") in ("true", True)
    return {
        "id": f"{bucket}/{key}",
        "bucket": bucket,
        "key": key,
        "contentType": "binary/octet-stream",
        "body": "",
        "bodyBase64": base64.b64encode(content.encode()).decode() if download else None,
    }
