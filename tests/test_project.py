"""The project files a real `pulumi up` reads: valid, and saying what docs/CONFIG.md says they say."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Pulumi's project-file schema (sdk/go/common/workspace/project.json), kept beside the tests.
PROJECT_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "pulumi-project.schema.json").read_text())


def test_pulumi_yaml_is_valid_against_pulumis_project_schema():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    jsonschema.validate(project, PROJECT_SCHEMA)
    assert project["name"] == "astronomer-dr"
    # pip + venv: the uv toolchain would convert and delete requirements.txt on `pulumi install`.
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}


def test_the_schema_check_rejects_a_broken_project():
    broken = {
        "name": "astronomer-dr",
        "runtime": {"name": "python", "options": {}},
        "config": {"x": {"type": "object"}},
    }
    try:
        jsonschema.validate(broken, PROJECT_SCHEMA)
    except jsonschema.ValidationError:
        return
    raise AssertionError("an object-typed config declaration must be refused by the schema")


def test_every_requirement_has_version_bounds():
    # requirements.txt is the hash-locked file `make lock` writes from requirements.in (tests/test_supply_chain.py).
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            assert ">=" in line and "<" in line.replace("<=", ""), f"unbounded requirement: {line}"


def test_stack_files_hold_no_plaintext_secret():
    for path in ROOT.glob("Pulumi.*.yaml"):
        config = yaml.safe_load(path.read_text())["config"]
        for key in ("astronomer-dr:tlsCertificate", "astronomer-dr:tlsKey"):
            assert key not in config or set(config[key]) == {"secure"}, f"{path.name}: {key} in plain text"
        assert "PRIVATE KEY" not in path.read_text()
