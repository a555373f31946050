"""Adoption (tools/adopt, docs/ADOPTION.md): import files built from the program's own resource
graph, ids in each provider's documented import format, the adopt block's refusals, and the
refusal of a preview that would replace or delete a data-bearing resource."""

from __future__ import annotations

import functools
import json

import pytest

from components.schema import ConfigError, Problems
from tests.conftest import committed_stack
from tools.adopt.__main__ import adopt, main
from tools.adopt.ids import Create, Known, Lookup, rule_for
from tools.adopt.importfile import PLACEHOLDER, AdoptError, engine_urns, type_name
from tools.adopt.preview import protected_urns, refusals
from tools.offline import PROJECT_DIR, PROJECT_NAME, Evaluation, reveal


@functools.cache
def adoption(stack: str):
    return adopt(stack, committed_stack(stack))


def _urns(file: dict, stack: str) -> dict[str, dict]:
    """URN of every entry, resolved as `pulumi import` does: the parent's URN by name from
    `nameTable` or the file, then NewURN(stack, project, parentType, type, logicalName)
    (pulumi/pulumi pkg/cmd/pulumi/operations/import.go:462-498; a qualified type chains the
    parent's qualified type with `$`)."""
    urn_of = dict(file["nameTable"])
    specs = {spec["name"]: spec for spec in file["resources"]}
    resolved: dict[str, dict] = {}
    while len(resolved) < len(specs):
        progressed = False
        for name, spec in specs.items():
            if name in urn_of and name not in file["nameTable"]:
                continue
            parent = spec.get("parent")
            if parent and parent not in urn_of:
                assert parent in specs, f"the parent {parent!r} of {name} has no entry in nameTable or resources"
                continue
            qualified = spec["type"]
            if parent:
                parent_type = urn_of[parent].split("::")[2]
                qualified = f"{parent_type}${spec['type']}"
            urn = f"urn:pulumi:{stack}::{PROJECT_NAME}::{qualified}::{spec.get('logicalName', name)}"
            urn_of[name] = urn
            resolved[urn] = spec
            progressed = True
        assert progressed, "a parent cycle in the import file"
    return resolved


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_every_entry_is_what_the_program_registers(stack: str) -> None:
    """Every resource of both files is one the program registers, with its type, name and parent
    (the URN `pulumi import` computes from them is the registered URN); every registered resource
    is imported or named as created; no entry is listed twice."""
    evaluation = committed_stack(stack)
    real = engine_urns(evaluation.resources, stack, PROJECT_NAME)
    registered = {real[r.urn]: r for r in evaluation.resources}
    result = adoption(stack)
    seen: set[str] = set()
    for file in result.files.values():
        for urn, spec in _urns(file, stack).items():
            assert urn in registered, f"{spec['type']} {spec['name']} is not registered by the program"
            r = registered[urn]
            assert spec["type"] == r.type
            assert spec.get("component", False) == (not r.custom)
            assert urn not in seen
            seen.add(urn)
            if "provider" in spec:
                provider_urn = file["nameTable"].get(spec["provider"]) or next(
                    u for u, s in _urns(file, stack).items() if s["name"] == spec["provider"]
                )
                assert real[r.provider.rsplit("::", 1)[0]] == provider_urn
    created = {real[r.urn] for r, _ in result.created}
    kubernetes_provider = {result.kubernetes_provider_urn}
    assert set(registered) == seen | created | kubernetes_provider


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_files_are_what_pulumi_import_reads(stack: str) -> None:
    """import.go:206 importSpec / :255 importFile field names; :398-408: a component has no id,
    every other non-provider resource has one; a provider takes no id (created from its inputs);
    names are unique (an ambiguous parent is an error, :470)."""
    allowed = {"type", "name", "id", "parent", "provider", "component", "logicalName", "inputs"}
    for file in adoption(stack).files.values():
        assert set(file) == {"nameTable", "resources"}
        names = [spec["name"] for spec in file["resources"]]
        assert len(names) == len(set(names))
        for spec in file["resources"]:
            assert set(spec) <= allowed
            if spec["type"].startswith("pulumi:providers:"):
                assert "id" not in spec and "inputs" in spec
            elif spec.get("component"):
                assert "id" not in spec
            else:
                assert spec["id"], spec
        json.dumps(file)


def _ids(stack: str) -> dict[tuple[str, str], str]:
    return {
        (spec["type"], spec.get("logicalName", spec["name"])): spec.get("id", "")
        for file in adoption(stack).files.values()
        for spec in file["resources"]
    }


def test_gcp_ids_in_the_documented_formats() -> None:
    """hashicorp/terraform-provider-google-beta website/docs/r/*.html.markdown "## Import":
    sql_database_instance `projects/{{project}}/instances/{{name}}`; sql_user
    `{{project_id}}/{{instance}}/{{name}}`; storage_bucket `{{project_id}}/{{bucket}}`;
    container_cluster `projects/{{project_id}}/locations/{{location}}/clusters/{{cluster_id}}`;
    container_node_pool `{{project_id}}/{{location}}/{{cluster_id}}/{{pool_id}}`; compute_router_nat
    `projects/{{project}}/regions/{{region}}/routers/{{router}}/{{name}}`; storage_bucket_iam
    `b/{{bucket}} <role> <member>`; google_project_iam `{{project_id}} <role> <member>`;
    service_networking_connection `projects/{{project}}/global/networks/{{peering-network}}:{{service}}`.
    pulumi/pulumi-kubernetes provider/pkg/provider/util.go:103 parseFqName: `namespace/name`;
    helmRelease.md:756: `<namespace>/<releaseName>`."""
    ids = _ids("gcp")
    project = "acme-astronomer-prod"
    assert (
        ids[("gcp:sql/databaseInstance:DatabaseInstance", "astro-gcp-db")]
        == f"projects/{project}/instances/astronomer-prod-db"
    )
    assert ids[("gcp:sql/user:User", "astro-gcp-db-user")] == f"{project}/astronomer-prod-db/astronomer"
    assert ids[("gcp:storage/bucket:Bucket", "astro-gcp-registry")] == f"{project}/{project}-astro-gcp-registry"
    assert (
        ids[("gcp:container/cluster:Cluster", "astro-gcp")]
        == f"projects/{project}/locations/us-central1/clusters/astro-gcp"
    )
    assert (
        ids[("gcp:container/nodePool:NodePool", "astro-gcp-platform")]
        == f"{project}/us-central1/astro-gcp/astronomer-platform"
    )
    assert ids[("gcp:compute/routerNat:RouterNat", "astro-gcp-nat")] == (
        f"projects/{project}/regions/us-central1/routers/astro-gcp-router/astro-gcp-nat"
    )
    assert ids[("gcp:storage/bucketIAMMember:BucketIAMMember", "astro-gcp-registry-objectAdmin")] == (
        f"b/{project}-astro-gcp-registry roles/storage.objectAdmin "
        f"serviceAccount:astro-gcp-registry@{project}.iam.gserviceaccount.com"
    )
    assert ids[("gcp:projects/iAMMember:IAMMember", "astro-gcp-nodes-defaultNodeServiceAccount")].startswith(
        f"{project} roles/container.defaultNodeServiceAccount serviceAccount:"
    )
    assert ids[("gcp:servicenetworking/connection:Connection", "astro-gcp-private-services")] == (
        f"projects/{project}/global/networks/astro-gcp-vpc:servicenetworking.googleapis.com"
    )
    assert ids[("kubernetes:helm.sh/v3:Release", "astronomer-release")] == "astronomer/astronomer"
    assert ids[("kubernetes:core/v1:Secret", "astronomer-bootstrap")] == "astronomer/astronomer-bootstrap"
    assert ids[("kubernetes:core/v1:Namespace", "astronomer-namespace")] == "astronomer"


def test_aws_ids_in_the_documented_formats() -> None:
    """hashicorp/terraform-provider-aws website/docs/r/*.html.markdown "## Import": db_instance the
    `identifier`; s3_bucket (and its versioning, policy, ... resources) the bucket name;
    eks_node_group `cluster_name:node_group_name`; eks_addon `cluster_name:addon_name`;
    iam_role_policy_attachment `role/policy_arn`; iam_role_policy `role:policy_name`; kms_alias the
    alias name. EC2's own ids (vpc-..., subnet-...) are looked up, never guessed."""
    ids = _ids("aws")
    assert ids[("aws:rds/instance:Instance", "astro-aws-db")] == "astronomer-prod-db"
    assert ids[("aws:s3/bucket:Bucket", "astro-aws-registry")] == "astro-aws-registry-111122223333-us-east-1"
    assert (
        ids[("aws:s3/bucketVersioning:BucketVersioning", "astro-aws-backups")]
        == "astro-aws-backups-111122223333-us-west-2"
    )
    assert ids[("aws:eks/nodeGroup:NodeGroup", "astro-aws-platform")] == "astro-aws:astronomer-platform"
    assert ids[("aws:eks/addon:Addon", "astro-aws-vpc-cni")] == "astro-aws:vpc-cni"
    assert ids[("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "astro-aws-cluster-AmazonEKSClusterPolicy")] == (
        "astro-aws-cluster/arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    )
    assert ids[("aws:iam/rolePolicy:RolePolicy", "astro-aws-registry-irsa")] == "astro-aws-registry:registry-bucket"
    assert ids[("aws:kms/alias:Alias", "astro-aws-db-key")] == "alias/astro-aws-db"
    assert ids[("aws:ec2/vpc:Vpc", "astro-aws-vpc")] == PLACEHOLDER
    lookups = {r.name: lookup.command for r, lookup in adoption("aws").lookups}
    assert "Name=tag:Name,Values=astro-aws-vpc" in lookups["astro-aws-vpc"]
    assert "--region us-west-2" in lookups["astro-aws-backups-key"]


def test_the_adopted_account_replaces_the_offline_engines() -> None:
    """Bucket names contain the AWS account; offline it is the engine's mock one, so the ids
    take `adopt.accountId` instead."""
    evaluation = committed_stack("aws")
    facts_stack = adopt("aws", evaluation)
    assert facts_stack.files
    from tools.adopt.ids import Facts

    facts = Facts(
        cloud="aws", project="", region="us-east-1", account="444455556666", database_instance="db",
        cluster=None, node_pool=None, network=None, registry_bucket=None, backups_bucket=None,
        namespace="astronomer", resources=tuple(evaluation.resources),
    )  # fmt: skip
    bucket = evaluation.one("aws:s3/bucket:Bucket", "astro-aws-registry")
    rule = rule_for(bucket.type)
    assert rule is not None
    assert rule(bucket, facts) == Known("astro-aws-registry-444455556666-us-east-1")


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_secrets_are_never_imported(stack: str) -> None:
    """A random_password imports by its value: an import file would hold it in plain text."""
    created = {r.type for r, _ in adoption(stack).created}
    assert {"random:index/randomPassword:RandomPassword", "tls:index/privateKey:PrivateKey"} <= created
    text = json.dumps(adoption(stack).files)
    assert "randomPassword" not in text and "privateKey:PrivateKey" not in text


def test_a_type_without_an_id_rule_is_refused_by_name() -> None:
    """Another change adds a resource type: adoption stops, naming it, instead of leaving it out."""
    evaluation = committed_stack("gcp")
    [one] = [r for r in evaluation.resources if r.type == "gcp:compute/router:Router"]
    unknown = Evaluation(stack="gcp", resources=[*evaluation.resources], outputs=evaluation.outputs)
    unknown.resources.append(
        type(one)(**{**one.__dict__, "type": "gcp:compute/firewall:Firewall", "urn": one.urn + "-fw"})
    )
    with pytest.raises(AdoptError, match="gcp:compute/firewall:Firewall"):
        adopt("gcp", unknown)
    assert rule_for("gcp:compute/firewall:Firewall") is None


def test_every_registered_type_has_a_rule() -> None:
    for stack in ("gcp", "aws"):
        for r in committed_stack(stack).resources:
            if r.custom and not r.type.startswith("pulumi:providers:"):
                assert rule_for(r.type) is not None, f"{r.type}: no import id rule"


# ---- the adopt block ----------------------------------------------------------------------------


def _parse(cloud: str, block: object):
    from components.config import parse_adopt

    problems = Problems()
    result = parse_adopt(cloud, {"adopt": json.dumps(block)}, problems)
    return result, problems.items


def test_the_adopt_block_refuses_unknown_keys_with_a_suggestion() -> None:
    _, problems = _parse("gcp", {"databaseInstanse": "x"})
    assert any("adopt.databaseInstanse" in p and "databaseInstance" in p for p in problems)
    assert any("adopt.databaseInstance: required" in p for p in problems)


def test_the_adopt_block_refuses_a_bad_account_and_names() -> None:
    _, problems = _parse("aws", {"databaseInstance": "db", "accountId": "12"})
    assert any("adopt.accountId" in p and "12-digit" in p for p in problems)
    _, problems = _parse("aws", {"databaseInstance": "db"})
    assert any("adopt.accountId: required" in p for p in problems)
    _, problems = _parse("gcp", {"databaseInstance": "Not A Name"})
    assert any("adopt.databaseInstance" in p for p in problems)
    _, problems = _parse("gcp", {"databaseInstance": "db", "accountId": "111122223333"})
    assert any("adopt.accountId" in p for p in problems), "an AWS key on a GCP stack"


def test_the_program_refuses_a_bad_adopt_block_before_declaring_anything() -> None:
    from tests.conftest import evaluate_stack

    evaluation = evaluate_stack("gcp", **{"astronomer-dr:adopt": {"databaseInstance": "db", "clutser": "c"}})
    assert isinstance(evaluation.error, ConfigError)
    assert "astronomer-dr:adopt.clutser" in str(evaluation.error) and "cluster" in str(evaluation.error)
    assert evaluation.resources == []


def test_adopt_create_names_only_program_resources() -> None:
    """`create` names resources of the program's graph; a typo is refused with the closest name."""
    from tests.conftest import evaluate_stack
    from tests.test_restore import committed

    block = committed("gcp", "adopt")
    block["create"] = [n.replace("velero-release", "velero-relaese") for n in block["create"]]
    with pytest.raises(AdoptError, match=r"velero-relaese.*velero-release"):
        adopt("gcp", evaluate_stack("gcp", **{"astronomer-dr:adopt": block}))


def test_make_adopt_writes_the_files(tmp_path, capsys) -> None:
    assert main(["gcp"], out_dir=tmp_path) == 0
    written = json.loads((tmp_path / "adopt-gcp.json").read_text())
    assert {s["name"] for s in written["resources"]} == {
        s["name"] for s in adoption("gcp").files["adopt-gcp.json"]["resources"]
    }
    out = capsys.readouterr().out
    assert "pulumi import --file adopt-gcp.json --generate-code=false" in out
    assert "pulumi up --target 'urn:pulumi:gcp::astronomer-dr::" in out


# ---- refusing what would hurt ---------------------------------------------------------------------


def _step(op: str, urn: str, type_token: str, protect: bool = True, reasons: list[str] | None = None) -> dict:
    """A PreviewStep as `pulumi preview --json` prints it (pulumi/pulumi pkg/display/json.go:59:
    op, urn, oldState/newState as apitype.ResourceV3 with type and protect (core.go:405-468),
    replaceReasons)."""
    state = {"urn": urn, "custom": True, "type": type_token, "protect": protect, "id": "x", "inputs": {}}
    step: dict = {"op": op, "urn": urn, "oldState": state, "newState": {**state}, "detailedDiff": None}
    if reasons:
        step["replaceReasons"] = reasons
    return step


def _engine_urn(stack: str, type_token: str, name: str | None = None) -> str:
    """A resource's URN as a real preview prints it (the engine's, tools.adopt.importfile.engine_urns)."""
    evaluation = committed_stack(stack)
    return engine_urns(evaluation.resources, stack, PROJECT_NAME)[evaluation.one(type_token, name).urn]


def test_a_preview_replacing_the_database_is_refused_with_the_key_to_align() -> None:
    """Refused because the program protects it, even where the state does not say so yet."""
    evaluation = committed_stack("gcp")
    instance = _engine_urn("gcp", "gcp:sql/databaseInstance:DatabaseInstance")
    preview = {
        "steps": [
            _step(
                "replace",
                instance,
                "gcp:sql/databaseInstance:DatabaseInstance",
                protect=False,
                reasons=["databaseVersion"],
            ),
            _step("update", _engine_urn("gcp", "gcp:sql/user:User"), "gcp:sql/user:User", protect=False),
            _step(
                "same",
                _engine_urn("gcp", "gcp:storage/bucket:Bucket", "astro-gcp-registry"),
                "gcp:storage/bucket:Bucket",
            ),
        ],
        "changeSummary": {"replace": 1, "update": 1, "same": 1},
    }
    [sentence] = refusals(preview, protected_urns(evaluation.resources, "gcp", PROJECT_NAME))
    assert sentence.startswith(instance) and "astronomer-dr:database.postgresVersion" in sentence
    assert instance.count("$") == 2, "the engine's URN chains every parent's type"


def test_a_delete_or_an_unknown_reason_is_refused_too() -> None:
    evaluation = committed_stack("aws")
    bucket = _engine_urn("aws", "aws:s3/bucket:Bucket", "astro-aws-registry")
    instance = _engine_urn("aws", "aws:rds/instance:Instance")
    preview = {
        "steps": [
            _step("delete", bucket, "aws:s3/bucket:Bucket"),
            _step("create-replacement", instance, "aws:rds/instance:Instance", reasons=["storageEncrypted", "port"]),
        ]
    }
    found = refusals(preview, protected_urns(evaluation.resources, "aws", PROJECT_NAME))
    assert len(found) == 2
    assert "delete" in found[0]
    assert "adopt by recovery" in found[1] and "port: no config key" in found[1]


def test_a_harmless_preview_passes(tmp_path, capsys) -> None:
    """Replacing what holds no data (a route table association) is no refusal."""
    evaluation = committed_stack("aws")
    association = evaluation.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")[0]
    urn = engine_urns(evaluation.resources, "aws", PROJECT_NAME)[association.urn]
    preview = {"steps": [_step("replace", urn, association.type, protect=False, reasons=["subnetId"])]}
    assert refusals(preview, protected_urns(evaluation.resources, "aws", PROJECT_NAME)) == []
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(preview))
    assert main(["aws", "--check-preview", str(path)]) == 0
    instance = _engine_urn("aws", "aws:rds/instance:Instance")
    path.write_text(json.dumps({"steps": [_step("delete", instance, "aws:rds/instance:Instance", protect=False)]}))
    assert main(["aws", "--check-preview", str(path)]) == 1
    assert "refused:" in capsys.readouterr().err


def test_answers_are_one_of_three_kinds() -> None:
    for stack in ("gcp", "aws"):
        for entry in adoption(stack).entries:
            assert entry.answer is None or isinstance(entry.answer, Known | Lookup | Create)
            if entry.answer is None:
                assert not entry.resource.custom or entry.resource.type.startswith("pulumi:providers:")
    assert type_name("gcp:storage/bucket:Bucket") == "Bucket"


# ---- secrets that already exist -------------------------------------------------------------------

ADOPTED = {
    "astronomer-dr:adoptedJwtSigningKey": "-----BEGIN PRIVATE KEY-----\nADOPTED-JWT-KEY\n-----END PRIVATE KEY-----\n",
    "astronomer-dr:adoptedJwtSigningCertificate": "-----BEGIN CERTIFICATE-----\nADOPTED-JWT-CERT\n-----END CERTIFICATE-----\n",
    "astronomer-dr:adoptedRegistryHttpSecret": "adopted-registry-http-secret-value",
    "astronomer-dr:adoptedDatabasePassword": "adopted-database-password-value",
}


@functools.cache
def adopted_stack(stack: str) -> Evaluation:
    from tests.conftest import TLS_SECRETS
    from tools.offline import evaluate

    evaluation = evaluate(stack, secrets={**TLS_SECRETS, **ADOPTED})
    assert evaluation.error is None, evaluation.error
    return evaluation


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_adopted_secrets_replace_the_generators(stack: str) -> None:
    """The running installation's JWT pair, registry http secret and database password are kept:
    no generator is declared, each value reaches its Secret, user or values, and never in plain text."""
    from tests.conftest import bootstrap_connection_url, secret_leaks

    evaluation = adopted_stack(stack)
    generated = {r.type for r in evaluation.resources if r.type.startswith(("random:", "tls:"))}
    assert generated == {"random:index/randomUuid:RandomUuid"}, generated
    for value in ADOPTED.values():
        needle = value.splitlines()[1] if value.startswith("-----") else value
        assert secret_leaks(evaluation, needle) == [], needle
    [jwt_key] = [s for s in evaluation.of_type("kubernetes:core/v1:Secret") if s.name == "astronomer-identity-jwt-key"]
    assert "ADOPTED-JWT-KEY" in json.dumps(reveal(jwt_key.inputs))
    [certificate] = [
        s for s in evaluation.of_type("kubernetes:core/v1:Secret") if s.name == "astronomer-identity-jwt-certificate"
    ]
    assert "ADOPTED-JWT-CERT" in json.dumps(reveal(certificate.inputs))
    assert bootstrap_connection_url(evaluation).password == ADOPTED["astronomer-dr:adoptedDatabasePassword"]
    release = evaluation.one("kubernetes:helm.sh/v3:Release", "astronomer-release")
    assert "adopted-registry-http-secret-value" in json.dumps(reveal(release.inputs))
    if stack == "gcp":
        assert evaluation.one("gcp:sql/user:User").input("password") == "adopted-database-password-value"
    else:
        assert evaluation.one("aws:rds/instance:Instance").input("password") == "adopted-database-password-value"


def test_with_adopted_secrets_nothing_is_left_to_generate() -> None:
    result = adopt("gcp", adopted_stack("gcp"))
    assert not [r for r, _ in result.created if r.type.startswith(("random:", "tls:"))]


def test_the_generators_name_the_key_that_keeps_the_running_value() -> None:
    reasons = {r.name: c.why for r, c in adoption("aws").created}
    assert "astronomer-dr:adoptedDatabasePassword" in reasons["astro-aws-db-password"]
    assert "astronomer-dr:adoptedRegistryHttpSecret" in reasons["astronomer-registry-http-secret"]
    assert "astronomer-dr:adoptedJwtSigningKey" in reasons["astronomer-identity-jwt-key"]


def test_adopted_secrets_are_refused_in_plain_text_or_half() -> None:
    from tests.conftest import evaluate_stack

    evaluation = evaluate_stack("gcp", **{"astronomer-dr:adoptedRegistryHttpSecret": "plain"})
    assert isinstance(evaluation.error, ConfigError) and evaluation.resources == []
    assert "adoptedRegistryHttpSecret: must be a secret" in str(evaluation.error)
    assert "pulumi config set --secret astronomer-dr:adoptedRegistryHttpSecret" in str(evaluation.error)

    from tests.conftest import TLS_SECRETS
    from tools.offline import evaluate

    half = {"astronomer-dr:adoptedJwtSigningKey": ADOPTED["astronomer-dr:adoptedJwtSigningKey"]}
    evaluation = evaluate("gcp", secrets={**TLS_SECRETS, **half})
    assert "adoptedJwtSigningCertificate: required with astronomer-dr:adoptedJwtSigningKey" in str(evaluation.error)
    rds = {"astronomer-dr:adoptedDatabasePassword": "has@sign"}
    evaluation = evaluate("aws", secrets={**TLS_SECRETS, **rds})
    assert "adoptedDatabasePassword: RDS refuses" in str(evaluation.error)
    typo = {"astronomer-dr:adoptedDatabasePasword": "x"}
    evaluation = evaluate("gcp", secrets={**TLS_SECRETS, **typo})
    assert "adoptedDatabasePasword" in str(evaluation.error) and "adoptedDatabasePassword" in str(evaluation.error)


def test_the_runbook_chapter_names_every_key_and_step() -> None:
    """docs/ADOPTION.md stays true to the code: every adopt key, every adopted secret, the commands."""
    from components.config import ADOPT_FIELDS, ADOPTED_SECRET_KEYS

    text = (PROJECT_DIR / "docs" / "ADOPTION.md").read_text()
    for fields in ADOPT_FIELDS.values():
        for key in fields:
            assert f"`{key}`" in text, key
    for key in ADOPTED_SECRET_KEYS:
        assert f"astronomer-dr:{key}" in text, key
    for command in (
        "make adopt STACK=prod",
        "pulumi import --file adopt-prod.json --generate-code=false",
        "pulumi import --file adopt-prod-kubernetes.json --generate-code=false",
        "make adopt STACK=prod CHECK=preview.json",
        "cluster.restore.sourceBucket",
        "database.restore.sourceInstance",
    ):
        assert command in text, command


def test_the_registry_replica_keeps_its_own_bucket_name() -> None:
    """`adopt.registryBucket` names the running registry's bucket; the replica in
    `registry.replicaRegion` (a bucket of its own, aws_s3_bucket_replication_configuration importing
    by the source bucket's name) is never given that name."""
    from tests.conftest import evaluate_stack
    from tests.test_restore import committed

    block = {**committed("aws", "adopt"), "registryBucket": "acme-registry"}
    ids = {
        (spec["type"], spec.get("logicalName", spec["name"])): spec.get("id", "")
        for file in adopt("aws", evaluate_stack("aws", **{"astronomer-dr:adopt": block})).files.values()
        for spec in file["resources"]
    }
    assert ids[("aws:s3/bucket:Bucket", "astro-aws-registry")] == "acme-registry"
    assert ids[("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "astro-aws-registry")] == "acme-registry"
    assert ids[("aws:s3/bucket:Bucket", "astro-aws-registry-replica")] == "astro-aws-registry-111122223333-us-west-2"
