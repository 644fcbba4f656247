"""A well-formed functionConfig read without pydantic (SPEC 3.7: start-up time, SPEC 7).

The pydantic models in ``krm_fn/config.py`` stay the one definition of the config. ``make docs``
writes their JSON Schema and defaults to ``krm_fn/config.schema.json``; here a functionConfig is
validated against that schema with jsonschema-rs (which validating a changed pod loads anyway) and
the settings object is built from the schema and the defaults, so a run whose config is well formed
never imports pydantic (about four times the cost of ``import yaml``).

The fast path only ever accepts: whatever it does not take (a schema violation, a value that only
pydantic's lax mode would convert, such as ``"true"`` for a boolean in a ConfigMap, or a value a
field validator would change) makes :func:`well_formed` return ``None``, and
``krm_fn.config.load_config`` decides, with pydantic's own error messages. ``tests/test_settings.py``
proves on generated configs that what this path accepts, pydantic accepts with the same settings,
and that the schema file is fresh.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from krm_fn.identity import API_VERSION, KIND

__all__ = ["SCHEMA_FILE", "VALIDATED", "Settings", "fold_rules", "from_configmap_value", "well_formed"]

#: The generated schema and defaults of the models (``make docs`` writes it; a test keeps it fresh).
SCHEMA_FILE = Path(__file__).with_name("config.schema.json")

#: What a value of a field with a pydantic field validator must look like for the fast path to take
#: it: a value the validator accepts and returns unchanged (the validator may also accept more, or
#: normalize, e.g. ``v1.31.0``; such values go to pydantic). ``(model, field)`` -> extra schema.
#: tests/test_settings.py fails when a model gains a validator that is not listed here.
VALIDATED: dict[tuple[str, str], dict[str, Any]] = {
    ("PolicySpec", "fileExtensions"): {"items": {"type": "string", "pattern": "^[.]", "minLength": 2}},
    ("PolicySpec", "extraFileExtensions"): {"items": {"type": "string", "pattern": "^[.]", "minLength": 2}},
    ("PolicySpec", "modelMountPath"): {
        "type": "string",
        "pattern": "^/",
        "not": {"pattern": "(^|/)[.][.](/|$)"},
        "anyOf": [{"const": "/"}, {"not": {"pattern": "/$"}}],
    },
    ("PolicySpec", "kserveVersion"): {"type": "string", "pattern": "^(0|[1-9][0-9]*)[.](0|[1-9][0-9]*)$"},
    ("PolicySpec", "kubernetesVersion"): {
        "anyOf": [{"type": "null"}, {"type": "string", "pattern": "^[0-9]+[.][0-9]+$"}],
    },
}


class Settings:
    """A validated config model (``PolicySpec``, ``StorageInitializer``, ``Selector``) as plain data.

    It has the model's attributes, nested models as ``Settings`` too, and ``model_dump()``; like
    the pydantic models it is frozen.
    """

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: dict[str, Any]) -> None:
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"settings are frozen: cannot set {name}")

    def __repr__(self) -> str:
        return f"Settings({self._data!r})"

    def model_dump(self) -> dict[str, Any]:
        """The settings as plain dicts and lists, as pydantic's ``model_dump()`` gives them."""
        return cast(dict[str, Any], _dump(self._data))


def _dump(value: Any) -> Any:
    if isinstance(value, Settings):
        return value.model_dump()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


@functools.cache
def _generated() -> dict[str, Any]:
    with SCHEMA_FILE.open(encoding="utf-8") as f:
        return cast(dict[str, Any], json.load(f))


@functools.cache
def _validator() -> Any:
    """jsonschema-rs on the models' schema with :data:`VALIDATED` added to the validated fields."""
    import jsonschema_rs

    schema = copy.deepcopy(_generated()["schema"])
    for (model, name), extra in VALIDATED.items():
        props = schema["$defs"][model]["properties"]
        props[name] = {"allOf": [props[name], extra]}
    return jsonschema_rs.Draft202012Validator(schema)


def _structured() -> frozenset[str]:
    """The spec keys whose values are lists or objects (a ConfigMap gives them as JSON)."""
    props = _generated()["schema"]["$defs"]["PolicySpec"]["properties"]
    return frozenset(k for k, v in props.items() if v.get("type") in ("array", "object") or "$ref" in v)


def from_configmap_value(key: str, value: Any) -> Any:
    """A ConfigMap value as the spec key takes it: ``kpt fn eval -- key=value`` gives strings; lists
    and objects come as JSON, and ``fileExtensions`` and ``extraFileExtensions`` may also be
    comma-separated."""
    if not isinstance(value, str) or key not in _structured():
        return value
    text = value.strip()
    if text.startswith(("[", "{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return value
    if key in ("fileExtensions", "extraFileExtensions"):
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def fold_rules(spec: Mapping[Any, Any]) -> dict[Any, Any]:
    """A ConfigMap's ``rules.<id>: <setting>`` keys folded into ``rules`` (SPEC 3.8; ``kpt fn eval --
    rules.file-uri=off``); a ``rules`` value given as well (JSON) is the base they are added to."""
    dotted = {k: v for k, v in spec.items() if isinstance(k, str) and k.startswith("rules.")}
    if not dotted:
        return dict(spec)
    out = {k: v for k, v in spec.items() if k not in dotted}
    base = out.get("rules", {})
    if not isinstance(base, Mapping):
        return dict(spec)  # a malformed rules value: leave it to the validation to word the error
    out["rules"] = {**base, **{k[len("rules.") :]: v for k, v in dotted.items()}}
    return out


def _plain(value: Any) -> bool:
    """Only the types whose validation jsonschema-rs and pydantic do alike (no floats: pydantic
    turns ``5.0`` into an integer; no dates, bytes, or keys that are not strings)."""
    kind = type(value)
    if kind in (str, int, bool) or value is None:
        return True
    if kind is list:
        return all(_plain(v) for v in value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


def _build(schema: Mapping[str, Any], value: Any) -> Any:
    """The settings value of a validated ``value`` of a property ``schema`` (models become Settings)."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _model(ref.rsplit("/", 1)[-1], value)
    if isinstance(value, list) and "items" in schema:
        return [_build(schema["items"], v) for v in value]
    if isinstance(value, dict):
        for branch in schema.get("anyOf", ()):
            if "$ref" in branch:
                return _build(branch, value)
    return copy.deepcopy(value)


def _model(name: str, value: Mapping[str, Any]) -> Settings:
    generated = _generated()
    props = generated["schema"]["$defs"][name]["properties"]
    defaults = generated["defaults"][name]
    return Settings({key: _build(sub, value[key] if key in value else defaults[key]) for key, sub in props.items()})


def well_formed(function_config: Any, overrides: Mapping[str, Any] | None = None) -> Settings | None:
    """The settings of a well-formed functionConfig (``overrides`` on top of its spec), or None.

    None means: let ``krm_fn.config.load_config`` (pydantic) decide, and word the errors. The
    object returned is a :class:`Settings` standing in for ``PolicySpec``: the same attributes and
    ``model_dump()``, which tests/test_settings.py compares with pydantic's on generated configs.
    """
    if function_config is None or function_config == {}:
        spec: Any = {}
    elif not isinstance(function_config, Mapping):
        return None
    elif function_config.get("kind") == "ConfigMap" and function_config.get("apiVersion") == "v1":
        data = function_config.get("data") or {}
        if not isinstance(data, Mapping):
            return None
        spec = fold_rules({k: from_configmap_value(k, v) if isinstance(k, str) else v for k, v in data.items()})
    elif function_config.get("kind") == KIND and function_config.get("apiVersion") == API_VERSION:
        spec = function_config.get("spec", {})
        if not isinstance(spec, Mapping) or not _valid(function_config):
            return None
    else:
        return None
    # The config on its own first: an override must not hide a bad value it replaces.
    for layer in (spec, {**spec, **overrides} if overrides else None):
        if layer is not None and not _valid({"apiVersion": API_VERSION, "kind": KIND, "spec": layer}):
            return None
    return _model("PolicySpec", {**spec, **(overrides or {})})


def _valid(document: Any) -> bool:
    if not _plain(document):
        return False
    try:
        return bool(_validator().is_valid(document))
    except (ValueError, TypeError, OverflowError):  # a value jsonschema-rs cannot take: pydantic decides
        return False
