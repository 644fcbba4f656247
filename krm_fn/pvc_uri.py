"""The form of a ``pvc://`` storage URI (SPEC 3.3): parsing, claim and volume names, placeholders.

Pure, like :mod:`krm_fn.uris`, which judges what a URI names; this module only knows how one is
written and which forms can never work.

* **Parsing** is KServe's ``ParsePvcURI``: strip ``pvc://``, split on ``/``, the first segment
  is the claim, the rest joined by ``/`` is the sub-path, with no cleaning. :class:`PvcUri`
  keeps one trailing ``/`` apart (``trailing_slash``) so ``path`` is KServe's sub-path without
  it, and ``segments`` keeps the raw segments (``pvc://c//`` and ``pvc://c/`` have the same
  ``path`` but different ``segments``).
* **Claim names** are checked with Kubernetes' own ``IsDNS1123Subdomain`` (at most 253
  characters; dot-separated labels of lowercase alphanumerics and ``-``, each starting and
  ending with an alphanumeric). That is a little stricter than "alnum, ``-`` and ``.``, starting
  and ending alnum" (``a.-b`` and ``a..b`` are rejected), and it is what the API server applies
  to PVC names, so such a claim can never exist.
* **Form repair** drops interior empty segments and ``.`` segments. One trailing ``/`` is kept.
  A path that ended in ``.`` (``pvc://c/a/.``) named a directory explicitly, so the repaired URI
  ends in ``/`` (``pvc://c/a/``) and is not later mistaken for a file.
* **Careless characters** (:func:`careless`): C0/C1 controls and NUL, ``?`` and ``#`` anywhere
  after ``pvc://`` are errors nobody can repair safely (KServe takes every character after the
  claim as part of the subPath). Surrounding whitespace is not one of them: it is repaired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "PVC_URI_PREFIX",
    "Finding",
    "PvcUri",
    "Severity",
    "careless",
    "form_errors",
    "format_pvc_uri",
    "has_template",
    "is_dns1123_label",
    "is_pvc_uri",
    "is_valid_claim_name",
    "parse_pvc_uri",
    "template_in_claim_only",
]

Severity = Literal["info", "warning", "error"]

#: The scheme of a URI KServe mounts from a PersistentVolumeClaim (KServe's ``constants.PvcURIPrefix``).
PVC_URI_PREFIX: Final = "pvc://"

_TEMPLATE_MARKERS: Final = ("${", "$(", "{{")
_DNS1123_LABEL: Final = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN: Final = re.compile(rf"{_DNS1123_LABEL}(?:\.{_DNS1123_LABEL})*")
_DNS1123_SUBDOMAIN_MAX: Final = 253
_DNS1123_LABEL_RE: Final = re.compile(_DNS1123_LABEL)
_DNS1123_LABEL_MAX: Final = 63


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


_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def careless(uri: str) -> list[Finding]:
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


def form_errors(uri: str, parsed: PvcUri, claim_template: bool) -> list[Finding]:
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
