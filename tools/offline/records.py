"""What an evaluation records: each RegisterResource/ReadResource request in full, the stack's
outputs and the invokes; values the program sent as secrets are marked `Secret`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.pulumi_internals import is_secret, unwrap_secret

SECRET_PLACEHOLDER = "[secret]"


@dataclass(frozen=True)
class Secret:
    """A value the program sent to the engine as a secret."""

    value: Any

    def __repr__(self) -> str:
        return "Secret(***)"


def reveal(value: Any) -> Any:
    """The value with every Secret unwrapped, for asserting on what a secret holds."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def mask(value: Any) -> Any:
    """The value with every Secret replaced by a placeholder, for printing."""
    if isinstance(value, Secret):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def plaintext_occurrences(value: Any, needle: str, path: str = "") -> list[str]:
    """Paths at which `needle` appears in a string that is not inside a Secret."""
    if isinstance(value, Secret):
        return []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in plaintext_occurrences(v, needle, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in plaintext_occurrences(v, needle, f"{path}[{i}]")]
    if isinstance(value, str) and needle in value:
        return [path or "."]
    return []


def from_engine(value: Any) -> Any:
    """Engine wire values (secret-signature dicts) to plain Python with Secret markers."""
    if is_secret(value):
        return Secret(from_engine(unwrap_secret(value)))
    if isinstance(value, dict):
        return {k: from_engine(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_engine(v) for v in value]
    return value


@dataclass
class Registered:
    """One RegisterResource request as the engine would receive it."""

    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    protect: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str
    additional_secret_outputs: list[str]
    retain_on_delete: bool
    ignore_changes: list[str]
    delete_before_replace: bool
    # The resource's customTimeouts as the engine receives them ("create": "30m", ...).
    custom_timeouts: dict[str, str] = field(default_factory=dict)

    def input(self, dotted: str, default: Any = None) -> Any:
        """An input by dotted path (camelCase, as the engine sees it), secrets revealed."""
        value: Any = reveal(self.inputs)
        for part in dotted.split("."):
            if isinstance(value, list) and part.isdigit():
                value = value[int(part)] if int(part) < len(value) else default
            elif isinstance(value, dict):
                value = value.get(part, default)
            else:
                return default
        return value


@dataclass
class Evaluation:
    stack: str
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[tuple[str, dict]] = field(default_factory=list)
    # ReadResource requests (`Resource.get`): existing resources the program reads, not registrations.
    reads: list[Registered] = field(default_factory=list)
    # What the program logged with `pulumi.log.warn`, in order (the CLI prints these as warnings).
    warnings: list[str] = field(default_factory=list)
    # The stack's config as the program read it, secret keys left out (what the user asked for).
    config: dict[str, str] = field(default_factory=dict)
    error: BaseException | None = None

    def of_type(self, type_token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registered:
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_token)]
            raise AssertionError(f"expected one {type_token} named {name or '*'}, found {names}")
        return found[0]

    def by_urn(self, urn: str) -> Registered:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)
