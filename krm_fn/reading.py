"""Bounded reads: every byte this program reads from a file or a stream stops at the input limit.

A read never takes the whole file first and checks its size afterwards: a ``*.yaml`` link to
``/dev/zero`` or a multi-gigabyte sparse file would fill memory before the check. Here a read takes
at most ``limit + 1`` bytes, in chunks (one read of the known size for a regular file), and the byte
past the limit is the refusal: a ``LimitError`` naming what was read, exit 2. Peak memory is
the limit plus one chunk, whatever is behind the name.

Two kinds of names:

- a file found by a walk (and the ignore file, a kustomization) must be a *regular* file: it is
  checked with ``stat`` before it is opened, opened with ``O_NONBLOCK`` (a FIFO swapped in after the
  check cannot block the open) and checked again with ``fstat`` (:class:`NotRegular` otherwise);
- a name the user typed (a file, ``--config``, a FIFO, ``/dev/stdin``, a process substitution
  ``<(...)`` which is ``/dev/fd/N``) is read as it is, blocking as a pipe does; ``-`` is stdin.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable

from krm_fn.limits import ENV_MAX_INPUT_BYTES, LimitError
from krm_fn.source import InputError

#: How much a stream is read at a time: the memory a read may take beyond the limit.
CHUNK = 1 << 20
STDIN_NAME = "-"
#: How messages call stdin when it was named ``-``.
STDIN_LABEL = "<stdin>"


class NotRegular(InputError):
    """A name that had to be a regular file is something else (a FIFO, a device, a socket)."""


def kind_of(mode: int) -> str | None:
    """What a file that is not a regular file or a directory is, in words; None for those two."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def too_large(name: str, limit: int) -> LimitError:
    """The one refusal for input over the size limit (the guard says the same of raw bytes)."""
    return LimitError(f"{name} is larger than the limit of {limit} bytes (set {ENV_MAX_INPUT_BYTES} to raise it)")


def read_bounded(read: Callable[[int], bytes], limit: int, name: str, size: int = 0) -> bytes | bytearray:
    """Everything ``read`` gives until end of file, refused (LimitError) at byte ``limit + 1``.

    ``size`` is what a regular file's ``fstat`` said: then the first read asks for all of it (one
    allocation, no copy); a stream is read one :data:`CHUNK` at a time into a bytearray, which
    the ResourceList reader clears once it is decoded (the input is not held twice: SPEC 7).
    """
    first = read(min(size, limit) + 1 if size else min(CHUNK, limit + 1))
    if len(first) > limit:
        raise too_large(name, limit)
    out: bytes | bytearray = first
    while first:
        chunk = read(min(CHUNK, limit + 1 - len(out)))
        if not chunk:
            break
        if isinstance(out, bytes):
            out = bytearray(out)
        out += chunk
        if len(out) > limit:
            out = b""  # let the memory go before the refusal travels up
            raise too_large(name, limit)
    return out


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


def read_stdin(limit: int, name: str = "input") -> bytes | bytearray:
    """stdin, bounded by ``limit``; InputError when there is no stdin (fd 0 closed: ``<&-``)."""
    if sys.stdin is None:
        raise InputError("stdin is closed; pipe the input in, or name the files to read")
    try:
        return read_bounded(sys.stdin.buffer.read, limit, name)
    except OSError as err:
        raise InputError(f"cannot read stdin: {_reason(err)}") from None


def read_file(path: str, limit: int, *, stream: bool = False, name: str | None = None) -> bytes | bytearray:
    """The bytes of ``path``, bounded by ``limit``; ``name`` is how messages call it (``path``).

    ``stream`` False (a file found by a walk): only a regular file is read (NotRegular otherwise),
    and opening it never blocks. ``stream`` True (a name the user typed): a FIFO, a character
    device or ``/dev/fd/N`` is read too. ``-`` is stdin. InputError when it cannot be read.
    """
    if path == STDIN_NAME:
        return read_stdin(limit, STDIN_LABEL if name is None else name)
    label = path if name is None else name
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    try:
        if not stream:
            # Before opening: opening some devices has effects of its own (a tape rewinds).
            what = kind_of(os.stat(path).st_mode)
            if what is not None:
                raise NotRegular(f"{label}: {what}, not a regular file; not read")
            flags |= getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
    except OSError as err:
        raise InputError(f"{label}: cannot read the file: {_reason(err)}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{label}: is a directory, not a file")
        regular = stat.S_ISREG(info.st_mode)
        if not regular and not stream:
            raise NotRegular(f"{label}: {kind_of(info.st_mode)}, not a regular file; not read")
        if regular and info.st_size > limit:
            raise too_large(label, limit)  # a sparse 2 GiB file is refused before a byte is read
        return read_bounded(lambda n: os.read(fd, n), limit, label, info.st_size if regular else 0)
    except OSError as err:
        raise InputError(f"{label}: cannot read the file: {_reason(err)}") from None
    finally:
        os.close(fd)
