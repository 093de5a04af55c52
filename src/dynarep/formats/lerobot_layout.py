"""The LeRobotDataset v3.0 layout, as LeRobot's own code writes and reads it.

::

    meta/info.json                                   codebase_version "v3.0", fps, features, totals
    meta/stats.json                                  per feature min/max/mean/std/count/q01..q99
    meta/tasks.parquet                               task strings (the pandas index) -> task_index
    meta/episodes/chunk-000/file-000.parquet         one row per episode: length, global index
                                                     range, and per camera the video file and the
                                                     episode's [from, to) timestamps inside it
    data/chunk-000/file-000.parquet                  one row per frame: action, observation.state,
                                                     timestamp, frame/episode/global index, task
    videos/<camera>/chunk-000/file-000.mp4           several episodes back to back

A frame of episode e at ``timestamp`` t sits at video time ``from_timestamp(e) + t``. Vector features
are fixed-size lists; ``image`` features are ``struct<bytes, path>`` with PNG bytes; ``video``
features live only in the MP4s. Only files under ``meta/`` name the layout's version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dynarep.data.store import StoreError

CODEBASE_VERSION = "v3.0"
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
CHUNKS_SIZE = 1000
DATA_FILE_MB = 100
VIDEO_FILE_MB = 200
CAMERA_TYPES = ("image", "video")
V2_HINT = (
    "LeRobot v2.x dataset: convert it to v3.0 first with `python -m "
    "lerobot.scripts.convert_dataset_v21_to_v30 --repo-id=<id> --root=<dir> --push-to-hub=false`"
)


def next_file(chunk: int, file: int) -> tuple[int, int]:
    """LeRobot's roll-over: the next file index, and a new chunk folder every ``CHUNKS_SIZE`` files."""
    return (chunk + 1, 0) if file + 1 >= CHUNKS_SIZE else (chunk, file + 1)


def read_info(root: Path) -> dict[str, Any]:
    """``meta/info.json``, checked for the version and keys an importer relies on."""
    path = root / "meta" / "info.json"
    if not root.is_dir():
        raise StoreError(f"{root}: no such folder")
    if not path.exists():
        hint = f"; {V2_HINT}" if (root / "meta" / "episodes.jsonl").exists() else ""
        raise StoreError(f"{path}: missing; not a LeRobot dataset{hint}")
    try:
        info = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise StoreError(f"{path}: not valid JSON ({error})") from None
    version = str(info.get("codebase_version", ""))
    if version.startswith(("v1", "v2")):
        raise StoreError(f"{path}: codebase_version {version!r}; {V2_HINT}")
    if not version.startswith("v3"):
        raise StoreError(f"{path}: unsupported codebase_version {version!r} (dynarep reads LeRobot v3.x)")
    for key in ("fps", "features"):
        if key not in info:
            raise StoreError(f"{path}: missing key {key!r}")
    return info


def camera_shape(feature: dict[str, Any]) -> tuple[int, int]:
    """(height, width) of a camera feature stored as (H, W, C) or (C, H, W)."""
    shape = list(feature["shape"])
    names = feature.get("names") or []
    if len(names) == 3 and str(names[0]).startswith("channel"):
        return int(shape[1]), int(shape[2])
    return int(shape[0]), int(shape[1])


def read_tasks(root: Path) -> list[str]:
    """Task strings ordered by ``task_index`` (the strings are the pandas index of the file)."""
    path = root / "meta" / "tasks.parquet"
    if not path.exists():
        return []
    table = read_parquet(path)
    metadata = json.loads((table.schema.metadata or {}).get(b"pandas", b"{}"))
    names = [c for c in metadata.get("index_columns", []) if isinstance(c, str)]
    column = names[0] if names else "task"
    if column not in table.column_names or "task_index" not in table.column_names:
        raise StoreError(f"{path}: expected columns 'task' and 'task_index', found {table.column_names}")
    order = table["task_index"].to_pylist()
    strings = table[column].to_pylist()
    tasks = [""] * len(order)
    for index, task in zip(order, strings, strict=True):
        tasks[index] = task
    return tasks


def tasks_table(tasks: list[str]) -> pa.Table:
    """``meta/tasks.parquet`` as pandas writes it: the strings as a named index, so LeRobot's
    ``pd.read_parquet`` gives them back as the index (a plain column would come back as data)."""
    table = pa.table(
        {"task_index": pa.array(range(len(tasks)), pa.int64()), "task": pa.array(tasks, pa.string())}
    )
    pandas_metadata = {
        "index_columns": ["task"],
        "column_indexes": [
            {
                "name": None,
                "field_name": None,
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            }
        ],
        "columns": [
            {
                "name": "task_index",
                "field_name": "task_index",
                "pandas_type": "int64",
                "numpy_type": "int64",
                "metadata": None,
            },
            {
                "name": "task",
                "field_name": "task",
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            },
        ],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.3",
    }
    return table.replace_schema_metadata({b"pandas": json.dumps(pandas_metadata).encode()})


def read_parquet(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A parquet file (or some of its columns); any failure is an error naming the file and key."""
    try:
        schema = pq.read_schema(path)
        missing = [c for c in columns or [] if c not in schema.names]
        if missing:
            raise StoreError(f"{path}: missing column(s) {', '.join(missing)}")
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as error:
        raise StoreError(f"{path}: unreadable parquet ({error})") from None
