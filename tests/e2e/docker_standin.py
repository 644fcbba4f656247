"""A test-only stand-in for the ``docker`` client, for machines without a Docker engine.

kustomize and kpt start a containerized KRM function with ``docker run``; this script accepts
exactly the arguments they pass (recorded from kustomize v5.5 and kpt 1.0.0-beta.56)::

    kustomize: run --rm -i -a STDIN -a STDOUT -a STDERR --network none --user nobody
               --security-opt=no-new-privileges -e LOG_TO_STDERR=true -e STRUCTURED_RESULTS=true IMAGE
    kpt:       version --format {{.Client.Version}}
               run --rm -i --network none --user nobody --security-opt=no-new-privileges
               --pull missing IMAGE

and runs the installed ``kserve-pvc-fn`` the way the image would: as the requested user, without
network, no new privileges, in ``/`` with a container-like environment. The isolation needs root
(``unshare`` and ``setpriv`` from util-linux); without it the command runs as the current user and a
note says so on stderr. An unknown flag or image fails like docker does, so a change in what the
tools pass is noticed instead of silently accepted.

Environment: ``KSERVE_PVC_FN_COMMAND`` is the command that plays the image's entry point (default:
the project's ``.venv/bin/kserve-pvc-fn``); ``KSERVE_PVC_FN_STANDIN_LOG``, if set, is a file that
gets one JSON line per invocation (the argument vector and how it was isolated).
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

IMAGES = frozenset({"kserve-pvc-fn:dev", "docker.io/library/kserve-pvc-fn:dev"})
DEFAULT_COMMAND = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kserve-pvc-fn"
# Flags of `docker run` that take a value, and those that do not.
_VALUED = {
    "-a": "attach",
    "--attach": "attach",
    "--network": "network",
    "--net": "network",
    "-u": "user",
    "--user": "user",
    "--security-opt": "security_opt",
    "-e": "env",
    "--env": "env",
    "--pull": "pull",
    "--name": "name",
    "-w": "workdir",
    "--workdir": "workdir",
}
_BOOLEAN = {"--rm", "-i", "--interactive", "--read-only", "--init"}


class UsageError(Exception):
    """An argument docker would reject (exit 125, like ``docker run``)."""


@dataclass
class RunArgs:
    """The parsed ``docker run`` arguments that matter here."""

    image: str
    command: list[str]
    values: dict[str, list[str]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    def last(self, key: str) -> str | None:
        """The value of the last occurrence of a valued flag."""
        found = self.values.get(key)
        return found[-1] if found else None


def parse_run(argv: Sequence[str]) -> RunArgs:
    """Parse the arguments after ``run``; the first non-flag is the image."""
    values: dict[str, list[str]] = {}
    flags: set[str] = set()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-"):
            return RunArgs(arg, list(argv[i + 1 :]), values, flags)
        name, eq, inline = arg.partition("=")
        if name in _VALUED:
            if eq:
                value = inline
            else:
                i += 1
                if i >= len(argv):
                    raise UsageError(f"flag needs an argument: {arg}")
                value = argv[i]
            values.setdefault(_VALUED[name], []).append(value)
        elif arg in _BOOLEAN:
            flags.add(arg)
        else:
            raise UsageError(f"unknown flag: {arg}")
        i += 1
    raise UsageError('"docker run" requires at least 1 argument')


def _resolve_user(spec: str) -> tuple[int, int]:
    user, _, group = spec.partition(":")
    entry = None
    if user.isdigit():
        uid = int(user)
        gid = uid
    else:
        entry = pwd.getpwnam(user)
        uid, gid = entry.pw_uid, entry.pw_gid
    if group:
        gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    return uid, gid


def isolation(args: RunArgs) -> tuple[list[str], list[str]]:
    """The command prefix that isolates like the container, and notes on what could not be done."""
    prefix: list[str] = []
    notes: list[str] = []
    is_root = os.geteuid() == 0
    if args.last("network") == "none":
        if is_root and shutil.which("unshare"):
            prefix += ["unshare", "--net", "--"]
        else:
            notes.append("cannot drop the network (needs root and unshare); running with the host network")
    user = args.last("user")
    no_new_privs = "no-new-privileges" in (args.values.get("security_opt") or [])
    if user is not None:
        uid, gid = _resolve_user(user)
        if is_root and shutil.which("setpriv"):
            prefix += ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
            prefix += ["--no-new-privs", "--"] if no_new_privs else ["--"]
        elif os.geteuid() != uid:
            notes.append(f"cannot switch to user {user} (needs root and setpriv); running as uid {os.geteuid()}")
    return prefix, notes


def container_env(args: RunArgs, command: str) -> dict[str, str]:
    """A fresh environment like the image's, plus the ``-e`` values (``-e NAME`` copies the host's)."""
    bindir = str(Path(command).parent)
    env = {
        "PATH": f"{bindir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for item in args.values.get("env") or []:
        key, eq, value = item.partition("=")
        if eq:
            env[key] = value
        elif key in os.environ:
            env[key] = os.environ[key]
    return env


def _log(entry: dict[str, object]) -> None:
    target = os.environ.get("KSERVE_PVC_FN_STANDIN_LOG")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")


def main(argv: Sequence[str]) -> int:
    """Dispatch like the docker client; ``run`` replaces this process with the function."""
    if not argv:
        print("usage: docker (stand-in) run|version|image inspect|pull ...", file=sys.stderr)
        return 1
    verb, rest = argv[0], list(argv[1:])
    if verb == "version":
        _log({"argv": list(argv)})
        print("27.0.0-standin")
        return 0
    if verb in ("pull", "image", "inspect"):
        _log({"argv": list(argv)})
        names = [a for a in rest if not a.startswith("-") and a != "inspect"]
        missing = [n for n in names if n not in IMAGES]
        for name in missing:
            print(f"Error response from daemon: No such image: {name}", file=sys.stderr)
        return 1 if missing or not names else 0
    if verb != "run":
        print(f"docker stand-in: unsupported command {verb!r}", file=sys.stderr)
        return 125
    try:
        args = parse_run(rest)
    except UsageError as err:
        print(f"docker: {err}.", file=sys.stderr)
        return 125
    if args.image not in IMAGES:
        print(
            f"Unable to find image '{args.image}' locally\n"
            f"docker: Error response from daemon: pull access denied for {args.image}.",
            file=sys.stderr,
        )
        return 125
    command = os.environ.get("KSERVE_PVC_FN_COMMAND") or str(DEFAULT_COMMAND)
    prefix, notes = isolation(args)
    for note in notes:
        print(f"docker stand-in: {note}", file=sys.stderr)
    _log({"argv": list(argv), "prefix": prefix, "command": command, "notes": notes})
    full = [*prefix, command, *args.command]
    sys.stdout.flush()
    os.chdir("/")
    os.execvpe(full[0], full, container_env(args, command))
    return 127  # not reached: exec replaces the process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
