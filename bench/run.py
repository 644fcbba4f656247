"""``make bench``: kserve-pvc-fn against YAML round trips and the start-up floors.

Every command is a fresh process, as kustomize, kpt and Argo CD start it: the time is end-to-end
wall time (start-up included) and the memory is the process's peak RSS (``wait4`` rusage). The
commands run interleaved, round by round, so that machine noise hits them alike; the figures are the
medians over the rounds. Besides the function they are: a libyaml round trip (what a straightforward
Python KRM function costs), a rapidyaml round trip (parse and emit of the same input in C++, the
near-physical floor of YAML I/O from Python), ``import yaml`` (the start-up floor) and the import of
the libraries a cold start needs (the required-library floor). The targets of SPEC section 7 are
checked at the end.

Linux counts a child's peak RSS from the moment it is forked, so a child of a big parent reports at
least the parent's size. Each run is therefore started by a tiny launcher (``python -S``, only
``os``), whose own peak is reported with it and checked to stay below the smallest figure; and this
script never loads the inputs or outputs itself (generation and checks run in subprocesses).

The package's modules are byte-compiled first (``compileall``), as ``pip install`` does for a
regular install such as the image's: an editable install run with ``PYTHONDONTWRITEBYTECODE`` set
would otherwise compile every module from source on every start, which no user's install does.

    .venv/bin/python bench/run.py                 # all sizes, 5 rounds, plot and bench/RESULTS.md
    .venv/bin/python bench/run.py --rounds 3 --sizes 5 1000 --no-write
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import memory

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SIZES = (5, 100, 1000, 10000)

# (a) what a straightforward Python KRM function costs: read all, build objects, write all.
ROUNDTRIP = (
    "import sys, yaml\n"
    "data = yaml.load(sys.stdin.buffer.read(), Loader=yaml.CSafeLoader)\n"
    "sys.stdout.write(yaml.dump(data, Dumper=yaml.CSafeDumper))\n"
)
# (b) for scale: rapidyaml (C++) parses the same input into its tree and emits it again; no Python
# objects are built, so this is about as fast as reading and writing the YAML can be from Python.
RAPIDYAML = (
    "import sys, ryml\ntree = ryml.parse_in_arena(sys.stdin.buffer.read())\nsys.stdout.write(ryml.emit_yaml(tree))\n"
)
# (c) the floor: an interpreter that imports the YAML library and does nothing.
IMPORT_ONLY = "import yaml"
# For scale, not a target: the libraries a cold start with a config and a changed pod cannot do
# without: PyYAML, and jsonschema-rs, which validates the changed pod (SPEC 4) and the config's
# schema (SPEC 3.7; pydantic only for a config that is not well formed).
IMPORT_REQUIRED = "import yaml, jsonschema_rs"
LIBRARIES = "required-library floor"
# Checks the function's output (a file) in a subprocess: loading 10,000 items here would make this
# process, and so the reported peak RSS of every later child, hundreds of MiB large.
CHECK_OUTPUT = (
    "import sys, yaml\n"
    "data = yaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)\n"
    "items = data.get('items') if isinstance(data, dict) else None\n"
    "print(len(items) if isinstance(items, list) else -1)\n"
)
LIBYAML_VERSION = (
    "import yaml\nprint(yaml.__version__, yaml._yaml.get_version_string() if yaml.__with_libyaml__ else 'none')\n"
)


@dataclass
class Samples:
    """Wall times (s) and peak RSS (KiB) of one command at one size, one entry per round."""

    times: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)

    @property
    def time(self) -> float:
        """Median wall time in seconds."""
        return statistics.median(self.times)

    @property
    def peak(self) -> float:
        """Median peak RSS in MiB."""
        return statistics.median(self.rss) / 1024


def function_command() -> list[str]:
    """The installed ``kserve-pvc-fn`` next to this interpreter, else ``python -m krm_fn``."""
    script = Path(sys.executable).with_name("kserve-pvc-fn")
    return [str(script)] if script.exists() else [sys.executable, "-m", "krm_fn"]


def commands() -> dict[str, list[str]]:
    """The measured commands, by the name used in the table."""
    return {
        "kserve-pvc-fn": function_command(),
        "libyaml round trip": [sys.executable, "-c", ROUNDTRIP],
        "rapidyaml round trip": [sys.executable, "-c", RAPIDYAML],
        "import yaml": [sys.executable, "-c", IMPORT_ONLY],
        LIBRARIES: [sys.executable, "-c", IMPORT_REQUIRED],
    }


# The launcher: spawns argv[2:] with stdin from argv[1] and output to /dev/null, and prints wall
# seconds, the child's peak RSS (KiB), its exit code and the launcher's own peak RSS (KiB). The
# launcher's own peak is read from VmHWM: its rusage would include this script's size at fork.
LAUNCHER = """\
import os, sys, time
stdin, null = os.open(sys.argv[1], os.O_RDONLY), os.open(os.devnull, os.O_WRONLY)
dup = [(os.POSIX_SPAWN_DUP2, stdin, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ, file_actions=dup)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - start
own = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status), own)
"""
launcher_peaks: list[int] = []


def measure(argv: list[str], stdin: Path) -> tuple[float, int, int]:
    """One run: wall seconds, peak RSS in KiB, exit code (through the launcher)."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, str(stdin), *argv], capture_output=True, text=True, check=True
    )
    elapsed, rss, code, own = proc.stdout.split()
    launcher_peaks.append(int(own))
    return float(elapsed), int(rss), int(code)


def compile_package() -> None:
    """Byte-compile ``krm_fn`` where it is installed (see the module docstring)."""
    find = "import importlib.util; print(importlib.util.find_spec('krm_fn').submodule_search_locations[0])"
    where = subprocess.run([sys.executable, "-c", find], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=True)


def generate_input(count: int) -> Path:
    """``bench/out/rl-<count>.yaml``, written by ``generate.py`` in a subprocess (see the docstring)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"rl-{count}.yaml"
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(count), str(path)], check=True)
    return path


def check_output(argv: list[str], stdin: Path, count: int) -> str | None:
    """Run the function once and check that its stdout is a ResourceList of ``count`` items."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.yaml"
        with stdin.open("rb") as fh, out.open("wb") as sink:
            proc = subprocess.run(argv, stdin=fh, stdout=sink, stderr=subprocess.PIPE, check=False)
        if proc.returncode not in (0, 1):
            return f"exit code {proc.returncode}: {proc.stderr.decode(errors='replace')[:300]}"
        counted = subprocess.run(
            [sys.executable, "-c", CHECK_OUTPUT, str(out)], capture_output=True, text=True, check=False
        )
    if counted.stdout.strip() != str(count):
        return f"stdout is not a ResourceList with every item ({counted.stdout.strip() or counted.stderr[-300:]})"
    return None


def launcher_peak_mib() -> float:
    """The launchers' largest peak RSS in MiB: the floor under every reported peak."""
    return max(launcher_peaks, default=0) / 1024


def run(sizes: list[int], rounds: int) -> dict[tuple[str, int], Samples]:
    """Measure every command at every size, interleaved round by round (after a warm-up run)."""
    cmds = commands()
    inputs = {n: generate_input(n) for n in sizes}
    for n, path in inputs.items():
        problem = check_output(cmds["kserve-pvc-fn"], path, n)
        if problem:
            print(f"warning: kserve-pvc-fn on {n} items: {problem}", file=sys.stderr)
    samples: dict[tuple[str, int], Samples] = {(c, n): Samples() for c in cmds for n in sizes}
    for r in range(rounds):
        for n in sizes:
            names = list(cmds)
            # Rotate the order each round so no command always runs first (cold caches, turbo).
            names = names[r % len(names) :] + names[: r % len(names)]
            for name in names:
                elapsed, rss, _ = measure(cmds[name], inputs[n])
                samples[name, n].times.append(elapsed)
                samples[name, n].rss.append(rss)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    return samples


def table(samples: dict[tuple[str, int], Samples], sizes: list[int]) -> str:
    """A Markdown table of medians and ratios."""
    rows = [
        "| items | kserve-pvc-fn | libyaml round trip | rapidyaml round trip | import yaml | fn / round trip "
        "| fn / rapidyaml | fn / import | RSS fn | RSS round trip | RSS fn / round trip |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in sizes:
        fn, rt, ry, imp = (
            samples[c, n] for c in ("kserve-pvc-fn", "libyaml round trip", "rapidyaml round trip", "import yaml")
        )
        rows.append(
            f"| {n:,} | {fn.time:.3f} s | {rt.time:.3f} s | {ry.time:.3f} s | {imp.time:.3f} s "
            f"| {fn.time / rt.time:.2f}x | {fn.time / ry.time:.2f}x | {fn.time / imp.time:.2f}x "
            f"| {fn.peak:.0f} MiB | {rt.peak:.0f} MiB | {fn.peak / rt.peak:.2f}x |"
        )
    return "\n".join(rows)


@dataclass(frozen=True)
class Target:
    """One target of SPEC section 7 and whether this run met it."""

    text: str
    value: str
    met: bool
    #: False for an aim that is reported but does not fail the run.
    required: bool = True


def targets(samples: dict[tuple[str, int], Samples], sizes: list[int]) -> list[Target]:
    """The four targets, for the sizes that were measured."""
    fn, rt, imp = "kserve-pvc-fn", "libyaml round trip", "import yaml"
    out = []
    if 10000 in sizes:
        ratio = samples[fn, 10000].time / samples[rt, 10000].time
        out.append(Target("10,000 items in at most 0.3x the libyaml round trip", f"{ratio:.2f}x", ratio <= 0.3))
        mem = samples[fn, 10000].peak / samples[rt, 10000].peak
        out.append(Target("peak RSS at 10,000 items no more than the round trip's", f"{mem:.2f}x", mem <= 1.0))
    if 5 in sizes:
        ratio = samples[fn, 5].time / samples[imp, 5].time
        out.append(Target("5 items (cold start) in at most 3x `import yaml`", f"{ratio:.2f}x", ratio <= 3.0))
    if 10000 in sizes:
        ratio = samples[fn, 10000].time / samples["rapidyaml round trip", 10000].time
        aim = "10,000 items under 10x the rapidyaml round trip (an aim)"
        out.append(Target(aim, f"{ratio:.2f}x", ratio < 10.0, required=False))
    if 1000 in sizes and 10000 in sizes:
        ratio = samples[fn, 10000].time / samples[fn, 1000].time
        out.append(Target("linear: t(10,000) / t(1,000) at most 12", f"{ratio:.1f}", ratio <= 12.0))
    return out


def floor_note(samples: dict[tuple[str, int], Samples], sizes: list[int]) -> str:
    """The function next to the floors: the required libraries at the smallest size, rapidyaml at the largest."""
    n, big = min(sizes), max(sizes)
    libs, imp, fn = samples[LIBRARIES, n], samples["import yaml", n], samples["kserve-pvc-fn", n]
    ry, fn_big = samples["rapidyaml round trip", big], samples["kserve-pvc-fn", big]
    return (
        f"For scale: importing the libraries a cold start with a config and a changed pod needs "
        f"(`{IMPORT_REQUIRED}`: PyYAML, and jsonschema-rs, which validates the changed pod and the "
        f"config) and doing nothing else takes {libs.time:.3f} s, {libs.time / imp.time:.2f}x `import yaml`; "
        f"kserve-pvc-fn on {n:,} items takes {fn.time / libs.time:.2f}x that. At {big:,} items the "
        f"function takes {fn_big.time / ry.time:.2f}x a rapidyaml round trip of the same input "
        f"(parse and emit in C++, no Python objects: the near-physical floor of YAML I/O here)."
    )


def machine() -> str:
    """Where the figures come from: CPU, cores, memory, OS, Python and libyaml versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    versions = subprocess.run(
        [sys.executable, "-c", LIBYAML_VERSION], capture_output=True, text=True, check=False
    ).stdout.split()
    pyyaml, libyaml = versions if len(versions) == 2 else ("?", "?")
    return (
        f"{cpu}, {os.cpu_count()} CPU(s){mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, PyYAML {pyyaml}, libyaml {libyaml}"
    )


def plot(samples: dict[tuple[str, int], Samples], sizes: list[int], path: Path) -> bool:
    """Time and peak RSS against item count (log-log), as a PNG; False if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    lines = (
        ("kserve-pvc-fn", "o-"),
        ("libyaml round trip", "s--"),
        ("rapidyaml round trip", "d-."),
        ("import yaml", "^:"),
    )
    for name, style in lines:
        ax_t.plot(sizes, [samples[name, n].time for n in sizes], style, label=name)
        ax_m.plot(sizes, [samples[name, n].peak for n in sizes], style, label=name)
    for ax, label in ((ax_t, "wall time (s, median)"), (ax_m, "peak RSS (MiB, median)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("items in the ResourceList")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("kserve-pvc-fn: end-to-end process time and memory")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _verdict(t: Target) -> str:
    if t.met:
        return "yes"
    return "**no**" if t.required else "not yet"


def results_md(  # noqa: PLR0917
    table_text: str,
    met: list[Target],
    rounds: int,
    load: tuple[float, float],
    note: str | None = None,
    memory_text: str | None = None,
) -> str:
    """The text of bench/RESULTS.md."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand. Each figure is the median of "
        f"{rounds} interleaved runs of a fresh process (wall time, peak RSS).",
        "",
        f"- Date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        f"- Load average (1 min) at start and end: {load[0]:.2f}, {load[1]:.2f} (other work on the machine "
        "slows every command alike, but widens the spread)",
        "",
        table_text,
        "",
        "| target | measured | met |",
        "| --- | ---: | :---: |",
        *(f"| {t.text} | {t.value} | {_verdict(t)} |" for t in met),
        "",
        *([note, ""] if note else []),
        "![time and memory against item count](bench.png)",
        "",
        *([memory_text, "", "![peak memory against input size](memory.png)", ""] if memory_text else []),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when a target is missed (unless --no-fail)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="item counts")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved runs per command and size")
    parser.add_argument("--no-write", action="store_true", help="print only; keep RESULTS.md and the plot")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a target is missed")
    parser.add_argument("--no-memory", action="store_true", help="skip the 1, 10 and 50 MB memory row")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes))
    compile_package()
    load_start = os.getloadavg()[0]
    samples = run(sizes, args.rounds)
    load = (load_start, os.getloadavg()[0])
    floor, smallest = launcher_peak_mib(), min(s.peak for s in samples.values())
    print(f"launcher peak RSS {floor:.1f} MiB (smallest measured peak {smallest:.1f} MiB)", file=sys.stderr)
    if floor >= smallest:
        print("warning: the launcher may have inflated the smallest peak RSS figures", file=sys.stderr)
    table_text = table(samples, sizes)
    met = targets(samples, sizes)
    memory_text = None
    if not args.no_memory:
        rows, base, floor_peak = memory.measure_rows(sys.modules[__name__], max(1, min(args.rounds, 3)))
        memory_text = memory.table(rows, base, floor_peak)
        met.append(
            Target(
                f"peak RSS at most {memory.LIMIT:g}x the input (1-50 MB)",
                f"{memory.worst(rows):.2f}x",
                memory.worst(rows) <= memory.LIMIT,
            )
        )
        print(memory_text + "\n")
    print(table_text)
    print()
    for t in met:
        print(f"{'ok  ' if t.met else 'MISS' if t.required else 'aim '} {t.text}: {t.value}")
    note = floor_note(samples, sizes)
    print(f"\n{note}")
    if not args.no_write:
        if plot(samples, sizes, HERE / "bench.png"):
            print(f"plot: {HERE / 'bench.png'}")
        else:
            print("plot skipped: matplotlib is not installed (pip install matplotlib)", file=sys.stderr)
        if memory_text:
            memory.plot(rows, HERE / "memory.png")
        (HERE / "RESULTS.md").write_text(
            results_md(table_text, met, args.rounds, load, note, memory_text), encoding="utf-8"
        )
        print(f"figures: {HERE / 'RESULTS.md'}")
    return 0 if args.no_fail or all(t.met for t in met if t.required) else 1


if __name__ == "__main__":
    sys.exit(main())
