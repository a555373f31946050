"""The pulumi_policy internals the guardrails read, in one place.

pulumi_policy exports no public API for how its gRPC server turns the engine's properties into
what a policy sees (``deserialize_properties``, then ``unknown_checking_proxy``), for the values
that stand for "unknown during preview" (the ``UNKNOWN_*_VALUE`` sentinels), or for the error a
proxy raises when such a value is read (``UnknownValueError``). They live in its ``deserialize`` and
``proxy`` modules. Every use goes through this module, and tests/test_pulumi_internals.py fails
loudly when a pulumi-policy release moves or changes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

__all__ = ["UNKNOWN_SENTINELS", "UnknownValueError", "engine_props"]

# The strings the engine sends in place of a value it does not know yet (preview).
UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


def engine_props(props: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Props as the pack's gRPC server builds them: protobuf Struct -> dict (numbers become
    floats) -> deserialize_properties -> unknown-checking proxy."""
    struct = struct_pb2.Struct()
    struct.update(dict(props or {}))
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))
