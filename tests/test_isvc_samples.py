"""End to end, as a new user would: ``kserve-pvc-fn render examples/kserve-samples``.

The sample directory holds manifests shaped like KServe's published samples. Every ``pvc://``
string in it is listed below as a file URI (with the directory it must become), a directory URI
(left alone) or an invalid URI (an error, left byte for byte); a sample URI missing from these
tables fails the test, so the samples and the expectations cannot drift apart.
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "kserve-samples"
COMMAND = Path(sys.executable).parent / "kserve-pvc-fn"

# (resource name, field path) -> the directory URI the file URI must become.
FILE_URIS: dict[tuple[str, str], str] = {
    ("sklearn-pvc", "spec.predictor.model.storageUri"): "pvc://task-pv-claim",
    ("xgboost-iris", "spec.predictor.model.storageUri"): "pvc://model-store/models/xgboost/iris",
    ("lightgbm-iris", "spec.predictor.lightgbm.storageUri"): "pvc://model-store/models/lightgbm/iris",
    ("pmml-demo", "spec.predictor.model.storageUri"): "pvc://model-store/models/pmml",
    ("style-sample", "spec.predictor.model.storageUri"): "pvc://model-store/models/onnx/style",
    ("torchserve", "spec.predictor.model.storageUri"): "pvc://model-store/models/torchserve/image_classifier/v1",
    ("flower-sample", "spec.predictor.model.storageUri"): "pvc://model-store/models/tensorflow/flowers",
    ("triton-densenet", "spec.predictor.triton.storageUri"): "pvc://model-store/triton/repository",
    ("huggingface-llama3", "spec.predictor.model.storageUri"): "pvc://llm-models/meta-llama/Meta-Llama-3-8B-Instruct",
    ("torch-transformer", "spec.transformer.containers[0].env[0].value"): "pvc://model-store/transformers/mnist",
    ("artserver", "spec.explainer.art.storageUri"): "pvc://model-store/explainers/mnist/art",
    ("qwen2-7b-instruct", "spec.model.uri"): "pvc://llm-models/qwen/Qwen2.5-7B-Instruct",
    ("qwen2-7b-instruct", "spec.model.lora.adapters[0].uri"): "pvc://llm-models/adapters/qwen-sql",
}
# URIs that name directories (or a GGUF file, which servers open by path): never touched.
DIRECTORY_URIS: set[tuple[str, str]] = {
    ("huggingface-llama31", "spec.predictor.model.storageUri"),
    ("torch-transformer", "spec.predictor.model.storageUri"),
    ("artserver", "spec.predictor.sklearn.storageUri"),
    ("llm-with-adapter", "spec.predictor.storageUris[0].uri"),
    # A file in storageUris is not rewritten: KServe drops the path anyway (SPEC 2B item 10, PATH_DROPPED).
    ("llm-with-adapter", "spec.predictor.storageUris[1].uri"),
    ("qwen2-7b-instruct", "spec.model.lora.adapters[1].uri"),
    ("qwen2-gguf", "spec.model.uri"),
}
# URIs KServe or Kubernetes would reject: an error each, left byte for byte.
#: What KServe v0.16-v0.20 lets through in its own sample: storageUris mounts each pvc:// entry with an
#: empty subPath, so the path after the claim is dropped (storage_uris rule). An error on a URI that
#: is otherwise valid; a file there is not rewritten (SPEC 2B item 10).
PATH_DROPPED: set[tuple[str, str]] = {
    ("llm-with-adapter", "spec.predictor.storageUris[0].uri"),
    ("llm-with-adapter", "spec.predictor.storageUris[1].uri"),
}

INVALID_URIS: set[tuple[str, str]] = {
    ("sklearn-no-claim", "spec.predictor.model.storageUri"),
    ("sklearn-bad-claim", "spec.predictor.sklearn.storageUri"),
    ("xgboost-dotdot", "spec.predictor.xgboost.storageUri"),
    ("tensorflow-archive", "spec.predictor.tensorflow.storageUri"),
    ("model1", "spec.model.storageUri"),
}
# Model-server hints (info: nothing at render time can check them): (resource name, field path) ->
# words the hint must contain.
WARNINGS: dict[tuple[str, str], tuple[str, ...]] = {
    ("sklearn-pvc", "spec.predictor.model.storageUri"): ("exactly one", ".joblib .pkl .pickle"),
    ("xgboost-iris", "spec.predictor.model.storageUri"): ("exactly one", ".bst .json .ubj"),
    ("lightgbm-iris", "spec.predictor.lightgbm.storageUri"): ("exactly one", ".bst"),
    ("pmml-demo", "spec.predictor.model.storageUri"): ("exactly one", ".pmml"),
    ("huggingface-llama3", "spec.predictor.model.storageUri"): ("full model snapshot",),
    ("qwen2-7b-instruct", "spec.model.uri"): ("full model snapshot",),
}


@dataclass(frozen=True)
class Row:
    """One result that ``render -o json`` prints on stderr."""

    severity: str
    resource: str
    field: str
    message: str


@dataclass(frozen=True)
class Rendered:
    """What one ``render`` run printed and returned."""

    code: int
    stdout: str
    rows: list[Row]


def _render(*args: str) -> Rendered:
    argv = [str(COMMAND), "render", "-o", "json", *args]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    return Rendered(proc.returncode, proc.stdout, _rows(proc.stderr))


def _rows(text: str) -> list[Row]:
    """One row per result: ``namespace/Kind/name (file)``, its field path and its message."""
    rows = []
    for r in json.loads(text):
        ref, file = r.get("resourceRef"), r.get("file")
        resource = f"{ref['kind']}/{ref['name']}" if ref else ""
        if ref and ref.get("namespace"):
            resource = f"{ref['namespace']}/{resource}"
        if file:
            resource = f"{resource} ({file['path']})" if resource else file["path"]
        rows.append(Row(r["severity"], resource, r.get("field", {}).get("path", ""), r["message"]))
    return rows


_MARKER = re.compile(r"^---[ \t]*$", re.MULTILINE)


def _documents(text: str) -> list[str]:
    return [chunk.lstrip("\n") for chunk in _MARKER.split(text) if chunk.strip()]


def _input_documents(paths: list[Path]) -> list[tuple[Path, str]]:
    return [(path, doc) for path in paths for doc in _documents(path.read_text())]


def _pvc_strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``pvc://`` string value in a document, with its dotted field path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _pvc_strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _pvc_strings(value, f"{path}[{i}]")
    elif isinstance(node, str) and node.startswith("pvc://"):
        yield path, node


def _get(node: Any, path: str) -> Any:
    for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        node = node[int(index)] if index else node[key]
    return node


def _name(doc: Any) -> str:
    return str(doc["metadata"]["name"])


def _rows_for(rows: list[Row], name: str, field: str) -> list[Row]:
    return [r for r in rows if f"/{name} (" in r.resource and r.field == field]


ALL_FILES = sorted(p for p in SAMPLES.rglob("*") if p.suffix in (".yaml", ".yml"))
VALID_FILES = [p for p in ALL_FILES if "invalid" not in p.relative_to(SAMPLES).parts]


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    return _render(str(SAMPLES.relative_to(ROOT)))


def test_every_sample_uri_is_classified() -> None:
    seen = set()
    for _, text in _input_documents(ALL_FILES):
        doc = yaml.safe_load(text)
        for field, _ in _pvc_strings(doc):
            seen.add((_name(doc), field))
    assert seen == set(FILE_URIS) | DIRECTORY_URIS | INVALID_URIS
    assert not set(FILE_URIS) & DIRECTORY_URIS
    assert not (set(FILE_URIS) | DIRECTORY_URIS) & INVALID_URIS


def test_render_exits_1_and_writes_every_document(rendered: Rendered) -> None:
    assert rendered.code == 1
    assert len(_documents(rendered.stdout)) == len(_input_documents(ALL_FILES))
    assert rendered.rows[-1].message.startswith("kserve-pvc-fn:")


def test_file_uris_become_their_directory_with_an_info_result(rendered: Rendered) -> None:
    outputs = {_name(d): d for d in map(yaml.safe_load, _documents(rendered.stdout))}
    inputs = {_name(d): d for d in (yaml.safe_load(t) for _, t in _input_documents(ALL_FILES))}
    for (name, field), directory in FILE_URIS.items():
        before = _get(inputs[name], field)
        assert _get(outputs[name], field) == directory, (name, field)
        # A pvc:// LoRA adapter also gets the info saying where KServe mounts it (llm_storage).
        infos = [
            r
            for r in _rows_for(rendered.rows, name, field)
            if r.severity == "info" and repr(before) in r.message and not r.message.startswith("LoRA adapter")
        ]
        assert len(infos) == 1, (name, field)
        assert repr(before) in infos[0].message
        assert repr(directory) in infos[0].message


def test_directory_uris_are_untouched_and_unreported(rendered: Rendered) -> None:
    outputs = {_name(d): d for d in map(yaml.safe_load, _documents(rendered.stdout))}
    inputs = {_name(d): d for d in (yaml.safe_load(t) for _, t in _input_documents(ALL_FILES))}
    for name, field in DIRECTORY_URIS:
        assert _get(outputs[name], field) == _get(inputs[name], field)
        rows = [
            r
            for r in _rows_for(rendered.rows, name, field)
            if not r.message.startswith("LoRA adapter") and (name, field) not in PATH_DROPPED
        ]
        assert rows == [], (name, field)


def test_invalid_uris_are_errors_and_left_byte_for_byte(rendered: Rendered) -> None:
    invalid_names = {name for name, _ in INVALID_URIS}
    pairs = zip(_input_documents(ALL_FILES), _documents(rendered.stdout), strict=True)
    checked = 0
    for (_, before), after in pairs:
        name = _name(yaml.safe_load(before))
        if name in invalid_names:
            assert after == before
            checked += 1
    assert checked == len(invalid_names)
    for name, field in INVALID_URIS:
        errors = [r for r in _rows_for(rendered.rows, name, field) if r.severity == "error"]
        assert errors, (name, field)
    reported = {(r.resource.split("/", 1)[1].split(" (")[0], r.field) for r in rendered.rows if r.severity == "error"}
    assert reported == INVALID_URIS | PATH_DROPPED


def test_unchanged_documents_are_byte_identical_and_changed_ones_differ_only_in_their_fields(
    rendered: Rendered,
) -> None:
    changed_names = {name for name, _ in FILE_URIS}
    for (path, before), after in zip(_input_documents(ALL_FILES), _documents(rendered.stdout), strict=True):
        doc = yaml.safe_load(before)
        if _name(doc) not in changed_names:
            assert after == before, path
            continue
        olds = [v for f, v in _pvc_strings(doc) if (_name(doc), f) in FILE_URIS]
        news = [FILE_URIS[(_name(doc), f)] for f, _ in _pvc_strings(doc) if (_name(doc), f) in FILE_URIS]
        diff = [
            line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line.startswith(("- ", "+ "))
        ]
        for line in diff:
            if line.startswith("- "):
                assert any(old in line for old in olds), line
            else:
                assert (
                    any(new in line for new in news)
                    or "fn.kserve-pvc.dev/original-storage-uris" in line
                    or line[2:].strip() == "annotations:"
                ), line


def test_model_server_hints_where_they_apply(rendered: Rendered) -> None:
    warnings = [
        r for r in rendered.rows if r.severity == "info" and ("exactly one" in r.message or "snapshot" in r.message)
    ]
    assert not [r for r in rendered.rows if r.severity == "warning" and "exactly one" in r.message]
    for (name, field), words in WARNINGS.items():
        messages = [r.message for r in warnings if f"/{name} (" in r.resource and r.field == field]
        assert any(all(w in m for w in words) for m in messages), (name, field, messages)
    flagged = {(r.resource.split("/", 1)[1].split(" (")[0], r.field) for r in warnings}
    assert flagged == set(WARNINGS)


def _unfixable(rows: list[Row]) -> list[Row]:
    """Errors and infos that stay true of any render: KServe's dropped storageUris paths, LoRA mounts."""
    return [
        r
        for r in rows
        if ((r.resource.partition("/")[2].split(" (")[0], r.field) in PATH_DROPPED and r.severity == "error")
        or r.message.startswith("LoRA adapter")
    ]


def test_valid_samples_fail_only_on_what_kserve_lets_through_and_render_is_idempotent(tmp_path: Path) -> None:
    first = _render(*(str(p.relative_to(ROOT)) for p in VALID_FILES))
    assert first.code == 1
    errors = [r for r in first.rows if r.severity == "error"]
    assert errors
    assert errors == [r for r in _unfixable(first.rows) if r.severity == "error"]
    out = tmp_path / "rendered.yaml"
    out.write_text(first.stdout)
    second = _render(str(out))
    assert second.code == 1
    assert second.stdout == first.stdout
    # Nothing left to rewrite or warn about: only what no rewrite can fix, and the summary.
    assert second.rows[:-1] == _unfixable(second.rows)
    assert second.rows[-1].message.startswith("kserve-pvc-fn:")
