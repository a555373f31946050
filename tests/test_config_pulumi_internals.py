"""components/pulumi_internals.py: the SDK internals the config loading relies on, pinned.

The Pulumi Python SDK (pulumi 3.272.0, sdk/python/lib/pulumi/runtime/config.py) keeps the stack's
config in the ContextVar `CONFIG` (filled by `set_all_config`, which the language host calls with
the config and the secret keys) and falls back to the environment's `PULUMI_CONFIG` and
`PULUMI_CONFIG_SECRET_KEYS` (`get_config_env`, `get_config_secret_keys_env`). None of this is
public API: when a release renames or reshapes it, these tests fail here, by name, instead of
`load_settings` quietly seeing no config (every key "required") or no secrets.
"""

import contextvars
import json
from contextvars import ContextVar

from pulumi.runtime import config as runtime_config

from components import pulumi_internals


def test_the_sdk_still_has_the_internals_the_adapter_reads():
    assert isinstance(runtime_config.CONFIG, ContextVar), "pulumi.runtime.config.CONFIG is no longer a ContextVar"
    for name in ("get_config_env", "get_config_secret_keys_env", "is_config_secret", "set_all_config"):
        assert callable(getattr(runtime_config, name, None)), f"pulumi.runtime.config.{name} is gone"


def test_all_config_merges_the_environment_and_what_the_engine_set(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"gcp:region": "us-east1", "astronomer-dr:cloud": "aws"}))

    def engine_sets_config() -> dict:
        runtime_config.set_all_config({"astronomer-dr:cloud": "gcp", "gcp:project": "p-1"}, ["astronomer-dr:tlsKey"])
        return pulumi_internals.all_config()

    # A copied context: the engine's config set here does not leak into other tests.
    merged = contextvars.copy_context().run(engine_sets_config)
    assert merged == {"gcp:region": "us-east1", "astronomer-dr:cloud": "gcp", "gcp:project": "p-1"}


def test_secret_keys_come_from_the_engine_or_the_environment(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["astronomer-dr:tlsCertificate"]))

    def engine_sets_secrets() -> tuple[bool, bool, bool]:
        runtime_config.set_all_config({"astronomer-dr:tlsKey": "k"}, ["astronomer-dr:tlsKey"])
        return (
            pulumi_internals.is_config_secret("astronomer-dr:tlsKey"),
            pulumi_internals.is_config_secret("astronomer-dr:tlsCertificate"),
            pulumi_internals.is_config_secret("astronomer-dr:cloud"),
        )

    assert contextvars.copy_context().run(engine_sets_secrets) == (True, True, False)
