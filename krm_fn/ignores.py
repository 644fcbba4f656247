"""The ignore globs of ``render``, ``check`` and ``fix``: ``.kserve-pvc-fn-ignore`` and ``--exclude``.

One glob per line (``#`` comments), matched against the path relative to the directory that holds
the ignore file (for ``--exclude``, against the path as given); a glob without ``/`` matches any
single segment, one ending in ``/`` a directory and everything below it, as .gitignore does. The
ignore file is read as every input is: a regular file only, bounded by the input limit.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from krm_fn.reading import read_file
from krm_fn.source import InputError

IGNORE_FILE = ".kserve-pvc-fn-ignore"


def patterns_of(lines: Sequence[str]) -> list[str]:
    """The globs of an ignore file's lines or of ``--exclude``: blank lines and comments left out."""
    out = []
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            out.append(text.removeprefix("./"))
    return out


def matches(relative: str, patterns: Sequence[str], is_dir: bool = False) -> bool:
    """Whether a ``/``-separated relative path matches one of the globs.

    A pattern with a ``/`` is matched against the whole path (``charts/*/templates/``), one without
    against every single segment (``*.tpl.yaml``, ``drafts/``), as .gitignore does.
    """
    parts = PurePosixPath(relative).parts
    for pattern in patterns:
        dir_only = pattern.endswith("/")
        pat = pattern.rstrip("/")
        if "/" in pat:
            # The path itself, or (for a directory pattern) one of its parents.
            candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
            if not is_dir and dir_only:
                candidates = candidates[:-1]
            if any(fnmatch.fnmatchcase(c, pat.lstrip("/")) for c in candidates):
                return True
        else:
            segments = parts if is_dir or not dir_only else parts[:-1]
            if any(fnmatch.fnmatchcase(s, pat) for s in segments):
                return True
    return False


def read_ignore(directory: Path, limit: int) -> list[str]:
    """The globs of ``directory``'s ignore file; none when there is none. InputError when it is not
    a regular file, cannot be read, is not UTF-8, or is larger than ``limit``."""
    path = directory / IGNORE_FILE
    try:
        os.stat(path)
    except FileNotFoundError:
        return []
    except OSError as err:
        raise InputError(f"{path}: cannot read the ignore file: {err.strerror}") from None
    try:
        return patterns_of(read_file(str(path), limit).decode("utf-8").splitlines())
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: cannot read the ignore file: {err}") from None
    except InputError as err:
        raise InputError(f"cannot read the ignore file: {err}") from None


def ignored_here(path: Path, patterns: Sequence[str]) -> bool:
    """Whether a named file is left out by the working directory's ignore file (pre-commit names
    the staged files one by one, from the repository's root)."""
    if not patterns:
        return False
    cwd = Path.cwd()
    try:
        relative = path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return False  # outside the working directory: only --exclude applies
    return matches(relative, patterns)
