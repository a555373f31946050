"""Shared fixtures: each stack is evaluated once per session by the offline engine.

Tests assert on what the real `__main__.py` registers with the real stack files; only the TLS
secrets, which a real stack file holds encrypted, are supplied here (real PEM, tests/pki.py).
"""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Generator

import pytest

from tests import pki
from tools.offline import Evaluation, evaluate

# The cyclic garbage collector, tuned for this suite (docs/DEVELOPING.md, "Tests"). An evaluation imports the
# SDK modules its resource types live in: hundreds of thousands of long-lived objects, which every
# full collection walked again (about a third of the suite's time). A larger first generation
# means far fewer collections while the SDKs are imported (this also holds in the fresh
# interpreters that import this module to evaluate a stack); once a test has imported new
# modules, they are collected once and frozen (`gc.freeze`), out of every later collection's way.
gc.set_threshold(50_000, 20, 100)

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


_modules_frozen = 0


def _freeze_new_modules() -> None:
    global _modules_frozen
    if len(sys.modules) != _modules_frozen:
        gc.collect()
        gc.freeze()
        _modules_frozen = len(sys.modules)


def pytest_collection_finish(session: pytest.Session) -> None:
    _freeze_new_modules()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    yield  # the test's fixtures torn down
    _freeze_new_modules()


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
