"""Decisions about ``pvc://`` storage URIs (SPEC sections 2, 3.2 and 3.3).

This is a pure module: no I/O, no YAML, no configuration objects. Callers pass plain
arguments (the framework name, the configured file extensions, the path-type annotation,
``fileUris`` and ``mountMode``) and get back a :class:`UriDecision`: the new URI (or ``None``
for "leave it byte for byte") and the findings to turn into KRM results. Field paths,
``resourceRef`` and ``mode: validate`` are the caller's business.

Decisions taken where the specification leaves room:

* **Order of checks** in :func:`decide`: not ``pvc://`` (leading whitespace allowed) -> nothing;
  careless characters -> one error each (``control-char`` for C0/C1 controls and NUL, ``query``
  for ``?``, ``fragment`` for ``#``), nothing else; template placeholder -> one ``template``
  warning and nothing else, unless the placeholder is only in the claim
  (:func:`template_in_claim_only`): then the path is judged like any other and only the claim
  check is skipped, the placeholder kept byte for byte; unrepairable form -> one error per
  problem (``no-claim``; otherwise ``bad-claim`` and/or ``dotdot``); repairable form (empty and
  ``.`` segments, surrounding whitespace: ``repaired-form``); then the file rule.
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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from krm_fn.model_files import (
    ARCHIVE_EXTENSIONS,
    SERVER_MODEL_EXTENSIONS,
    TRITON_LAYOUT_EXTENSIONS,
    PathType,
    file_extension,
    is_file_path,
)
from krm_fn.pvc_uri import (
    Finding,
    careless,
    form_errors,
    format_pvc_uri,
    has_template,
    parse_pvc_uri,
    template_in_claim_only,
)

__all__ = [
    "FileUris",
    "MountMode",
    "UriDecision",
    "decide",
]

FileUris = Literal["directory", "file-mount", "error", "ignore"]
MountMode = Literal["direct", "copy"]

_DIGITS: Final = re.compile(r"[0-9]+")
_TORCHSERVE_STORE: Final = "model-store"


@dataclass(frozen=True)
class UriDecision:
    """What to do with one URI: ``new_uri`` (``None`` = leave unchanged) and the findings."""

    new_uri: str | None
    findings: tuple[Finding, ...]

    @property
    def has_error(self) -> bool:
        """Whether any finding is an error (then ``new_uri`` is always ``None``)."""
        return any(f.severity == "error" for f in self.findings)


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
    problems = careless(uri)
    if problems:
        return UriDecision(None, tuple(problems))
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
    errors = form_errors(uri, parsed, claim_template)
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
