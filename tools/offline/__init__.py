"""An offline engine: runs the real program with a stack's real config, no CLI and no cloud.

It is Pulumi's mock runtime with a monitor that records every RegisterResource request in full
(parent, protect, dependencies, secret inputs), answers with the outputs each resource type
really computes, and behaves like the engine where the plain mocks do not: outputs named in
`additionalSecretOutputs` come back secret. The tests and `tools/plan/` share it.

    engine.py    the mocks and recording monitor; `evaluate` runs `__main__.py` under them
    records.py   what an evaluation records (`Evaluation`, `Registered`, `Secret`)
    outputs.py   the outputs each resource type computes (RESOURCE_OUTPUTS, RESOURCE_IDS)
    invokes.py   what each invoke answers (CALL_RESULTS, GKE_SERVER_CONFIG, EKS_CLUSTER_VERSIONS)
    context.py   what the mocks know of the stack, and the mock values they answer with
    stack.py     the stack file's config as the CLI hands it to the program

The SDK internals it needs are reached only through tools/pulumi_internals.py.
"""

from tools.offline.context import (
    MOCK_AWS_ACCOUNT,
    MOCK_CA,
    MOCK_EKS_SECURITY_GROUP,
    MOCK_JWT_CERT,
    MOCK_JWT_KEY,
    MOCK_NLB_HOSTNAME,
    MOCK_PASSWORD,
    MOCK_UUID,
    Context,
)
from tools.offline.engine import STACK_REFERENCE, evaluate, stack_reference_state
from tools.offline.invokes import CALL_RESULTS, EKS_CLUSTER_VERSIONS, GKE_SERVER_CONFIG
from tools.offline.outputs import MOCK_SQL_IP, RESOURCE_IDS, RESOURCE_OUTPUTS, _sql_private_ip, mock_oidc_issuer
from tools.offline.records import (
    SECRET_PLACEHOLDER,
    Evaluation,
    Registered,
    Secret,
    mask,
    plaintext_occurrences,
    reveal,
)
from tools.offline.stack import PROJECT_DIR, PROJECT_NAME, _config_string, stack_config

__all__ = [
    "CALL_RESULTS",
    "EKS_CLUSTER_VERSIONS",
    "GKE_SERVER_CONFIG",
    "MOCK_AWS_ACCOUNT",
    "MOCK_CA",
    "MOCK_EKS_SECURITY_GROUP",
    "MOCK_JWT_CERT",
    "MOCK_JWT_KEY",
    "MOCK_NLB_HOSTNAME",
    "MOCK_PASSWORD",
    "MOCK_SQL_IP",
    "MOCK_UUID",
    "PROJECT_DIR",
    "PROJECT_NAME",
    "RESOURCE_IDS",
    "RESOURCE_OUTPUTS",
    "SECRET_PLACEHOLDER",
    "STACK_REFERENCE",
    "Context",
    "Evaluation",
    "Registered",
    "Secret",
    "_config_string",
    "_sql_private_ip",
    "evaluate",
    "mask",
    "mock_oidc_issuer",
    "plaintext_occurrences",
    "reveal",
    "stack_config",
    "stack_reference_state",
]
