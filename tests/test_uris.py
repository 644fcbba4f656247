"""Tests for krm_fn.uris: parsing, file detection and the SPEC 3.3 decision table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krm_fn import model_files
from krm_fn.model_files import ARCHIVE_EXTENSIONS, DEFAULT_FILE_EXTENSIONS, PathType, file_extension, is_file_path
from krm_fn.pvc_uri import PvcUri, format_pvc_uri, has_template, is_pvc_uri, is_valid_claim_name, parse_pvc_uri
from krm_fn.uris import FileUris, MountMode, UriDecision, decide

DEFAULTS = DEFAULT_FILE_EXTENSIONS


def run(
    uri: str,
    framework: str | None = None,
    *,
    extensions: Sequence[str] = DEFAULTS,
    path_type: PathType | None = None,
    file_uris: FileUris = "directory",
    mount_mode: MountMode = "direct",
    snapshot_field: bool = False,
) -> UriDecision:
    """decide() with the policy defaults, overridable per case."""
    return decide(
        uri,
        framework=framework,
        extensions=extensions,
        path_type=path_type,
        file_uris=file_uris,
        mount_mode=mount_mode,
        snapshot_field=snapshot_field,
    )


def codes(decision: UriDecision) -> list[tuple[str, str]]:
    """(severity, code) of every finding, in order."""
    return [(f.severity, f.code) for f in decision.findings]


# --------------------------------------------------------------------------------------------
# Constants


def test_default_extensions_are_the_spec_list_in_order() -> None:
    spec_list = (
        ".joblib .pkl .pickle .bst .json .ubj .model .txt .pmml .onnx .pt .pth .mar "
        ".safetensors .h5 .keras .pb .tflite .pdmodel .pdiparams .zip .tar .tar.gz .tgz"
    )
    # The SPEC's list, and TensorRT's .plan (a Triton tensorrt_plan model file) and .bin (Hugging Face's
    # pytorch_model.bin, OpenVINO weights; SPEC 3.2) before the archives.
    assert tuple(spec_list.replace(".pdiparams", ".pdiparams .plan .bin").split()) == DEFAULT_FILE_EXTENSIONS
    assert ".gguf" not in DEFAULT_FILE_EXTENSIONS
    assert set(ARCHIVE_EXTENSIONS) <= set(DEFAULT_FILE_EXTENSIONS)


# --------------------------------------------------------------------------------------------
# is_pvc_uri / parse_pvc_uri / has_template


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pvc://c/model.joblib", True),
        ("pvc://", True),
        ("PVC://c/model", False),  # KServe's prefix check is case-sensitive
        ("s3://bucket/model.joblib", False),
        (" pvc://c", True),  # careless leading whitespace: still a claim URI, repaired by decide()
        ("\tpvc://c", True),
        ("x pvc://c", False),
        ("", False),
        (None, False),
        (42, False),
        (b"pvc://c", False),
    ],
)
def test_is_pvc_uri(value: object, expected: bool) -> None:
    assert is_pvc_uri(value) is expected


@pytest.mark.parametrize(
    ("uri", "claim", "path", "trailing", "segments"),
    [
        ("pvc://c", "c", "", False, ()),
        ("pvc://c/", "c", "", True, ()),
        (
            "pvc://model-store/models/iris/model.joblib",
            "model-store",
            "models/iris/model.joblib",
            False,
            ("models", "iris", "model.joblib"),
        ),
        ("pvc://c/models/v1.2/", "c", "models/v1.2", True, ("models", "v1.2")),
        # KServe does no cleaning: the sub-path of pvc://c//a is the absolute "/a".
        ("pvc://c//a", "c", "/a", False, ("", "a")),
        ("pvc://c//", "c", "", True, ("",)),
        ("pvc://c/../x", "c", "../x", False, ("..", "x")),
        ("pvc://", "", "", False, ()),
        ("pvc:///x", "", "x", False, ("x",)),
    ],
)
def test_parse_pvc_uri_matches_kserve(
    uri: str, claim: str, path: str, trailing: bool, segments: tuple[str, ...]
) -> None:
    parsed = parse_pvc_uri(uri)
    assert parsed == PvcUri(claim, path, trailing, segments)
    assert parsed is not None
    # KServe's own sub-path (ParsePvcURI) is ours plus the trailing slash we keep apart.
    kserve_path = "/".join(uri.removeprefix("pvc://").split("/")[1:])
    assert parsed.path + ("/" if trailing and parsed.segments else "") == kserve_path


def test_parse_pvc_uri_rejects_other_schemes() -> None:
    assert parse_pvc_uri("gs://bucket/model") is None
    assert parse_pvc_uri("/mnt/models") is None


def test_pvc_uri_derives_segments_from_path() -> None:
    assert PvcUri("c", "a/b", False).segments == ("a", "b")
    assert PvcUri("c", "", True).segments == ()
    assert PvcUri("c", "a/b", False) == parse_pvc_uri("pvc://c/a/b")


@pytest.mark.parametrize(
    ("claim", "segments", "trailing", "expected"),
    [
        ("c", (), False, "pvc://c"),
        ("c", (), True, "pvc://c/"),
        ("c", ("a", "b.pt"), False, "pvc://c/a/b.pt"),
        ("c", ("a",), True, "pvc://c/a/"),
    ],
)
def test_format_pvc_uri(claim: str, segments: tuple[str, ...], trailing: bool, expected: str) -> None:
    assert format_pvc_uri(claim, segments, trailing) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("pvc://${CLAIM}/model.joblib", True),
        ("pvc://c/$(MODEL_DIR)/model.pt", True),
        ("pvc://c/{{ .Values.model }}", True),
        ("pvc://c/models/$1/model.pt", False),
        ("pvc://c/{model}/x", False),
        ("pvc://c/models/iris", False),
    ],
)
def test_has_template(uri: str, expected: bool) -> None:
    assert has_template(uri) is expected


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("model-store", True),
        ("c", True),
        ("models.team-a", True),
        ("0pvc9", True),
        ("a" * 253, True),
        ("a" * 254, False),
        ("", False),
        ("Model-Store", False),
        ("my_claim", False),
        ("-claim", False),
        ("claim-", False),
        ("a..b", False),
        ("a.-b", False),
        (".a", False),
        ("ünïcode", False),
    ],
)
def test_is_valid_claim_name(claim: str, expected: bool) -> None:
    assert is_valid_claim_name(claim) is expected


# --------------------------------------------------------------------------------------------
# SPEC 3.2: is a path a file?


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("models/iris/model.joblib", ".joblib"),
        ("MODEL.JOBLIB", ".joblib"),
        ("model.Tar.GZ", ".tar.gz"),
        ("bundle.tgz", ".tgz"),
        ("bundle.tar", ".tar"),
        ("weights.gz", None),  # .gz alone is not configured
        ("model.gguf", None),
        ("llama-3.1-70b-instruct", None),
        ("models/v1.2", None),
        ("models/iris/", None),
        ("", None),
        (".json", None),  # nothing before the suffix
        ("model.joblib.bak", None),
    ],
)
def test_file_extension_defaults(path: str, expected: str | None) -> None:
    assert file_extension(path, DEFAULTS) == expected


def test_file_extension_prefers_the_longest_whole_suffix() -> None:
    assert file_extension("model.tar.gz", [".gz", ".tar.gz"]) == ".tar.gz"
    assert file_extension("model.tar.gz", [".gz"]) == ".gz"
    assert file_extension("model.tar.gz", [".tar"]) is None


def test_file_extension_normalizes_configured_extensions() -> None:
    assert file_extension("model.GGUF", ["gguf"]) == ".gguf"
    assert file_extension("model.pt", [" .PT "]) == ".pt"
    assert file_extension("model", ["", "."]) is None


@pytest.mark.parametrize(
    ("path", "path_type", "trailing", "expected"),
    [
        ("models/iris/model.joblib", None, False, True),
        ("models/iris/model.joblib", None, True, False),  # trailing slash: directory
        ("models/iris/model.joblib/", None, False, False),
        ("models/v1.2", None, False, False),
        ("hf/llama-3.1-70b-instruct", None, False, False),
        ("gguf/llama-3.1-8b-instruct-q4_k_m.gguf", None, False, False),
        ("bundle.tar.gz", None, False, True),
        ("data.gz", None, False, False),
        # the path-type annotation overrides the guess ...
        ("models/iris", "file", False, True),
        ("models/iris/model.joblib", "directory", False, False),
        ("model.gguf", "file", False, True),
        # ... but never turns the claim root or a trailing slash into a file
        ("", "file", False, False),
        ("models/iris", "file", True, False),
        ("models/iris/", "file", False, False),
        # ... nor a last segment that names a directory: "." or ".." (of any depth)
        ("models/iris/.", "file", False, False),
        ("models/iris/..", "file", False, False),
        ("..", "file", False, False),
    ],
)
def test_is_file_path(path: str, path_type: PathType | None, trailing: bool, expected: bool) -> None:
    assert is_file_path(path, DEFAULTS, path_type, trailing) is expected


def test_is_file_path_uses_configured_extensions_only() -> None:
    assert is_file_path("model.gguf", [".gguf"])
    assert not is_file_path("model.joblib", [".gguf"])
    assert not is_file_path("model.joblib", [])


# --------------------------------------------------------------------------------------------
# SPEC 3.3: decide()


@dataclass(frozen=True)
class Case:
    """One row of the decision table."""

    id: str
    uri: str
    new_uri: str | None
    findings: tuple[tuple[str, str], ...]
    framework: str | None = None
    path_type: PathType | None = None
    file_uris: FileUris = "directory"
    mount_mode: MountMode = "direct"
    snapshot_field: bool = False
    extensions: tuple[str, ...] = DEFAULTS


FILE_URI = ("info", "file-uri")
ONE_FILE = ("info", "one-file-server")
BAD_EXT = ("warning", "unsupported-ext")
LAYOUT = ("warning", "layout-mismatch")
SNAPSHOT = ("info", "snapshot-dir")
REPAIR = ("warning", "repaired-form")
COPY = ("info", "copy-mode-file")

CASES = [
    # not pvc://
    Case("s3", "s3://bucket/models/iris/model.joblib", None, ()),
    Case("gs-template", "gs://${BUCKET}/model.joblib", None, ()),
    Case("hf-scheme", "hf://meta-llama/Llama-3.1-8B-Instruct", None, (), "huggingface"),
    # templates are checked before anything but careless characters; a placeholder only in the claim
    # leaves the path judged and the placeholder kept (KServe's own sample until 2024)
    Case(
        "template-claim",
        "pvc://${CLAIM}/models/iris/model.joblib",
        "pvc://${CLAIM}/models/iris",
        (("info", "file-uri"), ("info", "one-file-server")),
        "sklearn",
    ),
    Case("template-claim-dir", "pvc://${CLAIM}/models/iris", None, ()),
    Case("template-claim-and-path", "pvc://${CLAIM}/${MODEL}/m.joblib", None, (("warning", "template"),)),
    Case("template-claim-dotdot", "pvc://{{ .Values.pvc }}/../x", None, (("error", "dotdot"),)),
    Case("template-dollar-paren", "pvc://c/$(MODEL)//x.tar.gz", None, (("warning", "template"),)),
    Case("template-helm", "pvc://{{ .Values.pvc }}/{{ .Values.path }}/x", None, (("warning", "template"),)),
    # careless characters (SPEC 3.3): whitespace is repaired, the rest are errors
    Case("padded", " pvc://c/models/iris/\n", "pvc://c/models/iris/", (("warning", "repaired-form"),)),
    Case("nul", "pvc://c/models/iris\x00", None, (("error", "control-char"),)),
    Case("tab-inside", "pvc://c/models\tiris", None, (("error", "control-char"),)),
    Case("query", "pvc://c/models/iris?v=2", None, (("error", "query"),)),
    Case("fragment", "pvc://c/models/iris#v2", None, (("error", "fragment"),)),
    Case("query-and-fragment", "pvc://c/m?v=2#x", None, (("error", "query"), ("error", "fragment"))),
    # unrepairable forms
    Case("empty", "pvc://", None, (("error", "no-claim"),)),
    Case("no-claim-path", "pvc:///models/model.joblib", None, (("error", "no-claim"),)),
    Case("no-claim-dotdot", "pvc:///../x", None, (("error", "no-claim"), ("error", "dotdot"))),
    Case("uppercase-claim", "pvc://Model-Store/models/iris", None, (("error", "bad-claim"),)),
    Case("underscore-claim", "pvc://model_store/m.pt", None, (("error", "bad-claim"),)),
    Case("long-claim", "pvc://" + "a" * 254 + "/m", None, (("error", "bad-claim"),)),
    Case("dotdot", "pvc://c/models/../iris/model.joblib", None, (("error", "dotdot"),)),
    Case("dotdot-and-bad-claim", "pvc://C/..", None, (("error", "bad-claim"), ("error", "dotdot"))),
    Case("dotdot-with-repairable", "pvc://c//../x", None, (("error", "dotdot"),)),
    # repairable forms
    Case("double-slash", "pvc://c//models/iris", "pvc://c/models/iris", (REPAIR,)),
    Case("dot-segment", "pvc://c/./models/./iris", "pvc://c/models/iris", (REPAIR,)),
    Case("many-slashes", "pvc://c///a////b//", "pvc://c/a/b/", (REPAIR,)),
    Case("root-double-slash", "pvc://c//", "pvc://c/", (REPAIR,)),
    Case("root-dot", "pvc://c/.", "pvc://c", (REPAIR,)),
    Case(
        "trailing-dot-means-directory",
        "pvc://c/models/model.joblib/.",
        "pvc://c/models/model.joblib/",
        (REPAIR,),
        "sklearn",
    ),
    Case(
        "repair-then-file-rule",
        "pvc://model-store//models/./iris/model.joblib",
        "pvc://model-store/models/iris",
        (REPAIR, FILE_URI, ONE_FILE),
        "sklearn",
    ),
    # one trailing slash is fine
    Case("trailing-slash-dir", "pvc://c/models/iris/", None, ()),
    Case("trailing-slash-root", "pvc://c/", None, ()),
    Case("trailing-slash-file-name", "pvc://c/models/model.joblib/", None, (), "sklearn"),
    # directories are left alone
    Case("root", "pvc://model-store", None, (), "sklearn"),
    Case("dir", "pvc://model-store/models/iris", None, (), "sklearn"),
    Case("dotted-dir", "pvc://models/hf/llama-3.1-70b-instruct", None, (), "huggingface"),
    Case("dotted-version-dir", "pvc://c/models/v1.2", None, ()),
    Case("llm-snapshot-dir", "pvc://models/hf/llama-3.1-70b-instruct", None, (), snapshot_field=True),
    Case("gguf", "pvc://models/gguf/llama-3.1-8b-instruct-q4_k_m.gguf", None, ()),
    Case("gz-not-archive", "pvc://c/data/weights.gz", None, ()),
    Case(
        "triton-plan-in-defaults",
        "pvc://c/triton/repo/densenet/1/model.plan",
        "pvc://c/triton/repo",
        (("info", "file-uri"),),
        "triton",
    ),
    # .py is a file only in Triton's layout (the Python backend's model.py)
    Case(
        "triton-python-backend",
        "pvc://c/triton/repo/preprocess/1/model.py",
        "pvc://c/triton/repo",
        (("info", "file-uri"),),
        "triton",
    ),
    Case("triton-py-outside-layout", "pvc://c/triton/scripts/model.py", None, (), "triton"),
    Case("py-not-triton", "pvc://c/code/1/serve.py", None, (), "sklearn"),
    # path-type override
    Case(
        "path-type-directory",
        "pvc://c/models/iris/model.joblib",
        None,
        (),
        "sklearn",
        path_type="directory",
    ),
    Case(
        "path-type-file",
        "pvc://c/models/iris/model",
        "pvc://c/models/iris/",
        (FILE_URI, ONE_FILE, BAD_EXT),
        "sklearn",
        path_type="file",
    ),
    Case(
        "path-type-file-gguf",
        "pvc://c/gguf/llama.gguf",
        "pvc://c/gguf/",
        (FILE_URI,),
        path_type="file",
    ),
    Case("path-type-file-root-level", "pvc://c/model", "pvc://c", (FILE_URI,), path_type="file"),
    Case("path-type-file-trailing-slash", "pvc://c/models/iris/", None, (), path_type="file"),
    Case(
        "path-type-file-triton",
        "pvc://c/triton/repo/densenet/1/model.plan",
        "pvc://c/triton/repo/",
        (FILE_URI,),
        "triton",
        path_type="file",
    ),
    # direct mode, fileUris: directory — the file's directory
    Case(
        "sklearn-joblib",
        "pvc://model-store/models/iris/model.joblib",
        "pvc://model-store/models/iris",
        (FILE_URI, ONE_FILE),
        "sklearn",
    ),
    Case("sklearn-at-root", "pvc://c/model.joblib", "pvc://c", (FILE_URI, ONE_FILE), "sklearn"),
    Case(
        "sklearn-bst",
        "pvc://c/models/model.bst",
        "pvc://c/models",
        (FILE_URI, ONE_FILE, BAD_EXT),
        "sklearn",
    ),
    Case(
        "sklearn-case-insensitive",
        "pvc://c/models/MODEL.PKL",
        "pvc://c/models",
        (FILE_URI, ONE_FILE),
        "SKLearn",
    ),
    Case("xgboost-json", "pvc://c/xgb/model.json", "pvc://c/xgb", (FILE_URI, ONE_FILE), "xgboost"),
    Case("xgboost-ubj", "pvc://c/xgb/model.ubj", "pvc://c/xgb", (FILE_URI, ONE_FILE), "xgboost"),
    Case(
        "xgboost-pkl",
        "pvc://c/xgb/model.pkl",
        "pvc://c/xgb",
        (FILE_URI, ONE_FILE, BAD_EXT),
        "xgboost",
    ),
    Case("lightgbm-bst", "pvc://c/lgb/model.bst", "pvc://c/lgb", (FILE_URI, ONE_FILE), "lightgbm"),
    Case(
        "lightgbm-txt",
        "pvc://c/lgb/model.txt",
        "pvc://c/lgb",
        (FILE_URI, ONE_FILE, BAD_EXT),
        "lightgbm",
    ),
    Case("pmml", "pvc://c/pmml/model.pmml", "pvc://c/pmml", (FILE_URI, ONE_FILE), "pmml"),
    Case("onnx", "pvc://c/onnx/style/model.onnx", "pvc://c/onnx/style", (FILE_URI,), "onnx"),
    Case("paddle", "pvc://c/paddle/inference.pdmodel", "pvc://c/paddle", (FILE_URI,), "paddle"),
    Case("unknown-framework", "pvc://c/models/model.pt", "pvc://c/models", (FILE_URI,)),
    Case("pytorch-pt-no-layout", "pvc://c/models/model.pt", "pvc://c/models", (FILE_URI,), "pytorch"),
    Case(
        "huggingface-weights",
        "pvc://c/hf/llama-3.1-70b-instruct/model.safetensors",
        "pvc://c/hf/llama-3.1-70b-instruct",
        (FILE_URI, SNAPSHOT),
        "huggingface",
    ),
    Case(
        "llm-spec-model-uri",
        "pvc://c/hf/llama-3.1-70b-instruct/config.json",
        "pvc://c/hf/llama-3.1-70b-instruct",
        (FILE_URI, SNAPSHOT),
        snapshot_field=True,
    ),
    Case(
        "file-mount-is-directory-for-uris",
        "pvc://model-store/models/iris/model.joblib",
        "pvc://model-store/models/iris",
        (FILE_URI, ONE_FILE),
        "sklearn",
        file_uris="file-mount",
    ),
    Case(
        "root-looks-like-file",
        "pvc://c/models/iris.pkl/model.joblib",
        "pvc://c/models/iris.pkl/",
        (FILE_URI, ONE_FILE),
        "sklearn",
    ),
    # model roots
    Case(
        "triton-repo",
        "pvc://c/triton/repo/densenet/1/model.onnx",
        "pvc://c/triton/repo",
        (FILE_URI,),
        "triton",
    ),
    Case(
        "triton-repo-at-claim-root",
        "pvc://c/densenet/1/model.onnx",
        "pvc://c",
        (FILE_URI,),
        "triton",
    ),
    Case(
        "triton-custom-ext",
        "pvc://c/triton/repo/densenet/1/model.plan",
        "pvc://c/triton/repo",
        (FILE_URI,),
        "triton",
        extensions=(*DEFAULTS, ".plan"),
    ),
    Case(
        "triton-no-version",
        "pvc://c/triton/repo/densenet/model.onnx",
        "pvc://c/triton/repo/densenet",
        (FILE_URI, LAYOUT),
        "triton",
    ),
    Case(
        "triton-non-digit-version",
        "pvc://c/repo/densenet/v1/model.onnx",
        "pvc://c/repo/densenet/v1",
        (FILE_URI, LAYOUT),
        "Triton",
    ),
    Case("triton-too-shallow", "pvc://c/1/model.onnx", "pvc://c/1", (FILE_URI, LAYOUT), "triton"),
    Case(
        "tensorflow-base",
        "pvc://c/tf/mnist/0001/saved_model.pb",
        "pvc://c/tf/mnist",
        (FILE_URI,),
        "tensorflow",
    ),
    Case("tensorflow-base-at-root", "pvc://c/1/saved_model.pb", "pvc://c", (FILE_URI,), "tensorflow"),
    Case(
        "tensorflow-no-version",
        "pvc://c/tf/mnist/saved_model.pb",
        "pvc://c/tf/mnist",
        (FILE_URI, LAYOUT),
        "tensorflow",
    ),
    Case(
        "tensorflow-h5",
        "pvc://c/tf/mnist/model.h5",
        "pvc://c/tf/mnist",
        (FILE_URI, LAYOUT),
        "tensorflow",
    ),
    Case(
        "torchserve",
        "pvc://c/torchserve/model-store/mnist.mar",
        "pvc://c/torchserve",
        (FILE_URI,),
        "pytorch",
    ),
    Case("torchserve-at-root", "pvc://c/model-store/mnist.mar", "pvc://c", (FILE_URI,), "pytorch"),
    Case(
        "torchserve-no-store",
        "pvc://c/torchserve/mnist.mar",
        "pvc://c/torchserve",
        (FILE_URI, LAYOUT),
        "pytorch",
    ),
    Case(
        "mar-without-pytorch",
        "pvc://c/torchserve/model-store/mnist.mar",
        "pvc://c/torchserve/model-store",
        (FILE_URI,),
    ),
    # archives
    Case("zip-direct", "pvc://c/models/model.zip", None, (("error", "archive-direct"),), "sklearn"),
    Case("tar-gz-direct", "pvc://c/models/model.tar.gz", None, (("error", "archive-direct"),)),
    Case("tgz-direct", "pvc://c/models/MODEL.TGZ", None, (("error", "archive-direct"),)),
    Case(
        "archive-direct-repair-not-applied",
        "pvc://c//models/model.tar",
        None,
        (REPAIR, ("error", "archive-direct")),
    ),
    Case(
        "archive-file-uris-error",
        "pvc://c/models/model.zip",
        None,
        (("error", "archive-direct"),),
        file_uris="error",
    ),
    Case("archive-ignore", "pvc://c/models/model.zip", None, (), file_uris="ignore"),
    Case("archive-path-type-directory", "pvc://c/models/model.zip", None, (), path_type="directory"),
    # fileUris error / ignore
    Case(
        "file-uris-error",
        "pvc://model-store/models/iris/model.joblib",
        None,
        (("error", "file-uri"),),
        "sklearn",
        file_uris="error",
    ),
    Case(
        "file-uris-error-repair-not-applied",
        "pvc://c/./m/model.joblib",
        None,
        (REPAIR, ("error", "file-uri")),
        "sklearn",
        file_uris="error",
    ),
    Case("file-uris-error-dir", "pvc://c/models/iris", None, (), "sklearn", file_uris="error"),
    Case(
        "file-uris-ignore",
        "pvc://model-store/models/iris/model.joblib",
        None,
        (),
        "sklearn",
        file_uris="ignore",
    ),
    Case(
        "file-uris-ignore-still-repairs",
        "pvc://c//m/model.joblib",
        "pvc://c/m/model.joblib",
        (REPAIR,),
        file_uris="ignore",
    ),
    # copy mode
    Case(
        "copy-file",
        "pvc://model-store/models/iris/model.joblib",
        None,
        (COPY,),
        "sklearn",
        mount_mode="copy",
    ),
    Case("copy-archive", "pvc://c/models/model.tar.gz", None, (COPY,), mount_mode="copy"),
    Case(
        "copy-file-uris-error",
        "pvc://c/models/model.joblib",
        None,
        (COPY,),
        file_uris="error",
        mount_mode="copy",
    ),
    Case("copy-dir", "pvc://c/models/iris", None, (), mount_mode="copy"),
    Case(
        "copy-repair-applied",
        "pvc://c//models/./model.joblib",
        "pvc://c/models/model.joblib",
        (REPAIR, COPY),
        mount_mode="copy",
    ),
    Case("copy-bad-claim", "pvc://C/x", None, (("error", "bad-claim"),), mount_mode="copy"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_decide_table(case: Case) -> None:
    decision = run(
        case.uri,
        case.framework,
        extensions=case.extensions,
        path_type=case.path_type,
        file_uris=case.file_uris,
        mount_mode=case.mount_mode,
        snapshot_field=case.snapshot_field,
    )
    assert decision.new_uri == case.new_uri
    assert codes(decision) == list(case.findings)
    assert all(f.message.endswith(".") and "\n" not in f.message for f in decision.findings)
    assert decision.has_error == any(sev == "error" for sev, _ in case.findings)
    if decision.new_uri is not None:
        again = run(
            decision.new_uri,
            case.framework,
            extensions=case.extensions,
            path_type=case.path_type,
            file_uris=case.file_uris,
            mount_mode=case.mount_mode,
            snapshot_field=case.snapshot_field,
        )
        assert again.new_uri is None
        assert not again.has_error
        assert not {"repaired-form", "file-uri"} & {f.code for f in again.findings}


def test_table_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


def _message(decision: UriDecision, code: str) -> str:
    [message] = [f.message for f in decision.findings if f.code == code]
    return message


def test_rewrite_message_names_old_and_new_uri() -> None:
    decision = run("pvc://model-store/models/iris/model.joblib", "sklearn")
    message = _message(decision, "file-uri")
    assert "'pvc://model-store/models/iris/model.joblib'" in message
    assert "'pvc://model-store/models/iris'" in message


def test_rewrite_after_repair_names_the_original_uri() -> None:
    decision = run("pvc://c//models/./iris/model.joblib", "sklearn")
    assert decision.new_uri == "pvc://c/models/iris"
    message = _message(decision, "file-uri")
    assert "'pvc://c//models/./iris/model.joblib'" in message
    assert "'pvc://c/models/iris'" in message


def test_torchserve_layout_does_not_depend_on_configured_extensions() -> None:
    decision = run(
        "pvc://c/torchserve/model-store/mnist.mar",
        " PyTorch ",
        extensions=(".joblib",),
        path_type="file",
    )
    assert decision.new_uri == "pvc://c/torchserve/"  # "torchserve" is a file under path-type
    assert codes(decision) == [FILE_URI]


def test_repair_message_names_old_and_repaired_uri() -> None:
    message = _message(run("pvc://c//a/./b"), "repaired-form")
    assert "'pvc://c//a/./b'" in message
    assert "repaired to 'pvc://c/a/b'" in message


def test_unapplied_repair_message_says_so() -> None:
    message = _message(run("pvc://c//m.zip"), "repaired-form")
    assert "'pvc://c/m.zip'" in message
    assert "not applied" in message


@pytest.mark.parametrize(
    ("framework", "uri", "extensions"),
    [
        ("sklearn", "pvc://c/m/model.bst", ".joblib .pkl .pickle"),
        ("xgboost", "pvc://c/m/model.bst", ".bst .json .ubj"),
        ("lightgbm", "pvc://c/m/model.bst", ".bst"),
        ("pmml", "pvc://c/m/model.pmml", ".pmml"),
    ],
)
def test_one_file_servers_name_their_extensions(framework: str, uri: str, extensions: str) -> None:
    message = _message(run(uri, framework), "one-file-server")
    assert framework in message
    assert extensions in message
    assert "exactly one" in message
    assert "'pvc://c/m'" in message


def test_unsupported_extension_names_file_and_expected_extensions() -> None:
    message = _message(run("pvc://c/m/model.bst", "sklearn"), "unsupported-ext")
    assert "model.bst" in message
    assert ".joblib .pkl .pickle" in message


@pytest.mark.parametrize(
    ("framework", "uri", "needs"),
    [
        ("triton", "pvc://c/repo/densenet/model.onnx", "<repository>/<model>/<version>/<file>"),
        ("tensorflow", "pvc://c/tf/mnist/saved_model.pb", "<base>/<numeric version>/<file>"),
        ("pytorch", "pvc://c/ts/mnist.mar", "model-store"),
    ],
)
def test_layout_warning_names_the_required_layout(framework: str, uri: str, needs: str) -> None:
    decision = run(uri, framework)
    message = _message(decision, "layout-mismatch")
    assert needs in message
    assert uri in message
    assert decision.new_uri is not None
    assert decision.new_uri in message


def test_snapshot_warning_mentions_snapshot_contents() -> None:
    message = _message(run("pvc://c/hf/m/model.safetensors", "huggingface"), "snapshot-dir")
    assert "config.json" in message
    assert "tokenizer" in message
    assert "'pvc://c/hf/m'" in message


def test_template_message_says_not_checked() -> None:
    message = _message(run("pvc://c/${MODEL}/m.joblib"), "template")
    assert "not checked" in message
    assert "${MODEL}" in message


def test_error_messages_name_the_uri() -> None:
    for uri in ("pvc://", "pvc://Bad/x", "pvc://c/../x", "pvc://c/m.zip"):
        decision = run(uri)
        assert decision.has_error
        assert all(repr(uri) in f.message for f in decision.findings)


def test_framework_name_is_case_insensitive() -> None:
    lower = run("pvc://c/triton/repo/densenet/1/model.onnx", "triton")
    upper = run("pvc://c/triton/repo/densenet/1/model.onnx", "TRITON")
    assert lower.new_uri == upper.new_uri == "pvc://c/triton/repo"


# --------------------------------------------------------------------------------------------
# Properties

CLAIMS = st.one_of(
    st.sampled_from(["c", "model-store", "models.team-a", "pvc0"]),
    st.from_regex(r"[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?", fullmatch=True),
)
BAD_CLAIMS = st.sampled_from(["", "C", "my_claim", "-x", "x-", "a..b", "${X}"])
NAME_SEGMENTS = st.one_of(
    st.sampled_from(
        [
            "models",
            "iris",
            "1",
            "0001",
            "v1.2",
            "model-store",
            "triton",
            "repo",
            "densenet",
            "llama-3.1-70b-instruct",
            "model.joblib",
            "model.bst",
            "MODEL.PKL",
            "mnist.mar",
            "saved_model.pb",
            "model.onnx",
            "model.tar.gz",
            "model.zip",
            "weights.gz",
            "model.gguf",
            "config.json",
            "a..b",
            "...",
            "x.",
        ]
    ),
    st.from_regex(r"[A-Za-z0-9_.-]{1,10}", fullmatch=True).filter(lambda s: s not in (".", "..")),
)
FORM_SEGMENTS = st.sampled_from(["", "."])
SEGMENTS = st.one_of(NAME_SEGMENTS, NAME_SEGMENTS, NAME_SEGMENTS, FORM_SEGMENTS)
EXTENSION_SETS = st.sampled_from([DEFAULTS, (".joblib", ".pt"), (*DEFAULTS, ".plan", ".gguf"), (".gz",), ()])
FRAMEWORKS = st.sampled_from(
    [
        None,
        "sklearn",
        "xgboost",
        "lightgbm",
        "pmml",
        "tensorflow",
        "pytorch",
        "triton",
        "onnx",
        "huggingface",
        "paddle",
        "TensorFlow",
        "custom",
    ]
)


@st.composite
def uris(draw: st.DrawFn, claims: st.SearchStrategy[str] = CLAIMS) -> str:
    """pvc:// URIs: a claim, 0-6 segments (some empty or '.'), maybe a trailing slash."""
    claim = draw(claims)
    segments = draw(st.lists(SEGMENTS, max_size=6))
    uri = "pvc://" + claim + "".join("/" + s for s in segments)
    if draw(st.booleans()):
        uri += "/"
    return uri


@dataclass(frozen=True)
class Policy:
    """Every decide() argument but the URI."""

    framework: str | None
    extensions: tuple[str, ...]
    path_type: PathType | None
    file_uris: FileUris
    mount_mode: MountMode
    snapshot_field: bool

    def decide(self, uri: str) -> UriDecision:
        """decide() under this policy."""
        return decide(
            uri,
            framework=self.framework,
            extensions=self.extensions,
            path_type=self.path_type,
            file_uris=self.file_uris,
            mount_mode=self.mount_mode,
            snapshot_field=self.snapshot_field,
        )


PATH_TYPES: list[PathType | None] = [None, None, "file", "directory"]
FILE_URIS: list[FileUris] = ["directory", "file-mount", "error", "ignore"]
MOUNT_MODES: list[MountMode] = ["direct", "direct", "copy"]
POLICIES = st.builds(
    Policy,
    framework=FRAMEWORKS,
    extensions=EXTENSION_SETS,
    path_type=st.sampled_from(PATH_TYPES),
    file_uris=st.sampled_from(FILE_URIS),
    mount_mode=st.sampled_from(MOUNT_MODES),
    snapshot_field=st.booleans(),
)


def _clean_segments(uri: str) -> list[str]:
    parsed = parse_pvc_uri(uri)
    assert parsed is not None
    return [s for s in parsed.segments if s not in ("", ".")]


@settings(max_examples=300, deadline=None)
@given(uri=uris(), policy=POLICIES)
def test_property_idempotent(uri: str, policy: Policy) -> None:
    first = policy.decide(uri)
    if first.new_uri is not None:
        assert first.new_uri != uri
        second = policy.decide(first.new_uri)
        assert second.new_uri is None
        assert not second.has_error


@settings(max_examples=300, deadline=None)
@given(uri=st.one_of(uris(), uris(BAD_CLAIMS)), policy=POLICIES)
def test_property_result_is_clean_and_keeps_the_claim(uri: str, policy: Policy) -> None:
    decision = policy.decide(uri)
    if decision.has_error:
        assert decision.new_uri is None
    if decision.new_uri is None:
        return
    before, after = parse_pvc_uri(uri), parse_pvc_uri(decision.new_uri)
    assert before is not None
    assert after is not None
    assert after.claim == before.claim
    assert after.claim
    assert is_valid_claim_name(after.claim) or has_template(after.claim)
    assert "//" not in decision.new_uri.removeprefix("pvc://")
    assert ".." not in after.segments
    assert "." not in after.segments
    # the new path is the cleaned old path or one of its ancestors
    old, new = _clean_segments(uri), list(after.segments)
    assert old[: len(new)] == new


@settings(max_examples=300, deadline=None)
@given(uri=uris(), policy=POLICIES)
def test_property_directories_change_only_by_form_repair(uri: str, policy: Policy) -> None:
    parsed = parse_pvc_uri(uri)
    assert parsed is not None
    clean = _clean_segments(uri)
    trailing = parsed.trailing_slash or (bool(parsed.segments) and parsed.segments[-1] == ".")
    if is_file_path("/".join(clean), policy.extensions, policy.path_type, trailing):
        return
    decision = policy.decide(uri)
    assert not any(f.code in ("file-uri", "archive-direct", "copy-mode-file") for f in decision.findings)
    if decision.new_uri is None:
        assert not any(f.code == "repaired-form" for f in decision.findings)
    else:
        assert _clean_segments(decision.new_uri) == clean
        assert [c for _, c in codes(decision)] == ["repaired-form"]


@settings(max_examples=200, deadline=None)
@given(uri=uris(), policy=POLICIES)
def test_property_copy_mode_never_rewrites_files(uri: str, policy: Policy) -> None:
    decision = replace(policy, mount_mode="copy").decide(uri)
    assert "file-uri" not in [c for _, c in codes(decision)]
    if decision.new_uri is not None:
        assert _clean_segments(decision.new_uri) == _clean_segments(uri)


@settings(max_examples=200, deadline=None)
@given(uri=uris(), policy=POLICIES)
def test_property_path_type_directory_is_never_rewritten(uri: str, policy: Policy) -> None:
    decision = replace(policy, path_type="directory").decide(uri)
    if decision.new_uri is not None:
        assert _clean_segments(decision.new_uri) == _clean_segments(uri)


@given(value=st.text(max_size=30).filter(lambda s: not s.startswith("pvc://")), policy=POLICIES)
def test_property_non_pvc_strings_are_ignored(value: str, policy: Policy) -> None:
    assert not is_pvc_uri(value)
    assert parse_pvc_uri(value) is None
    assert policy.decide(value) == UriDecision(None, ())


@given(
    stem=st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True),
    ext=st.sampled_from(DEFAULTS),
    upper=st.booleans(),
)
def test_property_extension_match_is_case_insensitive(stem: str, ext: str, upper: bool) -> None:
    name = stem + (ext.upper() if upper else ext)
    assert file_extension(name, DEFAULTS) == ext
    assert file_extension("dir/" + name, DEFAULTS) == ext
    assert is_file_path("dir/" + name, DEFAULTS)
    assert not is_file_path("dir/" + name, DEFAULTS, trailing_slash=True)


@given(uri=uris(), policy=POLICIES)
def test_property_templates_are_never_changed(uri: str, policy: Policy) -> None:
    parsed = parse_pvc_uri(uri)
    assert parsed is not None
    # A placeholder in the path (the claim-only case is judged: test_property_claim_placeholder_is_kept).
    templated = format_pvc_uri(parsed.claim, ("${MODEL}", *parsed.segments), parsed.trailing_slash)
    decision = policy.decide(templated)
    assert decision == UriDecision(None, (decision.findings[0],))
    assert decision.findings[0].code == "template"
    assert decision.findings[0].severity == "warning"


@pytest.mark.parametrize(
    ("uri", "framework", "proposed"),
    [
        ("pvc://c/models/iris/model.joblib", "sklearn", "pvc://c/models/iris"),
        ("pvc://c/tf/flowers/0001/saved_model.pb", "tensorflow", "pvc://c/tf/flowers"),
        ("pvc://c//models/./model.joblib", None, "pvc://c/models"),
    ],
)
def test_file_uris_error_proposes_the_model_root(uri: str, framework: str | None, proposed: str) -> None:
    decision = run(uri, framework, file_uris="error")
    assert decision.new_uri is None
    [error] = [f for f in decision.findings if f.severity == "error"]
    assert error.code == "file-uri"
    assert error.proposed == proposed
    assert repr(proposed) in error.message


def test_repair_carries_its_proposal_only_when_not_applied() -> None:
    applied = run("pvc://c//models/./iris/")
    [warning] = applied.findings
    assert (warning.code, warning.proposed, applied.new_uri) == ("repaired-form", None, "pvc://c/models/iris/")
    blocked = run("pvc://c//models/./model.zip")
    assert blocked.new_uri is None
    assert [(f.code, f.proposed) for f in blocked.findings] == [
        ("repaired-form", "pvc://c/models/model.zip"),
        ("archive-direct", None),
    ]


@given(uri=uris(), policy=POLICIES)
def test_property_claim_placeholder_is_kept(uri: str, policy: Policy) -> None:
    """A placeholder only in the claim: the path is judged as with a real claim, the placeholder kept."""
    parsed = parse_pvc_uri(uri)
    assert parsed is not None
    templated = format_pvc_uri("${PVC_NAME}", parsed.segments, parsed.trailing_slash)
    plain = policy.decide(format_pvc_uri("claim", parsed.segments, parsed.trailing_slash))
    decision = policy.decide(templated)
    assert [(f.severity, f.code) for f in decision.findings] == [(f.severity, f.code) for f in plain.findings]
    if plain.new_uri is None:
        assert decision.new_uri is None
    else:
        assert decision.new_uri == plain.new_uri.replace("pvc://claim", "pvc://${PVC_NAME}", 1)


@given(uri=uris(), policy=POLICIES, pad=st.sampled_from([" ", "  ", "\n", "\t", " \r\n"]))
def test_property_surrounding_whitespace_is_repaired(uri: str, policy: Policy, pad: str) -> None:
    """A padded URI decides like the bare one, with the padding repaired (SPEC 3.3, careless URIs)."""
    bare = policy.decide(uri)
    padded = policy.decide(pad + uri + pad)
    if bare.has_error:
        assert padded.new_uri is None
        return
    assert padded.new_uri == (bare.new_uri or uri)
    assert ("warning", "repaired-form") in [(f.severity, f.code) for f in padded.findings]


def test_configured_extensions_are_normalized_before_matching() -> None:
    # The normalized list is cached per configured tuple; start from an empty cache so the
    # normalization itself runs here (and a mutation of it cannot hide behind an earlier test).
    model_files._longest_first.cache_clear()
    configured = (" .JOBLIB ", "pkl", "", ".", "  ")
    assert file_extension("models/iris/model.joblib", configured) == ".joblib"
    assert file_extension("models/iris/MODEL.PKL", configured) == ".pkl"
    assert file_extension("models/iris/model.onnx", configured) is None
    assert file_extension("models/iris/model.", configured) is None  # "." is no extension
    assert model_files._normalize_extensions(configured) == [".joblib", ".pkl"]


def test_a_segment_that_is_only_the_suffix_is_no_file_at_any_depth() -> None:
    # Only the last segment counts: "models/v1/.json" is a hidden file with no name, not a file
    # whose name ends in ".json".
    assert file_extension("models/v1/.json", DEFAULTS) is None
    assert not is_file_path("models/v1/.json", DEFAULTS)
    assert file_extension("models/v1/a.json", DEFAULTS) == ".json"


def test_a_control_character_is_named_in_the_error() -> None:
    decision = run("pvc://c/models/m\tx")
    assert [f.code for f in decision.findings] == ["control-char"]
    assert "the control character '\\t'" in decision.findings[0].message
    nul = run("pvc://c/models/m\x00")
    assert "a NUL character" in nul.findings[0].message


def test_a_name_only_suffix_is_a_directory_in_the_decision_too() -> None:
    # The decision joins the segments into a path and asks about its last segment: ".json" alone
    # names no file, whether it is the URI's last segment or the model root's.
    assert run("pvc://c/models/v1/.json") == UriDecision(None, ())
    assert run("pvc://c/m/.json/model.pkl").new_uri == "pvc://c/m/.json"  # no trailing '/': not a file


@pytest.mark.parametrize(
    ("uri", "what"),
    [
        (" pvc://c/m/model.pkl ", "surrounding whitespace"),
        (" pvc://c//m/model.pkl ", "empty or '.' path segments and surrounding whitespace"),
        ("pvc://c//m/model.pkl", "empty or '.' path segments"),
    ],
)
def test_the_repair_names_what_was_repaired(uri: str, what: str) -> None:
    repaired = run(uri).findings[0]
    assert repaired.code == "repaired-form"
    assert repaired.message == f"{uri!r} has {what}; repaired to 'pvc://c/m/model.pkl'."
