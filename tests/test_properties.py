"""Property-based invariants of the KRM function (hypothesis), on generated bundles in varied layouts.

For every generated ResourceList:
- the same items come out as went in: none lost, none added, order kept;
- items the function did not change are byte-identical;
- running on its own output changes nothing (idempotence);
- exit code 1 if and only if there is an error result; stdout never empty with exit 0;
- nothing but ``InputError`` (exit 2) ever escapes: no traceback, even for arbitrary bytes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tolerant_yaml import TolerantLoader

from krm_fn.krm import Answer, run_krm
from krm_fn.resourcelist import read
from krm_fn.source import InputError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- generated resources ------------------------------------------------------------------------

_SEGMENT = st.sampled_from(["models", "iris", "v1.2", "llama-3.1-8b", "m", "a_b", "ünï", "x y"])
_FILE = st.sampled_from(["model.joblib", "model.pkl", "model.bst", "m.onnx", "w.safetensors", "a.tar.gz", "x.gguf"])
_FORMAT = st.sampled_from(["sklearn", "xgboost", "tensorflow", "triton", "pytorch", "huggingface", "onnx"])


@st.composite
def pvc_uri(draw: st.DrawFn) -> str:
    """A ``pvc://`` URI naming a directory or a file, now and then malformed."""
    claim = draw(st.sampled_from(["model-store"] * 4 + ["c", "pvc.example", "Bad_Claim", ""]))
    parts = draw(st.lists(_SEGMENT, max_size=3))
    if draw(st.integers(0, 2)):
        parts.append(draw(_FILE))
    tail = draw(st.sampled_from([""] * 8 + ["/", "//x", "/./y", "/../z"]))
    return f"pvc://{claim}/" + "/".join(parts) + tail


@st.composite
def resource(draw: st.DrawFn, index: int) -> Any:
    """One item: KServe resources, pod-bearing workloads, plain objects and non-objects."""
    name = f"r{index}"
    kind = draw(st.sampled_from(["isvc", "isvc", "llm", "configmap", "pod", "deployment", "scalar", "list", "nokind"]))
    if kind == "isvc":
        predictor: dict[str, Any] = {"model": {"modelFormat": {"name": draw(_FORMAT)}, "storageUri": draw(pvc_uri())}}
        if draw(st.booleans()):
            predictor["containers"] = [
                {"name": "kserve-container", "env": [{"name": "STORAGE_URI", "value": draw(pvc_uri())}]}
            ]
        meta: dict[str, Any] = {"name": name, "namespace": draw(st.sampled_from(["ns", "ml"]))}
        if draw(st.booleans()):
            meta["annotations"] = {"fn.kserve-pvc.dev/skip": draw(st.sampled_from(["true", "false"]))}
        return {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": meta,
            "spec": {"predictor": predictor},
        }
    if kind == "llm":
        return {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "LLMInferenceService",
            "metadata": {"name": name},
            "spec": {"model": {"uri": draw(pvc_uri())}},
        }
    if kind == "configmap":
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name},
            "data": {"uri": draw(pvc_uri()), "n": "0755"},
        }
    if kind in ("pod", "deployment"):
        pod = {"containers": [{"name": "kserve-container", "image": "img:1", "args": ["--port", "8080"]}]}
        if kind == "pod":
            return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": pod}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod}},
        }
    if kind == "scalar":
        return draw(st.sampled_from([5, "hello", None, True, "pvc://c/a.joblib"]))
    if kind == "list":
        return [1, "two", {"three": 3}]
    return {"metadata": {"name": name}, "spec": {"storageUri": draw(pvc_uri())}}


# --- layouts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How a bundle is written: indentation, sequence style, quoting, flow maps, comments."""

    indent: int
    indentless: bool
    crlf: bool
    comments: bool
    seed: int


def _scalar(value: Any, rnd: random.Random) -> str:
    if not isinstance(value, str):
        return json.dumps(value)
    style = rnd.choice(["plain", "single", "double"])
    if style == "plain":
        try:
            if value and yaml.safe_load(value) == value and ": " not in value and "#" not in value:
                return value
        except yaml.YAMLError:
            pass
    if style == "single" and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _flow(value: Any, rnd: random.Random) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k, rnd)}: {_flow(v, rnd)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, rnd) for v in value) + "]"
    return _scalar(value, rnd)


def _block(value: Any, col: int, lay: Layout, rnd: random.Random) -> list[str]:
    """Lines for a collection at column ``col``."""
    pad = " " * col
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            key = pad + _scalar(k, rnd) + ":"
            comment = "  # note" if lay.comments and rnd.random() < 0.2 else ""
            if isinstance(v, dict | list) and v and rnd.random() < 0.8:
                lines.append(key + comment)
                inner = col if isinstance(v, list) and lay.indentless else col + lay.indent
                lines.extend(_block(v, inner, lay, rnd))
            else:
                lines.append(f"{key} {_flow(v, rnd)}{comment}")
        return lines
    for v in value:
        if isinstance(v, dict) and v and rnd.random() < 0.8:
            sub = _block(v, col + 2, lay, rnd)
            lines.append(pad + "- " + sub[0][col + 2 :])
            lines.extend(sub[1:])
        else:
            lines.append(f"{pad}- {_flow(v, rnd)}")
    return lines


def render(items: Sequence[Any], lay: Layout) -> bytes:
    """A ResourceList holding ``items``, written in ``lay``."""
    rnd = random.Random(lay.seed)
    lines = ["apiVersion: config.kubernetes.io/v1", "kind: ResourceList"]
    if lay.comments:
        lines.insert(0, "# generated bundle")
    if items:
        lines.append("items:")
        lines.extend(_block(list(items), 0 if lay.indentless else lay.indent, lay, rnd))
    else:
        lines.append("items: []")
    text = "\n".join(lines) + "\n"
    return (text.replace("\n", "\r\n") if lay.crlf else text).encode()


@st.composite
def bundle(draw: st.DrawFn) -> tuple[list[Any], Layout]:
    """Items and a layout."""
    n = draw(st.integers(min_value=0, max_value=6))
    items = [draw(resource(i)) for i in range(n)]
    lay = Layout(
        draw(st.sampled_from([2, 4])),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.integers(0, 2**16)),
    )
    return items, lay


# --- the invariants -----------------------------------------------------------------------------


def _identity(item: Any) -> Any:
    if isinstance(item, dict):
        meta = item.get("metadata")
        return (item.get("kind"), meta.get("name") if isinstance(meta, dict) else None)
    return item


def _changed_names(answer: Answer) -> set[str]:
    return {
        r.resourceRef.name
        for r in answer.results
        if r.resourceRef is not None and (r.severity != "error" or r.field is not None) and r.field is not None
        if r.field.proposedValue is not None or r.message.startswith("items[")
    }


def _item_texts(raw: bytes) -> list[str]:
    doc = read(raw)[0]
    return [doc.text[start:end] for start, end in doc.extents]


def _contract(answer: Answer) -> None:
    assert answer.stdout, "stdout is never empty unless the exit code is 2"
    out = yaml.load(answer.stdout, Loader=TolerantLoader)  # every tag becomes a string: nothing is built
    results = out.get("results") or []
    errors = [r for r in results if r.get("severity") == "error"]
    assert (answer.exit_code == 1) == bool(errors)
    assert all("severity" in r for r in results)
    summary = results[-1]["message"]
    assert summary.startswith("kserve-pvc-fn:")
    ours = [r for r in answer.results if r.severity == "error"]
    assert f" {len(ours)} error(s)" in summary, summary


@SETTINGS
@given(bundle())
def test_items_kept_untouched_identical_idempotent(case: tuple[list[Any], Layout]) -> None:
    items, lay = case
    raw = render(items, lay)
    assert yaml.load(raw, Loader=yaml.CSafeLoader)["items"] == (items or []), "the generator wrote what it meant"
    answer = run_krm(raw)  # a generated ResourceList is always readable: no exception at all
    _contract(answer)
    out = answer.stdout.encode()
    after = yaml.load(out, Loader=yaml.CSafeLoader)["items"]
    assert [_identity(i) for i in after] == [_identity(i) for i in items]

    before_texts, after_texts = _item_texts(raw), _item_texts(out)
    assert len(before_texts) == len(after_texts)
    changed = _changed_names(answer)
    for item, old, new in zip(items, before_texts, after_texts, strict=True):
        name = _identity(item)[1] if isinstance(item, dict) else None
        if name not in changed:
            assert new == old, f"untouched item {name!r} changed"
    if lay.crlf:
        assert out.count(b"\n") == out.count(b"\r\n")

    again = run_krm(out)
    _contract(again)
    assert _item_texts(again.stdout.encode()) == after_texts, "a second run changed an item"
    assert not [r for r in again.results if r.severity == "info" and r.field and r.field.proposedValue is not None]
    assert again.exit_code == answer.exit_code


@SETTINGS
@given(bundle())
def test_json_input_keeps_items(case: tuple[list[Any], Layout]) -> None:
    items, _ = case
    raw = json.dumps({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}).encode()
    answer = run_krm(raw)
    _contract(answer)
    after = yaml.load(answer.stdout, Loader=yaml.CSafeLoader)["items"]
    assert [_identity(i) for i in after] == [_identity(i) for i in items]


def _run_anything(raw: bytes) -> None:
    """Arbitrary input: InputError (exit 2) or an answer that keeps the contract; nothing else."""
    answer: Answer | None = None
    refused = ""
    try:
        answer = run_krm(raw)
    except InputError as err:
        refused = str(err)
    if answer is None:
        assert refused, "exit 2 comes with a message"
        assert "\n" not in refused, "exit 2 comes with one line"
        return
    _contract(answer)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    _run_anything(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle(), st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(list(":-[]{}&*!|>'\"#\t\n %@`,?")))))
def test_mutated_bundles_never_crash(case: tuple[list[Any], Layout], edits: list[tuple[int, str]]) -> None:
    items, lay = case
    raw = bytearray(render(items, lay))
    for pos, char in edits:
        at = pos % (len(raw) + 1)
        raw[at:at] = char.encode()
    _run_anything(bytes(raw))
