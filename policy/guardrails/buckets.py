"""Guardrails for the buckets: GCS and S3 (versioning, public access, encryption, no
force-destroy), and the S3 companions (pulumi-aws 7 keeps each setting in its own resource)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy

from .common import (
    GCS_BUCKET,
    KIND,
    MANDATORY,
    S3_BUCKETS,
    S3_PUBLIC_ACCESS_BLOCK,
    S3_SSE,
    S3_VERSIONING,
    UNKNOWN,
    get,
    is_blank,
    list_items,
    not_true,
    resource_policy,
    set_hint,
    show_value,
    unwrap,
    violation_message,
)

# --------------------------------------------------------------------------------------------
# GCS buckets
# --------------------------------------------------------------------------------------------

_GCS = KIND[GCS_BUCKET]
_KMS_KEY = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")


def _gcs_versioning(p: Mapping[str, Any], n: str) -> Iterator[str]:
    value = get(p, "versioning", "enabled")
    if not_true(value):
        yield violation_message(
            _GCS,
            n,
            "object versioning is off, so an overwrite or delete loses the "
            f"object (`versioning.enabled` is {show_value(value)})",
            set_hint("versioning.enabled", True),
        )


def _gcs_public_access(p: Mapping[str, Any], n: str) -> Iterator[str]:
    pap = get(p, "publicAccessPrevention")
    if pap is not UNKNOWN and pap != "enforced":
        yield violation_message(
            _GCS,
            n,
            f'public access is not blocked (`publicAccessPrevention` is {show_value(pap)}; unset means "inherited")',
            set_hint("publicAccessPrevention", "enforced"),
        )
    ubla = get(p, "uniformBucketLevelAccess")
    if not_true(ubla):
        yield violation_message(
            _GCS,
            n,
            f"object ACLs can grant access around the bucket's IAM (`uniformBucketLevelAccess` is {show_value(ubla)})",
            set_hint("uniformBucketLevelAccess", True),
        )


_GCS_ENFORCEMENT = (
    "customerManagedEncryptionEnforcementConfig",
    "customerSuppliedEncryptionEnforcementConfig",
    "googleManagedEncryptionEnforcementConfig",
)


def _gcs_encryption(p: Mapping[str, Any], n: str) -> Iterator[str]:
    block = get(p, "encryption")
    if block is None or block is UNKNOWN:
        return  # Google-managed encryption at rest: always on, nothing to configure.
    key = get(p, "encryption", "defaultKmsKeyName")
    others = [k for k in _GCS_ENFORCEMENT if get(p, "encryption", k) is not None]
    note = (
        "Cloud Storage always encrypts objects at rest with Google-managed keys, so a bucket "
        "without an `encryption` block passes; this policy only rejects a malformed block"
    )
    if not isinstance(unwrap(block), Mapping):
        yield violation_message(
            _GCS,
            n,
            f"`encryption` is not an object ({show_value(block)}). {note}",
            "remove `encryption`, or set `encryption.defaultKmsKeyName` to "
            '"projects/<p>/locations/<loc>/keyRings/<ring>/cryptoKeys/<key>"',
        )
    elif is_blank(key) and key is not UNKNOWN and not others:
        yield violation_message(
            _GCS,
            n,
            f"the `encryption` block is empty (no `defaultKmsKeyName`). {note}",
            "remove `encryption`, or set `encryption.defaultKmsKeyName` to "
            '"projects/<p>/locations/<loc>/keyRings/<ring>/cryptoKeys/<key>" '
            '(Python SDK: `encryption={"default_kms_key_name": key.id}`)',
        )
    elif isinstance(key, str) and key.strip() and not _KMS_KEY.match(key):
        yield violation_message(
            _GCS,
            n,
            f"`encryption.defaultKmsKeyName` is not a Cloud KMS key name ({show_value(key)}). {note}",
            "set `encryption.defaultKmsKeyName` to "
            '"projects/<p>/locations/<loc>/keyRings/<ring>/cryptoKeys/<key>" '
            "(Python SDK: `default_kms_key_name=crypto_key.id`)",
        )


def _gcs_no_force_destroy(p: Mapping[str, Any], n: str) -> Iterator[str]:
    if get(p, "forceDestroy") is True:
        yield violation_message(
            _GCS,
            n,
            "deleting the bucket would delete every object in it (`forceDestroy` is true)",
            set_hint("forceDestroy", False) + " or remove it",
        )


# --------------------------------------------------------------------------------------------
# S3 buckets (pulumi-aws 7: the bucket and its settings are separate resources)
# --------------------------------------------------------------------------------------------

S3_KIND = "S3 bucket"
_PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
_SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def _s3_no_force_destroy(p: Mapping[str, Any], n: str) -> Iterator[str]:
    if get(p, "forceDestroy") is True:
        yield violation_message(
            S3_KIND,
            n,
            "deleting the bucket would delete every object in it (`forceDestroy` is true)",
            set_hint("forceDestroy", False) + " or remove it",
        )


def _versioning_problem(p: Mapping[str, Any]) -> str | None:
    status = get(p, "versioningConfiguration", "status")
    if status is UNKNOWN or status == "Enabled":
        return None
    return f"`versioningConfiguration.status` is {show_value(status)}"


def _pab_problem(p: Mapping[str, Any]) -> str | None:
    off = [f for f in _PAB_FLAGS if not_true(get(p, f))]
    if not off:
        return None
    return "not true: " + ", ".join(f"`{f}`" for f in off)


def _sse_problem(p: Mapping[str, Any]) -> str | None:
    rules = get(p, "rules")
    if rules is UNKNOWN:
        return None
    if not list_items(rules):
        return "`rules` is empty"
    for index, rule in enumerate(list_items(rules)):
        algorithm = get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if algorithm is not UNKNOWN and algorithm not in _SSE_ALGORITHMS:
            return f"`rules[{index}].applyServerSideEncryptionByDefault.sseAlgorithm` is {show_value(algorithm)}"
    return None


_VERSIONING_FIX = set_hint("versioningConfiguration.status", "Enabled")
_PAB_FIX = (
    "set `blockPublicAcls`, `blockPublicPolicy`, `ignorePublicAcls` and "
    "`restrictPublicBuckets` all to true (Python SDK: `block_public_acls=True, "
    "block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True`)"
)
_SSE_FIX = (
    'set `rules` to [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": '
    '"aws:kms"}}] (or "AES256"; Python SDK: `rules=[{"apply_server_side_encryption_'
    'by_default": {"sse_algorithm": "aws:kms"}}]`)'
)


def _s3_versioning(p: Mapping[str, Any], n: str) -> Iterator[str]:
    problem = _versioning_problem(p)
    if problem:
        yield violation_message(
            KIND["aws:s3/bucketVersioning:BucketVersioning"],
            n,
            f"versioning of bucket {show_value(get(p, 'bucket'))} is not on ({problem})",
            _VERSIONING_FIX,
        )


def _s3_public_access(p: Mapping[str, Any], n: str) -> Iterator[str]:
    problem = _pab_problem(p)
    if problem:
        yield violation_message(
            KIND["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
            n,
            f"public access to bucket {show_value(get(p, 'bucket'))} is not fully blocked ({problem})",
            _PAB_FIX,
        )


def _s3_encryption(p: Mapping[str, Any], n: str) -> Iterator[str]:
    problem = _sse_problem(p)
    if problem:
        yield violation_message(
            "S3 BucketServerSideEncryptionConfiguration",
            n,
            f"no valid default encryption for bucket {show_value(get(p, 'bucket'))} ({problem})",
            _SSE_FIX,
        )


# (types, what, problem-finder, how to add one) for the stack-level S3 companion check.
_S3_COMPANIONS = (
    (
        S3_VERSIONING,
        '`aws.s3.BucketVersioning` with status "Enabled"',
        _versioning_problem,
        'add `aws.s3.BucketVersioning(..., bucket=<bucket>.id, versioning_configuration={"status": "Enabled"})`',
    ),
    (
        S3_PUBLIC_ACCESS_BLOCK,
        "`aws.s3.BucketPublicAccessBlock` with all four flags true",
        _pab_problem,
        "add `aws.s3.BucketPublicAccessBlock(..., bucket=<bucket>.id, block_public_acls=True, "
        "block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)`",
    ),
    (
        S3_SSE,
        "valid `aws.s3.BucketServerSideEncryptionConfiguration`",
        _sse_problem,
        "add `aws.s3.BucketServerSideEncryptionConfiguration(..., bucket=<bucket>.id, rules=[{"
        '"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}])`',
    ),
)


def bucket_keys(bucket: PolicyResource) -> set:
    keys = set()
    for prop in ("bucket", "id"):
        value = get(bucket.props, prop)
        if isinstance(value, str) and value:
            keys.add(value)
    return keys


def targets_bucket(companion: PolicyResource, bucket: PolicyResource, keys: set) -> bool:
    """The companion's `bucket` input names this bucket: by value (the bucket's name or id), or,
    when the value is unknown during preview, by the engine's property dependency on it."""
    if any(dep.urn == bucket.urn for dep in companion.property_dependencies.get("bucket", [])):
        return True
    value = get(companion.props, "bucket")
    return isinstance(value, str) and value in keys


def _validate_s3_companions(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets = [r for r in args.resources if r.resource_type in S3_BUCKETS]
    for bucket in buckets:
        keys = bucket_keys(bucket)
        for types, what, problem_of, how in _S3_COMPANIONS:
            linked = [r for r in args.resources if r.resource_type in types and targets_bucket(r, bucket, keys)]
            if any(problem_of(r.props) is None for r in linked):
                continue
            found = "; ".join(f"'{r.name}': {problem_of(r.props)}" for r in linked)
            problem = f"it has no {what} linked by its `bucket` input" + (f" (found {found})" if found else "")
            report_violation(violation_message(S3_KIND, bucket.name, problem, how), bucket.urn)


POLICIES: list[Policy] = [
    # GCS
    resource_policy("gcs-bucket-versioning", "GCS buckets have object versioning on.", [GCS_BUCKET], _gcs_versioning),
    resource_policy(
        "gcs-bucket-public-access-blocked",
        "GCS buckets enforce public access prevention and uniform bucket-level access.",
        [GCS_BUCKET],
        _gcs_public_access,
    ),
    resource_policy(
        "gcs-bucket-encryption",
        "GCS buckets are encrypted at rest (always true; a malformed `encryption` block is rejected).",
        [GCS_BUCKET],
        _gcs_encryption,
    ),
    resource_policy(
        "gcs-bucket-no-force-destroy", "GCS buckets do not set forceDestroy.", [GCS_BUCKET], _gcs_no_force_destroy
    ),
    # S3
    resource_policy(
        "s3-bucket-no-force-destroy", "S3 buckets do not set forceDestroy.", S3_BUCKETS, _s3_no_force_destroy
    ),
    resource_policy(
        "s3-bucket-versioning-enabled",
        "S3 BucketVersioning resources have status Enabled.",
        S3_VERSIONING,
        _s3_versioning,
    ),
    resource_policy(
        "s3-public-access-block-complete",
        "S3 BucketPublicAccessBlock resources set all four flags to true.",
        S3_PUBLIC_ACCESS_BLOCK,
        _s3_public_access,
    ),
    resource_policy(
        "s3-bucket-encryption-valid",
        "S3 server-side encryption configurations have a rule with a valid algorithm.",
        S3_SSE,
        _s3_encryption,
    ),
    StackValidationPolicy(
        name="s3-bucket-companions",
        description="Every S3 bucket has versioning Enabled, a complete public access block and a "
        "server-side encryption configuration (separate resources in pulumi-aws 7).",
        validate=_validate_s3_companions,
        enforcement_level=MANDATORY,
    ),
]
