"""Untrusted text made safe to print (SPEC 5.2): names, paths and values come from manifests.

No control character is ever written raw: a newline shows as ``\\n``, a carriage return as ``\\r``,
a tab as ``\\t``, any other C0 or C1 control, DEL and ESC as ``\\xNN``. The line and paragraph
separators and the bidirectional overrides (which reorder what a reader sees) show as ``\\uNNNN``.
"""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _one(found: re.Match[str]) -> str:
    ch = found.group()
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def escape(text: str) -> str:
    """``text`` with every control character shown as an escape, on one line."""
    return _UNSAFE.sub(_one, text)
