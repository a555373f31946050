"""The shipped stacks are a working example (issue 18, item 3): the four stack files evaluate
without a single warning, primaries and standbys, unpromoted and promoted against their shipped
primaries; and the EKS version they ask for ages the way EKS does (a warning once out of standard
support, a refusal once out of extended support), each phase pinned by the `now` it is evaluated at.

The EKS calendar the offline engine answers from (tools/offline/invokes.py, EKS_CLUSTER_VERSIONS):
14 months of standard support from a version's EKS release, 12 of extended support
(https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html); 1.35 released on EKS
2026-01-27, standard support to 2027-03-27, extended to 2028-03-27 (https://endoflife.date/amazon-eks).
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta

import pytest

from components.schema import ConfigError
from tests import pki
from tests.conftest import TLS_SECRETS, committed_stack
from tools.offline import evaluate, stack_config
from tools.plan.document import to_document
from tools.plan.page import render_plan

STACKS = ("gcp", "gcp-standby", "aws", "aws-standby")
PRIMARY = {"gcp-standby": "gcp", "aws-standby": "aws"}


@functools.cache
def promoted(stack: str):
    """The shipped standby with `promote: true` and nothing else changed, its StackReference
    answered with its shipped primary's outputs (as the backend holds them)."""
    standby = {**json.loads(stack_config(stack)[0]["astronomer-dr:standby"]), "promote": True}
    reference = standby["primaryStack"]
    return evaluate(
        stack,
        secrets=TLS_SECRETS,
        overrides={"astronomer-dr:standby": standby},
        stack_outputs={reference: committed_stack(PRIMARY[stack]).outputs},
    )


def test_the_shipped_kubernetes_versions_are_the_ones_described():
    assert json.loads(stack_config("aws")[0]["astronomer-dr:cluster"])["kubernetesVersion"] == "1.35"
    assert json.loads(stack_config("aws-standby")[0]["astronomer-dr:cluster"])["kubernetesVersion"] == "1.35"


@pytest.mark.parametrize("stack", STACKS)
def test_a_shipped_stack_evaluates_without_a_warning(stack):
    """The suite's evaluations pass no `now`: EKS answers as on the day its calendar was checked
    (tools/offline/invokes.py, EKS_CALENDAR_CHECKED: 1.35 in standard support), so this holds at any date."""
    evaluation = committed_stack(stack)
    assert evaluation.warnings == []


@pytest.mark.parametrize("stack", sorted(PRIMARY))
def test_a_shipped_standby_promotes_against_its_shipped_primary_without_a_warning(stack):
    evaluation = promoted(stack)
    assert evaluation.error is None, evaluation.error
    assert evaluation.warnings == []
    assert evaluation.outputs["standby_promoted"] is True and "platform_url" in evaluation.outputs
    # And its plan: no error, no Warnings section.
    document = to_document(evaluation)
    assert document["error"] is None and document["warnings"] == []
    assert "## Warnings" not in render_plan(document)


def test_the_promoted_aws_standby_serves_the_primarys_registry_replica():
    outputs = committed_stack("aws").outputs
    assert outputs["registry_replica_region"] == "us-west-2"
    assert promoted("aws-standby").outputs["registry_bucket"] == outputs["registry_replica_bucket"]


def test_the_gcp_registry_outlives_the_primarys_region():
    assert committed_stack("gcp").outputs["registry_location"] == "US"


def tls_valid_at(now: datetime) -> dict[str, str]:
    """TLS secrets whose chain is valid for months around `now` (the suite's own is issued from the
    real clock): an evaluation at `now` warns of nothing about it, whatever day the suite runs."""
    ca = pki.certificate_authority(now)  # the suite's CA starts at the real clock: one of `now`'s own
    leaf, key = pki.issue(
        (pki.BASE_DOMAIN, f"*.{pki.BASE_DOMAIN}"),
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=200),
        ca=ca,
    )
    return {"astronomer-dr:tlsCertificate": pki.cert_pem(leaf, ca[0]), "astronomer-dr:tlsKey": pki.key_pem(key)}


def _aws_at(now: datetime):
    return evaluate("aws", secrets=tls_valid_at(now), now=now, stack_outputs={})


def test_eks_1_35_is_in_standard_support_to_its_last_day():
    evaluation = _aws_at(datetime(2027, 3, 26, 12, tzinfo=UTC))
    assert evaluation.error is None and evaluation.warnings == []


def test_eks_1_35_out_of_standard_support_is_warned_about_not_silently_kept():
    evaluation = _aws_at(datetime(2027, 6, 1, tzinfo=UTC))
    assert evaluation.error is None, evaluation.error
    [warning] = evaluation.warnings
    assert warning.startswith("EKS 1.35 is in extended support (standard support ended 2027-03-27")
    assert "extended-support rate" in warning and "Versions in standard support: 1.36." in warning


def test_eks_1_35_out_of_extended_support_is_refused_before_anything_is_declared():
    evaluation = _aws_at(datetime(2028, 6, 1, tzinfo=UTC))
    assert isinstance(evaluation.error, ConfigError)
    assert "cluster.kubernetesVersion: EKS no longer creates clusters at 1.35 (unsupported)" in str(evaluation.error)
    assert not [r for r in evaluation.resources if r.custom]
