"""Checks of the platform's TLS certificate chain and key, parsed with `cryptography`. Pure.

NGINX serves `<baseDomain>` and `*.<baseDomain>` (app., houston., registry., ...) with this pair;
a mistake here surfaces only after `pulumi up`, as browsers and the registry refusing the platform.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

EXPIRY_WARNING = timedelta(days=30)
_PEM_HEAD = "-----BEGIN "


def _covers(pattern: str, name: str) -> bool:
    """RFC 6125 6.4.3: a `*` only as the whole left-most label, matching exactly one label."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern == name:
        return True
    if pattern.startswith("*."):
        head, _, tail = name.partition(".")
        return bool(head) and head != "*" and tail == pattern[2:]
    return False


def _public_der(key) -> bytes:
    """The DER public key of a certificate's public key or of a private key."""
    if hasattr(key, "private_bytes"):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_tls(
    certificate: str, private_key: str, base_domain: str | None, now: datetime
) -> tuple[dict[str, str], list[str]]:
    """({"tlsCertificate"|"tlsKey": why refused}, [warnings]) for a PEM chain and key."""
    problems: dict[str, str] = {}
    warnings: list[str] = []

    if "PRIVATE KEY-----" in certificate:
        problems["tlsCertificate"] = (
            "holds a private key: the certificate is public (it is served to every client); set only the "
            "CERTIFICATE blocks here and the key in tlsKey, then rotate the key if this value was shared"
        )
    chain: list[x509.Certificate] = []
    if "tlsCertificate" not in problems:
        try:
            chain = x509.load_pem_x509_certificates(certificate.encode())
        except ValueError as error:
            problems["tlsCertificate"] = f"is not a PEM certificate chain ({error})"

    key = None
    if "ENCRYPTED" in private_key:
        problems["tlsKey"] = (
            "is encrypted: NGINX cannot use a key that needs a passphrase; decrypt it (`openssl pkey -in key.pem -out plain.pem`)"
        )
    elif private_key.count(_PEM_HEAD) - private_key.count(_PEM_HEAD + "EC PARAMETERS") != 1:
        # `openssl ecparam -genkey` writes an EC PARAMETERS block before the key: that is fine.
        problems["tlsKey"] = (
            "must be exactly one PEM private key block (a certificate pasted here belongs in tlsCertificate)"
        )
    else:
        try:
            key = serialization.load_pem_private_key(private_key.encode(), password=None)
        except TypeError:
            problems["tlsKey"] = "is encrypted: NGINX cannot use a key that needs a passphrase; decrypt it first"
        except (ValueError, UnsupportedAlgorithm) as error:
            problems["tlsKey"] = f"is not a PEM private key ({error})"
        if key is not None and not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            kind = (
                "DSA"
                if isinstance(key, dsa.DSAPrivateKey)
                else "Ed25519/Ed448"
                if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey))
                else type(key).__name__
            )
            problems["tlsKey"] = f"must be an RSA or ECDSA key (browsers do not accept {kind} server certificates)"
            key = None

    if not chain:
        return problems, warnings
    leaf = chain[0]
    if key is not None and _public_der(key) != _public_der(leaf.public_key()):
        matching = next((i for i, c in enumerate(chain) if _public_der(c.public_key()) == _public_der(key)), None)
        if matching:
            problems["tlsCertificate"] = (
                f"must start with the certificate of tlsKey (it is certificate {matching + 1} of the chain): leaf first, then intermediates"
            )
        else:
            problems["tlsKey"] = (
                "does not match the certificate (the first certificate of tlsCertificate): set the key that was issued with it"
            )

    if base_domain and "tlsCertificate" not in problems:
        try:
            names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName
            )
        except x509.ExtensionNotFound:
            names = []
        missing = [n for n in (base_domain, f"*.{base_domain}") if not any(_covers(p, n) for p in names)]
        if missing:
            problems["tlsCertificate"] = (
                f"does not cover {' and '.join(missing)} (its names: {', '.join(names) or 'none; browsers ignore the common name'}); "
                f"the platform serves {base_domain} and every *.{base_domain}"
            )

    for index in range(len(chain) - 1):
        child, parent = chain[index], chain[index + 1]
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            problems.setdefault(
                "tlsCertificate",
                f"certificate {index + 2} of the chain did not issue certificate {index + 1}: order it leaf first, then each issuer",
            )
            break

    for index, cert in enumerate(chain):
        label = "the certificate" if index == 0 else f"certificate {index + 1} of the chain"
        ends = cert.not_valid_after_utc
        if ends <= now:
            warnings.append(
                f"astronomer-dr:tlsCertificate: {label} expired at {ends:%Y-%m-%dT%H:%M:%SZ}: clients will refuse the platform; renew it"
            )
        elif ends - now <= EXPIRY_WARNING:
            days = (ends - now).days
            warnings.append(
                f"astronomer-dr:tlsCertificate: {label} expires at {ends:%Y-%m-%dT%H:%M:%SZ} (in {days} days): renew it soon"
            )
        if cert.not_valid_before_utc > now:
            warnings.append(
                f"astronomer-dr:tlsCertificate: {label} is not valid before {cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ}"
            )
    return problems, warnings
