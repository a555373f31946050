"""NGINX behind a Network Load Balancer, and optionally `*.baseDomain` in Route53 pointing at it.

Unlike GCP there is no address to reserve first: the NLB is created by Kubernetes for NGINX's
LoadBalancer Service and its DNS name exists only after the release. So the record is made after
the platform: the Service is read (`Service.get`) once the platform's ready Job has seen the
Service get its load balancer (components/platform/ready_job.py), and the record is a CNAME to the
NLB's hostname. The Service's id comes from the release's status, so `pulumi preview` on a fresh stack
does not try to read a Service that does not exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import route53
from pulumi_kubernetes.core import v1 as core_v1
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from ..config import AwsDnsSettings
from ..dns import FAILOVER_DNS_TTL_SECONDS


def nlb_annotations(private: bool) -> dict[str, str]:
    """Annotations for NGINX's Service (the chart's `nginx.ingressAnnotations`).

    `aws-load-balancer-type: nlb` makes Kubernetes' AWS cloud provider build an NLB instead of a
    Classic ELB. The scheme is for the AWS Load Balancer Controller, which (when installed, since
    2.5) takes every LoadBalancer Service and makes it internal unless told otherwise; without it
    the chart's own `privateLoadBalancer` annotation decides.
    """
    return {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal" if private else "internet-facing",
    }


def load_balancer_hostname(status: core_v1.outputs.ServiceStatus | None) -> str:
    """The NLB's DNS name from NGINX's Service status. The SDK types every level optional (a Service
    without a load balancer has none); this one is read only once the ready Job saw it assigned."""
    ingress = status.load_balancer.ingress if status and status.load_balancer else None
    hostname = ingress[0].hostname if ingress else None
    if not hostname:
        raise ValueError(f"NGINX's Service has no load balancer hostname, which an NLB publishes (status: {status})")
    return hostname


@dataclass
class IngressArgs:
    base_domain: str
    dns: AwsDnsSettings | None
    kubernetes_provider: KubernetesProvider
    # "<namespace>/<name>" of NGINX's LoadBalancer Service, resolved once the release is deployed.
    service: pulumi.Input[str]
    # What the read waits for: the platform being up (its ready Job), NGINX's address included.
    release: pulumi.Resource


class Ingress(pulumi.ComponentResource):
    hostname: pulumi.Output[str]

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/ingress:Ingress", name, None, opts)
        service = core_v1.Service.get(
            f"{name}-nginx",
            args.service,
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[args.release]),
        )
        self.hostname = service.status.apply(load_balancer_hostname)
        if args.dns is not None:
            route53.Record(
                f"{name}-wildcard",
                zone_id=args.dns.hosted_zone_id,
                name=f"*.{args.base_domain}",
                type="CNAME",
                ttl=FAILOVER_DNS_TTL_SECONDS,
                records=[self.hostname],
                # After a disaster the zone still holds the record for the lost load balancer.
                allow_overwrite=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"hostname": self.hostname})
