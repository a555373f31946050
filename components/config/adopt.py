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
from dataclasses import dataclass, field
from typing import Any

import pulumi

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


# ---- secrets that already exist ----------------------------------------------------------------
#
# A running platform's identity and credentials: Houston's JWT signing pair (every user's session
# and the copies Commander synced into the deployment namespaces check against it), the registry's
# http secret, and the database password in the bootstrap secret. Generated anew, the first would
# log every user out and break the deployments' registry and auth checks. Taken once as secret
# config (read from the running cluster, docs/ADOPTION.md), they replace the program's generators:
# the values stay secret in the stack file, in state and in every input they reach.
ADOPTED_JWT_KEY = "adoptedJwtSigningKey"
ADOPTED_JWT_CERTIFICATE = "adoptedJwtSigningCertificate"
ADOPTED_REGISTRY_HTTP_SECRET = "adoptedRegistryHttpSecret"
ADOPTED_DATABASE_PASSWORD = "adoptedDatabasePassword"
# Optional secret keys (SECRET_KEYS, components/config/shared.py, are the required ones).
ADOPTED_SECRET_KEYS = (
    ADOPTED_JWT_KEY,
    ADOPTED_JWT_CERTIFICATE,
    ADOPTED_REGISTRY_HTTP_SECRET,
    ADOPTED_DATABASE_PASSWORD,
)
# Where each is read from on the running installation (chart 2.1.0 names; docs/ADOPTION.md).
ADOPTED_SOURCES = {
    ADOPTED_JWT_KEY: "kubectl -n <namespace> get secret <release>-houston-jwt-signing-key -o jsonpath='{.data.tls\\.key}' | base64 -d",
    ADOPTED_JWT_CERTIFICATE: "kubectl -n <namespace> get secret <release>-houston-jwt-signing-certificate -o jsonpath='{.data.tls\\.crt}' | base64 -d",
    # charts/astronomer/templates/registry/registry-statefulset.yaml:105: an env value of the pod spec.
    ADOPTED_REGISTRY_HTTP_SECRET: "kubectl -n <namespace> get statefulset <release>-registry -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name==\"REGISTRY_HTTP_SECRET\")].value}'",
    # postgres://USER:PASSWORD@HOST:5432, the password URL-encoded (/work/shared/reference, chart notes).
    ADOPTED_DATABASE_PASSWORD: "kubectl -n <namespace> get secret astronomer-bootstrap -o jsonpath='{.data.connection}' | base64 -d | python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(urllib.parse.urlsplit(sys.stdin.read().strip()).password))'",
}
_PEM_MARKERS = {ADOPTED_JWT_KEY: "PRIVATE KEY-----", ADOPTED_JWT_CERTIFICATE: "-----BEGIN CERTIFICATE-----"}
# RDS refuses these in a master password (components/aws/database.py, PASSWORD_SPECIALS).
_RDS_REFUSED = ("/", "@", '"', "'", " ")


@dataclass(frozen=True)
class AdoptedSecrets:
    """Plain strings, kept out of repr; whoever hands one to a resource wraps it in
    `pulumi.Output.secret` (`secret`)."""

    jwt_key: str | None = field(default=None, repr=False)
    jwt_certificate: str | None = field(default=None, repr=False)
    registry_http_secret: str | None = field(default=None, repr=False)
    database_password: str | None = field(default=None, repr=False)

    @staticmethod
    def secret(value: str | None) -> pulumi.Output[str] | None:
        return None if value is None else pulumi.Output.secret(value)


def parse_adopted_secrets(cloud: str, config: Mapping[str, str], problems: Problems) -> AdoptedSecrets:
    from .shared import is_secret

    values: dict[str, str] = {}
    for key in ADOPTED_SECRET_KEYS:
        full = f"{PROJECT}:{key}"
        if full not in config:
            continue
        command = f'pulumi config set --secret {full} -- "$({ADOPTED_SOURCES[key]})"'
        value = config[full]
        if not is_secret(full):
            problems.add(
                full, f"must be a secret (it would sit in plain text in the stack file); set it with `{command}`"
            )
        elif not value.strip():
            problems.add(full, f"is empty; set it with `{command}`")
        elif key in _PEM_MARKERS and _PEM_MARKERS[key] not in value:
            problems.add(full, f"must be PEM text containing '{_PEM_MARKERS[key]}'")
        elif key == ADOPTED_DATABASE_PASSWORD and cloud == "aws" and any(c in value for c in _RDS_REFUSED):
            problems.add(full, "RDS refuses '/', '@', '\"', \"'\" and spaces in a master password")
        else:
            values[key] = value
    pair = [k for k in (ADOPTED_JWT_KEY, ADOPTED_JWT_CERTIFICATE) if f"{PROJECT}:{k}" in config]
    if len(pair) == 1:
        missing = ADOPTED_JWT_CERTIFICATE if pair[0] == ADOPTED_JWT_KEY else ADOPTED_JWT_KEY
        problems.add(
            f"{PROJECT}:{missing}",
            f"required with {PROJECT}:{pair[0]}: Houston signs with the key and the deployments check the certificate",
        )
    return AdoptedSecrets(
        jwt_key=values.get(ADOPTED_JWT_KEY),
        jwt_certificate=values.get(ADOPTED_JWT_CERTIFICATE),
        registry_http_secret=values.get(ADOPTED_REGISTRY_HTTP_SECRET),
        database_password=values.get(ADOPTED_DATABASE_PASSWORD),
    )
