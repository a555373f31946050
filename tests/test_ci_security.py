"""CI security: credentials only behind GitHub environments, actions pinned by SHA, matrices from
the stack files, and docs/PR-PREVIEWS.md's identities and roles matching what the program registers.

Facts relied on:
- A preview on a self-managed (DIY) backend takes no lock and writes no state: pulumi/pulumi
  pkg/backend/diy/backend.go, `(*diyBackend).Preview` calls `backend.Preview` with no `b.Lock`
  (`Update`, `Import`, `Refresh`, `Destroy` lock), and `apply` creates a snapshot persister and
  writes history only `if kind != apitype.PreviewUpdate && !opts.DryRun` / `if !opts.DryRun`.
- The pinned SHAs are the commits of the release tags in the actions' own repositories:
  actions/checkout v5.1.0 fbc6f399..., actions/setup-python v6.3.0 ece7cb06...,
  actions/upload-artifact v6.0.0 b7c566a7..., actions/download-artifact v6.0.0 018cc2cf...,
  google-github-actions/auth v3.0.0 7c6bc770..., aws-actions/configure-aws-credentials v5.1.1
  61815dcd..., pulumi/actions v7.0.0 8e5e406f... (each the newest release of the major the
  workflows used before). Dependabot's github-actions updater moves a SHA and its tag comment together.
- GitHub OIDC: the numeric `repository_id` / `repository_owner_id` claims are never reused, names
  are (google-github-actions/auth docs/SECURITY_CONSIDERATIONS.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import committed_stack
from tests.test_supply_chain import lock
from tools.stackfile import stack_names

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPTS = ROOT / ".github" / "scripts"
DOC = (ROOT / "docs" / "PR-PREVIEWS.md").read_text()
STACK_FILES = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
MATRIX = "${{ fromJSON(needs.stacks.outputs.stacks) }}"


def workflows() -> dict[str, dict]:
    loader = YAML(typ="safe")
    return {p.name: loader.load(p.read_text()) for p in sorted(WORKFLOWS.glob("*.yml"))}


def jobs():
    for name, workflow in workflows().items():
        for job_name, job in workflow["jobs"].items():
            yield name, workflow, job_name, job


USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<sha>[0-9a-f]{40})$")
TAG_COMMENT = re.compile(r"^\s+# v\d+(\.\d+){0,2}$")


def test_every_action_is_pinned_by_commit_sha_with_its_tag_in_a_comment():
    shas: dict[str, set[str]] = {}
    seen = 0
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = USES.match(line)
            if not match:
                continue
            seen += 1
            ref, rest = match.groups()
            if ref.startswith("./"):
                continue
            pinned = PINNED.match(ref)
            assert pinned, f"{path.name}:{number}: {ref} is not pinned to a full commit SHA"
            assert TAG_COMMENT.match(rest), f"{path.name}:{number}: no `# vX.Y.Z` tag comment after the SHA"
            shas.setdefault(pinned["action"], set()).add(pinned["sha"] + rest.strip())
    assert seen >= 20
    for action, pins in shas.items():
        assert len(pins) == 1, f"{action} is pinned to different commits: {sorted(pins)}"


def test_dependabot_updates_the_locks_and_the_actions():
    config = YAML(typ="safe").load((ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    updates = {(u["package-ecosystem"], u["directory"]) for u in config["updates"]}
    assert updates == {("pip", "/"), ("pip", "/policy"), ("github-actions", "/")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.dependabot",
            str(ROOT / ".github" / "dependabot.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_credentials_and_secrets_only_in_jobs_behind_an_environment():
    """A job gets an OIDC token the clouds trust, an identity variable or a secret only through an
    environment (whose protection rules GitHub enforces before the job starts)."""
    credentialed = 0
    for name, workflow, job_name, job in jobs():
        assert "id-token" not in workflow.get("permissions", {}), f"{name}: id-token granted to every job"
        text = json.dumps(job)
        wants_token = job.get("permissions", {}).get("id-token") == "write"
        secrets = set(re.findall(r"secrets\.(\w+)", text)) - {"GITHUB_TOKEN"}
        identities = set(re.findall(r"vars\.(GCP_SERVICE_ACCOUNT|GCP_WORKLOAD_IDENTITY_PROVIDER|AWS_ROLE_ARN)", text))
        if wants_token or secrets or identities:
            credentialed += 1
            assert "environment" in job, f"{name}:{job_name} holds credentials outside an environment"
        if "environment" in job:
            assert wants_token, f"{name}:{job_name}"
    assert credentialed == 4  # preview, plan, up, drill


def test_pull_request_credentials_wait_for_a_maintainer():
    preview = workflows()["preview.yml"]
    assert set(preview["on"]) == {"pull_request"}  # never pull_request_target: no base-repo secrets for PR code
    job = preview["jobs"]["preview"]
    assert job["environment"]["name"] == "preview-${{ matrix.stack }}"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert "vars.PULUMI_BACKEND_URL != ''" in job["if"]
    up = workflows()["up.yml"]["jobs"]
    names = {job["environment"]["name"], up["plan"]["environment"]["name"], up["up"]["environment"]["name"]}
    assert names == {"preview-${{ matrix.stack }}", "plan-${{ matrix.stack }}", "${{ matrix.stack }}"}
    # The docs set required reviewers on the previews and the deploys, main only on plan and deploy.
    assert '| `preview-<stack>` | the platform team, "Prevent self-review" ticked | all (pull requests) |' in DOC
    assert "| `plan-<stack>` | none: it runs merged code, read-only | `main` only |" in DOC
    assert '| `<stack>` | the platform team, "Prevent self-review" ticked | `main` only |' in DOC


def test_the_docs_give_previews_a_read_only_state_identity_and_say_why():
    assert "a preview takes the stack's lock" not in DOC
    assert "pkg/backend/diy/backend.go" in DOC and "takes no lock and writes nothing" in DOC
    assert "`pulumi-preview` (read-only): `roles/storage.objectViewer` on the state bucket" in DOC
    assert "`astronomer-dr-preview` (read-only): `s3:GetObject` and `s3:ListBucket` on the state bucket" in DOC
    assert (
        "environment\n  secret** of `preview-<stack>`, `plan-<stack>` and `<stack>`, never a repository secret" in DOC
    )


def test_the_oidc_trust_pins_the_repository_by_id():
    assert (
        "--attribute-condition=\"assertion.repository_owner_id == '$OWNER_ID' && assertion.repository_id == '$REPO_ID'\""
        in DOC
    )
    assert "assertion.repository ==" not in DOC
    assert '"include_claim_keys[]=repository_id"' in DOC.replace("'", '"')
    trust = re.findall(r'"token\.actions\.githubusercontent\.com:sub": \[(.*?)\]', DOC, re.S)
    assert trust and all("repository_id:<REPO_ID>" in s and "environment:" in s for s in trust)
    assert 'pull_request"' not in trust[0] and 'StringLike"' not in DOC
    # Each identity trusts only its environments' subjects.
    assert 'subject/$SUB:environment:$env"' in DOC and "for env in preview-gcp plan-gcp" in DOC
    assert 'subject/$SUB:environment:gcp"' in DOC


def table_section() -> str:
    start = DOC.index("### Deploy identity: roles per resource type")
    return DOC[start : DOC.index("\n### ", start + 1)]


def test_least_privilege_roles_cover_every_type_the_program_registers():
    table = table_section()
    for stack in stack_names(ROOT):
        evaluation = committed_stack(stack)
        types = {r.type for r in evaluation.resources if r.custom and not r.type.startswith("pulumi:providers:")}
        types |= {token for token, _ in evaluation.invokes} | {r.type for r in evaluation.reads}
        for token in sorted(types):
            covered = f"`{token}`" in table or (token.startswith("kubernetes:") and "`kubernetes:*`" in table)
            assert covered, (
                f"{token} ({stack}) is not in docs/PR-PREVIEWS.md, 'Deploy identity: roles per resource type': add its role/actions"
            )
    for broad in ("roles/owner", "roles/editor", "projectIamAdmin", "AdministratorAccess", "ReadOnlyAccess"):
        assert broad not in table


def test_the_only_project_level_iam_is_the_node_role_the_docs_condition_allows():
    """The docs' conditional grant (step 4: setIamPolicy only for roles/container.defaultNodeServiceAccount)
    holds while that is the program's only project-level IAM (GCP projects/iAM*)."""
    gcp = committed_stack("gcp")
    project_iam = {(r.type, r.input("role")) for r in gcp.resources if r.type.startswith("gcp:projects/")}
    assert project_iam == {("gcp:projects/iAMMember:IAMMember", "roles/container.defaultNodeServiceAccount")}, (
        f"project-level IAM {project_iam}: update step 4 of docs/PR-PREVIEWS.md"
    )
    assert "hasOnly(['roles/container.defaultNodeServiceAccount'])" in DOC


def test_pulumi_cli_version_is_the_locked_sdks():
    version = (ROOT / ".pulumi.version").read_text().strip()
    assert version == lock("requirements.txt")["pulumi"], (
        "set .pulumi.version to the pulumi version in requirements.txt"
    )


# ---- matrices from the stack files ---------------------------------------------------------------


def run_script(script: str, cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(cwd / ".github" / "scripts" / script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def copy_project(tmp_path: Path, stacks: dict[str, str]) -> Path:
    (tmp_path / ".github" / "scripts").mkdir(parents=True)
    for script in ("stacks.sh", "clouds.sh"):
        shutil.copy(SCRIPTS / script, tmp_path / ".github" / "scripts" / script)
    (tmp_path / "Pulumi.yaml").write_text("name: astronomer-dr\n")
    for stack, cloud in stacks.items():
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(f"config:\n  astronomer-dr:cloud: {cloud}\n")
    return tmp_path


def test_the_stacks_job_lists_the_stack_files():
    result = run_script("stacks.sh", ROOT)
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(result.stdout)) == STACK_FILES


def test_a_new_stack_file_joins_every_matrix_and_a_bad_name_is_refused(tmp_path):
    project = copy_project(tmp_path, {"gcp": "gcp", "aws": "aws", "gcp-eu": "gcp"})
    assert sorted(json.loads(run_script("stacks.sh", project).stdout)) == ["aws", "gcp", "gcp-eu"]
    assert json.loads(run_script("stacks.sh", project, "gcp-eu").stdout) == ["gcp-eu"]
    missing = run_script("stacks.sh", project, "gpc")
    assert missing.returncode == 1 and "no stack file Pulumi.gpc.yaml" in missing.stderr
    (project / "Pulumi.Prod_EU.yaml").write_text("config: {}\n")
    bad = run_script("stacks.sh", project)
    assert bad.returncode == 1 and "Pulumi.Prod_EU.yaml" in bad.stderr


def test_every_stack_matrix_comes_from_the_stacks_job():
    matrices = 0
    for name, _workflow, job_name, job in jobs():
        matrix = job.get("strategy", {}).get("matrix", {})
        if "stack" in matrix:
            matrices += 1
            assert matrix["stack"] == MATRIX, f"{name}:{job_name}: a hand-written stack list"
            assert "stacks" in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"])
        if job_name == "stacks":
            [listing] = [s for s in job["steps"] if s.get("id") == "list"]
            assert "bash .github/scripts/stacks.sh" in listing["run"]
            assert job["outputs"]["stacks"] == "${{ steps.list.outputs.stacks }}"
    assert matrices == 5  # offline-plan, preview, plan, up, drill
    assert workflows()["up.yml"]["on"]["workflow_dispatch"]["inputs"]["stack"]["type"] == "string"


@pytest.mark.parametrize(
    "stack, backend, expected",
    [
        ("gcp-eu", "gs://state", "gcp=true\naws=false\n"),
        ("aws", "gs://state", "gcp=true\naws=true\n"),
        ("aws", "s3://state", "gcp=false\naws=true\n"),
    ],
)
def test_a_job_authenticates_to_the_stack_files_cloud_and_the_backends(tmp_path, stack, backend, expected):
    project = copy_project(tmp_path, {"gcp-eu": "gcp", "aws": "aws"})
    output = tmp_path / "output"
    env = {
        "STACK": stack,
        "PULUMI_BACKEND_URL": backend,
        "GCP_PROVIDER": "p",
        "GCP_SERVICE_ACCOUNT": "s",
        "AWS_ROLE_ARN": "r",
        "GITHUB_OUTPUT": str(output),
    }
    result = subprocess.run(
        ["bash", str(project / ".github/scripts/clouds.sh")],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert output.read_text() == expected


def test_an_environment_without_identity_variables_stops_the_job_and_names_them(tmp_path):
    project = copy_project(tmp_path, {"gcp-eu": "gcp"})
    env = {"STACK": "gcp-eu", "PULUMI_BACKEND_URL": "s3://state", "GITHUB_OUTPUT": str(tmp_path / "output")}
    result = subprocess.run(
        ["bash", str(project / ".github/scripts/clouds.sh")],
        cwd=project,
        capture_output=True,
        text=True,
        env={
            k: v
            for k, v in {**os.environ, **env}.items()
            if k not in ("GCP_PROVIDER", "GCP_SERVICE_ACCOUNT", "AWS_ROLE_ARN")
        },
    )
    assert result.returncode == 1
    assert "GCP_WORKLOAD_IDENTITY_PROVIDER GCP_SERVICE_ACCOUNT AWS_ROLE_ARN" in result.stdout


def test_every_credentialed_job_checks_its_clouds_and_installs_from_the_locks():
    for name, _workflow, job_name, job in jobs():
        if "environment" not in job:
            continue
        runs = [s.get("run", "") for s in job["steps"]]
        assert "make venv policy" in runs, f"{name}:{job_name}"
        assert "bash .github/scripts/clouds.sh" in runs, f"{name}:{job_name}"
        assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    for name, _workflow, job_name, job in jobs():
        for step in job["steps"]:
            assert "pip install" not in step.get("run", ""), f"{name}:{job_name}: install through make, from the locks"
