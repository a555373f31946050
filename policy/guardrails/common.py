"""What every guardrail shares: the pack's levels and thresholds, resource type tokens, reading
engine-shaped properties (``unwrap``/``get``, unknown values), violation messages, and building a
resource policy from a check."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .pulumi_internals import UNKNOWN_SENTINELS, UnknownValueError

PACK_NAME = "astronomer-dr-guardrails"
# Default for the pack; every policy below also sets its own level explicitly.
ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY
MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

MIN_BACKUPS = 7  # retained automated backups / RDS retention days
MIN_LOG_DAYS = 7  # Cloud SQL transaction-log (PITR) retention days
MIN_PROMETHEUS_REPLICAS = 2

# Resource type tokens.
CLOUDSQL = "gcp:sql/databaseInstance:DatabaseInstance"
RDS = "aws:rds/instance:Instance"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
S3_BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
S3_VERSIONING = frozenset({"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"})
S3_PUBLIC_ACCESS_BLOCK = frozenset({"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"})
S3_SSE = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
DATABASES = frozenset({CLOUDSQL, RDS})
BUCKETS = frozenset({GCS_BUCKET}) | S3_BUCKETS

KIND = {
    CLOUDSQL: "Cloud SQL instance",
    RDS: "RDS instance",
    GCS_BUCKET: "GCS bucket",
    HELM_RELEASE: "Helm release",
    **{t: "S3 bucket" for t in S3_BUCKETS},
    **{t: "S3 BucketVersioning" for t in S3_VERSIONING},
    **{t: "S3 BucketPublicAccessBlock" for t in S3_PUBLIC_ACCESS_BLOCK},
    **{t: "S3 BucketServerSideEncryptionConfiguration" for t in S3_SSE},
}


# --------------------------------------------------------------------------------------------
# Reading engine-shaped properties
# --------------------------------------------------------------------------------------------


class _Unknown:
    """A value the engine does not know yet (preview). Never equal to anything but itself."""

    def __repr__(self) -> str:
        return "<unknown during preview>"


UNKNOWN = _Unknown()


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def unwrap(value: Any) -> Any:
    """A MaxItems=1 block in either shape: a one-element list becomes its element, an empty list
    becomes None; anything else (an object, a scalar, a longer list) is returned as it is.
    Returns ``UNKNOWN`` if the element is unknown during preview."""
    if _is_list(value):
        if len(value) == 0:
            return None
        if len(value) == 1:
            try:
                return value[0]
            except UnknownValueError:
                return UNKNOWN
    return value


def get(obj: Any, *path: str) -> Any:
    """``obj[path[0]][path[1]]...`` with ``unwrap`` applied to every block on the way.

    Returns None when a key is absent (or a block is null/empty), ``UNKNOWN`` when the value, or a
    block on the way, is unknown during preview. The final value is returned as it is (a real
    list such as ``authorizedNetworks`` stays a list)."""
    cur = obj
    try:
        for key in path:
            cur = unwrap(cur)
            if cur is UNKNOWN or (isinstance(cur, str) and cur in UNKNOWN_SENTINELS):
                return UNKNOWN
            if not isinstance(cur, Mapping) or key not in cur:
                return None
            cur = cur[key]
    except UnknownValueError:
        return UNKNOWN
    if isinstance(cur, str) and cur in UNKNOWN_SENTINELS:
        return UNKNOWN
    return cur


def list_items(value: Any) -> list[Any]:
    """The elements of a list value (``UNKNOWN`` for unknown ones); [] if it is not a list."""
    if not _is_list(value):
        return []
    out = []
    for i in range(len(value)):
        try:
            item = value[i]
        except UnknownValueError:
            item = UNKNOWN
        out.append(UNKNOWN if isinstance(item, str) and item in UNKNOWN_SENTINELS else item)
    return out


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def is_blank(value: Any) -> bool:
    """Not set: None or an empty/whitespace string. Unknown counts as set."""
    return value is None or (isinstance(value, str) and not value.strip())


def not_true(value: Any) -> bool:
    return value is not UNKNOWN and value is not True


def is_below(value: Any, minimum: float) -> bool:
    if value is UNKNOWN:
        return False
    number = as_number(value)
    return number is None or number < minimum


# --------------------------------------------------------------------------------------------
# Messages: what is wrong, and the exact input and value that fix it
# --------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def to_snake_case(path: str) -> str:
    return ".".join(_CAMEL.sub(r"_\1", part).lower() for part in path.split("."))


def _json(value: Any) -> str:
    return json.dumps(value)


def show_value(value: Any) -> str:
    if value is None:
        return "unset"
    if _is_list(value) or isinstance(value, Mapping):
        try:
            return _json(_plain(value))
        except (TypeError, ValueError):
            return repr(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _json(value) if isinstance(value, (bool, int, float, str)) else repr(value)


def _plain(value: Any) -> Any:
    """A JSON-able copy of an engine value (unknowns shown as null)."""
    try:
        if isinstance(value, Mapping):
            return {k: _plain(value[k]) for k in value}
        if _is_list(value):
            return [_plain(value[i]) for i in range(len(value))]
    except UnknownValueError:
        return None
    return None if value is UNKNOWN else value


def set_hint(path: str, value: Any, minimum: bool = False) -> str:
    """Fix hint: the engine (camelCase) input path and the Python SDK (snake_case) spelling."""
    more = " or more" if minimum else ""
    py = repr(value) if not isinstance(value, str) else json.dumps(value)
    return f"set `{path}` to {_json(value)}{more} (Python SDK: `{to_snake_case(path)}={py}`)"


def violation_message(kind: str, name: str, problem: str, fix: str) -> str:
    return f"{kind} '{name}': {problem}. Fix: {fix}."


# --------------------------------------------------------------------------------------------
# Policy construction
# --------------------------------------------------------------------------------------------

Check = Callable[[Mapping[str, Any], str], Iterator[str]]


def resource_policy(
    name: str,
    description: str,
    types: Iterable[str],
    check: Check,
    level: EnforcementLevel = MANDATORY,
    applies: Callable[[Mapping[str, Any]], bool] | None = None,
) -> ResourceValidationPolicy:
    """A ResourceValidationPolicy that runs ``check(props, name)`` on resources of ``types`` and
    reports each message it yields."""
    types = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        if applies is not None and not applies(args.props):
            return
        for message in check(args.props, args.name):
            report_violation(message, None)

    return ResourceValidationPolicy(name=name, description=description, validate=validate, enforcement_level=level)
