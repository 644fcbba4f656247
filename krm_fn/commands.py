"""The subcommands (``render``, ``check``, ``schema``), ``--help`` and ``--version``, with click.

With no argument at all, ``cli.main`` runs the KRM function without importing this module: click is
the largest import left on that path, and kustomize and kpt never pass arguments. So this module
is only reached with arguments; it shares the terminal helpers (``terminal.py``) with ``cli.py``
and imports nothing from it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import yaml

from krm_fn.pipeline import Rendered, run_render
from krm_fn.source import InputError
from krm_fn.terminal import read_stdin, refuse, table

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


def _fail_input(err: InputError) -> None:
    sys.exit(refuse(err))


@click.group(help=_KRM_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@_VERSION
def cli() -> None:
    """The command group; without any argument ``cli.main`` runs the KRM function instead."""


def _read_sources(paths: Sequence[str]) -> list[tuple[str, bytes]]:
    sources: list[tuple[str, bytes]] = []
    for name in paths or ("-",):
        if name == "-":
            sources.append(("<stdin>", read_stdin()))
            continue
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            sources.extend((str(f), f.read_bytes()) for f in files)
        elif path.is_file():
            sources.append((name, path.read_bytes()))
        else:
            raise InputError(f"{name}: no such file or directory")
    return sources


def _parse_sets(sets: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        out[key.strip()] = value
    return out


def _function_config(config: str | None, sets: dict[str, str]) -> Any:
    data: Any = None
    if config is not None:
        try:
            data = yaml.load(Path(config).read_bytes(), Loader=yaml.CSafeLoader)
        except (OSError, yaml.YAMLError) as err:
            raise InputError(f"{config}: cannot read the config: {str(err).splitlines()[0]}") from None
    if not sets:
        return data
    base: dict[str, Any] = {}
    if isinstance(data, dict):
        inner = data.get("spec") if data.get("kind") != "ConfigMap" else data.get("data")
        base = dict(inner) if isinstance(inner, dict) else {}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "command-line"},
        "data": {**base, **sets},
    }


def _render(
    paths: Sequence[str], config: str | None, sets: Sequence[str], overrides: dict[str, Any] | None
) -> Rendered:
    try:
        return run_render(_read_sources(paths), _function_config(config, _parse_sets(sets)), overrides)
    except InputError as err:
        _fail_input(err)
        raise AssertionError("unreachable") from err


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
    help="A config key, as in `kpt fn eval -- key=value`.",
)


@cli.command(
    epilog="\b\nExamples:\n  kserve-pvc-fn render manifests/ > hydrated.yaml\n"
    "  kustomize build overlays/prod | kserve-pvc-fn render --set mountMode=copy -"
)
@_PATHS
@_CONFIG
@_SET
@_VERSION
def render(paths: tuple[str, ...], config: str | None, sets: tuple[str, ...]) -> None:
    """Render plain YAML files, directories or stdin (-) to one multi-document stream."""
    out = _render(paths, config, sets, None)
    sys.stdout.write(out.stream)
    sys.stdout.flush()
    click.echo(table(out.results), err=True)
    sys.exit(out.exit_code)


@cli.command(epilog="\b\nExamples:\n  kserve-pvc-fn check manifests/\n  kserve-pvc-fn check --set fileUris=error k8s/")
@_PATHS
@_CONFIG
@_SET
@_VERSION
def check(paths: tuple[str, ...], config: str | None, sets: tuple[str, ...]) -> None:
    """Like render with mode validate: report every change as an error, write no stream."""
    out = _render(paths, config, sets, {"mode": "validate"})
    click.echo(table(out.results), err=True)
    sys.exit(out.exit_code)


@cli.command(epilog="\b\nExample:\n  kserve-pvc-fn schema > pvcmountpolicy.schema.json")
@_VERSION
def schema() -> None:
    """Print the JSON Schema of the PvcMountPolicy functionConfig."""
    from krm_fn.config import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
