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

Issue 21 adds an oracle (below): rules, each a fact of Velero, a cloud or Pulumi with its source,
that say which configs must be refused on which key; a seeded run of 2,000 configs over all four
stack files holds every outcome to "accepted and sensible" or "refused naming the key".
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
                edited[i] + "\x00",  # issue 21: an invisible byte, said by line and column
                edited[i].replace(":", ":\x1b", 1),
            ]
        )
        text = "\n".join(edited) + "\n"
        try:
            config = stackfile.load_text(text, f"Pulumi.{stack}.yaml")
        except stackfile.StackFileError as error:
            assert str(error).startswith(f"Pulumi.{stack}.yaml")
            invisible = re.search("[\x00\x1b]", text)
            if invisible:
                line = text.count("\n", 0, invisible.start()) + 1
                assert f": line {line}, column " in str(error), str(error)
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


# ---- the oracle of issue 21: rules each generated config is held to ----------------------------
#
# The generator above finds tracebacks and unnamed refusals. The oracle below also knows what must
# be refused: each rule is a fact of a cloud, of Pulumi or of Velero (its source in its docstring),
# written independently of the program's checks; the generator feeds each rule's class of values
# into the keys it governs. Every outcome must be "accepted and sensible" or "refused naming the
# key"; a config a rule says must be refused and that parses is a failure.

ORACLE_STACKS = ("gcp", "aws", "gcp-standby", "aws-standby")
ORACLE_CASES_PER_STACK = int(os.environ.get("CONFIG_ORACLE_CASES", "500"))
CLOUD = {"gcp": "gcp", "aws": "aws", "gcp-standby": "gcp", "aws-standby": "aws"}
_FIELDS = re.compile(r"\S+")


def _cron_fields(value: Any) -> list[str] | None:
    fields = _FIELDS.findall(value) if isinstance(value, str) and not value.startswith("@") else []
    return fields if len(fields) == 5 else None


def rule_day_of_week_7(stack: str, path: str, value: Any) -> str | None:
    """robfig/cron v3.0.1 spec.go `dow = bounds{0, 6, ...}` and parser.go getRange ("end of range
    above maximum"): Velero (schedule_controller.go l.199, ParseStandard) refuses a day of week 7."""
    fields = _cron_fields(value) if path.endswith("backups.schedule") else None
    return "astronomer-dr:backups.schedule" if fields and re.search(r"(?<![0-9/])7(?![0-9])", fields[4]) else None


def rule_backwards_or_zero_step(stack: str, path: str, value: Any) -> str | None:
    """robfig/cron v3.0.1 parser.go getRange: "beginning of range beyond end of range" and "step
    of range should be a positive number"."""
    fields = _cron_fields(value) if path.endswith("backups.schedule") else None
    if not fields:
        return None
    backwards = any(int(a) > int(b) for f in fields for a, b in re.findall(r"(?<![0-9/])(\d+)-(\d+)", f))
    zero_step = any(re.search(r"/0+(?![0-9])", f) for f in fields)
    return "astronomer-dr:backups.schedule" if backwards or zero_step else None


def rule_never_fires(stack: str, path: str, value: Any) -> str | None:
    """The Gregorian calendar: February has at most 29 days, April, June, September and November
    30. A schedule on no existing day never fires (robfig/cron SpecSchedule.Next returns the zero
    time), so Velero takes no backup."""
    fields = _cron_fields(value) if path.endswith("backups.schedule") else None
    if not fields or fields[4] not in ("*", "?") or not re.fullmatch(r"[0-9,]+", fields[2] + fields[3]):
        return None
    days, months = {int(d) for d in fields[2].split(",") if d}, {int(m) for m in fields[3].split(",") if m}
    longest = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}
    never = days and months and all(d > longest.get(m, 31) for d in days for m in months)
    return "astronomer-dr:backups.schedule" if never else None


def rule_rarer_than_retention(stack: str, path: str, value: Any) -> str | None:
    """Velero deletes a backup when its ttl passes (retentionDays, default 7): a schedule firing
    monthly or yearly (robfig/cron parser.go parseDescriptor: @monthly is day 1 of every month,
    @yearly/@annually 1 January) leaves weeks with no backup at all."""
    rare = path.endswith("backups.schedule") and value in ("@monthly", "@yearly", "@annually", "0 0 1 * *")
    return "astronomer-dr:backups.schedule" if rare else None


AWS_REGION_KEYS = (
    "aws:region",
    "astronomer-dr:backups.location",
    "astronomer-dr:registry.replicaRegion",
    "astronomer-dr:database.backupReplicaRegion",
    "astronomer-dr:cluster.restore.sourceRegion",
)


def rule_other_partition(stack: str, path: str, value: Any) -> str | None:
    """partitions.json regionRegex (aws/aws-sdk-js-v3 packages/util-endpoints/src/lib/aws/
    partitions.json): cn-*, us-gov-*, us-iso*-, eu-isoe-*, eusc-* are other partitions, where the
    program's arn:aws: ARNs name nothing."""
    other = isinstance(value, str) and re.match(r"^(cn|us-gov|us-iso[a-z]?|eu-isoe|eusc-de)-", value)
    return path if CLOUD[stack] == "aws" and path in AWS_REGION_KEYS and other else None


def rule_gcs_location_not_listed(stack: str, path: str, value: Any) -> str | None:
    """https://cloud.google.com/storage/docs/locations: a location is a region, a predefined
    dual-region (ASIA1, EUR4, EUR5, EUR7, EUR8, NAM4) or a multi-region (US, EU, ASIA)."""
    keys = ("astronomer-dr:backups.location", "astronomer-dr:registry.location")
    made_up = value in ("NAM5", "EUR9", "us-east9", "mars-north1", "ASIA2")
    return path if CLOUD[stack] == "gcp" and path in keys and made_up else None


def rule_bucket_name(stack: str, path: str, value: Any) -> str | None:
    """Bucket names: S3 takes no underscore nor two adjacent dots
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html); Cloud Storage
    refuses names starting with "goog" or containing "google"
    (https://cloud.google.com/storage/docs/buckets#naming)."""
    if path != "astronomer-dr:cluster.restore.sourceBucket" or not isinstance(value, str):
        return None
    bad = ("_" in value or ".." in value) if CLOUD[stack] == "aws" else (value.startswith("goog") or "google" in value)
    return path if bad else None


def rule_iam_principal(stack: str, path: str, value: Any) -> str | None:
    """IAM ARNs (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html):
    a path is slash-separated non-empty segments; the program's ARNs are the commercial partition's."""
    bad = isinstance(value, list) and any(isinstance(v, str) and ("//" in v or v.startswith("arn:aws-")) for v in value)
    return path if path == "astronomer-dr:cluster.admins" and bad else None


def rule_database_host(stack: str, path: str, value: Any) -> str | None:
    """RFC 791 (an IPv4 octet is at most 255) and RFC 3696 section 2 (a top-level domain is not
    all digits): 10.0.0.256 is neither an address nor a DNS name."""
    bad = isinstance(value, list) and "10.0.0.256" in value
    return path if path == "astronomer-dr:cluster.restore.previousDatabaseHosts" and bad else None


def rule_stack_reference(stack: str, path: str, value: Any) -> str | None:
    """pulumi/pulumi pkg/backend/httpstate/backend.go l.140 stackOwnerRegexp (an organization of
    3-40 characters, no dot) and sdk/go/common/tokens/stack_name.go (a stack of at most 100)."""
    bad = value in ("ac/astronomer-dr/aws", "acme.corp/astronomer-dr/gcp", "acme/astronomer-dr/" + "s" * 101)
    return path if path == "astronomer-dr:standby.primaryStack" and bad else None


def rule_standby_registry(stack: str, path: str, value: Any) -> str | None:
    """A standby's registry is its primary's (components/gcp/standby.py, components/aws/standby.py
    read no registry key of the standby): a registry key there would do nothing."""
    return (
        path
        if stack.endswith("-standby")
        and path.startswith("astronomer-dr:registry.")
        and value is not None
        and value is not DELETE
        else None
    )


RULES = (
    rule_day_of_week_7,
    rule_backwards_or_zero_step,
    rule_never_fires,
    rule_rarer_than_retention,
    rule_other_partition,
    rule_gcs_location_not_listed,
    rule_bucket_name,
    rule_iam_principal,
    rule_database_host,
    rule_stack_reference,
    rule_standby_registry,
)

# What each rule's class looks like, fed to the keys it governs (with the accepted counterparts).
CLASS_VALUES: dict[str, list[Any]] = {
    "backups.schedule": [
        "0 0 * * 7",
        "0 0 * * 5-7",
        "0 0 * * 0",
        "0 0 * * SUN",
        "0 0 * * 6-1",
        "0 22-2 * * *",
        "*/0 * * * *",
        "0 0 31 2 *",
        "0 0 30,31 2 *",
        "0 0 31 4,6 *",
        "0 0 29 2 *",
        "@yearly",
        "@monthly",
        "@hourly",
        "@daily",
        "@every 6h",
        "15 */4 * * mon-fri",
        "0 0 1 * *",
    ],
    "backups.location": [
        "NAM4",
        "EUR4",
        "US",
        "us-east4",
        "NAM5",
        "us-east9",
        "cn-north-1",
        "us-gov-west-1",
        "us-east-2",
        "eu-west-1",
    ],
    "registry.location": ["NAM4", "EU", "EUR9", "mars-north1", "us-west1"],
    "registry.replicaRegion": ["us-west-2", "cn-northwest-1", "us-iso-east-1", "eu-central-1"],
    "database.backupReplicaRegion": ["us-east-2", "us-gov-east-1", "eusc-de-east-1"],
    "cluster.restore.sourceRegion": ["us-east-2", "cn-north-1"],
    "cluster.restore.sourceBucket": [
        "acme-other-backups",
        "acme_other_backups",
        "acme..backups",
        "goog-backups",
        "my-google-backups",
    ],
    "cluster.admins": [
        ["arn:aws:iam::123456789012:role/ci"],
        ["arn:aws:iam::123456789012:role/ops/ci"],
        ["arn:aws:iam::123456789012:role//ci"],
        ["arn:aws-cn:iam::123456789012:role/ci"],
    ],
    "cluster.restore.previousDatabaseHosts": [["10.250.0.9"], ["10.0.0.256"], ["db.example.com"]],
    "standby.primaryStack": [
        "organization/astronomer-dr/aws",
        "acme-corp/astronomer-dr/gcp",
        "ac/astronomer-dr/aws",
        "acme.corp/astronomer-dr/gcp",
        "acme/astronomer-dr/" + "s" * 101,
    ],
    "registry.noncurrentVersionDays": [30, 90],
}


def oracle_cases(stack: str, count: int) -> Iterator[dict[str, Any]]:
    """Seeded: half the cases edit a key of CLASS_VALUES with one of its values, the rest are the
    generator above (so its classes keep running against the new rules)."""
    rng = random.Random(f"{SEED}-oracle-{stack}")
    cloud = CLOUD[stack]
    paths = {
        p
        for p, _ in field_paths(
            {k: Field("object", "", fields=f) for k, f in OBJECT_KEYS[cloud].items()}, "astronomer-dr"
        )
    }
    paths |= {"astronomer-dr.standby.primaryStack"} if stack.endswith("-standby") else set()
    classed = [k for k in CLASS_VALUES if f"astronomer-dr.{k}" in paths]
    generic = cases(cloud, count)
    for _ in range(count):
        if rng.random() < 0.5:
            key = rng.choice(classed)
            changes = {f"astronomer-dr:{key}": rng.choice(CLASS_VALUES[key])}
            if key.startswith("cluster.restore."):
                restore = {"backup": "latest", "sourceBucket": "acme-other-backups"}
                if cloud == "aws":
                    restore |= {"sourceRegion": "us-east-2", "sourceKmsKeyArn": ORACLE_KEY_ARN}
                field = key.rsplit(".", 1)[1]
                changes = {"astronomer-dr:cluster.restore": {**restore, field: changes[f"astronomer-dr:{key}"]}}
            if rng.random() < 0.3 and key == "backups.schedule":
                changes["astronomer-dr:backups.retentionDays"] = rng.choice([7, 30, 365])
            yield changes
        else:
            yield next(generic)[1]


ORACLE_KEY_ARN = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _flat(changes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for path, value in changes.items():
        if path == "astronomer-dr:cluster.restore" and isinstance(value, dict):
            for field, v in value.items():
                yield f"{path}.{field}", v
        yield path, value


def _sensible(stack: str, settings: Any) -> list[str]:
    """What an accepted config must be: the rules' facts hold of the settings the program uses."""
    from components import aws_partitions, cron
    from components.config.gcs_locations import GCS_DUAL_REGIONS, GCS_MULTI_REGIONS, GCS_REGIONS

    wrong = []
    backups = settings.backups
    if backups is not None:
        gap = cron.longest_gap(cron.parse(backups.schedule))
        if gap is None or gap.days >= backups.retention_days:
            wrong.append(f"schedule {backups.schedule!r} keeps no backup at times (retention {backups.retention_days})")
        if backups.location.lower() == settings.region.lower():
            wrong.append(f"backups in the stack's own region {backups.location}")
        if settings.cloud == "gcp" and not (
            backups.location in GCS_MULTI_REGIONS
            or backups.location in GCS_DUAL_REGIONS
            or backups.location in GCS_REGIONS
        ):
            wrong.append(f"backups location {backups.location} is no GCS location")
        if settings.cloud == "aws" and aws_partitions.partition_of(backups.location) != "aws":
            wrong.append(f"backups location {backups.location} is not a commercial region")
    if settings.cloud == "aws" and aws_partitions.partition_of(settings.region) != "aws":
        wrong.append(f"aws:region {settings.region} is not a commercial region")
    return wrong


def test_a_seeded_run_of_the_oracle_over_every_stack_kind():
    """At least 2,000 configs (500 per stack: both primaries, both standbys): each accepted and
    sensible, or refused naming the key; a config a rule must refuse is refused on that key; every
    rule is exercised."""
    fired = dict.fromkeys((rule.__name__ for rule in RULES), 0)
    total = 0
    for stack in ORACLE_STACKS:
        for changes in oracle_cases(stack, ORACLE_CASES_PER_STACK):
            total += 1
            must = {
                (rule.__name__, key)
                for path, value in _flat(changes)
                for rule in RULES
                if (key := rule(stack, path, value))
            }
            try:
                problems = outcome(stack, stack_with(stack, changes))
            except AssertionError:
                raise
            except Exception as error:
                raise AssertionError(f"{type(error).__name__} ({error}) for {stack} {changes!r}") from error
            for name, key in must:
                fired[name] += 1
                assert any(line.startswith(key + ":") for line in problems), (
                    f"{name}: {stack} {changes!r} must be refused on {key}: {problems}"
                )
            if problems:
                touched = {k.split(".")[0] for k in changes}
                allowed = touched | {r for t in touched for r in RELATED.get(t, ())}
                named = {line.split(": ", 1)[0].split(".")[0].split("[")[0] for line in problems}
                assert named & allowed, f"{stack}: edited {sorted(changes)} but the refusal names {sorted(named)}"
            else:
                settings = parse_settings(stack_with(stack, changes), stack)
                assert not _sensible(stack, settings), (stack, changes, _sensible(stack, settings))
    assert total >= 2000
    assert all(fired.values()), fired
    print(f"oracle: {total} configs, rules fired {fired}")
