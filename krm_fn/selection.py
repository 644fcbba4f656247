"""Which resources the function may change (SPEC 3.1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from krm_fn.resource import LOCAL_CONFIG_ANNOTATION, SKIP_ANNOTATION, Resource

if TYPE_CHECKING:
    from krm_fn.config import PolicySpec, Selector


def matches(selector: Selector, res: Resource) -> bool:
    """Every field the selector sets matches the resource (fields within one selector are ANDed)."""
    checks = (
        (selector.apiVersion, res.api_version),
        (selector.kind, res.kind),
        (selector.name, res.name),
        (selector.namespace, res.namespace),
    )
    if any(want is not None and want != have for want, have in checks):
        return False
    labels, annotations = res.labels, res.annotations
    return all(labels.get(k) == v for k, v in selector.labels.items()) and all(
        annotations.get(k) == v for k, v in selector.annotations.items()
    )


def _any(selectors: Sequence[Selector], res: Resource) -> bool:
    return any(matches(s, res) for s in selectors)


def is_selected(res: Resource, spec: PolicySpec) -> bool:
    """Whether ``res`` may be changed: not local config, not skipped, selected and not excluded."""
    annotations = res.annotations
    if str(annotations.get(LOCAL_CONFIG_ANNOTATION, "")).lower() == "true":
        return False
    if str(annotations.get(SKIP_ANNOTATION, "")).lower() == "true":
        return False
    if spec.selectors and not _any(spec.selectors, res):
        return False
    return not _any(spec.exclude, res)
