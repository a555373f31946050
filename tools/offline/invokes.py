"""What each invoke answers (GKE's server config, EKS versions and clusters, IAM policy
documents, availability zones...), shaped as the providers compute them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tools.offline import backups
from tools.offline.context import MOCK_AWS_ACCOUNT, MOCK_CA, CallFn
from tools.offline.outputs import mock_oidc_issuer, text_digest

# What GKE's GetServerConfig answers in late November 2026, per release channel (newest first).
# Shaped like the API (https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/ServerConfig)
# and the release schedule: 1.33's standard support ended 2026-06-30, so only EXTENDED still has
# it; RAPID has moved past chart 2.1.0's range (1.31-1.35).
GKE_SERVER_CONFIG: dict[str, Any] = {
    "defaultClusterVersion": "1.34.6-gke.1314000",
    "validMasterVersions": [
        "1.37.1-gke.1039000",
        "1.36.3-gke.1521000",
        "1.35.4-gke.1297000",
        "1.35.3-gke.1524000",
        "1.34.6-gke.1314000",
        "1.34.5-gke.1176000",
        "1.33.9-gke.1402000",
        "1.32.11-gke.1188000",
    ],
    "channels": {
        "RAPID": {
            "defaultVersion": "1.36.3-gke.1521000",
            "validVersions": ["1.37.1-gke.1039000", "1.36.3-gke.1521000"],
        },
        "REGULAR": {
            "defaultVersion": "1.35.3-gke.1524000",
            "validVersions": ["1.35.4-gke.1297000", "1.35.3-gke.1524000", "1.34.6-gke.1314000"],
        },
        "STABLE": {
            "defaultVersion": "1.34.5-gke.1176000",
            "validVersions": ["1.34.6-gke.1314000", "1.34.5-gke.1176000"],
        },
        "EXTENDED": {
            "defaultVersion": "1.34.5-gke.1176000",
            "validVersions": ["1.34.6-gke.1314000", "1.34.5-gke.1176000", "1.33.9-gke.1402000", "1.32.11-gke.1188000"],
        },
    },
}


def _gke_engine_versions(args, ctx):
    """gcp.container.getEngineVersions as the provider computes it from GetServerConfig
    (terraform-provider-google-beta, data_source_google_container_engine_versions.go:113-163):
    `version_prefix` filters the valid versions and each channel's latest, never the defaults."""
    prefix = args.args.get("versionPrefix") or ""
    config = GKE_SERVER_CONFIG
    masters = [v for v in config["validMasterVersions"] if v.startswith(prefix)]
    latest = {}
    for channel, offer in config["channels"].items():
        found = next((v for v in offer["validVersions"] if v.startswith(prefix)), None)
        if found:
            latest[channel] = found
    return {
        "id": "2026-11-25 00:00:00 +0000 UTC",
        "project": args.args.get("project") or ctx.gcp_project,
        "location": args.args.get("location") or ctx.gcp_region,
        "versionPrefix": prefix,
        "defaultClusterVersion": config["defaultClusterVersion"],
        "validMasterVersions": masters,
        "validNodeVersions": masters,
        **({"latestMasterVersion": masters[0], "latestNodeVersion": masters[0]} if masters else {}),
        "releaseChannelDefaultVersion": {c: o["defaultVersion"] for c, o in config["channels"].items()},
        "releaseChannelLatestVersion": latest,
        "releaseChannelUpgradeTargetVersion": {c: o["defaultVersion"] for c, o in config["channels"].items()},
    }


CALL_RESULTS: dict[str, CallFn] = {
    "gcp:container/getEngineVersions:getEngineVersions": _gke_engine_versions,
    "gcp:container/getCluster:getCluster": lambda args, ctx: {
        "name": args.args["name"],
        "location": args.args.get("location"),
        "endpoint": "203.0.113.11",
        "masterAuths": [{"clusterCaCertificate": MOCK_CA}],
        # As GKE's NetworkConfig gives them (resource_container_cluster.go:3782-3785): relative paths.
        "network": f"projects/{ctx.gcp_project}/global/networks/existing-vpc",
        "subnetwork": f"projects/{ctx.gcp_project}/regions/{ctx.gcp_region}/subnetworks/existing-nodes",
    },
}


def _unwrap_one(values: list) -> Any:
    """IAM's JSON, as the provider renders it: a one-element list is written as its element."""
    return values[0] if len(values) == 1 else list(values)


def _principals(principals: list) -> Any:
    """A lone `{type: "*", identifiers: ["*"]}` is written `"*"` (terraform-provider-aws
    internal/service/iam/policy_model.go, iamPolicyStatementPrincipalSet.MarshalJSON)."""
    if len(principals) == 1 and principals[0]["type"] == "*" and list(principals[0]["identifiers"]) == ["*"]:
        return "*"
    return {p["type"]: _unwrap_one(p["identifiers"]) for p in principals}


def _policy_document(args, ctx):
    """aws.iam.getPolicyDocument: the statements rendered into the IAM JSON the provider returns."""
    statements = []
    for statement in args.args.get("statements") or []:
        rendered: dict[str, Any] = {}
        if statement.get("sid"):
            rendered["Sid"] = statement["sid"]
        rendered["Effect"] = statement.get("effect") or "Allow"
        for key, field_name in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            if statement.get(key):
                rendered[field_name] = _unwrap_one(statement[key])
        for key, field_name in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if statement.get(key):
                rendered[field_name] = _principals(statement[key])
        conditions: dict[str, dict[str, Any]] = {}
        for condition in statement.get("conditions") or []:
            conditions.setdefault(condition["test"], {})[condition["variable"]] = _unwrap_one(condition["values"])
        if conditions:
            rendered["Condition"] = conditions
        statements.append(rendered)
    document = {"Version": args.args.get("version") or "2012-10-17", "Statement": statements}
    return {
        "id": text_digest(json.dumps(document, sort_keys=True)),
        "json": json.dumps(document, indent=2),
        "minifiedJson": json.dumps(document, separators=(",", ":")),
    }


def _eks_get_cluster(args, ctx):
    name = args.args["name"]
    return {
        "id": name,
        "name": name,
        "arn": f"arn:aws:eks:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:cluster/{name}",
        "endpoint": f"https://{name.upper()}.yl4.{ctx.aws_region}.eks.amazonaws.com",
        "version": "1.33",
        "status": "ACTIVE",
        "certificateAuthorities": [{"data": MOCK_CA}],
        "identities": [{"oidcs": [{"issuer": mock_oidc_issuer(ctx.aws_region, name)}]}],
        "vpcConfig": {
            "clusterSecurityGroupId": "sg-0existing00000001",
            "controlPlaneEgressMode": "AWS_MANAGED",
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
            "publicAccessCidrs": [],
            "securityGroupIds": [],
            "subnetIds": ["subnet-0existing0000001", "subnet-0existing0000002", "subnet-0existing0000003"],
            "vpcId": "vpc-0existing00000001",
        },
    }


def _get_oidc_provider(args, ctx):
    url = args.args["url"]
    host = url.removeprefix("https://")
    return {
        "id": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:oidc-provider/{host}",
        "arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:oidc-provider/{host}",
        "url": host,
        "clientIdLists": ["sts.amazonaws.com"],
        "thumbprintLists": [],
        "tags": {},
    }


# EKS's calendar (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html: standard
# support for 14 months from a version's EKS release, extended support for 12 more; dates as
# https://endoflife.date/amazon-eks lists them, checked 2026-12-05). DescribeClusterVersions answers
# a version's status for the day it is asked: the offline engine answers for the evaluation's `now`,
# so a version leaving standard support shows as it will in the cloud (a warning, then a refusal),
# and without a `now` for EKS_CALENDAR_CHECKED, the day these dates were last checked (a suite that
# passes no `now` never ages).
EKS_CALENDAR_CHECKED = datetime(2026, 12, 5, tzinfo=UTC)
EKS_CLUSTER_VERSIONS = [
    # version, EKS release, end of standard support, end of extended support
    ("1.36", "2026-06-10", "2027-08-10", "2028-08-10"),
    ("1.35", "2026-01-27", "2027-03-27", "2028-03-27"),
    ("1.34", "2025-10-02", "2026-12-02", "2027-12-02"),
    ("1.33", "2025-05-29", "2026-07-29", "2027-07-29"),
    ("1.32", "2025-01-23", "2026-03-23", "2027-03-23"),
    ("1.31", "2024-09-26", "2025-11-26", "2026-11-26"),
    ("1.30", "2024-05-23", "2025-07-23", "2026-07-23"),
]


def eks_version_status(standard: str, extended: str, at: datetime) -> str:
    """A released version's `versionStatus` at `at`."""
    day = at.astimezone(UTC).date().isoformat()
    if day < standard:
        return "STANDARD_SUPPORT"
    return "EXTENDED_SUPPORT" if day < extended else "UNSUPPORTED"


def _eks_cluster_versions(args, ctx):
    """aws.eks.getClusterVersions: every version released by `ctx.now` with its status then
    (include_all), newest first; the default is the newest in standard support."""
    at = ctx.now or EKS_CALENDAR_CHECKED
    wanted = set(args.args.get("clusterVersionsOnlies") or [])
    released = [
        (version, eks_version_status(standard, extended, at), release, standard, extended)
        for version, release, standard, extended in EKS_CLUSTER_VERSIONS
        if release <= at.astimezone(UTC).date().isoformat()
    ]
    default = next((v for v, status, *_ in released if status == "STANDARD_SUPPORT"), None)
    versions = [
        {
            "clusterType": "eks",
            "clusterVersion": version,
            "controlPlaneComponentConfigs": [],
            "controlPlaneScalingTiers": [],
            "defaultPlatformVersion": "eks.1",
            "defaultVersion": version == default,
            "endOfExtendedSupportDate": f"{extended}T00:00:00Z",
            "endOfStandardSupportDate": f"{standard}T00:00:00Z",
            "kubernetesPatchVersion": f"{version}.4",
            "releaseDate": f"{release}T00:00:00Z",
            "versionStatus": status,
        }
        for version, status, release, standard, extended in released
        if (not wanted or version in wanted) and (args.args.get("includeAll") or status != "UNSUPPORTED")
    ]
    return {"id": ctx.aws_region, "region": ctx.aws_region, "clusterVersions": versions}


# Zone names map to zone IDs per account. In this account us-east-1c is use1-az3, the zone without
# EKS control planes (the program excludes it by ID).
MOCK_ZONE_IDS = {"us-east-1": ["use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az6", "use1-az5"]}


def _availability_zones(args, ctx):
    """aws.getAvailabilityZones with `excludeZoneIds` / `excludeNames` honoured, as EC2 filters them."""
    region = ctx.aws_region
    ids = MOCK_ZONE_IDS.get(region) or [
        f"{region.split('-')[0]}{region.split('-')[1][0]}{region[-1]}-az{i}" for i in range(1, 5)
    ]
    zones = [(f"{region}{letter}", zone_id) for letter, zone_id in zip("abcdef", ids, strict=False)]
    excluded_ids, excluded_names = set(args.args.get("excludeZoneIds") or []), set(args.args.get("excludeNames") or [])
    zones = [(n, i) for n, i in zones if i not in excluded_ids and n not in excluded_names]
    return {
        "id": region,
        "names": [n for n, _ in zones],
        "zoneIds": [i for _, i in zones],
        "groupNames": [region],
        "state": args.args.get("state"),
    }


CALL_RESULTS.update(
    {
        "aws:eks/getClusterVersions:getClusterVersions": _eks_cluster_versions,
        "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
        "aws:index/getCallerIdentity:getCallerIdentity": lambda args, ctx: {
            "id": MOCK_AWS_ACCOUNT,
            "accountId": MOCK_AWS_ACCOUNT,
            "arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:user/recovery",
            "userId": "AIDAMOCKUSER",
        },
        "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
        "aws:eks/getCluster:getCluster": _eks_get_cluster,
        "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": _get_oidc_provider,
        # A declared deployments restore reads its bucket's backups (components/*/backups.py).
        "gcp:storage/getBucketObjects:getBucketObjects": backups.gcs_objects,
        "gcp:storage/getBucketObjectContent:getBucketObjectContent": backups.gcs_object_content,
        "aws:s3/getObjects:getObjects": backups.s3_objects,
        "aws:s3/getObject:getObject": backups.s3_object,
    }
)
