"""``dynarep import video SRC --out STORE``: a folder of videos or image sequences, action-free.

Each video file (``.mp4 .mkv .avi .mov .webm``) and each sub-folder of images (``.png .jpg .jpeg``,
in name order) directly under ``SRC`` is one episode, in name order. The store has frames only: no
actions and no state, so it serves action-free objectives and, later, pseudo-labelling by an
inverse dynamics model. Frames are decoded one at a time and written straight to disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
from tqdm import tqdm

from dynarep.config_checks import IMAGE_SIZE, POSITIVE, Checked
from dynarep.data.resize import resize_frames
from dynarep.data.store import StoreError
from dynarep.data.store_writer import StoreWriter
from dynarep.formats.base import Importer, register_importer
from dynarep.formats.video_io import count_video_frames, decode_video, read_image, video_fps

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
IMAGE_KEY = "observation.images.camera"
BATCH = 64


@dataclass(frozen=True)
class VideoImportConfig(Checked):
    """Options of ``dynarep import video``."""

    image_size: Annotated[int, IMAGE_SIZE] = 64
    """Side of the square frames in the store (bilinear resize with anti-aliasing)."""
    fps: Annotated[float | None, POSITIVE] = None
    """Frames per second recorded in the store (default: the first video's own; 10 for image folders)."""


@register_importer("video", VideoImportConfig)
class VideoImporter(Importer):
    source_help = "a folder of video files and/or folders of images, one episode each (action-free)"

    def run(self, source: Path, out: Path, progress: bool = True) -> Path:
        config: VideoImportConfig = self.config
        self.check_options(out)
        episodes = find_episodes(source)
        lengths = [count_video_frames(p) if p.is_file() else len(_images_in(p)) for p in episodes]
        for path, length in zip(episodes, lengths, strict=True):
            if length < 2:
                raise StoreError(f"{path}: {length} frame(s); an episode needs at least 2")
        fps = config.fps or (video_fps(episodes[0]) if episodes[0].is_file() else 10.0)
        with StoreWriter(out, [IMAGE_KEY], config.image_size, sum(lengths)) as writer:
            bar = tqdm(total=sum(lengths), desc=f"import {source.name}", unit="frame", disable=not progress)
            for path, length in zip(episodes, lengths, strict=True):
                empty = np.zeros((length, 0), np.float32)
                start = writer.add_episode(empty, empty, np.zeros(length, bool), 0, fps, np.zeros(0))
                frames = (image for _, image in decode_video(path)) if path.is_file() else _read_all(path)
                written = 0
                for batch in _batches(frames):
                    if written + len(batch) > length:
                        raise StoreError(f"{path}: more frames decoded than the container declares")
                    images = resize_frames(np.stack(batch), config.image_size)
                    writer.images[IMAGE_KEY][start + written : start + written + len(batch)] = images
                    written += len(batch)
                    bar.update(len(batch))
                if written != length:
                    raise StoreError(f"{path}: {length} frames declared but {written} decoded")
            bar.close()
            writer.finish(
                {
                    "env": {"name": "imported", "format": "video"},
                    "collection": {"format": "video", "source": source.name, "image_size": config.image_size},
                    "fps": fps,
                    "state_names": [],
                    "context_names": [],
                    "episode_sources": [p.name for p in episodes],
                }
            )
        return out


def find_episodes(source: Path) -> list[Path]:
    if not source.is_dir():
        raise StoreError(f"{source}: no such folder")
    episodes = [
        p
        for p in sorted(source.iterdir())
        if (p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES) or (p.is_dir() and _images_in(p))
    ]
    if not episodes:
        raise StoreError(
            f"{source}: no videos ({' '.join(VIDEO_SUFFIXES)}) "
            f"or folders of images ({' '.join(IMAGE_SUFFIXES)})"
        )
    return episodes


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _read_all(folder: Path):  # noqa: ANN202
    images = _images_in(folder)
    first = read_image(images[0])
    for path in images:
        image = read_image(path)
        if image.shape != first.shape:
            raise StoreError(
                f"{path}: {image.shape[1]}x{image.shape[0]} px, "
                f"the first image of the folder is {first.shape[1]}x{first.shape[0]}"
            )
        yield image


def _batches(frames):  # noqa: ANN001, ANN202
    batch = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
