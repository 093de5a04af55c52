"""``dynarep export lerobot STORE --out DST``: an episode store as a LeRobotDataset v3.0 folder.

Frames go out either lossless (``--images png``: PNG bytes inside the data parquet, LeRobot's
``image`` feature) or as MP4 (``--images video``: LeRobot's default codec, libsvtav1, or h264).
Files roll over at LeRobot's sizes (100 MB of data, 200 MB of video per file). dynarep's own
metadata rides along where LeRobot ignores it (an info.json key and ``dynarep/*`` episode columns),
so ``dynarep import lerobot`` restores hidden contexts, seeds and provenance exactly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from dynarep.config_checks import AT_LEAST_1, Checked, Range
from dynarep.data.store import EpisodeStore, atomic_write_json
from dynarep.data.store_writer import check_new_store, staged_folder
from dynarep.formats.base import Exporter, register_exporter
from dynarep.formats.lerobot_layout import (
    CHUNKS_SIZE,
    CODEBASE_VERSION,
    DATA_FILE_MB,
    DATA_PATH,
    EPISODES_PATH,
    VIDEO_FILE_MB,
    VIDEO_PATH,
    next_file,
    tasks_table,
)
from dynarep.formats.video_io import VideoWriter, video_stream_info

CODECS = ("libsvtav1", "h264")


@dataclass(frozen=True)
class LeRobotExportConfig(Checked):
    """Options of ``dynarep export lerobot``."""

    images: str = "png"
    """png: lossless PNG bytes in the data parquet; video: MP4 files (lossy, much smaller)."""
    vcodec: str = "libsvtav1"
    """Video codec with --images video: libsvtav1 (LeRobot's default, AV1) or h264."""
    crf: Annotated[int, Range(0, 63)] = 30
    """Constant rate factor of the video encoder (lower: better quality, larger files)."""
    gop: Annotated[int, AT_LEAST_1] = 2
    """Keyframe interval of the video (LeRobot's default 2 keeps random access cheap)."""
    robot_type: str | None = None
    """Free-text robot type recorded in meta/info.json."""


@register_exporter("lerobot", LeRobotExportConfig)
class LeRobotExporter(Exporter):
    def run(self, store_path: Path, out: Path, progress: bool = True) -> Path:
        config: LeRobotExportConfig = self.config
        if config.images not in ("png", "video"):
            raise ValueError(f"--images {config.images!r}: choose png or video")
        if config.images == "video" and config.vcodec not in CODECS:
            raise ValueError(f"--vcodec {config.vcodec!r}: choose one of {', '.join(CODECS)}")
        check_new_store(out)
        store = EpisodeStore(store_path)
        fps = store.info.get("fps", 30)
        if float(fps) != int(fps):
            raise ValueError(f"{store_path}: fps {fps} is not a whole number, which LeRobot requires")
        fps = int(fps)
        with staged_folder(out) as tmp:
            self._write(store, tmp, fps, progress)
        return out

    def _write(self, store: EpisodeStore, root: Path, fps: int, progress: bool) -> None:
        config: LeRobotExportConfig = self.config
        video = config.images == "video"
        task_ids = list(dict.fromkeys(int(t) for t in store.episodes["task_index"].to_numpy()))
        task_index = {t: i for i, t in enumerate(task_ids)}
        features = _features(store, "video" if video else "image")
        data = _DataFiles(root, features, store.image_keys, video)
        videos = {key: _VideoFiles(root, key, fps, config) for key in store.image_keys} if video else {}
        stats = _Stats(store)
        episode_rows = []
        bar = tqdm(
            total=len(store.images), desc=f"export {root.name.strip('.')}", unit="frame", disable=not progress
        )
        for e in range(store.num_episodes):
            start, length = int(store.frame_starts[e]), int(store.lengths[e]) + 1
            rows = np.arange(start, start + length)
            task = int(store.episodes["task_index"][e].as_py())
            chunk, file = data.write_episode(store, rows, task_index[task], fps)
            row: dict[str, Any] = {
                "episode_index": e,
                "tasks": [f"task {task}"],
                "length": length,
                "data/chunk_index": chunk,
                "data/file_index": file,
                "dataset_from_index": start,
                "dataset_to_index": start + length,
            }
            for key, writer in videos.items():
                row.update(writer.write_episode(np.asarray(store.cameras[key][rows])))
            row.update(
                {
                    "meta/episodes/chunk_index": 0,
                    "meta/episodes/file_index": 0,
                    "dynarep/task_id": task,
                    "dynarep/start_seed": int(store.episodes["start_seed"][e].as_py()),
                    "dynarep/context": store.episodes["context"][e].as_py(),  # float64, as stored
                }
            )
            episode_rows.append(row)
            stats.add(rows)
            bar.update(length)
        bar.close()
        data.close()
        for key, writer in videos.items():
            writer.close()
            features[key]["info"] = {
                **video_stream_info(writer.first_path),
                "video.g": config.gop,
                "video.crf": config.crf,
            }
        path = root / EPISODES_PATH.format(chunk_index=0, file_index=0)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(episode_rows), path)
        pq.write_table(tasks_table([f"task {t}" for t in task_ids]), root / "meta" / "tasks.parquet")
        atomic_write_json(root / "meta" / "stats.json", stats.result())
        dynarep_info = {k: v for k, v in store.info.items() if k not in ("schema_version", "num_frames")}
        atomic_write_json(
            root / "meta" / "info.json",
            {
                "codebase_version": CODEBASE_VERSION,
                "robot_type": config.robot_type,
                "total_episodes": store.num_episodes,
                "total_frames": len(store.images),
                "total_tasks": len(task_ids),
                "chunks_size": CHUNKS_SIZE,
                "data_files_size_in_mb": DATA_FILE_MB,
                "video_files_size_in_mb": VIDEO_FILE_MB,
                "fps": fps,
                "splits": {"train": f"0:{store.num_episodes}"},
                "data_path": DATA_PATH,
                "video_path": VIDEO_PATH if video else None,
                "features": features,
                "dynarep": dynarep_info,
            },
        )


def _features(store: EpisodeStore, camera_type: str) -> dict[str, Any]:
    size = store.image_size
    features: dict[str, Any] = {
        key: {"dtype": camera_type, "shape": [size, size, 3], "names": ["height", "width", "channels"]}
        for key in store.image_keys
    }
    features["observation.state"] = {
        "dtype": "float32",
        "shape": [store.states.shape[1]],
        "names": store.info.get("state_names") or None,
    }
    if store.has_actions:
        features["action"] = {
            "dtype": "float32",
            "shape": [store.action_dim],
            "names": store.info.get("action_names"),
        }
    for name, dtype in (
        ("timestamp", "float32"),
        ("frame_index", "int64"),
        ("episode_index", "int64"),
        ("index", "int64"),
        ("task_index", "int64"),
        ("next.done", "bool"),
        ("next.success", "bool"),
    ):
        features[name] = {"dtype": dtype, "shape": [1], "names": None}
    if store.rewards is not None:
        features["next.reward"] = {"dtype": "float32", "shape": [1], "names": None}
    return features


class _DataFiles:
    """Appends episodes to ``data/chunk-*/file-*.parquet``, one row group per episode."""

    def __init__(self, root: Path, features: dict[str, Any], image_keys: list[str], video: bool) -> None:
        self.root, self.features, self.video = root, features, video
        self.image_keys = [] if video else image_keys
        self.chunk, self.file, self.writer, self.bytes = 0, 0, None, 0

    def write_episode(self, store: EpisodeStore, rows: np.ndarray, task: int, fps: int) -> tuple[int, int]:
        length = len(rows)
        frame_index = np.arange(length)
        columns: dict[str, pa.Array] = {}
        for key in self.image_keys:
            pngs = [_png(image) for image in store.cameras[key][rows]]
            names = [f"frame-{i:06d}.png" for i in frame_index]
            columns[key] = pa.StructArray.from_arrays(
                [pa.array(pngs, pa.binary()), pa.array(names, pa.string())], names=["bytes", "path"]
            )
        columns["observation.state"] = _fixed(store.states[rows])
        if "action" in self.features:
            columns["action"] = _fixed(store.actions[rows])
        columns.update(
            {
                "timestamp": pa.array((frame_index / fps).astype(np.float32)),
                "frame_index": pa.array(frame_index.astype(np.int64)),
                "episode_index": pa.array(store.episode_index[rows].astype(np.int64)),
                "index": pa.array(rows.astype(np.int64)),
                "task_index": pa.array(np.full(length, task, np.int64)),
                "next.done": pa.array(np.arange(length) == length - 2),
                "next.success": pa.array(store.success[rows].astype(bool)),
            }
        )
        if "next.reward" in self.features:
            columns["next.reward"] = pa.array(store.rewards[rows])
        table = pa.table(columns)
        if self.writer is not None and self.bytes + table.nbytes > DATA_FILE_MB * 2**20:
            self.writer.close()
            self.writer = None
            self.chunk, self.file = next_file(self.chunk, self.file)
        if self.writer is None:
            path = self.root / DATA_PATH.format(chunk_index=self.chunk, file_index=self.file)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            self.bytes = 0
        self.writer.write_table(table)
        self.bytes += table.nbytes
        return self.chunk, self.file

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _VideoFiles:
    """Appends episodes of one camera to ``videos/<key>/chunk-*/file-*.mp4`` back to back."""

    def __init__(self, root: Path, key: str, fps: int, config: LeRobotExportConfig) -> None:
        self.root, self.key, self.fps, self.config = root, key, fps, config
        self.chunk, self.file, self.writer = 0, 0, None
        self.first_path = root / VIDEO_PATH.format(video_key=key, chunk_index=0, file_index=0)

    def write_episode(self, frames: np.ndarray) -> dict[str, Any]:
        if self.writer is not None and self.writer.bytes_written > VIDEO_FILE_MB * 2**20:
            self.writer.close()
            self.writer = None
            self.chunk, self.file = next_file(self.chunk, self.file)
        if self.writer is None:
            path = self.root / VIDEO_PATH.format(
                video_key=self.key, chunk_index=self.chunk, file_index=self.file
            )
            size = frames.shape[1]
            self.writer = VideoWriter(
                path, size, self.fps, self.config.vcodec, self.config.crf, self.config.gop
            )
        start = self.writer.frames_written / self.fps
        self.writer.write(frames)
        prefix = f"videos/{self.key}"
        return {
            f"{prefix}/chunk_index": self.chunk,
            f"{prefix}/file_index": self.file,
            f"{prefix}/from_timestamp": start,
            f"{prefix}/to_timestamp": self.writer.frames_written / self.fps,
        }

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _Stats:
    """``meta/stats.json``: min/max/mean/std/count per feature, quantiles for vectors, images per
    channel on the 0-1 scale with shape (3, 1, 1), as LeRobot computes them."""

    QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)

    def __init__(self, store: EpisodeStore) -> None:
        self.store = store
        self.sums = {key: np.zeros((3, 3)) for key in store.image_keys}  # sum, sum of squares, count
        self.extremes = {key: [np.full(3, 255.0), np.zeros(3)] for key in store.image_keys}

    def add(self, rows: np.ndarray) -> None:
        for key in self.store.image_keys:
            pixels = np.asarray(self.store.cameras[key][rows], np.float64).reshape(-1, 3) / 255.0
            self.sums[key] += [pixels.sum(0), (pixels**2).sum(0), np.full(3, len(pixels))]
            self.extremes[key][0] = np.minimum(self.extremes[key][0], pixels.min(0) * 255)
            self.extremes[key][1] = np.maximum(self.extremes[key][1], pixels.max(0) * 255)

    def result(self) -> dict[str, Any]:
        stats: dict[str, Any] = {}
        for key in self.store.image_keys:
            total, squares, count = self.sums[key]
            mean = total / count
            std = np.sqrt(np.maximum(squares / count - mean**2, 0))
            shaped = lambda v: np.asarray(v).reshape(3, 1, 1).tolist()  # noqa: E731
            stats[key] = {
                "min": shaped(self.extremes[key][0] / 255),
                "max": shaped(self.extremes[key][1] / 255),
                "mean": shaped(mean),
                "std": shaped(std),
                "count": [int(count[0] / (self.store.image_size**2))],
            }
        vectors = {"observation.state": self.store.states}
        if self.store.has_actions:
            vectors["action"] = self.store.actions
        for name, values in vectors.items():
            stats[name] = {
                "min": values.min(0).tolist(),
                "max": values.max(0).tolist(),
                "mean": values.mean(0).tolist(),
                "std": values.std(0).tolist(),
                "count": [len(values)],
                **{f"q{int(q * 100):02d}": np.quantile(values, q, axis=0).tolist() for q in self.QUANTILES},
            }
        return stats


def _fixed(values: np.ndarray) -> pa.FixedSizeListArray:
    values = np.ascontiguousarray(values, np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image)).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()
