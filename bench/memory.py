"""The memory row of ``make bench``: peak RSS against input size (SPEC 7), beside a libyaml round trip.

SPEC 7 bounds the function's peak RSS at 5x the input's size plus the interpreter. The interpreter's
share is measured, not assumed: it is the function's own peak on the 5-item input in the same run
(Python, PyYAML, jsonschema-rs and the package, with nothing to hold). So the ratio reported is

    (peak RSS at this size - peak RSS at 5 items) / input size

at 1, 10 and 50 MB inputs of the benchmark's bundle (``generate.py``). The libyaml round trip's
figure beside it is computed the same way, against ``import yaml``'s peak.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

MEGABYTES = (1, 10, 50)
LIMIT = 5.0  # SPEC 7


@dataclass
class Row:
    """Medians at one input size (MiB)."""

    megabytes: float
    fn_peak: float
    roundtrip_peak: float
    fn_ratio: float
    roundtrip_ratio: float


def item_count(megabytes: int, bytes_per_item: float) -> int:
    """How many items of the benchmark's bundle make about ``megabytes`` MiB."""
    return max(1, round(megabytes * 2**20 / bytes_per_item))


def measure_rows(run: object, rounds: int) -> tuple[list[Row], float, float]:
    """The memory rows, and the two baselines (the function at 5 items, ``import yaml``), in MiB.

    ``run`` is ``bench/run.py`` as a module (its launcher, commands and input generator).
    """
    generate, measure, commands = run.generate_input, run.measure, run.commands()  # type: ignore[attr-defined]
    fn, roundtrip, floor = commands["kserve-pvc-fn"], commands["libyaml round trip"], commands["import yaml"]
    small = generate(5)
    per_item = generate(1000).stat().st_size / 1000
    inputs = {mb: generate(item_count(mb, per_item)) for mb in MEGABYTES}
    base = statistics.median(measure(fn, small)[1] for _ in range(rounds)) / 1024
    floor_peak = statistics.median(measure(floor, small)[1] for _ in range(rounds)) / 1024
    rows = []
    for mb, path in inputs.items():
        size = path.stat().st_size / 2**20
        fn_peak = statistics.median(measure(fn, path)[1] for _ in range(rounds)) / 1024
        rt_peak = statistics.median(measure(roundtrip, path)[1] for _ in range(rounds)) / 1024
        rows.append(Row(size, fn_peak, rt_peak, (fn_peak - base) / size, (rt_peak - floor_peak) / size))
        print(f"memory at {mb} MB done", file=sys.stderr)
    return rows, base, floor_peak


def table(rows: list[Row], base: float, floor_peak: float) -> str:
    """A Markdown table of the memory rows."""
    lines = [
        f"Peak RSS against input size. The interpreter's share is measured in the same run: the function "
        f"on 5 items peaks at {base:.1f} MiB, `import yaml` at {floor_peak:.1f} MiB; each ratio is "
        "(peak - that) / input size.",
        "",
        "| input | RSS fn | RSS libyaml round trip | fn / input | round trip / input |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.megabytes:.1f} MiB | {r.fn_peak:.0f} MiB | {r.roundtrip_peak:.0f} MiB | "
            f"{r.fn_ratio:.2f}x | {r.roundtrip_ratio:.2f}x |"
        )
    return "\n".join(lines)


def worst(rows: list[Row]) -> float:
    """The largest fn / input ratio (the target holds when it is at most :data:`LIMIT`)."""
    return max(r.fn_ratio for r in rows)


def plot(rows: list[Row], path: Path) -> bool:
    """Peak RSS against input size, as a PNG; False if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6, 4.2))
    sizes = [r.megabytes for r in rows]
    ax.plot(sizes, [r.fn_peak for r in rows], "o-", label="kserve-pvc-fn")
    ax.plot(sizes, [r.roundtrip_peak for r in rows], "s--", label="libyaml round trip")
    ax.plot(
        sizes,
        [rows[0].fn_peak - rows[0].fn_ratio * rows[0].megabytes + LIMIT * s for s in sizes],
        ":",
        label="5x the input (SPEC 7)",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input size (MiB)")
    ax.set_ylabel("peak RSS (MiB, median)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.suptitle("kserve-pvc-fn: peak memory against input size")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
