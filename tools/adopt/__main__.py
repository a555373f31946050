"""`python -m tools.adopt STACK`: the import files of an adoption (make adopt STACK=...).

`python -m tools.adopt STACK --check-preview preview.json` reads `pulumi preview --json` output
and exits 1 when a data-bearing resource would be replaced or deleted, naming the key to align.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from tools.adopt.ids import Facts
from tools.adopt.importfile import PLACEHOLDER, AdoptError, Adoption, build
from tools.adopt.preview import protected_urns, refusals
from tools.offline import PROJECT_DIR, PROJECT_NAME, Evaluation, stack_config


def facts_of(stack: str, evaluation: Evaluation, project_dir: Path = PROJECT_DIR) -> Facts:
    """The adopt block (validated by the program, components/config/adopt.py) and the stack's facts."""
    from components.config import ADOPT_KEY, parse_adopt
    from components.schema import Problems

    # The config the program was evaluated with (the stack file, plus any override a caller gave).
    config = evaluation.config or stack_config(stack, project_dir)[0]
    cloud = str(evaluation.outputs.get("cloud", ""))
    ours = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{PROJECT_NAME}:")}
    problems = Problems()
    adopt = parse_adopt(cloud, ours, problems)
    problems.raise_if_any()
    if adopt is None:
        raise AdoptError(
            f"{PROJECT_NAME}:{ADOPT_KEY}: required to adopt: name at least the existing database instance, e.g.\n"
            f"  pulumi config set --path '{PROJECT_NAME}:{ADOPT_KEY}.databaseInstance' <name>"
            + (
                f"\n  pulumi config set --path '{PROJECT_NAME}:{ADOPT_KEY}.accountId' <account>"
                if cloud == "aws"
                else ""
            )
        )
    names = {r.name for r in evaluation.resources}
    unknown = [n for n in adopt.create if n not in names]
    if unknown:
        from components.schema import unknown_key_message

        raise AdoptError(
            "; ".join(
                f"{PROJECT_NAME}:{ADOPT_KEY}.create: {name!r} is not a resource the program registers: "
                + unknown_key_message(name, sorted(names))
                for name in unknown
            )
        )
    return Facts(
        cloud=cloud,
        project=config.get("gcp:project", ""),
        region=str(evaluation.outputs.get("region", "")),
        account=adopt.account_id or "",
        database_instance=adopt.database_instance,
        cluster=adopt.cluster,
        node_pool=adopt.node_pool,
        network=adopt.network,
        registry_bucket=adopt.registry_bucket,
        backups_bucket=adopt.backups_bucket,
        namespace=str(evaluation.outputs.get("platform_namespace", "")),
        resources=tuple(evaluation.resources),
        created=adopt.create,
    )


def adopt(stack: str, evaluation: Evaluation, project_dir: Path = PROJECT_DIR) -> Adoption:
    if evaluation.error is not None:
        raise AdoptError(f"stack {stack} does not evaluate: {evaluation.error}")
    return build(stack, evaluation, facts_of(stack, evaluation, project_dir), PROJECT_NAME)


def report(adoption: Adoption) -> str:
    lines = [f"wrote {name}: {len(f['resources'])} resources" for name, f in adoption.files.items()]
    if adoption.lookups:
        lines.append(
            f"\n{len(adoption.lookups)} id(s) the cloud made up: replace each {PLACEHOLDER} with what its command prints"
        )
        lines += [f"  {r.type} {r.name}:\n    {lookup.command}" for r, lookup in adoption.lookups]
    if adoption.created:
        lines.append("\nnot imported, created by `pulumi up`:")
        lines += [f"  {r.type} {r.name}: {create.why}" for r, create in adoption.created]
    if adoption.kubernetes_provider_urn:
        lines.append(
            "\nthen, in order (docs/ADOPTION.md):\n"
            f"  pulumi import --file adopt-{adoption.stack}.json --generate-code=false\n"
            f"  pulumi up --target '{adoption.kubernetes_provider_urn}'\n"
            f"  pulumi import --file adopt-{adoption.stack}-kubernetes.json --generate-code=false\n"
            "  pulumi preview --diff --json > preview.json\n"
            f"  make adopt STACK={adoption.stack} CHECK=preview.json"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, now: datetime | None = None, out_dir: Path = Path(".")) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.adopt", description=__doc__)
    parser.add_argument("stack")
    parser.add_argument("--check-preview", metavar="FILE", help="`pulumi preview --json` output to check")
    args = parser.parse_args(argv)

    from tools.plan.evaluate import evaluate_stack

    evaluation, _ = evaluate_stack(args.stack, now=now)
    if args.check_preview:
        preview = json.loads(Path(args.check_preview).read_text())
        found = refusals(preview, protected_urns(evaluation.resources, args.stack, PROJECT_NAME))
        for sentence in found:
            print(f"refused: {sentence}", file=sys.stderr)
        if not found:
            print("no data-bearing resource is replaced or deleted")
        return 1 if found else 0
    try:
        adoption = adopt(args.stack, evaluation)
    except AdoptError as error:
        print(f"make adopt: {error}", file=sys.stderr)
        return 1
    for name, content in adoption.files.items():
        (out_dir / name).write_text(json.dumps(content, indent=4) + "\n")
    print(report(adoption))
    return 0


if __name__ == "__main__":
    sys.exit(main())
