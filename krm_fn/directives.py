"""``%TAG`` shorthands, written as the full tags they stand for.

The output never carries directives (SPEC 4): an item or document is copied without the ``%TAG``
lines of its input, so a shorthand such as ``!k!str`` that one of them declares would come out
with an undefined handle, which no YAML reader accepts. Before anything is read, each shorthand of
a declared handle is rewritten in place as the verbatim tag it resolves to (``!<tag:...>``), which
needs no directive: the text stays as it was around it, and a tag outside the core schema is then
held back as any other (``treecheck.py``).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import yaml

#: A node's properties where its event starts: an optional anchor, then the tag token.
_PROPERTIES = re.compile(r"(?:&[^\s,\[\]{}]+[ \t]+)?(![^\s,\[\]{}]*)")
#: Characters a verbatim tag may hold as they are (YAML's URI characters); others are %-escaped.
_URI = ":/?#[]@!$&'()*+,;=-._~"
_DIRECTIVE = re.compile(r"^%TAG[ \t]", re.MULTILINE)


def uses_tag_directives(text: str) -> bool:
    """Whether ``text`` holds a ``%TAG`` directive line (cheap: most inputs have none)."""
    return "%TAG" in text and _DIRECTIVE.search(text) is not None


def resolve_shorthands(text: str, directives: str = "") -> tuple[str, int]:
    """``text`` with every shorthand of a ``%TAG`` handle written as its verbatim tag; how many.

    ``directives`` are the directive lines read with ``text`` when they stand apart from it (a
    document of a stream). Text that is not valid YAML is returned unchanged: its reader reports it.
    """
    if not uses_tag_directives(directives + text):
        return text, 0
    prefix = directives + "---\n" if directives else ""
    source = prefix + text
    edits: list[tuple[int, int, str]] = []
    handles: dict[str, str] = {}
    try:
        for event in yaml.parse(source, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.DocumentStartEvent):
                handles = dict(event.tags or {})
            elif (tag := getattr(event, "tag", None)) and event.start_mark is not None:
                start = int(event.start_mark.index)
                found = _PROPERTIES.match(source, start)
                if found is None or start < len(prefix):
                    continue
                token = found.group(1)
                if any(token.startswith(handle) for handle in handles) and not token.startswith("!<"):
                    verbatim = f"!<{quote(str(tag), safe=_URI)}>"
                    edits.append((found.start(1) - len(prefix), found.end(1) - len(prefix), verbatim))
    except yaml.YAMLError:
        return text, 0
    for start, end, verbatim in reversed(edits):
        text = text[:start] + verbatim + text[end:]
    return text, len(edits)
