"""Reading and writing video with PyAV (FFmpeg's libraries), one frame at a time.

Decoding yields ``(time in seconds, RGB uint8 (H, W, 3))`` in presentation order, so an importer can
place each frame by its timestamp and never holds a whole video. Encoding writes frames at exact
times ``k / fps`` (a stream time base of ``1 / fps``), which is how LeRobot finds a frame: at video
time ``from_timestamp + timestamp``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import numpy as np

from dynarep.data.store import StoreError


def _av():  # noqa: ANN202  (imported on use: only video work needs FFmpeg)
    os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1 prints a banner per file unless told: errors only
    import av

    return av


def decode_video(path: Path) -> Iterator[tuple[float, np.ndarray]]:
    """Every frame of the first video stream of ``path`` as (seconds, RGB uint8 array)."""
    av = _av()
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as error:
        raise StoreError(f"{path}: cannot be opened as a video ({error})") from None
    with container:
        if not container.streams.video:
            raise StoreError(f"{path}: has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                seconds = float(frame.pts * stream.time_base) if frame.pts is not None else float(frame.time)
                yield seconds, frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as error:
            raise StoreError(f"{path}: corrupt video ({error})") from None


def count_video_frames(path: Path) -> int:
    """Frames in the first video stream, counted from packets (cheap: nothing is decoded)."""
    av = _av()
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise StoreError(f"{path}: has no video stream")
            stream = container.streams.video[0]
            return sum(1 for packet in container.demux(stream) if packet.size)
    except (av.error.FFmpegError, OSError) as error:
        raise StoreError(f"{path}: cannot be read as a video ({error})") from None


def video_fps(path: Path) -> float:
    """The frame rate a video declares."""
    av = _av()
    with av.open(str(path)) as container:
        rate = container.streams.video[0].average_rate or container.streams.video[0].base_rate
        return float(rate) if rate else 10.0


def read_image(path: Path) -> np.ndarray:
    """An image file as RGB uint8 (H, W, 3), or an error naming the file."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except OSError as error:
        raise StoreError(f"{path}: not a readable image ({error})") from None


class VideoWriter:
    """Frames (H, W, 3) uint8 -> an MP4 at ``fps``; ``frames_written / fps`` is the next frame's time."""

    def __init__(self, path: Path, size: int, fps: int, codec: str, crf: int, gop: int) -> None:
        av = _av()
        if size % 2:
            raise ValueError(f"video export needs an even image size (yuv420p), got {size}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.container = av.open(str(path), mode="w")
        options = {"crf": str(crf), "g": str(gop)}
        if codec == "libsvtav1":
            options["preset"] = "12"
        self.stream = self.container.add_stream(codec, rate=fps, options=options)
        self.stream.width = self.stream.height = size
        self.stream.pix_fmt = "yuv420p"
        self.time_base = Fraction(1, fps)  # the muxer may change the stream's own once it starts
        self.stream.time_base = self.time_base
        self.stream.codec_context.gop_size = gop
        self.frames_written = 0
        self.bytes_written = 0

    def write(self, frames: np.ndarray) -> None:
        av = _av()
        for image in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = self.frames_written
            frame.time_base = self.time_base
            self._mux(self.stream.encode(frame))
            self.frames_written += 1

    def _mux(self, packets: list) -> None:
        for packet in packets:
            self.bytes_written += packet.size
            self.container.mux(packet)

    def close(self) -> None:
        self._mux(self.stream.encode(None))
        self.container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def video_stream_info(path: Path) -> dict[str, object]:
    """The ``info`` entries LeRobot records for a video feature, read from the written file."""
    av = _av()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return {
            "video.height": stream.codec_context.height,
            "video.width": stream.codec_context.width,
            "video.codec": stream.codec_context.codec.canonical_name,
            "video.pix_fmt": stream.codec_context.pix_fmt,
            "video.fps": int(stream.base_rate) if stream.base_rate else None,
            "video.channels": 3,
            "has_audio": False,
            "is_depth_map": False,
        }
