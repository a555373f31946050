"""Stack-level guardrail: every database and bucket carries the ``protect`` resource option."""

from __future__ import annotations

from pulumi_policy import Policy, ReportViolation, StackValidationArgs, StackValidationPolicy

from .common import BUCKETS, DATABASES, KIND, MANDATORY, violation_message

# --------------------------------------------------------------------------------------------
# Stack level: protect
# --------------------------------------------------------------------------------------------


def _validate_protected(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for r in args.resources:
        if r.resource_type not in DATABASES and r.resource_type not in BUCKETS:
            continue
        if r.opts is not None and r.opts.protect:
            continue
        kind = KIND.get(r.resource_type, r.resource_type)
        report_violation(
            violation_message(
                kind,
                r.name,
                "it is not protected, so `pulumi destroy` or a refactor that drops it from the program deletes it",
                "register it with the resource option `protect: true` (Python SDK: "
                "`opts=pulumi.ResourceOptions(protect=True)`), or run `pulumi state protect "
                f"'{r.urn}'`",
            ),
            r.urn,
        )


POLICIES: list[Policy] = [
    # Stack level
    StackValidationPolicy(
        name="dr-resources-protected",
        description="Every database (Cloud SQL, RDS) and registry bucket (GCS, S3) is protected.",
        validate=_validate_protected,
        enforcement_level=MANDATORY,
    ),
]
