"""A standby stack in a second region (both clouds): its settings and the check of its primary's facts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..schema import Field, Problems, one_of, parse_object
from .restores import ORIGINAL_LABEL
from .settings import DEFAULT_STANDBY_CLUSTER, STANDBY_CLUSTER_MODES, StackSettings, StandbySettings
from .shared import PROJECT, decode_object

# ---- a standby stack in a second region (both clouds) ------------------------------------------
#
# `astronomer-dr:standby = {primaryStack: <org>/astronomer-dr/<stack>, promote: false}` makes a stack
# the primary's standby: a cross-region read replica of the primary's database, the network (and,
# warm, the cluster) in its own region, the platform not yet declared. `promote: true` and
# `pulumi up` fail over: the same replica resource is promoted and gets every DR setting of a
# primary, and the platform comes up on it (docs/RUNBOOK.md, "The whole region lost").
#
# Two kinds of refusals. What the stack's own config shows is refused here, before any resource
# exists. What needs the primary's facts (its cloud, region, project, database version, network
# ranges) can only be known from the StackReference, whose outputs the engine answers after the
# program has started: `check_primary` below refuses those, as a ConfigError naming the key, inside
# the one Output every standby resource that matters takes its inputs from (components/standby.py),
# so the replica, the promoted instance, the cluster and the platform are never declared on a bad
# reference.

STANDBY_KEY = "standby"
# Pulumi's rules (pulumi/pulumi 1b5949891b3c): an organization is `organization` on a DIY backend
# (pkg/backend/diy/store.go l.168-173) and matches stackOwnerRegexp on Pulumi Cloud
# (pkg/backend/httpstate/backend.go l.140: 3-40 letters, digits, '-' and '_', starting and ending
# with a letter or digit); a stack name is 1-100 letters, digits, '_', '.' and '-'
# (sdk/go/common/tokens/stack_name.go ParseStackName).
_STACK_REFERENCE = re.compile(
    r"^(?P<org>[A-Za-z0-9][A-Za-z0-9_-]{1,38}[A-Za-z0-9])/(?P<project>[A-Za-z0-9_.-]+)/(?P<stack>[A-Za-z0-9_.-]{1,100})$",
    re.ASCII,
)

STANDBY_FIELDS: dict[str, Field] = {
    "primaryStack": Field(
        "str",
        "fully qualified name of the primary's stack, <organization>/astronomer-dr/<stack> (DIY backends: organization/astronomer-dr/<stack>)",
        default=None,
    ),
    "promote": Field(
        "bool",
        "fail over: promote the replica to this stack's primary database and bring the platform up on it",
        default=False,
    ),
    "cluster": Field(
        "str",
        "warm: the cluster exists before failover (faster); cold: created at promotion (cheaper)",
        default=DEFAULT_STANDBY_CLUSTER,
        check=one_of(*STANDBY_CLUSTER_MODES),
    ),
}


# Keys a standby refuses: its one database is the replica, not a topology of restores, and its
# cluster is its own (a primary's `cluster.existing` would be in the wrong region).
_STANDBY_DATABASE_KEYS = {
    "restore": None,
    "primary": ORIGINAL_LABEL,
    "keep_original": True,
    "keep_restored": (),
    "unprotect": (),
}


def parse_standby(
    ours: Mapping[str, Any], stack: str, objects: Mapping[str, dict | None], problems: Problems
) -> StandbySettings | None:
    full = f"{PROJECT}:{STANDBY_KEY}"
    database = objects.get("database") or {}
    if database.get("replica_high_availability") and STANDBY_KEY not in ours:
        problems.add(
            f"{PROJECT}:database.replicaHighAvailability",
            "only with a standby (astronomer-dr:standby): it keeps the standby's replica regional before promotion",
        )
    if STANDBY_KEY not in ours:
        return None
    raw = decode_object(full, ours.get(STANDBY_KEY), problems)
    parsed = parse_object(full, raw, STANDBY_FIELDS, problems)
    if parsed is None:
        return None
    before = len(problems.items)
    reference = parsed["primary_stack"]
    key = f"{full}.primaryStack"
    if not reference:
        if parsed["promote"]:
            problems.add(
                key,
                "required with promote: true: promotion turns the replica of the primary named here into this stack's database; e.g. organization/astronomer-dr/gcp",
            )
        else:
            problems.add(
                key,
                "required: the primary's stack, e.g. organization/astronomer-dr/gcp (its outputs are read through a StackReference)",
            )
    else:
        match = _STACK_REFERENCE.match(reference)
        if not match:
            problems.add(
                key,
                f"must be <organization>/<project>/<stack> (a fully qualified stack name, e.g. organization/{PROJECT}/gcp; "
                "the organization 3-40 letters, digits, '-' and '_', the stack 1-100 letters, digits, '_', '.' and '-'), "
                f"got {reference!r}",
            )
        elif match.group("project") != PROJECT:
            problems.add(
                key,
                f"must name a stack of project {PROJECT} (the standby reads that project's exports), got project {match.group('project')!r}",
            )
        elif match.group("stack") == stack:
            problems.add(key, f"names this stack ({stack}): a standby replicates another stack, in another region")
    if database.get("replica_high_availability") and not database.get("high_availability"):
        problems.add(
            f"{PROJECT}:database.replicaHighAvailability",
            "needs database.highAvailability: true: a regional replica promoted into a zonal instance would change its availability at promotion",
        )
    for snake, default in _STANDBY_DATABASE_KEYS.items():
        if database and database.get(snake) != default:
            camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), snake)
            problems.add(
                f"{PROJECT}:database.{camel}",
                "not with a standby: its one database is the primary's replica (promoted with standby.promote)",
            )
    refuse_what_a_standby_ignores(ours, problems)
    cluster = objects.get("cluster") or {}
    for restore_key in ("restore", "restored"):
        if cluster.get(restore_key) and not parsed["promote"]:
            problems.add(
                f"{PROJECT}:cluster.{restore_key}",
                "only with standby.promote: true: a standby restores the deployments when it is promoted "
                "(its Velero reads the primary's bucket read-only until then)",
            )
    if cluster.get("existing"):
        problems.add(
            f"{PROJECT}:cluster.existing",
            "not with a standby: the standby's cluster is its own, in its region (standby.cluster: warm or cold)",
        )
    if len(problems.items) != before:
        return None
    return StandbySettings(primary_stack=reference, promote=parsed["promote"], cluster=parsed["cluster"])


# Issue 21, item 4: keys a standby accepts and never reads. Its registry is the primary's (GCP: the
# primary's bucket, by its registry_bucket output; AWS: the primary's S3 replica in this region,
# registry.replicaRegion on the primary): components/gcp/standby.py and components/aws/standby.py
# take no registry setting of their own. Set on the primary, where they apply.
STANDBY_IGNORED_OBJECTS = {
    "registry": "not with a standby: its registry serves the primary's bucket (GCP) or the primary's replica in this region (AWS, registry.replicaRegion on the primary); set registry keys on the primary",
}


def refuse_what_a_standby_ignores(ours: Mapping[str, Any], problems: Problems) -> None:
    for key, why in STANDBY_IGNORED_OBJECTS.items():
        raw = ours.get(key)
        raw = decode_object(f"{PROJECT}:{key}", raw, Problems()) if isinstance(raw, str) else raw
        for name in raw if isinstance(raw, dict) else ([] if raw is None else [""]):
            problems.add(f"{PROJECT}:{key}" + (f".{name}" if name else ""), why)


@dataclass(frozen=True)
class PrimaryFacts:
    """What a standby needs of its primary, read from the primary's stack outputs (backend only)."""

    cloud: str
    region: str
    # GCP: the instance's name; AWS: its ARN (a cross-region replica's source must be the ARN).
    database_instance: str
    database_version: str
    # Where the platform's deployments reach the primary: restored deployments still name it.
    database_host: str
    # GCP only: the project, the global VPC the standby shares, its ranges, and the registry.
    project: str | None = None
    network: str | None = None
    network_ranges: tuple[str, ...] = ()
    registry_bucket: str | None = None
    registry_location: str | None = None
    registry_service_account: str | None = None
    # AWS only: the registry's replica in the standby's region, when the primary keeps one.
    registry_replica_bucket: str | None = None
    registry_replica_region: str | None = None
    registry_replica_kms_key_arn: str | None = None
    platform_namespace: str | None = None
    platform_release: str | None = None
    # Its Velero backups bucket (`backups_bucket`; AWS also its region and key): what a warm standby
    # reads before promotion and restores from (BACKUP_EXPORTS). None when this standby needs none.
    backups_bucket: str | None = None
    backups_region: str | None = None
    backups_kms_key_arn: str | None = None
    # At promotion: what the primary lacks that the promoted platform would have used (warned
    # about; the registry then starts empty in this region). Before promotion such gaps are refused.
    warnings: tuple[str, ...] = ()

    @property
    def registry_usable(self) -> bool:
        """Whether the promoted standby's registry can serve the primary's images (else a fresh,
        empty bucket of its own in its region: components/gcp/standby.py, components/aws/standby.py)."""
        if self.cloud == "gcp":
            return bool(self.registry_bucket and self.registry_service_account and self.registry_location)
        return bool(self.registry_replica_bucket and self.registry_replica_kms_key_arn)


# The outputs a primary exports for its standby (__main__.py and each cloud's foundation).
PRIMARY_EXPORTS = {
    "gcp": (
        "cloud",
        "region",
        "database_instance",
        "database_host",
        "database_version",
        "project",
        "network",
        "network_ranges",
        "registry_bucket",
        "registry_location",
        "registry_service_account",
        "platform_namespace",
        "platform_release",
    ),
    "aws": (
        "cloud",
        "region",
        "database_arn",
        "database_address",
        "database_version",
        "platform_namespace",
        "platform_release",
    ),
}


# What only a promotion needs of the primary: its images (GCP: the registry bucket, which must
# outlive its region; AWS: the registry's S3 replica in the standby's region). A gap here is refused
# while the primary can still fix it (the standby created, every `up` before promotion) and only
# warned about at promotion, when the primary's region may be gone and nothing can fix it: the
# promoted platform then starts with an empty registry of its own.
REGISTRY_EXPORTS = {
    "gcp": ("registry_bucket", "registry_location", "registry_service_account"),
    "aws": ("registry_replica_bucket", "registry_replica_region", "registry_replica_kms_key_arn"),
}
# The primary's Velero backups bucket: a warm standby's Velero reads it before promotion (its
# location pre-staged, read-only) and a promoted standby's restore reads it (components/standby.py).
# On AWS the bucket lives in `backups.location`, a region other than the primary's (refused
# otherwise, components/config/backups.py) and not replicated: that one copy is what survives.
BACKUP_EXPORTS = {
    "gcp": ("backups_bucket",),
    "aws": ("backups_bucket", "backups_region", "backups_kms_key_arn"),
}


def reads_primary_backups(settings: StackSettings) -> bool:
    """Whether this standby reads its primary's backups bucket: a warm one all along (Velero
    pre-staged), and any promoted one whose declared restore names no other sourceBucket."""
    standby, backups = settings.standby, settings.backups
    assert standby is not None
    if backups is None:
        return False
    if standby.cluster == "warm":
        return True
    return standby.promote and backups.restore_backup is not None and not backups.source_bucket


_SINGLE_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")


def registry_survives_region(location: str) -> bool:
    """A GCS location other than a single region (a dual- or multi-region) outlives one region."""
    return not _SINGLE_REGION.match(location.lower())


def registry_gap(settings: StackSettings, exports: Mapping[str, Any]) -> str | None:
    """Why the primary's images would not reach this standby's promoted registry, naming the fix on
    the primary; None when they would."""
    assert settings.standby is not None
    name, region = settings.standby.primary_stack, settings.region
    missing = [k for k in REGISTRY_EXPORTS[settings.cloud] if not exports.get(k)]
    if settings.cloud == "gcp":
        if missing:
            return f"{name} does not export {', '.join(missing)}: run `pulumi up` on the primary with this version of the program"
        location = str(exports["registry_location"])
        if not registry_survives_region(location):
            return (
                f"{name}'s registry bucket is in {location} only, so its images would be lost with that region: "
                f"set registry.location on the primary to a dual- or multi-region (e.g. location: US, dataLocations: "
                f"[{exports.get('region')}, {region}]); a bucket's location is fixed when it is created, so this means "
                "a new registry bucket on the primary"
            )
        return None
    if exports.get("registry_replica_region") != region or missing:
        return f"{name} keeps no registry replica in {region}: set registry.replicaRegion: {region} on the primary (S3 replication; the standby's registry serves that replica)"
    return None


def _overlapping(ours: Mapping[str, str], theirs: tuple[str, ...]) -> list[tuple[str, str]]:
    import ipaddress

    found = []
    for key, cidr in ours.items():
        for other in theirs:
            if ipaddress.ip_network(cidr, strict=False).overlaps(ipaddress.ip_network(other, strict=False)):
                found.append((key, other))
    return found


def check_primary(settings: StackSettings, exports: Mapping[str, Any]) -> PrimaryFacts:
    """Pure: the primary's outputs (as the StackReference reads them) checked against this standby.

    Raises ConfigError naming the key: a primary of another cloud, one in this stack's own region,
    outputs missing (a primary not yet updated to export them), a database version that differs,
    and per cloud what would collide with or depend on the lost region. What only a promotion
    needs of the primary (its images: `registry_gap`) is refused before promotion, naming the fix
    on the primary, and at promotion returned in `warnings` instead: a failover is never refused
    for what the primary, perhaps gone, would have to fix.
    """
    assert settings.standby is not None
    problems = Problems()
    reference = f"{PROJECT}:{STANDBY_KEY}.primaryStack"
    name = settings.standby.primary_stack
    cloud = exports.get("cloud")
    if cloud is not None and cloud != settings.cloud:
        problems.add(
            reference,
            f"{name} is a {cloud} stack and this one is {settings.cloud}: a standby replicates its primary's database within one cloud",
        )
        problems.raise_if_any()
    if exports.get("standby_promoted") is False:
        problems.add(
            reference,
            f"{name} is a standby that is not promoted: a standby follows a primary (or a promoted standby), not another replica",
        )
        problems.raise_if_any()
    missing = [
        k
        for k in PRIMARY_EXPORTS[settings.cloud]
        if k not in REGISTRY_EXPORTS[settings.cloud] and exports.get(k) is None
    ]
    if missing:
        problems.add(
            reference,
            f"{name} does not export {', '.join(missing)}: run `pulumi up` on the primary with this version of the program first",
        )
        problems.raise_if_any()
    gcp = settings.gcp
    region = settings.region
    region_key = "gcp:region" if gcp else "aws:region"
    if exports["region"] == region:
        problems.add(
            region_key,
            f"is the primary's own region ({region}, {name}): a standby must be in a second region to survive the loss of the first",
        )
    if gcp:
        db = gcp.database
        if db.postgres_version != exports["database_version"]:
            problems.add(
                f"{PROJECT}:database.postgresVersion",
                f"must be the primary's version {exports['database_version']} (a replica runs its primary's version), got {db.postgres_version}",
            )
        if db.backup_location == exports["region"]:
            problems.add(
                f"{PROJECT}:database.backupLocation",
                f"must not be the primary's region {exports['region']}: after failover the promoted instance's backups must live outside the lost region",
            )
        if exports["project"] != gcp.project:
            problems.add(
                "gcp:project",
                f"must be the primary's project {exports['project']}: the standby shares its VPC, its private services access and its Workload Identity pool",
            )
        net = gcp.network
        ours = {
            "network.subnetCidr": net.subnet_cidr,
            "network.podsCidr": net.pods_cidr,
            "network.servicesCidr": net.services_cidr,
            "cluster.masterIpv4CidrBlock": gcp.cluster.master_ipv4_cidr_block,
        }
        for key, other in _overlapping(ours, tuple(exports["network_ranges"])):
            problems.add(
                f"{PROJECT}:{key}",
                f"overlaps the primary's range {other}: both stacks share one VPC, so every range must be distinct",
            )
    else:
        aws_db = settings.require_aws().database
        if aws_db.backup_replica_region == exports["region"]:
            problems.add(
                f"{PROJECT}:database.backupReplicaRegion",
                f"must not be the primary's region {exports['region']}: after failover backups must be replicated to a third region, not the lost one",
            )
        if aws_db.postgres_version.split(".")[0] != str(exports["database_version"]).split(".")[0]:
            problems.add(
                f"{PROJECT}:database.postgresVersion",
                f"must be the primary's major version {exports['database_version']} (a replica runs its primary's engine), got {aws_db.postgres_version}",
            )
    # Issue 21: the Velero backups bucket must outlive the primary's region too (its own region is
    # refused in parse_backups): after a failover those backups are the deployments' only copy.
    if settings.backups is not None and settings.backups.location.lower() == str(exports["region"]).lower():
        problems.add(
            f"{PROJECT}:backups.location",
            f"must not be the primary's region {exports['region']}: the promoted standby's backups must outlive the region it failed over from",
        )
    if (exports["platform_namespace"], exports["platform_release"]) != (
        settings.platform.namespace,
        settings.platform.release_name,
    ):
        problems.add(
            f"{PROJECT}:platform.releaseName",
            f"namespace and release name must be the primary's ({exports['platform_namespace']}/{exports['platform_release']}): the registry identity grants and the Velero backups name them",
        )
    reads_backups = reads_primary_backups(settings)
    if reads_backups:
        missing_backups = [k for k in BACKUP_EXPORTS[settings.cloud] if not exports.get(k)]
        if missing_backups:
            problems.add(
                reference,
                f"{name} does not export {', '.join(missing_backups)}: run `pulumi up` on the primary with this "
                "version of the program (a warm standby reads its primary's Velero backups before promotion, "
                "a promoted one restores from them)",
            )
        elif exports.get("backups_region") == exports["region"]:
            problems.add(
                reference,
                f"{name}'s backups bucket is in its own region {exports['region']}: it would be lost with that region",
            )
    gap = registry_gap(settings, exports)
    warnings: tuple[str, ...] = ()
    if gap and not settings.standby.promote:
        problems.add(reference, f"{gap}. Fix it now, while the primary's region is up: at promotion it cannot be")
    problems.raise_if_any()
    if gap:
        # At promotion: the failover goes ahead, with a registry of its own that starts empty.
        warnings = (
            f"standby: {gap}. Promoting anyway: the registry starts empty in {region}; "
            "redeploy every Deployment's image (`astro deploy`)",
        )
    usable = gap is None
    return PrimaryFacts(
        # Checked above: present (PRIMARY_EXPORTS) and this stack's own cloud.
        cloud=exports["cloud"],
        region=exports["region"],
        database_instance=exports["database_instance"] if gcp else exports["database_arn"],
        database_version=str(exports["database_version"]),
        database_host=exports["database_host"] if gcp else exports["database_address"],
        project=exports.get("project"),
        network=exports.get("network"),
        network_ranges=tuple(exports.get("network_ranges") or ()),
        # Only what the promoted registry can use: None when the primary's images would not reach it.
        registry_bucket=exports.get("registry_bucket") if usable else None,
        registry_location=exports.get("registry_location") if usable else None,
        registry_service_account=exports.get("registry_service_account") if usable else None,
        registry_replica_bucket=exports.get("registry_replica_bucket") if usable else None,
        registry_replica_region=exports.get("registry_replica_region") if usable else None,
        registry_replica_kms_key_arn=exports.get("registry_replica_kms_key_arn") if usable else None,
        platform_namespace=exports["platform_namespace"],
        platform_release=exports["platform_release"],
        backups_bucket=exports.get("backups_bucket") if reads_backups else None,
        backups_region=exports.get("backups_region") if reads_backups else None,
        backups_kms_key_arn=exports.get("backups_kms_key_arn") if reads_backups else None,
        warnings=warnings,
    )
