"""``-o sarif``: SARIF 2.1.0 as GitHub code scanning takes it (SPEC 5.2).

One run; ``tool.driver`` names the function, its version, its home and every rule (id, short
description, ``helpUri`` into ``docs/rules.md``); each finding is a result with its ``ruleId``,
``level``, message and a physical location with ``region.startLine``/``startColumn`` (columns in
Unicode code points, as the run's ``columnKind`` says). The summary is not a finding and is left out;
a clean run has ``results: []``. Suppressed findings are results with ``suppressions``.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from krm_fn.formats import PROJECT_URI, UNRULED, Findings
from krm_fn.results import Result
from krm_fn.transform import SUMMARY_PREFIX

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> str:
    """A file's path as a URI reference: relative stays relative, absolute becomes ``file://``."""
    if os.path.isabs(path):
        return "file://" + quote(path)
    return quote(path.replace(os.sep, "/"))


def _result(r: Result, index: dict[str, int]) -> dict[str, Any]:
    rule = r.rule or UNRULED
    out: dict[str, Any] = {"ruleId": rule, "ruleIndex": index[rule]}
    out["level"] = _LEVEL[r.severity]
    out["message"] = {"text": r.message}
    if r.file is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(r.file.path)}}
        if r.file.line is not None:
            physical["region"] = {"startLine": r.file.line, "startColumn": r.file.column or 1}
        location: dict[str, Any] = {"physicalLocation": physical}
        if r.resourceRef is not None:
            ref = r.resourceRef
            name = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
            qualified = f"{ref.kind}/{name}"
            location["logicalLocations"] = [{"name": name, "kind": "object", "fullyQualifiedName": qualified}]
        out["locations"] = [location]
    return out


def sarif(findings: Findings, version: str | None = None) -> str:
    """The findings as a SARIF 2.1.0 log (JSON text)."""
    if version is None:
        from krm_fn import __version__

        version = __version__
    rules = findings.catalog()
    index = {rule.id: n for n, rule in enumerate(rules)}
    results = [_result(r, index) for r in findings.results if not r.message.startswith(SUMMARY_PREFIX)]
    for s in findings.suppressed:
        suppressed = _result(s.result, index)
        suppressed["suppressions"] = [{"kind": "inSource", "justification": s.justification}]
        results.append(suppressed)
    driver = {
        "name": "kserve-pvc-fn",
        "version": version,
        "informationUri": PROJECT_URI,
        "rules": [
            {"id": rule.id, "shortDescription": {"text": rule.description or rule.id}, "helpUri": rule.uri}
            for rule in rules
        ],
    }
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)
