"""Shared fixtures: each stack is evaluated once per session by the offline engine.

Tests assert on what the real `__main__.py` registers with the real stack files; only the TLS
secrets, which a real stack file holds encrypted, are supplied here (real PEM, tests/pki.py).
"""

from __future__ import annotations

import functools

import pytest

from tests import pki
from tools.offline import Evaluation, evaluate

# A real chain (leaf for astro.acme.example.com and *.astro.acme.example.com, then a test CA) and
# its key, made at session start (tests/pki.py): the program parses them.
TEST_CERTIFICATE = pki.CERTIFICATE
TEST_PRIVATE_KEY = pki.PRIVATE_KEY
TLS_SECRETS = {
    "astronomer-dr:tlsCertificate": TEST_CERTIFICATE,
    "astronomer-dr:tlsKey": TEST_PRIVATE_KEY,
}


def evaluate_stack(stack: str, **overrides) -> Evaluation:
    """The stack as committed (plus TLS secrets), with stack-file keys overridden (None removes)."""
    return evaluate(stack, secrets=TLS_SECRETS, overrides=overrides)


@functools.cache
def committed_stack(stack: str) -> Evaluation:
    evaluation = evaluate_stack(stack)
    if evaluation.error is not None:
        raise AssertionError(f"stack {stack} failed to evaluate: {evaluation.error}") from evaluation.error
    return evaluation


@pytest.fixture(scope="session")
def gcp() -> Evaluation:
    return committed_stack("gcp")


@pytest.fixture(scope="session")
def aws() -> Evaluation:
    return committed_stack("aws")


def said(message: str | None) -> str:
    """A check's message (the checks return None when all is well), for asserting on its text: a
    check that said nothing fails the test here, by name, instead of as a TypeError on `in`."""
    assert message is not None, "the check said nothing (None)"
    return message


# ---- cloud-agnostic checks on an evaluated stack (shared by the per-cloud stack tests) ----------


def secret_leaks(evaluation: Evaluation, needle: str) -> list[str]:
    """Where `needle` appears in plain text: registered inputs outside a Secret, reads, stack outputs."""
    from tools.offline import plaintext_occurrences

    leaks = [
        f"{r.type} {r.name}{p}"
        for r in evaluation.resources + evaluation.reads
        for p in plaintext_occurrences(r.inputs, needle)
    ]
    return leaks + [f"output{p}" for p in plaintext_occurrences(evaluation.outputs, needle)]


def bootstrap_connection_url(evaluation: Evaluation):
    """The `astronomer-bootstrap` Secret's connection string, split (urllib.parse.SplitResult)."""
    from urllib.parse import urlsplit

    from tools.offline import Secret

    [secret] = [
        r for r in evaluation.of_type("kubernetes:core/v1:Secret") if r.input("metadata.name") == "astronomer-bootstrap"
    ]
    assert isinstance(secret.inputs["stringData"], Secret)
    return urlsplit(secret.input("stringData.connection"))
