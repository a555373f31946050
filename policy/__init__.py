"""The astronomer-dr-guardrails policy pack (see README.md). Importing it has no side effects."""
