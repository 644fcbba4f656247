"""Invariants of ``fix`` over every YAML file the golden fixtures hold, under several policies.

- ``fix`` then ``check`` reports nothing a rule could fix (check would change nothing);
- ``fix`` twice equals ``fix`` once;
- ``fix`` never changes a document that render leaves alone: outside the documents a rule edited,
  the fixed file is the original byte for byte, and a file with no edited document is not written.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from krm_fn.config import PolicySpec, load_config
from krm_fn.documents import Source
from krm_fn.fix import Plan, fix_policy, plan
from krm_fn.render import run_render
from krm_fn.resourcelist import read as read_resource_list
from krm_fn.source import InputError, decode

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file() and not p.is_symlink())
POLICIES: list[dict[str, Any]] = [
    {},
    {"recordOriginal": "true"},
    {"mountMode": "copy"},
    {"fileUris": "file-mount"},
    {"readOnly": "true"},
    {"kserveVersion": "0.15"},
]
#: The ResourceLists of the KRM golden cases: their items, as a multi-document file, are what a
#: repository holds (today's reader does not open a ResourceList found in a file).
LISTS = sorted(FIXTURES.glob("*/input.yaml"))
WOULD_CHANGE = re.compile(r", (\d+) would change,")


def _spec(data: dict[str, Any]) -> PolicySpec:
    spec, errors = load_config({"apiVersion": "v1", "kind": "ConfigMap", "data": data} if data else None)
    assert spec is not None, errors
    return spec


def _plan(name: str, raw: bytes, spec: PolicySpec) -> Plan | None:
    try:
        return plan([Source(name, raw)], spec)
    except InputError:
        return None  # a refused input (a limit, not text): fix refuses it too, and writes nothing


def _as_stream(path: Path) -> bytes:
    """The items of a ResourceList file as a plain multi-document stream (or the file itself)."""
    try:
        items = read_resource_list(path.read_bytes())[0].items
    except InputError:
        return path.read_bytes()
    return "---\n".join(textwrap.dedent(span.text) for span in items).encode()


def test_the_fixtures_hold_many_files() -> None:
    assert len(FILES) > 100
    assert len(LISTS) > 100


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(FILES + LISTS), items=st.booleans(), policy=st.sampled_from(POLICIES))
def test_fix_is_idempotent_leaves_nothing_to_fix_and_touches_only_edited_documents(
    path: Path, items: bool, policy: dict[str, Any]
) -> None:
    spec = _spec(policy)
    name = path.relative_to(FIXTURES).as_posix()
    raw = _as_stream(path) if items and path.name == "input.yaml" else path.read_bytes()
    first = _plan(name, raw, spec)
    assume(first is not None)
    assert first is not None
    fixed = first.fixes[0].new if first.fixes else raw

    # Only edited documents change: everything outside their spans is the original, byte for byte.
    text, _ = decode(raw)
    new_text, _ = decode(fixed)
    assert fixed.startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
    edited = sorted((d.start, d.end) for d, _ in first.rendered.changed)
    if not first.fixes:
        assert fixed == raw
    else:
        assert edited
        assert new_text.startswith(text[: edited[0][0]])
        assert new_text.endswith(text[edited[-1][1] :])
        position = 0
        for (_, end), (start, _) in itertools.pairwise(edited):
            between = text[end:start]
            found = new_text.find(between, position)
            assert found >= 0
            position = found + len(between)

    # Twice equals once.
    second = _plan(name, fixed, spec)
    assert second is not None
    assert second.fixes == []
    if first.findings:
        return  # a JSON file: its edits are not written, so check still finds them (and fix says so)

    # Then check: nothing a rule could still change.
    checked = run_render([Source(name, fixed)], fix_policy(spec).model_copy(update={"mode": "validate"}))
    match = WOULD_CHANGE.search(checked.results[-1].message)
    assert match is not None
    assert match.group(1) == "0", [r.message for r in checked.results if r.message.startswith("would")]
