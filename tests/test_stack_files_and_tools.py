"""Stack files read as the Pulumi CLI reads them (tools/stackfile.py), and the tools around
`pulumi up` behaving under pressure: clear messages, exit codes, no tracebacks (issue 11)."""

from __future__ import annotations

import math
import subprocess
from datetime import UTC

import pytest

from components.config import parse_settings
from tests.conftest import TLS_SECRETS
from tools import drill, plan, stackfile
from tools.offline import PROJECT_DIR, stack_config

# ---- YAML as the CLI reads it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("13:30", "13:30"),  # no base-60 numbers in yaml.v3 (PyYAML 1.1: 810)
        ("2026-11-20T09:30:00Z", "2026-11-20T09:30:00Z"),  # a timestamp decoded into `any` stays text
        ("2026-11-20", "2026-11-20"),
        ("yes", "yes"),
        ("on", "on"),
        ("n", "n"),  # booleans are true/false only
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("~", None),
        ("null", None),
        ("", None),
        ("16", 16),
        ("+16", 16),
        ("-3", -3),
        ("1_000", 1000),
        ("0777", 511),
        ("0o17", 15),
        ("0x1F", 31),
        ("0b101", 5),  # Go's ParseInt(s, 0, 64)
        ("09", 9.0),  # not octal, so yaml.v3's float pattern takes it
        ("1.30", 1.3),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1e400", "1e400"),  # out of float64 range: yaml.v3 keeps the text
        ("18446744073709551615", 2**64 - 1),
        ("18446744073709551616", 1.8446744073709552e19),
        ("db-custom-4-16384", "db-custom-4-16384"),
        ("1.2.3", "1.2.3"),
        ("<<x", "<<x"),
    ],
)
def test_plain_scalars_resolve_as_yaml_v3_does(text, value):
    """go-yaml/yaml v3 resolve.go `resolve` (resolveMapList: true/True/TRUE, false/False/FALSE,
    ""/~/null/Null/NULL; ParseInt(plain, 0, 64) after removing "_", then ParseUint, then
    yamlStyleFloat; "Base 60 floats ... are purposefully unsupported"); decode.go keeps a
    timestamp as its string when decoding into interface{}. The CLI decodes stack config that way:
    pulumi/pulumi sdk/go/common/encoding/marshal.go (gopkg.in/yaml.v3) and
    sdk/go/common/resource/config/object.go (`object.UnmarshalYAML` into `any`)."""
    resolved = stackfile.resolve_plain(text)
    assert resolved == value and type(resolved) is type(value)


def test_quoted_scalars_are_text():
    config = stackfile.load_text("config:\n  a:b: '16'\n  a:c: \"true\"\n  a:d: !!str 13:30\n")
    assert config == {"a:b": "16", "a:c": "true", "a:d": "13:30"}
    assert math.isinf(stackfile.resolve_plain(".inf"))


@pytest.mark.parametrize(
    "text, says",
    [
        ("config:\n  - astronomer-dr:cloud: gcp\n", "`config:` must be a mapping"),
        ("config: [\n", "is not valid YAML"),
        ("config:\n  astronomer-dr:cloud: gcp\n   bad: indent\n", "is not valid YAML"),
        ("- config\n", "expected a mapping with a `config:` key"),
        ("config:\n  cloud: gcp\n", "`<namespace>:<name>`, e.g. astronomer-dr:cloud"),
        ("config:\n  astronomer-dr:cloud: gcp\n  astronomer-dr:cloud: aws\n", "defined twice (first on line 2)"),
        ("config:\n  a:b: {x: 1, x: 2}\n", "defined twice"),
        ("config:\n  a:b: {x: .nan}\n", "no NaN or infinity"),
        ("config:\n  a:b: -.inf\n", "no NaN or infinity"),
    ],
)
def test_stack_file_errors_are_one_clear_sentence(text, says):
    """yaml.v3 refuses duplicate mapping keys ("already defined"); config/map.go `UnmarshalYAML`
    needs a map; config/key.go `ParseKey` needs <namespace>:<name>."""
    with pytest.raises(stackfile.StackFileError) as caught:
        stackfile.load_text(text, "Pulumi.x.yaml")
    assert says in str(caught.value) and str(caught.value).startswith("Pulumi.x.yaml")


def test_a_byte_order_mark_and_the_legacy_config_form_are_read():
    """workspace/loaders.go strips a UTF-8 BOM; config/key.go accepts <namespace>:config:<name>."""
    assert stackfile.load_text("\ufeffconfig:\n  aws:config:region: us-east-1\n") == {"aws:region": "us-east-1"}


@pytest.fixture(autouse=True)
def tls_secret_keys(monkeypatch):
    from pulumi.runtime import config as runtime_config

    monkeypatch.setattr(runtime_config, "is_config_secret", lambda key: key in TLS_SECRETS)


def committed_text(stack: str) -> str:
    return (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()


def settings_of(stack: str, text: str):
    config = {k: stackfile.config_string(v) for k, v in stackfile.load_text(text).items()}
    return parse_settings({**config, **TLS_SECRETS}, stack)


def test_unquoted_times_and_versions_mean_what_they_look_like():
    gcp = committed_text("gcp").replace('backupStartTime: "03:00"', "backupStartTime: 13:30")
    assert settings_of("gcp", gcp).gcp.database.backup_start_time == "13:30"
    aws = committed_text("aws").replace('postgresVersion: "16"', "postgresVersion: 16")
    assert settings_of("aws", aws).aws.database.postgres_version == "16"


def test_an_unquoted_restore_time_is_a_string(tmp_path):
    text = committed_text("gcp").replace(
        'backupStartTime: "03:00"', 'backupStartTime: "03:00"\n    restore: {pointInTime: 2026-11-20T09:30:00Z}'
    )
    assert stackfile.load_text(text)["astronomer-dr:database"]["restore"]["pointInTime"] == "2026-11-20T09:30:00Z"


# ---- make plan ----------------------------------------------------------------------------------------


def test_plan_of_an_unknown_stack_exits_non_zero_and_names_the_stacks(capsys):
    assert plan.main(["gpc"]) == 2
    err = capsys.readouterr().err
    assert (
        "no stack named 'gpc'" in err
        and "stacks: aws, aws-standby, gcp, gcp-standby" in err
        and "did you mean gcp?" in err
    )
    with pytest.raises(plan.PlanError, match="no stack named 'gpc'"):
        plan.compare("gpc", "HEAD", plan.missing_stack_document("gpc", "x"), plan.missing_stack_document("gpc", "x"))


@pytest.mark.parametrize("text", ["config:\n  - astronomer-dr:cloud: gcp\n", "config:\n  astronomer-dr:cloud: [gcp\n"])
def test_plan_of_a_broken_stack_file_says_why_without_a_traceback(tmp_path, capsys, text):
    (tmp_path / "Pulumi.broken.yaml").write_text(text)
    assert plan.main(["broken", "--project-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "**The stack file cannot be read:**" in out and "Pulumi.broken.yaml" in out and "Traceback" not in out
    with pytest.raises(stackfile.StackFileError):
        stack_config("broken", tmp_path)


def test_the_plan_placeholder_certificate_passes_the_programs_checks_and_never_changes():
    """The offline plan stands in for encrypted TLS secrets with material the program accepts, the
    same bytes every run (a diff must not show it)."""
    from datetime import datetime

    from components.tls_material import check_tls

    first, second = plan.placeholder_tls("astro.acme.example.com"), plan.placeholder_tls("astro.acme.example.com")
    assert first == second
    assert check_tls(*first, "astro.acme.example.com", datetime.now(UTC)) == ({}, [])


# ---- make drill ----------------------------------------------------------------------------------------


def test_drill_run_without_the_cli_is_a_clear_message(monkeypatch, capsys):
    monkeypatch.setattr(drill.shutil, "which", lambda name: None)
    assert drill.main(["gcp", "--backup", "1732094400000", "--run"]) == 2
    err = capsys.readouterr().err
    assert "the Pulumi CLI is not installed" in err and "Traceback" not in err


def test_a_failed_step_shows_pulumis_error_and_what_to_clean_up():
    steps = drill.drill_steps("gcp", {"astronomer-dr:cloud": "gcp"}, backup="1732094400000")

    def runner(argv, **kwargs):
        failing = argv[:2] == ["pulumi", "up"]
        return subprocess.CompletedProcess(argv, 255 if failing else 0, stdout="astro-gcp-db\n", stderr="")

    out = _Out()
    assert drill.run(steps, runner=runner, out=out, stack="gcp") == 255
    assert "drill stopped: `build the drill platform on the restored database` failed (exit 255)" in out.text
    assert (
        "left behind: the drill stack drill-gcp (and its stack file Pulumi.drill-gcp.yaml) and whatever its `pulumi up` created"
        in out.text
    )
    assert "make drill STACK=gcp PHASE=teardown RUN=1" in out.text

    def first_fails(argv, **kwargs):
        return subprocess.CompletedProcess(argv, 255, stdout="", stderr="error: no stack named 'gcp' found\n")

    out = _Out()
    assert drill.run(steps, runner=first_fails, out=out, stack="gcp") == 255
    assert "error: no stack named 'gcp' found" in out.text  # Pulumi's own words, though the step captured its output
    assert "nothing to clean up" in out.text

    teardown = [step for step in steps if step.phase == "teardown"]
    out = _Out()
    assert drill.run(teardown, runner=runner, out=out, stack="gcp") == 255  # its `pulumi up` fails
    assert "left behind: the drill stack drill-gcp" in out.text  # created by an earlier run

    def missing(argv, **kwargs):
        raise FileNotFoundError(argv[0])

    out = _Out()
    assert drill.run(steps, runner=missing, out=out, stack="gcp") == 127 and "`pulumi` is not installed" in out.text


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


@pytest.mark.parametrize(
    "argv, says",
    [
        (["gcp", "--at", "2020-01-01T00:00:00Z", "--project", "acme-drill"], "older than the 7-day window"),
        (["gcp", "--at", "2999-01-01T00:00:00Z", "--project", "acme-drill"], "is in the future"),
        (["gcp", "--backup", "nightly"], "Cloud SQL backup run id (digits)"),
        (["aws", "--backup", "bad id!"], "RDS snapshot identifier"),
        (["aws", "--backup", "１２３"], "plain ASCII"),  # noqa: RUF001 -- full-width digits on purpose: the refusal under test
        (["gpc", "--backup", "1"], "stacks here: aws, aws-standby, gcp, gcp-standby"),
    ],
)
def test_drill_checks_at_and_backup_as_the_program_does(argv, says, capsys):
    assert drill.main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_a_later_phase_of_a_drill_is_not_held_to_the_restore_window(capsys):
    """The teardown of a drill restored ten days ago must still run."""
    assert drill.main(["gcp", "--at", "2020-01-01T00:00:00Z", "--project", "acme-drill", "--phase", "teardown"]) == 0
    assert "pulumi destroy --yes --stack drill-gcp" in capsys.readouterr().out


def test_a_drill_stack_file_is_not_a_project_stack(tmp_path):
    for name in ("gcp", "aws", "drill-gcp"):
        (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    assert stackfile.stack_names(tmp_path) == ["aws", "gcp"]
    assert "Pulumi.drill-*.yaml" in (PROJECT_DIR / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize("path", sorted(PROJECT_DIR.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_committed_stack_files_mean_the_same_to_every_yaml_reader(path):
    """No value of a stack file may depend on the YAML version (an unquoted 13:30, yes, 0777):
    PyYAML's 1.1 reading (what other scripts and editors use) equals the CLI's."""
    import yaml

    assert stackfile.load(path) == (yaml.safe_load(path.read_text()) or {}).get("config", {})
