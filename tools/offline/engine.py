"""The engine: Pulumi's mock runtime with a monitor that records every request in full and
answers like the engine (secret outputs, StackReference reads), and `evaluate`, which runs the real
program under it."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import run_in_stack, set_all_config

from tools.offline.context import Context, mock_name
from tools.offline.invokes import CALL_RESULTS
from tools.offline.outputs import RESOURCE_IDS, RESOURCE_OUTPUTS
from tools.offline.records import Evaluation, Registered, Secret, from_engine
from tools.offline.stack import PROJECT_DIR, PROJECT_NAME, _config_string, stack_config
from tools.pulumi_internals import (
    clear_root_resource,
    deserialize_properties,
    forget_pending_work,
    mark_secret,
    wrap_secret,
)

STACK_REFERENCE = "pulumi:pulumi:StackReference"


def stack_reference_state(name: str, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """What the engine answers for a StackReference read (its builtin provider's Read): the
    referenced stack's `name`, its `outputs` with secret ones still secret, and `secretOutputNames`,
    the names of the outputs that hold a secret (the SDK's pulumi/stack_reference.py reads these
    three properties; `secretOutputNames` is translated to `secret_output_names`)."""

    def wire(value: Any) -> Any:
        if isinstance(value, Secret):
            return wrap_secret(wire(value.value))
        if isinstance(value, dict):
            return {k: wire(v) for k, v in value.items()}
        if isinstance(value, list):
            return [wire(v) for v in value]
        return value

    def has_secret(value: Any) -> bool:
        if isinstance(value, Secret):
            return True
        if isinstance(value, dict):
            return any(has_secret(v) for v in value.values())
        if isinstance(value, list):
            return any(has_secret(v) for v in value)
        return False

    return {
        "name": name,
        "outputs": {k: wire(v) for k, v in outputs.items()},
        "secretOutputNames": sorted(k for k, v in outputs.items() if has_secret(v)),
    }


class _Mocks(pulumi_mocks.Mocks):
    def __init__(self, ctx: Context, evaluation: Evaluation):
        self.ctx = ctx
        self.evaluation = evaluation

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        if args.typ == STACK_REFERENCE:
            # Like the engine: a reference to a stack that does not exist fails the read.
            name = args.resource_id or args.inputs.get("name")
            if not isinstance(name, str) or name not in self.ctx.stack_outputs:
                raise Exception(
                    f"unknown stack {name!r}: the offline engine was given {sorted(self.ctx.stack_outputs)}"
                )
            return name, stack_reference_state(name, self.ctx.stack_outputs[name])
        outputs = dict(args.inputs)
        compute = RESOURCE_OUTPUTS.get(args.typ)
        if compute is not None:
            outputs.update(compute(args, self.ctx))
        elif "name" not in outputs and args.custom:
            outputs["name"] = mock_name(args)
        if args.typ in RESOURCE_IDS:
            return str(outputs[RESOURCE_IDS[args.typ]]), outputs
        # A read (`Resource.get`) answers with the id it was asked for.
        return args.resource_id or f"{args.name}-id", outputs

    def call(self, args: pulumi_mocks.MockCallArgs):
        self.evaluation.invokes.append((args.token, dict(args.args)))
        compute = CALL_RESULTS.get(args.token)
        if compute is None:
            raise NotImplementedError(f"the offline engine has no result for invoke {args.token}")
        return compute(args, self.ctx)


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: _Mocks, evaluation: Evaluation):
        super().__init__(mocks)
        self.evaluation = evaluation
        self.stack_urn = ""

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        inputs = deserialize_properties(request.object)
        self.evaluation.resources.append(
            Registered(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                custom=bool(request.custom),
                protect=bool(request.protect),
                inputs=from_engine(inputs),
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                provider=request.provider,
                additional_secret_outputs=list(request.additionalSecretOutputs),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                custom_timeouts={
                    k: v
                    for k in ("create", "update", "delete")
                    if request.HasField("customTimeouts") and (v := getattr(request.customTimeouts, k))
                },
            )
        )
        if not request.additionalSecretOutputs:
            return response
        # The engine, not the SDK, makes these outputs secret; the plain mocks forget to.
        mark_secret(response.object, list(request.additionalSecretOutputs))
        return response

    def ReadResource(self, request):
        response = super().ReadResource(request)
        self.evaluation.reads.append(
            Registered(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                custom=True,
                protect=False,
                inputs={"id": request.id},
                dependencies=list(request.dependencies),
                property_dependencies={},
                provider=request.provider,
                additional_secret_outputs=list(request.additionalSecretOutputs),
                retain_on_delete=False,
                ignore_changes=[],
                delete_before_replace=False,
            )
        )
        return response

    def RegisterResourceOutputs(self, request):
        if request.urn == self.stack_urn:
            self.evaluation.outputs = from_engine(deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)


def _local_primary_outputs(
    config: Mapping[str, str], secrets: Mapping[str, str] | None, project_dir: Path, now: datetime | None
) -> dict[str, Any]:
    """A standby's primary, when its stack file is in this project: evaluated first, its outputs
    are what the standby's StackReference reads (as `pulumi up` would find them in the backend)."""
    try:
        reference = json.loads(config.get(f"{PROJECT_NAME}:standby", "null") or "null")["primaryStack"]
        primary = reference.rsplit("/", 1)[-1]
    except (TypeError, KeyError, ValueError, AttributeError):
        return {}
    if not (project_dir / f"Pulumi.{primary}.yaml").exists():
        return {}
    evaluation = evaluate(primary, secrets=secrets, project_dir=project_dir, stack_outputs={}, now=now)
    return {} if evaluation.error is not None else {reference: evaluation.outputs}


class _WarningRecorder(logging.Handler):
    """The mock engine's `Log` (pulumi.runtime.mocks.MockEngine) hands `pulumi.log.warn` to a
    logger at WARNING: kept in the evaluation, as the CLI shows them under "Diagnostics"."""

    def __init__(self, evaluation: Evaluation):
        super().__init__(level=logging.WARNING)
        self.evaluation = evaluation

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            self.evaluation.warnings.append(record.getMessage())


def _warning_logger(evaluation: Evaluation) -> logging.Logger:
    logger = logging.Logger(f"tools.offline.{evaluation.stack}")
    logger.addHandler(_WarningRecorder(evaluation))
    return logger


@contextlib.contextmanager
def _program_clock(now: datetime | None) -> Iterator[None]:
    """While the program runs, its clock (`components.config.stack.utc_now`, what restore windows
    and certificate lifetimes are checked against) answers `now`. A program tree without that
    clock (an older revision under `tools.plan --diff-against`) reads the real one."""
    if now is None:
        yield
        return
    module = importlib.import_module("components.config.stack")
    real = getattr(module, "utc_now", None)
    if real is None:
        yield
        return
    setattr(module, "utc_now", lambda: now)  # noqa: B010 (a program tree's module, typed as ModuleType)
    try:
        yield
    finally:
        setattr(module, "utc_now", real)  # noqa: B010


def _quiet_about(evaluation: Evaluation) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """The loop's exception handler: silent about the evaluation's own error, default otherwise.

    A refusal raised inside an apply (check_primary's ConfigError) fails every Output that depends
    on it, and the SDK never awaits most of them; when they are collected, asyncio logs each one as
    "Future exception was never retrieved" with a traceback (asyncio/futures.py `__del__`). That
    error is the evaluation's result, returned once in `Evaluation.error`: the copies say nothing."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if evaluation.error is not None and context.get("exception") is evaluation.error:
            return
        loop.default_exception_handler(context)

    return handler


def evaluate(
    stack: str,
    *,
    config: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    project_dir: Path = PROJECT_DIR,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    now: datetime | None = None,
    buckets: Mapping[str, Mapping[str, str]] | None = None,
) -> Evaluation:
    """Runs `__main__.py` of `project_dir` for `stack` and records what it registers.

    config: replaces the stack file's config entirely. overrides: stack-file keys to set
    (objects are JSON-encoded) or, with value None, remove. secrets: secret config to add.
    stack_outputs: other stacks' outputs by `org/project/stack` (e.g. a primary's
    `Evaluation.outputs`, `Secret` markers kept), answered to StackReference reads as the engine does.
    now: the moment the program's clock answers (timezone-aware; default the real clock), so an
    evaluation never depends on the day it runs; the clouds' version calendars answer for it too
    (default: as last checked, tools/offline/invokes.py).
    What the program logs with `pulumi.log.warn` is in `Evaluation.warnings`, not on stderr.
    buckets: what backups buckets hold (bucket -> object key -> content) for the storage invokes;
    default: each holds tools/offline/backups.py's fixture (an expired, a good, a newer empty backup).
    An exception from the program is returned in `Evaluation.error`, not raised.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if config is None:
        base, secret_keys = stack_config(stack, project_dir)
    else:
        base, secret_keys = dict(config), []
    for key, value in (overrides or {}).items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = _config_string(value)
    for key, value in (secrets or {}).items():
        base[key] = value
        secret_keys.append(key)

    if stack_outputs is None:
        stack_outputs = _local_primary_outputs(base, secrets, project_dir, now)
    evaluation = Evaluation(stack=stack, config={k: v for k, v in base.items() if k not in secret_keys})
    ctx = Context(config=base, stack_outputs=dict(stack_outputs), buckets=buckets, now=now)
    if now is not None:
        ctx.clock = now
    mocks = _Mocks(ctx, evaluation)
    monitor = _RecordingMonitor(mocks, evaluation)

    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_quiet_about(evaluation))
    asyncio.set_event_loop(loop)
    clear_root_resource()
    pulumi_mocks.set_mocks(
        mocks, project=PROJECT_NAME, stack=stack, preview=False, monitor=monitor, logger=_warning_logger(evaluation)
    )
    # set_mocks made a root Stack of its own; run_in_stack makes the one the program runs under.
    clear_root_resource()
    # A previous run that failed mid-way (a refusal inside an apply) leaves its loop's tasks in the
    # ambient settings; this run must not wait on them.
    forget_pending_work()
    set_all_config(base, secret_keys)

    main = project_dir / "__main__.py"
    project_path = str(project_dir)
    added_path = project_path not in sys.path
    if added_path:
        sys.path.insert(0, project_path)
    cwd = os.getcwd()
    os.chdir(project_dir)

    def run_program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    try:
        with _program_clock(now):
            loop.run_until_complete(run_in_stack(run_program))
    except Exception as exc:  # the program's own error is the result under test
        evaluation.error = exc
    finally:
        os.chdir(cwd)
        if added_path:
            sys.path.remove(project_path)
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)
    return evaluation
