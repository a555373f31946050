"""Reads a stack file (`Pulumi.<stack>.yaml`) the way the Pulumi CLI does, for the offline tools.

The CLI is Go: it unmarshals the stack file with gopkg.in/yaml.v3 (pulumi/pulumi
sdk/go/common/encoding/marshal.go, `yamlMarshaler.Unmarshal`) into `config.Map`, whose values go
through `object.UnmarshalYAML`, i.e. yaml.v3 decoding into `any` (sdk/go/common/resource/config/
object.go, `unmarshalObject`). yaml.v3 resolves plain scalars by its own table (go-yaml/yaml v3
resolve.go, `resolve`), which is YAML 1.2-like, not PyYAML's YAML 1.1:

- booleans are only true/True/TRUE/false/False/FALSE (`yes`, `on`, `y` are strings);
- null is empty, ~, null/Null/NULL;
- integers are what Go's strconv.ParseInt(s, 0, 64) takes after removing `_` (decimal, 0x, 0o,
  0b, and 1.1-style 0777 octal), then unsigned 64-bit; there are no base-60 numbers, so an
  unquoted `13:30` is the string "13:30" (PyYAML: 810);
- floats match `[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?` (and .inf/.nan); one out of
  float64 range stays a string;
- timestamps are strings: decoding a timestamp-looking scalar into `any` keeps its text (go-yaml
  decode.go: "for backward compatibility reasons we set it as a string").

yaml.v3 also refuses a mapping key defined twice ("mapping key ... already defined"); PyYAML keeps
the last one silently, so this loader refuses it too. Keys are `<namespace>:<name>`
(config/key.go, `ParseKey`). Every problem is a `StackFileError` whose message names the file
and line, never a traceback.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

SECURE = "secure"


class StackFileError(ValueError):
    """A stack file the CLI would not load (or would load differently than it looks)."""


_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}
_SPECIAL_FLOATS = {
    ".nan": math.nan,
    ".NaN": math.nan,
    ".NAN": math.nan,
    ".inf": math.inf,
    ".Inf": math.inf,
    ".INF": math.inf,
    "+.inf": math.inf,
    "+.Inf": math.inf,
    "+.INF": math.inf,
    "-.inf": -math.inf,
    "-.Inf": -math.inf,
    "-.INF": -math.inf,
}
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INT_TAG, _FLOAT_TAG, _BOOL_TAG, _NULL_TAG, _STR_TAG = (
    f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null", "str")
)


def _go_int(text: str) -> int | None:
    match = _GO_INT.fullmatch(text)
    if not match:
        return None
    sign, body = match.groups()
    lowered = body.lower()
    if lowered.startswith("0x"):
        value = int(body[2:], 16)
    elif lowered.startswith("0o"):
        value = int(body[2:], 8)
    elif lowered.startswith("0b"):
        value = int(body[2:], 2)
    elif body.startswith("0") and len(body) > 1:
        value = int(body[1:], 8)
    else:
        value = int(body)
    value = -value if sign == "-" else value
    if -(2**63) <= value < 2**63 or (sign == "" and value < 2**64):
        return value
    return None


def resolve_plain(text: str) -> Any:
    """The value yaml.v3 gives an unquoted scalar decoded into `any`."""
    if text in _BOOLS:
        return _BOOLS[text]
    if text in _NULLS:
        return None
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    first = text[0]
    if first == ".":
        if _YAML_FLOAT.fullmatch(text):
            return float(text)
        return text
    if not (first.isdigit() and first.isascii()) and first not in "+-":
        return text
    plain = text.replace("_", "")
    number = _go_int(plain)
    if number is not None:
        return number
    if _YAML_FLOAT.fullmatch(plain):
        value = float(plain)
        return text if math.isinf(value) else value
    return text


class _Loader(yaml.SafeLoader):
    """PyYAML's parser with yaml.v3's scalar resolution and duplicate-key refusal."""

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0] and value != "<<":
            return _PLAIN_TAG
        return super().resolve(kind, value, implicit)

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            marker = key_node.start_mark
            try:
                hash(key)
            except TypeError:
                continue  # PyYAML reports the unhashable key itself
            if key in seen:
                raise StackFileError(
                    f"line {marker.line + 1}: mapping key {key!r} is defined twice (first on line {seen[key]}); "
                    "the CLI refuses the file: keep one"
                )
            seen[key] = marker.line + 1
        return super().construct_mapping(node, deep=deep)


_PLAIN_TAG = "tag:astronomer-dr,plain"
_Loader.add_constructor(_PLAIN_TAG, lambda loader, node: resolve_plain(node.value))


def _go_key(key: Any) -> str:
    """yaml.v3 decodes a mapping with a non-string key to map[any]any; Pulumi then formats keys with %v."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "<nil>"
    return str(key)


def _go_json_number(value: float) -> str:
    """How Go's encoding/json writes a float64 (integral values without `.0`)."""
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return json.dumps(value)


def _plain(value: Any, where: str) -> Any:
    """Nested values as the program receives them inside a JSON object."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise StackFileError(
            f"{where}: {value} cannot be stored (the CLI writes config as JSON, which has no NaN or infinity); quote it"
        )
    if isinstance(value, dict):
        return {_go_key(k): _plain(v, f"{where}.{_go_key(k)}") for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if not isinstance(value, (str, int, float, bool)) and value is not None:
        return str(value)
    return value


def config_string(value: Any) -> str:
    """How the CLI hands one top-level config value to the program (config/object.go,
    `MarshalString`): strings as they are, booleans and numbers as JSON, objects and lists as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_json_number(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if value is None:
        return "null"  # MarshalString's default branch: the JSON of a nil object
    return str(value)


# YAML 1.2 section 5.1: a stream holds tab, line feed, carriage return, the printable ASCII range,
# NEL and the printable Unicode planes, nothing else; yaml.v3 and PyYAML both refuse the rest, PyYAML
# by offset in the whole text. Said here by line and column, with the character's name.
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_NAMES = {0: "NUL", 0x7F: "DEL", 0x1B: "ESC", 0x08: "backspace", 0x0C: "form feed", 0x0B: "vertical tab"}


def _refuse_unprintable(text: str, name: str) -> None:
    match = _UNPRINTABLE.search(text)
    if match is None:
        return
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    code = ord(match.group())
    what = f"U+{code:04X}" + (f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else "")
    raise StackFileError(
        f"{name}: line {line}, column {column}: the control character {what} is not allowed in YAML "
        "(it is invisible in most editors: delete it and retype the value)"
    )


def load_text(text: str, name: str = "stack file") -> dict[str, Any]:
    """The `config:` mapping of a stack file's text: {'namespace:key': value}; StackFileError otherwise."""
    if text.startswith("\ufeff"):
        text = text[1:]  # the CLI strips a UTF-8 byte-order mark (workspace/loaders.go)
    _refuse_unprintable(text, name)
    try:
        document = yaml.load(text, Loader=_Loader)
    except StackFileError as error:
        raise StackFileError(f"{name}: {error}") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{name} is not valid YAML: {error}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise StackFileError(f"{name}: expected a mapping with a `config:` key at the top, got {_kind(document)}")
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StackFileError(
            f"{name}: `config:` must be a mapping of `<namespace>:<key>: value` lines, got {_kind(config)} "
            "(remove the leading `- ` of each line)"
        )
    result: dict[str, Any] = {}
    for key, value in config.items():
        text_key = _go_key(key)
        if text_key.count(":") == 2 and text_key.split(":")[1] == "config":
            namespace, _, rest = text_key.split(":")
            text_key = f"{namespace}:{rest}"  # the legacy <namespace>:config:<name> form (config/key.go)
        if text_key.count(":") != 1:
            raise StackFileError(
                f"{name}: config key {text_key!r} must be of the form `<namespace>:<name>`, e.g. astronomer-dr:{text_key}"
            )
        try:
            result[text_key] = _plain(value, text_key)
        except StackFileError as error:
            raise StackFileError(f"{name}: {error}") from None
    return result


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def load(path: Path) -> dict[str, Any]:
    """The config of the stack file at `path`; StackFileError when missing or unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackFileError(f"there is no {path.name} in {path.parent}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StackFileError(f"{path.name} cannot be read: {error}") from None
    return load_text(text, path.name)


def is_secure(value: Any) -> bool:
    """A `secure:` value: an encrypted secret (config/object.go, `isSecureValue`)."""
    return isinstance(value, dict) and set(value) == {SECURE} and isinstance(value[SECURE], str)


# A restore drill (tools/drill.py) creates `drill-<stack>` with its own stack file while it runs;
# `pulumi stack rm` (its last step) deletes that file. It is never committed (.gitignore) and is
# no stack of the project: the tests and tools that enumerate stacks skip it.
DRILL_PREFIX = "drill-"


def stack_names(project_dir: Path, include_drills: bool = False) -> list[str]:
    """The stacks whose files are in `project_dir` (`Pulumi.<stack>.yaml`), drill stacks left out."""
    names = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
    return names if include_drills else [n for n in names if not n.startswith(DRILL_PREFIX)]
