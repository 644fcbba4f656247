"""What every rule shares: building results and changes, the policies they all read (SPEC 3.2, 3.5, 3.8).

A rule module imports this module, :mod:`krm_fn.kinds` and :mod:`krm_fn.kserve_facts`; never
another rule. Each policy has one reader here: the file-extension policy
(:func:`file_extensions`), the path-type annotation (:func:`path_type`), the readOnly policy
(:func:`read_only`, :func:`read_only_change`). Each rule module documents its rule ids with
:class:`RuleDoc` entries, from which ``docs/rules.md`` is generated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from krm_fn.injector import READONLY_ANNOTATION
from krm_fn.kserve_facts import Feature
from krm_fn.model_files import PathType
from krm_fn.ops import Path, format_path
from krm_fn.resource import ANNOTATION_PREFIX, PATH_TYPE_ANNOTATION, Resource
from krm_fn.results import Field, Result, Severity

if TYPE_CHECKING:
    from krm_fn.config import PolicySpec

#: ``ignore.fn.kserve-pvc.dev/<rule id>: "<reason>"`` suppresses a rule on a resource (SPEC 3.8).
IGNORE_PREFIX = "ignore." + ANNOTATION_PREFIX


@dataclass(frozen=True)
class RuleDoc:
    """One rule id, as ``docs/rules.md`` documents it; the id is public API and never renamed."""

    id: str
    #: The severity of its findings unless ``spec.rules`` says otherwise (a rewrite is ``info``).
    severity: Severity
    #: Whether the rule changes resources (when it is off or ignored, it does not).
    rewrites: bool
    #: What it catches: the first sentence is the short description.
    catches: str
    #: How to fix what it reports.
    fix: str
    #: The KServe behaviours it depends on (their releases and sources); none: every release.
    facts: tuple[Feature, ...] = ()
    #: Where the behaviour is read, when it is not release-dependent (no row in the facts table).
    source: str = ""

    @property
    def summary(self) -> str:
        """The first sentence of :attr:`catches`."""
        head, dot, _ = self.catches.partition(". ")
        return head + ("." if dot or not head.endswith(".") else "")


@dataclass(frozen=True)
class Change:
    """One change a rule asks for: set (or append to) ``path``, and why."""

    path: Path
    current: Any
    proposed: Any
    message: str
    #: The id of the rule that asks for it (SPEC 3.8).
    rule: str
    original_uri: bool = False
    append: bool = False


@dataclass
class Outcome:
    """What a rule found in one resource."""

    changes: list[Change] = field(default_factory=list)
    findings: list[Result] = field(default_factory=list)


def finding(
    res: Resource,
    severity: Severity,
    message: str,
    path: Path,
    current: Any = None,
    *,
    proposed: Any = None,
    rule: str,
) -> Result:
    """A result of rule ``rule`` about one field of ``res``: its path, the value there and what to write instead."""
    return Result(message, severity, res.ref, Field(format_path(path), current, proposed), res.file, rule)


@dataclass(frozen=True)
class Context:
    """What every rule may read besides the resource: the config and the whole bundle."""

    spec: PolicySpec
    resources: tuple[Resource, ...] = ()

    @cached_property
    def by_kind(self) -> Mapping[tuple[str, str], tuple[Resource, ...]]:
        """The bundle's resources grouped by (group, kind), built once: rules that cross-check
        against other resources look them up here instead of scanning the bundle per resource."""
        groups: dict[tuple[str, str], list[Resource]] = {}
        for res in self.resources:
            groups.setdefault((res.group, res.kind), []).append(res)
        return {key: tuple(value) for key, value in groups.items()}

    def active(self, res: Resource, rule: str) -> bool:
        """Whether ``rule`` runs on ``res``: not ``off`` in ``spec.rules``, not ignored by an annotation.

        A rule whose changes feed another change (the file rule and the pod injection) asks this;
        everything else is filtered after the rules ran (:mod:`krm_fn.transform`).
        """
        return rule_setting(self.spec, rule) != "off" and ignore_reason(res, rule) is None


def rule_setting(spec: PolicySpec, rule: str) -> str | None:
    """``spec.rules[rule]`` (``off``, ``info``, ``warning``, ``error``), or None."""
    rules: Mapping[str, str] = getattr(spec, "rules", None) or {}
    return rules.get(rule)


def ignore_reason(res: Resource, rule: str) -> str | None:
    """The reason of an ``ignore.fn.kserve-pvc.dev/<rule>`` annotation on ``res``, or None."""
    value = res.annotations.get(IGNORE_PREFIX + rule)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def file_extensions(spec: PolicySpec) -> tuple[str, ...]:
    """``fileExtensions`` and ``extraFileExtensions`` together: what makes a path a file (SPEC 3.2).

    The one reader of the file-extension policy. A function, not a property of the model: a
    well-formed config reaches the rules as plain settings (``krm_fn.settings``), which carry the
    fields only.
    """
    return (*spec.fileExtensions, *spec.extraFileExtensions)


def path_type(*annotations: Mapping[str, Any]) -> tuple[PathType | None, str | None]:
    """The ``fn.kserve-pvc.dev/path-type`` override of the first annotations that set it.

    Returns ``(path type, None)``, or ``(None, raw value)`` when the value is neither ``file`` nor
    ``directory`` (the caller reports it), or ``(None, None)`` when nothing sets it.
    """
    for notes in annotations:
        if PATH_TYPE_ANNOTATION in notes:
            value = notes[PATH_TYPE_ANNOTATION]
            if value == "file":
                return "file", None
            if value == "directory":
                return "directory", None
            return None, str(value)
    return None, None


def read_only(annotations: Mapping[str, Any], spec: PolicySpec) -> bool:
    """KServe's read-only flag after the ``readOnly`` policy: the annotation unless it is exactly ``"false"``."""
    if spec.readOnly != "preserve":
        return bool(spec.readOnly)
    return annotations.get(READONLY_ANNOTATION) != "false"


def read_only_change(meta_path: Path, annotations: Mapping[str, Any], spec: PolicySpec, what: str) -> Change | None:
    """The change that sets ``storage.kserve.io/readonly`` as the ``readOnly`` policy says, if needed."""
    if spec.readOnly == "preserve":
        return None
    want = "true" if spec.readOnly else "false"
    have = annotations.get(READONLY_ANNOTATION)
    if have == want:
        return None
    return Change(
        (*meta_path, "annotations", READONLY_ANNOTATION),
        have,
        want,
        f"set {READONLY_ANNOTATION}: {want!r}{what} (readOnly policy)",
        rule=READ_ONLY_POLICY.id,
    )


READ_ONLY_POLICY = RuleDoc(
    "read-only-policy",
    "info",
    True,
    "Sets `storage.kserve.io/readonly` as `spec.readOnly` says (`true` or `false`) on every "
    "InferenceService, LLMInferenceService(Config), Pod or pod template that uses a `pvc://` URI. "
    "With the default `preserve` it does nothing.",
    "Nothing to fix: it is the policy you configured. Turn it off per resource with "
    "`ignore.fn.kserve-pvc.dev/read-only-policy: <reason>`.",
    source='KServe `constants.StorageReadonlyAnnotationKey`: mounts are read-only unless it is exactly "false"',
)
PATH_TYPE_INVALID = RuleDoc(
    "path-type-invalid",
    "warning",
    False,
    "A `fn.kserve-pvc.dev/path-type` annotation that is neither `file` nor `directory`. It is ignored and the "
    "file extension decides.",
    "Write `file` or `directory`, or remove the annotation.",
    source="this function's own annotation (SPEC 3.2)",
)

# -- the URI rules: findings of :func:`krm_fn.uris.decide`, reported by every rule that judges URIs --

FILE_URI = RuleDoc(
    "file-uri",
    "info",
    True,
    "A `pvc://` URI whose path names a file (SPEC 3.2's extensions, or `fn.kserve-pvc.dev/path-type: file`). In "
    "direct mode KServe mounts the path as `/mnt/models` itself, so the model server finds a file where it lists a "
    "directory (`NotADirectoryError`). The URI is rewritten to its model root (the file's directory; Triton's "
    "repository, TF Serving's base path, TorchServe's directory above `model-store`); with `fileUris: error` it is "
    "an error instead.",
    "Point the URI at the model's directory (the result's `proposedValue`), or keep the rewrite.",
    facts=(Feature.DIRECT_PVC_DEFAULT,),
)
ARCHIVE_DIRECT = RuleDoc(
    "archive-direct",
    "error",
    False,
    "A `pvc://` URI naming an archive (`.zip .tar .tar.gz .tgz`) in direct mode. Only the copy-mode storage "
    "initializer unpacks archives.",
    "Unpack the archive on the volume and point the URI at the directory, or use copy mode (KServe 0.15 or older).",
    facts=(Feature.DIRECT_PVC_DEFAULT,),
)
COPY_MODE_FILE = RuleDoc(
    "copy-mode-file",
    "info",
    False,
    "A file or archive URI in copy mode. The storage initializer copies or unpacks it; nothing is changed.",
    "Nothing to fix on KServe 0.15 or older; from 0.16 copy mode is gone and the file rule applies.",
    facts=(Feature.COPY_PATH_REMOVED,),
)
MODEL_LAYOUT = RuleDoc(
    "model-layout",
    "warning",
    False,
    "A Triton, TensorFlow or TorchServe file that does not sit in the layout its server needs. The rewrite used the "
    "file's directory.",
    "Lay the files out as the server expects (named in the message) and point the URI at the root.",
    source="Triton, TF Serving and TorchServe model repository layouts",
)
ONE_MODEL_FILE = RuleDoc(
    "one-model-file",
    "info",
    False,
    "After a rewrite, a server that lists the directory and needs exactly one model file (sklearn, xgboost, "
    "lightgbm, pmml). Said once per resource: nothing at render time can count the files.",
    "Keep exactly one model file with the named extensions in that directory.",
    source="v0.20.0 python/sklearnserver/sklearnserver/model.py",
)
UNSUPPORTED_EXTENSION = RuleDoc(
    "unsupported-extension",
    "warning",
    False,
    "A model file the framework's server never loads (sklearn and `.bst`).",
    "Use a file the server loads (listed in the message), or the right `modelFormat`.",
    source="KServe model servers (SPEC 2)",
)
SNAPSHOT_DIRECTORY = RuleDoc(
    "snapshot-directory",
    "info",
    False,
    "A Hugging Face or LLMInferenceService model URI that was a single file: the directory must hold a full "
    "snapshot (config.json, tokenizer, weights).",
    "Point the URI at the snapshot directory; a single `.gguf` file is what vLLM opens by path.",
    source="`vllm serve /mnt/models` in KServe's LLMInferenceServiceConfig template",
)
URI_FORM_REPAIRED = RuleDoc(
    "uri-form-repaired",
    "warning",
    True,
    "A `pvc://` URI with interior empty or `.` path segments, or surrounding whitespace. KServe does no cleaning: "
    "`//` gives an absolute subPath, a trailing space a path that does not exist. Repaired.",
    "Write the repaired URI (`proposedValue`).",
    source="v0.20.0 pkg/utils/storage.go ParsePvcURI (no cleaning)",
)
URI_INVALID = RuleDoc(
    "uri-invalid",
    "error",
    False,
    "A `pvc://` URI nobody can repair safely: no claim (`pvc://`), a claim that is not a DNS-1123 subdomain, a `..` "
    "segment, a control character or NUL, a `?query` or `#fragment`. Left byte for byte.",
    "Write `pvc://<claim>/<path to the model directory>`.",
    source="Kubernetes subPath and PVC name validation; v0.20.0 pkg/utils/storage.go ParsePvcURI",
)
URI_TEMPLATE = RuleDoc(
    "uri-template",
    "warning",
    False,
    "A `pvc://` URI whose path holds an unexpanded placeholder (`${`, `$(`, `{{`). Not checked. A placeholder only "
    "in the claim (`pvc://${PVC_NAME}/models/m`) is not reported: the path is judged and the placeholder kept.",
    "Run the function after the placeholders are expanded (after envsubst, helm template).",
    source="SPEC 3.3",
)

#: The rule id of each :class:`krm_fn.pvc_uri.Finding` code.
URI_RULES: dict[str, RuleDoc] = {
    "file-uri": FILE_URI,
    "archive-direct": ARCHIVE_DIRECT,
    "copy-mode-file": COPY_MODE_FILE,
    "layout-mismatch": MODEL_LAYOUT,
    "one-file-server": ONE_MODEL_FILE,
    "unsupported-ext": UNSUPPORTED_EXTENSION,
    "snapshot-dir": SNAPSHOT_DIRECTORY,
    "repaired-form": URI_FORM_REPAIRED,
    "no-claim": URI_INVALID,
    "bad-claim": URI_INVALID,
    "dotdot": URI_INVALID,
    "control-char": URI_INVALID,
    "query": URI_INVALID,
    "fragment": URI_INVALID,
    "template": URI_TEMPLATE,
}
URI_RULE_DOCS: tuple[RuleDoc, ...] = tuple(dict.fromkeys(URI_RULES.values()))


def uri_rule(code: str) -> str:
    """The rule id of a URI finding code."""
    return URI_RULES[code].id
