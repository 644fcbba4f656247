"""A read-only view of one item's plain data, as the pure core sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from krm_fn.results import File, ResourceRef

ANNOTATION_PREFIX = "fn.kserve-pvc.dev/"
SKIP_ANNOTATION = ANNOTATION_PREFIX + "skip"
PATH_TYPE_ANNOTATION = ANNOTATION_PREFIX + "path-type"
ORIGINAL_URIS_ANNOTATION = ANNOTATION_PREFIX + "original-storage-uris"
LOCAL_CONFIG_ANNOTATION = "config.kubernetes.io/local-config"


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one: rules read untrusted shapes safely."""
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Resource:
    """One item: its position in the input and its plain data."""

    index: int
    data: Mapping[str, Any]
    origin: File | None = None

    @property
    def api_version(self) -> str:
        """``apiVersion`` as a string ('' if absent)."""
        value = self.data.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        """``kind`` as a string ('' if absent)."""
        value = self.data.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        """The API group ('' for the core group)."""
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> Mapping[str, Any]:
        """``metadata``, or an empty mapping."""
        return mapping(self.data.get("metadata"))

    @property
    def name(self) -> str:
        """``metadata.name`` as a string."""
        value = self.metadata.get("name")
        return "" if value is None else str(value)

    @property
    def namespace(self) -> str:
        """``metadata.namespace`` as a string ('' if absent)."""
        value = self.metadata.get("namespace")
        return "" if value is None else str(value)

    @property
    def annotations(self) -> Mapping[str, Any]:
        """``metadata.annotations``, or an empty mapping."""
        return mapping(self.metadata.get("annotations"))

    @property
    def labels(self) -> Mapping[str, Any]:
        """``metadata.labels``, or an empty mapping."""
        return mapping(self.metadata.get("labels"))

    @cached_property
    def ref(self) -> ResourceRef:
        """The result reference of this resource."""
        return ResourceRef.of(self.data)

    @cached_property
    def file(self) -> File | None:
        """Where the resource came from: its path/index annotations, else the file it was read from."""
        return File.of(self.data) or self.origin
