"""The policy pack over everything the real program registers: no mandatory violation."""

from __future__ import annotations

import pytest

from policy.policies import validate_resources
from tests.conftest import committed_stack
from tools.offline import Evaluation, reveal

STACKS = ["gcp", "aws"]


def as_policy_resources(evaluation: Evaluation) -> list[dict]:
    return [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "props": reveal(r.inputs),
            "protect": r.protect,
            "parent": r.parent,
            "dependencies": r.dependencies,
            "property_dependencies": r.property_dependencies,
        }
        for r in evaluation.resources
        if r.custom
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_program_passes_every_mandatory_policy(stack):
    violations = validate_resources(as_policy_resources(committed_stack(stack)))
    assert [v for v in violations if v.mandatory] == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_pack_sees_the_programs_data_resources(stack):
    """Guards the test above against passing because nothing was checked."""
    types = {r["type"] for r in as_policy_resources(committed_stack(stack))}
    database = {"gcp": "gcp:sql/databaseInstance:DatabaseInstance", "aws": "aws:rds/instance:Instance"}[stack]
    bucket = {"gcp": "gcp:storage/bucket:Bucket", "aws": "aws:s3/bucket:Bucket"}[stack]
    assert {database, bucket, "kubernetes:helm.sh/v3:Release"} <= types


def test_an_unprotected_database_is_caught_in_the_real_program():
    resources = as_policy_resources(committed_stack("gcp"))
    for r in resources:
        if r["type"] == "gcp:sql/databaseInstance:DatabaseInstance":
            r["protect"] = False
    violations = [v for v in validate_resources(resources) if v.mandatory]
    assert [v.policy for v in violations] == ["dr-resources-protected"]
