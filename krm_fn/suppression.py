"""Per-rule control after the rules ran: ``spec.rules`` and ``ignore.fn.kserve-pvc.dev/<id>`` (SPEC 3.8).

``spec.rules: {<id>: off}`` drops a rule's findings and changes; ``info``, ``warning`` or ``error``
replaces the severity of its findings (a change stays an ``info`` result, or an ``error`` in
validate mode). The annotation ``ignore.fn.kserve-pvc.dev/<id>: "<reason>"`` on a resource
suppresses the rule there: its changes are not made, and its findings are kept apart with the
reason as ``Result.suppression`` (counted in the summary, written by formats that can show a
suppression, such as SARIF). A rule whose rewrite feeds other changes (the file rule, the pod
injection) also asks :meth:`krm_fn.rulekit.Context.active` before rewriting.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from krm_fn.ops import format_path
from krm_fn.resource import Resource
from krm_fn.results import Field, Result
from krm_fn.rulekit import IGNORE_PREFIX, Change, finding, ignore_reason, rule_setting
from krm_fn.rules import BY_ID, IGNORE_ANNOTATION

if TYPE_CHECKING:
    from krm_fn.config import PolicySpec

SEVERITIES = ("info", "warning", "error")


def closest_rule(word: str) -> str | None:
    """The rule id closest to ``word``, for "did you mean" messages."""
    close = difflib.get_close_matches(word, list(BY_ID), n=1, cutoff=0.5)
    return close[0] if close else None


def _annotation_findings(res: Resource) -> list[Result]:
    """Warnings about the resource's own ignore annotations: an unknown id, an empty reason."""
    out = []
    for key, value in res.annotations.items():
        if not isinstance(key, str) or not key.startswith(IGNORE_PREFIX):
            continue
        rule = key[len(IGNORE_PREFIX) :]
        path = ("metadata", "annotations", key)
        shown = value if isinstance(value, str) else None
        if rule not in BY_ID:
            near = closest_rule(rule)
            hint = f"; did you mean {near!r}?" if near else "; docs/rules.md lists the rule ids"
            out.append(finding(res, "warning", f"{key} names no rule{hint}", path, shown, rule=IGNORE_ANNOTATION.id))
        elif not isinstance(value, str) or not value.strip():
            out.append(
                finding(
                    res,
                    "warning",
                    f"{key} gives no reason: write why the finding is accepted as its value (it still suppresses "
                    f"{rule!r})",
                    path,
                    shown,
                    rule=IGNORE_ANNOTATION.id,
                )
            )
    return out


def apply_rule_settings(
    res: Resource,
    spec: PolicySpec,
    changes: Sequence[Change],
    findings: Sequence[Result],
    suppressed: list[Result],
) -> tuple[list[Change], list[Result]]:
    """The changes and findings left after ``spec.rules`` and the resource's ignore annotations.

    Suppressed findings (and suppressed changes, as the info result they would have been) are
    appended to ``suppressed`` with their reason.
    """
    kept_changes: list[Change] = []
    for change in changes:
        if rule_setting(spec, change.rule) == "off":
            continue
        reason = ignore_reason(res, change.rule)
        if reason is not None:
            fld = Field(format_path(change.path), change.current, change.proposed)
            suppressed.append(Result(change.message, "info", res.ref, fld, res.file, change.rule, reason))
            continue
        kept_changes.append(change)
    kept: list[Result] = []
    for found in (*findings, *_annotation_findings(res)):
        rule = found.rule
        if rule is None:
            kept.append(found)
            continue
        setting = rule_setting(spec, rule)
        if setting == "off":
            continue
        reason = ignore_reason(res, rule)
        if reason is not None:
            suppressed.append(replace(found, suppression=reason))
            continue
        if setting in SEVERITIES and setting != found.severity:
            kept.append(replace(found, severity=setting))  # type: ignore[arg-type]
        else:
            kept.append(found)
    return kept_changes, kept
