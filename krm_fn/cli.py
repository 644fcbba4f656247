"""The command line's entry point, and the KRM function on stdin and stdout.

With no arguments, which is how kustomize and kpt run the function, nothing but the pipeline and
the terminal helpers (``terminal.py``) is imported: no argument parser. Any argument hands over
to the click subcommands in ``commands.py``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from krm_fn.results import Result
from krm_fn.terminal import ensure_stdout, on_signals, read_stdin, refuse, say, show, write_stdout

#: ``1``: print every warning and error on stderr in KRM mode, one line each; ``0``: only the first error.
TABLE_ENV = "KSERVE_PVC_FN_TABLE"
WAITING = (
    "kserve-pvc-fn: waiting for a ResourceList on stdin (end it with Ctrl-D); "
    "`kserve-pvc-fn --help` lists the commands (render, check)"
)
#: Set to ``true`` by kustomize for every container function: its stderr reaches the user.
LOG_ENV = "LOG_TO_STDERR"


def run_function() -> int:
    """The KRM function: a ResourceList from stdin to stdout, messages on stderr; the exit code."""
    from krm_fn.krm import run_krm
    from krm_fn.source import InputError

    try:
        ensure_stdout()
        if sys.stdin is not None and sys.stdin.isatty():
            # Someone typed the bare command: say what it waits for rather than hang silently.
            say(WAITING)
        answer = run_krm(read_stdin())
        write_stdout(answer.pieces)
    except InputError as err:
        return refuse(err)
    _tell(answer.results, answer.exit_code, answer.prior_results)
    return answer.exit_code


def _tell(results: Sequence[Result], exit_code: int, earlier: Sequence[Any] = ()) -> None:
    """What stderr says in KRM mode (SPEC 5.2).

    kustomize shows the user only stderr, and sets ``LOG_TO_STDERR=true`` for every container
    function; with it (or ``KSERVE_PVC_FN_TABLE=1``) every warning and error gets a line there.
    On a terminal they are shown for a person. Otherwise (kpt prints the ResourceList's results
    itself, and would show them twice; ``KSERVE_PVC_FN_TABLE=0``) one line names the first error.
    An error result of an earlier function in the input is named too: it is why the exit code is
    1 when none of ours is an error. The report module is imported only when something is said:
    a clean run under an orchestrator, the usual case, does not pay for it (SPEC 7's cold start).
    """
    prior = [r for r in earlier if isinstance(r, dict) and r.get("severity") == "error"]
    asked = os.environ.get(TABLE_ENV, "").strip()
    logged = os.environ.get(LOG_ENV, "").strip().lower() == "true"
    problems = [r for r in results if r.severity in ("error", "warning")]
    errors = [r for r in problems if r.severity == "error"]
    if not prior and not problems:
        return
    from krm_fn import report

    if prior:
        more = f" (and {len(prior) - 1} more)" if len(prior) > 1 else ""
        say(f"kserve-pvc-fn: an earlier function reported: {report.escape(str(prior[0].get('message', '')))}{more}")
    if asked == "1" or (asked != "0" and logged):
        for r in problems:
            say(report.one_line(r))
    elif asked != "0" and sys.stderr is not None and sys.stderr.isatty():
        if problems:
            show(problems)
    elif exit_code and errors:
        more = f" (and {len(errors) - 1} more; results are in the output ResourceList)" if len(errors) > 1 else ""
        say(f"kserve-pvc-fn: error: {report.escape(errors[0].message)}{more}")


def leave(code: int) -> NoReturn:
    """End the process with ``code`` now that stdout and stderr are flushed.

    Tearing the interpreter down (freeing every module and object, a last garbage collection)
    took about a sixth of a small run, and the KRM function has nothing left to do once the
    ResourceList is written: no file is open, no thread runs, no exit handler is ours.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken stream: what could be said was said (terminal.py)
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point.

    As the process's entry point (``argv`` None) the KRM function ends the process directly
    (:func:`leave`); called from Python with ``argv``, it raises SystemExit as usual.
    """
    if argv is None:
        on_signals()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        code = run_function()
        if argv is None:
            leave(code)
        sys.exit(code)
    from krm_fn.commands import cli

    cli.main(args=args, prog_name="kserve-pvc-fn")
