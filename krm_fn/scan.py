"""One pass over libyaml's events: where each item of a ResourceList stands, and which to look at closer.

A ResourceList is read without composing it whole: a composed node costs hundreds of bytes, so a
composed bundle is tens of times its text (SPEC 7). This pass walks the event stream once and finds,
for every entry of the root's ``items`` sequence, where its text starts and ends, its ``kind`` and
``apiVersion``, whether it holds anchors or aliases, and whether something in it needs the full
checks of ``treecheck`` (a tag outside the core schema, a key that is not a plain scalar or that
repeats, a merge key). Only those items, and the items a rule can concern, are composed, one at a
time.

The same pass measures what the limits bound, so that nothing is expanded or composed first:

- the depth, level by level;
- aliases: each alias adds the size its anchor's node would have if every alias in it were written
  out ("billion laughs"), and may not refer to a node that contains it or to another item;
- where anchors stand outside the items (the wrapper may not hold any).

It is also used on a single document (``items=False``): then only the aliases and depth are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from sys import intern
from typing import Any

import yaml

from krm_fn.limits import ENV_MAX_ALIASES, ENV_MAX_DEPTH, LimitError, Limits, line_of, too_deep
from krm_fn.source import InputError, NestingError, syntax_problem
from krm_fn.textedit import resolve_tag
from krm_fn.treecheck import SAFE_TAGS, Problem, Walk, tree_problems

_STR = "tag:yaml.org,2002:str"
#: Explicit tags that need no closer look: the core schema's, and ``!`` (a non-specific tag: a string).
_PLAIN_TAGS = SAFE_TAGS | {"!"}


@dataclass(slots=True)
class Unit:
    """One item of the ResourceList as the scan found it (one per item of a bundle: slots)."""

    start: int  # index of its first character in the text
    column: int
    line: int  # from 1
    end: int = 0  # index after the last character of its content (before trailing comments)
    kind: str | None = None
    api_version: str | None = None
    suspect: bool = False  # compose it and run the full checks
    anchors: bool = False  # holds an anchor or an alias


_NO_KEYS: set[str] = set()


class _Frame:
    __slots__ = ("anchor", "count", "expect_key", "flow", "height", "is_items", "is_map", "key", "keys", "unit")

    def __init__(self, anchor: str | None, is_map: bool, flow: bool) -> None:
        self.anchor = anchor
        self.is_map = is_map
        self.flow = flow
        self.is_items = False
        self.unit = False  # this collection is an item's root
        self.count = 1  # nodes, with every alias in it written out
        self.height = 1  # collection levels, likewise
        self.expect_key = True
        self.key: str | None = None
        # Only a mapping's keys are ever added: a sequence shares one empty set (no allocation per
        # sequence on the hot path).
        self.keys: set[str] = set() if is_map else _NO_KEYS


@dataclass
class Scan:
    """What one pass over the events found (see the module's docstring)."""

    limits: Limits
    items: bool = True
    units: list[Unit] = field(default_factory=list)
    root_scalars: dict[str, str] = field(default_factory=dict)  # the root mapping's scalar values
    root_flow: bool = False
    root_is_map: bool = False
    documents: int = 0
    wrapper_anchor_lines: list[int] = field(default_factory=list)
    wrapper_suspect: bool = False
    aliased_nodes: int = 0
    depth: int = 0  # the deepest collection, from the root (1)

    def run(self, text: str) -> Scan:
        """Scan ``text``; InputError when it is not YAML, LimitError when a limit is hit."""
        try:
            self._run(text)
        except yaml.YAMLError as err:
            # Raised without a local name: a frame that holds the exception it raises is a cycle.
            raise self._refused(err) from None
        return self

    def _refused(self, err: yaml.YAMLError) -> InputError:
        problem = syntax_problem(err)
        if isinstance(problem, NestingError):
            return too_deep(self.limits.max_depth, problem.line)
        return problem

    def _run(self, text: str) -> None:  # noqa: PLR0915 - one flat loop over every event, for speed
        scalar_ev, alias_ev = yaml.ScalarEvent, yaml.AliasEvent
        map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        plain_tags = _PLAIN_TAGS
        max_depth = self.limits.max_depth
        stack: list[_Frame] = []
        sizes: dict[str, int] = {}
        heights: dict[str, int] = {}
        owner: dict[str, int] = {}
        defined: dict[str, Any] = {}  # anchor -> where it was defined (the composer's checks, without composing)
        unit: Unit | None = None
        last_end = 0
        ev: Any
        for ev in yaml.parse(text, Loader=yaml.CSafeLoader):
            cls = type(ev)
            if cls is scalar_ev or cls is alias_ev:
                parent = stack[-1] if stack else None
                anchor = ev.anchor
                if parent is not None:
                    if parent.is_items:
                        unit = self._start(ev)
                    if parent.is_map:
                        if parent.expect_key:
                            key = ev.value if cls is scalar_ev else None
                            parent.key = key
                            if key is None or key in parent.keys or (key == "<<" and ev.implicit[0]):
                                self._suspect(unit)
                            else:
                                parent.keys.add(key)
                        elif (
                            cls is scalar_ev
                            and parent.key in ("kind", "apiVersion")
                            and (parent.unit or len(stack) == 1)
                        ):
                            self._record(parent.key, ev, unit)
                        parent.expect_key = not parent.expect_key
                if cls is alias_ev:
                    if anchor not in defined:
                        raise yaml.composer.ComposerError(None, None, "found undefined alias", ev.start_mark)
                    size, height = sizes.get(anchor, 1), heights.get(anchor, 0)
                    self._alias(ev, anchor, stack, size, height)
                    self._place(ev, anchor, unit, owner, alias=True)
                    if parent is not None:
                        parent.count += size
                        parent.height = max(parent.height, 1 + height)
                else:
                    if ev.tag is not None and ev.tag not in plain_tags:
                        self._suspect(unit)
                    if anchor is not None:
                        _define(defined, anchor, ev)
                        sizes[anchor], heights[anchor] = 1, 0
                        self._place(ev, anchor, unit, owner, alias=False)
                    if parent is not None:
                        parent.count += 1
                # An implicit null (no text) stands where the next token starts: after "? key"
                # with no value, on the next item's line. The content ended before it.
                if ev.end_mark.index != ev.start_mark.index or (parent is not None and parent.is_items):
                    last_end = ev.end_mark.index
                if parent is not None and parent.is_items and unit is not None:
                    unit.end = last_end
                    unit = None
            elif cls is map_start or cls is seq_start:
                parent = stack[-1] if stack else None
                if parent is not None:
                    if parent.is_items:
                        unit = self._start(ev)
                    if parent.is_map:
                        if parent.expect_key:
                            parent.key = None
                            self._suspect(unit)  # a collection as a key
                        parent.expect_key = not parent.expect_key
                elif cls is map_start:
                    self.root_is_map = True
                    self.root_flow = bool(ev.flow_style)
                if ev.tag is not None and ev.tag not in plain_tags:
                    self._suspect(unit)
                frame = _Frame(ev.anchor, cls is map_start, bool(ev.flow_style))
                if parent is not None and parent.is_items:
                    frame.unit = True
                if (
                    self.items
                    and cls is seq_start
                    and len(stack) == 1
                    and parent is not None
                    and parent.is_map
                    and parent.key == "items"
                ):
                    frame.is_items = True
                stack.append(frame)
                depth = len(stack)
                if depth > self.depth:
                    self.depth = depth
                    if depth > max_depth:
                        raise too_deep(max_depth, line_of(ev))
                if ev.anchor is not None:
                    _define(defined, ev.anchor, ev)
                    self._place(ev, ev.anchor, unit, owner, alias=False)
            elif cls is map_end or cls is seq_end:
                frame = stack.pop()
                if frame.flow:
                    last_end = ev.end_mark.index
                if frame.anchor is not None:
                    sizes[frame.anchor], heights[frame.anchor] = frame.count, frame.height
                if stack:
                    top = stack[-1]
                    top.count += frame.count
                    top.height = max(top.height, 1 + frame.height)
                    if frame.unit and unit is not None:
                        unit.end = last_end
                        unit = None
            elif cls is yaml.DocumentStartEvent:
                defined.clear()
                self.documents += 1
                if self.documents > 1 and self.items:
                    raise InputError("input holds more than one YAML document; a ResourceList is one")

    def _start(self, ev: Any) -> Unit:
        mark = ev.start_mark
        found = Unit(int(mark.index), int(mark.column), int(mark.line) + 1)
        self.units.append(found)
        return found

    def _suspect(self, unit: Unit | None) -> None:
        if unit is not None:
            unit.suspect = True
        else:
            self.wrapper_suspect = True

    def _record(self, key: str, ev: Any, unit: Unit | None) -> None:
        """``kind`` or ``apiVersion`` of the root (depth 1) or of an item (its root mapping)."""
        if ev.tag is not None and ev.tag not in (_STR, "!"):
            return
        if ev.tag is None and ev.implicit[0] and resolve_tag(ev.value) != _STR:
            return  # ``kind: 1``: not a string, as Span.scalar reads it
        if unit is None:
            self.root_scalars.setdefault(key, ev.value)
        elif key == "kind" and unit.kind is None:
            unit.kind = intern(ev.value)  # a handful of kinds, read once per item
        elif key == "apiVersion" and unit.api_version is None:
            unit.api_version = intern(ev.value)

    def _alias(self, ev: Any, anchor: str, stack: list[_Frame], size: int, height: int) -> None:
        if any(f.anchor == anchor for f in stack):
            raise LimitError(f"alias *{anchor} at line {line_of(ev)} refers to a node that contains it")
        self.aliased_nodes += size
        if self.aliased_nodes > self.limits.max_aliases:
            raise LimitError(
                f"aliases stand for more than {self.limits.max_aliases} nodes (at line {line_of(ev)}); "
                f"set {ENV_MAX_ALIASES} to raise the limit"
            )
        # Written out, the alias nests its anchor's levels here: the depth limit holds for that too.
        if len(stack) + height > self.limits.max_depth:
            raise LimitError(
                f"alias *{anchor} at line {line_of(ev)} nests the input more than {self.limits.max_depth} "
                f"levels deep once written out (set {ENV_MAX_DEPTH} to raise it)"
            )

    def _place(self, ev: Any, anchor: str, unit: Unit | None, owner: dict[str, int], alias: bool) -> None:
        """Which item an anchor or alias is in; an alias may not reach into another item."""
        if unit is None:
            self.wrapper_anchor_lines.append(line_of(ev))
            return
        unit.anchors = True
        index = len(self.units) - 1
        if not alias:
            owner[anchor] = index
        elif owner.get(anchor, index) != index:
            raise InputError(
                f"alias *{anchor} in items[{index}] (line {line_of(ev)}) refers to an anchor in "
                f"items[{owner[anchor]}]; each item must stand on its own"
            )


def _define(defined: dict[str, Any], anchor: str, ev: Any) -> None:
    """Record an anchor; a second one of the same name is the composer's error, raised the same way."""
    first = defined.get(anchor)
    if first is not None:
        raise yaml.composer.ComposerError(
            "found duplicate anchor; first occurrence", first, "second occurrence", ev.start_mark
        )
    defined[anchor] = ev.start_mark


@dataclass
class DocumentCheck:
    """One document of a plain file or stream: what holds it back, whether it holds anchors, what it measures.

    The policy is KRM mode's for one item (SPEC 4): a tag outside the core schema, a duplicate or
    non-scalar key hold the document back (passed through unchanged, an error result); a limit is a
    LimitError for the whole run.
    """

    problem: Problem | None
    anchors: bool
    depth: int = 0
    aliased_nodes: int = 0


def check_document(node: yaml.Node, text: str, limits: Limits) -> DocumentCheck:
    """Check one composed document; LimitError when a limit is hit."""
    anchors, aliased = "&" in text or "*" in text, 0
    if anchors:
        scan = Scan(limits, items=False).run(text)  # bombs and self-references: limits
        anchors, aliased = bool(scan.wrapper_anchor_lines), scan.aliased_nodes
    walk = Walk(limits.max_depth, shared=anchors)
    problem = next(tree_problems(node, walk), None)
    return DocumentCheck(problem, anchors, walk.deepest, aliased)
