"""Nothing in the suite expires: every time-dependent path takes the moment it checks against.

The program reads its clock in one place (`components.config.stack.utc_now`), the offline engine
answers it with the `now` it is given, and the drill and the plan pass theirs down. These tests
evaluate those paths a year after the clock they run under, so a fixed date aging out of a restore
window shows here first, not as a red CI next month (issue 18, item 1).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from components.config import parse_settings
from components.config.stack import utc_now
from tests.conftest import TLS_SECRETS, committed_stack
from tests.test_shipped_stacks import tls_valid_at
from tools import drill
from tools.offline import EKS_CLUSTER_VERSIONS, evaluate, stack_config
from tools.offline.invokes import eks_version_status
from tools.plan.document import plan_document

A_YEAR_AHEAD = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365)


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def restore_at(moment: datetime) -> dict[str, str]:
    database = {
        **json.loads(stack_config("gcp")[0]["astronomer-dr:database"]),
        "restore": {"pointInTime": rfc3339(moment)},
    }
    return {"astronomer-dr:database": json.dumps(database)}


def test_the_program_checks_restore_times_against_the_engines_now():
    """A restore three hours before `now` a year ahead evaluates under that `now`, and the same
    config under the real clock is refused as in the future: the engine's `now` is the program's."""
    at = A_YEAR_AHEAD - timedelta(hours=3)
    label = "pitr-" + at.strftime("%Y%m%dt%H%M%Sz")
    ahead = evaluate("gcp", secrets=TLS_SECRETS, overrides=restore_at(at), now=A_YEAR_AHEAD)
    assert ahead.error is None, ahead.error
    assert any(r.name == f"astro-gcp-db-{label}" for r in ahead.of_type("gcp:sql/databaseInstance:DatabaseInstance"))
    today = evaluate("gcp", secrets=TLS_SECRETS, overrides=restore_at(at))
    assert today.error is not None and "is in the future" in str(today.error)


def test_the_engine_restores_the_real_clock_after_an_evaluation():
    evaluate("aws", secrets=TLS_SECRETS, now=A_YEAR_AHEAD)
    assert abs(utc_now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate("gcp", secrets=TLS_SECRETS, now=datetime(2027, 1, 1))


def _eks_status(version: str, at: datetime) -> str:
    [(standard, extended)] = [(s, e) for v, _, s, e in EKS_CLUSTER_VERSIONS if v == version]
    return eks_version_status(standard, extended, at)


def test_both_shipped_stacks_and_their_standbys_evaluate_a_year_ahead():
    """The stack files hold no date that ages: evaluated a year from now the GCP stacks still
    evaluate without a warning (the standbys with their primaries evaluated at the same moment).
    The AWS stacks ask EKS for a version the way EKS answers then (the engine's calendar at `now`,
    tools/offline/invokes.py): no warning in standard support, the extended-support warning after
    it, a refusal after that; never silently the same. Which phase a year ahead falls in depends
    on the day the suite runs, so the expectation is computed; tests/test_shipped_stacks.py pins
    each phase with a fixed `now`."""
    secrets = tls_valid_at(A_YEAR_AHEAD)
    for stack in ("gcp", "gcp-standby"):
        evaluation = evaluate(stack, secrets=secrets, now=A_YEAR_AHEAD)
        assert evaluation.error is None, (stack, evaluation.error)
        assert evaluation.warnings == [], (stack, evaluation.warnings)
    status = _eks_status("1.35", A_YEAR_AHEAD)
    # The standby is given its primary's outputs as of today: a primary refused a year ahead would
    # otherwise leave it nothing to read, and the standby's own version check is what is under test.
    primary = {"organization/astronomer-dr/aws": committed_stack("aws").outputs}
    for stack in ("aws", "aws-standby"):
        outputs = primary if stack == "aws-standby" else None
        evaluation = evaluate(stack, secrets=secrets, now=A_YEAR_AHEAD, stack_outputs=outputs)
        if status == "UNSUPPORTED":
            assert "EKS no longer creates clusters at 1.35" in str(evaluation.error), (stack, evaluation.error)
            continue
        assert evaluation.error is None, (stack, evaluation.error)
        if status == "STANDARD_SUPPORT":
            assert evaluation.warnings == [], (stack, evaluation.warnings)
        else:
            [warning] = evaluation.warnings
            assert warning.startswith("EKS 1.35 is in extended support"), (stack, warning)


def test_the_plan_evaluates_at_the_now_it_is_given():
    document = plan_document("gcp", now=A_YEAR_AHEAD)
    assert document["error"] is None


def test_the_drill_checks_at_against_the_now_it_is_given(capsys):
    recent = rfc3339(A_YEAR_AHEAD - timedelta(hours=2))
    assert drill.main(["gcp", "--at", recent, "--project", "acme-drill"], now=A_YEAR_AHEAD) == 0
    assert f"database.restore.pointInTime {recent}" in capsys.readouterr().out
    # Today's time is a year old then: refused, and a first restore is never told to promote.
    old = rfc3339(A_YEAR_AHEAD - timedelta(days=365, hours=2))
    assert drill.main(["gcp", "--at", old, "--project", "acme-drill"], now=A_YEAR_AHEAD) == 2
    refused = capsys.readouterr().err
    assert "older than the 7-day window" in refused and "promote" not in refused


def test_parse_settings_takes_its_now():
    at = A_YEAR_AHEAD - timedelta(days=1)
    config = {**stack_config("gcp")[0], **TLS_SECRETS}
    with pytest.raises(Exception, match="is in the future"):
        parse_settings({**config, **restore_at(at)}, "gcp")
    settings = parse_settings({**config, **restore_at(at)}, "gcp", now=A_YEAR_AHEAD)
    database = settings.require_gcp().database
    assert database.restore is not None and database.restore.point_in_time == rfc3339(at)
