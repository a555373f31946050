"""The plan document (what `--json` prints): resources, their inputs with secrets masked, the DR
summary; and the document of a stack that does not exist."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from tools.plan.evaluate import DOCUMENT_VERSION, TOOLS_ROOT, evaluate_stack
from tools.plan.summary import dr_summary


def _key_path(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", str(key)):
        return f"{path}.{key}" if path else str(key)
    return f"{path}[{json.dumps(str(key))}]"


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaves by dotted path (`a.b[0]["x.y"]`); empty objects and lists are leaves too."""
    if isinstance(value, dict) and value:
        return {p: v for k, item in value.items() for p, v in flatten(item, _key_path(path, k)).items()}
    if isinstance(value, list) and value:
        return {p: v for i, item in enumerate(value) for p, v in flatten(item, _key_path(path, i)).items()}
    return {path: value}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _secret_digests(value: Any, path: str = "") -> dict[str, str]:
    """A digest per leaf inside each secret, so a diff can tell THAT a secret part changed.

    The offline plan never holds a real secret: secure config is a placeholder and generated
    passwords are the engine's mock, so these digest values the program derived from the
    plain-text stack file, placeholders and mocks.
    """
    from tools.offline import Secret, reveal

    if isinstance(value, Secret):
        return {p: _digest(v) for p, v in flatten(reveal(value.value), path).items()}
    if isinstance(value, dict):
        return {p: d for k, v in value.items() for p, d in _secret_digests(v, _key_path(path, k)).items()}
    if isinstance(value, list):
        return {p: d for i, v in enumerate(value) for p, d in _secret_digests(v, _key_path(path, i)).items()}
    return {}


def _resource_document(r, read: bool = False) -> dict[str, Any]:
    from tools.offline import mask

    return {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "parent": r.parent,
        "custom": r.custom,
        "read": read,
        "protect": r.protect,
        "retain_on_delete": r.retain_on_delete,
        "provider": r.provider,
        "dependencies": sorted(set(r.dependencies)),
        "property_dependencies": {k: sorted(set(v)) for k, v in sorted(r.property_dependencies.items())},
        "inputs": mask(r.inputs),
        "secret_digests": _secret_digests(r.inputs),
    }


def to_document(evaluation, placeholders: Iterable[str] = (), seconds: float | None = None) -> dict[str, Any]:
    """The plan as plain JSON-able data: the resources as registered, secrets masked."""
    from tools.offline import mask

    error = evaluation.error
    return {
        "version": DOCUMENT_VERSION,
        "stack": evaluation.stack,
        "error": None if error is None else (str(error) or type(error).__name__),
        # What the program logged with pulumi.log.warn: `pulumi up` would show these too.
        "warnings": list(getattr(evaluation, "warnings", [])),
        "placeholders": sorted(placeholders),
        "seconds": None if seconds is None else round(seconds, 2),
        "resources": sorted((_resource_document(r) for r in evaluation.resources), key=lambda d: d["urn"]),
        "reads": sorted((_resource_document(r, read=True) for r in evaluation.reads), key=lambda d: d["urn"]),
        "outputs": mask(evaluation.outputs),
        "output_secret_digests": _secret_digests(evaluation.outputs),
        "dr_summary": [] if error is not None else dr_summary(evaluation),
        # Per disaster scenario (plan_document fills it: each scenario is evaluated too).
        "recovery": [],
    }


def plan_document(stack: str, project_dir: Path = TOOLS_ROOT, now: datetime | None = None) -> dict[str, Any]:
    """The plan of `stack` as a document, the program evaluated with its clock at `now` (default the
    real clock)."""
    started = time.perf_counter()
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        return missing_stack_document(stack, f"there is no {stack_file.name} in {project_dir}")
    from tools.stackfile import StackFileError, load

    try:
        load(stack_file)  # before the program is imported: a file the CLI would not load stops here
        evaluation, placeholders = evaluate_stack(stack, project_dir, now)
    except StackFileError as error:
        # The CLI would not load the file either: say why, without a traceback.
        return {**missing_stack_document(stack, ""), "missing": None, "stack_file_error": True, "error": str(error)}
    document = to_document(evaluation, placeholders, time.perf_counter() - started)
    if document["error"] is None:
        from tools.plan.scenarios import as_json, plan_scenarios

        costs = plan_scenarios(stack, evaluation, document, project_dir, now, to_document)
        document["recovery"] = [as_json(c) for c in costs]
    return document


def unknown_stack_message(stack: str, project_dir: Path) -> str:
    """`make plan STACK=<typo>`: the stacks that exist, and the closest one."""
    import difflib

    from tools.stackfile import stack_names

    names = stack_names(project_dir)
    # Stack names are case-sensitive files; a person typing `STACK=GCP` means gcp.
    same = [n for n in names if n.lower() == stack.lower()]
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(stack.lower(), list(lowered), n=1, cutoff=0.5)
    guess = same or [lowered[c] for c in close]
    hint = f"; did you mean {guess[0]}?" if guess else ""
    return f"no stack named {stack!r}: there is no Pulumi.{stack}.yaml in {project_dir} (stacks: {', '.join(names) or 'none'}){hint}"


def missing_stack_document(stack: str, why: str) -> dict[str, Any]:
    return {
        "version": DOCUMENT_VERSION,
        "stack": stack,
        "error": None,
        "missing": why,
        "warnings": [],
        "placeholders": [],
        "seconds": None,
        "resources": [],
        "reads": [],
        "outputs": {},
        "output_secret_digests": {},
        "dr_summary": [],
        "recovery": [],
    }
