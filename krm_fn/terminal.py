"""The terminal edge shared by the KRM function and the subcommands: stdin, stdout, stderr.

``cli.py`` (the entry point and the KRM function) and ``commands.py`` (the click subcommands) both
use these helpers, and neither imports the other's module at load time. Nothing here imports
click: the KRM path, which kustomize and kpt start without arguments, must not pay for it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from krm_fn.results import EXIT_NOT_A_RESOURCE_LIST, Result
from krm_fn.source import InputError

if TYPE_CHECKING:
    from krm_fn.formats import Findings

_CHUNK = 2**20  # bytes asked of stdin at a time
#: The signals that end a run with one line on stderr (exit 128 + the signal's number).
STOP_SIGNALS = frozenset((signal.SIGINT, signal.SIGTERM))


def _stop(signum: int, _frame: object) -> None:
    """End the process at once: one line on stderr, exit 130 (SIGINT) or 143 (SIGTERM).

    Written with ``os.write``: the signal may land while ``sys.stderr`` is in the middle of a write.
    Nothing on stdout can be half-written: :func:`write_stdout` holds these signals back while it
    writes, so stdout holds the whole output or none of it.
    """
    name = signal.Signals(signum).name
    with contextlib.suppress(OSError):
        os.write(2, f"kserve-pvc-fn: stopped by {name}\n".encode())
    os._exit(128 + signum)


def on_signals() -> None:
    """SIGINT and SIGTERM end the process with one line, never a traceback (the process's entry only)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)


def width() -> int | None:
    """How wide the results table may be: ``$COLUMNS``, else the terminal's; None (no limit) when
    stderr is a file or a pipe, so that logs keep whole lines."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stderr is not None and sys.stderr.isatty():
        try:
            return os.get_terminal_size(sys.stderr.fileno()).columns
        except OSError:
            return None
    return None


def show(
    results: Sequence[Result] | Findings, output: str = "human", quiet: bool = False, results_file: str | None = None
) -> None:
    """The results on stderr: for a person (fitting :func:`width`), or in the ``output`` format.

    With ``results_file``, the ``output`` format goes to that file and the human form to stderr.
    InputError when the file cannot be written.
    """
    from krm_fn import report
    from krm_fn.formats import Findings, write

    findings = results if isinstance(results, Findings) else Findings(results)
    if results_file is not None:
        text = report.human(findings) if output == "human" else write(output, findings)
        try:
            with open(results_file, "w", encoding="utf-8") as out:
                out.write(text + "\n")
        except OSError as err:
            raise InputError(f"--results-file {results_file}: cannot write it: {err.strerror or err}") from None
        output = "human"
    if output != "human":
        say(write(output, findings))
    elif text := report.human(findings, width(), quiet):
        say(text)


def read_stdin(name: str = "input") -> bytes | bytearray:
    """stdin, read in chunks and refused (LimitError) at the first byte over the input limit, so
    memory stays bounded however much is piped in. InputError when there is no stdin.

    A bytearray when it came in pieces: the reader of a ResourceList clears it once it is decoded
    (``resourcelist.read``), so the input is not held twice (SPEC 7).
    """
    from krm_fn.limits import Limits
    from krm_fn.reading import read_stdin as read_bounded

    return read_bounded(Limits.from_env().max_input_bytes, name)


def ensure_stdout() -> None:
    """InputError when there is no stdout to write to (``>&-``): checked before any work is done."""
    if sys.stdout is None:
        raise InputError("stdout is closed; nothing can be written (redirect it to a file or a pipe)")


def write_stdout(text: str | Iterable[str]) -> None:
    """Write ``text`` (a string, or its pieces in order) to stdout, byte for byte (no newline or
    encoding translation); pieces are encoded one at a time, so the output is never held twice.

    A reader that goes away early (``| head``) is an InputError, not a traceback: stdout is then
    pointed at /dev/null, so the interpreter's own flush at exit cannot fail again.
    """
    ensure_stdout()
    # SIGINT and SIGTERM wait until the whole text is written: a signal that ended a write
    # half-way would leave what may read as a complete, shorter output (an item or results lost).
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        sys.stdout.flush()
        out = sys.stdout.buffer
        for piece in (text,) if isinstance(text, str) else text:
            data = memoryview(piece.encode("utf-8"))
            while data:
                # A write can stop short (a pipe whose reader left mid-way): only the next one fails.
                written = out.write(data)
                if not written:
                    raise BrokenPipeError
                data = data[written:]
        out.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        raise InputError("stdout was closed before all of the output was written (broken pipe)") from None
    except OSError as err:
        raise InputError(f"cannot write stdout: {err.strerror or err}") from None
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def say(text: str) -> None:
    """``text`` on stderr, if there is a stderr (``print(file=None)`` would write to stdout)."""
    if sys.stderr is not None:
        try:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()
        except OSError:
            pass  # nobody is listening; the exit code still tells


def refuse(err: Exception) -> int:
    """Say on stderr, in one line, why the input is not read at all; the exit code for it."""
    from krm_fn.formats.escape import escape

    say(f"kserve-pvc-fn: {escape(str(err))}")  # it may quote a path or a value: one line, no control characters
    return EXIT_NOT_A_RESOURCE_LIST
