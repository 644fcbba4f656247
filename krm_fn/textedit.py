"""Apply logical edits to the YAML text of one item, in place.

The item's text is composed with libyaml (via PyYAML's C loader), which gives every node's start and
end position. Each edit becomes a splice of the original text: a scalar is replaced, a key is inserted
after the last entry of its mapping, an item after the last item of its sequence, and missing
mappings or sequences are created as new blocks indented like the rest of the item. Nothing outside
the splices changes, so comments, quoting and layout elsewhere stay byte for byte.

After the edits, the new text is read back and compared with the expected data; where an edit
cannot be made in place (an unusual layout) or the comparison fails, the item is re-emitted by
``roundtrip.reemit`` instead, which keeps comments but not every detail of layout.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from sys import intern
from typing import Any, NamedTuple

import yaml

from krm_fn.ops import Append, Op, Path, SetValue, apply_ops
from krm_fn.scalars import Layout, block_lines, is_collection, render_flow, render_scalar

_NULL_TAG = "tag:yaml.org,2002:null"


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_BUILDING = object()


class _Unusual(Exception):
    """A node the fast builder leaves to PyYAML's constructor (merge keys, sets, recursion...)."""


def plain_data(node: yaml.Node) -> Any:
    """What ``SafeConstructor().construct_document(node)`` returns, built faster.

    Kubernetes manifests are almost all strings, lists and maps; those are built directly here (an
    alias gives the same object, as there). Anything else (merge keys, ``!!set``, an unhashable or
    recursive key, nesting too deep to recurse) is handed to PyYAML's constructor whole, so the
    result and any error are exactly PyYAML's.
    """
    try:
        return _Builder().build(node)
    except (_Unusual, RecursionError, yaml.YAMLError):
        # PyYAML's constructor again, from the start: its result, or its first error, exactly.
        return yaml.constructor.SafeConstructor().construct_document(node)


class _Builder:
    """One ``plain_data`` call's state. A class rather than a recursive closure: a closure that
    calls itself is a reference cycle, which only the cyclic collector frees, and a run calls this
    once per candidate with the collector paused (``pipeline.bulk_allocation``)."""

    __slots__ = ("known_tags", "memo", "scalars")

    def __init__(self) -> None:
        self.scalars = yaml.constructor.SafeConstructor()
        self.known_tags = self.scalars.yaml_constructors
        self.memo: dict[int, Any] = {}

    def scalar(self, n: yaml.ScalarNode) -> Any:
        try:
            return self.scalars.construct_object(n, deep=True)
        except ValueError:
            # ``2024-00-01`` or ``0x_`` match YAML 1.1's patterns but build nothing; Kubernetes
            # (yaml.v2 into JSON) keeps them as strings, and so does treecheck.py on the input.
            return n.value

    def build(self, n: yaml.Node) -> Any:
        scalar_node, memo = yaml.ScalarNode, self.memo
        # Scalars are not memoized: an alias of one gives an equal immutable value either way.
        # String scalars, most of any manifest, are read inline below without a call.
        if type(n) is scalar_node:
            return n.value if n.tag == _STR else self.scalar(n)
        known = memo.get(id(n), memo)
        if known is not memo:
            if known is _BUILDING:
                raise _Unusual
            return known
        tag = n.tag
        build = self.build
        if isinstance(n, yaml.SequenceNode) and tag == _SEQ:
            memo[id(n)] = _BUILDING
            value: Any = [v.value if type(v) is scalar_node and v.tag == _STR else build(v) for v in n.value]
        elif isinstance(n, yaml.MappingNode) and tag == _MAP:
            memo[id(n)] = _BUILDING
            value = {}
            known_tags = self.known_tags
            for k, v in n.value:
                if type(k) is not scalar_node or k.tag not in known_tags:
                    raise _Unusual  # a collection, merge (<<) or value (=) key: PyYAML's rules
                # Keys repeat across every item of a bundle (``metadata``, ``name``...): one string
                # each, not one per occurrence, is most of what the data of many items costs.
                key = intern(k.value) if k.tag == _STR else self.scalar(k)
                value[key] = v.value if type(v) is scalar_node and v.tag == _STR else build(v)
        elif isinstance(n, yaml.ScalarNode):
            value = n.value if tag == _STR else self.scalar(n)
        else:
            raise _Unusual
        memo[id(n)] = value
        return value


class CannotEditInPlace(Exception):
    """The layout around an edit is too unusual to splice; the caller re-emits the item."""


class _Loader(yaml.CSafeLoader):
    """libyaml's composer with PyYAML's safe resolver, memoized.

    libyaml calls back into Python to resolve the tag of every node: for a scalar, a scan of
    PyYAML's implicit-resolver regexes. The tag depends only on the node's kind, value and
    implicitness (the safe loader has no path resolvers), and the same keys and values recur all
    over a bundle, so the answers are cached (in C: no Python frame per node on a hit).
    """

    resolve = staticmethod(functools.lru_cache(maxsize=2**14)(yaml.resolver.Resolver().resolve))


def resolve_tag(value: str) -> str:
    """The tag a plain scalar ``value`` resolves to under the safe loader (memoized)."""
    return str(_Loader.resolve(yaml.ScalarNode, value, (True, False)))


def compose(text: str) -> yaml.Node:
    """Compose one YAML document with libyaml, keeping positions."""
    node = yaml.compose(text, Loader=_Loader)
    if node is None:
        raise CannotEditInPlace("empty document")
    return node


def content_end(node: yaml.Node) -> int:
    """Where the node's own content ends (excluding trailing comments and blank lines).

    The implicit null of an explicit key with no value (``? key``) has no text and stands where
    the next token starts, lines further on: the key ends the content then.
    """
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        if isinstance(node, yaml.MappingNode):
            key, value = last
            node = key if value.start_mark.index == value.end_mark.index else value
        else:
            node = last
    return int(node.end_mark.index)


_LINE_BREAK = re.compile(r"\r\n?|\n")
# A comma after blanks, line breaks and comments: a flow collection's trailing comma. One blank at
# a time, and a comment only up to its line's end: no two ways to match one text, so no
# backtracking into a comment's comma and no exponential time on a long blank run.
_TRAILING_COMMA = re.compile(r"(?:[ \t\r\n]|#[^\r\n]*(?![^\r\n]))*,")


def line_after(text: str, pos: int) -> int:
    """The start of the line after the one holding ``pos`` (``pos`` itself if it starts a line).

    A line ends where YAML (libyaml, Go's yaml) ends one: at ``\n``, ``\r\n`` or a lone ``\r``.
    """
    if pos > 0 and (text[pos - 1] == "\n" or (text[pos - 1] == "\r" and not text.startswith("\n", pos))):
        return pos
    found = _LINE_BREAK.search(text, pos)
    return len(text) if found is None else found.end()


def detect_layout(root: yaml.Node) -> Layout:
    """Read the item's indentation step and sequence style from its existing blocks."""
    indent: int | None = None
    seq_indent: bool | None = None
    stack = [root]
    while stack and (indent is None or seq_indent is None):
        node = stack.pop()
        if isinstance(node, yaml.MappingNode) and not node.flow_style:
            for key, value in node.value:
                block = not getattr(value, "flow_style", True) and value.start_mark.line > key.start_mark.line
                if block and isinstance(value, yaml.MappingNode) and indent is None:
                    indent = value.start_mark.column - key.start_mark.column
                elif block and isinstance(value, yaml.SequenceNode) and seq_indent is None:
                    seq_indent = value.start_mark.column > key.start_mark.column
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return Layout(indent=indent if indent and indent > 0 else 2, seq_indent=bool(seq_indent))


@dataclass(frozen=True)
class Splice:
    """Replace ``text[start:end]`` of a source text with ``new``."""

    start: int
    end: int
    new: str


def apply_splices(text: str, splices: Iterable[Splice]) -> str:
    """Apply non-overlapping splices in one pass; splices at the same position keep their order."""
    parts: list[str] = []
    pos = 0
    for sp in sorted(splices, key=lambda s: (s.start, s.end)):  # sorted() is stable
        parts.append(text[pos : sp.start])
        parts.append(sp.new)
        pos = sp.end
    parts.append(text[pos:])
    return "".join(parts)


def _find(root: yaml.Node, path: Sequence[str | int]) -> tuple[list[yaml.Node], int]:
    """Nodes along ``path`` from the root, and how many path steps exist."""
    chain = [root]
    node = root
    for depth, part in enumerate(path):
        nxt: yaml.Node | None = None
        if isinstance(part, int):
            if isinstance(node, yaml.SequenceNode) and -len(node.value) <= part < len(node.value):
                nxt = node.value[part]
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part and key.tag.endswith(":str"):
                    nxt = value
        if nxt is None:
            return chain, depth
        chain.append(nxt)
        node = nxt
    return chain, len(path)


def _nest(keys: Sequence[str | int], value: Any) -> Any:
    for key in reversed(keys):
        if isinstance(key, int):
            raise CannotEditInPlace("cannot create a list element by index")
        value = {key: value}
    return value


class _Editor:
    def __init__(self, text: str, newline: str) -> None:
        self.text = text
        self.nl = newline
        self._root: yaml.Node | None = compose(text)
        self.layout = detect_layout(self._root)

    @property
    def root(self) -> yaml.Node:
        """The composed current text; recomposed only when the next edit needs positions."""
        if self._root is None:
            self._root = compose(self.text)
        return self._root

    def splice(self, sp: Splice) -> None:
        self.text = self.text[: sp.start] + sp.new + self.text[sp.end :]
        # Positions after a splice are stale. The last edit's text is read back by edit_item
        # anyway, so composing it here as well would parse every edited item once more.
        self._root = None

    def lines(self, value: Any, col: int) -> str:
        return self.nl.join(block_lines(value, col, self.layout)) + self.nl

    # -- node-level operations -------------------------------------------------------------
    def replace_scalar(self, node: yaml.ScalarNode, value: Any) -> Splice:
        start, end = node.start_mark.index, node.end_mark.index
        if node.style in ("|", ">"):
            literal = self._literal(node, value)
            # A block scalar's span runs to the next line; keep that line break.
            return Splice(start, end, literal if literal is not None else render_scalar(value, '"') + self.nl)
        if node.tag == _NULL_TAG and start == end:
            return Splice(start, end, " " + render_scalar(value))
        return Splice(start, end, render_scalar(value, node.style))

    def _literal(self, node: yaml.ScalarNode, value: Any) -> str | None:
        """``value`` as a literal block scalar indented like ``node``'s content, where it can be one.

        A multi-line JSON document in a ConfigMap stays readable that way. Values a literal block
        cannot carry without an indentation indicator (leading spaces, all-space lines) or at all
        (non-printable characters) return None and are double-quoted instead.
        """
        if not isinstance(value, str) or not value.strip("\n"):
            return None
        lines = value.split("\n")
        body = lines[:-1] if value.endswith("\n") else lines
        if any(not line.isprintable() or (line and not line.strip()) for line in body):
            return None
        if next(line for line in body if line).startswith(" "):
            return None
        trailing = len(value) - len(value.rstrip("\n"))
        chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
        first_nl = self.text.find("\n", node.start_mark.index, node.end_mark.index)
        content = self.text[first_nl + 1 : node.end_mark.index] if first_nl >= 0 else ""
        indents = [len(line) - len(line.lstrip(" ")) for line in content.splitlines() if line.strip()]
        pad = " " * (indents[0] if indents else node.start_mark.column + self.layout.indent)
        out = [pad + line if line else "" for line in value.rstrip("\n").split("\n")]
        out.extend([""] * (trailing - 1 if trailing > 1 else 0))
        return "|" + chomp + self.nl + self.nl.join(out) + self.nl

    def replace_with_block(self, node: yaml.Node, value: Any, key_col: int, in_seq: bool) -> Splice:
        """Replace an inline value (scalar, ``{}``, ``[]``) that follows its key or dash."""
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style:
            start = node.start_mark.index
            end = line_after(self.text, content_end(node))
            col = node.start_mark.column
            body = self.lines(value, col)
            return Splice(start, end, body[col:])
        if in_seq:
            raise CannotEditInPlace("block value inside a sequence entry")
        start, end = node.start_mark.index, node.end_mark.index
        while start > 0 and self.text[start - 1] in " \t":
            start -= 1
        if isinstance(value, Mapping):
            col = key_col + self.layout.indent
        else:
            col = key_col + (self.layout.indent if self.layout.seq_indent else 0)
        # Whatever followed the old value on the key's line (a comment) stays on that line.
        eol = line_after(self.text, end)
        rest = self.text[end:eol]
        if rest.strip() and not rest.lstrip().startswith("#"):
            raise CannotEditInPlace("inline value followed by more text on its line")
        if not rest.endswith("\n"):
            rest += self.nl
        return Splice(start, eol, rest + self.lines(value, col))

    def insert_entry(self, mapping: yaml.Node, key: str, value: Any) -> Splice:
        if isinstance(mapping, yaml.ScalarNode):
            raise CannotEditInPlace("mapping expected")
        assert isinstance(mapping, yaml.MappingNode)
        if mapping.flow_style:
            return self._flow_insert(mapping, f"{render_scalar(key)}: {render_flow(value)}")
        col = mapping.start_mark.column
        return self._block_insert(mapping, self.lines({key: value}, col))

    def append_item(self, seq: yaml.SequenceNode, value: Any) -> Splice:
        if seq.flow_style:
            return self._flow_insert(seq, render_flow(value))
        col = seq.start_mark.column
        return self._block_insert(seq, self.lines([value], col))

    def _block_insert(self, node: yaml.Node, body: str) -> Splice:
        pos = line_after(self.text, content_end(node))
        prefix = "" if pos == 0 or self.text[pos - 1] == "\n" else self.nl
        return Splice(pos, pos, prefix + body)

    def _flow_insert(self, node: yaml.Node, entry: str) -> Splice:
        """Insert ``entry`` right after the last entry, or after its trailing comma if it has one.

        Positions come from the nodes, not from scanning back from the bracket: a comment between
        the last entry and the bracket would otherwise take the new entry into it.
        """
        if not node.value:
            pos = node.start_mark.index + 1
            return Splice(pos, pos, entry)
        last = node.value[-1]
        # A mapping entry ends with its value, or its key when the value is empty (``{a}``).
        pos = max(n.end_mark.index for n in last) if isinstance(last, tuple) else last.end_mark.index
        comma = _TRAILING_COMMA.match(self.text, pos)
        if comma:
            return Splice(comma.end(), comma.end(), " " + entry)
        return Splice(pos, pos, ", " + entry)

    # -- logical operations ------------------------------------------------------------------
    def compute(self, op: Op) -> tuple[Splice, Path]:
        """The splice for ``op`` against the current tree, and the path of the node it edits in.

        That node is the one whose text the splice replaces or extends: ops whose anchors are
        unrelated can be spliced from one composition (``_splice_all``).
        """
        chain, found = _find(self.root, op.path)
        if isinstance(op, Append):
            if found == len(op.path):
                target = chain[-1]
                if isinstance(target, yaml.SequenceNode):
                    return self.append_item(target, op.value), (*op.path, -1)
                if not (isinstance(target, yaml.ScalarNode) and target.tag == _NULL_TAG):
                    raise CannotEditInPlace("append to a non-sequence")
            return self.compute(SetValue(op.path, [op.value]))
        if found == len(op.path):
            target = chain[-1]
            if isinstance(target, yaml.ScalarNode) and not is_collection(op.value):
                return self.replace_scalar(target, op.value), op.path
            parent = chain[-2]
            key_col, in_seq = self._key_column(parent, op.path[-1])
            if not is_collection(op.value):
                raise CannotEditInPlace("collection replaced by a scalar")
            return self.replace_with_block(target, op.value, key_col, in_seq), op.path
        parent = chain[-1]
        rest = op.path[found:]
        head = rest[0]
        if isinstance(head, int):
            raise CannotEditInPlace("index past the end of a sequence")
        value = _nest(rest[1:], op.value)
        if isinstance(parent, yaml.ScalarNode) and parent.tag == _NULL_TAG and found > 0:
            key_col, in_seq = self._key_column(chain[-2], op.path[found - 1])
            return self.replace_with_block(parent, {head: value}, key_col, in_seq), op.path[:found]
        if not isinstance(parent, yaml.MappingNode):
            raise CannotEditInPlace("mapping expected on the path")
        return self.insert_entry(parent, head, value), op.path[: found + 1]

    def _key_column(self, parent: yaml.Node, part: str | int) -> tuple[int, bool]:
        if isinstance(parent, yaml.MappingNode):
            if parent.flow_style:
                raise CannotEditInPlace("block value inside a flow mapping")
            for key, _ in parent.value:
                if key.value == part:
                    return int(key.start_mark.column), False
        if isinstance(parent, yaml.SequenceNode) and not parent.flow_style:
            return int(parent.start_mark.column), True
        raise CannotEditInPlace("no key for the value")


def _related(a: Path, b: Path) -> bool:
    """Whether one path is a prefix of the other (or both are the same)."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _may_follow(later: Splice, later_anchor: Path, earlier: Splice, earlier_anchor: Path) -> bool:
    """Whether a later insertion may be spliced right after an earlier one at the same position.

    Both must insert whole lines (a flow insertion's separator depends on what is already there),
    and the later one's collection must be the earlier one's (new entries, in order) or enclose it:
    a block collection that ends where an enclosing one ends (a pod's last container, and the pod
    spec) takes its new lines first, indented deeper, then the outer one's. The other order needs
    the text composed again.
    """
    whole_lines = later.new.endswith("\n") and earlier.new.endswith("\n")
    inserts = later.start == later.end and earlier.start == earlier.end
    outer, inner = later_anchor[:-1], earlier_anchor[:-1]
    return whole_lines and inserts and len(outer) <= len(inner) and inner[: len(outer)] == outer


class Placed(NamedTuple):
    """A splice computed for an op on ``path``, and the path of the node it edits in (its anchor)."""

    splice: Splice
    anchor: Path
    path: Path


def _clash(new: Placed, old: Placed) -> bool:
    """Whether ``new`` cannot be spliced from the composition ``old`` was computed against.

    It cannot when either op edits on the other's path (the later op's node may have moved or
    been replaced), when the two spans overlap (an insertion strictly inside a replaced span
    overlaps it; spans that only touch do not), or when both start at one position and
    :func:`_may_follow` does not allow the order. Then the text is composed again in between.
    """
    sp, other = new.splice, old.splice
    return (
        _related(new.anchor, old.path)
        or _related(old.anchor, new.path)
        or (sp.start < other.end and other.start < sp.end)
        or (sp.start == other.start and not _may_follow(sp, new.anchor, other, old.anchor))
    )


def _splice_all(text: str, ops: Sequence[Op], newline: str) -> _Editor:
    """Apply ``ops`` in order, composing the text again only when an op depends on an earlier one.

    Ops that edit in unrelated places (no anchor on the path of another, no overlapping or shared
    splice position from different nodes) are computed against one composition and spliced in one
    pass; composing an item once per op was most of the cost of editing a pod.
    """
    editor = _Editor(text, newline)
    pending: list[Placed] = []

    def flush() -> None:
        if pending:
            editor.splice(Splice(0, len(editor.text), apply_splices(editor.text, [p.splice for p in pending])))
            pending.clear()

    for op in ops:
        sp, anchor = editor.compute(op)
        if any(_clash(Placed(sp, anchor, op.path), other) for other in pending):
            flush()
            sp, anchor = editor.compute(op)
        pending.append(Placed(sp, anchor, op.path))
    flush()
    return editor


def edit_in_place(text: str, ops: Sequence[Op], newline: str = "\n") -> str:
    """Apply ``ops`` to ``text`` by splicing; raises CannotEditInPlace for unusual layouts."""
    editor = _splice_all(text, ops, newline)
    _ = editor.root  # the result must compose, as after every edit
    return editor.text


def edit_item(
    text: str, ops: Sequence[Op], *, data: Any, newline: str = "\n", expected: Any = None
) -> tuple[str, bool]:
    """Edit ``text`` so that it reads as ``data`` with ``ops`` applied.

    Returns the new text and whether it was edited in place (False: re-emitted). The result is
    always verified by reading it back. ``expected``, when given, is ``apply_ops(data, ops)``
    computed already (the core does, to validate the change).
    """
    if expected is None:
        expected = apply_ops(data, ops)
    try:
        # Not edit_in_place: reading the result back below also proves that it composes.
        out = _splice_all(text, ops, newline).text
        if plain_data(compose(out)) == expected:  # what load(out) gives, built faster
            return out, True
    except (CannotEditInPlace, yaml.YAMLError, ValueError):
        pass
    from krm_fn.roundtrip import reemit  # only unusual layouts pay for ruamel's import

    # The fallback writes in the item's own layout, as the in-place editor does (a text that does
    # not compose on its own, such as an item of a flow sequence, gets the default layout).
    try:
        layout = detect_layout(compose(text))
    except (CannotEditInPlace, yaml.YAMLError):
        layout = Layout()
    return reemit(text, expected, newline, layout.indent, layout.seq_indent), False
