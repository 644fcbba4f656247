"""Reading a ResourceList (or a v1 List) for the KRM function: its wrapper, and each item on its own.

Where a problem sits decides what happens (SPEC 4): in the wrapper (anything outside ``items``,
``functionConfig`` and ``results`` included) it is exit 2 with one message; in an item, the item is
*held back*: passed through byte for byte, never built into Python data, never transformed, and
reported by an error result (exit 1). An item holding anchors or aliases is written out in full
(the output never carries them), with a warning. Limits are exit 2 wherever they are hit.

The bundle is never composed whole (SPEC 7): one pass over the events (``scan.py``) finds every
item's text, and an item is composed only when it must be looked at: a rule may concern it, it
holds anchors, or the pass saw something the full checks (``treecheck.py``) must judge. The wrapper
is composed from a copy of the text in which every item is blanked out (``~`` and spaces, the same
length), so that its marks are the text's own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from krm_fn.directives import resolve_shorthands
from krm_fn.limits import Limits, Measure, check_raw
from krm_fn.nodes import field_path, node_ref
from krm_fn.results import Field as ResultField
from krm_fn.results import Result
from krm_fn.scan import Scan, Unit
from krm_fn.source import InputError, Span, compose_single, decode, earlier_results, json_to_yaml
from krm_fn.textedit import content_end, line_after, plain_data
from krm_fn.treecheck import CORE, Walk, tree_problems

RESOURCE_LIST_VERSIONS = (
    "config.kubernetes.io/v1",
    "config.kubernetes.io/v1beta1",
    "config.kubernetes.io/v1alpha1",
)
#: An item sits at depth 3: the root mapping, then the items sequence.
_ITEM_DEPTH = 3
#: Inputs larger than this give the memory freed by reading back (``ctypes`` costs a small input's
#: start-up time more than its memory is worth).
_TRIM_OVER = 4 << 20


@dataclass
class ResourceListInput:
    """A ResourceList (or v1 List): its text, its wrapper's nodes, and a span per item."""

    text: str
    newline: str
    root: yaml.MappingNode  # the wrapper, with every item blanked out (see the module's docstring)
    items: list[Span]
    extents: list[tuple[int, int]]  # where each item's text stands in ``text`` (an expanded item's span does not)
    function_config: Any
    results: list[Any]  # the earlier results, as a list whatever their style
    is_list: bool
    content_end: int  # where the root's own content ends in ``text``

    def entry(self, key: str) -> tuple[yaml.Node, yaml.Node] | None:
        """The (key, value) nodes of a top-level field."""
        for k, v in self.root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
        return None


class HeldSpan(Span):
    """An item held back: it reads as no kind and no data, so no rule ever builds or edits it."""

    __slots__ = ()

    def scalar(self, key: str) -> str | None:
        """Nothing: a held item has no kind a rule could match."""
        return None

    @property
    def data(self) -> Any:
        """Nothing: a held item is never constructed."""
        return None


@dataclass
class Screened:
    """What the checks found: the results to report, what was measured, what was written out."""

    findings: list[Result] = field(default_factory=list)
    held: set[int] = field(default_factory=set)
    measure: Measure = field(default_factory=Measure)
    expanded: set[int] = field(default_factory=set)  # items whose anchors were written out


def _skeleton(text: str, units: list[Unit]) -> str:
    """``text`` with every item's content replaced by ``~`` and spaces, newlines kept: same length."""
    parts: list[str] = []
    pos = 0
    for unit in units:
        if unit.end <= unit.start:
            continue
        parts.append(text[pos : unit.start])
        lines = text[unit.start + 1 : unit.end].split("\n")
        parts.append("~" + "\n".join(" " * len(line) for line in lines))
        pos = unit.end
    parts.append(text[pos:])
    return "".join(parts)


def _first_line(err: Exception) -> str:
    lines = [line for line in str(err).splitlines() if line.strip()]
    problem = getattr(err, "problem", None)
    mark = getattr(err, "problem_mark", None)
    if problem and mark is not None:
        text = f"{problem} at line {mark.line + 1}"
    else:
        text = lines[-2] if len(lines) >= 2 else (lines[0] if lines else type(err).__name__)
    return text.replace(CORE, "!!")


def _wrapper(text: str, scan: Scan, limits: Limits) -> tuple[yaml.MappingNode, Any, Any]:
    """The wrapper's nodes, checked; its functionConfig and results as data."""
    root = compose_single(_skeleton(text, scan.units))
    assert isinstance(root, yaml.MappingNode)
    values: dict[str, Any] = {}
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value in ("functionConfig", "results"):
            try:
                values[k.value] = plain_data(v)
            except yaml.YAMLError as err:  # a tag in functionConfig or results: SafeConstructor refused it
                raise InputError(f"the ResourceList wrapper cannot be read safely: {_first_line(err)}") from None
            except ValueError as err:
                raise InputError(f"the ResourceList wrapper cannot be read safely: {err}") from None
    if scan.wrapper_anchor_lines:
        raise InputError(
            f"the ResourceList wrapper holds an anchor or alias (line {scan.wrapper_anchor_lines[0]}); "
            "anchors and aliases are only accepted inside items"
        )
    problem = next(tree_problems(root, Walk(limits.max_depth, shared=True)), None)
    if problem is not None:
        raise InputError(f"the ResourceList wrapper, line {problem.line}: {problem.message}")
    return root, values.get("functionConfig"), earlier_results(values.get("results"))


def read(raw: bytes | bytearray, limits: Limits | None = None) -> tuple[ResourceListInput, Screened]:
    """Read a ResourceList with every check applied; InputError (exit 2) when it is refused.

    A bytearray ``raw`` is cleared once decoded: the text is all that is needed from then on.
    """
    limits = limits or Limits.from_env()
    measure = check_raw(raw, limits)
    text, newline = decode(raw)
    if isinstance(raw, bytearray):
        raw.clear()
    if not text.strip():
        raise InputError("input is empty; expected a ResourceList")
    text = resolve_shorthands(json_to_yaml(text))[0]  # no directive is written back (SPEC 4)
    scan = Scan(limits).run(text)
    if not scan.root_is_map:
        raise InputError("input is not a ResourceList: the top level is not a mapping")
    if scan.root_flow:
        # A flow-style wrapper cannot take a block ``results:`` after it; answer it in block style,
        # as JSON input is.
        from krm_fn.scalars import dump_plain

        root = compose_single(text)
        assert root is not None
        text = dump_plain(plain_data(root))
        scan = Scan(limits).run(text)
    kind, api = scan.root_scalars.get("kind"), scan.root_scalars.get("apiVersion")
    is_list = kind == "List" and api == "v1"
    if not is_list and (kind != "ResourceList" or api not in RESOURCE_LIST_VERSIONS):
        raise InputError(
            f"input is not a ResourceList ({f'kind {kind!r}' if kind else 'no kind'}, "
            f"{f'apiVersion {api!r}' if api else 'no apiVersion'}); expected kind "
            f"ResourceList of {', '.join(RESOURCE_LIST_VERSIONS)} or a v1 List"
        )
    root, function_config, results = _wrapper(text, scan, limits)
    entry = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "items"), None)
    null = isinstance(entry, yaml.ScalarNode) and entry.tag.endswith(":null")
    if entry is not None and not isinstance(entry, yaml.SequenceNode) and not null:
        raise InputError("input is not a ResourceList: items is not a list")
    end = max([content_end(root), *(u.end for u in scan.units)])
    if isinstance(entry, yaml.SequenceNode):
        entry.value = []  # the blanked items' nodes: nothing reads them, and they are many
    doc = ResourceListInput(text, newline, root, [], [], function_config, results, is_list, end)
    measure.depth, measure.aliased_nodes = scan.depth, scan.aliased_nodes
    out = Screened(measure=measure)
    _items(doc, scan.units, limits, out)
    if len(text) > _TRIM_OVER:
        give_back_freed_memory()
    return doc, out


def give_back_freed_memory() -> None:
    """Hand the heap pages freed by reading (the raw bytes, the wrapper's copy) back to the system.

    glibc keeps freed heap memory for reuse, but Python's small objects come from arenas of their
    own, so the pages stay in the process's resident size for nothing (measured: a third of the
    peak of a 50 MB bundle). Elsewhere (musl, macOS) there is nothing to call, and nothing to do.
    """
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _items(doc: ResourceListInput, units: list[Unit], limits: Limits, out: Screened) -> None:
    """A span per item; held back or written out where the checks say so."""
    text = doc.text
    anchored: list[int] = []
    for i, unit in enumerate(units):
        end = line_after(text, unit.end)
        known = (unit.kind, unit.api_version)
        span = Span(text, unit.start, end, unit.column, known)
        doc.extents.append((unit.start, end))
        if unit.suspect or unit.anchors:
            walk = Walk(limits.max_depth, _ITEM_DEPTH, unit.anchors)
            problem = next(tree_problems(span.node, walk), None)
            if problem is not None:
                out.held.add(i)
                out.findings.append(_held(i, span, unit, problem))
                span = HeldSpan(text, unit.start, end, unit.column, known, span.composed)
            elif unit.anchors:
                anchored.append(i)
        doc.items.append(span)
    for i in anchored:
        doc.items[i] = _expand(doc.items[i], doc.newline)
        out.expanded.add(i)
        ref, file = node_ref(doc.items[i].node)
        out.findings.append(
            Result(
                f"items[{i}]: anchors and aliases written out in full (the output never carries them); "
                "comments inside this item were not kept",
                "warning",
                ref,
                None,
                file,
            )
        )


def _held(index: int, span: Span, unit: Unit, problem: Any) -> Result:
    ref, file = node_ref(span.node)
    path = field_path(span.node, problem.node) if problem.node is not None else ""
    line = unit.line + problem.line - 1
    return Result(
        f"items[{index}] line {line}: {problem.message}; the item is passed through unchanged",
        "error",
        ref,
        ResultField(path) if path else None,
        file,
    )


def _expand(span: Span, newline: str) -> Span:
    """The span of an item's text with its anchors and aliases written out (comments are not kept)."""
    from krm_fn.scalars import dump_plain

    data = span.data
    if isinstance(data, dict | list) and data:
        body = dump_plain(data)
    else:
        body = json.dumps(data, ensure_ascii=False, default=str) + "\n"
    lines = body.splitlines()
    pad = " " * span.column
    text = newline.join([lines[0], *(pad + line if line else line for line in lines[1:])]) + newline
    return Span(pad + text, span.column, span.column + len(text), span.column)
