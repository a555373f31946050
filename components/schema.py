"""Declarative validation of structured stack config.

Each config object is described by a table of `Field`s. `parse_object` checks a raw value
(as it came out of the stack file) against that table and returns plain Python values keyed by
snake_case attribute names, ready for a settings dataclass. Every problem is collected, so a
user under pressure fixes all of them in one round instead of one per `pulumi up`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from . import cron

# A check returns None when the value is fine, otherwise the sentence that explains what is allowed.
Check = Callable[[Any], str | None]

_MISSING = object()


class ConfigError(pulumi.RunError):
    """Stack config that cannot be turned into settings. Raised before any resource is declared.

    A RunError, so `pulumi up` prints the message alone rather than a Python traceback.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid stack config ({len(self.problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class Field:
    """One key of a config object.

    kind: "str", "int", "bool", "list[str]" or "object" (then `fields` describes it).

    Every string (and every entry of a list of strings) is also held to `text_rules` before
    `check` runs: one line, printable ASCII, not empty, at most `max_length` characters. The
    clouds take identifiers, names and versions as ASCII, and a block scalar (`|`) keeps a
    trailing newline the user cannot see; a field that really takes other text would set
    `ascii=False`.
    """

    kind: str
    doc: str
    default: Any = _MISSING
    check: Check | None = None
    fields: Mapping[str, Field] | None = None
    max_length: int = 255
    ascii: bool = True

    @property
    def required(self) -> bool:
        return self.default is _MISSING


@dataclass
class Problems:
    items: list[str] = field(default_factory=list)

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{key}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def closest_key(key: str, known: list[str]) -> str | None:
    """The known key a typo most likely meant, compared case-insensitively."""
    lowered = {k.lower(): k for k in known}
    match = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def unknown_key_message(key: str, known: list[str]) -> str:
    guess = closest_key(key, known)
    hint = f"did you mean '{guess}'? " if guess else ""
    return f"unknown key; {hint}known keys: {', '.join(sorted(known))}"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def text_rules(value: str, max_length: int = 255, ascii_only: bool = True) -> str | None:
    """Why a config string is refused before its own check runs, or None."""
    if value == "":
        return "must not be empty (remove the key to take the default)"
    if value.rstrip(" \t").endswith(("\n", "\r")):
        return "must not end with a newline (a `|` block scalar keeps it: write the value on one line, or use `|-`)"
    if value != value.strip():
        return "must not start or end with spaces"
    if _CONTROL.search(value):
        return "must be one line without control characters (tabs, newlines)"
    if ascii_only and not value.isascii():
        odd = next(c for c in value if not c.isascii())
        return f"must be plain ASCII: {odd!r} (U+{ord(odd):04X}) only looks like ASCII; retype it"
    if len(value) > max_length:
        return f"must be at most {max_length} characters (got {len(value)})"
    return None


# `pulumi config set --path` turns "true"/"false" into booleans and base-10 digits that do not
# start with 0 into integers unless `--type string` is given (pulumi/pulumi sdk/go/common/resource/
# config/object.go `coerce`, called through value.go `coerceObject` from map.go `Map.Set`; the
# `--type` flag: pkg/cmd/pulumi/config/config.go). Turning such an integer back into its decimal
# text is therefore exact: what the user typed.
STRING_HINT = "quote it in the stack file, or set it with `pulumi config set --path <key> --type string <value>`"


def _coerce(path: str, spec: Field, value: Any, problems: Problems) -> Any:
    """Checks the JSON type of one value; returns _MISSING when it is wrong."""
    kind = spec.kind
    if kind == "str":
        if isinstance(value, int) and not isinstance(value, bool):
            # What `pulumi config set --path <key> 16` (or an unquoted 16) stores: the digits were meant.
            value = str(value)
        if not isinstance(value, str):
            problems.add(path, f"expected a string, got {_type_name(value)} {value!r}; {STRING_HINT}")
            return _MISSING
        why = text_rules(value, spec.max_length, spec.ascii)
        if why:
            problems.add(path, f"{why}, got {value!r}")
            return _MISSING
        return value
    if kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(path, f"expected a whole number, got {_type_name(value)} {value!r}")
            return _MISSING
        if not INT32_MIN <= value <= INT32_MAX:
            problems.add(
                path,
                f"must be between {INT32_MIN} and {INT32_MAX} (the cloud APIs take 32-bit integers), got {value!r}",
            )
            return _MISSING
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            problems.add(path, f"expected true or false, got {_type_name(value)} {value!r}")
            return _MISSING
        return value
    if kind == "list[str]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.add(path, f"expected a list of strings, got {_type_name(value)} {value!r}")
            return _MISSING
        for index, item in enumerate(value):
            why = text_rules(item, spec.max_length, spec.ascii)
            if why:
                problems.add(f"{path}[{index}]", f"{why}, got {item!r}")
                return _MISSING
        return tuple(value)
    if kind == "object":
        assert spec.fields is not None
        return parse_object(path, value, spec.fields, problems)
    raise AssertionError(f"unknown field kind {kind}")


def parse_object(path: str, raw: Any, fields: Mapping[str, Field], problems: Problems) -> dict[str, Any] | None:
    """Validates `raw` against `fields`; returns {snake_case_name: value}, or None on problems.

    Defaults fill absent keys. Unknown keys are reported with the closest known key, because
    a misspelt key that is silently ignored would quietly drop a DR setting.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.add(path, f"expected an object with keys {', '.join(sorted(fields))}, got {_type_name(raw)} {raw!r}")
        return None
    before = len(problems.items)
    result: dict[str, Any] = {}
    for key in raw:
        if key not in fields:
            if re.fullmatch(r"[A-Za-z0-9_-]+", str(key)):
                problems.add(f"{path}.{key}", unknown_key_message(key, list(fields)))
            else:
                # A key that is no identifier (`instanceTypes:`, a stray colon in the file) is named in
                # the message: in the key path a colon would read as another namespace.
                hint = unknown_key_message(str(key), list(fields)).removeprefix("unknown key; ")
                problems.add(path, f"unknown key {str(key)!r}; {hint}")
    for key, spec in fields.items():
        key_path = f"{path}.{key}"
        if key not in raw or raw[key] is None:
            if spec.required:
                problems.add(key_path, f"required: {spec.doc}")
                continue
            value = spec.default
            if spec.kind == "object" and value is None:
                result[snake_case(key)] = None
                continue
        else:
            value = _coerce(key_path, spec, raw[key], problems)
            if value is _MISSING or value is None:
                continue
        if spec.check is not None and value is not None:
            message = spec.check(value)
            if message:
                problems.add(key_path, f"{message}, got {value!r}")
                continue
        result[snake_case(key)] = value
    return result if len(problems.items) == before else None


# ---- checks shared by both clouds -------------------------------------------------------------

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_DOMAIN = re.compile(r"(?=.{1,253}\Z)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.ASCII)
_SEMVER = re.compile(r"\d+\.\d+\.\d+", re.ASCII)
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)", re.ASCII)


def at_least(minimum: int, why: str = "") -> Check:
    suffix = f" ({why})" if why else ""
    return lambda v: None if v >= minimum else f"must be at least {minimum}{suffix}"


def between(low: int, high: int, why: str = "") -> Check:
    suffix = f" ({why})" if why else ""
    return lambda v: None if low <= v <= high else f"must be between {low} and {high}{suffix}"


def one_of(*allowed: str) -> Check:
    return lambda v: None if v in allowed else f"must be one of {', '.join(allowed)}"


def matches(pattern: str, what: str) -> Check:
    # ASCII: `\d` would otherwise take fullwidth and other Unicode digits; fullmatch: `$` would
    # otherwise let a trailing newline through.
    compiled = re.compile(pattern, re.ASCII)
    return lambda v: None if compiled.fullmatch(v) else f"must be {what}"


def dns_label(max_length: int) -> Check:
    def check(v: str) -> str | None:
        if len(v) > max_length:
            return f"must be at most {max_length} characters (it prefixes every Kubernetes object the chart names)"
        if not _DNS_LABEL.fullmatch(v):
            return "must be lowercase letters, digits and '-', starting and ending with a letter or digit"
        return None

    return check


def domain_name(v: str) -> str | None:
    return None if _DOMAIN.fullmatch(v) else "must be a lowercase DNS name such as astro.example.com"


def exact_version(v: str) -> str | None:
    return (
        None
        if _SEMVER.fullmatch(v)
        else "must be an exact chart version such as 2.1.0 (no ranges: a rebuild must install what was tested)"
    )


def utc_time(v: str) -> str | None:
    return None if _HHMM.fullmatch(v) else "must be a UTC time of day as HH:MM (24-hour), e.g. 03:00"


def ipv4_network(v: str) -> tuple[ipaddress.IPv4Network | None, str | None]:
    """(network, None) or (None, why): an IPv4 block written with its prefix length, no host bits."""
    if "/" not in v:
        return (
            None,
            "must be a CIDR block with its prefix length, such as 10.0.0.0/20 (a single address is written 203.0.113.7/32)",
        )
    try:
        network = ipaddress.ip_network(v, strict=True)
    except ValueError as error:
        return None, f"must be a CIDR block such as 10.0.0.0/20 ({error})"
    if network.version != 4:
        return None, "must be an IPv4 block such as 10.0.0.0/20 (the clusters and their subnets are IPv4)"
    return network, None


def cidr_block(v: str) -> str | None:
    """An IPv4 block that ranges can be carved from: not the whole internet."""
    network, why = ipv4_network(v)
    if network is None:
        return why
    if network.prefixlen == 0:
        return "must be a subnet, not 0.0.0.0/0 (every address)"
    return None


def cidr_prefix(low: int, high: int, why: str) -> Check:
    """A `cidr_block` whose prefix length is between /low and /high."""

    def check(v: str) -> str | None:
        message = cidr_block(v)
        if message:
            return message
        prefix = ipaddress.ip_network(v).prefixlen
        if low == high and prefix != low:
            return f"must be a /{low} block ({why})"
        return None if low <= prefix <= high else f"must be a /{low} to /{high} block ({why})"

    return check


def cidr_list(values: tuple[str, ...]) -> str | None:
    """Allow-lists: IPv4 blocks; 0.0.0.0/0 is allowed and means everyone."""
    for v in values:
        _, why = ipv4_network(v)
        if why:
            return f"every entry {why}; {v!r} is not"
    return None


def overlapping(ranges: Mapping[str, str]) -> tuple[str, str] | None:
    """The first two named IPv4 ranges that overlap, or None (unparseable ranges are skipped)."""
    networks = []
    for name, value in ranges.items():
        network, _why = ipv4_network(value) if isinstance(value, str) else (None, "missing")
        if network is not None:
            networks.append((name, network))
    for i, (name, network) in enumerate(networks):
        for other, other_network in networks[i + 1 :]:
            if network.overlaps(other_network):
                return name, other
    return None


# Kubernetes minor versions the Astronomer chart was tested on (chart metadata.yaml); outside
# them the chart refuses to render unless forceIncompatibleKubernetes is set.
SUPPORTED_KUBERNETES_MINORS = (31, 32, 33, 34, 35)


def kubernetes_version(v: str) -> str | None:
    m = re.fullmatch(r"1\.(\d+)(\.\d+(-[a-z0-9.]+)?)?", v, re.ASCII)
    low, high = SUPPORTED_KUBERNETES_MINORS[0], SUPPORTED_KUBERNETES_MINORS[-1]
    if not m:
        return f"must be a Kubernetes version such as 1.{high - 2}"
    if int(m.group(1)) not in SUPPORTED_KUBERNETES_MINORS:
        return f"must be 1.{low} to 1.{high}, the versions Astronomer chart 2.1.0 is tested on"
    return None


# Velero reads a Schedule's `schedule` with robfig/cron v3 ParseStandard, in the Velero server's
# timezone, UTC: components/cron.py is that grammar. A schedule it refuses, or one that never fires,
# is a Schedule that takes no backup and reports no error at `pulumi up`.
CRON_HINT = "a five-field cron expression in UTC (minute hour day month weekday, weekday 0-6 with Sunday 0) or a descriptor such as @daily, e.g. '0 * * * *' for hourly"


def cron_schedule(v: str) -> str | None:
    try:
        schedule = cron.parse(v)
    except cron.CronError as error:
        return f"must be {CRON_HINT}; Velero refuses this one: {error}"
    if cron.longest_gap(schedule) is None:
        return "never fires (no day matches, such as 31 February): Velero would take no backup"
    return None


# Velero names a Backup like any Kubernetes object (a DNS subdomain); a schedule's backups are
# `<schedule>-<YYYYMMDDhhmmss>`.
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def velero_backup_name(v: str) -> str | None:
    if v == "latest" or (len(v) <= 253 and _K8S_NAME.match(v)):
        return None
    return (
        "must be `latest` (the newest backup of the schedule) or a Velero backup name as `velero backup get` lists it"
    )
