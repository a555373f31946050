"""Stack files read as the CLI hands them to the program (tools/stackfile.py); the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools import stackfile
from tools.offline.records import SECRET_PLACEHOLDER

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
PROJECT_NAME = "astronomer-dr"


def _config_string(value: Any) -> str:
    """How the CLI hands a stack-file value to the program: scalars as text, the rest as JSON."""
    return stackfile.config_string(value)


def stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[dict[str, str], list[str]]:
    """The config of Pulumi.<stack>.yaml read as the CLI reads it (tools/stackfile.py); `secure:`
    values become placeholders marked secret. Raises stackfile.StackFileError with a clear message."""
    document = stackfile.load(project_dir / f"Pulumi.{stack}.yaml")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in document.items():
        if stackfile.is_secure(value):
            config[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
        else:
            config[key] = _config_string(value)
    return config, secret_keys
