"""The subcommands (``render``, ``check``, ``schema``), ``--help`` and ``--version``, with click.

With no argument at all, ``cli.main`` runs the KRM function without importing this module: click is
the largest import left on that path, and kustomize and kpt never pass arguments. So this module
is only reached with arguments; it shares the terminal helpers (``terminal.py``) with ``cli.py``
and imports nothing from it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import click
import yaml

from krm_fn.config import PolicySpec, load_config
from krm_fn.discovery import Found, discover
from krm_fn.documents import STDIN, Source
from krm_fn.driver import exit_code
from krm_fn.formats import FORMATS, Findings
from krm_fn.formats.escape import escape
from krm_fn.ignores import IGNORE_FILE
from krm_fn.limits import Limits
from krm_fn.reading import read_file
from krm_fn.render import run_render
from krm_fn.results import EXIT_ERRORS, File, Result
from krm_fn.source import InputError
from krm_fn.terminal import ensure_stdout, refuse, say, show, write_stdout

_KRM_HELP = """\
KServe PVC storage, fixed at render time.

With no command, runs as a KRM function: reads a ResourceList on stdin and writes it, transformed,
on stdout (exit 0; 1 when there are error results; 2 when the input is not a ResourceList).

\b
Examples:
  kpt fn eval --exec kserve-pvc-fn . -- mountMode=direct
  kustomize build --enable-alpha-plugins --enable-exec overlays/prod
  kserve-pvc-fn render manifests/ > hydrated.yaml
  kserve-pvc-fn check --set fileUris=error manifests/
  kserve-pvc-fn fix --diff manifests/
  kserve-pvc-fn schema > pvcmountpolicy.schema.json
"""


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``, as click.version_option prints it.

    The version is looked up only here: reading the installed metadata (importlib.metadata) costs
    a noticeable share of every cold start, and only ``--version`` needs it.
    """
    if not value or ctx.resilient_parsing:
        return
    from krm_fn import __version__

    click.echo(f"kserve-pvc-fn, version {__version__}")
    ctx.exit()


_VERSION = click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)


@click.group(help=_KRM_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@_VERSION
def cli() -> None:
    """The command group; without any argument ``cli.main`` runs the KRM function instead."""


def _parse_sets(sets: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        out[key.strip()] = value
    return out


def _read_config(config: str) -> Any:
    """The ``--config`` file's data, read with a KRM functionConfig's rules: within the input limit
    (stopped while reading), no duplicate or non-scalar key, no tag outside the core schema;
    InputError (exit 2) otherwise, as for a functionConfig in the ResourceList wrapper."""
    from krm_fn.limits import LimitError, Limits, check_raw
    from krm_fn.scan import check_document
    from krm_fn.source import compose_single, decode

    name = f"--config {config}"
    limits = Limits.from_env()
    try:
        raw = read_file(config, limits.max_input_bytes, stream=True, name=name)
        check_raw(raw, limits, name)
        text, _ = decode(raw)
        node = compose_single(text, "a config") if text.strip() else None
    except LimitError:
        raise  # says the name and the limit already
    except InputError as err:
        reason = str(err).removeprefix(f"{name}: ").removeprefix(f"{name} ")
        raise InputError(f"{name}: cannot read the config: {reason}") from None
    if node is None:
        return None
    problem = check_document(node, text, limits).problem
    if problem is not None:
        raise InputError(f"{name}: line {problem.line}: {problem.message}")
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as err:
        raise InputError(f"{name}: cannot read the config: {str(err).splitlines()[0]}") from None


def _policy(
    config: str | None, sets: dict[str, str], overrides: dict[str, Any]
) -> tuple[PolicySpec | None, list[Result]]:
    """The policy from ``--config`` and ``--set``; errors name where each bad key was written."""
    data: Any = None
    inner_key = "spec"
    if config is not None:
        data = _read_config(config)
        inner_key = "data" if isinstance(data, dict) and data.get("kind") == "ConfigMap" else "spec"
        spec, errors = load_config(data, lambda key: f"--config {config}: {key}")
        if spec is None:
            return None, [replace(e, file=File(config)) for e in errors]
    if sets:
        base: dict[str, Any] = {}
        if isinstance(data, dict) and isinstance(data.get(inner_key), dict):
            base = dict(data[inner_key])

        def origin(key: str) -> str:
            name = key.removeprefix("data.")
            top = name.split(".", 1)[0].split("[", 1)[0]
            return f"--set {name}" if top in sets or config is None else f"--config {config}: {inner_key}.{name}"

        merged = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "command-line"},
            "data": {**base, **sets},
        }
        spec, errors = load_config(merged, origin)
        # The ConfigMap is this function's own wrapper: name no resource, and the key as written.
        errors = [_as_written(e, origin) for e in errors]
    elif config is None:
        spec, errors = load_config(None)
    if spec is None:
        return None, errors
    return spec.model_copy(update=overrides), []


def _as_written(error: Result, origin: Callable[[str], str]) -> Result:
    if error.field is None:
        return replace(error, resourceRef=None)
    written = origin(error.field.path)
    path = written.removeprefix("--set ").rsplit(": ", 1)[-1]
    return replace(error, resourceRef=None, field=replace(error.field, path=path))


def findings_of(results: Sequence[Result], suppressed: Sequence[Result] = ()) -> Findings:
    """What the output formats print: the results, the rule catalog (``docs/rules.md``) and the
    suppressed findings with the reason their annotation gives."""
    from krm_fn.formats import RuleInfo, Suppressed
    from krm_fn.rules import rule_ids

    return Findings(
        results,
        [RuleInfo(rule, summary) for rule, summary, _ in rule_ids()],  # help: docs/rules.md#<id>
        [Suppressed(r, r.suppression or "") for r in suppressed],
    )


def _sources(found: Found) -> list[Source]:
    """The bytes of every file found, and of stdin where ``-`` was named; each read stops at the
    input limit while reading."""
    limit = Limits.from_env().max_input_bytes
    return [Source(STDIN if name == "-" else name, found.read(name, limit)) for name in found.files]


@dataclass(frozen=True)
class _Options:
    """What render and check share."""

    paths: tuple[str, ...]
    config: str | None
    sets: tuple[str, ...]
    excludes: tuple[str, ...]
    quiet: bool
    output: str
    list_skipped: bool
    allow_empty: bool
    results_file: str | None
    fail_on: str


def _run(opts: _Options, overrides: dict[str, Any], write_stream: bool) -> int:
    """Render (or check) and report; the exit code. Nothing is written when the config is bad."""
    try:
        if write_stream:
            ensure_stdout()
        spec, errors = _policy(opts.config, _parse_sets(opts.sets), overrides)
        if spec is None:
            # An unchanged stream would look like success to a pipeline: write none.
            show(errors, opts.output, opts.quiet, opts.results_file)
            return EXIT_ERRORS
        found = discover(opts.paths or ("-",), opts.excludes)
        found = found.for_render() if write_stream else found  # check reads kustomize patches as partial resources
        rendered = run_render(
            _sources(found), spec, skipped=found.skipped, allow_empty=opts.allow_empty, notes=found.notes
        )
        if write_stream:
            write_stdout(rendered.stream)
    except InputError as err:
        return refuse(err)
    if opts.list_skipped:
        for skipped in rendered.skipped:
            say(f"skipped {escape(skipped.describe())}")
    try:
        show(findings_of(rendered.results, rendered.suppressed), opts.output, opts.quiet, opts.results_file)
    except InputError as err:
        return refuse(err)
    return exit_code(rendered.results, fail_on=opts.fail_on)


_PATHS = click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
_CONFIG = click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    help="A PvcMountPolicy or ConfigMap file.",
)
_SET = click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="A config key, as in `kpt fn eval -- key=value`; over --config.",
)
_EXCLUDE = click.option(
    "--exclude",
    "excludes",
    multiple=True,
    metavar="GLOB",
    help=f"Leave out files and directories that match (as in {IGNORE_FILE}).",
)
_QUIET = click.option("-q", "--quiet", is_flag=True, help="Print only errors and the summary.")
_OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Choice(FORMATS),
    default="human",
    show_default=True,
    help="How results are printed on stderr: for a person, every result in full (json, yaml), "
    "SARIF 2.1.0 (sarif), or GitHub Actions annotations (github).",
)
_RESULTS_FILE = click.option(
    "--results-file",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Write the results in the --output format to FILE; stderr still gets them for a person.",
)
_FAIL_ON = click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="The lowest severity that makes the exit code 1.",
)
_ALLOW_EMPTY = click.option(
    "--allow-empty",
    is_flag=True,
    help="Exit 0 when the input holds no Kubernetes resource at all (by default that is exit 2).",
)
_LIST_SKIPPED = click.option(
    "--list-skipped", is_flag=True, help="List the files and documents skipped as not Kubernetes resources."
)


def _shared(f: Any) -> Any:
    options = (_VERSION, _FAIL_ON, _RESULTS_FILE, _ALLOW_EMPTY, _LIST_SKIPPED, _OUTPUT, _QUIET)
    for option in (*options, _EXCLUDE, _SET, _CONFIG, _PATHS):
        f = option(f)
    return f


_DISCOVERY = f"""
Directories are walked for *.yaml and *.yml, without hidden folders and files; {IGNORE_FILE}
(one glob a line) and --exclude leave out more. kustomization.yaml, Kptfile and documents that are
not Kubernetes objects (no apiVersion and kind: CI workflows, mkdocs.yml) are skipped and counted.
FIFOs, devices and sockets met in a walk are skipped too; a FIFO or <(...) named here is read. The
patches and components of a kustomization are not emitted by render; a Helm chart's templates/ are
not read. Every document on stdin is a resource; a `# Source: PATH` comment (helm template) names
its file. Lists (kind List, any kind ending in List with items, a ResourceList) are opened: their
items are the resources, edited inside the List.
"""


_EXIT_CODES = (
    "\b\nExit codes:\n"
    "  0  no error results\n"
    "  1  error results (render still writes the stream), or an invalid config (no stream)\n"
    "  2  input refused: nothing to read (no Kubernetes resources; see --allow-empty), a path that\n"
    "     cannot be read, a file that is not text, or a limit from the environment\n"
)


@cli.command(
    help="Render plain YAML files, directories or stdin (-) to one multi-document stream.\n" + _DISCOVERY,
    epilog="\b\nExamples:\n  kserve-pvc-fn render manifests/ > hydrated.yaml\n"
    "  kustomize build overlays/prod | kserve-pvc-fn render --set mountMode=copy -\n\n" + _EXIT_CODES,
)
@_shared
def render(**options: Any) -> None:
    """Render plain YAML files, directories or stdin (-) to one multi-document stream."""
    sys.exit(_run(_Options(**options), {}, write_stream=True))


@cli.command(
    help="Like render with mode validate: report every change as an error, write no stream.\n" + _DISCOVERY,
    epilog="\b\nExamples:\n  kserve-pvc-fn check manifests/\n  kserve-pvc-fn check --set fileUris=error k8s/\n\n"
    + _EXIT_CODES,
)
@_shared
def check(**options: Any) -> None:
    """Like render with mode validate: report every change as an error, write no stream."""
    sys.exit(_run(_Options(**options), {"mode": "validate"}, write_stream=False))


_FIX_HELP = f"""Apply render's edits to the files the documents came from, in place.

Only a file with a changed document is written, atomically (a temporary file renamed over it; its
mode kept; a symbolic link's target written once); the rest of it (other documents, comments,
CRLF, a BOM) stays byte for byte. A document that is held back or that no rule edits is never
touched. recordOriginal is false unless the config sets it; a config's mode is ignored (fix
always mutates). JSON files are read but not rewritten (an error says so).
{_DISCOVERY.replace("Every document on stdin is a resource.", "Without a path, the current directory.")}
\b
Exit codes: 0 nothing left to report; 1 findings remain that no rule can fix (errors), a file
could not be written, or --diff would change something; 2 the input is refused.
"""


@cli.command(
    help=_FIX_HELP,
    epilog="\b\nExamples:\n  kserve-pvc-fn fix manifests/\n  kserve-pvc-fn fix --diff k8s/ > fix.patch",
)
@click.option("--diff", is_flag=True, help="Print a unified diff of what would be written on stdout; write nothing.")
@_shared
def fix(diff: bool, **options: Any) -> None:
    """Apply render's edits to the files the documents came from, in place."""
    sys.exit(_fix(_Options(**options), diff))


def _fix(opts: _Options, diff: bool) -> int:
    """Render the files, then write each changed one back (or print the diff); the exit code."""
    from krm_fn import writeback
    from krm_fn.fix import plan, unified_diff

    failed: list[writeback.WriteError] = []
    try:
        if "-" in opts.paths:
            raise InputError("fix writes files back: name files or directories, not - (stdin)")
        spec, errors = _policy(opts.config, _parse_sets(opts.sets), {})
        if spec is None:
            show(errors, opts.output, opts.quiet)
            return EXIT_ERRORS
        paths = opts.paths or (".",)
        found = discover(paths, opts.excludes)
        planned = plan(_sources(found), spec, found.skipped, notes=found.notes, allow_empty=opts.allow_empty)
        if diff:
            write_stdout(unified_diff(planned.fixes))
        else:
            failed = writeback.write_files({f.name: (f.old, f.new) for f in planned.fixes}, within=paths)
    except InputError as err:
        return refuse(err)
    unwritten = {e.path for e in failed}
    verb = "would be fixed (--diff: nothing written)" if diff else "fixed in place"
    findings = [*planned.findings]
    findings += [Result(f"file {verb}", "info", file=File(f.name)) for f in planned.fixes if f.name not in unwritten]
    findings += [
        Result(f"{e.path}: cannot write the fixed file ({e.reason}); it is left as it was", "error", file=File(e.path))
        for e in failed
    ]
    rendered = planned.rendered
    results = [*rendered.results[:-1], *findings, *rendered.results[-1:]]  # the summary stays last
    if opts.list_skipped:
        for skipped in rendered.skipped:
            say(f"skipped {skipped.describe()}")
    show(findings_of(results, rendered.suppressed), opts.output, opts.quiet, opts.results_file)
    return EXIT_ERRORS if diff and planned.fixes else exit_code(results, fail_on=opts.fail_on)


@cli.command(epilog="\b\nExample:\n  kserve-pvc-fn schema > pvcmountpolicy.schema.json")
@_VERSION
def schema() -> None:
    """Print the JSON Schema of the PvcMountPolicy functionConfig."""
    from krm_fn.config import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
