"""The guardrails of the ``astronomer-dr-guardrails`` pack, one module per thing they guard.

``policy/policies.py`` collects them; relative imports only, so that the package loads both as
``guardrails`` (the CLI runs the pack with its directory on sys.path) and as ``policy.guardrails``.
"""
