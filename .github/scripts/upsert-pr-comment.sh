#!/usr/bin/env bash
# Creates, or updates in place, the offline-plan comment of one stack on a pull request: one
# comment per stack, found by its marker, instead of a new comment on every push.
# usage: GH_TOKEN=... upsert-pr-comment.sh OWNER/REPO PR_NUMBER STACK BODY.md
set -euo pipefail
repo=$1 pr=$2 stack=$3 body=$4
[[ $pr =~ ^[0-9]+$ ]] || { echo "not a pull request number: $pr" >&2; exit 1; }
[[ $stack =~ ^[a-z0-9-]+$ ]] || { echo "not a stack name: $stack" >&2; exit 1; }
marker="<!-- astronomer-dr offline plan: $stack -->"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The marker first, whatever the body holds.
{ echo "$marker"; grep -vF "$marker" "$body" || true; } > "$scratch/body.md"

# GitHub refuses comments over 65536 characters; cut on a character boundary and say so.
limit=60000
if [ "$(wc -c < "$scratch/body.md")" -gt "$limit" ]; then
  head -c "$limit" "$scratch/body.md" | iconv -f utf-8 -t utf-8 -c > "$scratch/cut.md" || true
  printf '\n\n</details>\n\n_Truncated: the full plan is in the summary of the workflow run._\n' >> "$scratch/cut.md"
  mv "$scratch/cut.md" "$scratch/body.md"
fi

id=$(gh api --paginate "repos/$repo/issues/$pr/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"$marker\"))) | .id" | awk 'NR == 1')
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$repo/issues/comments/$id" -F "body=@$scratch/body.md" --silent
  echo "updated comment $id on #$pr"
else
  gh api --method POST "repos/$repo/issues/$pr/comments" -F "body=@$scratch/body.md" --silent
  echo "commented on #$pr"
fi
