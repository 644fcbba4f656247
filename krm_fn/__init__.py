"""kserve-pvc-fn: a KRM function that makes KServe model storage on PVCs work at render time."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kserve-pvc-fn")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
