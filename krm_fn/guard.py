"""Limits and hostile-input checks: what is refused, held back or expanded before the core sees it.

Manifests in a GitOps repository are written by many hands. Before any item reaches the rules this
module makes sure that:

- the input is not larger than ``maxInputBytes`` and not nested deeper than ``maxDepth`` (the size
  on the raw bytes; the depth on the composed tree, level by level, without recursion). libyaml's
  composer recurses in C, so the text must be shallow enough for the stack before it is composed:
  libyaml 0.2.6 and newer stops at 1,000 levels by itself (its scanner), and that refusal is
  reported as this module's depth limit; with an older libyaml its non-recursive event parser
  counts the exact depth first;
- aliases do not stand for more than ``maxAliases`` nodes in total ("billion laughs"), and no alias
  refers to a node that contains it;
- no tag outside YAML's core schema (``!!python/...``, ``!custom``) is ever constructed;
- mapping keys are unique and scalar (the Kubernetes API server rejects duplicate keys);
- the output never carries anchors or aliases: an item that holds them is written out expanded.

Where a problem sits decides what happens (SPEC section 4): in the ResourceList wrapper (anything
outside ``items``, including ``functionConfig`` and ``results``) it is exit 2 with one message; in an
item, the item is *held back*: passed through byte for byte, never built into Python data, never
transformed, and reported by an error result (exit 1). Limits are exit 2 wherever they are hit.

Limits apply before the functionConfig can be read, so their ceilings come from the environment
(``KSERVE_PVC_FN_MAX_INPUT_BYTES``, ``KSERVE_PVC_FN_MAX_ALIASES``, ``KSERVE_PVC_FN_MAX_DEPTH``), set
by whoever runs the function; the functionConfig's ``maxInputBytes``, ``maxAliases`` and
``maxDepth`` can only tighten them (checked after reading, an error result when exceeded).
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from krm_fn.results import Field as ResultField
from krm_fn.results import File, ResourceRef, Result
from krm_fn.source import InputError, NestingError, ResourceListInput, Span

DEFAULT_MAX_INPUT_BYTES = 256 * 2**20
DEFAULT_MAX_ALIASES = 10_000
DEFAULT_MAX_DEPTH = 256
# Above this, the recursive Python writers (yaml.dump, the item editor) run out of stack under
# the default recursion limit (measured: 330 levels), so no setting may go beyond it.
HARD_MAX_DEPTH = 300
# The largest size or count a setting can hold: one less than the largest C ``ssize_t``, so that
# ``limit + 1`` (a read one byte over the limit) still fits.
PLATFORM_MAX = sys.maxsize - 1

ENV_MAX_INPUT_BYTES = "KSERVE_PVC_FN_MAX_INPUT_BYTES"
ENV_MAX_ALIASES = "KSERVE_PVC_FN_MAX_ALIASES"
ENV_MAX_DEPTH = "KSERVE_PVC_FN_MAX_DEPTH"

# The tags a SafeLoader resolves implicitly. Anything else (python/*, binary, set, omap, local
# ``!tags``) is something this function does not read: it is never constructed.
_CORE = "tag:yaml.org,2002:"
SAFE_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge"))


class LimitError(InputError):
    """A configured limit was hit (exit code 2, like any input that is refused)."""


def too_deep(max_depth: int, line: int = 0, name: str = "input") -> LimitError:
    """The one message for input over the depth limit, whoever found it (libyaml or this module)."""
    where = f"line {line}; " if line else ""
    return LimitError(
        f"{name} is nested more than {max_depth} levels deep ({where}set {ENV_MAX_DEPTH} to raise it, "
        f"up to {HARD_MAX_DEPTH})"
    )


def _libyaml_limits_nesting() -> bool:
    """Whether the loaded libyaml refuses deep nesting itself (0.2.6 and newer: 1,000 levels)."""
    try:
        from yaml import _yaml

        return tuple(_yaml.get_version()) >= (0, 2, 6)
    except (ImportError, AttributeError):
        return False


# With an older libyaml (a PyYAML built against a system library), nothing stops its recursive
# composer but the stack: about 280 bytes per level, so 30,000 nested brackets overflow the main
# thread's 8 MiB and kill the process. There, libyaml's event parser, which does not recurse,
# counts the exact depth before anything is composed.
LIBYAML_LIMITS_NESTING = _libyaml_limits_nesting()


@dataclass(frozen=True)
class Limits:
    """The ceilings applied before anything is parsed."""

    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    max_aliases: int = DEFAULT_MAX_ALIASES
    max_depth: int = DEFAULT_MAX_DEPTH

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults, overridden by the ``KSERVE_PVC_FN_MAX_*`` environment variables."""
        env = os.environ if environ is None else environ

        def read(name: str, default: int, cap: int | None = None) -> int:
            raw = env.get(name, "").strip().replace("_", "")
            if not raw:
                return default
            # ASCII digits only: ``str.isdigit`` also takes '²' and other digits ``int`` refuses.
            if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
                raise LimitError(f"{name}={_short(env[name])} is not a positive whole number")
            # Compared as text first: ``int`` refuses more than 4,300 digits (a ValueError).
            digits = raw.lstrip("0")
            huge = len(digits) > len(str(PLATFORM_MAX))
            if cap is not None and (huge or int(digits) > cap):
                raise LimitError(f"{name}={_short(digits)} is over the highest safe value {cap}")
            # Sizes and counts past what the platform can index mean "no practical limit": read
            # as the largest one (a read of ``limit + 1`` bytes must still fit a C size).
            return PLATFORM_MAX if huge else min(int(digits), PLATFORM_MAX)

        return cls(
            read(ENV_MAX_INPUT_BYTES, DEFAULT_MAX_INPUT_BYTES),
            read(ENV_MAX_ALIASES, DEFAULT_MAX_ALIASES),
            read(ENV_MAX_DEPTH, DEFAULT_MAX_DEPTH, HARD_MAX_DEPTH),
        )


@dataclass
class Measure:
    """What the checks measured, for the functionConfig's tighter limits."""

    input_bytes: int = 0
    depth: int = 0  # collections, from the document root (aliases written out are checked apart)
    aliased_nodes: int = 0


# --- before the composer -----------------------------------------------------------------------


def exact_depth_over(raw: bytes, limit: int) -> int:
    """The line of the first collection nested deeper than ``limit``, or 0 when none is.

    libyaml's event parser does not recurse, so this is safe on any input.
    """
    depth = 0
    try:
        for ev in yaml.parse(raw, Loader=yaml.CSafeLoader):
            if isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    return _line(ev) or 1
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as err:
        # libyaml's own depth limit stops the count there: over ours too (1,000 > HARD_MAX_DEPTH).
        mark = getattr(err, "problem_mark", None)
        if "maximum nesting depth" in str(getattr(err, "problem", "")):
            return mark.line + 1 if mark is not None else 1
        # Broken YAML stops the count here; the reader reports it with its line. Whatever was
        # read so far was within the limit, and the composer stops at the same place.
        return 0
    return 0


def _json_duplicates(raw: bytes) -> str | None:
    """What JSON input holds that ``json.loads`` would take silently: the first duplicate key (the
    last one would win), or a number JSON forbids (``NaN``, ``Infinity``, ``1e999``, which reads
    as infinity), with its line and column in the JSON text. None when there is none."""
    stripped = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith((b"{", b"[")):
        return None
    found: list[str] = []
    forbidden: list[str] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen and not found:
                found.append(key)
            seen.add(key)
        return dict(pairs)

    def number(text: str) -> float:
        value = float(text)
        if value in (math.inf, -math.inf):
            forbidden.append(text)
        return value

    def constant(text: str) -> float:
        forbidden.append(text)
        return float(text)

    try:
        json.loads(stripped, object_pairs_hook=hook, parse_float=number, parse_constant=constant)
    except (ValueError, RecursionError):
        return None  # not JSON after all (flow YAML), or too deep: the YAML checks take over
    if forbidden:
        where = _json_position(raw, forbidden[0])
        return f"has the number {forbidden[0][:40]} at {where}: JSON has no NaN, Infinity or number beyond a float"
    return f"has a duplicate key {_short(found[0])}" if found else None


def _json_position(raw: bytes, token: str) -> str:
    """``line L, column C`` of the first ``token`` outside a string of a JSON text (rare: a scan)."""
    text = raw.decode("utf-8", "replace")
    i, in_string = 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            i += 2 if c == "\\" else 1
            in_string = c != '"'
            continue
        if c == '"':
            in_string = True
        elif text.startswith(token, i) and not (i and (text[i - 1].isalnum() or text[i - 1] in ".+-")):
            line = text.count("\n", 0, i) + 1
            return f"line {line}, column {i - (text.rfind(chr(10), 0, i) + 1) + 1}"
        i += 1
    return "position unknown"


def check_raw(raw: bytes, limits: Limits, name: str = "input") -> Measure:
    """Size and depth limits, and JSON duplicate keys, before any YAML is composed."""
    if len(raw) > limits.max_input_bytes:
        raise LimitError(
            f"{name} is larger than the limit of {limits.max_input_bytes} bytes (set {ENV_MAX_INPUT_BYTES} to raise it)"
        )
    # The exact depth is measured on the composed tree; here only what would not survive until
    # then is stopped: YAML where libyaml does not stop deep text itself, and JSON input, which
    # recursive Python code converts to YAML before the tree is walked (JSON input is rare, and
    # the event pass is affordable).
    is_json = raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))
    if (is_json or not LIBYAML_LIMITS_NESTING) and (line := exact_depth_over(raw, limits.max_depth)):
        raise too_deep(limits.max_depth, line, name)
    problem = _json_duplicates(raw)
    if problem is not None:
        why = "; duplicate keys are an error, as for the Kubernetes API server" if "duplicate" in problem else ""
        raise InputError(f"{name} {problem}{why}")
    return Measure(len(raw))


# --- after the composer ------------------------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong with a node: where it is and what it is."""

    message: str
    line: int
    node: yaml.Node | None = None


_FRAGILE = frozenset((_CORE + "timestamp", _CORE + "int"))


def _constructs(node: yaml.Node) -> bool:
    """Whether a scalar resolved as a timestamp or int can be built (only checked where it may fail)."""
    if node.tag == _CORE + "int" and "_" not in str(node.value):
        return True
    try:
        yaml.constructor.SafeConstructor().construct_object(node)
    except (ValueError, yaml.YAMLError):
        return False
    return True


def _short(value: str, width: int = 60) -> str:
    """``repr`` of a key or tag for a one-line message, cut to ``width`` characters."""
    return repr(value if len(value) <= width else value[:width] + "...")


@dataclass
class _Walk:
    """How to walk one tree: its depth limit, the depth of its root, and what was measured."""

    max_depth: int
    root_depth: int = 1
    shared: bool = False  # the graph may hold one node in several places (aliases): visit each once
    deepest: int = 0


def _tree_problems(node: yaml.Node, walk: _Walk) -> Iterator[Problem]:
    """Duplicate or non-scalar keys and unsafe tags, walking without recursion; LimitError when too deep.

    The exact depth is measured here, on the composed tree, level by level (see the module's
    docstring for what stops deeper text before it is composed). This runs on every item, so it is
    written for speed (no per-node tuples, exact types).
    """
    mapping, sequence, scalar = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode
    safe, fragile, merge = SAFE_TAGS, _FRAGILE, _CORE + "merge"
    seen: set[int] = set()
    level, depth = [node], walk.root_depth
    while level:
        below: list[yaml.Node] = []
        for n in level:
            if walk.shared:
                if id(n) in seen:
                    continue
                seen.add(id(n))
            cls = type(n)
            if n.tag not in safe:
                yield Problem(
                    f"tag {_short(n.tag.replace(_CORE, '!!'))} is not read by this function (never constructed)",
                    _line(n),
                    n,
                )
            elif cls is scalar:
                if n.tag in fragile:
                    _fix_fragile(n)
            elif depth > walk.max_depth:
                raise too_deep(walk.max_depth, _line(n))
            elif cls is mapping:
                walk.deepest = max(walk.deepest, depth)
                keys: set[str] = set()
                for k, v in n.value:
                    below.append(v)
                    if type(k) is not scalar:
                        yield Problem("a mapping key is not a plain scalar", _line(k), k)
                        continue
                    if k.tag not in safe:
                        below.append(k)  # reported on the next level
                    elif k.tag in fragile:
                        _fix_fragile(k)
                    if k.tag == merge and not _mergeable(v):
                        yield Problem("a merge key '<<' takes a mapping or a list of mappings", _line(k), k)
                    if k.tag == merge:
                        continue  # not a key of its own: a quoted "<<" beside it is an ordinary key
                    if k.value in keys:
                        yield Problem(
                            f"duplicate key {_short(k.value)} (the Kubernetes API server rejects duplicate keys)",
                            _line(k),
                            k,
                        )
                    keys.add(k.value)
            elif cls is sequence:
                walk.deepest = max(walk.deepest, depth)
                below.extend(n.value)
        level, depth = below, depth + 1


def _mergeable(node: yaml.Node) -> bool:
    """What SafeConstructor accepts after ``<<`` (anything else makes it raise)."""
    if type(node) is yaml.MappingNode:
        return True
    return type(node) is yaml.SequenceNode and all(type(v) is yaml.MappingNode for v in node.value)


def _fix_fragile(node: yaml.Node) -> None:
    """Read a scalar that looks like a timestamp or int but is no valid one as the string it is.

    ``2024-00-01`` or ``0x_`` match YAML 1.1's patterns, and SafeConstructor would raise on them.
    Kubernetes (yaml.v2 into JSON) keeps them as strings, and so does this function from here on.
    """
    if not _constructs(node):
        node.tag = _CORE + "str"


def _line(ev: yaml.Event | yaml.Node) -> int:
    return ev.start_mark.line + 1 if ev.start_mark is not None else 0


@dataclass
class _Frame:
    anchor: str | None
    is_map: bool = False
    is_items: bool = False  # the ResourceList's ``items`` sequence
    count: int = 1  # nodes, with every alias in it written out
    height: int = 1  # collection levels, likewise
    expect_key: bool = True
    key: str | None = None
    flow: bool = False


class _AliasScan:
    """Items holding anchors or aliases, the number of nodes aliases stand for, wrapper hits.

    Counted on the event stream so that a bomb is measured, never expanded: each alias adds the
    size its anchor's node would have if every alias in it were written out. Items are found by
    structure (the root's ``items`` sequence), not by span: a span ends where its last node's text
    ends, and an alias's node is its anchor's.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.flagged: set[int] = set()
        self.extents: dict[int, tuple[int, int, int]] = {}  # item -> (start, end, column)
        self.wrapper_lines: list[int] = []
        self.total = 0
        self.sizes: dict[str, int] = {}
        self.heights: dict[str, int] = {}
        self.owner: dict[str, int] = {}
        self.stack: list[_Frame] = []
        self.count = -1
        self.current = -1
        self.item_start: yaml.Event | None = None
        # Where the last content ended: a block collection's end event stands at the next token,
        # after any comment lines between items, so it cannot mark an item's end.
        self.last_end = 0

    def run(self, text: str) -> _AliasScan:
        """Scan ``text``, the ResourceList's text."""
        for ev in yaml.parse(text, Loader=yaml.CSafeLoader):
            anchor = getattr(ev, "anchor", None)
            if isinstance(ev, yaml.NodeEvent):
                self._enter(ev)
            if isinstance(ev, yaml.AliasEvent):
                self._alias(ev, str(anchor))
            elif isinstance(ev, yaml.CollectionStartEvent):
                parent = self.stack[-1] if self.stack else None
                is_items = (
                    len(self.stack) == 1
                    and parent is not None
                    and parent.key == "items"
                    and isinstance(ev, yaml.SequenceStartEvent)
                )
                frame = _Frame(anchor, isinstance(ev, yaml.MappingStartEvent), is_items)
                frame.flow = bool(ev.flow_style)
                self.stack.append(frame)
            elif isinstance(ev, yaml.CollectionEndEvent):
                if self._end() and ev.end_mark is not None:
                    self.last_end = int(ev.end_mark.index)
            elif isinstance(ev, yaml.ScalarEvent):
                if anchor is not None:
                    self.sizes[anchor], self.heights[anchor] = 1, 0
                if self.stack:
                    self.stack[-1].count += 1
            if anchor is not None:
                self._place(ev, str(anchor))
            if isinstance(ev, yaml.ScalarEvent | yaml.AliasEvent) and ev.end_mark is not None:
                self.last_end = int(ev.end_mark.index)
            if isinstance(ev, yaml.CollectionEndEvent | yaml.ScalarEvent | yaml.AliasEvent):
                self._leave()
        return self

    def _enter(self, ev: yaml.NodeEvent) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is None:
            return
        if parent.is_items:
            self.count += 1
            self.current, self.item_start = self.count, ev
        elif parent.is_map:
            if parent.expect_key:
                parent.key = ev.value if isinstance(ev, yaml.ScalarEvent) else None
            parent.expect_key = not parent.expect_key

    def _leave(self) -> None:
        """After a node ends: if it was an item, record where its text stands."""
        top = self.stack[-1] if self.stack else None
        if top is None or not top.is_items or self.item_start is None:
            return
        start = self.item_start.start_mark
        if start is not None:
            self.extents[self.current] = (int(start.index), self.last_end, int(start.column))
        self.current, self.item_start = -1, None

    def _alias(self, ev: yaml.Event, anchor: str) -> None:
        if any(f.anchor == anchor for f in self.stack):
            raise LimitError(f"alias *{anchor} at line {_line(ev)} refers to a node that contains it")
        size, height = self.sizes.get(anchor, 1), self.heights.get(anchor, 0)
        self.total += size
        if self.total > self.limits.max_aliases:
            raise LimitError(
                f"aliases stand for more than {self.limits.max_aliases} nodes (at line {_line(ev)}); "
                f"set {ENV_MAX_ALIASES} to raise the limit"
            )
        # Written out, the alias nests its anchor's levels here: the depth limit holds for that too.
        if len(self.stack) + height > self.limits.max_depth:
            raise LimitError(
                f"alias *{anchor} at line {_line(ev)} nests the input more than {self.limits.max_depth} "
                f"levels deep once written out (set {ENV_MAX_DEPTH} to raise it)"
            )
        if self.stack:
            self.stack[-1].count += size
            self.stack[-1].height = max(self.stack[-1].height, 1 + height)

    def _end(self) -> bool:
        """Close a collection; whether it was a flow collection (its end event marks its text's end)."""
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.sizes[frame.anchor], self.heights[frame.anchor] = frame.count, frame.height
        if self.stack:
            self.stack[-1].count += frame.count
            self.stack[-1].height = max(self.stack[-1].height, 1 + frame.height)
        return frame.flow

    def _place(self, ev: yaml.Event, anchor: str) -> None:
        """Which item an anchor or alias is in; an alias may not reach into another item."""
        i = self.current
        if i < 0:
            self.wrapper_lines.append(_line(ev))
            return
        self.flagged.add(i)
        if not isinstance(ev, yaml.AliasEvent):
            self.owner[anchor] = i
        elif self.owner.get(anchor, i) != i:
            raise InputError(
                f"alias *{anchor} in items[{i}] (line {_line(ev)}) refers to an anchor in "
                f"items[{self.owner[anchor]}]; each item must stand on its own"
            )


def _lookup(node: yaml.Node, *keys: str) -> yaml.Node | None:
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        found = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        if found is None:
            return None
        node = found
    return node


def scalar_at(node: yaml.Node, *keys: str) -> str | None:
    """The scalar at a path of mapping keys in a composed node (its data is never built), or None."""
    return _text(_lookup(node, *keys))


def _text(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def node_ref(node: yaml.Node) -> tuple[ResourceRef, File | None]:
    """The result reference and file of an item, read from its nodes (its data is never built)."""
    ref = ResourceRef(
        _text(_lookup(node, "apiVersion")) or "",
        _text(_lookup(node, "kind")) or "",
        _text(_lookup(node, "metadata", "name")) or "",
        _text(_lookup(node, "metadata", "namespace")) or None,
    )
    path = _text(_lookup(node, "metadata", "annotations", "internal.config.kubernetes.io/path"))
    path = path or _text(_lookup(node, "metadata", "annotations", "config.kubernetes.io/path"))
    if path is None:
        return ref, None
    index = _text(_lookup(node, "metadata", "annotations", "internal.config.kubernetes.io/index"))
    index = index or _text(_lookup(node, "metadata", "annotations", "config.kubernetes.io/index"))
    return ref, File(path, int(index) if index and index.isdigit() else 0)


def _field_path(root: yaml.Node, target: yaml.Node) -> str:
    """The dotted path of ``target`` under ``root`` (rare, so a plain search is fine)."""
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k is target:
                    return f"{path}.{k.value}" if path else str(k.value)
                key = k.value if isinstance(k, yaml.ScalarNode) else "?"
                stack.append((v, f"{path}.{key}" if path else str(key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node.value))
    return ""


class HeldSpan(Span):
    """An item held back: it reads as no kind and no data, so no rule ever builds or edits it."""

    def scalar(self, key: str) -> str | None:
        """Nothing: a held item has no kind a rule could match."""
        return None

    @cached_property
    def data(self) -> Any:
        """Nothing: a held item is never constructed."""
        return None


@dataclass
class Screened:
    """What the checks found: the results to report and what was measured."""

    findings: list[Result] = field(default_factory=list)
    held: set[int] = field(default_factory=set)
    measure: Measure = field(default_factory=Measure)


def _item_error(index: int, span: Span, problem: Problem) -> Result:
    ref, file = node_ref(span.node)
    path = _field_path(span.node, problem.node) if problem.node is not None else ""
    return Result(
        f"items[{index}] line {problem.line}: {problem.message}; the item is passed through unchanged",
        "error",
        ref,
        ResultField(path) if path else None,
        file,
    )


def _wrapper_problem(doc: ResourceListInput, limits: Limits, measure: Measure) -> Problem | None:
    """The first problem outside ``items``: the root's keys and every value but the items' entries."""
    root = yaml.MappingNode(doc.root.tag, [], doc.root.start_mark, doc.root.end_mark)
    for k, v in doc.root.value:
        is_items = isinstance(k, yaml.ScalarNode) and k.value == "items" and isinstance(v, yaml.SequenceNode)
        root.value.append((k, yaml.SequenceNode(v.tag, [], v.start_mark, v.end_mark) if is_items else v))
    walk = _Walk(limits.max_depth, shared=True)
    problem = next(_tree_problems(root, walk), None)
    measure.depth = max(measure.depth, walk.deepest)
    return problem


def _expanded(span: Span, column: int, newline: str) -> str:
    """An item's text with its anchors and aliases written out (comments in it are not kept)."""
    from krm_fn.scalars import dump_plain

    data = span.data
    if isinstance(data, dict | list) and data:
        body = dump_plain(data)
    else:
        body = json.dumps(data, ensure_ascii=False, default=str) + "\n"
    lines = body.splitlines()
    pad = " " * column
    return newline.join([lines[0], *(pad + line if line else line for line in lines[1:])]) + newline


def screen(
    raw: bytes, read: Callable[[bytes], ResourceListInput], limits: Limits | None = None
) -> tuple[ResourceListInput, Screened]:
    """Read a ResourceList with every check applied; InputError (exit 2) when it is refused."""
    limits = limits or Limits.from_env()
    measure = check_raw(raw, limits)
    try:
        doc = read(raw)
    except NestingError as err:
        raise too_deep(limits.max_depth, err.line) from None
    except yaml.YAMLError as err:  # a tag in functionConfig or results: SafeConstructor refused it
        raise InputError(f"the ResourceList wrapper cannot be read safely: {_first_line(err)}") from None
    except ValueError as err:
        raise InputError(f"the ResourceList wrapper cannot be read safely: {err}") from None
    out = Screened(measure=measure)
    scan = _AliasScan(limits)
    if b"&" in raw or b"*" in raw:
        scan.run(doc.text)
        flagged, out.measure.aliased_nodes = scan.flagged, scan.total
        if scan.wrapper_lines:
            raise InputError(
                f"the ResourceList wrapper holds an anchor or alias (line {scan.wrapper_lines[0]}); "
                "anchors and aliases are only accepted inside items"
            )
    else:
        flagged = set()
    problem = _wrapper_problem(doc, limits, out.measure)
    if problem is not None:
        raise InputError(f"the ResourceList wrapper, line {problem.line}: {problem.message}")
    for i, span in enumerate(doc.items):
        # An item sits at depth 3: the root mapping, then the items sequence.
        walk = _Walk(limits.max_depth, 3, bool(flagged))
        item_problem = next(_tree_problems(span.node, walk), None)
        out.measure.depth = max(out.measure.depth, walk.deepest)
        if item_problem is not None:
            out.held.add(i)
            out.findings.append(_item_error(i, span, item_problem))
    expand = sorted(flagged - out.held)
    if expand:
        doc = _rewrite(doc, {i: scan.extents[i] for i in expand}, read, out)
    for i in out.held:
        s = doc.items[i]
        doc.items[i] = HeldSpan(s.source, s.node, s.start, s.end, s.column)
    return doc, out


def _rewrite(
    doc: ResourceListInput,
    expand: Mapping[int, tuple[int, int, int]],
    read: Callable[[bytes], ResourceListInput],
    out: Screened,
) -> ResourceListInput:
    """Write the ``expand`` items out plainly and read the result again."""
    from krm_fn.textedit import Splice, apply_splices, line_after

    splices = []
    for i, (start, end, column) in sorted(expand.items()):
        span = doc.items[i]
        ref, file = node_ref(span.node)
        splices.append(Splice(start, line_after(doc.text, end), _expanded(span, column, doc.newline)))
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
    text = apply_splices(doc.text, splices)
    return read(text.encode())


def _first_line(err: Exception) -> str:
    return _first_line_raw(err).replace(_CORE, "!!")


def _first_line_raw(err: Exception) -> str:
    lines = [line for line in str(err).splitlines() if line.strip()]
    problem = getattr(err, "problem", None)
    mark = getattr(err, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}"
    return lines[-2] if len(lines) >= 2 else (lines[0] if lines else type(err).__name__)


def exceeds(measure: Measure, spec: Any) -> list[Result]:
    """The functionConfig's tighter limits that ``measure`` is over, as error results.

    ``spec`` is the PolicySpec (or None): its ``maxInputBytes``, ``maxAliases`` and ``maxDepth``
    can only lower the ceilings. A limit error changes nothing: the caller transforms nothing when
    this is not empty, and reports these after the checks' own findings.
    """
    out = []
    checks: tuple[tuple[str, Callable[[int], bool], str], ...] = (
        ("maxInputBytes", lambda n: measure.input_bytes > n, f"the input is {measure.input_bytes} bytes"),
        ("maxDepth", lambda n: measure.depth > n, f"the input nests {measure.depth} levels deep"),
        ("maxAliases", lambda n: measure.aliased_nodes > n, f"aliases stand for {measure.aliased_nodes} nodes"),
    )
    for key, over, what in checks:
        limit = getattr(spec, key, None)
        if isinstance(limit, int) and not isinstance(limit, bool) and over(limit):
            out.append(
                Result(
                    f"functionConfig: {what}, over {key}: {limit}",
                    "error",
                    field=ResultField(key, limit),
                )
            )
    return out


@dataclass
class DocumentCheck:
    """Render mode, one document: what holds it back, and whether its anchors are written out.

    The policy is KRM mode's for one item (SPEC 4): a tag outside the core schema, a duplicate or
    non-scalar key hold the document back (passed through unchanged, an error result); anchors and
    aliases are written out in full (a warning); a limit is a LimitError for the whole run.
    """

    problem: Problem | None
    anchors: bool


def check_document(node: yaml.Node, text: str, limits: Limits) -> DocumentCheck:
    """Check one composed document of a plain file; LimitError when a limit is hit."""
    anchors = "&" in text or "*" in text
    if anchors:
        anchors = bool(_AliasScan(limits).run(text).wrapper_lines)  # bombs and self-references: limits
    problem = next(_tree_problems(node, _Walk(limits.max_depth, shared=anchors)), None)
    return DocumentCheck(problem, anchors)
