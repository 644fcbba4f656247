"""Which files ``render`` and ``check`` read, the way kustomize, kubeconform and yamllint pick them.

- A named file is read whatever its name (the user asked for it), once.
- A directory is walked recursively for ``*.yaml`` and ``*.yml``, in sorted order, without hidden
  folders or files (``.github/``, ``.pre-commit-config.yaml``): those belong to tools, not to the
  cluster.
- The build inputs of kustomize and kpt (``kustomization.yaml``, ``kustomization.yml``,
  ``Kustomization``, ``Kptfile``) found while walking are skipped: they are never resources.
- ``.kserve-pvc-fn-ignore`` in a walked directory (and, for files named one by one as pre-commit
  does, in the working directory) and ``--exclude GLOB`` leave out more: one glob per line (``#``
  comments), matched against the path relative to the directory that holds the ignore file (for
  ``--exclude``, against the path as given); a glob without ``/`` matches any single segment, one
  ending in ``/`` a directory and everything below it.
- A file reached twice (through a symbolic link, or named twice) is read once.

Reading a path that does not exist or cannot be read is an InputError (exit 2): the run as a
whole cannot be trusted then. What is skipped is listed, so a summary can count it.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from krm_fn.source import InputError

IGNORE_FILE = ".kserve-pvc-fn-ignore"
SUFFIXES = (".yaml", ".yml")
#: Files of kustomize and kpt themselves: build inputs, never resources.
BUILD_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization", "Kptfile"})


@dataclass(frozen=True)
class Skipped:
    """A file or document left out of the stream, and why."""

    path: str
    reason: str
    index: int | None = None  # the document's index in its file; None for a whole file

    def describe(self) -> str:
        """``path[#index]: reason``, for a listing."""
        where = self.path if self.index is None else f"{self.path} (document {self.index})"
        return f"{where}: {self.reason}"


@dataclass
class Found:
    """The files to read, in order, and the ones skipped on the way."""

    files: list[str] = field(default_factory=list)  # in order; ``-`` stands for stdin
    skipped: list[Skipped] = field(default_factory=list)


def _patterns(lines: Sequence[str]) -> list[str]:
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


def _read_ignore(directory: Path) -> list[str]:
    path = directory / IGNORE_FILE
    try:
        return _patterns(path.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read the ignore file: {err}") from None


def _walk(root: Path, excludes: Sequence[str], found: Found, seen: set[Path]) -> Iterator[Path]:
    """Files under ``root`` in lexical order, a directory's entries where it sorts (as Go's
    filepath.Walk visits them, and so kubeconform)."""
    ignore = _read_ignore(root)

    def visit(here: Path, rel: str) -> Iterator[Path]:
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError as err:
            raise InputError(f"{here}: cannot read the directory: {err.strerror}") from None
        for entry in entries:
            name, path, sub = entry.name, here / entry.name, rel + entry.name
            if name.startswith("."):
                continue  # hidden folders and files belong to tools (.github/, .pre-commit-config.yaml)
            if entry.is_dir():
                if matches(sub, ignore, is_dir=True) or matches(sub, excludes, is_dir=True):
                    found.skipped.append(Skipped(str(path), "excluded"))
                    continue
                real = path.resolve()
                if real in seen:  # a link back to a directory already walked: once is enough
                    continue
                seen.add(real)
                yield from visit(path, sub + "/")
            elif name.endswith(SUFFIXES) or name in BUILD_FILES:
                if matches(sub, ignore) or matches(sub, excludes):
                    found.skipped.append(Skipped(str(path), "excluded"))
                elif name in BUILD_FILES:
                    found.skipped.append(Skipped(str(path), "a kustomize or kpt build file"))
                else:
                    yield path

    yield from visit(root, "")


def _ignored_here(path: Path, patterns: Sequence[str]) -> bool:
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


def discover(paths: Sequence[str], excludes: Sequence[str] = ()) -> Found:
    """The files named or found under ``paths`` (``-`` is stdin: the caller reads it).

    InputError when a path does not exist or a directory cannot be read.
    """
    found = Found()
    seen: set[Path] = set()
    patterns = _patterns(excludes)
    here = _read_ignore(Path.cwd())  # for named files: pre-commit names them from the repository root
    for name in paths:
        path = Path(name)
        if name == "-":
            if name not in found.files:
                found.files.append(name)
            continue
        if path.is_dir():
            seen.add(path.resolve())
            candidates: Iterator[Path] = _walk(path, patterns, found, seen)
        elif path.is_file():
            if path.name in BUILD_FILES:
                found.skipped.append(Skipped(name, "a kustomize or kpt build file"))
                continue
            if matches(path.as_posix(), patterns) or _ignored_here(path, here):
                found.skipped.append(Skipped(name, "excluded"))
                continue
            candidates = iter([path])
        else:
            raise InputError(f"{name}: no such file or directory")
        for file in candidates:
            real = file.resolve()
            if real in seen:
                continue
            seen.add(real)
            found.files.append(str(file))
    return found
