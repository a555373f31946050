"""VPC across three availability zones: private subnets for nodes and the database, public ones for
the load balancer and NAT, and the subnet tags EKS load balancers look for.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

import pulumi
from pulumi_aws import ec2
from pulumi_aws.get_availability_zones import GetAvailabilityZonesFilterArgs, get_availability_zones_output

from ..config import AwsNetworkSettings
from .kms import TAGS

ZONE_COUNT = 3


@dataclass
class NetworkArgs:
    settings: AwsNetworkSettings
    # The EKS cluster's name: its subnets are tagged `kubernetes.io/cluster/<name>`.
    cluster_name: str


def subnet_cidrs(vpc_cidr: str, zones: int = ZONE_COUNT) -> tuple[list[str], list[str]]:
    """(private, public) blocks, one of each per zone.

    Three quarters of the VPC go to the private subnets, because the VPC CNI gives every pod a
    VPC address there; the last quarter is split for the public subnets (NAT and load balancers).
    """
    quarters = list(ipaddress.IPv4Network(vpc_cidr).subnets(prefixlen_diff=2))  # the config takes IPv4 blocks only
    private = [str(n) for n in quarters[:zones]]
    public = [str(n) for n in list(quarters[3].subnets(prefixlen_diff=2))[:zones]]
    return private, public


def subnet_tags(cluster_name: str, public: bool, name: str) -> dict[str, str]:
    """Tags the Kubernetes AWS cloud provider and the AWS Load Balancer Controller select subnets by."""
    role = "kubernetes.io/role/elb" if public else "kubernetes.io/role/internal-elb"
    return {**TAGS, "Name": name, role: "1", f"kubernetes.io/cluster/{cluster_name}": "shared"}


# Zone IDs where EKS creates no control plane: a cluster subnet there fails with
# UnsupportedAvailabilityZoneException (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html).
EKS_UNSUPPORTED_ZONE_IDS = ("use1-az3", "usw1-az2", "cac1-az3")


def _zone(names: list[str], index: int) -> str:
    if len(names) < ZONE_COUNT:
        raise pulumi.RunError(
            f"aws:region has {len(names)} availability zone(s) open to this account; the network needs {ZONE_COUNT}"
        )
    return names[index]


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    # What private workloads need before they can pull images: NAT and its routes.
    egress: list[pulumi.Resource]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings

        # Zones opted in by default only: Local and Wavelength Zones cannot host EKS or RDS. And not the
        # zones without EKS control planes, by ID (names map to IDs differently in each account).
        zones = get_availability_zones_output(
            state="available",
            exclude_zone_ids=list(EKS_UNSUPPORTED_ZONE_IDS),
            filters=[GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).names

        vpc = ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.vpc_cidr,
            # EKS (private endpoint) and RDS endpoints are DNS names resolved inside the VPC.
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={**TAGS, "Name": f"{name}-vpc"},
            opts=child,
        )
        gateway = ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={**TAGS, "Name": f"{name}-igw"}, opts=child)
        public_routes = ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags={**TAGS, "Name": f"{name}-public"},
            opts=child,
        )

        private_cidrs, public_cidrs = subnet_cidrs(settings.vpc_cidr)
        private_subnets: list[ec2.Subnet] = []
        public_subnets: list[ec2.Subnet] = []
        nat_gateways: list[ec2.NatGateway] = []
        self.egress = []
        for index in range(ZONE_COUNT):
            zone = zones.apply(functools.partial(_zone, index=index))
            public = ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=public_cidrs[index],
                # Only NAT gateways and load balancers live here; nothing gets a public IP by default.
                map_public_ip_on_launch=False,
                tags=subnet_tags(args.cluster_name, public=True, name=f"{name}-public-{index}"),
                opts=child,
            )
            ec2.RouteTableAssociation(
                f"{name}-public-{index}", subnet_id=public.id, route_table_id=public_routes.id, opts=child
            )
            public_subnets.append(public)
            if index == 0 or not settings.single_nat_gateway:
                address = ec2.Eip(
                    f"{name}-nat-{index}", domain="vpc", tags={**TAGS, "Name": f"{name}-nat-{index}"}, opts=child
                )
                nat_gateways.append(
                    ec2.NatGateway(
                        f"{name}-nat-{index}",
                        allocation_id=address.id,
                        subnet_id=public.id,
                        tags={**TAGS, "Name": f"{name}-nat-{index}"},
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                    )
                )

            private = ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=private_cidrs[index],
                tags=subnet_tags(args.cluster_name, public=False, name=f"{name}-private-{index}"),
                opts=child,
            )
            # Each zone leaves through its own NAT, so losing a zone leaves the others' egress intact.
            nat = nat_gateways[-1]
            routes = ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                routes=[ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags={**TAGS, "Name": f"{name}-private-{index}"},
                opts=child,
            )
            association = ec2.RouteTableAssociation(
                f"{name}-private-{index}", subnet_id=private.id, route_table_id=routes.id, opts=child
            )
            private_subnets.append(private)
            self.egress.append(association)
        self.egress.extend(nat_gateways)

        self.vpc_id = vpc.id
        self.private_subnet_ids = [s.id for s in private_subnets]
        self.public_subnet_ids = [s.id for s in public_subnets]
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )
