"""Evaluating a stack offline for the plan: the real program under tools/offline/, with
placeholders for the values a stack file only holds encrypted."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Where `tools` lives: the code that runs, whichever tree it evaluates.
TOOLS_ROOT = Path(__file__).resolve().parent.parent.parent
DOCUMENT_VERSION = 1

# Placeholders for values that only exist encrypted. They are shaped to pass the program's
# validation (the TLS keys must look like PEM) and say plainly what they are.
SECRET_PLACEHOLDERS = {
    "tlsCertificate": "-----BEGIN CERTIFICATE-----\nOFFLINE-PLAN-PLACEHOLDER\n-----END CERTIFICATE-----\n",
    "tlsKey": "-----BEGIN PRIVATE KEY-----\nOFFLINE-PLAN-PLACEHOLDER\n-----END PRIVATE KEY-----\n",
}
GENERIC_PLACEHOLDER = "offline-plan-placeholder"
MASKED = "[secret]"  # tools.offline.SECRET_PLACEHOLDER; repeated so the diff needs no Pulumi import


def _program_config_module(project_dir: Path) -> Any:
    """`components.config` of the tree being evaluated (for SECRET_KEYS and PROJECT), or None.

    The program imports `components` from its own tree; importing it here first, from the same
    tree, keeps the module cache consistent. A process that already holds another tree's
    `components` cannot evaluate this one: --diff-against evaluates its trees in a fresh interpreter
    that drops one tree's modules before the next (tools/plan/trees.py).
    """
    project_dir = project_dir.resolve()
    loaded = sys.modules.get("components")
    if loaded is not None:
        origin = Path(getattr(loaded, "__file__", None) or next(iter(getattr(loaded, "__path__", [])), "")).resolve()
        if project_dir not in origin.parents:
            raise RuntimeError(
                f"this process already imported `components` from {origin.parent}; evaluate {project_dir} "
                "in its own process (python -m tools.plan STACK --project-dir DIR)"
            )
    elif str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    try:
        import components.config as config_module
    except Exception:  # an older or broken tree: the evaluation itself will report what is wrong
        return None
    return config_module


def placeholder_for(key: str) -> str:
    return SECRET_PLACEHOLDERS.get(key.split(":", 1)[-1], GENERIC_PLACEHOLDER)


def placeholder_tls(base_domain: str) -> tuple[str, str]:
    """A stand-in certificate and key for <base_domain> and *.<base_domain>, because the program
    parses its TLS material. Byte-for-byte the same on every run (a fixed key, a deterministic
    ECDSA signature, fixed dates), so a diff never shows it as a change."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.derive_private_key(0x0FF11E, ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "offline plan placeholder")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2000, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(base_domain), x509.DNSName(f"*.{base_domain}")]), critical=False
        )
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key_pem


def _base_domain(config: Mapping[str, str], namespace: str) -> str | None:
    try:
        platform = json.loads(config.get(f"{namespace}:platform") or "{}")
    except ValueError:
        return None
    domain = platform.get("baseDomain") if isinstance(platform, dict) else None
    return domain if isinstance(domain, str) and domain.isascii() and domain else None


def evaluate_stack(
    stack: str,
    project_dir: Path = TOOLS_ROOT,
    now: datetime | None = None,
    overrides: Mapping[str, Any] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
):
    """Runs the program of `project_dir` for `stack` offline, its clock answering `now` (default the
    real one), with stack-file keys `overrides` (a recovery scenario's config) and other stacks'
    outputs `stack_outputs` (default: a standby's primary evaluated from its stack file).
    Returns (Evaluation, placeholder keys)."""
    # Before the evaluated tree goes on sys.path: `tools` is a namespace package, and a later
    # import could find that tree's own (older) tools/offline first.
    from tools import offline

    config_module = _program_config_module(project_dir)
    namespace = getattr(config_module, "PROJECT", offline.PROJECT_NAME)
    required = [f"{namespace}:{key}" for key in getattr(config_module, "SECRET_KEYS", ())]
    config, secure_keys = offline.stack_config(stack, project_dir)
    secrets: dict[str, str] = {}
    domain = _base_domain(config, namespace)
    tls = placeholder_tls(domain) if domain else None
    for key in [*secure_keys, *(k for k in required if k not in config)]:
        config.pop(key, None)
        secrets[key] = placeholder_for(key)
        if tls and key in (f"{namespace}:tlsCertificate", f"{namespace}:tlsKey"):
            secrets[key] = tls[0] if key.endswith(":tlsCertificate") else tls[1]
    with warnings.catch_warnings():
        # First access to pulumi_gcp.storage / pulumi_aws.s3 warns about their deprecated V2 modules.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulumi_(gcp|aws)(\.|$)")
        evaluation = offline.evaluate(
            stack,
            config=config,
            secrets=secrets,
            overrides=overrides,
            project_dir=project_dir,
            now=now,
            stack_outputs=stack_outputs,
        )
    return evaluation, sorted(secrets)
