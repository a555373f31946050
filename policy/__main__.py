"""Entry point the Pulumi CLI runs for `--policy-pack policy`: builds the pack, which serves forever.

Never import this module (the PolicyPack constructor blocks); import `policies` instead.
"""

from pulumi_policy import PolicyPack

try:  # run by the CLI: the pack directory is on sys.path
    from policies import ENFORCEMENT_LEVEL, PACK_NAME, POLICIES  # type: ignore[import-not-found]  # the CLI layout
except ModuleNotFoundError as error:  # run from the project root: python -m policy
    if error.name != "policies":
        raise
    from policy.policies import ENFORCEMENT_LEVEL, PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=ENFORCEMENT_LEVEL)
