"""components/config/ as a package: one room per concern, layered, with every name re-exported.

Pure tests: the committed stack files parsed (tests/stack_inputs.py), and the package's own
source read with `ast` (no stack is evaluated).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import components.config as config
from components.config import parse_settings
from tests.conftest import TLS_SECRETS
from tests.stack_inputs import stack_with

PACKAGE = Path(config.__file__).parent
# Each room imports only rooms above it in this order (issue 21: the settings both standby.py and
# stack.py name live in settings.py, above both, so neither imports the other).
LAYERS = (
    "shared",
    "adopt",
    "restores",
    "gcs_locations",
    "regions",
    "backups",
    "alerts",
    "gcp",
    "aws",
    "settings",
    "standby",
    "stack",
)


@pytest.fixture(autouse=True)
def tls_secret_keys(monkeypatch):
    """parse_settings reads secret-ness from the runtime, as the CLI sets it."""
    from pulumi.runtime import config as runtime_config

    monkeypatch.setattr(runtime_config, "is_config_secret", lambda key: key in TLS_SECRETS)


def test_a_stack_reaches_its_own_clouds_settings_already_narrowed():
    gcp = parse_settings(stack_with("gcp", {}), "gcp")
    assert gcp.require_gcp() is gcp.gcp and gcp.region == gcp.require_gcp().region == "us-central1"
    aws = parse_settings(stack_with("aws", {}), "aws")
    assert aws.require_aws() is aws.aws and aws.region == aws.require_aws().region == "us-east-1"
    # Asking a stack for the other cloud's settings is a bug in the program, not in the config.
    with pytest.raises(TypeError, match="AWS settings asked of a gcp stack"):
        gcp.require_aws()
    with pytest.raises(TypeError, match="GCP settings asked of a aws stack"):
        aws.require_gcp()


def test_every_exported_name_resolves_and_each_is_defined_in_one_room():
    assert len(set(config.__all__)) == len(config.__all__)
    for name in config.__all__:
        value = getattr(config, name)
        if isinstance(value, type) or inspect.isfunction(value):
            assert value.__module__.startswith("components.config."), f"{name} is defined in {value.__module__}"


def test_rooms_import_only_the_rooms_above_them():
    for index, room in enumerate(LAYERS):
        tree = ast.parse((PACKAGE / f"{room}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                type_only = any(
                    isinstance(parent, ast.If)
                    and "TYPE_CHECKING" in ast.unparse(parent.test)
                    and node in ast.walk(parent)
                    for parent in ast.walk(tree)
                )
                if not type_only:
                    assert node.module in LAYERS[:index], f"{room}.py imports .{node.module}, which is not above it"
    assert sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__") == sorted(LAYERS)


def test_config_reads_the_release_defaults_from_below_not_from_the_platform():
    """Issue 21, item 9: config/shared.py took the chart's defaults from components/platform/chart.py;
    they live in components/release_defaults.py, which config and platform both import."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("platform"), f"{path.name} imports ..{node.module}"
    from components import release_defaults
    from components.platform import chart

    assert chart.DEFAULT_CHART_VERSION is release_defaults.DEFAULT_CHART_VERSION
    assert config.PLATFORM_FIELDS["chartVersion"].default == release_defaults.DEFAULT_CHART_VERSION
