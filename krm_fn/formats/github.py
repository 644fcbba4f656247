"""``-o github``: one GitHub Actions workflow command a finding, annotated on its file and line.

``::error file=PATH,line=N,col=M,title=RULE::MESSAGE`` (``::warning``, ``::notice`` for info).
Everything is escaped as the runner's workflow-command parser requires (``%`` ``\\r`` ``\\n`` in
the message; those and ``:`` ``,`` in properties) after control characters are made visible, so
no text from a manifest can end the command or start another.
"""

from __future__ import annotations

from collections.abc import Sequence

from krm_fn.formats.escape import escape
from krm_fn.results import Result

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def data(text: str) -> str:
    """A command's message, escaped as GitHub's ``escapeData``."""
    return escape(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def prop(text: str) -> str:
    """A command's property value, escaped as GitHub's ``escapeProperty``."""
    return data(text).replace(":", "%3A").replace(",", "%2C")


def command(r: Result) -> str:
    """One result as a workflow command."""
    props = []
    if r.file is not None:
        props.append(f"file={prop(r.file.path)}")
        if r.file.line is not None:
            props.append(f"line={r.file.line},col={r.file.column}")
    if r.rule is not None:
        props.append(f"title={prop(r.rule)}")
    where = f" {','.join(props)}" if props else ""
    return f"::{_COMMAND[r.severity]}{where}::{data(r.message)}"


def github(results: Sequence[Result]) -> str:
    """Every result as a workflow command, one a line (the summary a notice)."""
    return "\n".join(command(r) for r in results)
