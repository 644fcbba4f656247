"""Which names are model files: the extension lists and the file/directory guess (SPEC 3.2).

Pure. The configured ``fileExtensions`` reach these functions through :mod:`krm_fn.rulekit`'s one
reader of that policy; the defaults here are the config's default.

* **Extensions** are compared case-insensitively; a configured extension without a leading dot
  gets one, empty ones are ignored, and a segment that is nothing but the suffix (``.json``) is not
  a file (there is no name before the extension). The longest matching suffix wins, so
  ``model.tar.gz`` is ``.tar.gz``, never ``.gz``.
* **Directories**: the claim root and a path ending in ``/`` are always directories; otherwise a
  ``path-type`` annotation decides, else the extension. Dotted directory names (``v1.2``,
  ``llama-3.1-70b-instruct``) are directories, and so is ``model.gguf`` with the default list.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final, Literal

__all__ = [
    "ARCHIVE_EXTENSIONS",
    "DEFAULT_FILE_EXTENSIONS",
    "SERVER_MODEL_EXTENSIONS",
    "TRITON_LAYOUT_EXTENSIONS",
    "PathType",
    "file_extension",
    "is_file_path",
]

PathType = Literal["file", "directory"]

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
