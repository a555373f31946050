"""A restore drill: restore a stack's database into a throwaway stack, check it, destroy it.

    python -m tools.drill gcp --at "$(date -u -d '2 hours ago' +%FT%TZ)" --project acme-drill   # print the steps
    python -m tools.drill gcp --backup 1732094400000 --run       # run them (make drill ... RUN=1)
    python -m tools.drill aws --at ... --phase restore --run     # only one phase: restore, check, teardown
    python -m tools.drill gcp --at ... --deployments             # the Airflow deployments too (Velero)
    python -m tools.drill gcp --at ... --record                  # after a restore: measured beside modelled

The throwaway stack is `drill-<STACK>`, created from a copy of STACK's config with
`database.restore` set, `sourceInstance` the instance STACK's platform uses (its
`database_instance` output), and no original instance of its own (`keepOriginal: false`). The
check phase verifies that the restore is idempotent and that promoting it (`restore` renamed to
`promoted`, `primary: <label>`) changes nothing. The teardown phase lifts every deletion guard
(`astronomer-dr:teardown`, accepted only on `drill-*` stacks), destroys the stack and removes it.
See docs/RUNBOOK.md, "Drill".

`drill_steps` is pure (and tested); `--run` executes the steps in order and stops at the first
failure. Without `--run` nothing is executed.

The restore's `pulumi up` writes Pulumi's engine event log (`--event-log`, one JSON event a line,
each with a Unix timestamp: pulumi/pulumi sdk/go/common/apitype/events.go `EngineEvent`);
`--record` reads it and prints, resource by resource, the minutes each step took beside the
minutes the plan's recovery-time model charges it (tools/plan/figures.py), and the measured
`pulumi up` beside the modelled RTO of the same rebuild (docs/RECOVERY-TIME.md).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# A runnable AT that is always inside the window: two hours ago, as the shell computes it.
RECENT_TIME_EXAMPLE = "$(date -u -d '2 hours ago' +%FT%TZ)"

PROJECT_DIR = Path(__file__).resolve().parent.parent
NAMESPACE = "astronomer-dr"
DRILL_PREFIX = "drill-"  # components.config.DRILL_STACK_PREFIX: only such stacks may be torn down
PHASES = ("restore", "check", "teardown")
SOURCE = "SOURCE"  # the shell variable the first step captures
LABEL = "LABEL"
BACKUPS, HOST, REGION, KEY = "BACKUPS", "HOST", "REGION", "KEY"


class DrillError(ValueError):
    """The drill cannot be built for this stack (the message says why and what to do)."""


@dataclass(frozen=True)
class Step:
    phase: str
    what: str
    argv: tuple[str, ...]
    # Store this step's stdout (stripped) in a variable that later steps use as $NAME.
    capture: str | None = None

    def shell(self) -> str:
        command = " ".join(_quote(a) for a in self.argv)
        return f"{self.capture}=$({command})" if self.capture else command


def _quote(arg: str) -> str:
    """Shell-quote, leaving "$VAR" references expandable."""
    if arg.startswith("$") and arg[1:].isidentifier():
        return f'"{arg}"'
    return shlex.quote(arg)


def drill_stack_name(stack: str) -> str:
    return f"{DRILL_PREFIX}{stack}"


def events_file(stack: str) -> str:
    """Where the restore's `pulumi up` writes its engine events (git-ignored)."""
    return f"{drill_stack_name(stack)}.events.jsonl"


def stack_file_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The stack file's config, read as the CLI reads it (tools/stackfile.py)."""
    from tools import stackfile

    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        known = ", ".join(n for n in stackfile.stack_names(project_dir) if not n.startswith(DRILL_PREFIX)) or "none"
        raise DrillError(f"no stack file {path.name}: name an existing stack (stacks here: {known})")
    try:
        return stackfile.load(path)
    except stackfile.StackFileError as error:
        raise DrillError(str(error)) from None


def check_request(config: Mapping[str, Any], at: str | None, backup: str | None, now: datetime | None = None) -> None:
    """AT or BACKUP checked by the program's own config parsing (components/config/): the
    format, the backup id pattern of the stack's cloud, and the restore window ending at `now`
    (default the current time)."""
    from components.config import restore_request_problems

    restore = {"pointInTime": at} if at else {"backupId": backup}
    problems = restore_request_problems(
        config.get(f"{NAMESPACE}:cloud"), config.get(f"{NAMESPACE}:database"), restore, now=now
    )
    if problems:
        name = "AT" if at else "BACKUP"
        raise DrillError(f"{name} is refused by the program's own checks:\n" + "\n".join(f"  - {p}" for p in problems))


def deployment_steps(stack: str, config: Mapping[str, Any], on: tuple[str, ...]) -> list[Step]:
    """The Airflow deployments too: the drill's Velero restores the newest backup of `stack`'s
    schedule from `stack`'s backups bucket (read-only), alongside the drill's platform, and the
    repoint Job moves the restored deployments off `stack`'s database onto the drill's."""
    restore = f"{NAMESPACE}:cluster.restore"
    steps = [
        Step(
            "restore",
            f"{stack}'s backups bucket: the drill reads it, never writes it",
            ("pulumi", "stack", "output", "backups_bucket", "--stack", stack),
            capture=BACKUPS,
        ),
        Step(
            "restore",
            f"{stack}'s database host, which the restored deployments point at",
            ("pulumi", "stack", "output", "database_host", "--stack", stack),
            capture=HOST,
        ),
        Step(
            "restore",
            "restore the deployments from the newest backup of the schedule",
            ("pulumi", "config", "set", "--path", f"{restore}.backup", "latest", *on),
        ),
        Step(
            "restore",
            "from the drilled stack's bucket",
            ("pulumi", "config", "set", "--path", f"{restore}.sourceBucket", f"${BACKUPS}", *on),
        ),
        Step(
            "restore",
            "repoint them at the drill's database",
            ("pulumi", "config", "set", "--path", f"{restore}.previousDatabaseHosts[0]", f"${HOST}", *on),
        ),
        Step(
            "restore",
            "stopped: no restored scheduler, worker, task pod or Job runs production work "
            "(docs/DEPLOYMENTS-RESTORE.md says how to start one)",
            ("pulumi", "config", "set", "--path", f"{restore}.start", "false", *on),
        ),
    ]
    if config.get(f"{NAMESPACE}:cloud") == "aws":
        steps += [
            Step(
                "restore",
                "the bucket's region",
                ("pulumi", "stack", "output", "backups_region", "--stack", stack),
                capture=REGION,
            ),
            Step(
                "restore",
                "the bucket's KMS key",
                ("pulumi", "stack", "output", "backups_kms_key_arn", "--stack", stack),
                capture=KEY,
            ),
            Step(
                "restore",
                "read the bucket in its region",
                ("pulumi", "config", "set", "--path", f"{restore}.sourceRegion", f"${REGION}", *on),
            ),
            Step(
                "restore",
                "decrypt with its key",
                ("pulumi", "config", "set", "--path", f"{restore}.sourceKmsKeyArn", f"${KEY}", *on),
            ),
        ]
    return steps


def drill_steps(
    stack: str,
    config: Mapping[str, Any],
    at: str | None = None,
    backup: str | None = None,
    project: str | None = None,
    deployments: bool = False,
) -> list[Step]:
    """Every command of a drill of `stack` (whose stack-file config is `config`), in order.

    `project` (GCP): the project the drill runs in. A Cloud SQL point-in-time clone lands in its
    source's VPC unless it is cross-project (terraform-provider-google-beta
    google-beta/services/sql/resource_sql_database_instance.go:1929-1935 sets the destination network
    only then), so a GCP point-in-time drill runs in another project, where the clone joins the
    drill's own VPC. A backup restore creates the instance in the drill's VPC first, so it needs none.
    With `deployments`, the Airflow deployments are restored by Velero too.
    """
    if bool(at) == bool(backup):
        raise DrillError(
            "give exactly one of AT (an RFC 3339 time inside the restore window, e.g. "
            f"{RECENT_TIME_EXAMPLE}) or BACKUP (a backup id)"
        )
    if at:
        from components.config import parse_rfc3339

        _, why = parse_rfc3339(at)
        if why:
            raise DrillError(f"AT {why}, got {at!r}")
    if stack.startswith(DRILL_PREFIX):
        raise DrillError(f"{stack} is already a drill stack: name the stack to drill")
    cluster = config.get(f"{NAMESPACE}:cluster") or {}
    if isinstance(cluster, dict) and cluster.get("existing"):
        raise DrillError(
            f"{stack} installs onto an existing cluster (cluster.existing): a drill would install a second platform "
            "release into it. Drill from a stack that builds its own cluster"
        )
    source_project = config.get("gcp:project")
    if source_project and at and not project:
        raise DrillError(
            "a Cloud SQL point-in-time clone lands in its source's VPC unless it is cross-project, where the drill's "
            "cluster cannot reach it: give PROJECT (a drill project with the same APIs, whose identity may clone "
            f"instances of {source_project}), or drill a backup with BACKUP"
        )
    if project and not source_project:
        raise DrillError("PROJECT is for GCP stacks (an AWS restore goes into the drill's own subnets)")
    if project and project == source_project:
        raise DrillError(
            f"PROJECT must differ from the drilled stack's project {source_project}: a same-project clone stays in its source's VPC"
        )
    drill = drill_stack_name(stack)
    on = ("--stack", drill)
    restore = f"{NAMESPACE}:database.restore"
    steps = [
        Step(
            "restore",
            f"the instance {stack}'s platform uses: the drill restores from it",
            ("pulumi", "stack", "output", "database_instance", "--stack", stack),
            capture=SOURCE,
        ),
        Step(
            "restore",
            f"a throwaway stack with a copy of {stack}'s config (same secrets provider)",
            ("pulumi", "stack", "init", drill, "--copy-config-from", stack),
        ),
    ]
    if f"{NAMESPACE}:dns" in config:
        steps.append(
            Step(
                "restore",
                "no DNS record: the drill must never take over the platform's names",
                ("pulumi", "config", "rm", f"{NAMESPACE}:dns", *on),
            )
        )
    if at:
        promoted = (f"{NAMESPACE}:database.promoted.pointInTime", at)
        steps.append(
            Step(
                "restore",
                f"restore the database as it was at {at}",
                ("pulumi", "config", "set", "--path", f"{restore}.pointInTime", at, *on),
            )
        )
    else:
        assert backup, "exactly one of AT and BACKUP: checked above"
        promoted = (f"{NAMESPACE}:database.promoted.backupId", backup)
        steps.append(
            Step(
                "restore",
                f"restore backup {backup}",
                ("pulumi", "config", "set", "--path", f"{restore}.backupId", backup, *on),
            )
        )
    if project:
        assert source_project, "PROJECT without a GCP project to restore from is refused above"
        steps += [
            Step(
                "restore",
                f"the drill runs in project {project}: a cross-project clone joins the drill's VPC",
                ("pulumi", "config", "set", "gcp:project", project, *on),
            ),
            Step(
                "restore",
                f"the instance to restore lives in {source_project}",
                ("pulumi", "config", "set", "--path", f"{restore}.sourceProject", source_project, *on),
            ),
        ]
    steps += [
        Step(
            "restore",
            "from the instance recorded above",
            ("pulumi", "config", "set", "--path", f"{restore}.sourceInstance", f"${SOURCE}", *on),
        ),
        Step(
            "restore",
            "no empty original instance in the drill",
            ("pulumi", "config", "set", "--path", f"{NAMESPACE}:database.keepOriginal", "false", *on),
        ),
        *(deployment_steps(stack, config, on) if deployments else []),
        Step(
            "restore",
            "build the drill platform on the restored database",
            ("pulumi", "up", "--yes", "--event-log", events_file(stack), *on),
        ),
        # A restore leaves settings the provider cannot set while creating it, and does not read back:
        # Cloud SQL's RestoreBackup resets the backup configuration, an RDS point-in-time restore starts
        # with default backup settings. A refresh sees them; the update sets ours.
        Step(
            "restore",
            "read back what the restore reset (backup settings) and set ours again",
            ("pulumi", "up", "--yes", "--refresh", *on),
        ),
        Step(
            "check",
            "the label of the restored instance",
            ("pulumi", "stack", "output", "database_label", *on),
            capture=LABEL,
        ),
        Step(
            "check",
            "the restore is idempotent: a second run, after reading the cloud, changes nothing",
            ("pulumi", "preview", "--refresh", "--expect-no-changes", *on),
        ),
        *(
            [
                Step(
                    "check",
                    "the deployments' restore is done: drop its declaration",
                    ("pulumi", "config", "rm", "--path", f"{NAMESPACE}:cluster.restore", *on),
                ),
                Step(
                    "check",
                    "apply it: only the Restore object (and the finished repoint Job) go, the deployments stay",
                    ("pulumi", "up", "--yes", *on),
                ),
            ]
            if deployments
            else []
        ),
        Step(
            "check",
            "promotion, step 1: keep the applied restore as `promoted` (it proves the label)",
            ("pulumi", "config", "set", "--path", *promoted, *on),
        ),
        Step("check", "promotion, step 2: drop `restore`", ("pulumi", "config", "rm", "--path", restore, *on)),
        Step(
            "check",
            "promotion, step 3: name the restored instance as primary",
            ("pulumi", "config", "set", "--path", f"{NAMESPACE}:database.primary", f"${LABEL}", *on),
        ),
        Step(
            "check",
            "promotion changes nothing (nothing replaced, nothing destroyed)",
            ("pulumi", "preview", "--refresh", "--expect-no-changes", *on),
        ),
        Step(
            "check",
            "what to look at by hand before the teardown (URL, database, registry)",
            ("pulumi", "stack", "output", *on),
        ),
        Step(
            "teardown",
            f"lift every deletion guard (accepted on {DRILL_PREFIX}* stacks only)",
            ("pulumi", "config", "set", f"{NAMESPACE}:teardown", "true", *on),
        ),
        Step(
            "teardown",
            "apply it: protect, deletion protection and PREVENT policies off",
            ("pulumi", "up", "--yes", *on),
        ),
        Step("teardown", "destroy the drill", ("pulumi", "destroy", "--yes", *on)),
        Step("teardown", "forget the drill stack", ("pulumi", "stack", "rm", "--yes", drill)),
    ]
    return steps


def render(stack: str, steps: Sequence[Step]) -> str:
    lines = [f'# Restore drill of stack {stack} into {drill_stack_name(stack)} (docs/RUNBOOK.md, "Drill").']
    lines.append("# Printed only: run with RUN=1 (make drill) or --run. PHASE=restore|check|teardown runs one phase.")
    phase = None
    for step in steps:
        if step.phase != phase:
            phase = step.phase
            lines.append(f"\n# -- {phase} --")
        lines.append(f"# {step.what}")
        lines.append(step.shell())
    lines.append(
        "\n# By hand, before the teardown: log in at the drill's platform_url (its DNS is not set: use the load balancer "
        "address with a Host header, or a hosts-file entry), check the latest DAG runs are those at the restore time, "
        "and time the whole drill: that is your recovery time. With the deployments: `velero restore describe <name> --details` "
        "(or `kubectl -n velero get restores`) shows what came back, `kubectl get namespaces -l astronomer-dr/platform` lists them."
    )
    return "\n".join(lines)


Runner = Callable[..., subprocess.CompletedProcess]


def cleanup_advice(steps: Sequence[Step], failed: int, stack: str) -> str:
    """What is left behind when step `failed` fails, and the command that removes it."""
    drill = drill_stack_name(stack)
    init = next((i for i, s in enumerate(steps) if s.argv[:3] == ("pulumi", "stack", "init")), None)
    if init is not None and failed <= init:
        return f"nothing to clean up: the drill stack {drill} was not created by this run"
    # Either this run created it, or this run is a later phase (check, teardown) of one that did.
    applied = any(s.argv[:2] == ("pulumi", "up") for s in steps[: failed + 1])
    what = f"the drill stack {drill} (and its stack file Pulumi.{drill}.yaml)"
    if applied:
        what += " and whatever its `pulumi up` created (a restored database, a cluster)"
    return (
        f"left behind: {what}. Fix the cause above and rerun the failed phase, or remove it all with "
        f'`make drill STACK={stack} PHASE=teardown RUN=1` plus the same AT=/BACKUP= (docs/RUNBOOK.md, "Drill"): '
        f"a drill stack file left in the project breaks `make test`"
    )


def run(steps: Sequence[Step], runner: Runner = subprocess.run, out=sys.stdout, stack: str = "") -> int:
    """Executes each step in order; `$NAME` arguments take the stdout captured by earlier steps.

    Steps that capture show Pulumi's own error output when they fail; the others print straight
    to the terminal. A failure ends with what was left behind and how to remove it."""
    captured: dict[str, str] = {}
    for index, step in enumerate(steps):
        argv = [captured.get(a[1:], a) if a.startswith("$") else a for a in step.argv]
        print(f"+ {' '.join(shlex.quote(a) for a in argv)}", file=out, flush=True)
        try:
            result = runner(argv, cwd=PROJECT_DIR, text=True, capture_output=step.capture is not None)
        except FileNotFoundError:
            print(f"drill stopped: `{argv[0]}` is not installed or not on PATH", file=out)
            print(cleanup_advice(steps, index, stack), file=out)
            return 127
        if result.returncode != 0:
            if step.capture:
                for stream in (result.stdout, result.stderr):
                    if stream and stream.strip():
                        print(stream.rstrip(), file=out)
            print(f"drill stopped: `{step.what}` failed (exit {result.returncode})", file=out)
            print(cleanup_advice(steps, index, stack), file=out)
            return result.returncode or 1
        if step.capture:
            captured[step.capture] = (result.stdout or "").strip()
            print(f"  {step.capture}={captured[step.capture]}", file=out)
    return 0


# ---- measured beside modelled (--record) --------------------------------------------------------


def _resource_key(urn: str) -> str:
    """A URN without its stack and project (`type::name`, parents' types included): the drill
    stack's resources and the drilled stack's plan name the same resources alike."""
    return "::".join(urn.split("::")[2:])


def measured_steps(events: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per resource the engine stepped: its op, type, name, inputs and when its step started and
    ended (a ResourcePreEvent, then its ResOutputsEvent; Unix seconds). Planning events (a
    preview's) are not steps."""
    steps: dict[str, dict[str, Any]] = {}
    for event in events:
        for kind, when in (("resourcePreEvent", "start"), ("resOutputsEvent", "end")):
            body = event.get(kind)
            if not body or body.get("planning"):
                continue
            metadata = body["metadata"]
            state = metadata.get("new") or metadata.get("old") or {}
            step = steps.setdefault(
                _resource_key(metadata["urn"]),
                {
                    "op": metadata.get("op"),
                    "type": metadata.get("type") or state.get("type"),
                    "name": metadata["urn"].rsplit("::", 1)[-1],
                    "custom": state.get("custom", True),
                },
            )
            step[when] = int(event["timestamp"])
    return steps


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def record_table(events: Iterable[Mapping[str, Any]], model: Any) -> list[str]:
    """Markdown: the measured `pulumi up` beside the model's RTO for the same rebuild, then each
    resource whose step or figure took half a minute or more."""
    from tools.plan.markdown import code_span, table

    steps = measured_steps(events)
    stages = {_resource_key(urn): stage for urn, stage in model.stages.items()}
    timed = [s for s in steps.values() if "start" in s and "end" in s]
    measured_total = (max(s["end"] for s in timed) - min(s["start"] for s in timed)) if timed else 0
    lines = [
        "### Measured beside modelled",
        "",
        f"The restore's `pulumi up`: **{_minutes(measured_total)} min** measured, **{model.total:.1f} min** "
        "modelled (docs/RECOVERY-TIME.md: the plan's figures for this rebuild). A figure far off: correct it "
        "in tools/plan/figures.py, or `backups.expectedRestoreMinutes` for the deployments' restore.",
        "",
    ]
    rows = []
    for key in sorted(set(steps) | set(stages), key=lambda k: steps.get(k, {}).get("start", 0)):
        step, stage = steps.get(key, {}), stages.get(key)
        measured = (step["end"] - step["start"]) if "start" in step and "end" in step else None
        modelled = stage.minutes if stage else 0.0
        if max(modelled * 60, measured or 0) < 30:
            continue
        rows.append(
            [
                step.get("name") or (stage.name if stage else key),
                code_span((step.get("type") or (stage.type if stage else "")).rsplit(":", 1)[-1]),
                code_span(stage.figure) if stage else "—",
                f"{modelled:g}",
                _minutes(measured) if measured is not None else "not run",
            ]
        )
    lines += table(["Resource", "Type", "Figure", "Modelled (min)", "Measured (min)"], rows)
    return lines


def drill_model(
    stack: str,
    config: Mapping[str, Any],
    at: str | None,
    backup: str | None,
    now: datetime | None,
    deployments: bool = False,
):
    """The model's cost of the drill's rebuild: `stack` evaluated offline with the drill's
    restores declared (the deployments' only with `deployments`, stopped and repointed as
    deployment_steps declares them), every resource created (the drill stack starts empty)."""
    from tools.plan.document import to_document
    from tools.plan.evaluate import evaluate_stack
    from tools.plan.scenarios import cost, expected_restore_minutes

    database = dict(config.get(f"{NAMESPACE}:database") or {})
    # As the drill declares it; the source's name (a `pulumi stack output` in the drill) does not
    # change what is created or how long it takes.
    source = {"sourceInstance": "drill-model-source"}
    database["restore"] = {"pointInTime": at, **source} if at else {"backupId": backup, **source}
    database["keepOriginal"] = False
    overrides: dict[str, Any] = {f"{NAMESPACE}:database": database}
    if deployments:
        # The host's value (`stack`'s database_host in the drill) changes nothing that is created.
        restore = {"backup": "latest", "start": False, "previousDatabaseHosts": ["drill-model-source.internal"]}
        overrides[f"{NAMESPACE}:cluster"] = {**(config.get(f"{NAMESPACE}:cluster") or {}), "restore": restore}
    evaluation, _ = evaluate_stack(stack, PROJECT_DIR, now, overrides)
    if evaluation.error is not None:
        raise DrillError(f"the model of this drill fails to evaluate offline: {evaluation.error}")
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    return cost(
        "drill",
        f"Drill of {stack}",
        "database.restore and cluster.restore in a new stack",
        None,
        to_document(evaluation),
        restore_minutes=expected_restore_minutes(raw),
    )


def record(
    stack: str,
    config: Mapping[str, Any],
    at: str | None,
    backup: str | None,
    now: datetime | None,
    deployments: bool = False,
) -> str:
    path = PROJECT_DIR / events_file(stack)
    if not path.is_file():
        raise DrillError(f"no engine event log {path.name}: run the restore phase first (it writes it)")
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return "\n".join(record_table(events, drill_model(stack, config, at, backup, now, deployments)))


def main(argv: Sequence[str] | None = None, now: datetime | None = None) -> int:
    """The command line; `now` is the moment AT is checked against (default the current time)."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.drill", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("stack", help="the stack whose database is drilled (gcp, aws, ...)")
    parser.add_argument(
        "--at", help=f"restore to this RFC 3339 time inside the restore window, e.g. {RECENT_TIME_EXAMPLE}"
    )
    parser.add_argument("--backup", help="restore this backup (Cloud SQL backup run id, RDS snapshot id or ARN)")
    parser.add_argument("--project", help="GCP: the project the drill runs in (needed for --at: a cross-project clone)")
    parser.add_argument(
        "--deployments",
        action="store_true",
        help="restore the Airflow deployments too (Velero, from the stack's backups bucket)",
    )
    parser.add_argument("--phase", choices=("all", *PHASES), default="all")
    parser.add_argument("--run", action="store_true", help="execute the steps (default: print them)")
    parser.add_argument(
        "--record",
        action="store_true",
        help="after a restore: its measured minutes beside the recovery-time model's (Markdown)",
    )
    args = parser.parse_args(argv)
    try:
        config = stack_file_config(args.stack)
        if args.record:
            if bool(args.at) == bool(args.backup):
                raise DrillError("give the AT or BACKUP the restore used")
            print(record(args.stack, config, args.at, args.backup, now, args.deployments))
            return 0
        steps = drill_steps(
            args.stack, config, at=args.at, backup=args.backup, project=args.project, deployments=args.deployments
        )
        if args.phase in ("all", "restore"):
            # Only a restore must be inside the window; a later check or teardown of it need not be.
            check_request(config, args.at, args.backup, now)
    except DrillError as error:
        print(f"drill: {error}", file=sys.stderr)
        return 2
    if args.phase != "all":
        steps = [s for s in steps if s.phase == args.phase]
    if not args.run:
        print(render(args.stack, steps))
        return 0
    if shutil.which("pulumi") is None:
        print(
            "drill: the Pulumi CLI is not installed (or not on PATH): https://www.pulumi.com/docs/install/. "
            "Without RUN=1 the drill only prints its commands.",
            file=sys.stderr,
        )
        return 2
    return run(steps, stack=args.stack)


if __name__ == "__main__":
    sys.exit(main())
