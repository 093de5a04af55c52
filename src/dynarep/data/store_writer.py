"""Write a store from a stream of episodes without holding its frames in memory (importers).

Frames go straight into memory-mapped ``.npy`` files of a known size; the low-dimensional columns,
small next to the frames, are gathered and written at the end. Everything is written into a hidden
sibling folder that is renamed to the store's name only when complete, so a failed or interrupted
import leaves nothing half-written under that name.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa

from dynarep.data.store import (
    SCHEMA_VERSION,
    EpisodeStore,
    StoreError,
    atomic_write_json,
    atomic_write_parquet,
    store_files,
)
from dynarep.files import checksums, seal


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A hidden sibling folder to write into, renamed to ``out`` only when the block succeeds:
    a failure or an interruption never leaves a half-written folder under ``out``'s name."""
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        check_new_store(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_new_store(out: Path) -> None:
    """Refuse an ``--out`` that exists, before any work is done."""
    if out.exists():
        kind = "folder" if out.is_dir() else "file"
        raise FileExistsError(f"--out {out}: a {kind} already exists; choose a new store path")


class StoreWriter:
    """``with StoreWriter(out, keys, size, frames) as w: w.images[key][i] = ...; w.add_episode(...)``."""

    def __init__(self, out: str | Path, image_keys: list[str], image_size: int, num_frames: int) -> None:
        self.out = Path(out)
        check_new_store(self.out)
        self._stage = staged_folder(self.out)  # finish() completes it, an error inside `with` discards it
        self.tmp = self._stage.__enter__()
        self._finished = False
        (self.tmp / "images").mkdir()
        self.image_keys = image_keys
        self.images = {
            key: np.lib.format.open_memmap(
                self.tmp / "images" / f"{key}.npy",
                mode="w+",
                dtype=np.uint8,
                shape=(num_frames, image_size, image_size, 3),
            )
            for key in image_keys
        }
        self.num_frames = num_frames
        self.frame_tables: list[pa.Table] = []
        self.episode_rows: list[dict[str, Any]] = []
        self.frames_written = 0

    def add_episode(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        successes: np.ndarray,
        task_index: int,
        fps: float,
        context: np.ndarray | None = None,
        start_seed: int = -1,
        action_source: np.ndarray | None = None,
        rewards: np.ndarray | None = None,
    ) -> int:
        """Record the low-dimensional columns of the next episode (its frames go to ``images``).

        ``actions`` has one row per frame (LeRobot's convention); the last frame's action is kept
        but marked ``has_action = False``, as in a collected store, so that a window never pairs
        it with a frame beyond the episode. ``action_source`` (per frame: expert, idm) is kept
        when given, and so is ``rewards`` (per frame, ``next.reward``: the reward of the step from
        that frame). Returns the row of the episode's first frame."""
        n = len(states)
        if n < 1:
            raise StoreError(f"{self.out}: an episode has no frames")
        episode_index = len(self.episode_rows)
        frame_index = np.arange(n)
        table = pa.table(
            {
                "episode_index": np.full(n, episode_index, np.int64),
                "frame_index": frame_index,
                "timestamp": (frame_index / fps).astype(np.float32),
                "task_index": np.full(n, task_index, np.int64),
                "observation.state": list(np.asarray(states, np.float32)),
                "action": list(np.asarray(actions, np.float32)),
                "has_action": frame_index < n - 1,
                "next.done": frame_index == n - 2 if n > 1 else frame_index == 0,
                "next.success": np.asarray(successes, bool),
            }
        )
        if action_source is not None:
            table = table.append_column(
                "action_source", pa.array(np.asarray(action_source).tolist(), pa.string())
            )
        if rewards is not None:
            table = table.append_column("next.reward", pa.array(np.asarray(rewards, np.float32)))
        start = self.frames_written
        self.frame_tables.append(table)
        self.episode_rows.append(
            {
                "episode_index": episode_index,
                "task_index": int(task_index),
                "start_seed": int(start_seed),
                "context": [float(x) for x in (np.array([task_index]) if context is None else context)],
                "length": n - 1,
                "frame_start": start,
                "success": bool(np.asarray(successes).any()),
            }
        )
        self.frames_written += n
        return start

    def copy_episode(
        self,
        store: EpisodeStore,
        episode: int,
        with_actions: bool = True,
        action_source: np.ndarray | None = None,
        with_rewards: bool = True,
    ) -> int:
        """Copy one episode of ``store`` (tables and frames of every camera); ``with_actions``
        False writes it action-free. Returns the number of frames copied."""
        rows = store.episode_rows(episode)
        start = self.add_episode(
            states=store.states[rows],
            actions=store.actions[rows] if with_actions else np.zeros((len(rows), 0), np.float32),
            successes=store.success[rows],
            task_index=int(store.episodes["task_index"][episode].as_py()),
            fps=float(store.info.get("fps", 10)),
            context=np.asarray(store.episodes["context"][episode].as_py(), np.float64),
            start_seed=int(store.episodes["start_seed"][episode].as_py()),
            action_source=None if action_source is None else action_source[rows],
            rewards=store.rewards[rows] if with_rewards and store.rewards is not None else None,
        )
        for key in store.image_keys:
            self.images[key][start : start + len(rows)] = store.cameras[key][rows]
        return len(rows)

    def finish(self, info: dict[str, Any]) -> Path:
        """Write the tables and ``meta/info.json``, then move the store into place."""
        if self.frames_written != self.num_frames:
            raise StoreError(f"{self.out}: {self.frames_written} frames written, {self.num_frames} expected")
        for images in self.images.values():
            images.flush()
        self.images = {}
        atomic_write_parquet(self.tmp / "data" / "frames.parquet", pa.concat_tables(self.frame_tables))
        atomic_write_parquet(self.tmp / "meta" / "episodes.parquet", pa.Table.from_pylist(self.episode_rows))
        info = {**info, "checksums": checksums(self.tmp, store_files(self.tmp))}
        atomic_write_json(
            self.tmp / "meta" / "info.json",
            seal(
                {
                    "schema_version": SCHEMA_VERSION,
                    "codebase_version": "dynarep-0.1",
                    "num_episodes": len(self.episode_rows),
                    "num_frames": self.num_frames,
                    "image_keys": self.image_keys,
                    **info,
                }
            ),
        )
        self._finished = True
        self._stage.__exit__(None, None, None)  # checks --out is still new, then renames
        return self.out

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None and not self._finished:
            self.images = {}
            self._stage.__exit__(kind, error, tb)  # removes the partial folder
