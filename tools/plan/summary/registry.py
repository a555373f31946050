"""DR summary rows of the registry: its bucket, and which Helm release is the platform's."""

from __future__ import annotations

import re

from tools.plan.summary.rows import fmt_value, summary_row


def bucket_rows(evaluation, backend: str, bucket_name: str | None) -> list[dict[str, str]]:
    rows = []
    if backend == "gcs":
        for b in evaluation.of_type("gcp:storage/bucket:Bucket"):
            if bucket_name and b.input("name") != bucket_name:
                continue
            noncurrent = [
                rule.get("condition", {}).get("daysSinceNoncurrentTime")
                for rule in b.input("lifecycleRules") or []
                if (rule.get("condition") or {}).get("daysSinceNoncurrentTime") is not None
            ]
            value = (
                f"location `{fmt_value(b.input('location'))}`, versioning {'on' if b.input('versioning.enabled') else 'OFF ⚠️'}"
                + (f", noncurrent versions kept {fmt_value(noncurrent[0])} days" if noncurrent else "")
                + f", Pulumi `protect` {'on' if b.protect else 'OFF ⚠️'}"
                + (", `forceDestroy` ON ⚠️" if b.input("forceDestroy") else "")
            )
            rows.append(
                summary_row("Registry bucket", value, b, "location", "versioning.enabled", "lifecycleRules", "protect")
            )
    elif backend == "s3":
        for b in evaluation.of_type("aws:s3/bucket:Bucket"):
            if bucket_name and b.input("bucket") != bucket_name:
                continue
            versioning = [
                v
                for v in evaluation.of_type("aws:s3/bucketVersioning:BucketVersioning")
                if v.input("bucket") == b.input("bucket")
            ]
            status = versioning[0].input("versioningConfiguration.status") if versioning else None
            value = f"versioning {status or 'OFF ⚠️'}, Pulumi `protect` {'on' if b.protect else 'OFF ⚠️'}" + (
                ", `forceDestroy` ON ⚠️" if b.input("forceDestroy") else ""
            )
            rows.append(summary_row("Registry bucket", value, b, "forceDestroy", "protect"))
    return rows


def is_astronomer_release(r) -> bool:
    chart = str(r.input("chart") or "")
    return chart == "astronomer" or chart.endswith("/astronomer") or bool(re.search(r"astronomer-[\d.]+\.tgz$", chart))
