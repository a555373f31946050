"""The policy pack on Velero: a schedule keeps its backups at least a week; the backups buckets are
checked like the registry's (the bucket policies apply to every GCS and S3 bucket)."""

from __future__ import annotations

import pytest

from policy.policies import go_duration_hours, validate_resources
from tests.conftest import committed_stack
from tests.test_policy_program import as_policy_resources

SCHEDULE = "kubernetes:velero.io/v1:Schedule"


def schedule(ttl):
    template = {"includedNamespaces": ["astronomer-*"]} | ({"ttl": ttl} if ttl is not None else {})
    return {
        "type": SCHEDULE,
        "name": "velero-schedule",
        "props": {"spec": {"schedule": "0 * * * *", "template": template}},
    }


@pytest.mark.parametrize(
    "ttl,hours", [("168h0m0s", 168), ("720h", 720), ("90m", 1.5), ("1h30m0s", 1.5), ("week", None), ("", None)]
)
def test_go_durations(ttl, hours):
    assert go_duration_hours(ttl) == hours


@pytest.mark.parametrize("ttl", ["168h0m0s", "336h0m0s"])
def test_a_week_or_more_passes(ttl):
    assert [v for v in validate_resources([schedule(ttl)]) if v.policy == "velero-schedule-keeps-a-week"] == []


@pytest.mark.parametrize("ttl", ["72h0m0s", "24h", None])
def test_less_than_a_week_or_unset_is_refused(ttl):
    [violation] = [v for v in validate_resources([schedule(ttl)]) if v.policy == "velero-schedule-keeps-a-week"]
    assert violation.mandatory and "spec.template.ttl" in violation.message and "168h0m0s" in violation.message


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_programs_backups_bucket_and_schedule_are_checked(stack):
    resources = as_policy_resources(committed_stack(stack))
    names = {r["name"] for r in resources}
    assert f"astro-{stack}-backups" in names and "velero-schedule" in names
    for r in resources:
        if r["name"] == f"astro-{stack}-backups" and r["type"] in ("gcp:storage/bucket:Bucket", "aws:s3/bucket:Bucket"):
            r["protect"] = False
    violations = [v for v in validate_resources(resources) if v.mandatory]
    assert [v.policy for v in violations] == ["dr-resources-protected"]
    assert f"astro-{stack}-backups" in violations[0].message
