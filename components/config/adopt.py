"""`astronomer-dr:adopt`: what an existing installation calls the things the program cannot name.

Adoption (docs/ADOPTION.md) brings a running Astronomer installation under a stack with
`pulumi import`. Most import ids follow from the stack's config and the names the program itself
declares (tools/adopt/ids.py); this block names the rest: the existing database instance (a name
Pulumi would otherwise make up), and, where the installation was made by hand, its cluster, node
pool, VPC and buckets. The program itself declares nothing from it: only `tools.adopt` reads it,
but it is validated here like every other config object, so a typo is refused before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..schema import Field, Problems, dns_label, matches, parse_object
from .shared import PROJECT, decode_object

ADOPT_KEY = "adopt"

_NAME = matches(r"^[a-z0-9][-a-z0-9_.]*$", "a resource name (lower-case letters, digits, '-', '_' and '.')")
_AWS_ACCOUNT = matches(r"^\d{12}$", "a 12-digit AWS account id")


def _program_names(values: tuple[str, ...]) -> str | None:
    for value in values:
        message = _NAME(value)
        if message:
            return f"every entry must be a resource name the program registers: {value!r}"
    return None


def _common_fields(instance_doc: str) -> dict[str, Field]:
    return {
        "databaseInstance": Field("str", instance_doc, check=_NAME),
        "cluster": Field(
            "str", "name of the existing Kubernetes cluster (default: the name the program gives it)", default=None
        ),
        "nodePool": Field(
            "str", "name of the existing platform node pool / node group (default: the program's name)", default=None
        ),
        "registryBucket": Field(
            "str", "name of the existing registry bucket (default: the program's name)", default=None, check=_NAME
        ),
        "backupsBucket": Field(
            "str", "name of the existing Velero backups bucket (default: the program's name)", default=None, check=_NAME
        ),
        "create": Field(
            "list[str]",
            "names of program resources the installation does not have: `pulumi up` creates them instead of importing",
            default=(),
            check=_program_names,
        ),
    }


GCP_ADOPT_FIELDS: dict[str, Field] = {
    **_common_fields("name of the existing Cloud SQL instance (gcloud sql instances list)"),
    "network": Field(
        "str", "name of the existing VPC (default: the program's name)", default=None, check=dns_label(63)
    ),
}
AWS_ADOPT_FIELDS: dict[str, Field] = {
    **_common_fields("identifier of the existing RDS instance (aws rds describe-db-instances)"),
    "accountId": Field(
        "str",
        "the AWS account the installation runs in (aws sts get-caller-identity); bucket names and ARNs contain it",
        check=_AWS_ACCOUNT,
    ),
}
ADOPT_FIELDS: dict[str, Mapping[str, Field]] = {"gcp": GCP_ADOPT_FIELDS, "aws": AWS_ADOPT_FIELDS}


@dataclass(frozen=True)
class AdoptSettings:
    database_instance: str
    cluster: str | None = None
    node_pool: str | None = None
    registry_bucket: str | None = None
    backups_bucket: str | None = None
    # Program resources (logical names) that the installation does not have.
    create: tuple[str, ...] = ()
    network: str | None = None
    account_id: str | None = None


def parse_adopt(cloud: str, ours: Mapping[str, Any], problems: Problems) -> AdoptSettings | None:
    """The adopt block of a `cloud` stack, or None when the stack has none."""
    if ADOPT_KEY not in ours:
        return None
    full = f"{PROJECT}:{ADOPT_KEY}"
    raw = decode_object(full, ours[ADOPT_KEY], problems)
    parsed = parse_object(full, raw, ADOPT_FIELDS[cloud], problems)
    return None if parsed is None else AdoptSettings(**parsed)
