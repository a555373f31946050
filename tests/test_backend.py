"""One state backend, whichever way the user runs a command (make or the runbook's plain `pulumi`).

Pulumi resolves the backend URL from, in order: the PULUMI_BACKEND_URL environment variable, the
project's `backend.url` (Pulumi.yaml), the stored `pulumi login`
(pulumi/pulumi pkg/workspace/creds.go, `GetCurrentCloudURLWithSource`). A relative `file://` path
is made absolute against the working directory (pkg/backend/diy/backend.go, `massageBlobPath`:
`filepath.Abs`), and the URL's query goes to go-cloud's fileblob opener, whose `create_dir`
creates the directory if it is missing (google/go-cloud blob/fileblob/fileblob.go, URL parameters).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()


def test_the_default_backend_is_the_projects_not_makes():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["backend"] == {"url": "file://.pulumi-state?create_dir=true"}
    # The Makefile must not pick a backend of its own (a `PULUMI_BACKEND_URL ?=` default was one
    # that plain `pulumi` commands never saw): it only reports the one Pulumi will use.
    assert not re.search(r"^\s*(export\s+)?PULUMI_BACKEND_URL\s*[:?]?=", MAKEFILE, re.M)
    assert "$$PULUMI_BACKEND_URL" in MAKEFILE and "sed -n 's/^  url: *//p' Pulumi.yaml" in MAKEFILE
    assert ".pulumi-state/" in (ROOT / ".gitignore").read_text().split()


def test_every_workflow_that_runs_pulumi_names_its_backend_in_the_environment():
    """`cloud-url` only runs `pulumi login` (pulumi/actions src/login.ts), which ranks below the
    project's backend.url: without PULUMI_BACKEND_URL a CI job would use the runner's empty
    .pulumi-state/."""
    loader = YAML(typ="safe")
    seen = 0
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        workflow = loader.load(path.read_text())
        for name, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("pulumi/actions@"):
                    seen += 1
                    env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
                    assert env.get("PULUMI_BACKEND_URL") == "${{ vars.PULUMI_BACKEND_URL }}", f"{path.name}:{name}"
    assert seen >= 3


def test_the_runbook_and_the_config_reference_say_which_backend():
    runbook = (ROOT / "docs" / "RUNBOOK.md").read_text()
    reference = (ROOT / "docs" / "CONFIG.md").read_text()
    assert "PULUMI_BACKEND_URL" in runbook and ".pulumi-state/" in runbook
    assert "One backend, whichever way you run a command" in reference
