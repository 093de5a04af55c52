"""Several cameras through one encoder (shared weights) or one encoder each; embeddings concatenated.

Frames arrive with the cameras stacked on the channel axis, (B, S, S, 3 x cameras), in the order of
``camera_names`` (``EpisodeStore.use_cameras`` reads them so). Each camera keeps its own mean frame
(the views differ), then every camera goes through the conv + spatial-softmax encoder: the same
one when ``shared`` (the default: a view-independent φ, and as many parameters as one camera), or
its own. The objectives see an encoder like any other, only with a wider embedding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from dynarep.nets.encoder import ConvEncoder, EncoderConfig, mean_of_frames


@dataclass(frozen=True)
class MultiCameraConfig:
    """Architecture of a multi-camera encoder."""

    camera: EncoderConfig
    """The per-camera conv + spatial-softmax encoder."""
    camera_names: tuple[str, ...]
    """Cameras in channel order (store image keys)."""
    shared: bool = True
    """One encoder for every camera (True) or one encoder per camera."""

    @property
    def image_size(self) -> int:
        return self.camera.image_size

    @property
    def embed_dim(self) -> int:
        return self.camera.embed_dim * len(self.camera_names)

    @property
    def in_channels(self) -> int:
        return 3 * len(self.camera_names)

    def to_dict(self) -> dict[str, Any]:
        return {
            "camera": self.camera.to_dict(),
            "camera_names": list(self.camera_names),
            "shared": self.shared,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MultiCameraConfig:
        return cls(EncoderConfig.from_dict(data["camera"]), tuple(data["camera_names"]), bool(data["shared"]))


class MultiCameraEncoder(nn.Module):
    """φ: uint8 frames (B, S, S, 3 x cameras) -> (B, embed_dim x cameras)."""

    def __init__(self, config: MultiCameraConfig) -> None:
        super().__init__()
        self.config = config
        count = 1 if config.shared else len(config.camera_names)
        self.encoders = nn.ModuleList([ConvEncoder(config.camera) for _ in range(count)])
        size = config.image_size
        self.register_buffer("mean_frame", torch.full((config.in_channels, size, size), 127.5))

    @torch.no_grad()
    def set_mean_frame(self, frames: Tensor) -> None:
        self.mean_frame.copy_(mean_of_frames(frames).permute(2, 0, 1))

    def normalize(self, frames: Tensor) -> Tensor:
        size, channels = self.config.image_size, self.config.in_channels
        if frames.shape[1:] != (size, size, channels):
            raise ValueError(
                f"encoder expects frames (B, {size}, {size}, {channels}): cameras "
                f"{', '.join(self.config.camera_names)} stacked on channels; got {tuple(frames.shape)}"
            )
        return self.center(frames.permute(0, 3, 1, 2).float())

    def center(self, pixels: Tensor) -> Tensor:
        return (pixels - self.mean_frame) / 64.0

    def features(self, centered: Tensor) -> Tensor:
        views = centered.split(3, dim=1)
        encoders = self.encoders if not self.config.shared else [self.encoders[0]] * len(views)
        return torch.cat(
            [encoder.features(view) for encoder, view in zip(encoders, views, strict=True)], dim=1
        )

    def embed(self, pixels: Tensor) -> Tensor:
        """φ of float pixels (B, 3 x cameras, S, S) on the 0-255 scale."""
        return self.features(self.center(pixels))

    def forward(self, frames: Tensor) -> Tensor:
        return self.features(self.normalize(frames))
