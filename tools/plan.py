"""The offline plan: what `pulumi up --stack STACK` would build, without the CLI or a cloud.

    python -m tools.plan gcp                          # Markdown: resource tree, DR summary, recovery order
    python -m tools.plan gcp --json                   # machine output (secrets masked)
    python -m tools.plan gcp --diff-against origin/main   # only what changed against a git revision

It runs the real `__main__.py` with the stack's real config under the offline engine of
`tools/offline.py` (the one the tests use). Values a real stack file holds encrypted (`secure:`
entries, and the secret keys the program requires, `components.config.SECRET_KEYS`) are replaced
by placeholders that pass the program's validation, so the plan needs no passphrase or KMS.

`--diff-against REF` checks REF out into a temporary `git worktree`, evaluates REF's program and
the working tree's, each in its own Python process (so the two trees' `components` packages never
share a module cache) but always with THIS checkout's `tools` code, and prints the resources added
and removed and the input properties that changed. It prints nothing when nothing changed.

Exit codes: 0 success (also when REF's program fails to evaluate: that is reported, not fatal),
1 the working tree's program fails to evaluate, 2 bad usage (no git repository, unknown REF).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

# Where `tools` lives: the code that runs, whichever tree it evaluates.
TOOLS_ROOT = Path(__file__).resolve().parent.parent
DOCUMENT_VERSION = 1

# Placeholders for values that only exist encrypted. They are shaped to pass the program's
# validation (the TLS keys must look like PEM) and say plainly what they are.
SECRET_PLACEHOLDERS = {
    "tlsCertificate": "-----BEGIN CERTIFICATE-----\nOFFLINE-PLAN-PLACEHOLDER\n-----END CERTIFICATE-----\n",
    "tlsKey": "-----BEGIN PRIVATE KEY-----\nOFFLINE-PLAN-PLACEHOLDER\n-----END PRIVATE KEY-----\n",
}
GENERIC_PLACEHOLDER = "offline-plan-placeholder"
MASKED = "[secret]"  # tools.offline.SECRET_PLACEHOLDER; repeated so the diff needs no Pulumi import


# ---- evaluation --------------------------------------------------------------------------------


def _program_config_module(project_dir: Path) -> Any:
    """`components.config` of the tree being evaluated (for SECRET_KEYS and PROJECT), or None.

    The program imports `components` from its own tree; importing it here first, from the same
    tree, keeps the module cache consistent. A process that already holds another tree's
    `components` cannot evaluate this one: that is what the subprocesses of --diff-against avoid.
    """
    project_dir = project_dir.resolve()
    loaded = sys.modules.get("components")
    if loaded is not None:
        origin = Path(getattr(loaded, "__file__", None) or next(iter(getattr(loaded, "__path__", [])), "")).resolve()
        if project_dir not in origin.parents:
            raise RuntimeError(
                f"this process already imported `components` from {origin.parent}; evaluate {project_dir} "
                "in its own process (python -m tools.plan STACK --project-dir DIR)"
            )
    elif str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    try:
        import components.config as config_module  # noqa: PLC0415 - the evaluated tree's module
    except Exception:  # an older or broken tree: the evaluation itself will report what is wrong
        return None
    return config_module


def placeholder_for(key: str) -> str:
    return SECRET_PLACEHOLDERS.get(key.split(":", 1)[-1], GENERIC_PLACEHOLDER)


def placeholder_tls(base_domain: str) -> tuple[str, str]:
    """A stand-in certificate and key for <base_domain> and *.<base_domain>, because the program
    parses its TLS material. Byte-for-byte the same on every run (a fixed key, a deterministic
    ECDSA signature, fixed dates), so a diff never shows it as a change."""
    from datetime import datetime, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.derive_private_key(0x0FF11E, ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "offline plan placeholder")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2000, 1, 1, tzinfo=timezone.utc))
        .not_valid_after(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(base_domain), x509.DNSName(f"*.{base_domain}")]), critical=False)
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return pem, key_pem


def _base_domain(config: Mapping[str, str], namespace: str) -> Optional[str]:
    try:
        platform = json.loads(config.get(f"{namespace}:platform") or "{}")
    except ValueError:
        return None
    domain = platform.get("baseDomain") if isinstance(platform, dict) else None
    return domain if isinstance(domain, str) and domain.isascii() and domain else None


def evaluate_stack(stack: str, project_dir: Path = TOOLS_ROOT):
    """Runs the program of `project_dir` for `stack` offline. Returns (Evaluation, placeholder keys)."""
    # Before the evaluated tree goes on sys.path: `tools` is a namespace package, and a later
    # import could find that tree's own (older) tools/offline.py first.
    from tools import offline

    config_module = _program_config_module(project_dir)
    namespace = getattr(config_module, "PROJECT", offline.PROJECT_NAME)
    required = [f"{namespace}:{key}" for key in getattr(config_module, "SECRET_KEYS", ())]
    config, secure_keys = offline.stack_config(stack, project_dir)
    secrets: dict[str, str] = {}
    domain = _base_domain(config, namespace)
    tls = placeholder_tls(domain) if domain else None
    for key in [*secure_keys, *(k for k in required if k not in config)]:
        config.pop(key, None)
        secrets[key] = placeholder_for(key)
        if tls and key in (f"{namespace}:tlsCertificate", f"{namespace}:tlsKey"):
            secrets[key] = tls[0] if key.endswith(":tlsCertificate") else tls[1]
    with warnings.catch_warnings():
        # First access to pulumi_gcp.storage / pulumi_aws.s3 warns about their deprecated V2 modules.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulumi_(gcp|aws)(\.|$)")
        evaluation = offline.evaluate(stack, config=config, secrets=secrets, project_dir=project_dir)
    return evaluation, sorted(secrets)


# ---- the plan document (what --json prints) ----------------------------------------------------


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


def to_document(evaluation, placeholders: Iterable[str] = (), seconds: Optional[float] = None) -> dict[str, Any]:
    """The plan as plain JSON-able data: the resources as registered, secrets masked."""
    from tools.offline import mask

    error = evaluation.error
    return {
        "version": DOCUMENT_VERSION,
        "stack": evaluation.stack,
        "error": None if error is None else (str(error) or type(error).__name__),
        "placeholders": sorted(placeholders),
        "seconds": None if seconds is None else round(seconds, 2),
        "resources": sorted((_resource_document(r) for r in evaluation.resources), key=lambda d: d["urn"]),
        "reads": sorted((_resource_document(r, read=True) for r in evaluation.reads), key=lambda d: d["urn"]),
        "outputs": mask(evaluation.outputs),
        "output_secret_digests": _secret_digests(evaluation.outputs),
        "dr_summary": [] if error is not None else dr_summary(evaluation),
    }


def plan_document(stack: str, project_dir: Path = TOOLS_ROOT) -> dict[str, Any]:
    started = time.perf_counter()
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        return missing_stack_document(stack, f"there is no {stack_file.name} in {project_dir}")
    from tools.stackfile import StackFileError, load

    try:
        load(stack_file)  # before the program is imported: a file the CLI would not load stops here
        evaluation, placeholders = evaluate_stack(stack, project_dir)
    except StackFileError as error:
        # The CLI would not load the file either: say why, without a traceback.
        return {**missing_stack_document(stack, ""), "missing": None, "stack_file_error": True, "error": str(error)}
    return to_document(evaluation, placeholders, time.perf_counter() - started)


def unknown_stack_message(stack: str, project_dir: Path) -> str:
    """`make plan STACK=<typo>`: the stacks that exist, and the closest one."""
    import difflib

    from tools.stackfile import stack_names

    names = stack_names(project_dir)
    guess = difflib.get_close_matches(stack, names, n=1, cutoff=0.5)
    hint = f"; did you mean {guess[0]}?" if guess else ""
    return f"no stack named {stack!r}: there is no Pulumi.{stack}.yaml in {project_dir} (stacks: {', '.join(names) or 'none'}){hint}"


def missing_stack_document(stack: str, why: str) -> dict[str, Any]:
    return {
        "version": DOCUMENT_VERSION, "stack": stack, "error": None, "missing": why, "placeholders": [],
        "seconds": None, "resources": [], "reads": [], "outputs": {}, "output_secret_digests": {}, "dr_summary": [],
    }


# ---- DR summary (from the registered inputs, with secrets revealed only for the fields shown) ---


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(", ", ": "), sort_keys=True)
    return str(value)


def _row(prop: str, value: str, resource, *paths: str) -> dict[str, str]:
    source = f"`{resource.name}` " + ", ".join(f"`{p}`" for p in paths) if paths else f"`{resource.name}`"
    return {"property": prop, "value": value, "source": source}


def _protection(r, api_value: Any) -> str:
    api = "on at the API" if api_value else "OFF at the API ⚠️"
    return f"{api}; Pulumi `protect` {'on' if r.protect else 'OFF ⚠️'}"


def _cloud_sql_rows(r) -> list[dict[str, str]]:
    b = "settings.backupConfiguration"
    enabled, pitr = r.input(f"{b}.enabled"), r.input(f"{b}.pointInTimeRecoveryEnabled")
    log_days = r.input(f"{b}.transactionLogRetentionDays")
    if enabled and pitr:
        rpo = f"seconds to minutes: point-in-time recovery to any moment of the last {_fmt(log_days or 7)} days (transaction logs)"
    elif enabled:
        rpo = "up to 24 h: the last daily backup (point-in-time recovery is off) ⚠️"
    else:
        rpo = "none: automated backups are off, a rebuild starts with an empty database ⚠️"
    retained, unit = r.input(f"{b}.backupRetentionSettings.retainedBackups"), r.input(f"{b}.backupRetentionSettings.retentionUnit")
    retention = f"{_fmt(retained)} daily backups" if retained is not None else "Cloud SQL default (7 backups)"
    if unit and unit != "COUNT":
        retention += f" ({unit})"
    location = r.input(f"{b}.location")
    region = r.input("region")
    where = f"`{location}`" if location else f"Cloud SQL's default: the multi-region nearest the instance region `{_fmt(region)}`"
    final_enabled, final_days = r.input("settings.finalBackupConfig.enabled"), r.input("settings.finalBackupConfig.retentionDays")
    final = f"taken, kept {_fmt(final_days)} days" if final_enabled else "none ⚠️"
    kept = r.input("settings.retainBackupsOnDelete")
    return [
        _row("Recovery point objective", rpo, r, f"{b}.pointInTimeRecoveryEnabled", f"{b}.transactionLogRetentionDays"),
        _row("Backup retention", retention, r, f"{b}.backupRetentionSettings"),
        _row("Backup window", f"daily from {_fmt(r.input(f'{b}.startTime'))} UTC (a 4-hour window)", r, f"{b}.startTime"),
        _row("Where backups live", where, r, f"{b}.location", "region"),
        _row("Recovery point objective, region lost", _cloud_sql_region_rpo(enabled, location), r, f"{b}.location"),
        _row("Backups after the instance is deleted", "kept" if kept else "deleted with the instance ⚠️", r, "settings.retainBackupsOnDelete"),
        _row("Final backup on delete", final, r, "settings.finalBackupConfig"),
        _row("What this program restores after a deletion", CLOUD_SQL_DELETED_RESTORE, r, "settings.retainBackupsOnDelete"),
        _row("Deletion protection", _protection(r, r.input("settings.deletionProtectionEnabled")), r, "settings.deletionProtectionEnabled", "protect"),
        _row("High availability", _fmt(r.input("settings.availabilityType")), r, "settings.availabilityType"),
    ]


# Issue 10, item 15: a deleted instance's retained and final backups are `projects/<p>/backups/<uid>`;
# the provider's `restore_backup_context` takes a backup run id of an instance (google-beta
# resource_sql_database_instance.go:1594-1617), and its clone a deleted source's deletion time.
CLOUD_SQL_DELETED_RESTORE = (
    "a point in time within the transaction-log window before the deletion (`restore.sourceDeletedAt`); "
    "its retained and final backups (`projects/<p>/backups/<uid>`) only by hand with gcloud into the restored "
    "instance (docs/RUNBOOK.md), not through `backupId`"
)


def _cloud_sql_region_rpo(enabled: Any, location: Any) -> str:
    """Cloud SQL's transaction logs stay in the instance's region; `backupConfiguration.location`
    moves only the daily backups (https://cloud.google.com/sql/docs/postgres/backup-recovery/backups#custom-locations)."""
    if not enabled:
        return "none: automated backups are off ⚠️"
    where = f"`{location}`" if location else "Cloud SQL's default multi-region"
    return f"up to 24 h: the last daily backup, kept in {where} (point-in-time logs stay in the instance's region)"


def _rds_rows(r, replications: list) -> list[dict[str, str]]:
    days = r.input("backupRetentionPeriod") or 0
    if days:
        rpo = f"about 5 minutes: point-in-time restore to any moment of the last {_fmt(days)} days (RDS ships transaction logs every 5 minutes)"
    else:
        rpo = "none: automated backups are off (backupRetentionPeriod 0) ⚠️"
    region = r.input("region")
    where = f"the instance's region{f' `{region}`' if region else ''} (RDS automated backups)"
    for replication in replications:
        where += f"; replicated by `{replication.name}`, kept {_fmt(replication.input('retentionPeriod') or 7)} days"
    kept = r.input("deleteAutomatedBackups") is False
    final_id = r.input("finalSnapshotIdentifier")
    final = f"snapshot `{final_id}`" if final_id and not r.input("skipFinalSnapshot") else "none ⚠️"
    return [
        _row("Recovery point objective", rpo, r, "backupRetentionPeriod"),
        _row(
            "Recovery point objective, region lost",
            "minutes: the replicated automated backups and transaction logs in the replica region"
            if replications and days
            else "nothing outside the instance's region ⚠️ (set database.backupReplicaRegion)",
            r,
            "backupRetentionPeriod",
        ),
        _row("Backup retention", f"{_fmt(days)} days", r, "backupRetentionPeriod"),
        _row("Backup window", f"{_fmt(r.input('backupWindow'))} UTC", r, "backupWindow"),
        _row("Where backups live", where, r, "region"),
        _row(
            "Backups after the instance is deleted",
            "kept until their retention ends" if kept else "deleted with the instance ⚠️ (deleteAutomatedBackups defaults to true)",
            r,
            "deleteAutomatedBackups",
        ),
        _row("Final backup on delete", final, r, "skipFinalSnapshot", "finalSnapshotIdentifier"),
        _row("Deletion protection", _protection(r, r.input("deletionProtection")), r, "deletionProtection", "protect"),
        _row("High availability", "Multi-AZ" if r.input("multiAz") else "single AZ", r, "multiAz"),
    ]


def _bucket_rows(evaluation, backend: str, bucket_name: Optional[str]) -> list[dict[str, str]]:
    rows = []
    if backend == "gcs":
        for b in evaluation.of_type("gcp:storage/bucket:Bucket"):
            if bucket_name and b.input("name") != bucket_name:
                continue
            noncurrent = [
                rule.get("condition", {}).get("daysSinceNoncurrentTime")
                for rule in b.input("lifecycleRules") or []
                if (rule.get("condition") or {}).get("daysSinceNoncurrentTime") is not None
            ]
            value = (
                f"location `{_fmt(b.input('location'))}`, versioning {'on' if b.input('versioning.enabled') else 'OFF ⚠️'}"
                + (f", noncurrent versions kept {_fmt(noncurrent[0])} days" if noncurrent else "")
                + f", Pulumi `protect` {'on' if b.protect else 'OFF ⚠️'}"
                + (", `forceDestroy` ON ⚠️" if b.input("forceDestroy") else "")
            )
            rows.append(_row("Registry bucket", value, b, "location", "versioning.enabled", "lifecycleRules", "protect"))
    elif backend == "s3":
        for b in evaluation.of_type("aws:s3/bucket:Bucket"):
            if bucket_name and b.input("bucket") != bucket_name:
                continue
            versioning = [v for v in evaluation.of_type("aws:s3/bucketVersioning:BucketVersioning") if v.input("bucket") == b.input("bucket")]
            status = versioning[0].input("versioningConfiguration.status") if versioning else None
            value = (
                f"versioning {status or 'OFF ⚠️'}, Pulumi `protect` {'on' if b.protect else 'OFF ⚠️'}"
                + (", `forceDestroy` ON ⚠️" if b.input("forceDestroy") else "")
            )
            rows.append(_row("Registry bucket", value, b, "forceDestroy", "protect"))
    return rows


def _is_astronomer_release(r) -> bool:
    chart = str(r.input("chart") or "")
    return chart == "astronomer" or chart.endswith("/astronomer") or bool(re.search(r"astronomer-[\d.]+\.tgz$", chart))


STANDBY_RPO = "seconds: the replication lag when the region went down; failover is `standby.promote: true` and `pulumi up` on the standby stack (docs/RUNBOOK.md)"


def region_loss_rows(evaluation) -> list[dict[str, str]]:
    """The standby (a replica and its primary) and what losing the whole region costs, per scenario:
    rebuilding from backups in a new stack, or promoting a standby stack's replica."""
    rows: list[dict[str, str]] = []
    reference = next((r.inputs.get("id") for r in evaluation.reads if r.type == "pulumi:pulumi:StackReference"), None)
    for r in evaluation.of_type("gcp:sql/databaseInstance:DatabaseInstance"):
        b = "settings.backupConfiguration"
        if r.input("masterInstanceName"):
            rows.append(_row("Standby replica", f"read replica of `{r.input('masterInstanceName')}` (stack `{reference}`) in `{_fmt(r.input('region'))}`; "
                             f"{_protection(r, r.input('settings.deletionProtectionEnabled'))}", r, "masterInstanceName", "region", "protect"))
            rows.append(_row("Region-loss RPO, standby promoted", STANDBY_RPO, r, "masterInstanceName", "instanceType"))
            continue
        if r.input("instanceType") == "CLOUD_SQL_INSTANCE" and reference:
            rows.append(_row("Standby", f"promoted: the primary of this stack since failover from `{reference}`", r, "instanceType"))
        location = r.input(f"{b}.location") or "the multi-region nearest the instance"
        rows.append(_row("Region-loss RPO, restore from backups", f"up to 24 h: the last daily backup, kept in `{location}`; the point-in-time logs stay in the lost region", r, f"{b}.location"))
        rows.append(_row("Region-loss RPO, standby promoted", STANDBY_RPO.replace("the standby stack", "a standby stack (`astronomer-dr:standby`)"), r))
    for r in evaluation.of_type("aws:rds/instance:Instance"):
        if r.input("replicateSourceDb"):
            rows.append(_row("Standby replica", f"read replica of `{r.input('replicateSourceDb')}` (stack `{reference}`), key `{_fmt(r.input('kmsKeyId'))}`; "
                             f"{_protection(r, r.input('deletionProtection'))}", r, "replicateSourceDb", "kmsKeyId", "protect"))
            rows.append(_row("Region-loss RPO, standby promoted", STANDBY_RPO, r, "replicateSourceDb"))
            continue
        if reference:
            rows.append(_row("Standby", f"promoted: the primary of this stack since failover from `{reference}`", r, "replicateSourceDb"))
        replications = [x for x in evaluation.of_type("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")]
        regions = sorted({str(x.input("kmsKeyId") or "").split(":")[3] for x in replications if str(x.input("kmsKeyId") or "").count(":") >= 4})
        value = (f"minutes: automated backups and transaction logs replicated to `{', '.join(regions)}` (point-in-time restore there)"
                 if regions else "everything: automated backups stay in the region ⚠️")
        rows.append(_row("Region-loss RPO, restore from backups", value, r, "backupRetentionPeriod"))
        rows.append(_row("Region-loss RPO, standby promoted", STANDBY_RPO.replace("the standby stack", "a standby stack (`astronomer-dr:standby`)"), r))
    return rows


def dr_summary(evaluation) -> list[dict[str, str]]:
    """What a disaster would cost and where the copies are, read from what the program registers."""
    rows: list[dict[str, str]] = []
    for r in evaluation.of_type("gcp:sql/databaseInstance:DatabaseInstance"):
        if not r.input("masterInstanceName"):
            rows += _cloud_sql_rows(r)
    replications = evaluation.of_type("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    for r in evaluation.of_type("aws:rds/instance:Instance"):
        if not r.input("replicateSourceDb"):
            rows += _rds_rows(r, replications)
    rows += region_loss_rows(evaluation)
    if not rows:
        rows.append({"property": "Database", "value": "no Cloud SQL or RDS instance is registered ⚠️", "source": "—"})
    releases = [r for r in evaluation.of_type("kubernetes:helm.sh/v3:Release") if _is_astronomer_release(r)]
    for r in releases:
        replicas = r.input("values.prometheus.replicas")
        rows.append(
            _row(
                "Prometheus replicas",
                f"{_fmt(replicas) if replicas is not None else 'chart default'} (metrics are not backed up; each replica holds a full copy)",
                r,
                "values.prometheus.replicas",
            )
        )
        backend, bucket = "", None
        for kind in ("gcs", "s3", "azure"):
            if r.input(f"values.astronomer.registry.{kind}.enabled"):
                backend, bucket = kind, r.input(f"values.astronomer.registry.{kind}.bucket") or r.input(f"values.astronomer.registry.{kind}.container")
                break
        label = {"gcs": "Google Cloud Storage", "s3": "Amazon S3", "azure": "Azure Blob Storage"}.get(backend)
        value = f"{label}, bucket `{bucket}`" if label else "the registry pod's volume: images die with the cluster ⚠️"
        rows.append(_row("Registry backend", value, r, f"values.astronomer.registry.{backend or 'gcs|s3'}"))
        rows += _bucket_rows(evaluation, backend, bucket)
        rows.append(_row("Chart version", f"`{_fmt(r.input('version'))}`", r, "version"))
    standby = any(r.type == "pulumi:pulumi:StackReference" for r in evaluation.reads) and evaluation.outputs.get("standby_promoted") is False
    if not releases and standby:
        rows.append({"property": "Platform release", "value": "declared at promotion (a standby: the replica cannot serve it)", "source": "output `standby_promoted`"})
    elif not releases:
        rows.append({"property": "Platform release", "value": "no `astronomer` Helm release is registered ⚠️", "source": "—"})
    if releases:
        rows += _deployment_rows(evaluation)
    return rows + security_rows(evaluation, releases)


# ---- exposure and isolation: the choices the stack makes, shown where a reviewer reads the plan -


def _reach(cidrs: Any) -> Optional[str]:
    """None when reachable from anywhere, else the ranges."""
    values = [c for c in cidrs or [] if isinstance(c, str)]
    if not values or any(c in ("0.0.0.0/0", "::/0") for c in values):
        return None
    return ", ".join(f"`{c}`" for c in values)


def security_rows(evaluation, releases: list) -> list[dict[str, str]]:
    """Who can reach the Kubernetes API and NGINX (an explicit choice: open keeps recovery possible
    from anywhere), whether NetworkPolicies are enforced, what the nodes may reach."""
    rows: list[dict[str, str]] = []
    for r in evaluation.of_type("gcp:container/cluster:Cluster"):
        if r.input("privateClusterConfig.enablePrivateEndpoint"):
            value = "private endpoint only (inside the VPC)"
        else:
            ranges = _reach([b.get("cidrBlock") for b in r.input("masterAuthorizedNetworksConfig.cidrBlocks") or []])
            value = f"public endpoint, from {ranges}" if ranges else "public endpoint, from anywhere, credentials still required (an explicit choice: `cluster.masterAuthorizedNetworks`)"
        rows.append(_row("Exposure: Kubernetes API", value, r, "privateClusterConfig", "masterAuthorizedNetworksConfig"))
        if r.input("datapathProvider") == "ADVANCED_DATAPATH":
            enforcement = "enforced (Dataplane V2)"
        elif r.input("networkPolicy.enabled"):
            enforcement = f"enforced ({_fmt(r.input('networkPolicy.provider'))})"
        else:
            enforcement = "NOT enforced: the chart's policies are inert ⚠️"
        rows.append(_row("NetworkPolicies", enforcement, r, "datapathProvider", "networkPolicy"))
    for r in evaluation.of_type("aws:eks/cluster:Cluster"):
        if not r.input("vpcConfig.endpointPublicAccess"):
            value = "private endpoint only (inside the VPC)"
        else:
            ranges = _reach(r.input("vpcConfig.publicAccessCidrs"))
            value = f"public endpoint, from {ranges}" if ranges else "public endpoint, from anywhere, credentials still required (an explicit choice: `cluster.publicAccessCidrs`)"
        rows.append(_row("Exposure: Kubernetes API", value, r, "vpcConfig.endpointPublicAccess", "vpcConfig.publicAccessCidrs"))
        cni = [a for a in evaluation.of_type("aws:eks/addon:Addon") if a.input("addonName") == "vpc-cni"]
        enforced = any(str(json.loads(a.input("configurationValues") or "{}").get("enableNetworkPolicy")).lower() == "true" for a in cni)
        rows.append(
            _row("NetworkPolicies", "enforced (VPC CNI network policy agent)" if enforced else "NOT enforced: the chart's policies are inert ⚠️",
                 cni[0] if cni else r, "configurationValues")
        )
        admins = [e.input("principalArn") for e in evaluation.of_type("aws:eks/accessEntry:AccessEntry")]
        who = "the identity that created the cluster" + (f", and {', '.join(f'`{a}`' for a in admins)}" if admins else " only (`cluster.admins` adds others)")
        rows.append(_row("Cluster admins", who, r, "accessConfig"))
    for t in evaluation.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        tokens, hops = t.input("metadataOptions.httpTokens"), t.input("metadataOptions.httpPutResponseHopLimit")
        ok = tokens == "required" and hops == 1
        rows.append(_row("Node metadata (IMDS)", f"tokens {_fmt(tokens)}, hop limit {_fmt(hops)}" + ("" if ok else " ⚠️"), t, "metadataOptions"))
    for p in evaluation.of_type("gcp:container/nodePool:NodePool"):
        rows.append(_row("Node identity", f"`{_fmt(p.input('nodeConfig.serviceAccount'))}`", p, "nodeConfig.serviceAccount"))
    for r in releases:
        if r.input("values.nginx.privateLoadBalancer"):
            value = "internal load balancer (inside the VPC)"
        else:
            ranges = _reach(r.input("values.nginx.loadBalancerSourceRanges"))
            value = f"internet-facing, from {ranges}" if ranges else "internet-facing, from anywhere (an explicit choice: `platform.loadBalancerSourceRanges` or `privateLoadBalancer`)"
        rows.append(_row("Exposure: NGINX (UI, APIs, registry)", value, r, "values.nginx.privateLoadBalancer", "values.nginx.loadBalancerSourceRanges"))
        if r.input("values.astronomer.registry.httpSecret") is not None:
            rows.append(
                _row("Registry httpSecret", "pinned, in the registry pod spec (chart 2.1.0): readable by whoever may read Deployments in the platform namespace",
                     r, "values.astronomer.registry.httpSecret")
            )
    return rows


def _deployment_rows(evaluation) -> list[dict[str, str]]:
    """The Airflow deployments (their namespaces, Secrets, Helm records, volumes): Velero's schedule,
    where its backups live, and a declared restore."""
    schedules = evaluation.of_type("kubernetes:velero.io/v1:Schedule")
    if not schedules:
        return [{"property": "Airflow deployments", "value": "not backed up: a lost cluster loses every deployment's namespace, Secrets and fernet key ⚠️", "source": "—"}]
    rows = []
    for r in schedules:
        t = "spec.template"
        namespaces = ", ".join(f"`{n}`" for n in r.input(f"{t}.includedNamespaces") or ["*"])
        ttl = r.input(f"{t}.ttl")
        days = f"{float(ttl.split('h')[0]) / 24:g} days" if ttl and ttl.split("h")[0].isdigit() else f"ttl `{_fmt(ttl)}` ⚠️"
        volumes = "their volumes by file-system backup" if r.input(f"{t}.defaultVolumesToFsBackup") else "no volume data ⚠️"
        rows.append(
            _row(
                "Airflow deployments",
                f"namespaces {namespaces} backed up by Velero on `{_fmt(r.input('spec.schedule'))}` (UTC), each backup kept {days}; every resource, {volumes} (Redis skipped)",
                r,
                "spec.schedule",
                f"{t}.ttl",
                f"{t}.includedNamespaces",
            )
        )
    for location in evaluation.of_type("kubernetes:velero.io/v1:BackupStorageLocation"):
        name = location.input("spec.objectStorage.bucket")
        where = location.input("spec.config.region")
        buckets = [b for b in evaluation.of_type("gcp:storage/bucket:Bucket") if b.input("name") == name]
        buckets += [b for b in evaluation.of_type("aws:s3/bucket:Bucket") if b.input("bucket") == name]
        if buckets and where is None:
            where = buckets[0].input("location")
        protect = ", Pulumi `protect` " + ("on" if buckets and buckets[0].protect else "OFF ⚠️")
        rows.append(_row("Deployments' backups live", f"bucket `{_fmt(name)}` in `{_fmt(where)}`{protect}", location, "spec.objectStorage.bucket", "spec.config"))
    for restore in evaluation.of_type("kubernetes:velero.io/v1:Restore"):
        source = restore.input("spec.backupName")
        what = f"backup `{source}`" if source else f"the newest backup of schedule `{_fmt(restore.input('spec.scheduleName'))}`"
        rows.append(_row("Deployments restore (declared)", f"Velero restore `{_fmt(restore.input('metadata.name'))}` of {what}, finished before the platform release", restore, "spec"))
    return rows


# ---- recovery order ----------------------------------------------------------------------------

# Rough minutes a create takes, for a rebuild from nothing (empty database: a restore from backup
# takes longer, in proportion to its size).
@dataclass(frozen=True)
class Estimate:
    kind: str
    minutes: float
    note: str


SLOW_TYPES: dict[str, Estimate] = {
    "gcp:container/cluster:Cluster": Estimate("Kubernetes cluster", 10, "regional private GKE control plane"),
    "aws:eks/cluster:Cluster": Estimate("Kubernetes cluster", 12, "EKS control plane"),
    "gcp:container/nodePool:NodePool": Estimate("Node pool", 5, "regional node pool, one zone after another"),
    "aws:eks/nodeGroup:NodeGroup": Estimate("Node group", 5, "managed node group"),
    "gcp:sql/databaseInstance:DatabaseInstance": Estimate("Database", 15, "regional HA Cloud SQL instance, empty"),
    "aws:rds/instance:Instance": Estimate("Database", 20, "Multi-AZ RDS instance, empty"),
    "kubernetes:helm.sh/v3:Release": Estimate("Platform release", 12, "Astronomer chart and its hooks; then the ready Job waits for every pod"),
    "kubernetes:velero.io/v1:Restore": Estimate("Deployments restore", 10, "Velero restore of every deployment namespace and its volumes; grows with their data"),
    "gcp:servicenetworking/connection:Connection": Estimate("Private services access", 2, "VPC peering for Cloud SQL"),
    "aws:ec2/natGateway:NatGateway": Estimate("NAT gateway", 2, ""),
    "aws:eks/addon:Addon": Estimate("EKS add-on", 2, ""),
}
OTHER_MINUTES = 0.25  # any other resource: seconds
# The kinds the issue calls slow: they are drawn individually in the graph.
SLOW_KINDS = {"Kubernetes cluster", "Node pool", "Node group", "Database", "Platform release"}


def short_type(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def _minutes(node: Mapping[str, Any]) -> float:
    if not (node["custom"] or node.get("read")):
        return 0.0
    estimate = SLOW_TYPES.get(node["type"])
    return estimate.minutes if estimate else OTHER_MINUTES


def _provider_urn(reference: str) -> str:
    return reference.rsplit("::", 1)[0] if reference else ""


@dataclass
class RecoveryOrder:
    waves: list[list[str]]  # URNs of custom resources (and reads), wave by wave
    critical_path: list[str]  # URNs, first to last
    finish: dict[str, float]  # earliest finish (minutes) per URN
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def total_minutes(self) -> float:
        return max(self.finish.values(), default=0.0)


def predecessors(node: Mapping[str, Any], known: Mapping[str, Any]) -> set[str]:
    """What must exist before this resource: dependencies, property dependencies, provider, parent."""
    found = set(node["dependencies"])
    for urns in node.get("property_dependencies", {}).values():
        found.update(urns)
    found.add(_provider_urn(node.get("provider") or ""))
    found.add(node.get("parent") or "")
    found.discard(node["urn"])
    return {u for u in found if u in known}


def recovery_order(document: Mapping[str, Any]) -> RecoveryOrder:
    """Dependency waves (topological levels over dependencies and parents) and the critical path.

    Components take no time and are not a wave of their own: a child waits for what its parent
    component waits for. Reads (`Resource.get`) count as work: they need what they read to exist.
    """
    nodes = {n["urn"]: n for n in [*document["resources"], *document.get("reads", [])]}
    preds = {urn: predecessors(n, nodes) for urn, n in nodes.items()}
    successors: dict[str, list[str]] = {urn: [] for urn in nodes}
    for urn, ps in preds.items():
        for p in ps:
            successors[p].append(urn)
    remaining = {urn: len(ps) for urn, ps in preds.items()}
    ready = sorted(urn for urn, count in remaining.items() if count == 0)
    order: list[str] = []
    while ready:
        urn = ready.pop(0)
        order.append(urn)
        for s in successors[urn]:
            remaining[s] -= 1
            if remaining[s] == 0:
                ready.append(s)
    if len(order) != len(nodes):
        cycle = sorted(nodes[u]["name"] for u, c in remaining.items() if c)
        raise ValueError(f"dependency cycle among {cycle}")

    def is_work(urn: str) -> bool:
        return bool(nodes[urn]["custom"] or nodes[urn].get("read"))

    level: dict[str, int] = {}
    finish: dict[str, float] = {}
    via: dict[str, Optional[str]] = {}
    for urn in order:
        level[urn] = max((level[p] + (1 if is_work(p) else 0) for p in preds[urn]), default=0)
        start_from = max(preds[urn], key=lambda p: (finish[p], nodes[p]["urn"]), default=None)
        start = finish[start_from] if start_from else 0.0
        via[urn] = start_from
        finish[urn] = start + _minutes(nodes[urn])

    work = [u for u in order if is_work(u)]
    waves: list[list[str]] = [[] for _ in range(max((level[u] for u in work), default=-1) + 1)]
    for urn in work:
        waves[level[urn]].append(urn)
    waves = [sorted(w, key=lambda u: (nodes[u]["type"], nodes[u]["name"])) for w in waves if w]

    path: list[str] = []
    cursor = max(work, key=lambda u: (finish[u], u), default=None)
    while cursor is not None:
        if is_work(cursor):
            path.append(cursor)
        cursor = via[cursor]
    path.reverse()
    return RecoveryOrder(waves=waves, critical_path=path, finish={u: finish[u] for u in work}, nodes=nodes)


# ---- Markdown ----------------------------------------------------------------------------------


def _code(text: str) -> str:
    text = str(text)
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _cell(text: str) -> str:
    return str(text).replace("\\|", "|").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def table(header: list[str], rows: Iterable[Iterable[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [_cell(c) for c in row]
        if len(cells) != len(header):
            raise ValueError(f"row {cells} has {len(cells)} cells, header {len(header)}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _minutes_text(minutes: float) -> str:
    if minutes < 1:
        return f"~{round(minutes * 60)} s"
    return f"~{minutes:.0f} min" if float(minutes).is_integer() else f"~{minutes:.1f} min"


def _markers(node: Mapping[str, Any]) -> str:
    marks = []
    if node.get("read"):
        marks.append("read (existing resource)")
    elif not node["custom"]:
        marks.append("component")
    if node["protect"]:
        marks.append("🔒 protect")
    if node.get("retain_on_delete"):
        marks.append("retained on delete")
    return (" — " + ", ".join(marks)) if marks else ""


def render_tree(document: Mapping[str, Any]) -> list[str]:
    nodes = [*document["resources"], *document.get("reads", [])]
    urns = {n["urn"] for n in nodes}
    children: dict[str, list[Mapping[str, Any]]] = {}
    for n in nodes:
        children.setdefault(n["parent"] if n["parent"] in urns else "", []).append(n)

    def sort_key(n: Mapping[str, Any]) -> tuple:
        return (bool(n["custom"]), n["type"], n["name"])

    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for n in sorted(children.get(parent, []), key=sort_key):
            lines.append(f"{'  ' * depth}- **{n['name']}** {_code(n['type'])}{_markers(n)}")
            walk(n["urn"], depth + 1)

    walk("", 0)
    return lines


def mermaid_id(raw: str, taken: set[str]) -> str:
    """A Mermaid node id: letters, digits and underscores, never a keyword, unique."""
    base = "n_" + (re.sub(r"[^A-Za-z0-9_]+", "_", raw).strip("_") or "node")
    candidate, i = base, 2
    while candidate in taken:
        candidate, i = f"{base}_{i}", i + 1
    taken.add(candidate)
    return candidate


def _mermaid_label(text: str) -> str:
    return '"' + text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("#lt;br/#gt;", "<br/>") + '"'


def render_mermaid(order: RecoveryOrder) -> list[str]:
    """Waves as subgraphs; slow and critical resources drawn alone, the rest grouped per type."""
    nodes, critical = order.nodes, set(order.critical_path)
    taken: set[str] = set()
    node_ids: dict[str, str] = {}
    lines = ["```mermaid", "graph TD"]
    firsts: list[str] = []
    slow_ids, critical_ids = [], []
    for k, wave in enumerate(order.waves, start=1):
        lines.append(f'  subgraph wave_{k}["Wave {k}"]')
        groups: dict[str, list[str]] = {}
        for urn in wave:
            n = nodes[urn]
            estimate = SLOW_TYPES.get(n["type"])
            slow = estimate is not None and estimate.kind in SLOW_KINDS
            if slow or urn in critical:
                nid = mermaid_id(f"{short_type(n['type'])}_{n['name']}", taken)
                node_ids[urn] = nid
                lines.append(f"    {nid}[{_mermaid_label(n['name'] + '<br/>' + short_type(n['type']) + ' · ' + _minutes_text(_minutes(n)))}]")
                if slow:
                    slow_ids.append(nid)
                if urn in critical:
                    critical_ids.append(nid)
                if len(firsts) < k:
                    firsts.append(nid)
            else:
                groups.setdefault(short_type(n["type"]), []).append(urn)
        for type_name, members in sorted(groups.items()):
            nid = mermaid_id(f"wave{k}_{type_name}", taken)
            for urn in members:
                node_ids[urn] = nid
            label = nodes[members[0]]["name"] + "<br/>" + type_name if len(members) == 1 else f"{type_name} ×{len(members)}"
            lines.append(f"    {nid}[{_mermaid_label(label)}]")
            if len(firsts) < k:
                firsts.append(nid)
        lines.append("  end")
    # Keep the waves stacked top-down even where no critical edge links them.
    for a, b in zip(firsts, firsts[1:]):
        lines.append(f"  {a} ~~~ {b}")
    for a, b in zip(order.critical_path, order.critical_path[1:]):
        lines.append(f"  {node_ids[a]} ==> {node_ids[b]}")
    lines.append("  classDef slow fill:#fde7c9,stroke:#c77700")
    lines.append("  classDef critical stroke:#c0392b,stroke-width:3px")
    if slow_ids:
        lines.append(f"  class {','.join(slow_ids)} slow")
    if critical_ids:
        lines.append(f"  class {','.join(critical_ids)} critical")
    lines.append("```")
    return lines


def render_recovery(document: Mapping[str, Any]) -> list[str]:
    order = recovery_order(document)
    nodes, critical = order.nodes, set(order.critical_path)
    types = sorted({n["type"] for n in nodes.values() if n["type"] in SLOW_TYPES}, key=lambda t: (-SLOW_TYPES[t].minutes, t))
    lines = ["### Recovery order", ""]
    lines += [
        "A full rebuild from nothing, as the engine would schedule it: each wave needs only resources of "
        "earlier waves (dependencies, providers and parent components). Durations are rough estimates for "
        "creating empty resources; restoring the database from a backup adds time in proportion to its size.",
        "",
    ]
    lines += table(
        ["Kind", "Resource type", "Estimate", "Note"],
        [[SLOW_TYPES[t].kind, _code(t), _minutes_text(SLOW_TYPES[t].minutes), SLOW_TYPES[t].note] for t in types]
        + [["anything else", "—", _minutes_text(OTHER_MINUTES), "components take no time"]],
    )
    lines += ["", "#### Waves", ""]
    rows = []
    for k, wave in enumerate(order.waves, start=1):
        names = []
        for urn in wave:
            n = nodes[urn]
            text = f"{n['name']} ({short_type(n['type'])})"
            names.append(f"**{text}**" if urn in critical else text)
        rows.append([str(k), str(len(wave)), ", ".join(names)])
    lines += table(["Wave", "Resources", "Which (critical path in bold)"], rows)
    lines += ["", f"#### Critical path: {_minutes_text(order.total_minutes)}", ""]
    rows = []
    for i, urn in enumerate(order.critical_path, start=1):
        n = nodes[urn]
        rows.append([str(i), f"**{n['name']}**", _code(n["type"]), _minutes_text(_minutes(n)), _minutes_text(order.finish[urn])])
    lines += table(["Step", "Resource", "Type", "Estimate", "Done after"], rows)
    lines += ["", *render_mermaid(order)]
    return lines


def render_plan(document: Mapping[str, Any]) -> str:
    stack = document["stack"]
    lines = [f"## Offline plan: stack `{stack}`", ""]
    if document.get("missing"):
        return "\n".join(lines + [f"Nothing to plan: {document['missing']}.", ""])
    if document["error"]:
        what = "The stack file cannot be read" if document.get("stack_file_error") else "The program fails to evaluate for this stack"
        lines += [f"**{what}:**", "", "```text", document["error"], "```", ""]
        return "\n".join(lines)
    resources = document["resources"]
    custom = sum(1 for r in resources if r["custom"])
    about = (
        f"The program evaluated offline ({custom} resources in {len(resources) - custom} components"
        + (f", {len(document['reads'])} existing resource{'s' if len(document['reads']) != 1 else ''} read" if document.get("reads") else "")
        + (f", in {document['seconds']:.1f} s" if document.get("seconds") is not None else "")
        + "): no cloud state is read, so this is what a full rebuild creates, not a `pulumi preview` of changes."
    )
    if document["placeholders"]:
        about += " Placeholders stand in for the encrypted config: " + ", ".join(f"`{k}`" for k in document["placeholders"]) + "."
    lines += [about, "", "### Resource tree", ""]
    lines += render_tree(document)
    lines += ["", "### Disaster recovery summary", "", "Read from the inputs the program registers, not from the stack file.", ""]
    lines += table(["Property", "Value", "Derived from"], ([r["property"], r["value"], r["source"]] for r in document["dr_summary"]))
    lines += ["", *render_recovery(document), ""]
    return "\n".join(lines)


# ---- diff --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SecretLeaf:
    digest: str


def _flat_with_secrets(values: Any, digests: Mapping[str, str]) -> dict[str, Any]:
    """Flattened masked values, each masked secret replaced by the digests of its own leaves."""
    flat = {p: v for p, v in flatten(values).items() if p}  # an empty top level has no leaves
    out: dict[str, Any] = {}
    for path, value in flat.items():
        inside = {p: d for p, d in digests.items() if p == path or p.startswith(path + ".") or p.startswith(path + "[")} if value == MASKED else {}
        if inside:
            out.update({p: _SecretLeaf(d) for p, d in inside.items()})
        else:
            out[path] = value
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal as the engine would see it: 7 and 7.0 are the same number, true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _change(path: str, old: Any, new: Any, missing: object) -> dict[str, Any]:
    change: dict[str, Any] = {"path": path}
    secret = isinstance(old, _SecretLeaf) or isinstance(new, _SecretLeaf)
    if old is not missing:
        change["old"] = MASKED if isinstance(old, _SecretLeaf) else old
    if new is not missing:
        change["new"] = MASKED if isinstance(new, _SecretLeaf) else new
    if secret:
        change["secret"] = True
    return change


def diff_values(old: Any, new: Any, old_digests: Mapping[str, str] = {}, new_digests: Mapping[str, str] = {}) -> list[dict[str, Any]]:
    """Changed leaves by dotted path: `{"path", "old", "new"}`, a side left out when absent."""
    a, b = _flat_with_secrets(old, old_digests), _flat_with_secrets(new, new_digests)
    missing = object()
    changes = []
    for path in [*a, *(p for p in b if p not in a)]:
        x, y = a.get(path, missing), b.get(path, missing)
        if x is missing or y is missing or not _same(x, y):
            changes.append(_change(path, x, y, missing))
    return changes


def _names(urns: Iterable[str]) -> list[str]:
    return [u.rsplit("::", 1)[-1] for u in urns]


def _as_document(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else to_document(value)


def diff_evaluations(old: Any, new: Any) -> dict[str, Any]:
    """Pure: what changed from `old` to `new` (plan documents or tools.offline Evaluations).

    Resources are matched by URN, as the engine matches them: a renamed or re-parented resource is
    one removed and one added. Changed inputs are listed leaf by leaf (secret leaves as `[secret]`),
    then changed options (`protect`, `retainOnDelete`, dependencies).
    """
    old, new = _as_document(old), _as_document(new)
    before = {r["urn"]: r for r in old["resources"]}
    after = {r["urn"]: r for r in new["resources"]}
    changed = []
    for urn, r in after.items():
        if urn not in before:
            continue
        b = before[urn]
        changes = diff_values(b["inputs"], r["inputs"], b.get("secret_digests", {}), r.get("secret_digests", {}))
        for option, key in (("protect", "protect"), ("retainOnDelete", "retain_on_delete")):
            if bool(b.get(key)) != bool(r.get(key)):
                changes.append({"path": f"({option})", "old": bool(b.get(key)), "new": bool(r.get(key))})
        if sorted(b["dependencies"]) != sorted(r["dependencies"]):
            changes.append({"path": "(dependencies)", "old": _names(b["dependencies"]), "new": _names(r["dependencies"])})
        if changes:
            changed.append({"urn": urn, "type": r["type"], "name": r["name"], "changes": changes})
    summary = lambda r: {k: r[k] for k in ("urn", "type", "name", "parent", "custom", "protect")}  # noqa: E731
    return {
        "stack": new.get("stack") or old.get("stack"),
        "added": [summary(r) for urn, r in after.items() if urn not in before],
        "removed": [summary(r) for urn, r in before.items() if urn not in after],
        "changed": changed,
        "outputs": diff_values(old.get("outputs", {}), new.get("outputs", {}), old.get("output_secret_digests", {}), new.get("output_secret_digests", {})),
    }


def diff_is_empty(diff: Mapping[str, Any]) -> bool:
    return not (diff["added"] or diff["removed"] or diff["changed"] or diff["outputs"])


def _value_text(change: Mapping[str, Any], side: str) -> str:
    if side not in change:
        return "(absent)"
    value = change[side]
    if change.get("secret") and value == MASKED:
        return "[secret]"
    text = _fmt(value)
    if len(text) > 160:
        text = text[:157] + "…"
    return _code(text)


def render_diff(diff: Mapping[str, Any], ref: str) -> str:
    """Markdown of a diff; empty when nothing changed."""
    if diff_is_empty(diff):
        return ""
    counts = f"**{len(diff['added'])} to add, {len(diff['removed'])} to remove, {len(diff['changed'])} to change**"
    lines = [
        f"## Offline plan diff: stack `{diff['stack']}`",
        "",
        f"{counts} against {_code(ref)}, from evaluating both programs offline. Resources are matched by URN: "
        "a renamed or re-parented resource shows as removed and added (the engine would replace it unless it has an alias).",
        "",
    ]
    for title, key in (("Added", "added"), ("Removed", "removed")):
        if diff[key]:
            lines += [f"### {title}", ""]
            lines += table(
                ["Resource", "Type", "Parent", "Protect"],
                ([f"**{r['name']}**", _code(r["type"]), r["parent"].rsplit("::", 1)[-1], "🔒" if r["protect"] else ""] for r in diff[key]),
            )
            lines.append("")
    if diff["changed"]:
        lines += ["### Changed", ""]
        for r in diff["changed"]:
            secret_note = any(c.get("secret") for c in r["changes"])
            lines += [f"#### **{r['name']}** {_code(r['type'])}", ""]
            lines += table(["Property", "Old", "New"], ([_code(c["path"]), _value_text(c, "old"), _value_text(c, "new")] for c in r["changes"]))
            if secret_note:
                lines += ["", "`[secret]`: a value inside an input the program marks secret changed; its value is not shown."]
            lines.append("")
    if diff["outputs"]:
        lines += ["### Stack outputs", ""]
        lines += table(["Output", "Old", "New"], ([_code(c["path"]), _value_text(c, "old"), _value_text(c, "new")] for c in diff["outputs"]))
        lines.append("")
    return "\n".join(lines)


# ---- --diff-against: a worktree, two processes -------------------------------------------------


class PlanError(Exception):
    """Bad usage: no repository, unknown revision."""


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise PlanError(f"git {' '.join(args)}: {(result.stderr or result.stdout).strip()}")
    return result.stdout.strip()


def _spawn(stack: str, project_dir: Path, output: Path) -> subprocess.Popen:
    """This checkout's tools, evaluating `project_dir`, in a fresh interpreter."""
    command = [sys.executable, "-m", "tools.plan", stack, "--json", "--project-dir", str(project_dir), "--output", str(output)]
    return subprocess.Popen(command, cwd=TOOLS_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _collect(process: subprocess.Popen, output: Path, stack: str) -> dict[str, Any]:
    _, stderr = process.communicate()
    try:
        return json.loads(output.read_text())
    except (OSError, ValueError):
        tail = "\n".join((stderr or "").strip().splitlines()[-15:])
        return {**missing_stack_document(stack, ""), "missing": None, "error": f"the plan process failed (exit {process.returncode}):\n{tail}"}


def _documents(stack: str, trees: list[Path], scratch: Path) -> list[dict[str, Any]]:
    running = []
    for i, tree in enumerate(trees):
        if not (tree / f"Pulumi.{stack}.yaml").is_file():
            running.append(missing_stack_document(stack, f"no Pulumi.{stack}.yaml"))
            continue
        output = scratch / f"plan-{i}.json"
        running.append((_spawn(stack, tree, output), output))
    return [item if isinstance(item, dict) else _collect(item[0], item[1], stack) for item in running]


def run_diff(stack: str, ref: str, project_dir: Path = TOOLS_ROOT, as_json: bool = False) -> tuple[str, int]:
    """(text, exit code) of `--diff-against REF` for the working tree at `project_dir`."""
    project_dir = project_dir.resolve()
    top = Path(_git(project_dir, "rev-parse", "--show-toplevel")).resolve()
    relative = project_dir.relative_to(top)
    try:
        commit = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except PlanError:
        raise PlanError(f"{ref!r} is not a commit of the repository at {top} (fetch it first?)") from None
    with tempfile.TemporaryDirectory(prefix="astronomer-dr-plan-") as scratch:
        tree = Path(scratch) / "tree"
        _git(top, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        try:
            old, new = _documents(stack, [tree / relative, project_dir], Path(scratch))
        finally:
            subprocess.run(["git", "-C", str(top), "worktree", "remove", "--force", str(tree)], capture_output=True)
            subprocess.run(["git", "-C", str(top), "worktree", "prune"], capture_output=True)

    return compare(stack, ref, old, new, as_json)


def compare(stack: str, ref: str, old: Mapping[str, Any], new: Mapping[str, Any], as_json: bool = False) -> tuple[str, int]:
    """(text, exit code) for the plan documents of REF (`old`) and the working tree (`new`)."""
    if new["error"]:
        message = f"## Offline plan diff: stack `{stack}`\n\n**The program in the working tree fails to evaluate for this stack:**\n\n```text\n{new['error']}\n```\n"
        return (json.dumps({"stack": stack, "ref": ref, "error": new["error"]}, indent=2) if as_json else message), 1
    if old["error"]:
        message = (
            f"## Offline plan diff: stack `{stack}`\n\n**The program at {_code(ref)} fails to evaluate for this stack**, "
            f"so there is nothing to compare with (the working tree evaluates: {len(new['resources'])} resources):\n\n"
            f"```text\n{old['error']}\n```\n"
        )
        return (json.dumps({"stack": stack, "ref": ref, "ref_error": old["error"]}, indent=2) if as_json else message), 0
    if old.get("missing") and new.get("missing"):
        raise PlanError(f"no stack named {stack!r} at {ref} nor in the working tree (no Pulumi.{stack}.yaml)")
    diff = diff_evaluations(old, new)
    if as_json:
        return json.dumps({"ref": ref, "changed_anything": not diff_is_empty(diff), **diff}, indent=2, default=str), 0
    text = render_diff(diff, ref)
    if text and old.get("missing"):
        text = f"Stack `{stack}` does not exist at {_code(ref)}: everything is new.\n\n" + text
    elif text and new.get("missing"):
        text = f"Stack `{stack}` is gone from the working tree.\n\n" + text
    return text, 0


# ---- CLI ---------------------------------------------------------------------------------------


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="stack name: Pulumi.<stack>.yaml is evaluated")
    parser.add_argument("--json", action="store_true", help="print the machine-readable plan (or diff) instead of Markdown")
    parser.add_argument("--diff-against", metavar="REF", help="print only what changed since git revision REF")
    parser.add_argument("--project-dir", type=Path, default=TOOLS_ROOT, help="the program to evaluate (default: this checkout)")
    parser.add_argument("--output", type=Path, help="write to this file instead of stdout")
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()

    try:
        if args.diff_against:
            text, code = run_diff(args.stack, args.diff_against, project_dir, as_json=args.json)
            if code == 0 and not text:
                # stdout stays empty for scripts (.github/scripts/offline-plan-comment.sh); a person is told.
                print(f"tools.plan: no changes: stack {args.stack} evaluates to the same resources, inputs and outputs as at {args.diff_against}", file=sys.stderr)
        else:
            if not (project_dir / f"Pulumi.{args.stack}.yaml").is_file():
                raise PlanError(unknown_stack_message(args.stack, project_dir))
            document = plan_document(args.stack, project_dir)
            text = json.dumps(document, indent=2, default=str) if args.json else render_plan(document)
            code = 1 if document["error"] else 0
    except PlanError as exc:
        print(f"tools.plan: {exc}", file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(text + ("\n" if text else ""))
    elif text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
