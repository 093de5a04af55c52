"""``dynarep import lerobot SRC --out STORE``: a LeRobotDataset v3 folder into an episode store.

Streaming: data files are read one at a time, videos decoded frame by frame and each frame resized
and written straight into the store's memory-mapped image files, so memory stays flat however
large the dataset. Every camera (or those chosen with ``--camera``) becomes one image key;
actions, ``observation.state``, ``next.success`` and ``next.reward`` are kept; ``task_index`` is
the episode's context and the task strings go to ``meta/info.json``. A dataset written by
``dynarep export lerobot`` comes back with its hidden contexts, seeds and provenance (kept in
``dynarep/*`` episode columns).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from dynarep.config_checks import AT_LEAST_1, IMAGE_SIZE, Checked
from dynarep.data.resize import resize_frames
from dynarep.data.store import StoreError
from dynarep.data.store_writer import StoreWriter
from dynarep.formats.base import Importer, register_importer
from dynarep.formats.lerobot_layout import CAMERA_TYPES, read_info, read_parquet, read_tasks
from dynarep.formats.video_io import decode_video

RESIZE_BATCH = 64


@dataclass(frozen=True)
class LeRobotImportConfig(Checked):
    """Options of ``dynarep import lerobot``."""

    camera: tuple[str, ...] = ()
    """Cameras to import (feature names, with or without the observation.images. prefix); default all."""
    image_size: Annotated[int, IMAGE_SIZE] = 64
    """Side of the square frames in the store (bilinear resize with anti-aliasing)."""
    max_episodes: Annotated[int | None, AT_LEAST_1] = None
    """Import only the first N episodes (default: all)."""


@register_importer("lerobot", LeRobotImportConfig)
class LeRobotImporter(Importer):
    source_help = "a LeRobotDataset v3 folder (meta/info.json, data/, videos/)"

    def run(self, source: Path, out: Path, progress: bool = True) -> Path:
        config: LeRobotImportConfig = self.config
        self.check_options(out)
        info = read_info(source)
        features: dict[str, Any] = info["features"]
        cameras = select_cameras(source, features, config.camera)
        episodes = read_episodes(source, cameras, features)
        if config.max_episodes is not None:
            episodes = episodes[: config.max_episodes]
        if not episodes:
            raise StoreError(f"{source / 'meta/episodes'}: the dataset has no episodes")
        fps = float(info["fps"])
        num_frames = sum(e["length"] for e in episodes)
        timings = {"decode": 0.0, "total": time.perf_counter()}
        with StoreWriter(out, cameras, config.image_size, num_frames) as writer:
            bar = tqdm(
                total=num_frames, desc=f"import {source.name} (tables)", unit="frame", disable=not progress
            )
            for episode in read_frame_tables(source, episodes, features):
                rows = episode["rows"]
                episode["start"] = writer.add_episode(
                    states=_vectors(rows, "observation.state"),
                    actions=_vectors(rows, "action"),
                    successes=_column(rows, "next.success", np.zeros(rows.num_rows, bool)),
                    task_index=episode["task_id"],
                    fps=fps,
                    context=episode["context"],
                    start_seed=episode["start_seed"],
                    rewards=(
                        rows["next.reward"].to_numpy().astype(np.float32)
                        if "next.reward" in rows.column_names
                        else None
                    ),
                )
                for key in cameras:
                    if features[key]["dtype"] == "image":
                        started = time.perf_counter()
                        frames = np.stack([_png(cell, source, key) for cell in rows[key].to_pylist()])
                        timings["decode"] += time.perf_counter() - started
                        writer.images[key][episode["start"] : episode["start"] + len(frames)] = resize_frames(
                            frames, config.image_size
                        )
                bar.update(rows.num_rows)
            bar.close()
            for key in cameras:
                if features[key]["dtype"] == "video":
                    timings["decode"] += import_video_camera(source, key, episodes, writer, fps, progress)
            tasks = read_tasks(source)
            provenance = info.get("dynarep") or {}  # present when dynarep exported the dataset
            writer.finish(
                {
                    "env": provenance.get("env", {"name": "imported", "format": "lerobot"}),
                    "collection": provenance.get(
                        "collection", {"format": "lerobot", "source": source.name, **_config_dict(config)}
                    ),
                    **{k: v for k, v in provenance.items() if k not in ("env", "collection", "image_keys")},
                    "fps": fps,
                    "tasks": tasks,
                    "state_names": _names(features.get("observation.state")),
                    "action_names": _names(features.get("action")),
                    "context_names": provenance.get("context_names", ["task_index"]),
                    "source": {
                        "format": "lerobot",
                        "codebase_version": info["codebase_version"],
                        "robot_type": info.get("robot_type"),
                        "cameras": {k: features[k]["dtype"] for k in cameras},
                    },
                }
            )
        self.timings = {"decode": timings["decode"], "total": time.perf_counter() - timings["total"]}
        return out


def select_cameras(source: Path, features: dict[str, Any], wanted: tuple[str, ...]) -> list[str]:
    available = [k for k, f in features.items() if f.get("dtype") in CAMERA_TYPES]
    if not available:
        raise StoreError(f"{source / 'meta/info.json'}: no image or video feature (no camera to import)")
    if not wanted:
        return available
    chosen = []
    for name in wanted:
        key = name if name in features else f"observation.images.{name}"
        if key not in available:
            raise StoreError(
                f"{source / 'meta/info.json'}: --camera {name}: no such camera "
                f"(cameras: {', '.join(available)})"
            )
        chosen.append(key)
    return chosen


def read_episodes(source: Path, cameras: list[str], features: dict[str, Any]) -> list[dict[str, Any]]:
    """One dict per episode, in order: length, global index range, video locations, dynarep extras."""
    files = sorted((source / "meta" / "episodes").glob("*/*.parquet"))
    if not files:
        raise StoreError(
            f"{source / 'meta/episodes'}: no episode files (meta/episodes/chunk-*/file-*.parquet)"
        )
    episodes: list[dict[str, Any]] = []
    for path in files:
        needed = ["episode_index", "length", "dataset_from_index", "dataset_to_index"]
        needed += [
            f"videos/{key}/{field}"
            for key in cameras
            if features[key]["dtype"] == "video"
            for field in ("chunk_index", "file_index", "from_timestamp")
        ]
        table = read_parquet(path, needed)
        extras = read_parquet(path, None)
        for i, row in enumerate(table.to_pylist()):
            episode = {**row, "file": path, "task_id": None, "context": None, "start_seed": -1}
            if "dynarep/task_id" in extras.column_names:  # written by dynarep export lerobot
                episode["task_id"] = extras["dynarep/task_id"][i].as_py()
                episode["context"] = np.asarray(extras["dynarep/context"][i].as_py(), np.float64)
                episode["start_seed"] = extras["dynarep/start_seed"][i].as_py()
            episodes.append(episode)
    episodes.sort(key=lambda e: e["episode_index"])
    if [e["episode_index"] for e in episodes] != list(range(len(episodes))):
        raise StoreError(f"{files[0].parent.parent}: episode_index must run 0..N-1 without gaps")
    return episodes


def read_frame_tables(source: Path, episodes: list[dict[str, Any]], features: dict[str, Any]):  # noqa: ANN201
    """Yield each episode with its frame rows (``rows``), reading one data file at a time."""
    columns = ["index", "episode_index", "frame_index", "task_index"]
    columns += [k for k in ("action", "observation.state", "next.success", "next.reward") if k in features]
    columns += [k for k, f in features.items() if f.get("dtype") == "image"]
    files = sorted((source / "data").glob("*/*.parquet"))
    if not files:
        raise StoreError(f"{source / 'data'}: no data files (data/chunk-*/file-*.parquet)")
    wanted = {e["episode_index"]: e for e in episodes}
    pending = list(episodes)
    for path in files:
        table = read_parquet(path, [c for c in columns if c in features or c in ("index", "episode_index")])
        episode_of_row = table["episode_index"].to_numpy()
        by_episode = np.argsort(episode_of_row, kind="stable")  # one sort, then a slice per episode
        found, starts = np.unique(episode_of_row[by_episode], return_index=True)
        ends = np.append(starts[1:], len(by_episode))
        for episode_index, start, end in zip(found, starts, ends, strict=True):
            episode = wanted.get(int(episode_index))
            if episode is None:
                continue
            rows = table.take(by_episode[start:end])
            if rows.num_rows != episode["length"]:
                raise StoreError(
                    f"{path}: episode {episode_index} has {rows.num_rows} rows, "
                    f"meta/episodes says {episode['length']}"
                )
            order = np.argsort(rows["frame_index"].to_numpy(), kind="stable")
            rows = rows.take(order)
            if episode["task_id"] is None:
                episode["task_id"] = (
                    int(rows["task_index"][0].as_py()) if "task_index" in rows.column_names else 0
                )
            episode["rows"] = rows
            yield episode
            del episode["rows"]
            pending.remove(episode)
        if not pending:
            return
    if pending:
        raise StoreError(f"{source / 'data'}: no frames for episode {pending[0]['episode_index']}")


def import_video_camera(
    source: Path, key: str, episodes: list[dict[str, Any]], writer: StoreWriter, fps: float, progress: bool
) -> float:
    """Decode every video file of one camera in order, placing each frame by its timestamp.

    Returns the seconds spent decoding. A video that ends before an episode's last frame is an
    error naming the file, the episode and the frame."""
    by_file: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for episode in episodes:
        by_file.setdefault(
            (episode[f"videos/{key}/chunk_index"], episode[f"videos/{key}/file_index"]), []
        ).append(episode)
    size = writer.images[key].shape[1]
    bar = tqdm(total=writer.num_frames, desc=f"import {key}", unit="frame", disable=not progress)
    decoding = 0.0
    for (chunk, file), group in sorted(by_file.items()):
        path = source / "videos" / key / f"chunk-{chunk:03d}" / f"file-{file:03d}.mp4"
        if not path.exists():
            raise StoreError(f"{path}: missing (episode {group[0]['episode_index']}, camera {key})")
        group.sort(key=lambda e: e[f"videos/{key}/from_timestamp"])
        filled = {e["episode_index"]: np.zeros(e["length"], bool) for e in group}
        batch_rows: list[int] = []
        batch_frames: list[np.ndarray] = []
        current = 0
        frames = decode_video(path)
        while True:
            started = time.perf_counter()
            item = next(frames, None)
            decoding += time.perf_counter() - started
            if item is None:
                break
            seconds, image = item
            while (
                current + 1 < len(group)
                and seconds >= group[current + 1][f"videos/{key}/from_timestamp"] - 0.5 / fps
            ):
                current += 1
            episode = group[current]
            index = round((seconds - episode[f"videos/{key}/from_timestamp"]) * fps)
            if 0 <= index < episode["length"]:
                filled[episode["episode_index"]][index] = True
                batch_rows.append(episode["start"] + index)
                batch_frames.append(image)
            if len(batch_rows) >= RESIZE_BATCH:
                writer.images[key][batch_rows] = resize_frames(np.stack(batch_frames), size)
                bar.update(len(batch_rows))
                batch_rows, batch_frames = [], []
        if batch_rows:
            writer.images[key][batch_rows] = resize_frames(np.stack(batch_frames), size)
            bar.update(len(batch_rows))
        for episode in group:
            missing = np.flatnonzero(~filled[episode["episode_index"]])
            if len(missing):
                frame = int(missing[0])
                at = episode[f"videos/{key}/from_timestamp"] + frame / fps
                raise StoreError(
                    f"{path}: no frame at {at:.3f} s for episode {episode['episode_index']} frame {frame} "
                    f"(camera {key}); the video is shorter than meta/episodes says"
                )
    bar.close()
    return decoding


def _png(cell: Any, source: Path, key: str) -> np.ndarray:
    from PIL import Image

    data = cell.get("bytes") if isinstance(cell, dict) else None
    if not data:
        raise StoreError(f"{source / 'data'}: column {key!r} holds an image without PNG bytes")
    try:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    except OSError as error:
        raise StoreError(f"{source / 'data'}: column {key!r}: undecodable image ({error})") from None


def _vectors(rows: pa.Table, name: str) -> np.ndarray:
    if name not in rows.column_names:
        return np.zeros((rows.num_rows, 0), np.float32)
    values = rows[name].combine_chunks()
    if pa.types.is_list(values.type) or pa.types.is_fixed_size_list(values.type):
        values = values.flatten()
    return values.to_numpy(zero_copy_only=False).astype(np.float32).reshape(rows.num_rows, -1)


def _column(rows: pa.Table, name: str, default: np.ndarray) -> np.ndarray:
    if name not in rows.column_names:
        return default
    return np.asarray(rows[name].to_numpy(zero_copy_only=False), bool).reshape(-1)


def _names(feature: dict[str, Any] | None) -> list[str]:
    names = (feature or {}).get("names")
    if isinstance(names, dict):  # LeRobot sometimes nests {"motors": [...]}
        names = next(iter(names.values()), [])
    return [str(n) for n in names] if isinstance(names, list) else []


def _config_dict(config: LeRobotImportConfig) -> dict[str, Any]:
    return {
        "camera": list(config.camera),
        "image_size": config.image_size,
        "max_episodes": config.max_episodes,
    }
