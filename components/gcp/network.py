"""VPC, node subnet with pod and service ranges, private services access for Cloud SQL, Cloud NAT."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
from pulumi_gcp import compute, servicenetworking

from ..config import GcpNetworkSettings

PODS_RANGE = "pods"
SERVICES_RANGE = "services"


@dataclass
class NetworkArgs:
    settings: GcpNetworkSettings
    region: str
    # A standby in a second region shares its primary's (global) VPC: the self link of that VPC,
    # which already has private services access. Only the subnet, router and NAT are then made here.
    shared_vpc: pulumi.Input[str] | None = None


class Network(pulumi.ComponentResource):
    network_id: pulumi.Output[str]
    network_self_link: pulumi.Output[str]
    subnet_self_link: pulumi.Output[str]
    pods_range_name: str
    services_range_name: str
    # Cloud SQL private IP can only be allocated once the peering exists.
    private_services_access: servicenetworking.Connection | None
    # The range reserved for it: where a restored (cloned) instance takes its address.
    private_services_range_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings

        if args.shared_vpc is not None:
            vpc_id = vpc_self_link = pulumi.Output.from_input(args.shared_vpc)
        else:
            vpc = compute.Network(
                f"{name}-vpc",
                name=f"{name}-vpc",
                auto_create_subnetworks=False,
                routing_mode="REGIONAL",
                opts=child,
            )
            vpc_id, vpc_self_link = vpc.id, vpc.self_link
        subnet = compute.Subnetwork(
            f"{name}-nodes",
            name=f"{name}-nodes",
            network=vpc_id,
            region=args.region,
            ip_cidr_range=settings.subnet_cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                compute.SubnetworkSecondaryIpRangeArgs(range_name=PODS_RANGE, ip_cidr_range=settings.pods_cidr),
                compute.SubnetworkSecondaryIpRangeArgs(range_name=SERVICES_RANGE, ip_cidr_range=settings.services_cidr),
            ],
            opts=child,
        )
        if args.shared_vpc is None:
            private_services_range = compute.GlobalAddress(
                f"{name}-private-services",
                name=f"{name}-private-services",
                network=vpc_id,
                purpose="VPC_PEERING",
                address_type="INTERNAL",
                # Explicit, chosen clear of the node, pod and service ranges (not left to GCP's allocator,
                # which sees only ranges that already exist), and after the subnet. `address` is ForceNew:
                # a stack whose range GCP already allocated keeps it (ignore_changes), since replacing
                # the range would cut Cloud SQL off.
                address=private_services_address(settings),
                prefix_length=settings.private_services_prefix_length,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[subnet], ignore_changes=["address"]),
            )
            self.private_services_access = servicenetworking.Connection(
                f"{name}-private-services",
                network=vpc_id,
                service="servicenetworking.googleapis.com",
                reserved_peering_ranges=[private_services_range.name],
                # Deleting the peering fails while Cloud SQL still uses it (a drill's teardown deletes both):
                # abandon it; it goes with the VPC.
                deletion_policy="ABANDON",
                opts=child,
            )
            self.private_services_range_name = private_services_range.name
        else:
            # The primary's: one private services access per VPC, global, serving every region.
            self.private_services_access = None
            self.private_services_range_name = None
        # Private nodes reach image registries (quay.io, the chart's images) only through NAT.
        router = compute.Router(f"{name}-router", name=f"{name}-router", network=vpc_id, region=args.region, opts=child)
        compute.RouterNat(
            f"{name}-nat",
            name=f"{name}-nat",
            router=router.name,
            region=args.region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            log_config=compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child,
        )

        self.network_id = vpc_id
        self.network_self_link = vpc_self_link
        self.subnet_self_link = subnet.self_link
        self.pods_range_name = PODS_RANGE
        self.services_range_name = SERVICES_RANGE
        self.register_outputs({"network": self.network_self_link, "subnet": self.subnet_self_link})


NETWORK_PATH = re.compile(r"^(?:https?://.+/)?(projects/[^/]+/global/networks/[a-z](?:[-a-z0-9]*[a-z0-9])?)$")


def network_id(project: str, network: str) -> str:
    """`projects/<p>/global/networks/<n>` for a VPC given by name, self link or that id.

    Cloud SQL's `private_network` takes only that form (terraform-provider-google-beta
    google-beta/services/sql/resource_sql_database_instance.go:47 `privateNetworkLinkRegex`, the
    ValidateFunc at :671): a plain name is refused at plan time.
    """
    m = NETWORK_PATH.match(network)
    if m:
        return m.group(1)
    if "/" in network:
        from ..schema import ConfigError

        raise ConfigError(
            [
                f"astronomer-dr:cluster.existing.network: must be a VPC name, self link or projects/<p>/global/networks/<n>, got {network!r}"
            ]
        )
    return f"projects/{project}/global/networks/{network}"


# Where the private services range is placed: RFC 1918 space, first fit.
PRIVATE_SERVICES_SPACE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


def private_services_address(settings: GcpNetworkSettings) -> str:
    """The first block of `private_services_prefix_length` in RFC 1918 space that overlaps none of the
    node subnet, the pod and service ranges (and GKE's control-plane /28, 172.16.0.0/28 by default)."""
    import ipaddress

    taken = [
        ipaddress.ip_network(c)
        for c in (settings.subnet_cidr, settings.pods_cidr, settings.services_cidr, "172.16.0.0/28")
    ]
    for space in PRIVATE_SERVICES_SPACE:
        network = ipaddress.ip_network(space)
        if settings.private_services_prefix_length < network.prefixlen:
            continue
        for block in network.subnets(new_prefix=settings.private_services_prefix_length):
            if not any(block.overlaps(t) for t in taken):
                return str(block.network_address)
    raise ValueError("no private services range of that size is free in RFC 1918 space")
