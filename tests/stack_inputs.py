"""The committed stack files' config as the program receives it, and edits of it by dotted path.

Shared by the refusal tests and the fuzz test: both call the pure `parse_settings` directly (no
engine), which is what every config refusal comes from.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from tests.conftest import TLS_SECRETS
from tools.offline import _config_string, stack_config

DELETE = object()
STACKS = ("gcp", "aws")


@functools.cache
def _committed(stack: str) -> tuple[tuple[str, str], ...]:
    config, _ = stack_config(stack)
    return tuple(sorted({**config, **TLS_SECRETS}.items()))


def committed_config(stack: str) -> dict[str, str]:
    """The stack file's config (strings, objects as JSON) plus the session's TLS secrets."""
    return dict(_committed(stack))


def edit(config: dict[str, str], dotted: str, value: Any) -> dict[str, str]:
    """Sets `namespace:key.path.to.field` (objects are created as needed); DELETE removes it."""
    key, _, path = dotted.partition(".")
    config = dict(config)
    if not path:
        if value is DELETE:
            config.pop(key, None)
        else:
            config[key] = _config_string(value)
        return config
    try:
        document = json.loads(config.get(key) or "{}")
    except json.JSONDecodeError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    node = document
    parts = path.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if value is DELETE:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value
    config[key] = json.dumps(document)
    return config


def stack_with(stack: str, changes: dict[str, Any]) -> dict[str, str]:
    config = committed_config(stack)
    for dotted, value in changes.items():
        config = edit(config, dotted, value)
    return config
