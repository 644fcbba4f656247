"""The machine formats of results (``-o json|yaml|sarif|github``) and what every format is given.

A format is a pure function from :class:`Findings` to text. The rules layer supplies the catalog
of rules (:class:`RuleInfo`: id, short description, anchor in ``docs/rules.md``) and the findings
it suppressed (:class:`Suppressed`, with the annotation's reason); a rule id seen in a result but
missing from the catalog still gets an entry, pointing at its anchor.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from krm_fn.results import Result

#: Where the project lives: SARIF's ``informationUri``, and the base of each rule's ``helpUri``.
PROJECT_URI = "https://git.example.com/kserve-pvc-fn"
RULES_DOC = f"{PROJECT_URI}/blob/main/docs/rules.md"
#: The rule id SARIF gives a finding that names none (it requires one): what the reading reported.
UNRULED = "unclassified"
#: The ``-o`` choices; ``human`` is the default, on stderr.
FORMATS = ("human", "json", "yaml", "sarif", "github")


@dataclass(frozen=True)
class RuleInfo:
    """One rule of the catalog: its stable id, a one-line description, and its documentation."""

    id: str
    description: str = ""
    help_uri: str = ""

    @property
    def uri(self) -> str:
        """The rule's documentation: its anchor in ``docs/rules.md`` unless it names another."""
        return self.help_uri or f"{RULES_DOC}#{self.id}"


@dataclass(frozen=True)
class Suppressed:
    """A finding an ``ignore.fn.kserve-pvc.dev/<id>`` annotation suppressed, and the reason given."""

    result: Result
    justification: str


@dataclass(frozen=True)
class Findings:
    """What a run reports: its results (the summary last), the rule catalog and suppressed findings."""

    results: Sequence[Result]
    rules: Sequence[RuleInfo] = ()
    suppressed: Sequence[Suppressed] = field(default_factory=tuple)

    def catalog(self) -> list[RuleInfo]:
        """The catalog's rules, then any rule a result names that the catalog does not list."""
        from krm_fn.transform import SUMMARY_PREFIX  # the core's: only a format that lists rules needs it

        known = {r.id: r for r in self.rules}
        for r in [*self.results, *(s.result for s in self.suppressed)]:
            rule = r.rule or UNRULED
            if rule not in known and not r.message.startswith(SUMMARY_PREFIX):
                what = "a finding about the input or the config" if rule == UNRULED else f"the rule {rule}"
                known[rule] = RuleInfo(rule, f"kserve-pvc-fn: {what}")
        return list(known.values())


def _yaml(data: object) -> str:
    """Block YAML that reads back as the same text: with ``allow_unicode`` PyYAML writes a NEL
    (U+0085) raw into a quoted scalar, where a reader folds it into a space, so non-ASCII text is
    escaped here."""
    import yaml

    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: object) -> bool:
            return True

    text = yaml.dump(data, Dumper=NoAliases, default_flow_style=False, sort_keys=False, width=2**31 - 1)
    return text.rstrip("\n")


def write(fmt: str, findings: Findings) -> str:
    """``findings`` in a machine format: ``json``, ``yaml``, ``sarif`` or ``github``."""
    results = list(findings.results)
    if fmt == "json":
        return json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False)
    if fmt == "yaml":
        return _yaml([r.to_dict() for r in results])
    if fmt == "sarif":
        from krm_fn.formats.sarif import sarif

        return sarif(findings)
    if fmt == "github":
        from krm_fn.formats.github import github

        return github(results)
    raise ValueError(f"unknown format {fmt!r}")
