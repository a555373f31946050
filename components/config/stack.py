"""The whole stack: `parse_settings` / `load_settings`, which build its StackSettings (settings.py) from config.

`load_settings()` is the only function in the program that reads Pulumi config. It runs before
any resource is declared and raises `ConfigError` naming every bad key at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pulumi

from .. import provider_config, pulumi_internals
from ..schema import ConfigError, Field, Problems, parse_object, unknown_key_message
from .adopt import ADOPT_KEY, ADOPTED_SECRET_KEYS, parse_adopt, parse_adopted_secrets
from .alerts import ALERTS_KEY, NO_ALERTS_WARNING, parse_alerts
from .aws import AWS_OBJECT_FIELDS, parse_aws
from .backups import parse_backups
from .gcp import GCP_OBJECT_FIELDS, GCP_TRANSACTION_LOG_DAYS, parse_gcp
from .restores import check_topology
from .settings import StackSettings
from .shared import (
    OPTIONAL_OBJECTS,
    PROJECT,
    SECRET_KEYS,
    TEARDOWN_KEY,
    PlatformSettings,
    check_deployment_namespaces,
    check_tls_material,
    decode_object,
    name_prefix,
    parse_teardown,
    parse_tls,
)
from .standby import STANDBY_KEY, parse_standby

# Object-valued keys of the astronomer-dr namespace, per cloud.
OBJECT_KEYS: dict[str, dict[str, Mapping[str, Field]]] = {"gcp": GCP_OBJECT_FIELDS, "aws": AWS_OBJECT_FIELDS}
SUPPORTED_CLOUDS = tuple(OBJECT_KEYS)


def all_config() -> dict[str, str]:
    """Every config value the engine handed the program, keyed 'namespace:key'."""
    return pulumi_internals.all_config()


def _numeric_backup_id_as_text(raw: Any) -> Any:
    """A Cloud SQL backup run id is digits: written unquoted in YAML (or set with `config set --path`)
    it arrives as a number. It is an identifier, so it is taken as its text."""
    restore = raw.get("restore") if isinstance(raw, dict) else None
    if (
        isinstance(restore, dict)
        and isinstance(restore.get("backupId"), int)
        and not isinstance(restore["backupId"], bool)
    ):
        return {**raw, "restore": {**restore, "backupId": str(restore["backupId"])}}
    return raw


def parse_settings(config: Mapping[str, str], stack: str, now: datetime | None = None) -> StackSettings:
    """Pure: turns the raw config map ('namespace:key' -> string) into settings or raises ConfigError.

    `now` (timezone-aware; default the current UTC time) is what restore times are checked against.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    problems = Problems()
    provider_config.check_namespaces(config, problems, PROJECT)
    prefix_value = name_prefix(stack, problems)
    prefix = f"{PROJECT}:"
    ours = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}

    cloud = ours.get("cloud")
    if cloud not in SUPPORTED_CLOUDS:
        problems.add(f"{prefix}cloud", f"required: one of {', '.join(SUPPORTED_CLOUDS)}, got {cloud!r}")
        raise ConfigError(problems.items)

    object_fields = OBJECT_KEYS[cloud]
    known = [
        "cloud",
        *object_fields,
        *SECRET_KEYS,
        TEARDOWN_KEY,
        STANDBY_KEY,
        ALERTS_KEY,
        ADOPT_KEY,
        *ADOPTED_SECRET_KEYS,
    ]
    for key in ours:
        if key not in known:
            problems.add(prefix + key, unknown_key_message(key, known))

    objects: dict[str, dict | None] = {}
    for key, fields in object_fields.items():
        full = prefix + key
        if key in OPTIONAL_OBJECTS and key not in ours:
            objects[key] = None
            continue
        raw = decode_object(full, ours.get(key), problems)
        if key == "database":
            raw = _numeric_backup_id_as_text(raw)
        objects[key] = parse_object(full, raw, fields, problems)

    tls = parse_tls(config, problems)
    warnings = check_tls_material(tls, objects.get("platform"), now, problems)
    check_deployment_namespaces(objects.get("platform"), problems)
    teardown = parse_teardown(ours, stack, problems)
    standby = parse_standby(ours, stack, objects, problems)
    backups = parse_backups(cloud, config, objects, problems)
    alerts = parse_alerts(ours, problems)
    if alerts is None:
        warnings.append(NO_ALERTS_WARNING)
    adopt = parse_adopt(cloud, ours, problems)
    adopted = parse_adopted_secrets(cloud, config, problems)
    gcp_settings = parse_gcp(config, objects, problems, now) if cloud == "gcp" else None
    aws_settings = parse_aws(config, objects, problems, now) if cloud == "aws" else None
    problems.raise_if_any()
    if teardown:
        gcp_settings = replace(gcp_settings, teardown=True) if gcp_settings else None
        aws_settings = replace(aws_settings, teardown=True) if aws_settings else None
    assert tls is not None and objects["platform"] is not None
    return StackSettings(
        cloud=cloud,
        name_prefix=prefix_value,
        platform=PlatformSettings(**objects["platform"]),
        tls=tls,
        gcp=gcp_settings,
        aws=aws_settings,
        warnings=tuple(warnings),
        standby=standby,
        backups=backups,
        alerts=alerts,
        adopt=adopt,
        adopted=adopted,
    )


def restore_request_problems(
    cloud: str | None, database: Mapping[str, Any] | None, restore: Mapping[str, Any], now: datetime | None = None
) -> list[str]:
    """What the program would refuse about `restore` set on a stack whose `database` object (as in
    its stack file) is given: the same fields and the same window checks as `parse_settings`.
    For tools (the drill) that build a restore before any `pulumi up`. The source instance is
    taken as given (the drill reads it from the stack's outputs)."""
    now = now or datetime.now(UTC)
    problems = Problems()
    if cloud is None or cloud not in SUPPORTED_CLOUDS:
        return [f"{PROJECT}:cloud: required: one of {', '.join(SUPPORTED_CLOUDS)}, got {cloud!r}"]
    raw = dict(database) if isinstance(database, Mapping) else {}
    given = raw.get("restore")
    raw["restore"] = {
        **(given if isinstance(given, dict) else {}),
        **restore,
        "sourceInstance": "drill-source",
    }
    raw["keepOriginal"] = False
    parsed = parse_object(
        f"{PROJECT}:database", _numeric_backup_id_as_text(raw), OBJECT_KEYS[cloud]["database"], problems
    )
    if parsed is not None:
        if cloud == "gcp":
            window, what, pitr = (
                timedelta(days=GCP_TRANSACTION_LOG_DAYS),
                "window of Cloud SQL transaction logs",
                parsed["point_in_time_recovery"],
            )
        else:
            window, what, pitr = (
                timedelta(days=parsed["backup_retention_days"]),
                "backup retention (database.backupRetentionDays)",
                True,
            )
        check_topology(
            parsed, now=now, window=window, window_what=what, problems=problems, pitr_enabled=pitr, first_restore=True
        )
    return problems.items


def utc_now() -> datetime:
    """The time restore windows and certificate lifetimes are checked against when the program runs.
    The offline engine answers it with the `now` it is given (tools/offline: `evaluate(now=...)`),
    so a test or a plan can evaluate the program at any moment without moving the clock."""
    return datetime.now(UTC)


def load_settings() -> StackSettings:
    """Reads this stack's config. The only place in the program that touches Pulumi config."""
    settings = parse_settings(all_config(), pulumi.get_stack(), now=utc_now())
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    return settings
