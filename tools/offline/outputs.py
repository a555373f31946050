"""The outputs each resource type really computes (what the mocks answer to RegisterResource),
and the types whose id is one of their outputs."""

from __future__ import annotations

import hashlib
import re
import uuid

from tools.offline.context import (
    MOCK_AWS_ACCOUNT,
    MOCK_CA,
    MOCK_EKS_SECURITY_GROUP,
    MOCK_JWT_CERT,
    MOCK_JWT_KEY,
    MOCK_NLB_HOSTNAME,
    MOCK_PASSWORD,
    MOCK_UUID,
    OutputFn,
    mock_name,
)

MOCK_SQL_IP = "10.99.0.3"


def _sql_private_ip(resource_name: str) -> str:
    """The original instance's address is MOCK_SQL_IP; a restored one (`...-db-<label>`) and a
    standby's replica get their own."""
    if not re.search(r"-(pitr|backup)-[a-z0-9-]+$", resource_name) and "-standby" not in resource_name:
        return MOCK_SQL_IP
    digest = hashlib.sha256(resource_name.encode()).digest()
    return f"10.99.{1 + digest[0] % 250}.{1 + digest[1] % 250}"


def _sql_instance(args, ctx):
    name = mock_name(args)
    return {
        "name": name,
        "connectionName": f"{ctx.gcp_project}:{args.inputs.get('region', ctx.gcp_region)}:{name}",
        "privateIpAddress": _sql_private_ip(args.name),
        "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{ctx.gcp_project}/instances/{name}",
    }


def _gke_cluster(args, ctx):
    return {
        "name": mock_name(args),
        "endpoint": "203.0.113.10",
        "masterAuth": {"clusterCaCertificate": MOCK_CA},
    }


def _self_link(kind: str) -> OutputFn:
    def outputs(args, ctx):
        name = mock_name(args)
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
    return {
        "status": {
            "name": args.inputs.get("name"),
            "namespace": args.inputs.get("namespace"),
            "status": "deployed",
            "revision": 1,
        }
    }


RESOURCE_OUTPUTS: dict[str, OutputFn] = {
    "gcp:sql/databaseInstance:DatabaseInstance": _sql_instance,
    "gcp:container/cluster:Cluster": _gke_cluster,
    "gcp:compute/network:Network": _self_link("global/networks"),
    "gcp:compute/subnetwork:Subnetwork": _self_link("regions/us-central1/subnetworks"),
    "gcp:compute/address:Address": lambda args, ctx: {
        "name": mock_name(args),
        "address": args.inputs.get("address") or "203.0.113.20",
    },
    "gcp:compute/globalAddress:GlobalAddress": lambda args, ctx: {"name": mock_name(args)},
    "gcp:storage/bucket:Bucket": lambda args, ctx: {"name": mock_name(args), "url": f"gs://{mock_name(args)}"},
    "gcp:serviceaccount/account:Account": _service_account,
    "random:index/randomPassword:RandomPassword": _random_password,
    "kubernetes:helm.sh/v3:Release": _helm_release,
    "random:index/randomUuid:RandomUuid": lambda args, ctx: {"result": MOCK_UUID},
    "tls:index/privateKey:PrivateKey": lambda args, ctx: {
        "privateKeyPem": MOCK_JWT_KEY,
        "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----\n",
    },
    "tls:index/selfSignedCert:SelfSignedCert": lambda args, ctx: {"certPem": MOCK_JWT_CERT},
    # Velero's objects as a healthy Velero leaves them (the program waits for these fields).
    "kubernetes:velero.io/v1:BackupStorageLocation": lambda args, ctx: {
        "status": {
            "phase": "Available",
            "lastSyncedTime": "2026-11-25T00:00:00Z",
            "lastValidationTime": "2026-11-25T00:00:00Z",
        }
    },
    "kubernetes:velero.io/v1:Restore": lambda args, ctx: {
        "status": {
            "phase": "Completed",
            "errors": 0,
            "warnings": 0,
            "progress": {"totalItems": 120, "itemsRestored": 120},
        }
    },
}


def mock_oidc_issuer(region: str, cluster: str = "MOCK") -> str:
    return f"https://oidc.eks.{region}.amazonaws.com/id/{cluster.upper().replace('-', '')}0123456789ABCDEF"


def text_digest(text: str) -> str:
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
        "vpcConfig": {
            **(args.inputs.get("vpcConfig") or {}),
            "clusterSecurityGroupId": MOCK_EKS_SECURITY_GROUP,
            "vpcId": "vpc-0mock",
        },
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
        "kmsKeyId": args.inputs.get("kmsKeyId")
        or f"arn:aws:kms:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id('key-of-the-backup')}",
    }


def mock_kms_key_id(name: str) -> str:
    """A KMS key id as KMS makes them, a UUID (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-id),
    stable per resource name; the config checks a key ARN's id by that shape."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kms-key:{name}"))


def _kms_key(args, ctx):
    key_id = mock_kms_key_id(args.name)
    return {
        "keyId": key_id,
        "arn": f"arn:aws:kms:{ctx.region_of(args, ctx.aws_region)}:{MOCK_AWS_ACCOUNT}:key/{key_id}",
    }


def _s3_bucket(args, ctx):
    bucket = _aws_name(args, "bucket")
    return {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "region": args.inputs.get("region") or ctx.region_of(args, ctx.aws_region),
    }


def _aws_provider(args, ctx):
    """An explicit aws.Provider: remembered by id, so what it creates is mocked in its region."""
    if args.inputs.get("region"):
        ctx.provider_regions[args.resource_id or f"{args.name}-id"] = args.inputs["region"]
    return {}


def _iam_role(args, ctx):
    name = _aws_name(args)
    return {
        "name": name,
        "arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:role/{name}",
        "uniqueId": f"AROAMOCK{text_digest(name)[:12].upper()}",
    }


def _oidc_provider(args, ctx):
    url = args.inputs["url"]
    host = url.removeprefix("https://")
    return {"url": url, "arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:oidc-provider/{host}"}


def _sns_topic(args, ctx):
    name = _aws_name(args)
    return {"name": name, "arn": f"arn:aws:sns:{ctx.region_of(args, ctx.aws_region)}:{MOCK_AWS_ACCOUNT}:{name}"}


def _event_rule(args, ctx):
    name = _aws_name(args)
    return {"name": name, "arn": f"arn:aws:events:{ctx.region_of(args, ctx.aws_region)}:{MOCK_AWS_ACCOUNT}:rule/{name}"}


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
        "aws:eks/nodeGroup:NodeGroup": lambda args, ctx: {
            "arn": f"arn:aws:eks:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:nodegroup/{args.name}",
            "status": "ACTIVE",
        },
        "aws:eks/addon:Addon": lambda args, ctx: {
            "arn": f"arn:aws:eks:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:addon/{args.name}"
        },
        # A new template's first version is 1; the node group pins the version it rolls to.
        "aws:ec2/launchTemplate:LaunchTemplate": lambda args, ctx: {
            "arn": f"arn:aws:ec2:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:launch-template/lt-{text_digest(args.name)[:17]}",
            "latestVersion": 1,
        },
        "aws:rds/instance:Instance": _rds_instance,
        "aws:kms/key:Key": _kms_key,
        "aws:s3/bucket:Bucket": _s3_bucket,
        "aws:iam/role:Role": _iam_role,
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
        "aws:ec2/vpc:Vpc": lambda args, ctx: {
            "arn": f"arn:aws:ec2:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:vpc/{args.name}-id"
        },
        "aws:ec2/subnet:Subnet": lambda args, ctx: {
            "arn": f"arn:aws:ec2:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:subnet/{args.name}-id"
        },
        "aws:ec2/securityGroup:SecurityGroup": lambda args, ctx: {
            "arn": f"arn:aws:ec2:{ctx.aws_region}:{MOCK_AWS_ACCOUNT}:security-group/{args.name}-id"
        },
        "aws:ec2/eip:Eip": lambda args, ctx: {"allocationId": f"{args.name}-id", "publicIp": "198.51.100.7"},
        "aws:route53/record:Record": lambda args, ctx: {"fqdn": args.inputs.get("name")},
        "aws:sns/topic:Topic": _sns_topic,
        "aws:cloudwatch/eventRule:EventRule": _event_rule,
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
    # An SNS topic's id is its ARN (terraform-provider-aws internal/service/sns/topic.go: d.SetId(aws.ToString(output.TopicArn))).
    "aws:sns/topic:Topic": "arn",
}
