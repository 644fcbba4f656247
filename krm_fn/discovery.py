"""Which files ``render``, ``check`` and ``fix`` read, the way kustomize, kubeconform and yamllint
pick them, and what they must know about each (SPEC 5.1).

- A named file is read whatever its name (the user asked for it), once. A named FIFO,
  ``/dev/stdin`` or process substitution ``<(...)`` (``/dev/fd/N``) is a *stream*: read once, as
  it comes (``Found.streams``).
- A directory is walked recursively for ``*.yaml`` and ``*.yml``, in sorted order, without hidden
  folders or files (``.github/``, ``.pre-commit-config.yaml``): those belong to tools, not to the
  cluster. A walk reads regular files only: a FIFO, a device or a socket is skipped and listed
  (reading one would block or never end), and so is a symbolic link that loops or leads nowhere,
  with a warning (``Found.notes``).
- The build inputs of kustomize and kpt (``kustomization.yaml``, ``kustomization.yml``,
  ``Kustomization``, ``Kptfile``) found while walking are skipped: they are never resources. A
  kustomization is read, though, for the files it names as patches, components and
  configurations: those are parts of resources (``Found.parts``), which ``render`` leaves out of
  its stream (:meth:`Found.for_render`) and ``check`` reads as partial resources.
- A directory holding ``Chart.yaml`` is a Helm chart: its ``templates/`` and ``files/`` (and
  those of the subcharts below it) are not read, and one warning per chart says how to check
  them. A file of either named on the command line (pre-commit names staged files) is skipped the
  same way.
- ``.kserve-pvc-fn-ignore`` in a walked directory (and, for files named one by one as pre-commit
  does, in the working directory) and ``--exclude GLOB`` leave out more: one glob per line (``#``
  comments), matched against the path relative to the directory that holds the ignore file (for
  ``--exclude``, against the path as given); a glob without ``/`` matches any single segment, one
  ending in ``/`` a directory and everything below it.
- A file reached twice (through a symbolic link, or named twice) is read once.

Every read here (the ignore file, a kustomization) and through :meth:`Found.read` is bounded by
the input limit while reading (``reading.py``). A named path that does not exist, a directory that
cannot be read, or an ignore file that is not a readable regular file is an InputError (exit 2):
the run as a whole cannot be trusted then. What is skipped is listed, so a summary can count it.
"""

from __future__ import annotations

import errno
import os
import shlex
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from krm_fn.ignores import ignored_here, matches, patterns_of, read_ignore
from krm_fn.kustomization import KUSTOMIZATION_FILES, read_kustomization
from krm_fn.limits import Limits
from krm_fn.reading import STDIN_NAME, kind_of, read_file
from krm_fn.results import File, Result
from krm_fn.source import InputError

SUFFIXES = (".yaml", ".yml")
#: Files of kustomize and kpt themselves: build inputs, never resources.
BUILD_FILES = frozenset({*KUSTOMIZATION_FILES, "Kptfile"})
CHART_FILE = "Chart.yaml"
#: A chart's directories that are not manifests: its templates, and the files its templates read
#: (``.Files.Get``, often through ``tpl``: templated text of their own).
CHART_DIRS = {
    "templates": "the templates of a Helm chart (render them with helm template)",
    "files": "the files of a Helm chart, read by its templates (render them with helm template)",
}


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


@dataclass(frozen=True)
class KustomizePart:
    """A file a kustomization names as a patch, a component or a configuration: not a resource."""

    root: str  # the kustomization's directory, as walked (``apps/overlays/prod``)
    kustomization: str  # its kustomization file (``apps/overlays/prod/kustomization.yaml``)
    field: str  # the field naming it: patches, patchesStrategicMerge, patchesJson6902, components, ...


@dataclass
class Found:
    """The files to read, in order, and what the reader must know about them.

    - ``files``: every input, in order; ``-`` stands for stdin. Read each with :meth:`read`.
    - ``streams``: the names in ``files`` that are not regular files but were named on the command
      line (a FIFO, ``/dev/stdin``, ``/dev/fd/N``): read once, blocking as a pipe does.
    - ``parts``: the names in ``files`` that a kustomization of the walked tree names as a patch,
      component or configuration. ``check`` and ``fix`` read them as partial resources; ``render``
      does not emit them (:meth:`for_render` leaves them out).
    - ``skipped``: what was left out, for ``--list-skipped`` and the summary's count.
    - ``notes``: results about the input as a whole (a Helm chart not read, a link loop, a
      kustomization that cannot be read), to be printed with the other results.
    """

    files: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    streams: set[str] = field(default_factory=set)
    parts: dict[str, KustomizePart] = field(default_factory=dict)
    notes: list[Result] = field(default_factory=list)
    #: The kustomization roots no other walked kustomization builds on (root -> its file): what a
    #: person would ``kustomize build``.
    tops: dict[str, str] = field(default_factory=dict)

    def read(self, name: str, limit: int) -> bytes | bytearray:
        """The bytes of ``files`` entry ``name``, stopped at ``limit`` while reading.

        InputError when it cannot be read (LimitError past the limit; NotRegular when a walked
        file was swapped for a FIFO or a device since the walk).
        """
        return read_file(name, limit, stream=name == STDIN_NAME or name in self.streams)

    def kustomize_notes(self) -> list[Result]:
        """One ``info`` result per kustomization root that names parts or that nothing else builds
        on: how to render the tree (SPEC 5.1)."""
        roots: dict[str, str] = {}
        counts: dict[str, int] = {}
        for part in self.parts.values():
            roots.setdefault(part.root, part.kustomization)
            counts[part.root] = counts.get(part.root, 0) + 1
        for root, kustomization in self.tops.items():
            roots.setdefault(root, kustomization)
        notes = []
        for root, kustomization in roots.items():
            left_out = (
                f"its {counts[root]} patch or component file(s) are not resources and are left out of this stream"
                if root in counts
                else "this stream has its files as written, without what kustomize changes (namespace, names, patches)"
            )
            build = f"`kustomize build {shlex.quote(root)} | kserve-pvc-fn render -`"
            notes.append(
                Result(
                    f"{kustomization}: a kustomize tree: render {build}; {left_out}", "info", file=File(kustomization)
                )
            )
        return notes

    def for_render(self) -> Found:
        """What ``render`` reads: the kustomize parts left out (and listed as skipped), with one
        note per kustomization root."""
        skipped = [Skipped(name, f"a kustomize {p.field} entry of {p.kustomization}") for name, p in self.parts.items()]
        return replace(
            self,
            files=[f for f in self.files if f not in self.parts],
            skipped=[*self.skipped, *skipped],
            parts={},
            notes=[*self.notes, *self.kustomize_notes()],
        )


def _chart_note(chart: Path) -> Result:
    """The one warning for a Helm chart whose templates are not read."""
    message = (
        f"{chart}: a Helm chart: its templates were not read or checked; check them with "
        f"`helm template RELEASE {shlex.quote(str(chart))} | kserve-pvc-fn check -`"
    )
    return Result(message, "warning", file=File(str(chart / CHART_FILE)))


def _chart_of_template(path: Path) -> Path | None:
    """The chart whose ``templates/`` or ``files/`` holds a named file (pre-commit names staged
    files one by one, templates included), or None."""
    for parent in path.parents:
        if parent.name in CHART_DIRS and (parent.parent / CHART_FILE).is_file():
            return parent.parent
    return None


def _broken_link(err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "a symbolic link loop"
    if err.errno == errno.ENOENT:
        return "a symbolic link to nothing (dangling)"
    return f"a symbolic link that cannot be followed ({err.strerror})"


@dataclass
class _Walk:
    """One walk of a directory given on the command line."""

    root: Path
    excludes: Sequence[str]
    found: Found
    seen: set[Path]
    limits: Limits
    kustomizations: list[tuple[str, str]]  # (directory, kustomization file), as met
    ignore: list[str] = field(default_factory=list)  # the root's ignore file

    def files(self) -> Iterator[Path]:
        """Files under ``root`` in lexical order, a directory's entries where it sorts (as Go's
        filepath.Walk visits them, and so kubeconform)."""
        self.ignore = read_ignore(self.root, self.limits.max_input_bytes)
        yield from self._visit(self.root, "", in_chart=False)

    def _excluded(self, sub: str, is_dir: bool) -> bool:
        return matches(sub, self.ignore, is_dir) or matches(sub, self.excludes, is_dir)

    def _skip(self, path: Path, reason: str, warn: bool = False) -> None:
        self.found.skipped.append(Skipped(str(path), reason))
        if warn:
            self.found.notes.append(Result(f"{path}: {reason}; skipped", "warning", file=File(str(path))))

    def _chart(self, here: Path, in_chart: bool) -> bool:
        """Whether ``here`` is a Helm chart; the warning for a chart that is not a subchart."""
        chart = here / CHART_FILE
        if not os.path.isfile(chart):
            return False
        if not in_chart:
            self.found.notes.append(_chart_note(here))
        return True

    def _visit(self, here: Path, rel: str, in_chart: bool) -> Iterator[Path]:
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError as err:
            raise InputError(f"{here}: cannot read the directory: {err.strerror}") from None
        chart = self._chart(here, in_chart)
        for entry in entries:
            name, path, sub = entry.name, here / entry.name, rel + entry.name
            if name.startswith("."):
                continue  # hidden folders and files belong to tools (.github/, .pre-commit-config.yaml)
            try:
                mode = os.stat(path).st_mode  # through a link: what a reader would open
            except OSError as err:
                if not entry.is_symlink():
                    raise InputError(f"{path}: cannot read: {err.strerror}") from None
                if self._excluded(sub, False) or self._excluded(sub, True):
                    self._skip(path, "excluded")
                else:
                    self._skip(path, _broken_link(err), warn=True)
                continue
            if stat.S_ISDIR(mode):
                if self._excluded(sub, True):
                    self._skip(path, "excluded")
                elif chart and name in CHART_DIRS:
                    self._skip(path, CHART_DIRS[name])
                elif (real := path.resolve()) not in self.seen:  # a link back to a walked directory: once
                    self.seen.add(real)
                    yield from self._visit(path, sub + "/", in_chart or chart)
            elif name.endswith(SUFFIXES) or name in BUILD_FILES:
                if self._excluded(sub, False):
                    self._skip(path, "excluded")
                elif (what := kind_of(mode)) is not None:
                    self._skip(path, f"{what}, not a regular file")
                elif name in BUILD_FILES:
                    self._skip(path, "a kustomize or kpt build file")
                    if name in KUSTOMIZATION_FILES:
                        self.kustomizations.append((str(here), str(path)))
                else:
                    yield path


def _mark_parts(found: Found, walked: Sequence[str], kustomizations: Sequence[tuple[str, str]], limits: Limits) -> None:
    """Fill ``found.parts`` from the kustomizations met in the walks (only walked files count)."""
    if not kustomizations:
        return
    by_real = {os.path.realpath(name): name for name in walked}
    built_on: set[str] = set()
    readable: list[tuple[str, str]] = []
    for root, kustomization in kustomizations:
        try:
            read = read_kustomization(kustomization, limits)
        except InputError as err:
            reason = str(err).removeprefix(f"{kustomization}: ").replace(f"{kustomization} is ", "it is ", 1)
            message = (
                f"{kustomization}: cannot read the kustomization ({reason}); the files it names are read as resources"
            )
            found.notes.append(Result(message, "warning", file=File(kustomization)))
            continue
        readable.append((root, kustomization))
        built_on.update(os.path.realpath(path) for path in read.builds_on)
        for part in read.parts:
            target = os.path.realpath(part.path)
            if part.directory:
                hits = [n for r, n in by_real.items() if r == target or r.startswith(target + os.sep)]
            else:
                hits = [by_real[target]] if target in by_real else []
            for name in hits:
                found.parts.setdefault(name, KustomizePart(root, kustomization, part.field))
    found.tops = {root: file for root, file in readable if os.path.realpath(root) not in built_on}


def _mode(name: str) -> int:
    try:
        return os.stat(name).st_mode
    except FileNotFoundError:
        raise InputError(f"{name}: no such file or directory") from None
    except OSError as err:
        raise InputError(f"{name}: cannot read: {err.strerror}") from None


def _left_out(found: Found, name: str, patterns: Sequence[str], here: Sequence[str]) -> bool:
    """Whether a regular file named on the command line is left out (and listed as skipped)."""
    path = Path(name)
    if path.name in BUILD_FILES:
        found.skipped.append(Skipped(name, "a kustomize or kpt build file"))
    elif matches(path.as_posix(), patterns) or ignored_here(path, here):
        found.skipped.append(Skipped(name, "excluded"))
    elif (chart := _chart_of_template(path)) is not None:
        found.skipped.append(Skipped(name, f"a template of the Helm chart {chart}"))
        if (note := _chart_note(chart)) not in found.notes:
            found.notes.append(note)
    else:
        return False
    return True


def discover(paths: Sequence[str], excludes: Sequence[str] = (), limits: Limits | None = None) -> Found:
    """The files named or found under ``paths`` (``-`` is stdin).

    InputError when a named path does not exist, a directory cannot be read, or an ignore file
    cannot be read.
    """
    limits = limits or Limits.from_env()
    found = Found()
    seen: set[Path] = set()
    patterns = patterns_of(excludes)
    here = read_ignore(Path.cwd(), limits.max_input_bytes)  # named files: pre-commit names them from the root
    walked: list[str] = []
    kustomizations: list[tuple[str, str]] = []
    for name in paths:
        path = Path(name)
        if name == STDIN_NAME:
            if name not in found.files:
                found.files.append(name)
            continue
        mode = _mode(name)
        walk: _Walk | None = None
        if stat.S_ISDIR(mode):
            seen.add(path.resolve())
            walk = _Walk(path, patterns, found, seen, limits, kustomizations)
            candidates: Iterator[Path] = walk.files()
        elif not stat.S_ISREG(mode):
            # Named on the command line: a FIFO, /dev/stdin, <(...). Read as it comes, once.
            if name not in found.files and not matches(path.as_posix(), patterns):
                found.files.append(name)
                found.streams.add(name)
            continue
        elif _left_out(found, name, patterns, here):
            continue
        else:
            candidates = iter([path])
        for file in candidates:
            real = file.resolve()
            if real in seen:
                continue
            seen.add(real)
            found.files.append(str(file))
            if walk is not None:
                walked.append(str(file))
    _mark_parts(found, walked, kustomizations, limits)
    return found
