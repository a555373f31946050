"""Fills mypy's cache with the installed packages the project imports, once per `venv-dev/`.

mypy reads every module a checked file imports, the cloud SDKs included. pulumi-aws and pulumi-gcp
are thousands of generated modules, and their `__init__` imports every service for type checkers,
so a cold cache costs minutes; the project's own files take seconds. The packages change only when
`venv-dev/` is built from `requirements-dev.txt`, so that is when this runs (Makefile, the venv-dev
stamp): mypy checks one line, `import <module>` for each, with the project's configuration (`pyproject.toml`, whose
`cache_dir` is inside `venv-dev/`), the way pip compiles their `.pyc` files at install. `make test`
and `make types` then check the project's files, every time in full, against that cache.

The modules are not listed anywhere: they are the imports of the files mypy checks (`[tool.mypy]
files`) whose package this interpreter finds in its site-packages.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def checked_files(project_dir: Path = PROJECT_DIR) -> Iterator[Path]:
    """The Python files `[tool.mypy] files` names (files, or directories searched recursively)."""
    config = tomllib.loads((project_dir / "pyproject.toml").read_text())["tool"]["mypy"]
    for entry in config["files"]:
        path = project_dir / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def imported_modules(files: Iterable[Path]) -> set[str]:
    """Every module `files` import by absolute name (`from a.b import c` imports `a.b`)."""
    names: set[str] = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), filename=str(file))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return names


def installed_modules(names: Iterable[str]) -> list[str]:
    """Those of `names` whose top-level package this interpreter imports from its site-packages
    (not the standard library, not the project's own packages, not what it cannot find)."""
    site = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}

    def installed(top_level: str) -> bool:
        if top_level in sys.stdlib_module_names:
            return False
        spec = importlib.util.find_spec(top_level)
        if spec is None:
            return False
        locations = [Path(location) for location in spec.submodule_search_locations or []]
        if spec.origin and spec.origin not in ("built-in", "frozen"):
            locations.append(Path(spec.origin).parent)
        return any(
            site_dir == location.resolve() or site_dir in location.resolve().parents
            for location in locations
            for site_dir in site
        )

    return sorted(name for name in names if installed(name.split(".")[0]))


def main() -> int:
    modules = installed_modules(imported_modules(checked_files()))
    packages = sorted({name.split(".")[0] for name in modules})
    command = [sys.executable, "-m", "mypy", "--python-executable", sys.executable, "--num-workers", "2"]
    print(f"tools.typecache: caching the types of {', '.join(packages)} (once per venv-dev/)", flush=True)
    # A file, not `-c`: mypy refuses `-c` alongside the configuration's `files`; one named here wins.
    with tempfile.TemporaryDirectory(prefix="astronomer-dr-typecache-") as scratch:
        imports = Path(scratch) / "installed_packages.py"
        imports.write_text("".join(f"import {name}\n" for name in modules))
        return subprocess.run([*command, str(imports)], cwd=PROJECT_DIR).returncode


if __name__ == "__main__":
    sys.exit(main())
