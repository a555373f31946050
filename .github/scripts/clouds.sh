#!/usr/bin/env bash
# Which clouds a credentialed job needs: the stack's own (`astronomer-dr:cloud` in
# Pulumi.<stack>.yaml) and the state bucket's (gs:// or s3://). Fails, naming them, when the environment's variables
# for those clouds are missing (a new stack's environment that nobody set up yet, for example).
# Reads STACK, PULUMI_BACKEND_URL, GCP_PROVIDER, GCP_SERVICE_ACCOUNT, AWS_ROLE_ARN; writes
# gcp=true|false and aws=true|false to $GITHUB_OUTPUT.
set -euo pipefail
needs_gcp=false; needs_aws=false
cloud=$(sed -n 's/^  astronomer-dr:cloud: *//p' "Pulumi.$STACK.yaml" | tr -d "\"' ")
case "$cloud" in
  gcp) needs_gcp=true;;
  aws) needs_aws=true;;
  *) echo "::error::Pulumi.$STACK.yaml: astronomer-dr:cloud is '$cloud', not gcp or aws"; exit 1;;
esac
case "${PULUMI_BACKEND_URL:-}" in gs://*) needs_gcp=true;; s3://*) needs_aws=true;; esac
missing=""
[ -n "${PULUMI_BACKEND_URL:-}" ] || missing="$missing PULUMI_BACKEND_URL"
if [ "$needs_gcp" = true ]; then
  [ -n "${GCP_PROVIDER:-}" ] || missing="$missing GCP_WORKLOAD_IDENTITY_PROVIDER"
  [ -n "${GCP_SERVICE_ACCOUNT:-}" ] || missing="$missing GCP_SERVICE_ACCOUNT"
fi
if [ "$needs_aws" = true ]; then
  [ -n "${AWS_ROLE_ARN:-}" ] || missing="$missing AWS_ROLE_ARN"
fi
if [ -n "$missing" ]; then
  echo "::error::variables not set for the environment of stack $STACK:$missing (docs/PR-PREVIEWS.md, one-time setup)"
  exit 1
fi
echo "gcp=$needs_gcp" >> "$GITHUB_OUTPUT"
echo "aws=$needs_aws" >> "$GITHUB_OUTPUT"
