"""One door for every file dynarep reads back: any decoding error becomes ``FileError`` naming the file.

A store or checkpoint damaged on disk (a truncated copy, flipped bytes) must never surface as a
raw traceback from the library that decodes it (``SafetensorError``, ``ArrowInvalid``,
``JSONDecodeError``, a numpy header error), and, where it can be told at all, never as silently
wrong numbers. So writers record the SHA-256 of what they wrote (weights: in their JSON config;
stores: in ``meta/info.json``) and readers check it: always for weights and tables, which are
small, and for a store's frames on request (``EpisodeStore(verify=True)``, ``dynarep check``),
because hashing gigabytes of frames on every open would cost more than it saves. The JSON files
that record those checksums (a store's ``meta/info.json``, weights configs) carry a checksum of
their own other keys (``seal``, ``check_seal``), so that a damaged byte that still parses as JSON
(a changed number, a renamed choice) is refused as damage instead of read as a value. Files meant
to be edited by hand (``command.json``, sweep specs) are not sealed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import torch

CHUNK = 1 << 22


class FileError(ValueError):
    """A file dynarep reads is missing, damaged or not what it should be; the message names it."""


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def checksums(root: Path, relatives: list[str]) -> dict[str, str]:
    """SHA-256 of each file under ``root``, keyed by its relative path (what writers record)."""
    return {relative: sha256(root / relative) for relative in relatives}


def check_sha256(path: Path, expected: str | None) -> None:
    """Raise when ``path`` does not hash to ``expected`` (None: nothing recorded, nothing checked)."""
    if expected is not None and sha256(path) != expected:
        raise FileError(f"{path}: damaged (its SHA-256 differs from the one recorded when it was written)")


SELF_CHECKSUM = "config_sha256"
"""Key of a sealed JSON object's checksum of its own other keys."""


def json_digest(obj: dict[str, Any], without: str = SELF_CHECKSUM) -> str:
    """SHA-256 of an object's canonical JSON (sorted keys, no spaces), without its own checksum."""
    body = {k: v for k, v in obj.items() if k != without}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def seal(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as JSON will read it back, plus a checksum of itself (``check_seal`` verifies it)."""
    body = json.loads(json.dumps({k: v for k, v in obj.items() if k != SELF_CHECKSUM}))
    return {**body, SELF_CHECKSUM: json_digest(body)}


def check_seal(path: Path, obj: dict[str, Any], error: type[FileError] = FileError) -> dict[str, Any]:
    """``obj`` read from ``path`` without its checksum; raises ``error`` (a kind of ``FileError``)
    when the checksum does not match. Objects written before sealing existed have none and pass,
    unless some other key holds the checksum of the rest: that is the seal under a damaged name."""
    if SELF_CHECKSUM in obj:
        if obj[SELF_CHECKSUM] != json_digest(obj):
            raise error(f"{path}: damaged (its content differs from the checksum written with it)")
        return {k: v for k, v in obj.items() if k != SELF_CHECKSUM}
    for key, value in obj.items():
        if isinstance(value, str) and len(value) == 64 and value == json_digest(obj, without=key):
            raise error(f"{path}: damaged (its checksum's key reads {key!r}, not {SELF_CHECKSUM!r})")
    return obj


def _fail(path: Path, what: str, error: Exception) -> FileError:
    detail = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
    return FileError(f"{path}: cannot be read as {what} ({detail})")


def _exists(path: Path) -> None:
    if not path.is_file():
        raise FileError(f"{path}: missing" if not path.exists() else f"{path}: not a file")


def check_folder_path(path: str | Path, flag: str = "--out") -> Path:
    """Refuse, before any work, an output folder path where a file already is."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileError(f"{flag} {path}: a file is there; give a folder path")
    return path


def read_json(path: str | Path) -> Any:
    path = Path(path)
    _exists(path)
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        raise _fail(path, "JSON", error) from None


def read_sealed_json(path: str | Path, error: type[FileError], what: str) -> dict[str, Any]:
    """A JSON object written with ``seal``, its checksum verified and dropped; ``error`` (a kind of
    ``FileError``) names ``path`` when it is not an object or does not match its checksum."""
    path = Path(path)
    obj = read_json(path)
    if not isinstance(obj, dict):
        raise error(f"{path}: not {what} (expected a JSON object)")
    return check_seal(path, obj, error)


def read_parquet(path: str | Path, sha: str | None = None, columns: list[str] | None = None) -> pa.Table:
    path = Path(path)
    _exists(path)
    check_sha256(path, sha)
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise _fail(path, "a parquet table", error) from None


def read_tensors(path: str | Path, sha: str | None = None) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    _exists(path)
    check_sha256(path, sha)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise _fail(path, "safetensors", error) from None


def open_npy(path: str | Path, mmap: bool = True) -> np.ndarray:
    """A ``.npy`` array, memory-mapped by default; a truncated or damaged header is refused."""
    path = Path(path)
    _exists(path)
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise _fail(path, "a .npy array", error) from None
