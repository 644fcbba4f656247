"""Release artifacts: the SBOM of make dist, the version in one place, and docs that pin only refs that exist."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
VERSION = re.search(r'^version = "(.+)"$', (REPO / "pyproject.toml").read_text(), re.M)
# Every file a user reads or copies a recipe from.
DOCS = [
    REPO / "README.md",
    REPO / "SECURITY.md",
    REPO / ".pre-commit-hooks.yaml",
    *sorted((REPO / "examples").rglob("*.yaml")),
    *sorted((REPO / "examples").rglob("*.md")),
    *sorted((REPO / "kustomization.example").rglob("*")),
    *sorted((REPO / "helm").rglob("*")),
]


def _locked(lock: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^ \\\n]+)", lock.read_text(), re.M)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins}


def test_sbom_names_every_runtime_dependency_at_its_locked_version(tmp_path: Path) -> None:
    """What `make dist` runs: cyclonedx-py over requirements/runtime.txt, with pyproject.toml as the root."""
    out = tmp_path / "sbom.cdx.json"
    argv = [str(Path(sys.executable).parent / "cyclonedx-py"), "requirements", "--pyproject", "pyproject.toml"]
    argv += ["--output-reproducible", "--of", "JSON", "-o", str(out), "requirements/runtime.txt"]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    bom = json.loads(out.read_text())
    assert bom["bomFormat"] == "CycloneDX"
    assert VERSION is not None
    assert (bom["metadata"]["component"]["name"], bom["metadata"]["component"]["version"]) == (
        "kserve-pvc-fn",
        VERSION.group(1),
    )
    named = {re.sub(r"[-_.]+", "-", c["name"]).lower(): c["version"] for c in bom["components"]}
    assert named == _locked(REPO / "requirements" / "runtime.txt")
    for component in bom["components"]:
        assert component["purl"] == f"pkg:pypi/{component['name']}@{component['version']}"
        (dist,) = component["externalReferences"]
        assert dist["hashes"], "the lock's hashes are carried into the SBOM"


def test_one_version_everywhere() -> None:
    assert VERSION is not None
    plugin = yaml.safe_load((REPO / "helm" / "kserve-pvc" / "plugin.yaml").read_text())
    assert plugin["version"] == VERSION.group(1)
    changelog = (REPO / "CHANGELOG.md").read_text()
    sections = re.findall(r"^## \[([^\]]+)\]", changelog, re.M)
    assert sections, "CHANGELOG.md has Keep a Changelog sections"
    assert sections[0] in {"Unreleased", VERSION.group(1)}, "the newest section is Unreleased or this version"


@pytest.mark.parametrize("doc", [d for d in DOCS if d.is_file()], ids=lambda d: str(d.relative_to(REPO)))
def test_docs_pin_no_ref_that_does_not_exist_and_install_from_no_index(doc: Path) -> None:
    """No tag exists yet: a recipe shows a commit or the placeholder, and the package is on no index."""
    text = doc.read_text(errors="replace")
    tags = subprocess.run(["git", "tag", "--list"], cwd=REPO, capture_output=True, text=True, check=False).stdout
    for ref in re.findall(r"\b(?:rev|ref|targetRevision):\s*[\"']?(v\d[\w.-]*)", text):
        assert ref in tags.split(), f"{ref} is not a tag of this repository"
    assert not re.search(r"pip install\s+(?:-\S+\s+)*kserve-pvc-fn(?:[=<>~!\[\s`)]|$)", text, re.M), "on no index"
