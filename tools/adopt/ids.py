"""Each resource type's import id, in the format its provider's import documents.

A rule takes one registered resource (what the program declares: type, name, inputs) and the
facts of the stack being adopted, and answers one of:

    Known(id)       the id, derived from the stack's config, the program's own names and the
                    `astronomer-dr:adopt` block (components/config/adopt.py)
    Lookup(command) an id the cloud made up (vpc-..., a KMS key id): the command that prints it
    Create(why)     nothing to import: the program creates it (a secret generator whose value
                    adoption takes as secret config, an object only this program makes)

Formats (the Import section of each provider's documentation):
- google-beta: hashicorp/terraform-provider-google-beta website/docs/r/<resource>.html.markdown,
  "## Import" (e.g. sql_database_instance: `projects/{{project}}/instances/{{name}}`).
- aws: hashicorp/terraform-provider-aws website/docs/r/<resource>.html.markdown, "## Import"
  (e.g. db_instance: the `identifier`; eks_node_group: `cluster_name:node_group_name`).
- kubernetes: pulumi/pulumi-kubernetes provider/pkg/provider/util.go:103 `parseFqName`, which
  Read splits the id with (provider.go:1964): `namespace/name`, or `name` for cluster-scoped
  objects; a Helm release is `<namespace>/<releaseName>` (helm_release.go:1056,
  provider/pkg/gen/examples/overlays/helmRelease.md:756).
- random/tls: their values are secrets (a password, a private key): importing one would put the
  value in the import file in plain text (random_password imports by its value), so they are
  not imported: the running values are taken as secret config (components/config/adopt.py,
  ADOPTED_SECRET_KEYS), and the program then declares no generator at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tools.offline import MOCK_AWS_ACCOUNT, Registered

GOOGLE_DOCS = "hashicorp/terraform-provider-google-beta website/docs/r/{}.html.markdown (## Import)"
AWS_DOCS = "hashicorp/terraform-provider-aws website/docs/r/{}.html.markdown (## Import)"
KUBERNETES_DOCS = "pulumi/pulumi-kubernetes provider/pkg/provider/util.go:103 parseFqName (namespace/name)"
HELM_DOCS = "pulumi/pulumi-kubernetes provider/pkg/gen/examples/overlays/helmRelease.md:756 (<namespace>/<releaseName>)"


@dataclass(frozen=True)
class Known:
    id: str


@dataclass(frozen=True)
class Lookup:
    command: str


@dataclass(frozen=True)
class Create:
    why: str


Answer = Known | Lookup | Create


@dataclass(frozen=True)
class Facts:
    """What the ids are made of: the stack's config and adopt block, and the program's resources."""

    cloud: str
    project: str  # GCP project (gcp:project); "" on AWS
    region: str
    account: str  # AWS account (adopt.accountId); "" on GCP
    database_instance: str
    cluster: str | None
    node_pool: str | None
    network: str | None
    registry_bucket: str | None
    backups_bucket: str | None
    namespace: str  # the platform's namespace
    resources: tuple[Registered, ...]
    # Program resources the installation does not have (adopt.create): created, not imported.
    created: tuple[str, ...] = ()

    def named(self, type_token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_token]

    def real(self, value: str) -> str:
        """A name the offline engine built with its mock AWS account, with the adopted account."""
        return value.replace(MOCK_AWS_ACCOUNT, self.account) if self.account else value


def _name(r: Registered, key: str = "name") -> str:
    value = r.input(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{r.type} {r.name} declares no {key!r}: its import id cannot be derived")
    return value


# ---- GCP ---------------------------------------------------------------------------------------


def _declared_name(f: Facts, type_token: str) -> str:
    """The name the program gives the one resource of a type ("" when it declares none)."""
    found = f.named(type_token)
    return _name(found[0]) if found else ""


def _gcp_cluster(f: Facts) -> str:
    return f.cluster or _declared_name(f, "gcp:container/cluster:Cluster")


def _gcp_network(f: Facts) -> str:
    return f.network or _declared_name(f, "gcp:compute/network:Network")


def _gcp_bucket(r: Registered, f: Facts) -> str:
    if r.parent.endswith("-registry") and f.registry_bucket:
        return f.registry_bucket
    if r.parent.endswith("-backups") and f.backups_bucket:
        return f.backups_bucket
    return _name(r, "bucket") if r.type != "gcp:storage/bucket:Bucket" else _name(r)


def _sa_email(f: Facts, account_id: str) -> str:
    return f"{account_id}@{f.project}.iam.gserviceaccount.com"


GCP_RULES: dict[str, Callable[[Registered, Facts], Answer]] = {
    # compute_network: projects/{{project}}/global/networks/{{name}}
    "gcp:compute/network:Network": lambda r, f: Known(f"projects/{f.project}/global/networks/{_gcp_network(f)}"),
    # compute_subnetwork: projects/{{project}}/regions/{{region}}/subnetworks/{{name}}
    "gcp:compute/subnetwork:Subnetwork": lambda r, f: Known(
        f"projects/{f.project}/regions/{f.region}/subnetworks/{_name(r)}"
    ),
    # compute_router: projects/{{project}}/regions/{{region}}/routers/{{name}}
    "gcp:compute/router:Router": lambda r, f: Known(f"projects/{f.project}/regions/{f.region}/routers/{_name(r)}"),
    # compute_router_nat: projects/{{project}}/regions/{{region}}/routers/{{router}}/{{name}}
    "gcp:compute/routerNat:RouterNat": lambda r, f: Known(
        f"projects/{f.project}/regions/{f.region}/routers/{_name(r, 'router')}/{_name(r)}"
    ),
    # compute_global_address: projects/{{project}}/global/addresses/{{name}}
    "gcp:compute/globalAddress:GlobalAddress": lambda r, f: Known(f"projects/{f.project}/global/addresses/{_name(r)}"),
    # compute_address: projects/{{project}}/regions/{{region}}/addresses/{{name}}
    "gcp:compute/address:Address": lambda r, f: Known(f"projects/{f.project}/regions/{f.region}/addresses/{_name(r)}"),
    # service_networking_connection: projects/{{project}}/global/networks/{{peering-network}}:{{service}}
    "gcp:servicenetworking/connection:Connection": lambda r, f: Known(
        f"projects/{f.project}/global/networks/{_gcp_network(f)}:{_name(r, 'service')}"
    ),
    # google_service_account: projects/{{project_id}}/serviceAccounts/{{email}}
    "gcp:serviceaccount/account:Account": lambda r, f: Known(
        f"projects/{f.project}/serviceAccounts/{_sa_email(f, _name(r, 'accountId'))}"
    ),
    # google_project_iam (member): "{{project_id}} roles/viewer user:foo@example.com"
    "gcp:projects/iAMMember:IAMMember": lambda r, f: Known(f"{f.project} {_name(r, 'role')} {_name(r, 'member')}"),
    # storage_bucket_iam (member): "b/{{bucket}} roles/storage.objectViewer user:jane@example.com"
    "gcp:storage/bucketIAMMember:BucketIAMMember": lambda r, f: Known(
        f"b/{_gcp_bucket(r, f)} {_name(r, 'role')} {_name(r, 'member')}"
    ),
    # google_service_account_iam (member): "projects/{{project_id}}/serviceAccounts/{{email}} roles/editor user:..."
    "gcp:serviceaccount/iAMMember:IAMMember": lambda r, f: Known(
        f"{_name(r, 'serviceAccountId')} {_name(r, 'role')} {_name(r, 'member')}"
    ),
    # container_cluster: projects/{{project_id}}/locations/{{location}}/clusters/{{cluster_id}}
    "gcp:container/cluster:Cluster": lambda r, f: Known(
        f"projects/{f.project}/locations/{_name(r, 'location')}/clusters/{_gcp_cluster(f)}"
    ),
    # container_node_pool: {{project_id}}/{{location}}/{{cluster_id}}/{{pool_id}}; the program lets
    # Pulumi name the pool, so its existing name comes from the adopt block or from gcloud.
    "gcp:container/nodePool:NodePool": lambda r, f: (
        Known(f"{f.project}/{_name(r, 'location')}/{_gcp_cluster(f)}/{f.node_pool}")
        if f.node_pool
        else Lookup(
            f"gcloud container node-pools list --project {f.project} --region {_name(r, 'location')} "
            f"--cluster {_gcp_cluster(f)} --format 'value(name)'  # then {f.project}/{_name(r, 'location')}/{_gcp_cluster(f)}/<pool>, or set adopt.nodePool"
        )
    ),
    # sql_database_instance: projects/{{project}}/instances/{{name}}
    "gcp:sql/databaseInstance:DatabaseInstance": lambda r, f: Known(
        f"projects/{f.project}/instances/{f.database_instance}"
    ),
    # sql_user: {{project_id}}/{{instance}}/{{name}} (the host form is MySQL's)
    "gcp:sql/user:User": lambda r, f: Known(f"{f.project}/{f.database_instance}/{_name(r)}"),
    # storage_bucket: {{project_id}}/{{bucket}}
    "gcp:storage/bucket:Bucket": lambda r, f: Known(f"{f.project}/{_gcp_bucket(r, f)}"),
}

# ---- AWS ---------------------------------------------------------------------------------------


def _aws(r: Registered, f: Facts, key: str = "name") -> str:
    return f.real(_name(r, key))


def _aws_region(r: Registered, f: Facts) -> str:
    """The region of the resource's provider: the backups bucket and keys live in the backup
    region, through an explicit provider whose `region` input says which."""
    urn = r.provider.rsplit("::", 1)[0] if r.provider else ""
    for provider in f.resources:
        if provider.urn == urn and isinstance(provider.input("region"), str):
            return str(provider.input("region"))
    return f.region


def _aws_bucket(r: Registered, f: Facts) -> str:
    # The registry's replica (registry.replicaRegion) is a bucket of its own in another region, under
    # the same component: adopt.registryBucket names the source only.
    if r.parent.endswith("-registry") and f.registry_bucket and not r.name.endswith("-replica"):
        return f.registry_bucket
    if r.parent.endswith("-backups") and f.backups_bucket:
        return f.backups_bucket
    return _aws(r, f, "bucket")


def _aws_cluster(f: Facts) -> str:
    return f.cluster or f.real(_declared_name(f, "aws:eks/cluster:Cluster"))


def _tag(r: Registered) -> str:
    tag = r.input("tags.Name")
    return tag if isinstance(tag, str) and tag else r.name


def _tag_lookup(kind: str, query: str) -> Callable[[Registered, Facts], Answer]:
    """Ids EC2 makes up (vpc-..., subnet-...): found by the Name tag the program gives each."""

    def rule(r: Registered, f: Facts) -> Answer:
        return Lookup(
            f"aws ec2 {kind} --region {f.region} --filters Name=tag:Name,Values={_tag(r)} --query '{query}' --output text"
        )

    return rule


def _depended(r: Registered, f: Facts, key: str) -> Registered:
    """The resource whose output the program passed as input `key` (its property dependency)."""
    [urn] = r.property_dependencies.get(key) or [""]
    for other in f.resources:
        if other.urn == urn:
            return other
    raise ValueError(f"{r.type} {r.name}: input {key!r} depends on no registered resource")


def _route_table_association(r: Registered, f: Facts) -> Answer:
    # route_table_association: <subnet-id>/<route-table-id>, both made up by EC2.
    subnet, table = _depended(r, f, "subnetId"), _depended(r, f, "routeTableId")
    return Lookup(
        f'echo "$(aws ec2 describe-subnets --region {f.region} --filters Name=tag:Name,Values={_tag(subnet)} '
        "--query 'Subnets[0].SubnetId' --output text)/"
        f"$(aws ec2 describe-route-tables --region {f.region} --filters Name=tag:Name,Values={_tag(table)} "
        "--query 'RouteTables[0].RouteTableId' --output text)\""
    )


def _ingress_rule(r: Registered, f: Facts) -> Answer:
    # vpc_security_group_ingress_rule: the rule id (sgr-...), found on its security group by port.
    group = _depended(r, f, "securityGroupId")
    return Lookup(
        f"aws ec2 describe-security-group-rules --region {f.region} --filters Name=group-id,Values="
        f"$(aws ec2 describe-security-groups --region {f.region} --filters Name=group-name,Values={_aws(group, f)} "
        "--query 'SecurityGroups[0].GroupId' --output text) "
        f"--query 'SecurityGroupRules[?!IsEgress && FromPort==`{r.input('fromPort')}`].SecurityGroupRuleId' --output text"
    )


def _kms_key(r: Registered, f: Facts) -> Answer:
    aliases = [a for a in f.named("aws:kms/alias:Alias") if a.name == r.name]
    alias = _name(aliases[0]) if aliases else f"alias/{r.name}"
    return Lookup(
        f"aws kms describe-key --region {_aws_region(r, f)} --key-id {alias} --query KeyMetadata.KeyId --output text"
    )


AWS_RULES: dict[str, Callable[[Registered, Facts], Answer]] = {
    # vpc, subnet, internet_gateway, eip, nat_gateway, route_table, security_group, launch_template:
    # each imports by the id EC2 gave it (vpc-..., subnet-..., igw-..., eipalloc-..., nat-..., rtb-..., sg-..., lt-...).
    "aws:ec2/vpc:Vpc": _tag_lookup("describe-vpcs", "Vpcs[0].VpcId"),
    "aws:ec2/subnet:Subnet": _tag_lookup("describe-subnets", "Subnets[0].SubnetId"),
    "aws:ec2/internetGateway:InternetGateway": _tag_lookup(
        "describe-internet-gateways", "InternetGateways[0].InternetGatewayId"
    ),
    "aws:ec2/eip:Eip": _tag_lookup("describe-addresses", "Addresses[0].AllocationId"),
    "aws:ec2/natGateway:NatGateway": _tag_lookup("describe-nat-gateways", "NatGateways[0].NatGatewayId"),
    "aws:ec2/routeTable:RouteTable": _tag_lookup("describe-route-tables", "RouteTables[0].RouteTableId"),
    "aws:ec2/securityGroup:SecurityGroup": lambda r, f: Lookup(
        f"aws ec2 describe-security-groups --region {f.region} --filters Name=group-name,Values={_aws(r, f)} "
        "--query 'SecurityGroups[0].GroupId' --output text"
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": lambda r, f: Lookup(
        f"aws ec2 describe-launch-templates --region {f.region} --filters "
        f"'Name=launch-template-name,Values={_aws(r, f, 'namePrefix')}*' "
        "--query 'LaunchTemplates[0].LaunchTemplateId' --output text"
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _route_table_association,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ingress_rule,
    # kms_key: the key id; kms_alias: the alias name (alias/...)
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": lambda r, f: Known(_aws(r, f)),
    # iam_role: the role name; iam_role_policy: role_name:role_policy_name;
    # iam_role_policy_attachment: role_name/policy_arn
    "aws:iam/role:Role": lambda r, f: Known(_aws(r, f)),
    "aws:iam/rolePolicy:RolePolicy": lambda r, f: Known(f"{_aws(r, f, 'role')}:{_aws(r, f)}"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda r, f: Known(
        f"{_aws(r, f, 'role')}/{_aws(r, f, 'policyArn')}"
    ),
    # iam_openid_connect_provider: its ARN, arn:aws:iam::<account>:oidc-provider/<issuer host and path>
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda r, f: Lookup(
        f"aws iam list-open-id-connect-providers --query 'OpenIDConnectProviderList[].Arn' --output text "
        f"| tr '\\t' '\\n' | grep \"$(aws eks describe-cluster --region {f.region} --name {_aws_cluster(f)} "
        '--query cluster.identity.oidc.issuer --output text | cut -d/ -f3-)"'
    ),
    # s3_bucket and its configuration resources: the bucket name
    "aws:s3/bucket:Bucket": lambda r, f: Known(_aws_bucket(r, f)),
    "aws:s3/bucketVersioning:BucketVersioning": lambda r, f: Known(_aws_bucket(r, f)),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": lambda r, f: Known(_aws_bucket(r, f)),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": lambda r, f: Known(_aws_bucket(r, f)),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": lambda r, f: Known(
        _aws_bucket(r, f)
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lambda r, f: Known(_aws_bucket(r, f)),
    "aws:s3/bucketPolicy:BucketPolicy": lambda r, f: Known(_aws_bucket(r, f)),
    # s3_bucket_replication_configuration: the source bucket's name
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": lambda r, f: Known(_aws_bucket(r, f)),
    # db_instance: the identifier; db_parameter_group, db_subnet_group: the name
    "aws:rds/instance:Instance": lambda r, f: Known(f.database_instance),
    "aws:rds/parameterGroup:ParameterGroup": lambda r, f: Known(_aws(r, f)),
    "aws:rds/subnetGroup:SubnetGroup": lambda r, f: Known(_aws(r, f)),
    # db_instance_automated_backups_replication: the ARN of the replicated automated backup
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": lambda r, f: Lookup(
        f"aws rds describe-db-instance-automated-backups --region {_aws_region(r, f)} "
        f"--query \"DBInstanceAutomatedBackups[?DBInstanceIdentifier=='{f.database_instance}'].DBInstanceAutomatedBackupsArn\" "
        "--output text"
    ),
    # eks_cluster: the name; eks_node_group: cluster_name:node_group_name; eks_addon: cluster_name:addon_name
    "aws:eks/cluster:Cluster": lambda r, f: Known(_aws_cluster(f)),
    "aws:eks/nodeGroup:NodeGroup": lambda r, f: (
        Known(f"{_aws_cluster(f)}:{f.node_pool}")
        if f.node_pool
        else Lookup(
            f"aws eks list-nodegroups --region {f.region} --cluster-name {_aws_cluster(f)} --query 'nodegroups' "
            f"--output text  # then {_aws_cluster(f)}:<node group>, or set adopt.nodePool"
        )
    ),
    "aws:eks/addon:Addon": lambda r, f: Known(f"{_aws_cluster(f)}:{_aws(r, f, 'addonName')}"),
}

# ---- Kubernetes, and the generators of secrets ---------------------------------------------------

# Objects only this program makes (its readiness Job and what the Job runs with): an installation
# made without it has none, so they are created.
PROGRAM_OBJECT_PREFIX = "astronomer-dr-"


def _kubernetes(r: Registered, f: Facts) -> Answer:
    name = _name(r, "metadata.name")
    if name.startswith(PROGRAM_OBJECT_PREFIX):
        return Create(f"{name} is made by this program only (its readiness check)")
    namespace = r.input("metadata.namespace")
    return Known(f"{namespace}/{name}" if namespace else name)


def _helm_release(r: Registered, f: Facts) -> Answer:
    return Known(f"{_name(r, 'namespace')}/{_name(r)}")


def _adopted_key(r: Registered) -> str:
    """The secret config key that keeps the running installation's value of what `r` generates."""
    from components.config.adopt import (
        ADOPTED_DATABASE_PASSWORD,
        ADOPTED_JWT_CERTIFICATE,
        ADOPTED_JWT_KEY,
        ADOPTED_REGISTRY_HTTP_SECRET,
    )

    if r.type == "tls:index/privateKey:PrivateKey":
        return ADOPTED_JWT_KEY
    if r.type == "tls:index/selfSignedCert:SelfSignedCert":
        return ADOPTED_JWT_CERTIFICATE
    return ADOPTED_REGISTRY_HTTP_SECRET if r.name.endswith("registry-http-secret") else ADOPTED_DATABASE_PASSWORD


def _secret_generator(what: str) -> Callable[[Registered, Facts], Answer]:
    def rule(r: Registered, f: Facts) -> Answer:
        from components.config import ADOPTED_SOURCES

        key = _adopted_key(r)
        return Create(
            f"{what}: a secret, which an import file would hold in plain text; keep the running one with "
            f'`pulumi config set --secret astronomer-dr:{key} -- "$({ADOPTED_SOURCES[key]})"`, '
            "otherwise `pulumi up` generates a new one"
        )

    return rule


def _dr_watch(r: Registered, f: Facts) -> Answer:
    return Create(
        "DR posture alerting this program adds (docs/MONITORING.md): an installation made without it has none, "
        "and an alert of your own stays as it is"
    )


# What watches the DR posture (components/gcp/alerts.py, components/aws/alerts.py): created, never imported.
DR_WATCH_TYPES = (
    "gcp:monitoring/alertPolicy:AlertPolicy",
    "gcp:monitoring/notificationChannel:NotificationChannel",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:sns/topic:Topic",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription",
)

OTHER_RULES: dict[str, Callable[[Registered, Facts], Answer]] = {
    **dict.fromkeys(DR_WATCH_TYPES, _dr_watch),
    "kubernetes:helm.sh/v3:Release": _helm_release,
    "random:index/randomPassword:RandomPassword": _secret_generator("a password"),
    "tls:index/privateKey:PrivateKey": _secret_generator("a private key"),
    "tls:index/selfSignedCert:SelfSignedCert": _secret_generator("the certificate of that key"),
    # random_uuid imports by the uuid itself; the control plane id is no secret (a chart value).
    # The chart keeps it in the Secret `cp-identity`, key cp_id (astronomer/astronomer v2.1.0
    # charts/astronomer/templates/houston/api/cp-identity-secret.yaml).
    "random:index/randomUuid:RandomUuid": lambda r, f: Lookup(
        f"kubectl -n {f.namespace} get secret cp-identity -o jsonpath='{{.data.cp_id}}' | base64 -d"
    ),
}

KUBERNETES_PREFIX = "kubernetes:"


def rule_for(type_token: str) -> Callable[[Registered, Facts], Answer] | None:
    """The id rule of a resource type; None: the type has none (tools.adopt refuses it by name)."""
    for rules in (GCP_RULES, AWS_RULES, OTHER_RULES):
        if type_token in rules:
            return rules[type_token]
    if type_token.startswith(KUBERNETES_PREFIX):
        return _kubernetes
    return None
