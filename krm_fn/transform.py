"""The pure core: (resources, config) -> (ops per resource, results). No I/O here."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from krm_fn import kserve_facts
from krm_fn.ops import Append, Op, Path, SetValue, apply_ops, blocked_by, format_path, get_path
from krm_fn.resource import ORIGINAL_URIS_ANNOTATION, Resource
from krm_fn.results import Field, Result
from krm_fn.rules import BY_ID, CHANGE_BLOCKED, KSERVE_VERSION, SCHEMA_INVALID, Change, Context, rules_for
from krm_fn.selection import is_selected
from krm_fn.suppression import apply_rule_settings
from krm_fn.validation import check_changed

if TYPE_CHECKING:
    from krm_fn.config import PolicySpec

SUMMARY_PREFIX = "kserve-pvc-fn:"


@dataclass
class Transformed:
    """The ops to apply per resource index, and every result in order (the summary last).

    ``expected`` holds, per index in ``ops``, the resource's data with its ops applied: what the
    edited text must read back as (computed once here, for validation, and handed to the writer).
    """

    ops: dict[int, list[Op]] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)
    expected: dict[int, Any] = field(default_factory=dict)
    changed: int = 0  # resources changed (or that would be, in validate mode)
    #: Findings an ``ignore.fn.kserve-pvc.dev/<rule>`` annotation suppressed, each with its
    #: ``suppression`` (the justification): not in ``results``, counted in the summary (SPEC 3.8).
    suppressed: list[Result] = field(default_factory=list)


def _original_uris(res: Resource, changes: Sequence[Change]) -> Change | None:
    originals = {format_path(c.path): c.current for c in changes if c.original_uri}
    if not originals:
        return None
    current = res.annotations.get(ORIGINAL_URIS_ANNOTATION)
    recorded: dict[str, object] = {}
    if isinstance(current, str):
        try:
            loaded = json.loads(current)
        except json.JSONDecodeError:
            loaded = None
        if isinstance(loaded, dict):
            recorded = loaded
    # The first original wins: a field rewritten twice keeps the URI its author wrote.
    merged = {**originals, **recorded}
    value = json.dumps(dict(sorted(merged.items())), separators=(", ", ": "))
    if value == current:
        return None
    return Change(
        ("metadata", "annotations", ORIGINAL_URIS_ANNOTATION),
        current,
        value,
        f"recorded the original storage URIs in {ORIGINAL_URIS_ANNOTATION}",
        next(c.rule for c in changes if c.original_uri),
    )


def _result_paths(data: object, changes: Sequence[Change]) -> list[str]:
    """Result field paths; an append is reported at the index it gets (``...volumeMounts[1]``)."""
    appended: dict[Path, int] = {}
    out = []
    for c in changes:
        if not c.append:
            out.append(format_path(c.path))
            continue
        current = get_path(data, c.path)
        n = appended.get(c.path, len(current) if isinstance(current, list) else 0)
        appended[c.path] = n + 1
        out.append(format_path((*c.path, n)))
    return out


def _blocked(res: Resource, change: Change, where: Path) -> Result:
    """The error for a change that runs through a value of the wrong type (``annotations: [a]``)."""
    rest = change.path[len(where) :]
    wanted = "list" if (rest and isinstance(rest[0], int)) or (not rest and change.append) else "mapping"
    return Result(
        f"cannot change {format_path(change.path)}: {format_path(where) or 'the resource'} is not a {wanted}",
        "error",
        res.ref,
        Field(format_path(where), proposedValue=change.proposed),
        res.file,
        CHANGE_BLOCKED.id,
    )


def _would(change: Change) -> str:
    """A change in validate mode, said as what would happen: ``would rewrite 'A' to 'B'``."""
    if isinstance(change.current, str) and isinstance(change.proposed, str) and not change.append:
        return f"would rewrite {change.current!r} to {change.proposed!r}"
    return f"would change: {change.message}"


def transform(
    resources: Sequence[Resource],
    spec: PolicySpec,
    *,
    item_count: int | None = None,
    input_findings: Sequence[Result] = (),
    skipped: int = 0,
    rewritten: Collection[int] = (),
    summarize: bool = True,
) -> Transformed:
    """Run every rule on every selected resource; ``item_count`` is the bundle's size for the summary.

    ``input_findings`` (what the input checks found before the core ran: items held back or written
    out, limits) come first in the results and are counted in the summary; ``skipped`` is how many
    documents of the input were not resources at all (render mode), for the summary;
    ``rewritten`` are the indices of resources whose text changes anyway (anchors written out):
    they count as changed (SPEC 4). Without ``summarize`` the caller adds the summary
    (:func:`summary`, with :attr:`Transformed.changed`) after results of its own.
    """
    ctx = Context(spec=spec, resources=tuple(resources))
    out = Transformed(results=list(input_findings))
    if (note := kserve_facts.version_note(spec)) is not None and KSERVE_VERSION.id not in _off(spec):
        out.results.append(Result(note, "info", rule=KSERVE_VERSION.id))
    changed: set[int] = set(rewritten)
    for res in resources:
        if not is_selected(res, spec):
            continue
        changes: list[Change] = []
        findings: list[Result] = []
        for rule in rules_for(res.group, res.kind):
            outcome = rule.check(res, ctx)
            changes.extend(outcome.changes)
            findings.extend(outcome.findings)
        changes, findings = apply_rule_settings(res, spec, changes, findings, out.suppressed)
        if spec.recordOriginal and spec.mode == "mutate" and (record := _original_uris(res, changes)) is not None:
            changes.append(record)
        if not changes:
            out.results.extend(findings)
            continue
        ops: list[Op] = [Append(c.path, c.proposed) if c.append else SetValue(c.path, c.proposed) for c in changes]
        blocked = [(c, where) for c, op in zip(changes, ops, strict=True) if (where := blocked_by(res.data, op))]
        if blocked:
            # Applying the rest would leave a half-changed resource; report and change nothing.
            findings.extend(_blocked(res, c, where) for c, where in blocked)
            out.results.extend(findings)
            continue
        # A changed Pod or workload must pass the Kubernetes schema; a failing one stays unchanged.
        new_data = apply_ops(res.data, ops)
        checked = [
            r if r.rule else replace(r, rule=SCHEMA_INVALID.id)
            for r in check_changed(res, new_data, spec.kubernetesVersion)
        ]
        if any(r.severity == "error" for r in checked):
            out.results.extend(findings)
            out.results.extend(checked)
            continue
        changed.add(res.index)
        for change, path in zip(changes, _result_paths(res.data, changes), strict=True):
            fld = Field(path, change.current, change.proposed)
            if spec.mode == "validate":
                out.results.append(Result(_would(change), "error", res.ref, fld, res.file, change.rule))
            else:
                out.results.append(Result(change.message, "info", res.ref, fld, res.file, change.rule))
        out.results.extend(findings)
        out.results.extend(checked)
        if spec.mode == "mutate":
            out.ops[res.index] = ops
            out.expected[res.index] = new_data
    count = len(resources) if item_count is None else item_count
    out.changed = len(changed)
    if summarize:
        out.results.append(summary(count, out.changed, out.results, spec.mode, skipped, suppressed=len(out.suppressed)))
    return out


def _off(spec: PolicySpec) -> set[str]:
    rules = getattr(spec, "rules", None) or {}
    return {rule for rule, setting in rules.items() if setting == "off" and rule in BY_ID}


def summary(
    checked: int, changed: int, results: Sequence[Result], mode: str, skipped: int = 0, *, suppressed: int = 0
) -> Result:
    """The closing info result: what was looked at and what came of it."""
    errors = sum(r.severity == "error" for r in results)
    warnings = sum(r.severity == "warning" for r in results)
    verb = "would change" if mode == "validate" else "changed"
    others = f", {skipped} skipped (not Kubernetes resources)" if skipped else ""
    hidden = f", {suppressed} suppressed" if suppressed else ""
    return Result(
        f"{SUMMARY_PREFIX} {checked} resource(s) read{others}, {changed} {verb}, {errors} error(s), "
        f"{warnings} warning(s){hidden}",
        "info",
    )
