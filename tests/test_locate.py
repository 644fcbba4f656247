"""Locations of findings (SPEC 5.2): the line and column of a field, from a document's nodes."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from krm_fn.config import PolicySpec
from krm_fn.documents import STDIN, Source
from krm_fn.locate import Position, locate
from krm_fn.render import run_render

DOC = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    serving.kserve.io/storage-uri: pvc://a/b.pt
spec:
  containers:
  - name: c
    env:
    - name: A
      value: "1"
    - name: B
      value: 'two'
    args:
"""


def _node(text: str) -> yaml.Node:
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    assert node is not None
    return node


def test_a_field_is_placed_at_its_value() -> None:
    node = _node(DOC)
    assert locate(node, 1, "spec.containers[0].env[1].value") == Position(14, 14)
    assert locate(node, 1, "spec.containers[0].name") == Position(9, 11)
    assert locate(node, 1, "metadata.name") == Position(4, 9)


def test_a_key_with_dots_is_one_step() -> None:
    assert locate(_node(DOC), 1, "metadata.annotations.serving.kserve.io/storage-uri") == Position(6, 36)


def test_a_collection_is_placed_at_its_key() -> None:
    assert locate(_node(DOC), 1, "metadata.annotations") == Position(5, 3)


def test_an_empty_value_is_placed_at_its_key() -> None:
    assert locate(_node(DOC), 1, "spec.containers[0].args") == Position(15, 5)


def test_a_missing_field_falls_back_to_its_nearest_parent() -> None:
    node = _node(DOC)
    assert locate(node, 1, "spec.containers[0].volumeMounts[1].subPath") == Position(9, 5)
    assert locate(node, 1, "spec.containers[3].name") == Position(8, 3)
    assert locate(node, 1, "metadata.name.deeper") == Position(4, 9)


def test_no_field_is_the_document_start_counted_from_its_first_line() -> None:
    assert locate(_node("# c\n" + DOC), 10, None) == Position(11, 1)
    assert locate(_node(DOC), 10, "") == Position(10, 1)


def _run(name: str, raw: bytes) -> list[dict[str, object]]:
    spec = PolicySpec.model_validate({"mode": "validate"})
    return [r.to_dict() for r in run_render([Source(name, raw)], spec).results]


ISVC = (
    "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: {name}\n"
    "spec:\n  predictor:\n    model:\n      modelFormat: {{name: sklearn}}\n      storageUri: {uri}\n"
)


def test_render_places_findings_with_crlf_and_bom() -> None:
    text = "---\n" + ISVC.format(name="a", uri="pvc://m/a/model.joblib")
    for raw in (text.encode(), text.replace("\n", "\r\n").encode(), b"\xef\xbb\xbf" + text.encode()):
        found = [r for r in _run("x.yaml", raw) if "field" in r]
        assert found
        assert all(r["file"] == {"path": "x.yaml", "index": 0, "line": 10, "column": 19} for r in found)


def test_a_source_comment_counts_lines_from_the_template_output() -> None:
    stream = (
        "---\n# Source: chart/templates/a.yaml\n" + ISVC.format(name="a", uri="pvc://m/a/model.joblib") + "---\n"
        "# Source: chart/templates/a.yaml\n" + ISVC.format(name="b", uri="pvc://m/b/model.joblib")
    )
    found = [r for r in _run(STDIN, stream.encode()) if "field" in r]
    assert {(r["file"]["path"], r["file"]["index"], r["file"]["line"]) for r in found} == {  # type: ignore[index]
        ("chart/templates/a.yaml", 0, 9),
        ("chart/templates/a.yaml", 1, 9),
    }


def test_a_list_item_is_placed_in_its_list() -> None:
    items = "".join(
        "- " + ISVC.format(name=n, uri=f"pvc://m/{n}/model.joblib").replace("\n", "\n  ").rstrip() + "\n"
        for n in ("a", "b")
    )
    found = [r for r in _run("l.yaml", f"apiVersion: v1\nkind: List\nitems:\n{items}".encode()) if "field" in r]
    lines = {r["resourceRef"]["name"]: r["file"]["line"] for r in found}  # type: ignore[index]
    assert lines == {"a": 12, "b": 21}


_SAFE = st.text(st.sampled_from("abcxyz019-_"), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    docs=st.lists(
        st.tuples(_SAFE, st.sampled_from(["{}", "'{}'", '"{}"']), st.integers(0, 3), st.booleans()),
        min_size=1,
        max_size=4,
    ),
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_the_named_line_holds_the_current_value(docs: list[tuple[str, str, int, bool]], crlf: bool, bom: bool) -> None:
    parts = []
    for n, (name, style, padding, comment) in enumerate(docs):
        head = "\n" * padding + ("# a comment\n" if comment else "")
        uri = style.format(f"pvc://store/{name}/model.joblib")
        parts.append(head + ISVC.format(name=f"m{n}", uri=uri))
    text = "---\n".join(parts)
    text = text.replace("\n", "\r\n") if crlf else text
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    lines = raw.decode("utf-8-sig").splitlines()
    checked = 0
    for r in _run("f.yaml", raw):
        value = r.get("field", {}).get("currentValue")  # type: ignore[attr-defined]
        if isinstance(value, str):
            where = r["file"]
            assert value in lines[where["line"] - 1][where["column"] - 1 :]  # type: ignore[index]
            checked += 1
    assert checked >= len(docs)


def test_json_input_is_placed_in_the_json_text() -> None:
    raw = (
        b'{"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",\n "metadata": {"name": "j"},\n'
        b' "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"},\n'
        b'   "storageUri": "pvc://m/j/model.joblib"}}}}\n'
    )
    found = [r for r in _run("j.json", raw) if "field" in r]
    assert found
    assert all(r["file"] == {"path": "j.json", "index": 0, "line": 4, "column": 18} for r in found)
