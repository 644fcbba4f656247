"""The rule table: which rule looks at which kinds.

A rule is a small module whose docstring documents it. It exposes ``KINDS`` (the (group, kind)
pairs it reads), ``MARKERS`` (per kind, strings of which an item's text must hold at least one for
the rule to concern it, e.g. ``pvc://``; a kind not listed is always read: this lets the reader
skip building most items) and ``check(res, ctx) -> Outcome``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from krm_fn.ops import Path, format_path
from krm_fn.resource import Resource
from krm_fn.results import Field, Result, Severity

if TYPE_CHECKING:
    from krm_fn.config import PolicySpec


@dataclass(frozen=True)
class Change:
    """One change a rule asks for: set (or append to) ``path``, and why."""

    path: Path
    current: Any
    proposed: Any
    message: str
    original_uri: bool = False
    append: bool = False


def finding(
    res: Resource,
    severity: Severity,
    message: str,
    path: Path,
    current: Any = None,
    *,
    proposed: Any = None,
    rule: str | None = None,
) -> Result:
    """A result about one field of ``res``: its path, the value there and, if any, what to write instead."""
    return Result(message, severity, res.ref, Field(format_path(path), current, proposed), res.file, rule)


@dataclass
class Outcome:
    """What a rule found in one resource."""

    changes: list[Change] = field(default_factory=list)
    findings: list[Result] = field(default_factory=list)


def file_extensions(spec: PolicySpec) -> tuple[str, ...]:
    """``fileExtensions`` and ``extraFileExtensions`` together: what makes a path a file.

    A function, not a property of the model: a well-formed config reaches the rules as plain
    settings (``krm_fn.settings``), which carry the fields only.
    """
    return (*spec.fileExtensions, *spec.extraFileExtensions)


def kserve_version(spec: PolicySpec) -> tuple[int, int]:
    """``spec.kserveVersion`` as ``(major, minor)`` (the config keeps it as ``major.minor``)."""
    major, _, minor = spec.kserveVersion.partition(".")
    return int(major), int(minor)


def kserve_in(spec: PolicySpec, first: tuple[int, int], last: tuple[int, int] | None = None) -> bool:
    """Whether the configured KServe release is in ``first..last`` (inclusive; ``None``: no known fix yet)."""
    version = kserve_version(spec)
    return first <= version and (last is None or version <= last)


@dataclass(frozen=True)
class Context:
    """What every rule may read besides the resource: the config and the whole bundle."""

    spec: PolicySpec
    resources: tuple[Resource, ...] = ()

    @cached_property
    def by_kind(self) -> Mapping[tuple[str, str], tuple[Resource, ...]]:
        """The bundle's resources grouped by (group, kind), built once: rules that cross-check
        against other resources look them up here instead of scanning the bundle per resource."""
        groups: dict[tuple[str, str], list[Resource]] = {}
        for res in self.resources:
            groups.setdefault((res.group, res.kind), []).append(res)
        return {key: tuple(value) for key, value in groups.items()}


@dataclass(frozen=True)
class Rule:
    """A registered rule."""

    name: str
    kinds: frozenset[tuple[str, str]]
    markers: Mapping[str, tuple[str, ...]]
    check: Callable[[Resource, Context], Outcome]


def _registry() -> tuple[Rule, ...]:
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

    modules = (
        inferenceservice,
        storage_uris,
        collocation,
        storage_container,
        llm_storage,
        pods,
        pvc_access,
        kserve_config,
    )
    return tuple(Rule(m.__name__.rpartition(".")[2], frozenset(m.KINDS), m.MARKERS, m.check) for m in modules)


RULES = _registry()


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
