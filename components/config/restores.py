"""Declared restores of a stack's database, both clouds: labels, restore times, the topology of instances.

A stack's `database` object names which instances exist (the original, restored ones) and which one
the platform uses; the checks here refuse a restore or a promotion that would declare a new, empty
database or lose one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..schema import Field, Problems
from .shared import PROJECT

# ---- declared restores (both clouds) ------------------------------------------------------------
#
# Every database instance of a stack has a label. The first one is `original`; a restore creates a
# NEW instance labelled after what it restores (`pitr-20261120t093000z`, `backup-<id>`), named
# `<prefix>-db-<label>`. While `database.restore` is set the platform uses the restored instance;
# promotion replaces `restore` with `primary: <label>`, which declares the same resource with the
# same inputs (the create-only restore inputs are ignored), so nothing is replaced or destroyed.

ORIGINAL_LABEL = "original"
# `<prefix>-db-<label>` must stay a valid RDS identifier (63 characters) for the longest prefix.
LABEL_MAX = 34
_LABEL = re.compile(r"^(original|pitr-\d{8}t\d{6}z|backup-[a-z0-9]+(-[a-z0-9]+)*)$")
_RFC3339 = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})?$"
)
RFC3339_EXAMPLE = "2026-11-20T09:30:00Z"


def instance_label(v: str) -> str | None:
    if len(v) <= LABEL_MAX and _LABEL.match(v):
        return None
    return (
        "must be an instance label as the program exports it (`pulumi stack output database_label`): "
        "original, pitr-YYYYMMDDtHHMMSSz or backup-<id>"
    )


def label_list(values: tuple[str, ...]) -> str | None:
    bad = [v for v in values if instance_label(v)]
    return (
        f"every entry must be an instance label (original, pitr-..., backup-...); {', '.join(bad)} is not"
        if bad
        else None
    )


def parse_rfc3339(text: str, *, fractions: bool = False) -> tuple[datetime | None, str | None]:
    """(UTC time, None) or (None, why it is refused): RFC 3339 with a timezone, whole seconds unless
    `fractions` (then kept to the microsecond)."""
    match = _RFC3339.match(text)
    if not match:
        return None, f"must be an RFC 3339 time with a timezone, such as {RFC3339_EXAMPLE}"
    if not match.group("zone"):
        return None, f"must include a timezone (Z or +HH:MM): without one the time is ambiguous; e.g. {RFC3339_EXAMPLE}"
    if match.group("fraction") and not fractions:
        return None, "must be whole seconds (restores are to the second)"
    zone = "+00:00" if match.group("zone") in ("Z", "z") else match.group("zone")
    try:
        moment = datetime.fromisoformat(f"{match.group('date')}T{match.group('time')}{zone}")
    except ValueError:
        return None, f"is not a valid date and time; e.g. {RFC3339_EXAMPLE}"
    fraction = match.group("fraction") or ""
    if fraction:
        moment = moment.replace(microsecond=int(fraction[1:7].ljust(6, "0")))
    return moment.astimezone(UTC), None


def earliest_second(moment: datetime) -> datetime:
    """The first whole second at or after `moment` (a deletion time may carry a fraction)."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def deletion_time_utc(text: str) -> str:
    """A deletion time as Cloud SQL reports it, in UTC with every fractional digit it has.

    The clone API identifies a deleted source by this time (CloneContext.sourceInstanceDeletionTime,
    "used to identify the instance if it has been deleted"; gcloud's own example passes
    '2012-11-15T16:19:00.094Z': https://cloud.google.com/sdk/gcloud/reference/sql/instances/get-latest-recovery-time),
    so it is passed on as reported, never rounded. Only the offset is normalised (to Z). Call on
    text parse_rfc3339(text, fractions=True) accepted."""
    match = _RFC3339.match(text)
    assert match is not None and match.group("zone"), "checked by parse_rfc3339"
    zone = "+00:00" if match.group("zone") in ("Z", "z") else match.group("zone")
    whole = datetime.fromisoformat(f"{match.group('date')}T{match.group('time')}{zone}")
    return whole.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + (match.group("fraction") or "") + "Z"


def rfc3339_utc(moment: datetime) -> str:
    """How both clouds' APIs take a restore time: UTC with a `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def restore_label(point_in_time: datetime | None = None, backup_id: str | None = None) -> str:
    """The stable label of the instance a restore creates: its name, its outputs and its Job derive from it."""
    if point_in_time is not None:
        return "pitr-" + point_in_time.astimezone(UTC).strftime("%Y%m%dt%H%M%Sz")
    assert backup_id, "a restore has a point in time or a backup id"
    identifier = backup_id.rsplit(":", 1)[-1] if backup_id.startswith("arn:") else backup_id.removeprefix("rds:")
    slug = re.sub(r"[^a-z0-9]+", "-", identifier.lower()).strip("-") or "x"
    label = f"backup-{slug}"
    if len(label) > LABEL_MAX:
        digest = hashlib.sha256(backup_id.encode()).hexdigest()[:6]
        label = f"backup-{slug[: LABEL_MAX - len('backup-') - 7].rstrip('-')}-{digest}"
    return label


@dataclass(frozen=True)
class RestoreSettings:
    """One declared restore: exactly one of point_in_time (RFC 3339 UTC) and backup_id."""

    label: str
    point_in_time: str | None = None
    backup_id: str | None = None
    # The instance to restore from when it is not the stack's own primary.
    source_instance: str | None = None
    # GCP: when the source instance was deleted (a PITR clone from its retained backups).
    source_deleted_at: str | None = None
    # AWS: the retained (or replicated) automated backups of a deleted (or lost) source.
    source_automated_backups_arn: str | None = None
    # GCP: the project of `source_instance` when it is not the stack's (a cross-project clone or
    # restore: the only clone the provider places in this stack's VPC).
    source_project: str | None = None


@dataclass(frozen=True, kw_only=True)
class DatabaseTopology:
    """Which instances a stack declares and which one the platform uses (base of both clouds' settings)."""

    restore: RestoreSettings | None = None
    primary: str = ORIGINAL_LABEL
    # The restore `primary` came from (its pointInTime or backupId): the record that proves the label
    # names an instance a restore of this stack made. None while the original is the primary.
    promoted: RestoreSettings | None = None
    keep_original: bool = True
    keep_restored: tuple[str, ...] = ()
    unprotect: tuple[str, ...] = ()

    @property
    def platform_label(self) -> str:
        """The instance the platform's bootstrap secret points at: the restore while it is declared."""
        return self.restore.label if self.restore else self.primary

    @property
    def declared_labels(self) -> tuple[str, ...]:
        """Every instance the program declares, the original first and the restore last."""
        labels: list[str] = [ORIGINAL_LABEL] if self.keep_original else []
        for label in (self.primary, *sorted(self.keep_restored)):
            if label != ORIGINAL_LABEL and label not in labels:
                labels.append(label)
        if self.restore and self.restore.label not in labels:
            labels.append(self.restore.label)
        return tuple(labels)

    def guarded(self, label: str) -> bool:
        """False for an instance whose deletion guards the user lifted to retire it."""
        return label not in self.unprotect


def restore_fields(source_instance: Field, extra: Mapping[str, Field], backup_id: Field) -> dict[str, Field]:
    return {
        "pointInTime": Field("str", f"RFC 3339 time to restore to, e.g. {RFC3339_EXAMPLE}", default=None),
        "backupId": backup_id,
        "sourceInstance": source_instance,
        **extra,
    }


def topology_fields(restore_fields: Mapping[str, Field]) -> dict[str, Field]:
    return {
        "restore": Field(
            "object",
            "a declared restore: a new instance from a point in time or a backup, which the platform then uses",
            default=None,
            fields=restore_fields,
        ),
        "primary": Field(
            "str",
            "label of the instance that is the platform's database (after promoting a restore)",
            default=ORIGINAL_LABEL,
            check=instance_label,
        ),
        "promoted": Field(
            "object",
            "the restore `primary` was promoted from (the former `restore` block, renamed): its label must be `primary`",
            default=None,
            fields=restore_fields,
        ),
        "keepOriginal": Field(
            "bool",
            "keep the original instance declared (false deletes it once `unprotect` lifted its guards)",
            default=True,
        ),
        "keepRestored": Field(
            "list[str]", "labels of earlier restored instances to keep declared", default=(), check=label_list
        ),
        "unprotect": Field(
            "list[str]",
            "labels of instances whose deletion guards are lifted, so that they can be retired",
            default=(),
            check=label_list,
        ),
    }


def check_topology(
    db: dict[str, Any],
    *,
    now: datetime,
    window: timedelta,
    window_what: str,
    problems: Problems,
    pitr_enabled: bool = True,
    first_restore: bool = False,
) -> RestoreSettings | None:
    """Cross-key checks of restore, primary, keepOriginal, keepRestored and unprotect; the parsed restore.

    `first_restore`: the restore is being requested, not read back from a stack that may have applied
    it (the drill), so a refusal never suggests promoting it."""
    key = f"{PROJECT}:database"
    raw = db.get("restore")
    primary = db["primary"]
    restore: RestoreSettings | None = None
    if raw is not None:
        restore = _check_restore(
            raw,
            now=now,
            window=window,
            window_what=window_what,
            problems=problems,
            pitr_enabled=pitr_enabled,
            first_restore=first_restore,
        )
    if restore is not None:
        if restore.label == primary:
            problems.add(
                f"{key}.restore",
                f"this restore ({restore.label}) is already the primary: rename `restore` to `promoted` (keep `primary: {restore.label}`)",
            )
        elif restore.label in db["keep_restored"]:
            problems.add(
                f"{key}.restore",
                f"an instance labelled {restore.label} is already declared (keepRestored): restore to another time or backup",
            )
        if (
            not db["keep_original"]
            and primary == ORIGINAL_LABEL
            and not (restore.source_instance or restore.source_automated_backups_arn)
        ):
            problems.add(
                f"{key}.restore.sourceInstance",
                "required with keepOriginal: false and primary: original: the original is not declared, so name the instance to restore from",
            )
    platform = restore.label if restore is not None else (None if raw is not None else primary)
    if not db["keep_original"] and raw is None and primary == ORIGINAL_LABEL:
        problems.add(
            f"{key}.keepOriginal",
            "the original is the platform's database (primary: original): promote a restored instance first (primary: <label>)",
        )
    if ORIGINAL_LABEL in db["keep_restored"]:
        problems.add(f"{key}.keepRestored", "lists restored instances only; the original is kept with keepOriginal")
    if platform is not None and platform in db["unprotect"]:
        problems.add(
            f"{key}.unprotect", f"must not name the platform's database ({platform}): its guards are what keep it"
        )
    return restore


def check_promoted(db: dict[str, Any], problems: Problems, now: datetime | None = None) -> RestoreSettings | None:
    """`primary: <label>` must name an instance a restore of this stack made: the label the kept
    restore form (`promoted`) produces. A label typed by hand (one second off in `pitr-...`) would
    otherwise declare a new, empty instance and point the platform at it."""
    key = f"{PROJECT}:database"
    primary, raw = db["primary"], db.get("promoted")
    if primary == ORIGINAL_LABEL:
        if raw is not None:
            problems.add(f"{key}.promoted", "only applies with `primary: <label>` (the restore that label came from)")
        return None
    how = 'rename the applied `restore` block to `promoted` when you set `primary` (docs/RUNBOOK.md, "Promoting a restored instance")'
    if raw is None:
        problems.add(
            f"{key}.primary",
            f"names a restored instance ({primary}), so `promoted` must hold the restore it came from: {how}. "
            "The label alone cannot be checked, and a label no restore made would declare a new, empty database. "
            "A stack promoted before this rule: add `promoted` with the pointInTime or backupId of the restore "
            "whose label `pulumi stack output database_label` shows",
        )
        return None
    point_text, backup_id = raw.get("point_in_time"), raw.get("backup_id")
    if bool(point_text) == bool(backup_id):
        problems.add(
            f"{key}.promoted", "set exactly one of pointInTime or backupId: the restore `primary` was promoted from"
        )
        return None
    moment = None
    if point_text:
        moment, why = parse_rfc3339(point_text)
        if why:
            problems.add(f"{key}.promoted.pointInTime", f"{why}, got {point_text!r}")
            return None
        # Issue 21: a restore is of a moment already past; a future one was never made.
        if now is not None and moment is not None and moment > now:
            problems.add(
                f"{key}.promoted.pointInTime",
                f"is in the future (now {rfc3339_utc(now)}): no restore can have been made of it, got {point_text!r}",
            )
            return None
    label = restore_label(point_in_time=moment, backup_id=backup_id)
    if label != primary:
        problems.add(
            f"{key}.primary",
            f"names no instance a restore of this stack made: the promoted restore ({point_text or backup_id}) made {label}; "
            f"set `primary: {label}` (`pulumi stack output database_label`), got {primary!r}",
        )
        return None
    return RestoreSettings(
        label=label,
        point_in_time=rfc3339_utc(moment) if moment is not None else None,
        backup_id=backup_id,
        source_instance=raw.get("source_instance"),
        source_deleted_at=raw.get("source_deleted_at"),
        source_automated_backups_arn=raw.get("source_automated_backups_arn"),
    )


def _check_restore(
    raw: dict[str, Any],
    *,
    now: datetime,
    window: timedelta,
    window_what: str,
    problems: Problems,
    pitr_enabled: bool,
    first_restore: bool,
) -> RestoreSettings | None:
    key = f"{PROJECT}:database.restore"
    before = len(problems.items)
    point_text, backup_id = raw.get("point_in_time"), raw.get("backup_id")
    deleted_text, backups_arn = raw.get("source_deleted_at"), raw.get("source_automated_backups_arn")
    if point_text and backup_id:
        problems.add(key, "set exactly one of pointInTime or backupId, not both")
    elif not point_text and not backup_id:
        problems.add(key, f"set exactly one of pointInTime (RFC 3339, e.g. {RFC3339_EXAMPLE}) or backupId")
    if backup_id and deleted_text:
        problems.add(
            f"{key}.sourceDeletedAt", "only applies with pointInTime (a point-in-time clone of a deleted instance)"
        )
    if backup_id and backups_arn:
        problems.add(
            f"{key}.sourceAutomatedBackupsArn",
            "only applies with pointInTime (a point-in-time restore from retained automated backups)",
        )
    if backups_arn and raw.get("source_instance"):
        problems.add(f"{key}.sourceAutomatedBackupsArn", "give sourceInstance or sourceAutomatedBackupsArn, not both")
    if raw.get("source_project") and not raw.get("source_instance"):
        problems.add(f"{key}.sourceProject", "needs sourceInstance: the instance of that project to restore from")

    moment = deleted_at = None
    if point_text:
        moment, why = parse_rfc3339(point_text)
        if why:
            problems.add(f"{key}.pointInTime", f"{why}, got {point_text!r}")
        elif not pitr_enabled:
            problems.add(
                f"{key}.pointInTime",
                "needs database.pointInTimeRecovery: true (without transaction logs only a backupId can be restored)",
            )
    if deleted_text:
        # As Cloud SQL reports it (fractional seconds): it identifies the deleted instance.
        deleted_at, why = parse_rfc3339(deleted_text, fractions=True)
        if why:
            problems.add(f"{key}.sourceDeletedAt", f"{why}, got {deleted_text!r}")
        elif deleted_at is not None and deleted_at > now:
            problems.add(
                f"{key}.sourceDeletedAt", f"is in the future (now is {rfc3339_utc(now)}), got {deleted_text!r}"
            )
    if moment is not None:
        # A deleted source's transaction logs end at its deletion; a live one's at now.
        end = deleted_at if deleted_at is not None else now
        end_what = "sourceDeletedAt" if deleted_at is not None else f"now ({rfc3339_utc(now)})"
        if moment > now:
            problems.add(f"{key}.pointInTime", f"is in the future (now is {rfc3339_utc(now)}), got {point_text!r}")
        elif moment > end:
            problems.add(
                f"{key}.pointInTime",
                f"is after sourceDeletedAt ({rfc3339_utc(end)}): the deleted instance has no later data, got {point_text!r}",
            )
        elif moment < end - window:
            problems.add(
                f"{key}.pointInTime",
                f"is older than the {window.days}-day {window_what} before {end_what}: the earliest restorable time is "
                f"{rfc3339_utc(earliest_second(end - window))}; restore a backupId instead, got {point_text!r}"
                + (
                    ""
                    if first_restore
                    else ". If this restore was already applied, promote it: rename `restore` to `promoted` and set "
                    f"`primary: {restore_label(point_in_time=moment)}`"
                ),
            )
    if len(problems.items) != before:
        return None
    return RestoreSettings(
        label=restore_label(point_in_time=moment, backup_id=backup_id),
        point_in_time=rfc3339_utc(moment) if moment is not None else None,
        backup_id=backup_id,
        source_instance=raw.get("source_instance"),
        source_deleted_at=deletion_time_utc(deleted_text) if deleted_text and deleted_at is not None else None,
        source_automated_backups_arn=backups_arn,
        source_project=raw.get("source_project"),
    )
