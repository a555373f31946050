"""The program's one door into Pulumi SDK internals: the whole config map and which keys are secret.

`load_settings` (components/config/stack.py) refuses unknown keys and keys of unknown namespaces,
so it needs every key the engine handed the program; and it refuses a TLS key set in plain text,
so it needs to know which keys are secrets. The public API answers neither: `pulumi.Config` reads
one key of one namespace, and `Config.get_secret` wraps any value, secret or not, in a secret
Output. So both come from `pulumi.runtime.config`, read here and nowhere else:

- `CONFIG`, the ContextVar the language host fills with the stack's config (private: not in
  `pulumi.runtime.__all__`);
- `get_config_env`, `is_config_secret` and `get_config_secret_keys_env`: exported by
  `pulumi.runtime`, the SDK's layer under the program API (`pulumi.Config`), whose neighbour
  `set_config` says "Meant for internal use only"; no compatibility promise covers them.

tests/test_config_pulumi_internals.py fails loudly when an SDK release renames or retypes them.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime import config as runtime_config


def all_config() -> dict[str, Any]:
    """Every config value the engine handed the program, keyed 'namespace:key' (the environment's
    PULUMI_CONFIG first, then what the engine set, which wins)."""
    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def is_config_secret(key: str) -> bool:
    """Whether the engine handed the program `key` ('namespace:key') as a secret."""
    return runtime_config.is_config_secret(key) or key in runtime_config.get_config_secret_keys_env()
