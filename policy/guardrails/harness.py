"""Running policies without the engine (tests, ``validate_resources``): the same argument objects
and the same property deserialisation as the pack's gRPC server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .common import ADVISORY, ENFORCEMENT_LEVEL, MANDATORY
from .pulumi_internals import UnknownValueError, engine_props

# --------------------------------------------------------------------------------------------
# Running the pack without the engine (tests)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One diagnostic, as the engine would print it (its message is prefixed by the policy's
    description there)."""

    policy: str
    enforcement_level: EnforcementLevel
    urn: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == MANDATORY


def _options(resource: Mapping[str, Any]) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        bool(resource.get("protect", False)), [], None, [], PolicyCustomTimeouts(0, 0, 0), [], resource.get("parent")
    )


def _run(policy: Policy, args: Any, level: EnforcementLevel, default_urn: str, out: list[Violation]) -> None:
    def report_violation(message: str, urn: str | None = None) -> None:
        out.append(Violation(policy.name, level, urn or default_urn, message))

    try:
        result = policy.validate(args, report_violation)  # type: ignore[attr-defined]
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(result)
            finally:
                loop.close()
    except UnknownValueError as e:  # what the engine reports instead
        out.append(
            Violation(policy.name, ADVISORY, "", f"can't run policy '{policy.name}' during preview: {e.message}")
        )


def run_policies(resources: Iterable[Mapping[str, Any]], policies: Iterable[Policy]) -> list[Violation]:
    """Run every resource policy on every resource, then every stack policy on all of them, the
    way the engine does (ResourceValidationArgs / StackValidationArgs / PolicyResource built from
    engine-shaped properties). Returns every violation, advisory ones included.

    A resource is a dict::

        {"type": "gcp:sql/databaseInstance:DatabaseInstance",   # type token
         "name": "astro-db",                                    # resource name
         "urn": "urn:pulumi:gcp::astronomer-dr::...::astro-db", # optional (made up if absent)
         "props": {...},        # inputs, camelCase (e.g. MockResourceArgs.inputs)
         "protect": True,       # optional, default False
         # optional, for the stack policies (the engine gives them outputs, not inputs):
         "outputs": {...},      # merged over props, e.g. {"id": ...} returned by the mock
         "parent": urn, "dependencies": [urn, ...],
         "property_dependencies": {"bucket": [urn, ...]}}
    """
    items: list[dict[str, Any]] = []
    for r in resources:
        item = dict(r)
        item.setdefault("urn", f"urn:pulumi:stack::project::{item['type']}::{item['name']}")
        items.append(item)

    out: list[Violation] = []
    for policy in policies:
        level = policy.enforcement_level or ENFORCEMENT_LEVEL
        if level == EnforcementLevel.DISABLED:
            continue
        if level == EnforcementLevel.REMEDIATE:
            level = MANDATORY
        if isinstance(policy, ResourceValidationPolicy):
            for r in items:
                args = ResourceValidationArgs(
                    r["type"], engine_props(r.get("props")), r["urn"], r["name"], _options(r), None, None, {}
                )
                _run(policy, args, level, r["urn"], out)
        elif isinstance(policy, StackValidationPolicy):
            _run(policy, StackValidationArgs(_stack_resources(items), None, {}), level, "", out)
    return out


def _stack_resources(items: list[dict[str, Any]]) -> list[PolicyResource]:
    by_urn: dict[str, PolicyResource] = {}
    for r in items:
        props = {**(r.get("props") or {}), **(r.get("outputs") or {})}
        by_urn[r["urn"]] = PolicyResource(
            r["type"], engine_props(props), r["urn"], r["name"], _options(r), None, None, [], {}
        )
    for r in items:
        res = by_urn[r["urn"]]
        res.parent = by_urn.get(r.get("parent") or "")
        res.dependencies = [by_urn[u] for u in r.get("dependencies", []) if u in by_urn]
        res.property_dependencies = {
            k: [by_urn[u] for u in v if u in by_urn] for k, v in (r.get("property_dependencies") or {}).items()
        }
    return list(by_urn.values())
