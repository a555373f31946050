"""Fuzzing the config of both stack files (issue 11, "Must show").

A seeded generator of our own (no extra dependency) edits the committed stack files' config: the
keys come from the schema itself (`OBJECT_KEYS`, so keys other work adds are fuzzed too), the
values from a pool of what people and tools really produce (block scalars with a newline,
fullwidth digits, numbers where text goes, addresses without a prefix length, IPv6, zones for
regions, typos of keys and namespaces, ...) and from distortions of the committed value. Every
outcome must be a clean parse or a ConfigError whose every line names a key, and one of them the
key that was edited: never a traceback. `parse_settings` is pure, so a thousand cases take about
a second; a handful go through the offline engine end to end. The refusals of issue 11 are
the fixed examples (tests/test_input_refusals.py checks each message).
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from components.config import OBJECT_KEYS, parse_settings
from components.schema import ConfigError, Field
from tests.conftest import TLS_SECRETS
from tests.stack_inputs import DELETE, STACKS, committed_config, stack_with
from tests.test_input_refusals import REFUSED
from tools import stackfile
from tools.offline import evaluate

# Fixed, so CI is repeatable; CONFIG_FUZZ_SEED / CONFIG_FUZZ_CASES explore further by hand.
SEED = os.environ.get("CONFIG_FUZZ_SEED", "20261125")
CASES_PER_STACK = int(os.environ.get("CONFIG_FUZZ_CASES", "500"))
PROVIDER_KEYS = {"gcp": ("gcp:project", "gcp:region", "gcp:zone"), "aws": ("aws:region", "aws:profile")}
# A problem line: `<namespace>:<key path>: <why>` (or the stack name, which is no config key).
PROBLEM_LINE = re.compile(r"^(stack name|[^:\n]+:[^:\n]*): \S")
# Keys whose edit may rightly be refused under another key: a new base domain is one the
# certificate must cover; a region decides the backup location and replica region.
RELATED = {
    "astronomer-dr:platform": ("astronomer-dr:tlsCertificate",),
    "gcp:region": ("astronomer-dr:database", "astronomer-dr:registry"),
    "aws:region": ("astronomer-dr:database", "astronomer-dr:registry"),
}

NASTY: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    7,
    2**31,
    2**63,
    10**30,
    1.5,
    1e300,
    -0.0,
    "",
    " ",
    "\n",
    "x\n",
    "03:00\n",
    "13:30",
    "25:00",
    "1.30",
    "16",
    "１６",  # noqa: RUF001 -- full-width digits on purpose: look-alike input the parser must refuse
    "０３:００",  # noqa: RUF001 -- full-width digits on purpose: look-alike input the parser must refuse
    "٣",
    "us-central1-a",
    "us-east-1a",
    "us-centrall1",
    "eu-west-1",
    "us-central1",
    "europe-west4",
    "10.0.0.0",
    "10.0.0.0/33",
    "10.0.0.1/20",
    "0.0.0.0/0",
    "fd00::/64",
    "10.10.0.0/16",
    "172.16.0.0/28",
    "2026-11-20T09:30:00Z",
    "2026-11-20T09:30:00",
    "2026-11-20T09:30:00.5Z",
    "2999-01-01T00:00:00Z",
    "pitr-20261120t093000z",
    "pitr-20261120t093001z",
    "backup-1",
    "original",
    "Original",
    "astro.acme.example.com",
    "astro.acme.example.com.",
    "ástro.example.com",
    "-bad-",
    "a" * 300,
    "m7g.2xlarge",
    "g5.xlarge",
    "m6i.2xlarge",
    "db-custom-4-16384",
    "POSTGRES_16",
    "1.33",
    "v1.33",
    [],
    [""],
    ["10.0.0.0/8"],
    ["203.0.113.7"],
    ["m6i.2xlarge\n"],
    [1, 2],
    [None],
    [[]],
    {},
    {"x": 1},
    {"pointInTime": "2026-11-20T09:30:00Z"},
    {"backupId": 1732094400000},
    {"pointInTime": "2026-11-20T09:30:00Z", "backupId": "1"},
]


def field_paths(fields: Mapping[str, Field], prefix: str) -> Iterator[tuple[str, Field]]:
    for name, spec in fields.items():
        path = f"{prefix}.{name}"
        yield path, spec
        if spec.kind == "object" and spec.fields:
            yield from field_paths(spec.fields, path)


def distortions(value: Any, rng: random.Random) -> list[Any]:
    """Near misses of a value that was valid."""
    if isinstance(value, bool):
        return [str(value).lower(), "yes", int(value)]
    if isinstance(value, int):
        return [-value, value * 10 ** rng.randint(3, 12), str(value), float(value) + 0.5, f"{value}\n"]
    if isinstance(value, str):
        fullwidth = value.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        return [
            value + "\n",
            " " + value,
            value.upper(),
            value[:-1],
            value + value[-1:],
            fullwidth,
            value.replace(".", "_"),
        ]
    if isinstance(value, list):
        return [value + value, value[:0], [v + "\n" if isinstance(v, str) else v for v in value]]
    return []


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word + "x"
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]


def cases(stack: str, count: int) -> Iterator[tuple[str, dict[str, Any]]]:
    rng = random.Random(f"{SEED}-{stack}")
    config = committed_config(stack)
    paths = list(
        field_paths({k: Field("object", "", fields=f) for k, f in OBJECT_KEYS[stack].items()}, "astronomer-dr")
    )
    paths = [(p.replace("astronomer-dr.", "astronomer-dr:", 1), spec) for p, spec in paths]
    for _ in range(count):
        roll = rng.random()
        if roll < 0.06:  # a misspelt namespace or key: its values must not be silently ignored
            key = rng.choice([k for k in config if not k.endswith(("tlsCertificate", "tlsKey"))])
            namespace, name = key.split(":", 1)
            bad = f"{typo(namespace, rng)}:{name}" if rng.random() < 0.5 else f"{namespace}:{typo(name, rng)}"
            if bad in config or bad.split(":")[0] in ("gcp", "aws", "pulumi", "kubernetes", "random", "tls"):
                continue
            yield bad, {bad: json.loads(config[key]) if config[key].startswith("{") else config[key]}
            continue
        if roll < 0.14:
            key = rng.choice(PROVIDER_KEYS[stack])
            yield key, {key: rng.choice([*NASTY, *distortions(config.get(key, "us-central1"), rng)])}
            continue
        path, spec = rng.choice(paths)
        current = _current(config, path)
        pool = NASTY + distortions(current if current is not None else spec.default, rng) * 3
        changes = {path: rng.choice(pool) if rng.random() < 0.95 else DELETE}
        if rng.random() < 0.2:  # two edits at once: cross-key checks
            other, _ = rng.choice(paths)
            changes[other] = rng.choice(pool)
        yield path, changes


def _current(config: Mapping[str, str], path: str) -> Any:
    key, _, rest = path.partition(".")
    try:
        node: Any = json.loads(config.get(key) or "null")
    except ValueError:
        return config.get(key)
    for part in rest.split(".") if rest else []:
        node = node.get(part) if isinstance(node, dict) else None
    return node if not isinstance(node, (dict, type(None))) else None


@pytest.fixture(autouse=True)
def tls_secret_keys(monkeypatch):
    from pulumi.runtime import config as runtime_config

    monkeypatch.setattr(runtime_config, "is_config_secret", lambda key: key in TLS_SECRETS)


def outcome(stack: str, config: dict[str, str]) -> list[str]:
    """[] for a clean parse, else the problem lines; anything but a ConfigError fails the test."""
    try:
        parse_settings(config, stack)
    except ConfigError as error:
        assert error.problems, "a ConfigError with no problem"
        for line in error.problems:
            assert PROBLEM_LINE.match(line), f"problem does not start with a key: {line!r}"
        return error.problems
    return []


@pytest.mark.parametrize("stack", STACKS)
def test_fuzzed_config_parses_cleanly_or_names_the_edited_key(stack):
    seen = {"clean": 0, "refused": 0}
    for _edited, changes in cases(stack, CASES_PER_STACK):
        config = stack_with(stack, changes)
        try:
            problems = outcome(stack, config)
        except AssertionError:
            raise
        except Exception as error:
            raise AssertionError(f"{type(error).__name__} ({error}) for {changes!r}") from error
        if problems:
            seen["refused"] += 1
            touched = {k.split(".")[0] for k in changes}
            allowed = touched | {r for t in touched for r in RELATED.get(t, ())}
            named = {line.split(": ", 1)[0].split(".")[0].split("[")[0] for line in problems}
            assert named & allowed, f"edited {sorted(changes)} but the refusal names {sorted(named)}: {problems}"
        else:
            seen["clean"] += 1
    # The generator must exercise both outcomes, or it is testing nothing.
    assert seen["clean"] > 20 and seen["refused"] > CASES_PER_STACK // 3, seen


@pytest.mark.parametrize("stack", STACKS)
def test_fuzzed_stack_file_text_loads_or_says_why(stack):
    """Edits of the file's text (indentation, quotes, colons, lists) either load, or fail with a
    StackFileError; what loads then parses or is refused with a key named."""
    from tools.offline import PROJECT_DIR

    text = (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()
    rng = random.Random(f"{SEED}-text-{stack}")
    lines = text.splitlines()
    loaded = 0
    for _ in range(100):
        edited = list(lines)
        i = rng.randrange(len(edited))
        edited[i] = rng.choice(
            [
                edited[i] + ":",
                " " + edited[i],
                edited[i].replace(": ", ":  - ", 1),
                edited[i].replace('"', ""),
                edited[i].replace(": ", ": |\n      ", 1),
                "  - " + edited[i].strip(),
                edited[i] + " # x",
                edited[i].replace(":", " :", 1),
                edited[i] + "\n" + edited[i],
            ]
        )
        try:
            config = stackfile.load_text("\n".join(edited) + "\n", f"Pulumi.{stack}.yaml")
        except stackfile.StackFileError as error:
            assert str(error).startswith(f"Pulumi.{stack}.yaml")
            continue
        loaded += 1
        outcome(stack, {**{k: stackfile.config_string(v) for k, v in config.items()}, **TLS_SECRETS})
    assert loaded > 15


# Each clean evaluation costs about a second: one, and two refusals (which stop before any resource).
FULL_EVALUATIONS = [
    (
        "aws",
        {
            "astronomer-dr:database.postgresVersion": 16,
            "astronomer-dr:database.backupStartTime": "13:30",
            "astronomer-dr:cluster.instanceTypes": ["m6i.2xlarge", "c6a.4xlarge"],
        },
        None,
    ),
    (*REFUSED[0][:2], REFUSED[0][2]),
    ("aws", {"aws:region": "us-east-1a"}, "aws:region"),
]


@pytest.mark.parametrize("stack, changes, key", FULL_EVALUATIONS)
def test_a_handful_end_to_end_through_the_offline_engine(stack, changes, key):
    """The same contract when the real __main__.py runs: a clean evaluation, or the ConfigError
    before any resource is registered."""
    config = stack_with(stack, changes)
    evaluation = evaluate(stack, config={k: v for k, v in config.items() if k not in TLS_SECRETS}, secrets=TLS_SECRETS)
    if key is None:
        assert evaluation.error is None, evaluation.error
        assert evaluation.resources
    else:
        assert isinstance(evaluation.error, ConfigError), evaluation.error
        assert any(line.startswith(key + ":") for line in evaluation.error.problems)
        assert evaluation.resources == []
