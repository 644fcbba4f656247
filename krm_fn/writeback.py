"""Writing files back in place, safely: what ``fix`` uses to replace a file's bytes (SPEC 5.3).

Each file is replaced whole or not at all, whatever happens to the process:

1. the new bytes go to a temporary file in the same directory as the file (so the rename below
   stays on one file system), named ``.<name>.<random>.kserve-pvc-fn.tmp``: hidden, so a walk
   never reads a leftover one;
2. they are flushed and fsynced, and the temporary file gets the original's mode (and owner,
   where the process may set it);
3. the file is checked to still hold the bytes that were read (an editor or a second run saving
   in between is not overwritten);
4. the temporary file is renamed over the file (``rename`` is atomic on POSIX), and the directory
   is fsynced so that the rename itself survives a crash.

A symbolic link stays a link: the file it resolves to is what gets replaced, once however many
links (or names) reach it. A hard link is not kept: the rename gives the name a new inode, and
another hard link to the old one keeps the old text. A file that cannot be written is reported
by name; the others are still written. A process killed at any step leaves the file as it was
(before the rename) or wholly new (after it), and at most a hidden temporary file beside it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

#: Called between the steps of a write with the step's name and the file's path; None in every
#: real run. Tests set it to kill the process at a chosen step and check that no file is torn.
step_hook: Callable[[str, str], None] | None = None

#: The steps, in order, at which :data:`step_hook` is called.
STEPS = ("temp-created", "written", "flushed", "synced", "mode-set", "checked", "renamed", "dir-synced")

TEMP_SUFFIX = ".kserve-pvc-fn.tmp"


class ChangedMeanwhile(OSError):
    """The file no longer holds the bytes that were read: something else wrote it meanwhile."""


@dataclass(frozen=True)
class WriteError:
    """A file that could not be written, and why (the file is as it was)."""

    path: str
    reason: str


def _step(name: str, path: str) -> None:
    if step_hook is not None:
        step_hook(name, path)


def write_files(files: Mapping[str, tuple[bytes, bytes]], within: Sequence[str] = ()) -> list[WriteError]:
    """Replace each file's bytes: ``{path: (bytes read, new bytes)}``; the files that failed.

    Paths that resolve to one file are written once (the first path names it in an error). With
    ``within`` (the paths the user gave), a file whose real path is not one of them or below one
    is not written: a symbolic link found in a walked directory cannot lead a write elsewhere.
    """
    errors: list[WriteError] = []
    done: set[str] = set()
    roots = [os.path.realpath(p) for p in within]
    for path, (old, new) in files.items():
        target = os.path.realpath(path)
        if target in done:
            continue
        done.add(target)
        if roots and not any(target == r or target.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            errors.append(WriteError(path, f"a symbolic link leads outside the paths given, to {target}"))
            continue
        try:
            replace_file(target, old, new)
        except OSError as err:
            errors.append(WriteError(path, _reason(err)))
    return errors


def _reason(err: OSError) -> str:
    if isinstance(err, ChangedMeanwhile):
        return str(err)
    return err.strerror or str(err)


def replace_file(target: str, old: bytes, new: bytes) -> None:
    """Atomically replace the bytes of ``target`` (a real path, not a link) with ``new``.

    ``old`` is what was read: when the file holds something else now, ChangedMeanwhile and nothing
    is written. Any OSError leaves ``target`` as it was and removes the temporary file.
    """
    info = os.stat(target)
    directory, name = os.path.split(target)
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=directory or ".")
    try:
        _step("temp-created", target)
        with os.fdopen(fd, "wb") as out:
            out.write(new)
            _step("written", target)
            out.flush()
            _step("flushed", target)
            os.fsync(out.fileno())
            _step("synced", target)
        os.chmod(temp, info.st_mode & 0o7777)
        _keep_owner(temp, info)
        _step("mode-set", target)
        with open(target, "rb") as current:
            if current.read(len(old) + 1) != old:
                raise ChangedMeanwhile(f"changed on disk while it was being fixed; run fix again ({target})")
        _step("checked", target)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _step("renamed", target)
    _sync_directory(directory or ".")
    _step("dir-synced", target)


def _keep_owner(temp: str, info: os.stat_result) -> None:
    """Give the temporary file the original's owner and group where allowed (root, or the same user)."""
    if hasattr(os, "chown") and (info.st_uid, info.st_gid) != _owner(temp):
        # Not allowed (another user's file): it becomes this user's, as any editor's save makes it.
        with contextlib.suppress(OSError):
            os.chown(temp, info.st_uid, info.st_gid)


def _owner(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_uid, st.st_gid


def _sync_directory(directory: str) -> None:
    """Make the rename durable; a file system that cannot fsync a directory is not an error."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
