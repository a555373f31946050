"""The GitHub workflows: valid against GitHub's workflow schema, and wired as docs/PR-PREVIEWS.md says.

The schema is SchemaStore's github-workflow schema as vendored by `check-jsonschema` (its
`vendor.github-workflows` builtin: the check behind the `check-github-workflows` pre-commit
hook), so validation runs offline. The files are read as YAML 1.2 (ruamel), as GitHub reads them:
`on:` is a key, not the boolean PyYAML makes of it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tools.offline import PROJECT_DIR

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
SCRIPTS = PROJECT_DIR / ".github" / "scripts"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def check_workflows(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
    )


def load(name: str) -> dict:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text())


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def test_every_workflow_is_valid_against_githubs_workflow_schema():
    assert {p.name for p in FILES} >= {"preview.yml", "ci.yml", "up.yml"}
    result = check_workflows(*FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  test:\n    steps:\n      - run: make test\n    permissions:\n      pull-requests: maybe\n"
    )
    result = check_workflows(broken)
    assert result.returncode != 0
    assert "runs-on" in result.stdout or "is not valid" in result.stdout


def test_preview_runs_pulumi_preview_per_stack_with_the_policy_pack_and_keyless_auth():
    workflow = load("preview.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["preview"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write", "id-token": "write"}
    assert (
        job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
        and job["needs"] == "stacks"
    )
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "make venv policy" in runs and "pip install" not in runs
    [preview] = steps_using(job, "pulumi/actions")
    assert preview["uses"].startswith("pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d")
    assert preview["with"] == {
        "command": "preview",
        "stack-name": "${{ matrix.stack }}",
        "comment-on-pr": True,
        "diff": True,
        "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
        "policyPacks": "policy",
        "pulumi-version-file": ".pulumi.version",
    }
    assert preview["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    [google] = steps_using(job, "google-github-actions/auth")
    assert google["with"] == {
        "workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
        "service_account": "${{ vars.GCP_SERVICE_ACCOUNT }}",
    }
    [aws] = steps_using(job, "aws-actions/configure-aws-credentials")
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"


def test_preview_always_posts_the_offline_plan_without_credentials():
    job = load("preview.yml")["jobs"]["offline-plan"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}  # no id-token
    assert "environment" not in job
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    [mode] = [s for s in job["steps"] if s.get("id") == "mode"]
    assert mode["env"]["FORK"] == "${{ github.event.pull_request.head.repo.full_name != github.repository }}"
    assert "preview-$STACK" in mode["run"]  # the reason names the environment to approve
    [offline] = [s for s in job["steps"] if s.get("id") == "plan"]
    assert "if" not in offline
    assert offline["env"]["BASE_REF"] == "${{ github.base_ref }}"
    commands = "\n".join(s.get("run", "") for s in job["steps"])
    assert "make -C base dev" in commands and "bash base/.github/scripts/upsert-pr-comment.sh" in commands
    assert not any("secrets." in str(step) for step in job["steps"])
    # Forks cannot comment: the plan goes to preview-comment.yml as an artifact.
    assert steps_using(job, "actions/upload-artifact")
    comment = load("preview-comment.yml")
    assert comment["on"]["workflow_run"]["workflows"] == [load("preview.yml")["name"]]
    assert comment["permissions"]["pull-requests"] == "write"


def test_up_applies_the_plan_the_approver_saw_per_stack_behind_an_environment():
    """pulumi/actions `plan` input: on preview, where to save the update plan; on up, where to
    read it (pulumi/actions README, "plan"; src/config.ts passes it to the Automation API, which
    adds `--save-plan` to preview and `--plan` to up: pulumi/pulumi sdk/nodejs/automation/stack.ts)."""
    workflow = load("up.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"] == {"group": "up", "cancel-in-progress": False}
    plan, up = workflow["jobs"]["plan"], workflow["jobs"]["up"]
    assert plan["environment"]["name"] == "plan-${{ matrix.stack }}"
    assert up["environment"]["name"] == "${{ matrix.stack }}"
    assert set(plan["needs"]) == {"stacks", "test"} and set(up["needs"]) == {"stacks", "plan"}
    for job in (plan, up):
        assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
        assert "make venv policy" in "\n".join(s.get("run", "") for s in job["steps"])
    assert up["concurrency"]["cancel-in-progress"] is False
    [preview] = steps_using(plan, "pulumi/actions")
    assert preview["with"]["command"] == "preview" and preview["with"]["plan"] == "plan.json"
    assert preview["with"]["comment-on-summary"] is True and preview["with"]["diff"] is True
    [upload] = steps_using(plan, "actions/upload-artifact")
    assert upload["with"]["name"] == "update-plan-${{ matrix.stack }}" and upload["with"]["path"] == "plan.json"
    [download] = steps_using(up, "actions/download-artifact")
    assert download["with"]["name"] == upload["with"]["name"]
    [apply] = steps_using(up, "pulumi/actions")
    assert apply["with"]["command"] == "up" and apply["with"]["plan"] == "plan.json"
    assert apply["with"]["stack-name"] == preview["with"]["stack-name"] == "${{ matrix.stack }}"
    for step in (preview, apply):
        assert step["with"]["policyPacks"] == "policy"
    # The download comes before the update, in the approved job.
    steps = up["steps"]
    assert steps.index(download) < steps.index(apply)


def test_ci_runs_make_test_on_push_and_pull_request():
    workflow = load("ci.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    assert any(s.get("run") == "make test" for s in workflow["jobs"]["test"]["steps"])


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.sh")), ids=lambda p: p.name)
def test_helper_scripts_parse(script):
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    assert script.stat().st_mode & 0o111, f"{script.name} is not executable"


def test_offline_plan_comment_carries_the_stack_marker(tmp_path):
    diff, plan_md = tmp_path / "diff.md", tmp_path / "plan.md"
    diff.write_text("")
    plan_md.write_text("## Offline plan: stack `gcp`\n")
    out = subprocess.run(
        [
            "bash",
            str(SCRIPTS / "offline-plan-comment.sh"),
            "gcp",
            "origin/main",
            "a test",
            str(diff),
            str(plan_md),
            "0",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("<!-- astronomer-dr offline plan: gcp -->\n")
    assert "No resource changes against `origin/main`." in out
    assert "<details>" in out and out.rstrip().endswith("</details>")


def test_the_plan_approvers_read_is_rendered_by_the_base_branchs_tools():
    """Issue 21, item 7: the offline plan is what a maintainer reads before approving the
    credentialed preview, so the code that renders it is the base branch's: the pull request's
    merge commit goes to pr/, its first parent (the base branch's commit GitHub merged it into) to
    base/, and base/'s venv-dev, tools.plan and scripts evaluate pr/'s program and stack files
    (`--project-dir`, tools/plan/cli.py). `--diff-against` then evaluates both trees in a
    subprocess and compares them in a process that never imported the pull request's code
    (tools/plan/against.py)."""
    job = load("preview.yml")["jobs"]["offline-plan"]
    [checkout] = steps_using(job, "actions/checkout")
    assert checkout["with"] == {"path": "pr", "fetch-depth": 2, "persist-credentials": False}
    [base] = [s for s in job["steps"] if "worktree add" in s.get("run", "")]
    assert 'git -C pr update-ref "refs/remotes/origin/${BASE_REF}" HEAD^1' in base["run"]
    assert 'git -C pr worktree add --detach ../base "origin/${BASE_REF}"' in base["run"]
    [offline] = [s for s in job["steps"] if s.get("id") == "plan"]
    assert offline["working-directory"] == "base"
    plan_lines = [line for line in offline["run"].splitlines() if "tools.plan" in line]
    assert plan_lines and all(
        line.strip().startswith('venv-dev/bin/python -m tools.plan "$STACK" --project-dir ../pr') for line in plan_lines
    )
    assert '--diff-against "origin/${BASE_REF}"' in plan_lines[0]
    assert "bash .github/scripts/offline-plan-comment.sh" in offline["run"]  # base/'s, by the working directory
    [setup] = steps_using(job, "actions/setup-python")
    assert setup["with"]["cache-dependency-path"] == "base/requirements-dev.txt"


def test_no_checkout_persists_the_token():
    """Issue 21, item 6: actions/checkout writes the job's token into .git/config unless
    `persist-credentials: false` (actions/checkout README, "persist-credentials"), where the code
    it checked out, or an uploaded artifact, can read it (zizmor's `artipacked` audit)."""
    for path in FILES:
        for job in load(path.name)["jobs"].values():
            for step in steps_using(job, "actions/checkout"):
                assert step.get("with", {}).get("persist-credentials") is False, (path.name, step)


def test_the_workflow_run_trigger_is_suppressed_with_its_reason():
    """Issue 21, item 8: zizmor's `dangerous-triggers` flags every `workflow_run` (zizmor docs,
    https://docs.zizmor.sh/audits/#dangerous-triggers). Ours is suppressed inline, and the reason is
    what the workflow holds: the default branch's scripts only, no write to contents, the artifact's
    fields filtered, the head commit compared."""
    text = (WORKFLOWS / "preview-comment.yml").read_text()
    assert "  workflow_run: # zizmor: ignore[dangerous-triggers] -- runs only trusted code on data" in text
    comment = load("preview-comment.yml")
    assert comment["permissions"]["contents"] == "read"
    [job] = comment["jobs"].values()
    [checkout] = steps_using(job, "actions/checkout")
    assert checkout["with"] == {
        "persist-credentials": False,
        "sparse-checkout": ".github/scripts",
    }  # no ref: the default branch
    run = "\n".join(s.get("run", "") for s in job["steps"])
    assert "tr -dc 0-9" in run and "tr -dc 'a-z0-9-'" in run and '"$head" != "$HEAD_SHA"' in run
    assert not any("secrets." in str(step) for step in job["steps"])
