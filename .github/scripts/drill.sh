#!/usr/bin/env bash
# One phase of the monthly drill (.github/workflows/drill.yml) of STACK: `make drill ... RUN=1`
# (tools/drill.py) into the throwaway stack drill-<STACK>, timed, with what it found written to
# the job summary. A failing phase fails the job (and so the workflow).
# usage: drill.sh restore|check|teardown
# Reads STACK, AT (the restore point, inside the window: the workflow takes two hours ago),
# DRILL_GCP_PROJECT (GCP: the drill project a point-in-time clone goes to) and GITHUB_STEP_SUMMARY.
set -euo pipefail
phase=$1
case "$phase" in restore|check|teardown) ;; *) echo "::error::phase must be restore, check or teardown, not '$phase'"; exit 2;; esac
: "${STACK:?}" "${AT:?}" "${GITHUB_STEP_SUMMARY:?}"
file="Pulumi.$STACK.yaml"
cloud=$(sed -n 's/^  astronomer-dr:cloud: *//p' "$file" | tr -d "\"' ")
# The Airflow deployments too: every primary backs them up with Velero (`backups` is on by default).
args=(drill "STACK=$STACK" "AT=$AT" "PHASE=$phase" DEPLOYMENTS=1 RUN=1)
if [ "$cloud" = gcp ]; then
  # A Cloud SQL point-in-time clone joins its source's VPC unless it is cross-project (tools/drill.py).
  if [ -z "${DRILL_GCP_PROJECT:-}" ]; then
    echo "::error::set the variable DRILL_GCP_PROJECT on the environment drill-$STACK (docs/MONITORING.md, 'Monthly drill')"
    exit 1
  fi
  args+=("PROJECT=$DRILL_GCP_PROJECT")
fi

start=$(date +%s)
status=0
make "${args[@]}" || status=$?
seconds=$(( $(date +%s) - start ))

{
  if [ "$phase" = restore ]; then
    echo "## Drill of \`$STACK\` into \`drill-$STACK\`"
    echo
    echo "| | |"
    echo "|---|---|"
    echo "| Restore point (AT) | \`$AT\` |"
    echo "| Measured RTO (restore phase) | $((seconds / 60)) min $((seconds % 60)) s |"
  fi
  echo "| Phase \`$phase\` | $([ "$status" = 0 ] && echo "passed" || echo "**FAILED** (exit $status)") in ${seconds} s |"
} >> "$GITHUB_STEP_SUMMARY"

if [ "$phase" = restore ] && [ "$status" = 0 ]; then
  # What came back: the drill stack's outputs (secret ones stay `[secret]`).
  {
    echo
    echo "What came back (\`pulumi stack output --stack drill-$STACK\`):"
    echo
    echo '```'
    pulumi stack output --stack "drill-$STACK" || echo "(the outputs could not be read)"
    echo '```'
    echo
  } >> "$GITHUB_STEP_SUMMARY"
  # Measured beside modelled (docs/RECOVERY-TIME.md): each resource's step, timed from the restore's
  # engine event log, beside the recovery-time model's figure. A failure here does not fail the drill.
  {
    make -s --no-print-directory drill "STACK=$STACK" "AT=$AT" DEPLOYMENTS=1 RECORD=1 || echo "(the comparison with the model failed: see the job log)"
    echo
  } >> "$GITHUB_STEP_SUMMARY"
fi
exit "$status"
