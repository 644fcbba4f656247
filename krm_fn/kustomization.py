"""What a kustomization names that is not a resource: its patches, components and configurations.

A walk over a kustomize tree meets the overlays' patches beside the base's resources. A patch is
part of a resource, not one: a strategic-merge patch of an InferenceService emitted as a second,
partial InferenceService would be applied over the real one. So the files a ``kustomization.yaml``
names under

- ``patches`` (entries with ``path:``), ``patchesStrategicMerge``, ``patchesJson6902`` (``path:``),
- ``components`` (directories: every file below them),
- ``configurations`` (kustomize's transformer settings)

are told apart from resources (SPEC 5.1). The file is read as any other input is: bounded by the
input limit, its size and depth checked before it is loaded, with libyaml's safe loader. Paths are
relative to the kustomization's directory; what is not a local path (an inline patch, a remote
component) is not a file of the tree and is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from krm_fn.limits import Limits, check_raw
from krm_fn.reading import read_file
from krm_fn.source import InputError

#: The names kustomize looks for in a directory, in its order.
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: Fields whose entries are files (or mappings with a ``path:``).
_FILE_FIELDS = ("patches", "patchesStrategicMerge", "patchesJson6902", "configurations")


@dataclass(frozen=True)
class Named:
    """A local path a kustomization names that is not a resource."""

    field: str  # the kustomization field that names it
    path: str  # joined with the kustomization's directory, normalized
    directory: bool = False  # a component: every file below it


def _local(value: Any) -> str | None:
    """A relative or absolute local path, or None (inline YAML, a URL, anything but a string)."""
    if not isinstance(value, str) or not value.strip() or "\n" in value or "://" in value:
        return None
    return value.strip()


def _entries(data: dict[Any, Any]) -> Iterator[tuple[str, str, bool]]:
    for name in _FILE_FIELDS:
        entries = data.get(name)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            value = entry.get("path") if isinstance(entry, dict) else entry
            if (path := _local(value)) is not None:
                yield name, path, False
    components = data.get("components")
    if isinstance(components, list):
        for entry in components:
            if (path := _local(entry)) is not None:
                yield "components", path, True


def _problem(err: Exception) -> str:
    """libyaml's own words for what is wrong, and where (its first line is often only context)."""
    problem = getattr(err, "problem", None)
    mark = getattr(err, "problem_mark", None)
    if not problem:
        return str(err).splitlines()[0] if str(err) else type(err).__name__
    return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)


@dataclass(frozen=True)
class Kustomization:
    """What one kustomization file names: the parts that are not resources, and the local paths
    it builds on (``resources`` and ``components`` entries: another root's directory, or files)."""

    parts: list[Named]
    builds_on: list[str]


def read_kustomization(path: str, limits: Limits) -> Kustomization:
    """The kustomization file at ``path``: its patches, components and configurations, and what
    it builds on.

    InputError (LimitError included) when it cannot be read or is not a YAML mapping: the caller
    reports that as a warning and reads the tree without it.
    """
    raw = read_file(path, limits.max_input_bytes)
    check_raw(raw, limits, path)
    try:
        data = yaml.load(bytes(raw), Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, RecursionError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid YAML: {_problem(err)}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a kustomization (a YAML mapping)")
    here = os.path.dirname(path)
    parts = [Named(field, os.path.normpath(os.path.join(here, rel)), is_dir) for field, rel, is_dir in _entries(data)]
    entries = [*_list(data.get("resources")), *_list(data.get("bases")), *_list(data.get("components"))]
    builds_on = [os.path.normpath(os.path.join(here, rel)) for e in entries if (rel := _local(e)) is not None]
    return Kustomization(parts, builds_on)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
