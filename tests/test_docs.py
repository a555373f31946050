"""The README and docs/ say what the program does: every `make` target they name exists, every key
docs/CONFIG.md documents is one the program accepts and every key it accepts is documented, the
quick start sets the secrets the program requires, and every relative link lands on a file and a
heading that exist."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from components.config import (
    ALERTS_FIELDS,
    ALERTS_KEY,
    OBJECT_KEYS,
    PROJECT,
    SECRET_KEYS,
    STANDBY_FIELDS,
    STANDBY_KEY,
    TEARDOWN_KEY,
)
from components.schema import Field

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CONFIG = ROOT / "docs" / "CONFIG.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return {m.group(1) for m in re.finditer(r"^([a-z][a-z0-9_-]*):", text, flags=re.M)}


def make_commands(text: str) -> Iterator[str]:
    """The target of every `make <target>` the text tells someone to type (in code, not prose)."""
    code = re.findall(r"```.*?```", text, flags=re.S) + re.findall(
        r"`[^`\n]+`", re.sub(r"```.*?```", "", text, flags=re.S)
    )
    for span in code:
        for m in re.finditer(r"(?<![\w-])make ([a-z][a-z0-9_-]*)", span):
            yield m.group(1)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_make_target_the_docs_name_exists(doc):
    targets = makefile_targets()
    named = set(make_commands(doc.read_text()))
    assert named <= targets, f"{doc.name} names make targets the Makefile lacks: {sorted(named - targets)}"


def test_the_readme_names_the_everyday_targets():
    named = set(make_commands(README.read_text()))
    assert {"plan", "up", "test", "drill"} <= named


def test_the_quick_start_is_on_the_first_screen_and_sets_every_required_secret():
    """The program refuses a stack without its TLS secrets (components/config/shared.py, SECRET_KEYS,
    parsed by parse_tls before any resource), so the quick start sets each one with `--secret`,
    and runs the offline plan before the first `pulumi up`."""
    text = README.read_text()
    lines = text.splitlines()
    start = lines.index("## Quick start")
    assert start < 60, "the quick start must be on the README's first screen"
    block = text[text.index("```bash", text.index("## Quick start")) :]
    block = block[: block.index("```", 3)]
    for key in SECRET_KEYS:
        assert re.search(rf"pulumi config set --secret .*{PROJECT}:{key} ", block), key
    assert "pulumi stack init gcp" in block and "PULUMI_CONFIG_PASSPHRASE" in block
    assert block.index("make plan STACK=gcp") < block.index("make up STACK=gcp") < block.index("make test")
    assert "works with nothing set up" not in text + CONFIG.read_text()


def test_the_readme_names_the_pulumi_version_ci_runs():
    assert ".pulumi.version" in README.read_text()
    assert len(README.read_text().splitlines()) <= 200


# ---- docs/CONFIG.md documents exactly the keys the program accepts ------------------------------


def flatten(prefix: str, fields: Mapping[str, Field]) -> Iterator[str]:
    for name, field in fields.items():
        key = f"{prefix}.{name}" if prefix else name
        yield key
        if field.kind == "object" and field.fields:
            yield from flatten(key, field.fields)


def accepted_keys(cloud: str) -> set[str]:
    """Every key of the astronomer-dr namespace a `cloud` stack may set, dotted as `--path` takes it."""
    keys = {"cloud", *SECRET_KEYS, TEARDOWN_KEY, STANDBY_KEY, *flatten(STANDBY_KEY, STANDBY_FIELDS)}
    keys |= {ALERTS_KEY, *flatten(ALERTS_KEY, ALERTS_FIELDS)}
    for name, fields in OBJECT_KEYS[cloud].items():
        keys.update(flatten(name, fields))
    return keys


def table_rows(section: str) -> dict[str, str]:
    """The key column of the first table under `section` (a heading of docs/CONFIG.md) -> its row.

    A cell may name two keys, the second without its object (`cluster.minNodes` / `maxNodes`)."""
    text = CONFIG.read_text()
    body = text[text.index(section + "\n") :]
    table = body[body.index("\n| Key |") :]
    rows: dict[str, str] = {}
    for line in table.splitlines()[3:]:
        if not line.startswith("|"):
            break
        cell = line.split(" | ")[0].lstrip("| ")
        names = [n.strip().removeprefix(f"{PROJECT}:") for n in re.findall(r"`([^`]+)`", cell)]
        parent = names[0].rsplit(".", 1)[0] + "." if "." in names[0] else ""
        for n in names:
            rows[n if "." in n or not parent else parent + n] = line
    return rows


SECTIONS = {
    "gcp": ["### Both clouds", "### GCP (`astronomer-dr:cloud: gcp`)", "## A standby in a second region"],
    "aws": ["### Both clouds", "### AWS (`astronomer-dr:cloud: aws`)", "## A standby in a second region"],
}


def documented(cloud: str) -> dict[str, str]:
    rows: dict[str, str] = {}
    for section in SECTIONS[cloud]:
        rows.update(table_rows(section))
    return rows


@pytest.mark.parametrize("cloud", sorted(OBJECT_KEYS))
def test_every_documented_key_is_accepted(cloud):
    unknown = set(documented(cloud)) - accepted_keys(cloud)
    assert not unknown, f"docs/CONFIG.md documents keys a {cloud} stack refuses: {sorted(unknown)}"


@pytest.mark.parametrize("cloud", sorted(OBJECT_KEYS))
def test_every_accepted_key_is_documented(cloud):
    """A key has a row of its own, or is named in the row of the object it belongs to (or of a
    sibling: `cluster.restore.sourceBucket`'s row names `sourceRegion`)."""
    rows = documented(cloud)
    # `promoted` takes the fields of `restore` (components/config/restores.py, topology_fields): its
    # row says it is that block renamed, and each key is documented where `restore`'s is.
    assert "the applied `restore` block" in rows["database.promoted"]
    missing = []
    for key in sorted(accepted_keys(cloud)):
        if key in rows:
            continue
        parent, _, name = key.rpartition(".")
        if parent == "database.promoted":
            parent = "database.restore"
            if f"{parent}.{name}" in rows:
                continue
        related = [row for documented_key, row in rows.items() if documented_key.startswith(parent)] if parent else []
        if not any(f"`{name}`" in row or re.search(rf"[{{,] ?{name}[:,}}]", row) for row in related):
            missing.append(key)
    assert not missing, f"keys a {cloud} stack accepts that docs/CONFIG.md does not document: {missing}"


# ---- links ------------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", path.read_text(), flags=re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_lands(doc):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(target)
    assert not broken, f"{doc.name}: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_code_block_is_closed(doc):
    fences = re.findall(r"^\s*```", doc.read_text(), flags=re.M)
    assert len(fences) % 2 == 0, f"{doc.name}: a code block is never closed"
