"""examples/kpt/kserve-models with the real kpt: eval and render, as exec and as the real image.

kpt runs images with docker unless told otherwise: with podman, ``KPT_FN_RUNTIME=podman`` (README).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from e2e_support import IMAGE, REPO, image, matches_expected, require, run, tool_env

PACKAGE = REPO / "examples" / "kpt" / "kserve-models"
EXPECTED = REPO / "examples" / "kpt" / "expected" / "kserve-models"
FILES = sorted(p.name for p in PACKAGE.iterdir() if p.is_file())
RUNNERS = ["exec", "image"]


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A fresh copy of the example package (kpt rewrites it in place)."""
    return Path(shutil.copytree(PACKAGE, tmp_path / "kserve-models"))


def _env(tmp_path: Path, runner: str) -> dict[str, str]:
    if runner == "image":
        image()
        return {**tool_env(tmp_path), "KPT_FN_RUNTIME": "podman"}
    return tool_env(tmp_path, fn_on_path=True)


def _use(package: Path, runner: str) -> None:
    """The Kptfile as shipped (exec), or with every function as the image, as the README shows."""
    if runner == "image":
        kptfile = package / "Kptfile"
        kptfile.write_text(kptfile.read_text().replace("exec: kserve-pvc-fn", f"image: {IMAGE}"))


def _assert_rewritten_in_place(package: Path, *, kptfile_changed: bool = False) -> None:
    for name in FILES:
        before = (PACKAGE / name).read_text(encoding="utf-8")
        after = (package / name).read_bytes()
        if name != "Kptfile" or not kptfile_changed:
            matches_expected(after, EXPECTED / name)
        text = after.decode()
        # Comments and quoting survive; only the storage URI line changed, plus inserted lines.
        for line in before.splitlines():
            if "storageUri: pvc://model-store/models/iris/model.joblib" not in line and "exec:" not in line:
                assert line in text.splitlines(), f"{name}: lost line {line!r}"
    assert "storageUri: pvc://model-store/models/iris\n" in (package / "sklearn-iris.yaml").read_text()
    assert (package / "xgb-churn.yaml").read_bytes() == (PACKAGE / "xgb-churn.yaml").read_bytes()


@pytest.mark.parametrize("runner", RUNNERS)
def test_render_rewrites_the_package_in_place(tmp_path: Path, package: Path, runner: str) -> None:
    kpt = require("kpt")
    _use(package, runner)
    argv = [kpt, "fn", "render", *(["--allow-exec"] if runner == "exec" else []), str(package)]
    done = run(argv, _env(tmp_path, runner))
    assert done.returncode == 0, done.stderr.decode()
    assert b"would change" not in done.stderr.replace(b"0 would change", b""), "validator found something left"
    _assert_rewritten_in_place(package, kptfile_changed=runner == "image")


def test_eval_exec_with_key_value_config(tmp_path: Path, package: Path) -> None:
    kpt = require("kpt")
    argv = [kpt, "fn", "eval", "--exec", "kserve-pvc-fn", str(package), "--", "mountMode=direct", "fileUris=directory"]
    done = run(argv, _env(tmp_path, "exec"))
    assert done.returncode == 0, done.stderr.decode()
    _assert_rewritten_in_place(package)


def test_eval_image_with_podman(tmp_path: Path, package: Path) -> None:
    """The README recipe: `KPT_FN_RUNTIME=podman kpt fn eval --image docker.io/library/kserve-pvc-fn:dev`."""
    kpt = require("kpt")
    argv = [kpt, "fn", "eval", "--image", IMAGE, str(package), "--", "mountMode=direct"]
    done = run(argv, _env(tmp_path, "image"))
    assert done.returncode == 0, done.stderr.decode()
    _assert_rewritten_in_place(package)


@pytest.mark.parametrize("runner", RUNNERS)
def test_validator_stops_a_render_with_a_file_uri(tmp_path: Path, package: Path, runner: str) -> None:
    """A gate-only pipeline (validators, no mutator): a file URI fails the render, nothing is written."""
    kpt = require("kpt")
    kptfile = package / "Kptfile"
    text = kptfile.read_text()
    start, end = text.index("  mutators:"), text.index("  validators:")
    kptfile.write_text(text[:start] + text[end:])
    _use(package, runner)
    argv = [kpt, "fn", "render", *(["--allow-exec"] if runner == "exec" else []), str(package)]
    done = run(argv, _env(tmp_path, runner))
    assert done.returncode != 0
    assert b"[error]" in done.stderr
    assert b"would rewrite" in done.stderr
    for name in FILES:
        if name != "Kptfile":
            assert (package / name).read_bytes() == (PACKAGE / name).read_bytes()


def test_validator_config_is_the_policy_in_validate_mode() -> None:
    policy = yaml.safe_load((PACKAGE / "kserve-pvc-policy.yaml").read_text())
    validate = yaml.safe_load((PACKAGE / "kserve-pvc-policy-validate.yaml").read_text())
    assert validate["spec"] == {**policy["spec"], "mode": "validate"}
    kptfile = yaml.safe_load((PACKAGE / "Kptfile").read_text())
    assert [f["configPath"] for f in kptfile["pipeline"]["mutators"]] == ["kserve-pvc-policy.yaml"]
    assert [f["configPath"] for f in kptfile["pipeline"]["validators"]] == ["kserve-pvc-policy-validate.yaml"]


def test_render_passes_its_own_validator_in_copy_mode(tmp_path: Path, package: Path) -> None:
    """`mountMode: copy` in the policy (both files, as their comments say): the render succeeds.

    Copy mode exists for InferenceServices only up to KServe 0.15, so the policy says which
    release it is for; with a newer one the function judges their URIs as direct mode.
    """
    kpt = require("kpt")
    for name in ("kserve-pvc-policy.yaml", "kserve-pvc-policy-validate.yaml"):
        path = package / name
        path.write_text(path.read_text().replace("mountMode: direct", 'mountMode: copy\n  kserveVersion: "0.15"'))
    done = run([kpt, "fn", "render", "--allow-exec", str(package)], _env(tmp_path, "exec"))
    assert done.returncode == 0, done.stderr.decode()
    assert b"single file, which the copy-mode storage initializer handles" in done.stderr
    assert (package / "sklearn-iris.yaml").read_bytes() == (PACKAGE / "sklearn-iris.yaml").read_bytes()


def test_a_warning_reaches_the_user(tmp_path: Path, package: Path) -> None:
    """kpt prints the ResourceList's results itself, warnings included (it cuts them to a few lines
    unless told --truncate-output=false); the function adds nothing on stderr then."""
    (package / "tf-in-sklearn.yaml").write_text(
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: tf-in-sklearn\n"
        "spec:\n  predictor:\n    model:\n      modelFormat: {name: sklearn}\n"
        "      storageUri: pvc://model-store/tf/model/saved_model.pb\n"
    )
    argv = [require("kpt"), "fn", "eval", "--exec", "kserve-pvc-fn", "--truncate-output=false", str(package)]
    done = run([*argv, "--", "mountMode=direct"], tool_env(tmp_path, fn_on_path=True))
    assert done.returncode == 0, done.stderr.decode()
    assert b"[warning] serving.kserve.io/v1beta1/InferenceService/tf-in-sklearn" in done.stderr
    assert b"The sklearn server never loads 'saved_model.pb'" in done.stderr


def test_a_warning_survives_kpts_truncation(tmp_path: Path, package: Path) -> None:
    """With its default --truncate-output kpt prints a function's first four results: errors and
    warnings come before the info results, so many rewrites cannot hide a warning."""
    for n in range(6):
        (package / f"iris-{n}.yaml").write_text(
            f"apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: iris-{n}\n"
            "spec:\n  predictor:\n    model:\n      modelFormat: {name: sklearn}\n"
            f"      storageUri: pvc://model-store/models/iris-{n}/model.joblib\n"
        )
    (package / "zz-onnx-in-sklearn.yaml").write_text(
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: zz-onnx\n"
        "spec:\n  predictor:\n    model:\n      modelFormat: {name: sklearn}\n"
        "      storageUri: pvc://model-store/models/zz/model.onnx\n"
    )
    argv = [require("kpt"), "fn", "eval", "--exec", "kserve-pvc-fn", str(package)]
    done = run([*argv, "--", "mountMode=direct"], tool_env(tmp_path, fn_on_path=True))
    assert done.returncode == 0, done.stderr.decode()
    assert b"line(s) truncated" in done.stderr  # the case this test is about
    assert b"[warning] serving.kserve.io/v1beta1/InferenceService/zz-onnx" in done.stderr
