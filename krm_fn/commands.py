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
from pathlib import Path
from typing import Any

import click
import yaml

from krm_fn.config import PolicySpec, load_config
from krm_fn.discovery import IGNORE_FILE, Found, discover
from krm_fn.render import STDIN, Source, run_render
from krm_fn.results import EXIT_ERRORS, EXIT_OK, File, Result
from krm_fn.source import InputError
from krm_fn.terminal import ensure_stdout, read_stdin, refuse, say, show, write_stdout

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
    try:
        return yaml.load(Path(config).read_bytes(), Loader=yaml.CSafeLoader)
    except (OSError, yaml.YAMLError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err).splitlines()[0]
        raise InputError(f"--config {config}: cannot read the config: {reason}") from None


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


def _sources(found: Found) -> list[Source]:
    """The bytes of every file found, and of stdin where ``-`` was named."""
    sources = []
    for name in found.files:
        if name == "-":
            sources.append(Source(STDIN, read_stdin()))
            continue
        try:
            sources.append(Source(name, Path(name).read_bytes()))
        except OSError as err:
            raise InputError(f"{name}: cannot read the file: {err.strerror}") from None
    return sources


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


def _run(opts: _Options, overrides: dict[str, Any], write_stream: bool) -> int:
    """Render (or check) and report; the exit code. Nothing is written when the config is bad."""
    try:
        if write_stream:
            ensure_stdout()
        spec, errors = _policy(opts.config, _parse_sets(opts.sets), overrides)
        if spec is None:
            # An unchanged stream would look like success to a pipeline: write none.
            show(errors, opts.output, opts.quiet)
            return EXIT_ERRORS
        found = discover(opts.paths or ("-",), opts.excludes)
        rendered = run_render(_sources(found), spec, skipped=found.skipped)
        if write_stream:
            write_stdout(rendered.stream)
    except InputError as err:
        return refuse(err)
    if opts.list_skipped:
        for skipped in rendered.skipped:
            say(f"skipped {skipped.describe()}")
    show(rendered.results, opts.output, opts.quiet)
    return rendered.exit_code


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
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
    help="How results are printed on stderr (json and yaml: every result in full).",
)
_LIST_SKIPPED = click.option(
    "--list-skipped", is_flag=True, help="List the files and documents skipped as not Kubernetes resources."
)


def _shared(f: Any) -> Any:
    for option in (_VERSION, _LIST_SKIPPED, _OUTPUT, _QUIET, _EXCLUDE, _SET, _CONFIG, _PATHS):
        f = option(f)
    return f


_DISCOVERY = f"""
Directories are walked for *.yaml and *.yml, without hidden folders and files; {IGNORE_FILE}
(one glob a line) and --exclude leave out more. kustomization.yaml, Kptfile and documents that are
not Kubernetes objects (no apiVersion and kind: CI workflows, mkdocs.yml) are skipped and counted.
Every document on stdin is a resource.
"""


@cli.command(
    help="Render plain YAML files, directories or stdin (-) to one multi-document stream.\n" + _DISCOVERY,
    epilog="\b\nExamples:\n  kserve-pvc-fn render manifests/ > hydrated.yaml\n"
    "  kustomize build overlays/prod | kserve-pvc-fn render --set mountMode=copy -",
)
@_shared
def render(**options: Any) -> None:
    """Render plain YAML files, directories or stdin (-) to one multi-document stream."""
    sys.exit(_run(_Options(**options), {}, write_stream=True))


@cli.command(
    help="Like render with mode validate: report every change as an error, write no stream.\n" + _DISCOVERY,
    epilog="\b\nExamples:\n  kserve-pvc-fn check manifests/\n  kserve-pvc-fn check --set fileUris=error k8s/",
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
        planned = plan(_sources(found), spec, found.skipped)
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
    show(results, opts.output, opts.quiet)
    remaining = any(r.severity == "error" for r in results)
    return EXIT_ERRORS if remaining or (diff and planned.fixes) else EXIT_OK


@cli.command(epilog="\b\nExample:\n  kserve-pvc-fn schema > pvcmountpolicy.schema.json")
@_VERSION
def schema() -> None:
    """Print the JSON Schema of the PvcMountPolicy functionConfig."""
    from krm_fn.config import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
