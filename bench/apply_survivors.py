"""Re-apply surviving mutants by hand and run the tests against each one.

``mutmut show NAME`` prints a mutant as a diff of its function alone (hunk lines counted from the
``def``, a method's body dedented); this applies each such one-line change to the real module,
runs the given tests with ``-x``, restores the module and prints ``killed``/``survived`` per
mutant, then a count. Used to check new tests against the survivors of a long ``make mutation``
run without running mutmut again over every mutant.

    python bench/apply_survivors.py DIR_OF_DIFFS -- tests/test_textedit.py ...
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _hunk(diff: str) -> tuple[str, list[str], list[str], list[str], list[str]]:
    """The file a diff names, the context before, the removed and added lines, the context after."""
    target = ""
    before: list[str] = []
    removed: list[str] = []
    added: list[str] = []
    after: list[str] = []
    in_hunk = False
    for line in diff.splitlines():
        if line.startswith("--- "):
            target = line[4:].strip()
        elif line.startswith("@@"):
            in_hunk = True
        elif in_hunk and line.startswith("-"):
            removed.append(line[1:])
        elif in_hunk and line.startswith("+"):
            added.append(line[1:])
        elif in_hunk:
            (after if removed else before).append(line[1:] if line.startswith(" ") else line)
    return target, before, removed, added, after


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def apply(diff: str, root: Path) -> Path:
    """Apply a one-hunk function diff to the module it names; returns that module's path."""
    target, before, removed, added, after = _hunk(diff)
    if not target or not removed:
        raise ValueError("no change in this diff")
    path = root / target
    lines = path.read_text().split("\n")
    first = removed[0].strip()

    def score(i: int) -> int:
        n = sum(lines[i - k - 1].strip() == c.strip() for k, c in enumerate(reversed(before)) if i - k - 1 >= 0)
        end = i + len(removed)
        return n + sum(lines[end + k].strip() == c.strip() for k, c in enumerate(after) if end + k < len(lines))

    candidates = [
        i
        for i, line in enumerate(lines)
        if line.strip() == first
        and all(i + k < len(lines) and lines[i + k].strip() == r.strip() for k, r in enumerate(removed))
    ]
    if not candidates:
        raise ValueError(f"{first!r} not found in {target}")
    at = max(candidates, key=score)
    shift = _indent(lines[at]) - _indent(removed[0])
    new = [" " * max(0, _indent(a) + shift) + a.lstrip(" ") for a in added]
    lines[at : at + len(removed)] = new
    path.write_text("\n".join(lines))
    return path


def main(argv: list[str]) -> int:
    split = argv.index("--") if "--" in argv else len(argv)
    diffs = sorted(Path(argv[0]).glob("*.diff"))
    tests = argv[split + 1 :]
    root = Path.cwd()
    killed = survived = broken = 0
    for diff in diffs:
        text = diff.read_text()
        try:
            target = _hunk(text)[0]
            saved = (root / target).read_text() if target else ""
            apply(text, root)
        except ValueError as err:
            print(f"{diff.stem}: not applied ({err})", flush=True)
            broken += 1
            continue
        try:
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-x", "-p", "no:randomly", "-p", "no:cacheprovider", *tests],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            status = "survived" if run.returncode == 0 else "killed"
        except subprocess.TimeoutExpired:
            status = "killed (timeout)"
        finally:
            (root / target).write_text(saved)
        killed += status != "survived"
        survived += status == "survived"
        print(f"{diff.stem}: {status}", flush=True)
    print(f"killed {killed}, survived {survived}, not applied {broken}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
