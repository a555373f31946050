#!/usr/bin/env bash
# The pull-request comment of an offline plan, on stdout.
# usage: offline-plan-comment.sh STACK REF REASON DIFF.md PLAN.md STATUS
# DIFF.md is `python -m tools.plan STACK --diff-against REF` (empty when nothing changed) and
# STATUS its exit code; PLAN.md is `python -m tools.plan STACK` (the full plan, folded).
set -euo pipefail
stack=$1 ref=$2 reason=$3 diff=$4 plan=$5 status=${6:-0}

echo "<!-- astronomer-dr offline plan: $stack -->"
echo "> [!NOTE]"
echo "> No \`pulumi preview\` for stack \`$stack\` in this job: $reason. Below is the offline plan"
echo "> (\`python -m tools.plan $stack --diff-against $ref\`): the program evaluated without the cloud,"
echo "> so it shows what the code and stack file change, not drift in the real resources."
echo
if [ "$status" = 2 ]; then
  echo "## Offline plan diff: stack \`$stack\`"
  echo
  echo "The diff against \`$ref\` could not be computed (see the job log)."
elif [ -s "$diff" ]; then
  cat "$diff"
else
  echo "## Offline plan diff: stack \`$stack\`"
  echo
  echo "No resource changes against \`$ref\`."
fi
echo
echo "<details><summary>Full offline plan of <code>$stack</code>: resource tree, DR summary, recovery order</summary>"
echo
if [ -s "$plan" ]; then cat "$plan"; else echo "(the plan could not be produced; see the job log)"; fi
echo
echo "</details>"
