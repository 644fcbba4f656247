"""Comment-preserving re-emit of one item, for layouts the in-place editor does not handle.

ruamel.yaml keeps comments and key order; the item is loaded, brought to the expected data with the
fewest assignments, and dumped with the item's own indentation. If even that does not read back as
the expected data (or would carry anchors or tags), the item is written out plainly from the data.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import yaml

from krm_fn.scalars import dump_plain


def _merge(target: Any, expected: Any) -> Any:
    if isinstance(target, dict) and isinstance(expected, Mapping):
        for key, value in expected.items():
            target[key] = _merge(target[key], value) if key in target else value
        return target
    if isinstance(target, list) and isinstance(expected, list) and len(target) <= len(expected):
        for i, value in enumerate(expected):
            if i < len(target):
                target[i] = _merge(target[i], value)
            else:
                target.append(value)
        return target
    return expected if target != expected or type(target) is not type(expected) else target


def _ruamel(text: str, expected: Any, indent: int, seq_indent: bool) -> str:
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 2**31 - 1
    if seq_indent:
        rt.indent(mapping=indent, sequence=indent + 2, offset=indent)
    else:
        rt.indent(mapping=indent, sequence=indent, offset=0)
    doc = rt.load(text)
    doc = _merge(doc, expected)
    buf = io.StringIO()
    rt.dump(doc, buf)
    return buf.getvalue()


def reemit(text: str, expected: Any, newline: str = "\n", indent: int = 2, seq_indent: bool = False) -> str:
    """Text of ``expected``, keeping the comments of ``text`` where ruamel.yaml can."""
    lines = text.split("\n")
    col = len(lines[0]) - len(lines[0].lstrip(" "))
    dedented = "\n".join(line[col:] if line[:col].strip() == "" else line for line in lines)
    dedented = dedented.replace("\r\n", "\n")
    try:
        out = _ruamel(dedented, expected, indent, seq_indent)
        ok = yaml.load(out, Loader=yaml.CSafeLoader) == expected and not _has_anchor_or_tag(out)
    except Exception:
        ok = False
    if not ok:
        out = dump_plain(expected)
    pad = " " * col
    body = "\n".join(pad + line if line else line for line in out.rstrip("\n").split("\n"))
    return body.replace("\n", newline) + newline


def _has_anchor_or_tag(text: str) -> bool:
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if getattr(event, "anchor", None) is not None:
            return True
        if isinstance(event, yaml.AliasEvent):
            return True
        if isinstance(event, yaml.ScalarEvent) and event.tag and event.implicit == (False, False):
            return True
        if isinstance(event, yaml.CollectionStartEvent) and event.tag and not event.implicit:
            return True
    return False
