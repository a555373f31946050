"""A throwaway certificate authority for the tests: real PEM material, made once per session.

EC P-256 keys (generated in milliseconds). `issue` makes the variants the TLS tests need: other
names, other validity windows, a key of its own or another's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

BASE_DOMAIN = "astro.acme.example.com"  # both committed stack files' platform.baseDomain
# The session's certificate also covers the base domain the config unit tests use.
UNIT_TEST_DOMAIN = "astro.example.com"


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key, password: bytes | None = None) -> str:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()


def cert_pem(*certs: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


NOW = datetime.now(UTC)


def certificate_authority(now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A test CA valid from the day before `now` for ten years (and its key)."""
    key = new_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("astronomer-dr test CA"))
        .issuer_name(_name("astronomer-dr test CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


CA, CA_KEY = certificate_authority(NOW)


def issue(
    names: tuple[str, ...] = (BASE_DOMAIN, f"*.{BASE_DOMAIN}"),
    key: ec.EllipticCurvePrivateKey | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A leaf certificate signed by `ca` (default CA) (and its key)."""
    key = key or new_key()
    ca_cert, ca_key = ca or (CA, CA_KEY)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0] if names else BASE_DOMAIN))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - timedelta(days=1))
        .not_valid_after(not_after or NOW + timedelta(days=365))
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


LEAF, LEAF_KEY = issue((BASE_DOMAIN, f"*.{BASE_DOMAIN}", UNIT_TEST_DOMAIN, f"*.{UNIT_TEST_DOMAIN}"))
CERTIFICATE = cert_pem(LEAF, CA)
PRIVATE_KEY = key_pem(LEAF_KEY)
