"""A reserved address for NGINX, so the platform's DNS survives a rebuild, and optionally its record."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import compute, dns

from ..config import GcpDnsSettings
from ..dns import FAILOVER_DNS_TTL_SECONDS


@dataclass
class IngressArgs:
    region: str
    base_domain: str
    dns: GcpDnsSettings | None
    # With a private load balancer: the subnet the internal address is taken from.
    internal_subnet: pulumi.Input[str] | None = None
    # A throwaway stack being torn down: the address may be released.
    teardown: bool = False


class Ingress(pulumi.ComponentResource):
    address: pulumi.Output[str]

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:gcp/ingress:Ingress", name, None, opts)
        internal = args.internal_subnet is not None
        # Protected: a released address is gone for good, and every client's DNS points at it.
        address = compute.Address(
            name,
            name=name,
            region=args.region,
            address_type="INTERNAL" if internal else "EXTERNAL",
            subnetwork=args.internal_subnet,
            network_tier=None if internal else "PREMIUM",
            opts=pulumi.ResourceOptions(parent=self, protect=not args.teardown),
        )
        if args.dns is not None:
            dns.RecordSet(
                f"{name}-wildcard",
                managed_zone=args.dns.managed_zone,
                name=f"*.{args.base_domain}.",
                type="A",
                ttl=FAILOVER_DNS_TTL_SECONDS,
                rrdatas=[address.address],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.address = address.address
        self.register_outputs({"address": self.address})
