#!/usr/bin/env bash
# The stacks of this project as a JSON list, for a job matrix: one per Pulumi.<stack>.yaml in the
# project root, so a stack file added as docs/CONFIG.md ("Stack config") says is previewed and
# deployed without editing a workflow. With an argument (up.yml's workflow_dispatch input), only
# that stack, if it has a file.
# usage: stacks.sh [STACK]; PRIMARIES_ONLY=1 leaves out standbys (a file with `astronomer-dr:standby:`).
set -euo pipefail
cd "$(dirname "$0")/../.."
only=${1:-}
stacks=()
for file in Pulumi.*.yaml; do
  [ -e "$file" ] || continue
  stack=${file#Pulumi.}
  stack=${stack%.yaml}
  [[ $stack =~ ^[a-z0-9-]+$ ]] || { echo "not a stack name GitHub environments can carry: $file" >&2; exit 1; }
  if [ "${PRIMARIES_ONLY:-}" = 1 ] && grep -q '^  astronomer-dr:standby:' "$file"; then continue; fi
  if [ -z "$only" ] || [ "$stack" = "$only" ]; then stacks+=("\"$stack\""); fi
done
if [ ${#stacks[@]} -eq 0 ]; then echo "no stack file Pulumi.${only:-<stack>}.yaml" >&2; exit 1; fi
(IFS=,; echo "[${stacks[*]}]")
