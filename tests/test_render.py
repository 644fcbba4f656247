"""``render`` and ``check`` as repository tools, run as real processes the way users run them:
discovery, the per-document YAML policy, closed streams, limits, config errors and the table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from samples import ISVC

from krm_fn.config import PolicySpec
from krm_fn.discovery import discover
from krm_fn.documents import STDIN, Source
from krm_fn.ignores import matches
from krm_fn.limits import Limits
from krm_fn.render import run_render

ENV = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "KSERVE_PVC_FN_TABLE")}
FN = f'"{sys.executable}" -m krm_fn'


def run(*args: str, stdin: bytes = b"", cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "krm_fn", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env={**ENV, **env},
    )


def shell(script: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """A command line as a user types it (redirections, pipes), in bash."""
    return subprocess.run(["bash", "-c", script], capture_output=True, timeout=120, check=False, cwd=cwd, env=ENV)


def one_line_refusal(proc: subprocess.CompletedProcess[bytes], needle: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert b"Traceback" not in proc.stderr
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("kserve-pvc-fn: ")
    assert needle in lines[0], lines[0]


# --- closed and broken streams -------------------------------------------------------------------


def test_closed_stdin_in_krm_mode_and_render(tmp_path: Path) -> None:
    one_line_refusal(shell(f"{FN} <&-", tmp_path), "stdin is closed")
    one_line_refusal(shell(f"{FN} render - <&-", tmp_path), "stdin is closed")


def test_closed_stdout(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(ISVC.format(name="a"))
    one_line_refusal(shell(f"{FN} render f.yaml >&-", tmp_path), "stdout is closed")
    one_line_refusal(shell(f"{FN} >&- < f.yaml", tmp_path), "stdout is closed")


def test_a_reader_that_goes_away_is_one_line_and_exit_2(tmp_path: Path) -> None:
    # Far more than a pipe's buffer, so that the write is still going when head has left.
    (tmp_path / "big.yaml").write_text("---\n".join(ISVC.format(name=f"m{i}") for i in range(3000)))
    proc = shell(f"set -o pipefail; {FN} render big.yaml | head -c 100 > /dev/null", tmp_path)
    one_line_refusal(proc, "broken pipe")


# --- discovery -----------------------------------------------------------------------------------


def test_discovery_skips_hidden_build_files_and_ignored(tmp_path: Path) -> None:
    for rel, text in {
        ".github/workflows/ci.yaml": "name: ci\n",
        ".pre-commit-config.yaml": "repos: []\n",
        "kustomization.yaml": "resources: [a.yaml]\n",
        "a.yaml": ISVC.format(name="a"),
        "sub/b.yml": ISVC.format(name="b"),
        "sub/notes.txt": "not yaml: [",
        "tmp/c.yaml": ISVC.format(name="c"),
        "gen/x.gen.yaml": ISVC.format(name="x"),
        ".kserve-pvc-fn-ignore": "# generated\ntmp/\n*.gen.yaml\n",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "sub" / "link.yaml").symlink_to(tmp_path / "a.yaml")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    found = discover([str(tmp_path)])
    assert [Path(f).relative_to(tmp_path).as_posix() for f in found.files] == ["a.yaml", "sub/b.yml"]
    reasons = {Path(s.path).relative_to(tmp_path).as_posix(): s.reason for s in found.skipped}
    assert reasons == {
        "kustomization.yaml": "a kustomize or kpt build file",
        "tmp": "excluded",
        "gen/x.gen.yaml": "excluded",
    }
    found = discover([str(tmp_path), "-"], excludes=["sub/"])
    assert [Path(f).name for f in found.files] == ["a.yaml", "-"]


@pytest.mark.parametrize(
    ("path", "pattern", "is_dir", "hit"),
    [
        ("a/b/c.yaml", "*.yaml", False, True),
        ("a/b/c.yaml", "b/", False, True),
        ("a/b", "b/", True, True),
        ("b.yaml", "b/", False, False),
        ("charts/web/templates/d.yaml", "charts/*/templates/", False, True),
        ("charts/web/values.yaml", "charts/*/templates/", False, False),
        ("x/charts/web/templates/d.yaml", "charts/*/templates/", False, False),
    ],
)
def test_ignore_patterns(path: str, pattern: str, is_dir: bool, hit: bool) -> None:
    assert matches(path, [pattern], is_dir) is hit


def test_a_missing_path_is_exit_2(tmp_path: Path) -> None:
    one_line_refusal(run("render", str(tmp_path / "nope")), "no such file or directory")


def test_stdin_documents_are_all_resources_and_files_skip_non_objects(tmp_path: Path) -> None:
    stream = b"name: workflow\non: push\n---\n" + ISVC.format(name="a").encode()
    (tmp_path / "ci.yaml").write_bytes(stream)
    from_file = run("render", "--list-skipped", "ci.yaml", cwd=tmp_path)
    from_stdin = run("render", "-", stdin=stream)
    assert from_file.returncode == from_stdin.returncode == 0
    assert b"workflow" not in from_file.stdout
    assert b"skipped ci.yaml (document 0): not a Kubernetes object" in from_file.stderr
    assert b"1 skipped" in from_file.stderr
    assert from_stdin.stdout.startswith(b"name: workflow\non: push\n---\n")


# --- one YAML policy, per document ---------------------------------------------------------------


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: [\n")
    (tmp_path / "b.yaml").write_text(ISVC.format(name="b"))
    proc = run("check", str(tmp_path))
    assert proc.returncode == 1
    stderr = proc.stderr.decode()
    assert "a.yaml: input is not valid YAML" in stderr
    assert "would rewrite 'pvc://store/b/model.joblib' to 'pvc://store/b'" in stderr
    # Only when nothing at all can be read is the run refused.
    one_line_refusal(run("render", str(tmp_path / "a.yaml")), "a.yaml")


def test_krm_and_render_hold_back_and_expand_the_same_documents(tmp_path: Path) -> None:
    """The same item in a ResourceList and as a document of a file: the same severities."""
    docs = {
        "tag": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata: !!binary aGk=\n",
        "dup": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {a: '1', a: '2'}\n",
        "alias": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, labels: &l {a: b}}\ndata: *l\n",
    }
    for name, text in docs.items():
        (tmp_path / f"{name}.yaml").write_text(text)
        rendered = run("render", "--output", "json", f"{name}.yaml", cwd=tmp_path)
        item = "  " + text.replace("\n", "\n  ").rstrip() + "\n"
        krm = run(stdin=f"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n-{item[1:]}".encode())
        render_results = json.loads(rendered.stderr)
        krm_results = yaml.safe_load(krm.stdout)["results"]
        assert rendered.returncode == krm.returncode, name
        if name == "alias":
            # SPEC 4: render passes a document no rule edits verbatim, anchors and all; the KRM
            # output never carries them, so the item is written out (a warning, counted as changed).
            assert rendered.stdout.decode() == text
            assert [r["severity"] for r in render_results] == ["info"]
            assert [r["severity"] for r in krm_results] == ["warning", "info"]
            assert "1 changed" in krm_results[-1]["message"]
            continue
        assert [r["severity"] for r in render_results] == [r["severity"] for r in krm_results], name


def test_directives_are_read_like_in_krm_mode(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text("%YAML 1.1\n---\n" + ISVC.format(name="d"))
    proc = run("render", "d.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert b"%YAML" not in proc.stdout
    assert b"storageUri: pvc://store/d\n" in proc.stdout


# --- limits in every mode ------------------------------------------------------------------------


def test_a_tighter_limit_in_render_changes_nothing(tmp_path: Path) -> None:
    """One meaning in every mode (SECURITY.md): over a limit the config tightened, the run changes
    nothing and says so in an error result naming the key (exit 1); the environment's ceilings
    refuse the input (exit 2)."""
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a"))
    proc = run("render", "--output", "json", "--set", "maxInputBytes=10", "a.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.decode() == ISVC.format(name="a")
    errors = [r for r in json.loads(proc.stderr) if r["severity"] == "error"]
    assert [(r["field"]["path"], r["message"]) for r in errors] == [
        ("maxInputBytes", f"functionConfig: the input is {len(ISVC.format(name='a'))} bytes, over maxInputBytes: 10")
    ]
    proc = run("render", "a.yaml", cwd=tmp_path, KSERVE_PVC_FN_MAX_INPUT_BYTES="10")
    one_line_refusal(proc, "a.yaml is larger than the limit of 10 bytes")
    assert proc.stdout == b""


def test_a_tighter_limit_in_krm_mode_changes_nothing() -> None:
    stdin = (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- "
        + ISVC.format(name="a").replace("\n", "\n  ").rstrip()
        + "\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data: {maxInputBytes: '10'}\n"
    ).encode()
    proc = run(stdin=stdin)
    assert proc.returncode == 1
    out = yaml.safe_load(proc.stdout)
    assert out["items"][0]["spec"]["predictor"]["sklearn"]["storageUri"] == "pvc://store/a/model.joblib"
    assert [r["field"]["path"] for r in out["results"] if r["severity"] == "error"] == ["maxInputBytes"]


# --- config errors the same way everywhere -------------------------------------------------------


def test_a_bad_set_value_exits_1_with_no_stream_and_names_its_origin(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a"))
    proc = run("render", "--set", "mountMode=drect", "a.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert "--set mountMode: Input should be 'direct' or 'copy' (got 'drect'); did you mean 'direct'?" in (
        proc.stderr.decode()
    )
    proc = run("render", "--set", "mountmode=direct", "a.yaml", cwd=tmp_path)
    assert "--set mountmode: unknown key" in proc.stderr.decode()
    assert "did you mean 'mountMode'?" in proc.stderr.decode()
    proc = run("check", "--set", "exclude=namespace=x", "a.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert 'exclude=[{"namespace": "legacy"}]' in proc.stderr.decode()


def test_a_bad_config_file_names_the_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a"))
    (tmp_path / "p.yaml").write_text(
        "apiVersion: fn.kserve-pvc.dev/v1alpha1\nkind: PvcMountPolicy\nspec:\n  mountMode: sideways\n"
    )
    proc = run("render", "--config", "p.yaml", "a.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert "--config p.yaml: spec.mountMode: Input should be 'direct' or 'copy'" in proc.stderr.decode()
    # A --set over a good config file: each bad key is named where it was written.
    (tmp_path / "p.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  fileUris: directory\n")
    proc = run("render", "--config", "p.yaml", "--set", "readOnly=maybe", "a.yaml", cwd=tmp_path)
    assert "--set readOnly: Input should be 'preserve', true or false (got 'maybe')" in proc.stderr.decode()
    one_line_refusal(run("render", "--config", "missing.yaml", "a.yaml", cwd=tmp_path), "--config missing.yaml")


# --- results people can read ---------------------------------------------------------------------


def test_human_output_fits_columns_and_json_has_the_full_text(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a-model-with-a-rather-long-name-for-its-row"))
    table = run("render", "a.yaml", cwd=tmp_path, COLUMNS="80")
    assert table.returncode == 0
    lines = table.stderr.decode().splitlines()
    assert lines[0].startswith("a.yaml:3:1: info: ")  # metadata: the annotations it adds are not there yet
    assert max(len(line) for line in lines) <= 80
    full = run("render", "--output", "json", "a.yaml", cwd=tmp_path, COLUMNS="80")
    messages = [r["message"] for r in json.loads(full.stderr)]
    assert any(len(m) > 80 and "names a file" in m for m in messages)


def test_identical_findings_are_grouped_and_quiet_keeps_errors(tmp_path: Path) -> None:
    bad = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {{name: m{i}}}\nspec:\n"
    bad += "  predictor: {{sklearn: {{storageUri: 'pvc://Bad_Claim/m'}}}}\n"
    (tmp_path / "many.yaml").write_text("---\n".join(bad.format(i=i) for i in range(412)))
    (tmp_path / "ok.yaml").write_text(ISVC.format(name="ok"))
    proc = run("check", ".", cwd=tmp_path)
    lines = proc.stderr.decode().splitlines()
    grouped = [line for line in lines if "411 more like this: " in line]
    assert len(grouped) == 1
    assert all(f"many.yaml:{6 * i + 5}:37" in grouped[0] for i in range(1, 412))  # every place is named
    assert len(lines) < 15
    quiet = run("check", "--quiet", ".", cwd=tmp_path).stderr.decode().splitlines()
    firsts = [line for line in quiet if line and not line.startswith(" ")]
    assert [line.split(": ")[1] for line in firsts[:-1]] == ["error", "error"]
    assert firsts[-1].startswith("kserve-pvc-fn: ")


def test_krm_mode_prints_every_problem_only_when_asked_or_on_a_terminal() -> None:
    stdin = (
        b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: serving.kserve.io/v1beta1\n"
    )
    stdin += b"  kind: TrainedModel\n  metadata: {name: t}\n  spec: {model: {storageUri: 'pvc://c/m'}}\n"
    quiet = run(stdin=stdin)
    assert quiet.returncode == 1
    assert len(quiet.stderr.decode().strip().splitlines()) == 1  # kpt prints the results itself
    assert quiet.stderr.startswith(b"kserve-pvc-fn: error: ")
    for asked in (run(stdin=stdin, KSERVE_PVC_FN_TABLE="1"), run(stdin=stdin, LOG_TO_STDERR="true")):
        lines = asked.stderr.decode().splitlines()
        assert lines
        assert all(line.startswith("TrainedModel/t: error: ") for line in lines), lines
    assert run(stdin=stdin, LOG_TO_STDERR="true", KSERVE_PVC_FN_TABLE="0").stderr == quiet.stderr


# --- invariants ----------------------------------------------------------------------------------

_NAMES = st.text(alphabet="abcdefghij-", min_size=1, max_size=8).map(lambda s: "a" + s.strip("-") + "z")
_COMMENTS = st.sampled_from(["", " # note", "  # second"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_NAMES, _COMMENTS, st.booleans(), st.booleans()), min_size=1, max_size=6))
def test_untouched_documents_come_out_as_they_went_in(docs: list[tuple[str, str, bool, bool]]) -> None:
    """A stream of resources that need no change is written back byte for byte, marker comments
    included; rendering the output again changes nothing."""
    parts = []
    for n, (name, comment, is_object, flow) in enumerate(docs):
        body = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"
            if flow
            else (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}  # kept\n")
        )
        if not is_object:
            body = f"# just a comment about {name}\n"
        parts.append(("---" + comment + "\n" if n or comment else "") + body)
    text = "".join(parts)
    spec = PolicySpec()
    out = run_render([Source(STDIN, text.encode())], spec, Limits(), allow_empty=True)
    assert out.stream == text
    again = run_render([Source(STDIN, out.stream.encode())], spec, Limits(), allow_empty=True)
    assert again.stream == out.stream


def test_named_files_honour_the_working_directory_ignore_file(tmp_path: Path) -> None:
    """pre-commit names staged files one by one from the repository root."""
    (tmp_path / "charts" / "web" / "templates").mkdir(parents=True)
    (tmp_path / "charts" / "web" / "templates" / "d.yaml").write_text("{{- if .Values.on }}\nkind: A\n{{- end }}\n")
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a"))
    named = ("check", "charts/web/templates/d.yaml", "a.yaml")
    proc = run(*named, cwd=tmp_path)
    assert proc.returncode == 1
    assert b"looks like an unrendered template" in proc.stderr
    assert b"would rewrite" in proc.stderr
    (tmp_path / ".kserve-pvc-fn-ignore").write_text("charts/*/templates/\n")
    proc = run(*named, "--list-skipped", cwd=tmp_path)
    assert b"unrendered template" not in proc.stderr
    assert b"skipped charts/web/templates/d.yaml: excluded" in proc.stderr


def test_a_file_that_is_not_text_is_an_error_result_and_the_others_are_rendered(tmp_path: Path) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00\x01 binary")
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a"))
    proc = run("render", "-o", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert b"storageUri: pvc://store/a\n" in proc.stdout
    errors = [r for r in json.loads(proc.stderr) if r["severity"] == "error"]
    assert [r["file"]["path"] for r in errors] == ["bin.yaml"]
    assert "not UTF-8" in errors[0]["message"]
    one_line_refusal(run("render", "bin.yaml", cwd=tmp_path), "bin.yaml")


def test_a_closed_stderr_still_gives_the_exit_code(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: [\n")
    proc = shell(f"{FN} render a.yaml 2>&-", tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == b""


def test_an_alias_bomb_in_one_file_is_a_limit_for_the_whole_run(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    (tmp_path / "bomb.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n" + "\n".join(lines) + "\n"
    )
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a"))
    proc = run("render", ".", cwd=tmp_path)
    one_line_refusal(proc, "bomb.yaml: aliases stand for more than")
    assert proc.stdout == b""


def test_a_template_that_parses_is_still_named_a_template(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  {{ .Values.key }}: x\n"
    )
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a"))
    proc = run("render", "-o", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1
    (error,) = [r for r in json.loads(proc.stderr) if r["severity"] == "error"]
    assert error["message"].startswith("t.yaml: line 6: looks like an unrendered template")
    assert b"Values" not in proc.stdout


def test_an_unreadable_document_is_located_where_it_breaks(tmp_path: Path) -> None:
    """SPEC 5.2: a finding about a file carries its line and column, so CI can annotate it (KServe's
    own samples hold flow-mapping placeholders such as ``image: {username}/torchserve:latest``)."""
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a"))
    (tmp_path / "b.yaml").write_text("kind: ConfigMap\n---\napiVersion: v1\nkind: Pod\nspec:\n  image: {user}/x:1\n")
    (tmp_path / "t.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  {{ .Values.key }}: x\n")
    (tmp_path / "d.yaml").write_text("apiVersion: batch/v1\nkind: Job\nspec:\n  backoffLimit: 1\n  backoffLimit: 2\n")
    proc = run("check", "-o", "json", ".", cwd=tmp_path)
    errors = {r["file"]["path"]: r["file"] for r in json.loads(proc.stderr) if r["severity"] == "error"}
    assert errors["b.yaml"] == {"path": "b.yaml", "index": 1, "line": 6, "column": 16}
    assert errors["t.yaml"] == {"path": "t.yaml", "index": 0, "line": 4, "column": 3}
    assert errors["d.yaml"] == {"path": "d.yaml", "index": 0, "line": 5, "column": 3}  # the duplicate, not line 1
    github = run("check", "-o", "github", ".", cwd=tmp_path)
    assert b"::error file=b.yaml,line=6,col=16" in github.stdout + github.stderr
