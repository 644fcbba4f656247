"""The rule table: which rule module looks at which kinds, and every rule id (SPEC 3.8).

A rule module's docstring documents it. It exposes ``KINDS`` (the (group, kind) pairs it reads),
``MARKERS`` (per kind, strings of which an item's text must hold at least one for the module to
concern it, e.g. ``pvc://``; a kind not listed is always read: this lets the reader skip building
most items), ``RULE_DOCS`` (the rule ids its findings carry, see :class:`krm_fn.rulekit.RuleDoc`)
and ``check(res, ctx) -> Outcome``. Rule modules import :mod:`krm_fn.rulekit`, never this package
or each other, so the imports here are plain module-level ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from krm_fn.resource import Resource
from krm_fn.rulekit import (
    PATH_TYPE_INVALID,
    READ_ONLY_POLICY,
    URI_RULE_DOCS,
    Change,
    Context,
    Outcome,
    RuleDoc,
    finding,
)
from krm_fn.rules import (
    collocation,
    inferenceservice,
    kserve_config,
    llm_storage,
    pods,
    pvc_access,
    storage_container,
    storage_uris,
)

__all__ = [
    "RULES",
    "RULE_DOCS",
    "Change",
    "Context",
    "Outcome",
    "Rule",
    "RuleDoc",
    "finding",
    "interesting",
    "rule_ids",
    "rules_for",
]


@dataclass(frozen=True)
class Rule:
    """A registered rule module."""

    name: str
    kinds: frozenset[tuple[str, str]]
    markers: Mapping[str, tuple[str, ...]]
    check: Callable[[Resource, Context], Outcome]


_MODULES = (
    inferenceservice,
    storage_uris,
    collocation,
    storage_container,
    llm_storage,
    pods,
    pvc_access,
    kserve_config,
)

RULES = tuple(Rule(m.__name__.rpartition(".")[2], frozenset(m.KINDS), m.MARKERS, m.check) for m in _MODULES)

#: Findings of the run itself rather than of one rule module.
KSERVE_VERSION = RuleDoc(
    "kserve-version",
    "info",
    False,
    "`kserveVersion` names a release this function does not know (newer than the newest, or one that does not "
    "exist such as `1.0`). It is judged as the newest known release; one result says so.",
    "Set `kserveVersion` to the cluster's KServe release, or leave it unset (the newest known release).",
    source="`krm_fn/kserve_facts.py` `RELEASES`",
)
IGNORE_ANNOTATION = RuleDoc(
    "ignore-annotation",
    "warning",
    False,
    "An `ignore.fn.kserve-pvc.dev/<rule id>` annotation without a reason, or naming no rule. A suppression "
    "needs its justification; one with an empty reason still suppresses.",
    "Write why the finding is accepted as the annotation's value, and use an id listed in this document.",
    source="SPEC 3.8 (kube-linter's `ignore-check.kube-linter.io/<check>` convention)",
)
CHANGE_BLOCKED = RuleDoc(
    "change-blocked",
    "error",
    False,
    "A change runs through a value of the wrong type (`annotations: [a]`). Nothing in that resource is changed.",
    "Make the value the mapping or list Kubernetes expects.",
    source="Kubernetes object schema",
)
SCHEMA_INVALID = RuleDoc(
    "schema-invalid",
    "error",
    False,
    "A changed Pod or workload that fails the Kubernetes schema. The resource is left unchanged.",
    "Fix the resource so that it passes `kubectl apply --dry-run=server`.",
    source="Kubernetes OpenAPI schema (`kubernetesVersion`)",
)

#: Every rule id and its documentation, in the order of ``docs/rules.md``.
RULE_DOCS: tuple[RuleDoc, ...] = (
    *URI_RULE_DOCS,
    *(doc for m in _MODULES for doc in m.RULE_DOCS),
    READ_ONLY_POLICY,
    PATH_TYPE_INVALID,
    KSERVE_VERSION,
    IGNORE_ANNOTATION,
    CHANGE_BLOCKED,
    SCHEMA_INVALID,
)
BY_ID: dict[str, RuleDoc] = {doc.id: doc for doc in RULE_DOCS}


def rule_ids() -> list[tuple[str, str, str]]:
    """``(id, short description, doc anchor)`` of every rule, e.g. for SARIF's ``rules`` array.

    The anchor is relative to the repository root: ``docs/rules.md#<id>``.
    """
    return [(doc.id, doc.summary, f"docs/rules.md#{doc.id}") for doc in RULE_DOCS]


def rules_for(group: str, kind: str) -> list[Rule]:
    """The rules that read resources of this group and kind."""
    return [r for r in RULES if (group, kind) in r.kinds]


def _markers_by_kind() -> dict[str, tuple[str, ...] | None]:
    """Per kind, every rule's markers for it; None when some rule reads every item of that kind."""
    table: dict[str, tuple[str, ...] | None] = {}
    for rule in RULES:
        for _, kind in rule.kinds:
            markers = rule.markers.get(kind)
            if kind in table and table[kind] is None:
                continue
            table[kind] = (*(table.get(kind) or ()), *markers) if markers else None
    return table


# Built once: the pre-filter runs for every item of a bundle.
_MARKERS = _markers_by_kind()


def interesting(kind: str, text: str) -> bool:
    """Cheap pre-filter on an item's kind and text, before any Python object is built for it."""
    if kind not in _MARKERS:
        return False
    markers = _MARKERS[kind]
    return markers is None or any(m in text for m in markers)
