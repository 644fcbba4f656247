"""``fix``: render's edits written back into the files they came from (SPEC 5.3).

The command runs in-process here (``cli.main`` with arguments); the golden cases
(``test_fix_golden.py``) and the crash test run it as a real process.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from krm_fn import writeback
from krm_fn.cli import main
from krm_fn.config import load_config
from krm_fn.fix import FileFix, fix_policy, unified_diff

FILE_URI = "pvc://store/iris/model.joblib"
ISVC = f"""\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris  # the iris classifier
spec:
  predictor:
    model:
      modelFormat: {{name: sklearn}}
      storageUri: {FILE_URI}  # written by hand
"""
FIXED = ISVC.replace(FILE_URI, "pvc://store/iris")
CONFIGMAP = """\
# a comment before the document
apiVersion: v1
kind: ConfigMap
metadata: {name: c}   # flow style, kept
data: {mode: '0755', on: yes}
"""


def run(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, bytes, str]:
    """``kserve-pvc-fn ARGS`` in-process: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as ended:
        main(list(args))
    out, err = capsysbinary.readouterr()
    code = ended.value.code
    assert isinstance(code, int)
    return code, out, err.decode()


@pytest.fixture(autouse=True)
def no_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)


def test_only_the_changed_document_is_replaced_every_other_byte_kept(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    text = "%YAML 1.1\n--- # the model\n" + ISVC + "--- # second, untouched\n" + CONFIGMAP + "...\n# trailing comment\n"
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "other.yaml").write_text(CONFIGMAP)
    before_other = (tmp_path / "other.yaml").stat().st_mtime_ns
    code, out, err = run(capsysbinary, "fix", str(tmp_path))
    assert code == 0, err
    assert out == b""
    assert (tmp_path / "a.yaml").read_text() == text.replace(ISVC, FIXED)
    assert (tmp_path / "other.yaml").stat().st_mtime_ns == before_other  # not even rewritten
    assert "original-storage-uris" not in (tmp_path / "a.yaml").read_text()  # recordOriginal off by default


@pytest.mark.parametrize("final_newline", [True, False])
def test_crlf_and_bom_are_kept(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], final_newline: bool) -> None:
    body = (CONFIGMAP + "---\n" + ISVC).replace("\n", "\r\n")
    body = body if final_newline else body.removesuffix("\r\n")
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    code, _, err = run(capsysbinary, "fix", str(path))
    assert code == 0, err
    assert path.read_bytes() == b"\xef\xbb\xbf" + body.replace(FILE_URI, "pvc://store/iris").encode()


def test_a_held_back_document_is_never_touched(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    held = ISVC.replace("kind: InferenceService\n", "kind: InferenceService\nkind: InferenceService\n")
    path = tmp_path / "a.yaml"
    path.write_text(held + "---\n" + ISVC)
    code, _, err = run(capsysbinary, "fix", str(path))
    assert code == 1  # the duplicate key is an error no rule can fix
    assert "duplicate key" in err
    assert path.read_text() == held + "---\n" + FIXED


def test_a_document_with_anchors_is_rewritten_only_when_a_rule_edits_it(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    anchored_untouched = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: &d {k: v}  # kept\nother: *d\n"
    anchored_edited = ISVC.replace("modelFormat: {name: sklearn}", "modelFormat: &f {name: sklearn}") + "x: *f\n"
    path = tmp_path / "a.yaml"
    path.write_text(anchored_untouched + "---\n" + anchored_edited)
    code, _, err = run(capsysbinary, "fix", str(path))
    assert code == 0, err
    first, second = path.read_text().split("---\n")
    assert first == anchored_untouched
    assert "&" not in second  # written out in full, as render writes it
    assert "*" not in second
    assert "storageUri: pvc://store/iris\n" in second


def test_json_files_are_not_rewritten_and_an_error_says_so(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "a.json.yaml"
    text = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": ' + (
        '{"internal.serving.kserve.io/storage-initializer-sourceuri": "pvc://c/m/model.joblib"}}, '
        '"spec": {"containers": [{"name": "kserve-container", "image": "i"}]}}\n'
    )
    path.write_text(text)
    code, _, err = run(capsysbinary, "fix", str(path))
    assert code == 1
    assert "a JSON file is not rewritten by fix" in err
    assert path.read_text() == text


def test_a_kustomize_patch_is_fixed_where_it_is_written(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """A strategic-merge patch is a partial resource with apiVersion, kind and name: read as one."""
    (tmp_path / "kustomization.yaml").write_text("resources: [../base]\npatches:\n- path: patch.yaml\n")
    patch = (
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: iris\n"
        f"spec:\n  predictor:\n    model:\n      storageUri: {FILE_URI}\n"
    )
    (tmp_path / "patch.yaml").write_text(patch)
    code, _, err = run(capsysbinary, "fix", str(tmp_path))
    assert code == 0, err
    assert (tmp_path / "patch.yaml").read_text() == patch.replace(FILE_URI, "pvc://store/iris")
    assert (tmp_path / "kustomization.yaml").read_text().startswith("resources:")


def test_an_item_of_a_list_is_fixed_inside_the_list(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    items = "".join("  " + line + "\n" if line else "\n" for line in ("- " + ISVC.replace("\n", "\n  ")).splitlines())
    text = "apiVersion: v1\nkind: List\nitems:\n" + items
    path = tmp_path / "list.yaml"
    path.write_text(text)
    run(capsysbinary, "fix", str(path))
    assert path.read_text() == text.replace(FILE_URI, "pvc://store/iris")


def test_diff_prints_a_unified_diff_writes_nothing_and_exits_1(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(ISVC)
    code, out, _ = run(capsysbinary, "fix", "--diff", str(path))
    assert code == 1
    assert path.read_text() == ISVC
    assert out.decode() == (
        f"--- {path}\n+++ {path}\n@@ -6,4 +6,4 @@\n   predictor:\n     model:\n"
        "       modelFormat: {name: sklearn}\n"
        f"-      storageUri: {FILE_URI}  # written by hand\n"
        "+      storageUri: pvc://store/iris  # written by hand\n"
    )
    # Nothing to change: an empty diff and exit 0.
    path.write_text(FIXED)
    assert run(capsysbinary, "fix", "--diff", str(path))[:2] == (0, b"")


def test_a_diff_of_a_file_without_a_final_newline_says_so() -> None:
    diff = unified_diff([FileFix("a.yaml", b"a: 1\nb: 2", b"a: 1\nb: 3")])
    assert diff.endswith("-b: 2\n\\ No newline at end of file\n+b: 3\n\\ No newline at end of file\n")


def test_exit_codes(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(ISVC)
    assert run(capsysbinary, "fix", str(good))[0] == 0  # everything fixed: nothing left
    broken = tmp_path / "archive.yaml"
    broken.write_text(ISVC.replace("model.joblib", "model.tar.gz"))
    code, _, err = run(capsysbinary, "fix", str(broken))
    assert code == 1  # an archive in direct mode: an error no rule fixes
    assert "archive" in err
    assert run(capsysbinary, "fix", "-")[0] == 2  # nothing to write back to
    assert run(capsysbinary, "fix", str(tmp_path / "missing.yaml"))[0] == 2


def test_nothing_to_read_is_exit_2(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (tmp_path / "c.yaml").write_text("# nothing\n")
    assert run(capsysbinary, "fix", str(tmp_path))[0] == 2


def test_record_original_is_off_by_default_and_obeyed_when_set(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(ISVC)
    assert run(capsysbinary, "fix", "--set", "recordOriginal=true", str(path))[0] == 0
    assert "fn.kserve-pvc.dev/original-storage-uris" in path.read_text()
    spec, _ = load_config({"apiVersion": "fn.kserve-pvc.dev/v1alpha1", "kind": "PvcMountPolicy", "spec": {}})
    assert spec is not None
    assert fix_policy(spec).recordOriginal is False
    validate, _ = load_config(
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"mode": "validate", "recordOriginal": "true"}}
    )
    assert validate is not None
    assert (fix_policy(validate).mode, fix_policy(validate).recordOriginal) == ("mutate", True)


def test_mode_is_kept_and_a_symlink_stays_a_link_written_once(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real" / "isvc.yaml"
    real.parent.mkdir()
    real.write_text(ISVC)
    real.chmod(0o640)
    links = tmp_path / "links"
    links.mkdir()
    for name in ("one.yaml", "two.yaml"):
        (links / name).symlink_to(real)
    writes: list[str] = []
    monkeypatch.setattr(writeback, "step_hook", lambda step, path: writes.append(path) if step == "renamed" else None)
    code, _, err = run(capsysbinary, "fix", str(links / "one.yaml"), str(links / "two.yaml"), str(real))
    assert code == 0, err
    assert writes == [str(real)]
    assert real.read_text() == FIXED
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert all((links / n).is_symlink() and os.readlink(links / n) == str(real) for n in ("one.yaml", "two.yaml"))
    assert sorted(p.name for p in real.parent.iterdir()) == ["isvc.yaml"]  # no temporary file left


def test_a_file_that_cannot_be_written_is_named_and_the_others_are_fixed(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (tmp_path / name).write_text(ISVC)

    def disk_full(step: str, path: str) -> None:
        if step == "written" and path.endswith("b.yaml"):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(writeback, "step_hook", disk_full)
    code, _, err = run(capsysbinary, "fix", str(tmp_path))
    assert code == 1
    assert f"{tmp_path / 'b.yaml'}: cannot write the fixed file (No space left on device)" in err
    assert [(tmp_path / n).read_text() == FIXED for n in ("a.yaml", "b.yaml", "c.yaml")] == [True, False, True]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml", "c.yaml"]


def test_a_file_changed_while_fixing_is_not_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("old\n")

    def editor_saves(step: str, target: str) -> None:
        if step == "mode-set":
            Path(target).write_text("the editor's text\n")

    monkeypatch.setattr(writeback, "step_hook", editor_saves)
    errors = writeback.write_files({str(path): (b"old\n", b"new\n")})
    assert [e.path for e in errors] == [str(path)]
    assert "changed on disk" in errors[0].reason
    assert path.read_text() == "the editor's text\n"


def test_a_link_found_in_a_walk_never_leads_a_write_outside_the_paths_given(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    outside = tmp_path / "outside" / "isvc.yaml"
    outside.parent.mkdir()
    outside.write_text(ISVC)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.yaml").symlink_to(outside)
    code, _, err = run(capsysbinary, "fix", str(repo))
    assert code == 1
    assert "a symbolic link leads outside the paths given" in err
    assert outside.read_text() == ISVC
    # Named on the command line, the link is the user's choice: its target is written.
    assert run(capsysbinary, "fix", str(repo / "link.yaml"))[0] == 0
    assert outside.read_text() == FIXED


def test_help_and_version(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, _ = run(capsysbinary, "fix", "--help")
    assert code == 0
    assert b"--diff" in out
    assert b"Exit codes" in out
    assert b"Examples" in out
    code, out, _ = run(capsysbinary, "fix", "--version")
    assert code == 0
    assert out.startswith(b"kserve-pvc-fn, version ")


def test_fix_fails_on_warnings_when_asked_and_writes_a_results_file(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """``--fail-on warning`` counts what a rule cannot fix at warning level too; ``--results-file``
    gets the ``-o`` format while stderr keeps the human output (SPEC 5.2, 5.3)."""
    (tmp_path / "isvc.yaml").write_text(ISVC.replace(FILE_URI, "pvc://store/iris/model.bst"))  # sklearn + .bst
    code, _, _ = run(capsysbinary, "fix", str(tmp_path))
    assert code == 0  # fixed; what is left is a warning
    (tmp_path / "isvc.yaml").write_text(ISVC.replace(FILE_URI, "pvc://store/iris/model.bst"))
    results = tmp_path / "results.json"
    code, _, err = run(
        capsysbinary, "fix", "--fail-on", "warning", "-o", "json", "--results-file", str(results), str(tmp_path)
    )
    assert code == 1
    assert "warning" in err
    assert any(r["severity"] == "warning" for r in json.loads(results.read_text()))


def test_fix_names_a_helm_chart_it_did_not_read(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "isvc.yaml").write_text("{{ .Values.x }}\n")
    (tmp_path / "isvc.yaml").write_text(ISVC)
    code, _, err = run(capsysbinary, "fix", str(tmp_path))
    assert code == 0
    assert "a Helm chart: its templates were not read or checked" in err
    assert (tmp_path / "isvc.yaml").read_text() == FIXED
