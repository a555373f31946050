"""The AWS stack as committed: every DR property asserted on what the program registers."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import pytest

from components.dns import FAILOVER_DNS_TTL_SECONDS
from components.schema import ConfigError
from tests.conftest import TEST_PRIVATE_KEY, bootstrap_connection_url, evaluate_stack, secret_leaks
from tools.offline import MOCK_AWS_ACCOUNT, MOCK_EKS_SECURITY_GROUP, MOCK_NLB_HOSTNAME, MOCK_PASSWORD, Secret
from tools.offline.outputs import mock_kms_key_id

RDS = "aws:rds/instance:Instance"
KMS = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"
SUBNET = "aws:ec2/subnet:Subnet"
RELEASE = "kubernetes:helm.sh/v3:Release"
EKS = "aws:eks/cluster:Cluster"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
REGION = "us-east-1"
BUCKET_NAME = f"astro-aws-registry-{MOCK_AWS_ACCOUNT}-{REGION}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET_NAME}"


def key_arn(evaluation, name: str) -> str:
    evaluation.one(KMS, name)  # registered
    return f"arn:aws:kms:{REGION}:{MOCK_AWS_ACCOUNT}:key/{mock_kms_key_id(name)}"


def issuer_host(evaluation) -> str:
    return evaluation.one(OIDC).input("url").removeprefix("https://")


def as_list(value) -> list:
    """IAM JSON writes a one-element list as its element."""
    return value if isinstance(value, list) else [value]


def document(resource, key: str) -> dict:
    return json.loads(resource.input(key))


def depends_on(resource, other) -> bool:
    return other.urn in resource.dependencies


# ---- RDS ---------------------------------------------------------------------------------------


def test_database_is_postgres_multi_az_encrypted_with_its_own_key_and_private(aws):
    db = aws.one(RDS)
    assert db.input("engine") == "postgres"
    assert db.input("engineVersion") == "16"
    assert db.input("autoMinorVersionUpgrade") is True  # a major version takes minor upgrades without drift
    assert db.input("instanceClass") == "db.m6i.large"
    assert db.input("multiAz") is True
    assert db.input("storageEncrypted") is True
    assert db.input("kmsKeyId") == key_arn(aws, "astro-aws-db-key")
    assert aws.one(KMS, "astro-aws-db-key").urn in db.property_dependencies["kmsKeyId"]
    assert db.input("publiclyAccessible") is False
    assert (db.input("allocatedStorage"), db.input("maxAllocatedStorage"), db.input("storageType")) == (100, 500, "gp3")


def test_database_backups_run_daily_in_the_configured_window_and_keep_a_week(aws):
    db = aws.one(RDS)
    assert db.input("backupRetentionPeriod") == 7
    assert db.input("backupWindow") == "03:00-03:30"
    # Weekly maintenance after the backup window closes, never over it.
    assert db.input("maintenanceWindow") == "sun:04:30-sun:05:30"


def test_database_backups_and_a_final_snapshot_outlive_the_instance(aws):
    db = aws.one(RDS)
    assert db.input("deleteAutomatedBackups") is False
    assert db.input("skipFinalSnapshot") is False
    # Stable: derived from the instance identifier, never a timestamp.
    assert db.input("identifier") == "astro-aws-db"
    assert db.input("finalSnapshotIdentifier") == "astro-aws-db-final"
    assert db.input("copyTagsToSnapshot") is True


def test_database_and_its_key_are_protected_at_the_api_and_in_pulumi(aws):
    db = aws.one(RDS)
    assert db.input("deletionProtection") is True
    assert db.protect is True
    key = aws.one(KMS, "astro-aws-db-key")
    assert key.protect is True
    assert key.input("enableKeyRotation") is True
    assert key.input("deletionWindowInDays") == 30


def test_database_requires_tls(aws):
    group = aws.one("aws:rds/parameterGroup:ParameterGroup")
    assert group.input("family") == "postgres16"
    assert {p["name"]: p["value"] for p in group.input("parameters")} == {"rds.force_ssl": "1"}
    assert aws.one(RDS).input("parameterGroupName") == group.input("name") == "astro-aws-db-postgres16"


def test_database_lives_in_the_private_subnets(aws):
    private = [f"astro-aws-private-{i}-id" for i in range(3)]
    group = aws.one("aws:rds/subnetGroup:SubnetGroup")
    assert group.input("subnetIds") == private
    assert aws.one(RDS).input("dbSubnetGroupName") == group.input("name")


def test_database_admits_postgres_from_the_cluster_security_group_only(aws):
    group = aws.one("aws:ec2/securityGroup:SecurityGroup")
    assert group.input("vpcId") == "astro-aws-vpc-id"
    assert not group.input("ingress") and not group.input("egress")
    assert aws.one(RDS).input("vpcSecurityGroupIds") == ["astro-aws-db-id"]
    [rule] = [r for r in aws.of_type(INGRESS_RULE) if r.input("securityGroupId") == "astro-aws-db-id"]
    assert rule.input("referencedSecurityGroupId") == MOCK_EKS_SECURITY_GROUP
    assert aws.one(EKS).urn in rule.property_dependencies["referencedSecurityGroupId"]
    assert (rule.input("ipProtocol"), rule.input("fromPort"), rule.input("toPort")) == ("tcp", 5432, 5432)
    for open_source in ("cidrIpv4", "cidrIpv6", "prefixListId"):
        assert rule.input(open_source) is None
    assert aws.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []


def test_database_master_password_is_generated_and_secret(aws):
    db = aws.one(RDS)
    assert isinstance(db.inputs["password"], Secret)
    assert db.input("password") == MOCK_PASSWORD
    assert db.input("username") == "astronomer"
    assert db.input("manageMasterUserPassword") is None  # never together with `password`
    password = aws.one("random:index/randomPassword:RandomPassword", "astro-aws-db-password")
    assert password.input("special") is True and password.input("length") >= 32
    # Characters RDS refuses in a master password.
    assert not set(password.input("overrideSpecial")) & set("/@\"' ")


# ---- network -----------------------------------------------------------------------------------


def test_network_spans_three_zones_with_private_and_public_subnets(aws):
    assert (
        "aws:index/getAvailabilityZones:getAvailabilityZones",
        {
            "state": "available",
            "excludeZoneIds": ["use1-az3", "usw1-az2", "cac1-az3"],
            "filters": [{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
        },
    ) in aws.invokes
    vpc = aws.one("aws:ec2/vpc:Vpc")
    assert vpc.input("cidrBlock") == "10.40.0.0/16"
    assert vpc.input("enableDnsHostnames") is True and vpc.input("enableDnsSupport") is True
    subnets = {s.name: s for s in aws.of_type(SUBNET)}
    # us-east-1c is use1-az3 in the offline account: no EKS there (tests/test_provider_facts.py).
    for i, zone in enumerate(("us-east-1a", "us-east-1b", "us-east-1d")):
        private, public = subnets[f"astro-aws-private-{i}"], subnets[f"astro-aws-public-{i}"]
        assert private.input("availabilityZone") == public.input("availabilityZone") == zone
        assert private.input("cidrBlock") == f"10.40.{64 * i}.0/18"
        assert public.input("cidrBlock") == f"10.40.{192 + 16 * i}.0/20"
        assert public.input("mapPublicIpOnLaunch") is False


def test_subnets_carry_the_tags_eks_load_balancers_select_by(aws):
    for subnet in aws.of_type(SUBNET):
        tags = subnet.input("tags")
        assert tags["kubernetes.io/cluster/astro-aws"] == "shared"
        if subnet.name.startswith("astro-aws-public-"):
            assert tags["kubernetes.io/role/elb"] == "1" and "kubernetes.io/role/internal-elb" not in tags
        else:
            assert tags["kubernetes.io/role/internal-elb"] == "1" and "kubernetes.io/role/elb" not in tags


def test_each_zone_leaves_through_its_own_nat(aws):
    nats = {n.name: n for n in aws.of_type("aws:ec2/natGateway:NatGateway")}
    assert len(nats) == 3
    for i in range(3):
        assert nats[f"astro-aws-nat-{i}"].input("subnetId") == f"astro-aws-public-{i}-id"
        routes = aws.one("aws:ec2/routeTable:RouteTable", f"astro-aws-private-{i}").input("routes")
        assert routes == [{"cidrBlock": "0.0.0.0/0", "natGatewayId": f"astro-aws-nat-{i}-id"}]


def test_single_nat_gateway_when_configured():
    evaluation = evaluate_stack(
        "aws", **{"astronomer-dr:network": {"vpcCidr": "10.40.0.0/16", "singleNatGateway": True}}
    )
    assert evaluation.error is None, evaluation.error
    [nat] = evaluation.of_type("aws:ec2/natGateway:NatGateway")
    for i in range(3):
        routes = evaluation.one("aws:ec2/routeTable:RouteTable", f"astro-aws-private-{i}").input("routes")
        assert routes == [{"cidrBlock": "0.0.0.0/0", "natGatewayId": f"{nat.name}-id"}]


# ---- EKS ---------------------------------------------------------------------------------------


def test_cluster_version_endpoints_and_secrets_encryption(aws):
    cluster = aws.one(EKS)
    assert cluster.input("name") == "astro-aws"
    assert cluster.input("version") == "1.35"
    assert cluster.input("vpcConfig") == {
        "subnetIds": [f"astro-aws-private-{i}-id" for i in range(3)],
        "endpointPrivateAccess": True,
        "endpointPublicAccess": True,
    }
    assert cluster.input("encryptionConfig") == {
        "resources": ["secrets"],
        "provider": {"keyArn": key_arn(aws, "astro-aws-secrets")},
    }
    assert aws.one(KMS, "astro-aws-secrets").input("enableKeyRotation") is True
    assert cluster.input("accessConfig.authenticationMode") == "API"
    assert cluster.input("deletionProtection") is True
    trust = document(aws.one(ROLE, "astro-aws-cluster"), "assumeRolePolicy")
    assert trust["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}


def test_oidc_provider_is_the_clusters_issuer_for_sts(aws):
    provider = aws.one(OIDC)
    assert re.fullmatch(r"https://oidc\.eks\.us-east-1\.amazonaws\.com/id/\w+", provider.input("url"))
    assert aws.one(EKS).urn in provider.property_dependencies["url"]
    assert provider.input("clientIdLists") == ["sts.amazonaws.com"]
    # IAM checks the EKS issuer against its trusted CAs; no pinned thumbprint to go stale.
    assert provider.input("thumbprintLists") is None


def test_node_group_runs_in_the_private_subnets_after_nat(aws):
    nodes = aws.one("aws:eks/nodeGroup:NodeGroup")
    assert nodes.input("subnetIds") == [f"astro-aws-private-{i}-id" for i in range(3)]
    assert nodes.input("scalingConfig") == {"minSize": 3, "maxSize": 6, "desiredSize": 3}
    assert nodes.input("instanceTypes") == ["m6i.2xlarge"]
    # The disk is in the launch template (tests/test_nodes.py): EKS refuses both.
    assert nodes.input("diskSize") is None
    assert nodes.input("amiType") == "AL2023_x86_64_STANDARD"
    for nat in aws.of_type("aws:ec2/natGateway:NatGateway"):
        assert depends_on(nodes, nat)
    policies = {
        a.input("policyArn")
        for a in aws.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.input("role") == "astro-aws-nodes"
    }
    assert policies == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    }


def test_volumes_have_a_driver_and_a_default_storage_class(aws):
    addon = aws.one("aws:eks/addon:Addon", "astro-aws-ebs-csi")
    assert addon.input("addonName") == "aws-ebs-csi-driver"
    assert addon.input("serviceAccountRoleArn") == f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:role/astro-aws-ebs-csi"
    assert depends_on(addon, aws.one("aws:eks/nodeGroup:NodeGroup"))
    trust = document(aws.one(ROLE, "astro-aws-ebs-csi"), "assumeRolePolicy")
    assert (
        trust["Statement"][0]["Condition"]["StringEquals"][f"{issuer_host(aws)}:sub"]
        == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    )
    storage = aws.one("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage.input("metadata.annotations") == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage.input("provisioner") == "ebs.csi.aws.com"
    assert storage.input("parameters") == {"type": "gp3", "encrypted": "true"}
    assert depends_on(storage, addon)


def test_kubernetes_provider_uses_the_clusters_outputs_and_no_static_credential(aws):
    provider = aws.one("pulumi:providers:kubernetes")
    assert isinstance(provider.inputs["kubeconfig"], Secret)
    config = json.loads(provider.input("kubeconfig"))
    [cluster] = config["clusters"]
    assert cluster["cluster"]["server"] == "https://ASTRO-AWS.gr7.us-east-1.eks.amazonaws.com"
    assert cluster["cluster"]["certificate-authority-data"]
    [user] = config["users"]
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "astro-aws",
        "--region",
        REGION,
        "--output",
        "json",
    ]
    assert set(user["user"]) == {"exec"}  # no token, no client key
    for r in aws.resources + aws.reads:
        if r.type.startswith("kubernetes:"):
            assert r.provider.startswith(provider.urn), r.name


def test_existing_cluster_builds_only_the_platform_and_data_on_it():
    evaluation = evaluate_stack("aws", **{"astronomer-dr:cluster": {"existing": {"name": "shared-eks"}}})
    assert evaluation.error is None, evaluation.error
    types = {r.type for r in evaluation.resources}
    assert not {
        t
        for t in types
        if t.startswith(
            (
                "aws:ec2/vpc",
                "aws:ec2/subnet",
                "aws:ec2/nat",
                "aws:eks/",
                "aws:iam/openIdConnectProvider",
                "kubernetes:storage",
            )
        )
    }
    # Its nodes and their scaling are managed where the cluster is: no cluster-autoscaler of ours.
    assert not evaluation.of_type("astronomer-dr:aws/autoscaler:ClusterAutoscaler")
    assert ("aws:eks/getCluster:getCluster", {"name": "shared-eks"}) in evaluation.invokes
    [(_, lookup)] = [
        i for i in evaluation.invokes if i[0] == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"
    ]
    host = lookup["url"].removeprefix("https://")
    assert evaluation.one("aws:ec2/securityGroup:SecurityGroup").input("vpcId") == "vpc-0existing00000001"
    assert evaluation.one(INGRESS_RULE).input("referencedSecurityGroupId") == "sg-0existing00000001"
    assert len(evaluation.one("aws:rds/subnetGroup:SubnetGroup").input("subnetIds")) == 3
    trust = document(evaluation.one(ROLE, "astro-aws-registry-irsa"), "assumeRolePolicy")
    assert trust["Statement"][0]["Principal"] == {"Federated": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:oidc-provider/{host}"}
    kubeconfig = json.loads(evaluation.one("pulumi:providers:kubernetes").input("kubeconfig"))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://SHARED-EKS.yl4.us-east-1.eks.amazonaws.com"
    assert "shared-eks" in kubeconfig["users"][0]["user"]["exec"]["args"]
    assert evaluation.one(RELEASE, "astronomer-release").input("name") == "astronomer"


# ---- registry storage --------------------------------------------------------------------------


def test_registry_bucket_is_protected_and_named_from_the_stack(aws):
    bucket = aws.one(BUCKET, "astro-aws-registry")
    assert bucket.protect is True
    assert bucket.input("bucket") == BUCKET_NAME
    assert bucket.input("forceDestroy") is False
    assert ("aws:index/getCallerIdentity:getCallerIdentity", {}) in aws.invokes


def test_every_bucket_setting_is_linked_to_the_bucket(aws):
    bucket = aws.one(BUCKET, "astro-aws-registry")
    settings: dict[str, dict[str, Any]] = {
        "aws:s3/bucketVersioning:BucketVersioning": {"versioningConfiguration": {"status": "Enabled"}},
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "aws:kms",
                        "kmsMasterKeyId": key_arn(aws, "astro-aws-registry-key"),
                    },
                    "bucketKeyEnabled": True,
                }
            ],
        },
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
            "rules": [
                {
                    "id": "noncurrent-versions",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrentVersionExpiration": {"noncurrentDays": 30},
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
                }
            ],
        },
    }
    for type_token, expected in settings.items():
        resource = aws.one(type_token, "astro-aws-registry")
        assert resource.input("bucket") == BUCKET_NAME, type_token
        assert resource.property_dependencies["bucket"] == [bucket.urn], type_token
        for key, value in expected.items():
            assert resource.input(key) == value, (type_token, key)
    assert aws.one("aws:s3/bucketVersioning:BucketVersioning", "astro-aws-registry").protect is True
    assert aws.one(KMS, "astro-aws-registry-key").protect is True


def test_registry_role_trusts_only_the_charts_service_account(aws):
    role = aws.one(ROLE, "astro-aws-registry-irsa")
    [statement] = document(role, "assumeRolePolicy")["Statement"]
    host = issuer_host(aws)
    assert statement["Effect"] == "Allow"
    assert as_list(statement["Action"]) == ["sts:AssumeRoleWithWebIdentity"]
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:oidc-provider/{host}"}
    assert aws.one(OIDC).urn in role.property_dependencies["assumeRolePolicy"]
    assert statement["Condition"] == {
        "StringEquals": {
            f"{host}:sub": "system:serviceaccount:astronomer:astronomer-registry",
            f"{host}:aud": "sts.amazonaws.com",
        }
    }


def test_registry_policy_is_scoped_to_the_bucket_and_its_key(aws):
    policy = aws.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-registry-irsa")
    assert policy.input("role") == "astro-aws-registry"
    statements = document(policy, "policy")["Statement"]
    granted: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "Condition" not in statement and "NotAction" not in statement and "NotResource" not in statement
        for resource in as_list(statement["Resource"]):
            granted.setdefault(resource, set()).update(as_list(statement["Action"]))
    assert granted == {
        BUCKET_ARN: {"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"},
        f"{BUCKET_ARN}/*": {
            "s3:PutObject",
            "s3:GetObject",
            "s3:DeleteObject",
            "s3:ListMultipartUploadParts",
            "s3:AbortMultipartUpload",
        },
        key_arn(aws, "astro-aws-registry-key"): {"kms:Decrypt", "kms:GenerateDataKey"},
    }
    assert not [
        r
        for r in aws.resources
        if r.type in ("aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy", "aws:iam/accessKey:AccessKey")
    ]


# ---- the platform on AWS -----------------------------------------------------------------------


def test_release_values_wire_the_aws_foundation(aws):
    values = aws.one(RELEASE, "astronomer-release").input("values")
    registry = values["astronomer"]["registry"]
    assert registry["s3"] == {
        "enabled": True,
        "bucket": BUCKET_NAME,
        "region": REGION,
        "encrypt": True,
        "keyid": key_arn(aws, "astro-aws-registry-key"),
    }
    assert "gcs" not in registry
    assert registry["serviceAccount"] == {
        "create": True,
        "name": "astronomer-registry",
        "annotations": {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:role/astro-aws-registry"},
    }
    nginx = values["nginx"]
    assert nginx["ingressAnnotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    }
    assert nginx["privateLoadBalancer"] is False
    assert "loadBalancerIP" not in nginx
    assert values["global"]["postgresql"] == {"enabled": False}


def test_private_load_balancer_is_an_internal_nlb():
    platform = {"baseDomain": "astro.acme.example.com", "privateLoadBalancer": True}
    evaluation = evaluate_stack("aws", **{"astronomer-dr:platform": platform})
    assert evaluation.error is None, evaluation.error
    nginx = evaluation.one(RELEASE, "astronomer-release").input("values.nginx")
    assert nginx["privateLoadBalancer"] is True  # the chart's own internal-LB annotation
    assert nginx["ingressAnnotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"


def test_release_waits_for_nodes_volumes_and_registry_permissions(aws):
    release = aws.one(RELEASE, "astronomer-release")
    for dependency in (
        aws.one("aws:eks/nodeGroup:NodeGroup"),
        aws.one("aws:eks/addon:Addon", "astro-aws-ebs-csi"),
        aws.one("kubernetes:storage.k8s.io/v1:StorageClass"),
        aws.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-registry-irsa"),
    ):
        assert depends_on(release, dependency), dependency.name


def test_bootstrap_secret_decodes_to_the_generated_password_and_the_rds_address(aws):
    url = bootstrap_connection_url(aws)
    assert url.scheme == "postgres"
    assert unquote(url.username) == "astronomer"
    assert unquote(url.password) == MOCK_PASSWORD
    assert (url.hostname, url.port, url.path) == (f"astro-aws-db.c0mockabcdef.{REGION}.rds.amazonaws.com", 5432, "")


@pytest.mark.parametrize(
    "needle", [MOCK_PASSWORD, TEST_PRIVATE_KEY.splitlines()[1]], ids=["mock-password", "tls-private-key"]
)
def test_no_secret_in_plaintext_anywhere(aws, needle):
    assert secret_leaks(aws, needle) == []


def test_nginx_service_is_read_after_the_release_and_no_dns_by_default(aws):
    [service] = aws.reads
    assert service.type == "kubernetes:core/v1:Service"
    assert service.inputs["id"] == "astronomer/astronomer-cp-nginx"  # chart 2.1.0 nginx-cp-service.yaml:8
    # After the ready Job (which follows the release and waits for NGINX's load balancer).
    ready = aws.one("kubernetes:batch/v1:Job", "astronomer-ready")
    assert ready.urn in service.dependencies and aws.one(RELEASE, "astronomer-release").urn in ready.dependencies
    assert aws.of_type("aws:route53/record:Record") == []
    assert aws.outputs["load_balancer_hostname"] == MOCK_NLB_HOSTNAME


def test_wildcard_record_points_at_the_load_balancer_when_a_zone_is_configured():
    """A CNAME with components/dns.py's TTL (60 s), not an alias record (which has no TTL of its own:
    the provider's `ttl` ConflictsWith `alias`). Lowering it is an update, not a replacement: `ttl`
    is not ForceNew and resourceRecordUpdate UPSERTs a record whose type and set_identifier are
    unchanged (hashicorp/terraform-provider-aws 00655c16, internal/service/route53/record.go, the
    `ttl` schema and resourceRecordUpdate)."""
    evaluation = evaluate_stack("aws", **{"astronomer-dr:dns": {"hostedZoneId": "Z0123456789ABCDEFGHIJ"}})
    assert evaluation.error is None, evaluation.error
    record = evaluation.one("aws:route53/record:Record")
    assert record.input("zoneId") == "Z0123456789ABCDEFGHIJ"
    assert record.input("name") == "*.astro.acme.example.com"
    assert (record.input("type"), record.input("records")) == ("CNAME", [MOCK_NLB_HOSTNAME])
    # The zone still holds the lost load balancer's record after a disaster.
    assert record.input("allowOverwrite") is True
    assert "aliases" not in record.inputs and record.input("ttl") == FAILOVER_DNS_TTL_SECONDS == 60


def test_outputs(aws):
    outputs = aws.outputs
    assert outputs["platform_url"] == "https://app.astro.acme.example.com"
    assert outputs["cluster_name"] == "astro-aws"
    assert outputs["database_instance"] == "astro-aws-db"
    assert outputs["registry_bucket"] == BUCKET_NAME
    assert isinstance(outputs["kubeconfig"], Secret)


def test_physical_names_come_from_the_stack_name(aws):
    named = (
        "aws:iam/role:",
        "aws:ec2/securityGroup:",
        "aws:rds/subnetGroup:",
        "aws:rds/parameterGroup:",
        "aws:eks/cluster:",
    )
    names = {r.input("name") for r in aws.resources if r.type.startswith(named)}
    assert names == {
        "astro-aws-cluster",
        "astro-aws-nodes",
        "astro-aws-ebs-csi",
        "astro-aws-autoscaler",
        "astro-aws-registry",
        # S3's replication role, for the shipped registry.replicaRegion.
        "astro-aws-registry-replication",
        "astro-aws-backups",
        "astro-aws-alerts-alertmanager",
        "astro-aws-db",
        "astro-aws-db-postgres16",
        "astro-aws",
    }
    aliases = {r.input("name") for r in aws.of_type("aws:kms/alias:Alias")}
    # alias/astro-aws-db-backups is the key of the replicated backups, in the backup replica region;
    # alias/astro-aws-registry-replica the registry replica's, in registry.replicaRegion.
    assert aliases == {
        "alias/astro-aws-eks-secrets",
        "alias/astro-aws-db",
        "alias/astro-aws-registry",
        "alias/astro-aws-registry-replica",
        "alias/astro-aws-db-backups",
        "alias/astro-aws-backups",
    }


def test_every_child_has_a_component_parent(aws):
    components = {r.urn for r in aws.resources if not r.custom}
    stack_children = [r for r in aws.resources if r.parent not in components]
    assert {r.type for r in stack_children} == {
        "astronomer-dr:aws/foundation:AwsFoundation",
        "astronomer-dr:platform:AstronomerPlatform",
        "astronomer-dr:aws/ingress:Ingress",
        "astronomer-dr:platform/velero:Velero",
        "astronomer-dr:aws/alerts:AwsAlerts",
    }


@pytest.fixture(scope="module")
def fresh_interpreter_sdks() -> dict[str, str]:
    """Each stack evaluated in a fresh interpreter, which prints the cloud SDK packages it loaded.
    The two are independent, so they run at the same time."""
    import subprocess
    import sys

    def start(stack: str) -> subprocess.Popen[str]:
        code = (
            "import sys; from tests.conftest import evaluate_stack; "
            f"e = evaluate_stack({stack!r}); assert e.error is None, e.error; "
            "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(('pulumi_gcp', 'pulumi_aws'))}))"
        )
        return subprocess.Popen(
            [sys.executable, "-W", "ignore", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    running = {stack: start(stack) for stack in ("aws", "gcp")}
    printed = {}
    for stack, process in running.items():
        out, err = process.communicate()
        if process.returncode != 0:
            raise subprocess.CalledProcessError(process.returncode, process.args, out, err)
        printed[stack] = out
    return printed


@pytest.mark.parametrize("stack,other", [("aws", "pulumi_gcp"), ("gcp", "pulumi_aws")])
def test_each_stack_loads_only_its_own_cloud_sdk(stack, other, fresh_interpreter_sdks):
    """__main__ imports a cloud's components lazily: the other SDK would double evaluation time."""
    out = fresh_interpreter_sdks[stack]
    assert other not in out and f"pulumi_{stack}" in out, out


# ---- bad input: refused before anything is declared --------------------------------------------

DATABASE = {"backupStartTime": "03:00", "backupRetentionDays": 7}
BAD_INPUT = [
    (
        "astronomer-dr:database",
        {**DATABASE, "backupRetentionDays": 6},
        "database.backupRetentionDays",
        "between 7 and 35",
    ),
    ("astronomer-dr:database", {**DATABASE, "backupRetentionDays": 36}, "database.backupRetentionDays", "35"),
    (
        "astronomer-dr:database",
        {**DATABASE, "backupRetentionDays": "7"},
        "database.backupRetentionDays",
        "whole number",
    ),
    ("astronomer-dr:database", {**DATABASE, "backupStartTime": "3am"}, "database.backupStartTime", "HH:MM"),
    ("astronomer-dr:database", {**DATABASE, "backupStartTime": "24:00"}, "database.backupStartTime", "HH:MM"),
    ("astronomer-dr:database", {**DATABASE, "instanceClass": "m6i.large"}, "database.instanceClass", "db.m6i.large"),
    ("astronomer-dr:database", {**DATABASE, "allocatedStorage": -5}, "database.allocatedStorage", "between 20"),
    (
        "astronomer-dr:database",
        {**DATABASE, "allocatedStorage": 600},
        "database.maxAllocatedStorage",
        "allocatedStorage",
    ),
    ("astronomer-dr:database", {**DATABASE, "postgresVersion": "POSTGRES_16"}, "database.postgresVersion", "16.6"),
    ("astronomer-dr:database", {**DATABASE, "highAvailability": "yes"}, "database.highAvailability", "true or false"),
    (
        "astronomer-dr:database",
        {**DATABASE, "backupRetentionDay": 7},
        "database.backupRetentionDay",
        "did you mean 'backupRetentionDays'",
    ),
    ("astronomer-dr:database", {**DATABASE, "tier": "db-custom-2-8192"}, "database.tier", "unknown key"),
    ("astronomer-dr:cluster", {"kubernetesVersion": "1.29"}, "cluster.kubernetesVersion", "1.31 to 1.35"),
    ("astronomer-dr:cluster", {"kubernetesVersion": "1.33.2"}, "cluster.kubernetesVersion", "major.minor"),
    ("astronomer-dr:cluster", {"instanceTypes": ["m7g.2xlarge"]}, "cluster.instanceTypes", "x86_64"),
    ("astronomer-dr:cluster", {"instanceTypes": []}, "cluster.instanceTypes", "at least one"),
    ("astronomer-dr:cluster", {"minNodes": 4, "maxNodes": 3}, "cluster.minNodes", "maxNodes"),
    ("astronomer-dr:cluster", {"desiredNodes": 9}, "cluster.desiredNodes", "between minNodes and maxNodes"),
    ("astronomer-dr:cluster", {"minNodes": -1}, "cluster.minNodes", "between 1 and 100"),
    (
        "astronomer-dr:cluster",
        {"endpointPrivateAccess": False, "endpointPublicAccess": False},
        "cluster.endpointPublicAccess",
        "both be false",
    ),
    ("astronomer-dr:cluster", {"publicAccessCidrs": ["10.0.0.0/33"]}, "cluster.publicAccessCidrs", "CIDR"),
    (
        "astronomer-dr:cluster",
        {"endpointPublicAccess": False, "publicAccessCidrs": ["203.0.113.0/24"]},
        "cluster.publicAccessCidrs",
        "endpointPublicAccess",
    ),
    ("astronomer-dr:cluster", {"existing": {"name": "my cluster"}}, "cluster.existing.name", "EKS cluster name"),
    (
        "astronomer-dr:cluster",
        {"existing": {"name": "shared", "location": "us-east-1"}},
        "cluster.existing.location",
        "unknown key",
    ),
    ("astronomer-dr:cluster", {"machineType": "m6i.large"}, "cluster.machineType", "unknown key"),
    ("astronomer-dr:network", {"vpcCidr": "10.0.0.0/8"}, "network.vpcCidr", "/16 to /22"),
    ("astronomer-dr:network", {"vpcCidr": "ten"}, "network.vpcCidr", "CIDR"),
    (
        "astronomer-dr:network",
        {"singleNatGateways": True},
        "network.singleNatGateways",
        "did you mean 'singleNatGateway'",
    ),
    ("astronomer-dr:registry", {"noncurrentVersionDays": 1}, "registry.noncurrentVersionDays", "at least 7"),
    ("astronomer-dr:dns", {"hostedZoneId": "example.com"}, "dns.hostedZoneId", "hosted zone id"),
    ("astronomer-dr:dns", {}, "dns.hostedZoneId", "required"),
    ("astronomer-dr:databse", DATABASE, "astronomer-dr:databse", "did you mean 'database'"),
    (
        "astronomer-dr:platform",
        {"baseDomain": "astro.acme.example.com", "releaseName": "astronomer-prod1"},
        "platform.releaseName",
        "at most 12",
    ),
    ("aws:region", None, "aws:region", "required"),
]


@pytest.mark.parametrize("key,value,named,says", BAD_INPUT, ids=[f"{named}:{says}" for _, _, named, says in BAD_INPUT])
def test_bad_input_is_refused_before_any_resource(key, value, named, says):
    evaluation = evaluate_stack("aws", **{key: value})
    assert isinstance(evaluation.error, ConfigError), evaluation.error
    message = str(evaluation.error)
    assert named in message and says in message, message
    assert evaluation.resources == [] and evaluation.reads == []
