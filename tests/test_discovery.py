"""What a walk reads and what it must know (SPEC 5.1): special files and broken links are skipped
and listed, never read; a stream named on the command line is read; a kustomize tree's patches and
components are told apart from its resources; a Helm chart's templates are not read."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from samples import CLEAN_ENV, ISVC

from krm_fn.discovery import Found, KustomizePart, discover
from krm_fn.limits import Limits

ENV = CLEAN_ENV
FN = f'"{sys.executable}" -m krm_fn'


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def shell(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    """A command line as a user types it (process substitution, pipes), in bash; a walk that
    blocks fails on the timeout."""
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, timeout=60, check=False, cwd=cwd, env={**ENV, **env}
    )


def rel(found: Found, root: Path) -> dict[str, str]:
    return {Path(s.path).relative_to(root).as_posix(): s.reason for s in found.skipped}


# --- special files and links ---------------------------------------------------------------------


@pytest.fixture
def hostile_tree(tmp_path: Path) -> Path:
    """A tree with a FIFO, a /dev/zero link, a socket, a link loop and a dangling link."""
    root = tmp_path / "t"
    write(root, {"ok.yaml": ISVC.format(name="ok")})
    os.mkfifo(root / "p.yaml")
    (root / "z.yaml").symlink_to("/dev/zero")
    (root / "a").symlink_to("b")
    (root / "b").symlink_to("a")
    (root / "gone.yaml").symlink_to("nowhere.yaml")
    (root / "sub").mkdir()
    (root / "sub" / "loop.yml").symlink_to("loop.yml")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)  # a short name: a socket's path is limited to about 100 bytes
        sock = socket.socket(socket.AF_UNIX)
        sock.bind("s.yaml")
        sock.close()
    return root


def test_a_walk_skips_special_files_and_broken_links(hostile_tree: Path) -> None:
    found = discover([str(hostile_tree)])
    assert [Path(f).name for f in found.files] == ["ok.yaml"]
    assert found.streams == set()
    assert rel(found, hostile_tree) == {
        "a": "a symbolic link loop",
        "b": "a symbolic link loop",
        "gone.yaml": "a symbolic link to nothing (dangling)",
        "p.yaml": "a named pipe (FIFO), not a regular file",
        "s.yaml": "a socket, not a regular file",
        "sub/loop.yml": "a symbolic link loop",
        "z.yaml": "a character device, not a regular file",
    }
    # The broken links are warnings; a special file is only listed.
    warned = sorted(Path(n.file.path).name for n in found.notes if n.file and n.severity == "warning")
    assert warned == ["a", "b", "gone.yaml", "loop.yml"]


def test_render_and_check_over_a_hostile_tree_neither_block_nor_crash(hostile_tree: Path) -> None:
    proc = shell(f"{FN} render --list-skipped t", hostile_tree.parent)
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    assert proc.stdout.count(b"kind: InferenceService") == 1
    stderr = proc.stderr.decode()
    assert "skipped t/p.yaml: a named pipe (FIFO), not a regular file" in stderr
    assert "skipped t/z.yaml: a character device, not a regular file" in stderr
    assert "t/sub/loop.yml: a symbolic link loop; skipped" in stderr  # the warning, also without the list
    proc = shell(f"{FN} check t", hostile_tree.parent)
    assert proc.returncode == 1  # the one file URI
    assert b"Traceback" not in proc.stderr


def test_an_excluded_broken_link_is_only_excluded(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": ISVC.format(name="a"), ".kserve-pvc-fn-ignore": "vendor/\n"})
    (tmp_path / "vendor").symlink_to("vendor")
    found = discover([str(tmp_path)])
    assert rel(found, tmp_path) == {"vendor": "excluded"}
    assert found.notes == []


@pytest.mark.parametrize(
    "script",
    [
        "{fn} render <(cat f.yaml)",
        "cat f.yaml | {fn} render /dev/stdin",
        "mkfifo p && (cat f.yaml > p &) && {fn} render p",
        "{fn} render --config <(printf 'apiVersion: v1\\nkind: ConfigMap\\ndata: {{mountMode: direct}}\\n') f.yaml",
    ],
    ids=["process-substitution", "dev-stdin", "named-fifo", "config-substitution"],
)
def test_a_stream_named_on_the_command_line_is_read(tmp_path: Path, script: str) -> None:
    write(tmp_path, {"f.yaml": ISVC.format(name="f")})
    expected = shell(f"{FN} render f.yaml", tmp_path)
    proc = shell(script.format(fn=FN), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected.stdout
    assert b"storageUri: pvc://store/f\n" in proc.stdout


def test_a_named_stream_is_bounded_by_the_limit(tmp_path: Path) -> None:
    proc = shell(f"{FN} render <(head -c 5000 /dev/zero)", tmp_path, KSERVE_PVC_FN_MAX_INPUT_BYTES="1000")
    assert proc.returncode == 2
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert "/dev/fd/" in lines[0]
    assert "is larger than the limit of 1000 bytes" in lines[0]


def test_discover_marks_named_streams(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.yaml")
    write(tmp_path, {"f.yaml": ISVC.format(name="f")})
    found = discover([str(tmp_path / "p.yaml"), str(tmp_path / "f.yaml"), str(tmp_path / "p.yaml"), "-"])
    assert found.files == [str(tmp_path / "p.yaml"), str(tmp_path / "f.yaml"), "-"]
    assert found.streams == {str(tmp_path / "p.yaml")}


# --- kustomize trees -----------------------------------------------------------------------------

BASE_AND_OVERLAY = {
    "apps/base/kustomization.yaml": "resources: [isvc.yaml, cm.yaml]\n",
    "apps/base/isvc.yaml": ISVC.format(name="iris").replace("/iris/model.joblib", "/iris"),
    "apps/base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
    "apps/overlays/prod/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [../../base]\n"
        "patchesStrategicMerge:\n- isvc-patch.yaml\n"
        "- |-\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: inline}\n"
        "patches:\n- path: patches/cm.yaml\n- patch: '[]'\n  target: {kind: ConfigMap}\n"
        "patchesJson6902:\n- target: {kind: ConfigMap, name: cm}\n  path: json6902.yaml\n"
        "components: [../../../components/gpu, https://example.com/remote]\n"
        "configurations: [fieldspecs.yaml]\n"
    ),
    "apps/overlays/prod/isvc-patch.yaml": ISVC.format(name="iris"),
    "apps/overlays/prod/patches/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n",
    "apps/overlays/prod/json6902.yaml": "- op: add\n  path: /data/x\n  value: y\n",
    "apps/overlays/prod/fieldspecs.yaml": "nameReference: []\n",
    "apps/overlays/prod/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n",
    "components/gpu/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    "components/gpu/deep/pod-patch.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: gpu}\n",
}


def test_kustomize_parts_are_marked_with_their_root(tmp_path: Path) -> None:
    write(tmp_path, BASE_AND_OVERLAY)
    found = discover([str(tmp_path)])
    prod = str(tmp_path / "apps/overlays/prod")
    kustomization = prod + "/kustomization.yaml"
    parts = {Path(name).relative_to(tmp_path).as_posix(): part for name, part in found.parts.items()}
    assert parts == {
        "apps/overlays/prod/isvc-patch.yaml": KustomizePart(prod, kustomization, "patchesStrategicMerge"),
        "apps/overlays/prod/patches/cm.yaml": KustomizePart(prod, kustomization, "patches"),
        "apps/overlays/prod/json6902.yaml": KustomizePart(prod, kustomization, "patchesJson6902"),
        "apps/overlays/prod/fieldspecs.yaml": KustomizePart(prod, kustomization, "configurations"),
        "components/gpu/deep/pod-patch.yaml": KustomizePart(prod, kustomization, "components"),
    }
    assert set(found.parts) <= set(found.files)  # check and fix still read them
    rendered = found.for_render()
    assert not set(rendered.files) & set(found.parts)
    assert [Path(f).name for f in rendered.files] == ["cm.yaml", "isvc.yaml", "extra.yaml"]
    notes = [n for n in rendered.notes if "kustomize tree" in n.message]
    assert len(notes) == 1  # once per root
    assert f"`kustomize build {prod} | kserve-pvc-fn render -`" in notes[0].message
    assert notes[0].severity == "info"
    assert notes[0].file is not None
    assert notes[0].file.path == kustomization


def test_a_kustomization_nothing_builds_on_is_noted_even_without_patches(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/kustomization.yaml": "namespace: ml\nresources: [isvc.yaml, ../shared]\n",
            "app/isvc.yaml": ISVC.format(name="iris"),
            "shared/kustomization.yaml": "resources: [cm.yaml]\n",
            "shared/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
            "broken/kustomization.yaml": "resources: [\n",
        },
    )
    rendered = discover([str(tmp_path)]).for_render()
    notes = [n.message for n in rendered.notes if "kustomize tree" in n.message]
    # app is what a person builds; shared is built on by app; broken gets its warning only.
    assert notes == [
        f"{tmp_path}/app/kustomization.yaml: a kustomize tree: render `kustomize build {tmp_path}/app | "
        "kserve-pvc-fn render -`; this stream has its files as written, without what kustomize changes "
        "(namespace, names, patches)"
    ]
    assert [n.severity for n in rendered.notes if "cannot read the kustomization" in n.message] == ["warning"]


def test_only_the_walked_tree_counts(tmp_path: Path) -> None:
    write(tmp_path, BASE_AND_OVERLAY)
    # Walking the overlay alone: the component lies outside the walk and is not read at all.
    found = discover([str(tmp_path / "apps/overlays/prod")])
    assert len(found.parts) == 4
    # The patch named on its own is read as what the user asked for.
    found = discover([str(tmp_path / "apps/overlays/prod/isvc-patch.yaml")])
    assert found.parts == {}


def test_render_leaves_a_patch_out_and_check_still_finds_its_file_uri(tmp_path: Path) -> None:
    write(tmp_path, BASE_AND_OVERLAY)
    proc = shell(f"{FN} render --list-skipped apps components", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(b"kind: InferenceService") == 1  # the base's; the patch is not a second one
    assert b"model.joblib" not in proc.stdout
    stderr = proc.stderr.decode()
    assert stderr.count("a kustomize tree: render `kustomize build apps/overlays/prod | kserve-pvc-fn render -`") == 1
    assert "skipped apps/overlays/prod/isvc-patch.yaml: a kustomize patchesStrategicMerge entry" in stderr
    proc = shell(f"{FN} check -o json apps", tmp_path)
    assert proc.returncode == 1
    assert b"kustomize tree" not in proc.stderr
    assert b'"path": "apps/overlays/prod/isvc-patch.yaml"' in proc.stderr
    assert b"would rewrite 'pvc://store/iris/model.joblib' to 'pvc://store/iris'" in proc.stderr


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("patches: [\n", "not valid YAML"),
        ("- a\n- b\n", "not a kustomization"),
        ("---\na: 1\n---\nb: 2\n", "not valid YAML"),
        ("resources: " + "[" * 2000 + "]" * 2000 + "\n", "nest"),
        ("resources: [x]\n" + "#" * 9000 + "\n", "(it is larger than the limit of 8000 bytes"),
    ],
    ids=["syntax", "a-list", "two-documents", "deep", "too-large"],
)
def test_a_broken_kustomization_is_a_warning(tmp_path: Path, text: str, reason: str) -> None:
    write(tmp_path, {"kustomization.yaml": text, "patch.yaml": ISVC.format(name="p")})
    found = discover([str(tmp_path)], limits=Limits(max_input_bytes=8000))
    assert [Path(f).name for f in found.files] == ["patch.yaml"]
    assert found.parts == {}
    [note] = found.notes
    assert note.severity == "warning"
    assert "cannot read the kustomization" in note.message
    assert reason in note.message
    assert "the files it names are read as resources" in note.message


def test_a_special_kustomization_is_never_opened(tmp_path: Path) -> None:
    write(tmp_path, {"patch.yaml": ISVC.format(name="p")})
    (tmp_path / "kustomization.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "Kustomization")
    found = discover([str(tmp_path)])
    assert rel(found, tmp_path) == {
        "Kustomization": "a named pipe (FIFO), not a regular file",
        "kustomization.yaml": "a character device, not a regular file",
    }
    assert [Path(f).name for f in found.files] == ["patch.yaml"]


# --- Helm charts ---------------------------------------------------------------------------------

CHART = {
    "deploy/chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "deploy/chart/values.yaml": "storageUri: pvc://store/m/model.joblib\n",
    "deploy/chart/templates/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
    "metadata:\n  name: {{ .Release.Name }}\nspec: {{ toYaml .Values.spec | nindent 2 }}\n",
    "deploy/chart/crds/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
    "metadata: {name: x.example.com}\n",
    "deploy/chart/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    "deploy/chart/charts/sub/templates/cm.yaml": "kind: ConfigMap\nmetadata: {name: {{ .Values.x }}}\n",
    # Read by a template through .Files.Get and tpl (KServe's chart keeps patches there).
    "deploy/chart/files/patch.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Values.y }}}\n",
    "manifests/isvc.yaml": ISVC.format(name="plain"),
}


def test_a_chart_is_one_warning_and_its_templates_are_not_read(tmp_path: Path) -> None:
    write(tmp_path, CHART)
    found = discover([str(tmp_path)])
    names = [Path(f).relative_to(tmp_path).as_posix() for f in found.files]
    assert names == [
        "deploy/chart/Chart.yaml",
        "deploy/chart/charts/sub/Chart.yaml",
        "deploy/chart/crds/crd.yaml",
        "deploy/chart/values.yaml",
        "manifests/isvc.yaml",
    ]
    skipped = rel(found, tmp_path)
    assert set(skipped) == {"deploy/chart/templates", "deploy/chart/files", "deploy/chart/charts/sub/templates"}
    [note] = found.notes  # one per chart: the subchart is checked with its parent
    assert note.severity == "warning"
    chart = str(tmp_path / "deploy/chart")
    assert f"`helm template RELEASE {chart} | kserve-pvc-fn check -`" in note.message
    assert note.file is not None
    assert note.file.path == chart + "/Chart.yaml"


def test_check_over_a_repository_with_a_chart(tmp_path: Path) -> None:
    write(tmp_path, CHART)
    proc = shell(f"{FN} check .", tmp_path)
    stderr = proc.stderr.decode()
    assert proc.returncode == 1  # the plain manifest's file URI; no template error
    assert "unrendered template" not in stderr
    assert stderr.count("a Helm chart: its templates were not read or checked") == 1
    assert "`helm template RELEASE deploy/chart | kserve-pvc-fn check -`" in stderr
    assert "pvc://store/plain/model.joblib" in stderr
    assert "1 warning(s)" in stderr
    # The chart directory named itself: the same.
    proc = shell(f"{FN} check deploy/chart", tmp_path)
    assert proc.stderr.decode().count("a Helm chart") == 1
    assert "unrendered template" not in proc.stderr.decode()


def test_a_named_template_is_skipped_as_its_chart_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pre-commit names every staged file, a chart's templates included."""
    write(tmp_path, CHART)
    template, sub = "deploy/chart/templates/isvc.yaml", "deploy/chart/charts/sub/templates/cm.yaml"
    monkeypatch.chdir(tmp_path)
    found = discover([template, sub, "deploy/chart/files/patch.yaml", "manifests/isvc.yaml"])
    assert found.files == ["manifests/isvc.yaml"]
    assert {s.path: s.reason for s in found.skipped} == {
        template: "a template of the Helm chart deploy/chart",
        sub: "a template of the Helm chart deploy/chart/charts/sub",
        "deploy/chart/files/patch.yaml": "a template of the Helm chart deploy/chart",
    }
    assert [n.message.split(":")[0] for n in found.notes] == ["deploy/chart", "deploy/chart/charts/sub"]
    proc = shell(f"{FN} check {template} manifests/isvc.yaml", tmp_path)
    assert proc.returncode == 1
    assert b"unrendered template" not in proc.stderr
    assert proc.stderr.count(b"a Helm chart: its templates were not read") == 1
