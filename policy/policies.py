"""DR guardrails for the Astronomer platform: the policies of the ``astronomer-dr-guardrails`` pack.

Importing this module has no side effects: it only collects the policies. ``policy/__main__.py``
builds the ``PolicyPack`` (whose constructor starts a gRPC server and blocks forever).

The policies live in ``guardrails/``, one module per thing they guard:

* ``guardrails/databases.py``: Cloud SQL and RDS primaries and their cross-region read replicas;
* ``guardrails/buckets.py``: GCS and S3 buckets, and the S3 companions (versioning, public access
  block, encryption);
* ``guardrails/release.py``: the ``astronomer`` Helm release and Velero's schedules;
* ``guardrails/stack.py``: stack level, ``protect`` on every database and bucket;
* ``guardrails/security.py``: NetworkPolicies, node identity and rolling, IMDSv2, TLS to S3, and the
  advisory exposure choices.

``guardrails/common.py`` reads resources the way the Pulumi engine hands them to a policy pack:

* resource policies (``Analyze``) get the resource's *inputs*, stack policies (``AnalyzeStack``) get
  its *outputs*; both with the engine's camelCase property names, numbers as floats, wrapped in
  pulumi_policy's unknown-checking proxies (``Mapping``/``Sequence``, not ``dict``/``list``), and
  any value that is unknown during preview raises ``UnknownValueError`` when read;
* Terraform-bridged blocks with MaxItems=1 (Cloud SQL ``settings``, ``backupConfiguration``,
  ``ipConfiguration``, ``backupRetentionSettings``, ``finalBackupConfig``, GCS ``versioning`` ...)
  arrive as objects from today's SDKs and provider, but as one-element lists in states and
  programs written against older provider schemas or raw Terraform shapes. ``unwrap`` turns a
  one-element list into its element, and ``get`` applies it at every step of a path.

A value that is unknown during preview is not judged (the same policy runs again on ``pulumi up``,
when it is known); it counts as "set" for the checks that only need a value to be present.

``validate_resources`` runs every policy over plain resource dicts exactly as the engine would
(same argument objects, same property deserialisation), for tests (``guardrails/harness.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Policy

try:  # run by the CLI: the pack directory is on sys.path
    from guardrails import buckets, databases, release, security, stack  # type: ignore[import-not-found]
    from guardrails.common import (  # type: ignore[import-not-found]
        ADVISORY,
        ENFORCEMENT_LEVEL,
        MANDATORY,
        PACK_NAME,
        UNKNOWN,
        get,
        unwrap,
    )
    from guardrails.harness import Violation, run_policies  # type: ignore[import-not-found]
    from guardrails.release import go_duration_hours  # type: ignore[import-not-found]
except ModuleNotFoundError as error:  # imported from the project root: policy.policies
    if error.name != "guardrails":
        raise
    from policy.guardrails import buckets, databases, release, security, stack
    from policy.guardrails.common import ADVISORY, ENFORCEMENT_LEVEL, MANDATORY, PACK_NAME, UNKNOWN, get, unwrap
    from policy.guardrails.harness import Violation, run_policies
    from policy.guardrails.release import go_duration_hours

__all__ = [
    "ADVISORY",
    "ENFORCEMENT_LEVEL",
    "MANDATORY",
    "PACK_NAME",
    "POLICIES",
    "UNKNOWN",
    "Violation",
    "get",
    "go_duration_hours",
    "unwrap",
    "validate_resources",
]

# Every policy of the pack, in the order the engine reports them.
POLICIES: list[Policy] = [
    *databases.POLICIES,
    *buckets.POLICIES,
    *release.POLICIES,
    *stack.POLICIES,
    *security.POLICIES,
]


def validate_resources(
    resources: Iterable[Mapping[str, Any]], *, policies: Iterable[Policy] | None = None
) -> list[Violation]:
    """Run the pack's policies (or ``policies``) over plain resource dicts the way the engine does;
    see ``guardrails.harness.run_policies`` for the shape of a resource. Returns every violation,
    advisory ones included."""
    return run_policies(resources, POLICIES if policies is None else list(policies))
