"""Config outside the astronomer-dr namespace: which namespaces a stack may use, and the provider
keys the program depends on (`gcp:project`, `gcp:region`, `aws:region`). Pure; used by config.py.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping

from .schema import Problems, text_rules

# Namespaces a stack file may hold: ours, the clouds', the providers the program uses (gcp, aws,
# kubernetes, random; tls for a user's own tooling) and the engine's own (`pulumi:tags`, ...).
# Anything else is a typo (`astronmer-dr:database`, `astronomer:platform`) whose values would be
# silently ignored, so the defaults would apply.
KNOWN_NAMESPACES = ("astronomer-dr", "gcp", "aws", "kubernetes", "random", "pulumi", "tls")


def check_namespaces(keys: Iterable[str], problems: Problems, project: str = "astronomer-dr") -> None:
    for key in keys:
        namespace, sep, name = key.partition(":")
        if not sep:
            problems.add(key, f"config keys are <namespace>:<name>; did you mean '{project}:{key}'?")
            continue
        if namespace in KNOWN_NAMESPACES:
            continue
        lowered = {n.lower(): n for n in KNOWN_NAMESPACES}
        guesses = difflib.get_close_matches(namespace.lower(), list(lowered), n=1, cutoff=0.5)
        hint = f"did you mean '{lowered[guesses[0]]}:{name}'? " if guesses else ""
        problems.add(
            key,
            f"unknown config namespace '{namespace}': its keys would be ignored and the defaults apply; "
            f"{hint}known namespaces: {', '.join(KNOWN_NAMESPACES)}",
        )


# GCP regions (https://cloud.google.com/compute/docs/regions-zones, "Available regions and
# zones"). A zone (us-central1-a) or a typo is refused; a region Google opens later is added here.
GCP_REGIONS = (
    "africa-south1",
    "asia-east1",
    "asia-east2",
    "asia-northeast1",
    "asia-northeast2",
    "asia-northeast3",
    "asia-south1",
    "asia-south2",
    "asia-southeast1",
    "asia-southeast2",
    "australia-southeast1",
    "australia-southeast2",
    "europe-central2",
    "europe-north1",
    "europe-north2",
    "europe-southwest1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west6",
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
    "me-central1",
    "me-central2",
    "me-west1",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "northamerica-south1",
    "southamerica-east1",
    "southamerica-west1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west2",
    "us-west3",
    "us-west4",
)


@functools.lru_cache(maxsize=1)
def aws_regions() -> tuple[str, ...]:
    """Every region the installed AWS provider knows (`pulumi_aws.Region`, pulumi_aws/_enums.py)."""
    from pulumi_aws._enums import Region

    return tuple(r.value for r in Region if r.value)


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _region_problem(value: str, known: tuple[str, ...], cloud: str, example: str) -> str | None:
    why = text_rules(value, 64)
    if why:
        return why
    if value in known:
        return None
    zone = next((r for r in known if value.startswith(r + "-") or (value[:-1] == r and value[-1:].isalpha())), None)
    if zone:
        return f"must be a region, not a zone: {zone}"
    close = difflib.get_close_matches(value.lower(), known, n=5, cutoff=0.75)
    guess = min(close, key=lambda r: edit_distance(value.lower(), r)) if close else None
    hint = f"; did you mean {guess}?" if guess else ""
    return f"must be {cloud} region such as {example}{hint}"


def gcp_region(value: str) -> str | None:
    why = _region_problem(value, GCP_REGIONS, "a GCP", "us-central1")
    if why and "did you mean" not in why and "zone" not in why and re.fullmatch(r"[a-z]+-[a-z]+[0-9]+", value):
        why += (
            " (a region Google opened after this list was written goes in GCP_REGIONS, components/provider_config.py)"
        )
    return why


def aws_region(value: str) -> str | None:
    """A region of the commercial partition (components/aws_partitions.py: the ARNs the program writes)."""
    from .aws_partitions import other_partition_message

    return _region_problem(value, aws_regions(), "an AWS", "us-east-1") or other_partition_message(value)


# Project ids: 6 to 30 lowercase letters, digits and hyphens, starting with a letter, not ending
# with a hyphen (https://cloud.google.com/resource-manager/docs/creating-managing-projects);
# legacy domain-scoped ids carry an `example.com:` prefix.
_PROJECT_ID = re.compile(r"([a-z0-9.-]+[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]", re.ASCII)


def gcp_project(value: str) -> str | None:
    why = text_rules(value, 100)
    if why:
        return why
    if _PROJECT_ID.fullmatch(value):
        return None
    return (
        "must be a project id (6 to 30 lowercase letters, digits and hyphens, starting with a letter), "
        "not a project name or number"
    )


def check_provider_key(config: Mapping[str, str], key: str, check, problems: Problems) -> str | None:
    """The value of a provider key when it passes `check`; None (and a problem naming it) otherwise."""
    value = config.get(key)
    if value is None or value == "":
        return None
    why = check(value)
    if why:
        problems.add(key, f"{why}, got {value!r}")
        return None
    return value
