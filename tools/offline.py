"""An offline engine: runs the real program with a stack's real config, no CLI and no cloud.

It is Pulumi's mock runtime with a monitor that records every RegisterResource request in full
(parent, protect, dependencies, secret inputs), answers with the outputs each resource type
really computes, and behaves like the engine where the plain mocks do not: outputs named in
`additionalSecretOutputs` come back secret. The tests and `tools/plan.py` share it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from tools import stackfile

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.rpc_manager import RPCManager
from pulumi.runtime.stack import run_in_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT_NAME = "astronomer-dr"

# What a mock password looks like: every character that breaks an unencoded URL is in it.
MOCK_PASSWORD = "p@ss:w/rd#50%-Mock"
MOCK_JWT_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMOCK-JWT-SIGNING-KEY\n-----END RSA PRIVATE KEY-----\n"
MOCK_JWT_CERT = "-----BEGIN CERTIFICATE-----\nMOCK-JWT-SIGNING-CERTIFICATE\n-----END CERTIFICATE-----\n"
MOCK_UUID = "6f1c2a3e-0b7d-4c59-9a1e-2d3f4b5c6d7e"
MOCK_CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMOCK CA\n-----END CERTIFICATE-----\n").decode()
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


def _from_engine(value: Any) -> Any:
    """Engine wire values (secret-signature dicts) to plain Python with Secret markers."""
    if rpc.is_rpc_secret(value):
        return Secret(_from_engine(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: _from_engine(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_engine(v) for v in value]
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
    error: Optional[BaseException] = None

    def of_type(self, type_token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: Optional[str] = None) -> Registered:
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


# ---- what each resource type computes ----------------------------------------------------------

OutputFn = Callable[[pulumi_mocks.MockResourceArgs, "Context"], dict]


@dataclass
class Context:
    config: Mapping[str, str]
    # Explicit providers' regions by provider id (e.g. an aws.Provider for a backup replica region).
    provider_regions: dict[str, str] = field(default_factory=dict)
    # Other stacks' outputs by fully qualified name (`org/project/stack`), for StackReference reads.
    stack_outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def region_of(self, args: pulumi_mocks.MockResourceArgs, default: str) -> str:
        """The region a resource is created in: its explicit provider's, else the stack's."""
        provider_id = (args.provider or "").rsplit("::", 1)[-1]
        return self.provider_regions.get(provider_id, default)

    @property
    def gcp_project(self) -> str:
        return self.config.get("gcp:project", "mock-project")

    @property
    def gcp_region(self) -> str:
        return self.config.get("gcp:region", "us-central1")

    @property
    def aws_region(self) -> str:
        return self.config.get("aws:region", "us-east-1")


def _name(args: pulumi_mocks.MockResourceArgs) -> str:
    return args.inputs.get("name") or f"{args.name}-mock1234"


MOCK_SQL_IP = "10.99.0.3"


def _sql_private_ip(resource_name: str) -> str:
    """The original instance's address is MOCK_SQL_IP; a restored one (`...-db-<label>`) and a
    standby's replica get their own."""
    if not re.search(r"-(pitr|backup)-[a-z0-9-]+$", resource_name) and "-standby" not in resource_name:
        return MOCK_SQL_IP
    digest = hashlib.sha256(resource_name.encode()).digest()
    return f"10.99.{1 + digest[0] % 250}.{1 + digest[1] % 250}"


def _sql_instance(args, ctx):
    name = _name(args)
    return {
        "name": name,
        "connectionName": f"{ctx.gcp_project}:{args.inputs.get('region', ctx.gcp_region)}:{name}",
        "privateIpAddress": _sql_private_ip(args.name),
        "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{ctx.gcp_project}/instances/{name}",
    }


def _gke_cluster(args, ctx):
    return {
        "name": _name(args),
        "endpoint": "203.0.113.10",
        "masterAuth": {"clusterCaCertificate": MOCK_CA},
    }


def _self_link(kind: str) -> OutputFn:
    def outputs(args, ctx):
        name = _name(args)
        return {
            "name": name,
            "selfLink": f"https://www.googleapis.com/compute/v1/projects/{ctx.gcp_project}/{kind}/{name}",
        }

    return outputs


def _service_account(args, ctx):
    email = f"{args.inputs['accountId']}@{ctx.gcp_project}.iam.gserviceaccount.com"
    return {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{ctx.gcp_project}/serviceAccounts/{email}",
    }


def _random_password(args, ctx):
    return {"result": MOCK_PASSWORD, "bcryptHash": "$2a$10$mockmockmockmockmockmo"}


def _helm_release(args, ctx):
    return {"status": {"name": args.inputs.get("name"), "namespace": args.inputs.get("namespace"), "status": "deployed", "revision": 1}}


RESOURCE_OUTPUTS: dict[str, OutputFn] = {
    "gcp:sql/databaseInstance:DatabaseInstance": _sql_instance,
    "gcp:container/cluster:Cluster": _gke_cluster,
    "gcp:compute/network:Network": _self_link("global/networks"),
    "gcp:compute/subnetwork:Subnetwork": _self_link("regions/us-central1/subnetworks"),
    "gcp:compute/address:Address": lambda args, ctx: {"name": _name(args), "address": args.inputs.get("address") or "203.0.113.20"},
    "gcp:compute/globalAddress:GlobalAddress": lambda args, ctx: {"name": _name(args)},
    "gcp:storage/bucket:Bucket": lambda args, ctx: {"name": _name(args), "url": f"gs://{_name(args)}"},
    "gcp:serviceaccount/account:Account": _service_account,
    "random:index/randomPassword:RandomPassword": _random_password,
    "kubernetes:helm.sh/v3:Release": _helm_release,
    "random:index/randomUuid:RandomUuid": lambda args, ctx: {"result": MOCK_UUID},
    "tls:index/privateKey:PrivateKey": lambda args, ctx: {"privateKeyPem": MOCK_JWT_KEY, "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----\n"},
    "tls:index/selfSignedCert:SelfSignedCert": lambda args, ctx: {"certPem": MOCK_JWT_CERT},
    # Velero's objects as a healthy Velero leaves them (the program waits for these fields).
    "kubernetes:velero.io/v1:BackupStorageLocation": lambda args, ctx: {
        "status": {"phase": "Available", "lastSyncedTime": "2026-11-25T00:00:00Z", "lastValidationTime": "2026-11-25T00:00:00Z"}
    },
    "kubernetes:velero.io/v1:Restore": lambda args, ctx: {
        "status": {"phase": "Completed", "errors": 0, "warnings": 0, "progress": {"totalItems": 120, "itemsRestored": 120}}
    },
}

CallFn = Callable[[pulumi_mocks.MockCallArgs, "Context"], dict]

# What GKE's GetServerConfig answers in late November 2026, per release channel (newest first).
# Shaped like the API (https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/ServerConfig)
# and the release schedule: 1.33's standard support ended 2026-06-30, so only EXTENDED still has
# it; RAPID has moved past chart 2.1.0's range (1.31-1.35).
GKE_SERVER_CONFIG: dict[str, Any] = {
    "defaultClusterVersion": "1.34.6-gke.1314000",
    "validMasterVersions": [
        "1.37.1-gke.1039000", "1.36.3-gke.1521000", "1.35.4-gke.1297000", "1.35.3-gke.1524000",
        "1.34.6-gke.1314000", "1.34.5-gke.1176000", "1.33.9-gke.1402000", "1.32.11-gke.1188000",
    ],
    "channels": {
        "RAPID": {"defaultVersion": "1.36.3-gke.1521000", "validVersions": ["1.37.1-gke.1039000", "1.36.3-gke.1521000"]},
        "REGULAR": {"defaultVersion": "1.35.3-gke.1524000", "validVersions": ["1.35.4-gke.1297000", "1.35.3-gke.1524000", "1.34.6-gke.1314000"]},
        "STABLE": {"defaultVersion": "1.34.5-gke.1176000", "validVersions": ["1.34.6-gke.1314000", "1.34.5-gke.1176000"]},
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


# ---- AWS ---------------------------------------------------------------------------------------

MOCK_AWS_ACCOUNT = "111122223333"
MOCK_EKS_SECURITY_GROUP = "sg-0e4b5c6d7e8f90123"
MOCK_NLB_HOSTNAME = "a1b2c3d4e5f6-0123456789abcdef.elb.us-east-1.amazonaws.com"


def mock_oidc_issuer(region: str, cluster: str = "MOCK") -> str:
    return f"https://oidc.eks.{region}.amazonaws.com/id/{cluster.upper().replace('-', '')}0123456789ABCDEF"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _aws_name(args, key: str = "name") -> str:
    return args.inputs.get(key) or f"{args.name}-mock1234"


def _eks_cluster(args, ctx):
    name = _aws_name(args)
    return {
        "name": name,
        "arn": f"arn:aws:eks:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:cluster/{name}",
        "endpoint": f"https://{name.upper()}.gr7.{ctx.aws_region}.eks.amazonaws.com",
        "certificateAuthority": {"data": MOCK_CA},
        "identities": [{"oidcs": [{"issuer": mock_oidc_issuer(ctx.aws_region, name)}]}],
        "vpcConfig": {**(args.inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": MOCK_EKS_SECURITY_GROUP, "vpcId": "vpc-0mock"},
    }


def _rds_instance(args, ctx):
    identifier = _aws_name(args, "identifier")
    address = f"{identifier}.c0mockabcdef.{ctx.aws_region}.rds.amazonaws.com"
    return {
        "identifier": identifier,
        "address": address,
        "endpoint": f"{address}:{int(args.inputs.get('port', 5432))}",
        "arn": f"arn:aws:rds:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:db:{identifier}",
        # A restore keeps its backup's key (RDS restores take no KmsKeyId).
        "kmsKeyId": args.inputs.get("kmsKeyId") or f"arn:aws:kms:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:key/mock-key-of-the-backup",
    }


def _kms_key(args, ctx):
    key_id = f"mock-{args.name}"
    return {"keyId": key_id, "arn": f"arn:aws:kms:{ctx.region_of(args, ctx.aws_region)}:{MOCK_AWS_ACCOUNT}:key/{key_id}"}


def _s3_bucket(args, ctx):
    bucket = _aws_name(args, "bucket")
    return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "region": args.inputs.get("region") or ctx.region_of(args, ctx.aws_region)}


def _aws_provider(args, ctx):
    """An explicit aws.Provider: remembered by id, so what it creates is mocked in its region."""
    if args.inputs.get("region"):
        ctx.provider_regions[args.resource_id or f"{args.name}-id"] = args.inputs["region"]
    return {}


def _iam_role(args, ctx):
    name = _aws_name(args)
    return {"name": name, "arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:role/{name}", "uniqueId": f"AROAMOCK{_digest(name)[:12].upper()}"}


def _oidc_provider(args, ctx):
    url = args.inputs["url"]
    host = url.removeprefix("https://")
    return {"url": url, "arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:oidc-provider/{host}"}


def _k8s_service(args, ctx):
    """A read of NGINX's Service: the status the cloud provider writes once the NLB exists."""
    namespace, _, name = (args.resource_id or "default/" + args.name).partition("/")
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"type": "LoadBalancer"},
        "status": {"loadBalancer": {"ingress": [{"hostname": MOCK_NLB_HOSTNAME}]}},
    }


RESOURCE_OUTPUTS.update(
    {
        "aws:eks/cluster:Cluster": _eks_cluster,
        "aws:eks/nodeGroup:NodeGroup": lambda args, ctx: {"arn": f"arn:aws:eks:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:nodegroup/{args.name}", "status": "ACTIVE"},
        "aws:eks/addon:Addon": lambda args, ctx: {"arn": f"arn:aws:eks:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:addon/{args.name}"},
        # A new template's first version is 1; the node group pins the version it rolls to.
        "aws:ec2/launchTemplate:LaunchTemplate": lambda args, ctx: {"arn": f"arn:aws:ec2:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:launch-template/lt-{_digest(args.name)[:17]}", "latestVersion": 1},
        "aws:rds/instance:Instance": _rds_instance,
        "aws:kms/key:Key": _kms_key,
        "aws:s3/bucket:Bucket": _s3_bucket,
        "aws:iam/role:Role": _iam_role,
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
        "aws:ec2/vpc:Vpc": lambda args, ctx: {"arn": f"arn:aws:ec2:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:vpc/{args.name}-id"},
        "aws:ec2/subnet:Subnet": lambda args, ctx: {"arn": f"arn:aws:ec2:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:subnet/{args.name}-id"},
        "aws:ec2/securityGroup:SecurityGroup": lambda args, ctx: {"arn": f"arn:aws:ec2:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:security-group/{args.name}-id"},
        "aws:ec2/eip:Eip": lambda args, ctx: {"allocationId": f"{args.name}-id", "publicIp": "198.51.100.7"},
        "aws:route53/record:Record": lambda args, ctx: {"fqdn": args.inputs.get("name")},
        "kubernetes:core/v1:Service": _k8s_service,
        "pulumi:providers:aws": _aws_provider,
    }
)
# Resource types whose id is one of their outputs (the mocks otherwise answer "<name>-id").
RESOURCE_IDS: dict[str, str] = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:iam/role:Role": "name",
    "aws:rds/instance:Instance": "identifier",
    "aws:eks/cluster:Cluster": "name",
    "aws:kms/key:Key": "keyId",
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
        for key, field_name in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"), ("notResources", "NotResource")):
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
        "id": _digest(json.dumps(document, sort_keys=True)),
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


# What EKS's DescribeClusterVersions answers in late November 2026: standard support lasts 14
# months from a version's EKS release, extended support 12 more
# (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html). 1.33 (EKS release
# 2025-05-29) left standard support on 2026-07-29.
EKS_CLUSTER_VERSIONS = [
    # version, status, EKS release, end of standard support, end of extended support
    ("1.36", "STANDARD_SUPPORT", "2026-06-10", "2027-08-10", "2028-08-10"),
    ("1.35", "STANDARD_SUPPORT", "2026-01-27", "2027-03-27", "2028-03-27"),
    ("1.34", "STANDARD_SUPPORT", "2025-10-02", "2026-12-02", "2027-12-02"),
    ("1.33", "EXTENDED_SUPPORT", "2025-05-29", "2026-07-29", "2027-07-29"),
    ("1.32", "EXTENDED_SUPPORT", "2025-01-23", "2026-03-23", "2027-03-23"),
    ("1.31", "EXTENDED_SUPPORT", "2024-09-26", "2025-11-26", "2026-11-26"),
    ("1.30", "UNSUPPORTED", "2024-05-23", "2025-07-23", "2026-07-23"),
]


def _eks_cluster_versions(args, ctx):
    """aws.eks.getClusterVersions: every version with its status (include_all), newest first."""
    wanted = set(args.args.get("clusterVersionsOnlies") or [])
    versions = [
        {
            "clusterType": "eks",
            "clusterVersion": version,
            "controlPlaneComponentConfigs": [],
            "controlPlaneScalingTiers": [],
            "defaultPlatformVersion": "eks.1",
            "defaultVersion": version == "1.34",
            "endOfExtendedSupportDate": f"{extended}T00:00:00Z",
            "endOfStandardSupportDate": f"{standard}T00:00:00Z",
            "kubernetesPatchVersion": f"{version}.4",
            "releaseDate": f"{released}T00:00:00Z",
            "versionStatus": status,
        }
        for version, status, released, standard, extended in EKS_CLUSTER_VERSIONS
        if (not wanted or version in wanted) and (args.args.get("includeAll") or status != "UNSUPPORTED")
    ]
    return {"id": ctx.aws_region, "region": ctx.aws_region, "clusterVersions": versions}


# Zone names map to zone IDs per account. In this account us-east-1c is use1-az3, the zone without
# EKS control planes (the program excludes it by ID).
MOCK_ZONE_IDS = {"us-east-1": ["use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az6", "use1-az5"]}


def _availability_zones(args, ctx):
    """aws.getAvailabilityZones with `excludeZoneIds` / `excludeNames` honoured, as EC2 filters them."""
    region = ctx.aws_region
    ids = MOCK_ZONE_IDS.get(region) or [f"{region.split('-')[0]}{region.split('-')[1][0]}{region[-1]}-az{i}" for i in range(1, 5)]
    zones = [(f"{region}{letter}", zone_id) for letter, zone_id in zip("abcdef", ids)]
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
    }
)


STACK_REFERENCE = "pulumi:pulumi:StackReference"


def stack_reference_state(name: str, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """What the engine answers for a StackReference read (its builtin provider's Read): the
    referenced stack's `name`, its `outputs` with secret ones still secret, and `secretOutputNames`,
    the names of the outputs that hold a secret (the SDK's pulumi/stack_reference.py reads these
    three properties; `secretOutputNames` is translated to `secret_output_names`)."""

    def wire(value: Any) -> Any:
        if isinstance(value, Secret):
            return rpc.wrap_rpc_secret(wire(value.value))
        if isinstance(value, dict):
            return {k: wire(v) for k, v in value.items()}
        if isinstance(value, list):
            return [wire(v) for v in value]
        return value

    def has_secret(value: Any) -> bool:
        if isinstance(value, Secret):
            return True
        if isinstance(value, dict):
            return any(has_secret(v) for v in value.values())
        if isinstance(value, list):
            return any(has_secret(v) for v in value)
        return False

    return {
        "name": name,
        "outputs": {k: wire(v) for k, v in outputs.items()},
        "secretOutputNames": sorted(k for k, v in outputs.items() if has_secret(v)),
    }


class _Mocks(pulumi_mocks.Mocks):
    def __init__(self, ctx: Context, evaluation: Evaluation):
        self.ctx = ctx
        self.evaluation = evaluation

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        if args.typ == STACK_REFERENCE:
            # Like the engine: a reference to a stack that does not exist fails the read.
            name = args.resource_id or args.inputs.get("name")
            if name not in self.ctx.stack_outputs:
                raise Exception(f"unknown stack {name!r}: the offline engine was given {sorted(self.ctx.stack_outputs)}")
            return name, stack_reference_state(name, self.ctx.stack_outputs[name])
        outputs = dict(args.inputs)
        compute = RESOURCE_OUTPUTS.get(args.typ)
        if compute is not None:
            outputs.update(compute(args, self.ctx))
        elif "name" not in outputs and args.custom:
            outputs["name"] = _name(args)
        if args.typ in RESOURCE_IDS:
            return str(outputs[RESOURCE_IDS[args.typ]]), outputs
        # A read (`Resource.get`) answers with the id it was asked for.
        return args.resource_id or f"{args.name}-id", outputs

    def call(self, args: pulumi_mocks.MockCallArgs):
        self.evaluation.invokes.append((args.token, dict(args.args)))
        compute = CALL_RESULTS.get(args.token)
        if compute is None:
            raise NotImplementedError(f"the offline engine has no result for invoke {args.token}")
        return compute(args, self.ctx)


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: _Mocks, evaluation: Evaluation):
        super().__init__(mocks)
        self.evaluation = evaluation
        self.stack_urn = ""

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        inputs = rpc.deserialize_properties(request.object)
        self.evaluation.resources.append(
            Registered(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                custom=bool(request.custom),
                protect=bool(request.protect),
                inputs=_from_engine(inputs),
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                provider=request.provider,
                additional_secret_outputs=list(request.additionalSecretOutputs),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
            )
        )
        if not request.additionalSecretOutputs:
            return response
        # The engine, not the SDK, makes these outputs secret; the plain mocks forget to.
        outputs = rpc.deserialize_properties(response.object)
        for key in request.additionalSecretOutputs:
            if key in outputs:
                outputs[key] = rpc.wrap_rpc_secret(outputs[key])
        response.object.CopyFrom(pulumi_mocks._sync_await(rpc.serialize_properties(outputs, {})))
        return response

    def ReadResource(self, request):
        response = super().ReadResource(request)
        self.evaluation.reads.append(
            Registered(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                custom=True,
                protect=False,
                inputs={"id": request.id},
                dependencies=list(request.dependencies),
                property_dependencies={},
                provider=request.provider,
                additional_secret_outputs=list(request.additionalSecretOutputs),
                retain_on_delete=False,
                ignore_changes=[],
                delete_before_replace=False,
            )
        )
        return response

    def RegisterResourceOutputs(self, request):
        if request.urn == self.stack_urn:
            self.evaluation.outputs = _from_engine(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)


# ---- stack config ------------------------------------------------------------------------------


def _config_string(value: Any) -> str:
    """How the CLI hands a stack-file value to the program: scalars as text, the rest as JSON."""
    return stackfile.config_string(value)


def stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[dict[str, str], list[str]]:
    """The config of Pulumi.<stack>.yaml read as the CLI reads it (tools/stackfile.py); `secure:`
    values become placeholders marked secret. Raises stackfile.StackFileError with a clear message."""
    document = stackfile.load(project_dir / f"Pulumi.{stack}.yaml")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in document.items():
        if stackfile.is_secure(value):
            config[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
        else:
            config[key] = _config_string(value)
    return config, secret_keys


def _local_primary_outputs(config: Mapping[str, str], secrets: Optional[Mapping[str, str]], project_dir: Path) -> dict[str, Any]:
    """A standby's primary, when its stack file is in this project: evaluated first, its outputs
    are what the standby's StackReference reads (as `pulumi up` would find them in the backend)."""
    try:
        reference = json.loads(config.get(f"{PROJECT_NAME}:standby", "null") or "null")["primaryStack"]
        primary = reference.rsplit("/", 1)[-1]
    except (TypeError, KeyError, ValueError, AttributeError):
        return {}
    if not (project_dir / f"Pulumi.{primary}.yaml").exists():
        return {}
    evaluation = evaluate(primary, secrets=secrets, project_dir=project_dir, stack_outputs={})
    return {} if evaluation.error is not None else {reference: evaluation.outputs}


def evaluate(
    stack: str,
    *,
    config: Optional[Mapping[str, str]] = None,
    secrets: Optional[Mapping[str, str]] = None,
    overrides: Optional[Mapping[str, Any]] = None,
    project_dir: Path = PROJECT_DIR,
    stack_outputs: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> Evaluation:
    """Runs `__main__.py` of `project_dir` for `stack` and records what it registers.

    config: replaces the stack file's config entirely. overrides: stack-file keys to set
    (objects are JSON-encoded) or, with value None, remove. secrets: secret config to add.
    stack_outputs: other stacks' outputs by `org/project/stack` (e.g. a primary's
    `Evaluation.outputs`, `Secret` markers kept), answered to StackReference reads as the engine does.
    An exception from the program is returned in `Evaluation.error`, not raised.
    """
    if config is None:
        base, secret_keys = stack_config(stack, project_dir)
    else:
        base, secret_keys = dict(config), []
    for key, value in (overrides or {}).items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = _config_string(value)
    for key, value in (secrets or {}).items():
        base[key] = value
        secret_keys.append(key)

    if stack_outputs is None:
        stack_outputs = _local_primary_outputs(base, secrets, project_dir)
    evaluation = Evaluation(stack=stack)
    ctx = Context(config=base, stack_outputs=dict(stack_outputs))
    mocks = _Mocks(ctx, evaluation)
    monitor = _RecordingMonitor(mocks, evaluation)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.ROOT.set(None)
    pulumi_mocks.set_mocks(mocks, project=PROJECT_NAME, stack=stack, preview=False, monitor=monitor)
    # set_mocks made a root Stack of its own; run_in_stack makes the one the program runs under.
    runtime_settings.ROOT.set(None)
    # A previous run that failed mid-way (a refusal inside an apply) leaves its loop's tasks in the
    # ambient settings; this run must not wait on them.
    with runtime_settings.SETTINGS.lock:
        runtime_settings.SETTINGS.outputs.clear()
    runtime_settings.SETTINGS.rpc_manager = RPCManager()
    set_all_config(base, secret_keys)

    main = project_dir / "__main__.py"
    project_path = str(project_dir)
    added_path = project_path not in sys.path
    if added_path:
        sys.path.insert(0, project_path)
    cwd = os.getcwd()
    os.chdir(project_dir)
    try:
        loop.run_until_complete(run_in_stack(lambda: runpy.run_path(str(main), run_name="__main__")))
    except Exception as exc:  # the program's own error is the result under test
        evaluation.error = exc
    finally:
        os.chdir(cwd)
        if added_path:
            sys.path.remove(project_path)
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)
    return evaluation
