"""The Pulumi SDK internals this project reaches, each through one adapter module: tools/pulumi_internals.py
(the offline engine, pulumi 3.x) and policy/guardrails/pulumi_internals.py (the policy pack, pulumi-policy 1.x).

Each test pins one behaviour the code relies on, so that an SDK release that moves or changes it fails
here, by name, rather than somewhere deep in a stack evaluation. Sources: the installed SDKs,
pulumi/runtime/rpc.py (wrap_rpc_secret, is_rpc_secret, unwrap_rpc_secret, deserialize_properties),
pulumi/runtime/settings.py (ROOT, SETTINGS, get_root_resource), pulumi/runtime/mocks.py (set_mocks,
MockMonitor), pulumi_policy/deserialize.py and pulumi_policy/proxy.py; the wire signatures are Pulumi's
(github.com/pulumi/pulumi, sdk/go/common/resource/sig/sig.go: Key "4dabf18193072939515e22adb298388d",
Secret "1b47061264138c4ac30d75fd1eb44270").
"""

import contextvars
import inspect
from collections.abc import Mapping, Sequence

import pulumi.runtime
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import mocks, settings
from pulumi.runtime.rpc_manager import RPCManager

from policy.guardrails import pulumi_internals as policy_internals
from tools import pulumi_internals

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def _struct(values: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


# ---- tools/pulumi_internals.py ------------------------------------------------------------------


def test_a_wire_secret_is_the_signature_dict():
    wrapped = pulumi_internals.wrap_secret("hunter2")
    assert wrapped == {SIG_KEY: SECRET_SIG, "value": "hunter2"}
    assert pulumi_internals.is_secret(wrapped)
    assert pulumi_internals.unwrap_secret(wrapped) == "hunter2"
    assert pulumi_internals.wrap_secret(wrapped) == wrapped  # not wrapped twice
    assert not pulumi_internals.is_secret("hunter2")
    assert pulumi_internals.unwrap_secret("hunter2") == "hunter2"


def test_deserialize_properties_keeps_secrets_on_the_wire_and_numbers_as_floats():
    values = pulumi_internals.deserialize_properties(
        _struct({"name": "db", "port": 5432, "password": {SIG_KEY: SECRET_SIG, "value": "p"}, "tags": ["a"]})
    )
    assert values["name"] == "db" and values["tags"] == ["a"]
    assert values["port"] == 5432.0
    assert pulumi_internals.is_secret(values["password"])
    assert pulumi_internals.unwrap_secret(values["password"]) == "p"


def test_mark_secret_wraps_only_the_named_outputs_in_place():
    struct = _struct({"endpoint": "10.0.0.1", "masterAuth": {"clusterCaCertificate": "Q0E=", "port": 443}})
    pulumi_internals.mark_secret(struct, ["masterAuth", "absent"])
    values = pulumi_internals.deserialize_properties(struct)
    assert values["endpoint"] == "10.0.0.1"
    assert "absent" not in values
    assert pulumi_internals.is_secret(values["masterAuth"])
    assert pulumi_internals.unwrap_secret(values["masterAuth"]) == {"clusterCaCertificate": "Q0E=", "port": 443.0}


def test_clear_root_resource_forgets_the_root_stack():
    def run() -> None:
        settings.ROOT.set(object())  # type: ignore[arg-type]  # any non-None root will do
        assert pulumi.runtime.get_root_resource() is not None
        pulumi_internals.clear_root_resource()
        assert pulumi.runtime.get_root_resource() is None

    contextvars.copy_context().run(run)  # the ambient root of other tests is left alone


def test_forget_pending_work_drops_outputs_and_the_rpc_manager():
    def run() -> None:
        settings.SETTINGS.outputs.add("a pending output")  # a stand-in for a task
        before = settings.SETTINGS.rpc_manager
        pulumi_internals.forget_pending_work()
        assert not settings.SETTINGS.outputs
        assert isinstance(settings.SETTINGS.rpc_manager, RPCManager)
        assert settings.SETTINGS.rpc_manager is not before

    contextvars.copy_context().run(run)


def test_the_public_api_the_engine_uses_is_still_public():
    """tools/offline/engine.py uses these as the SDK exports them (pulumi.runtime.__all__)."""
    for name in ("set_mocks", "set_all_config", "run_in_stack", "Mocks", "MockResourceArgs", "MockCallArgs"):
        assert name in pulumi.runtime.__all__, name
    assert "monitor" in inspect.signature(pulumi.runtime.set_mocks).parameters
    assert callable(mocks.MockMonitor.RegisterResource)
    assert callable(mocks.MockMonitor.ReadResource) and callable(mocks.MockMonitor.RegisterResourceOutputs)


# ---- policy/guardrails/pulumi_internals.py -------------------------------------------------------


def test_policy_unknown_sentinels_are_seven_distinct_strings():
    assert len(policy_internals.UNKNOWN_SENTINELS) == 7
    assert all(isinstance(s, str) and len(s) == 36 for s in policy_internals.UNKNOWN_SENTINELS)


def test_policy_engine_props_are_what_the_pack_server_hands_a_policy():
    [unknown_string] = [s for s in policy_internals.UNKNOWN_SENTINELS if s == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"]
    props = policy_internals.engine_props(
        {
            "retainedBackups": 7,
            "zone": unknown_string,
            "password": {SIG_KEY: SECRET_SIG, "value": "p"},
            "cidrs": ["10.0.0.0/8", unknown_string],
            "settings": {"tier": "db-custom-2-7680"},
        }
    )
    assert isinstance(props, Mapping) and not isinstance(props, dict)
    assert props["retainedBackups"] == 7.0 and isinstance(props["retainedBackups"], float)
    assert props["password"] == "p"  # secrets reach a policy as plain values
    assert isinstance(props["cidrs"], Sequence) and props["cidrs"][0] == "10.0.0.0/8"
    assert props["settings"]["tier"] == "db-custom-2-7680"
    with pytest.raises(policy_internals.UnknownValueError):
        props["zone"]
    with pytest.raises(policy_internals.UnknownValueError):
        props["cidrs"][1]
    assert policy_internals.engine_props(None) == {}
