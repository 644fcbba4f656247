"""Decisions about ``pvc://`` storage URIs (SPEC sections 2, 3.2 and 3.3).

This is a pure module: no I/O, no YAML, no configuration objects. Callers pass plain
arguments (the framework name, the configured file extensions, the path-type annotation,
``fileUris`` and ``mountMode``) and get back a :class:`UriDecision`: the new URI (or ``None``
for "leave it byte for byte") and the findings to turn into KRM results. Field paths,
``resourceRef`` and ``mode: validate`` are the caller's business.

Decisions taken where the specification leaves room:

* **Parsing** is KServe's ``ParsePvcURI``: strip ``pvc://``, split on ``/``, the first segment
  is the claim, the rest joined by ``/`` is the sub-path, with no cleaning. :class:`PvcUri`
  keeps one trailing ``/`` apart (``trailing_slash``) so ``path`` is KServe's sub-path without
  it, and ``segments`` keeps the raw segments (``pvc://c//`` and ``pvc://c/`` have the same
  ``path`` but different ``segments``).
* **Order of checks** in :func:`decide`: not ``pvc://`` (leading whitespace allowed) -> nothing;
  careless characters -> one error each (``control-char`` for C0/C1 controls and NUL, ``query``
  for ``?``, ``fragment`` for ``#``), nothing else; template placeholder -> one ``template``
  warning and nothing else, unless the placeholder is only in the claim
  (:func:`template_in_claim_only`): then the path is judged like any other and only the claim
  check is skipped, the placeholder kept byte for byte; unrepairable form -> one error per
  problem (``no-claim``; otherwise ``bad-claim`` and/or ``dotdot``); repairable form (empty and
  ``.`` segments, surrounding whitespace: ``repaired-form``); then the file rule.
* **Claim names** are checked with Kubernetes' own ``IsDNS1123Subdomain`` (at most 253
  characters; dot-separated labels of lowercase alphanumerics and ``-``, each starting and
  ending with an alphanumeric). That is a little stricter than "alnum, ``-`` and ``.``, starting
  and ending alnum" (``a.-b`` and ``a..b`` are rejected), and it is what the API server applies
  to PVC names, so such a claim can never exist.
* **Form repair** drops interior empty segments and ``.`` segments. One trailing ``/`` is kept.
  A path that ended in ``.`` (``pvc://c/a/.``) named a directory explicitly, so the repaired URI
  ends in ``/`` (``pvc://c/a/``) and is not later mistaken for a file.
* **Errors never change anything**: whenever a decision carries an ``error`` finding,
  ``new_uri`` is ``None``. A form repair found together with such an error (an archive in direct
  mode, ``fileUris: error``) is still reported as a warning, worded as a proposal, with the repaired URI as its
  ``proposed`` value.
* **Copy mode**: form repairs are reported and applied exactly as in direct mode (the repaired
  URI names the same files in copy mode, and it keeps working when the cluster moves to direct
  mode, the only mode from KServe 0.16). File URIs and archives get one ``copy-mode-file`` info
  finding and are not rewritten.
* **``fileUris: file-mount``** behaves like ``directory`` for a URI field: a URI has no
  ``mountPath`` that could be extended with the file name. The ``file-mount`` repair only exists
  for pod volume mounts (SPEC 3.4), which callers handle themselves.
* **``fileUris: ignore``** silences the whole file rule, archives included: the user takes
  responsibility (the per-resource escape hatch is ``path-type: directory``).
* **``fileUris: error``** in direct mode: an archive gets the more specific ``archive-direct``
  error only, other files a ``file-uri`` error whose ``proposed`` is the model root the rewrite
  would have chosen (so the error result shows what to write).
* **Path-type override** (``fn.kserve-pvc.dev/path-type``) replaces the extension guess, but the
  claim root and a path with a trailing ``/`` are always directories.
* **Idempotence**: when the model root chosen by a rewrite would itself look like a file to the
  same rules (``pvc://c/models/iris.pkl/model.joblib`` -> ``models/iris.pkl``, or any path under
  ``path-type: file``), the new URI gets a trailing ``/`` (``pvc://c/models/iris.pkl/``), which
  always means a directory. So :func:`decide` on its own output returns ``new_uri=None``.
* **Extensions** are the configured list (default: SPEC 3.2's list plus ``.plan``, TensorRT
  engines), plus ``.py`` for a triton URI in Triton's layout ``<repository>/<model>/<digits>/model.py``
  (the Python backend): only that layout makes a ``.py`` path certainly a model file. They are
  compared case-insensitively; a configured extension without a leading dot
  gets one, empty ones are ignored, and a segment that is nothing but the suffix (``.json``) is not
  a file (there is no name before the extension).
* **Layouts**: a triton version directory and a tensorflow version directory are ASCII digits only.
  The pytorch (TorchServe) layout applies only to ``.mar`` files (recognized whatever the
  configured list); the directory must be named exactly ``model-store``. Framework names are
  compared after ``strip().lower()``.
* **Messages** name the URI as written (before any form repair) and, for a rewrite or repair,
  the URI it became; URIs are quoted so a sentence's final period is not read as a ``.`` segment.
* **After a rewrite** the server hints follow (``info``: nothing at render time can check them;
  ``unsupported-ext`` is a ``warning``): ``one-file-server`` (sklearn, xgboost, lightgbm,
  pmml), ``unsupported-ext`` (the file is not one that server loads; with ``path-type: file`` a
  name without any extension counts as unsupported), ``snapshot-dir`` (huggingface, or
  ``snapshot_field=True`` for LLMInferenceService ``spec.model.uri``; never for LoRA adapters,
  which callers simply do not flag).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "ARCHIVE_EXTENSIONS",
    "DEFAULT_FILE_EXTENSIONS",
    "PVC_URI_PREFIX",
    "SERVER_MODEL_EXTENSIONS",
    "FileUris",
    "Finding",
    "MountMode",
    "PathType",
    "PvcUri",
    "Severity",
    "UriDecision",
    "decide",
    "file_extension",
    "format_pvc_uri",
    "has_template",
    "is_dns1123_label",
    "is_file_path",
    "is_pvc_uri",
    "is_valid_claim_name",
    "parse_pvc_uri",
    "template_in_claim_only",
]

Severity = Literal["info", "warning", "error"]
PathType = Literal["file", "directory"]
FileUris = Literal["directory", "file-mount", "error", "ignore"]
MountMode = Literal["direct", "copy"]

PVC_URI_PREFIX: Final = "pvc://"

DEFAULT_FILE_EXTENSIONS: Final[tuple[str, ...]] = (
    ".joblib",
    ".pkl",
    ".pickle",
    ".bst",
    ".json",
    ".ubj",
    ".model",
    ".txt",
    ".pmml",
    ".onnx",
    ".pt",
    ".pth",
    ".mar",
    ".safetensors",
    ".h5",
    ".keras",
    ".pb",
    ".tflite",
    ".pdmodel",
    ".pdiparams",
    ".plan",
    ".bin",
    ".zip",
    ".tar",
    ".tar.gz",
    ".tgz",
)

ARCHIVE_EXTENSIONS: Final[tuple[str, ...]] = (".zip", ".tar", ".tar.gz", ".tgz")

#: Model servers that list the model directory and need exactly one file with one of these
#: extensions (SPEC 2).
SERVER_MODEL_EXTENSIONS: Final[dict[str, tuple[str, ...]]] = {
    "sklearn": (".joblib", ".pkl", ".pickle"),
    "xgboost": (".bst", ".json", ".ubj"),
    "lightgbm": (".bst",),
    "pmml": (".pmml",),
}

_TEMPLATE_MARKERS: Final = ("${", "$(", "{{")
_DNS1123_LABEL: Final = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN: Final = re.compile(rf"{_DNS1123_LABEL}(?:\.{_DNS1123_LABEL})*")
_DNS1123_SUBDOMAIN_MAX: Final = 253
_DNS1123_LABEL_RE: Final = re.compile(_DNS1123_LABEL)
_DNS1123_LABEL_MAX: Final = 63
_DIGITS: Final = re.compile(r"[0-9]+")
_TORCHSERVE_STORE: Final = "model-store"


@dataclass(frozen=True)
class Finding:
    """One observation about a URI, to be reported as a KRM result by the caller.

    ``proposed`` is the URI the user should write when it differs from the decision's
    ``new_uri``: the repaired form that an error kept from being applied, or the model root that
    ``fileUris: error`` refused to rewrite to. ``None`` means "the decision's ``new_uri``".
    """

    severity: Severity
    code: str
    message: str
    proposed: str | None = None


@dataclass(frozen=True)
class PvcUri:
    """A parsed ``pvc://`` URI.

    ``path`` is KServe's sub-path with one trailing ``/`` removed (recorded in
    ``trailing_slash``); ``""`` is the claim root. For a well-formed URI it has no leading or
    trailing slash. ``segments`` are the raw path segments (empty for the claim root); when not
    given they are derived from ``path``.
    """

    claim: str
    path: str
    trailing_slash: bool
    segments: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.segments and self.path:
            object.__setattr__(self, "segments", tuple(self.path.split("/")))


@dataclass(frozen=True)
class UriDecision:
    """What to do with one URI: ``new_uri`` (``None`` = leave unchanged) and the findings."""

    new_uri: str | None
    findings: tuple[Finding, ...]

    @property
    def has_error(self) -> bool:
        """Whether any finding is an error (then ``new_uri`` is always ``None``)."""
        return any(f.severity == "error" for f in self.findings)


def is_pvc_uri(value: object) -> bool:
    """Return whether ``value`` is a string starting with ``pvc://`` (case-sensitive, as KServe).

    Leading whitespace is allowed: a careless ``" pvc://c/m"`` is still meant as a claim URI, and
    :func:`decide` reports and repairs it.
    """
    return isinstance(value, str) and value.lstrip().startswith(PVC_URI_PREFIX)


def parse_pvc_uri(uri: str) -> PvcUri | None:
    """Parse ``uri`` the way KServe does; return ``None`` if it is not a ``pvc://`` URI.

    No cleaning is done: ``pvc://c//a`` has the path ``/a`` (KServe's absolute sub-path) and
    ``pvc://`` an empty claim. Use :func:`decide` to judge the result.
    """
    if not is_pvc_uri(uri):
        return None
    claim, *rest = uri.strip()[len(PVC_URI_PREFIX) :].split("/")
    trailing_slash = bool(rest) and rest[-1] == ""
    segments = tuple(rest[:-1] if trailing_slash else rest)
    return PvcUri(
        claim=claim,
        path="/".join(segments),
        trailing_slash=trailing_slash,
        segments=segments,
    )


def format_pvc_uri(claim: str, segments: Sequence[str], trailing_slash: bool = False) -> str:
    """Build ``pvc://<claim>/<segments...>`` with an optional trailing ``/``."""
    uri = PVC_URI_PREFIX + claim + "".join("/" + s for s in segments)
    return uri + "/" if trailing_slash else uri


def has_template(uri: str) -> bool:
    """Return whether ``uri`` holds an unexpanded template placeholder (``${``, ``$(``, ``{{``)."""
    return any(marker in uri for marker in _TEMPLATE_MARKERS)


def template_in_claim_only(uri: str) -> bool:
    """Whether the only placeholder of a ``pvc://`` URI is its claim (``pvc://${PVC_NAME}/models/m``).

    The path after the claim must then hold no placeholder character at all (``$``, ``{``, ``}``),
    so that a placeholder with a ``/`` inside is never split into claim and path.
    """
    parsed = parse_pvc_uri(uri)
    if parsed is None or not has_template(parsed.claim):
        return False
    return not any(c in parsed.path for c in "${}")


def is_dns1123_label(name: str) -> bool:
    """Kubernetes' ``IsDNS1123Label``: what a volume name must be."""
    return len(name) <= _DNS1123_LABEL_MAX and _DNS1123_LABEL_RE.fullmatch(name) is not None


def is_valid_claim_name(claim: str) -> bool:
    """Return whether ``claim`` is a DNS-1123 subdomain, i.e. a possible PVC name."""
    return len(claim) <= _DNS1123_SUBDOMAIN_MAX and _DNS1123_SUBDOMAIN.fullmatch(claim) is not None


def _normalize_extensions(extensions: Sequence[str]) -> list[str]:
    exts = [e.strip().lower() for e in extensions]
    return [e if e.startswith(".") else "." + e for e in exts if e and e != "."]


@functools.lru_cache(maxsize=64)
def _longest_first(extensions: tuple[str, ...]) -> tuple[str, ...]:
    """The normalized extensions, longest first; one config asks about thousands of paths."""
    return tuple(sorted(_normalize_extensions(extensions), key=len, reverse=True))


def file_extension(path: str, extensions: Sequence[str]) -> str | None:
    """Return the longest of ``extensions`` that ends the last segment of ``path``.

    Matching is case-insensitive and on the whole (possibly multi-dot) suffix, so
    ``model.tar.gz`` gives ``.tar.gz`` when that is configured, never just ``.gz``. The result is
    the lowercased extension with its leading dot; ``None`` when nothing matches, when ``path``
    ends in ``/``, or when the segment is nothing but the suffix.
    """
    name = path.rsplit("/", 1)[-1].lower()
    # Longest first: two suffixes of one name with the same length are the same suffix.
    for ext in _longest_first(tuple(extensions)):
        if len(name) > len(ext) and name.endswith(ext):
            return ext
    return None


def is_file_path(
    path: str,
    extensions: Sequence[str],
    path_type: PathType | None = None,
    trailing_slash: bool = False,
) -> bool:
    """Return whether a ``pvc://`` path names a file (SPEC 3.2).

    The claim root (``""``) and a path with a trailing ``/`` (either in ``path`` or via
    ``trailing_slash``) are always directories. Otherwise ``path_type`` decides when given, and
    else the last segment must end in one of ``extensions`` (see :func:`file_extension`). Dotted
    directory names such as ``v1.2`` or ``llama-3.1-70b-instruct`` are therefore directories, and
    so is ``model.gguf`` with the default list.
    """
    if not path or trailing_slash or path.endswith("/"):
        return False
    last = path.rsplit("/", 1)[-1]
    if last in (".", ".."):
        return False
    if path_type is not None:
        return path_type == "file"
    return file_extension(path, extensions) is not None


#: Files that only Triton's layout makes unambiguous (the Python backend's ``model.py``): a ``.py``
#: path elsewhere may be a script a custom server opens by path, so it is left to the user's list.
TRITON_LAYOUT_EXTENSIONS: Final[tuple[str, ...]] = (".py",)


def _in_triton_layout(framework: str | None, segments: Sequence[str]) -> bool:
    """Whether a triton path has the shape ``<repository>/<model>/<digits>/<file>``."""
    return (
        (framework or "").strip().lower() == "triton" and len(segments) >= 3 and bool(_DIGITS.fullmatch(segments[-2]))
    )


# --------------------------------------------------------------------------------------------
# decide()


@dataclass(frozen=True)
class _Root:
    """Where a file URI's model root is, and the layout warning if the file did not fit."""

    segments: tuple[str, ...]
    reason: str
    layout_warning: str | None = None


def _model_root(framework: str | None, segments: tuple[str, ...], is_mar: bool) -> _Root:
    """Pick the model root directory for a file at ``segments`` (the last one is the file)."""
    parent = segments[:-1]
    if framework == "triton":
        if len(segments) >= 3 and _DIGITS.fullmatch(segments[-2]):
            return _Root(segments[:-3], "the Triton model repository root")
        return _Root(
            parent,
            "the file's directory",
            "Triton needs a model repository laid out as <repository>/<model>/<version>/<file>",
        )
    if framework == "tensorflow":
        if len(segments) >= 2 and _DIGITS.fullmatch(segments[-2]):
            return _Root(segments[:-2], "the TF Serving base path")
        return _Root(
            parent,
            "the file's directory",
            "TF Serving needs a base path laid out as <base>/<numeric version>/<file>",
        )
    if framework == "pytorch" and is_mar:
        if len(segments) >= 2 and segments[-2] == _TORCHSERVE_STORE:
            return _Root(segments[:-2], "the TorchServe directory above model-store")
        return _Root(
            parent,
            "the file's directory",
            "TorchServe needs config/ and model-store/<name>.mar side by side in the model directory",
        )
    return _Root(parent, "the file's directory")


def _server_hints(framework: str | None, file_name: str, new_uri: str, snapshot_field: bool) -> list[Finding]:
    """What the model server will look for in the rewritten directory.

    Whether that directory holds exactly one model file, or a full snapshot, cannot be known at
    render time: those hints are ``info`` (SPEC 2A). A file the server never loads will fail:
    that one is a ``warning``.
    """
    hints: list[Finding] = []
    server_exts = SERVER_MODEL_EXTENSIONS.get(framework or "")
    if framework is not None and server_exts is not None:
        listed = " ".join(server_exts)
        hints.append(
            Finding(
                "info",
                "one-file-server",
                f"The {framework} server lists {new_uri!r} and needs exactly one model file ending in {listed} there.",
            )
        )
        if file_extension(file_name, server_exts) is None:
            hints.append(
                Finding(
                    "warning",
                    "unsupported-ext",
                    f"The {framework} server never loads {file_name!r}: it only looks for {listed} files.",
                )
            )
    if framework == "huggingface" or snapshot_field:
        hints.append(
            Finding(
                "info",
                "snapshot-dir",
                f"{new_uri!r} must hold a full model snapshot (config.json, tokenizer files and "
                "weights), not just one weights file."
                + (
                    # KServe's LLMInferenceService template runs `vllm serve /mnt/models`, and the
                    # only single file vLLM serves by path is a GGUF model.
                    f" vLLM serves a single file only when it is a .gguf model; {file_name!r} is not one."
                    if snapshot_field
                    else ""
                ),
            )
        )
    return hints


_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _careless(uri: str) -> list[Finding]:
    """Form problems nobody can repair safely: control characters, a query, a fragment (SPEC 3.3).

    KServe takes every character after the claim as part of the subPath, so each of these names a
    path that does not exist. Surrounding whitespace is not one of them: it is repaired.
    """
    body = uri.strip()
    found: list[Finding] = []
    if (bad := _CONTROL.search(body)) is not None:
        what = "a NUL character" if bad.group() == "\x00" else f"the control character {bad.group()!r}"
        found.append(
            Finding("error", "control-char", f"{uri!r} holds {what}; KServe would mount a subPath that does not exist.")
        )
    for mark, code, name in (("?", "query", "a query ('?')"), ("#", "fragment", "a fragment ('#')")):
        if mark in body:
            found.append(
                Finding(
                    "error",
                    code,
                    f"{uri!r} holds {name}; a pvc:// URI has none, and KServe would mount a subPath that does not "
                    "exist. Remove it.",
                )
            )
    return found


def _form_errors(uri: str, parsed: PvcUri, claim_template: bool) -> list[Finding]:
    """Unrepairable form problems: no claim, a claim that cannot be a PVC name, a ``..`` segment."""
    errors: list[Finding] = []
    if not parsed.claim:
        errors.append(Finding("error", "no-claim", f"{uri!r} names no claim; use pvc://<claim>/<path>."))
    elif not claim_template and not is_valid_claim_name(parsed.claim):
        errors.append(
            Finding(
                "error",
                "bad-claim",
                f"{uri!r} names the claim {parsed.claim!r}, which is not a valid PVC name "
                "(a DNS-1123 subdomain: lowercase letters, digits, '-' and '.').",
            )
        )
    if ".." in parsed.segments:
        errors.append(
            Finding(
                "error",
                "dotdot",
                f"{uri!r} has a '..' path segment, which Kubernetes rejects in a subPath.",
            )
        )
    return errors


def decide(
    uri: str,
    *,
    framework: str | None,
    extensions: Sequence[str],
    path_type: PathType | None,
    file_uris: FileUris,
    mount_mode: MountMode,
    snapshot_field: bool = False,
) -> UriDecision:
    """Decide what to do with one storage URI string (SPEC 3.3).

    ``framework`` is the KServe framework/model-format name (any case; ``None`` = unknown),
    ``extensions`` the configured ``fileExtensions``, ``path_type`` the resource's
    ``fn.kserve-pvc.dev/path-type`` annotation, ``file_uris`` and ``mount_mode`` the policy, and
    ``snapshot_field`` marks an LLMInferenceService ``spec.model.uri``.

    Guarantees: ``new_uri`` is ``None`` when nothing is to change and whenever a finding is an
    error; otherwise it keeps the claim, has no empty, ``.`` or ``..`` segment, and
    ``decide(new_uri, ...)`` with the same arguments returns ``new_uri=None``. See the module
    docstring for the decisions behind each case.
    """
    parsed = parse_pvc_uri(uri)
    if parsed is None:
        return UriDecision(None, ())
    careless = _careless(uri)
    if careless:
        return UriDecision(None, tuple(careless))
    claim_template = template_in_claim_only(uri)
    if has_template(uri) and not claim_template:
        return UriDecision(
            None,
            (
                Finding(
                    "warning",
                    "template",
                    f"{uri!r} holds an unexpanded template placeholder and was not checked.",
                ),
            ),
        )

    # Unrepairable form problems: report every one, change nothing.
    errors = _form_errors(uri, parsed, claim_template)
    if errors:
        return UriDecision(None, tuple(errors))

    # Repairable form problems.
    segments = tuple(s for s in parsed.segments if s not in ("", "."))
    trailing_slash = parsed.trailing_slash or (bool(parsed.segments) and parsed.segments[-1] == "." and bool(segments))
    repaired = format_pvc_uri(parsed.claim, segments, trailing_slash)
    repair_needed = repaired != uri
    padded = uri != uri.strip()
    path = "/".join(segments)

    findings: list[Finding] = []

    def finish(rewritten: str | None = None, error: Finding | None = None) -> UriDecision:
        """Add the repair warning (applied or only proposed) and build the decision."""
        if repair_needed:
            what = (
                "surrounding whitespace"
                if padded and repaired == uri.strip()
                else ("empty or '.' path segments" + (" and surrounding whitespace" if padded else ""))
            )
            if error is None:
                text = f"{uri!r} has {what}; repaired to {repaired!r}."
            else:
                text = (
                    f"{uri!r} has {what}; the repaired form {repaired!r} was "
                    "not applied because of the error on this URI."
                )
            # An unapplied repair still carries the repaired form, so the result can show it.
            findings.insert(
                0,
                Finding("warning", "repaired-form", text, None if error is None else repaired),
            )
        if error is not None:
            findings.append(error)
            return UriDecision(None, tuple(findings))
        if rewritten is None and repair_needed:
            rewritten = repaired
        return UriDecision(rewritten, tuple(findings))

    if _in_triton_layout(framework, segments):
        extensions = (*extensions, *TRITON_LAYOUT_EXTENSIONS)
    if file_uris == "ignore" or not is_file_path(path, extensions, path_type, trailing_slash):
        return finish()

    archive = file_extension(path, ARCHIVE_EXTENSIONS)
    if mount_mode == "copy":
        what = f"an archive ({archive})" if archive else "a single file"
        findings.append(
            Finding(
                "info",
                "copy-mode-file",
                f"{uri!r} names {what}, which the copy-mode storage initializer handles; left unchanged.",
            )
        )
        return finish()

    if archive is not None:
        return finish(
            error=Finding(
                "error",
                "archive-direct",
                f"{uri!r} names an archive ({archive}), which only the copy-mode storage "
                "initializer unpacks; unpack it on the volume or use mountMode copy.",
            )
        )
    fw = framework.strip().lower() if framework else None
    is_mar = file_extension(path, (".mar",)) is not None
    root = _model_root(fw, segments, is_mar)
    root_path = "/".join(root.segments)
    needs_slash = is_file_path(root_path, extensions, path_type)
    new_uri = format_pvc_uri(parsed.claim, root.segments, needs_slash)
    if file_uris == "error":
        # The model root is proposed, not applied: the user asked to be stopped, not fixed.
        return finish(
            error=Finding(
                "error",
                "file-uri",
                f"{uri!r} names a file, but a direct PVC mount needs a directory at "
                f"/mnt/models; point the URI at the model directory ({new_uri!r}).",
                new_uri,
            )
        )

    # fileUris directory (or file-mount, which means the same for a URI): rewrite.
    findings.append(
        Finding(
            "info",
            "file-uri",
            f"{uri!r} names a file, which a direct PVC mount cannot serve as /mnt/models; "
            f"rewritten to {new_uri!r} ({root.reason}).",
        )
    )
    if root.layout_warning is not None:
        findings.append(
            Finding(
                "warning",
                "layout-mismatch",
                f"{uri!r} does not fit the {fw} layout ({root.layout_warning}); used the file's directory {new_uri!r}.",
            )
        )
    findings.extend(_server_hints(fw, segments[-1], new_uri, snapshot_field))
    return finish(new_uri)
