"""The EKS cluster: secrets encrypted with a KMS key, an OIDC provider for IRSA, a managed node group
in the private subnets scaled by cluster-autoscaler, EBS volumes for the chart's StatefulSets.

Or, with `cluster.existing`, a reference to a cluster someone else manages. Either way it ends in
a Kubernetes provider for the platform.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_aws import eks, iam
from pulumi_kubernetes.meta import v1 as meta_v1
from pulumi_kubernetes.provider import Provider as KubernetesProvider
from pulumi_kubernetes.storage import v1 as storage_v1

from ..config import AwsClusterSettings
from .access import cluster_admins
from .autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from .iam import STS_AUDIENCE, managed_policy, service_account_trust, service_principal_trust
from .kms import TAGS, customer_key
from .network import Network
from .network_policy import vpc_cni_addon
from .nodes import platform_node_group
from .versions import UPGRADE_POLICY, EksVersionDecision

NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")
# Since Kubernetes 1.30 EKS marks no StorageClass as default; the chart's volumes name none.
DEFAULT_STORAGE_CLASS = "gp3"


@dataclass
class ClusterArgs:
    settings: AwsClusterSettings
    # The EKS cluster's name (ours, or the existing cluster's).
    cluster_name: str
    region: str
    # None with an existing cluster.
    network: Network | None
    # A throwaway stack being torn down: the cluster may be deleted.
    teardown: bool = False
    # The version EKS offers and the support policy to create it with (versions.py).
    version: EksVersionDecision | None = None


def kubeconfig(name: str, endpoint: str, ca_certificate: str, region: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token`: no long-lived credential in state."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_certificate}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [
            {
                "name": name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", name, "--region", region, "--output", "json"],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }
    return json.dumps(config, indent=2)


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    provider: KubernetesProvider
    oidc_issuer_url: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    # EKS puts the control plane and managed nodes (and so every pod) in this group.
    security_group_id: pulumi.Output[str]
    # The cluster's own VPC and subnets: where an existing cluster's database goes.
    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    # What the platform must wait for: nodes, volume provisioning (empty for an existing cluster).
    ready: list[pulumi.Resource]
    # Of those, what provisions volumes: the EBS CSI add-on and the default StorageClass. Velero's
    # own pods claim none; a restore's pod volumes are provisioned through them.
    volumes: list[pulumi.Resource]
    # What a restore must wait for besides: room to grow, the node autoscaler (empty for an
    # existing cluster, whose nodes and their scaling are managed where the cluster is).
    room: list[pulumi.Resource]
    autoscaler: ClusterAutoscaler | None = None

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/cluster:Cluster", name, None, opts)
        # Managed policy ARNs are per partition (GovCloud: arn:aws-us-gov:...).
        self._region = args.region
        invoke = pulumi.InvokeOutputOptions(parent=self)
        if args.settings.existing is not None:
            existing = eks.get_cluster_output(name=args.settings.existing.name, opts=invoke)
            self.name = existing.name
            self.endpoint = existing.endpoint
            ca = existing.certificate_authorities.apply(lambda cas: cas[0].data)
            self.oidc_issuer_url = existing.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
            # IRSA needs the account's OIDC provider for this issuer; an existing cluster has one already.
            self.oidc_provider_arn = iam.get_open_id_connect_provider_output(url=self.oidc_issuer_url, opts=invoke).arn
            self.security_group_id = existing.vpc_config.cluster_security_group_id
            self.vpc_id = existing.vpc_config.vpc_id
            self.subnet_ids = existing.vpc_config.subnet_ids
            self.ready = []
            self.volumes = []
        else:
            assert args.network is not None
            ca = self._create(name, args, args.network)

        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.name, self.endpoint, ca).apply(lambda v: kubeconfig(v[0], v[1], v[2], args.region))
        )
        self.provider = KubernetesProvider(
            f"{name}-kubernetes",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.room = []
        if args.settings.existing is None:
            storage_class = self._default_storage_class(name)
            self.ready.append(storage_class)
            self.volumes = [self._ebs_csi, storage_class]
            self.autoscaler = ClusterAutoscaler(
                f"{name}-autoscaler",
                ClusterAutoscalerArgs(
                    cluster_name=self.name,
                    region=args.region,
                    kubernetes_version=args.settings.kubernetes_version,
                    node_group_arn=self._nodes.arn,
                    oidc_provider_arn=self.oidc_provider_arn,
                    oidc_issuer_url=self.oidc_issuer_url,
                    kubernetes_provider=self.provider,
                    depends_on=[self._nodes],
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            # Restored deployments find room without taking the platform's nodes. Only a restore
            # waits for it: the platform fits in minNodes and comes up even if the autoscaler cannot.
            self.room = [self.autoscaler.release]
        self.register_outputs(
            {"name": self.name, "endpoint": self.endpoint, "oidc_provider_arn": self.oidc_provider_arn}
        )

    def _role(
        self, name: str, trust: pulumi.Input[str], policies: tuple[str, ...], description: str
    ) -> tuple[iam.Role, list[pulumi.Resource]]:
        role = iam.Role(
            name,
            name=name,
            assume_role_policy=trust,
            description=description,
            tags=TAGS,
            opts=pulumi.ResourceOptions(parent=self),
        )
        attachments: list[pulumi.Resource] = [
            iam.RolePolicyAttachment(
                f"{name}-{policy.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=managed_policy(policy, self._region),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for policy in policies
        ]
        return role, attachments

    def _create(self, name: str, args: ClusterArgs, network: Network) -> pulumi.Output[str]:
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)

        # Envelope encryption of Kubernetes Secrets (the bootstrap connection string, the TLS key).
        key = customer_key(
            f"{name}-secrets",
            description=f"{name}: EKS secrets envelope encryption",
            alias=f"{name}-eks-secrets",
            opts=child,
        )

        cluster_role, cluster_attachments = self._role(
            f"{name}-cluster",
            service_principal_trust("eks.amazonaws.com", invoke),
            ("AmazonEKSClusterPolicy",),
            "EKS control plane",
        )
        cluster = eks.Cluster(
            name,
            name=args.cluster_name,
            version=settings.kubernetes_version,
            # Never upgraded by EKS behind Pulumi's back, past the chart's range (versions.py).
            upgrade_policy=eks.ClusterUpgradePolicyArgs(
                support_type=args.version.support_type if args.version else UPGRADE_POLICY
            ),
            role_arn=cluster_role.arn,
            vpc_config=eks.ClusterVpcConfigArgs(
                subnet_ids=network.private_subnet_ids,
                endpoint_private_access=settings.endpoint_private_access,
                endpoint_public_access=settings.endpoint_public_access,
                public_access_cidrs=list(settings.public_access_cidrs) or None,
            ),
            encryption_config=eks.ClusterEncryptionConfigArgs(
                provider=eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
                resources=["secrets"],
            ),
            # Access entries, not the aws-auth ConfigMap; whoever runs `pulumi up` gets admin.
            access_config=eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            deletion_protection=not args.teardown,
            tags=TAGS,
            opts=pulumi.ResourceOptions(parent=self, depends_on=cluster_attachments),
        )
        issuer = cluster.identities.apply(_oidc_issuer)
        # No thumbprint: IAM validates the EKS issuer's certificate against its own trusted CAs,
        # and fetches a thumbprint itself when a list is needed (pulumi-aws 7 makes it optional).
        oidc = iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=[STS_AUDIENCE],
            tags=TAGS,
            opts=child,
        )

        node_role, node_attachments = self._role(
            f"{name}-nodes", service_principal_trust("ec2.amazonaws.com", invoke), NODE_POLICIES, "EKS platform nodes"
        )
        # NetworkPolicies enforced before the first node joins (components/aws/network_policy.py).
        vpc_cni = vpc_cni_addon(name, cluster.name, parent=self)
        nodes = platform_node_group(
            name,
            settings,
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=network.private_subnet_ids,
            depends_on=[*node_attachments, *network.egress, vpc_cni],
            parent=self,
        )
        self.admin_access = cluster_admins(name, cluster, settings.admins, parent=self)

        # Prometheus, Elasticsearch and Alertmanager claim volumes; EKS provisions EBS only via this driver.
        namespace, service_account = EBS_CSI_SERVICE_ACCOUNT
        ebs_role, ebs_attachments = self._role(
            f"{name}-ebs-csi",
            service_account_trust(oidc.arn, issuer, namespace, service_account, invoke),
            ("service-role/AmazonEBSCSIDriverPolicy",),
            "EBS CSI driver (IRSA)",
        )
        self._ebs_csi = eks.Addon(
            f"{name}-ebs-csi",
            cluster_name=cluster.name,
            addon_name="aws-ebs-csi-driver",
            service_account_role_arn=ebs_role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            tags=TAGS,
            # The add-on only becomes active once its pods have nodes to run on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[nodes, *ebs_attachments]),
        )

        self.name = cluster.name
        self.endpoint = cluster.endpoint
        self.oidc_issuer_url = issuer
        self.oidc_provider_arn = oidc.arn
        self.security_group_id = cluster.vpc_config.cluster_security_group_id
        self.vpc_id = cluster.vpc_config.vpc_id
        self.subnet_ids = cluster.vpc_config.subnet_ids
        self._nodes = nodes
        self.ready = [nodes, self._ebs_csi]
        return cluster.certificate_authority.apply(_certificate_authority_data)

    def _default_storage_class(self, name: str) -> storage_v1.StorageClass:
        return storage_v1.StorageClass(
            f"{name}-{DEFAULT_STORAGE_CLASS}",
            metadata=meta_v1.ObjectMetaArgs(
                name=DEFAULT_STORAGE_CLASS,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[self._ebs_csi]),
        )


def _certificate_authority_data(authority: eks.outputs.ClusterCertificateAuthority) -> str:
    """The cluster's CA (base64), which EKS returns once the cluster exists."""
    assert authority.data is not None, "EKS returned no certificate authority data for the cluster"
    return authority.data


def _oidc_issuer(identities: Sequence[eks.outputs.ClusterIdentity]) -> str:
    """The cluster's OIDC issuer URL (IRSA trusts it), which EKS gives every cluster once it exists."""
    oidcs = identities[0].oidcs if identities else None
    issuer = oidcs[0].issuer if oidcs else None
    assert issuer, "EKS returned no OIDC issuer for the cluster"
    return issuer
