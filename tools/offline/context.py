"""What the mocks know about the stack being evaluated (its config, explicit providers' regions,
other stacks' outputs), and the mock values they answer with."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

# What a mock password looks like: every character that breaks an unencoded URL is in it.
MOCK_PASSWORD = "p@ss:w/rd#50%-Mock"
MOCK_JWT_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMOCK-JWT-SIGNING-KEY\n-----END RSA PRIVATE KEY-----\n"
MOCK_JWT_CERT = "-----BEGIN CERTIFICATE-----\nMOCK-JWT-SIGNING-CERTIFICATE\n-----END CERTIFICATE-----\n"
MOCK_UUID = "6f1c2a3e-0b7d-4c59-9a1e-2d3f4b5c6d7e"
MOCK_CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMOCK CA\n-----END CERTIFICATE-----\n").decode()

# What a resource type computes (RegisterResource) and what an invoke answers, given the stack.
OutputFn = Callable[[pulumi_mocks.MockResourceArgs, "Context"], dict]


@dataclass
class Context:
    config: Mapping[str, str]
    # Explicit providers' regions by provider id (e.g. an aws.Provider for a backup replica region).
    provider_regions: dict[str, str] = field(default_factory=dict)
    # Other stacks' outputs by fully qualified name (`org/project/stack`), for StackReference reads.
    stack_outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Backups buckets' objects (bucket -> key -> content) the storage invokes read; None: every
    # bucket holds tools/offline/backups.py's fixture, dated from `clock`.
    buckets: Mapping[str, Mapping[str, str]] | None = None
    clock: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The moment the clouds answer for (the evaluation's `now`); None: as last checked (invokes.py).
    now: datetime | None = None

    def region_of(self, args: pulumi_mocks.MockResourceArgs, default: str) -> str:
        """The region a resource is created in: its explicit provider's, else the stack's."""
        provider_id = (args.provider or "").rsplit("::", 1)[-1]
        return self.provider_regions.get(provider_id, default)

    @property
    def gcp_project(self) -> str:
        return self.config.get("gcp:project", "mock-project")

    @property
    def gcp_region(self) -> str:
        return self.config.get("gcp:region", "us-central1")

    @property
    def aws_region(self) -> str:
        return self.config.get("aws:region", "us-east-1")


# What the engine appends to a resource name to make a physical name the program leaves to Pulumi
# (auto-naming adds a random suffix): such a name is only known once the stack is up.
MOCK_NAME_SUFFIX = "-mock1234"


def mock_name(args: pulumi_mocks.MockResourceArgs) -> str:
    return args.inputs.get("name") or f"{args.name}{MOCK_NAME_SUFFIX}"


def is_engine_generated(value: object) -> bool:
    """Whether a value holds a name the offline engine made up (a plan shows what the user knows)."""
    return isinstance(value, str) and MOCK_NAME_SUFFIX in value


CallFn = Callable[[pulumi_mocks.MockCallArgs, "Context"], dict]


# AWS: the account, and the names AWS generates.
MOCK_AWS_ACCOUNT = "111122223333"
MOCK_EKS_SECURITY_GROUP = "sg-0e4b5c6d7e8f90123"
MOCK_NLB_HOSTNAME = "a1b2c3d4e5f6-0123456789abcdef.elb.us-east-1.amazonaws.com"
