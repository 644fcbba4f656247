"""The hostile-input suite: every class of bad input, run through the real command.

Each case runs ``python -m krm_fn`` in a subprocess with a memory ceiling (RLIMIT_AS) and a generous
timeout, and checks the exit code (SPEC section 4: 2 = not a ResourceList, 1 = error results), that
stderr holds no traceback, that exit 2 comes with exactly one line on stderr and nothing on stdout,
and that any other exit writes a ResourceList that keeps every item in order.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import yaml
from tolerant_yaml import load

TIMEOUT = 120  # seconds; generous on purpose (2 shared cores), it only has to catch a hang
MEMORY = 2 * 2**30  # bytes of address space the child may use

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
ISVC_FILE = """\
- apiVersion: serving.kserve.io/v1beta1
  kind: InferenceService
  metadata:
    name: iris
  spec:
    predictor:
      model:
        modelFormat: {name: sklearn}
        storageUri: pvc://model-store/models/iris/model.joblib
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@dataclass
class Run:
    """One run of the command."""

    code: int
    stdout: bytes
    stderr: str

    @cached_property
    def doc(self) -> Any:
        """The output ResourceList, parsed."""
        return load(self.stdout)

    @property
    def results(self) -> list[dict[str, Any]]:
        """The output's results."""
        return list(self.doc.get("results") or [])


def run(stdin: bytes, env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> Run:
    """Run the function on ``stdin`` with bounded time and memory."""
    proc = subprocess.run(
        [sys.executable, "-m", "krm_fn", *args],
        input=stdin,
        capture_output=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))


def _bomb(levels: int = 9, where: str = "item") -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    if where == "wrapper":
        return HEAD + "items: []\nfunctionConfig:\n" + "".join(f"  {line}\n" for line in lines)
    body = "".join(f"  {line}\n" for line in lines)
    return HEAD + "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: bomb}\n" + body


@dataclass
class Case:
    """A hostile input, what must come of it, and any further check of the run."""

    name: str
    stdin: bytes
    code: int
    message: str = ""  # regex the one stderr line must match (exit 2)
    env: dict[str, str] = field(default_factory=dict)
    check: Callable[[Run, bytes], None] | None = None


def _items_unchanged(r: Run, stdin: bytes) -> None:
    """Every input item comes out with the same data (held or untouched)."""
    assert r.doc["items"] == load(stdin)["items"]


def _item_bytes_kept(fragment: str) -> Callable[[Run, bytes], None]:
    def check(r: Run, stdin: bytes) -> None:
        assert fragment.encode() in r.stdout, f"{fragment!r} is not in the output byte for byte"

    return check


def _error_names(pattern: str) -> Callable[[Run, bytes], None]:
    def check(r: Run, stdin: bytes) -> None:
        errors = [x["message"] for x in r.results if x["severity"] == "error"]
        assert any(re.search(pattern, m) for m in errors), errors

    return check


def _no_anchors(r: Run, stdin: bytes) -> None:
    events = list(yaml.parse(r.stdout, Loader=yaml.CSafeLoader))
    assert not [e for e in events if isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None)]
    assert any(x["severity"] == "warning" and "anchors and aliases" in x["message"] for x in r.results)


def _item_count(n: int) -> Callable[[Run, bytes], None]:
    def check(r: Run, stdin: bytes) -> None:
        assert len(r.doc["items"]) == n

    return check


def _crlf_only(r: Run, stdin: bytes) -> None:
    assert r.stdout.count(b"\n") == r.stdout.count(b"\r\n")


def _longer_than(n: int) -> Callable[[Run, bytes], None]:
    def check(r: Run, stdin: bytes) -> None:
        assert len(r.stdout) > n

    return check


def _both(*checks: Callable[[Run, bytes], None]) -> Callable[[Run, bytes], None]:
    def check(r: Run, stdin: bytes) -> None:
        for c in checks:
            c(r, stdin)

    return check


NOT_K8S = HEAD + "items:\n- 5\n- [1, 2]\n- hello\n- null\n- {a: b}\n- {kind: [x], metadata: 7}\n"
WRONG_TYPES = (
    HEAD
    + """items:
- apiVersion: serving.kserve.io/v1beta1
  kind: InferenceService
  metadata: {name: no-spec}
  spec: pvc://c/a.joblib
- apiVersion: serving.kserve.io/v1beta1
  kind: InferenceService
  metadata: {name: [x], namespace: 7, annotations: {a: [1]}, labels: 5}
  spec:
    predictor:
      model: {storageUri: 5, modelFormat: 3}
      sklearn: [pvc://c/a.joblib]
      storageUris: [1, {uri: 5, mountPath: [x]}, {uri: pvc://c/a.joblib, mountPath: 7}]
      containers: [1, {env: 5}, {env: [1, {name: STORAGE_URI, value: 3}, {name: [x], value: pvc://c/a.pkl}]}]
    transformer: pvc://c/x.joblib
    explainer: {art: [1]}
    canary: pvc://c/a.joblib
- apiVersion: serving.kserve.io/v1beta1
  kind: InferenceService
  metadata: {name: canary}
  spec: {predictor: [pvc://c/a.joblib], canary: [1, {predictor: 5}, {predictor: {model: {storageUri: {}}}}]}
- apiVersion: serving.kserve.io/v1alpha1
  kind: LLMInferenceService
  metadata: {name: llm}
  spec: {model: {uri: [pvc://c/a.safetensors], lora: {adapters: [1, {uri: 7}, "pvc://c/x"]}}}
- apiVersion: serving.kserve.io/v1alpha1
  kind: TrainedModel
  metadata: {name: tm}
  spec: {model: [pvc://c/a.joblib]}
- apiVersion: v1
  kind: Pod
  metadata: {name: p, annotations: {internal.serving.kserve.io/storage-initializer-sourceuri: [pvc://c/a.joblib]}}
  spec: {containers: {kserve-container: 1}, volumes: 5, initContainers: "x"}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d}
  spec: {replicas: many, template: [pvc://c/a.joblib]}
- apiVersion: v1
  kind: PersistentVolumeClaim
  metadata: {name: c}
  spec: {accessModes: ReadWriteOnce}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: inferenceservice-config, namespace: kserve}
  data: {storageInitializer: "{not json"}
"""
)
HOSTILE_URIS = (
    HEAD
    + "items:\n"
    + "".join(
        f"- apiVersion: serving.kserve.io/v1beta1\n  kind: InferenceService\n  metadata: {{name: u{i}}}\n"
        f"  spec: {{predictor: {{model: {{storageUri: {json.dumps(uri)}}}}}}}\n"
        for i, uri in enumerate(
            [
                "pvc://c/../../etc/passwd",
                "pvc://c/models/%2e%2e/%2F/a.joblib",
                "pvc://c/a\x01b/\u202emodel.joblib",
                "pvc://c/a\tb/m\r\nodel.joblib",
                "pvc:///abs/model.joblib",
                "pvc://",
                "pvc://UPPER_case/m.pkl",
                "pvc://c/" + "d/" * 20_000 + "model.joblib",
                "pvc://" + "c" * 100_000,
                "pvc://c/${MODEL}/model.joblib",
                "pvc://c/ünïcødé/模型.joblib",
            ]
        )
    )
)


def _crlf_bom_json_cases() -> list[Case]:
    crlf = (HEAD + "items:\n" + ISVC_FILE).replace("\n", "\r\n").encode()
    plain_item = "- apiVersion: v1\n  kind: ConfigMap  # ünïcødé コメント\n  metadata: {name: café-名前}\n"
    untouched = HEAD + "# commentaire: ça va\nitems:\n" + plain_item + ISVC_FILE
    as_json = json.dumps(load(HEAD + "items:\n" + ISVC_FILE)).encode()
    lone_cr_items = "- apiVersion: serving.kserve.io/v1beta1\n  kind: InferenceService\r-\n  metadata: {name: n}\n"
    lone_cr = (HEAD + "items:\n" + lone_cr_items + ISVC_FILE).encode()

    def explicit_key(key: str) -> bytes:
        isvc = "  - apiVersion: serving.kserve.io/v1beta1\n    kind: InferenceService\n    metadata: {name: a}\n"
        isvc += "    spec: {predictor: {model: {modelFormat: {name: sklearn}, storageUri: pvc://c/models/a}}}\n"
        return (HEAD + "items:\n" + isvc + "    ?" + key + "\n  - [1, two]\n  - {kind: ConfigMap}\n").encode()

    return [
        Case("crlf", crlf, 0, check=_crlf_only),
        Case("bom-crlf", b"\xef\xbb\xbf" + crlf, 0),
        Case("json", as_json, 0),
        Case("json-bom", b"\xef\xbb\xbf" + as_json, 0),
        Case("non-ascii-comments-and-names", untouched.encode(), 0, check=_item_bytes_kept(plain_item)),
        # A lone CR ends a line for YAML: "kind: InferenceService\r-" ends the item, and the "-"
        # starts a second one. The items' spans must end where libyaml ends the lines, or one
        # item's text holds the next one's dash (a traceback before).
        Case("lone-cr-starts-an-item", lone_cr, 0, check=_item_bytes_kept(lone_cr_items)),
        # "? key" with no value: its implicit null stands where the next token starts, on the
        # next item's line. An item's span must end with its key, not take the next item along.
        Case("explicit-key-last-in-an-item", explicit_key(" note"), 0, check=_items_unchanged),
        Case("explicit-mapping-key-last-in-an-item", explicit_key("    spec: {a: 1}"), 1, check=_items_unchanged),
    ]


CASES: list[Any] = [
    # Input that is not a ResourceList at all: exit 2, one line.
    Case("empty", b"", 2, "empty"),
    Case("whitespace", b" \n\t\r\n  ", 2, "empty"),
    Case("binary", bytes(range(256)) * 8, 2, "UTF-8|binary"),
    Case("nul-bytes", HEAD.encode() + b"items: []\n\x00\x00", 2, "binary"),
    Case("invalid-utf8", HEAD.encode() + b"items:\n- kind: \xc3\x28\n", 2, "not UTF-8"),
    Case("utf16", ("\ufeff" + HEAD + "items: []\n").encode("utf-16"), 2, "UTF-8"),
    Case("scalar-top", b"just a string\n", 2, "not a mapping"),
    Case("list-top", b"- a\n- b\n", 2, "not a mapping"),
    Case("no-kind", b"apiVersion: config.kubernetes.io/v1\nitems: []\n", 2, "not a ResourceList"),
    Case("wrong-kind", b"apiVersion: v1\nkind: Pod\nitems: []\n", 2, "not a ResourceList"),
    Case("items-string", (HEAD + "items: oops\n").encode(), 2, "items is not a list"),
    Case("items-mapping", (HEAD + "items: {a: 1}\n").encode(), 2, "items is not a list"),
    Case("items-number", (HEAD + "items: 5\n").encode(), 2, "items is not a list"),
    Case("several-documents", (HEAD + "items: []\n---\n" + HEAD + "items: []\n").encode(), 2, "more than one"),
    Case("tabs", (HEAD + "items:\n\t- a: 1\n").encode(), 2, "not valid YAML"),
    Case("broken-indentation", (HEAD + "items:\n  - a: 1\n b: 2\n").encode(), 2, "not valid YAML"),
    Case("unclosed-flow", (HEAD + "items: [{a: 1}\n").encode(), 2, "not valid YAML"),
    Case("undefined-alias", (HEAD + "items: [*nope]\n").encode(), 2, "not valid YAML"),
    # Limits: exit 2 with the limit named.
    Case("deep-flow", (HEAD + "items:\n- " + "[" * 100_000 + "]" * 100_000 + "\n").encode(), 2, "nested more than"),
    # Past what the main thread's stack holds for a libyaml older than 0.2.6 (about 30,000 levels).
    Case(
        "deep-flow-past-the-stack",
        (HEAD + "items:\n- " + "[" * 60_000 + "]" * 60_000 + "\n").encode(),
        2,
        "nested more",
    ),
    # Unclosed: the limit is passed long before the end, where the syntax error is, so it is reported.
    Case("deep-flow-unclosed", (HEAD + "items:\n- " + "{a: " * 20_000 + "\n").encode(), 2, "nested more than"),
    # Lines broken by CR alone: with an older libyaml the bound must see them as lines, or its
    # composer would crash.
    Case("deep-block-cr", (HEAD + "items:\n").replace("\n", "\r").encode() + b"- " * 40_000 + b"x\r", 2, "nested more"),
    Case(
        "deep-block",
        (HEAD + "items:\n" + "".join("  " * i + "- \n" for i in range(2_000))).encode(),
        2,
        "nested more than",
    ),
    Case("deep-json", ('{"items": [' + '{"a": ' * 20_000 + "1" + "}" * 20_000 + "]}").encode(), 2, "nested more"),
    Case("bomb-in-item", _bomb().encode(), 2, "aliases stand for more than"),
    Case("bomb-in-functionconfig", _bomb(where="wrapper").encode(), 2, "aliases stand for more than"),
    Case("recursive-alias", (HEAD + "items:\n- &a [*a]\n").encode(), 2, "contains it"),
    Case(
        "alias-deepens-past-limit",
        (
            HEAD
            + "items:\n- apiVersion: v1\n  kind: ConfigMap\n  a: &a "
            + "[" * 200
            + "]" * 200
            + "\n  b: "
            + "[" * 200
            + "*a"
            + "]" * 200
            + "\n"
        ).encode(),
        2,
        "levels deep once written out",
    ),
    Case(
        "bad-limit-setting",
        (HEAD + "items: []\n").encode(),
        2,
        "is not a positive whole number",
        env={"KSERVE_PVC_FN_MAX_INPUT_BYTES": "abc"},
    ),
    # Issue 23 row 4: values past the platform's sizes are read as the largest, never an OverflowError.
    Case(
        "huge-size-limit",
        (HEAD + "items: []\n").encode(),
        0,
        "",
        env={"KSERVE_PVC_FN_MAX_INPUT_BYTES": "9223372036854775807"},
    ),
    Case(
        "huge-limits",
        (HEAD + "items: []\n").encode(),
        0,
        "",
        env={"KSERVE_PVC_FN_MAX_INPUT_BYTES": "9" * 5000, "KSERVE_PVC_FN_MAX_ALIASES": "9" * 30},
    ),
    Case(
        "size-limit",
        (HEAD + "items: []\n").encode() + b"#" * 2000 + b"\n",
        2,
        "larger than the limit of 1000 bytes",
        env={"KSERVE_PVC_FN_MAX_INPUT_BYTES": "1000"},
    ),
    Case(
        "alias-limit",
        (HEAD + "items:\n- {a: &x 1, b: [*x, *x, *x]}\n").encode(),
        2,
        "more than 2 nodes",
        env={"KSERVE_PVC_FN_MAX_ALIASES": "2"},
    ),
    Case(
        "bad-limit-setting", (HEAD + "items: []\n").encode(), 2, "not a positive", env={"KSERVE_PVC_FN_MAX_DEPTH": "x"}
    ),
    Case(
        "limit-over-cap", (HEAD + "items: []\n").encode(), 2, "highest safe", env={"KSERVE_PVC_FN_MAX_DEPTH": "99999"}
    ),
    # Tags that would build objects: never constructed.
    Case(
        "python-tag-in-functionconfig",
        (HEAD + "items: []\nfunctionConfig: !!python/object/apply:os.system ['touch {marker}']\n").encode(),
        2,
        "python/object/apply",
    ),
    Case(
        "python-tag-in-results",
        (HEAD + "items: []\nresults: [!!python/name:os.system '']\n").encode(),
        2,
        "python/name",
    ),
    Case(
        "python-tag-in-item",
        (
            HEAD + "items:\n" + ISVC_FILE + "  status: !!python/object/apply:os.system ['touch {marker}']\n"
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: fine}\n"
        ).encode(),
        1,
        check=_both(_item_bytes_kept("status: !!python/object/apply:os.system"), _error_names("python/object")),
    ),
    Case(
        "local-tag-in-item",
        (HEAD + "items:\n- !Ref {kind: ConfigMap, metadata: {name: x}}\n").encode(),
        1,
        check=_both(_item_bytes_kept("- !Ref {kind: ConfigMap"), _error_names("'!Ref'")),
    ),
    # Issue 23 row 6: a %TAG shorthand is written as its verbatim tag (the output has no directive,
    # and must still be YAML); a tag outside the core schema is then held back, or exit 2 in the wrapper.
    Case(
        "tag-directive-python-in-item",
        (
            "%TAG !py! tag:yaml.org,2002:python/\n%TAG !k! tag:yaml.org,2002:\n---\n" + HEAD + "items:\n"
            "- {kind: ConfigMap, metadata: {name: x}, data: {a: !py!object/apply:os.system ['touch {marker}']}}\n"
            "- {kind: ConfigMap, metadata: {name: y}, data: {b: !k!str 5}}\n"
        ).encode(),
        1,
        check=_both(
            _item_bytes_kept("data: {a: !<tag:yaml.org,2002:python/object/apply:os.system> ['touch "),
            _error_names("python/object/apply"),
        ),
    ),
    Case(
        "tag-directive-python-in-wrapper",
        (
            "%TAG !py! tag:yaml.org,2002:python/\n---\n" + HEAD + "items: []\n"
            "functionConfig: !py!object/apply:os.system ['touch {marker}']\n"
        ).encode(),
        2,
        "python/object/apply",
    ),
    Case(
        "binary-tag-in-item",
        (HEAD + "items:\n- {kind: Secret, data: {k: !!binary aGVsbG8=}}\n").encode(),
        1,
        check=_error_names("binary"),
    ),
    # Duplicate keys: an error result and the item unchanged; in the wrapper, exit 2.
    Case(
        "duplicate-key-in-item",
        (HEAD + "items:\n" + ISVC_FILE + "        storageUri: pvc://model-store/other.joblib\n").encode(),
        1,
        check=_both(
            _item_bytes_kept("model.joblib\n        storageUri: pvc://model-store/other"),
            _error_names("duplicate key 'storageUri'"),
        ),
    ),
    Case("duplicate-key-in-wrapper", (HEAD + "kind: ResourceList\nitems: []\n").encode(), 2, "duplicate key 'kind'"),
    Case(
        "duplicate-key-in-functionconfig",
        (HEAD + "items: []\nfunctionConfig: {kind: ConfigMap, kind: PvcMountPolicy}\n").encode(),
        2,
        "duplicate key 'kind'",
    ),
    Case(
        "duplicate-key-json",
        b'{"apiVersion": "v1", "kind": "List", "items": [{"a": 1, "a": 2}]}',
        2,
        "duplicate key 'a'",
    ),
    Case(
        "bad-merge-key-in-item",
        (
            HEAD + "items:\n- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: m},"
            " spec: {predictor: {<<: 5, model: {storageUri: pvc://c/m.pkl}}}}\n"
        ).encode(),
        1,
        check=_error_names("merge key"),
    ),
    Case(
        "complex-key-in-item",
        (HEAD + "items:\n- {[a, b]: c, kind: ConfigMap}\n").encode(),
        1,
        check=_error_names("not a plain scalar"),
    ),
    # Anchors in items are written out, never emitted.
    Case(
        "anchors-in-item",
        (
            HEAD + "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x, labels: &l {a: b}}\n  data: *l\n"
        ).encode(),
        0,
        check=_no_anchors,
    ),
    Case("anchor-in-wrapper", (HEAD + "items: []\nfunctionConfig: &c {}\n").encode(), 2, "anchor or alias"),
    Case("alias-across-items", (HEAD + "items:\n- &a {kind: ConfigMap}\n- *a\n").encode(), 2, "each item must stand"),
    # Wrong types everywhere the function reads: no crash, every item still there.
    # (exit 1: one InferenceService sets both storageUri and storageUris, which KServe rejects)
    Case("wrong-types", WRONG_TYPES.encode(), 1, check=_item_count(9)),
    pytest.param(
        Case(
            "metadata-is-a-list",
            (
                HEAD + "items:\n- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: [x],"
                " spec: {predictor: {model: {storageUri: pvc://c/a.joblib}}}}\n"
            ).encode(),
            1,
        ),
        id="metadata-is-a-list",
    ),
    pytest.param(
        Case(
            "annotations-is-a-list",
            (
                HEAD + "items:\n- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: x,"
                " annotations: [a]}, spec: {predictor: {model: {storageUri: pvc://c/a.joblib}}}}\n"
            ).encode(),
            1,
        ),
        id="annotations-is-a-list",
    ),
    Case(
        "wrong-types-functionconfig",
        (
            HEAD
            + "items: []\nfunctionConfig: {kind: PvcMountPolicy, apiVersion: fn.kserve-pvc.dev/v1alpha1,\n"
            + "  spec: {mode: [x], fileExtensions: 5, selectors: {a: 1}, maxDepth: deep}}\n"
        ).encode(),
        1,
    ),
    pytest.param(
        Case("flow-style-wrapper", b"{apiVersion: config.kubernetes.io/v1, kind: ResourceList, items: []}\n", 0),
        id="flow-style-wrapper",
    ),
    Case(
        "invalid-timestamp-untouched",
        (
            HEAD + "items:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: t}, data: {a: 2024-00-01, b: 0x_}}\n"
        ).encode(),
        0,
        check=_item_bytes_kept("data: {a: 2024-00-01, b: 0x_}"),
    ),
    Case(
        "invalid-timestamp-in-expanded-item",
        (HEAD + "items:\n- {kind: ConfigMap, metadata: {name: t, labels: &l {a: b}}, x: *l, d: 2024-02-30}\n").encode(),
        0,
        check=_item_bytes_kept("d: '2024-02-30'"),
    ),
    pytest.param(
        Case(
            "invalid-timestamp-in-changed-item",
            (
                HEAD + "items:\n- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: x,"
                " annotations: {t: 2024-00-01}}, spec: {predictor: {model: {storageUri: pvc://c/m.pkl}}}}\n"
            ).encode(),
            0,
        ),
        id="invalid-timestamp-in-changed-item",
    ),
    Case("functionconfig-not-mapping", (HEAD + "items: []\nfunctionConfig: [1, 2]\n").encode(), 1),
    Case("hostile-uris", HOSTILE_URIS.encode(), 1, check=_error_names(r"'\.\.' path segment")),
    # Huge things within the limits: bounded time, nothing lost.
    Case(
        "huge-scalar",
        (
            HEAD
            + "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: big}\n  data: {x: "
            + "a" * 20_000_000
            + "}\n"
        ).encode(),
        0,
        check=_longer_than(20_000_000),
    ),
    Case(
        "huge-list",
        (HEAD + "items:\n" + "- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n" * 20_000).encode(),
        0,
        check=_item_count(20_000),
    ),
    Case(
        "huge-inner-list",
        (HEAD + "items:\n- apiVersion: v1\n  kind: List\n  items:\n" + "  - 1\n" * 300_000).encode(),
        0,
    ),
    *_crlf_bom_json_cases(),
    Case("not-kubernetes-objects", NOT_K8S.encode(), 0, check=_items_unchanged),
]


# A PyYAML whose libyaml (0.2.5) predates the scanner's own nesting limit, installed apart by
# `make test` from requirements/old-libyaml.txt: the guard's fallback must hold against it for real.
OLD_LIBYAML = Path(sys.executable).parent.parent / "old-libyaml"


def _old_libyaml_env() -> dict[str, str]:
    if not (OLD_LIBYAML / "yaml").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{OLD_LIBYAML} is missing; `make test` installs it")
        pytest.skip(f"{OLD_LIBYAML} is missing; `make test` installs it")
    return {"PYTHONPATH": os.pathsep.join([str(OLD_LIBYAML), os.environ.get("PYTHONPATH", "")])}


def test_the_older_libyaml_is_the_one_loaded() -> None:
    code = (
        "import yaml._yaml; from krm_fn import limits; print(yaml._yaml.get_version(), limits.LIBYAML_LIMITS_NESTING)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **_old_libyaml_env()},
        check=True,
    )
    assert out.stdout.split() == ["(0,", "2,", "5)", "False"], out.stdout


@pytest.mark.parametrize("libyaml", ["locked", "0.2.5"])
@pytest.mark.parametrize("case", CASES, ids=[c.name if isinstance(c, Case) else None for c in CASES])
def test_hostile_input(case: Case, libyaml: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    stdin = case.stdin.replace(b"{marker}", str(marker).encode())
    r = run(stdin, {**case.env, **(_old_libyaml_env() if libyaml == "0.2.5" else {})})
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    assert r.code == case.code, (r.code, r.stderr[-500:])
    assert not marker.exists(), "a tag ran code"
    if case.code == 2:
        assert r.stdout == b""
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("kserve-pvc-fn: ")
        assert re.search(case.message, lines[0]), lines[0]
        return
    assert r.stdout.strip(), "stdout is never empty unless the exit code is 2"
    doc = r.doc
    assert doc["kind"] in ("ResourceList", "List")
    errors = [x for x in r.results if x["severity"] == "error"]
    assert (r.code == 1) == bool(errors)
    summary = r.results[-1]["message"]
    assert f" {len(errors)} error(s)" in summary, summary
    if case.check is not None:
        case.check(r, stdin)


def test_render_refuses_hostile_files(tmp_path: Path) -> None:
    """render reads plain files: a limit hit in one is exit 2, naming the file.

    (A tag, a duplicate key or an alias holds back or expands one document, as in KRM mode:
    tests/test_render.py.)
    """
    cases = {
        "deep.yaml": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        r = run(b"", args=("render", str(path)))
        assert r.code == 2, (name, r.stderr)
        assert r.stdout == b""
        assert "Traceback" not in r.stderr
        line = r.stderr.strip()
        assert "\n" not in line, line
        assert name in line, line
        assert message in line, line


def test_render_stdin_with_a_limit_past_the_platform() -> None:
    """Issue 23 row 4: ``render -`` reads stdin with the same clamped limit (no OverflowError)."""
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    r = run(doc, env={"KSERVE_PVC_FN_MAX_INPUT_BYTES": "9223372036854775807"}, args=("render", "-"))
    assert (r.code, r.stdout) == (0, doc), r.stderr
    assert "Traceback" not in r.stderr
