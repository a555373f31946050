"""tools/typecache.py: mypy's cache of the installed packages, filled when venv-dev/ is built, so
that `make test` type checks the project's files in seconds (issue 14: `make test` under a minute)."""

from __future__ import annotations

import ast
import importlib.util
import tomllib
from pathlib import Path

from tests.test_supply_chain import MAKEFILE, recipe
from tools import typecache

ROOT = Path(__file__).resolve().parent.parent


def test_the_cache_is_filled_once_per_dev_venv_build_and_only_for_the_type_check():
    """The offline plan of PR previews needs venv-dev/ but no type check: `make dev` does not fill
    the cache; `make test` and `make types` do, once per build of venv-dev/."""
    assert "TYPECACHE := $(DEV_VENV)/mypy-cache/.filled" in MAKEFILE
    assert recipe("$(TYPECACHE)") == ("$(DEV_BIN)/.installed", ["$(DEV_BIN)/python -m tools.typecache", "touch $@"])
    assert recipe("typecache") == ("$(TYPECACHE)", [])
    assert recipe("test")[0] == recipe("types")[0] == "dev typecache"
    assert "typecache" not in recipe("$(DEV_BIN)/.installed")[1][-1] and recipe("dev")[0] == "$(DEV_BIN)/.installed"


def test_the_cache_lives_and_dies_with_the_dev_venv():
    """Rebuilding venv-dev/ from scratch must not leave types of the old packages behind; mypy also
    revalidates what it finds there against the installed files. pyproject.toml and the Makefile's
    stamp name the same directory."""
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["cache_dir"] == "venv-dev/mypy-cache"
    assert "DEV_VENV := venv-dev" in MAKEFILE


def test_import_statements_are_read_as_source_by_their_top_level_package(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "import a.b, c as d\nfrom e.f import g as h, i\nfrom . import relative\nfrom .x import y\n"
        "def late():\n    import j\n"
    )
    assert typecache.import_statements([source]) == {
        "import a.b": "a",
        "import c as d": "c",
        "from e.f import g as h, i": "e",
        "import j": "j",
    }


def test_only_installed_packages_are_cached():
    """The standard library comes with mypy (typeshed); the project's own packages are what
    `make test` checks; a name no interpreter finds is not cached (mypy reports it in the project)."""
    assert [
        name for name in ("os", "json", "components", "tools", "no_such_package_here") if typecache.is_installed(name)
    ] == []
    assert typecache.is_installed("pulumi") and typecache.is_installed("ruamel")  # a namespace package


def test_the_warm_up_file_imports_each_statement_in_its_own_scope():
    """Two modules imported under one name in two files must not collide in the one file mypy checks."""
    source = typecache.warm_up_source(
        {
            "from pulumi_aws.provider import Provider": "pulumi_aws",
            "from pulumi_kubernetes.provider import Provider": "pulumi_kubernetes",
            "import os": "os",
        }
    )
    tree = ast.parse(source)
    assert [type(node) for node in tree.body] == [ast.FunctionDef, ast.FunctionDef]
    assert [ast.unparse(node.body[0]) for node in tree.body if isinstance(node, ast.FunctionDef)] == [
        "from pulumi_aws.provider import Provider",
        "from pulumi_kubernetes.provider import Provider",
    ]


def test_the_cloud_sdks_services_are_among_what_the_checked_files_import():
    files = list(typecache.checked_files())
    assert ROOT / "__main__.py" in files and ROOT / "policy" / "policies.py" in files
    assert all(file.suffix == ".py" for file in files)
    statements = typecache.import_statements(files)
    cached = {top for top in statements.values() if typecache.is_installed(top)}
    assert {"pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_policy", "pytest"} <= cached
    assert not cached & {"components", "tools", "tests", "policy", "os", "json"}
    assert "from pulumi_aws import rds" in statements and "from pulumi_gcp import sql" in statements


UMBRELLAS = ("pulumi_aws", "pulumi_gcp", "pulumi_kubernetes")


def test_no_checked_file_reaches_a_cloud_sdk_through_its_umbrella_package():
    """pyproject.toml skips the SDKs' top-level packages (their `__init__` imports every service for
    type checkers: minutes of mypy's time), so a name taken from one would be typed Any and checked
    for nothing. Only a service module (`from pulumi_aws import rds`) or a name of one of the
    package's modules (`from pulumi_aws.provider import Provider`) may be imported."""
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    [override] = [o for o in mypy["overrides"] if o.get("follow_imports") == "skip"]
    assert sorted(override["module"]) == sorted(UMBRELLAS)
    through_umbrella = []
    for file in typecache.checked_files():
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                through_umbrella += [
                    f"{file.name}: import {a.name}"
                    for a in node.names
                    if a.name.split(".")[0] in UMBRELLAS and (a.name in UMBRELLAS or a.asname is None)
                ]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in UMBRELLAS:
                through_umbrella += [
                    f"{file.name}: from {node.module} import {a.name}"
                    for a in node.names
                    if importlib.util.find_spec(f"{node.module}.{a.name}") is None
                ]
    assert through_umbrella == []
