"""The episode store: the on-disk format every stage reads and writes.

Layout (column names follow LeRobotDataset v3 so that export to LeRobot is a thin mapping)::

    store/
      meta/info.json                       schema version, env + expert provenance, sizes
      meta/episodes.parquet                one row per episode: hidden context, seeds, success
      data/frames.parquet                  one row per frame: state, action, indices, flags
      images/observation.images.top.npy    uint8 (num_frames, H, W, 3), read by memory mapping

Each episode stores ``length + 1`` frames: the final observation has no action
(``has_action`` is false) so that inverse dynamics can use the last transition. Frames are lossless
uint8: inverse dynamics reads sub-pixel differences that a video codec would erase.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dynarep.files import FileError, check_sha256, open_npy, read_parquet, read_sealed_json

SCHEMA_VERSION = 1
IMAGE_KEY = "observation.images.top"
FRAME_COLUMNS = (
    "episode_index",
    "frame_index",
    "timestamp",
    "task_index",
    "observation.state",
    "action",
    "has_action",
    "next.done",
    "next.success",
)
EPISODE_COLUMNS = ("episode_index", "task_index", "start_seed", "context", "length", "frame_start")


class StoreError(FileError):
    """A store on disk is missing, incomplete, damaged or malformed; the message names the file."""


def store_files(root: Path) -> list[str]:
    """The files of a store whose SHA-256 ``meta/info.json`` records (under ``checksums``)."""
    images = sorted(f"images/{p.name}" for p in (root / "images").glob("*.npy"))
    return ["data/frames.parquet", "meta/episodes.parquet", *images]


def frames_fit_in_memory(root: str | Path, share: float = 0.5) -> bool:
    """Whether a store's frame files take under ``share`` of the memory available now.

    Training reads random frames: from RAM they cost nothing, from a memory map they cost a disk
    read each until the page cache holds the file (a first pass over a cold 3 GB store ran 3x
    slower per step). Loading a store that fits is one sequential read; one that does not fit is
    memory-mapped, so that it can be trained on at all."""
    frame_bytes = sum(p.stat().st_size for p in (Path(root) / "images").glob("*.npy"))
    available = available_memory()
    return available is None or frame_bytes < share * available


def available_memory() -> int | None:
    """Bytes of memory available for new data (Linux: MemAvailable, which counts reclaimable page
    cache), or None where the system does not say."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write through a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def atomic_save_npy(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.npy")
    np.save(tmp, array)
    os.replace(tmp, path)


def atomic_write_parquet(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


@dataclass
class Episode:
    """One recorded episode in memory, before it is written."""

    frames: np.ndarray  # (length + 1, H, W, 3) uint8
    states: np.ndarray  # (length + 1, state_dim) float32
    actions: np.ndarray  # (length, action_dim) float32
    successes: np.ndarray  # (length + 1,) bool: success flag at each frame
    task_index: int
    start_seed: int
    context: np.ndarray  # the hidden context (e.g. the goal)
    rewards: np.ndarray | None = None  # (length,) float32: reward of each transition, if the env has one

    @property
    def length(self) -> int:
        return len(self.actions)


def frame_table(episode: Episode, episode_index: int, fps: float) -> pa.Table:
    """The per-frame parquet rows of one episode."""
    n = episode.length + 1
    action_dim = episode.actions.shape[1]
    actions = np.concatenate([episode.actions, np.zeros((1, action_dim), np.float32)])
    frame_index = np.arange(n)
    table = pa.table(
        {
            "episode_index": np.full(n, episode_index, np.int64),
            "frame_index": frame_index,
            "timestamp": (frame_index / fps).astype(np.float32),
            "task_index": np.full(n, episode.task_index, np.int64),
            "observation.state": list(episode.states.astype(np.float32)),
            "action": list(actions.astype(np.float32)),
            "has_action": frame_index < episode.length,
            "next.done": frame_index == episode.length - 1,
            "next.success": np.concatenate([episode.successes[1:], episode.successes[-1:]]),
        }
    )
    if episode.rewards is not None:
        table = table.append_column("next.reward", pa.array(reward_column(episode.rewards, n)))
    return table


def reward_column(rewards: np.ndarray, frames: int) -> np.ndarray:
    """Per-transition rewards as a per-frame column: ``next.reward`` at frame t is the reward of
    the step t -> t+1 (LeRobot's convention); the final frame, which has no step, holds 0."""
    column = np.zeros(frames, np.float32)
    column[: len(rewards)] = np.asarray(rewards, np.float32)[: frames - 1]
    return column


class CameraStack:
    """Several cameras read as one: frames concatenated on the channel axis, (N, H, W, 3 x cameras).

    It indexes like the uint8 arrays it stacks, so every reader of ``store.images`` (the window
    sampler, finetuning, probes) trains on several cameras without knowing it."""

    def __init__(self, arrays: list[np.ndarray]) -> None:
        self.arrays = arrays
        n, h, w, _ = arrays[0].shape
        self.shape = (n, h, w, 3 * len(arrays))
        self.dtype = np.dtype(np.uint8)
        self.ndim = 4

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> np.ndarray:
        return np.concatenate([np.asarray(a[index]) for a in self.arrays], axis=-1)


class EpisodeStore:
    """Read access to a finished store, validated on open.

    Frames are memory-mapped, or loaded whole with ``in_memory=True`` (thousands of small episodes
    fit in RAM, and random minibatch reads from RAM are the fastest option measured). Tables are
    checked against the SHA-256 that ``meta/info.json`` records; frames too with ``verify=True``.
    """

    def __init__(self, root: str | Path, in_memory: bool = False, verify: bool = False) -> None:
        self.root = Path(root)
        info_path = self.root / "meta" / "info.json"
        if not self.root.exists():
            raise StoreError(f"{self.root}: no such episode store")
        if not info_path.exists():
            raise StoreError(
                f"{info_path}: missing; not a finished dynarep store "
                "(re-run `dynarep collect` with the same arguments to finish it)"
            )
        self.info: dict[str, Any] = read_sealed_json(info_path, StoreError, "a dynarep store description")
        self.checksums: dict[str, str] = self.info.get("checksums") or {}
        self.verify = verify
        version = self.info.get("schema_version")
        if version != SCHEMA_VERSION:
            raise StoreError(f"{info_path}: schema_version {version!r}, this dynarep reads {SCHEMA_VERSION}")
        self.episodes = self._read_table("meta/episodes.parquet", EPISODE_COLUMNS)
        frames = self._read_table("data/frames.parquet", FRAME_COLUMNS)
        if self.episodes.num_rows == 0:
            raise StoreError(f"{self.root / 'meta/episodes.parquet'}: the store has zero episodes")
        self.image_keys: list[str] = list(
            self.info.get("image_keys", [self.info.get("image_key", IMAGE_KEY)])
        )
        self.cameras = {key: self._read_images(key, frames.num_rows, in_memory) for key in self.image_keys}
        self.images: np.ndarray | CameraStack = self.cameras[self.image_keys[0]]
        """Frames training reads: the first camera, unless ``use_cameras`` chose others."""
        self.camera_keys = self.image_keys[:1]
        self.episode_index = frames["episode_index"].to_numpy()
        self.frame_index = frames["frame_index"].to_numpy()
        self.has_action = frames["has_action"].to_numpy()
        self.actions = _stack(frames["action"], "action", self.root)
        self.states = _stack(frames["observation.state"], "observation.state", self.root)
        self.success = frames["next.success"].to_numpy()
        with_rewards = "next.reward" in frames.column_names
        self.rewards = frames["next.reward"].to_numpy().astype(np.float32) if with_rewards else None
        """Reward of the step from each frame (``next.reward``), or None when the store has none."""
        if not np.isfinite(self.actions[self.has_action]).all():
            raise StoreError(f"{self.root / 'data/frames.parquet'}: column 'action' has NaN or inf")
        self.lengths = self.episodes["length"].to_numpy()
        self.frame_starts = self.episodes["frame_start"].to_numpy()
        self.contexts = _stack(self.episodes["context"], "context", self.root)

    def _read_images(self, key: str, rows: int, in_memory: bool) -> np.ndarray:
        image_path = self.root / "images" / f"{key}.npy"
        if not image_path.exists():
            raise StoreError(f"{image_path}: missing")
        if self.verify:
            check_sha256(image_path, self.checksums.get(f"images/{key}.npy"))
        images = open_npy(image_path, mmap=not in_memory)  # read straight into RAM: no mapped copy
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise StoreError(
                f"{image_path}: expected uint8 frames (N, H, W, 3), got {images.dtype} {images.shape}"
            )
        if len(images) != rows:
            raise StoreError(f"{image_path}: {len(images)} frames but data/frames.parquet has {rows} rows")
        return images

    def use_cameras(self, keys: list[str] | tuple[str, ...] | None) -> EpisodeStore:
        """Make ``images`` the given cameras (stacked on channels when several); None keeps the
        first. Camera names may omit the ``observation.images.`` prefix."""
        if not keys:
            return self
        chosen = []
        for name in keys:
            key = name if name in self.cameras else f"observation.images.{name}"
            if key not in self.cameras:
                raise StoreError(f"{self.root}: no camera {name!r} (cameras: {', '.join(self.image_keys)})")
            chosen.append(key)
        self.images = (
            self.cameras[chosen[0]] if len(chosen) == 1 else CameraStack([self.cameras[k] for k in chosen])
        )
        self.camera_keys = chosen
        return self

    @property
    def has_actions(self) -> bool:
        """False for action-free stores (imported videos): only action-free objectives apply."""
        return self.action_dim > 0

    def _read_table(self, relative: str, columns: tuple[str, ...]) -> pa.Table:
        path = self.root / relative
        if not path.exists():
            raise StoreError(f"{path}: missing")
        table = read_parquet(path, self.checksums.get(relative))
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            raise StoreError(f"{path}: missing column(s) {', '.join(missing)}")
        return table

    @property
    def num_episodes(self) -> int:
        return self.episodes.num_rows

    @property
    def image_size(self) -> int:
        return int(self.images.shape[1])

    @property
    def action_dim(self) -> int:
        return int(self.actions.shape[1])

    @property
    def env_config(self) -> dict[str, Any]:
        return dict(self.info["env"])

    def episode_rows(self, episode: int) -> np.ndarray:
        """Frame rows of one episode, its final (action-less) frame included."""
        start = int(self.frame_starts[episode])
        return np.arange(start, start + int(self.lengths[episode]) + 1)

    def episode_frame_rows(self, max_episodes: int | None = None) -> np.ndarray:
        """Indices of the frame rows belonging to the first ``max_episodes`` episodes."""
        count = self.num_episodes if max_episodes is None else max_episodes
        if count > self.num_episodes:
            raise StoreError(
                f"{self.root}: asked for {count} episodes but the store holds {self.num_episodes}"
            )
        return np.flatnonzero(self.episode_index < count)


def _stack(column: pa.ChunkedArray, name: str, root: Path) -> np.ndarray:
    """A list column as a 2-d float32 array, or a clear error when rows differ in length."""
    array = column.combine_chunks()
    if len(array) == 0:
        return np.zeros((0, 0), np.float32)
    lengths = np.diff(array.offsets.to_numpy()) if hasattr(array, "offsets") else None
    if lengths is None or (lengths != lengths[0]).any():
        raise StoreError(f"{root}: column {name!r} must hold lists of one fixed length")
    return (
        array.flatten().to_numpy(zero_copy_only=False).astype(np.float32).reshape(len(array), int(lengths[0]))
    )
