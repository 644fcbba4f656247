"""A YAML reader for checking output that may legitimately hold odd things.

An item held back as it was (duplicate keys, tags, a bad ``<<``) is passed through unchanged, so the
output may carry them; tests and the fuzz target still need to read it as data. Every tag becomes a
string (nothing is ever built), and ``0x_`` or ``2024-00-01`` stay strings, as for Kubernetes.
"""

from __future__ import annotations

from typing import Any

import yaml


class TolerantLoader(yaml.CSafeLoader):
    """CSafeLoader that reads any of this function's output back without building objects."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        try:
            super().flatten_mapping(node)
        except yaml.constructor.ConstructorError:  # a bad ``<<`` in a held-back item: keep it as a key
            for k, _ in node.value:
                if k.tag == "tag:yaml.org,2002:merge":
                    k.tag = "tag:yaml.org,2002:str"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for k, v in node.value:
            key = self.construct_object(k, deep=True)
            out[key if isinstance(key, str | int | float | bool | None) else repr(key)] = self.construct_object(v, deep)
        return out


def _int_or_str(loader: TolerantLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        return loader.construct_scalar(node)  # ``0x_``: a string, as for Kubernetes


def _as_str(loader: TolerantLoader, node: yaml.ScalarNode) -> Any:
    return loader.construct_scalar(node)


TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: f"<tag {suffix}>")
TolerantLoader.add_constructor("tag:yaml.org,2002:int", _int_or_str)
TolerantLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_str)


def load(data: str | bytes) -> Any:
    """Read one document of output as plain data."""
    return yaml.load(data, Loader=TolerantLoader)
