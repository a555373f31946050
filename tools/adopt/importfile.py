"""The import files of an adoption, built from what the program registers (the offline engine).

The shape is the one `pulumi import --file` reads (pulumi/pulumi pkg/cmd/pulumi/operations/
import.go:206 `importSpec`, :255 `importFile`): `nameTable` maps names to URNs of resources already
in the stack; each of `resources` has `type`, `name` (unique in the file), `logicalName` (the
resource's own name when `name` had to be made unique), `id`, `parent` and `provider` (names from
`nameTable` or from `resources`), and `component: true` without an id for a component, which the
import creates as a logical parent (import.go:399-408; pkg/resource/deploy/import.go:305 skips
providers for local components, :789 imports them as plain state). `pulumi preview --import-file`
writes the same shape, `<PLACEHOLDER>` where an id is needed (operations/preview.go:277).

Two files, because the Kubernetes resources need the Kubernetes provider, whose kubeconfig is
made from the cluster's outputs: it cannot be written offline, and a provider named in `nameTable`
must already be in the stack's state (pkg/resource/deploy/import.go:314-318). So:
  adopt-<stack>.json             every cloud resource and every component
  adopt-<stack>-kubernetes.json  the Kubernetes objects and Helm releases, after
                                 `pulumi up --target <the provider's URN>` created the provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.adopt.ids import Answer, Create, Facts, Known, Lookup, rule_for
from tools.offline import Evaluation, Registered, Secret

PLACEHOLDER = "<PLACEHOLDER>"
PROVIDER_PREFIX = "pulumi:providers:"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"


class AdoptError(Exception):
    """Why no import file can be written (a type without an id rule, a bad adopt block)."""


@dataclass(frozen=True)
class Entry:
    resource: Registered
    answer: Answer | None  # None: a component or a provider (no id)


@dataclass
class Adoption:
    stack: str
    entries: list[Entry]
    kubernetes_provider_urn: str | None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def lookups(self) -> list[tuple[Registered, Lookup]]:
        return [(e.resource, e.answer) for e in self.entries if isinstance(e.answer, Lookup)]

    @property
    def created(self) -> list[tuple[Registered, Create]]:
        return [(e.resource, e.answer) for e in self.entries if isinstance(e.answer, Create)]


def type_name(type_token: str) -> str:
    """The last part of a type token (`gcp:storage/bucket:Bucket` -> `Bucket`)."""
    return type_token.rsplit(":", 1)[-1]


def _is_provider(r: Registered) -> bool:
    return r.type.startswith(PROVIDER_PREFIX)


def _provider_urn(r: Registered) -> str:
    """The URN part of a provider reference (`<urn>::<id>`); "" for a default provider."""
    return r.provider.rsplit("::", 1)[0] if r.provider else ""


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def engine_urns(resources: list[Registered], stack: str, project: str) -> dict[str, str]:
    """Recorded URN -> the URN the engine gives the resource: the parent's whole qualified type
    chain, `$`-joined, then the type, the root stack's type left out (pulumi/pulumi
    sdk/go/common/resource/urn/urn.go:80-93 `New`; the import resolves a parent the same way,
    operations/import.go:477 `parentType = urn.QualifiedType()`). The offline engine's mock
    monitor chains only the parent's own type, so its URNs differ below the second level."""
    by_urn = {r.urn: r for r in resources}

    def qualified(r: Registered) -> str:
        parent = by_urn.get(r.parent)
        if parent is None or parent.type == ROOT_STACK_TYPE:
            return r.type
        return f"{qualified(parent)}${r.type}"

    return {r.urn: f"urn:pulumi:{stack}::{project}::{qualified(r)}::{r.name}" for r in resources}


def unique_names(resources: list[Registered]) -> dict[str, str]:
    """URN -> a name unique in the file. A name several resources share gets the type's name
    appended, then a counter: the scheme of `pulumi preview --import-file`'s uniqueName
    (operations/preview.go:102-113)."""
    counts: dict[str, int] = {}
    for r in resources:
        counts[r.name] = counts.get(r.name, 0) + 1
    taken = {r.name for r in resources if counts[r.name] == 1}
    names: dict[str, str] = {}
    for r in resources:
        if counts[r.name] == 1:
            names[r.urn] = r.name
            continue
        base = f"{r.name}{type_name(r.type)}"
        name, counter = base, 2
        while name in taken:
            name, counter = f"{base}{counter}", counter + 1
        taken.add(name)
        names[r.urn] = name
    return names


def classify(evaluation: Evaluation, facts: Facts) -> list[Entry]:
    """Every registered resource with its id rule's answer. A type without a rule is refused by name."""
    missing = sorted({r.type for r in evaluation.resources if r.custom and not _is_provider(r)} - _ruled(evaluation))
    if missing:
        raise AdoptError(
            "no import id rule for resource type(s) "
            + ", ".join(missing)
            + ": add one to tools/adopt/ids.py (the provider's documented import format)"
        )
    entries = []
    for r in evaluation.resources:
        if not r.custom or _is_provider(r):
            entries.append(Entry(r, None))
            continue
        if r.name in facts.created:
            entries.append(Entry(r, Create("astronomer-dr:adopt.create names it")))
            continue
        rule = rule_for(r.type)
        assert rule is not None
        entries.append(Entry(r, rule(r, facts)))
    return entries


def _ruled(evaluation: Evaluation) -> set[str]:
    return {r.type for r in evaluation.resources if rule_for(r.type) is not None}


def _spec(r: Registered, answer: Answer | None, names: dict[str, str], parent_names: dict[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": r.type, "name": names[r.urn]}
    if names[r.urn] != r.name:
        spec["logicalName"] = r.name
    if not r.custom:
        spec["component"] = True
    elif isinstance(answer, Known):
        spec["id"] = answer.id
    elif isinstance(answer, Lookup):
        spec["id"] = PLACEHOLDER
    if r.parent in parent_names:
        spec["parent"] = parent_names[r.parent]
    provider = _provider_urn(r)
    if provider:
        spec["provider"] = parent_names[provider]
    if _is_provider(r):
        if any(isinstance(v, Secret) for v in r.inputs.values()):
            raise AdoptError(f"provider {r.name} takes a secret input: it cannot be declared in an import file")
        # Explicit providers are created by the import with these inputs (import.go, "Inputs").
        spec["inputs"] = {k: v for k, v in r.inputs.items() if k != "version"}
    return spec


def build(stack: str, evaluation: Evaluation, facts: Facts, project: str) -> Adoption:
    entries = classify(evaluation, facts)
    by_urn = {r.urn: r for r in evaluation.resources}
    kubernetes_provider = next((r for r in evaluation.resources if r.type == KUBERNETES_PROVIDER), None)
    k8s_urn = kubernetes_provider.urn if kubernetes_provider else None

    def on_kubernetes(r: Registered) -> bool:
        return k8s_urn is not None and _provider_urn(r) == k8s_urn

    cloud = [
        e
        for e in entries
        if not isinstance(e.answer, Create) and not on_kubernetes(e.resource) and e.resource.type != KUBERNETES_PROVIDER
    ]
    kubernetes = [e for e in entries if not isinstance(e.answer, Create) and on_kubernetes(e.resource)]

    real = engine_urns(evaluation.resources, stack, project)
    adoption = Adoption(stack=stack, entries=entries, kubernetes_provider_urn=real[k8s_urn] if k8s_urn else None)
    adoption.files[f"adopt-{stack}.json"] = _file(cloud, {}, by_urn, real)
    if kubernetes:
        # The components and the provider are in the stack by then (the first file, `up --target`).
        assert kubernetes_provider is not None
        earlier = {e.resource.urn: e.resource for e in entries if not e.resource.custom}
        earlier[kubernetes_provider.urn] = kubernetes_provider
        adoption.files[f"adopt-{stack}-kubernetes.json"] = _file(kubernetes, earlier, by_urn, real)
    return adoption


def _file(
    entries: list[Entry], in_state: dict[str, Registered], by_urn: dict[str, Registered], real: dict[str, str]
) -> dict[str, Any]:
    resources = [e.resource for e in entries]
    urns = {r.urn for r in resources}
    referenced = {r.parent for r in resources if r.parent} | {_provider_urn(r) for r in resources if r.provider}
    table = {urn: in_state[urn] for urn in sorted(referenced - urns) if urn in in_state}
    names = unique_names(resources + list(table.values()))
    for r in resources:
        parent = by_urn.get(r.parent)
        if parent is not None and r.parent not in urns and r.parent not in table:
            raise AdoptError(f"{r.type} {r.name}: its parent {parent.name} is neither imported nor in the stack")
    return {
        "nameTable": {names[urn]: real[urn] for urn in table},
        "resources": [_spec(e.resource, e.answer, names, names) for e in entries],
    }
