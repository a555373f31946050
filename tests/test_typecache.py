"""tools/typecache.py: mypy's cache of the installed packages, filled when venv-dev/ is built, so
that `make test` type checks the project's files in seconds (issue 14: `make test` under a minute)."""

from __future__ import annotations

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


def test_imports_are_read_by_absolute_module_name(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "import a.b, c\nfrom d.e import f\nfrom . import relative\nfrom .x import y\ndef late():\n    import g\n"
    )
    assert typecache.imported_modules([source]) == {"a.b", "c", "d.e", "g"}


def test_only_installed_packages_are_cached():
    """The standard library comes with mypy (typeshed); the project's own packages are what
    `make test` checks; a name no interpreter finds is not cached (mypy reports it in the project)."""
    names = {"os", "json.decoder", "components.schema", "tools.plan", "no_such_package_here", "pulumi", "ruamel.yaml"}
    assert typecache.installed_modules(names) == ["pulumi", "ruamel.yaml"]


def test_the_cloud_sdks_are_among_the_modules_the_checked_files_import():
    files = list(typecache.checked_files())
    assert ROOT / "__main__.py" in files and ROOT / "policy" / "policies.py" in files
    assert all(file.suffix == ".py" for file in files)
    modules = typecache.installed_modules(typecache.imported_modules(files))
    tops = {name.split(".")[0] for name in modules}
    assert {"pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_policy", "pytest"} <= tops
    assert not tops & {"components", "tools", "tests", "policy", "os", "json"}
