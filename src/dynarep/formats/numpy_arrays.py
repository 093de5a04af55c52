"""Plain numpy arrays into an episode store: ``write_store`` in Python, ``dynarep import numpy``.

In Python, hand ``write_store`` a sequence of episodes, each a mapping with

- ``frames``: uint8 ``(T, H, W, 3)``, any size (resized with anti-aliasing to ``image_size``);
- ``actions`` (optional): float ``(T, A)``, one per frame (the last is kept but never trained on);
  leave it out in every episode for an action-free store;
- ``states`` (optional): float ``(T, S)``; ``task`` (optional): an int, the episode's hidden context.

Episodes are read one at a time (twice: once for sizes), so the sequence may load them lazily. On
the command line, ``dynarep import numpy SRC`` takes a folder of ``.npz`` files with those keys,
one episode per file, in name order::

    np.savez("demos/episode_000.npz", frames=frames, actions=actions)
    dynarep import numpy demos --out stores/mine --fps 15
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from tqdm import tqdm

from dynarep.config_checks import IMAGE_SIZE, POSITIVE, Checked
from dynarep.data.resize import resize_frames
from dynarep.data.store import IMAGE_KEY, StoreError
from dynarep.data.store_writer import StoreWriter
from dynarep.formats.base import Importer, register_importer


def write_store(
    out: str | Path,
    episodes: Sequence[Mapping[str, Any]],
    fps: float = 10.0,
    image_size: int = 64,
    source: str = "numpy",
    progress: bool = True,
) -> Path:
    """Write a new store at ``out`` from ``episodes`` (see the module docstring for the keys)."""
    out = Path(out)
    if not len(episodes):
        raise StoreError(f"{out}: no episodes given")
    shapes = [_check(i, episode) for i, episode in enumerate(episodes)]
    with_actions = {a > 0 for _, a, _ in shapes}
    if len(with_actions) > 1:
        raise StoreError(f"{source}: some episodes have actions and some do not; give all or none")
    for key, index in (("actions", 1), ("states", 2)):
        widths = {shape[index] for shape in shapes}
        if len(widths) > 1:
            raise StoreError(f"{source}: {key!r} differ in width between episodes ({sorted(widths)})")
    total = sum(length for length, _, _ in shapes)
    with StoreWriter(out, [IMAGE_KEY], image_size, total) as writer:
        bar = tqdm(total=total, desc=f"import {source}", unit="frame", disable=not progress)
        for episode, (length, action_dim, state_dim) in zip(episodes, shapes, strict=True):
            start = writer.add_episode(
                states=np.asarray(episode.get("states", np.zeros((length, state_dim))), np.float32),
                actions=np.asarray(episode.get("actions", np.zeros((length, action_dim))), np.float32),
                successes=np.zeros(length, bool),
                task_index=int(episode.get("task", 0)),
                fps=fps,
            )
            writer.images[IMAGE_KEY][start : start + length] = resize_frames(
                np.asarray(episode["frames"]), image_size
            )
            bar.update(length)
        bar.close()
        writer.finish(
            {
                "env": {"name": "imported", "format": "numpy"},
                "collection": {"format": "numpy", "source": source, "image_size": image_size},
                "fps": fps,
                "state_names": [],
                "context_names": ["task"],
            }
        )
    return out


def _check(index: int, episode: Mapping[str, Any]) -> tuple[int, int, int]:
    """(length, action width, state width) of one episode, or an error naming the episode and key."""
    if "frames" not in episode:
        raise StoreError(f"episode {index}: no 'frames' array")
    frames = np.asarray(episode["frames"])
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise StoreError(
            f"episode {index}: 'frames' must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}"
        )
    length = len(frames)
    if length < 2:
        raise StoreError(f"episode {index}: {length} frame(s); an episode needs at least 2")
    widths = []
    for key in ("actions", "states"):
        if key not in episode:
            widths.append(0)
            continue
        values = np.asarray(episode[key])
        if values.ndim != 2 or len(values) != length:
            raise StoreError(
                f"episode {index}: {key!r} must be ({length}, D), one row per frame; got {values.shape}"
            )
        if not np.isfinite(values).all():
            raise StoreError(f"episode {index}: {key!r} holds NaN or inf")
        widths.append(values.shape[1])
    return length, widths[0], widths[1]


class _NpzEpisodes(Sequence):
    """The ``.npz`` files of a folder as a lazily loaded sequence of episodes."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise StoreError(f"{folder}: no such folder")
        self.paths = sorted(folder.glob("*.npz"))
        if not self.paths:
            raise StoreError(
                f"{folder}: no .npz files (one per episode, with 'frames' and optional 'actions')"
            )

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:  # type: ignore[override]
        path = self.paths[index]
        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except (OSError, ValueError) as error:
            raise StoreError(f"{path}: not a readable .npz file ({error})") from None


@dataclass(frozen=True)
class NumpyImportConfig(Checked):
    """Options of ``dynarep import numpy``."""

    image_size: Annotated[int, IMAGE_SIZE] = 64
    """Side of the square frames in the store (bilinear resize with anti-aliasing)."""
    fps: Annotated[float, POSITIVE] = 10.0
    """Frames per second of the recordings."""


@register_importer("numpy", NumpyImportConfig)
class NumpyImporter(Importer):
    source_help = "a folder of .npz files, one episode each (frames, optional actions, states, task)"

    def run(self, source: Path, out: Path, progress: bool = True) -> Path:
        config: NumpyImportConfig = self.config
        self.check_options(out)
        return write_store(out, _NpzEpisodes(source), config.fps, config.image_size, source.name, progress)
