"""The Pulumi SDK internals the offline engine needs, in one place.

The SDK's public testing API (`pulumi.runtime.set_mocks`, `Mocks`, `MockMonitor`, `run_in_stack`,
`set_all_config`, `reset_options`) runs a program under mocks once per process. The offline engine
(tools/offline/) runs many programs in one process (one per stack and override the tests ask for)
and records what the engine would receive; for that it needs three things the SDK does not export:

* the wire format of property values: the Struct <-> Python conversion of `pulumi.runtime.rpc` and
  its secret signature (`{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  "value": ...}`, pulumi sdk/go/common/resource/sig/sig.go);
* clearing the root Stack resource that `set_mocks` creates, so that `run_in_stack` makes the one the
  program runs under (`pulumi.runtime.settings.ROOT`: `set_root_resource` takes only a Resource);
* dropping the pending work a previous, failed run left in the ambient settings (`SETTINGS.outputs`,
  `SETTINGS.rpc_manager`).

Every access goes through this module; tests/test_pulumi_internals.py fails loudly when an SDK
release moves or changes one of them.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc, settings
from pulumi.runtime.rpc_manager import RPCManager

__all__ = [
    "clear_root_resource",
    "deserialize_properties",
    "forget_pending_work",
    "is_secret",
    "mark_secret",
    "unwrap_secret",
    "wrap_secret",
]


def deserialize_properties(struct: struct_pb2.Struct) -> Any:
    """A request's or response's properties as Python values (secrets as signature dicts)."""
    return rpc.deserialize_properties(struct)


def is_secret(value: Any) -> bool:
    """Whether a deserialized value is a secret on the wire."""
    return rpc.is_rpc_secret(value)


def unwrap_secret(value: Any) -> Any:
    """The value inside a wire secret (the value itself if it is not one)."""
    return rpc.unwrap_rpc_secret(value)


def wrap_secret(value: Any) -> Any:
    """The value as a wire secret (unchanged if it already is one)."""
    return rpc.wrap_rpc_secret(value)


def mark_secret(struct: struct_pb2.Struct, keys: list[str]) -> None:
    """Make the properties `keys` of a Struct secret in place, as the engine does for a resource's
    `additionalSecretOutputs`. Struct values are JSON, so each converts to Python and back as is."""
    for key in keys:
        if key in struct.fields:
            value = json_format.MessageToDict(struct.fields[key])
            struct.update({key: wrap_secret(value)})


def clear_root_resource() -> None:
    """Forget the root Stack resource, so that the next `run_in_stack` creates the program's."""
    settings.ROOT.set(None)


def forget_pending_work() -> None:
    """Drop the outputs and RPCs a previous run left in the ambient settings (a failed run's tasks
    would otherwise be awaited by the next one)."""
    with settings.SETTINGS.lock:
        settings.SETTINGS.outputs.clear()
    settings.SETTINGS.rpc_manager = RPCManager()
