"""The table of bench/MUTATION.md from ``mutmut results --all true`` (read on stdin).

Each line of mutmut's listing is ``<module>.x_<function>__mutmut_<n>: <status>`` (a method:
``<module>.xǁ<Class>ǁ<method>__mutmut_<n>``); the table counts,
per module, the mutants that were run (``not checked`` ones were not: a run cut by its time budget)
and how many the tests killed. ``timeout`` counts as killed (the mutant made the tests hang), as
mutmut itself counts it.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict

#: A function's mutant is ``x_<name>``, a method's ``xǁ<Class>ǁ<name>``.
LINE = re.compile(r"^\s*(?P<module>[\w.]+)\.x(?:_|ǁ)\S+?__mutmut_\d+: (?P<status>.+?)\s*$")
KILLED = {"killed", "timeout"}


def table(lines: list[str]) -> str:
    """The markdown table of the module counts in a ``mutmut results --all true`` listing."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for line in lines:
        found = LINE.match(line)
        if found:
            counts[found["module"]][found["status"]] += 1
    rows = [
        "| module | mutants | run | killed | survived | other | score (killed / run) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for module, c in sorted(counts.items()):
        total = sum(c.values())
        run = total - c["not checked"]
        killed = sum(c[s] for s in KILLED)
        survived = c["survived"]
        score = f"{100 * killed / run:.1f}%" if run else "-"
        rows.append(f"| {module} | {total} | {run} | {killed} | {survived} | {run - killed - survived} | {score} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(sys.stdin.read().splitlines()))
