"""What every DR summary row shares: formatting a value, a row with its source, protection."""

from __future__ import annotations

import json
from typing import Any


def fmt_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(", ", ": "), sort_keys=True)
    return str(value)


def summary_row(prop: str, value: str, resource, *paths: str) -> dict[str, str]:
    source = f"`{resource.name}` " + ", ".join(f"`{p}`" for p in paths) if paths else f"`{resource.name}`"
    return {"property": prop, "value": value, "source": source}


def protection_text(r, api_value: Any) -> str:
    api = "on at the API" if api_value else "OFF at the API ⚠️"
    return f"{api}; Pulumi `protect` {'on' if r.protect else 'OFF ⚠️'}"
