"""A config taken without pydantic (``krm_fn.settings``) is taken exactly as the pydantic models take it.

SPEC 3.7: the fast path may check a well-formed config without importing pydantic, provided both
paths accept and reject the same configs. Whatever the fast path does not take goes to pydantic,
so the run as a whole (``driver.configure``) must agree with pydantic alone on every config;
and what the fast path takes, pydantic takes too, with the same settings (compared as JSON, so
``True`` and ``1`` differ). A generator of well-formed configs checks that the fast path does take
them: it is not a path that only ever says "ask pydantic".
"""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from krm_fn import config, docs, driver
from krm_fn.settings import SCHEMA_FILE, VALIDATED, Settings, well_formed

API = "fn.kserve-pvc.dev/v1alpha1"
TEXT = st.text(st.characters(codec="utf-8"), max_size=6)
NOISE = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.floats(allow_nan=False), TEXT)

# Per spec key: values the fast path is meant to take, and values it must leave to pydantic (or
# that pydantic rejects, or converts: strings for booleans, "v1.31", trailing slashes, 5.0, ...).
GOOD: dict[str, st.SearchStrategy[Any]] = {
    "mode": st.sampled_from(["mutate", "validate"]),
    "mountMode": st.sampled_from(["direct", "copy"]),
    "fileUris": st.sampled_from(["directory", "file-mount", "error", "ignore"]),
    "fileExtensions": st.lists(st.sampled_from([".joblib", ".pt", ".tar.gz", ".x", ".."]), max_size=3),
    "readOnly": st.sampled_from(["preserve", True, False]),
    "modelMountPath": st.sampled_from(["/mnt/models", "/", "/a/b", "/a/..b", "/mnt/x.y"]),
    "storageInitializer": st.dictionaries(
        st.sampled_from(["image", "cpuRequest", "cpuLimit", "memoryRequest", "memoryLimit"]), TEXT, max_size=3
    ),
    "recordOriginal": st.booleans(),
    "manageKServeConfig": st.booleans(),
    "kubernetesVersion": st.sampled_from([None, "1.31", "1.37", "2.0"]),
    "selectors": st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "apiVersion": st.one_of(st.none(), TEXT),
                "kind": st.one_of(st.none(), TEXT),
                "name": TEXT,
                "namespace": TEXT,
                "labels": st.dictionaries(TEXT, TEXT, max_size=2),
                "annotations": st.dictionaries(TEXT, TEXT, max_size=2),
            },
        ),
        max_size=2,
    ),
    "maxInputBytes": st.one_of(st.none(), st.integers(1, 10**9)),
    "maxAliases": st.one_of(st.none(), st.integers(0, 10**6)),
    "maxDepth": st.one_of(st.none(), st.integers(1, 1000)),
}
GOOD["exclude"] = GOOD["selectors"]
GOOD["rules"] = st.dictionaries(
    st.sampled_from(["file-uri", "storage-uris-path-dropped", "kserve-injection", "lora-mount"]),
    st.sampled_from(["off", "info", "warning", "error"]),
    max_size=3,
)
BAD: dict[str, st.SearchStrategy[Any]] = {
    "mode": st.sampled_from(["Mutate", "", "webhook"]),
    "fileExtensions": st.one_of(
        st.lists(st.sampled_from(["pt", ".", "", 1, None]), min_size=1, max_size=2), st.just(".pt,.joblib")
    ),
    "readOnly": st.sampled_from(["true", "false", "yes", 1, 0, None, "Preserve"]),
    "modelMountPath": st.sampled_from(["/mnt/models/", "//", "mnt", "/a/../b", "/..", "", "/a/b/.."]),
    "storageInitializer": st.one_of(
        st.dictionaries(st.sampled_from(["image", "bogus"]), NOISE, min_size=1, max_size=2),
        st.just('{"image": "x"}'),
        NOISE,
    ),
    "recordOriginal": st.sampled_from(["true", "false", 1, 0, None, "no"]),
    "kubernetesVersion": st.sampled_from(["1.31.0", "v1.31", "1", "1.x", "1.2.3.4", "\u0661.\u0662", "1.31 ", 131]),
    "selectors": st.one_of(
        st.lists(st.dictionaries(st.sampled_from(["kind", "labels", "bogus"]), NOISE, max_size=2), min_size=1),
        st.just('[{"kind": "Pod"}]'),
        NOISE,
    ),
    "maxInputBytes": st.sampled_from([0, -1, True, 5.0, "5", 2**70]),
    "maxDepth": st.sampled_from([0, False, 1.5, "3"]),
    "rules": st.sampled_from([{"file-uris": "off"}, {"file-uri": "Off"}, {"file-uri": None}, ["file-uri"], "off"]),
    "unknownKey": NOISE,
}


@st.composite
def specs(draw: st.DrawFn, bad: bool) -> dict[str, Any]:
    spec = {k: draw(v) for k, v in GOOD.items() if draw(st.booleans())}
    if bad:
        for key in draw(st.lists(st.sampled_from(sorted(BAD)), min_size=1, max_size=2, unique=True)):
            spec[key] = draw(BAD[key])
    return spec


def _as_configmap_data(spec: dict[str, Any]) -> dict[str, Any]:
    """What ``kpt fn eval -- key=value`` writes: strings, with lists and objects as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in spec.items()}


@st.composite
def function_configs(draw: st.DrawFn) -> Any:
    spec = draw(specs(bad=draw(st.booleans())))
    form = draw(st.sampled_from(["policy", "policy", "configmap", "configmap-raw", "odd"]))
    if form == "policy":
        fc: dict[str, Any] = {"apiVersion": API, "kind": "PvcMountPolicy", "metadata": {"name": "p"}, "spec": spec}
        if draw(st.booleans()):
            fc["metadata"]["annotations"] = draw(st.dictionaries(TEXT, NOISE, max_size=2))
        if draw(st.integers(0, 9)) == 0:
            fc[draw(st.sampled_from(["status", "spec"]))] = draw(NOISE)
        return fc
    if form in ("configmap", "configmap-raw"):
        data = _as_configmap_data(spec) if form == "configmap" else spec
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fn"}, "data": data}
    return draw(
        st.sampled_from(
            [
                None,
                {},
                [],
                "mountMode=copy",
                {"apiVersion": "v1", "kind": "ConfigMap", "data": None},
                {"apiVersion": "v1", "kind": "ConfigMap", "data": ["x"]},
                {"apiVersion": API, "kind": "PvcMountPolicy"},
                {"apiVersion": "fn.kserve-pvc.dev/v1", "kind": "PvcMountPolicy", "spec": {}},
                {"apiVersion": API, "kind": "PvcMountPolicy", "spec": None},
                {"apiVersion": API, "kind": "PvcMountPolicy", "spec": {"mode": "validate"}, "metadata": {1: "x"}},
            ]
        )
    )


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _same_settings(fast: Any, ref: BaseModel) -> None:
    assert isinstance(fast, Settings)
    assert _json(fast.model_dump()) == _json(ref.model_dump())
    for name in type(ref).model_fields:
        mine, theirs = getattr(fast, name), getattr(ref, name)
        if isinstance(theirs, BaseModel):
            _same_settings(mine, theirs)
        elif isinstance(theirs, list) and theirs and isinstance(theirs[0], BaseModel):
            assert len(mine) == len(theirs)
            for a, b in zip(mine, theirs, strict=True):
                _same_settings(a, b)
        else:
            assert _json(mine) == _json(theirs)


def _check(fc: Any, overrides: dict[str, Any] | None = None) -> bool:
    """Both paths agree on ``fc``; whether the fast path took it."""
    fast = well_formed(fc, overrides)
    ref, errors = config.load_config(fc)
    if ref is not None and overrides:
        ref = config.PolicySpec.model_validate({**ref.model_dump(), **overrides})
    if fast is not None:
        assert ref is not None, "the fast path took a config that pydantic rejects"
        assert errors == []
        _same_settings(fast, ref)
    whole, whole_errors = driver.configure(fc, overrides)
    assert [r.to_dict() for r in whole_errors] == [r.to_dict() for r in errors]
    assert (whole is None) == (ref is None)
    if whole is not None and ref is not None:
        assert _json(whole.model_dump()) == _json(ref.model_dump())
    return fast is not None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(function_configs())
def test_both_paths_accept_and_reject_the_same_configs(fc: Any) -> None:
    _check(fc)


@settings(max_examples=100, deadline=None)
@given(function_configs())
def test_both_paths_agree_with_overrides(fc: Any) -> None:
    _check(fc, {"mode": "validate"})


@settings(max_examples=300, deadline=None)
@given(specs(bad=False), st.booleans())
def test_well_formed_configs_take_the_fast_path(spec: dict[str, Any], as_configmap: bool) -> None:
    if as_configmap:
        spec = {k: v for k, v in spec.items() if not isinstance(v, bool | int) or v is None}
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in spec.items() if v is not None}
        fc: Any = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fn"}, "data": data}
    else:
        fc = {"apiVersion": API, "kind": "PvcMountPolicy", "metadata": {"name": "p"}, "spec": spec}
    assert _check(fc)


@pytest.mark.parametrize("fc", [None, {}, {"apiVersion": API, "kind": "PvcMountPolicy", "spec": {}}])
def test_no_config_is_the_defaults_without_pydantic(fc: Any) -> None:
    assert _check(fc)


def test_the_schema_file_is_fresh() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == docs.generated_schema(), "stale: run `make docs`"


def test_every_field_validator_has_its_fast_path_schema() -> None:
    """A model that gains a field validator needs a VALIDATED entry (values it returns unchanged);
    a model validator has no place in the fast path at all."""
    validated: set[tuple[str, str]] = set()
    for name, model in docs._models(config.PvcMountPolicy).items():
        decorators = model.__pydantic_decorators__
        assert not decorators.model_validators, f"{name}: a model validator needs the fast path extended"
        for dec in decorators.field_validators.values():
            validated.update((name, f) for f in dec.info.fields)
    assert validated == set(VALIDATED)


def test_settings_are_frozen() -> None:
    spec = cast("config.PolicySpec", well_formed(None))  # stands in for the frozen model
    assert spec is not None
    with pytest.raises(AttributeError):
        spec.mode = "validate"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        _ = spec.noSuchField  # type: ignore[attr-defined]
    assert spec.storageInitializer.model_dump() == config.StorageInitializer().model_dump()


@pytest.mark.parametrize(
    "data",
    [
        {"rules.file-uri": "off"},
        {"rules.file-uri": "off", "rules": '{"lora-mount": "warning"}'},
        {"rules.file-uris": "off"},
        {"rules.file-uri": "loud"},
        {"rules.file-uri": "error", "rules": "not json"},
    ],
)
def test_configmap_rules_keys_agree_on_both_paths(data: dict[str, str]) -> None:
    """``rules.<id>: <setting>`` in a ConfigMap (``kpt fn eval -- rules.file-uri=off``) folds into ``rules``."""
    fc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}
    accepted = _check(fc)
    assert accepted == ("file-uris" not in str(data) and "loud" not in str(data) and "not json" not in str(data))
