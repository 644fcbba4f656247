"""Cut kubernetes-validate's schemas in a venv to what krm_fn.validation reads, RECORD included.

kubernetes-validate ships ~100 MB of JSON Schemas. krm_fn.validation reads only the non-strict
``_definitions.json`` and the pod-bearing kinds (VALIDATED_KINDS) of each Kubernetes version; every
version is kept, since ``spec.kubernetesVersion`` may pick any of them. The distribution's RECORD is
rewritten to list only the files that remain, so ``pip``/``importlib.metadata`` see a consistent
install. Standard library only: it runs in the image build and in tests/test_install.py.

    python container/prune_schemas.py VENV
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
from pathlib import Path

KEPT_PREFIXES = ("pod-", "podtemplate-", "deployment-", "statefulset-", "daemonset-", "replicaset-", "job-", "cronjob-")


def _keep(path: Path) -> bool:
    return path.name == "_definitions.json" or path.name.startswith(KEPT_PREFIXES)


def prune(venv: Path) -> int:
    """Prune the schemas under ``venv``; return how many schema files remain."""
    (site,) = venv.glob("lib/python3*/site-packages")
    schemas = site / "kubernetes_validate" / "kubernetes-json-schema"
    if not schemas.is_dir():
        raise SystemExit(f"{schemas} is missing: is kubernetes-validate installed in {venv}?")
    for folder in schemas.iterdir():
        if folder.is_dir() and folder.name.endswith("-strict"):
            shutil.rmtree(folder)
    for schema in schemas.rglob("*.json"):
        if not _keep(schema):
            schema.unlink()
    for record in site.glob("kubernetes_validate-*.dist-info/RECORD"):
        rows = list(csv.reader(io.StringIO(record.read_text(encoding="utf-8"))))
        kept = [row for row in rows if row and (site / row[0]).exists()]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(kept)
        record.write_text(out.getvalue(), encoding="utf-8")
    return sum(1 for _ in schemas.rglob("*.json"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(f"{prune(Path(sys.argv[1]))} schema files kept", file=sys.stderr)
