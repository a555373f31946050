"""The platform's identity, pinned: Houston's JWT signing key and certificate, and the control plane id.

Chart 2.1.0 mints both at every fresh install (houston-jwt-certificate-secret.yaml: genCA and
genSignedCert in a pre-install hook; cp-identity-secret.yaml: uuidv4 unless
`global.controlPlaneHA.cpId`). After a rebuild every user would be logged out, and the copies of
the certificate Commander synced into the restored deployment namespaces (the certificate
Secret's `astronomer.io/commander-sync` annotation), which the deployments' registry and auth
check tokens against, would no longer match. Here they are generated once, kept in Pulumi state
(secret), and created as Secrets before the release; the chart's own generation is turned off,
since its hook (`before-hook-creation`) would delete and replace ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_random as random
import pulumi_tls as tls
from pulumi_kubernetes.core import v1 as core_v1
from pulumi_kubernetes.meta import v1 as meta_v1
from pulumi_kubernetes.provider import Provider as KubernetesProvider

# The chart's defaults for the Secrets' names (_helpers.yaml houston.jwtKeySecret /
# houston.jwtCertificateSecret); the Commander JWKS hook names the certificate this way too.
JWT_KEY_FILE = "tls.key"
JWT_CERTIFICATE_FILE = "tls.crt"
COMMANDER_SYNC_ANNOTATION = "astronomer.io/commander-sync"
# As the chart's genSignedCert: RSA 2048, ten years (3650 days).
JWT_KEY_BITS = 2048
JWT_VALIDITY_HOURS = 3650 * 24


def jwt_key_secret_name(release_name: str) -> str:
    return f"{release_name}-houston-jwt-signing-key"


def jwt_certificate_secret_name(release_name: str) -> str:
    return f"{release_name}-houston-jwt-signing-certificate"


def houston_dns_names(release_name: str, namespace: str) -> list[str]:
    """The chart's certificate names (CN `<release>-houston` and two service names)."""
    service = f"{release_name}-houston"
    return [f"{service}.{namespace}", f"{service}.{namespace}.svc"]


def identity_values(release_name: str, control_plane_id: str) -> dict[str, Any]:
    """The chart values that make it use the pinned identity instead of minting one."""
    return {
        "global": {"controlPlaneHA": {"cpId": control_plane_id}},
        "astronomer": {
            "houston": {
                "jwtSigningKeySecretName": jwt_key_secret_name(release_name),
                "jwtSigningCertificateSecretName": jwt_certificate_secret_name(release_name),
                "jwks": {"generation": {"enabled": False}},
            }
        },
    }


@dataclass
class PlatformIdentityArgs:
    release_name: str
    namespace: pulumi.Input[str]
    namespace_name: str
    kubernetes_provider: KubernetesProvider
    # The running platform's pair (PEM key, PEM certificate), adopted as secret config: kept, not generated.
    adopted_jwt: tuple[str, str] | None = None


class PlatformIdentity(pulumi.ComponentResource):
    secrets: list[core_v1.Secret]
    control_plane_id: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:platform/identity:PlatformIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        release = args.release_name
        private_key_pem: pulumi.Output[str]
        certificate_pem: pulumi.Output[str]
        if args.adopted_jwt is not None:
            # An adopted platform keeps the pair its users' sessions and its deployments trust.
            private_key_pem, certificate_pem = (pulumi.Output.secret(pem) for pem in args.adopted_jwt)
        else:
            key = tls.PrivateKey(f"{name}-jwt-key", algorithm="RSA", rsa_bits=JWT_KEY_BITS, opts=child)
            certificate = tls.SelfSignedCert(
                f"{name}-jwt-certificate",
                private_key_pem=key.private_key_pem,
                subject=tls.SelfSignedCertSubjectArgs(common_name=f"{release}-houston"),
                dns_names=houston_dns_names(release, args.namespace_name),
                validity_period_hours=JWT_VALIDITY_HOURS,
                allowed_uses=["digital_signature", "key_encipherment"],
                opts=child,
            )
            private_key_pem = pulumi.Output.secret(key.private_key_pem)
            certificate_pem = certificate.cert_pem
        labels = {
            "component": "houston",
            "tier": "astronomer",
            "release": release,
            "app.kubernetes.io/managed-by": "astronomer-dr",
        }
        meta = meta_v1.ObjectMetaArgs
        self.secrets = [
            core_v1.Secret(
                f"{name}-jwt-key",
                metadata=meta(name=jwt_key_secret_name(release), namespace=args.namespace, labels=labels),
                type="Opaque",
                string_data={JWT_KEY_FILE: private_key_pem},
                opts=k8s_opts,
            ),
            core_v1.Secret(
                f"{name}-jwt-certificate",
                metadata=meta(
                    name=jwt_certificate_secret_name(release),
                    namespace=args.namespace,
                    labels=labels,
                    # Commander copies it into every deployment namespace of this platform.
                    annotations={COMMANDER_SYNC_ANNOTATION: f"platform-release={release}"},
                ),
                type="Opaque",
                string_data={JWT_CERTIFICATE_FILE: certificate_pem},
                opts=k8s_opts,
            ),
        ]
        self.control_plane_id = random.RandomUuid(f"{name}-control-plane-id", opts=child).result
        self.register_outputs({"control_plane_id": self.control_plane_id})


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in, maps key by key (neither is changed)."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
