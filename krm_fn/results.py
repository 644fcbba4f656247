"""Results: what the function reports, in the shape kpt and kustomize read (SPEC section 4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]

# Path and index annotations, newest first: kpt and kustomize write the internal ones, older
# tools the legacy ones.
#: Exit codes (SPEC section 4): no error results; error results (the ResourceList is still written);
#: the input is not a ResourceList at all (nothing on stdout).
EXIT_OK, EXIT_ERRORS, EXIT_NOT_A_RESOURCE_LIST = 0, 1, 2

_PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
_INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """Which resource a result is about."""

    apiVersion: str
    kind: str
    name: str
    namespace: str | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> ResourceRef:
        """The reference of a resource's plain data (missing parts become empty strings)."""
        meta = data.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        ns = meta.get("namespace")
        return cls(
            _s(data.get("apiVersion")),
            _s(data.get("kind")),
            _s(meta.get("name")),
            _s(ns) if ns else None,
        )

    def to_dict(self) -> dict[str, str]:
        """The YAML form, without an empty namespace."""
        out = {"apiVersion": self.apiVersion, "kind": self.kind, "name": self.name}
        if self.namespace:
            out["namespace"] = self.namespace
        return out


@dataclass(frozen=True, slots=True)
class Field:
    """Which field a result is about, with its current and proposed value."""

    path: str
    currentValue: Any = None
    proposedValue: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The YAML form; values that are None are left out."""
        out: dict[str, Any] = {"path": self.path}
        if self.currentValue is not None:
            out["currentValue"] = self.currentValue
        if self.proposedValue is not None:
            out["proposedValue"] = self.proposedValue
        return out


@dataclass(frozen=True, slots=True)
class File:
    """Where the resource came from: the orchestrator's path and index, and in ``render``/``check``
    the 1-based line and column of the field a result is about (SPEC 5.2; KRM mode has none)."""

    path: str
    index: int = 0
    line: int | None = None
    column: int | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> File | None:
        """Read the path/index annotations (internal or legacy) of a resource."""
        meta = data.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
        if not isinstance(annotations, Mapping):
            return None
        path = next((annotations[a] for a in _PATH_ANNOTATIONS if isinstance(annotations.get(a), str)), None)
        if path is None:
            return None
        raw = next((annotations[a] for a in _INDEX_ANNOTATIONS if a in annotations), 0)
        try:
            index = int(raw)
        except (TypeError, ValueError):
            index = 0
        return cls(path, index)

    def to_dict(self) -> dict[str, Any]:
        """The YAML form; line and column only where they are known."""
        out: dict[str, Any] = {"path": self.path, "index": self.index}
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        return out


@dataclass(frozen=True, slots=True)
class Result:
    """One finding or change. Every result carries an explicit severity."""

    message: str
    severity: Severity
    resourceRef: ResourceRef | None = None
    field: Field | None = None
    file: File | None = None
    #: The stable id of the rule that found it (SPEC 3.8; ``docs/rules.md``); None for the summary
    #: and for what the reader reports about the input itself.
    rule: str | None = None
    #: The justification of an ``ignore.fn.kserve-pvc.dev/<rule>`` annotation that suppressed this
    #: finding (SPEC 3.8); suppressed findings are kept apart (``Transformed.suppressed``), never printed.
    suppression: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The YAML form, in the key order kpt prints; the rule id as the Result's ``tags``."""
        out: dict[str, Any] = {"message": self.message, "severity": self.severity}
        if self.resourceRef is not None:
            out["resourceRef"] = self.resourceRef.to_dict()
        if self.field is not None:
            out["field"] = self.field.to_dict()
        if self.file is not None:
            out["file"] = self.file.to_dict()
        if self.rule is not None:
            out["tags"] = {"rule": self.rule}
        return out


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def count(results: Iterable[Mapping[str, Any] | Result], severity: Severity) -> int:
    """How many results (ours or from the input) have ``severity``."""
    n = 0
    for r in results:
        sev = r.severity if isinstance(r, Result) else r.get("severity") if isinstance(r, Mapping) else None
        n += sev == severity
    return n


_RANK = {"error": 0, "warning": 1}


def most_severe_first(results: Sequence[Result]) -> list[Result]:
    """Errors, then warnings, then the rest, each in the order found; the last result (the
    summary) stays last.

    kpt prints the first few results of a function and truncates the rest: the ones a person
    must act on come first, the summary that counts them all ends the list (SPEC 4).
    """
    if len(results) < 2:
        return list(results)
    *body, summary = results
    return [*sorted(body, key=lambda r: _RANK.get(r.severity, 2)), summary]
