"""`make typecache`: fills mypy's cache with the installed packages' types, once per `venv-dev/`.

mypy reads every module a checked file imports, the Pulumi SDKs included: the services of
pulumi-aws, pulumi-gcp and pulumi-kubernetes the program uses are generated modules of megabytes
each (a minute of mypy's time on a cold cache), against seconds for the project's own files. They
change only when `venv-dev/` is built from `requirements-dev.txt`, so their types are cached then
(the way pip compiles their `.pyc` files at install): mypy, with the project's configuration
(`pyproject.toml`, whose `cache_dir` is inside `venv-dev/`), checks a file made of the project's
own import statements of installed packages, each in a function of its own so that no two names
collide. `make test` and `make types` then check the project's files against that cache.

Nothing is listed by hand: the statements are those of the files mypy checks (`[tool.mypy]
files`) whose top-level package this interpreter finds in its site-packages.
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


def import_statements(files: Iterable[Path]) -> dict[str, str]:
    """Every absolute import statement in `files`, as source, by the top-level package it imports."""
    statements: dict[str, str] = {}
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), filename=str(file))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    statements[ast.unparse(ast.Import(names=[alias]))] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                statements[ast.unparse(node)] = node.module.split(".")[0]
    return statements


def is_installed(top_level: str) -> bool:
    """Whether this interpreter imports `top_level` from its site-packages (not the standard
    library, not the project's own packages, not a name it cannot find)."""
    if top_level in sys.stdlib_module_names:
        return False
    spec = importlib.util.find_spec(top_level)
    if spec is None:
        return False
    locations = [Path(location).resolve() for location in spec.submodule_search_locations or []]
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        locations.append(Path(spec.origin).resolve().parent)
    site = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    return any(location == s or s in location.parents for location in locations for s in site)


def warm_up_source(statements: dict[str, str]) -> str:
    """The file mypy checks to fill the cache: each statement of an installed package in a function
    of its own (a name two modules are imported as would otherwise collide)."""
    kept = sorted(source for source, top_level in statements.items() if is_installed(top_level))
    return "".join(f"def import_{i}() -> None:\n    {source}\n\n\n" for i, source in enumerate(kept))


def main() -> int:
    statements = import_statements(checked_files())
    packages = sorted({top for top in statements.values() if is_installed(top)})
    command = [sys.executable, "-m", "mypy", "--python-executable", sys.executable, "--num-workers", "2"]
    print(f"tools.typecache: caching the types {', '.join(packages)} give the project (once per venv-dev/)", flush=True)
    # A file, not `-c`: mypy refuses `-c` alongside the configuration's `files`; one named here wins.
    with tempfile.TemporaryDirectory(prefix="astronomer-dr-typecache-") as scratch:
        source = Path(scratch) / "installed_imports.py"
        source.write_text(warm_up_source(statements))
        return subprocess.run([*command, str(source)], cwd=PROJECT_DIR).returncode


if __name__ == "__main__":
    sys.exit(main())
